import type { KubeObject } from '@trellis/sdk';
import { codeOf, hasCode } from '@trellis/sdk';
import { describe, expect, it } from 'vitest';
import { secretPublisher } from './connection.ts';
import { RuntimeCode, retryHintOf } from './errors.ts';
import {
  apiUsageTracker,
  clientReader,
  extractCredentials,
  newProviderConfigReconciler,
  providerConfigFinalizer,
  providerConfigKindsFor,
  UsageLabel,
} from './providerconfig.ts';
import { apiReferenceResolver } from './references.ts';
import { newFakeKube } from './testing/fake-kube.ts';

const kinds = providerConfigKindsFor('test.trellis.io');
const mr = (over: Partial<KubeObject> = {}): KubeObject => ({
  apiVersion: 'test.trellis.io/v1alpha1',
  kind: 'Thing',
  metadata: { name: 'a', uid: 'uid-a' },
  spec: { providerConfigRef: { name: 'pc' }, forProvider: {} },
  ...over,
});
const secret = (data: Record<string, string>): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Secret',
  metadata: { name: 's', namespace: 'ns' },
  data: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v).toString('base64')])),
});
const pc = (credentials: Record<string, unknown>): KubeObject => ({ ...kinds.config, metadata: { name: 'pc' }, spec: { credentials } });

async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (err) {
    return err;
  }
  throw new Error('expected a rejection');
}

describe('extractCredentials', () => {
  const cases = {
    None: { reason: 'source None gives nothing', pc: pc({ source: 'None' }), want: undefined },
    Secret: { reason: 'a Secret key', pc: pc({ source: 'Secret', secretRef: { namespace: 'ns', name: 's', key: 'k' } }), want: 'v' },
    Env: { reason: 'an environment variable', pc: pc({ source: 'Environment', env: { name: 'TRELLIS_TEST_CRED' } }), want: 'from-env' },
    MissingKey: {
      reason: 'a missing key names the field and the Secret',
      pc: pc({ source: 'Secret', secretRef: { namespace: 'ns', name: 's', key: 'nope' } }),
      error: 'ProviderConfig "pc": spec.credentials.secretRef.key: Secret "ns/s" has no key "nope"',
    },
    MissingSecret: {
      reason: 'a missing Secret is permanent',
      pc: pc({ source: 'Secret', secretRef: { namespace: 'ns', name: 'gone', key: 'k' } }),
      error: 'ProviderConfig "pc": Secret "ns/gone" does not exist',
    },
    Incomplete: {
      reason: 'an incomplete secretRef says what is expected',
      pc: pc({ source: 'Secret', secretRef: { name: 's' } }),
      error: 'ProviderConfig "pc": spec.credentials.secretRef: expected name, namespace and key',
    },
    UnknownSource: {
      reason: 'an unknown source lists the valid ones',
      pc: pc({ source: 'Vault' }),
      error: 'ProviderConfig "pc": spec.credentials.source: "Vault" is not one of None, Secret, Environment, Filesystem',
    },
  } satisfies Record<string, { reason: string; pc: KubeObject; want?: string | undefined; error?: string }>;
  describe.each(Object.entries(cases))('%s', (_n, tc) => {
    it(tc.reason, async () => {
      const kube = newFakeKube([secret({ k: 'v' })]);
      const run = extractCredentials(clientReader(kube), tc.pc, undefined, { TRELLIS_TEST_CRED: 'from-env' });
      if ('error' in tc) {
        const err = await rejection(run);
        expect(codeOf(err)).toBe(RuntimeCode.ProviderConfig);
        expect(retryHintOf(err).permanent).toBe(true);
        expect((err as Error).message).toBe(tc.error);
        return;
      }
      const got = await run;
      expect(got === undefined ? undefined : new TextDecoder().decode(got)).toBe(tc.want);
    });
  });
});

describe('apiUsageTracker', () => {
  it('records one usage per resource, controlled by it, and writes nothing the second time', async () => {
    const kube = newFakeKube();
    const t = apiUsageTracker(kube, kinds);
    await t.track(mr());
    await t.track(mr());
    expect(kube.writes.map((w) => w.verb)).toEqual(['create']);
    const u = kube.stored({ ...kinds.usage, name: 'uid-a' });
    expect(u?.metadata.labels).toEqual({ [UsageLabel.ProviderConfig]: 'pc', [UsageLabel.ProviderConfigKind]: 'ProviderConfig' });
    expect(u?.metadata.ownerReferences?.[0]).toMatchObject({ uid: 'uid-a', controller: true });
    expect(u).toMatchObject({ providerConfigRef: { name: 'pc' }, resourceRef: { kind: 'Thing', name: 'a' } });
  });
});

describe('newProviderConfigReconciler', () => {
  it('counts users, keeps the finalizer, and blocks deletion while usages exist', async () => {
    const kube = newFakeKube([pc({ source: 'None' })]);
    await apiUsageTracker(kube, kinds).track(mr());
    const r = newProviderConfigReconciler(kube, kinds);
    await r('pc');
    let got = kube.stored({ ...kinds.config, name: 'pc' });
    expect(got?.metadata.finalizers).toEqual([providerConfigFinalizer]);
    expect(got?.status).toEqual({ users: 1 });
    kube.writes.length = 0;
    await r('pc');
    expect(kube.writes).toEqual([]);
    await kube.delete({ ...kinds.config, name: 'pc' });
    await r('pc');
    got = kube.stored({ ...kinds.config, name: 'pc' });
    expect(got?.status).toMatchObject({ users: 1, conditions: [{ type: 'Terminating', status: 'True', reason: 'InUse' }] });
    await kube.delete({ ...kinds.usage, name: 'uid-a' });
    await r('pc');
    expect(kube.stored({ ...kinds.config, name: 'pc' })).toBeUndefined();
  });
});

describe('secretPublisher', () => {
  const withRef = mr({ spec: { writeConnectionSecretToRef: { name: 'conn', namespace: 'ns' }, forProvider: {} } });
  it('creates the Secret controlled by the resource, merges keys, and skips unchanged data', async () => {
    const kube = newFakeKube();
    const p = secretPublisher(kube);
    await p.publish(withRef, { a: new TextEncoder().encode('1') });
    await p.publish(withRef, { a: new TextEncoder().encode('1') });
    await p.publish(withRef, { b: new TextEncoder().encode('2') });
    expect(kube.writes.map((w) => w.verb)).toEqual(['create', 'update']);
    const s = kube.stored({ apiVersion: 'v1', kind: 'Secret', name: 'conn', namespace: 'ns' });
    expect(s?.data).toEqual({ a: 'MQ==', b: 'Mg==' });
    expect(s?.metadata.ownerReferences?.[0]).toMatchObject({ uid: 'uid-a', controller: true });
  });
  it('refuses a Secret controlled by someone else', async () => {
    const theirs: KubeObject = {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: {
        name: 'conn',
        namespace: 'ns',
        ownerReferences: [{ apiVersion: 'v1', kind: 'Thing', name: 'b', uid: 'uid-b', controller: true }],
      },
      data: {},
    };
    const kube = newFakeKube([theirs]);
    const err = await rejection(secretPublisher(kube).publish(withRef, { a: new Uint8Array([1]) }));
    expect(hasCode(err, RuntimeCode.SecretConflict)).toBe(true);
  });
});

describe('apiReferenceResolver', () => {
  const zone = (name: string, externalName: string | undefined, labels: Record<string, string> = {}): KubeObject => ({
    apiVersion: 'test.trellis.io/v1alpha1',
    kind: 'Zone',
    metadata: { name, labels, ...(externalName === undefined ? {} : { annotations: { 'crossplane.io/external-name': externalName } }) },
  });
  const spec = [{ field: 'spec.forProvider.zone', to: { apiVersion: 'test.trellis.io/v1alpha1', kind: 'Zone' } }];
  const cases = {
    Ref: {
      reason: 'a ref takes the target external name',
      fp: { zoneRef: { name: 'z1' } },
      want: { zone: 'one.test.', zoneRef: { name: 'z1' } },
    },
    Selector: {
      reason: 'a selector picks the first match by name and records the ref',
      fp: { zoneSelector: { matchLabels: { team: 'a' } } },
      want: { zone: 'one.test.', zoneRef: { name: 'z1' }, zoneSelector: { matchLabels: { team: 'a' } } },
    },
    IfNotPresent: {
      reason: 'a set value is not re-resolved',
      fp: { zone: 'kept.', zoneRef: { name: 'z1' } },
      want: { zone: 'kept.', zoneRef: { name: 'z1' } },
    },
    Always: {
      reason: 'policy Always re-resolves',
      fp: { zone: 'old.', zoneRef: { name: 'z1', policy: { resolve: 'Always' } } },
      want: { zone: 'one.test.', zoneRef: { name: 'z1', policy: { resolve: 'Always' } } },
    },
    NotReady: { reason: 'an empty target value is an error', fp: { zoneRef: { name: 'z3' } }, error: /referenced field was empty/ },
    Missing: {
      reason: 'a missing target is an error',
      fp: { zoneRef: { name: 'nope' } },
      error: /cannot resolve reference spec.forProvider.zone/,
    },
    Optional: {
      reason: 'Optional resolution ignores failures',
      fp: { zoneRef: { name: 'nope', policy: { resolution: 'Optional' } } },
      want: { zoneRef: { name: 'nope', policy: { resolution: 'Optional' } } },
    },
  } satisfies Record<string, { reason: string; fp: Record<string, unknown>; want?: Record<string, unknown>; error?: RegExp }>;
  describe.each(Object.entries(cases))('%s', (_n, tc) => {
    it(tc.reason, async () => {
      const kube = newFakeKube([zone('z1', 'one.test.', { team: 'a' }), zone('z2', 'two.test.', { team: 'a' }), zone('z3', undefined)]);
      const obj = mr({ spec: { forProvider: structuredClone(tc.fp) } });
      const run = apiReferenceResolver(kube, spec).resolve(obj);
      if ('error' in tc) {
        const err = await rejection(run);
        expect(hasCode(err, RuntimeCode.ReferenceUnresolved)).toBe(true);
        expect((err as Error).message + String((err as Error).cause)).toMatch(tc.error);
        return;
      }
      await run;
      expect((obj.spec as { forProvider: unknown }).forProvider).toEqual(tc.want);
    });
  });
});
