/**
 * Client for trellis-render-oracle (test/render/oracle, built into the cache by
 * test/render/oracle/build.sh via test/infra/render-oracle/prepare.sh): upstream Crossplane's own
 * Go packages answer how sigs.k8s.io/yaml marshals, what a Composition's revision hash is, which
 * CRDs an XRD generates and what a request's tag is.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

// biome-ignore lint/suspicious/noUndeclaredEnvVars: TRELLIS_CACHE is the project's documented cache override
export const cacheRoot = process.env.TRELLIS_CACHE ?? join(homedir(), '.cache', 'trellis');
export const upstreamBin = join(cacheRoot, 'crossplane-v2.3.4', 'bin');
const oracleBin = join(cacheRoot, 'render-oracle', 'bin', 'trellis-render-oracle');

/**
 * RequirePart returns the path of a binary the project's scripts put into the cache, or throws an
 * error that names what is missing and how to build it: a missing real part is a failure, never a
 * silent skip.
 */
export function requirePart(path: string, how: string): string {
  if (!existsSync(path)) {
    const msg = `MISSING REAL PART: ${path} does not exist; run \`${how}\` (or \`npm test\`, which runs it)`;
    console.error(msg);
    throw new Error(msg);
  }
  return path;
}

export function upstream(name: string): string {
  return requirePart(join(upstreamBin, name), 'bash test/infra/crossplane/build.sh');
}

export type OracleRequest = { op: 'yaml' | 'hash' | 'xcrd' | 'tag'; json: unknown };

export interface OracleAnswer {
  out?: string;
  name?: string;
  xr?: unknown;
  claim?: unknown;
  err?: string;
}

/** AskOracle sends a batch of requests to one oracle process and returns the answers in order. */
export async function askOracle(reqs: OracleRequest[]): Promise<OracleAnswer[]> {
  const bin = requirePart(oracleBin, 'bash test/render/oracle/build.sh');
  const child = spawn(bin, [], { stdio: ['pipe', 'pipe', 'inherit'] });
  const chunks: Buffer[] = [];
  child.stdout.on('data', (c: Buffer) => chunks.push(c));
  const done = new Promise<void>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`render oracle exited ${code}`))));
  });
  child.stdin.end(`${reqs.map((r) => JSON.stringify(r)).join('\n')}\n`);
  await done;
  const lines = Buffer.concat(chunks)
    .toString('utf8')
    .split('\n')
    .filter((l) => l !== '');
  if (lines.length !== reqs.length) throw new Error(`render oracle answered ${lines.length} of ${reqs.length} requests`);
  return lines.map((l) => JSON.parse(l) as OracleAnswer);
}
