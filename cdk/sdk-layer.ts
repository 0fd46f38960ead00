// The AWS SDK v3 as ONE Lambda layer shared by every function, built from the exact versions package-lock.json pins
// (the ones installed in node_modules), pre-bundled by esbuild into a few minified ES modules.
//
// Why a layer of our own rather than bundling the SDK into each function or using the runtime's copy:
// - bundled, the SDK is ~330 KB of every function (smithy core, credential providers, nested STS/SSO clients);
// - the Lambda runtime's own SDK is hundreds of small files Node resolves and reads one by one: cold import about
//   twice as slow as one bundle, and at whatever version the runtime happens to carry;
// - pre-bundled with `splitting`, the layer is one module per package plus shared chunks: the classes exist once
//   (lib-dynamodb wraps client-dynamodb's client, one @smithy/core), and what the SDK imports lazily (the SSO, ini,
//   process, web-identity and IMDS credential sources; Lambda takes credentials from the environment) lands in
//   chunks that a function in Lambda never loads.
//
// Layout (Lambda puts a layer's `nodejs/node_modules` on the module path of Node.js functions, for ES modules too
// from Node.js 18 on):
//   nodejs/node_modules/<package>/index.mjs       the package's whole public API (every export of its ES entry)
//   nodejs/node_modules/<package>/package.json    name, installed version, "type": "module", exports → index.mjs
//   nodejs/node_modules/.sdk-chunks/*.mjs         code shared by the entries, and the lazily imported parts
//
// Invariants: SDK_LAYER_PACKAGES lists every @aws-sdk/* or @smithy/* package that functions/ imports (a test fails
// otherwise), and cdk/bundling.ts leaves exactly these external; nothing in the layer imports a package at run time
// (only node: built-ins), so it cannot fall back to another copy of the SDK.
import { mkdirSync, readFileSync, rmSync, statSync, writeFileSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildSync, type Metafile } from 'esbuild';
import { BUNDLE_TARGET, ESM_REQUIRE_BANNER } from './esbuild-base.js';

/** What the layer's description says: the pinned version of each package. */
export function sdkLayerDescription(): string {
  const list = SDK_LAYER_PACKAGES.map((pkg) => `${pkg.replace('@aws-sdk/', '')} ${installedVersion(pkg)}`).join(', ');
  return `AWS SDK for JavaScript v3, pre-bundled ES modules: ${list}`;
}

/** The SDK packages the functions import: the layer provides exactly these, the function bundles leave them out. */
export const SDK_LAYER_PACKAGES = [
  '@aws-sdk/client-dynamodb',
  '@aws-sdk/lib-dynamodb',
  '@aws-sdk/client-apigatewaymanagementapi',
  '@aws-sdk/client-secrets-manager',
] as const;

/** Where the shared chunks go, under nodejs/node_modules: a dot directory, so no package name can collide with it. */
export const SDK_LAYER_CHUNK_DIR = '.sdk-chunks';

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

export interface SdkLayerBuild {
  /** Package name → installed (pinned) version. */
  versions: Record<string, string>;
  /** Every .mjs file written and its size in bytes, relative to `nodeModules`. */
  files: Record<string, number>;
  /** Total bytes of JavaScript in the layer. */
  bytes: number;
  /** Where the packages and chunks were written (the layer's nodejs/node_modules). */
  nodeModules: string;
  /** Package name → the files (relative to `nodeModules`) its entry loads statically, itself included. */
  staticImports: Record<string, string[]>;
  /** Package name → the source modules (paths under node_modules) inside those statically loaded files. */
  staticSources: Record<string, string[]>;
  /** Every source module in the layer (paths under node_modules). */
  sources: string[];
  /** Source modules that esbuild put into more than one file of the layer (must be none: one copy of each class). */
  duplicatedSources: string[];
  /** Anything the layer's modules import that is not a file of the layer (must be node: built-ins only). */
  externalImports: string[];
}

function installedVersion(pkg: string): string {
  // The package.json beside the installed package: npm ci installs exactly what package-lock.json pins.
  const req = createRequire(join(REPO_ROOT, 'package.json'));
  let dir = dirname(req.resolve(pkg));
  for (;;) {
    try {
      const pj = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (pj.name === pkg && pj.version) return pj.version;
    } catch {
      // no package.json at this level: keep walking up
    }
    const up = dirname(dir);
    if (up === dir) throw new Error(`cannot find the installed version of ${pkg}; run npm ci`);
    dir = up;
  }
}

function staticClosure(meta: Metafile, nodeModules: string, entryOut: string): string[] {
  // Metafile output keys are relative to the working directory; follow only static imports (not dynamic ones).
  const key = (abs: string) => relative(REPO_ROOT, abs).split('\\').join('/');
  const seen = new Set<string>();
  const visit = (k: string) => {
    if (seen.has(k)) return;
    seen.add(k);
    for (const imp of meta.outputs[k]?.imports ?? []) if (imp.kind === 'import-statement' && !imp.external) visit(imp.path);
  };
  visit(key(join(nodeModules, entryOut)));
  return [...seen].map((k) => relative(nodeModules, resolve(REPO_ROOT, k)).split('\\').join('/')).sort();
}

/**
 * Builds the layer into `outDir` (its nodejs/ replaced): synchronous, so that the CDK can run it while it
 * synthesizes. The same build serves the size test and bench:functions, so what they load is what deploys.
 */
export function buildSdkLayer(outDir: string): SdkLayerBuild {
  rmSync(join(outDir, 'nodejs'), { recursive: true, force: true });
  return buildSdkNodeModules(join(outDir, 'nodejs', 'node_modules'));
}

/**
 * The layer's `nodejs/node_modules` alone, written to `nodeModules` (emptied first): the tests and the bench put it
 * beside the function bundles they build, so that a bundle resolves the SDK from it exactly as in Lambda.
 */
export function buildSdkNodeModules(nodeModules: string): SdkLayerBuild {
  rmSync(nodeModules, { recursive: true, force: true });
  mkdirSync(nodeModules, { recursive: true });
  const versions: Record<string, string> = {};
  for (const pkg of SDK_LAYER_PACKAGES) versions[pkg] = installedVersion(pkg);
  const result = buildSync({
    absWorkingDir: REPO_ROOT,
    // Each entry is the package itself, resolved from the repository's node_modules like an import.
    entryPoints: SDK_LAYER_PACKAGES.map((pkg) => ({ in: pkg, out: `${pkg}/index` })),
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: BUNDLE_TARGET,
    mainFields: ['module', 'main'],
    // The SDK's few CommonJS dependencies need `require` for Node built-ins inside an ES module.
    banner: { js: ESM_REQUIRE_BANNER },
    minify: true,
    outdir: nodeModules,
    outExtension: { '.js': '.mjs' },
    chunkNames: `${SDK_LAYER_CHUNK_DIR}/[name]-[hash]`,
    metafile: true,
    logLevel: 'error',
  });
  for (const pkg of SDK_LAYER_PACKAGES) {
    const manifest = { name: pkg, version: versions[pkg], type: 'module', main: './index.mjs', exports: { '.': './index.mjs' } };
    writeFileSync(join(nodeModules, pkg, 'package.json'), JSON.stringify(manifest, null, 2) + '\n');
  }
  const files: Record<string, number> = {};
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.mjs')) files[relative(nodeModules, p).split('\\').join('/')] = statSync(p).size;
    }
  };
  walk(nodeModules);
  const staticImports: Record<string, string[]> = {};
  const staticSources: Record<string, string[]> = {};
  for (const pkg of SDK_LAYER_PACKAGES) {
    staticImports[pkg] = staticClosure(result.metafile, nodeModules, `${pkg}/index.mjs`);
    const outputs = staticImports[pkg].map((f) => result.metafile.outputs[relative(REPO_ROOT, join(nodeModules, f)).split('\\').join('/')]);
    staticSources[pkg] = [...new Set(outputs.flatMap((o) => Object.keys(o?.inputs ?? {})))].sort();
  }
  const externalImports = [
    ...new Set(Object.values(result.metafile.outputs).flatMap((o) => o.imports.filter((i) => i.external).map((i) => i.path))),
  ].sort();
  const seenIn = new Map<string, number>();
  for (const o of Object.values(result.metafile.outputs)) for (const src of Object.keys(o.inputs)) seenIn.set(src, (seenIn.get(src) ?? 0) + 1);
  const duplicatedSources = [...seenIn].filter(([, n]) => n > 1).map(([src]) => src).sort();
  return {
    versions,
    files,
    bytes: Object.values(files).reduce((a, b) => a + b, 0),
    nodeModules,
    staticImports,
    staticSources,
    sources: [...seenIn.keys()].sort(),
    duplicatedSources,
    externalImports,
  };
}
