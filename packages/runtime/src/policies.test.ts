import { hasCode } from '@trellis/sdk';
import { describe, expect, it } from 'vitest';
import { newPolicyChecker, RUNTIME_INVALID_POLICY } from './policies.ts';

interface Case {
  reason: string;
  policies: string[] | undefined;
  deletionPolicy?: string;
  want: { valid: boolean; paused?: boolean; create?: boolean; update?: boolean; lateInit?: boolean; del?: boolean; onlyObserve?: boolean };
}

const cases: Record<string, Case> = {
  Absent: {
    reason: 'an absent field means the default ["*"]',
    policies: undefined,
    want: { valid: true, paused: false, create: true, update: true, lateInit: true, del: true, onlyObserve: false },
  },
  All: { reason: '"*" allows everything', policies: ['*'], want: { valid: true, create: true, update: true, lateInit: true, del: true } },
  Empty: { reason: 'an empty list pauses', policies: [], want: { valid: true, paused: true } },
  ObserveOnly: {
    reason: '["Observe"] is import mode',
    policies: ['Observe'],
    want: { valid: true, create: false, update: false, lateInit: false, del: false, onlyObserve: true },
  },
  ImportWithLateInit: {
    reason: 'Observe+LateInitialize is supported',
    policies: ['LateInitialize', 'Observe'],
    want: { valid: true, lateInit: true, update: false, onlyObserve: false },
  },
  NoDelete: {
    reason: 'omitting Delete orphans',
    policies: ['Observe', 'Create', 'Update', 'LateInitialize'],
    want: { valid: true, del: false, create: true },
  },
  Unsupported: { reason: 'Create without Observe is not in the allow-list', policies: ['Create'], want: { valid: false } },
  Unknown: { reason: 'an unknown action is rejected', policies: ['Observe', 'Frobnicate'], want: { valid: false } },
  LegacyOrphan: {
    reason: 'deletionPolicy Orphan with default policies orphans',
    policies: ['*'],
    deletionPolicy: 'Orphan',
    want: { valid: true, del: false },
  },
  LegacyDelete: {
    reason: 'deletionPolicy Delete with "*" deletes',
    policies: ['*'],
    deletionPolicy: 'Delete',
    want: { valid: true, del: true },
  },
  LegacyNonDefaultWins: {
    reason: 'a non-default policy with Delete wins over deletionPolicy Orphan (upstream)',
    policies: ['Observe', 'Delete'],
    deletionPolicy: 'Orphan',
    want: { valid: true, del: true },
  },
  LegacyBadDeletionPolicy: {
    reason: 'an unknown deletionPolicy is rejected',
    policies: ['*'],
    deletionPolicy: 'Keep',
    want: { valid: false },
  },
};

describe('newPolicyChecker', () => {
  describe.each(Object.entries(cases))('%s', (_n, tc) => {
    it(tc.reason, () => {
      const p = newPolicyChecker({ managementPolicies: tc.policies, deletionPolicy: tc.deletionPolicy });
      if (!tc.want.valid) {
        let err: unknown;
        try {
          p.validate();
        } catch (e) {
          err = e;
        }
        expect(hasCode(err, RUNTIME_INVALID_POLICY)).toBe(true);
        return;
      }
      expect(() => p.validate()).not.toThrow();
      if (tc.want.paused !== undefined) expect(p.isPaused()).toBe(tc.want.paused);
      if (tc.want.create !== undefined) expect(p.shouldCreate()).toBe(tc.want.create);
      if (tc.want.update !== undefined) expect(p.shouldUpdate()).toBe(tc.want.update);
      if (tc.want.lateInit !== undefined) expect(p.shouldLateInitialize()).toBe(tc.want.lateInit);
      if (tc.want.del !== undefined) expect(p.shouldDelete()).toBe(tc.want.del);
      if (tc.want.onlyObserve !== undefined) expect(p.shouldOnlyObserve()).toBe(tc.want.onlyObserve);
    });
  });
});
