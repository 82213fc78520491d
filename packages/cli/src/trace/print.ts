import type { KubeObject } from '@trellis/sdk';
import { type Column, table } from '../ui/output.ts';
import { isPackage } from './packages.ts';
import type { TraceNode } from './tree.ts';

/**
 * Printing a trace tree the way `crossplane beta trace` does: the tree drawn in the NAME column
 * (`├─ `, `└─ `), SYNCED and READY from the conditions, and STATUS — the reason of the condition
 * that explains the state, and its message (the last 64 characters unless `-o wide`). Packages
 * get VERSION, INSTALLED, HEALTHY, STATE and STATUS instead.
 */

interface Condition {
  type?: string;
  status?: string;
  reason?: string;
  message?: string;
}

function conditions(o: KubeObject): Condition[] {
  const c = (o.status as { conditions?: unknown } | undefined)?.conditions;
  return Array.isArray(c) ? (c as Condition[]) : [];
}

function cond(o: KubeObject, type: string): Condition {
  return conditions(o).find((c) => c.type === type) ?? {};
}

function dash(s: string | undefined): string {
  return s === undefined || s === '' ? '-' : s;
}

/** Crop keeps the end of a long message (where the cause is), as upstream does. */
export function crop(m: string, wide: boolean): string {
  return wide || [...m].length <= 64 ? m : `...${[...m].slice(-64).join('')}`;
}

/** ResourceStatus returns SYNCED, READY and STATUS for one node. */
export function resourceStatus(n: TraceNode, wide: boolean): { synced: string; ready: string; status: string } {
  const ready = cond(n.object, 'Ready');
  const synced = cond(n.object, 'Synced');
  let status: string;
  let message = '';
  if (n.error !== undefined) {
    status = 'Error';
    message = n.error;
  } else if (ready.status === 'True' && synced.status === 'True') status = ready.reason ?? '';
  else if (synced.status === 'False') {
    status = synced.reason ?? '';
    message = synced.message ?? '';
  } else {
    status = ready.reason ?? '';
    message = ready.message ?? '';
  }
  const m = crop(message, wide);
  return { synced: dash(synced.status), ready: dash(ready.status), status: m === '' ? status : `${status}: ${m}` };
}

/** Rows walks the tree depth first, drawing the branches into the first cell. */
function walk(root: TraceNode, row: (n: TraceNode, name: string) => string[]): string[][] {
  const out: string[][] = [];
  const visit = (n: TraceNode, prefix: string, depth: number, last: boolean): void => {
    const branch = depth === 0 ? '' : `${prefix}${last ? '└─ ' : '├─ '}`;
    const childPrefix = depth === 0 ? '' : `${prefix}${last ? '   ' : '│  '}`;
    const ns = n.object.metadata.namespace;
    out.push(row(n, `${branch}${n.object.kind}/${n.object.metadata.name ?? ''}${ns === undefined || ns === '' ? '' : ` (${ns})`}`));
    n.children.forEach((c, i) => {
      visit(c, childPrefix, depth + 1, i === n.children.length - 1);
    });
  };
  visit(root, '', 0, true);
  return out;
}

function packageVersion(o: KubeObject): string {
  const pkg = String(
    (o.spec as { package?: unknown; image?: unknown } | undefined)?.package ?? (o.spec as { image?: unknown } | undefined)?.image ?? '',
  );
  const at = pkg.indexOf('@');
  if (at >= 0) return pkg.slice(at + 1, at + 20);
  const slash = pkg.lastIndexOf('/');
  const colon = pkg.lastIndexOf(':');
  return colon > slash ? pkg.slice(colon + 1) : '';
}

function packageStatus(n: TraceNode, wide: boolean): string[] {
  const o = n.object;
  const installed = cond(o, 'Installed');
  const healthy = cond(o, 'Healthy');
  const state = String((o.spec as { desiredState?: unknown } | undefined)?.desiredState ?? '');
  let status = '';
  let message = '';
  if (n.error !== undefined) {
    status = 'Error';
    message = n.error;
  } else if (healthy.status !== 'True' && healthy.status !== undefined) {
    status = healthy.reason ?? '';
    message = healthy.message ?? '';
  } else if (installed.status !== 'True' && installed.status !== undefined) {
    status = installed.reason ?? '';
    message = installed.message ?? '';
  } else status = healthy.reason ?? installed.reason ?? '';
  const m = crop(message, wide);
  return [dash(packageVersion(o)), dash(installed.status), dash(healthy.status), dash(state), m === '' ? status : `${status}: ${m}`];
}

/** PrintTree renders the table for the default and wide outputs. */
export function printTree(root: TraceNode, wide: boolean): string {
  if (isPackage(root.object)) {
    const cols: Column[] = [
      { header: 'name' },
      { header: 'version' },
      { header: 'installed' },
      { header: 'healthy' },
      { header: 'state' },
      { header: 'status' },
    ];
    return table(
      cols,
      walk(root, (n, name) => [name, ...packageStatus(n, wide)]),
    );
  }
  const cols: Column[] = [{ header: 'name' }, { header: 'synced' }, { header: 'ready' }, { header: 'status' }];
  return table(
    cols,
    walk(root, (n, name) => {
      const s = resourceStatus(n, wide);
      return [name, s.synced, s.ready, s.status];
    }),
  );
}

function dotId(n: TraceNode): string {
  const o = n.object;
  return `${o.apiVersion}/${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name ?? ''}`;
}

function dotQuote(s: string): string {
  return `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`;
}

/** PrintDot renders the tree for Graphviz (`trellis trace ... -o dot | dot -Tsvg > tree.svg`). */
export function printDot(root: TraceNode): string {
  const lines = ['digraph trace {', '  rankdir=LR;', '  node [shape=box, style="rounded,filled", fontname="Helvetica"];'];
  const seen = new Set<string>();
  const visit = (n: TraceNode): void => {
    const id = dotId(n);
    if (!seen.has(id)) {
      seen.add(id);
      const s = resourceStatus(n, false);
      const healthy =
        n.error === undefined &&
        (isPackage(n.object) ? cond(n.object, 'Healthy').status !== 'False' : s.ready === 'True' && s.synced !== 'False');
      const label = isPackage(n.object)
        ? `${n.object.kind}/${n.object.metadata.name ?? ''}\nVersion: ${dash(packageVersion(n.object))}\nHealthy: ${dash(cond(n.object, 'Healthy').status)}`
        : `${n.object.kind}/${n.object.metadata.name ?? ''}\nSynced: ${s.synced}, Ready: ${s.ready}${n.error === undefined ? '' : `\nError: ${crop(n.error, false)}`}`;
      lines.push(`  ${dotQuote(id)} [label=${dotQuote(label)}, fillcolor=${healthy ? '"#d4edda"' : '"#f8d7da"'}];`);
    }
    for (const c of n.children) {
      lines.push(`  ${dotQuote(id)} -> ${dotQuote(dotId(c))};`);
      visit(c);
    }
  };
  visit(root);
  lines.push('}');
  return `${lines.join('\n')}\n`;
}

/** TreeDocument is the JSON/YAML shape: each node's object, its children, and the error if any. */
export function treeDocument(n: TraceNode): unknown {
  return { object: n.object, ...(n.error === undefined ? {} : { error: n.error }), children: n.children.map(treeDocument) };
}
