// How every Lambda function is bundled, in one place: cdk/constructs/functions.ts hands these options to
// NodejsFunction (which runs esbuild), and the bundle-size test and bench:functions run esbuild with the same ones,
// so the sizes they check are the sizes that deploy.
// Invariant: FUNCTION_ESBUILD is exactly what NodejsFunction passes to esbuild for FUNCTION_BUNDLING.

/**
 * Nothing is left external: the AWS SDK v3 is bundled (tree-shaken, minified) rather than taken from the Lambda
 * runtime. Leaving `@aws-sdk/*` external would make every bundle ~330 KB smaller, but bench:functions measured the
 * cold import about twice as slow that way (Node resolving and reading hundreds of SDK files instead of one:
 * streamFanout 133 → 69 ms, orders 324 → 160 ms, p50 of 7 fresh processes each), and cold init is what callers
 * wait for. It also keeps the SDK at the versions package-lock.json pins and the tests run.
 */
export const EXTERNAL_MODULES: readonly string[] = [];

/** ESM output needs `require` for the CommonJS dependencies esbuild inlines (protobufjs and friends). */
export const ESM_REQUIRE_BANNER = "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);";

export const BUNDLE_TARGET = 'node22';

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
  // OpenD-facing: ~330 KB of bundled AWS SDK, ~45 KB protobufjs, then the codecs of the protocols each speaks.
  quotes: 1060 * 1024, // ~45 protocols: quotes, reference data, derivatives, reminders, rankings
  strategyDca: 1010 * 1024,
  accounts: 850 * 1024,
  orders: 840 * 1024,
  gateway: 810 * 1024,
  subscriptions: 820 * 1024,
  settleOrders: 800 * 1024,
  // No OpenD, yet functions/lib/runtime.ts builds the OpenD connection (client + quote and trade codecs) for all.
  orderEvents: 800 * 1024,
  // No OpenD: the bundled AWS SDK (DynamoDB, API Gateway Management) is most of them.
  streamConnections: 450 * 1024,
  streamFanout: 440 * 1024,
};

/** The size a function's bundle must stay within: its ceiling while over budget, else its budget. */
export function bundleLimit(functionId: string, needsOpenD: boolean): { limit: number; budget: number; overBudget: boolean } {
  const budget = needsOpenD ? BUNDLE_BUDGET.withOpenD : BUNDLE_BUDGET.withoutOpenD;
  const ceiling = OVER_BUDGET_CEILING[functionId];
  return ceiling === undefined ? { limit: budget, budget, overBudget: false } : { limit: ceiling, budget, overBudget: true };
}
