// Leader election in `trellis up --kubeconfig --leader-election`: two real CLI processes against one
// real API server (a private control plane: the controllers of `trellis up` see every XRD on their
// API server, so they must not share the suites' one). One leads and reconciles, the other stands
// by; after kill -9 of the leader, the other takes the Lease over and reconciles a new claim.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { type KubeClient, newKubeClient } from '@trellis/kube';
import type { KubeObject } from '@trellis/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RealControlPlane, startRealControlPlane } from '../harness/control-plane.ts';

const root = resolve(import.meta.dirname, '../..');
const trellisBin = join(root, 'packages/cli/bin/trellis.js');
const GROUP = 'leader.trellis.test';
const lease = { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', namespace: 'kube-system', name: 'trellis-controllers' };

interface UpProcess {
  pid: number;
  stderr(): string;
  output(): string;
  /** Exited resolves with the exit code (or signal) once the process is gone. */
  exited: Promise<number | string | null>;
  child: ChildProcess;
}

function startUp(kubeconfigPath: string, dataDir: string): UpProcess {
  const child = spawn(process.execPath, [trellisBin, 'up', '--kubeconfig', kubeconfigPath, '--data-dir', dataDir, '--leader-election'], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d: Buffer) => {
    stdout += d.toString('utf8');
  });
  child.stderr?.on('data', (d: Buffer) => {
    stderr += d.toString('utf8');
  });
  const exited = new Promise<number | string | null>((r) => child.once('exit', (code, sig) => r(code ?? sig)));
  if (child.pid === undefined) throw new Error('cannot spawn trellis up');
  return {
    pid: child.pid,
    child,
    exited,
    stderr: () => stderr,
    output: () => `--- pid ${child.pid} stdout\n${stdout}\n--- stderr (last 3000 characters)\n${stderr.slice(-3000)}`,
  };
}

/** WaitFor polls `check` until it returns a value, or fails after `ms` with `what` and the processes' output. */
async function waitFor<T>(what: string, ms: number, check: () => Promise<T | undefined>, procs: UpProcess[]): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await check().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${ms / 1000}s\n${procs.map((p) => p.output()).join('\n')}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

const holderOf = async (client: KubeClient): Promise<string | undefined> => {
  const l = await client.getIfExists<KubeObject & { spec?: { holderIdentity?: string } }>(lease);
  const h = l?.spec?.holderIdentity;
  return h === undefined || h === '' ? undefined : h;
};

/** PidOf reads the pid out of an identity `host_pid_random`. */
const pidOf = (identity: string): number => Number(identity.split('_').at(-2));

/** Served asks discovery afresh whether a kind is served. */
const served = async (client: KubeClient, type: { apiVersion: string; kind: string }): Promise<true | undefined> => {
  client.invalidateDiscovery();
  await client.resourceFor(type);
  return true;
};

function isReady(o: KubeObject | undefined): boolean {
  const cs = (o?.status as { conditions?: { type: string; status: string }[] } | undefined)?.conditions ?? [];
  return cs.some((c) => c.type === 'Ready' && c.status === 'True');
}

const xrd: KubeObject = {
  apiVersion: 'apiextensions.crossplane.io/v1',
  kind: 'CompositeResourceDefinition',
  metadata: { name: `xnotes.${GROUP}` },
  spec: {
    group: GROUP,
    names: { kind: 'XNote', plural: 'xnotes' },
    claimNames: { kind: 'Note', plural: 'notes' },
    versions: [
      {
        name: 'v1',
        served: true,
        referenceable: true,
        schema: { openAPIV3Schema: { type: 'object', properties: { spec: { type: 'object', properties: { text: { type: 'string' } } } } } },
      },
    ],
  },
};

const composition: KubeObject = {
  apiVersion: 'apiextensions.crossplane.io/v1',
  kind: 'Composition',
  metadata: { name: 'notes' },
  spec: {
    compositeTypeRef: { apiVersion: `${GROUP}/v1`, kind: 'XNote' },
    mode: 'Pipeline',
    pipeline: [
      {
        step: 'pt',
        functionRef: { name: 'function-patch-and-transform' },
        input: {
          apiVersion: 'pt.fn.crossplane.io/v1beta1',
          kind: 'Resources',
          resources: [
            {
              name: 'note',
              base: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { namespace: 'default' }, data: {} },
              patches: [
                { type: 'FromCompositeFieldPath', fromFieldPath: 'spec.claimRef.namespace', toFieldPath: 'metadata.namespace' },
                { type: 'FromCompositeFieldPath', fromFieldPath: 'spec.text', toFieldPath: 'data.text' },
              ],
              readinessChecks: [{ type: 'NonEmpty', fieldPath: 'data.text' }],
            },
          ],
        },
      },
    ],
  },
};

const note = (name: string): KubeObject => ({
  apiVersion: `${GROUP}/v1`,
  kind: 'Note',
  metadata: { name, namespace: 'default' },
  spec: { text: name },
});

describe('trellis up --kubeconfig --leader-election (two processes, real API server)', () => {
  let kcp: RealControlPlane | undefined;
  let client: KubeClient;
  const procs: UpProcess[] = [];
  const dirs: string[] = [];

  beforeAll(async () => {
    kcp = await startRealControlPlane();
    client = await newKubeClient({ kubeconfigPath: kcp.kubeconfigPath, userAgent: 'trellis-test' });
  }, 120_000);

  afterAll(async () => {
    for (const p of procs) {
      if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
      await p.exited;
    }
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
    (client as (KubeClient & { close?: () => void }) | undefined)?.close?.();
    await kcp?.stop();
  }, 60_000);

  const up = (): UpProcess => {
    const dir = mkdtempSync(join(tmpdir(), 'trellis-leader-'));
    dirs.push(dir);
    const p = startUp(kcp?.kubeconfigPath ?? '', dir);
    procs.push(p);
    return p;
  };

  it('one process leads, the other stands by; after kill -9 of the leader the other takes over and reconciles', async () => {
    const a = up();
    const first = await waitFor('a leader holds the Lease', 120_000, () => holderOf(client), [a]);
    expect(pidOf(first)).toBe(a.pid);
    const b = up();
    await waitFor('the second process stands by', 120_000, async () => (b.stderr().includes('standing by') ? true : undefined), [a, b]);
    expect(b.stderr()).toContain(first);

    // The leader's engine serves the XRD and reconciles a claim.
    await waitFor('the leader installed the apiextensions CRDs', 120_000, () => served(client, xrd), [a, b]);
    await client.create(xrd);
    await waitFor('the XRD offers its claim', 120_000, () => served(client, { apiVersion: `${GROUP}/v1`, kind: 'Note' }), [a, b]);
    await client.create(composition);
    await client.create(note('before'));
    await waitFor(
      'claim "before" Ready (reconciled by the leader)',
      120_000,
      async () =>
        isReady(await client.getIfExists({ apiVersion: `${GROUP}/v1`, kind: 'Note', namespace: 'default', name: 'before' }))
          ? true
          : undefined,
      [a, b],
    );
    expect(await holderOf(client)).toBe(first);

    // kill -9 the leader: no release; the standby takes over once the Lease expires (15 s).
    a.child.kill('SIGKILL');
    expect(await a.exited).toBe('SIGKILL');
    await client.create(note('after'));
    const next = await waitFor(
      'the standby holds the Lease',
      90_000,
      async () => {
        const h = await holderOf(client);
        return h !== undefined && h !== first ? h : undefined;
      },
      [b],
    );
    expect(pidOf(next)).toBe(b.pid);
    await waitFor(
      'claim "after" Ready (reconciled by the new leader)',
      120_000,
      async () =>
        isReady(await client.getIfExists({ apiVersion: `${GROUP}/v1`, kind: 'Note', namespace: 'default', name: 'after' }))
          ? true
          : undefined,
      [b],
    );
    expect(b.stderr()).toContain('leading (lease kube-system/trellis-controllers');

    // Stopping the leader releases the Lease at once (no wait for expiry).
    b.child.kill('SIGINT');
    expect(await b.exited).toBe(0);
    const released = await client.getIfExists<KubeObject & { spec?: { holderIdentity?: string } }>(lease);
    expect(released?.spec?.holderIdentity ?? '').toBe('');
  }, 480_000);
});
