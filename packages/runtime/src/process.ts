import { setMaxListeners } from 'node:events';
import { newKubeClient } from '@trellis/kube';
import type { Logger } from '@trellis/sdk';
import { formatError, jsonLogger } from '@trellis/sdk';
import { kubeEventRecorder } from './events.ts';
import { kubeMachinery } from './machinery.ts';
import { parseDuration } from './meta.ts';
import { defaultPollOptions } from './poll.ts';
import type { ProviderDefinition } from './provider.ts';
import { runProvider } from './provider.ts';

/** ProcessSettings are read from the environment of a provider process. */
export interface ProcessSettings {
  kubeconfigPath: string | undefined;
  pollIntervalMs: number;
  notReadyPollIntervalMs: number;
  callTimeoutMs: number;
  workers: number;
  qps: number;
  installCrds: boolean;
  debug: boolean;
}

function durationEnv(env: NodeJS.ProcessEnv, name: string, dflt: number): number {
  const v = env[name];
  if (v === undefined || v === '') return dflt;
  const ms = parseDuration(v);
  if (ms === undefined || ms <= 0) throw new Error(`${name}="${v}" is not a duration such as 30s or 1m`);
  return ms;
}

function intEnv(env: NodeJS.ProcessEnv, name: string, dflt: number): number {
  const v = env[name];
  if (v === undefined || v === '') return dflt;
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`${name}="${v}" is not a positive integer`);
  return n;
}

/**
 * ProcessSettingsFrom reads a provider process's settings: TRELLIS_KUBECONFIG (else KUBECONFIG),
 * TRELLIS_POLL_INTERVAL (1m), TRELLIS_NOT_READY_POLL_INTERVAL (15s), TRELLIS_CALL_TIMEOUT (30s),
 * TRELLIS_WORKERS per kind (16), TRELLIS_QPS of the global rate limit (50),
 * TRELLIS_INSTALL_CRDS=1, TRELLIS_DEBUG=1.
 */
export function processSettingsFrom(env: NodeJS.ProcessEnv): ProcessSettings {
  return {
    kubeconfigPath: env.TRELLIS_KUBECONFIG ?? env.KUBECONFIG,
    pollIntervalMs: durationEnv(env, 'TRELLIS_POLL_INTERVAL', defaultPollOptions.intervalMs),
    notReadyPollIntervalMs: durationEnv(env, 'TRELLIS_NOT_READY_POLL_INTERVAL', defaultPollOptions.notReadyIntervalMs),
    callTimeoutMs: durationEnv(env, 'TRELLIS_CALL_TIMEOUT', 30_000),
    workers: intEnv(env, 'TRELLIS_WORKERS', 16),
    qps: intEnv(env, 'TRELLIS_QPS', 50),
    installCrds: env.TRELLIS_INSTALL_CRDS === '1',
    debug: env.TRELLIS_DEBUG === '1',
  };
}

/**
 * RunProviderProcess is the main of a provider process (what the provider host spawns): it
 * connects to the control plane, runs the provider, tells the host it is ready over IPC, and
 * stops cleanly on SIGTERM/SIGINT. It returns the exit code.
 */
export async function runProviderProcess(def: ProviderDefinition, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  let settings: ProcessSettings;
  const sink = (line: string): void => {
    process.stderr.write(`${line}\n`);
  };
  let log: Logger = jsonLogger(sink, { debug: env.TRELLIS_DEBUG === '1' }).with({ provider: def.name, pid: process.pid });
  try {
    settings = processSettingsFrom(env);
  } catch (err) {
    log.info('invalid settings', { error: err });
    return 2;
  }
  log = jsonLogger(sink, { debug: settings.debug }).with({ provider: def.name, pid: process.pid });
  const stop = new AbortController();
  // Every in-flight provider call listens on this signal: one per worker, per kind.
  setMaxListeners(0, stop.signal);
  for (const sig of ['SIGTERM', 'SIGINT'] as const) process.once(sig, () => stop.abort());
  // A provider must not outlive its host: when the host dies (SIGKILL, a crash) the IPC channel
  // closes, and an orphan left running would reconcile the same resources as the process the
  // restarted host spawns (duplicate external resources for server-assigned ids).
  if (process.send !== undefined) process.once('disconnect', () => stop.abort());
  try {
    const client = await newKubeClient({
      ...(settings.kubeconfigPath === undefined ? {} : { kubeconfigPath: settings.kubeconfigPath }),
      userAgent: `trellis-${def.name}`,
      log,
    });
    const machinery = kubeMachinery(client, { log, queue: { qps: settings.qps, burst: settings.qps * 10 } });
    const { done } = await runProvider(def, {
      client,
      machinery,
      log,
      events: kubeEventRecorder(client, { component: `trellis/${def.name}`, log }),
      workers: settings.workers,
      installCrds: settings.installCrds,
      reconciler: {
        callTimeoutMs: settings.callTimeoutMs,
        poll: { ...defaultPollOptions, intervalMs: settings.pollIntervalMs, notReadyIntervalMs: settings.notReadyPollIntervalMs },
      },
      signal: stop.signal,
    });
    log.info('provider started');
    process.send?.({ type: 'ready' });
    await done;
    machinery.informers.stopAll();
    client.close();
    log.info('provider stopped');
    return 0;
  } catch (err) {
    log.info('provider failed', { error: formatError(err) });
    return 1;
  }
}
