import { describe, expect, it } from 'vitest';
import { firstYamlDocument, leadingJsonNode, yamlReaderProblem } from './yamlbody.ts';

const obj = '{"kind":"ConfigMap","data":{"a":"1"}}';
const value = { kind: 'ConfigMap', data: { a: '1' } };

describe('leadingJsonNode', () => {
  // Each case was checked against kube-apiserver 1.36 (go-yaml v2) by test/fuzz/apiserver-body.test.ts.
  const cases: Array<{ reason: string; text: string; want: 'value' | 'none' | string }> = [
    { reason: 'plain JSON is not this function’s business', text: obj, want: 'none' },
    { reason: 'block YAML is not either', text: 'kind: ConfigMap\nfoo: bar', want: 'none' },
    { reason: 'an unclosed object is left to the YAML parser', text: '{"a":1', want: 'none' },
    { reason: 'an unclosed string is left to the YAML parser', text: '{"a":"1} x', want: 'none' },
    { reason: 'text after the object on the same line is ignored', text: `${obj}amespace":"x"}}`, want: 'value' },
    { reason: 'a word after a space', text: `${obj} junk`, want: 'value' },
    { reason: 'a stray closing brace', text: `${obj}}`, want: 'value' },
    { reason: 'a stray closing bracket', text: `${obj}]`, want: 'value' },
    { reason: 'a comment, even without a space', text: `${obj}#c`, want: 'value' },
    { reason: 'a comma and a word', text: `${obj},x`, want: 'value' },
    { reason: 'another flow mapping', text: `${obj}{}`, want: 'value' },
    { reason: 'a second document', text: `${obj}\n---\nfoo: [`, want: 'value' },
    { reason: 'a mapping on the next line', text: `${obj}\nfoo: bar`, want: 'value' },
    { reason: 'a colon later on the line still makes the object a key', text: `${obj} junk: x`, want: 'did not find expected key' },
    { reason: 'a colon makes the object a mapping key', text: `${obj} : x`, want: 'invalid map key' },
    { reason: 'an unterminated double-quoted scalar', text: `${obj}"open`, want: 'found unexpected end of stream' },
    { reason: 'an unterminated single-quoted scalar', text: `${obj}'open`, want: 'found unexpected end of stream' },
    { reason: 'a character that cannot start a token', text: `${obj}@x`, want: 'found character that cannot start any token' },
    { reason: 'a backquote', text: `${obj} \`x`, want: 'found character that cannot start any token' },
    { reason: 'an unknown escape in a quoted scalar', text: `${obj}"\\q"`, want: 'found unknown escape character' },
    { reason: 'a short hex escape', text: `${obj}"\\x4"`, want: 'did not find expected hexdecimal number' },
    {
      reason: 'a block sequence entry where none may start',
      text: `${obj} - x`,
      want: 'block sequence entries are not allowed in this context',
    },
    { reason: 'an empty anchor', text: `${obj} & x`, want: 'did not find expected alphabetic or numeric character' },
    { reason: 'errors on a later line name it', text: `${obj}\n@x`, want: 'line 2: found character that cannot start any token' },
    { reason: 'a tab cannot start a line', text: `${obj}\n\tx`, want: 'line 2: found character that cannot start any token' },
    { reason: 'a mapping key indicator where none may start', text: `${obj} ? x`, want: 'mapping keys are not allowed in this context' },
    { reason: 'an alias', text: `${obj} *a`, want: 'value' },
    { reason: 'a tag', text: `${obj} !t x`, want: 'value' },
    { reason: 'a block scalar', text: `${obj} |\n x`, want: 'value' },
    { reason: 'a colon far beyond the simple-key reach is a scalar', text: `${obj}${' '.repeat(1100)}x : y`, want: 'value' },
  ];
  it('reads a flow mapping that is YAML but not JSON (a raw tab in a string, a plain scalar)', () => {
    expect(leadingJsonNode('{"a\tb": 1, c: d} junk')).toEqual({ ok: true, value: { 'a\tb': 1, c: 'd' }, json: '{"a\tb": 1, c: d}' });
  });

  it.each(cases)('$reason', ({ text, want }) => {
    const got = leadingJsonNode(text);
    if (want === 'none') expect(got).toBeUndefined();
    else if (want === 'value') expect(got).toEqual({ ok: true, value, json: obj });
    else expect(got).toMatchObject({ ok: false, message: expect.stringContaining(want) });
  });
});

describe('firstYamlDocument', () => {
  const cases: Array<{ reason: string; text: string; want: unknown }> = [
    { reason: 'one document', text: 'a: 1', want: { a: 1 } },
    { reason: 'later documents are ignored, as go-yaml Unmarshal does', text: 'a: 1\n---\nb: [', want: { a: 1 } },
    { reason: 'an empty body is null', text: '', want: null },
  ];
  it.each(cases)('$reason', ({ text, want }) => {
    expect(firstYamlDocument(text)).toEqual(want);
  });

  it('throws for an error in the first document (duplicate keys included)', () => {
    expect(() => firstYamlDocument('a: 1\na: 2')).toThrow();
    expect(() => firstYamlDocument('a: [')).toThrow();
  });
});

describe('yamlReaderProblem', () => {
  const cases: Array<{ reason: string; body: Buffer; want: string | undefined }> = [
    { reason: 'ASCII', body: Buffer.from('a: 1\n'), want: undefined },
    { reason: 'multi-byte UTF-8 and a tab', body: Buffer.from('a:\t"ó世😀"'), want: undefined },
    { reason: 'a byte-order mark', body: Buffer.from('\uFEFFa: 1'), want: undefined },
    { reason: 'a bad continuation byte', body: Buffer.from([0x61, 0xc3, 0x41]), want: 'invalid trailing UTF-8 octet' },
    { reason: 'a lone continuation byte', body: Buffer.from([0x61, 0x80]), want: 'invalid leading UTF-8 octet' },
    { reason: 'a truncated sequence', body: Buffer.from([0x61, 0xe4, 0xb8]), want: 'incomplete UTF-8 octet sequence' },
    { reason: 'a NUL', body: Buffer.from('a: "\u0000"'), want: 'control characters are not allowed' },
    { reason: 'DEL', body: Buffer.from('a: \u007f'), want: 'control characters are not allowed' },
    { reason: 'a C1 control', body: Buffer.from('a: \u0090'), want: 'control characters are not allowed' },
  ];
  it.each(cases)('$reason', ({ body, want }) => {
    expect(yamlReaderProblem(body)).toBe(want);
  });
});
