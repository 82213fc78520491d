/**
 * `trellis render` on bad and hostile input: every problem ends in one clear line naming the
 * file, document or step, with the documented exit code, never a crash or a hang.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '@trellis/cli';
import { afterAll, describe, expect, it } from 'vitest';

const dir = mkdtempSync(join(tmpdir(), 'trellis-render-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

async function run(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(['render', ...args], { out: (t) => (out += t), err: (t) => (err += t), isTTY: false });
  return { code, out, err };
}

const xr = file('xr.yaml', 'apiVersion: example.org/v1\nkind: XApp\nmetadata:\n  name: app\n  namespace: default\nspec: {}\n');
const pt = (resources: string) =>
  file(
    `comp-${Math.random().toString(36).slice(2)}.yaml`,
    `apiVersion: apiextensions.crossplane.io/v1
kind: Composition
metadata:
  name: c
spec:
  compositeTypeRef:
    apiVersion: example.org/v1
    kind: XApp
  mode: Pipeline
  pipeline:
  - step: compose
    functionRef:
      name: function-patch-and-transform
    input:
      apiVersion: pt.fn.crossplane.io/v1beta1
      kind: Resources
      resources:
${resources}
`,
  );
const good = pt('      - name: cm\n        base:\n          apiVersion: v1\n          kind: ConfigMap\n');

interface Case {
  reason: string;
  args: () => string[];
  code: number;
  err: string | RegExp;
}

const cases: Record<string, Case> = {
  Works: { reason: 'a good input renders with built-in functions and no functions file', args: () => [xr, good], code: 0, err: '' },
  MissingFile: {
    reason: 'a missing XR file is a usage error naming the file',
    args: () => [join(dir, 'nope.yaml'), good],
    code: 2,
    err: /cannot read composite resource from ".*nope\.yaml"/,
  },
  BadYaml: {
    reason: 'malformed YAML names the file, line and column',
    args: () => [file('bad.yaml', 'apiVersion: v1\nkind: [unclosed\n'), good],
    code: 2,
    err: /cannot load composite resource from ".*bad\.yaml": cannot parse composite resource in ".*bad\.yaml": .* \(3:1\)/,
  },
  NotAComposition: {
    reason: 'the composition argument must be a Composition',
    args: () => [xr, file('cm.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n')],
    code: 2,
    err: /not a composition: ConfigMap\/x/,
  },
  KindMismatch: {
    reason: "the Composition must be for the XR's kind",
    args: () => [file('other.yaml', 'apiVersion: example.org/v1\nkind: XOther\nmetadata:\n  name: o\n'), good],
    code: 1,
    err: "composition's compositeTypeRef.kind (XApp) does not match XR's kind (XOther)",
  },
  UnknownFunction: {
    reason: 'a step naming an unknown function fails naming the step and the function',
    args: () => [xr, file('unknown.yaml', readFileText(good).replace('function-patch-and-transform', 'function-mystery'))],
    code: 1,
    err: 'cannot render composite resource: cannot run Composition pipeline step "compose": unknown function "function-mystery"',
  },
  DockerOnly: {
    reason: 'a listed function Trellis cannot run says how to run it',
    args: () => [
      xr,
      file('docker.yaml', readFileText(good).replace('function-patch-and-transform', 'function-kcl')),
      file(
        'fns.yaml',
        'apiVersion: pkg.crossplane.io/v1\nkind: Function\nmetadata:\n  name: function-kcl\nspec:\n  package: xpkg.crossplane.io/crossplane-contrib/function-kcl:v0.1.0\n',
      ),
    ],
    code: 2,
    err: /cannot run Function "function-kcl": it is not built into Trellis and the Docker runtime is not supported/,
  },
  UnknownRuntime: {
    reason: 'an unknown runtime annotation is refused as upstream refuses it',
    args: () => [
      xr,
      good,
      file(
        'rt.yaml',
        'apiVersion: pkg.crossplane.io/v1\nkind: Function\nmetadata:\n  name: function-patch-and-transform\n  annotations:\n    render.crossplane.io/runtime: Kubernetes\nspec:\n  package: x/y/function-patch-and-transform:v1\n',
      ),
    ],
    code: 2,
    err: 'unsupported "render.crossplane.io/runtime" annotation value "Kubernetes" (unknown runtime)',
  },
  BadTimeout: {
    reason: 'a bad duration is a usage error',
    args: () => [xr, good, '--timeout', 'soon'],
    code: 2,
    err: 'invalid --timeout "soon"',
  },
  BadContext: {
    reason: 'a context value must be YAML',
    args: () => [xr, good, '--context-values', 'k=[unclosed'],
    code: 2,
    err: /cannot build context data: cannot parse context value for key "k"/,
  },
  ContextWithoutKey: {
    reason: 'a context value needs a key',
    args: () => [xr, good, '--context-values', 'novalue'],
    code: 2,
    err: 'invalid --context-values "novalue": want key=value',
  },
  Fatal: {
    reason: 'a fatal function result fails the render with the step and message',
    args: () => [xr, pt('      - base:\n          apiVersion: v1\n          kind: ConfigMap\n')],
    code: 1,
    err: 'pipeline step "compose" returned a fatal result: invalid Function input: resources[0].name: Required value: name is required',
  },
  UnreachableFunction: {
    reason: 'a Development function nobody listens for fails within the timeout, naming the step',
    args: () => [
      xr,
      good,
      file(
        'dev.yaml',
        'apiVersion: pkg.crossplane.io/v1\nkind: Function\nmetadata:\n  name: function-patch-and-transform\n  annotations:\n    render.crossplane.io/runtime: Development\n    render.crossplane.io/runtime-development-target: 127.0.0.1:1\nspec:\n  package: x/y/function-patch-and-transform:v1\n',
      ),
      '--remote-builtins',
      '--timeout',
      '3s',
    ],
    code: 1,
    err: /cannot render composite resource: cannot run Composition pipeline step "compose"/,
  },
  AliasBomb: {
    reason: 'a YAML alias bomb is refused, not expanded',
    args: () => [
      file(
        'bomb.yaml',
        `apiVersion: example.org/v1\nkind: XApp\nmetadata:\n  name: app\nspec:\n  a: &a [x, x, x, x, x, x, x, x, x, x]\n${Array.from(
          { length: 8 },
          (_, i) =>
            `  ${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [${Array(10)
              .fill(`*${String.fromCharCode(97 + i)}`)
              .join(', ')}]`,
        ).join('\n')}\n`,
      ),
      good,
    ],
    code: 2,
    err: /expands to more than 1000000 values/,
  },
  DeepNesting: {
    reason: 'hostile nesting is refused with a message',
    args: () => [
      file(
        'deep.yaml',
        `apiVersion: example.org/v1\nkind: XApp\nmetadata:\n  name: app\nspec:\n  x: ${'['.repeat(5000)}${']'.repeat(5000)}\n`,
      ),
      good,
    ],
    code: 2,
    err: /cannot parse composite resource in ".*deep\.yaml"/,
  },
};

function readFileText(p: string): string {
  return readFileSync(p, 'utf8');
}

describe('trellis render on bad input', () => {
  describe.each(Object.entries(cases))('%s', (_n, tc) => {
    it(tc.reason, async () => {
      const r = await run(tc.args());
      expect(r.code, r.err).toBe(tc.code);
      if (tc.err === '') expect(r.err).toBe('');
      else if (typeof tc.err === 'string') expect(r.err).toContain(tc.err);
      else expect(r.err).toMatch(tc.err);
      expect(r.err).not.toContain('internal error');
      expect(r.err.trim().split('\n').length).toBeLessThanOrEqual(1);
    });
  });

  it('renders a large input (2,000 composed resources) in one go', async () => {
    const resources = Array.from(
      { length: 2000 },
      (_, i) =>
        `      - name: cm-${i}\n        base:\n          apiVersion: v1\n          kind: ConfigMap\n          data:\n            i: "${i}"\n`,
    ).join('');
    const r = await run([xr, pt(resources)]);
    expect(r.code, r.err).toBe(0);
    expect(r.out.split('\n---\n').length).toBe(2001);
  });
});
