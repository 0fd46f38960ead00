// How every Lambda function is bundled, in one place: cdk/constructs/functions.ts hands these options to
// NodejsFunction (which runs esbuild), and the bundle-size test and bench:functions run esbuild with the same ones,
// so the sizes they check are the sizes that deploy.
// Invariant: FUNCTION_ESBUILD is exactly what NodejsFunction passes to esbuild for FUNCTION_BUNDLING.

/**
 * The AWS SDK v3 is not bundled: Lambda's Node.js 22 runtime ships it (every @aws-sdk client, lib-dynamodb
 * included), and bundling it made each function ~330 KB larger minified (smithy core, credential providers,
 * nested STS/SSO clients) for code the runtime already has on disk. The SDK calls used here (DynamoDB, EventBridge,
 * Secrets Manager, API Gateway Management) are stable v3 APIs; the pinned package-lock versions are still what
 * the tests and the local stack run against.
 */
export const EXTERNAL_MODULES: readonly string[] = ['@aws-sdk/*'];

/** ESM output needs `require` for the CommonJS dependencies esbuild inlines (protobufjs and friends). */
export const ESM_REQUIRE_BANNER = "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);";

export const BUNDLE_TARGET = 'node22';

/** The same options as esbuild's own, for the size test and the bench (NodejsFunction adds only the source map file). */
export const FUNCTION_ESBUILD = {
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: BUNDLE_TARGET,
  mainFields: ['module', 'main'],
  banner: { js: ESM_REQUIRE_BANNER },
  minify: true,
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
  quotes: 730 * 1024, // serves ~45 protocols (quotes, reference data, derivatives, reminders, rankings)
  strategyDca: 670 * 1024,
  accounts: 500 * 1024,
  orders: 500 * 1024,
  gateway: 470 * 1024,
  subscriptions: 480 * 1024,
  orderEvents: 460 * 1024, // functions/lib/runtime.ts builds the OpenD connection for every function
};

/** The size a function's bundle must stay within: its ceiling while over budget, else its budget. */
export function bundleLimit(functionId: string, needsOpenD: boolean): { limit: number; budget: number; overBudget: boolean } {
  const budget = needsOpenD ? BUNDLE_BUDGET.withOpenD : BUNDLE_BUDGET.withoutOpenD;
  const ceiling = OVER_BUDGET_CEILING[functionId];
  return ceiling === undefined ? { limit: budget, budget, overBudget: false } : { limit: ceiling, budget, overBudget: true };
}
