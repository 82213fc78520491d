import { registryFunctions } from '@trellis/engine';
import { FunctionRegistry } from '@trellis/functions';
import { TrellisError, wrap } from '@trellis/sdk';
import type { CommandContext } from '../context.ts';
import { loadObjects } from '../input/load.ts';
import { type ConnectionFlags, clientFor } from '../kube/client.ts';
import { parseOutputFormat, toJson, toYaml } from '../ui/output.ts';
import { progressFor } from '../ui/progress.ts';
import { type Change, type PlanResult, planManifests } from './plan.ts';

/** PlanFlags are the flags of `trellis plan`. */
export interface PlanFlags extends ConnectionFlags {
  output?: string;
  fieldManager?: string;
  serverSide?: boolean;
  showUnchanged?: boolean;
  showSecrets?: boolean;
  exitCode?: boolean;
}

const Formats = ['text', 'json', 'yaml'] as const;

const Symbols: Record<Change['action'], string> = { create: '+', update: '~', delete: '-', unchanged: '=' };

function color(io: CommandContext['io'], code: string, s: string): string {
  return io.isTTY && (process.env.NO_COLOR === undefined || process.env.NO_COLOR === '') ? `\x1b[${code}m${s}\x1b[0m` : s;
}

/** TextPlan prints the plan for humans: one line per object, its diff indented below. */
export function textPlan(plan: PlanResult, opts: { showUnchanged: boolean; paint?: (code: string, s: string) => string }): string {
  const paint = opts.paint ?? ((_c: string, s: string) => s);
  const lines: string[] = [];
  for (const c of plan.changes) {
    if (c.action === 'unchanged' && !opts.showUnchanged && c.error === undefined) continue;
    const indent = c.parent === undefined ? '' : '  ';
    const what = `${c.kind}/${c.name}${c.namespace === undefined ? '' : ` (${c.namespace})`}${c.resource === undefined ? '' : ` [${c.resource}]`}`;
    const verb = c.error === undefined ? c.action : `${c.action} would fail`;
    const head = `${indent}${Symbols[c.action]} ${what}: ${verb}${c.parent === undefined ? '' : `  (composed for ${c.parent})`}`;
    lines.push(
      c.error !== undefined
        ? paint('31', head)
        : c.action === 'create'
          ? paint('32', head)
          : c.action === 'delete'
            ? paint('31', head)
            : c.action === 'update'
              ? paint('33', head)
              : head,
    );
    if (c.note !== undefined) lines.push(`${indent}    note: ${c.note}`);
    if (c.error !== undefined) lines.push(`${indent}    error: ${c.error}`);
    if (c.diff !== '' && c.action !== 'delete') {
      for (const l of c.diff.trimEnd().split('\n')) {
        const p = l.startsWith('+') ? paint('32', l) : l.startsWith('-') ? paint('31', l) : l.startsWith('@@') ? paint('36', l) : l;
        lines.push(`${indent}    ${p}`);
      }
    }
  }
  const s = plan.summary;
  const tail = `Plan: ${s.create} to create, ${s.update} to update, ${s.delete} to delete, ${s.unchanged} unchanged${s.errors > 0 ? `, ${s.errors} would fail` : ''}.`;
  return `${lines.length === 0 ? '' : `${lines.join('\n')}\n\n`}${tail}\n`;
}

/**
 * RunPlan reads manifests and prints what applying them would change on the control plane the
 * kubeconfig names. It sends only reads and server-side dry runs. Objects the API server would
 * refuse are findings (exit 3); with --exit-code, so are changes.
 */
export async function runPlan(ctx: CommandContext, paths: string[], flags: PlanFlags): Promise<number> {
  const format = parseOutputFormat(flags.output, Formats, 'text');
  if (paths.length === 0) throw new TrellisError('CLI_USAGE', 'give the manifests to plan: files, directories or - for standard input');
  const readStdin = ctx.io.readStdin;
  const manifests = (
    await Promise.all(paths.map((p) => loadObjects(p, { what: 'manifests', ...(readStdin === undefined ? {} : { readStdin }) })))
  )
    .flat()
    .map((l) => l.object);
  const client = await clientFor(ctx, flags, 'trellis-plan');
  const registry = new FunctionRegistry();
  const progress = progressFor(ctx.io, { quiet: format !== 'text' });
  try {
    const plan = await progress.run(`planning ${manifests.length} object${manifests.length === 1 ? '' : 's'}`, async () => {
      try {
        return await planManifests(client, manifests, {
          fieldManager: flags.fieldManager ?? 'kubectl',
          serverSide: flags.serverSide === true,
          functions: registryFunctions(registry).resolve,
          signal: ctx.signal,
          showSecrets: flags.showSecrets === true,
        });
      } catch (err) {
        throw wrap(err, 'cannot plan');
      }
    });
    if (format === 'text')
      ctx.io.out(textPlan(plan, { showUnchanged: flags.showUnchanged === true, paint: (c, s) => color(ctx.io, c, s) }));
    else {
      const doc = { summary: plan.summary, changes: plan.changes };
      ctx.io.out(format === 'json' ? toJson(doc) : toYaml(doc));
    }
    if (plan.summary.errors > 0)
      throw new TrellisError('CLI_PLAN_FINDINGS', `${plan.summary.errors} change${plan.summary.errors === 1 ? '' : 's'} would fail`);
    if (flags.exitCode === true && plan.summary.create + plan.summary.update + plan.summary.delete > 0) {
      throw new TrellisError('CLI_PLAN_FINDINGS', 'the plan has changes');
    }
    return 0;
  } finally {
    registry.close();
    client.close();
  }
}
