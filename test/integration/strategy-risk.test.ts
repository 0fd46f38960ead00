// The scheduled DCA strategy is a caller like any HTTP client: its orders pass the same authorization (`callers`,
// with the strategy function's own ARN as its identity) and the same pre-trade risk limits as
// POST /v1/accounts/{accId}/orders. Real handler, simulator over TCP, DynamoDB Local; "nothing reached OpenD" is
// read from the simulator's own order book and the idempotency table (no placement was even begun).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { idempotencyKey } from '../../functions/lib/idempotency-store.js';
import { SECURITY_ENV, type CallerGrant, type RiskLimits } from '../../functions/lib/security-config.js';
import { ACCOUNTS, extraHkAccounts, RICH_ACCOUNTS, startFunctionsHarness, type FunctionsHarness } from '../support/functions-harness.js';

/** The harness invokes the strategy with the Lambda context bin/local/http-api.ts builds for 'strategyDca'. */
const STRATEGY_ARN = 'arn:aws:lambda:local:000000000000:function:strategyDca';

const [QTY_CAPPED, NOTIONAL_CAPPED, ROOMY] = extraHkAccounts(3).map((a) => a);
const id = (a: { accID: bigint } | undefined) => a!.accID.toString();

/** Paper trading for every signed caller (the deployed default's shape), and no REAL right for the strategy. */
const CALLERS: CallerGrant[] = [{ principal: '*', accounts: '*', rights: ['read', 'trade'] }];
const LOOSE: RiskLimits = { maxQty: 100_000, maxOrderNotional: 1e9, maxDailyNotional: 1e10, maxOpenOrders: 1_000, priceCollarPct: 50 };

let h: FunctionsHarness;

beforeAll(async () => {
  h = await startFunctionsHarness({
    simulator: { accounts: [...RICH_ACCOUNTS, QTY_CAPPED!, NOTIONAL_CAPPED!, ROOMY!] },
    env: {
      [SECURITY_ENV.callers]: JSON.stringify(CALLERS),
      [SECURITY_ENV.riskLimits]: JSON.stringify({
        default: LOOSE,
        accounts: { [id(QTY_CAPPED)]: { maxQty: 200 }, [id(NOTIONAL_CAPPED)]: { maxOrderNotional: 1_000 } },
      }),
    },
  });
});

afterAll(async () => {
  await h?.stop();
});

function simOrders(accId: string) {
  return h.sim.trading.orders(h.header(accId));
}

describe('DCA strategy orders pass the risk limits and the callers configuration', () => {
  it('refuses a run over the account\'s maxQty with RISK_REJECTED, and nothing reaches OpenD', async () => {
    await h.nextTradeSlot();
    const r = await h.strategyDca({ security: 'HK.00700', quantity: 300, accId: id(QTY_CAPPED), runDate: '2025-01-15', dryRun: false });
    expect(r).toMatchObject({ action: 'refused', accId: id(QTY_CAPPED), qty: 300, clientOrderId: 'dca-HK.00700-20250115', error: { code: 'RISK_REJECTED', details: { limit: 'maxQty', value: 200 } } });
    expect(r.reason).toContain('maxQty');
    expect(r.response).toBeUndefined();
    expect(simOrders(id(QTY_CAPPED))).toHaveLength(0);
    expect(await h.rt.idempotency.get(idempotencyKey(id(QTY_CAPPED), 'dca-HK.00700-20250115'))).toBeUndefined();
  });

  it('refuses a run whose one lot is over maxOrderNotional', async () => {
    await h.nextTradeSlot();
    const r = await h.strategyDca({ security: 'HK.00700', quantity: 100, accId: id(NOTIONAL_CAPPED), runDate: '2025-01-15', dryRun: false });
    expect(r).toMatchObject({ action: 'refused', error: { code: 'RISK_REJECTED', details: { limit: 'maxOrderNotional', value: 1_000 } } });
    expect(simOrders(id(NOTIONAL_CAPPED))).toHaveLength(0);
  });

  it('refuses a REAL account to a strategy granted paper trading only (FORBIDDEN, naming tradeReal)', async () => {
    await h.nextTradeSlot();
    const before = simOrders(ACCOUNTS.REAL_HK).length;
    const r = await h.strategyDca({ security: 'HK.00700', quantity: 100, trdEnv: 'REAL', runDate: '2025-01-15', dryRun: false });
    expect(r).toMatchObject({ action: 'refused', accId: ACCOUNTS.REAL_HK, error: { code: 'FORBIDDEN', details: { caller: STRATEGY_ARN, missing: 'tradeReal' } } });
    expect(simOrders(ACCOUNTS.REAL_HK)).toHaveLength(before);
  });

  it('plans without judging (a dry run reserves no notional) and places a run within the limits', async () => {
    const plan = await h.strategyDca({ security: 'HK.00700', quantity: 300, accId: id(QTY_CAPPED), runDate: '2025-01-16' });
    expect(plan.action).toBe('planned');
    await h.nextTradeSlot();
    const r = await h.strategyDca({ security: 'HK.00700', quantity: 200, accId: id(ROOMY), runDate: '2025-01-16', dryRun: false });
    expect(r).toMatchObject({ action: 'placed', accId: id(ROOMY), qty: 200, response: { status: 201 } });
    expect(simOrders(id(ROOMY))).toHaveLength(1);
  });
});
