// The objects the reliability campaign reconciles, one set per run (a unique API group):
//
// - "apps": a v1 XRD with claims and a Pipeline Composition (built-in patch-and-transform) of five
//   ConfigMaps in the claim's namespace, readiness `None` (Ready needs no provider). Every
//   ConfigMap carries the claim's `spec.gen` in `data.gen`, so an update is visible downstream.
// - "zones": a v1 XRD with claims whose Composition composes provider-managed resources against
//   real external APIs: a PowerDNS Zone (client-chosen name) and an Alertmanager Silence
//   (server-assigned id, the case where a crash between create and record duplicates), ready
//   when provider-http says so.
import type { KubeObject } from '@trellis/sdk';

export const ComposedPerApp = 5;
export const RunLabel = 'reliability.trellis.dev/run';

/** Workload names everything one run creates. */
export interface Workload {
  run: string;
  group: string;
  app: { claim: TypeRef; xr: TypeRef };
  zone: { claim: TypeRef; xr: TypeRef };
  /** Namespaces the claims are spread over. */
  namespaces: string[];
  /** ProviderConfig names (cluster-scoped, provider-http). */
  pdnsConfig: string;
  amConfig: string;
  /** SilenceCreator is `createdBy` on every silence of this run. */
  silenceCreator: string;
  /** ZoneSuffix ends every PowerDNS zone of this run (`.<run>.test.`). */
  zoneSuffix: string;
}

export interface TypeRef {
  apiVersion: string;
  kind: string;
}

export const zoneMrType = { apiVersion: 'powerdns.http.trellis.io/v1alpha1', kind: 'Zone' } as const;
export const silenceMrType = { apiVersion: 'alertmanager.http.trellis.io/v1alpha1', kind: 'Silence' } as const;
export const providerConfigType = { apiVersion: 'http.trellis.io/v1alpha1', kind: 'ProviderConfig' } as const;

export function newWorkload(run: string, namespaces = 4): Workload {
  const group = `${run}.trellis.test`;
  return {
    run,
    group,
    app: { claim: { apiVersion: `${group}/v1`, kind: 'App' }, xr: { apiVersion: `${group}/v1`, kind: 'XApp' } },
    zone: { claim: { apiVersion: `${group}/v1`, kind: 'Dns' }, xr: { apiVersion: `${group}/v1`, kind: 'XDns' } },
    namespaces: Array.from({ length: namespaces }, (_, i) => `${run}-${i}`),
    pdnsConfig: `${run}-pdns`,
    amConfig: `${run}-am`,
    silenceCreator: `reliability-${run}`,
    zoneSuffix: `.${run}.test.`,
  };
}

function v1Xrd(w: Workload, kind: string, claimKind: string, specProps: Record<string, unknown>): KubeObject {
  const plural = `${kind.toLowerCase()}s`;
  return {
    apiVersion: 'apiextensions.crossplane.io/v1',
    kind: 'CompositeResourceDefinition',
    metadata: { name: `${plural}.${w.group}` },
    spec: {
      group: w.group,
      names: { kind, plural },
      claimNames: { kind: claimKind, plural: `${claimKind.toLowerCase()}s` },
      defaultCompositeDeletePolicy: 'Background',
      versions: [
        {
          name: 'v1',
          served: true,
          referenceable: true,
          schema: { openAPIV3Schema: { type: 'object', properties: { spec: { type: 'object', properties: specProps } } } },
        },
      ],
    },
  } as KubeObject;
}

function pipeline(name: string, xr: TypeRef, resources: unknown[]): KubeObject {
  return {
    apiVersion: 'apiextensions.crossplane.io/v1',
    kind: 'Composition',
    metadata: { name },
    spec: {
      compositeTypeRef: xr,
      mode: 'Pipeline',
      pipeline: [
        {
          step: 'patch-and-transform',
          functionRef: { name: 'function-patch-and-transform' },
          input: { apiVersion: 'pt.fn.crossplane.io/v1beta1', kind: 'Resources', resources },
        },
      ],
    },
  } as KubeObject;
}

/** AppApi is the XRD and Composition of the ConfigMap claims. */
export function appApi(w: Workload): KubeObject[] {
  const resources = Array.from({ length: ComposedPerApp }, (_, i) => ({
    name: `cm${i + 1}`,
    base: {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { namespace: 'default', labels: { [RunLabel]: w.run } },
      data: { index: String(i + 1) },
    },
    patches: [
      { type: 'FromCompositeFieldPath', fromFieldPath: 'spec.claimRef.namespace', toFieldPath: 'metadata.namespace' },
      { type: 'FromCompositeFieldPath', fromFieldPath: 'spec.gen', toFieldPath: 'data.gen' },
      { type: 'FromCompositeFieldPath', fromFieldPath: 'spec.owner', toFieldPath: 'data.owner' },
    ],
    readinessChecks: [{ type: 'None' }],
  }));
  return [
    v1Xrd(w, 'XApp', 'App', { gen: { type: 'string' }, owner: { type: 'string' } }),
    pipeline(`xapps.${w.group}`, w.app.xr, resources),
  ];
}

/** ZoneApi is the XRD and Composition of the provider-managed claims. */
export function zoneApi(w: Workload): KubeObject[] {
  const endsAt = '2099-01-01T00:00:00Z';
  const resources = [
    {
      name: 'zone',
      base: {
        ...zoneMrType,
        metadata: { labels: { [RunLabel]: w.run } },
        spec: { providerConfigRef: { name: w.pdnsConfig }, forProvider: { kind: 'Native', nameservers: ['ns1.example.test.'] } },
      },
      patches: [{ type: 'FromCompositeFieldPath', fromFieldPath: 'spec.zone', toFieldPath: 'spec.forProvider.name' }],
    },
    {
      name: 'silence',
      base: {
        ...silenceMrType,
        metadata: { labels: { [RunLabel]: w.run } },
        spec: {
          providerConfigRef: { name: w.amConfig },
          forProvider: { matchers: [{ name: 'zone', value: 'x', isRegex: false }], endsAt, createdBy: w.silenceCreator, comment: 'x' },
        },
      },
      patches: [
        { type: 'FromCompositeFieldPath', fromFieldPath: 'spec.zone', toFieldPath: 'spec.forProvider.matchers[0].value' },
        { type: 'FromCompositeFieldPath', fromFieldPath: 'spec.zone', toFieldPath: 'spec.forProvider.comment' },
      ],
    },
  ];
  return [v1Xrd(w, 'XDns', 'Dns', { zone: { type: 'string' } }), pipeline(`xdnss.${w.group}`, w.zone.xr, resources)];
}

/** AppClaim is one ConfigMap claim; `gen` is what its composed ConfigMaps must show. */
export function appClaim(w: Workload, namespace: string, name: string, gen: number): KubeObject {
  return { ...w.app.claim, metadata: { name, namespace, labels: { [RunLabel]: w.run } }, spec: { gen: String(gen), owner: name } };
}

/** ZoneOf is the PowerDNS zone (and silence comment) of a provider claim. */
export function zoneOf(w: Workload, name: string): string {
  return `${name}${w.zoneSuffix}`;
}

/** ZoneClaim is one provider-managed claim. */
export function zoneClaim(w: Workload, namespace: string, name: string): KubeObject {
  return { ...w.zone.claim, metadata: { name, namespace, labels: { [RunLabel]: w.run } }, spec: { zone: zoneOf(w, name) } };
}

/** ProviderConfigs are the provider-http configs for PowerDNS (API key from a Secret) and Alertmanager. */
export function providerConfigs(w: Workload, pdns: { url: string; apiKey: string }, am: { url: string }): KubeObject[] {
  return [
    {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: w.pdnsConfig, namespace: 'default' },
      data: { key: Buffer.from(pdns.apiKey).toString('base64') },
    },
    {
      ...providerConfigType,
      metadata: { name: w.pdnsConfig },
      spec: {
        baseUrl: `${pdns.url}/api/v1/servers/localhost`,
        headers: { 'X-API-Key': '{{ credentials }}' },
        credentials: { source: 'Secret', secretRef: { namespace: 'default', name: w.pdnsConfig, key: 'key' } },
      },
    },
    { ...providerConfigType, metadata: { name: w.amConfig }, spec: { baseUrl: `${am.url}/api/v2`, credentials: { source: 'None' } } },
  ];
}
