import { describe, expect, it } from 'vitest';
import type { RunFunctionRequest } from '../protocol/types.ts';
import { runGoTemplating } from './function.ts';

const observed = {
  composite: { resource: { apiVersion: 'example.org/v1', kind: 'XApp', metadata: { name: 'a' }, spec: { n: 3, list: ['x', 'y'] } } },
};
const req = (template: string, extra: Record<string, unknown> = {}): RunFunctionRequest => ({
  observed,
  input: { apiVersion: 'gotemplating.fn.crossplane.io/v1beta1', kind: 'GoTemplate', source: 'Inline', inline: { template }, ...extra },
});

interface Case {
  reason: string;
  template: string;
  extra?: Record<string, unknown>;
  fatal?: RegExp;
  resources?: string[];
}

const cases: Record<string, Case> = {
  Basic: {
    reason: 'renders named resources',
    template:
      'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  annotations:\n    gotemplating.fn.crossplane.io/composition-resource-name: cm\n',
    resources: ['cm'],
  },
  Templates: {
    reason: 'inline.templates are joined with ---',
    template: '',
    extra: {
      inline: {
        templates: [
          'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  annotations:\n    gotemplating.fn.crossplane.io/composition-resource-name: a\n',
          'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  annotations:\n    gotemplating.fn.crossplane.io/composition-resource-name: b\n',
        ],
      },
    },
    resources: ['a', 'b'],
  },
  NoSource: {
    reason: 'a missing source is an invalid input',
    template: 'x',
    extra: { source: '' },
    fatal: /^invalid function input: source is required$/,
  },
  ParseError: {
    reason: 'a parse error names the line',
    template: 'a\n{{ if .x }}',
    fatal: /^invalid function input: cannot parse the provided templates: template: manifests:2: unexpected EOF$/,
  },
  UnknownFunction: { reason: 'an unknown function fails parsing', template: '{{ nope }}', fatal: /function "nope" not defined/ },
  ExecError: {
    reason: 'execution errors carry line and column',
    template: '\n  {{ index .observed.composite.resource.spec.list 9 }}',
    fatal:
      /^cannot execute template: template: manifests:2:5: executing "manifests" at <index .observed.composite.resource.spec.list 9>: error calling index: index out of range: 9$/,
  },
  SelfRecursion: {
    reason: 'infinite template recursion is an error, not a crash',
    template: '{{ define "r" }}{{ template "r" . }}{{ end }}{{ template "r" . }}',
    fatal: /exceeded maximum template depth/,
  },
  IncludeRecursion: {
    reason: 'infinite include recursion is an error, not a crash',
    template: '{{ define "r" }}{{ include "r" . }}{{ end }}{{ include "r" . }}',
    fatal: /(nested reference name: r|exceeded maximum template depth)/,
  },
  BadYaml: { reason: 'output that is not YAML is a decode error', template: 'a: [1,\n', fatal: /^cannot decode manifest: / },
  NotAMap: { reason: 'a YAML document that is not an object is an error', template: '- a\n- b\n', fatal: /^cannot decode manifest: / },
  MissingAnnotation: {
    reason: 'a resource without a name annotation is an error',
    template: 'apiVersion: v1\nkind: ConfigMap\n',
    fatal: /^"ConfigMap" template is missing required "gotemplating.fn.crossplane.io\/composition-resource-name" annotation$/,
  },
  BadReady: {
    reason: 'an invalid ready annotation is an error',
    template:
      'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  annotations:\n    gotemplating.fn.crossplane.io/composition-resource-name: a\n    gotemplating.fn.crossplane.io/ready: maybe\n',
    fatal: /must be True, False, or Unspecified/,
  },
  BadMetaKind: {
    reason: 'an unknown meta kind is an error',
    template: 'apiVersion: meta.gotemplating.fn.crossplane.io/v1alpha1\nkind: Nope\n',
    fatal: /invalid kind "Nope"/,
  },
  HugeUntil: {
    reason: 'a list too large to build is an error, not an out-of-memory',
    template: '{{ len (until 2000000000) }}',
    fatal: /until of 2000000000 elements is larger than the limit/,
  },
  Fail: { reason: 'sprig fail aborts with its message', template: '{{ fail "no region" }}', fatal: /error calling fail: no region$/ },
  Huge: {
    reason: 'output beyond the limit is an error, not an out-of-memory',
    template: '{{ range until 100000 }}{{ printf "%1000s" "x" }}{{ end }}',
    extra: {},
    fatal: /template output exceeds/,
  },
};

describe('go-templating', () => {
  for (const [name, c] of Object.entries(cases)) {
    it(`${name}: ${c.reason}`, () => {
      const rsp = runGoTemplating(req(c.template, c.extra), name === 'Huge' ? { maxOutput: 1024 * 1024 } : {});
      const fatal = (rsp.results ?? []).filter((r) => r.severity === 'SEVERITY_FATAL').map((r) => r.message);
      if (c.fatal !== undefined) {
        expect(fatal).toHaveLength(1);
        expect(fatal[0]).toMatch(c.fatal);
        return;
      }
      expect(fatal).toEqual([]);
      expect(Object.keys(rsp.desired?.resources ?? {}).sort()).toEqual(c.resources);
    });
  }
});
