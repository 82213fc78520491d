import { seconds } from '../ui/progress.ts';
import type { CaseResult, TestRun } from './run.ts';

/** ResultLine prints one case for humans: `PASS  database/defaults (0.1s)` plus indented failures. */
export function resultLine(r: CaseResult): string {
  const mark = r.status === 'passed' ? 'PASS ' : r.status === 'failed' ? 'FAIL ' : 'ERROR';
  const lines = [`${mark} ${r.suite}/${r.name} (${seconds(r.durationMs)})`];
  if (r.status !== 'passed') lines.push(`      at ${r.file}`, ...r.failures.map((f) => `      ${f}`));
  return `${lines.join('\n')}\n`;
}

/** SummaryLine ends the text report. */
export function summaryLine(run: TestRun): string {
  const s = run.summary;
  const parts = [
    `${s.passed} passed`,
    ...(s.failed > 0 ? [`${s.failed} failed`] : []),
    ...(s.errors > 0 ? [`${s.errors} error${s.errors === 1 ? '' : 's'}`] : []),
  ];
  return `${s.total} tests: ${parts.join(', ')} (${seconds(s.durationMs)})\n`;
}

/** JsonReport is the machine report (`-o json`, `--report-json`). */
export function jsonReport(run: TestRun): unknown {
  return { summary: run.summary, tests: run.results };
}

function xml(s: string): string {
  // Characters XML 1.0 cannot carry at all are dropped; the rest are escaped.
  // biome-ignore lint/suspicious/noControlCharactersInRegex: removing control characters is the point
  const clean = s.replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g, '');
  return clean.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');
}

function secs(ms: number): string {
  return (ms / 1000).toFixed(3);
}

/**
 * JunitReport writes the JUnit XML that CI systems read (GitLab, Jenkins, GitHub test reporters):
 * one testsuite per suite, one testcase per case, `<failure>` for assertion failures and
 * `<error>` for cases that could not run.
 */
export function junitReport(run: TestRun): string {
  const suites = new Map<string, CaseResult[]>();
  for (const r of run.results) suites.set(r.suite, [...(suites.get(r.suite) ?? []), r]);
  const s = run.summary;
  const out = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="trellis test" tests="${s.total}" failures="${s.failed}" errors="${s.errors}" time="${secs(s.durationMs)}">`,
  ];
  for (const [name, cases] of suites) {
    const f = cases.filter((c) => c.status === 'failed').length;
    const e = cases.filter((c) => c.status === 'error').length;
    const t = cases.reduce((n, c) => n + c.durationMs, 0);
    out.push(`  <testsuite name="${xml(name)}" tests="${cases.length}" failures="${f}" errors="${e}" time="${secs(t)}">`);
    for (const c of cases) {
      const open = `    <testcase classname="${xml(name)}" name="${xml(c.name)}" file="${xml(c.file)}" time="${secs(c.durationMs)}"`;
      if (c.status === 'passed') {
        out.push(`${open}/>`);
        continue;
      }
      const tag = c.status === 'failed' ? 'failure' : 'error';
      out.push(`${open}>`);
      out.push(`      <${tag} message="${xml(c.failures[0] ?? c.status)}">${xml(c.failures.join('\n'))}</${tag}>`);
      out.push('    </testcase>');
    }
    out.push('  </testsuite>');
  }
  out.push('</testsuites>');
  return `${out.join('\n')}\n`;
}
