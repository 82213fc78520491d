import type { KubeObject } from '@trellis/sdk';
import { TrellisError } from '@trellis/sdk';
import { describe, expect, it } from 'vitest';
import { defaultXrd, forCompositeResource, forCompositeResourceClaim, XcrdErrorCode } from './crd.ts';
import { compositeSchemaOf, scopeOf } from './scope.ts';
import { assertValidXrd, formatFieldError, validateXrd } from './validate.ts';

function xrd(spec: Record<string, unknown> = {}, apiVersion = 'apiextensions.crossplane.io/v1', name = 'xwidgets.example.org'): KubeObject {
  return {
    apiVersion,
    kind: 'CompositeResourceDefinition',
    metadata: { name },
    spec: {
      group: 'example.org',
      names: { kind: 'XWidget', plural: 'xwidgets' },
      versions: [{ name: 'v1', served: true, referenceable: true, schema: { openAPIV3Schema: { type: 'object' } } }],
      ...spec,
    },
  };
}

interface Case {
  reason: string;
  xrd: KubeObject;
  want: string[];
}

const cases: Record<string, Case> = {
  Valid: { reason: 'a minimal v1 XRD is valid', xrd: xrd(), want: [] },
  ValidV2: { reason: 'a minimal v2 XRD is valid', xrd: xrd({}, 'apiextensions.crossplane.io/v2'), want: [] },
  WrongName: {
    reason: 'the XRD name must be plural.group',
    xrd: xrd({}, 'apiextensions.crossplane.io/v1', 'widgets'),
    want: ['metadata.name: Invalid value: "widgets": must be spec.names.plural+"."+spec.group'],
  },
  UppercasePlural: {
    reason: 'the CEL rule on names rejects an uppercase plural',
    xrd: xrd({ names: { kind: 'XWidget', plural: 'XWidgets' } }, 'apiextensions.crossplane.io/v1', 'XWidgets.example.org'),
    want: ['spec.names: Invalid value: "object": Plural name must be lowercase'],
  },
  BadKind: {
    reason: 'a kind must be a DNS-1035 label in any case',
    xrd: xrd({ names: { kind: 'X_Widget', plural: 'xwidgets' } }),
    want: ['spec.names.kind: Invalid value: "X_Widget": may have mixed case, but should otherwise match: [a-z]([-a-z0-9]*[a-z0-9])?'],
  },
  GroupWithoutDot: {
    reason: 'a CRD group needs a dot',
    xrd: xrd({ group: 'example' }, 'apiextensions.crossplane.io/v1', 'xwidgets.example'),
    want: ['spec.group: Invalid value: "example": should be a domain with at least one dot'],
  },
  ClaimsOnV2: {
    reason: 'v2 XRDs cannot offer claims',
    xrd: xrd({ claimNames: { kind: 'Widget', plural: 'widgets' } }, 'apiextensions.crossplane.io/v2'),
    want: ['spec: Invalid value: "object": Claims aren\'t supported in apiextensions.crossplane.io/v2'],
  },
  ClaimsOnNamespaced: {
    reason: 'only LegacyCluster XRs can offer claims',
    xrd: xrd({ scope: 'Namespaced', claimNames: { kind: 'Widget', plural: 'widgets' } }),
    want: ['spec: Invalid value: "object": Only LegacyCluster composite resources can offer claims'],
  },
  ClaimNameClash: {
    reason: 'claim names may not equal the XR names',
    xrd: xrd({ claimNames: { kind: 'XWidget', plural: 'widgets' } }),
    want: ['spec.claimNames: Invalid value: "object": invalid resource claim names: "XWidget" conflicts with composite resource name'],
  },
  ConnectionKeysOnV2: {
    reason: 'v2 XRDs cannot publish connection secrets',
    xrd: xrd({ connectionSecretKeys: ['a'] }, 'apiextensions.crossplane.io/v2'),
    want: ['spec: Invalid value: "object": XR connection secrets aren\'t supported in apiextensions.crossplane.io/v2'],
  },
  LegacyScopeOnV2: {
    reason: 'v2 XRDs have no LegacyCluster scope',
    xrd: xrd({ scope: 'LegacyCluster' }, 'apiextensions.crossplane.io/v2'),
    want: ['spec.scope: Unsupported value: "LegacyCluster": supported values: "Namespaced", "Cluster"'],
  },
  NoVersions: {
    reason: 'an XRD needs a version',
    xrd: xrd({ versions: [] }),
    want: ['spec.versions: Required value: must have at least one version'],
  },
  TwoReferenceable: {
    reason: 'exactly one version is referenceable',
    xrd: xrd({
      versions: [
        { name: 'v1', served: true, referenceable: true, schema: { openAPIV3Schema: { type: 'object' } } },
        { name: 'v2', served: true, referenceable: true, schema: { openAPIV3Schema: { type: 'object' } } },
      ],
    }),
    want: ['spec.versions: Invalid value: ["v1","v2"]: must have exactly one version marked as referenceable, found 2'],
  },
  NoSchema: {
    reason: 'a version needs a schema',
    xrd: xrd({ versions: [{ name: 'v1', served: true, referenceable: true }] }),
    want: ['spec.versions[0].schema.openAPIV3Schema: Required value: custom resource validation cannot be nil'],
  },
  UntypedField: {
    reason: 'every schema field needs a type (structural schemas)',
    xrd: xrd({
      versions: [
        {
          name: 'v1',
          served: true,
          referenceable: true,
          schema: {
            openAPIV3Schema: { type: 'object', properties: { spec: { type: 'object', properties: { size: { description: 'x' } } } } },
          },
        },
      ],
    }),
    want: [
      'spec.versions[0].schema.openAPIV3Schema.properties[spec].properties[size].type: Required value: must not be empty for specified fields',
    ],
  },
  WebhookWithoutConfig: {
    reason: 'Webhook conversion needs a webhook',
    xrd: xrd({ conversion: { strategy: 'Webhook' } }),
    want: ['spec.conversion: Invalid value: "object": Webhook configuration is required when conversion strategy is Webhook'],
  },
  BadPolicy: {
    reason: 'policies are enums',
    xrd: xrd({ defaultCompositionUpdatePolicy: 'Sometimes' }),
    want: ['spec.defaultCompositionUpdatePolicy: Unsupported value: "Sometimes": supported values: "Automatic", "Manual"'],
  },
};

describe('validateXrd', () => {
  describe.each(Object.entries(cases))('%s', (_n, tc) => {
    it(tc.reason, () => {
      expect(validateXrd(tc.xrd).map(formatFieldError)).toEqual(tc.want);
    });
  });

  it('throws one error naming the XRD and every problem', () => {
    try {
      assertValidXrd(xrd({ versions: [], group: 'x' }, 'apiextensions.crossplane.io/v1', 'bad'));
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(TrellisError);
      expect((err as TrellisError).code).toBe(XcrdErrorCode.InvalidXrd);
      expect((err as TrellisError).message).toMatch(
        /^invalid CompositeResourceDefinition "bad": spec\.group: .*; metadata\.name: .*; spec\.versions: /,
      );
    }
  });

  it('survives a hostile, deeply nested schema without recursion trouble', () => {
    let s: Record<string, unknown> = { type: 'string' };
    for (let i = 0; i < 5000; i++) s = { type: 'object', properties: { x: s } };
    const errs = validateXrd(xrd({ versions: [{ name: 'v1', served: true, referenceable: true, schema: { openAPIV3Schema: s } }] }));
    expect(errs.some((e) => e.detail.startsWith('schema is nested more than'))).toBe(true);
  });
});

describe('scopes and schemas', () => {
  it('defaults scope by API version', () => {
    expect(scopeOf(xrd())).toBe('LegacyCluster');
    expect(scopeOf(xrd({}, 'apiextensions.crossplane.io/v2'))).toBe('Namespaced');
    expect(defaultXrd(xrd()).spec).toMatchObject({
      scope: 'LegacyCluster',
      defaultCompositeDeletePolicy: 'Background',
      defaultCompositionUpdatePolicy: 'Automatic',
    });
  });

  it('picks the legacy XR shape for LegacyCluster XRDs and checks the XR matches', () => {
    const x = { apiVersion: 'example.org/v1', kind: 'XWidget', metadata: { name: 'w' } };
    expect(compositeSchemaOf(xrd(), x)).toBe('Legacy');
    expect(compositeSchemaOf(xrd({ scope: 'Cluster' }), x)).toBe('Modern');
    expect(() => compositeSchemaOf(xrd(), { ...x, kind: 'Other' })).toThrow(
      'CompositeResourceDefinition "xwidgets.example.org" (composite Group=example.org Kind=XWidget) does not match the input XR\'s Group=example.org Kind=Other',
    );
  });
});

describe('forCompositeResource', () => {
  it('injects spec.crossplane for modern XRs and the legacy fields for LegacyCluster', () => {
    const modern = forCompositeResource(defaultXrd(xrd({ scope: 'Namespaced' })));
    const schema = ((
      modern.spec as {
        versions: { schema: { openAPIV3Schema: { properties: Record<string, { properties: Record<string, unknown> }> } } }[];
      }
    ).versions[0]?.schema.openAPIV3Schema.properties ?? {}) as Record<string, { properties: Record<string, unknown> }>;
    expect(Object.keys(schema.spec?.properties ?? {})).toEqual(['crossplane']);
    expect((modern.spec as { scope: string }).scope).toBe('Namespaced');
    const legacy = forCompositeResource(defaultXrd(xrd()));
    const lprops = (
      legacy.spec as { versions: { schema: { openAPIV3Schema: { properties: { spec: { properties: Record<string, unknown> } } } } }[] }
    ).versions[0]?.schema.openAPIV3Schema.properties.spec.properties;
    expect(Object.keys(lprops ?? {}).sort()).toEqual([
      'claimRef',
      'compositionRef',
      'compositionRevisionRef',
      'compositionRevisionSelector',
      'compositionSelector',
      'compositionUpdatePolicy',
      'resourceRefs',
      'writeConnectionSecretToRef',
    ]);
  });

  it('refuses to generate a claim CRD with clashing names, and a version without schema', () => {
    expect(() => forCompositeResourceClaim(xrd({ claimNames: { kind: 'C', plural: 'xwidgets' } }))).toThrow(
      'invalid CompositeResourceDefinition "xwidgets.example.org": invalid resource claim names: "xwidgets" conflicts with composite resource name',
    );
    expect(() => forCompositeResource(xrd({ versions: [{ name: 'v1', served: true, referenceable: true }] }))).toThrow(
      'custom resource validation cannot be nil',
    );
  });
});
