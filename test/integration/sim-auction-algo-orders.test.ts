// HK at-auction orders and US TWAP / VWAP orders in the simulator, over real TCP with the real OpenDClient /
// TradeApi, on the exchange calendar (sessions: 'exchange'): at-auction orders input in the pre-opening session fill
// at the opening auction price (the day's first trade), an at-auction limit only if its price meets it and
// otherwise carried into continuous trading as a limit order, no cancellation from 09:15, the closing auction at the
// closing price; TWAP fills spread over its window (checked against its slice schedule), VWAP fills following the
// market's volume, cancel stopping the remaining slices, and a restart from the state file keeping the schedule.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Simulator } from '../../gateway-container/simulator/index.js';
import type { MarketTrade } from '../../gateway-container/simulator/market-view.js';
import { ALGO_SLICES, ALGO_WINDOW_MS } from '../../gateway-container/simulator/trading/algo-orders.js';
import { headerOf, type TradeApi } from '../../proto/api/trading.js';
import * as Trd_Common from '../../proto/generated/Trd_Common.js';
import { PROTO_ID } from '../../proto/registry.js';
import { snapToTick, toUnits } from '../../proto/ticks.js';
import { ACC, barrier, closeAll, expectOpenDError, startTestSimulator } from './sim-helpers.js';
import { client, open } from './sim-trading-support.js';

const { OrderStatus } = Trd_Common;
const HK = 'HK.00700';
const US = 'US.AAPL';
const MIN = 60_000;
/** 2025-01-15 (a Wednesday) at hh:mm Hong Kong time (UTC+8). */
const hkt = (h: number, m: number) => Date.UTC(2025, 0, 15, h - 8, m);
/** 2025-01-15 at hh:mm New York time (EST, UTC-5). */
const et = (h: number, m: number) => Date.UTC(2025, 0, 15, h + 5, m);

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'sim-auction-algo-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let sims: Simulator[] = [];
afterEach(async () => {
  await closeAll(...open.splice(0));
  for (const s of sims.splice(0)) await s.close();
});

async function sim(start: number, stateFile?: string): Promise<Simulator> {
  const s = await startTestSimulator({ sessions: 'exchange', clock: { manual: true, start }, ...(stateFile ? { stateFile } : {}) });
  sims.push(s);
  return s;
}

function recordTrades(s: Simulator, key: string): MarketTrade[] {
  const trades: MarketTrade[] = [];
  s.market.onTrade((t) => {
    if (t.key === key) trades.push(t);
  });
  return trades;
}

interface SeenFill {
  orderID: bigint;
  qty: number;
  price: number;
  time: number;
}
/** Every fill the engine books, with the virtual time it happened. */
function recordFills(s: Simulator): SeenFill[] {
  const fills: SeenFill[] = [];
  s.trading.onFill((_a, _h, f) => fills.push({ orderID: f.orderID ?? 0n, qty: f.qty, price: f.price, time: s.clock.now() }));
  return fills;
}

/** Advances virtual time `step` ms at a time until `done()` holds; fails after `maxMs`. */
function advanceUntil(s: Simulator, done: () => boolean, maxMs: number, step = 1000): void {
  for (let t = 0; t < maxMs && !done(); t += step) s.advance(step);
  if (!done()) throw new Error(`condition not reached within ${maxMs} ms of virtual time`);
}

function paced(s: Simulator, t: TradeApi) {
  return {
    place: (...a: Parameters<TradeApi['placeOrder']>) => (s.advance(50), t.placeOrder(...a)),
    cancel: (...a: Parameters<TradeApi['cancelOrder']>) => (s.advance(50), t.cancelOrder(...a)),
  };
}

function engineOrder(s: Simulator, acc: (typeof ACC)[keyof typeof ACC], id: bigint) {
  const o = s.trading.orders(headerOf(acc)).find((x) => x.orderID === id);
  if (!o) throw new Error(`order ${id} not listed`);
  return o;
}

describe('HK at-auction orders', () => {
  it('fills at-auction orders at the opening auction price, carries an unmet at-auction limit into continuous trading, refuses cancels from 09:15', async () => {
    const s = await sim(hkt(9, 5));
    const { c, t } = await client(s);
    await t.unlock('123456');
    const x = paced(s, t);
    const prevClose = s.market.top(HK)!.last;
    const high = snapToTick('HK', prevClose * 1.3, 'down');
    const low = snapToTick('HK', prevClose * 0.7, 'down');
    const trades = recordTrades(s, HK);
    const fills = recordFills(s);

    const market = await x.place(ACC.REAL_HK, { code: HK, side: 'BUY', qty: 100, type: 'AUCTION' });
    const above = await x.place(ACC.REAL_HK, { code: HK, side: 'BUY', qty: 200, type: 'AUCTION_LIMIT', price: high });
    const below = await x.place(ACC.REAL_HK, { code: HK, side: 'BUY', qty: 100, type: 'AUCTION_LIMIT', price: low });
    await expectOpenDError(x.place(ACC.REAL_HK, { code: HK, side: 'BUY', qty: 100, type: 'AUCTION', timeInForce: 'GTC' }), /GTC is not allowed for AUCTION orders/);
    expect((await t.orders(ACC.REAL_HK)).map((o) => o.status)).toEqual(['SUBMITTED', 'SUBMITTED', 'SUBMITTED']);

    s.advance(11 * MIN); // 09:16: the no-cancellation period
    await expectOpenDError(x.cancel(ACC.REAL_HK, market.orderId), /no-cancellation period .* neither cancelled nor modified/);
    expect(trades).toEqual([]); // no continuous trading before 09:30

    advanceUntil(s, () => trades.length > 0, 20 * MIN);
    const open = trades[0]!;
    expect(open.time).toBeGreaterThanOrEqual(hkt(9, 30));
    await barrier(c);
    const byId = new Map((await t.orders(ACC.REAL_HK)).map((o) => [o.orderId, o]));
    expect(byId.get(market.orderId)).toMatchObject({ status: 'FILLED_ALL', fillQty: 100, fillAvgPrice: open.price });
    // The at-auction limit above the auction price fills at the auction price, not at its limit.
    expect(byId.get(above.orderId)).toMatchObject({ status: 'FILLED_ALL', fillQty: 200, fillAvgPrice: open.price });
    expect(byId.get(below.orderId)).toMatchObject({ status: 'SUBMITTED', fillQty: 0, price: low });
    expect(byId.get(below.orderId)!.lastErrMsg).toMatch(/carried forward into continuous trading as a limit order/);
    expect(fills.map((f) => [f.orderID, f.qty, f.price])).toEqual([
      [market.orderId, 100, open.price],
      [above.orderId, 200, open.price],
    ]);

    // In continuous trading the carried-forward order is an ordinary limit order (cancellable) and no new
    // at-auction order is taken.
    await expectOpenDError(x.place(ACC.REAL_HK, { code: HK, side: 'BUY', qty: 100, type: 'AUCTION' }), /only in HKEX's auction sessions.* it is 09:3\d HKT/);
    await x.cancel(ACC.REAL_HK, below.orderId);
    expect((await t.orders(ACC.REAL_HK, { orderIds: [below.orderId] }))[0]!.status).toBe('CANCELLED_ALL');
  });

  it('fills a closing-auction order at the closing price once the closing auction session is over; an unmet at-auction limit is cancelled', async () => {
    const s = await sim(hkt(15, 55));
    const { t } = await client(s);
    await t.unlock('123456');
    const x = paced(s, t);
    const trades = recordTrades(s, HK);
    await expectOpenDError(x.place(ACC.REAL_HK, { code: HK, side: 'BUY', qty: 100, type: 'AUCTION' }), /only in HKEX's auction sessions.* it is 15:55 HKT/);
    s.advance(7 * MIN); // 16:02: the CAS order input period
    const close = trades.at(-1)!.price;
    expect(trades.at(-1)!.time).toBeLessThan(hkt(16, 0));
    const market = await x.place(ACC.REAL_HK, { code: HK, side: 'BUY', qty: 100, type: 'AUCTION' });
    const below = await x.place(ACC.REAL_HK, { code: HK, side: 'BUY', qty: 100, type: 'AUCTION_LIMIT', price: snapToTick('HK', close * 0.8, 'down') });
    s.advance(5 * MIN); // 16:07: still before the auction ends
    expect((await t.orders(ACC.REAL_HK)).map((o) => o.status)).toEqual(['SUBMITTED', 'SUBMITTED']);
    s.advance(4 * MIN); // 16:11
    const byId = new Map((await t.orders(ACC.REAL_HK)).map((o) => [o.orderId, o]));
    expect(byId.get(market.orderId)).toMatchObject({ status: 'FILLED_ALL', fillQty: 100, fillAvgPrice: close });
    expect(byId.get(below.orderId)).toMatchObject({ status: 'CANCELLED_ALL', fillQty: 0 });
    expect(byId.get(below.orderId)!.lastErrMsg).toMatch(/unfilled in the closing auction session/);
  });
});

describe('HK at-auction orders across a restart', () => {
  it('keeps pre-opening orders waiting for their auction across a restart; a cancel-all in the no-cancellation period leaves them', async () => {
    const stateFile = join(dir, 'auction-state.json');
    const first = await sim(hkt(9, 5), stateFile);
    const a = await client(first);
    await a.t.unlock('123456');
    const high = snapToTick('HK', first.market.top(HK)!.last * 1.3, 'down');
    const market = await paced(first, a.t).place(ACC.REAL_HK, { code: HK, side: 'BUY', qty: 100, type: 'AUCTION' });
    const limit = await paced(first, a.t).place(ACC.REAL_HK, { code: HK, side: 'BUY', qty: 100, type: 'AUCTION_LIMIT', price: high });
    await closeAll(...open.splice(0));
    await first.close();
    sims = sims.filter((x) => x !== first);

    const second = await sim(hkt(9, 5), stateFile);
    const trades = recordTrades(second, HK);
    const b = await client(second);
    await b.t.unlock('123456');
    second.advance(11 * MIN); // 09:16
    second.advance(50);
    await b.c.request(PROTO_ID.Trd_ModifyOrder, { header: headerOf(ACC.REAL_HK), orderID: 0n, modifyOrderOp: Trd_Common.ModifyOrderOp.CANCEL, forAll: true });
    expect((await b.t.orders(ACC.REAL_HK)).map((o) => [o.type, o.status])).toEqual([
      ['AUCTION', 'SUBMITTED'],
      ['AUCTION_LIMIT', 'SUBMITTED'],
    ]);
    advanceUntil(second, () => trades.length > 0, 20 * MIN);
    const byId = new Map((await b.t.orders(ACC.REAL_HK)).map((o) => [o.orderId, o]));
    expect(byId.get(market.orderId)).toMatchObject({ status: 'FILLED_ALL', fillAvgPrice: trades[0]!.price });
    expect(byId.get(limit.orderId)).toMatchObject({ status: 'FILLED_ALL', fillAvgPrice: trades[0]!.price });
  });
});

describe('US TWAP / VWAP orders', () => {
  /** The quantity a TWAP order of `qty` may have filled by `time` (its slice schedule). */
  const twapCap = (qty: number, start: number, time: number) => Math.floor((qty * (Math.floor((time - start) / (ALGO_WINDOW_MS / ALGO_SLICES)) + 1)) / ALGO_SLICES);

  it('works a TWAP order in slices over its window: several fills at different times, never ahead of the schedule, total = qty', async () => {
    const s = await sim(et(10, 0));
    const { t } = await client(s);
    await t.unlock('123456');
    const x = paced(s, t);
    const fills = recordFills(s);
    await expectOpenDError(x.place(ACC.REAL_US, { code: US, side: 'BUY', qty: 100, type: 'TWAP_MARKET', timeInForce: 'GTC' }), /GTC is not allowed for TWAP_MARKET/);
    await expectOpenDError(x.place(ACC.REAL_HK, { code: HK, side: 'BUY', qty: 100, type: 'TWAP_MARKET' }), /TWAP_MARKET is not available for HK.00700/);
    const start = s.clock.now() + 50;
    const { orderId } = await x.place(ACC.REAL_US, { code: US, side: 'BUY', qty: 100, type: 'TWAP_MARKET' });
    advanceUntil(s, () => engineOrder(s, ACC.REAL_US, orderId).orderStatus === OrderStatus.FILLED_ALL, ALGO_WINDOW_MS + 5 * MIN);
    const mine = fills.filter((f) => f.orderID === orderId);
    expect(mine.reduce((n, f) => n + f.qty, 0)).toBe(100);
    expect(new Set(mine.map((f) => Math.floor((f.time - start) / (ALGO_WINDOW_MS / ALGO_SLICES)))).size).toBe(ALGO_SLICES); // a fill in every slice
    let cum = 0;
    for (const f of mine) {
      cum += f.qty;
      expect(cum).toBeLessThanOrEqual(twapCap(100, start, f.time));
      expect(f.time).toBeLessThan(start + ALGO_WINDOW_MS);
    }
    const [o] = await t.orders(ACC.REAL_US, { orderIds: [orderId] });
    expect(o).toMatchObject({ type: 'TWAP_MARKET', status: 'FILLED_ALL', fillQty: 100 });
    expect((await t.fills(ACC.REAL_US)).filter((f) => f.orderId === orderId).length).toBe(mine.length);
  });

  it('a TWAP_LIMIT order never fills beyond its limit', async () => {
    const s = await sim(et(10, 0));
    const { t } = await client(s);
    await t.unlock('123456');
    const x = paced(s, t);
    const fills = recordFills(s);
    const limit = snapToTick('US', s.market.top(US)!.last, 'down');
    const { orderId } = await x.place(ACC.REAL_US, { code: US, side: 'BUY', qty: 100, type: 'TWAP_LIMIT', price: limit });
    advanceUntil(s, () => !s.trading.orders(headerOf(ACC.REAL_US)).some((o) => o.orderID === orderId && (o.orderStatus === OrderStatus.SUBMITTED || o.orderStatus === OrderStatus.FILLED_PART)), ALGO_WINDOW_MS + 5 * MIN, 5000);
    const mine = fills.filter((f) => f.orderID === orderId);
    expect(mine.length).toBeGreaterThan(0); // the market came down to the limit at times
    for (const f of mine) expect(toUnits(f.price)).toBeLessThanOrEqual(toUnits(limit));
    const [o] = await t.orders(ACC.REAL_US, { orderIds: [orderId] });
    expect(o!.fillQty).toBe(mine.reduce((n, f) => n + f.qty, 0));
    if (o!.fillQty < 100) expect(o!.lastErrMsg).toMatch(/window ended/);
  });

  it('works a VWAP order in proportion to the market volume', async () => {
    const s = await sim(et(9, 30));
    const { t } = await client(s);
    await t.unlock('123456');
    const x = paced(s, t);
    s.advance(35 * MIN); // volume history for the expected window volume
    const trades = recordTrades(s, US);
    const fills = recordFills(s);
    const start = s.clock.now() + 50;
    const qty = 300;
    const { orderId } = await x.place(ACC.REAL_US, { code: US, side: 'BUY', qty, type: 'VWAP_MARKET' });
    advanceUntil(s, () => s.clock.now() >= start + ALGO_WINDOW_MS + MIN, ALGO_WINDOW_MS + 5 * MIN, 5000);
    const mine = fills.filter((f) => f.orderID === orderId);
    expect(mine.reduce((n, f) => n + f.qty, 0)).toBe(engineOrder(s, ACC.REAL_US, orderId).fillQty);
    expect(mine.length).toBeGreaterThan(5);
    // Per slice, before the order reaches its quantity: filled / market volume is one constant ratio (the
    // order's share of the expected volume), up to a share of lot rounding per slice.
    const sliceMs = ALGO_WINDOW_MS / ALGO_SLICES;
    const slice = (time: number) => Math.floor((time - start) / sliceMs);
    const rows: { vol: number; filled: number }[] = [];
    let cum = 0;
    for (let k = 0; k < ALGO_SLICES - 1; k++) {
      const filled = mine.filter((f) => slice(f.time) === k).reduce((n, f) => n + f.qty, 0);
      cum += filled;
      if (cum >= qty) break;
      rows.push({ vol: trades.filter((tr) => tr.time >= start && slice(tr.time) === k).reduce((n, tr) => n + tr.volume, 0), filled });
    }
    expect(rows.length).toBeGreaterThanOrEqual(3);
    const ratio = rows.reduce((n, r) => n + r.filled, 0) / rows.reduce((n, r) => n + r.vol, 0);
    expect(ratio).toBeGreaterThan(0);
    for (const r of rows) expect(Math.abs(r.filled - r.vol * ratio)).toBeLessThanOrEqual(2);
    // Not time slicing in disguise: the busiest slice takes more than the quietest (the market is seeded, so the
    // volumes are the same every run and differ by more than 10 %).
    const busiest = rows.reduce((m, r) => (r.vol > m.vol ? r : m));
    const quietest = rows.reduce((m, r) => (r.vol < m.vol ? r : m));
    expect(busiest.vol).toBeGreaterThan(quietest.vol * 1.1);
    expect(busiest.filled).toBeGreaterThan(quietest.filled);
  });

  it('cancel mid-way stops the remaining slices', async () => {
    const s = await sim(et(10, 0));
    const { t } = await client(s);
    await t.unlock('123456');
    const x = paced(s, t);
    const fills = recordFills(s);
    const { orderId } = await x.place(ACC.REAL_US, { code: US, side: 'BUY', qty: 100, type: 'TWAP_MARKET' });
    s.advance(10 * MIN);
    await x.cancel(ACC.REAL_US, orderId);
    const filled = engineOrder(s, ACC.REAL_US, orderId).fillQty ?? 0;
    expect(filled).toBeGreaterThan(0);
    expect(filled).toBeLessThan(100);
    const seen = fills.length;
    s.advance(25 * MIN);
    expect(fills.length).toBe(seen);
    const [o] = await t.orders(ACC.REAL_US, { orderIds: [orderId] });
    expect(o).toMatchObject({ status: 'CANCELLED_PART', fillQty: filled });
  });

  it('a restart from the state file keeps a TWAP order working on its schedule', async () => {
    const stateFile = join(dir, 'twap-state.json');
    const first = await sim(et(10, 0), stateFile);
    const a = await client(first);
    await a.t.unlock('123456');
    const start = first.clock.now() + 50;
    const { orderId } = await paced(first, a.t).place(ACC.REAL_US, { code: US, side: 'BUY', qty: 100, type: 'TWAP_MARKET' });
    first.advance(10 * MIN);
    const before = engineOrder(first, ACC.REAL_US, orderId).fillQty ?? 0;
    expect(before).toBeGreaterThan(0);
    expect(before).toBeLessThan(100);
    await closeAll(...open.splice(0));
    await first.close();
    sims = sims.filter((x) => x !== first);

    const second = await sim(et(10, 0), stateFile);
    const fills = recordFills(second);
    const b = await client(second);
    const [o] = await b.t.orders(ACC.REAL_US, { orderIds: [orderId] });
    expect(o).toMatchObject({ type: 'TWAP_MARKET', status: 'FILLED_PART', fillQty: before });
    advanceUntil(second, () => engineOrder(second, ACC.REAL_US, orderId).fillQty === 100, ALGO_WINDOW_MS);
    let cum = before;
    for (const f of fills.filter((x) => x.orderID === orderId)) {
      cum += f.qty;
      expect(cum).toBeLessThanOrEqual(twapCap(100, start, f.time));
      expect(f.time).toBeLessThan(start + ALGO_WINDOW_MS);
    }
    expect(cum).toBe(100);
  });
});
