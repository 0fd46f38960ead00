// US extended sessions in the simulator (exchange mode) over real TCP with the real OpenDClient, QuoteApi and
// TradeApi: the US market state through a day (overnight, pre-market, regular, after-hours, overnight again),
// the pre-market / after-hours / overnight quote fields (BasicQot and snapshot) that leave the regular day bar
// alone, and orders that fill only in the sessions their `session` / fillOutsideRTH allow.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Simulator } from '../../gateway-container/simulator/index.js';
import * as Qot_Common from '../../proto/generated/Qot_Common.js';
import { PROTO_ID } from '../../proto/registry.js';
import { ACC, closeAll, expectOpenDError, startTestSimulator } from './sim-helpers.js';
import { client, open } from './sim-trading-support.js';

const S = Qot_Common.QotMarketState;
/** Tuesday 2025-01-14, a normal US trading day; New York is on EST (UTC-5). */
const et = (hhmm: string, day = 14): number => Date.parse(`2025-01-${day}T${hhmm}:00-05:00`);

let sim: Simulator;

function advanceTo(t: number): void {
  const now = sim.clock.now();
  if (t > now) sim.advance(t - now);
}

async function usState(): Promise<number> {
  const { c } = await client(sim);
  const s2c = await c.request(PROTO_ID.GetGlobalState, { userID: 0n });
  return s2c.marketUS;
}

async function aaplQuote() {
  const { q } = await client(sim);
  await q.subscribe(['US.AAPL', 'HK.00700'], ['BASIC']);
  const [aapl, tencent] = await q.basicQuotes(['US.AAPL', 'HK.00700']);
  return { aapl: aapl!, tencent: tencent! };
}

/** Trade writes of one account must be at least 20 ms apart in (virtual) time, as in OpenD. */
function spaced<T>(p: () => Promise<T>): Promise<T> {
  sim.advance(25);
  return p();
}

/** A buy limit 5 % above the current ask: it fills as soon as its session allows. */
function marketableBuyPrice(): number {
  return Math.round(sim.market.top('US.AAPL')!.ask * 105) / 100;
}

beforeAll(async () => {
  // Starts at 03:00 ET on Tuesday, inside the overnight session that began Monday 20:00 ET.
  sim = await startTestSimulator({ sessions: 'exchange', tickIntervalMs: 20_000, clock: { manual: true, start: et('03:00') } });
});
afterAll(async () => {
  await sim.close();
});
afterEach(async () => {
  await closeAll(...open.splice(0));
});

describe('US extended sessions', () => {
  it('reports the US market state through a day: overnight, pre-market, regular, after-hours, overnight', async () => {
    // Times move forward only, so this test runs first and the ones below continue from where it leaves off.
    expect(await usState()).toBe(S.OVERNIGHT);
    advanceTo(et('04:00'));
    expect(await usState()).toBe(S.PRE_MARKET_BEGIN);
    const { c } = await client(sim);
    const perSecurity = await c.request(PROTO_ID.Qot_GetMarketState, { securityList: [{ market: Qot_Common.QotMarket.US_SECURITY, code: 'AAPL' }] });
    expect(perSecurity.marketInfoList![0]!.marketState).toBe(S.PRE_MARKET_BEGIN);
    // The regular session, the after-hours and the next overnight session come later in this file's timeline;
    // the engine answers for any instant.
    expect(sim.market.marketState('US', et('10:00'))).toBe(S.AFTERNOON);
    expect(sim.market.marketState('US', et('17:00'))).toBe(S.AFTER_HOURS_BEGIN);
    expect(sim.market.marketState('US', et('21:00'))).toBe(S.OVERNIGHT);
    // Friday evening has no overnight session (none runs into Saturday); Sunday 20:00 starts the week's first.
    expect(sim.market.marketState('US', et('21:00', 17))).toBe(S.AFTER_HOURS_END);
    expect(sim.market.marketState('US', et('12:00', 19))).toBe(S.CLOSED);
    expect(sim.market.marketState('US', et('20:30', 19))).toBe(S.OVERNIGHT);
    // HK is unaffected: 17:00 HKT on a Tuesday is closed.
    expect(sim.market.marketState('HK', Date.parse('2025-01-14T17:00:00+08:00'))).toBe(S.CLOSED);
  });

  it('quotes pre-market and overnight fields for US securities only, leaving the regular day bar alone', async () => {
    advanceTo(et('04:30'));
    const before = (await aaplQuote()).aapl;
    advanceTo(et('05:30'));
    const { aapl, tencent } = await aaplQuote();
    const pre = aapl.preMarket!;
    expect(pre.price).toBeGreaterThan(0);
    expect(pre.volume).toBeGreaterThan(before.preMarket!.volume!);
    expect(pre.highPrice).toBeGreaterThanOrEqual(pre.lowPrice!);
    expect(pre.price).toBeLessThanOrEqual(pre.highPrice!);
    expect(pre.turnover).toBeGreaterThan(0);
    // Change against the last regular close, which the regular price still shows.
    expect(pre.changeVal).toBeCloseTo(pre.price! - aapl.curPrice, 3);
    expect(pre.changeRate).toBeCloseTo(((pre.price! - aapl.curPrice) / aapl.curPrice) * 100, 2);
    expect(aapl.overnight?.volume).toBeGreaterThan(0n); // 03:00-04:00 traded
    expect(aapl.afterMarket).toBeUndefined(); // no after-hours session has happened since the start
    // The regular session's figures did not move with the pre-market trades.
    expect(aapl.curPrice).toBe(before.curPrice);
    expect(aapl.volume).toBe(before.volume);
    expect(aapl.updateTime).toBe(before.updateTime);
    expect(tencent.preMarket).toBeUndefined();
    expect(tencent.overnight).toBeUndefined();

    const { c } = await client(sim);
    const snap = await c.request(PROTO_ID.Qot_GetSecuritySnapshot, { securityList: [{ market: Qot_Common.QotMarket.US_SECURITY, code: 'AAPL' }] });
    expect(snap.snapshotList![0]!.basic.preMarket?.price).toBe(pre.price);
    expect(snap.snapshotList![0]!.basic.preMarket?.volume).toBe(pre.volume);
    // The typed client's snapshot carries them by name.
    const { q } = await client(sim);
    const [typed] = await q.snapshot(['US.AAPL']);
    expect(typed!.preMarket).toEqual({
      price: pre.price,
      high: pre.highPrice,
      low: pre.lowPrice,
      volume: pre.volume,
      turnover: pre.turnover,
      change: pre.changeVal,
      changeRate: pre.changeRate,
      amplitude: pre.amplitude,
    });
    expect(typed!.afterMarket).toBeUndefined();
    expect((await q.snapshot(['HK.00700']))[0]!.preMarket).toBeUndefined();
  });

  it('fills a limit order with session ETH or fillOutsideRTH in pre-market while an RTH-only one waits for the open', async () => {
    advanceTo(et('06:00'));
    const { t } = await client(sim);
    const price = marketableBuyPrice();
    const eth = await spaced(() => t.placeOrder(ACC.SIM_US, { code: 'US.AAPL', side: 'BUY', qty: 10, price, session: 'ETH', remark: 'eth' }));
    const outside = await spaced(() => t.placeOrder(ACC.SIM_US, { code: 'US.AAPL', side: 'BUY', qty: 10, price, fillOutsideRTH: true, remark: 'outside' }));
    const rth = await spaced(() => t.placeOrder(ACC.SIM_US, { code: 'US.AAPL', side: 'BUY', qty: 10, price, remark: 'rth' }));
    advanceTo(et('06:30'));
    const statusOf = async (id: bigint) => (await t.orders(ACC.SIM_US, { orderIds: [id] }))[0]!.status;
    expect(await statusOf(eth.orderId)).toBe('FILLED_ALL');
    expect(await statusOf(outside.orderId)).toBe('FILLED_ALL');
    expect(await statusOf(rth.orderId)).toBe('SUBMITTED');
    advanceTo(et('09:35'));
    expect(await statusOf(rth.orderId)).toBe('FILLED_ALL');
  });

  it('refuses a market order outside regular hours with a clear message, and overnight in paper trading', async () => {
    advanceTo(et('16:30'));
    const { t } = await client(sim);
    await expectOpenDError(
      spaced(() => t.placeOrder(ACC.SIM_US, { code: 'US.AAPL', side: 'BUY', type: 'MARKET', qty: 10, session: 'ETH' })),
      /MARKET orders trade in the regular session only; session ETH \(trading outside regular hours\) is allowed for limit orders only/,
    );
    await expectOpenDError(
      spaced(() => t.placeOrder(ACC.SIM_US, { code: 'US.AAPL', side: 'BUY', type: 'MARKET', qty: 10, fillOutsideRTH: true })),
      /MARKET orders trade in the regular session only; fillOutsideRTH/,
    );
    await expectOpenDError(
      spaced(() => t.placeOrder(ACC.SIM_US, { code: 'US.AAPL', side: 'BUY', qty: 10, price: 100, session: 'OVERNIGHT' })),
      /session OVERNIGHT is not available in paper trading: it has no overnight session/,
    );
    await expectOpenDError(
      spaced(() => t.placeOrder(ACC.SIM_HK, { code: 'HK.00700', side: 'BUY', qty: 100, price: 300, session: 'ETH' })),
      /session ETH is only for US securities/,
    );
    const { aapl } = await aaplQuote();
    expect(aapl.afterMarket?.volume).toBeGreaterThan(0n);
    expect(aapl.preMarket?.volume).toBeGreaterThan(0n); // today's pre-market stays on the quote
  });

  it('fills an OVERNIGHT limit order of a REAL account in the overnight session while an ETH one waits', async () => {
    advanceTo(et('20:30'));
    const { t } = await client(sim);
    await t.unlock('123456');
    const price = marketableBuyPrice();
    const overnight = await spaced(() => t.placeOrder(ACC.REAL_US, { code: 'US.AAPL', side: 'BUY', qty: 5, price, session: 'OVERNIGHT' }));
    const eth = await spaced(() => t.placeOrder(ACC.REAL_US, { code: 'US.AAPL', side: 'BUY', qty: 5, price, session: 'ETH' }));
    advanceTo(et('21:00'));
    const statusOf = async (id: bigint) => (await t.orders(ACC.REAL_US, { orderIds: [id] }))[0]!.status;
    expect(await statusOf(overnight.orderId)).toBe('FILLED_ALL');
    expect(await statusOf(eth.orderId)).toBe('SUBMITTED');
    const fills = await t.fills(ACC.REAL_US);
    expect(fills.some((f) => f.orderId === overnight.orderId)).toBe(true);

    // A DAY order placed in the overnight session trades for the next day: it does not expire at midnight.
    const resting = await spaced(() => t.placeOrder(ACC.REAL_US, { code: 'US.AAPL', side: 'BUY', qty: 5, price: 100, session: 'ALL' }));
    advanceTo(et('00:30', 15));
    const [kept] = await t.orders(ACC.REAL_US, { orderIds: [resting.orderId] });
    expect(kept!.status).toBe('SUBMITTED');
    expect(kept!.orderIdEx).toMatch(/^FTR20250115_/);
  });
});
