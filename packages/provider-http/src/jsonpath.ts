import { TrellisError } from '@trellis/sdk';
import { JSONPath } from 'jsonpath-plus';
import { HttpCode } from './errors.ts';

/** QueryAll returns every match of a JSONPath in a JSON value. */
export function queryAll(path: string, json: unknown): unknown[] {
  if (json === undefined || json === null || typeof json !== 'object') return [];
  try {
    const r = JSONPath({ path, json: json as object, wrap: true, eval: 'safe' }) as unknown;
    return Array.isArray(r) ? r : [];
  } catch (err) {
    throw new TrellisError(HttpCode.InvalidMapping, `invalid JSONPath "${path}"`, { cause: err });
  }
}

/** QueryOne returns the first match of a JSONPath, or undefined. */
export function queryOne(path: string, json: unknown): unknown {
  return queryAll(path, json)[0];
}
