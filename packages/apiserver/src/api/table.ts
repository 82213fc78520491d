import type { KubeObject } from '@trellis/sdk';
import type { PrinterColumn } from '../registry/types.ts';
import { compileJsonPath, evalJsonPath, printJsonPathValue } from './jsonpath.ts';

/** HumanDuration renders a duration as apimachinery's duration.HumanDuration does. */
export function humanDuration(ms: number): string {
  const seconds = Math.trunc(ms / 1000);
  if (seconds < -1) return '<invalid>';
  if (seconds < 0) return '0s';
  if (seconds < 120) return `${seconds}s`;
  const minutes = Math.trunc(seconds / 60);
  if (minutes < 10) {
    const s = seconds % 60;
    return s === 0 ? `${minutes}m` : `${minutes}m${s}s`;
  }
  if (minutes < 180) return `${minutes}m`;
  const hours = Math.trunc(seconds / 3600);
  if (hours < 8) {
    const m = minutes % 60;
    return m === 0 ? `${hours}h` : `${hours}h${m}m`;
  }
  if (hours < 48) return `${hours}h`;
  if (hours < 24 * 8) {
    const h = hours % 24;
    return h === 0 ? `${Math.trunc(hours / 24)}d` : `${Math.trunc(hours / 24)}d${h}h`;
  }
  if (hours < 24 * 365 * 2) return `${Math.trunc(hours / 24)}d`;
  if (hours < 24 * 365 * 8) {
    const dy = Math.trunc(hours / 24) % 365;
    return dy === 0 ? `${Math.trunc(hours / 24 / 365)}y` : `${Math.trunc(hours / 24 / 365)}y${dy}d`;
  }
  return `${Math.trunc(hours / 24 / 365)}y`;
}

/** HumanAge renders a timestamp as its age ("<unknown>" when absent), as metatable does. */
export function humanAge(ts: unknown, now: number): string {
  if (typeof ts !== 'string' || ts === '') return '<unknown>';
  const t = Date.parse(ts);
  if (Number.isNaN(t)) return '<invalid>';
  return humanDuration(now - t);
}

const NAME_DESCRIPTION =
  'Name must be unique within a namespace. Is required when creating resources, although some resources may allow a client to request the generation of an appropriate name automatically. Name is primarily intended for creation idempotence and configuration definition. Cannot be updated. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names';
export const AGE_DESCRIPTION =
  'CreationTimestamp is a timestamp representing the server time when this object was created. It is not guaranteed to be set in happens-before order across separate operations. Clients may not set this value. It is represented in RFC3339 form and is in UTC.\n\nPopulated by the system. Read-only. Null for lists. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata';

export interface TableColumnDefinition {
  name: string;
  type: string;
  format: string;
  description: string;
  priority: number;
}

/** A TableConvertor renders objects of one resource as Table rows. */
export interface TableConvertor {
  columns: TableColumnDefinition[];
  cells(obj: KubeObject, now: number): unknown[];
}

/** BuiltinColumn is a column computed by code (built-in kinds' printers). */
export interface BuiltinColumn {
  def: Omit<TableColumnDefinition, 'description' | 'format' | 'priority'> & Partial<TableColumnDefinition>;
  cell: (obj: KubeObject, now: number) => unknown;
}

export const nameColumn: BuiltinColumn = {
  def: { name: 'Name', type: 'string', format: 'name', description: NAME_DESCRIPTION },
  cell: (o) => o.metadata.name ?? '',
};

export const ageColumn: BuiltinColumn = {
  def: { name: 'Age', type: 'string', description: AGE_DESCRIPTION },
  cell: (o, now) => humanAge(o.metadata.creationTimestamp, now),
};

/** BuiltinConvertor builds a convertor from code-computed columns. */
export function builtinConvertor(cols: BuiltinColumn[]): TableConvertor {
  return {
    columns: cols.map((c) => ({ format: '', description: '', priority: 0, ...c.def })),
    cells: (obj, now) => cols.map((c) => c.cell(obj, now)),
  };
}

/** CrdConvertor builds the convertor of a CRD version from its additionalPrinterColumns. */
export function crdConvertor(columns: PrinterColumn[]): TableConvertor {
  const compiled = columns.map((c) => {
    try {
      return compileJsonPath(c.jsonPath);
    } catch {
      return undefined;
    }
  });
  return {
    columns: [
      { name: 'Name', type: 'string', format: 'name', description: NAME_DESCRIPTION, priority: 0 },
      ...columns.map((c) => ({
        name: c.name,
        type: c.type,
        format: c.format ?? '',
        description:
          c.description !== undefined && c.description !== ''
            ? c.description
            : `Custom resource definition column (in JSONPath format): ${c.jsonPath}`,
        priority: c.priority ?? 0,
      })),
    ],
    cells: (obj, now) => {
      const cells: unknown[] = [obj.metadata.name ?? ''];
      columns.forEach((c, i) => {
        const steps = compiled[i];
        if (steps === undefined) {
          cells.push(null);
          return;
        }
        const results = evalJsonPath(steps, obj);
        if (results.length === 0) {
          cells.push(null);
          return;
        }
        cells.push(cellFor(c.type, results[0], now));
      });
      return cells;
    },
  };
}

function cellFor(type: string, v: unknown, now: number): unknown {
  if (v === null || v === undefined) return null;
  switch (type) {
    case 'string':
      return printJsonPathValue(v);
    case 'integer':
      return typeof v === 'number' ? Math.trunc(v) : null;
    case 'number':
      return typeof v === 'number' ? v : null;
    case 'boolean':
      return typeof v === 'boolean' ? v : null;
    case 'date': {
      if (typeof v !== 'string') return null;
      const t = Date.parse(v);
      if (Number.isNaN(t) || !/^\d{4}-\d{2}-\d{2}T/.test(v)) return '<invalid>';
      return humanDuration(now - t);
    }
    default:
      return null;
  }
}

/** PartialObjectMetadata returns the PartialObjectMetadata of an object. */
export function partialObjectMetadata(obj: KubeObject, version: string): Record<string, unknown> {
  return { kind: 'PartialObjectMetadata', apiVersion: `meta.k8s.io/${version}`, metadata: obj.metadata };
}

export type IncludeObject = 'Metadata' | 'Object' | 'None';

/** TableRow renders one row with the object embedded as `includeObject` says. */
export function tableRow(
  conv: TableConvertor,
  obj: KubeObject,
  include: IncludeObject,
  version: string,
  now: number,
): Record<string, unknown> {
  const row: Record<string, unknown> = { cells: conv.cells(obj, now) };
  if (include === 'Object') row.object = obj;
  else if (include === 'Metadata') row.object = partialObjectMetadata(obj, version);
  return row;
}
