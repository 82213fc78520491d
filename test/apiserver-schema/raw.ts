// A raw HTTPS client for the differential tests: it sends exact bodies and returns the status code
// and the decoded body, so Status causes can be compared field by field with the library's.
import { readFileSync } from 'node:fs';
import { request } from 'node:https';
import { dirname, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';

export interface RawResponse {
  status: number;
  body: Record<string, unknown>;
  warnings: string[];
}

export interface RawClient {
  request(method: string, path: string, body?: unknown, contentType?: string): Promise<RawResponse>;
}

interface Kubeconfig {
  clusters: { name: string; cluster: { server: string; 'certificate-authority'?: string; 'certificate-authority-data'?: string } }[];
  users: { name: string; user: { token?: string } }[];
}

/** RawClientFor reads a kubeconfig (bearer token, CA file or data) and returns a raw client. */
export function rawClientFor(kubeconfigPath: string): RawClient {
  const kc = parseYaml(readFileSync(kubeconfigPath, 'utf8')) as Kubeconfig;
  const cluster = kc.clusters[0]?.cluster;
  const token = kc.users[0]?.user.token;
  if (cluster === undefined || token === undefined) throw new Error(`kubeconfig ${kubeconfigPath} has no cluster or token`);
  const caFile = cluster['certificate-authority'];
  const ca =
    caFile !== undefined
      ? readFileSync(resolve(dirname(kubeconfigPath), caFile))
      : Buffer.from(cluster['certificate-authority-data'] ?? '', 'base64');
  const base = new URL(cluster.server);
  return {
    request(method, path, body, contentType = 'application/json') {
      const payload = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
      return new Promise((resolvePromise, reject) => {
        const req = request(
          {
            host: base.hostname,
            port: base.port,
            method,
            path,
            ca,
            headers: {
              Authorization: `Bearer ${token}`,
              Accept: 'application/json',
              ...(payload === undefined ? {} : { 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(payload) }),
            },
          },
          (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (c: Buffer) => chunks.push(c));
            res.on('end', () => {
              const text = Buffer.concat(chunks).toString('utf8');
              let parsed: Record<string, unknown> = {};
              try {
                parsed = text === '' ? {} : (JSON.parse(text) as Record<string, unknown>);
              } catch {
                parsed = { raw: text };
              }
              const w = res.headers.warning;
              const warnings = (Array.isArray(w) ? w : w === undefined ? [] : [w]).map((x) => x.replace(/^299 - "(.*)"$/, '$1'));
              resolvePromise({ status: res.statusCode ?? 0, body: parsed, warnings });
            });
          },
        );
        req.on('error', reject);
        if (payload !== undefined) req.write(payload);
        req.end();
      });
    },
  };
}
