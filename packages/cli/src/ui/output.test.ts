import { describe, expect, it } from 'vitest';
import { parseOutputFormat, table, toJson, truncate, yamlStream } from './output.ts';

describe('parseOutputFormat', () => {
  const cases = {
    Absent: { reason: 'an absent flag means the default', value: undefined, want: 'text' },
    Allowed: { reason: 'an allowed format is returned', value: 'json', want: 'json' },
    CaseInsensitive: { reason: 'formats are case-insensitive', value: 'YAML', want: 'yaml' },
    NotAllowed: { reason: 'a format the command does not support is a usage error', value: 'dot', code: 'CLI_USAGE' },
    Garbage: { reason: 'nonsense is a usage error', value: '../../etc', code: 'CLI_USAGE' },
  } as const;
  describe.each(Object.entries(cases))('%s', (_name, tc) => {
    it(tc.reason, () => {
      const f = (): string => parseOutputFormat(tc.value, ['text', 'json', 'yaml'], 'text');
      if ('code' in tc) expect(f).toThrow(expect.objectContaining({ code: tc.code }));
      else expect(f()).toBe(tc.want);
    });
  });
});

describe('table', () => {
  it('pads columns like kubectl, without trailing spaces', () => {
    const out = table(
      [{ header: 'name' }, { header: 'ready' }, { header: 'status', wide: true }],
      [
        ['a', 'True', 'Available'],
        ['longer-name', 'False', 'multi\nline'],
      ],
    );
    expect(out).toBe('NAME          READY\na             True\nlonger-name   False\n');
  });
  it('keeps wide columns under -o wide and puts multi-line cells on one line', () => {
    const out = table([{ header: 'name' }, { header: 'status', wide: true }], [['a', 'multi\nline']], { wide: true });
    expect(out).toBe('NAME   STATUS\na      multi line\n');
  });
});

describe('truncate', () => {
  const cases = {
    Short: { reason: 'short strings are kept', s: 'ok', max: 64, want: 'ok' },
    Long: { reason: 'long strings end in ...', s: 'abcdefghij', max: 8, want: 'abcde...' },
    Unicode: { reason: 'code points are counted, not UTF-16 units', s: '✓✓✓✓✓✓✓✓✓✓', max: 5, want: '✓✓...' },
  } as const;
  describe.each(Object.entries(cases))('%s', (_name, tc) => {
    it(tc.reason, () => expect(truncate(tc.s, tc.max)).toBe(tc.want));
  });
});

describe('serialisation', () => {
  it('prints JSON indented with a newline and YAML streams with ---', () => {
    expect(toJson({ a: 1 })).toBe('{\n  "a": 1\n}\n');
    expect(yamlStream([{ a: 1 }, { b: 'x' }])).toBe('---\na: 1\n---\nb: x\n');
  });
});
