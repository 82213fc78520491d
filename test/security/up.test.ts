/**
 * `trellis up` as a user runs it (a child process, `--debug`), checked for two promises:
 *
 * - The API server is safe by default: HTTPS only (plain HTTP gets no API answer), every API
 *   request needs the bearer token (a missing or wrong one is a 401 Status), the kubeconfig it
 *   writes works with real kubectl, and the token, key and kubeconfig are readable by the owner only.
 * - Secret values never leak: a unique canary value travels through a composed Secret and the
 *   claim's connection Secret (and into an API error for a malformed one), and appears nowhere
 *   else: not in the debug logs of the whole control plane (API server, engine, package manager,
 *   provider host), not in Events, not in claim/XR status, not in any `trellis trace` format,
 *   not in CLI error messages. It is readable where it belongs (the Secrets themselves).
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { type KubeClient, newKubeClient } from '@trellis/kube';
import type { KubeObject } from '@trellis/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadKubeconfig } from '../apiserver/raw.ts';
import { trellis } from '../cli/cli.ts';
import { kubectls, requireBinary } from '../clients/clients.ts';
import { isCurrentTrue, waitForObject } from '../engine/support/objects.ts';

const root = resolve(import.meta.dirname, '../..');
const bin = join(root, 'packages/cli/bin/trellis.js');
const run = promisify(execFile);
/** Kubectl is the newest kubectl test/infra/clients/prepare.sh installs (a missing one fails loudly). */
const kubectl = kubectls[0] as (typeof kubectls)[number];

const canary = `trellis-canary-${randomUUID()}`;
const b64 = (s: string): string => Buffer.from(s).toString('base64');
/** Every form the canary could take on its way: plain, base64, base64 of base64. */
const forms = [canary, b64(canary), b64(b64(canary))];

function expectNoCanary(what: string, text: string): void {
  for (const f of forms) {
    const at = text.indexOf(f);
    expect(at, `${what} holds the secret value: ...${text.slice(Math.max(0, at - 200), at + f.length + 50)}...`).toBe(-1);
  }
}

let dir: string;
let child: ChildProcess;
let logs = '';
let kubeconfigPath = '';
let client: KubeClient & { close(): void };
const ns = 'canary-ns';
const group = 'security.trellis.test';

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'trellis-security-up-'));
  child = spawn(process.execPath, [bin, 'up', '--debug', '--data-dir', join(dir, 'data'), '--port', '0'], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, CI: '' },
  });
  child.stdout?.on('data', (d: Buffer) => {
    logs += d.toString();
  });
  child.stderr?.on('data', (d: Buffer) => {
    logs += d.toString();
  });
  const deadline = Date.now() + 150_000;
  for (;;) {
    const m = /trellis is up: KUBECONFIG=(\S+)/.exec(logs);
    if (m?.[1] !== undefined) {
      kubeconfigPath = m[1];
      break;
    }
    if (child.exitCode !== null) throw new Error(`trellis up exited with ${child.exitCode}:\n${logs.slice(-3000)}`);
    if (Date.now() > deadline) throw new Error(`trellis up did not get ready in 150 s:\n${logs.slice(-3000)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  client = await newKubeClient({ kubeconfigPath, userAgent: 'security-test' });
}, 180_000);

afterAll(async () => {
  client?.close();
  if (child !== undefined && child.exitCode === null) {
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGINT');
    await exited;
  }
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
}, 60_000);

interface Answer {
  status: number;
  body: string;
}

function get(url: string, opts: { ca?: string; token?: string }): Promise<Answer> {
  const u = new URL(url);
  const req = u.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((res, rej) => {
    const r = req(
      url,
      {
        method: 'GET',
        ...(opts.ca === undefined ? {} : { ca: opts.ca }),
        headers: opts.token === undefined ? {} : { authorization: `Bearer ${opts.token}` },
        timeout: 10_000,
      },
      (resp) => {
        let body = '';
        resp.on('data', (d: Buffer) => {
          body += d.toString();
        });
        resp.on('end', () => res({ status: resp.statusCode ?? 0, body }));
        resp.on('error', rej);
      },
    );
    r.on('timeout', () => r.destroy(new Error('timed out')));
    r.on('error', rej);
    r.end();
  });
}

describe('trellis up: TLS and authentication are on by default', () => {
  it('writes a kubeconfig for https://127.0.0.1 with a CA and a token, and real kubectl works with it', async () => {
    const t = loadKubeconfig(kubeconfigPath);
    expect(t.server).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    expect(t.ca).toContain('BEGIN CERTIFICATE');
    expect(t.token.length).toBeGreaterThanOrEqual(32);
    requireBinary(kubectl);
    const { stdout } = await run(kubectl.path, ['--kubeconfig', kubeconfigPath, 'get', 'namespaces', '-o', 'name']);
    expect(stdout).toContain('namespace/default');
  });

  it('answers API requests without a token, or with a wrong one, with a 401 Status', async () => {
    const t = loadKubeconfig(kubeconfigPath);
    const url = `${t.server}/api/v1/namespaces/default/secrets`;
    const ca = t.ca as string;
    for (const token of [undefined, 'wrong', `${t.token}x`, t.token.slice(0, -1), '']) {
      const a = await get(url, { ca, ...(token === undefined ? {} : { token }) });
      expect(a.status, `token ${JSON.stringify(token)}: ${a.body}`).toBe(401);
      expect(JSON.parse(a.body)).toMatchObject({ kind: 'Status', status: 'Failure', reason: 'Unauthorized', code: 401 });
    }
    expect((await get(url, { ca, token: t.token })).status).toBe(200);
    const { stdout, stderr } = await run(
      kubectl.path,
      ['--server', t.server, '--insecure-skip-tls-verify', '--token', 'wrong', 'get', 'secrets'],
      {
        env: { ...process.env, KUBECONFIG: '/dev/null' },
      },
    ).catch((e: { stdout: string; stderr: string }) => e);
    expect(stdout).toBe('');
    expect(stderr).toMatch(/Unauthorized|must be logged in/);
  });

  it('refuses plain HTTP on its port: no API answer', async () => {
    const t = loadKubeconfig(kubeconfigPath);
    const plain = t.server.replace(/^https:/, 'http:');
    const outcome = await get(`${plain}/api/v1/namespaces`, { token: t.token }).then(
      (a) => a,
      (e: Error) => e,
    );
    if (outcome instanceof Error) return; // the connection is closed: nothing was served
    // A server may answer a plain request with a 400 ("client sent an HTTP request to an HTTPS server").
    expect(outcome.status, outcome.body).toBe(400);
    expect(outcome.body).not.toContain('NamespaceList');
  });

  it('presents a certificate that only its own CA validates', async () => {
    const t = loadKubeconfig(kubeconfigPath);
    await expect(get(`${t.server}/version`, {})).rejects.toThrow(/self.signed|unable to verify|certificate/i);
  });

  it('keeps the token, private keys and kubeconfig readable by the owner only', () => {
    const data = dirname(kubeconfigPath);
    const files = [kubeconfigPath, ...secretFilesUnder(data)];
    expect(files.length).toBeGreaterThan(1);
    for (const f of files) expect((statSync(f).mode & 0o077).toString(8), `${f} is readable by others`).toBe('0');
  });
});

function secretFilesUnder(d: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(d, { withFileTypes: true, recursive: true })) {
    const p = join(e.parentPath, e.name);
    if (e.isFile() && /token|\.key$|key\.pem$/i.test(e.name)) out.push(p);
  }
  return out;
}

const xrd = (kind: string, plural: string, claimKind: string, claimPlural: string): KubeObject => ({
  apiVersion: 'apiextensions.crossplane.io/v1',
  kind: 'CompositeResourceDefinition',
  metadata: { name: `${plural}.${group}` },
  spec: {
    group,
    names: { kind, plural },
    claimNames: { kind: claimKind, plural: claimPlural },
    connectionSecretKeys: ['password'],
    versions: [
      {
        name: 'v1',
        served: true,
        referenceable: true,
        schema: { openAPIV3Schema: { type: 'object', properties: { spec: { type: 'object', properties: { size: { type: 'string' } } } } } },
      },
    ],
  },
});

/** A Composition composing one Secret holding `password` and publishing it as a connection detail. */
const composition = (kind: string, password: string): KubeObject => ({
  apiVersion: 'apiextensions.crossplane.io/v1',
  kind: 'Composition',
  metadata: { name: `${kind.toLowerCase()}-secrets` },
  spec: {
    compositeTypeRef: { apiVersion: `${group}/v1`, kind },
    writeConnectionSecretsToNamespace: ns,
    mode: 'Pipeline',
    pipeline: [
      {
        step: 'compose',
        functionRef: { name: 'function-patch-and-transform' },
        input: {
          apiVersion: 'pt.fn.crossplane.io/v1beta1',
          kind: 'Resources',
          resources: [
            {
              name: 'credentials',
              base: { apiVersion: 'v1', kind: 'Secret', metadata: { namespace: ns }, data: { password } },
              patches: [{ type: 'FromCompositeFieldPath', fromFieldPath: 'spec.size', toFieldPath: 'metadata.labels.size' }],
              connectionDetails: [{ name: 'password', type: 'FromFieldPath', fromFieldPath: 'data.password' }],
              readinessChecks: [{ type: 'None' }],
            },
          ],
        },
      },
    ],
  },
});

describe('trellis up: a secret value stays in its Secrets', () => {
  const kc = (): string[] => ['--kubeconfig', kubeconfigPath];
  let goodXr = '';

  beforeAll(async () => {
    await client.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
    await client.create({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'user-supplied', namespace: ns },
      stringData: { token: canary },
    });
    for (const [kind, plural, claimKind, claimPlural, password] of [
      ['XVault', 'xvaults', 'Vault', 'vaults', b64(canary)],
      // Not base64: the API server refuses the composed Secret, and the error travels to the claim.
      ['XLeaky', 'xleakies', 'Leaky', 'leakies', `${canary}!`],
    ] as const) {
      await client.create(xrd(kind, plural, claimKind, claimPlural));
      await client.create(composition(kind, password));
      await waitForObject(
        client,
        { apiVersion: 'apiextensions.crossplane.io/v1', kind: 'CompositeResourceDefinition', name: `${plural}.${group}` },
        `XRD ${plural} offered`,
        (o) => isCurrentTrue(o, 'Offered'),
        90_000,
      );
    }
    client.invalidateDiscovery();
    for (const [kind, name] of [
      ['Vault', 'good'],
      ['Leaky', 'bad'],
    ] as const) {
      await client.create({
        apiVersion: `${group}/v1`,
        kind,
        metadata: { name, namespace: ns },
        spec: { size: 'small', writeConnectionSecretToRef: { name: `${name}-conn` } },
      });
    }
    const good = await waitForObject(
      client,
      { apiVersion: `${group}/v1`, kind: 'Vault', namespace: ns, name: 'good' },
      'claim good Ready',
      (o) => isCurrentTrue(o, 'Ready'),
      90_000,
    );
    goodXr = (good?.spec as { resourceRef?: { name: string } } | undefined)?.resourceRef?.name ?? '';
    await waitForObject(
      client,
      { apiVersion: 'v1', kind: 'Secret', namespace: ns, name: 'good-conn' },
      'the claim connection Secret',
      (o) => o !== undefined,
      60_000,
    );
    await waitForObject(
      client,
      { apiVersion: `${group}/v1`, kind: 'Leaky', namespace: ns, name: 'bad' },
      'claim bad failing',
      (o) =>
        (o?.status as { conditions?: { type: string; status: string; message?: string }[] } | undefined)?.conditions?.some(
          (c) => c.type === 'Synced' && c.status === 'False',
        ) === true,
      90_000,
    );
  }, 300_000);

  it('delivers the value where it belongs: the composed Secret and the claim connection Secret (the positive control)', async () => {
    const conn = await client.get({ apiVersion: 'v1', kind: 'Secret', namespace: ns, name: 'good-conn' });
    const data = (conn as KubeObject & { data?: Record<string, string> }).data ?? {};
    expect(Object.keys(data)).toEqual(['password']);
    expect(forms).toContain(data.password);
  });

  it('keeps it out of the status of claims and XRs, also when the API server refused the composed Secret', async () => {
    const objs = [
      ...(await client.list({ apiVersion: `${group}/v1`, kind: 'Vault' }, { namespace: ns })).items,
      ...(await client.list({ apiVersion: `${group}/v1`, kind: 'Leaky' }, { namespace: ns })).items,
      ...(await client.list({ apiVersion: `${group}/v1`, kind: 'XVault' })).items,
      ...(await client.list({ apiVersion: `${group}/v1`, kind: 'XLeaky' })).items,
    ];
    expect(objs).toHaveLength(4);
    const bad = objs.find((o) => o.kind === 'Leaky');
    // The refusal itself reaches the claim (so the check below is about a real error message).
    expect(JSON.stringify(bad?.status)).toMatch(/credentials|Secret/);
    for (const o of objs) expectNoCanary(`${o.kind}/${o.metadata.name} status`, JSON.stringify(o.status ?? {}));
  });

  it('keeps it out of Events (core and events.k8s.io)', async () => {
    const core = await client.listAll({ apiVersion: 'v1', kind: 'Event' });
    const modern = await client.listAll({ apiVersion: 'events.k8s.io/v1', kind: 'Event' });
    expect(core.items.length).toBeGreaterThan(0);
    expectNoCanary('Events', JSON.stringify([core.items, modern.items]));
  });

  it('keeps it out of every trace format, connection Secrets shown or not', async () => {
    for (const target of [
      ['vault/good', '-n', ns],
      ['leaky/bad', '-n', ns],
      [`xvaults.${group}`, goodXr],
    ]) {
      for (const format of ['text', 'wide', 'json', 'yaml', 'dot']) {
        for (const show of [[], ['-s']]) {
          const r = await trellis(['trace', ...target, '-o', format, ...show, ...kc()]);
          expect(r.code, `trace ${target.join(' ')} -o ${format}: ${r.err}`).toBe(0);
          expectNoCanary(`trace ${target.join(' ')} -o ${format} ${show.join(' ')}`, r.out + r.err);
        }
      }
    }
    const secret = await trellis(['trace', 'secret/good-conn', '-n', ns, '-o', 'yaml', ...kc()]);
    expectNoCanary('trace of the connection Secret itself', secret.out + secret.err);
  });

  it('keeps it out of the debug logs of the whole control plane (API server, engine, package manager, provider host)', () => {
    // The logs are real debug logs that saw these objects (so their silence means something).
    expect(logs).toMatch(/debug|DEBUG|"level":"debug"/);
    expect(logs).toContain('good');
    expectNoCanary('trellis up --debug output', logs);
  });
});
