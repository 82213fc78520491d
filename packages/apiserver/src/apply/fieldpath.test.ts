import { describe, expect, it } from 'vitest';
import {
  deserializePE,
  FieldSet,
  FieldsV1Error,
  field,
  index,
  keyElement,
  type Path,
  type PathElement,
  pathString,
  serializePE,
  valueElement,
} from './fieldpath.ts';

const list = [field('spec'), field('list')];
const item: Path = [
  ...list,
  keyElement([
    ['port', 80],
    ['name', 'a'],
  ]),
  field('v'),
];
const tag: Path = [field('spec'), field('tags'), valueElement('x')];
const atomicItem: Path = [field('spec'), field('atomic'), index(3)];
const label: Path = [field('metadata'), field('labels'), field('a')];

describe('path elements in FieldsV1 keys', () => {
  const cases: { reason: string; pe: PathElement; key: string }[] = [
    { reason: 'a field', pe: field('name'), key: 'f:name' },
    {
      reason: 'a map-list key: fields sorted, Go JSON (HTML-escaped)',
      pe: keyElement([
        ['b', 1],
        ['a', 'x<'],
      ]),
      key: 'k:{"a":"x\\u003c","b":1}',
    },
    { reason: 'a set value', pe: valueElement('x'), key: 'v:"x"' },
    { reason: 'a float value', pe: valueElement(1.5), key: 'v:1.5' },
    { reason: 'a null value', pe: valueElement(null), key: 'v:null' },
    { reason: 'a composite value with sorted keys', pe: valueElement({ b: 1, a: [1] }), key: 'v:{"a":[1],"b":1}' },
    { reason: 'a list index', pe: index(3), key: 'i:3' },
  ];
  it.each(cases)('$reason', (c) => {
    expect(serializePE(c.pe)).toBe(c.key);
    expect(serializePE(deserializePE(c.key))).toBe(c.key);
  });

  const bad: { reason: string; key: string; want: string }[] = [
    { reason: 'too short', key: 'f', want: 'key must be 2 characters long: f' },
    { reason: 'a key that is not JSON', key: 'k:notjson', want: 'cannot parse key notjson' },
    { reason: 'a non-numeric index', key: 'i:abc', want: 'invalid index abc' },
  ];
  it.each(bad)('refuses $reason', (c) => {
    expect(() => deserializePE(c.key)).toThrow(FieldsV1Error);
    expect(() => deserializePE(c.key)).toThrow(c.want);
  });
});

describe('printed paths (conflict messages)', () => {
  const cases: { reason: string; path: Path; want: string }[] = [
    { reason: 'map-list keys print sorted name=value pairs', path: item, want: '.spec.list[name="a",port=80].v' },
    { reason: 'set values print as [=value]', path: tag, want: '.spec.tags[="x"]' },
    { reason: 'indexes print as [i]', path: atomicItem, want: '.spec.atomic[3]' },
    { reason: 'field names print as they are', path: [field('metadata'), field('labels'), field('a.b/c')], want: '.metadata.labels.a.b/c' },
  ];
  it.each(cases)('$reason', (c) => expect(pathString(c.path)).toBe(c.want));
});

describe('FieldSet', () => {
  const set = FieldSet.of(item, tag, atomicItem, list, label);

  it('encodes FieldsV1 in SMD order with "." for members that also have children', () => {
    expect(set.toFieldsV1JSON()).toBe(
      '{"f:metadata":{"f:labels":{"f:a":{}}},"f:spec":{"f:atomic":{"i:3":{}},"f:list":{".":{},"k:{\\"name\\":\\"a\\",\\"port\\":80}":{"f:v":{}}},"f:tags":{"v:\\"x\\"":{}}}}',
    );
  });

  it('decodes what it encodes', () => {
    expect(FieldSet.fromFieldsV1(set.toFieldsV1()).equals(set)).toBe(true);
  });

  it('skips unknown element types when decoding, as SMD does', () => {
    expect(FieldSet.fromFieldsV1({ 'f:a': {}, 'x:b': {} }).paths().map(pathString)).toEqual(['.a']);
  });

  const other = FieldSet.of(tag, [field('spec'), field('other')]);
  const algebra: { reason: string; got: () => FieldSet; want: string[] }[] = [
    {
      reason: 'union',
      got: () => set.union(other),
      want: ['.metadata.labels.a', '.spec.list', '.spec.other', '.spec.atomic[3]', '.spec.list[name="a",port=80].v', '.spec.tags[="x"]'],
    },
    { reason: 'intersection', got: () => set.intersection(other), want: ['.spec.tags[="x"]'] },
    {
      reason: 'difference',
      got: () => set.difference(other),
      want: ['.metadata.labels.a', '.spec.list', '.spec.atomic[3]', '.spec.list[name="a",port=80].v'],
    },
    {
      reason: 'recursive difference removes whole subtrees',
      got: () => set.recursiveDifference(FieldSet.of(list)),
      want: ['.metadata.labels.a', '.spec.atomic[3]', '.spec.tags[="x"]'],
    },
  ];
  it.each(algebra)('$reason', (c) => expect(c.got().paths().map(pathString)).toEqual(c.want));

  it('refuses hostile nesting with an error instead of overflowing the stack', () => {
    let v: Record<string, unknown> = {};
    for (let i = 0; i < 100_000; i++) v = { 'f:a': v };
    expect(() => FieldSet.fromFieldsV1(v)).toThrow(/fieldsV1 nested deeper than \d+ levels/);
  });

  it('refuses non-object entries', () => {
    expect(() => FieldSet.fromFieldsV1({ 'f:a': 1 })).toThrow(FieldsV1Error);
  });
});
