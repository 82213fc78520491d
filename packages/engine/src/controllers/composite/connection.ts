import { createHash } from 'node:crypto';
import type { KubeClient } from '@trellis/kube';
import { asControllerRef, controllerOf, type KubeObject, TrellisError } from '@trellis/sdk';
import { isPlainObject } from '../../apply/fields.ts';

/** The Secret type upstream uses for connection secrets. */
export const ConnectionSecretType = 'connection.crossplane.io/v1alpha1';

export interface PublishOptions {
  /** Keys filters the published keys (an XRD's connectionSecretKeys; empty publishes all). */
  keys: readonly string[];
  fieldManager: string;
  /**
   * Memo remembers, per secret, the hash of what was last published, so an unchanged XR neither
   * reads nor writes its secret.
   */
  memo?: Map<string, string>;
  signal?: AbortSignal;
}

/**
 * PublishConnection writes a legacy XR's connection details to the Secret its
 * `spec.writeConnectionSecretToRef` names, controlled by the XR (upstream's
 * APIFilteredSecretPublisher). It reports `published: true` only when the data changed. A Secret
 * controlled by another object is never taken over.
 */
export async function publishConnection(
  client: KubeClient,
  owner: KubeObject,
  to: { name: string; namespace: string },
  details: Record<string, Uint8Array>,
  opts: PublishOptions,
): Promise<{ published: boolean }> {
  const data: Record<string, string> = {};
  for (const k of Object.keys(details).sort()) {
    if (opts.keys.length > 0 && !opts.keys.includes(k)) continue;
    data[k] = Buffer.from(details[k] ?? new Uint8Array()).toString('base64');
  }
  const memoKey = `${owner.metadata.uid ?? ''}|${to.namespace}/${to.name}`;
  const hash = createHash('sha256').update(JSON.stringify(data)).digest('hex');
  if (opts.memo?.get(memoKey) === hash) return { published: false };
  const callOpts = opts.signal === undefined ? {} : { signal: opts.signal };
  const existing = await client.getIfExists({ apiVersion: 'v1', kind: 'Secret', namespace: to.namespace, name: to.name }, callOpts);
  if (existing !== undefined) {
    const c = controllerOf(existing);
    if (c !== undefined && c.uid !== owner.metadata.uid) {
      throw new TrellisError(
        'ENGINE_SECRET_NOT_CONTROLLABLE',
        `cannot establish control of existing connection secret "${to.namespace}/${to.name}"`,
      );
    }
    const current = isPlainObject(existing.data) ? existing.data : {};
    if (c !== undefined && sameData(current, data) && existing.type === ConnectionSecretType) {
      opts.memo?.set(memoKey, hash);
      return { published: false };
    }
  }
  await client.apply(
    {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: to.name, namespace: to.namespace, ownerReferences: [asControllerRef(owner)] },
      type: ConnectionSecretType,
      data,
    },
    { fieldManager: opts.fieldManager, force: true, ...callOpts },
  );
  opts.memo?.set(memoKey, hash);
  return { published: true };
}

function sameData(a: Record<string, unknown>, b: Record<string, string>): boolean {
  const ka = Object.keys(a).sort();
  const kb = Object.keys(b).sort();
  return ka.length === kb.length && ka.every((k, i) => k === kb[i] && a[k] === b[k]);
}
