import type { KubeObject } from '@trellis/sdk';
import { describe, expect, it } from 'vitest';
import { validateCrd, validateCrdName } from './crd.ts';

// Expected causes are kube-apiserver's (each case was checked against the real server; the
// differential corpus in test/apiserver-schema/corpus/crds keeps checking the same rules).

// biome-ignore lint/suspicious/noExplicitAny: the cases edit arbitrary parts of the CRD.
type Crd = any;

function base(): Crd {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: 'widgets.example.org' },
    spec: {
      group: 'example.org',
      scope: 'Namespaced',
      names: { plural: 'widgets', singular: 'widget', kind: 'Widget', listKind: 'WidgetList' },
      versions: [
        {
          name: 'v1',
          served: true,
          storage: true,
          schema: {
            openAPIV3Schema: { type: 'object', properties: { spec: { type: 'object', properties: { size: { type: 'string' } } } } },
          },
        },
      ],
    },
  };
}

const schema = (s: unknown) => (crd: Crd) => {
  crd.spec.versions[0].schema.openAPIV3Schema = { type: 'object', properties: { spec: s } };
};

const rule = (
  r: unknown,
  props: unknown = { size: { type: 'string', maxLength: 10 }, items: { type: 'array', items: { type: 'string' } } },
) => schema({ type: 'object', properties: props, 'x-kubernetes-validations': [r] });

function causes(crd: Crd): string[] {
  return [...validateCrd(crd as KubeObject), ...validateCrdName(crd as KubeObject)].map((c) => `${c.reason} ${c.field}: ${c.message}`);
}

describe('validateCrd', () => {
  const cases: { reason: string; mutate: (crd: Crd) => void; want: string[] }[] = [
    { reason: 'a valid CRD', mutate: () => {}, want: [] },
    {
      reason: 'names',
      mutate: (c) => {
        c.spec.names = {
          plural: 'Widgets',
          singular: 'wid_get',
          kind: 'widget',
          listKind: 'widget',
          shortNames: ['W!'],
          categories: ['all', 'A B'],
        };
      },
      want: [
        "FieldValueInvalid spec.names.plural: Invalid value: \"Widgets\": a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')",
        "FieldValueInvalid spec.names.singular: Invalid value: \"wid_get\": a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')",
        "FieldValueInvalid spec.names.shortNames[0]: Invalid value: \"W!\": a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')",
        'FieldValueInvalid spec.names.listKind: Invalid value: "widget": kind and listKind may not be the same',
        "FieldValueInvalid spec.names.categories[1]: Invalid value: \"A B\": a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')",
        'FieldValueInvalid metadata.name: Invalid value: "widgets.example.org": must be spec.names.plural+"."+spec.group',
      ],
    },
    {
      reason: 'group',
      mutate: (c) => {
        c.spec.group = 'example';
        c.metadata.name = 'widgets.example';
      },
      want: ['FieldValueInvalid spec.group: Invalid value: "example": should be a domain with at least one dot'],
    },
    {
      reason: 'name mismatch',
      mutate: (c) => {
        c.metadata.name = 'gadgets.example.org';
      },
      want: ['FieldValueInvalid metadata.name: Invalid value: "gadgets.example.org": must be spec.names.plural+"."+spec.group'],
    },
    {
      reason: 'scope',
      mutate: (c) => {
        c.spec.scope = 'Global';
      },
      want: ['FieldValueNotSupported spec.scope: Unsupported value: "Global": supported values: "Cluster", "Namespaced"'],
    },
    {
      reason: 'two storage versions',
      mutate: (c) => {
        c.spec.versions.push({ ...structuredClone(c.spec.versions[0]), name: 'v2' });
      },
      want: [
        'FieldValueInvalid spec.versions: Invalid value: [{"Name":"v1","Served":true,"Storage":true,"Deprecated":false,"DeprecationWarning":null,"Schema":null,"Subresources":null,"AdditionalPrinterColumns":null,"SelectableFields":null},{"Name":"v2","Served":true,"Storage":true,"Deprecated":false,"DeprecationWarning":null,"Schema":null,"Subresources":null,"AdditionalPrinterColumns":null,"SelectableFields":null}]: must have exactly one version marked as storage version',
        'FieldValueInvalid status.storedVersions: Invalid value: ["v1"]: must have the storage version v2',
      ],
    },
    {
      reason: 'no storage version',
      mutate: (c) => {
        c.spec.versions[0].storage = false;
      },
      want: [
        'FieldValueInvalid spec.versions: Invalid value: [{"Name":"v1","Served":true,"Storage":false,"Deprecated":false,"DeprecationWarning":null,"Schema":null,"Subresources":null,"AdditionalPrinterColumns":null,"SelectableFields":null}]: must have exactly one version marked as storage version',
        'FieldValueInvalid status.storedVersions: Invalid value: null: must have at least one stored version',
      ],
    },
    {
      reason: 'bad version name',
      mutate: (c) => {
        c.spec.versions[0].name = 'V1.0';
      },
      want: [
        "FieldValueInvalid spec.versions[0].name: Invalid value: \"V1.0\": a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')",
        "FieldValueInvalid spec.version: Invalid value: \"V1.0\": a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')",
      ],
    },
    {
      reason: 'webhook conversion without config',
      mutate: (c) => {
        c.spec.conversion = { strategy: 'Webhook' };
      },
      want: [
        'FieldValueRequired spec.conversion.webhookClientConfig: Required value: required when strategy is set to Webhook',
        'FieldValueRequired spec.conversion.conversionReviewVersions: Required value',
      ],
    },
    {
      reason: 'missing type',
      mutate: schema({ properties: { a: { type: 'string' } } }),
      want: [
        'FieldValueRequired spec.validation.openAPIV3Schema.properties[spec].type: Required value: must not be empty for specified object fields',
      ],
    },
    {
      reason: 'field missing type',
      mutate: schema({ type: 'object', properties: { a: {} } }),
      want: [
        'FieldValueRequired spec.validation.openAPIV3Schema.properties[spec].properties[a].type: Required value: must not be empty for specified object fields',
      ],
    },
    {
      reason: 'properties and additionalProperties',
      mutate: schema({ type: 'object', properties: { a: { type: 'string' } }, additionalProperties: { type: 'string' } }),
      want: [
        'FieldValueForbidden spec.validation.openAPIV3Schema.properties[spec].additionalProperties: Forbidden: additionalProperties and properties are mutual exclusive',
      ],
    },
    {
      reason: '$ref',
      mutate: schema({ type: 'object', properties: { a: { $ref: '#/definitions/x' } } }),
      want: ['FieldValueForbidden spec.validation.openAPIV3Schema.properties[spec].properties[a].$ref: Forbidden: $ref is not supported'],
    },
    {
      reason: 'metadata restrictions',
      mutate: (c) => {
        c.spec.versions[0].schema.openAPIV3Schema.properties.metadata = {
          type: 'object',
          properties: { name: { type: 'string', maxLength: 5 }, labels: { type: 'object' } },
        };
      },
      want: [
        'FieldValueForbidden spec.validation.openAPIV3Schema.properties[metadata]: Forbidden: must not specify anything other than name and generateName, but metadata is implicitly specified',
      ],
    },
    {
      reason: 'list-map-keys without list-type map',
      mutate: schema({
        type: 'object',
        properties: {
          l: { type: 'array', 'x-kubernetes-list-map-keys': ['name'], items: { type: 'object', properties: { name: { type: 'string' } } } },
        },
      }),
      want: [
        'FieldValueRequired spec.validation.openAPIV3Schema.properties[spec].properties[l].x-kubernetes-list-type: Required value: must be map if x-kubernetes-list-map-keys is non-empty',
      ],
    },
    {
      reason: 'list-type map with a non-required key without default',
      mutate: schema({
        type: 'object',
        properties: {
          l: {
            type: 'array',
            'x-kubernetes-list-type': 'map',
            'x-kubernetes-list-map-keys': ['name'],
            items: { type: 'object', properties: { name: { type: 'string' } } },
          },
        },
      }),
      want: [
        'FieldValueRequired spec.validation.openAPIV3Schema.properties[spec].properties[l].items.properties[name].default: Required value: this property is in x-kubernetes-list-map-keys, so it must have a default or be a required property',
      ],
    },
    {
      reason: 'int-or-string with a type',
      mutate: schema({ type: 'object', properties: { a: { type: 'string', 'x-kubernetes-int-or-string': true } } }),
      want: [],
    },
    {
      reason: 'default does not validate',
      mutate: schema({ type: 'object', properties: { a: { type: 'integer', maximum: 3, default: 5 } } }),
      want: [
        'FieldValueInvalid spec.validation.openAPIV3Schema.properties[spec].properties[a].default: Invalid value: 5:  in body should be less than or equal to 3',
      ],
    },
    {
      reason: 'default not pruned',
      mutate: schema({ type: 'object', properties: { a: { type: 'object', default: { x: 1 }, properties: { y: { type: 'integer' } } } } }),
      want: [
        'FieldValueInvalid spec.validation.openAPIV3Schema.properties[spec].properties[a].default: Invalid value: {"x":1}: must not have unknown fields',
      ],
    },
    {
      reason: 'CEL undefined field',
      mutate: rule({ rule: 'self.nope == 1' }),
      want: [
        'FieldValueInvalid spec.validation.openAPIV3Schema.properties[spec].x-kubernetes-validations[0].rule: Invalid value: {"Rule":"self.nope == 1","Message":"","MessageExpression":"","Reason":null,"FieldPath":"","OptionalOldSelf":null}: compilation failed: ERROR: <input>:1:5: undefined field \'nope\'\n | self.nope == 1\n | ....^',
      ],
    },
    {
      reason: 'CEL non-bool',
      mutate: rule({ rule: 'self.size' }),
      want: [
        'FieldValueInvalid spec.validation.openAPIV3Schema.properties[spec].x-kubernetes-validations[0].rule: Invalid value: {"Rule":"self.size","Message":"","MessageExpression":"","Reason":null,"FieldPath":"","OptionalOldSelf":null}: cel expression must evaluate to a bool',
      ],
    },
    {
      reason: 'CEL cost',
      mutate: rule({ rule: 'self.items.all(x, self.items.all(y, x != y))' }),
      want: [
        'FieldValueForbidden spec.validation.openAPIV3Schema.properties[spec].x-kubernetes-validations[0].rule: Forbidden: estimated rule cost exceeds budget by factor of more than 100x (try simplifying the rule, or adding maxItems, maxProperties, and maxLength where arrays, maps, and strings are declared)',
        'FieldValueForbidden spec.validation.openAPIV3Schema.properties[spec].x-kubernetes-validations[0].rule: Forbidden: contributed to estimated rule cost total exceeding cost limit for entire OpenAPIv3 schema',
        'FieldValueForbidden spec.validation.openAPIV3Schema: Forbidden: x-kubernetes-validations estimated rule cost total for entire OpenAPIv3 schema exceeds budget by factor of more than 100x (try simplifying the rule, or adding maxItems, maxProperties, and maxLength where arrays, maps, and strings are declared)',
      ],
    },
    {
      reason: 'CEL messageExpression non-string',
      mutate: rule({ rule: 'true', messageExpression: '1' }),
      want: [
        'FieldValueInvalid spec.validation.openAPIV3Schema.properties[spec].x-kubernetes-validations[0].messageExpression: Invalid value: {"Rule":"true","Message":"","MessageExpression":"1","Reason":null,"FieldPath":"","OptionalOldSelf":null}: messageExpression must evaluate to a string',
      ],
    },
    {
      reason: 'CEL fieldPath invalid',
      mutate: rule({ rule: 'true', fieldPath: '.nope' }),
      want: [
        'FieldValueInvalid spec.validation.openAPIV3Schema.properties[spec].x-kubernetes-validations[0].fieldPath: Invalid value: ".nope": must be a valid path',
      ],
    },
    {
      reason: 'CEL reason invalid',
      mutate: rule({ rule: 'true', reason: 'Teapot' }),
      want: [
        'FieldValueNotSupported spec.validation.openAPIV3Schema.properties[spec].x-kubernetes-validations[0].reason: Unsupported value: "Teapot": supported values: "FieldValueDuplicate", "FieldValueForbidden", "FieldValueInvalid", "FieldValueRequired"',
      ],
    },
    {
      reason: 'CEL oldSelf in a rule on a list item without keys',
      mutate: schema({
        type: 'object',
        properties: {
          l: {
            type: 'array',
            items: { type: 'object', properties: { a: { type: 'string' } }, 'x-kubernetes-validations': [{ rule: 'self.a == oldSelf.a' }] },
          },
        },
      }),
      want: [
        'FieldValueForbidden spec.validation.openAPIV3Schema.properties[spec].properties[l].items.x-kubernetes-validations[0].rule: Forbidden: estimated rule cost exceeds budget by factor of more than 100x (try simplifying the rule, or adding maxItems, maxProperties, and maxLength where arrays, maps, and strings are declared)',
        'FieldValueInvalid spec.validation.openAPIV3Schema.properties[spec].properties[l].items.x-kubernetes-validations[0].rule: Invalid value: "self.a == oldSelf.a": oldSelf cannot be used on the uncorrelatable portion of the schema within spec.validation.openAPIV3Schema.properties[spec].properties[l]',
        'FieldValueForbidden spec.validation.openAPIV3Schema.properties[spec].properties[l].items.x-kubernetes-validations[0].rule: Forbidden: contributed to estimated rule cost total exceeding cost limit for entire OpenAPIv3 schema',
        'FieldValueForbidden spec.validation.openAPIV3Schema: Forbidden: x-kubernetes-validations estimated rule cost total for entire OpenAPIv3 schema exceeds budget by factor of more than 100x (try simplifying the rule, or adding maxItems, maxProperties, and maxLength where arrays, maps, and strings are declared)',
      ],
    },
  ];
  it.each(cases)('$reason', (c) => {
    const crd = base();
    c.mutate(crd);
    expect(causes(crd)).toEqual(c.want);
  });

  it('reports CEL syntax errors at the rule, with a parser message of its own (an accepted difference)', () => {
    const crd = base();
    rule({ rule: 'self.size ==' })(crd);
    const got = causes(crd);
    expect(got).toHaveLength(1);
    expect(got[0]).toMatch(
      /^FieldValueInvalid spec\.validation\.openAPIV3Schema\.properties\[spec\]\.x-kubernetes-validations\[0\]\.rule: Invalid value: \{"Rule":"self\.size ==".*\}: compilation failed: ERROR: <input>:1:\d+: Syntax error: /,
    );
  });
});
