// End to end: pipeline steps that name no built-in function run the installed pkg.crossplane.io
// Function of that name, over gRPC at its active FunctionRevision's status.endpoint, on every API
// server target. The function is upstream's function-patch-and-transform binary, registered
// under a custom name and package (so nothing in-process answers): insecure for a Function
// annotated as a Development runtime, with mutual TLS otherwise. A Function with no active
// revision, or whose active revision has no endpoint, fails the claim with upstream's message.

import type { KubeObject } from '@trellis/sdk';
import { beforeAll, describe, expect, it } from 'vitest';
import { apiServerTargets, uniqueName, useKube } from '../harness/targets.ts';
import { installFunctionCrds } from './support/crossplane-crds.ts';
import { useEngine } from './support/engine.ts';
import { useFunctionServers } from './support/functions.ts';
import { condition, isCurrentTrue, waitForObject } from './support/objects.ts';

const FN = { apiVersion: 'pkg.crossplane.io/v1', kind: 'Function' };
const FNREV = { apiVersion: 'pkg.crossplane.io/v1', kind: 'FunctionRevision' };
const REV = { apiVersion: 'apiextensions.crossplane.io/v1', kind: 'CompositionRevision' };

describe.each(apiServerTargets())('engine: installed (remote) functions on $name', (target) => {
  const kube = useKube(target, 'eng-fn');
  const sel = uniqueName('fn');
  const servers = useFunctionServers('function-patch-and-transform', () => installFunctionCrds(kube.client));
  const fx = useEngine(
    () => kube.client,
    sel,
    () => ({ installedFunctions: { tls: servers.clientTls, timeoutMs: 20_000 } }),
  );

  const group = `${sel}.trellis.test`;
  const xrType = { apiVersion: `${group}/v1`, kind: 'XNote' };
  const claimType = { apiVersion: `${group}/v1`, kind: 'Note' };
  // Function names that are not built in, and packages that do not name a built-in.
  const fnName = (what: string): string => `${sel}-${what}`;

  /** RegisterFunction creates a Function and, unless `revision` is false, its active FunctionRevision. */
  async function registerFunction(
    what: string,
    opts: { development?: boolean; endpoint?: string; revision?: boolean; state?: string } = {},
  ): Promise<void> {
    const name = fnName(what);
    await kube.client.create({
      ...FN,
      metadata: {
        name,
        labels: { 'trellis.test/engine': sel },
        ...(opts.development === true ? { annotations: { 'render.crossplane.io/runtime': 'Development' } } : {}),
      },
      spec: { package: `registry.trellis.test/acme/function-acme-${what}:v1.0.0` },
    });
    if (opts.revision === false) return;
    const rev = `${name}-0123456789ab`;
    await kube.client.create({
      ...FNREV,
      metadata: { name: rev, labels: { 'pkg.crossplane.io/package': name } },
      spec: { desiredState: opts.state ?? 'Active', image: `registry.trellis.test/acme/function-acme-${what}:v1.0.0`, revision: 1 },
    });
    if (opts.endpoint !== undefined) {
      await kube.client.apply(
        { ...FNREV, metadata: { name: rev }, status: { endpoint: opts.endpoint } },
        { fieldManager: 'trellis-test-runtime', subresource: 'status', force: true },
      );
    }
  }

  const composition = (name: string, fn: string): KubeObject =>
    fx.labelled({
      apiVersion: 'apiextensions.crossplane.io/v1',
      kind: 'Composition',
      metadata: { name },
      spec: {
        compositeTypeRef: xrType,
        mode: 'Pipeline',
        pipeline: [
          {
            step: 'remote-pt',
            functionRef: { name: fn },
            input: {
              apiVersion: 'pt.fn.crossplane.io/v1beta1',
              kind: 'Resources',
              resources: [
                {
                  name: 'note',
                  base: { apiVersion: 'v1', kind: 'ConfigMap', data: {} },
                  patches: [
                    { type: 'FromCompositeFieldPath', fromFieldPath: 'spec.claimRef.namespace', toFieldPath: 'metadata.namespace' },
                    { type: 'FromCompositeFieldPath', fromFieldPath: 'spec.text', toFieldPath: 'data.text' },
                    { type: 'ToCompositeFieldPath', fromFieldPath: 'data.text', toFieldPath: 'status.echo' },
                  ],
                  readinessChecks: [{ type: 'NonEmpty', fieldPath: 'data.text' }],
                },
              ],
            },
          },
        ],
      },
    });

  const claim = (name: string, comp: string, text: string): KubeObject => ({
    ...claimType,
    metadata: { name, namespace: kube.namespace },
    spec: { text, compositionRef: { name: comp } },
  });
  const claimRef = (name: string) => ({ ...claimType, namespace: kube.namespace, name });

  /** ValidRevision waits until the Composition's revision says ValidPipeline=True. */
  async function validRevision(comp: string): Promise<void> {
    const deadline = Date.now() + 60_000;
    for (;;) {
      const revs = (await kube.client.list(REV, { labelSelector: `crossplane.io/composition-name=${comp}` })).items;
      if (revs.some((r) => isCurrentTrue(r, 'ValidPipeline'))) return;
      if (Date.now() > deadline) throw new Error(`no valid revision of ${comp}: ${JSON.stringify(revs.map((r) => r.status))}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  beforeAll(async () => {
    await registerFunction('dev', { development: true, endpoint: servers.insecure.address });
    await registerFunction('mtls', { endpoint: servers.mtls.address });
    await registerFunction('norev', { revision: false });
    await registerFunction('inactive', { state: 'Inactive', endpoint: servers.insecure.address });
    await registerFunction('noendpoint');
    await kube.client.create(
      fx.labelled({
        apiVersion: 'apiextensions.crossplane.io/v1',
        kind: 'CompositeResourceDefinition',
        metadata: { name: `xnotes.${group}` },
        spec: {
          group,
          names: { kind: 'XNote', plural: 'xnotes' },
          claimNames: { kind: 'Note', plural: 'notes' },
          versions: [
            {
              name: 'v1',
              served: true,
              referenceable: true,
              schema: {
                openAPIV3Schema: {
                  type: 'object',
                  properties: {
                    spec: { type: 'object', properties: { text: { type: 'string' } } },
                    status: { type: 'object', properties: { echo: { type: 'string' } } },
                  },
                },
              },
            },
          ],
        },
      }),
    );
    for (const what of ['dev', 'mtls', 'norev', 'inactive', 'noendpoint'])
      await kube.client.create(composition(`${sel}-${what}`, fnName(what)));
    await waitForObject(
      kube.client,
      { apiVersion: 'apiextensions.crossplane.io/v1', kind: 'CompositeResourceDefinition', name: `xnotes.${group}` },
      'the XRD to be Established and Offered',
      (o) => isCurrentTrue(o, 'Established') && isCurrentTrue(o, 'Offered'),
    );
  });

  it.each([
    ['dev', 'a Development Function, called without TLS'],
    ['mtls', 'a Function called with mutual TLS'],
  ])('makes a claim Ready through the installed function "%s" (%s)', async (what) => {
    await validRevision(`${sel}-${what}`);
    await kube.client.create(claim(`via-${what}`, `${sel}-${what}`, `hello ${what}`));
    const ready = await waitForObject(kube.client, claimRef(`via-${what}`), `claim via-${what} to be Ready`, (o) =>
      isCurrentTrue(o, 'Ready'),
    );
    expect(ready?.status).toMatchObject({ echo: `hello ${what}` });
    const cms = await kube.client.list(
      { apiVersion: 'v1', kind: 'ConfigMap' },
      { namespace: kube.namespace, labelSelector: `crossplane.io/claim-name=via-${what}` },
    );
    expect(cms.items.map((c) => c.data)).toEqual([{ text: `hello ${what}` }]);
  });

  it.each([
    ['norev', 'cannot find an active FunctionRevision (a FunctionRevision with spec.desiredState: Active)'],
    ['inactive', 'cannot find an active FunctionRevision (a FunctionRevision with spec.desiredState: Active)'],
    ['noendpoint', `cannot determine gRPC target: active FunctionRevision "${sel}-noendpoint-0123456789ab" has an empty status.endpoint`],
  ])('reports on the claim why the installed function "%s" cannot run', async (what, why) => {
    await validRevision(`${sel}-${what}`);
    await kube.client.create(claim(`via-${what}`, `${sel}-${what}`, 'never'));
    const failed = await waitForObject(kube.client, claimRef(`via-${what}`), `claim via-${what} to report the failure`, (o) =>
      (condition(o, 'Synced')?.message ?? '').includes(why),
    );
    expect(condition(failed, 'Synced')).toMatchObject({ status: 'False', reason: 'ReconcileError' });
    expect(condition(failed, 'Synced')?.message).toContain(
      `cannot run Composition pipeline step "remote-pt": cannot get gRPC client connection for Function "${fnName(what)}": ${why}`,
    );
    expect(isCurrentTrue(failed, 'Ready')).toBe(false);
  });

  it('sets ValidPipeline=False on a revision naming a function that is neither built in nor installed, and True once it is installed', async () => {
    const comp = `${sel}-later`;
    await kube.client.create(composition(comp, fnName('later')));
    const deadline = Date.now() + 60_000;
    let rev: KubeObject | undefined;
    for (;;) {
      rev = (await kube.client.list(REV, { labelSelector: `crossplane.io/composition-name=${comp}` })).items[0];
      if (condition(rev, 'ValidPipeline')?.status === 'False') break;
      if (Date.now() > deadline) throw new Error(`no invalid revision of ${comp}: ${JSON.stringify(rev?.status)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(condition(rev, 'ValidPipeline')).toMatchObject({
      reason: 'MissingFunctions',
      message: `pipeline step "remote-pt" uses function "${fnName('later')}", which is neither built in nor installed`,
    });
    await registerFunction('later', { development: true, endpoint: servers.insecure.address });
    await validRevision(comp);
    await kube.client.create(claim('via-later', comp, 'late'));
    await waitForObject(kube.client, claimRef('via-later'), 'claim via-later to be Ready', (o) => isCurrentTrue(o, 'Ready'));
  });
});
