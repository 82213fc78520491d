/**
 * Per-step pipeline results kept in status. Upstream Crossplane turns function results into
 * events only, which expire after about an hour and never reach the claim (crossplane#3262,
 * #7518). Trellis also keeps the results of the last pipeline run in `status.pipelineResults` on
 * the XR, and the claim mirrors them, so `kubectl get <claim> -o yaml` shows which step failed,
 * on which composed resource and which field.
 */

/** PipelineResultsField is the status field holding the results (on XRs and claims). */
export const PipelineResultsField = 'pipelineResults';

/** The most results kept; later ones are summarised by a final entry. */
export const MaxPipelineResults = 32;

/** The longest message kept, in characters; longer ones end with "…". */
export const MaxResultMessageLength = 1024;

/** Severities as written in status (the protocol's enum without its prefix). */
export type ResultSeverity = 'Fatal' | 'Warning' | 'Normal';

/** A PipelineResult is one result of one pipeline step, as stored in status. */
export interface PipelineResult {
  /** Step is the pipeline step's name (empty for results of the engine itself). */
  step: string;
  severity: ResultSeverity;
  message: string;
  /** Reason is the function's machine-readable reason, when it gave one. */
  reason?: string;
  /** Resource is the composition resource name the result is about, when known. */
  resource?: string;
  /** FieldPath is the field path the result is about, when known. */
  fieldPath?: string;
  /** Target is `Composite` or `CompositeAndClaim`. */
  target?: 'Composite' | 'CompositeAndClaim';
}

/** A StepResult is a function result annotated with the step that returned it. */
export interface StepResult {
  step: string;
  severity: string;
  message: string;
  reason?: string | undefined;
  target?: string | undefined;
  /** Resource and fieldPath, when the function reported them in structured form. */
  resource?: string | undefined;
  fieldPath?: string | undefined;
}

/**
 * ToPipelineResults converts the results of one pipeline run into the stored form: severities
 * normalised, the resource and field path taken from structured fields or, failing that, from the
 * message (`composed resource "x"`, `…: spec.a.b: no such field`), messages bounded, and the list
 * capped at {@link MaxPipelineResults}.
 */
export function toPipelineResults(results: readonly StepResult[]): PipelineResult[] {
  const out = results.map(toPipelineResult);
  if (out.length <= MaxPipelineResults) return out;
  const kept = out.slice(0, MaxPipelineResults - 1);
  kept.push({ step: '', severity: 'Warning', message: `${out.length - kept.length} more results were not kept` });
  return kept;
}

function toPipelineResult(r: StepResult): PipelineResult {
  const out: PipelineResult = { step: r.step, severity: severityOf(r.severity), message: bound(r.message) };
  if (r.reason !== undefined && r.reason !== '') out.reason = r.reason;
  const resource = r.resource ?? resourceFromMessage(r.message);
  if (resource !== undefined && resource !== '') out.resource = resource;
  const fieldPath = r.fieldPath ?? fieldPathFromMessage(r.message);
  if (fieldPath !== undefined && fieldPath !== '') out.fieldPath = fieldPath;
  const target = targetOf(r.target);
  if (target !== undefined) out.target = target;
  return out;
}

/** SeverityOf maps protocol severities (`SEVERITY_FATAL`, `Fatal`, ...) to the stored form. */
export function severityOf(s: string): ResultSeverity {
  const v = s.replace(/^SEVERITY_/, '').toUpperCase();
  if (v === 'FATAL') return 'Fatal';
  if (v === 'NORMAL') return 'Normal';
  return 'Warning';
}

function targetOf(t: string | undefined): PipelineResult['target'] {
  const v = (t ?? '').replace(/^TARGET_/, '').toUpperCase();
  if (v === 'COMPOSITE_AND_CLAIM' || v === 'COMPOSITEANDCLAIM') return 'CompositeAndClaim';
  if (v === 'COMPOSITE') return 'Composite';
  return undefined;
}

function bound(message: string): string {
  const one = message.replace(/\s*[\r\n]+\s*/g, ' ').trim();
  return one.length <= MaxResultMessageLength ? one : `${one.slice(0, MaxResultMessageLength - 1)}…`;
}

const RESOURCE_RE = /composed resource "([^"]+)"/;

/** ResourceFromMessage finds `composed resource "x"` in a message (P&T's wording). */
export function resourceFromMessage(message: string): string | undefined {
  return RESOURCE_RE.exec(message)?.[1];
}

/**
 * Field-path errors of crossplane-runtime's fieldpath package end in one of these; the path is the
 * segment right before them (`…: spec.widgets[0]: not an array`).
 */
const FIELD_ERROR_RE =
  /(?:^|: )([A-Za-z_$][\w$-]*(?:\.[\w$/-]+|\[[^\]]*\])*): (?:no such field|not an array|not an object|no such element|expected map, got nil|is not an array|is not an object)/;
const PARSE_PATH_RE = /cannot (?:parse|expand) (?:path|ToFieldPath) "?([^":]+)"?/;

/** FieldPathFromMessage finds the field path a fieldpath error names, if any. */
export function fieldPathFromMessage(message: string): string | undefined {
  const m = FIELD_ERROR_RE.exec(message);
  if (m?.[1] !== undefined) return m[1];
  return PARSE_PATH_RE.exec(message)?.[1]?.trim();
}

/** WorstSeverity returns the most severe of some results (Fatal > Warning > Normal), if any. */
export function worstSeverity(results: readonly PipelineResult[]): ResultSeverity | undefined {
  if (results.some((r) => r.severity === 'Fatal')) return 'Fatal';
  if (results.some((r) => r.severity === 'Warning')) return 'Warning';
  return results.length > 0 ? 'Normal' : undefined;
}
