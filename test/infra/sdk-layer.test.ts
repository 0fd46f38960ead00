// The AWS SDK layer (cdk/sdk-layer.ts): built from the versions package-lock.json pins, self-contained (it imports
// nothing but Node built-ins, so nothing can fall back to another SDK copy), with the lazily imported credential
// sources kept out of what a function loads at cold start, and one layer version carried by every function.
import { readFileSync, rmSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FUNCTION_IDS } from '../../cdk/definitions.js';
import { buildSdkLayer, SDK_LAYER_CHUNK_DIR, SDK_LAYER_PACKAGES, type SdkLayerBuild } from '../../cdk/sdk-layer.js';
import { logicalId, resourcesOf, synthesize } from './synth.js';

const outDir = join(tmpdir(), `opend-sdk-layer-${process.pid}`);
let layer: SdkLayerBuild;
beforeAll(() => {
  layer = buildSdkLayer(outDir);
}, 120_000);
afterAll(() => rmSync(outDir, { recursive: true, force: true }));

describe('AWS SDK layer', () => {
  it('holds each package at the version package-lock.json pins, as an ES module package Lambda resolves', () => {
    const lock = JSON.parse(readFileSync(join(import.meta.dirname, '..', '..', 'package-lock.json'), 'utf8')) as { packages: Record<string, { version: string }> };
    for (const pkg of SDK_LAYER_PACKAGES) {
      const pinned = lock.packages[`node_modules/${pkg}`]?.version;
      expect(pinned, `${pkg} in package-lock.json`).toBeDefined();
      expect(layer.versions[pkg]).toBe(pinned);
      const manifest = JSON.parse(readFileSync(join(outDir, 'nodejs', 'node_modules', pkg, 'package.json'), 'utf8'));
      expect(manifest).toEqual({ name: pkg, version: pinned, type: 'module', main: './index.mjs', exports: { '.': './index.mjs' } });
      expect(layer.files[`${pkg}/index.mjs`]).toBeGreaterThan(0);
    }
    // Besides the entries, only chunks in the hidden chunk directory.
    const others = Object.keys(layer.files).filter((f) => !SDK_LAYER_PACKAGES.some((p) => f === `${p}/index.mjs`));
    expect(others.every((f) => f.startsWith(`${SDK_LAYER_CHUNK_DIR}/`)), others.join(', ')).toBe(true);
  });

  it('imports nothing at run time but Node built-ins', () => {
    expect(layer.externalImports.filter((p) => !p.startsWith('node:') && !builtinModules.includes(p))).toEqual([]);
  });

  it('keeps the credential sources Lambda does not use out of what a function loads at cold start', () => {
    const lazy = /node_modules\/(@aws-sdk\/(credential-provider-(sso|ini|process|web-identity)|nested-clients|token-providers)|@smithy\/credential-provider-imds)\//;
    for (const pkg of SDK_LAYER_PACKAGES) {
      expect(layer.staticSources[pkg]!.filter((f) => lazy.test(f)), pkg).toEqual([]);
    }
    // ...while they are in the layer, in chunks of their own, for the code paths that do import them.
    for (const src of ['credential-provider-sso', 'credential-provider-ini', 'credential-provider-process', 'credential-provider-web-identity', 'credential-provider-imds']) {
      expect(layer.sources.some((f) => f.includes(`/${src}/`)), src).toBe(true);
    }
  });

  it('holds one copy of every SDK module, shared by the entries (lib-dynamodb wraps client-dynamodb\'s client)', () => {
    expect(layer.duplicatedSources).toEqual([]);
    const core = (pkg: string) => layer.staticSources[pkg]!.filter((f) => f.includes('node_modules/@smithy/core/'));
    expect(core('@aws-sdk/client-dynamodb').length).toBeGreaterThan(0);
    expect(core('@aws-sdk/lib-dynamodb')).toEqual(core('@aws-sdk/client-dynamodb'));
    // The client class lib-dynamodb's DocumentClient wraps lives in a chunk both entries load.
    const lib = new Set(layer.staticImports['@aws-sdk/lib-dynamodb']);
    const shared = layer.staticImports['@aws-sdk/client-dynamodb']!.filter((f) => lib.has(f));
    expect(shared.some((f) => f.startsWith(`${SDK_LAYER_CHUNK_DIR}/`))).toBe(true);
  });

  it('is one layer version for the stack, carried by every function', () => {
    const { template, stack } = synthesize({});
    const layers = resourcesOf(template, 'AWS::Lambda::LayerVersion');
    expect(layers).toHaveLength(1);
    const [layerId, res] = layers[0]!;
    expect(res.Properties?.['CompatibleRuntimes']).toEqual(['nodejs22.x']);
    expect(String(res.Properties?.['Description'])).toContain('client-dynamodb 3.');
    expect(layerId).toBe(logicalId(stack.node.findAll().find((c) => c.node.id === 'AwsSdkLayer')!));
    const fns = resourcesOf(template, 'AWS::Lambda::Function').filter(([, r]) => r.Properties?.['Runtime'] === 'nodejs22.x');
    expect(fns).toHaveLength(FUNCTION_IDS.length);
    for (const [id, fn] of fns) expect(fn.Properties?.['Layers'], id).toEqual([{ Ref: layerId }]);
  }, 120_000);
});
