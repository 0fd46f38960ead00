// Futures and options through the HTTP API: the option expirations / chain and futures-spec routes (with the
// 400s that stop bad input before OpenD), and futures and option orders placed over HTTP, filled by the
// simulator and recorded. Real simulator over TCP, DynamoDB Local, the Lambda handlers.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_FUTURES_ACCOUNTS } from '../../gateway-container/simulator/trading/accounts.js';
import { LOCAL_CALLER_HEADER } from '../../bin/local/http-api.js';
import { SECURITY_ENV } from '../../functions/lib/security-config.js';
import { ACCOUNTS, RICH_ACCOUNTS, startFunctionsHarness, type FunctionsHarness } from '../support/functions-harness.js';

const FUT_SIM_HK = DEFAULT_FUTURES_ACCOUNTS[0]!.accID.toString();
let h: FunctionsHarness;

beforeAll(async () => {
  h = await startFunctionsHarness({ simulator: { accounts: [...RICH_ACCOUNTS, ...DEFAULT_FUTURES_ACCOUNTS] } });
  h.sim.advance(60_000);
});
afterAll(async () => {
  await h?.stop();
});

describe('derivative reference routes', () => {
  it('GET /v1/futures/{code} answers the contract specs, and 400 for a code that is not a future', async () => {
    const r = await h.http('GET', '/v1/futures/HK.HSImain');
    expect(r.status).toBe(200);
    expect(r.body.future).toMatchObject({ code: 'HK.HSImain', contractSize: 50, tick: 1, currency: 'HKD', underlying: 'HK.800000', mainContractOf: 'HK.HSI2501' });
    const us = await h.http('GET', '/v1/futures/US.ES2503');
    expect(us.body.future).toMatchObject({ lastTradeDate: '2025-03-21', tick: 0.25, contractSize: 50 });
    const bad = await h.http('GET', '/v1/futures/HK.00700');
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toMatch(/HK\.00700 is not a futures code/);
    expect((await h.http('GET', '/v1/futures/HK.HSI2513')).body.error.message).toMatch(/contract month "2513"/);
  });

  it('GET /v1/options/{underlying}/expirations lists the expiries; 400 for a derivative as underlying', async () => {
    const r = await h.http('GET', '/v1/options/US.AAPL/expirations');
    expect(r.status).toBe(200);
    // It is still 14 January in New York at the simulator's start (10:00 on the 15th in Hong Kong).
    expect(r.body.expirations[0]).toMatchObject({ date: '2025-01-17', daysLeft: 3, cycle: 'MONTH' });
    const bad = await h.http('GET', '/v1/options/US.AAPL250117C190000/expirations');
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toMatch(/give the underlying stock/);
  });

  it('GET /v1/options/{underlying}/chain?expiry= answers the chain; the window and filters are checked first', async () => {
    const r = await h.http('GET', '/v1/options/HK.00700/chain?expiry=2025-01-30&type=CALL');
    expect(r.status).toBe(200);
    expect(r.body.expiries).toHaveLength(1);
    const strikes = r.body.expiries[0].strikes as { strike: number; call?: { code: string }; put?: unknown }[];
    expect(strikes).toHaveLength(17);
    expect(strikes.every((s) => s.put === undefined && /^HK\.TCH250130C\d+$/.test(s.call!.code))).toBe(true);
    const wide = await h.http('GET', '/v1/options/US.AAPL/chain?from=2025-01-15&to=2025-03-15');
    expect(wide.status).toBe(400);
    expect(wide.body.error.message).toMatch(/at most 30 days/);
    expect((await h.http('GET', '/v1/options/US.AAPL/chain?expiry=2025-01-17&type=STRADDLE')).status).toBe(400);
    expect((await h.http('GET', '/v1/options/US.AAPL/chain?expiry=2025-02-30')).status).toBe(400);
  });
});

describe('derivative orders over HTTP', () => {
  it('places a futures order in a futures account: filled, recorded, and the position and margin show it', async () => {
    const r = await h.http('POST', `/v1/accounts/${FUT_SIM_HK}/orders`, {
      headers: { 'Idempotency-Key': 'fut-1' },
      body: { code: 'HK.HSImain', side: 'BUY', type: 'MARKET', qty: 2 },
    });
    expect(r.status).toBe(201);
    expect(r.body.order).toMatchObject({ clientOrderId: 'fut-1', code: 'HK.HSImain', qty: 2 });
    const [o] = h.sim.trading.orders(h.header(FUT_SIM_HK)).filter((x) => x.remark === 'oc:fut-1');
    expect(o).toMatchObject({ orderStatus: 11, fillQty: 2 }); // FILLED_ALL
    const stored = await h.http('GET', `/v1/accounts/${FUT_SIM_HK}/orders?clientOrderId=fut-1`);
    expect(stored.status).toBe(200);
    expect(JSON.stringify(stored.body)).toContain(o!.orderID.toString());
    const positions = await h.http('GET', `/v1/accounts/${FUT_SIM_HK}/positions`);
    expect(positions.body.positions).toEqual(expect.arrayContaining([expect.objectContaining({ code: 'HK.HSImain', qty: 2 })]));
    expect(h.sim.trading.funds(h.header(FUT_SIM_HK)).initialMargin).toBe(240_000);
  });

  it('refuses an off-tick futures price with the index-point ladder, before anything is placed', async () => {
    await h.nextTradeSlot();
    const before = h.sim.trading.orders(h.header(FUT_SIM_HK)).length;
    const r = await h.http('POST', `/v1/accounts/${FUT_SIM_HK}/orders`, { headers: { 'Idempotency-Key': 'fut-2' }, body: { code: 'HK.HSImain', side: 'BUY', qty: 1, price: 19500.5 } });
    expect(r.status).toBe(400);
    expect(r.body.error.message).toMatch(/HK_FUTURE tick ladder/);
    expect(h.sim.trading.orders(h.header(FUT_SIM_HK))).toHaveLength(before);
  });

  it('places an option order in a securities account: filled at price × qty × 100 of cash, and recorded', async () => {
    await h.nextTradeSlot();
    const chain = await h.http('GET', '/v1/options/HK.00700/chain?expiry=2025-02-27');
    const code = chain.body.expiries[0].strikes[8].call.code as string;
    const cashBefore = h.sim.trading.funds(h.header(ACCOUNTS.SIM_HK)).cash;
    const r = await h.http('POST', `/v1/accounts/${ACCOUNTS.SIM_HK}/orders`, { headers: { 'Idempotency-Key': 'opt-1' }, body: { code, side: 'BUY', type: 'MARKET', qty: 3 } });
    expect(r.status).toBe(201);
    const [o] = h.sim.trading.orders(h.header(ACCOUNTS.SIM_HK)).filter((x) => x.remark === 'oc:opt-1');
    expect(o).toMatchObject({ orderStatus: 11, fillQty: 3 });
    expect(h.sim.trading.funds(h.header(ACCOUNTS.SIM_HK)).cash).toBeCloseTo(cashBefore - o!.fillAvgPrice! * 3 * 100, 3);
    const stored = await h.http('GET', `/v1/accounts/${ACCOUNTS.SIM_HK}/orders?clientOrderId=opt-1`);
    expect(stored.status).toBe(200);
    expect(JSON.stringify(stored.body)).toContain(code);
  });
});

describe('risk limits on derivatives', () => {
  const BOT = 'arn:aws:iam::111122223333:role/futures-bot';

  afterAll(async () => {
    await h.restartRuntime({ [SECURITY_ENV.callers]: '', [SECURITY_ENV.riskLimits]: '' });
  });

  it('counts a futures order at price × qty × multiplier against maxOrderNotional (422, nothing placed)', async () => {
    // One HSI contract at about 19,500 points is worth about HKD 975,000 (50 a point), not 19,500.
    await h.restartRuntime({
      [SECURITY_ENV.callers]: JSON.stringify([{ principal: BOT, accounts: [FUT_SIM_HK], rights: ['read', 'trade'] }]),
      [SECURITY_ENV.riskLimits]: JSON.stringify({ default: { maxQty: 1000, maxOrderNotional: 500_000, maxDailyNotional: 1e10, maxOpenOrders: 100, priceCollarPct: 50 } }),
    });
    await h.nextTradeSlot();
    const before = h.sim.trading.orders(h.header(FUT_SIM_HK)).length;
    const price = h.sim.market.top('HK.HSImain')!.bid;
    const r = await h.http('POST', `/v1/accounts/${FUT_SIM_HK}/orders`, {
      headers: { [LOCAL_CALLER_HEADER]: BOT, 'Idempotency-Key': 'fut-risk-1' },
      body: { code: 'HK.HSImain', side: 'BUY', qty: 1, price },
    });
    expect(r.status).toBe(422);
    expect(r.body.error.message).toMatch(/maxOrderNotional = 500000: the order's notional \d+ \(qty 1 × [\d.]+ × multiplier 50\) is above it/);
    expect(h.sim.trading.orders(h.header(FUT_SIM_HK))).toHaveLength(before);
  });
});
