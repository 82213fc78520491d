import { hasCode } from '@trellis/sdk';
import { describe, expect, it } from 'vitest';
import { checkConstraint, isDigest, parseConstraint, satisfies, whyNot } from './constraint.ts';
import { compareVersions, parseVersion, tryParseVersion } from './version.ts';

// Documented behaviour of Masterminds/semver v3 (the Crossplane constraint library): each row is
// [constraint, version, satisfied], as listed in the library's own check table.
const masterminds: [string, string, boolean][] = [
  ['*', '1.2.3', true],
  ['~0.0.0', '1.2.3', true],
  ['0.x.x', '1.2.3', false],
  ['0.0.x', '1.2.3', false],
  ['0.0.0', '1.2.3', false],
  ['*', '1.2.3', true],
  ['^0.0.0', '1.2.3', false],
  ['= 2.0', '1.2.3', false],
  ['= 2.0', '2.0.0', true],
  ['4.1', '4.1.0', true],
  ['4.1.x', '4.1.3', true],
  ['1.x', '1.4', true],
  ['!=4.1', '4.1.0', false],
  ['!=4.1-alpha', '4.1.0-alpha', false],
  ['!=4.1-alpha', '4.1.1-alpha', false],
  ['!=4.1-alpha', '4.1.0', true],
  ['!=4.1', '5.1.0', true],
  ['!=4.x', '5.1.0', true],
  ['!=4.x', '4.1.0', false],
  ['!=4.1.x', '4.2.0', true],
  ['!=4.2.x', '4.2.3', false],
  ['>1.1', '4.1.0', true],
  ['>1.1', '1.1.0', false],
  ['<1.1', '0.1.0', true],
  ['<1.1', '1.1.0', false],
  ['<1.1', '1.1.1', false],
  ['<1.x', '1.1.1', false],
  ['<1.x', '0.1.1', true],
  ['<1.x', '2.0.0', false],
  ['<1.1.x', '1.2.1', false],
  ['<1.1.x', '1.1.500', false],
  ['<1.1.x', '1.0.500', true],
  ['<1.2.x', '1.1.1', true],
  ['>=1.1', '4.1.0', true],
  ['>=1.1', '4.1.0-beta', false],
  ['>=1.1', '1.1.0', true],
  ['>=1.1', '0.0.9', false],
  ['<=1.1', '0.1.0', true],
  ['<=1.1', '0.1.0-alpha', false],
  ['<=1.1-a', '0.1.0-alpha', true],
  ['<=1.1', '1.1.0', true],
  ['<=1.x', '1.1.0', true],
  ['<=2.x', '3.0.0', false],
  ['<=1.1', '1.1.1', true],
  ['<=1.1.x', '1.2.500', false],
  ['<=4.5', '3.4.0', true],
  ['<=4.5', '3.7.0', true],
  ['<=4.5', '4.6.3', false],
  ['>1.1, <2', '1.1.1', false],
  ['>1.1, <2', '1.2.1', true],
  ['>1.1, <3', '4.3.2', false],
  ['>=1.1, <2, !=1.2.3', '1.2.3', false],
  ['>1.1 <2', '1.1.1', false],
  ['>1.1 <2', '1.2.1', true],
  ['>1.1    <3', '4.3.2', false],
  ['>=1.1    <2    !=1.2.3', '1.2.3', false],
  ['>=1.1, <2, !=1.2.3 || > 3', '4.1.2', true],
  ['>=1.1, <2, !=1.2.3 || > 3', '3.1.2', false],
  ['>=1.1, <2, !=1.2.3 || >= 3', '3.0.0', true],
  ['>=1.1, <2, !=1.2.3 || > 3', '3.0.0', false],
  ['>=1.1, <2, !=1.2.3 || > 3', '1.2.3', false],
  ['>=1.1 <2 !=1.2.3', '1.2.3', false],
  ['>=1.1 <2 !=1.2.3 || > 3', '4.1.2', true],
  ['>=1.1 <2 !=1.2.3 || > 3', '3.1.2', false],
  ['>=1.1 <2 !=1.2.3 || >= 3', '3.0.0', true],
  ['>=1.1 <2 !=1.2.3 || > 3', '3.0.0', false],
  ['>=1.1 <2 !=1.2.3 || > 3', '1.2.3', false],
  ['> 1.1, <     2', '1.1.1', false],
  ['>   1.1, <2', '1.2.1', true],
  ['>1.1, <  3', '4.3.2', false],
  ['>= 1.1, <     2, !=1.2.3', '1.2.3', false],
  ['> 1.1 < 2', '1.1.1', false],
  ['>1.1 < 2', '1.2.1', true],
  ['> 1.1    <3', '4.3.2', false],
  ['>=1.1    < 2    != 1.2.3', '1.2.3', false],
  ['>= 1.1, <2, !=1.2.3 || > 3', '4.1.2', true],
  ['>= 1.1, <2, != 1.2.3 || > 3', '3.1.2', false],
  ['>= 1.1, <2, != 1.2.3 || >= 3', '3.0.0', true],
  ['>= 1.1, <2, !=1.2.3 || > 3', '3.0.0', false],
  ['>= 1.1, <2, !=1.2.3 || > 3', '1.2.3', false],
  ['>= 1.1 <2 != 1.2.3', '1.2.3', false],
  ['>= 1.1 <2 != 1.2.3 || > 3', '4.1.2', true],
  ['>= 1.1 <2 != 1.2.3 || > 3', '3.1.2', false],
  ['>= 1.1 <2 != 1.2.3 || >= 3', '3.0.0', true],
  ['>= 1.1 < 2 !=1.2.3 || > 3', '3.0.0', false],
  ['>=1.1 < 2 !=1.2.3 || > 3', '1.2.3', false],
  ['>= 1.0.0  <= 2.0.0-beta', '1.0.1-beta', true],
  ['>= 1.0.0  <= 2.0.0-beta', '1.0.1', true],
  ['>= 1.0.0  <= 2.0.0-beta', '3.0.0', false],
  ['>= 1.0.0  <= 2.0.0-beta || > 3', '1.0.1-beta', true],
  ['>= 1.0.0  <= 2.0.0-beta || > 3', '3.0.1-beta', false],
  ['>= 1.0.0  <= 2.0.0-beta != 1.0.1 || > 3', '1.0.1-beta', true],
  ['>= 1.0.0  <= 2.0.0-beta != 1.0.1-beta || > 3', '1.0.1-beta', false],
  ['>= 1.0.0-0  <= 2.0.0', '1.0.1-beta', true],
  ['1.1 - 2', '1.1.1', true],
  ['1.5.0 - 4.5', '3.7.0', true],
  ['1.1-3', '4.3.2', false],
  ['^1.1', '1.1.1', true],
  ['^1.1', '4.3.2', false],
  ['^1.x', '1.1.1', true],
  ['^2.x', '1.1.1', false],
  ['^1.x', '2.1.1', false],
  ['^1.x', '1.1.1-beta1', false],
  ['^1.1.2-alpha', '1.2.1-beta1', true],
  ['^1.2.x-alpha', '1.1.1-beta1', false],
  ['^0.0.1', '0.0.1', true],
  ['^0.0.1', '0.3.1', false],
  ['~*', '2.1.1', true],
  ['~1', '2.1.1', false],
  ['~1', '1.3.5', true],
  ['~1', '1.4', true],
  ['~1.x', '2.1.1', false],
  ['~1.x', '1.3.5', true],
  ['~1.x', '1.4', true],
  ['~1.1', '1.1.1', true],
  ['~1.1', '1.1.1-alpha', false],
  ['~1.1-alpha', '1.1.1-beta', true],
  ['~1.1.1-beta', '1.1.1-alpha', false],
  ['~1.1.1-beta', '1.1.1', true],
  ['~1.2.3', '1.2.5', true],
  ['~1.2.3', '1.2.2', false],
  ['~1.2.3', '1.3.2', false],
  ['~1.1', '1.2.3', false],
  ['~1.3', '2.4.5', false],
  ['1.0.0 - 2.0.0 <=2.0.0', '1.5.0', true],
  ['1.0.0 - 2.0.0, <=2.0.0', '1.5.0', true],
];

// Constraint strings seen in real crossplane.yaml files (census §6b/§6c) and what they mean.
const crossplane: { reason: string; constraint: string; yes: string[]; no: string[] }[] = [
  {
    reason: 'comma is AND without spaces',
    constraint: '>=v0.6.5,<v0.7.0',
    yes: ['v0.6.5', 'v0.6.9'],
    no: ['v0.7.0', 'v0.6.4', 'v0.6.6-rc.1'],
  },
  { reason: '>= only', constraint: '>=v0.0.0', yes: ['v0.0.0', 'v9.1.0'], no: ['v1.0.0-rc.1'] },
  { reason: 'exact version with v', constraint: 'v0.4.0', yes: ['v0.4.0', '0.4.0'], no: ['v0.4.1'] },
  { reason: 'major only is a tilde range', constraint: 'v2', yes: ['v2.0.0', 'v2.9.9'], no: ['v3.0.0', 'v1.9.9'] },
  { reason: 'v0 is >=0.0.0 <1.0.0', constraint: 'v0', yes: ['v0.0.1', 'v0.47.1'], no: ['v1.0.0'] },
  { reason: 'v1 is >=1.0.0 <2.0.0', constraint: 'v1', yes: ['v1.0.0', 'v1.19.0'], no: ['v2.0.0', 'v0.9.0'] },
  { reason: '>=v2 with partial version', constraint: '>=v2', yes: ['v2.0.0', 'v3.1.0'], no: ['v1.9.0'] },
  { reason: '= with v', constraint: '=v0.2.0', yes: ['v0.2.0'], no: ['v0.2.1'] },
  { reason: '<= with v', constraint: '<=v0.4.0', yes: ['v0.4.0', 'v0.1.0'], no: ['v0.4.1'] },
  { reason: 'no v prefix', constraint: '>=0.3.0', yes: ['v0.3.0'], no: ['v0.2.9'] },
  { reason: 'partial with minor', constraint: '>=v0.9', yes: ['v0.9.0', 'v0.10.0'], no: ['v0.8.9'] },
  {
    reason: '-0 lets every prerelease through the group',
    constraint: '>=v1.14.1-0',
    yes: ['v1.16.0-rc.0', 'v1.14.1', 'v2.0.0-up.1'],
    no: ['v1.14.0', 'v1.14.0-rc.1'],
  },
  { reason: 'prerelease in partial constraint', constraint: '>=v1.20-0', yes: ['v1.20.0-rc.1', 'v1.21.0'], no: ['v1.19.0'] },
  { reason: 'no -0: prereleases excluded (crossplane#6769)', constraint: '>=v0.14.36', yes: ['v0.16.0'], no: ['v0.16.0-feat.0'] },
  { reason: 'prerelease constraint', constraint: '>=v1.14.0-up.1', yes: ['v1.14.0-up.2', 'v1.14.0'], no: ['v1.14.0-up.0'] },
  { reason: 'exact prerelease-looking tag', constraint: 'v0.2.0-gt', yes: ['v0.2.0-gt'], no: ['v0.2.0'] },
  { reason: '!= excludes one version', constraint: '>=1.0.0, !=1.4.0', yes: ['1.3.0', '1.5.0'], no: ['1.4.0'] },
  { reason: 'caret', constraint: '^1.2.3', yes: ['1.9.0'], no: ['2.0.0', '1.2.2'] },
  { reason: 'caret below 1', constraint: '^0.2.3', yes: ['0.2.9'], no: ['0.3.0'] },
  { reason: 'tilde', constraint: '~1.2.3', yes: ['1.2.9'], no: ['1.3.0'] },
  { reason: 'x range', constraint: '1.2.x', yes: ['1.2.0', '1.2.7'], no: ['1.3.0'] },
  { reason: 'or', constraint: '<1.0.0 || >=2.0.0', yes: ['0.9.0', '2.0.0'], no: ['1.5.0'] },
  { reason: 'hyphen range', constraint: '1.0.0 - 2.0.0', yes: ['1.0.0', '2.0.0'], no: ['2.0.1'] },
];

describe('Masterminds check table', () => {
  it.each(masterminds)('%s against %s is %s', (constraint, version, want) => {
    expect(satisfies(version, constraint)).toBe(want);
  });
});

describe('constraint strings from the real-world corpus', () => {
  it.each(crossplane)('$reason ($constraint)', ({ constraint, yes, no }) => {
    const c = parseConstraint(constraint);
    for (const v of yes) expect(checkConstraint(c, parseVersion(v)), `${v} should satisfy ${constraint}`).toBe(true);
    for (const v of no) expect(checkConstraint(c, parseVersion(v)), `${v} should not satisfy ${constraint}`).toBe(false);
  });
});

describe('parsing', () => {
  const parse: [string, boolean][] = [
    ['>= 1.1', false],
    ['>40.50.60, < 50.70', false],
    ['2.0', false],
    ['v2.3.5-20161202202307-sha.e8fc5e5', false],
    ['v1.2.3-0abc', false],
    ['v1.2.3-beta.01', true],
    ['>= bar', true],
    ['BAR >= 1.2.3', true],
    ['>= 1.2.3 < 2.0', false],
    ['>= 1.2.3 < 2.0 || => 3.0 < 4', false],
    ['>= 1.2.3, < 2.0', false],
    ['>= 1.2.3, < 2.0 || => 3.0, < 4', false],
    ['3 - 4 || => 3.0, < 4', false],
    ['12.3.4.1234', true],
    ['12.23.4.1234', true],
    ['12.3.34.1234', true],
    ['12.3.34 ~1.2.3', false],
    ['12.3.34~ 1.2.3', true],
    ['1.0.0 - 2.0.0, <=2.0.0', false],
    ['', true],
    ['TEMPLATED', true],
    ['>=vX.Y.Z,<v(X+1).0.0', true],
    ['sha256:ecc25c121431dfc7058754427f97c034ecde26d4aafa0da16d258090e0443904', false],
    ['sha256:ECC25C', true],
    ['>>1.0.0', true],
  ];
  it.each(parse)('%j fails: %s', (constraint, fails) => {
    if (fails) {
      let err: unknown;
      try {
        parseConstraint(constraint);
      } catch (e) {
        err = e;
      }
      expect(hasCode(err, 'XPKG_INVALID_CONSTRAINT')).toBe(true);
    } else {
      expect(() => parseConstraint(constraint)).not.toThrow();
    }
  });

  it('parses digests as pins', () => {
    const d = 'sha256:552a394a8accd2b4d37fc5858abe93d311e727eafb3c00636e11c72572873e48';
    expect(isDigest(d)).toBe(true);
    expect(parseConstraint(d)).toEqual({ kind: 'digest', raw: d, digest: d });
    expect(checkConstraint(parseConstraint(d), parseVersion('1.0.0'))).toBe(false);
  });

  it('includePrerelease lets prereleases through', () => {
    expect(checkConstraint(parseConstraint('>=1.0.0'), parseVersion('1.2.0-rc.1'), { includePrerelease: true })).toBe(true);
  });

  it('explains a mismatch', () => {
    expect(whyNot(parseConstraint('<1.3.0'), parseVersion('v1.3.0'))).toBe('v1.3.0 is greater than or equal to 1.3.0');
    expect(whyNot(parseConstraint('>=1.0.0'), parseVersion('1.1.0-rc.1'))).toMatch(/prerelease/);
  });

  it('rejects hostile input (catastrophic backtracking would hit the test timeout)', () => {
    const hostile = [
      `${'1.0.0-'}${'a.'.repeat(400)}!`,
      `>=${'1'.repeat(900)}`,
      `${'>=1.0.0 '.repeat(120)}!`,
      `${'1.0.0-a'.repeat(140)}$`,
      'x'.repeat(2000),
    ];
    for (const h of hostile) {
      try {
        parseConstraint(h);
      } catch (err) {
        expect(hasCode(err, 'XPKG_INVALID_CONSTRAINT')).toBe(true);
      }
    }
  });
});

describe('versions', () => {
  const cases: { reason: string; v: string; want?: [number, number, number, string]; complete?: boolean }[] = [
    { reason: 'full with v', v: 'v1.2.3', want: [1, 2, 3, ''], complete: true },
    { reason: 'major only is lenient but incomplete', v: 'v1', want: [1, 0, 0, ''], complete: false },
    { reason: 'minor only', v: '1.2', want: [1, 2, 0, ''], complete: false },
    { reason: 'prerelease and metadata', v: '1.2.3-rc.1+build.5', want: [1, 2, 3, 'rc.1'], complete: true },
    { reason: 'leading zero prerelease number', v: '1.2.3-01' },
    { reason: 'garbage', v: 'latest' },
    { reason: 'four parts', v: '1.2.3.4' },
  ];
  it.each(cases)('$reason: $v', ({ v, want, complete }) => {
    const p = tryParseVersion(v);
    if (want === undefined) {
      expect(p).toBeUndefined();
      return;
    }
    expect(p && [p.major, p.minor, p.patch, p.prerelease]).toEqual(want);
    expect(p?.complete).toBe(complete);
  });

  it('orders by precedence', () => {
    const sorted = [
      '1.0.0-alpha',
      '1.0.0-alpha.1',
      '1.0.0-alpha.beta',
      '1.0.0-beta',
      '1.0.0-beta.2',
      '1.0.0-beta.11',
      '1.0.0-rc.1',
      '1.0.0',
    ];
    const shuffled = [...sorted].reverse();
    expect(
      shuffled
        .map((s) => parseVersion(s))
        .sort(compareVersions)
        .map((v) => v.original),
    ).toEqual(sorted);
  });
});
