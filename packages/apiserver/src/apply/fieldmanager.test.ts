import { type KubeObject, TrellisError } from '@trellis/sdk';
import { describe, expect, it } from 'vitest';
import type { FieldScope, ManagedFieldsEntry } from '../contracts.ts';
import { maxNestingDepth } from '../schema/json.ts';
import { serverSideApply, trackUpdate } from './fieldmanager.ts';
import { FieldSet, pathString } from './fieldpath.ts';
import { builtinTypeInfo, typeInfoFromSchema } from './types.ts';

// Server-side apply semantics (structured-merge-diff). The differential suite
// (test/apiserver-schema/apply.test.ts) checks the same behaviours against kube-apiserver.

const schema = {
  type: 'object',
  properties: {
    spec: {
      type: 'object',
      properties: {
        replicas: { type: 'integer' },
        size: { type: 'string' },
        tags: { type: 'array', 'x-kubernetes-list-type': 'set', items: { type: 'string' } },
        ports: {
          type: 'array',
          'x-kubernetes-list-type': 'map',
          'x-kubernetes-list-map-keys': ['name'],
          items: { type: 'object', required: ['name'], properties: { name: { type: 'string' }, port: { type: 'integer' } } },
        },
        args: { type: 'array', items: { type: 'string' } },
        labels: { type: 'object', additionalProperties: { type: 'string' } },
        selector: { type: 'object', 'x-kubernetes-map-type': 'atomic', additionalProperties: { type: 'string' } },
        free: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
      },
    },
    status: { type: 'object', properties: { phase: { type: 'string' } } },
  },
};
const typeInfo = typeInfoFromSchema(schema);
const now = '2026-01-01T00:00:00Z';
const base = { apiVersion: 'example.org/v1', kind: 'Widget', metadata: { name: 'w', namespace: 'd' } };

type Obj = Record<string, unknown> & { metadata: { managedFields?: ManagedFieldsEntry[] } };

interface Step {
  apply?: Record<string, unknown>;
  update?: (live: Obj) => void;
  manager: string;
  force?: boolean;
  subresource?: 'status';
  /** Spec (and status) expected after the step. */
  spec?: unknown;
  status?: unknown;
  /** Owned paths per manager (`manager/Operation[/subresource]`) after the step. */
  owners?: Record<string, string[]>;
  error?: { code: string; message: string; causes?: unknown[] };
}

function owners(o: Obj): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const e of o.metadata.managedFields ?? []) {
    const id = [e.manager, e.operation, e.subresource].filter((x) => x !== undefined && x !== '').join('/');
    out[id] = FieldSet.fromFieldsV1(e.fieldsV1).paths().map(pathString);
  }
  return out;
}

function run(steps: Step[]): void {
  let live: Obj | undefined;
  for (const [i, s] of steps.entries()) {
    const scope: FieldScope = s.subresource === 'status' ? 'status-only' : 'no-status';
    try {
      if (s.apply !== undefined) {
        live = serverSideApply({
          live: live as KubeObject | undefined,
          applied: { ...base, ...s.apply } as unknown as KubeObject,
          manager: s.manager,
          force: s.force === true,
          subresource: s.subresource ?? '',
          scope,
          apiVersion: 'example.org/v1',
          typeInfo,
          now,
        }).object as unknown as Obj;
      } else if (s.update !== undefined && live !== undefined) {
        const next = structuredClone(live);
        s.update(next);
        next.metadata.managedFields = trackUpdate({
          old: live as KubeObject,
          new: next as unknown as KubeObject,
          manager: s.manager,
          subresource: s.subresource ?? '',
          scope,
          apiVersion: 'example.org/v1',
          typeInfo,
          now,
        });
        live = next;
      }
      expect(s.error, `step ${i} should fail`).toBeUndefined();
    } catch (e) {
      if (!(e instanceof TrellisError) || s.error === undefined) throw e;
      expect({
        code: e.code,
        message: String(e.details?.statusMessage ?? e.message),
        ...(s.error.causes ? { causes: e.details?.causes } : {}),
      }).toEqual(s.error);
      continue;
    }
    if (s.spec !== undefined) expect(live?.spec, `spec after step ${i}`).toEqual(s.spec);
    if (s.status !== undefined) expect(live?.status, `status after step ${i}`).toEqual(s.status);
    if (s.owners !== undefined && live !== undefined) expect(owners(live), `owners after step ${i}`).toEqual(s.owners);
  }
}

const first = {
  spec: { replicas: 1, size: 'S', tags: ['x'], ports: [{ name: 'http', port: 80 }], args: ['1'], labels: { a: '1' }, selector: { k: 'v' } },
};
const aOwns = [
  '.spec.args',
  '.spec.replicas',
  '.spec.selector',
  '.spec.size',
  '.spec.labels.a',
  '.spec.ports[name="http"]',
  '.spec.ports[name="http"].name',
  '.spec.ports[name="http"].port',
  '.spec.tags[="x"]',
];

describe('serverSideApply', () => {
  const cases: { reason: string; steps: Step[] }[] = [
    {
      reason: 'create on apply records the manager’s fields (lists, sets, granular and atomic maps)',
      steps: [{ manager: 'a', apply: first, spec: first.spec, owners: { 'a/Apply': aOwns } }],
    },
    {
      reason: 'a second manager merges into sets, map lists and granular maps, sharing equal values without conflict',
      steps: [
        { manager: 'a', apply: first },
        {
          manager: 'b',
          apply: { spec: { size: 'S', tags: ['y'], ports: [{ name: 'grpc', port: 90 }], labels: { b: '2' } } },
          spec: { ...first.spec, tags: ['x', 'y'], ports: [...first.spec.ports, { name: 'grpc', port: 90 }], labels: { a: '1', b: '2' } },
          owners: {
            'a/Apply': aOwns,
            'b/Apply': [
              '.spec.size',
              '.spec.labels.b',
              '.spec.ports[name="grpc"]',
              '.spec.ports[name="grpc"].name',
              '.spec.ports[name="grpc"].port',
              '.spec.tags[="y"]',
            ],
          },
        },
      ],
    },
    {
      reason: 'changing another manager’s fields conflicts (one line per field for several)',
      steps: [
        { manager: 'a', apply: first },
        {
          manager: 'b',
          apply: { spec: { size: 'M', replicas: 2 } },
          error: {
            code: 'APISERVER_APPLY_CONFLICT',
            message: 'Apply failed with 2 conflicts: conflicts with "a":\n- .spec.replicas\n- .spec.size',
            causes: [
              { reason: 'FieldManagerConflict', message: 'conflict with "a"', field: '.spec.replicas' },
              { reason: 'FieldManagerConflict', message: 'conflict with "a"', field: '.spec.size' },
            ],
          },
        },
      ],
    },
    {
      reason: 'force takes the fields over; the old owner then conflicts when it applies its value again',
      steps: [
        { manager: 'a', apply: first },
        { manager: 'b', apply: { spec: { size: 'M' } }, force: true, spec: { ...first.spec, size: 'M' } },
        {
          manager: 'a',
          apply: first,
          error: { code: 'APISERVER_APPLY_CONFLICT', message: 'Apply failed with 1 conflict: conflict with "b": .spec.size' },
        },
      ],
    },
    {
      reason: 'fields a manager stops applying are removed unless someone else owns them',
      steps: [
        { manager: 'a', apply: first },
        { manager: 'b', apply: { spec: { tags: ['x'], labels: { a: '1' } } } },
        {
          manager: 'a',
          apply: { spec: { size: 'S' } },
          spec: { size: 'S', tags: ['x'], labels: { a: '1' } },
          owners: { 'a/Apply': ['.spec.size'], 'b/Apply': ['.spec.labels.a', '.spec.tags[="x"]'] },
        },
      ],
    },
    {
      reason: 'atomic lists and maps are replaced whole and owned whole',
      steps: [
        { manager: 'a', apply: first },
        {
          manager: 'a',
          apply: { spec: { ...first.spec, args: ['2', '3'], selector: { other: 'x' } } },
          spec: { ...first.spec, args: ['2', '3'], selector: { other: 'x' } },
        },
      ],
    },
    {
      reason: 'preserved (untyped) objects are granular maps',
      steps: [
        { manager: 'a', apply: { spec: { free: { a: { b: 1 } } } }, owners: { 'a/Apply': ['.spec.free.a', '.spec.free.a.b'] } },
        { manager: 'b', apply: { spec: { free: { c: 1 } } }, spec: { free: { a: { b: 1 }, c: 1 } } },
        {
          manager: 'b',
          apply: { spec: { free: { a: { b: 2 } } } },
          error: { code: 'APISERVER_APPLY_CONFLICT', message: 'Apply failed with 1 conflict: conflict with "a": .spec.free.a.b' },
        },
      ],
    },
    {
      reason: 'an update takes ownership of what it changes; the applier then conflicts with "<manager>" using <version>',
      steps: [
        { manager: 'a', apply: first },
        {
          manager: 'editor',
          update: (o) => {
            (o.spec as { size: string }).size = 'L';
          },
          owners: { 'a/Apply': aOwns.filter((p) => p !== '.spec.size'), 'editor/Update': ['.spec.size'] },
        },
        {
          manager: 'a',
          apply: first,
          error: {
            code: 'APISERVER_APPLY_CONFLICT',
            message: 'Apply failed with 1 conflict: conflict with "editor" using example.org/v1: .spec.size',
          },
        },
      ],
    },
    {
      reason: 'on the main resource, status in the body is ignored; /status applies only status',
      steps: [
        {
          manager: 'a',
          apply: { spec: { size: 'S' }, status: { phase: 'Ready' } },
          spec: { size: 'S' },
          owners: { 'a/Apply': ['.spec.size'] },
        },
        {
          manager: 'ctl',
          subresource: 'status',
          apply: { spec: { size: 'XL' }, status: { phase: 'Ready' } },
          spec: { size: 'S' },
          status: { phase: 'Ready' },
          owners: { 'a/Apply': ['.spec.size'], 'ctl/Apply/status': ['.status.phase'] },
        },
      ],
    },
  ];
  it.each(cases)('$reason', (c) => run(c.steps));

  const failures: { reason: string; apply: Record<string, unknown>; code: string; message: string | RegExp }[] = [
    {
      reason: 'an unknown field cannot be typed (kube answers 500)',
      apply: { spec: { bogus: 1 } },
      code: 'APISERVER_APPLY_FAILED',
      message: 'failed to create typed patch object (d/w; example.org/v1, Kind=Widget): .spec.bogus: field not declared in schema',
    },
    {
      reason: 'duplicate map-list keys in the body',
      apply: { spec: { ports: [{ name: 'x' }, { name: 'x' }] } },
      code: 'APISERVER_APPLY_FAILED',
      message: 'failed to create typed patch object (d/w; example.org/v1, Kind=Widget): .spec.ports: duplicate entries for key [name="x"]',
    },
    {
      reason: 'managedFields in the body',
      apply: { metadata: { name: 'w', namespace: 'd', managedFields: [{ manager: 'x' }] } },
      code: 'APISERVER_APPLY_BAD_REQUEST',
      message: 'metadata.managedFields must be nil',
    },
    {
      reason: 'another apiVersion in the body',
      apply: { apiVersion: 'example.org/v2' },
      code: 'APISERVER_APPLY_BAD_REQUEST',
      message: 'Incorrect version specified in apply patch. Specified patch version: example.org/v2, expected: example.org/v1',
    },
    {
      reason: 'hostile nesting is refused up front',
      apply: { spec: { free: JSON.parse(`${'{"a":'.repeat(5000)}1${'}'.repeat(5000)}`) } },
      code: 'APISERVER_APPLY_BAD_REQUEST',
      message: `spec must not be nested more than ${maxNestingDepth} levels deep`,
    },
  ];
  it.each(failures)('fails: $reason', (c) => {
    let err: unknown;
    try {
      serverSideApply({
        live: undefined,
        applied: { ...base, ...c.apply } as unknown as KubeObject,
        manager: 'a',
        force: false,
        subresource: '',
        scope: 'no-status',
        apiVersion: 'example.org/v1',
        typeInfo,
        now,
      });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(TrellisError);
    expect((err as TrellisError).code).toBe(c.code);
    expect((err as TrellisError).message).toBe(c.message);
  });
});

describe('trackUpdate', () => {
  it('records an Update entry for the fields a create sets', () => {
    const created = { ...base, spec: { size: 'S', tags: ['x'] } } as unknown as KubeObject;
    const entries = trackUpdate({
      old: undefined,
      new: created,
      manager: 'kubectl',
      subresource: '',
      scope: 'no-status',
      apiVersion: 'example.org/v1',
      typeInfo,
      now,
    });
    expect(entries).toEqual([
      {
        manager: 'kubectl',
        operation: 'Update',
        apiVersion: 'example.org/v1',
        time: now,
        fieldsType: 'FieldsV1',
        fieldsV1: { 'f:spec': { '.': {}, 'f:size': {}, 'f:tags': { '.': {}, 'v:"x"': {} } } },
      },
    ]);
  });

  it('returns no entries (like kube’s UpdateNoErrors) when the object cannot be typed', () => {
    const bad = { ...base, spec: { size: { not: 'a string' } } } as unknown as KubeObject;
    expect(
      trackUpdate({
        old: undefined,
        new: bad,
        manager: 'm',
        subresource: '',
        scope: 'no-status',
        apiVersion: 'example.org/v1',
        typeInfo,
        now,
      }),
    ).toEqual([]);
  });

  it('tolerates duplicate map-list keys on update (SMD AllowDuplicates; validation reports them)', () => {
    const dup = { ...base, spec: { ports: [{ name: 'x' }, { name: 'x' }] } } as unknown as KubeObject;
    const [entry] = trackUpdate({
      old: undefined,
      new: dup,
      manager: 'm',
      subresource: '',
      scope: 'no-status',
      apiVersion: 'example.org/v1',
      typeInfo,
      now,
    });
    expect(entry?.fieldsV1).toEqual({ 'f:spec': { '.': {}, 'f:ports': { '.': {}, 'k:{"name":"x"}': {} } } });
  });

  it('resets history when the client sends managedFields: [{}]', () => {
    const old = serverSideApply({
      live: undefined,
      applied: { ...base, spec: { size: 'S' } } as unknown as KubeObject,
      manager: 'a',
      force: false,
      subresource: '',
      scope: 'no-status',
      apiVersion: 'example.org/v1',
      typeInfo,
      now,
    }).object;
    const next = structuredClone(old) as unknown as Obj;
    next.metadata.managedFields = [{} as ManagedFieldsEntry];
    expect(
      trackUpdate({
        old,
        new: next as unknown as KubeObject,
        manager: 'm',
        subresource: '',
        scope: 'no-status',
        apiVersion: 'example.org/v1',
        typeInfo,
        now,
      }),
    ).toEqual([]);
  });
});

describe('built-in kinds', () => {
  const cm = builtinTypeInfo('', 'ConfigMap');
  const apply = (live: KubeObject | undefined, manager: string, body: Record<string, unknown>): KubeObject =>
    serverSideApply({
      live,
      applied: { apiVersion: 'v1', kind: 'ConfigMap', ...body } as unknown as KubeObject,
      manager,
      force: false,
      subresource: '',
      scope: 'all',
      apiVersion: 'v1',
      typeInfo: cm,
      now,
    }).object;

  it('merges ConfigMap data, labels, finalizers (a set) and ownerReferences (keyed by uid) per manager', () => {
    const owner = (uid: string) => ({ apiVersion: 'v1', kind: 'Thing', name: uid, uid });
    const a = apply(undefined, 'a', {
      metadata: { name: 'c', namespace: 'd', labels: { a: '1' }, finalizers: ['x/a'], ownerReferences: [owner('u1')] },
      data: { one: '1' },
    });
    const b = apply(a, 'b', {
      metadata: { name: 'c', namespace: 'd', labels: { b: '2' }, finalizers: ['x/b'], ownerReferences: [owner('u2')] },
      data: { two: '2' },
    });
    const o = b as unknown as Obj & { data: unknown; metadata: Record<string, unknown> };
    expect(o.data).toEqual({ one: '1', two: '2' });
    expect(o.metadata.labels).toEqual({ a: '1', b: '2' });
    expect(o.metadata.finalizers).toEqual(['x/a', 'x/b']);
    expect(o.metadata.ownerReferences).toEqual([owner('u1'), owner('u2')]);
    expect(owners(o)['b/Apply']).toEqual([
      '.data.two',
      '.metadata.finalizers[="x/b"]',
      '.metadata.labels.b',
      // OwnerReference is an atomic struct: its item is owned whole.
      '.metadata.ownerReferences[uid="u2"]',
    ]);
  });
});
