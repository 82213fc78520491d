import type { CAC } from 'cac';
import type { CommandContext } from '../context.ts';
import type { ValidateFlags } from '../validate/run.ts';

/** RegisterValidate adds `trellis validate` (upstream: `crossplane beta validate`). */
export function registerValidate(cli: CAC, ctx: CommandContext, run: (fn: () => Promise<number>) => void): void {
  cli
    .command(
      'validate <extensions> <resources>',
      'Validate resources offline against XRD, CRD and package schemas (OpenAPI, CEL, unknown fields)',
    )
    .option('-o, --output <format>', 'Report format: text, json or yaml', { default: 'text' })
    .option('--package <ref>', 'Also pull this package and use its CRDs and XRDs (repeatable)')
    .option('--cache-dir <dir>', 'Package cache (default: $TRELLIS_CACHE_DIR or ~/.cache/trellis/xpkg)')
    .option('--clean-cache', 'Empty the package cache before pulling')
    .option('--offline', 'Use only packages already in the cache')
    .option('--old-resources <path>', 'Previous versions of the resources, for CEL transition rules (oldSelf)')
    .option('--skip-success-results', 'Print only failures and missing schemas')
    .option('--error-on-missing-schemas', 'Exit 3 when a resource has no schema')
    .example('trellis validate xrd.yaml claim.yaml')
    .example('trellis validate extensions/ resources/ --skip-success-results')
    .example('trellis render xr.yaml composition.yaml functions.yaml -x | trellis validate extensions/ -')
    .example('trellis validate crossplane.yaml examples/ --package xpkg.crossplane.io/crossplane-contrib/provider-nop:v0.2.1')
    .action((extensions: string, resources: string, flags: ValidateFlags) =>
      run(async () => {
        const { runValidate } = await import('../validate/run.ts');
        return runValidate(ctx, extensions, resources, flags);
      }),
    );
}
