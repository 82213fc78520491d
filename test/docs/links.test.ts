/**
 * Relative links in the user docs resolve: every `[text](target)` that is not a URL names a file
 * or directory of the repository, and a `#fragment` into a Markdown file names one of its
 * headings (GitHub's anchor rules). Links inside code blocks and spans are not links.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '../..');

/** The pages checked: the docs index, the user docs and the root README. */
const pages = [
  'README.md',
  ...['README.md', 'getting-started.md', 'cli.md', 'testing.md', 'compatibility.md'].map((f) => `docs/${f}`),
  ...readdirSync(join(root, 'docs/concepts'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/concepts/${f}`),
];

/** Slug is GitHub's anchor for a heading. */
function slug(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

function withoutCode(md: string): string {
  return md.replace(/^```[\s\S]*?^```$/gm, '').replace(/`[^`\n]*`/g, '');
}

function anchors(file: string): Set<string> {
  const md = readFileSync(file, 'utf8').replace(/^```[\s\S]*?^```$/gm, '');
  return new Set([...md.matchAll(/^#{1,6} (.+)$/gm)].map((m) => slug(m[1] ?? '')));
}

function links(md: string): string[] {
  return [...withoutCode(md).matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1] ?? '').filter((t) => !/^[a-z]+:/.test(t));
}

describe('slug', () => {
  const cases = {
    Code: { reason: 'backticks go', heading: '`trellis up`', want: 'trellis-up' },
    Punctuation: {
      reason: 'commas and colons go, spaces become dashes',
      heading: 'Render, XRDs: revisions',
      want: 'render-xrds-revisions',
    },
    Dashes: { reason: 'dashes stay', heading: 'provider-http: REST', want: 'provider-http-rest' },
  };
  describe.each(Object.entries(cases))('%s', (_n, tc) => {
    it(tc.reason, () => {
      expect(slug(tc.heading)).toBe(tc.want);
    });
  });
});

describe.each(pages)('links in %s', (page) => {
  it('resolve to files and headings', () => {
    const file = join(root, page);
    const broken: string[] = [];
    for (const target of links(readFileSync(file, 'utf8'))) {
      const [path = '', fragment] = target.split('#');
      const dest = path === '' ? file : resolve(dirname(file), decodeURIComponent(path));
      if (!existsSync(dest)) {
        broken.push(`${target}: no ${relative(root, dest)}`);
        continue;
      }
      if (fragment !== undefined && statSync(dest).isFile() && dest.endsWith('.md') && !anchors(dest).has(fragment))
        broken.push(`${target}: no heading "#${fragment}" in ${relative(root, dest)}`);
    }
    expect(broken).toEqual([]);
  });
});
