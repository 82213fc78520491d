// Runs the real kubectl and helm binaries (installed by test/infra/clients/prepare.sh into
// ~/.cache/trellis/clients/) against an API-server target, each command with its own caches.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';

const envVar = (name: string): string | undefined => process.env[name];

/** ClientsDir is where prepare.sh installs the client binaries. */
export function clientsDir(): string {
  return join(envVar('TRELLIS_CACHE') ?? join(homedir(), '.cache', 'trellis'), 'clients');
}

export interface ClientBinary {
  /** Name is what the suites print: `kubectl 1.35`, `helm 4`. */
  name: string;
  path: string;
}

export const kubectls: ClientBinary[] = [
  { name: 'kubectl 1.35', path: join(clientsDir(), 'kubectl-1.35', 'kubectl') },
  { name: 'kubectl 1.32', path: join(clientsDir(), 'kubectl-1.32', 'kubectl') },
];

export const helms: ClientBinary[] = [
  { name: 'helm 4', path: join(clientsDir(), 'helm-4', 'helm') },
  { name: 'helm 3', path: join(clientsDir(), 'helm-3', 'helm') },
];

/** RequireBinary fails loudly (never skips) when a client is missing. */
export function requireBinary(b: ClientBinary): void {
  if (!existsSync(b.path)) {
    throw new Error(`${b.name} is missing at ${b.path}: run "bash test/infra/clients/prepare.sh" (npm test does it)`);
  }
}

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** A ClientEnv runs one binary against one kubeconfig with private cache/config directories. */
export class ClientEnv {
  readonly bin: ClientBinary;
  readonly kubeconfig: string;
  readonly home: string;

  constructor(bin: ClientBinary, kubeconfig: string) {
    this.bin = bin;
    this.kubeconfig = kubeconfig;
    this.home = mkdtempSync(join(tmpdir(), 'trellis-client-'));
  }

  env(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
    return {
      PATH: envVar('PATH') ?? '/usr/bin:/bin',
      HOME: this.home,
      KUBECONFIG: this.kubeconfig,
      HELM_CACHE_HOME: join(this.home, 'helm-cache'),
      HELM_CONFIG_HOME: join(this.home, 'helm-config'),
      HELM_DATA_HOME: join(this.home, 'helm-data'),
      ...extra,
    };
  }

  /** Run runs the binary to completion (deadline `timeoutMs`). */
  run(args: string[], opts: { timeoutMs?: number; env?: Record<string, string> } = {}): Promise<RunResult> {
    return new Promise((resolve) => {
      execFile(
        this.bin.path,
        args,
        { env: this.env(opts.env), timeout: opts.timeoutMs ?? 60_000, maxBuffer: 32 * 1024 * 1024 },
        (err, stdout, stderr) => {
          const code =
            err === null ? 0 : typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code as number) : null;
          resolve({ code, stdout, stderr });
        },
      );
    });
  }

  /** MustRun runs and fails with the command's output unless it exits 0. */
  async mustRun(args: string[], opts: { timeoutMs?: number; env?: Record<string, string> } = {}): Promise<string> {
    const r = await this.run(args, opts);
    if (r.code !== 0) throw new Error(`${this.bin.name} ${args.join(' ')} exited ${r.code}:\n${r.stdout}\n${r.stderr}`);
    return r.stdout;
  }

  /** Start starts a long-running command (get -w, wait, install --wait) and collects its output. */
  start(args: string[]): Background {
    const child = spawn(this.bin.path, args, { env: this.env(), stdio: ['ignore', 'pipe', 'pipe'] });
    const bg: Background = {
      child,
      stdout: '',
      stderr: '',
      exited: new Promise((resolve) => child.once('exit', (code) => resolve(code))),
      kill: () => {
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      },
    };
    child.stdout?.on('data', (d: Buffer) => {
      bg.stdout += d.toString('utf8');
    });
    child.stderr?.on('data', (d: Buffer) => {
      bg.stderr += d.toString('utf8');
    });
    return bg;
  }
}

export interface Background {
  child: ChildProcess;
  stdout: string;
  stderr: string;
  exited: Promise<number | null>;
  kill(): void;
}
