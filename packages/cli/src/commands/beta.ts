import { writeFile } from 'node:fs/promises';
import { TrellisError, wrap } from '@trellis/sdk';
import type { CAC } from 'cac';
import type { CommandContext } from '../context.ts';

/** BetaFlags are the flags of `trellis beta convert pipeline-composition` (upstream's names). */
export interface BetaFlags {
  outputFile?: string;
  functionPatchAndTransformRef?: string;
  functionEnvironmentConfigsRef?: string;
}

/**
 * RunConvertPipelineComposition converts Resources-mode Compositions (patch-and-transform) to
 * Pipeline mode with @trellis/functions' converter, as `crossplane beta convert
 * pipeline-composition` did: native environments become a function-environment-configs step.
 * It reads a file or stdin (`-` or nothing) and writes stdout or --output-file; Compositions
 * already in Pipeline mode are printed unchanged.
 */
export async function runConvertPipelineComposition(ctx: CommandContext, input: string | undefined, flags: BetaFlags): Promise<number> {
  const { convertResourcesComposition } = await import('@trellis/functions');
  const { marshalGoYaml } = await import('@trellis/engine');
  const { loadObjects } = await import('../input/load.ts');
  const readStdin = ctx.io.readStdin;
  const objs = await loadObjects(input ?? '-', { what: 'Compositions', ...(readStdin === undefined ? {} : { readStdin }) });
  if (objs.length === 0) throw new TrellisError('CLI_USAGE', 'no Composition to convert');
  const out: string[] = [];
  for (const o of objs) {
    try {
      const r = convertResourcesComposition(o.object as unknown as Record<string, unknown>, {
        functionRefName: flags.functionPatchAndTransformRef ?? 'function-patch-and-transform',
        environmentFunctionRefName: flags.functionEnvironmentConfigsRef ?? 'function-environment-configs',
      });
      out.push(`---\n${marshalGoYaml(r.composition)}`);
    } catch (err) {
      throw wrap(
        err,
        `cannot convert ${o.object.kind} "${o.object.metadata.name ?? ''}" (${o.source.file}, document ${o.source.document})`,
        'CLI_USAGE',
      );
    }
  }
  if (flags.outputFile === undefined) ctx.io.out(out.join(''));
  else {
    try {
      await writeFile(flags.outputFile, out.join(''));
    } catch (err) {
      throw wrap(err, `cannot write "${flags.outputFile}"`, 'CLI_USAGE');
    }
  }
  return 0;
}

/** RegisterBeta adds `trellis beta convert pipeline-composition`. */
export function registerBeta(cli: CAC, ctx: CommandContext, run: (fn: () => Promise<number>) => void): void {
  cli
    .command('beta <command> [...args]', 'Beta commands: convert pipeline-composition (Resources-mode Compositions to function pipelines)')
    .option('-o, --output-file <path>', 'convert: write the converted Compositions here instead of stdout')
    .option('--function-patch-and-transform-ref <name>', 'convert: functionRef name of the patch-and-transform step', {
      default: 'function-patch-and-transform',
    })
    .option('--function-environment-configs-ref <name>', 'convert: functionRef name of the environment step', {
      default: 'function-environment-configs',
    })
    .example('trellis beta convert pipeline-composition composition.yaml -o pipeline-composition.yaml')
    .example('cat composition.yaml | trellis beta convert pipeline-composition')
    .action((command: string, args: string[], flags: BetaFlags) =>
      run(async () => {
        if (command !== 'convert') throw new TrellisError('CLI_USAGE', `unknown beta command "${command}" (want convert)`);
        const [what, input, ...rest] = args;
        if (what !== 'pipeline-composition')
          throw new TrellisError('CLI_USAGE', `unknown conversion "${what ?? ''}" (want pipeline-composition)`);
        if (rest.length > 0) throw new TrellisError('CLI_USAGE', `convert pipeline-composition takes one input, got ${args.length - 1}`);
        return runConvertPipelineComposition(ctx, input, flags);
      }),
    );
}
