// Profiles the embedded API server's create path over HTTPS, as bench/apiserver/run.ts drives it:
//   node --conditions=@trellis/source --import tsx bench/apiserver/create-profile.ts [--creates 30000] [--concurrency 32] [--warmup 3000] [--out DIR]
// Starts a server with --cpu-prof (profile written into DIR, default a temporary directory, when it
// stops), creates ConfigMaps with 32 in flight and prints throughput and server CPU per create.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { RawClient } from '../../test/apiserver/raw.ts';
import { startEmbeddedApiServer } from '../../test/harness/embedded.ts';

const args = process.argv.slice(2);
const arg = (name: string, def: string): string => {
  const i = args.indexOf(name);
  return i >= 0 ? (args[i + 1] as string) : def;
};
const CREATES = Number(arg('--creates', '30000'));
const CONCURRENCY = Number(arg('--concurrency', '32'));
const out = resolve(arg('--out', mkdtempSync(join(tmpdir(), 'trellis-create-profile-'))));
const noProfile = args.includes('--no-profile');

const s = await startEmbeddedApiServer({ nodeFlags: noProfile ? [] : ['--cpu-prof', `--cpu-prof-dir=${out}`] });
const cpuMs = (): number => {
  const f = readFileSync(`/proc/${s.pid}/stat`, 'utf8');
  const fields = f.slice(f.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
};
const c = RawClient.fromKubeconfig(s.kubeconfigPath, CONCURRENCY * 2);
await c.request('/api/v1/namespaces', { method: 'POST', body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'p' } } });
let next = 0;
const drive = async (count: number, prefix: string): Promise<number> => {
  next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < count) {
        const i = next++;
        const r = await c.request('/api/v1/namespaces/p/configmaps', {
          method: 'POST',
          body: {
            apiVersion: 'v1',
            kind: 'ConfigMap',
            metadata: { name: `${prefix}-${i}`, labels: { app: `app-${i % 100}`, bench: 'true' } },
            data: { index: String(i), payload: 'x'.repeat(400) },
          },
        });
        if (r.status !== 201) throw new Error(`create: HTTP ${r.status}: ${r.text.slice(0, 300)}`);
      }
    }),
  );
  return (performance.now() - t0) / 1000;
};
await drive(Number(arg('--warmup', '3000')), 'warm');
const c0 = cpuMs();
const seconds = await drive(CREATES, 'c');
const cpu = cpuMs() - c0;
console.log(
  `${CREATES} creates, ${CONCURRENCY} in flight: ${Math.round(CREATES / seconds)}/s, server CPU ${(cpu / CREATES).toFixed(3)} ms per create`,
);
await s.remove();
if (!noProfile) console.log(`profile in ${out}`);
