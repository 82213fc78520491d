/** The fixture directories must be what cases/*.ts generate (run generate.ts after editing a case). */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { allCases } from '../fixtures/composition/cases/index.ts';
import { renderCase } from '../fixtures/composition/render-case.ts';
import { fixturesRoot, listFixtures } from './fixtures.ts';

describe('fixture corpus files', () => {
  it('match the case definitions', () => {
    expect(listFixtures()).toEqual(allCases.map((c) => c.name).sort());
    for (const c of allCases) {
      for (const [file, text] of Object.entries(renderCase(c))) {
        expect(readFileSync(join(fixturesRoot, c.name, file), 'utf8'), `${c.name}/${file}`).toBe(text);
      }
    }
  });
});
