// When a function runs out of time while OpenD has not answered (middy answers just before Lambda's timeout would
// cut the reply): a placement is answered 503 OUTCOME_UNKNOWN with the time after which a retry is reconciled,
// and that retry answers the one order OpenD placed instead of placing a second one. (In this process the
// abandoned invocation goes on in the background, as a Lambda's would if it were not frozen, and places the
// order: the harder case for the retry.) A read that runs out of time is a plain 503. Real simulator over TCP
// (its stall switch), DynamoDB Local.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { idempotencyKey } from '../../functions/lib/idempotency-store.js';
import { stepTicks } from '../../proto/ticks.js';
import { extraHkAccounts, RICH_ACCOUNTS, startFunctionsHarness, type FunctionsHarness } from '../support/functions-harness.js';

const [EXTRA] = extraHkAccounts(1);
const ACC = EXTRA!.accID.toString();
/** Shorter than the stall: the takeover may run once the stall is over. */
const STALE_MS = 6_000;

let h: FunctionsHarness;

beforeAll(async () => {
  h = await startFunctionsHarness({ simulator: { accounts: [...RICH_ACCOUNTS, EXTRA!] }, env: { IDEMPOTENCY_PENDING_STALE_MS: String(STALE_MS) } });
});

afterAll(async () => {
  h?.sim.core.stallReplies(0);
  await h?.stop();
});

async function until<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, timeoutMs = 60_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('a function that runs out of time', () => {
  it('answers a placement 503 OUTCOME_UNKNOWN with Retry-After, and the retry with the same clientOrderId answers the one order placed', async () => {
    const price = stepTicks('HK', h.sim.market.top('HK.00700')!.bid, -5);
    const body = { clientOrderId: 'out-of-time-1', code: 'HK.00700', side: 'BUY', qty: 100, price };
    // OpenD takes the order but every reply is held back 4 s, longer than this invocation has left (2.5 s).
    h.sim.core.stallReplies(4_000);
    const first = await h.http('POST', `/v1/accounts/${ACC}/orders`, { body, timeoutMs: 2_500 });
    expect(first.status).toBe(503);
    expect(first.body.error.code).toBe('OUTCOME_UNKNOWN');
    expect(first.body.error.message).toContain('same clientOrderId');
    expect(first.headers['retry-after']).toBe(String(STALE_MS / 1000));
    h.sim.core.stallReplies(0);

    // The order did reach OpenD (the stall holds replies, not requests).
    const placed = await until('the order at the simulator', () => {
      const os = h.sim.trading.orders(h.header(ACC)).filter((o) => o.remark === 'oc:out-of-time-1');
      return os.length > 0 ? os : undefined;
    });
    expect(placed).toHaveLength(1);

    // Retried as told, with the same clientOrderId: reconciled to that order, not placed again.
    const retry = await until('a final answer to the retry', async () => {
      const r = await h.http('POST', `/v1/accounts/${ACC}/orders`, { body });
      return r.status === 201 ? r : undefined;
    }, 120_000);
    expect(retry.body.order.orderId).toBe(placed[0]!.orderID.toString());
    expect(h.sim.trading.orders(h.header(ACC)).filter((o) => o.remark === 'oc:out-of-time-1')).toHaveLength(1);
    expect((await h.rt.idempotency.get(idempotencyKey(ACC, 'out-of-time-1')))?.state).toBe('PLACED');
  });

  it('answers a read that runs out of time 503 GATEWAY_NOT_READY with Retry-After', async () => {
    h.sim.core.stallReplies(4_000);
    try {
      const r = await h.http('GET', `/v1/accounts/${ACC}/orders?refresh=true`, { timeoutMs: 1_500 });
      expect(r.status).toBe(503);
      expect(r.body.error.code).toBe('GATEWAY_NOT_READY');
      expect(r.headers['retry-after']).toBe('5');
    } finally {
      h.sim.core.stallReplies(0);
    }
  });
});
