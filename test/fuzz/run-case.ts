// RunCase runs one case of cases.ts in its own Node process (see there why) and returns its exit,
// the parsed result lines and the tail of stderr (where V8 reports a fatal error).
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';

export interface CaseLine {
  parser: string;
  what: string;
  ok: boolean;
  clean?: boolean;
  code?: string;
  error?: string;
}

export interface CaseRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  lines: CaseLine[];
  stderr: string;
}

const script = resolve(import.meta.dirname, 'cases.ts');

export function runCase(name: string, ...args: string[]): Promise<CaseRun> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, ['--conditions=@trellis/source', '--import', 'tsx', script, name, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      out += d;
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      err += d;
      if (err.length > 1 << 20) err = err.slice(-(1 << 19));
    });
    child.once('error', fail);
    child.once('close', (code, signal) => {
      const lines = out
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as CaseLine);
      done({
        code,
        signal,
        lines,
        stderr: err
          .split('\n')
          .filter((l) => !/^\s*\d+: 0x/.test(l))
          .slice(-12)
          .join('\n'),
      });
    });
  });
}
