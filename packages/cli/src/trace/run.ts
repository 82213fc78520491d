import type { KubeClient } from '@trellis/kube';
import { isNotFound } from '@trellis/kube';
import { type KubeObject, TrellisError, wrap } from '@trellis/sdk';
import type { CommandContext } from '../context.ts';
import { type ConnectionFlags, clientFor } from '../kube/client.ts';
import { findKind, parseTarget, servedKinds } from '../kube/resolve.ts';
import { parseOutputFormat, toJson, toYaml } from '../ui/output.ts';
import { redactSecrets } from '../ui/redact.ts';
import { buildPackageTree, type DependenciesMode, isPackage, type RevisionsMode } from './packages.ts';
import { printDot, printTree, treeDocument } from './print.ts';
import { buildResourceTree, type TraceNode } from './tree.ts';

/** TraceFlags are `trellis trace`'s flags, named as `crossplane beta trace` names them. */
export interface TraceFlags extends ConnectionFlags {
  namespace?: string;
  output?: string;
  watch?: boolean;
  interval?: string | number;
  showConnectionSecrets?: boolean;
  showPackageDependencies?: string;
  showPackageRevisions?: string;
  concurrency?: string | number;
}

const Formats = ['text', 'wide', 'json', 'yaml', 'dot'] as const;

function choice<T extends string>(v: string | undefined, allowed: readonly T[], def: T, flag: string): T {
  if (v === undefined) return def;
  if ((allowed as readonly string[]).includes(v)) return v as T;
  throw new TrellisError('CLI_USAGE', `invalid ${flag} ${JSON.stringify(v)}: want one of ${allowed.join(', ')}`);
}

function positive(v: string | number | undefined, def: number, flag: string): number {
  if (v === undefined) return def;
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0)
    throw new TrellisError('CLI_USAGE', `invalid ${flag} ${JSON.stringify(String(v))}: want a positive number`);
  return n;
}

/** Trace builds the tree once. */
export async function trace(client: KubeClient, root: KubeObject, flags: TraceFlags, signal?: AbortSignal): Promise<TraceNode> {
  const sig = signal === undefined ? {} : { signal };
  if (isPackage(root)) {
    return buildPackageTree(client, root, {
      revisions: choice<RevisionsMode>(flags.showPackageRevisions, ['active', 'all', 'none'], 'active', '--show-package-revisions'),
      dependencies: choice<DependenciesMode>(
        flags.showPackageDependencies,
        ['unique', 'all', 'none'],
        'unique',
        '--show-package-dependencies',
      ),
      ...sig,
    });
  }
  return buildResourceTree(client, root, {
    showSecrets: flags.showConnectionSecrets === true,
    concurrency: positive(flags.concurrency, 8, '--concurrency'),
    ...sig,
  });
}

/** Render prints a tree in the chosen format (Secrets redacted: trace only ever names them). */
export function renderTrace(tree: TraceNode, format: (typeof Formats)[number]): string {
  switch (format) {
    case 'json':
      return toJson(redactSecrets(treeDocument(tree)));
    case 'yaml':
      return toYaml(redactSecrets(treeDocument(tree)));
    case 'dot':
      return printDot(tree);
    default:
      return printTree(tree, format === 'wide');
  }
}

/**
 * RunTrace resolves `TYPE[.GROUP][/NAME]`, fetches the root and follows its references; with
 * --watch it redraws whenever the tree changes (polling at --interval) until interrupted.
 */
export async function runTrace(ctx: CommandContext, resource: string, nameArg: string | undefined, flags: TraceFlags): Promise<number> {
  const format = parseOutputFormat(flags.output, Formats, 'text');
  const intervalMs = positive(flags.interval, 1, '--interval') * 1000;
  choice(flags.showPackageRevisions, ['active', 'all', 'none'], 'active', '--show-package-revisions');
  choice(flags.showPackageDependencies, ['unique', 'all', 'none'], 'unique', '--show-package-dependencies');
  const { type, name } = parseTarget(resource, nameArg);
  if (name === undefined)
    throw new TrellisError('CLI_USAGE', `give the name of the ${type} to trace: trellis trace ${type}/NAME or trellis trace ${type} NAME`);
  const client = await clientFor(ctx, flags, 'trellis-trace');
  try {
    let kinds: Awaited<ReturnType<typeof servedKinds>>;
    try {
      kinds = await servedKinds(client, ctx.signal);
    } catch (err) {
      throw wrap(err, 'cannot discover the API');
    }
    const kind = findKind(kinds, type);
    const ns = kind.namespaced ? (flags.namespace ?? 'default') : undefined;
    const getRoot = async (): Promise<KubeObject> => {
      try {
        return await client.get(
          { apiVersion: kind.apiVersion, kind: kind.kind, name, ...(ns === undefined ? {} : { namespace: ns }) },
          { signal: ctx.signal },
        );
      } catch (err) {
        if (isNotFound(err))
          throw new TrellisError('CLI_NOT_FOUND', `${kind.kind} "${name}" not found${ns === undefined ? '' : ` in namespace "${ns}"`}`);
        throw wrap(err, `cannot get ${kind.kind} "${name}"`);
      }
    };
    if (flags.watch !== true) {
      ctx.io.out(renderTrace(await trace(client, await getRoot(), flags, ctx.signal), format));
      return 0;
    }
    return await watchTrace(ctx, async () => renderTrace(await trace(client, await getRoot(), flags, ctx.signal), format), intervalMs);
  } finally {
    client.close();
  }
}

/** WatchTrace redraws on change: clearing the screen on a terminal, appending otherwise. */
async function watchTrace(ctx: CommandContext, draw: () => Promise<string>, intervalMs: number): Promise<number> {
  let last = '';
  while (!ctx.signal.aborted) {
    let text: string;
    try {
      text = await draw();
    } catch (err) {
      if (ctx.signal.aborted) break;
      throw err;
    }
    if (text !== last) {
      ctx.io.out(ctx.io.isTTY ? `\x1b[H\x1b[2J${text}` : last === '' ? text : `\n${text}`);
      last = text;
    }
    await new Promise<void>((resolve) => {
      const t = setTimeout(resolve, intervalMs);
      ctx.signal.addEventListener(
        'abort',
        () => {
          clearTimeout(t);
          resolve();
        },
        { once: true },
      );
    });
  }
  return 0;
}
