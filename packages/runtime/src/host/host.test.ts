import type { KubeObject } from '@trellis/sdk';
import { describe, expect, it } from 'vitest';
import { defaultEntryPointResolver, entryPointAnnotation } from './host.ts';

const rev = (v: string | undefined): KubeObject => ({
  apiVersion: 'pkg.crossplane.io/v1',
  kind: 'ProviderRevision',
  metadata: { name: 'r', ...(v === undefined ? {} : { annotations: { [entryPointAnnotation]: v } }) },
});

describe('defaultEntryPointResolver', () => {
  it('runs an existing absolute path with this Node', () => {
    expect(defaultEntryPointResolver(rev(import.meta.filename))).toEqual({ command: process.execPath, args: [import.meta.filename] });
  });
  it('resolves a file URL', () => {
    expect(defaultEntryPointResolver(rev(`file://${import.meta.filename}`))?.args).toEqual([import.meta.filename]);
  });
  it('gives nothing for a missing annotation, a missing file, or an unresolvable module', () => {
    expect(defaultEntryPointResolver(rev(undefined))).toBeUndefined();
    expect(defaultEntryPointResolver(rev('/nonexistent/provider.js'))).toBeUndefined();
    expect(defaultEntryPointResolver(rev('@trellis/no-such-provider/bin'))).toBeUndefined();
  });
});
