// Scheduled strategy (EventBridge Scheduler → this function): dollar-cost averaging with a dry-run switch.
// The strategy is a caller like any other: its identity is this function's own ARN (the Lambda context's
// invokedFunctionArn), its rights come from the `callers` configuration exactly as an HTTP caller's do (grant
// e.g. {"principal":"arn:aws:lambda:*:*:function:*strategyDca*","accounts":[…],"rights":["tradeReal"]} to let it
// buy on a REAL account; the default `*` grant allows paper accounts only), and every order it places passes the
// same pre-trade risk limits as POST /v1/accounts/{accId}/orders.
import type { Context } from 'aws-lambda';
import { authorize } from '../lib/authorization.js';
import { runDca, type DcaResult, type PlacementGuard } from '../lib/dca-strategy.js';
import { lambdaFunction } from '../lib/lambda-logger.js';
import { runtime } from '../lib/runtime.js';
import { riskCheckPlacement, security } from '../lib/security.js';

/** The route whose rights a strategy order needs: the same as an order placed over HTTP. */
const PLACE_ROUTE = 'POST /v1/accounts/{accId}/orders';

async function run(input: unknown, context: Context): Promise<DcaResult> {
  const rt = runtime();
  const session = await rt.openD.get();
  const caller = context.invokedFunctionArn;
  const guard: PlacementGuard = async (acc, order) => {
    await authorize(security(rt).config.callers, { routeKey: PLACE_ROUTE, caller, accId: acc.accId.toString(), accountEnv: async () => acc.env });
    await riskCheckPlacement(session, acc, order);
  };
  const result = await runDca(input, { idempotency: rt.idempotency, limiter: rt.limiter, openD: () => rt.openD.get(), log: rt.log, directory: rt.directory, session, pendingStaleMs: rt.config.pendingStaleMs, guard });
  const summary = { action: result.action, security: result.security, qty: result.qty, limitPrice: result.limitPrice, reason: result.reason, caller };
  if (result.action === 'refused') rt.log.warn('dca run refused', { ...summary, error: result.error });
  else rt.log.info('dca run', summary);
  return result;
}

export const handler = lambdaFunction(run);
