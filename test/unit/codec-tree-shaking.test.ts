// The generated codecs are tree-shakable: a bundle that registers a protocol's client side (what proto/api/*.ts
// and proto/client.ts do) keeps that protocol's request encoders and response decoders and nothing else: not the
// other direction, not the message objects, not the packages' other messages. The bundle is built by esbuild
// (the bundler the functions deploy with) without minification, so the generated function names are visible.
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

async function bundle(source: string): Promise<string> {
  const r = await build({
    stdin: { contents: source, resolveDir: root, loader: 'ts', sourcefile: 'entry.ts' },
    bundle: true, platform: 'node', format: 'esm', target: 'node22', write: false, logLevel: 'error', treeShaking: true,
  });
  return r.outputFiles[0]!.text;
}

/** Whether the bundle defines generated function `name` (esbuild may suffix a number to keep names apart). */
const defines = (code: string, name: string) => new RegExp(`function ${name}\\d*\\(`).test(code);

describe('generated codecs in a bundle', () => {
  it('keep only the request encoders and response decoders of a registered client side', async () => {
    const code = await bundle(
      `import * as Trd_PlaceOrder from './proto/generated/Trd_PlaceOrder.js';\n` +
        `import { registerCodecs } from './proto/registry.js';\n` +
        `registerCodecs(Trd_PlaceOrder.clientCodec);\n`,
    );
    // Request → C2S → Common.PacketID and Trd_Common.TrdHeader, encoded; Response → S2C → TrdHeader, decoded.
    for (const name of ['encode_Request', 'encode_C2S', 'encode_PacketID', 'encode_TrdHeader', 'decode_Response', 'decode_S2C', 'decode_TrdHeader']) {
      expect(defines(code, name), name).toBe(true);
    }
    // The other direction of each, and the messages of Trd_Common the protocol never reaches.
    for (const name of ['decode_Request', 'decode_C2S', 'decode_PacketID', 'encode_Response', 'encode_S2C', 'decode_Order', 'encode_Order', 'decode_Position']) {
      expect(defines(code, name), name).toBe(false);
    }
    // No message objects (messageCodec builds them), so no way to reach the dropped functions.
    expect(code).not.toMatch(/messageCodec\(/);
    expect(code).not.toContain('"Trd_Common.Order"');
  });

  it('keep both directions of a package registered whole, as the simulator and relay do', async () => {
    const code = await bundle(
      `import * as Trd_PlaceOrder from './proto/generated/Trd_PlaceOrder.js';\n` +
        `import { registerCodecs } from './proto/registry.js';\n` +
        `registerCodecs(Trd_PlaceOrder);\n`,
    );
    for (const name of ['encode_Request', 'decode_Request', 'encode_Response', 'decode_Response', 'decode_PacketID', 'encode_PacketID']) {
      expect(defines(code, name), name).toBe(true);
    }
  });
});
