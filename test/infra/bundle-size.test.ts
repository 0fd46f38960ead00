// Each Lambda bundle, built as the CDK builds it (cdk/bundling.ts), stays within its size budget: 150 KB minified
// for a function that never talks to OpenD, 450 KB for one that does; a function listed in OVER_BUDGET_CEILING is
// held to its ceiling until it gets there. Sizes are deterministic for a given lockfile, so this is no timed test.
import { readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FUNCTION_IDS, FUNCTIONS } from '../../cdk/definitions.js';
import { BUNDLE_BUDGET, OVER_BUDGET_CEILING } from '../../cdk/bundling.js';
import { bundleFunction } from '../support/function-bundles.js';

const outDir = join(tmpdir(), `opend-bundle-size-${process.pid}`);
afterAll(() => rmSync(outDir, { recursive: true, force: true }));

describe('Lambda bundle sizes', () => {
  for (const id of FUNCTION_IDS) {
    it(`${id} stays within its size limit`, async () => {
      const b = await bundleFunction(id, outDir);
      const kb = (n: number) => `${(n / 1024).toFixed(1)} KB`;
      expect(b.bytes, `${id} is ${kb(b.bytes)} minified; its limit is ${kb(b.limit)} (budget ${kb(b.budget)})`).toBeLessThanOrEqual(b.limit);
    }, 120_000);
  }

  it('holds over-budget functions to ceilings above their budget, never below', () => {
    for (const [id, ceiling] of Object.entries(OVER_BUDGET_CEILING)) {
      const def = FUNCTIONS[id as keyof typeof FUNCTIONS];
      expect(def, `${id} is a function`).toBeDefined();
      expect(ceiling).toBeGreaterThan(def.needsOpenD ? BUNDLE_BUDGET.withOpenD : BUNDLE_BUDGET.withoutOpenD);
    }
  });

  it('bundles no codec into a function that does not talk to OpenD, and leaves no package to resolve at run time', async () => {
    const b = await bundleFunction('streamFanout', outDir);
    const text = readFileSync(b.file, 'utf8');
    expect(text).not.toMatch(/Qot_Common\.Security/);
    expect(text).not.toMatch(/from\s*"@aws-sdk\//);
  }, 120_000);
});
