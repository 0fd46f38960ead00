// How every Lambda function is bundled, in one place: cdk/constructs/functions.ts hands these options to
// NodejsFunction (which runs esbuild), and the bundle-size test and bench:functions run esbuild with the same ones,
// so the sizes they check are the sizes that deploy.
// Invariant: FUNCTION_ESBUILD is exactly what NodejsFunction passes to esbuild for FUNCTION_BUNDLING.
import { BUNDLE_TARGET, ESM_REQUIRE_BANNER } from './esbuild-base.js';
import { SDK_LAYER_PACKAGES } from './sdk-layer.js';

/**
 * The AWS SDK packages the functions import are left external: they come from the one SDK layer every function
 * carries (cdk/sdk-layer.ts), pre-bundled from the versions package-lock.json pins. Bundled into each function they
 * were ~330 KB of every bundle; taken from the Lambda runtime's own copy (hundreds of small files) the cold import
 * measured about twice as slow as one bundle. Everything else is bundled: nothing else is resolved at run time.
 */
export const EXTERNAL_MODULES: readonly string[] = [...SDK_LAYER_PACKAGES];

export { BUNDLE_TARGET, ESM_REQUIRE_BANNER };

/**
 * The functions run without `--enable-source-maps`: with it Node reads the bundle's source map (several MB) while
 * loading the bundle, which measured about 1.5-2× the cold import (orders p50 416 → 895 ms, streamFanout 191 → 299
 * ms, 7 fresh processes each on a loaded machine). The map still ships beside the bundle, so a minified stack trace
 * from the logs can be mapped back offline.
 */
export const FUNCTION_NODE_OPTIONS: string | undefined = undefined;

/** The same options NodejsFunction hands esbuild, for the size test and the bench. */
export const FUNCTION_ESBUILD = {
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: BUNDLE_TARGET,
  mainFields: ['module', 'main'],
  banner: { js: ESM_REQUIRE_BANNER },
  minify: true,
  sourcemap: true,
  external: [...EXTERNAL_MODULES],
} as const;

/**
 * Size budgets of the minified bundles, in bytes (1 KB = 1024). A function that never talks to OpenD carries no
 * codec: 150 KB. One that does carries the client, protobufjs and the codecs of the protocols it speaks: 450 KB.
 */
export const BUNDLE_BUDGET = { withoutOpenD: 150 * 1024, withOpenD: 450 * 1024 } as const;

/**
 * Functions that do not meet their budget yet, each with the ceiling it is held to meanwhile: its size when this
 * was measured, rounded up to 10 KB, plus 10 KB for work in flight. It may only shrink towards the budget; the
 * README's "Bundles and cold starts" says what keeps each one over.
 */
export const OVER_BUDGET_CEILING: Readonly<Record<string, number>> = {
  // None: with the AWS SDK in the shared layer (cdk/sdk-layer.ts) and orderEvents on the stores-only runtime
  // (functions/lib/store-runtime.ts), every function is within its budget.
};

/** The size a function's bundle must stay within: its ceiling while over budget, else its budget. */
export function bundleLimit(functionId: string, needsOpenD: boolean): { limit: number; budget: number; overBudget: boolean } {
  const budget = needsOpenD ? BUNDLE_BUDGET.withOpenD : BUNDLE_BUDGET.withoutOpenD;
  const ceiling = OVER_BUDGET_CEILING[functionId];
  return ceiling === undefined ? { limit: budget, budget, overBudget: false } : { limit: ceiling, budget, overBudget: true };
}
