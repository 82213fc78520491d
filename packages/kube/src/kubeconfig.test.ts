import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { kubeconfigSource, readStatic } from './kubeconfig.ts';

const dir = mkdtempSync(join(tmpdir(), 'trellis-kubeconfig-unit-'));
writeFileSync(join(dir, 'token'), 'file-token\n');
writeFileSync(join(dir, 'ca.crt'), 'CA PEM');
const b64 = (s: string): string => Buffer.from(s).toString('base64');

/** Config builds a one-context kubeconfig with the given cluster and user entries. */
function config(cluster: Record<string, unknown>, user: Record<string, unknown>): string {
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'c', cluster: { server: 'https://127.0.0.1:6443', ...cluster } }],
    users: [{ name: 'u', user }],
    contexts: [
      { name: 'x', context: { cluster: 'c', user: 'u' } },
      { name: 'other', context: { cluster: 'c', user: 'nobody' } },
    ],
    'current-context': 'x',
  });
}

const read = (text: string, context?: string) => readStatic({ text, dir, source: 'kc.yaml' }, context);

describe('static kubeconfigs are read without client-node', () => {
  const cases: Record<
    string,
    { reason: string; cluster?: Record<string, unknown>; user?: Record<string, unknown>; want: Record<string, unknown> }
  > = {
    Token: { reason: 'a bearer token', user: { token: 't0k' }, want: { token: 't0k', skipTLSVerify: false } },
    TokenFile: { reason: 'a token file, relative to the kubeconfig, trimmed', user: { tokenFile: 'token' }, want: { token: 'file-token' } },
    CaData: { reason: 'CA data is base64', cluster: { 'certificate-authority-data': b64('PEM') }, want: { ca: Buffer.from('PEM') } },
    CaFile: {
      reason: 'a CA file relative to the kubeconfig',
      cluster: { 'certificate-authority': 'ca.crt' },
      want: { ca: Buffer.from('CA PEM') },
    },
    ClientCert: {
      reason: 'a client certificate and key',
      user: { 'client-certificate-data': b64('CERT'), 'client-key-data': b64('KEY') },
      want: { cert: Buffer.from('CERT'), key: Buffer.from('KEY') },
    },
    Basic: { reason: 'user name and password', user: { username: 'admin', password: 'pw' }, want: { basicAuth: 'admin:pw' } },
    Insecure: {
      reason: 'insecure-skip-tls-verify and tls-server-name',
      cluster: { 'insecure-skip-tls-verify': true, 'tls-server-name': 'kubernetes' },
      want: { skipTLSVerify: true, tlsServerName: 'kubernetes' },
    },
  };
  for (const [name, c] of Object.entries(cases)) {
    it(`${name}: ${c.reason}`, () =>
      expect(read(config(c.cluster ?? {}, c.user ?? {}))).toMatchObject({ server: 'https://127.0.0.1:6443', ...c.want }));
  }

  it('a context given by name wins over current-context (a missing user means no credentials)', () => {
    const t = read(config({}, { token: 'x' }), 'other');
    expect(t?.token).toBeUndefined();
  });
});

describe('what only client-node can do is left to it', () => {
  const cases: Record<string, { reason: string; cluster?: Record<string, unknown>; user?: Record<string, unknown> }> = {
    Exec: { reason: 'exec credential plugins', user: { exec: { command: 'aws', apiVersion: 'client.authentication.k8s.io/v1' } } },
    AuthProvider: { reason: 'auth providers', user: { 'auth-provider': { name: 'oidc' } } },
    Impersonation: { reason: 'impersonation', user: { token: 't', as: 'someone' } },
    Proxy: { reason: 'proxies', cluster: { 'proxy-url': 'http://proxy:3128' } },
  };
  for (const [name, c] of Object.entries(cases)) {
    it(`${name}: ${c.reason}`, () => expect(read(config(c.cluster ?? {}, c.user ?? {}))).toBeUndefined());
  }

  it('a KUBECONFIG list of files to merge, and a loaded KubeConfig object', () => {
    const saved = process.env.KUBECONFIG;
    process.env.KUBECONFIG = `${join(dir, 'a')}:${join(dir, 'b')}`;
    try {
      expect(kubeconfigSource({})).toBeUndefined();
    } finally {
      if (saved === undefined) delete process.env.KUBECONFIG;
      else process.env.KUBECONFIG = saved;
    }
    expect(kubeconfigSource({ kubeConfig: {} })).toBeUndefined();
  });
});

describe('bad kubeconfigs are KUBE_CONFIG_INVALID naming the source and the problem', () => {
  const cases: Record<string, { reason: string; text: string; message: RegExp }> = {
    NotYaml: { reason: 'unparsable YAML', text: '{{{{', message: /kc\.yaml/ },
    Scalar: { reason: 'not an object', text: '42', message: /expected a kubeconfig object/ },
    NoContext: { reason: 'no current-context', text: 'apiVersion: v1\nkind: Config\n', message: /no current-context/ },
    UnknownContext: { reason: 'a current-context that is not listed', text: 'current-context: x\n', message: /no context named "x"/ },
    NoCluster: {
      reason: 'a context naming a missing cluster',
      text: 'current-context: x\ncontexts: [{name: x, context: {cluster: gone, user: u}}]\n',
      message: /no cluster for current-context "x"/,
    },
    BadServer: {
      reason: 'a server that is not a URL',
      text: config({ server: '::nope' }, {}),
      message: /cluster "c" has an invalid server URL/,
    },
    Scheme: { reason: 'a scheme other than http(s)', text: config({ server: 'ftp://x' }, {}), message: /unsupported scheme "ftp:"/ },
    BadBase64: {
      reason: 'CA data that is not base64',
      text: config({ 'certificate-authority-data': '%%%' }, {}),
      message: /certificate-authority-data is not base64/,
    },
    MissingFile: {
      reason: 'a CA file that does not exist',
      text: config({ 'certificate-authority': 'nope.crt' }, {}),
      message: /cannot read certificate-authority .*nope\.crt/,
    },
    HalfCert: {
      reason: 'a certificate without its key',
      text: config({}, { 'client-certificate-data': b64('C') }),
      message: /without its key/,
    },
  };
  for (const [name, c] of Object.entries(cases)) {
    it(`${name}: ${c.reason}`, () => {
      expect(() => read(c.text)).toThrow(c.message);
      try {
        read(c.text);
      } catch (err) {
        expect(err).toMatchObject({ code: 'KUBE_CONFIG_INVALID' });
        expect(String((err as Error).message)).toContain('cannot load kubeconfig from kc.yaml');
      }
    });
  }
});
