import { describe, expect, it } from 'vitest';
import { childName, nameProblems, parseDependsOn, renderUid } from './names.ts';

describe('childName', () => {
  const cases: Record<string, { reason: string; parent: string; uid: string; child: string; want: string }> = {
    Short: {
      reason: 'a short parent gets a dash and 12 hex characters (value seen in crossplane render output)',
      parent: 'my-app-',
      uid: '6f1e1c4a-5a3e-4a8e-9f0e-1b2c3d4e5f60',
      child: 'cm',
      want: 'my-app-bb3796cacbb0',
    },
    AddsDash: {
      reason: 'a parent without a trailing dash gets one',
      parent: 'my-app',
      uid: '6f1e1c4a-5a3e-4a8e-9f0e-1b2c3d4e5f60',
      child: 'cm',
      want: 'my-app-bb3796cacbb0',
    },
  };
  describe.each(Object.entries(cases))('%s', (_n, tc) => {
    it(tc.reason, () => expect(childName(tc.parent, tc.uid, tc.child)).toBe(tc.want));
  });

  it('truncates long parents to 63 characters, keeping a dash before the hash', () => {
    const n = childName(`${'a'.repeat(60)}-`, 'uid', 'x');
    expect(n).toHaveLength(63);
    expect(n.slice(0, 51)).toBe(`${'a'.repeat(50)}-`);
    const m = childName(`${'a'.repeat(50)}-bbbbbbbbbbbbbb-`, 'uid', 'x');
    expect(m).toHaveLength(63);
    expect(m[50]).toBe('-');
  });
});

describe('renderUid', () => {
  it('derives the UID crossplane render gives an XR without one (value seen in crossplane render output)', () => {
    expect(renderUid('example.org/v1alpha1', 'XApp', 'team-a', 'shop')).toBe('9d2c470c-7da7-5179-a4a1-a6136b73713a');
    expect(renderUid('v1', 'ConfigMap', '', 'x')).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });
});

describe('nameProblems', () => {
  it('accepts RFC 1123 subdomains, and colons for RBAC kinds only', () => {
    expect(nameProblems('a.b-c', 'v1', 'ConfigMap')).toEqual([]);
    expect(nameProblems('Bad_Name', 'v1', 'ConfigMap')).toHaveLength(1);
    expect(nameProblems('system:x', 'rbac.authorization.k8s.io/v1', 'ClusterRole')).toEqual([]);
    expect(nameProblems('system:x', 'v1', 'ConfigMap')).toHaveLength(1);
    expect(nameProblems('a'.repeat(254), 'v1', 'ConfigMap')).toContain('must be no more than 253 characters');
  });
});

describe('parseDependsOn', () => {
  it('splits on commas and spaces, drops empties and duplicates, keeps order', () => {
    expect(parseDependsOn(' db, network  db,,cache ')).toEqual(['db', 'network', 'cache']);
    expect(parseDependsOn(undefined)).toEqual([]);
  });
});
