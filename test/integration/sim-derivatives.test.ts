// Futures and options on the simulator over real TCP with the real OpenDClient and the typed APIs: contract
// specs, option expirations and chains, option and futures quote fields, a futures order that holds initial
// margin and realizes P&L × multiplier, and an option order whose cash moves by price × qty × multiplier.
// The virtual clock starts on Wednesday 2025-01-15 10:00 in Hong Kong (sim-helpers SIM_START).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Simulator } from '../../gateway-container/simulator/index.js';
import { DerivativesApi } from '../../proto/api/derivatives.js';
import { QuoteApi } from '../../proto/api/quotes.js';
import { TradeApi, type AccountRef } from '../../proto/api/trading.js';
import type { OpenDClient } from '../../proto/client.js';
import { ValidationError } from '../../proto/errors.js';
import * as Qot_Common from '../../proto/generated/Qot_Common.js';
import { PROTO_ID } from '../../proto/registry.js';
import { ACC, closeAll, connectClient, expectOpenDError, startTestSimulator } from './sim-helpers.js';

const FUT_SIM_HK: AccountRef = { accId: 281756480572583502n, env: 'SIMULATE', market: 'FUTURES_SIMULATE_HK' };
const FUT_REAL: AccountRef = { accId: 281756478396547904n, env: 'REAL', market: 'FUTURES' };
const HK = Qot_Common.QotMarket.HK_SECURITY;
const US = Qot_Common.QotMarket.US_SECURITY;

let sim: Simulator;
let c: OpenDClient;
let d: DerivativesApi;
let q: QuoteApi;
let t: TradeApi;

beforeAll(async () => {
  sim = await startTestSimulator({ futuresAccounts: true });
  c = await connectClient(sim);
  d = new DerivativesApi(c);
  q = new QuoteApi(c);
  t = new TradeApi(c);
  sim.advance(60_000);
});
afterAll(async () => {
  await closeAll(c);
  await sim.close();
});

/** Futu's per-account spacing of PlaceOrder (frequency-limits.ts): the manual clock moves a second first. */
function place(acc: AccountRef, input: Parameters<TradeApi['placeOrder']>[1]) {
  sim.advance(1000);
  return t.placeOrder(acc, input);
}

async function snapshotOf(code: string) {
  const [market, sym] = [code.slice(0, 2) === 'US' ? US : HK, code.slice(3)];
  const s2c = await c.request(PROTO_ID.Qot_GetSecuritySnapshot, { securityList: [{ market, code: sym }] });
  return s2c.snapshotList![0]!;
}

describe('futures contracts', () => {
  it('serves HK and US contract specs with Qot_GetFutureInfo: multiplier, tick, currency, last trading day, underlying', async () => {
    const infos = await d.futureInfo(['HK.HSImain', 'HK.HSI2501', 'HK.MHI2502', 'HK.HHImain', 'US.ESmain', 'US.ES2503', 'US.NQ2506']);
    const by = new Map(infos.map((i) => [i.code, i]));
    expect(by.get('HK.HSImain')).toMatchObject({ contractSize: 50, tick: 1, currency: 'HKD', underlying: 'HK.800000', exchange: 'HKFE', mainContractOf: 'HK.HSI2501' });
    expect(by.get('HK.HSImain')!.lastTradeDate).toBeUndefined();
    // HKFE: the business day before the last business day of January 2025 (Friday 31st) is Thursday 30th.
    expect(by.get('HK.HSI2501')).toMatchObject({ lastTradeDate: '2025-01-30', contractSize: 50 });
    expect(by.get('HK.MHI2502')).toMatchObject({ contractSize: 10, lastTradeDate: '2025-02-27' });
    expect(by.get('HK.HHImain')).toMatchObject({ underlying: 'HK.800100', contractSize: 50 });
    // CME E-mini: quarterly, the third Friday of the contract month.
    expect(by.get('US.ES2503')).toMatchObject({ contractSize: 50, tick: 0.25, currency: 'USD', lastTradeDate: '2025-03-21', underlying: 'US..SPX', exchange: 'CME' });
    expect(by.get('US.NQ2506')).toMatchObject({ contractSize: 20, lastTradeDate: '2025-06-20', underlying: 'US..NDX' });
    expect(by.get('US.ESmain')!.mainContractOf).toBe('US.ES2503');
    expect(by.get('HK.HSI2501')!.tradeTimes.length).toBeGreaterThan(0);
  });

  it('refuses a stock code client-side and an expired contract server-side, saying what exists', async () => {
    await expect(d.futureInfo(['HK.00700'])).rejects.toThrow(ValidationError);
    await expect(d.futureInfo(['HK.HSI2513'])).rejects.toThrow(/contract month "2513" must be yyMM/);
    await expectOpenDError(c.request(PROTO_ID.Qot_GetFutureInfo, { securityList: [{ market: HK, code: 'HSI2412' }] }), /HK\.HSI2412 is not a futures contract the simulator lists/);
  });

  it('quotes futures like other securities: a price near the underlying index and the futures snapshot fields', async () => {
    const [index] = await q.snapshot(['HK.800000']);
    const snap = await snapshotOf('HK.HSI2501');
    expect(snap.basic.type).toBe(Qot_Common.SecurityType.FUTURE);
    expect(snap.basic.lotSize).toBe(1);
    expect(Math.abs(snap.basic.curPrice / index!.price - 1)).toBeLessThan(0.05);
    expect(snap.futureExData).toMatchObject({ isMainContract: false, lastTradeTime: '2025-01-30', lastSettlePrice: snap.basic.lastClosePrice });
    expect(snap.futureExData!.position).toBeGreaterThan(0);
    expect((await snapshotOf('HK.HSImain')).futureExData).toMatchObject({ isMainContract: true, lastTradeTime: '' });
    // The index's breadth counts its market's six stocks and funds, not the futures on it.
    const breadth = (await snapshotOf('HK.800000')).indexExData!;
    expect(breadth.raiseCount + breadth.fallCount + breadth.equalCount).toBe(6);
    await q.subscribe(['HK.HSImain'], ['ORDER_BOOK', 'BASIC']);
    const book = await q.orderBook('HK.HSImain', 5);
    expect(book.asks[0]!.price).toBeGreaterThan(book.bids[0]!.price);
    expect(Number.isInteger(book.asks[0]!.price)).toBe(true); // one index point
    const [basic] = await q.basicQuotes(['HK.HSImain']);
    expect(basic!.futureExData).toMatchObject({ lastSettlePrice: basic!.lastClosePrice, expiryDateDistance: 15 });
  });
});

describe('options', () => {
  it('lists expirations from the exchanges rules: HK monthly, US weeklies and monthlies', async () => {
    const hk = await d.optionExpirationDates('HK.00700');
    expect(hk.map((e) => e.date)).toEqual(['2025-01-30', '2025-02-27', '2025-03-28']);
    expect(hk[0]).toMatchObject({ daysLeft: 15, cycle: 'MONTH' });
    const us = await d.optionExpirationDates('US.AAPL');
    expect(us.map((e) => `${e.date} ${e.cycle}`)).toEqual([
      '2025-01-17 MONTH', '2025-01-24 WEEK', '2025-01-31 WEEK', '2025-02-07 WEEK', '2025-02-21 MONTH', '2025-03-21 MONTH',
    ]);
    await expectOpenDError(c.request(PROTO_ID.Qot_GetOptionExpirationDate, { owner: { market: HK, code: '800000' } }), /has no listed options/);
  });

  it('builds the chain around the previous close with Futu option codes, and filters by type and moneyness', async () => {
    const chain = await d.optionChain('US.AAPL', { from: '2025-01-15', to: '2025-01-25' });
    expect(chain.map((c) => c.expiry)).toEqual(['2025-01-17', '2025-01-24']);
    const rows = chain[0]!.strikes;
    expect(rows).toHaveLength(17);
    const [prev] = await q.snapshot(['US.AAPL']);
    const atm = rows[8]!;
    expect(Math.abs(atm.strike - prev!.lastClose)).toBeLessThanOrEqual(2.5);
    expect(atm.call).toMatchObject({ code: `US.AAPL250117C${atm.strike * 1000}`, type: 'CALL', expiry: '2025-01-17', underlying: 'US.AAPL' });
    expect(atm.put!.code).toBe(`US.AAPL250117P${atm.strike * 1000}`);
    const strikes = rows.map((r) => r.strike);
    expect([...strikes].sort((a, b) => a - b)).toEqual(strikes);

    const calls = await d.optionChain('HK.00700', { from: '2025-01-30', to: '2025-01-30', type: 'CALL', moneyness: 'ITM' });
    const [spot] = await q.snapshot(['HK.00700']);
    expect(calls[0]!.strikes.length).toBeGreaterThan(0);
    for (const r of calls[0]!.strikes) {
      expect(r.put).toBeUndefined();
      expect(r.call!.code).toMatch(/^HK\.TCH250130C\d+$/);
      expect(r.strike).toBeLessThan(spot!.price);
    }
  });

  it('refuses a chain window over 30 days and a derivative as the underlying, before sending', async () => {
    await expect(d.optionChain('US.AAPL', { from: '2025-01-15', to: '2025-03-15' })).rejects.toThrow(/at most 30/);
    await expect(d.optionChain('US.AAPL250117C190000', { from: '2025-01-15' })).rejects.toThrow(/give the underlying stock/);
    await expectOpenDError(
      c.request(PROTO_ID.Qot_GetOptionChain, { owner: { market: US, code: 'AAPL' }, beginTime: '2025-01-01', endTime: '2025-03-01' }),
      /at most 30 per request/,
    );
  });

  it('quotes an option: strike, expiry, contract size, greeks, implied volatility and open interest (snapshot and static info)', async () => {
    const [row] = (await d.optionChain('HK.00700', { from: '2025-02-27', to: '2025-02-27' }))[0]!.strikes.slice(8, 9);
    const callCode = row!.call!.code;
    const putCode = row!.put!.code;
    const call = await snapshotOf(callCode);
    const put = await snapshotOf(putCode);
    expect(call.basic.type).toBe(Qot_Common.SecurityType.DRVT);
    expect(call.optionExData).toMatchObject({ type: Qot_Common.OptionType.CALL, strikeTime: '2025-02-27', strikePrice: row!.strike, contractSize: 100, contractMultiplier: 100 });
    expect(call.optionExData!.owner).toEqual({ market: HK, code: '00700' });
    expect(call.optionExData!.delta).toBeGreaterThan(0);
    expect(call.optionExData!.delta).toBeLessThan(1);
    expect(put.optionExData!.delta).toBeLessThan(0);
    expect(call.optionExData!.gamma).toBeGreaterThan(0);
    expect(call.optionExData!.vega).toBeGreaterThan(0);
    expect(call.optionExData!.theta).toBeLessThan(0);
    expect(call.optionExData!.impliedVolatility).toBeGreaterThan(20);
    expect(call.optionExData!.openInterest).toBeGreaterThan(0);
    expect(call.basic.askPrice!).toBeGreaterThan(call.basic.bidPrice!);
    // Put-call parity (no dividends): C − P ≈ S − K·e^(−rT), within the 0.01 price grid and the smile.
    const [spot] = await q.snapshot(['HK.00700']);
    const parity = spot!.price - row!.strike * Math.exp(-0.03 * (43 / 365));
    expect(Math.abs(call.basic.curPrice - put.basic.curPrice - parity)).toBeLessThan(0.5);
    await q.subscribe([callCode], ['BASIC']);
    const [basic] = await q.basicQuotes([callCode]);
    expect(basic!.optionExData).toMatchObject({ strikePrice: row!.strike, contractSize: 100, openInterest: call.optionExData!.openInterest, delta: call.optionExData!.delta });
    const [info] = await q.staticInfo([callCode]);
    expect(info).toMatchObject({ code: callCode, lotSize: 1, type: 'DRVT' });
    await expectOpenDError(q.staticInfo(['HK.TCH250131C380000']), /Unknown stock HK\.TCH250131C380000/);
  });
});

describe('trading futures and options', () => {
  it('lists the futures accounts only for trdCategory FUTURE', async () => {
    const futures = await d.futuresAccounts();
    expect(futures.map((a) => `${a.env} ${a.markets.join(',')} ${a.simAccType ?? ''}`)).toEqual([
      'SIMULATE FUTURES_SIMULATE_HK FUTURES',
      'SIMULATE FUTURES_SIMULATE_US FUTURES',
      'REAL FUTURES ',
    ]);
    const securities = await t.accounts();
    expect(securities.some((a) => a.accId === FUT_SIM_HK.accId)).toBe(false);
  });

  it('fills a futures order holding initial margin in funds, values the position × 50 and realizes P&L × 50 on close', async () => {
    const before = await t.funds(FUT_SIM_HK);
    const { orderId } = await place(FUT_SIM_HK, { code: 'HK.HSImain', side: 'BUY', type: 'MARKET', qty: 2 });
    const [buy] = await t.orders(FUT_SIM_HK, { orderIds: [orderId] });
    expect(buy).toMatchObject({ status: 'FILLED_ALL', fillQty: 2, code: 'HK.HSImain' });
    const raw = await c.request(PROTO_ID.Trd_GetFunds, { header: { trdEnv: 0, accID: FUT_SIM_HK.accId, trdMarket: 10 } });
    expect(raw.funds!.initialMargin).toBe(240_000); // 2 × HKD 120,000
    expect(raw.funds!.maintenanceMargin).toBe(192_000);
    expect(raw.funds!.cash).toBe(before.cash); // opening a future moves no cash
    const [pos] = await t.positions(FUT_SIM_HK);
    expect(pos).toMatchObject({ code: 'HK.HSImain', qty: 2 });
    expect(pos!.value).toBeCloseTo(2 * pos!.price * 50, 2);

    sim.advance(30_000);
    const { orderId: sellId } = await place(FUT_SIM_HK, { code: 'HK.HSImain', side: 'SELL', type: 'MARKET', qty: 2 });
    const [sell] = await t.orders(FUT_SIM_HK, { orderIds: [sellId] });
    expect(sell!.status).toBe('FILLED_ALL');
    const after = await t.funds(FUT_SIM_HK);
    expect(after.cash).toBeCloseTo(before.cash + (sell!.fillAvgPrice - buy!.fillAvgPrice) * 2 * 50, 3);
    const rawAfter = await c.request(PROTO_ID.Trd_GetFunds, { header: { trdEnv: 0, accID: FUT_SIM_HK.accId, trdMarket: 10 } });
    expect(rawAfter.funds!.initialMargin).toBe(0);
  });

  it('refuses an order whose margin exceeds the account, and a stock in a futures account or a future in a securities account', async () => {
    await expectOpenDError(place(FUT_SIM_HK, { code: 'HK.HSImain', side: 'BUY', type: 'MARKET', qty: 9 }), /insufficient margin: 9 HK\.HSImain need initial margin 1,080,000\.00 HKD/);
    await expectOpenDError(place(FUT_SIM_HK, { code: 'HK.00700', side: 'BUY', qty: 100, price: 380 }), /cannot be traded under trdMarket FUTURES_SIMULATE_HK/);
    await expectOpenDError(place(ACC.SIM_HK, { code: 'HK.HSImain', side: 'BUY', qty: 1, price: 19500 }), /cannot be traded under trdMarket HK/);
    await expectOpenDError(place(FUT_SIM_HK, { code: 'HK.HSImain', side: 'BUY', qty: 1, price: 19500.5 }), /not on the HK_FUTURE tick ladder/);
  });

  it('trades US futures in the real futures account after unlock', async () => {
    await t.unlock('123456');
    const usd = (await t.funds(FUT_REAL, { currency: 'USD' })).cash;
    const { orderId } = await place(FUT_REAL, { code: 'US.ESmain', side: 'SELL', type: 'MARKET', qty: 1 });
    const [o] = await t.orders(FUT_REAL, { orderIds: [orderId] });
    expect(o).toMatchObject({ status: 'FILLED_ALL', side: 'SELL' });
    const [pos] = await t.positions(FUT_REAL);
    expect(pos).toMatchObject({ code: 'US.ESmain', qty: -1 });
    // Opening a future moves no cash (only the REAL account's fees, fees.ts): nothing like the notional 50 × price.
    expect(Math.abs((await t.funds(FUT_REAL, { currency: 'USD' })).cash - usd)).toBeLessThan(100);
  });

  it('moves cash by price × qty × contract size for an option order, and values the position the same way', async () => {
    const [row] = (await d.optionChain('HK.00700', { from: '2025-01-30', to: '2025-01-30' }))[0]!.strikes.slice(8, 9);
    const code = row!.call!.code;
    const before = await t.funds(ACC.SIM_HK);
    const { orderId } = await place(ACC.SIM_HK, { code, side: 'BUY', type: 'MARKET', qty: 3 });
    const [o] = await t.orders(ACC.SIM_HK, { orderIds: [orderId] });
    expect(o).toMatchObject({ status: 'FILLED_ALL', fillQty: 3, code });
    const after = await t.funds(ACC.SIM_HK);
    expect(after.cash).toBeCloseTo(before.cash - o!.fillAvgPrice * 3 * 100, 3);
    const [pos] = await t.positions(ACC.SIM_HK, { codes: [code] });
    expect(pos).toMatchObject({ code, qty: 3 });
    expect(pos!.value).toBeCloseTo(3 * pos!.price * 100, 2);
  });

  it('fills a resting option limit order when the underlying trades and the option price reaches it', async () => {
    const [row] = (await d.optionChain('US.AAPL', { from: '2025-02-21', to: '2025-02-21' }))[0]!.strikes.slice(8, 9);
    const code = row!.put!.code;
    const [snap] = await q.snapshot([code]);
    const before = await t.funds(ACC.SIM_US);
    // A buy limit far above the ask fills at once; one below rests until the price comes to it.
    const { orderId } = await place(ACC.SIM_US, { code, side: 'BUY', qty: 1, price: Math.round(snap!.price * 300) / 100 });
    const [o] = await t.orders(ACC.SIM_US, { orderIds: [orderId] });
    expect(o!.status).toBe('FILLED_ALL');
    expect((await t.funds(ACC.SIM_US)).cash).toBeCloseTo(before.cash - o!.fillAvgPrice * 100, 3);
    await expectOpenDError(place(ACC.SIM_US, { code: 'US.AAPL250117C190500', side: 'BUY', qty: 1, price: 1 }), /unknown stock US\.AAPL250117C190500/);
  });
});
