import { hasCode } from '@trellis/sdk';
import { describe, expect, it } from 'vitest';
import { filterInstallable, formatFinding, hasErrors, lintPackage } from './lint.ts';
import { parsePackageStream } from './parse.ts';

const xrd = `apiVersion: apiextensions.crossplane.io/v1
kind: CompositeResourceDefinition
metadata: {name: xdbs.example.org}
spec: {group: example.org}
`;
const crd = `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: things.example.org}
`;
const cfg = (spec: string, apiVersion = 'meta.pkg.crossplane.io/v1', kind = 'Configuration') =>
  `apiVersion: ${apiVersion}\nkind: ${kind}\nmetadata:\n  name: demo\nspec:\n${spec}\n`;

interface Case {
  reason: string;
  stream: string;
  mode?: 'build' | 'install';
  crossplaneVersion?: string;
  wantErrors: string[];
  wantWarnings?: string[];
}

const cases: Record<string, Case> = {
  MinimalConfiguration: {
    reason: 'a v1 configuration with an XRD lints clean',
    stream: `${cfg('  dependsOn: []')}---\n${xrd}`,
    wantErrors: [],
  },
  V1alpha1: {
    reason: 'meta v1alpha1 (still common) is valid',
    stream: `${cfg('  crossplane:\n    version: ">=v1.14.1-0"\n  dependsOn:\n  - provider: xpkg.upbound.io/upbound/provider-aws-ec2\n    version: "v1"', 'meta.pkg.crossplane.io/v1alpha1')}`,
    wantErrors: [],
  },
  FunctionV1beta1: {
    reason: 'meta v1beta1 Function with a CRD',
    stream: `${cfg('  {}', 'meta.pkg.crossplane.io/v1beta1', 'Function')}---\n${crd}`,
    wantErrors: [],
  },
  NoMeta: {
    reason: 'a stream without meta fails',
    stream: xrd,
    wantErrors: ['package.yaml: document 0: not exactly one package meta type: found none'],
  },
  TwoMetas: {
    reason: 'two metas fail',
    stream: `${cfg('  {}')}---\n${cfg('  {}')}`,
    wantErrors: ['not exactly one package meta type: found 2'],
  },
  CrdInConfiguration: {
    reason: 'a CRD in a Configuration fails the build, naming the document',
    stream: `${cfg('  {}')}---\n${crd}`,
    wantErrors: [
      'package.yaml: document 1: kind: a Configuration package cannot carry apiextensions.k8s.io/v1 CustomResourceDefinition "things.example.org"',
    ],
  },
  CrdInConfigurationInstall: {
    reason: 'at install time the same CRD is a warning and is filtered out',
    stream: `${cfg('  {}')}---\n${crd}`,
    mode: 'install',
    wantErrors: [],
    wantWarnings: ['it will not be installed'],
  },
  XrdInProvider: {
    reason: 'an XRD in a Provider fails',
    stream: `${cfg('  {}', 'meta.pkg.crossplane.io/v1', 'Provider')}---\n${xrd}`,
    wantErrors: ['a Provider package cannot carry apiextensions.crossplane.io/v1 CompositeResourceDefinition'],
  },
  BadConstraint: {
    reason: 'a bad dependency constraint names the field',
    stream: cfg('  dependsOn:\n  - provider: xpkg.crossplane.io/org/provider-nop\n    version: ">= banana"'),
    wantErrors: ['package.yaml: document 0: spec.dependsOn[0].version: improper constraint'],
  },
  BadCrossplaneVersion: {
    reason: 'spec.crossplane.version must be a constraint',
    stream: cfg('  crossplane:\n    version: TEMPLATED'),
    wantErrors: ['spec.crossplane.version: package version constraints are poorly formatted'],
  },
  IncompatibleCrossplane: {
    reason: 'the running Crossplane version is checked when given',
    stream: cfg('  crossplane:\n    version: ">=v2.1.0"'),
    crossplaneVersion: 'v2.0.0',
    wantErrors: ['package is not compatible with Crossplane version (v2.0.0)'],
  },
  BothForms: {
    reason: 'a dependency with two forms is invalid',
    stream: cfg('  dependsOn:\n  - provider: a.io/x/p\n    function: a.io/x/f\n    version: v1'),
    wantErrors: ['spec.dependsOn[0]: encountered an invalid dependency'],
  },
  ExplicitMissingKind: {
    reason: 'the explicit form needs apiVersion, kind and package',
    stream: cfg('  dependsOn:\n  - apiVersion: pkg.crossplane.io/v1\n    package: a.io/x/p\n    version: v1'),
    wantErrors: ['spec.dependsOn[0].kind: encountered an invalid dependency'],
  },
  TaggedDependency: {
    reason: 'a dependency package must not carry a tag',
    stream: cfg('  dependsOn:\n  - provider: a.io/x/p:v1.0.0\n    version: v1'),
    wantErrors: ['spec.dependsOn[0].provider: "a.io/x/p:v1.0.0" must not carry a tag'],
  },
  UpperCaseRepo: {
    reason: 'a dependency repository must be lower case',
    stream: cfg('  dependsOn:\n  - provider: a.io/X/p\n    version: v1'),
    wantErrors: ['spec.dependsOn[0].provider: invalid package reference'],
  },
  NoName: {
    reason: 'metadata.name is required',
    stream: 'apiVersion: meta.pkg.crossplane.io/v1\nkind: Provider\nspec: {}\n',
    wantErrors: ['metadata.name: want a non-empty string'],
  },
  LabelNotString: {
    reason: 'labels must be strings',
    stream: 'apiVersion: meta.pkg.crossplane.io/v1\nkind: Provider\nmetadata:\n  name: p\n  labels: {a: 1}\n',
    wantErrors: ['metadata.labels.a: want a string, got number'],
  },
};

describe('lintPackage', () => {
  describe.each(Object.entries(cases))('%s', (_name, tc) => {
    it(tc.reason, () => {
      const opts: { mode?: 'build' | 'install'; crossplaneVersion?: string } = {};
      if (tc.mode !== undefined) opts.mode = tc.mode;
      if (tc.crossplaneVersion !== undefined) opts.crossplaneVersion = tc.crossplaneVersion;
      const r = lintPackage(parsePackageStream(tc.stream), opts);
      const errors = r.findings.filter((f) => f.severity === 'error').map(formatFinding);
      expect(errors.length, errors.join('\n')).toBe(tc.wantErrors.length);
      for (const [i, want] of tc.wantErrors.entries()) expect(errors[i]).toContain(want);
      for (const want of tc.wantWarnings ?? []) expect(r.findings.map(formatFinding).join('\n')).toContain(want);
      expect(hasErrors(r.findings)).toBe(tc.wantErrors.length > 0);
    });
  });

  it('normalises every dependsOn form', () => {
    const r = lintPackage(
      parsePackageStream(
        cfg(`  dependsOn:
  - provider: xpkg.crossplane.io/crossplane-contrib/provider-nop
    version: ">=v0.2.1"
  - function: xpkg.crossplane.io/crossplane-contrib/function-auto-ready
    version: v0.2.1
  - configuration: xpkg.upbound.io/upbound/configuration-aws-network
    version: v0.23.0
  - apiVersion: pkg.crossplane.io/v1
    kind: Function
    package: xpkg.crossplane.io/crossplane-contrib/function-kcl
    version: sha256:ecc25c121431dfc7058754427f97c034ecde26d4aafa0da16d258090e0443904`),
      ),
    );
    expect(r.meta?.dependsOn.map((d) => [d.type, d.kind, d.package, d.version])).toEqual([
      ['Provider', 'Provider', 'xpkg.crossplane.io/crossplane-contrib/provider-nop', '>=v0.2.1'],
      ['Function', 'Function', 'xpkg.crossplane.io/crossplane-contrib/function-auto-ready', 'v0.2.1'],
      ['Configuration', 'Configuration', 'xpkg.upbound.io/upbound/configuration-aws-network', 'v0.23.0'],
      [
        'Function',
        'Function',
        'xpkg.crossplane.io/crossplane-contrib/function-kcl',
        'sha256:ecc25c121431dfc7058754427f97c034ecde26d4aafa0da16d258090e0443904',
      ],
    ]);
  });

  it('installs only allowed kinds and nothing for functions', () => {
    const p = parsePackageStream(`${cfg('  {}')}---\n${crd}---\n${xrd}`);
    expect(
      filterInstallable(
        'Configuration',
        p.objects.map((o) => o.object),
      ).map((o) => o.kind),
    ).toEqual(['CompositeResourceDefinition']);
    expect(
      filterInstallable(
        'Function',
        p.objects.map((o) => o.object),
      ),
    ).toEqual([]);
  });
});

describe('parsePackageStream', () => {
  const bad: { reason: string; stream: string; code: string; message: string }[] = [
    {
      reason: 'unknown kind is an error, not a skip',
      stream: `${cfg('  {}')}---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n`,
      code: 'XPKG_UNKNOWN_KIND',
      message: 'package.yaml: document 1: kind: a package cannot carry v1 ConfigMap (c)',
    },
    {
      reason: 'unknown meta kind',
      stream: 'apiVersion: meta.pkg.crossplane.io/v1\nkind: Project\nmetadata: {name: p}\n',
      code: 'XPKG_UNKNOWN_KIND',
      message: 'unknown package meta type',
    },
    {
      reason: 'a scalar document',
      stream: `${cfg('  {}')}---\nhello\n`,
      code: 'XPKG_PARSE',
      message: 'document 1: want a Kubernetes object (a mapping), got string',
    },
    {
      reason: 'no kind',
      stream: 'apiVersion: v1\nmetadata: {}\n',
      code: 'XPKG_PARSE',
      message: 'document 0: kind: want a non-empty string',
    },
    { reason: 'broken YAML', stream: `${cfg('  {}')}---\na: [b\n`, code: 'XPKG_PARSE', message: 'document 1: invalid YAML' },
    { reason: 'duplicate keys', stream: 'apiVersion: v1\napiVersion: v2\nkind: X\n', code: 'XPKG_PARSE', message: 'invalid YAML' },
    {
      reason: 'an alias bomb',
      stream: `a: &a [x,x,x,x,x,x,x,x,x]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\nf: [*e,*e,*e,*e,*e,*e,*e,*e,*e,*e,*e,*e,*e,*e,*e,*e,*e,*e,*e,*e,*e,*e,*e,*e,*e,*e,*e,*e,*e,*e,*e,*e,*e,*e,*e,*e,*e,*e,*e,*e,*e,*e,*e,*e,*e,*e,*e,*e,*e,*e,*e,*e,*e,*e,*e,*e,*e,*e,*e,*e,*e,*e,*e,*e,*e,*e,*e,*e,*e,*e,*e,*e,*e,*e,*e,*e,*e,*e,*e,*e,*e,*e,*e,*e,*e,*e,*e,*e,*e,*e,*e,*e,*e]\napiVersion: v1\nkind: X\n`,
      code: 'XPKG_PARSE',
      message: 'invalid YAML',
    },
  ];
  it.each(bad)('$reason', ({ stream, code, message }) => {
    let err: unknown;
    try {
      parsePackageStream(stream);
    } catch (e) {
      err = e;
    }
    expect(hasCode(err, code), String(err)).toBe(true);
    expect(String(err)).toContain(message);
  });

  it('skips empty documents but keeps indexes', () => {
    const p = parsePackageStream(`---\n# comment\n---\n${cfg('  {}')}---\n---\n${xrd}`);
    expect(p.metas[0]?.source.document).toBe(1);
    expect(p.objects[0]?.source.document).toBe(3);
  });

  it('refuses an oversized stream', () => {
    let err: unknown;
    try {
      parsePackageStream('a'.repeat(2048), 'big.yaml', { maxBytes: 1024 });
    } catch (e) {
      err = e;
    }
    expect(hasCode(err, 'XPKG_TOO_LARGE')).toBe(true);
  });
});
