// The HTTP functions' house rules, end to end over the real simulator and DynamoDB Local: one order view for
// every order reply (POST, GET one, GET list from OpenD or DynamoDB, PATCH, DELETE), Futu's own frequency-limit
// answer to a refreshed read as 429 with Retry-After, and Powertools log lines carrying the Lambda context
// (function name, cold start, request ID) with secrets redacted.
import { afterAll, beforeAll, describe, expect, it, vi, type MockInstance } from 'vitest';
import type { OrderRecord } from '../../functions/lib/model.js';
import { TradeApi, type AccountRef } from '../../proto/api/trading.js';
import { OpenDClient } from '../../proto/client.js';
import { stepTicks } from '../../proto/ticks.js';
import { extraHkAccounts, RICH_ACCOUNTS, startFunctionsHarness, type FunctionsHarness } from '../support/functions-harness.js';

const EXTRA = extraHkAccounts(3, 281756480572700000n);
const A = { view: EXTRA[0]!.accID.toString(), refresh: EXTRA[1]!.accID.toString(), store: EXTRA[2]!.accID.toString() };

/** Every key the order view may carry; each reply must stay within it. */
const VIEW_KEYS = [
  'accId', 'orderId', 'orderIdEx', 'clientOrderId', 'trdEnv', 'trdMarket', 'code', 'name', 'side', 'type', 'status',
  'qty', 'price', 'fillQty', 'fillAvgPrice', 'timeInForce', 'lastErrMsg', 'createTime', 'updateTime', 'source',
];

let h: FunctionsHarness;
let spies: MockInstance<typeof process.stdout.write>[] = [];
const lines: string[] = [];

beforeAll(async () => {
  // Log lines are the subject of one test: captured here (and kept off the terminal). Powertools writes info
  // to stdout, warn and error to stderr.
  const keep = (chunk: string | Uint8Array) => {
    lines.push(...String(chunk).split('\n').filter((l) => l.startsWith('{')));
    return true;
  };
  spies = [vi.spyOn(process.stdout, 'write').mockImplementation(keep), vi.spyOn(process.stderr, 'write').mockImplementation(keep)];
  h = await startFunctionsHarness({ simulator: { accounts: [...RICH_ACCOUNTS, ...EXTRA] }, env: { LOG_LEVEL: 'info' } });
}, 120_000);

afterAll(async () => {
  for (const s of spies) s.mockRestore();
  await h?.stop();
});

const ordersUrl = (accId: string) => `/v1/accounts/${accId}/orders`;
const ref = (accId: string): AccountRef => ({ accId: BigInt(accId), env: 'SIMULATE', market: 'HK' });
const belowBid = (ticks: number) => stepTicks('HK', h.sim.market.top('HK.00700')!.bid, -ticks);

function expectView(o: Record<string, unknown>, source: string): void {
  for (const k of Object.keys(o)) expect(VIEW_KEYS, `unexpected key ${k}`).toContain(k);
  expect(o).toMatchObject({ accId: expect.stringMatching(/^\d+$/), orderId: expect.stringMatching(/^\d+$/), code: 'HK.00700', side: 'BUY', type: 'NORMAL', source });
  expect(typeof o['qty']).toBe('number');
}

describe('one order view', () => {
  it('POST, GET one, GET list, PATCH and DELETE answer with the same order fields', async () => {
    await h.nextTradeSlot();
    const price = belowBid(10);
    const placed = await h.http('POST', ordersUrl(A.view), { headers: { 'Idempotency-Key': 'view-1' }, body: { code: 'HK.00700', side: 'BUY', qty: 100, price } });
    expect(placed.status).toBe(201);
    expectView(placed.body.order, 'placement');
    expect(placed.body.order).toMatchObject({ clientOrderId: 'view-1', trdEnv: 'SIMULATE', trdMarket: 'HK', qty: 100, price, timeInForce: 'DAY' });
    const orderId: string = placed.body.order.orderId;

    const one = await h.http('GET', `${ordersUrl(A.view)}/${orderId}`);
    expectView(one.body.order, 'opend');
    // What placement knew is unchanged in the live view; the live view adds the state.
    expect(one.body.order).toMatchObject({ ...placed.body.order, source: 'opend', status: 'SUBMITTED', fillQty: 0, name: 'Tencent Holdings' });

    const list = await h.http('GET', ordersUrl(A.view));
    expect(list.body.orders).toEqual([one.body.order]);
    const byCid = await h.http('GET', `${ordersUrl(A.view)}?clientOrderId=view-1`);
    expect(byCid.body.orders).toEqual([one.body.order]);

    await h.nextTradeSlot();
    const changed = await h.http('PATCH', `${ordersUrl(A.view)}/${orderId}`, { body: { price: stepTicks('HK', price, -1) } });
    expect(changed.status).toBe(200);
    expectView(changed.body.order, 'opend');
    expect(Object.keys(changed.body.order).sort()).toEqual(Object.keys(one.body.order).sort());

    await h.nextTradeSlot();
    const cancelled = await h.http('DELETE', `${ordersUrl(A.view)}/${orderId}`);
    expect(cancelled.status).toBe(202);
    expectView(cancelled.body.order, 'opend');
    expect(cancelled.body.order).toMatchObject({ orderId, status: 'CANCELLED_ALL', clientOrderId: 'view-1' });
  });

  it('an order only DynamoDB still holds is answered in the same view, marked as the stored copy', async () => {
    // An order of an earlier day: no longer in OpenD's list of today's orders, kept by the order-events consumer.
    const rec: OrderRecord = {
      accId: A.store, orderId: '281756480572799999', orderIdEx: 'EX-STORE-1', clientOrderId: 'stored-1', code: 'HK.00700', market: 'HK',
      side: 'BUY', orderType: 'NORMAL', status: 'FILLED_ALL', qty: 200, price: 300.2, fillQty: 200, fillAvgPrice: 300.2,
      trdEnv: 'SIMULATE', trdMarket: 'HK', remark: 'oc:stored-1', createTime: '2025-01-14 10:00:00', updateTime: '2025-01-14 10:01:00', updateTimestamp: 1736820060,
    };
    expect(await h.rt.orders.applyUpdate(rec)).toBe('applied');
    const one = await h.http('GET', `${ordersUrl(A.store)}/${rec.orderId}`);
    expect(one.status).toBe(200);
    expectView(one.body.order, 'store');
    expect(one.body.order).toEqual({
      accId: A.store, orderId: rec.orderId, orderIdEx: 'EX-STORE-1', clientOrderId: 'stored-1', trdEnv: 'SIMULATE', trdMarket: 'HK', code: 'HK.00700',
      side: 'BUY', type: 'NORMAL', status: 'FILLED_ALL', qty: 200, price: 300.2, fillQty: 200, fillAvgPrice: 300.2,
      createTime: '2025-01-14 10:00:00', updateTime: '2025-01-14 10:01:00', source: 'store',
    });
    // Storage-only fields (remark, market, updateTimestamp) are not part of the view.
    const byCid = await h.http('GET', `${ordersUrl(A.store)}?clientOrderId=stored-1`);
    expect(byCid.body.orders).toEqual([one.body.order]);
  });
});

describe('refreshed reads and Futu\'s own frequency limit', () => {
  it('answers 429 with Retry-After when OpenD refuses a refreshed order list for its frequency limit', async () => {
    // Another client of the same account (the desktop app, another bot) used Futu's whole budget of refreshed
    // order lists (10 per 30 s per account), which our limiter cannot see.
    const other = await OpenDClient.connect({ host: h.sim.host, port: h.sim.port, rsaPrivateKey: h.rsaKeyPem, clientId: 'another-app' });
    try {
      const trade = new TradeApi(other);
      for (let i = 0; i < 10; i++) await trade.orders(ref(A.refresh), { refresh: true });
    } finally {
      await other.close();
    }
    const r = await h.http('GET', `${ordersUrl(A.refresh)}?refresh=true`);
    expect(r.status).toBe(429);
    expect(r.body.error).toMatchObject({ code: 'RATE_LIMITED', message: expect.stringContaining('Trd_GetOrderList'), details: { limit: 10, windowSeconds: 30, retMsg: expect.stringContaining('frequency') } });
    const retryAfter = Number(r.headers['retry-after']);
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(30);
    // The cached list is not limited, and once the window has passed the refreshed one is answered again.
    expect((await h.http('GET', ordersUrl(A.refresh))).status).toBe(200);
    h.sim.advance(retryAfter * 1000 + 1000);
    expect((await h.http('GET', `${ordersUrl(A.refresh)}?refresh=true`)).status).toBe(200);
  });
});

describe('Lambda log lines', () => {
  it('carry the function name, cold start and the request ID, and redact secrets', async () => {
    lines.length = 0;
    const r = await h.http('POST', '/v1/gateway/verification', { body: { type: 'PHONE', code: '97531', action: 'SUBMIT', password: 'hunter2' } });
    expect([202, 429, 503, 422]).toContain(r.status);
    await h.http('GET', `${ordersUrl(A.view)}/not-a-number`);
    const parsed = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    const access = parsed.filter((l) => l['message'] === 'request');
    expect(access.length).toBeGreaterThanOrEqual(2);
    for (const l of access) {
      expect(l).toMatchObject({ level: 'INFO', service: 'opend-cloud', function_name: expect.any(String), cold_start: expect.any(Boolean), function_request_id: expect.any(String), requestId: expect.any(String), status: expect.any(Number) });
    }
    const rejected = parsed.find((l) => l['message'] === 'request rejected' && l['route'] === 'GET /v1/accounts/{accId}/orders/{orderId}');
    expect(rejected).toMatchObject({ level: 'WARN', status: 400, code: 'INVALID_INPUT', reason: expect.stringContaining('orderId') });
    // The verification code and anything named like a secret never reach a log line.
    expect(lines.join('\n')).not.toContain('97531');
    expect(lines.join('\n')).not.toContain('hunter2');
  });
});
