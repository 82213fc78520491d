/** Readiness checks and connection details, ports of ready.go and connection.go. */
import { GoError, goWrap, isNotFound } from '../errors.ts';
import { getBool, getInteger, getString, getValue, type JsonMap } from '../fieldpath/fieldpath.ts';
import { goJsonMarshal } from '../gofmt/json.ts';
import type { ConnectionDetail, ReadinessCheck } from './input.ts';
import { upstreamBugs } from './semantics.ts';
import { fieldErrorString, validateConnectionDetail, validateReadinessCheck } from './validate.ts';

/** GetConditionStatus returns the status of a condition type, "Unknown" when absent. */
export function conditionStatus(o: JsonMap, type: string): string {
  const conds = (o.status as JsonMap | undefined)?.conditions;
  if (Array.isArray(conds)) {
    for (const c of conds) {
      if (typeof c === 'object' && c !== null && (c as JsonMap).type === type) {
        const s = (c as JsonMap).status;
        return typeof s === 'string' ? s : '';
      }
    }
  }
  return 'Unknown';
}

function ignoreNotFound<T>(f: () => T, fallback: T): T {
  try {
    return f();
  } catch (e) {
    if (isNotFound(e)) return fallback;
    throw e;
  }
}

export interface ReadinessOptions {
  /**
   * Accept integral JSON numbers for MatchInteger. Upstream reads observed state as float64 and
   * so never matches (`not a (int64) number`); the documented intent is integer equality.
   */
  matchIntegerAcceptsFloats?: boolean;
}

/** IsReady runs the readiness checks (all must pass); no checks means Ready=True. */
export function isReady(o: JsonMap, checks: readonly ReadinessCheck[], opts: ReadinessOptions = {}): boolean {
  if (checks.length === 0) return conditionStatus(o, 'Ready') === 'True';
  for (const [i, c] of checks.entries()) {
    let ok: boolean;
    try {
      ok = runCheck(c, o, opts);
    } catch (e) {
      throw goWrap(e, `cannot run readiness check at index ${i}`);
    }
    if (!ok) return false;
  }
  return true;
}

function runCheck(c: ReadinessCheck, o: JsonMap, opts: ReadinessOptions): boolean {
  const fe = validateReadinessCheck(c);
  if (fe) throw new GoError(`invalid: ${fieldErrorString(fe)}`);
  const path = c.fieldPath ?? '';
  switch (c.type) {
    case 'None':
      return true;
    case 'NonEmpty':
      return ignoreNotFound(() => {
        getValue(o, path);
        return true;
      }, false);
    case 'MatchString':
      return ignoreNotFound(() => getString(o, path) === c.matchString, false);
    case 'MatchInteger':
      return ignoreNotFound(
        () => getInteger(o, path, opts.matchIntegerAcceptsFloats ?? !upstreamBugs()) === BigInt(c.matchInteger ?? 0),
        false,
      );
    case 'MatchCondition': {
      const t = c.matchCondition?.type ?? '';
      const s = c.matchCondition?.status ?? '';
      return conditionStatus(o, t) === s;
    }
    case 'MatchFalse':
      return ignoreNotFound(() => !getBool(o, path), false);
    case 'MatchTrue':
      return ignoreNotFound(() => getBool(o, path), false);
    default:
      return false;
  }
}

/** ExtractConnectionDetails pulls the configured details from an observed composed resource. */
export function extractConnectionDetails(
  cd: JsonMap,
  data: Record<string, Uint8Array>,
  cfgs: readonly ConnectionDetail[],
): Record<string, Uint8Array> {
  const out: Record<string, Uint8Array> = {};
  for (const cfg of cfgs) {
    const fe = validateConnectionDetail(cfg);
    if (fe) throw new GoError(`invalid: ${fieldErrorString(fe)}`);
    const name = cfg.name ?? '';
    switch (cfg.type) {
      case 'FromValue':
        out[name] = Buffer.from(cfg.value ?? '', 'utf8');
        break;
      case 'FromConnectionSecretKey': {
        const v = data[cfg.fromConnectionSecretKey ?? ''];
        if (v === undefined) continue;
        out[name] = v;
        break;
      }
      case 'FromFieldPath': {
        const b = fromFieldPathBytes(cd, cfg.fromFieldPath ?? '');
        if (b !== undefined) out[name] = b;
        break;
      }
      default:
        break;
    }
  }
  return out;
}

function fromFieldPathBytes(o: JsonMap, path: string): Uint8Array | undefined {
  try {
    return Buffer.from(getString(o, path), 'utf8');
  } catch {
    // not a string (or missing): fall through to the JSON encoding of whatever is there
  }
  try {
    return Buffer.from(goJsonMarshal(getValue(o, path)), 'utf8');
  } catch {
    return undefined;
  }
}
