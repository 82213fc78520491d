import { describe, expect, it } from 'vitest';
import { holdsSecrets, redactSecrets } from './redact.ts';

const secret = {
  apiVersion: 'v1',
  kind: 'Secret',
  metadata: { name: 's', annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{"data":{"password":"aHVudGVyMg=="}}' } },
  data: { password: 'aHVudGVyMg==' },
  stringData: { token: 'abc' },
};

describe('redactSecrets', () => {
  const cases = {
    TopLevel: {
      reason: 'a Secret keeps its keys, not its values or its last-applied annotation',
      in: secret,
      check: (o: unknown) => {
        const s = o as typeof secret;
        expect(s.data.password).toBe('<redacted: 7 bytes>');
        expect(s.stringData.token).toBe('<redacted: 3 bytes>');
        expect(JSON.stringify(s)).not.toContain('aHVudGVyMg');
      },
    },
    Embedded: {
      reason: 'a Secret inside another object (a provider-kubernetes manifest) is redacted too',
      in: { apiVersion: 'kubernetes.crossplane.io/v1alpha2', kind: 'Object', spec: { forProvider: { manifest: secret } } },
      check: (o: unknown) => expect(JSON.stringify(o)).not.toContain('aHVudGVyMg'),
    },
    List: {
      reason: 'lists of objects are walked',
      in: [{ kind: 'ConfigMap', data: { a: 'visible' } }, secret],
      check: (o: unknown) => {
        expect(JSON.stringify(o)).toContain('visible');
        expect(JSON.stringify(o)).not.toContain('abc"');
      },
    },
    NotASecret: {
      reason: 'a ConfigMap is printed as is',
      in: { apiVersion: 'v1', kind: 'ConfigMap', data: { password: 'shown' } },
      check: (o: unknown) => expect(o).toEqual({ apiVersion: 'v1', kind: 'ConfigMap', data: { password: 'shown' } }),
    },
    OtherGroup: {
      reason: 'a custom kind named Secret in another group is not a core Secret',
      in: { apiVersion: 'vault.example.org/v1', kind: 'Secret', data: { a: 'b' } },
      check: (o: unknown) => expect(o).toEqual({ apiVersion: 'vault.example.org/v1', kind: 'Secret', data: { a: 'b' } }),
    },
  };
  describe.each(Object.entries(cases))('%s', (_name, tc) => {
    it(tc.reason, () => {
      const before = JSON.stringify(tc.in);
      tc.check(redactSecrets(tc.in));
      expect(JSON.stringify(tc.in)).toBe(before);
    });
  });
  it('prints secrets when asked (--show-secrets)', () => {
    expect(redactSecrets(secret, { show: true })).toBe(secret);
  });
});

describe('holdsSecrets', () => {
  const cases: Array<{ reason: string; text: string; want: boolean }> = [
    { reason: 'a YAML Secret', text: 'apiVersion: v1\nkind: Secret\n', want: true },
    { reason: 'quoted kind, in a list item, with a comment', text: 'items:\n- kind: "Secret" # creds\n', want: true },
    { reason: 'a JSON Secret', text: '{"apiVersion":"v1","kind": "Secret"}', want: true },
    { reason: 'a ConfigMap', text: 'apiVersion: v1\nkind: ConfigMap\n', want: false },
    { reason: 'a kind that only starts with Secret', text: 'kind: SecretStore\n', want: false },
  ];
  it.each(cases)('$reason', ({ text, want }) => {
    expect(holdsSecrets(text)).toBe(want);
  });
});
