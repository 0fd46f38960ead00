// Each Lambda bundle, built as the CDK builds it (cdk/bundling.ts), stays within its size budget: 150 KB minified
// for a function that never talks to OpenD, 450 KB for one that does; a function listed in OVER_BUDGET_CEILING is
// held to its ceiling until it gets there. The AWS SDK is not in these figures: every function carries the one SDK
// layer (cdk/sdk-layer.ts), built here beside the bundles as deployed, and each bundle leaves exactly the layer's
// packages external and resolves them from it. Sizes are deterministic for a given lockfile: no timed test.
import { readFileSync, realpathSync, rmSync } from 'node:fs';
import { builtinModules, createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FUNCTION_IDS, FUNCTIONS } from '../../cdk/definitions.js';
import { BUNDLE_BUDGET, EXTERNAL_MODULES, OVER_BUDGET_CEILING } from '../../cdk/bundling.js';
import { SDK_LAYER_PACKAGES } from '../../cdk/sdk-layer.js';
import { bundleFunction, REPO_ROOT, sdkLayerFor, type FunctionBundle } from '../support/function-bundles.js';

const outDir = join(tmpdir(), `opend-bundle-size-${process.pid}`);
// Where bench:functions puts its bundles: under the repository's node_modules, whose own SDK a bundle could fall back to.
const inRepoDir = join(REPO_ROOT, 'node_modules', '.cache', `opend-bundle-resolve-${process.pid}`);
afterAll(() => {
  rmSync(outDir, { recursive: true, force: true });
  rmSync(inRepoDir, { recursive: true, force: true });
});

const bundles = new Map<string, Promise<FunctionBundle>>();
const bundle = (id: (typeof FUNCTION_IDS)[number]) => {
  if (!bundles.has(id)) bundles.set(id, bundleFunction(id, outDir));
  return bundles.get(id)!;
};
const isBuiltin = (p: string) => p.startsWith('node:') || builtinModules.includes(p);

describe('Lambda bundle sizes', () => {
  for (const id of FUNCTION_IDS) {
    it(`${id} stays within its size limit`, async () => {
      const b = await bundle(id);
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

  it('leaves exactly the SDK layer packages external, and bundles no other AWS SDK code', async () => {
    expect([...EXTERNAL_MODULES].sort()).toEqual([...SDK_LAYER_PACKAGES].sort());
    for (const id of FUNCTION_IDS) {
      const b = await bundle(id);
      const out = Object.values(b.metafile.outputs).find((o) => o.entryPoint)!;
      const external = out.imports.filter((i) => i.external).map((i) => i.path);
      // Anything else left external would be resolved at run time from where nothing provides it.
      expect(external.filter((p) => !isBuiltin(p) && !(SDK_LAYER_PACKAGES as readonly string[]).includes(p)), `${id} leaves these to the runtime`).toEqual([]);
      // An SDK package the layer lacks (a new client, a @smithy/* import) would be bundled instead: say which.
      const sdkInBundle = Object.keys(out.inputs).filter((f) => /node_modules\/(@aws-sdk|@smithy)\//.test(f));
      expect(sdkInBundle, `${id} bundles AWS SDK code; add its package to SDK_LAYER_PACKAGES (cdk/sdk-layer.ts)`).toEqual([]);
    }
  }, 300_000);

  it('resolves each SDK package of a bundle to the layer beside it, not to the repository node_modules', async () => {
    const b = await bundleFunction('orders', inRepoDir);
    const layer = sdkLayerFor(inRepoDir);
    const text = readFileSync(b.file, 'utf8');
    const req = createRequire(b.file);
    for (const pkg of SDK_LAYER_PACKAGES) {
      if (!text.includes(`"${pkg}"`)) continue; // orders imports no API Gateway Management client
      // Node looks in the bundle's own directory's node_modules first; the repository's copy is further up.
      // (Real paths on both sides: node_modules may be a symbolic link.)
      const resolved = realpathSync(req.resolve(pkg));
      expect(resolved).toBe(realpathSync(join(layer.nodeModules, pkg, 'index.mjs')));
      expect(resolved.startsWith(realpathSync(join(REPO_ROOT, 'node_modules', '@aws-sdk')))).toBe(false);
    }
    expect(text).toMatch(/from\s*"@aws-sdk\/lib-dynamodb"/);
  }, 120_000);

  it('bundles no codec into a function that does not talk to OpenD', async () => {
    for (const id of FUNCTION_IDS.filter((f) => !FUNCTIONS[f].needsOpenD)) {
      const text = readFileSync((await bundle(id)).file, 'utf8');
      expect(text, id).not.toMatch(/Qot_Common\.Security/);
      expect(text, id).not.toMatch(/Trd_Common\.TrdHeader/);
    }
  }, 300_000);
});
