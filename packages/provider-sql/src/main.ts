import { runProviderProcess } from '@trellis/runtime';
import { definition } from './provider.ts';

/** Main runs provider-sql as a process (see @trellis/runtime runProviderProcess for its settings). */
export function main(): Promise<number> {
  return runProviderProcess(definition);
}
