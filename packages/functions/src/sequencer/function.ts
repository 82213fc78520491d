/**
 * The built-in function-sequencer (v0.6.x): `rules[].sequence` lists resource-name regexps
 * (anchored unless the pattern anchors itself); a resource that does not exist yet is held back
 * from desired state until every earlier entry of its sequence is desired and READY_TRUE.
 * Deletion sequencing generates Usages (protection.crossplane.io, or apiextensions v1beta1 with
 * `usageVersion: v1`). CEL `condition`s are not supported in-process (a Fatal result says so;
 * run the upstream function remotely for those).
 */
import { createHash } from 'node:crypto';
import { GoError, goWrap } from '../errors.ts';
import type { JsonMap } from '../fieldpath/fieldpath.ts';
import { compileGoRegexp, matchString } from '../goregexp.ts';
import type { CompositionFunction, Resource, RunFunctionRequest, RunFunctionResponse } from '../protocol/types.ts';
import { fatal, guarded, normal, responseTo } from '../response.ts';
import { parseGoDuration } from './duration.ts';

interface Rule {
  condition?: string;
  deleteOnly?: boolean;
  sequence?: string[];
}

interface Input {
  cacheTTL?: string;
  enableDeletionSequencing?: boolean;
  replayDeletion?: boolean;
  usageVersion?: string;
  resetCompositeReadiness?: boolean;
  rules?: Rule[];
}

function strictRegex(pattern: string) {
  const p = !pattern.startsWith('^') && !pattern.endsWith('$') ? `^${pattern}$` : pattern;
  const c = compileGoRegexp(p);
  if (c.re === undefined) throw new GoError(c.error ?? 'cannot compile regexp');
  return c.re;
}

/** GenerateName is the sequencer's Usage naming: `<name>-<sha256[:6]>-<suffix>`, at most 63 bytes. */
export function generateUsageName(name: string, suffix: string): string {
  const h = createHash('sha256').update(name).digest('hex').slice(0, 6);
  const fullSuffix = `${h}-${suffix}`;
  const full = `${name}-${fullSuffix}`;
  if (full.length <= 63) return full;
  let truncated = name.slice(0, 63 - fullSuffix.length - 1);
  if (!truncated.endsWith('-')) truncated += '-';
  return truncated + fullSuffix;
}

function meta(o: JsonMap): JsonMap {
  return typeof o.metadata === 'object' && o.metadata !== null ? (o.metadata as JsonMap) : {};
}

function str(v: unknown): string {
  return typeof v === 'string' ? v : '';
}

function usage(of: JsonMap, by: JsonMap, replay: boolean, version: string): JsonMap {
  const name = `${str(by.kind)}-${str(meta(by).name)}-${str(of.kind)}-${str(meta(of).name)}`.toLowerCase();
  const ref = (o: JsonMap) => ({ apiVersion: str(o.apiVersion), kind: str(o.kind), resourceRef: { name: str(meta(o).name) } });
  const spec = { by: ref(by), of: ref(of), reason: 'dependency', replayDeletion: replay };
  if (version === 'v1') {
    return {
      apiVersion: 'apiextensions.crossplane.io/v1beta1',
      kind: 'Usage',
      metadata: { name: generateUsageName(name, 'dependency') },
      spec,
    };
  }
  const md: JsonMap = { name: generateUsageName(name, 'dependency') };
  const ns = str(meta(of).namespace);
  if (ns !== '') md.namespace = ns;
  return { apiVersion: 'protection.crossplane.io/v1beta1', kind: ns !== '' ? 'Usage' : 'ClusterUsage', metadata: md, spec };
}

function isUsage(o: JsonMap, version: string): boolean {
  if (version === 'v1') return o.apiVersion === 'apiextensions.crossplane.io/v1beta1' && o.kind === 'Usage';
  return o.apiVersion === 'protection.crossplane.io/v1beta1' && (o.kind === 'ClusterUsage' || o.kind === 'Usage');
}

export function runSequencer(req: RunFunctionRequest): RunFunctionResponse {
  return guarded(req, 'function-sequencer', () => runSequencerUnguarded(req));
}

function runSequencerUnguarded(req: RunFunctionRequest): RunFunctionResponse {
  const rsp = responseTo(req, 60);
  const input = (req.input ?? {}) as Input;
  if (input.cacheTTL !== undefined && input.cacheTTL !== '') {
    try {
      rsp.meta = { ...(rsp.meta ?? {}), ttlSeconds: parseGoDuration(input.cacheTTL) };
    } catch (e) {
      fatal(rsp, goWrap(e, 'cannot set cacheTTL'));
      return rsp;
    }
  }
  const desired: Record<string, Resource> = { ...(req.desired?.resources ?? {}) };
  const observed = req.observed?.resources ?? {};
  const usages: Record<string, Resource> = {};
  const version = input.usageVersion ?? 'v2';

  for (const rule of input.rules ?? []) {
    const sequence = rule.sequence ?? [];
    if ((rule.condition ?? '') !== '') {
      fatal(
        rsp,
        new GoError(
          `cannot evaluate condition ${JSON.stringify(rule.condition)} for sequence [${sequence.join(' ')}]: CEL conditions are not supported by the built-in sequencer; run function-sequencer as a remote function`,
        ),
      );
      return rsp;
    }
    try {
      if (input.enableDeletionSequencing === true)
        generateUsages(sequence, observed, desired, usages, input.replayDeletion === true, version);
    } catch (e) {
      fatal(rsp, goWrap(e, 'cannot generate usages for sequence'));
      return rsp;
    }
    for (let i = 1; i < sequence.length; i++) {
      const r = sequence[i] as string;
      if (observed[r] !== undefined) continue;
      if (rule.deleteOnly === true) continue;
      for (const before of sequence.slice(0, i)) {
        let beforeRe: ReturnType<typeof strictRegex>;
        let currentRe: ReturnType<typeof strictRegex>;
        try {
          beforeRe = strictRegex(before);
        } catch (e) {
          fatal(rsp, goWrap(e, `cannot compile regex ${before}`));
          return rsp;
        }
        const keys = Object.keys(desired).filter((k) => matchString(beforeRe, k));
        const ready = keys.filter((k) => desired[k]?.ready === 'READY_TRUE').length;
        try {
          currentRe = strictRegex(r);
        } catch (e) {
          fatal(rsp, goWrap(e, `cannot compile regex ${r}`));
          return rsp;
        }
        if (keys.length === 0 || keys.length !== ready) {
          normal(
            rsp,
            keys.length > 0
              ? `Delaying creation of resource(s) matching ${JSON.stringify(r)} because ${JSON.stringify(before)} is not fully ready (${ready} of ${keys.length})`
              : `Delaying creation of resource(s) matching ${JSON.stringify(r)} because ${JSON.stringify(before)} does not exist yet`,
          );
          for (const k of Object.keys(desired)) {
            if (!matchString(currentRe, k) || observed[k] !== undefined) continue;
            delete desired[k];
            if (input.resetCompositeReadiness === true) {
              rsp.desired = rsp.desired ?? {};
              rsp.desired.composite = { ...(rsp.desired.composite ?? { resource: {} }), ready: 'READY_FALSE' };
            }
          }
          break;
        }
      }
    }
  }
  Object.assign(desired, usages);
  rsp.desired = { ...(rsp.desired ?? {}), resources: desired };
  return rsp;
}

function generateUsages(
  sequence: string[],
  observed: Record<string, Resource>,
  desired: Record<string, Resource>,
  usages: Record<string, Resource>,
  replay: boolean,
  version: string,
): void {
  for (let i = 1; i < sequence.length; i++) {
    const rRe = strictRegex(sequence[i] as string);
    const ofRe = strictRegex(sequence[i - 1] as string);
    for (const [c, o] of Object.entries(observed)) {
      if (!matchString(rRe, c) || isUsage(o.resource, version)) continue;
      for (const k of Object.keys(desired)) {
        if (!matchString(ofRe, k)) continue;
        const obs = observed[k];
        if (obs === undefined) continue;
        usages[`${c}-${k}-usage`] = { resource: usage(obs.resource, o.resource, replay, version), ready: 'READY_TRUE' };
      }
    }
  }
}

export class Sequencer implements CompositionFunction {
  readonly pure = true;
  async run(req: RunFunctionRequest): Promise<RunFunctionResponse> {
    return runSequencer(req);
  }
}
