// Upstream Crossplane core as a live peer, end to end: a private real control plane, Crossplane
// core v2.3.4 out of cluster with function-patch-and-transform over mTLS (bench/peer/peer.ts), a v1
// XRD with claims, a Pipeline Composition of 5 ConfigMaps, and claims that must become Ready.
//
//   node --conditions=@trellis/source --import tsx bench/peer/run.ts [--claims N] [--json FILE] [--quick]
//
// Prints the start-up steps and claim-to-Ready figures; fails when a claim does not become Ready.
import { newKubeClient } from '@trellis/kube';
import { startRealControlPlane } from '../../test/harness/control-plane.ts';
import { createAndWaitReady, percentile } from '../lib/claims.ts';
import { parseBenchArgs, recorder } from '../lib/figures.ts';
import { ClaimKind, ComposedPerClaim, claim, claimName, composition, Group, Version, xrd } from '../lib/workload.ts';
import { CrossplaneVersion, PatVersion, startCrossplanePeer } from './peer.ts';

const args = parseBenchArgs();
const claimsArg = args.rest.indexOf('--claims');
const N = claimsArg >= 0 ? Number(args.rest[claimsArg + 1]) : args.quick ? 3 : 20;
const rec = recorder({
  pillar: 'peer',
  title: `Crossplane core ${CrossplaneVersion} out of cluster with function-patch-and-transform ${PatVersion} over mTLS`,
  command: 'node --conditions=@trellis/source --import tsx bench/peer/run.ts',
  args,
});
const peerName = `Crossplane ${CrossplaneVersion}`;
const log = (line: string): void => console.log(line);
const namespace = 'bench';

const cp = await startRealControlPlane();
log(`control plane: ${cp.env.API_URL} (${cp.timings.total} s)`);
const client = await newKubeClient({ kubeconfigPath: cp.kubeconfigPath, userAgent: 'trellis-bench/driver' });
let peer: Awaited<ReturnType<typeof startCrossplanePeer>> | undefined;
try {
  const t0 = performance.now();
  peer = await startCrossplanePeer({ kubeconfigPath: cp.kubeconfigPath, progress: log });
  const startSeconds = (performance.now() - t0) / 1000;
  rec.add({ name: 'peer start (init, package, function, core, Function healthy)', value: startSeconds, unit: 's', peer: peerName });
  for (const [k, v] of Object.entries(peer.timings)) log(`  ${k.padEnd(20)} ${v} s`);

  await client.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } });
  await client.create(xrd({ namespace }));
  await client.create(composition({ namespace }));
  const claimType = { apiVersion: `${Group}/${Version}`, kind: ClaimKind };
  const t1 = performance.now();
  await waitServed(async () => {
    await client.list(claimType, { namespace, limit: 1 });
  });
  rec.add({ name: 'XRD to claim kind served', value: (performance.now() - t1) / 1000, unit: 's', peer: peerName });

  const claims = Array.from({ length: N }, (_, i) => claim({ namespace, name: claimName(i) }));
  const r = await createAndWaitReady({
    client,
    type: claimType,
    namespace,
    claims,
    timeoutMs: 300_000,
    progress: (ready, total) => log(`  ${ready}/${total} Ready`),
  });
  const cms = await client.listAll({ apiVersion: 'v1', kind: 'ConfigMap' }, { namespace, labelSelector: 'bench.trellis.dev/part' });
  if (cms.items.length !== N * ComposedPerClaim) {
    throw new Error(`expected ${N * ComposedPerClaim} composed ConfigMaps, found ${cms.items.length}`);
  }
  rec.add({ name: `${N} claims × ${ComposedPerClaim} ConfigMaps: all Ready`, value: r.allReadySeconds, unit: 's', peer: peerName });
  rec.add({ name: 'claim-to-Ready p50', value: percentile(r.latenciesMs, 50), unit: 'ms', peer: peerName });
  rec.add({ name: 'claim-to-Ready p99', value: percentile(r.latenciesMs, 99), unit: 'ms', peer: peerName });
  rec.note(`Every claim became Ready under upstream core; ${cms.items.length} composed ConfigMaps exist.`);
  rec.note('Setup: see docs/dev/crossplane-peer.md.');
  const result = rec.finish();
  for (const f of result.figures) log(`${f.name.padEnd(64)} ${String(f.value).padStart(10)} ${f.unit}`);
} catch (err) {
  if (peer !== undefined) console.error(`core log:\n${peer.logs('core', 30)}\nfunction log:\n${peer.logs('function', 10)}`);
  throw err;
} finally {
  client.close();
  await peer?.stop();
  await cp.stop();
}

async function waitServed(check: () => Promise<void>): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      await check();
      return;
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}
