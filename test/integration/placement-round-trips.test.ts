// How many DynamoDB calls a placement makes through the HTTP handler, counted by a middleware on the
// runtime's real DynamoDB client; that a warm connection's placements reuse its recent reading of OpenD's
// clock instead of one GetGlobalState each (counted by a pass-through spy on the real client), that a new
// connection reads the clock first, and that a placement reading the clock fresh corrects a record written
// with the last reading. Real simulator over TCP (virtual clock), DynamoDB Local.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { idempotencyKey, type DynamoIdempotencyStore } from '../../functions/lib/idempotency-store.js';
import { parseOrderRequest } from '../../functions/lib/order-input.js';
import { placeOrderIdempotently } from '../../functions/lib/place-order.js';
import { gatewayClock, localDate } from '../../functions/lib/placement-reconcile.js';
import type { AccountRef } from '../../proto/api/trading.js';
import { silentLogger } from '../../proto/log.js';
import { PROTO_ID } from '../../proto/registry.js';
import { stepTicks } from '../../proto/ticks.js';
import { extraHkAccounts, RICH_ACCOUNTS, startFunctionsHarness, type FunctionsHarness } from '../support/functions-harness.js';

const EXTRA = extraHkAccounts(5, 281756480572800000n);
const ACC = {
  calls: EXTRA[0]!.accID.toString(),
  day: EXTRA[1]!.accID.toString(),
  dup: EXTRA[2]!.accID.toString(),
  reuse: EXTRA[3]!.accID.toString(),
  reconnect: EXTRA[4]!.accID.toString(),
};
const DAY_MS = 24 * 3600_000;

let h: FunctionsHarness;
const calls: string[] = [];

beforeAll(async () => {
  h = await startFunctionsHarness({ simulator: { accounts: [...RICH_ACCOUNTS, ...EXTRA] } });
  (h.rt.idempotency as DynamoIdempotencyStore).docClient.middlewareStack.add(
    (next, context) => async (args) => {
      calls.push(String(context.commandName).replace(/Command$/, ''));
      return next(args);
    },
    { step: 'finalizeRequest', name: 'countDynamoCalls' },
  );
}, 120_000);

afterAll(async () => {
  await h?.stop();
});

function order(clientOrderId: string) {
  return { clientOrderId, code: 'HK.00700', side: 'BUY', qty: 100, price: stepTicks('HK', h.sim.market.top('HK.00700')!.bid, -8), timeInForce: 'DAY' };
}

/** The DynamoDB calls `fn` makes. */
async function counted(fn: () => Promise<unknown>): Promise<string[]> {
  const from = calls.length;
  await fn();
  return calls.slice(from);
}

describe('DynamoDB round trips of a placement', () => {
  it('places an order with two DynamoDB calls: one TransactWriteItems before OpenD and the completion after it', async () => {
    await h.nextTradeSlot();
    expect((await h.http('POST', `/v1/accounts/${ACC.calls}/orders`, { body: order('rt-1') })).status).toBe(201);
    for (const n of [2, 3, 4]) {
      await h.nextTradeSlot();
      const made = await counted(async () => {
        expect((await h.http('POST', `/v1/accounts/${ACC.calls}/orders`, { body: order(`rt-${n}`) })).status).toBe(201);
      });
      expect(made).toEqual(['TransactWriteItems', 'UpdateItem']);
    }
    expect(await h.rt.idempotency.get(idempotencyKey(ACC.calls, 'rt-4'))).toMatchObject({ state: 'PLACED' });
  });

  it('answers a retry of a placed order from the cancelled transaction alone: one DynamoDB call, no second order', async () => {
    await h.nextTradeSlot();
    const first = await h.http('POST', `/v1/accounts/${ACC.dup}/orders`, { body: order('dup-1') });
    expect(first.status).toBe(201);
    // Past Futu's 20 ms gap after the first order's slot, so that the limiter lets the retry try the transaction.
    // Within the gap the handler decides the limiter would refuse and takes the sequential path (PutItem, then
    // GetItem: the same answer in two calls); a retry on a loaded machine could come either side of it.
    await h.nextTradeSlot();
    let again: Awaited<ReturnType<FunctionsHarness['http']>> | undefined;
    const made = await counted(async () => {
      again = await h.http('POST', `/v1/accounts/${ACC.dup}/orders`, { body: order('dup-1') });
    });
    expect(again?.text).toBe(first.text);
    expect(made).toEqual(['TransactWriteItems']);
    expect(h.sim.trading.orders(h.header(ACC.dup)).filter((o) => o.remark === 'oc:dup-1')).toHaveLength(1);
  });

  it("records OpenD's fresh trading day and time, not the session's last reading, after OpenD's clock moved a day, when the placement reads the clock (clockReuseMs 0; crash injected before sending)", async () => {
    const acc: AccountRef = { accId: BigInt(ACC.day), env: 'SIMULATE', market: 'HK' };
    await h.nextTradeSlot();
    expect((await h.http('POST', `/v1/accounts/${ACC.day}/orders`, { body: order('day-0') })).status).toBe(201);
    const before = await h.rt.idempotency.get(idempotencyKey(ACC.day, 'day-0'));

    h.sim.advance(DAY_MS);
    const rt = h.rt;
    await expect(
      placeOrderIdempotently(
        { idempotency: rt.idempotency, limiter: rt.limiter, openD: () => rt.openD.get(), log: silentLogger, clockReuseMs: 0, afterRecord: () => { throw new Error('injected crash'); } },
        acc,
        parseOrderRequest(order('day-1')),
      ),
    ).rejects.toThrow('injected crash');
    const rec = await h.rt.idempotency.get(idempotencyKey(ACC.day, 'day-1'));
    expect(rec).toMatchObject({ state: 'PENDING', market: 'HK' });
    expect(Date.parse(rec!.gatewayStartedAt!)).toBe(Math.floor(h.sim.clock.now() / 1000) * 1000);
    expect(Date.parse(rec!.tradeDate! + 'T00:00:00Z') - Date.parse(before!.tradeDate! + 'T00:00:00Z')).toBe(DAY_MS);
  }, 120_000); // a virtual day of market data is generated on the advance

  it("places orders on a warm connection without a GetGlobalState each: the record carries the connection's recent reading", async () => {
    await h.nextTradeSlot();
    expect((await h.http('POST', `/v1/accounts/${ACC.reuse}/orders`, { body: order('reuse-0') })).status).toBe(201);
    const session = await h.rt.openD.get();
    // A reading taken now, so that the three placements below fall inside its reuse bound however slow the machine.
    await gatewayClock(session, { accId: BigInt(ACC.reuse), env: 'SIMULATE', market: 'HK' });
    const requests = vi.spyOn(session.client, 'request'); // passes every call through to the real client
    try {
      for (const n of [1, 2, 3]) {
        await h.nextTradeSlot();
        expect((await h.http('POST', `/v1/accounts/${ACC.reuse}/orders`, { body: order(`reuse-${n}`) })).status).toBe(201);
      }
      const sent = requests.mock.calls.map(([protoId]) => protoId);
      expect(sent.filter((id) => id === PROTO_ID.Trd_PlaceOrder)).toHaveLength(3);
      expect(sent.filter((id) => id === PROTO_ID.GetGlobalState)).toHaveLength(0);
    } finally {
      requests.mockRestore();
    }
    const rec = await h.rt.idempotency.get(idempotencyKey(ACC.reuse, 'reuse-3'));
    // The simulator's clock moved 100 ms per trade slot: the reading lags it by less than the reuse bound.
    expect(rec).toMatchObject({ state: 'PLACED', market: 'HK', tradeDate: localDate(h.sim.clock.now(), 'Asia/Hong_Kong') });
    const lag = h.sim.clock.now() - Date.parse(rec!.gatewayStartedAt!);
    expect(lag).toBeGreaterThanOrEqual(0);
    expect(lag).toBeLessThan(10_000);
  });

  it('reads the clock first on a new connection: after OpenD moved a day and the connection was replaced, the record has the new day', async () => {
    await h.nextTradeSlot();
    expect((await h.http('POST', `/v1/accounts/${ACC.reconnect}/orders`, { body: order('conn-0') })).status).toBe(201);
    const before = await h.rt.idempotency.get(idempotencyKey(ACC.reconnect, 'conn-0'));

    h.sim.advance(DAY_MS);
    await h.rt.openD.close(); // the next request opens a new connection, as after a drop or a thaw
    await h.nextTradeSlot();
    expect((await h.http('POST', `/v1/accounts/${ACC.reconnect}/orders`, { body: order('conn-1') })).status).toBe(201);
    const rec = await h.rt.idempotency.get(idempotencyKey(ACC.reconnect, 'conn-1'));
    expect(rec).toMatchObject({ state: 'PLACED', market: 'HK' });
    expect(Date.parse(rec!.tradeDate! + 'T00:00:00Z') - Date.parse(before!.tradeDate! + 'T00:00:00Z')).toBe(DAY_MS);
    // Read on this connection, before the record was written: OpenD's time of this placement, to the second.
    expect(Date.parse(rec!.gatewayStartedAt!)).toBeLessThanOrEqual(h.sim.clock.now());
    expect(Date.parse(rec!.gatewayStartedAt!)).toBeGreaterThan(h.sim.clock.now() - 1000);
  }, 120_000); // a virtual day of market data is generated on the advance
});
