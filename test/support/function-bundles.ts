// Bundles a Lambda function exactly as the CDK does (cdk/bundling.ts: the options NodejsFunction hands esbuild), for
// the bundle-size test and bench:functions, and builds the AWS SDK layer (cdk/sdk-layer.ts) beside the bundles.
// Invariant: a bundle in BUNDLE_DIR (or any outDir given) resolves its external SDK packages from
// `<outDir>/node_modules`, the layer's nodejs/node_modules as deployed: Node looks there before any node_modules
// further up (BUNDLE_DIR sits under this repository's node_modules/.cache), so the repository's own SDK is never
// the one loaded; test/infra/bundle-size.test.ts checks the resolution.
import { mkdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build, type Metafile } from 'esbuild';
import { FUNCTIONS, type FunctionId } from '../../cdk/definitions.js';
import { bundleLimit, FUNCTION_ESBUILD } from '../../cdk/bundling.js';
import { buildSdkNodeModules, type SdkLayerBuild } from '../../cdk/sdk-layer.js';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const BUNDLE_DIR = join(REPO_ROOT, 'node_modules', '.cache', 'opend-cloud-bundles');

export interface FunctionBundle {
  id: FunctionId;
  entry: string;
  file: string;
  bytes: number;
  gzip: number;
  /** The budget of its kind (with or without OpenD) and the limit it is held to (a ceiling while over budget). */
  budget: number;
  limit: number;
  overBudget: boolean;
  /** esbuild's metafile of the build (inputs and their bytes in the output, imports left external). */
  metafile: Metafile;
}

const layers = new Map<string, SdkLayerBuild>();

/** The SDK layer in `<outDir>/node_modules`, built once per process and directory. */
export function sdkLayerFor(outDir = BUNDLE_DIR): SdkLayerBuild {
  let layer = layers.get(outDir);
  if (!layer) {
    layer = buildSdkNodeModules(join(outDir, 'node_modules'));
    layers.set(outDir, layer);
  }
  return layer;
}

/**
 * For bench:functions' comparison only: the same function with the AWS SDK bundled into it (nothing external, the
 * layout before the SDK layer), so the cold import of the two layouts can be timed side by side in one run.
 */
export async function bundleWithSdkInlined(id: FunctionId, outDir = `${BUNDLE_DIR}-sdk-inlined`): Promise<string> {
  mkdirSync(outDir, { recursive: true });
  const file = join(outDir, `${id}.mjs`);
  await build({ ...FUNCTION_ESBUILD, mainFields: [...FUNCTION_ESBUILD.mainFields], external: [], entryPoints: [join(REPO_ROOT, FUNCTIONS[id].entry)], outfile: file, write: true, logLevel: 'error' });
  return file;
}

export async function bundleFunction(id: FunctionId, outDir = BUNDLE_DIR): Promise<FunctionBundle> {
  const def = FUNCTIONS[id];
  mkdirSync(outDir, { recursive: true });
  sdkLayerFor(outDir);
  const file = join(outDir, `${id}.mjs`);
  const r = await build({ ...FUNCTION_ESBUILD, mainFields: [...FUNCTION_ESBUILD.mainFields], external: [...FUNCTION_ESBUILD.external], entryPoints: [join(REPO_ROOT, def.entry)], outfile: file, write: true, logLevel: 'error', metafile: true });
  const key = Object.keys(r.metafile.outputs).find((k) => k.endsWith('.mjs'));
  if (!key) throw new Error(`esbuild wrote no .mjs for ${id}: ${Object.keys(r.metafile.outputs).join(', ')}`);
  const out = r.metafile.outputs[key]!;
  return { id, entry: def.entry, file, bytes: out.bytes, gzip: gzipSync(readFileSync(file)).length, metafile: r.metafile, ...bundleLimit(id, def.needsOpenD) };
}
