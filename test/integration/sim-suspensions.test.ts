// Suspensions the simulated market obeys, over real TCP: reference.json suspends HK.03690 on 2026-03-16 and
// 2026-03-17 (what Qot_GetSuspend answers). On those days nothing trades in it — no ticker pushes, no time-share,
// no K-line bar, an empty book — its quote and snapshot say isSuspended / SUSPENDED at the last close, a market
// order is refused and a limit order is accepted and waits; on 2026-03-18 it trades again and the waiting GTC
// order fills. HK.00700, not suspended, trades throughout.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Simulator } from '../../gateway-container/simulator/index.js';
import { QuoteApi } from '../../proto/api/quotes.js';
import { ReferenceApi } from '../../proto/api/reference.js';
import { TradeApi } from '../../proto/api/trading.js';
import * as Qot_Common from '../../proto/generated/Qot_Common.js';
import type * as Qot_UpdateTicker from '../../proto/generated/Qot_UpdateTicker.js';
import { PROTO_ID } from '../../proto/registry.js';
import { ACC, barrier, closeAll, connectClient, expectOpenDError, pushesOf, startTestSimulator, type RecordingClient } from './sim-helpers.js';

const SUSPENDED = 'HK.03690';
const NORMAL = 'HK.00700';
/** Monday 2026-03-16 10:00 in Hong Kong (02:00 UTC): the first of HK.03690's two suspended days. */
const MONDAY_10AM = Date.UTC(2026, 2, 16, 2, 0, 0);
const HOUR = 3_600_000;

let sim: Simulator;
let c: RecordingClient;
let q: QuoteApi;
let t: TradeApi;

beforeAll(async () => {
  // One trade per security a virtual minute keeps the two-day jump below cheap on a loaded machine.
  sim = await startTestSimulator({ clock: { manual: true, start: MONDAY_10AM }, tickIntervalMs: 60_000 });
  c = await connectClient(sim);
  q = new QuoteApi(c);
  t = new TradeApi(c);
  await q.subscribe([SUSPENDED, NORMAL], ['BASIC', 'TICKER', 'RT', 'ORDER_BOOK', 'KL_DAY'], { push: true });
  await t.unlock('123456');
  await t.subscribeAccountPushes([ACC.REAL_HK.accId]);
}, 60_000);
afterAll(async () => {
  await closeAll(c);
  await sim.close();
});

const tickerPushesOf = (code: string) =>
  pushesOf(c, PROTO_ID.Qot_UpdateTicker).filter((p) => {
    const s2c = p.s2c as Qot_UpdateTicker.S2C;
    return `HK.${s2c.security.code}` === code;
  });
const day = (time: string) => time.slice(0, 10);

async function rawSnapshot(code: string) {
  const s2c = await c.request(PROTO_ID.Qot_GetSecuritySnapshot, { securityList: [{ market: Qot_Common.QotMarket.HK_SECURITY, code: code.slice(3) }] });
  return s2c.snapshotList![0]!.basic;
}

/** Moves the virtual clock in one-hour steps (each step generates that hour's market) and waits for the pushes. */
async function advanceHours(hours: number): Promise<void> {
  for (let i = 0; i < hours; i++) {
    sim.advance(HOUR);
    await barrier(c); // lets the pushes of each hour drain before the next
  }
}

/** The orders with these IDs from the history list (Trd_GetHistoryOrderList) of the suspended days. */
async function ordersPlacedMonday(ids: bigint[]) {
  const list = await t.historyOrders(ACC.REAL_HK, { from: '2026-03-16 00:00:00', to: '2026-03-18 23:59:59', codes: [SUSPENDED] });
  return ids.map((id) => list.find((o) => o.orderId === id));
}

let waitingGtc: bigint;
let waitingDay: bigint;
let lastClose: number;

describe('a suspended day (HK.03690, 2026-03-16 and -17)', () => {
  it('is the day Qot_GetSuspend lists', async () => {
    const rows = await new ReferenceApi(c).suspensions([SUSPENDED], '2026-03-01', '2026-03-31');
    expect(rows).toEqual([{ code: SUSPENDED, dates: ['2026-03-16', '2026-03-17'] }]);
  });

  it('generates no trades for the suspended security while the others trade', async () => {
    await advanceHours(1);
    expect(tickerPushesOf(NORMAL).length).toBeGreaterThan(0);
    expect(tickerPushesOf(SUSPENDED)).toEqual([]);
    expect(await q.ticker(SUSPENDED, 100)).toEqual([]);
    expect(await q.timeShare(SUSPENDED)).toEqual([]);
    expect((await q.timeShare(NORMAL)).length).toBeGreaterThan(0);
  }, 120_000);

  it('quotes it as suspended, frozen at the last close, with no volume and an empty book', async () => {
    const bars = await q.historyKlines(SUSPENDED, { type: 'DAY', from: '2026-03-09', to: '2026-03-16' });
    lastClose = bars.at(-1)!.close;
    const [basic] = await q.basicQuotes([SUSPENDED]);
    expect(basic).toMatchObject({ isSuspended: true, secStatus: Qot_Common.SecurityStatus.SUSPENDED, curPrice: lastClose, lastClosePrice: lastClose, openPrice: lastClose, volume: 0n, turnover: 0 });
    const snap = await rawSnapshot(SUSPENDED);
    expect(snap).toMatchObject({ isSuspend: true, secStatus: Qot_Common.SecurityStatus.SUSPENDED, curPrice: lastClose, volume: 0n, bidVol: 0n, askVol: 0n });
    expect(await q.orderBook(SUSPENDED)).toMatchObject({ bids: [], asks: [] });

    const [normal] = await q.basicQuotes([NORMAL]);
    expect(normal).toMatchObject({ isSuspended: false, secStatus: Qot_Common.SecurityStatus.NORMAL });
    expect((await rawSnapshot(NORMAL)).isSuspend).toBe(false);
  });

  it('has no K-line bar for the suspended day, live or in the history', async () => {
    const history = await q.historyKlines(SUSPENDED, { type: 'DAY', from: '2026-03-09', to: '2026-03-16' });
    expect(history.map((b) => day(b.time))).toEqual(['2026-03-09', '2026-03-10', '2026-03-11', '2026-03-12', '2026-03-13']);
    expect(day((await q.klines(SUSPENDED, { type: 'DAY', count: 3 })).at(-1)!.time)).toBe('2026-03-13');
    expect(day((await q.klines(NORMAL, { type: 'DAY', count: 3 })).at(-1)!.time)).toBe('2026-03-16');
  });

  it('refuses a market order, naming the suspension and what to place instead', async () => {
    await expectOpenDError(t.placeOrder(ACC.REAL_HK, { code: SUSPENDED, side: 'BUY', type: 'MARKET', qty: 100 }), /HK\.03690 is suspended today.*MARKET orders must execute at once.*place a limit order \(NORMAL\)/);
    expect((await t.orders(ACC.REAL_HK, { codes: [SUSPENDED] })).filter((o) => o.type === 'MARKET')).toEqual([]);
  });

  it('accepts limit orders and leaves them unfilled while the security is suspended', async () => {
    // Well above the last close, so nothing but the suspension keeps them from filling.
    const price = Math.round(lastClose * 1.2 * 10) / 10;
    sim.advance(1_000); // PlaceOrder calls apart, as Futu's frequency limit wants
    waitingGtc = (await t.placeOrder(ACC.REAL_HK, { code: SUSPENDED, side: 'BUY', qty: 100, price, timeInForce: 'GTC', adjustPriceLimit: 0.01 })).orderId;
    sim.advance(1_000); // PlaceOrder calls apart, as Futu's frequency limit wants
    waitingDay = (await t.placeOrder(ACC.REAL_HK, { code: SUSPENDED, side: 'BUY', qty: 100, price, adjustPriceLimit: 0.01 })).orderId;
    await advanceHours(2);
    const orders = await t.orders(ACC.REAL_HK, { orderIds: [waitingGtc, waitingDay] });
    expect(orders).toHaveLength(2);
    for (const o of orders) expect(o).toMatchObject({ status: 'SUBMITTED', fillQty: 0 });
    expect(await t.fills(ACC.REAL_HK)).toEqual([]);
  }, 120_000);
});

describe('the next trading day (2026-03-18)', () => {
  it('trades the security again: ticker pushes, a day bar, a normal quote, and the waiting GTC order fills', async () => {
    // From Monday 13:00 to Wednesday 10:00 Hong Kong time; the suspended Tuesday is skipped.
    await advanceHours(45);
    expect(tickerPushesOf(SUSPENDED).length).toBeGreaterThan(0);
    const [basic] = await q.basicQuotes([SUSPENDED]);
    expect(basic).toMatchObject({ isSuspended: false, secStatus: Qot_Common.SecurityStatus.NORMAL, lastClosePrice: lastClose });
    expect(basic!.volume > 0n).toBe(true);
    expect((await rawSnapshot(SUSPENDED)).isSuspend).toBe(false);
    const days = (await q.klines(SUSPENDED, { type: 'DAY', count: 3 })).map((b) => day(b.time));
    expect(days).toEqual(['2026-03-12', '2026-03-13', '2026-03-18']);
    expect((await q.timeShare(SUSPENDED)).length).toBeGreaterThan(0);

    const [gtc] = await ordersPlacedMonday([waitingGtc]);
    expect(gtc).toMatchObject({ status: 'FILLED_ALL', fillQty: 100 });
    const fills = (await t.fills(ACC.REAL_HK)).filter((f) => f.orderId === waitingGtc);
    expect(fills.length).toBeGreaterThan(0);
    expect(fills.every((f) => f.createTime >= '2026-03-18')).toBe(true);
  }, 180_000);

  it('expired the DAY order unfilled at the end of its suspended day', async () => {
    const [dayOrder] = await ordersPlacedMonday([waitingDay]);
    expect(dayOrder).toMatchObject({ status: 'CANCELLED_ALL', fillQty: 0, lastErrMsg: 'DAY order expired at the end of its trading day' });
  });
});
