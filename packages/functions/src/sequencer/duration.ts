/** Go's time.ParseDuration, returning seconds (GoError with Go's message when invalid). */
import { goDuration } from '@trellis/sdk';
import { GoError } from '../errors.ts';

export function parseGoDuration(s: string): number {
  const d = goDuration(s);
  if (!d.ok) throw new GoError(d.reason);
  return d.seconds;
}
