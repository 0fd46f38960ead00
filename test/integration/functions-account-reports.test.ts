// The account-report routes through the functions harness (API Gateway v2 events, the accounts function as it
// runs in Lambda, DynamoDB Local for the limiter, the real simulator over TCP): order fees, margin ratios, cash
// flow, max quantities, history orders and fills paged with the opaque cursor, Futu's range rules (400 for a bad
// range), the paper-account answers, the caller's read right, and Futu's frequency limit as a 429.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_CALLER_HEADER } from '../../bin/local/http-api.js';
import { SECURITY_ENV, type CallerGrant } from '../../functions/lib/security-config.js';
import { DEFAULT_TRADE_PASSWORD_MD5 } from '../../gateway-container/simulator/trading/engine.js';
import * as Trd_Common from '../../proto/generated/Trd_Common.js';
import { ACCOUNTS, startFunctionsHarness, type FunctionsHarness } from '../support/functions-harness.js';

const OWNER = 'arn:aws:iam::111122223333:user/owner';
const NOSY = 'arn:aws:iam::111122223333:user/nosy';
const CALLERS: CallerGrant[] = [
  { principal: OWNER, accounts: '*', rights: ['read', 'trade', 'tradeReal'] },
  { principal: NOSY, accounts: [ACCOUNTS.SIM_US], rights: ['read'] },
];
const DECIMAL_ID = /^\d{1,20}$/;

let h: FunctionsHarness;
const get = (url: string, caller = OWNER) => h.http('GET', url, { headers: { [LOCAL_CALLER_HEADER]: caller } });

/** Orders placed on the REAL HK account in setup: three that fill at the ask, two that rest below the bid. */
const filled: { orderIdEx: string; orderId: string }[] = [];
const resting: { orderIdEx: string; orderId: string }[] = [];

function place(accId: string, price: number): { orderIdEx: string; orderId: string } {
  // The engine directly, as the relay tests do: no connection, so no packetID to check.
  const r = h.sim.trading.placeOrder({
    packetID: { connID: 0n, serialNo: 0 },
    header: h.header(accId),
    trdSide: Trd_Common.TrdSide.BUY,
    orderType: Trd_Common.OrderType.NORMAL,
    code: '00700',
    secMarket: Trd_Common.TrdSecMarket.HK,
    qty: 100,
    price,
  });
  return { orderIdEx: r.orderIDEx, orderId: r.orderID.toString() };
}

beforeAll(async () => {
  h = await startFunctionsHarness({ env: { [SECURITY_ENV.callers]: JSON.stringify(CALLERS) } });
  h.sim.trading.unlock(true, DEFAULT_TRADE_PASSWORD_MD5);
  for (let i = 0; i < 3; i++) {
    h.sim.advance(1_000);
    filled.push(place(ACCOUNTS.REAL_HK, h.sim.market.top('HK.00700')!.ask));
    h.sim.advance(1_000);
    if (i < 2) resting.push(place(ACCOUNTS.REAL_HK, 300));
  }
}, 120_000);

afterAll(async () => {
  await h?.stop();
});

function expect400(r: { status: number; body: any }, field: string) {
  expect(r.status, JSON.stringify(r.body)).toBe(400);
  expect(r.body.error.code).toBe('INVALID_INPUT');
  expect(r.body.error.details.field).toBe(field);
}

describe('order fees', () => {
  it('GET /fees lists each order’s fee items: a filled order pays the HK schedule, a resting one nothing yet', async () => {
    const r = await get(`/v1/accounts/${ACCOUNTS.REAL_HK}/fees?orderIdEx=${filled[0]!.orderIdEx},${resting[0]!.orderIdEx}`);
    expect(r.status).toBe(200);
    const [paid, unpaid] = r.body.fees;
    expect(paid.orderIdEx).toBe(filled[0]!.orderIdEx);
    expect(paid.items.map((i: { title: string }) => i.title)).toEqual(['Commission', 'Platform Fees', 'Settlement Fees', 'Stamp Duty', 'Trading Fees', 'SFC Transaction Levy', 'FRC Transaction Levy']);
    const sum = paid.items.reduce((s: number, i: { value: number }) => s + Math.round(i.value * 100), 0);
    expect(Math.round(paid.total * 100)).toBe(sum);
    expect(unpaid).toEqual({ orderIdEx: resting[0]!.orderIdEx, total: 0, items: [] });
  });

  it('answers a paper account without asking OpenD, and 400 for missing, malformed or too many IDs', async () => {
    const paper = await get(`/v1/accounts/${ACCOUNTS.SIM_HK}/fees?orderIdEx=FTS20250115_1`);
    expect(paper.body).toEqual({ accId: ACCOUNTS.SIM_HK, trdEnv: 'SIMULATE', fees: [], note: expect.stringContaining('SIMULATE') });
    expect400(await get(`/v1/accounts/${ACCOUNTS.REAL_HK}/fees`), 'orderIdEx');
    expect400(await get(`/v1/accounts/${ACCOUNTS.REAL_HK}/fees?orderIdEx=a%20b`), 'orderIdEx');
    const many = Array.from({ length: 401 }, (_, i) => `FTR_${i}`).join(',');
    expect400(await get(`/v1/accounts/${ACCOUNTS.REAL_HK}/fees?orderIdEx=${many}`), 'orderIdEx');
  });
});

describe('margin ratios, cash flow, max quantities', () => {
  it('GET /margin-ratios answers each security’s margin data in percent', async () => {
    const r = await get(`/v1/accounts/${ACCOUNTS.REAL_US}/margin-ratios?codes=US.AAPL,US.TSLA`);
    expect(r.status).toBe(200);
    expect(r.body.marginRatios).toEqual([
      expect.objectContaining({ code: 'US.AAPL', longPermit: true, shortPermit: true, long: expect.objectContaining({ initialPct: 25 }) }),
      expect.objectContaining({ code: 'US.TSLA', longPermit: true, shortPermit: true, long: expect.objectContaining({ initialPct: 45 }) }),
    ]);
    expect400(await get(`/v1/accounts/${ACCOUNTS.REAL_US}/margin-ratios`), 'codes');
    expect400(await get(`/v1/accounts/${ACCOUNTS.REAL_US}/margin-ratios?codes=HK.7`), 'codes[0]');
    const many = Array.from({ length: 101 }, () => 'US.AAPL').join(',');
    expect400(await get(`/v1/accounts/${ACCOUNTS.REAL_US}/margin-ratios?codes=${many}`), 'codes');
  });

  it('GET /cash-flow lists a day’s deposits, trades and fees with string IDs, filtered by direction', async () => {
    const r = await get(`/v1/accounts/${ACCOUNTS.REAL_HK}/cash-flow?date=2025-01-15`);
    expect(r.status).toBe(200);
    const types = r.body.cashFlow.map((f: { type: string }) => f.type);
    // The harness's accounts start with HKD and USD: one deposit each.
    expect(types).toEqual(['Deposit', 'Deposit', 'Stock Trade', 'Fees', 'Stock Trade', 'Fees', 'Stock Trade', 'Fees']);
    for (const f of r.body.cashFlow) expect(f.cashFlowId).toMatch(DECIMAL_ID);
    const out = await get(`/v1/accounts/${ACCOUNTS.REAL_HK}/cash-flow?date=2025-01-15&direction=OUT`);
    expect(out.body.cashFlow.every((f: { direction: string; amount: number }) => f.direction === 'OUT' && f.amount < 0)).toBe(true);
    expect(out.body.cashFlow).toHaveLength(6);
    const paper = await get(`/v1/accounts/${ACCOUNTS.SIM_HK}/cash-flow?date=2025-01-15`);
    expect(paper.body).toMatchObject({ trdEnv: 'SIMULATE', cashFlow: [], note: expect.stringContaining('SIMULATE') });
    expect400(await get(`/v1/accounts/${ACCOUNTS.REAL_HK}/cash-flow`), 'date');
    expect400(await get(`/v1/accounts/${ACCOUNTS.REAL_HK}/cash-flow?date=2025-02-30`), 'date');
    expect400(await get(`/v1/accounts/${ACCOUNTS.REAL_HK}/cash-flow?date=2025-01-15&direction=SIDEWAYS`), 'direction');
  });

  it('GET /max-quantities sizes an order at a price; 400 without a limit price or with an unknown type', async () => {
    const price = h.sim.market.top('HK.00700')!.bid;
    const r = await get(`/v1/accounts/${ACCOUNTS.SIM_HK}/max-quantities?code=HK.00700&type=NORMAL&price=${price}`);
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ code: 'HK.00700', type: 'NORMAL', price });
    expect(r.body.maxQuantities.maxCashBuy).toBeGreaterThan(0);
    expect(r.body.maxQuantities.maxCashBuy % 100).toBe(0);
    const market = await get(`/v1/accounts/${ACCOUNTS.SIM_HK}/max-quantities?code=HK.00700&type=MARKET`);
    expect(market.status).toBe(200);
    expect400(await get(`/v1/accounts/${ACCOUNTS.SIM_HK}/max-quantities?code=HK.00700`), 'price');
    expect400(await get(`/v1/accounts/${ACCOUNTS.SIM_HK}/max-quantities?code=HK.00700&type=ICEBERG&price=1`), 'type');
    expect400(await get(`/v1/accounts/${ACCOUNTS.SIM_HK}/max-quantities?code=00700&price=1`), 'code');
  });
});

describe('history', () => {
  const day = 'from=2025-01-15&to=2025-01-15';

  it('pages history orders with the cursor: the pages join to the whole list, in time order', async () => {
    const whole = await get(`/v1/accounts/${ACCOUNTS.REAL_HK}/history/orders?${day}`);
    expect(whole.status).toBe(200);
    expect(whole.body).toMatchObject({ from: '2025-01-15 00:00:00', to: '2025-01-15 23:59:59' });
    expect(whole.body.nextCursor).toBeUndefined();
    const ids = whole.body.orders.map((o: { orderId: string }) => o.orderId);
    expect(ids).toEqual([filled[0], resting[0], filled[1], resting[1], filled[2]].map((o) => o!.orderId));

    const paged: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const r = await get(`/v1/accounts/${ACCOUNTS.REAL_HK}/history/orders?${day}&limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      expect(r.status).toBe(200);
      expect(r.body.orders.length).toBeLessThanOrEqual(2);
      paged.push(...r.body.orders.map((o: { orderId: string }) => o.orderId));
      cursor = r.body.nextCursor;
      pages++;
    } while (cursor && pages < 10);
    expect(pages).toBe(3);
    expect(paged).toEqual(ids);

    const onlyFilled = await get(`/v1/accounts/${ACCOUNTS.REAL_HK}/history/orders?${day}&status=FILLED_ALL&codes=HK.00700`);
    expect(onlyFilled.body.orders.map((o: { orderId: string }) => o.orderId)).toEqual(filled.map((o) => o.orderId));
    expect(onlyFilled.body.orders[0]).toMatchObject({ status: 'FILLED_ALL', code: 'HK.00700', source: 'opend', orderIdEx: filled[0]!.orderIdEx });
  });

  it('pages history fills; a paper account has none; a cursor only continues its own query', async () => {
    const first = await get(`/v1/accounts/${ACCOUNTS.REAL_HK}/history/fills?${day}&limit=2`);
    expect(first.status).toBe(200);
    expect(first.body.fills).toHaveLength(2);
    const second = await get(`/v1/accounts/${ACCOUNTS.REAL_HK}/history/fills?${day}&limit=2&cursor=${first.body.nextCursor}`);
    expect(second.body.fills).toHaveLength(1);
    expect(second.body.nextCursor).toBeUndefined();
    const all = [...first.body.fills, ...second.body.fills];
    expect(all.map((f: { orderId: string }) => f.orderId)).toEqual(filled.map((o) => o.orderId));
    for (const f of all) expect(f.fillId).toMatch(DECIMAL_ID);

    expect400(await get(`/v1/accounts/${ACCOUNTS.REAL_HK}/history/fills?from=2025-01-14&to=2025-01-15&limit=2&cursor=${first.body.nextCursor}`), 'cursor');
    expect400(await get(`/v1/accounts/${ACCOUNTS.REAL_HK}/history/fills?${day}&cursor=not-a-cursor`), 'cursor');
    const paper = await get(`/v1/accounts/${ACCOUNTS.SIM_HK}/history/fills?${day}`);
    expect(paper.body).toMatchObject({ trdEnv: 'SIMULATE', fills: [], note: expect.stringContaining('SIMULATE') });
  });

  it('applies Futu’s range rules: 90 days from a lone start; 400 for a reversed, over-long or malformed range', async () => {
    const lone = await get(`/v1/accounts/${ACCOUNTS.REAL_HK}/history/orders?from=2025-01-01`);
    expect(lone.status).toBe(200);
    expect(lone.body).toMatchObject({ from: '2025-01-01 00:00:00', to: '2025-03-31 23:59:59' });
    expect400(await get(`/v1/accounts/${ACCOUNTS.REAL_HK}/history/orders?from=2025-01-16&to=2025-01-15`), 'from');
    const long = await get(`/v1/accounts/${ACCOUNTS.REAL_HK}/history/fills?from=2024-01-01&to=2025-01-15`);
    expect400(long, 'to');
    expect(long.body.error.message).toContain('90 days');
    expect400(await get(`/v1/accounts/${ACCOUNTS.REAL_HK}/history/orders?from=15/01/2025`), 'from');
    expect400(await get(`/v1/accounts/${ACCOUNTS.REAL_HK}/history/orders?${day}&limit=0`), 'limit');
    expect400(await get(`/v1/accounts/${ACCOUNTS.REAL_HK}/history/orders?${day}&status=DONE`), 'status');
  });
});

describe('authorization and frequency limits', () => {
  it('refuses a caller without the read right on the account, before OpenD is asked', async () => {
    for (const path of ['fees?orderIdEx=X', 'margin-ratios?codes=HK.00700', 'cash-flow?date=2025-01-15', 'max-quantities?code=HK.00700&type=MARKET', 'history/orders', 'history/fills']) {
      const r = await get(`/v1/accounts/${ACCOUNTS.REAL_HK}/${path}`, NOSY);
      expect(r.status, path).toBe(403);
      expect(r.body.error.code).toBe('FORBIDDEN');
      expect(r.body.error.message).toContain('"read"');
    }
  });

  it('answers 429 with Retry-After once Futu’s 20-per-30-s cash-flow limit (less the margin) is used up', async () => {
    const url = `/v1/accounts/${ACCOUNTS.REAL_US}/cash-flow?date=2025-01-15`;
    let allowed = 0;
    let refused: Awaited<ReturnType<typeof get>> | undefined;
    for (let i = 0; i < 25 && !refused; i++) {
      const r = await get(url);
      if (r.status === 429) refused = r;
      else {
        expect(r.status).toBe(200);
        allowed++;
      }
    }
    expect(allowed).toBe(18); // 20 less the 10 % margin for calls this system cannot see
    expect(refused!.body.error.code).toBe('RATE_LIMITED');
    expect(Number(refused!.headers['retry-after'])).toBeGreaterThan(0);
  });
});
