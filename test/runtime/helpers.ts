// Helpers for the runtime and provider suites: start a provider as a real child process (the
// same bin the provider host spawns), install its CRDs, build managed resources, and wait for
// conditions.
import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import type { KubeClient } from '@trellis/kube';
import type { ProviderDefinition } from '@trellis/runtime';
import { installCrds } from '@trellis/runtime';
import type { Condition, KubeObject } from '@trellis/sdk';
import { waitFor } from '../harness/targets.ts';

export const repoRoot = resolve(import.meta.dirname, '../..');

/** ProviderBin is the entry point of a provider package (what the host runs). */
export function providerBin(name: 'http' | 'sql' | 'kubernetes'): string {
  return resolve(repoRoot, `packages/provider-${name}/bin/provider-${name}.js`);
}

/** A ProviderProcess is a provider running as a child process. */
export interface ProviderProcess {
  child: ChildProcess;
  pid: number;
  /** Output is everything the process wrote to stderr (its JSON log). */
  output(): string;
  /** Kill sends a signal and waits for the process to exit. */
  kill(signal?: NodeJS.Signals): Promise<void>;
}

/**
 * StartProviderProcess spawns a provider bin with an IPC channel and resolves when it says it is
 * ready. Settings go through the environment (see runtime processSettingsFrom).
 */
export async function startProviderProcess(
  name: 'http' | 'sql' | 'kubernetes',
  kubeconfigPath: string,
  env: Record<string, string> = {},
): Promise<ProviderProcess> {
  const child = spawn(process.execPath, [providerBin(name)], {
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    env: { ...process.env, TRELLIS_KUBECONFIG: kubeconfigPath, ...env },
  });
  let out = '';
  child.stderr?.on('data', (d: Buffer) => {
    out += d.toString();
    if (out.length > 2_000_000) out = out.slice(-1_000_000);
  });
  await new Promise<void>((ok, fail) => {
    const onExit = (code: number | null): void =>
      fail(new Error(`provider-${name} exited with ${code} before it was ready: ${out.slice(-2000)}`));
    child.once('exit', onExit);
    child.on('message', (m: unknown) => {
      if ((m as { type?: string }).type === 'ready') {
        child.off('exit', onExit);
        ok();
      }
    });
  });
  return {
    child,
    pid: child.pid ?? 0,
    output: () => out,
    kill: (signal = 'SIGTERM') =>
      new Promise<void>((ok) => {
        if (child.exitCode !== null || child.signalCode !== null) {
          ok();
          return;
        }
        child.once('exit', () => ok());
        child.kill(signal);
      }),
  };
}

/** InstallProvider installs a provider's CRDs (what the package manager does on install). */
export async function installProvider(client: KubeClient, def: ProviderDefinition): Promise<void> {
  await installCrds(client, def.crds());
}

/** ConditionOf returns one condition of an object. */
export function conditionOf(obj: KubeObject | undefined, type: string): Condition | undefined {
  return ((obj?.status as { conditions?: Condition[] } | undefined)?.conditions ?? []).find((c) => c.type === type);
}

/** IsReadyAndSynced reports Ready=True and Synced=True. */
export function isReadyAndSynced(obj: KubeObject | undefined): boolean {
  return conditionOf(obj, 'Ready')?.status === 'True' && conditionOf(obj, 'Synced')?.status === 'True';
}

/** WaitForCondition polls an object until `check` holds (with a deadline). */
export async function waitForObject(
  client: KubeClient,
  ref: { apiVersion: string; kind: string; name: string; namespace?: string },
  what: string,
  check: (o: KubeObject) => boolean,
  timeoutMs = 60_000,
): Promise<KubeObject> {
  let last: KubeObject | undefined;
  try {
    return await waitFor(
      `${ref.kind} "${ref.name}" ${what}`,
      async () => {
        const o = await client.getIfExists(ref);
        last = o;
        return o !== undefined && check(o) ? o : undefined;
      },
      { timeoutMs, intervalMs: 200 },
    );
  } catch (err) {
    const conds = JSON.stringify((last?.status as { conditions?: unknown } | undefined)?.conditions ?? null);
    throw new Error(`${(err as Error).message}; last conditions: ${conds}`);
  }
}

/** WaitForGone polls until an object no longer exists. */
export async function waitForGone(
  client: KubeClient,
  ref: { apiVersion: string; kind: string; name: string; namespace?: string },
  timeoutMs = 60_000,
): Promise<void> {
  await waitFor(`${ref.kind} "${ref.name}" to be gone`, async () => (await client.getIfExists(ref)) === undefined, {
    timeoutMs,
    intervalMs: 200,
  });
}

/** SecretData base64-encodes string values for a Secret's data. */
export function secretData(values: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(values).map(([k, v]) => [k, Buffer.from(v).toString('base64')]));
}

/**
 * ExpectNoWrites checks that nothing writes an object for `ms` (longer than its poll interval):
 * its resourceVersion does not move. Zero writes in steady state.
 */
export async function expectNoWrites(
  client: KubeClient,
  ref: { apiVersion: string; kind: string; name: string; namespace?: string },
  ms: number,
): Promise<void> {
  const before = (await client.get(ref)).metadata.resourceVersion;
  await new Promise((r) => setTimeout(r, ms));
  const after = (await client.get(ref)).metadata.resourceVersion;
  if (after !== before) throw new Error(`${ref.kind} "${ref.name}" was written in steady state: resourceVersion ${before} -> ${after}`);
}
