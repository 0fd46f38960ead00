// The simulator's order types and time in force over real TCP with the real OpenDClient / TradeApi: which
// types each market and environment takes (and the errors naming what a type needs), stop and trailing stop
// orders waiting as WAITING_SUBMIT and triggering on the first market trade that crosses their trigger (checked
// trade by trade against the simulated market's own trades), modify and cancel of an untriggered order, DAY vs
// GTC across a day boundary, and an untriggered stop surviving a restart from the state file.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Simulator } from '../../gateway-container/simulator/index.js';
import type { MarketTrade } from '../../gateway-container/simulator/market-view.js';
import { headerOf, type TradeApi } from '../../proto/api/trading.js';
import * as Trd_Common from '../../proto/generated/Trd_Common.js';
import { snapToTick, toUnits } from '../../proto/ticks.js';
import { PROTO_ID } from '../../proto/registry.js';
import { ACC, barrier, closeAll, expectOpenDError, startTestSimulator } from './sim-helpers.js';
import { client, open, orderPushes } from './sim-trading-support.js';

const { OrderStatus } = Trd_Common;
const DAY = 24 * 3600 * 1000;
const HK = 'HK.00700';
const TICK = 0.2; // HK.00700 trades between 200 and 500 in these tests

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'sim-order-types-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function last(sim: Simulator, key = HK): number {
  const t = sim.market.top(key);
  if (!t || !(t.last > 0)) throw new Error(`no last trade for ${key}`);
  return t.last;
}

/** Records every market trade of `key` (after the engine saw it: the engine subscribed first). */
function recordTrades(sim: Simulator, key = HK): MarketTrade[] {
  const trades: MarketTrade[] = [];
  sim.market.onTrade((t) => {
    if (t.key === key) trades.push(t);
  });
  return trades;
}

/** Advances virtual time a second at a time until `done()` holds; fails after `maxMs` of virtual time. */
function advanceUntil(sim: Simulator, done: () => boolean, maxMs = 2 * 3600 * 1000): void {
  for (let t = 0; t < maxMs; t += 1000) {
    if (done()) return;
    sim.advance(1000);
  }
  if (!done()) throw new Error(`condition not reached within ${maxMs} ms of virtual time`);
}

/**
 * The TradeApi calls that count against Futu's per-account placement / modify frequency limit (one per
 * 20 ms of virtual time here), each after 50 virtual ms.
 */
function paced(sim: Simulator, t: TradeApi) {
  return {
    place: (...a: Parameters<TradeApi['placeOrder']>) => (sim.advance(50), t.placeOrder(...a)),
    modify: (...a: Parameters<TradeApi['modifyOrder']>) => (sim.advance(50), t.modifyOrder(...a)),
    cancel: (...a: Parameters<TradeApi['cancelOrder']>) => (sim.advance(50), t.cancelOrder(...a)),
  };
}

/** A client with trading unlocked (REAL accounts need it), paced writes and, by default, REAL HK's order pushes. */
async function unlockedRealHk(sim: Simulator, opts: { pushes?: boolean } = {}) {
  const { c, t } = await client(sim);
  await t.unlock('123456');
  if (opts.pushes !== false) await t.subscribeAccountPushes([ACC.REAL_HK.accId]);
  return { c, t, x: paced(sim, t) };
}

describe('order types per market and environment', () => {
  let sim: Simulator;
  beforeEach(async () => {
    sim = await startTestSimulator();
    sim.advance(1_000);
  });
  afterEach(async () => {
    await closeAll(...open.splice(0));
    await sim.close();
  });

  it('takes every conditional type on a REAL HK account, untriggered orders waiting as WAITING_SUBMIT', async () => {
    const { c, t, x } = await unlockedRealHk(sim);
    const p = last(sim);
    const above = snapToTick('HK', p + 20, 'up');
    const below = snapToTick('HK', p - 20, 'down');
    const base = { code: HK, side: 'BUY', qty: 100 } as const;
    const ids = [
      await x.place(ACC.REAL_HK, { ...base, type: 'STOP', auxPrice: above }),
      await x.place(ACC.REAL_HK, { ...base, type: 'STOP_LIMIT', auxPrice: above, price: above }),
      await x.place(ACC.REAL_HK, { ...base, type: 'MARKETIF_TOUCHED', auxPrice: below }),
      await x.place(ACC.REAL_HK, { ...base, type: 'LIMITIF_TOUCHED', auxPrice: below, price: below }),
      await x.place(ACC.REAL_HK, { ...base, type: 'TRAILING_STOP', trailType: 'RATIO', trailValue: 10, timeInForce: 'GTC' }),
      await x.place(ACC.REAL_HK, { ...base, type: 'TRAILING_STOP_LIMIT', trailType: 'AMOUNT', trailValue: 30, trailSpread: 1 }),
    ].map((r) => r.orderId);
    await barrier(c);
    const listed = await t.orders(ACC.REAL_HK, { orderIds: ids });
    expect(listed.map((o) => [o.type, o.status]).sort()).toEqual(
      [
        ['LIMITIF_TOUCHED', 'WAITING_SUBMIT'],
        ['MARKETIF_TOUCHED', 'WAITING_SUBMIT'],
        ['STOP', 'WAITING_SUBMIT'],
        ['STOP_LIMIT', 'WAITING_SUBMIT'],
        ['TRAILING_STOP', 'WAITING_SUBMIT'],
        ['TRAILING_STOP_LIMIT', 'WAITING_SUBMIT'],
      ].sort(),
    );
    expect(listed.find((o) => o.type === 'STOP')).toMatchObject({ auxPrice: above, price: 0 });
    expect(listed.find((o) => o.type === 'TRAILING_STOP')).toMatchObject({ trailType: 'RATIO', trailValue: 10, timeInForce: 'GTC' });
    expect(listed.find((o) => o.type === 'TRAILING_STOP_LIMIT')).toMatchObject({ trailType: 'AMOUNT', trailValue: 30, trailSpread: 1 });
    // One push per untriggered order: WAITING_SUBMIT, no SUBMITTING / SUBMITTED before the trigger.
    expect(orderPushes(c).map((o) => o.status)).toEqual(Array(6).fill('WAITING_SUBMIT'));
  });

  it('refuses what the market or environment does not offer, and names what each type needs', async () => {
    const { c, t, x } = await unlockedRealHk(sim, { pushes: false });
    const p = last(sim);
    const base = { code: HK, side: 'BUY', qty: 100 } as const;
    await expectOpenDError(x.place(ACC.SIM_HK, { ...base, type: 'STOP', auxPrice: p }), /paper trading supports only limit \(NORMAL\) and market \(MARKET\)/);
    await expectOpenDError(x.place(ACC.SIM_HK, { ...base, price: 300, timeInForce: 'GTC' }), /paper trading supports only DAY/);
    await expectOpenDError(x.place(ACC.REAL_US, { code: 'US.AAPL', side: 'BUY', qty: 1, type: 'ABSOLUTE_LIMIT', price: 100 }), /only available for HK securities/);
    await expectOpenDError(x.place(ACC.REAL_HK, { ...base, type: 'AUCTION' }), /AUCTION orders are taken only in HKEX's auction sessions/);
    await expectOpenDError(x.place(ACC.REAL_US, { code: 'US.AAPL', side: 'BUY', qty: 1, type: 'TWAP_MARKET', timeInForce: 'GTC' }), /GTC is not allowed for TWAP_MARKET orders/);
    await expectOpenDError(x.place(ACC.REAL_HK, { ...base, type: 'STOP' }), /STOP needs auxPrice \(the trigger price\) > 0, got none/);
    // TradeApi refuses a missing limit price itself; the simulator says the same to a raw request.
    await expect(x.place(ACC.REAL_HK, { ...base, type: 'STOP_LIMIT', auxPrice: p })).rejects.toThrow(/positive limit price is required for STOP_LIMIT/);
    sim.advance(50);
    const raw = { header: headerOf(ACC.REAL_HK), trdSide: Trd_Common.TrdSide.BUY, orderType: Trd_Common.OrderType.STOP_LIMIT, code: '00700', secMarket: Trd_Common.TrdSecMarket.HK, qty: 100, price: 0, auxPrice: snapToTick('HK', p, 'up') };
    await expectOpenDError(c.request(PROTO_ID.Trd_PlaceOrder, raw), /STOP_LIMIT needs price \(the limit price\) > 0, got 0/);
    await expectOpenDError(x.place(ACC.REAL_HK, { ...base, type: 'TRAILING_STOP', trailValue: 1 }), /TRAILING_STOP needs trailType RATIO or AMOUNT/);
    await expectOpenDError(x.place(ACC.REAL_HK, { ...base, type: 'TRAILING_STOP', trailType: 'AMOUNT' }), /TRAILING_STOP needs trailValue > 0/);
    await expectOpenDError(x.place(ACC.REAL_HK, { ...base, type: 'TRAILING_STOP_LIMIT', trailType: 'AMOUNT', trailValue: 1 }), /TRAILING_STOP_LIMIT needs trailSpread >= 0/);
    await expectOpenDError(x.place(ACC.REAL_HK, { ...base, price: 300, auxPrice: 310 }), /auxPrice is only for STOP, STOP_LIMIT, MARKETIF_TOUCHED and LIMITIF_TOUCHED orders; NORMAL takes none/);
    await expectOpenDError(x.place(ACC.REAL_HK, { ...base, type: 'STOP', auxPrice: snapToTick('HK', p + 20, 'up') + 0.1 }), /auxPrice .* is not on the HK tick ladder/);
    await expectOpenDError(x.place(ACC.REAL_HK, { ...base, type: 'MARKET', timeInForce: 'GTC' }), /GTC is not allowed for MARKET/);
    expect(await t.orders(ACC.REAL_HK)).toEqual([]); // nothing refused was placed
  });
});

describe('triggers', () => {
  let sim: Simulator;
  beforeEach(async () => {
    sim = await startTestSimulator();
    sim.advance(1_000);
  });
  afterEach(async () => {
    await closeAll(...open.splice(0));
    await sim.close();
  });

  it('triggers a buy stop on the first trade at or above auxPrice, then fills it as a market order', async () => {
    const { c, t, x } = await unlockedRealHk(sim);
    const aux = snapToTick('HK', last(sim) + TICK, 'up');
    const trades = recordTrades(sim);
    let seenAtTrigger = -1;
    sim.trading.onOrder((_acc, _h, o) => {
      if (o.orderStatus === OrderStatus.SUBMITTED && seenAtTrigger < 0) seenAtTrigger = trades.length; // triggered
    });
    const { orderId } = await x.place(ACC.REAL_HK, { code: HK, side: 'BUY', qty: 100, type: 'STOP', auxPrice: aux });
    advanceUntil(sim, () => seenAtTrigger >= 0 && trades.length > seenAtTrigger);
    // The engine heard the trigger trade before this recorder: it is trades[seenAtTrigger].
    expect(trades.slice(0, seenAtTrigger).every((x) => toUnits(x.price) < toUnits(aux))).toBe(true);
    expect(toUnits(trades[seenAtTrigger]!.price)).toBeGreaterThanOrEqual(toUnits(aux));
    advanceUntil(sim, () => sim.trading.orders(headerOf(ACC.REAL_HK)).some((o) => o.orderID === orderId && o.orderStatus === OrderStatus.FILLED_ALL));
    await barrier(c);
    const statuses = orderPushes(c).filter((o) => o.orderId === orderId).map((o) => o.status);
    expect(statuses[0]).toBe('WAITING_SUBMIT');
    expect(statuses[1]).toBe('SUBMITTED');
    expect(statuses.at(-1)).toBe('FILLED_ALL');
    const [fill] = await t.fills(ACC.REAL_HK);
    expect(fill).toMatchObject({ orderId, qty: 100 });
  });

  it('trails a buy TRAILING_STOP_LIMIT below the market and triggers at low + trail, as a limit at trigger + spread', async () => {
    const { c, t, x } = await unlockedRealHk(sim);
    const trail = 2 * TICK;
    const spread = TICK;
    let mark = last(sim);
    const trades = recordTrades(sim);
    let seenAtTrigger = -1;
    sim.trading.onOrder((_acc, _h, o) => {
      if (o.orderStatus === OrderStatus.SUBMITTED && seenAtTrigger < 0) seenAtTrigger = trades.length;
    });
    const { orderId } = await x.place(ACC.REAL_HK, { code: HK, side: 'BUY', qty: 100, type: 'TRAILING_STOP_LIMIT', trailType: 'AMOUNT', trailValue: trail, trailSpread: spread });
    advanceUntil(sim, () => seenAtTrigger >= 0 && trades.length > seenAtTrigger);
    // Replay the water mark over the market's own trades: none before the trigger trade reached low + trail.
    for (const x of trades.slice(0, seenAtTrigger)) {
      mark = Math.min(mark, x.price);
      expect(toUnits(x.price)).toBeLessThan(toUnits(mark + trail));
    }
    const hit = trades[seenAtTrigger]!;
    mark = Math.min(mark, hit.price);
    expect(toUnits(hit.price)).toBeGreaterThanOrEqual(toUnits(mark + trail));
    await barrier(c);
    const submitted = orderPushes(c).find((o) => o.orderId === orderId && o.status === 'SUBMITTED');
    expect(submitted?.price).toBe(snapToTick('HK', mark + trail + spread, 'up'));
  });

  it('modifies and cancels an untriggered stop; refuses trail fields on a stop', async () => {
    const { c, t, x } = await unlockedRealHk(sim);
    const far = snapToTick('HK', last(sim) + 40, 'up');
    const { orderId } = await x.place(ACC.REAL_HK, { code: HK, side: 'BUY', qty: 100, type: 'STOP', auxPrice: far });
    await x.modify(ACC.REAL_HK, orderId, { auxPrice: far + 2, qty: 200 });
    await expectOpenDError(x.modify(ACC.REAL_HK, orderId, { trailValue: 1 }), /STOP orders have no trail: trailType \/ trailValue are only for TRAILING_STOP and TRAILING_STOP_LIMIT/);
    const [o] = await t.orders(ACC.REAL_HK, { orderIds: [orderId] });
    expect(o).toMatchObject({ status: 'WAITING_SUBMIT', auxPrice: far + 2, qty: 200 });
    await x.cancel(ACC.REAL_HK, orderId);
    await barrier(c);
    expect(orderPushes(c).map((x) => x.status)).toEqual(['WAITING_SUBMIT', 'WAITING_SUBMIT', 'CANCELLED_ALL']);
  });
});

describe('time in force and restart', () => {
  afterEach(async () => {
    await closeAll(...open.splice(0));
  });

  it('expires a DAY order at the end of its trading day and keeps a GTC order across the day boundary', async () => {
    const sim = await startTestSimulator();
    try {
      sim.advance(1_000);
      const { t } = await client(sim);
      await t.unlock('123456');
      const x = paced(sim, t);
      const day = await x.place(ACC.REAL_HK, { code: HK, side: 'BUY', qty: 100, price: 250, timeInForce: 'DAY' });
      const gtc = await x.place(ACC.REAL_HK, { code: HK, side: 'BUY', qty: 100, type: 'STOP', auxPrice: 480, timeInForce: 'GTC' });
      // Only the clock moves (the trading engine expires orders by it); generating a whole day of market for
      // every security would block this process for a long time on a busy machine.
      sim.clock.advance(DAY);
      const history = await t.historyOrders(ACC.REAL_HK, { from: '2025-01-01 00:00:00', to: '2025-02-01 00:00:00' });
      expect(history.find((o) => o.orderId === day.orderId)).toMatchObject({ status: 'CANCELLED_ALL', lastErrMsg: 'DAY order expired at the end of its trading day' });
      const [still] = await t.orders(ACC.REAL_HK, { orderIds: [gtc.orderId] });
      expect(still).toMatchObject({ status: 'WAITING_SUBMIT', timeInForce: 'GTC', auxPrice: 480 });
    } finally {
      await sim.close();
    }
  });

  it('restores an untriggered stop and a trailing stop from the state file, still working after the restart', async () => {
    const stateFile = join(dir, 'state.json');
    const first = await startTestSimulator({ stateFile });
    first.advance(1_000);
    const a = await client(first);
    await a.t.unlock('123456');
    const xa = paced(first, a.t);
    const stop = await xa.place(ACC.REAL_HK, { code: HK, side: 'BUY', qty: 100, type: 'STOP', auxPrice: 480, timeInForce: 'GTC' });
    const trailing = await xa.place(ACC.REAL_HK, { code: HK, side: 'BUY', qty: 100, type: 'TRAILING_STOP', trailType: 'RATIO', trailValue: 20 });
    await closeAll(...open.splice(0));
    await first.close();

    const second = await startTestSimulator({ stateFile });
    try {
      const b = await client(second);
      await b.t.unlock('123456');
      const xb = paced(second, b.t);
      const listed = await b.t.orders(ACC.REAL_HK, { orderIds: [stop.orderId, trailing.orderId] });
      expect(listed.find((o) => o.orderId === stop.orderId)).toMatchObject({ type: 'STOP', status: 'WAITING_SUBMIT', auxPrice: 480, timeInForce: 'GTC' });
      expect(listed.find((o) => o.orderId === trailing.orderId)).toMatchObject({ type: 'TRAILING_STOP', status: 'WAITING_SUBMIT', trailType: 'RATIO', trailValue: 20 });
      // Still modifiable and cancellable after the restart.
      await xb.modify(ACC.REAL_HK, stop.orderId, { auxPrice: 470 });
      await xb.cancel(ACC.REAL_HK, trailing.orderId);
      const after = await b.t.orders(ACC.REAL_HK, { orderIds: [stop.orderId, trailing.orderId] });
      expect(after.find((o) => o.orderId === stop.orderId)).toMatchObject({ status: 'WAITING_SUBMIT', auxPrice: 470 });
      expect(after.find((o) => o.orderId === trailing.orderId)?.status).toBe('CANCELLED_ALL');
    } finally {
      await second.close();
    }
  });
});
