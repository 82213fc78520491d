import { describe, expect, it } from 'vitest';
import { errorString } from './field.ts';
import {
  isDNS1035Label,
  isDNS1123Label,
  isDNS1123Subdomain,
  isLabelValue,
  isQualifiedName,
  validateAnnotations,
  validateLabels,
} from './names.ts';

const label1123 =
  "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
const namePart =
  "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";

describe('name validators (apimachinery validation messages)', () => {
  const cases: { reason: string; got: () => string[]; want: string[] }[] = [
    { reason: 'an RFC 1123 label is lower case', got: () => isDNS1123Label('Abc'), want: [label1123] },
    { reason: 'a valid label', got: () => isDNS1123Label('abc-1'), want: [] },
    {
      reason: 'a DNS-1035 label starts with a letter',
      got: () =>
        isDNS1035Label('1abc')
          .slice(0, 1)
          .map((m) => m.slice(0, 20)),
      want: ['a DNS-1035 label mus'],
    },
    {
      reason: 'a subdomain is at most 253 bytes',
      got: () => isDNS1123Subdomain('a'.repeat(254)),
      want: ['must be no more than 253 bytes'],
    },
    { reason: 'a qualified name with a prefix', got: () => isQualifiedName('example.com/Name_1'), want: [] },
    { reason: 'a qualified name must start alphanumeric', got: () => isQualifiedName('-bad'), want: [namePart] },
    { reason: 'label values are at most 63 bytes', got: () => isLabelValue('a'.repeat(64)), want: ['must be no more than 63 bytes'] },
  ];
  it.each(cases)('$reason', (c) => expect(c.got()).toEqual(c.want));
});

describe('labels and annotations', () => {
  it('reports bad keys and bad values at the map', () => {
    const errs = validateLabels({ app: 'ok', 'bad key!': 'v', k: 'bad value!' }, 'metadata.labels').map(errorString);
    expect(errs).toEqual([
      `metadata.labels: Invalid value: "bad key!": ${namePart}`,
      `metadata.labels: Invalid value: "bad value!": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')`,
    ]);
  });
  it('limits annotations to 256 KiB in total, without echoing the value', () => {
    const errs = validateAnnotations({ x: 'a'.repeat(262_145) }, 'metadata.annotations').map(errorString);
    expect(errs).toEqual(['metadata.annotations: Too long: may not be more than 262144 bytes']);
  });
});
