import { readdir, readFile, stat } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { parseGoYamlDocuments } from '@trellis/engine';
import { type KubeObject, TrellisError, wrap } from '@trellis/sdk';
import { holdsSecrets } from '../ui/redact.ts';
import { isStdinArg } from './stdin.ts';

/**
 * Loading the YAML that `validate`, `plan` and `test` read: files, directories (walked
 * recursively for .yaml/.yml/.json, in name order) and `-` for stdin. Every object keeps where
 * it came from (file, 1-based document number and line) so findings can point at it. YAML is
 * read as Kubernetes tools read it (YAML 1.1 scalars, through the engine's parser, with its alias
 * and nesting budgets); oversized input is refused before it is parsed.
 */

/** Where an object came from. */
export interface Source {
  /** File is the path as given, or `<stdin>`. */
  file: string;
  /** Document is the 1-based index of the document in the file (empty documents count). */
  document: number;
  /** Line is the 1-based line where the document starts. */
  line: number;
}

export interface LoadedObject {
  object: KubeObject;
  source: Source;
}

/** MaxInputBytes bounds one input file (and stdin): 32 MiB. */
export const MaxInputBytes = 32 * 1024 * 1024;
/** MaxFiles bounds how many files a directory walk may read. */
export const MaxFiles = 10_000;

export interface LoadOptions {
  /** What names the input in messages ("resources", "extensions"). */
  what: string;
  /** ReadStdin reads standard input (the CLI passes process.stdin; tests a string). */
  readStdin?: () => Promise<string>;
  /** RequireKind refuses documents without apiVersion and kind (default true). */
  requireKind?: boolean;
  maxBytes?: number;
}

/** FormatSource prints a source for messages: `xr.yaml:12, document 2`. */
export function formatSource(s: Source): string {
  return `${s.file}:${s.line}, document ${s.document}`;
}

function usage(msg: string, cause?: unknown): TrellisError {
  return new TrellisError('CLI_USAGE', msg, cause === undefined ? {} : { cause });
}

/** LoadObjects reads every object from `path` (a file, a directory or `-`). */
export async function loadObjects(path: string, opts: LoadOptions): Promise<LoadedObject[]> {
  if (isStdinArg(path)) {
    if (opts.readStdin === undefined) throw usage(`cannot read ${opts.what} from standard input here`);
    const text = await opts.readStdin();
    checkSize('<stdin>', Buffer.byteLength(text), opts);
    return parseObjects(text, '<stdin>', opts);
  }
  const files = await filesOf(path, opts.what);
  const out: LoadedObject[] = [];
  for (const f of files) {
    let text: string;
    try {
      const st = await stat(f);
      checkSize(f, st.size, opts);
      text = await readFile(f, 'utf8');
    } catch (err) {
      if (err instanceof TrellisError) throw err;
      throw usage(`cannot read ${opts.what} from "${f}"`, err);
    }
    out.push(...parseObjects(text, f, opts));
  }
  return out;
}

function checkSize(file: string, bytes: number, opts: LoadOptions): void {
  const max = opts.maxBytes ?? MaxInputBytes;
  if (bytes > max) throw usage(`cannot read ${opts.what} from "${file}": ${mib(bytes)} is over the limit of ${mib(max)}`);
}

function mib(n: number): string {
  return n >= 1024 * 1024 ? `${(n / 1024 / 1024).toFixed(1)} MiB` : `${n} bytes`;
}

const YamlExt = ['.yaml', '.yml', '.json'];

async function filesOf(path: string, what: string): Promise<string[]> {
  let st: Awaited<ReturnType<typeof stat>>;
  try {
    st = await stat(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw usage(`cannot read ${what} from "${path}": no such file or directory`);
    throw usage(`cannot read ${what} from "${path}"`, err);
  }
  if (!st.isDirectory()) return [path];
  const out: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    const entries = (await readdir(dir, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const e of entries) {
      if (e.name.startsWith('.')) continue;
      const p = join(dir, e.name);
      if (e.isDirectory()) await walk(p);
      else if (e.isFile() && YamlExt.includes(extname(e.name))) {
        out.push(p);
        if (out.length > MaxFiles) throw usage(`cannot read ${what} from "${path}": more than ${MaxFiles} files`);
      }
    }
  };
  await walk(path);
  if (out.length === 0) throw usage(`cannot read ${what} from "${path}": no YAML files found (.yaml, .yml or .json)`);
  return out;
}

/** DocumentStarts finds the document number and start line of each non-empty document of a stream. */
export function documentStarts(text: string): { document: number; line: number; empty: boolean }[] {
  const lines = text.split('\n');
  const docs: { document: number; line: number; content: boolean }[] = [];
  let cur = { document: 1, line: 1, content: false };
  let explicitStart = false;
  for (const [i, raw] of lines.entries()) {
    const l = raw.replace(/\r$/, '');
    if (/^---(\s|$)/.test(l)) {
      if (cur.content || explicitStart) docs.push(cur);
      const rest = l.slice(3).trim();
      cur = { document: (docs.at(-1)?.document ?? 0) + 1, line: i + 1, content: rest !== '' && !rest.startsWith('#') };
      explicitStart = true;
      continue;
    }
    if (/^\.\.\.(\s|$)/.test(l)) continue;
    if (l.trim() === '' || l.trimStart().startsWith('#') || l.startsWith('%')) continue;
    if (!cur.content) {
      if (!explicitStart) cur.line = i + 1;
      cur.content = true;
    }
  }
  if (cur.content || explicitStart) docs.push(cur);
  return docs.map((d) => ({ document: d.document, line: d.line, empty: !d.content }));
}

/** ParseObjects parses one YAML stream into objects with their sources. */
export function parseObjects(text: string, file: string, opts: Pick<LoadOptions, 'what' | 'requireKind'>): LoadedObject[] {
  let docs: unknown[];
  try {
    docs = parseGoYamlDocuments(text, `${opts.what} in "${file}"`);
  } catch (err) {
    // The parser's cause quotes the lines around the problem: not for a file holding Secrets.
    if (err instanceof TrellisError && err.code === 'ENGINE_YAML_INVALID' && holdsSecrets(text))
      throw usage(`cannot load ${opts.what} from "${file}": ${err.message} (the file's content is not shown: it holds Secrets)`);
    throw wrap(err, `cannot load ${opts.what} from "${file}"`, 'CLI_USAGE');
  }
  const starts = documentStarts(text).filter((d) => !d.empty);
  const aligned = starts.length === docs.length;
  return docs.map((v, i) => {
    const s = aligned ? starts[i] : undefined;
    const source: Source = { file, document: s?.document ?? i + 1, line: s?.line ?? 1 };
    if (typeof v !== 'object' || v === null || Array.isArray(v)) {
      throw usage(`cannot load ${opts.what} from ${formatSource(source)}: not a YAML object`);
    }
    const o = v as KubeObject;
    if (opts.requireKind !== false && (typeof o.apiVersion !== 'string' || typeof o.kind !== 'string' || o.kind === '')) {
      throw usage(`cannot load ${opts.what} from ${formatSource(source)}: apiVersion and kind are required`);
    }
    if (typeof o.metadata !== 'object' || o.metadata === null || Array.isArray(o.metadata)) o.metadata = {};
    return { object: o, source };
  });
}
