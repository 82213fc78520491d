import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { isAbsolute } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { KubeClient } from '@trellis/kube';
import { newKubeClient } from '@trellis/kube';
import type { Condition, KubeObject, Logger } from '@trellis/sdk';
import { nopLogger, objectKey, refOf, setConditions } from '@trellis/sdk';
import type { ControllerMachinery } from '../controller.ts';
import { isKubeConflict, isKubeNotFound } from '../errors.ts';
import { canonicalJson } from '../fields.ts';
import { kubeMachinery } from '../machinery.ts';
import type { ProcessStatus, Supervisor } from './supervisor.ts';
import { newSupervisor, ProcessState } from './supervisor.ts';

/** The ProviderRevision kind the host runs. */
export const providerRevisionType = { apiVersion: 'pkg.crossplane.io/v1', kind: 'ProviderRevision' } as const;

/**
 * The annotation naming a provider's Node entry point: an absolute path, a file URL, or a module
 * specifier the host can resolve (`@trellis/provider-http/bin`). Packages carry it in their
 * `crossplane.yaml` metadata; the package manager copies it onto the ProviderRevision.
 */
export const entryPointAnnotation = 'trellis.dev/node-entrypoint';

/** An EntryPoint is how to start one provider process. */
export interface EntryPoint {
  command: string;
  args: string[];
  env?: Record<string, string>;
}

/** An EntryPointResolver maps a ProviderRevision to the process that runs it, or undefined when it cannot. */
export type EntryPointResolver = (revision: KubeObject) => EntryPoint | undefined;

/** DefaultEntryPointResolver reads the `trellis.dev/node-entrypoint` annotation and runs it with this Node. */
export function defaultEntryPointResolver(revision: KubeObject): EntryPoint | undefined {
  const v = revision.metadata.annotations?.[entryPointAnnotation];
  if (v === undefined || v === '') return undefined;
  let path: string | undefined;
  if (isAbsolute(v)) path = v;
  else if (v.startsWith('file:')) path = fileURLToPath(v);
  else {
    try {
      path = fileURLToPath(import.meta.resolve(v));
    } catch {
      // An unresolvable specifier is reported as a missing entry point on the revision.
      return undefined;
    }
  }
  return existsSync(path) ? { command: process.execPath, args: [path] } : undefined;
}

/** RuntimeHealth conditions, as upstream's package runtime writes them on revisions. */
export function runtimeHealthy(): Condition {
  return { type: 'RuntimeHealthy', status: 'True', reason: 'HealthyPackageRevision' };
}
export function runtimeUnhealthy(message: string): Condition {
  return { type: 'RuntimeHealthy', status: 'False', reason: 'UnhealthyPackageRevision', message };
}
export function runtimeUnknownHealth(message: string): Condition {
  return { type: 'RuntimeHealthy', status: 'Unknown', reason: 'UnknownPackageRevisionHealth', message };
}

/** ProviderHostOptions configure the embedded provider host. */
export interface ProviderHostOptions {
  client: KubeClient;
  machinery: ControllerMachinery;
  /** KubeconfigPath is handed to each provider process (TRELLIS_KUBECONFIG). */
  kubeconfigPath: string;
  log?: Logger;
  resolveEntryPoint?: EntryPointResolver;
  /** Env is added to every provider process's environment. */
  env?: Record<string, string>;
  /** Backoff of restarts (defaults: 1 s doubling to 60 s; stable after 60 s). */
  restart?: { baseDelayMs?: number; maxDelayMs?: number; stableAfterMs?: number };
  /** StopGraceMs: how long a provider gets to stop after SIGTERM. */
  stopGraceMs?: number;
  signal: AbortSignal;
}

/** A ProviderHost runs the active provider revisions as child processes. */
export interface ProviderHost {
  /** Pids returns the process id of each running provider, by revision name. */
  pids(): Record<string, number>;
  /** Stop terminates every provider process. */
  stop(): Promise<void>;
}

/**
 * StartProviderHost runs each active ProviderRevision in its own child process (Node, with an IPC
 * channel on which the provider says it is ready), restarts a process that dies with exponential
 * backoff, stops the process of a revision that becomes inactive or is deleted, and reports health
 * on the revision as upstream's package runtime does: `RuntimeHealthy` True/False/Unknown with a
 * message saying why (the package manager derives the Provider's `Healthy` from it). Status is
 * written only when it changes.
 */
export async function startProviderHost(o: ProviderHostOptions): Promise<ProviderHost> {
  const log = (o.log ?? nopLogger).with({ controller: 'provider-host' });
  const resolve = o.resolveEntryPoint ?? defaultEntryPointResolver;
  const running = new Map<string, { sup: Supervisor; entry: string }>();
  const informer = o.machinery.informers.informerFor(providerRevisionType);

  const writeHealth = async (name: string, c: Condition): Promise<void> => {
    for (let attempt = 0; attempt < 5; attempt++) {
      const rev = await o.client.getIfExists(refOf({ ...providerRevisionType, metadata: { name } } as KubeObject));
      if (rev === undefined) return;
      const status = (rev.status ?? {}) as { conditions?: Condition[] };
      const before = canonicalJson(status.conditions ?? []);
      const conditions = setConditions(status.conditions ?? [], [
        { ...c, ...(rev.metadata.generation === undefined ? {} : { observedGeneration: rev.metadata.generation }) },
      ]);
      if (canonicalJson(conditions) === before) return;
      try {
        await o.client.updateStatus({ ...rev, status: { ...status, conditions } });
        return;
      } catch (err) {
        if (isKubeNotFound(err)) return;
        if (!isKubeConflict(err)) throw err;
      }
    }
  };

  const report = (name: string, s: ProcessStatus): void => {
    const c =
      s.state === ProcessState.Ready
        ? runtimeHealthy()
        : s.state === ProcessState.Backoff
          ? runtimeUnhealthy(s.message ?? 'the provider process is restarting')
          : s.state === ProcessState.Starting
            ? runtimeUnknownHealth('the provider process is starting')
            : undefined;
    if (c === undefined) return;
    writeHealth(name, c).catch((err: unknown) => log.info('cannot report provider health', { revision: name, error: err }));
  };

  const stopOne = async (name: string): Promise<void> => {
    const r = running.get(name);
    if (r === undefined) return;
    running.delete(name);
    await r.sup.stop();
  };

  const sync = (rev: KubeObject): void => {
    const name = rev.metadata.name ?? '';
    const active =
      (rev.spec as { desiredState?: string } | undefined)?.desiredState === 'Active' && rev.metadata.deletionTimestamp === undefined;
    if (!active) {
      stopOne(name).catch((err: unknown) => log.info('cannot stop provider', { revision: name, error: err }));
      return;
    }
    const entry = resolve(rev);
    if (entry === undefined) {
      writeHealth(name, runtimeUnhealthy(`no Node entry point: set the ${entryPointAnnotation} annotation in the package metadata`)).catch(
        (err: unknown) => log.info('cannot report provider health', { revision: name, error: err }),
      );
      return;
    }
    const key = JSON.stringify(entry);
    const cur = running.get(name);
    if (cur !== undefined && cur.entry === key) return;
    const start = (): void => {
      const sup = newSupervisor({
        spawn: (): ChildProcess =>
          spawn(entry.command, entry.args, {
            stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
            env: {
              ...process.env,
              ...(o.env ?? {}),
              ...(entry.env ?? {}),
              TRELLIS_KUBECONFIG: o.kubeconfigPath,
              TRELLIS_PROVIDER_REVISION: name,
            },
          }),
        onStatus: (s) => report(name, s),
        log: log.with({ revision: name }),
        ...(o.restart ?? {}),
        ...(o.stopGraceMs === undefined ? {} : { stopGraceMs: o.stopGraceMs }),
      });
      running.set(name, { sup, entry: key });
      sup.start();
    };
    if (cur === undefined) start();
    else stopOne(name).then(start, (err: unknown) => log.info('cannot restart provider', { revision: name, error: err }));
  };

  informer.addHandler({
    onAdd: sync,
    onUpdate: (_old, rev) => sync(rev),
    onDelete: (rev) => {
      stopOne(objectKey(rev)).catch((err: unknown) => log.info('cannot stop provider', { revision: objectKey(rev), error: err }));
    },
  });
  await informer.start();
  const host: ProviderHost = {
    pids: () => {
      const out: Record<string, number> = {};
      for (const [name, r] of running) {
        const pid = r.sup.pid();
        if (pid !== undefined) out[name] = pid;
      }
      return out;
    },
    stop: async () => {
      await Promise.all([...running.keys()].map((n) => stopOne(n)));
    },
  };
  o.signal.addEventListener('abort', () => {
    host.stop().catch((err: unknown) => log.info('cannot stop providers', { error: err }));
  });
  return host;
}

/**
 * StartEmbeddedProviderHost is startProviderHost for `trellis up`: it connects to the API server
 * of `kubeconfigPath` itself and hands the same kubeconfig to every provider process. The result
 * has `stop()`, which also closes its client.
 */
export async function startEmbeddedProviderHost(o: {
  kubeconfigPath: string;
  log?: Logger;
  signal: AbortSignal;
  resolveEntryPoint?: EntryPointResolver;
}): Promise<ProviderHost> {
  const client = await newKubeClient({
    kubeconfigPath: o.kubeconfigPath,
    userAgent: 'trellis-provider-host',
    ...(o.log === undefined ? {} : { log: o.log }),
  });
  const machinery = kubeMachinery(client, o.log === undefined ? {} : { log: o.log });
  const host = await startProviderHost({
    client,
    machinery,
    kubeconfigPath: o.kubeconfigPath,
    signal: o.signal,
    ...(o.log === undefined ? {} : { log: o.log }),
    ...(o.resolveEntryPoint === undefined ? {} : { resolveEntryPoint: o.resolveEntryPoint }),
  });
  return {
    pids: () => host.pids(),
    stop: async () => {
      await host.stop();
      machinery.informers.stopAll();
      client.close();
    },
  };
}
