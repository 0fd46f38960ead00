// Every HTTP route of the Lambda layer on its success path: API Gateway v2 events built by the local HTTP API
// adapter, handled by the real handlers against the simulator over TCP (RSA + AES) and DynamoDB Local.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_TRADE_PASSWORD_MD5 } from '../../gateway-container/simulator/trading/engine.js';
import { stepTicks } from '../../proto/ticks.js';
import { ACCOUNTS, startFunctionsHarness, type FunctionsHarness } from '../support/functions-harness.js';

let h: FunctionsHarness;

beforeAll(async () => {
  h = await startFunctionsHarness();
});

afterAll(async () => {
  await h?.stop();
});

const DECIMAL_ID = /^\d{1,20}$/;

/** A buy limit `ticks` ticks below the best bid of HK.00700 (stays open), or above the ask when negative (fills). */
function hkPrice(ticks: number): number {
  const top = h.sim.market.top('HK.00700')!;
  return ticks >= 0 ? stepTicks('HK', top.bid, -ticks) : stepTicks('HK', top.ask, -ticks);
}

describe('quotes', () => {
  it('returns snapshots of several securities with names, lot sizes and prices', async () => {
    const r = await h.http('GET', '/v1/quotes?codes=HK.00700,US.AAPL');
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toBe('application/json');
    expect(r.body.quotes).toHaveLength(2);
    const [tencent, apple] = r.body.quotes;
    expect(tencent).toMatchObject({ code: 'HK.00700', name: 'Tencent Holdings', type: 'EQTY', isSuspended: false, lotSize: 100, priceSpread: 0.2 });
    expect(apple).toMatchObject({ code: 'US.AAPL', name: 'Apple Inc.', lotSize: 1 });
    const top = h.sim.market.top('HK.00700')!;
    expect(tencent.bid).toBe(top.bid);
    expect(tencent.ask).toBe(top.ask);
    for (const k of ['price', 'open', 'high', 'low', 'lastClose', 'turnover']) expect(typeof tencent[k], k).toBe('number');
    // 64-bit volumes travel as decimal strings.
    expect(tencent.volume).toMatch(DECIMAL_ID);
  });

  it('pages through history candlesticks with nextPageKey and returns the same bars as one big page', async () => {
    const range = 'type=DAY&rehab=FORWARD&from=2024-11-01&to=2025-01-14';
    const whole = await h.http('GET', `/v1/quotes/HK.00700/klines?${range}&pageSize=1000`);
    expect(whole.status).toBe(200);
    expect(whole.body).toMatchObject({ code: 'HK.00700', type: 'DAY', rehab: 'FORWARD', from: '2024-11-01', to: '2025-01-14' });
    expect(whole.body.nextPageKey).toBeUndefined();
    const all = whole.body.bars as { time: string; open: number; close: number; volume: string }[];
    expect(all.length).toBeGreaterThan(20);

    const paged: typeof all = [];
    let pageKey: string | undefined;
    let pages = 0;
    for (; pages < 50; pages++) {
      const r = await h.http('GET', `/v1/quotes/HK.00700/klines?${range}&pageSize=7${pageKey ? `&pageKey=${pageKey}` : ''}`);
      expect(r.status).toBe(200);
      expect(r.body.bars.length).toBeLessThanOrEqual(7);
      paged.push(...r.body.bars);
      pageKey = r.body.nextPageKey;
      if (!pageKey) break;
      expect(pageKey).toMatch(/^[A-Za-z0-9_-]+$/);
    }
    expect(pages).toBeGreaterThanOrEqual(3);
    expect(paged).toEqual(all);
    const times = paged.map((b) => b.time);
    expect([...times].sort()).toEqual(times);
    expect(all[0]!.time >= '2024-11-01').toBe(true);
    expect(all.at(-1)!.time <= '2025-01-14 23:59:59').toBe(true);
  });

  it('returns the order book to the requested depth, best prices first', async () => {
    const r = await h.http('GET', '/v1/quotes/HK.00700/orderbook?depth=3');
    expect(r.status).toBe(200);
    expect(r.body.code).toBe('HK.00700');
    expect(r.body.bids).toHaveLength(3);
    expect(r.body.asks).toHaveLength(3);
    const bids = r.body.bids.map((l: { price: number }) => l.price);
    const asks = r.body.asks.map((l: { price: number }) => l.price);
    expect(bids).toEqual([...bids].sort((a, b) => b - a));
    expect(asks).toEqual([...asks].sort((a, b) => a - b));
    expect(bids[0]).toBeLessThan(asks[0]);
    expect(r.body.bids[0]).toEqual({ price: expect.any(Number), volume: expect.stringMatching(DECIMAL_ID), orderCount: expect.any(Number) });
    const top = h.sim.market.top('HK.00700')!;
    expect(bids[0]).toBe(top.bid);
    expect(asks[0]).toBe(top.ask);
  });

  it('returns the latest trades of a security, with directions as names and sequences as strings', async () => {
    // The first call subscribes this connection to the ticker; the market then trades.
    const first = await h.http('GET', '/v1/quotes/HK.00700/ticker?count=5');
    expect(first.status).toBe(200);
    h.sim.advance(20_000);
    const r = await h.http('GET', '/v1/quotes/HK.00700/ticker?count=5');
    expect(r.status).toBe(200);
    expect(r.body.code).toBe('HK.00700');
    expect(r.body.trades.length).toBeGreaterThan(0);
    expect(r.body.trades.length).toBeLessThanOrEqual(5);
    for (const t of r.body.trades) {
      expect(t).toMatchObject({ price: expect.any(Number), volume: expect.stringMatching(DECIMAL_ID), direction: expect.stringMatching(/^(BID|ASK|NEUTRAL)$/) });
      expect(t.sequence).toMatch(DECIMAL_ID);
    }
  });
});

describe('accounts', () => {
  it('lists the accounts with IDs as strings and environments as names', async () => {
    const r = await h.http('GET', '/v1/accounts');
    expect(r.status).toBe(200);
    expect(r.body.accounts).toEqual([
      expect.objectContaining({ accId: ACCOUNTS.SIM_HK, env: 'SIMULATE', market: 'HK', markets: ['HK'], accType: 'CASH' }),
      expect.objectContaining({ accId: ACCOUNTS.SIM_US, env: 'SIMULATE', market: 'US', markets: ['US'], accType: 'MARGIN' }),
      expect.objectContaining({ accId: ACCOUNTS.REAL_HK, env: 'REAL', market: 'HK', markets: ['HK'], accType: 'MARGIN' }),
      expect.objectContaining({ accId: ACCOUNTS.REAL_US, env: 'REAL', market: 'US', markets: ['US'], accType: 'MARGIN' }),
      // The universal accounts: one account, three trade markets (HK, US, A-shares through Stock Connect).
      expect.objectContaining({ accId: '281756491128374601', env: 'SIMULATE', market: 'HK', markets: ['HK', 'US', 'HKCC'], accType: 'MARGIN' }),
      expect.objectContaining({ accId: '281756492837465502', env: 'REAL', market: 'HK', markets: ['HK', 'US', 'HKCC'], accType: 'MARGIN' }),
    ]);
  });

  it('returns the funds of an account', async () => {
    const r = await h.http('GET', `/v1/accounts/${ACCOUNTS.SIM_HK}/funds`);
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ accId: ACCOUNTS.SIM_HK, trdEnv: 'SIMULATE', funds: { currency: 'HKD' } });
    for (const k of ['power', 'totalAssets', 'cash', 'marketValue', 'frozenCash', 'debtCash', 'availableWithdrawalCash']) {
      expect(typeof r.body.funds[k], k).toBe('number');
    }
    expect(r.body.funds.cash).toBeGreaterThan(0);
    const refreshed = await h.http('GET', `/v1/accounts/${ACCOUNTS.SIM_HK}/funds?refresh=true`);
    expect(refreshed.status).toBe(200);
    expect(refreshed.body.funds.cash).toBe(r.body.funds.cash);
  });

  it('answers fills of a paper account with an empty list and a note', async () => {
    const r = await h.http('GET', `/v1/accounts/${ACCOUNTS.SIM_HK}/fills`);
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ accId: ACCOUNTS.SIM_HK, trdEnv: 'SIMULATE', fills: [], note: expect.stringContaining('SIMULATE') });
  });

  it('returns the fill and the position of a REAL account after an order fills', async () => {
    // The relay unlocks trading OpenD-wide in a deployment; here the test does it for the relay.
    h.sim.trading.unlock(true, DEFAULT_TRADE_PASSWORD_MD5);
    const before = await h.http('GET', `/v1/accounts/${ACCOUNTS.REAL_HK}/positions`);
    expect(before.status).toBe(200);
    expect(before.body).toEqual({ accId: ACCOUNTS.REAL_HK, trdEnv: 'REAL', positions: [] });

    const price = hkPrice(-2);
    const placed = await h.http('POST', `/v1/accounts/${ACCOUNTS.REAL_HK}/orders`, {
      body: { clientOrderId: 'real-fill-1', code: 'HK.00700', side: 'BUY', qty: 200, price },
    });
    expect(placed.status).toBe(201);
    const orderId = placed.body.order.orderId as string;
    h.sim.advance(5_000);

    const fills = await h.http('GET', `/v1/accounts/${ACCOUNTS.REAL_HK}/fills`);
    expect(fills.status).toBe(200);
    expect(fills.body.accId).toBe(ACCOUNTS.REAL_HK);
    expect(fills.body.trdEnv).toBe('REAL');
    expect(fills.body.note).toBeUndefined();
    const mine = (fills.body.fills as { orderId: string; qty: number }[]).filter((f) => f.orderId === orderId);
    expect(mine.length).toBeGreaterThan(0);
    expect(mine.reduce((n, f) => n + f.qty, 0)).toBe(200);
    for (const f of mine) {
      expect(f).toMatchObject({ accId: ACCOUNTS.REAL_HK, orderId, code: 'HK.00700', side: 'BUY', price: expect.any(Number), status: 'OK' });
      expect((f as unknown as { fillId: string }).fillId).toMatch(DECIMAL_ID);
      expect(BigInt((f as unknown as { fillId: string }).fillId)).toBeGreaterThan(2n ** 53n);
    }

    const positions = await h.http('GET', `/v1/accounts/${ACCOUNTS.REAL_HK}/positions?refresh=true`);
    expect(positions.status).toBe(200);
    expect(positions.body.positions).toEqual([
      expect.objectContaining({ code: 'HK.00700', name: 'Tencent Holdings', side: 'LONG', qty: 200, positionId: expect.stringMatching(DECIMAL_ID) }),
    ]);
  });
});

describe('orders', () => {
  const base = `/v1/accounts/${ACCOUNTS.SIM_HK}/orders`;
  let orderId: string;
  let price: number;

  it('places an order and answers 201 with it', async () => {
    price = hkPrice(10);
    const r = await h.http('POST', base, {
      headers: { 'Idempotency-Key': 'route-order-1' },
      body: { code: 'HK.00700', side: 'BUY', type: 'NORMAL', qty: 300, price, timeInForce: 'DAY' },
    });
    expect(r.status).toBe(201);
    expect(r.body).toEqual({
      order: {
        accId: ACCOUNTS.SIM_HK,
        orderId: expect.stringMatching(DECIMAL_ID),
        orderIdEx: expect.any(String),
        clientOrderId: 'route-order-1',
        code: 'HK.00700',
        side: 'BUY',
        type: 'NORMAL',
        qty: 300,
        price,
        timeInForce: 'DAY',
        trdEnv: 'SIMULATE',
        trdMarket: 'HK',
        source: 'placement',
      },
    });
    orderId = r.body.order.orderId;
    expect(BigInt(orderId)).toBeGreaterThan(2n ** 53n);
    const simOrder = h.sim.trading.orders(h.header(ACCOUNTS.SIM_HK)).find((o) => o.orderID === BigInt(orderId))!;
    expect(simOrder).toMatchObject({ code: '00700', qty: 300, price, remark: 'oc:route-order-1' });
  });

  it('returns the order by its ID', async () => {
    const r = await h.http('GET', `${base}/${orderId}`);
    expect(r.status).toBe(200);
    expect(r.body.order).toMatchObject({
      accId: ACCOUNTS.SIM_HK,
      orderId,
      clientOrderId: 'route-order-1',
      code: 'HK.00700',
      name: 'Tencent Holdings',
      side: 'BUY',
      type: 'NORMAL',
      status: 'SUBMITTED',
      qty: 300,
      price,
      fillQty: 0,
      timeInForce: 'DAY',
    });
  });

  it('lists the account\'s orders, optionally by code', async () => {
    const r = await h.http('GET', base);
    expect(r.status).toBe(200);
    expect(r.body.orders).toContainEqual(expect.objectContaining({ orderId, clientOrderId: 'route-order-1', status: 'SUBMITTED' }));
    const byCode = await h.http('GET', `${base}?codes=HK.00700`);
    expect(byCode.body.orders.map((o: { orderId: string }) => o.orderId)).toContain(orderId);
    const other = await h.http('GET', `${base}?codes=HK.09988`);
    expect(other.status).toBe(200);
    expect(other.body.orders.map((o: { orderId: string }) => o.orderId)).not.toContain(orderId);
  });

  it('finds the order by its clientOrderId', async () => {
    const r = await h.http('GET', `${base}?clientOrderId=route-order-1`);
    expect(r.status).toBe(200);
    expect(r.body.orders).toEqual([expect.objectContaining({ orderId, clientOrderId: 'route-order-1', status: 'SUBMITTED', qty: 300 })]);
    const none = await h.http('GET', `${base}?clientOrderId=never-used`);
    expect(none.status).toBe(404);
    expect(none.body.error.code).toBe('NOT_FOUND');
  });

  it('changes the price of an open order', async () => {
    const newPrice = stepTicks('HK', price, 1);
    await h.nextTradeSlot();
    const r = await h.http('PATCH', `${base}/${orderId}`, { body: { price: newPrice } });
    expect(r.status).toBe(200);
    expect(r.body.order).toMatchObject({ orderId, price: newPrice, qty: 300, status: 'SUBMITTED', clientOrderId: 'route-order-1' });
    expect(h.sim.trading.orders(h.header(ACCOUNTS.SIM_HK)).find((o) => o.orderID === BigInt(orderId))!.price).toBe(newPrice);
  });

  it('cancels an order: 202 and the order CANCELLED', async () => {
    await h.nextTradeSlot();
    const r = await h.http('DELETE', `${base}/${orderId}`);
    expect(r.status).toBe(202);
    expect(r.body.order).toMatchObject({ orderId, status: 'CANCELLED_ALL', clientOrderId: 'route-order-1' });
    const after = await h.http('GET', `${base}/${orderId}`);
    expect(after.body.order.status).toBe('CANCELLED_ALL');
    await h.nextTradeSlot();
    const again = await h.http('DELETE', `${base}/${orderId}`);
    expect(again.status).toBe(409);
    expect(again.body.error).toMatchObject({ code: 'CONFLICT', details: { status: 'CANCELLED_ALL' } });
  });
});

describe('gateway', () => {
  it('reports ready when OpenD is logged in', async () => {
    const r = await h.http('GET', '/v1/gateway');
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({
      ready: true,
      openD: { reachable: true, programStatus: 'READY', qotLogined: true, trdLogined: true, serverVer: expect.any(Number) },
      relay: null,
      loginChallenge: null,
    });
    expect(r.body.openD.markets).toEqual({ HK: expect.any(String), US: expect.any(String), SH: expect.any(String), SZ: expect.any(String) });
    expect(Date.parse(r.body.openD.serverTime)).toBe(Math.floor(h.sim.clock.now() / 1000) * 1000);
  });

  it('answers a login challenge: 202, then ready', async () => {
    h.sim.core.requireVerification('phone', '246810');
    const waiting = await h.http('GET', '/v1/gateway');
    expect(waiting.status).toBe(200);
    expect(waiting.body).toMatchObject({ ready: false, openD: { reachable: true, programStatus: 'NEED_PHONE_VERIFY_CODE', qotLogined: false } });

    const r = await h.http('POST', '/v1/gateway/verification', { body: { type: 'PHONE', code: '246810' } });
    expect(r.status).toBe(202);
    expect(r.body).toEqual({ accepted: true, action: 'SUBMIT', next: 'GET /v1/gateway until ready is true' });

    const ready = await h.http('GET', '/v1/gateway');
    expect(ready.body).toMatchObject({ ready: true, openD: { programStatus: 'READY', qotLogined: true, trdLogined: true }, loginChallenge: null });
  });
});

describe('routing', () => {
  it('answers 404 for a path no route matches, as API Gateway does', async () => {
    const r = await h.http('GET', '/v1/nowhere');
    expect(r.status).toBe(404);
  });
});
