import { createHash } from 'node:crypto';
import type { KubeClient } from '@trellis/kube';
import type { ConnectionDetails, KubeObject } from '@trellis/sdk';
import { asControllerRef, controllerOf, describeRef, refOf, TrellisError, wrap } from '@trellis/sdk';
import { RuntimeCode } from './errors.ts';
import { connectionSecretRefOf } from './fields.ts';

/** SecretType is the type upstream gives connection secrets. */
export const connectionSecretType = 'connection.crossplane.io/v1alpha1';

/**
 * A ConnectionPublisher publishes the connection details of a managed resource. Publishing is
 * additive: new keys are added, existing keys overwritten, old keys never removed (upstream's
 * semantics). It must write only when something changed.
 */
export interface ConnectionPublisher {
  publish(mr: KubeObject, details: ConnectionDetails | undefined, signal?: AbortSignal): Promise<void>;
  /** Unpublish is called when the managed resource goes away; the default relies on garbage collection. */
  unpublish(mr: KubeObject, signal?: AbortSignal): Promise<void>;
}

/** NopPublisher publishes nothing. */
export const nopPublisher: ConnectionPublisher = { publish: async () => {}, unpublish: async () => {} };

function hashOf(ref: { name: string; namespace?: string }, details: ConnectionDetails): string {
  const h = createHash('sha256');
  h.update(`${ref.namespace ?? ''}/${ref.name}\n`);
  for (const k of Object.keys(details).sort()) {
    h.update(k);
    h.update('\0');
    h.update(details[k] ?? new Uint8Array());
    h.update('\0');
  }
  return h.digest('hex');
}

function toBase64(b: Uint8Array): string {
  return Buffer.from(b).toString('base64');
}

/**
 * SecretPublisher writes connection details into the Secret named by
 * `spec.writeConnectionSecretToRef`, controlled by the managed resource so that garbage collection
 * removes it with the resource. It refuses to touch a Secret controlled by another object. It
 * remembers what it last published for each resource, so a steady state costs neither reads nor
 * writes.
 */
export function secretPublisher(client: KubeClient): ConnectionPublisher {
  const published = new Map<string, string>();
  return {
    async publish(mr, details, signal) {
      const ref = connectionSecretRefOf(mr);
      if (ref === undefined || details === undefined || Object.keys(details).length === 0) return;
      if (ref.namespace === undefined) {
        throw new TrellisError(
          RuntimeCode.InvalidSpec,
          `${describeRef(refOf(mr))}: spec.writeConnectionSecretToRef.namespace is required for a cluster-scoped resource`,
        );
      }
      const uid = mr.metadata.uid ?? '';
      const hash = hashOf(ref, details);
      if (published.get(uid) === hash) return;
      const secretRef = { apiVersion: 'v1', kind: 'Secret', name: ref.name, namespace: ref.namespace };
      const opts = signal === undefined ? {} : { signal };
      try {
        const existing = await client.getIfExists(secretRef, opts);
        const data = { ...((existing?.data as Record<string, string> | undefined) ?? {}) };
        for (const [k, v] of Object.entries(details)) data[k] = toBase64(v);
        if (existing === undefined) {
          await client.create(
            {
              apiVersion: 'v1',
              kind: 'Secret',
              metadata: { name: ref.name, namespace: ref.namespace, ownerReferences: [asControllerRef(mr, false)] },
              type: connectionSecretType,
              data,
            },
            opts,
          );
        } else {
          const owner = controllerOf(existing);
          if (owner !== undefined && owner.uid !== uid) {
            throw new TrellisError(
              RuntimeCode.SecretConflict,
              `${describeRef(secretRef)} is controlled by ${describeRef({ kind: owner.kind, name: owner.name })}, not by this resource`,
            );
          }
          const same =
            JSON.stringify(Object.entries(data).sort()) ===
            JSON.stringify(Object.entries((existing.data as Record<string, string>) ?? {}).sort());
          if (!same || owner === undefined) {
            const ownerReferences =
              owner === undefined
                ? [...(existing.metadata.ownerReferences ?? []), asControllerRef(mr, false)]
                : (existing.metadata.ownerReferences ?? []);
            const next: KubeObject = { ...existing, metadata: { ...existing.metadata, ownerReferences }, data };
            await client.update(next, opts);
          }
        }
        published.set(uid, hash);
      } catch (err) {
        published.delete(uid);
        throw wrap(err, `cannot publish connection details to ${describeRef(secretRef)}`);
      }
    },
    async unpublish(mr) {
      published.delete(mr.metadata.uid ?? '');
    },
  };
}
