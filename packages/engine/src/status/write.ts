import type { KubeClient } from '@trellis/kube';
import { type KubeObject, wrap } from '@trellis/sdk';
import { decideApply } from '../apply/decide.ts';
import { deepEqual } from '../apply/fields.ts';

/** A StatusWrite reports whether a status write was sent, and the object afterwards. */
export interface StatusWrite {
  written: boolean;
  object: KubeObject;
}

/**
 * ApplyStatus server-side applies `status` to an object's status subresource with a field manager,
 * unless the observed status already says exactly that (values equal, and no field the manager
 * owned is left out). Used for XRs, whose status only the engine writes.
 */
export async function applyStatus(
  client: KubeClient,
  observed: KubeObject,
  status: Record<string, unknown>,
  fieldManager: string,
  signal?: AbortSignal,
): Promise<StatusWrite> {
  const metadata: KubeObject['metadata'] = { name: observed.metadata.name ?? '' };
  if (observed.metadata.namespace !== undefined) metadata.namespace = observed.metadata.namespace;
  const desired: KubeObject = { apiVersion: observed.apiVersion, kind: observed.kind, metadata, status };
  const d = decideApply(desired, observed, { fieldManager, subresource: 'status' });
  if (!d.apply) return { written: false, object: observed };
  try {
    const object = await client.apply(d.body, {
      fieldManager,
      force: true,
      subresource: 'status',
      ...(signal === undefined ? {} : { signal }),
    });
    return { written: true, object };
  } catch (err) {
    throw wrap(err, `cannot apply status of ${observed.kind} "${observed.metadata.name ?? ''}"`);
  }
}

/**
 * UpdateStatusIfChanged replaces an object's status when it differs from what was read. A stale
 * resourceVersion throws KUBE_CONFLICT, which the controller runner requeues silently.
 */
export async function updateStatusIfChanged(
  client: KubeClient,
  before: KubeObject,
  after: KubeObject,
  signal?: AbortSignal,
): Promise<StatusWrite> {
  if (deepEqual(before.status ?? {}, after.status ?? {})) return { written: false, object: before };
  try {
    const object = await client.updateStatus(after, signal === undefined ? {} : { signal });
    return { written: true, object };
  } catch (err) {
    throw wrap(err, `cannot update status of ${after.kind} "${after.metadata.name ?? ''}"`);
  }
}
