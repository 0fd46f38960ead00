// Bundles a Lambda function exactly as the CDK does (cdk/bundling.ts: the options NodejsFunction hands esbuild), for
// the bundle-size test and bench:functions. Output goes under node_modules/.cache so that a bundle run by Node
// resolves the external AWS SDK from this repository's node_modules, as it resolves the runtime's in Lambda.
import { mkdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';
import { FUNCTIONS, type FunctionId } from '../../cdk/definitions.js';
import { bundleLimit, FUNCTION_ESBUILD } from '../../cdk/bundling.js';

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
}

export async function bundleFunction(id: FunctionId, outDir = BUNDLE_DIR): Promise<FunctionBundle> {
  const def = FUNCTIONS[id];
  mkdirSync(outDir, { recursive: true });
  const file = join(outDir, `${id}.mjs`);
  const r = await build({ ...FUNCTION_ESBUILD, mainFields: [...FUNCTION_ESBUILD.mainFields], external: [...FUNCTION_ESBUILD.external], entryPoints: [join(REPO_ROOT, def.entry)], outfile: file, write: true, logLevel: 'error', metafile: true });
  const key = Object.keys(r.metafile.outputs).find((k) => k.endsWith('.mjs'));
  if (!key) throw new Error(`esbuild wrote no .mjs for ${id}: ${Object.keys(r.metafile.outputs).join(', ')}`);
  const out = r.metafile.outputs[key]!;
  return { id, entry: def.entry, file, bytes: out.bytes, gzip: gzipSync(readFileSync(file)).length, ...bundleLimit(id, def.needsOpenD) };
}
