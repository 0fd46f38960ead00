// The esbuild settings that the function bundles (cdk/bundling.ts) and the AWS SDK layer (cdk/sdk-layer.ts) must
// share, in a module of their own so that those two can import each other's exports without an import cycle.
// Invariant: the layer is built for the same Node.js target and with the same `require` shim as the functions.

/** ESM output needs `require` for the CommonJS dependencies esbuild inlines (protobufjs and friends). */
export const ESM_REQUIRE_BANNER = "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);";

/** The Lambda runtime the functions and the layer run on (NODEJS_22_X in cdk/constructs/functions.ts). */
export const BUNDLE_TARGET = 'node22';
