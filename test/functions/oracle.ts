/**
 * Client for the Go oracle helper (test/infra/crossplane/oracle, built into the cache by
 * test/infra/crossplane/build.sh): Go fmt.Sprintf and text/template+sprig answers for the
 * differential tests of our TypeScript re-implementations.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

export const cacheRoot = process.env.TRELLIS_CACHE ?? join(homedir(), '.cache', 'trellis');
export const upstreamBin = join(cacheRoot, 'crossplane-v2.3.4', 'bin');

/**
 * RequireBinary returns the path of a binary the project's build scripts put into the cache, or
 * throws an error that says what is missing and how to build it (under CI and locally alike: a
 * missing real part is a failure, never a silent skip).
 */
export function requireBinary(name: string): string {
  const p = join(upstreamBin, name);
  if (!existsSync(p)) {
    const msg = `MISSING REAL PART: ${p} does not exist; run \`bash test/infra/crossplane/build.sh\` (or \`npm test\`, which runs it)`;
    console.error(msg);
    throw new Error(msg);
  }
  return p;
}

export type GoTyped =
  | { t: 'string' | 'bytes'; v: string }
  | { t: 'int' | 'int64'; v: string }
  | { t: 'float64'; v: number }
  | { t: 'bool'; v: boolean }
  | { t: 'nil' }
  | { t: 'json'; v: unknown };

export type OracleRequest =
  | { op: 'sprintf'; format: string | null; args: GoTyped[] }
  | { op: 'template'; template: string; data: unknown; delims?: [string, string] };

export interface OracleAnswer {
  out: string;
  err?: string;
}

/** AskOracle sends a batch of requests to one oracle process and returns the answers in order. */
export async function askOracle(reqs: OracleRequest[]): Promise<OracleAnswer[]> {
  const bin = requireBinary('trellis-go-oracle');
  const child = spawn(bin, [], { stdio: ['pipe', 'pipe', 'inherit'] });
  const chunks: Buffer[] = [];
  child.stdout.on('data', (c: Buffer) => chunks.push(c));
  const done = new Promise<void>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`oracle exited ${code}`))));
  });
  child.stdin.end(`${reqs.map((r) => JSON.stringify(r)).join('\n')}\n`);
  await done;
  const lines = Buffer.concat(chunks)
    .toString('utf8')
    .split('\n')
    .filter((l) => l !== '');
  if (lines.length !== reqs.length) throw new Error(`oracle answered ${lines.length} of ${reqs.length} requests`);
  return lines.map((l) => JSON.parse(l) as OracleAnswer);
}
