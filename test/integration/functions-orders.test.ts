// Placing orders through the HTTP API: idempotency under concurrency and crashes, Futu's placement limit
// enforced before OpenD, and input validation that stops malformed requests before anything is placed.
// Real simulator over TCP, DynamoDB Local, real AWS SDK clients.
import { afterAll, beforeAll, describe, expect, it, vi, type MockInstance } from 'vitest';
import { idempotencyKey } from '../../functions/lib/idempotency-store.js';
import { parseOrderRequest } from '../../functions/lib/order-input.js';
import { placeOrderIdempotently, type PlaceOrderDeps } from '../../functions/lib/place-order.js';
import type { TradingEngine } from '../../gateway-container/simulator/trading/engine.js';
import type { AccountRef } from '../../proto/api/trading.js';
import { silentLogger } from '../../proto/log.js';
import { stepTicks } from '../../proto/ticks.js';
import { extraHkAccounts, RICH_ACCOUNTS, startFunctionsHarness, type FunctionsHarness } from '../support/functions-harness.js';
import { sleep } from '../../proto/timers.js';

// One paper HK account per scenario, so that Futu's per-account placement limit of one never affects another.
const EXTRA = extraHkAccounts(4);
const ACC = {
  concurrent: EXTRA[0]!.accID.toString(),
  crash: EXTRA[1]!.accID.toString(),
  limited: EXTRA[2]!.accID.toString(),
  malformed: EXTRA[3]!.accID.toString(),
};

let h: FunctionsHarness;
/** Every PlaceOrder that reached the simulator's trading engine. */
let placeSpy: MockInstance<TradingEngine['placeOrder']>;

beforeAll(async () => {
  h = await startFunctionsHarness({ simulator: { accounts: [...RICH_ACCOUNTS, ...EXTRA] } });
  placeSpy = vi.spyOn(h.sim.trading, 'placeOrder');
});

afterAll(async () => {
  placeSpy?.mockRestore();
  await h?.stop();
});


function placeOrderCalls(accId?: string): number {
  return placeSpy.mock.calls.filter(([c2s]) => accId === undefined || c2s.header.accID.toString() === accId).length;
}

/** The simulator's orders of an account carrying this clientOrderId in their remark. */
function simOrdersOf(accId: string, clientOrderId: string) {
  return h.sim.trading.orders(h.header(accId)).filter((o) => o.remark === `oc:${clientOrderId}`);
}

function simOrderCount(): number {
  return h.sim.trading.accounts().reduce((n, a) => n + h.sim.trading.orders(h.header(a.accID.toString())).length, 0);
}

/** A price `ticks` ticks below the best bid of HK.00700: a buy there stays open. */
function belowBid(ticks: number): number {
  return stepTicks('HK', h.sim.market.top('HK.00700')!.bid, -ticks);
}

const ordersUrl = (accId: string) => `/v1/accounts/${accId}/orders`;

describe('idempotent placement', () => {
  it('places exactly one order for 50 concurrent requests with one clientOrderId, and answers all 50 alike', async () => {
    const body = { clientOrderId: 'burst-1', code: 'HK.00700', side: 'BUY', qty: 100, price: belowBid(5) };
    const replies = await Promise.all(Array.from({ length: 50 }, () => h.http('POST', ordersUrl(ACC.concurrent), { body })));
    expect(replies.map((r) => r.status)).toEqual(Array(50).fill(201));
    expect(new Set(replies.map((r) => r.text)).size).toBe(1);
    const orders = simOrdersOf(ACC.concurrent, 'burst-1');
    expect(orders).toHaveLength(1);
    expect(replies[0]!.body.order).toMatchObject({ orderId: orders[0]!.orderID.toString(), clientOrderId: 'burst-1', qty: 100, price: body.price });
    expect(placeOrderCalls(ACC.concurrent)).toBe(1);
  });

  it('returns the first result to a later retry with the same clientOrderId (Idempotency-Key header)', async () => {
    const body = { code: 'HK.00700', side: 'BUY', qty: 100, price: belowBid(5) };
    const first = await h.http('POST', ordersUrl(ACC.concurrent), { headers: { 'Idempotency-Key': 'burst-1' }, body });
    expect(first.status).toBe(201);
    expect(simOrdersOf(ACC.concurrent, 'burst-1')).toHaveLength(1);
    expect(placeOrderCalls(ACC.concurrent)).toBe(1);
  });

  it('rejects the same clientOrderId with a different order: 409, nothing placed', async () => {
    const before = placeOrderCalls();
    const r = await h.http('POST', ordersUrl(ACC.concurrent), { body: { clientOrderId: 'burst-1', code: 'HK.00700', side: 'BUY', qty: 200, price: belowBid(5) } });
    expect(r.status).toBe(409);
    expect(r.body.error).toMatchObject({
      code: 'CONFLICT',
      message: expect.stringContaining('burst-1'),
      details: { clientOrderId: 'burst-1', existingOrderId: simOrdersOf(ACC.concurrent, 'burst-1')[0]!.orderID.toString() },
    });
    expect(placeOrderCalls()).toBe(before);
    expect(simOrdersOf(ACC.concurrent, 'burst-1')).toHaveLength(1);
  });
});

describe('placement whose outcome was lost', () => {
  // The default (65 s) is how long a PENDING record must sit before a retry may take it over; shortened here
  // through the runtime's environment, as an operator would.
  const STALE_MS = 400;
  const acc: AccountRef = { accId: BigInt(ACC.crash), env: 'SIMULATE', market: 'HK' };

  beforeAll(async () => {
    await h.restartRuntime({ IDEMPOTENCY_PENDING_STALE_MS: String(STALE_MS) });
  });

  afterAll(async () => {
    await h.restartRuntime({ IDEMPOTENCY_PENDING_STALE_MS: '' });
  });

  function deps(faults: Pick<PlaceOrderDeps, 'afterRecord' | 'afterPlaced'>): PlaceOrderDeps {
    const rt = h.rt;
    return { idempotency: rt.idempotency, limiter: rt.limiter, openD: () => rt.openD.get(), log: silentLogger, pendingStaleMs: STALE_MS, ...faults };
  }

  /** Waits (bounded) until the PENDING record is old enough to be taken over. */
  async function untilStale(clientOrderId: string): Promise<void> {
    for (let i = 0; i < 100; i++) {
      const rec = await h.rt.idempotency.get(idempotencyKey(ACC.crash, clientOrderId));
      expect(rec?.state).toBe('PENDING');
      if (Date.now() - Date.parse(rec!.updatedAt) > STALE_MS) return;
      await sleep(STALE_MS / 4);
    }
    throw new Error('the record never became stale');
  }

  it('places the order once when a crash hit between the idempotency record and OpenD, and the client retries (fault injected)', async () => {
    const body = { clientOrderId: 'crash-before-1', code: 'HK.00700', side: 'BUY', qty: 100, price: belowBid(6) };
    const calls = placeOrderCalls(ACC.crash);
    await expect(
      placeOrderIdempotently(deps({ afterRecord: () => { throw new Error('injected crash'); } }), acc, parseOrderRequest(body)),
    ).rejects.toThrow('injected crash');
    expect(simOrdersOf(ACC.crash, 'crash-before-1')).toHaveLength(0);
    expect(placeOrderCalls(ACC.crash)).toBe(calls);

    await untilStale('crash-before-1');
    await h.nextTradeSlot();
    const retry = await h.http('POST', ordersUrl(ACC.crash), { body });
    expect(retry.status).toBe(201);
    const orders = simOrdersOf(ACC.crash, 'crash-before-1');
    expect(orders).toHaveLength(1);
    expect(retry.body.order).toMatchObject({ orderId: orders[0]!.orderID.toString(), clientOrderId: 'crash-before-1' });
    expect(await h.rt.idempotency.get(idempotencyKey(ACC.crash, 'crash-before-1'))).toMatchObject({ state: 'PLACED', attempt: 2, orderId: orders[0]!.orderID.toString() });

    const again = await h.http('POST', ordersUrl(ACC.crash), { body });
    expect(again.text).toBe(retry.text);
    expect(simOrdersOf(ACC.crash, 'crash-before-1')).toHaveLength(1);
  });

  it('reconciles by remark when OpenD accepted the order but the record was never completed, and returns the same orderId (fault injected)', async () => {
    const body = { clientOrderId: 'crash-after-1', code: 'HK.00700', side: 'BUY', qty: 200, price: belowBid(7) };
    await h.nextTradeSlot();
    await expect(
      placeOrderIdempotently(deps({ afterPlaced: () => { throw new Error('injected crash'); } }), acc, parseOrderRequest(body)),
    ).rejects.toThrow('injected crash');
    const placed = simOrdersOf(ACC.crash, 'crash-after-1');
    expect(placed).toHaveLength(1);
    const calls = placeOrderCalls(ACC.crash);

    await untilStale('crash-after-1');
    await h.nextTradeSlot();
    const retry = await h.http('POST', ordersUrl(ACC.crash), { body });
    expect(retry.status).toBe(201);
    expect(retry.body.order).toMatchObject({ orderId: placed[0]!.orderID.toString(), orderIdEx: placed[0]!.orderIDEx, clientOrderId: 'crash-after-1', qty: 200 });
    expect(simOrdersOf(ACC.crash, 'crash-after-1')).toHaveLength(1);
    expect(placeOrderCalls(ACC.crash)).toBe(calls);
    expect(await h.rt.idempotency.get(idempotencyKey(ACC.crash, 'crash-after-1'))).toMatchObject({ state: 'PLACED', orderId: placed[0]!.orderID.toString() });

    const byClientId = await h.http('GET', `${ordersUrl(ACC.crash)}?clientOrderId=crash-after-1`);
    expect(byClientId.body.orders).toEqual([expect.objectContaining({ orderId: placed[0]!.orderID.toString(), status: 'SUBMITTED' })]);
  });
});

describe("Futu's placement limit", () => {
  // Futu allows 15 per 30 s; the limiter keeps its default 10 % margin for requests it cannot see.
  it('answers the 14th order within 30 s on one account with 429 RATE_LIMITED and Retry-After (13 = 15 less the 10 % margin); OpenD sees only 13', async () => {
    const replies = [];
    for (let i = 1; i <= 14; i++) {
      await h.nextTradeSlot();
      replies.push(await h.http('POST', ordersUrl(ACC.limited), { body: { clientOrderId: `limit-${i}`, code: 'HK.00700', side: 'BUY', qty: 100, price: belowBid(8) } }));
    }
    expect(replies.slice(0, 13).map((r) => r.status)).toEqual(Array(13).fill(201));
    const last = replies[13]!;
    expect(last.status).toBe(429);
    expect(last.body.error).toMatchObject({
      code: 'RATE_LIMITED',
      message: expect.stringContaining('15 per 30 s'),
      details: { limit: 15, windowSeconds: 30, retryAfterMs: expect.any(Number) },
    });
    const retryAfter = Number(last.headers['retry-after']);
    expect(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 30).toBe(true);
    expect(placeOrderCalls(ACC.limited)).toBe(13);
    expect(h.sim.trading.orders(h.header(ACC.limited))).toHaveLength(13);
    // The refused attempt left no record behind: the same clientOrderId can be sent again later.
    expect(await h.rt.idempotency.get(idempotencyKey(ACC.limited, 'limit-14'))).toBeUndefined();
  });
});

describe('malformed requests', () => {
  const url = ordersUrl(ACC.malformed);
  const ok = { clientOrderId: 'bad-1', code: 'HK.00700', side: 'BUY', qty: 100, price: 300 };
  const json = (o: unknown) => ({ body: o });

  const cases: { name: string; method?: string; url?: string; headers?: Record<string, string>; body?: unknown; field: string }[] = [
    { name: 'unknown market prefix', ...json({ ...ok, code: 'XX.00700' }), field: 'code' },
    { name: 'malformed HK code', ...json({ ...ok, code: 'HK.7' }), field: 'code' },
    { name: 'missing code', ...json({ ...ok, code: undefined }), field: 'code' },
    { name: 'code as a number', ...json({ ...ok, code: 700 }), field: 'code' },
    { name: 'negative quantity', ...json({ ...ok, qty: -100 }), field: 'qty' },
    { name: 'zero quantity', ...json({ ...ok, qty: 0 }), field: 'qty' },
    { name: 'quantity off the lot size', ...json({ ...ok, qty: 150 }), field: 'qty' },
    { name: 'fractional quantity', ...json({ ...ok, qty: 100.5 }), field: 'qty' },
    { name: 'huge quantity', ...json({ ...ok, qty: 1e12 }), field: 'qty' },
    { name: 'quantity overflowing to Infinity', body: '{"clientOrderId":"bad-1","code":"HK.00700","side":"BUY","qty":1e400,"price":300}', field: 'qty' },
    { name: 'quantity as a string', ...json({ ...ok, qty: '100' }), field: 'qty' },
    { name: 'quantity "NaN"', ...json({ ...ok, qty: 'NaN' }), field: 'qty' },
    { name: 'quantity null', ...json({ ...ok, qty: null }), field: 'qty' },
    { name: 'price off the tick ladder', ...json({ ...ok, price: 300.1 }), field: 'price' },
    { name: 'negative price', ...json({ ...ok, price: -1 }), field: 'price' },
    { name: 'huge price', ...json({ ...ok, price: 1e300 }), field: 'price' },
    { name: 'price "Infinity"', ...json({ ...ok, price: 'Infinity' }), field: 'price' },
    { name: 'price as an object', ...json({ ...ok, price: { value: 300 } }), field: 'price' },
    { name: 'unknown side', ...json({ ...ok, side: 'HOLD' }), field: 'side' },
    { name: 'side as a number', ...json({ ...ok, side: 1 }), field: 'side' },
    { name: 'lower-case side', ...json({ ...ok, side: 'buy' }), field: 'side' },
    { name: 'unknown order type', ...json({ ...ok, type: 'FOO' }), field: 'type' },
    { name: 'unknown time in force', ...json({ ...ok, timeInForce: 'FOREVER' }), field: 'timeInForce' },
    { name: 'time in force as a boolean', ...json({ ...ok, timeInForce: true }), field: 'timeInForce' },
    { name: 'adjustPriceLimit as a string', ...json({ ...ok, adjustPriceLimit: 'x' }), field: 'adjustPriceLimit' },
    { name: 'adjustPriceLimit out of range', ...json({ ...ok, adjustPriceLimit: 0.5 }), field: 'adjustPriceLimit' },
    { name: 'MARKET order with a price', ...json({ ...ok, type: 'MARKET' }), field: 'price' },
    { name: 'limit order without a price', ...json({ ...ok, price: undefined }), field: 'price' },
    { name: 'clientOrderId as a number', ...json({ ...ok, clientOrderId: 123 }), field: 'clientOrderId' },
    { name: 'clientOrderId with spaces', ...json({ ...ok, clientOrderId: 'has space!' }), field: 'clientOrderId' },
    { name: 'clientOrderId longer than 60 characters', ...json({ ...ok, clientOrderId: 'c'.repeat(61) }), field: 'clientOrderId' },
    { name: 'no clientOrderId and no Idempotency-Key', ...json({ ...ok, clientOrderId: undefined }), field: 'clientOrderId' },
    { name: 'Idempotency-Key differing from the body', headers: { 'Idempotency-Key': 'other-1' }, ...json(ok), field: 'clientOrderId' },
    { name: 'invalid Idempotency-Key', headers: { 'Idempotency-Key': 'ключ' }, ...json({ ...ok, clientOrderId: undefined }), field: 'clientOrderId' },
    { name: 'unknown field', ...json({ ...ok, stopPrice: 1 }), field: 'stopPrice' },
    { name: 'missing body', field: 'body' },
    { name: 'body that is not JSON', body: '{"code": "HK.00700",', field: 'body' },
    { name: 'array body', ...json([ok]), field: 'body' },
    { name: 'null body', body: 'null', field: 'body' },
    { name: 'string body', body: '"HK.00700"', field: 'body' },
    { name: 'body over 16 KiB', ...json({ ...ok, pad: 'x'.repeat(17 * 1024) }), field: 'body' },
    { name: 'body that is not declared as JSON', headers: { 'content-type': 'text/plain' }, body: JSON.stringify(ok), field: 'body' },
    { name: 'accId that is not a number', url: '/v1/accounts/abc/orders', ...json(ok), field: 'accId' },
    { name: 'accId beyond 64 bits', url: '/v1/accounts/18446744073709551616/orders', ...json(ok), field: 'accId' },
    { name: 'accId with bad percent-encoding', url: '/v1/accounts/%ZZ/orders', ...json(ok), field: 'accId' },
    { name: 'orderId that is not a number', method: 'GET', url: `${url}/abc`, field: 'orderId' },
    { name: 'negative orderId on cancel', method: 'DELETE', url: `${url}/-1`, field: 'orderId' },
    { name: 'modify with an unknown field', method: 'PATCH', url: `${url}/5000000000000000001`, ...json({ side: 'SELL' }), field: 'side' },
    { name: 'modify with nothing to change', method: 'PATCH', url: `${url}/5000000000000000001`, ...json({}), field: 'body' },
    { name: 'modify with a string price', method: 'PATCH', url: `${url}/5000000000000000001`, ...json({ price: '301' }), field: 'price' },
    { name: 'order list by an empty clientOrderId', method: 'GET', url: `${url}?clientOrderId=`, field: 'clientOrderId' },
    { name: 'order list by an invalid clientOrderId', method: 'GET', url: `${url}?clientOrderId=${'x'.repeat(200)}`, field: 'clientOrderId' },
    { name: 'order list by an invalid code', method: 'GET', url: `${url}?codes=HK.00700,XX.1`, field: 'codes[1]' },
    { name: 'order book depth 0', method: 'GET', url: '/v1/quotes/HK.00700/orderbook?depth=0', field: 'depth' },
    { name: 'order book depth 11', method: 'GET', url: '/v1/quotes/HK.00700/orderbook?depth=11', field: 'depth' },
    { name: 'ticker count 5000', method: 'GET', url: '/v1/quotes/HK.00700/ticker?count=5000', field: 'count' },
    { name: 'ticker count not a number', method: 'GET', url: '/v1/quotes/HK.00700/ticker?count=ten', field: 'count' },
    { name: 'candlestick type FOO', method: 'GET', url: '/v1/quotes/HK.00700/klines?type=FOO', field: 'type' },
    { name: 'candlestick rehab SIDEWAYS', method: 'GET', url: '/v1/quotes/HK.00700/klines?rehab=SIDEWAYS', field: 'rehab' },
    { name: 'candlesticks from after to', method: 'GET', url: '/v1/quotes/HK.00700/klines?from=2025-01-10&to=2025-01-01', field: 'from' },
    { name: 'candlesticks from a day that does not exist', method: 'GET', url: '/v1/quotes/HK.00700/klines?from=2025-02-30&to=2025-03-01', field: 'from' },
    { name: 'candlesticks to in another format', method: 'GET', url: '/v1/quotes/HK.00700/klines?to=15/01/2025', field: 'to' },
    { name: 'candlestick page size 0', method: 'GET', url: '/v1/quotes/HK.00700/klines?pageSize=0', field: 'pageSize' },
    { name: 'candlestick page key with bad characters', method: 'GET', url: '/v1/quotes/HK.00700/klines?pageKey=not%20a%20key', field: 'pageKey' },
    { name: 'quote code in the path', method: 'GET', url: '/v1/quotes/TENCENT/orderbook', field: 'code' },
    { name: 'snapshot without codes', method: 'GET', url: '/v1/quotes', field: 'codes' },
    { name: 'snapshot of an invalid code', method: 'GET', url: '/v1/quotes?codes=HK.00700,HK.', field: 'codes' },
    { name: 'verification of an unknown type', method: 'POST', url: '/v1/gateway/verification', ...json({ type: 'EMAIL', code: '123456' }), field: 'type' },
    { name: 'verification code too short', method: 'POST', url: '/v1/gateway/verification', ...json({ type: 'PHONE', code: '12' }), field: 'code' },
    { name: 'verification with an unknown action', method: 'POST', url: '/v1/gateway/verification', ...json({ type: 'PHONE', action: 'RESET' }), field: 'action' },
  ];

  it(`rejects ${cases.length} malformed requests with 400 INVALID_INPUT naming the field, and places nothing`, async () => {
    expect(cases.length).toBeGreaterThanOrEqual(30);
    const callsBefore = placeOrderCalls();
    const ordersBefore = simOrderCount();
    const failures: string[] = [];
    for (const c of cases) {
      const r = await h.http(c.method ?? 'POST', c.url ?? url, { headers: c.headers, body: c.body });
      const err = r.body?.error;
      const shaped =
        r.status === 400 &&
        err?.code === 'INVALID_INPUT' &&
        typeof err.message === 'string' &&
        err.message.length > 0 &&
        typeof err.details === 'object' &&
        err.details.field === c.field;
      if (!shaped) failures.push(`${c.name}: ${r.status} ${r.text.slice(0, 200)}`);
    }
    expect(failures).toEqual([]);
    expect(placeOrderCalls()).toBe(callsBefore);
    expect(simOrderCount()).toBe(ordersBefore);
    expect(h.sim.trading.orders(h.header(ACC.malformed))).toHaveLength(0);
  });

  it('says what is allowed in the message', async () => {
    const lot = await h.http('POST', url, { body: { ...ok, qty: 150 } });
    expect(lot.body.error).toMatchObject({ message: expect.stringContaining('lot size 100'), details: { field: 'qty', lotSize: 100 } });
    const tick = await h.http('POST', url, { body: { ...ok, price: 300.1 } });
    expect(tick.body.error).toMatchObject({ details: { field: 'price', validBelow: 300, validAbove: 300.2 } });
    const side = await h.http('POST', url, { body: { ...ok, side: 'HOLD' } });
    expect(side.body.error.details).toMatchObject({ field: 'side', allowed: ['BUY', 'SELL', 'SELL_SHORT', 'BUY_BACK'] });
    const big = await h.http('POST', url, { body: { ...ok, pad: 'x'.repeat(17 * 1024) } });
    expect(big.body.error.details).toEqual({ field: 'body', maxBytes: 16 * 1024 });
  });

  it('answers 404, not 400, for a well-formed account that does not exist', async () => {
    const r = await h.http('POST', ordersUrl('123456789'), { body: ok });
    expect(r.status).toBe(404);
    expect(r.body.error).toMatchObject({ code: 'NOT_FOUND', details: { accId: '123456789' } });
  });
});
