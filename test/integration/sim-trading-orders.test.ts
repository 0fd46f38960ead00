// The simulator's trading side over real TCP with the real OpenDClient / TradeApi: the order lifecycle (place,
// modify, partial fills, cancel, lot and tick checks), paper-trading vs real-account rules with unlock and
// Trd_UpdateOrderFill pushes, Trd_SubAccPush routing, and the wire order of replies and pushes.
// (Frequency and connection limits: sim-trading-limits.test.ts; encryption, packetID replay protection and
// the login challenge: sim-trading-sessions.test.ts.)
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Simulator } from '../../gateway-container/simulator/index.js';
import { encodeFrame } from '../../proto/frame.js';
import * as Trd_Common from '../../proto/generated/Trd_Common.js';
import type * as Trd_UpdateOrderFill from '../../proto/generated/Trd_UpdateOrderFill.js';
import { requestCodec, PROTO_ID } from '../../proto/registry.js';
import { ACC, barrier, closeAll, expectOpenDError, pushesOf, RawClient, startTestSimulator, type RecordingClient } from './sim-helpers.js';
import { client, open, orderPushes, placeC2S, restingBuy } from './sim-trading-support.js';

const { OrderStatus, TrdSide, TrdSecMarket } = Trd_Common;

afterEach(async () => {
  await closeAll(...open.splice(0));
});

/** Rounds to a multiple of `tick` (HK 200–500: 0.2; US: 0.01) without float dust. */
const onTick = (price: number, tick: number) => Math.round(Math.round(price / tick) * tick * 1000) / 1000;

function top(sim: Simulator, key: string) {
  const t = sim.market.top(key);
  if (!t) throw new Error(`no book for ${key}`);
  return t;
}

function fillPushes(c: RecordingClient): Trd_UpdateOrderFill.S2C[] {
  return pushesOf(c, PROTO_ID.Trd_UpdateOrderFill).map((p) => p.s2c as Trd_UpdateOrderFill.S2C);
}

// --------------------------------------------------------------------------------- orders and pushes

describe('order lifecycle', () => {
  let sim: Simulator;
  beforeEach(async () => {
    sim = await startTestSimulator();
    sim.advance(1_000);
  });
  afterEach(async () => {
    await closeAll(...open.splice(0));
    await sim.close();
  });

  it('takes a paper order from SUBMITTING through a modify to FILLED_ALL, with Trd_UpdateOrder pushes, position and cash', async () => {
    const { c, t } = await client(sim);
    await t.subscribeAccountPushes([ACC.SIM_HK.accId]);
    const cashBefore = (await t.funds(ACC.SIM_HK)).cash;
    const below = onTick(top(sim, 'HK.00700').bid - 10, 0.2);
    const { orderId, orderIdEx } = await t.placeOrder(ACC.SIM_HK, { code: 'HK.00700', side: 'BUY', qty: 100, price: below, remark: 'lifecycle' });
    expect(orderIdEx).toMatch(/^FTS20250115_/);
    await barrier(c);
    expect(orderPushes(c).map((o) => [o.orderId, o.status])).toEqual([
      [orderId, 'SUBMITTING'],
      [orderId, 'SUBMITTED'],
    ]);

    sim.advance(1_000);
    const book = top(sim, 'HK.00700');
    expect(book.askVol).toBeGreaterThanOrEqual(100);
    const limit = onTick(book.ask + 1, 0.2);
    await t.modifyOrder(ACC.SIM_HK, orderId, { price: limit });
    await barrier(c);
    const pushes = orderPushes(c);
    expect(pushes.map((o) => o.status)).toEqual(['SUBMITTING', 'SUBMITTED', 'SUBMITTED', 'FILLED_ALL']);
    expect(pushes[2]!.price).toBe(limit);
    const filled = pushes[3]!;
    expect(filled).toMatchObject({ orderId, code: 'HK.00700', side: 'BUY', type: 'NORMAL', qty: 100, fillQty: 100, remark: 'lifecycle', env: 'SIMULATE' });
    expect(filled.fillAvgPrice).toBe(book.ask); // filled at the best ask, within the limit

    const [listed] = await t.orders(ACC.SIM_HK, { orderIds: [orderId] });
    expect(listed).toMatchObject({ status: 'FILLED_ALL', fillQty: 100, fillAvgPrice: book.ask });
    const [pos] = await t.positions(ACC.SIM_HK, { codes: ['HK.00700'] });
    expect(pos).toMatchObject({ code: 'HK.00700', qty: 100 });
    expect((await t.funds(ACC.SIM_HK)).cash).toBeCloseTo(cashBefore - 100 * book.ask, 3);
    // A filled order cannot be cancelled.
    sim.advance(100);
    await expectOpenDError(t.cancelOrder(ACC.SIM_HK, orderId), /already FILLED_ALL and cannot be cancelled/);
  });

  it('fills an order bigger than the book in parts as the market trades, up to FILLED_ALL', async () => {
    const { c, t } = await client(sim);
    await t.subscribeAccountPushes([ACC.SIM_HK.accId]);
    const book = top(sim, 'HK.00700');
    const qty = book.askVol + 1_500;
    const { orderId } = await t.placeOrder(ACC.SIM_HK, { code: 'HK.00700', side: 'BUY', qty, price: onTick(book.ask + 4, 0.2) });
    await barrier(c);
    const first = orderPushes(c).at(-1)!;
    expect(first.status).toBe('FILLED_PART');
    expect(first.fillQty).toBe(book.askVol); // everything the book offered, nothing more

    let last = first;
    for (let i = 0; i < 60 && last.status !== 'FILLED_ALL'; i++) {
      sim.advance(1_000);
      await barrier(c);
      last = orderPushes(c).at(-1)!;
    }
    expect(last.status).toBe('FILLED_ALL');
    expect(last.fillQty).toBe(qty);
    const states = orderPushes(c).map((o) => o.status);
    expect(states.filter((s) => s === 'FILLED_PART').length).toBeGreaterThanOrEqual(2);
    // fillQty only grows, one whole lot at least per push.
    const fills = orderPushes(c).map((o) => o.fillQty);
    for (let i = 1; i < fills.length; i++) expect(fills[i]!).toBeGreaterThanOrEqual(fills[i - 1]!);
    expect(fills.every((f) => f % 100 === 0)).toBe(true);
    expect((await t.orders(ACC.SIM_HK, { orderIds: [orderId] }))[0]!.status).toBe('FILLED_ALL');
  });

  it('cancels a resting order (CANCELLED_ALL) and a partly filled one (CANCELLED_PART)', async () => {
    const { c, t } = await client(sim);
    await t.subscribeAccountPushes([ACC.SIM_HK.accId]);
    const resting = await t.placeOrder(ACC.SIM_HK, restingBuy);
    sim.advance(100);
    await t.cancelOrder(ACC.SIM_HK, resting.orderId);
    sim.advance(100);
    const book = top(sim, 'HK.00939');
    const partly = await t.placeOrder(ACC.SIM_HK, { code: 'HK.00939', side: 'BUY', qty: book.askVol + 50_000, price: book.ask });
    sim.advance(100);
    await t.cancelOrder(ACC.SIM_HK, partly.orderId);
    await barrier(c);

    const byId = (id: bigint) => orderPushes(c).filter((o) => o.orderId === id);
    expect(byId(resting.orderId).map((o) => o.status)).toEqual(['SUBMITTING', 'SUBMITTED', 'CANCELLED_ALL']);
    const p = byId(partly.orderId);
    expect(p.at(-1)).toMatchObject({ status: 'CANCELLED_PART' });
    expect(p.at(-1)!.fillQty).toBeGreaterThanOrEqual(book.askVol);
    expect(p.at(-1)!.fillQty).toBeLessThan(book.askVol + 50_000);
    sim.advance(100);
    await expectOpenDError(t.cancelOrder(ACC.SIM_HK, resting.orderId), /already CANCELLED_ALL/);
  });

  it('rejects a quantity that is not a whole number of lots', async () => {
    const { t } = await client(sim);
    await expectOpenDError(t.placeOrder(ACC.SIM_HK, { ...restingBuy, qty: 150 }), /qty 150 is not a multiple of the lot size 100 for HK\.00700/);
    sim.advance(100);
    await expectOpenDError(t.placeOrder(ACC.SIM_HK, { code: 'HK.00005', side: 'BUY', qty: 100, price: 60 }), /lot size 400 for HK\.00005/);
    expect(await t.orders(ACC.SIM_HK)).toHaveLength(0);
  });

  it('rejects a price off the tick ladder, and snaps it with adjustPrice within adjustSideAndLimit', async () => {
    const { t } = await client(sim);
    await expectOpenDError(
      t.placeOrder(ACC.SIM_HK, { ...restingBuy, price: 300.1 }),
      /price 300\.1 is not on the HK tick ladder \(tick 0\.2 at this price\); valid neighbours 300 and 300\.2; pass adjustPrice/,
    );
    sim.advance(100);
    const up = await t.placeOrder(ACC.SIM_HK, { ...restingBuy, price: 300.1, adjustPriceLimit: 0.01 });
    sim.advance(100);
    const down = await t.placeOrder(ACC.SIM_HK, { ...restingBuy, price: 300.1, adjustPriceLimit: -0.01 });
    sim.advance(100);
    await expectOpenDError(t.placeOrder(ACC.SIM_HK, { ...restingBuy, price: 300.1, adjustPriceLimit: 0.0001 }), /beyond adjustSideAndLimit 0\.0001/);
    const orders = await t.orders(ACC.SIM_HK, { orderIds: [up.orderId, down.orderId] });
    expect(Object.fromEntries(orders.map((o) => [String(o.orderId), o.price]))).toEqual({ [String(up.orderId)]: 300.2, [String(down.orderId)]: 300 });
  });

  it('sends no fills and no Trd_UpdateOrderFill for paper accounts', async () => {
    const { c, t } = await client(sim);
    await t.subscribeAccountPushes([ACC.SIM_HK.accId]);
    const book = top(sim, 'HK.00700');
    const { orderId } = await t.placeOrder(ACC.SIM_HK, { code: 'HK.00700', side: 'BUY', qty: 100, price: book.ask });
    sim.advance(5_000);
    await barrier(c);
    expect(orderPushes(c).at(-1)).toMatchObject({ orderId, status: 'FILLED_ALL' });
    expect(pushesOf(c, PROTO_ID.Trd_UpdateOrderFill)).toHaveLength(0);
    await expectOpenDError(t.fills(ACC.SIM_HK), /simulated trading does not support fill queries/);
    await expectOpenDError(t.historyFills(ACC.SIM_HK, { from: '2025-01-01', to: '2025-01-31' }), /does not support fill queries/);
  });

  it('refuses REAL orders until trading is unlocked (OpenD-wide), then fills them with Trd_UpdateOrderFill pushes', async () => {
    const a = await client(sim);
    const b = await client(sim);
    await b.t.subscribeAccountPushes([ACC.REAL_HK.accId]);
    await expectOpenDError(a.t.placeOrder(ACC.REAL_HK, restingBuy), /trade is locked: unlock trading for REAL accounts first/);
    await expectOpenDError(a.t.unlock('654321'), /unlock failed: wrong trade password/);
    await a.t.unlock('123456');

    // Unlocked on connection a, placed from connection b: unlock is OpenD-wide.
    sim.advance(100);
    const book = top(sim, 'HK.00700');
    const { orderId, orderIdEx } = await b.t.placeOrder(ACC.REAL_HK, { code: 'HK.00700', side: 'BUY', qty: 100, price: book.ask });
    expect(orderIdEx).toMatch(/^FTR/);
    await barrier(b.c);
    expect(orderPushes(b.c).map((o) => o.status)).toEqual(['SUBMITTING', 'SUBMITTED', 'FILLED_ALL']);
    const fills = fillPushes(b.c);
    expect(fills).toHaveLength(1);
    expect(fills[0]!.header.accID).toBe(ACC.REAL_HK.accId);
    expect(fills[0]!.orderFill).toMatchObject({ orderID: orderId, code: '00700', qty: 100, price: book.ask, trdSide: TrdSide.BUY, status: Trd_Common.OrderFillStatus.OK });
    expect(fills[0]!.orderFill.fillID).toBeGreaterThan(2n ** 53n);

    const listed = await b.t.fills(ACC.REAL_HK);
    expect(listed.map((f) => [f.fillId, f.orderId, f.qty, f.code])).toEqual([[fills[0]!.orderFill.fillID, orderId, 100, 'HK.00700']]);
    expect(await b.t.historyFills(ACC.REAL_HK, { from: '2025-01-15 00:00:00', to: '2025-01-15 23:59:59' })).toHaveLength(1);

    await a.t.lock();
    sim.advance(100);
    await expectOpenDError(b.t.placeOrder(ACC.REAL_HK, restingBuy), /trade is locked/);
  });

  it('routes order pushes only to connections that registered the account with Trd_SubAccPush; a new list replaces the old', async () => {
    const watcher = await client(sim);
    const trader = await client(sim);
    const usWatcher = await client(sim);
    await watcher.t.subscribeAccountPushes([ACC.SIM_HK.accId]);
    await usWatcher.t.subscribeAccountPushes([ACC.SIM_US.accId]);

    const hk1 = await trader.t.placeOrder(ACC.SIM_HK, restingBuy);
    await Promise.all([barrier(watcher.c), barrier(trader.c), barrier(usWatcher.c)]);
    expect(orderPushes(watcher.c).map((o) => o.orderId)).toEqual([hk1.orderId, hk1.orderId]);
    expect(trader.c.recorded).toHaveLength(0); // placing an order does not register its connection
    expect(usWatcher.c.recorded).toHaveLength(0);

    await watcher.t.subscribeAccountPushes([ACC.SIM_US.accId]); // replaces [SIM_HK]
    sim.advance(100);
    const hk2 = await trader.t.placeOrder(ACC.SIM_HK, restingBuy);
    const us1 = await trader.t.placeOrder(ACC.SIM_US, { code: 'US.AAPL', side: 'BUY', qty: 1, price: 100 });
    await Promise.all([barrier(watcher.c), barrier(usWatcher.c)]);
    const seen = orderPushes(watcher.c).map((o) => o.orderId);
    expect(seen).not.toContain(hk2.orderId);
    expect(seen.filter((id) => id === us1.orderId)).toHaveLength(2);
    expect(orderPushes(usWatcher.c).map((o) => o.orderId)).toEqual([us1.orderId, us1.orderId]);

    await expectOpenDError(watcher.t.subscribeAccountPushes([123n]), /unknown account\(s\) 123/);
    // An empty list unregisters everything.
    await watcher.t.subscribeAccountPushes([]);
    sim.advance(100);
    await trader.t.placeOrder(ACC.SIM_US, { code: 'US.AAPL', side: 'BUY', qty: 1, price: 100 });
    const count = watcher.c.recorded.length;
    await barrier(watcher.c);
    expect(watcher.c.recorded).toHaveLength(count);
  });
});

describe('wire order of the PlaceOrder reply and its pushes', () => {
  async function placeMarketable(sim: Simulator): Promise<number[]> {
    const raw = await RawClient.open(sim.host, sim.port);
    try {
      await raw.initConnect();
      raw.send(PROTO_ID.Trd_SubAccPush, { accIDList: [ACC.SIM_HK.accId] });
      await raw.waitForFrames(2);
      const book = top(sim, 'HK.00700');
      expect(book.askVol).toBeGreaterThanOrEqual(100);
      const serialNo = raw.nextSerial();
      raw.send(PROTO_ID.Trd_PlaceOrder, placeC2S(ACC.SIM_HK, { code: '00700', secMarket: TrdSecMarket.HK, qty: 100, price: book.ask, packetID: { connID: raw.connId, serialNo } }), serialNo);
      const frames = (await raw.waitForFrames(6)).slice(2);
      expect(frames).toHaveLength(4);
      const reply = frames.find((f) => f.protoId === PROTO_ID.Trd_PlaceOrder)!;
      expect(reply.serialNo).toBe(serialNo);
      expect(reply.rsp!.retType).toBe(0);
      const statuses = frames.filter((f) => f.protoId === PROTO_ID.Trd_UpdateOrder).map((f) => f.rsp!.s2c.order.orderStatus);
      expect(statuses).toEqual([OrderStatus.SUBMITTING, OrderStatus.SUBMITTED, OrderStatus.FILLED_ALL]);
      return frames.map((f) => f.protoId);
    } finally {
      raw.destroy();
    }
  }

  it('sends the reply before the pushes by default', async () => {
    const sim = await startTestSimulator();
    try {
      sim.advance(1_000);
      expect(await placeMarketable(sim)).toEqual([PROTO_ID.Trd_PlaceOrder, PROTO_ID.Trd_UpdateOrder, PROTO_ID.Trd_UpdateOrder, PROTO_ID.Trd_UpdateOrder]);
    } finally {
      await sim.close();
    }
  });

  it('answers pipelined requests in request order, a refused PlaceOrder included', async () => {
    const sim = await startTestSimulator();
    const raw = await RawClient.open(sim.host, sim.port);
    try {
      await raw.initConnect();
      const bad = placeC2S(ACC.SIM_HK, { code: '00700', secMarket: TrdSecMarket.HK, qty: 150, price: 300, packetID: { connID: raw.connId, serialNo: 10 } });
      const good = placeC2S(ACC.SIM_US, { code: 'AAPL', secMarket: TrdSecMarket.US, qty: 1, price: 100, packetID: { connID: raw.connId, serialNo: 11 } });
      // One TCP write carrying four requests.
      const frames = [
        encodeFrame({ protoId: PROTO_ID.Trd_PlaceOrder, serialNo: 10 }, requestCodec(PROTO_ID.Trd_PlaceOrder).encode({ c2s: bad }).finish()),
        encodeFrame({ protoId: PROTO_ID.KeepAlive, serialNo: 20 }, requestCodec(PROTO_ID.KeepAlive).encode({ c2s: { time: 0n } }).finish()),
        encodeFrame({ protoId: PROTO_ID.Trd_PlaceOrder, serialNo: 11 }, requestCodec(PROTO_ID.Trd_PlaceOrder).encode({ c2s: good }).finish()),
        encodeFrame({ protoId: PROTO_ID.GetGlobalState, serialNo: 21 }, requestCodec(PROTO_ID.GetGlobalState).encode({ c2s: { userID: 0n } }).finish()),
      ];
      raw.write(Buffer.concat(frames));
      const replies = (await raw.waitForFrames(5)).slice(1);
      expect(replies.map((f) => [f.protoId, f.serialNo, f.rsp!.retType])).toEqual([
        [PROTO_ID.Trd_PlaceOrder, 10, -1],
        [PROTO_ID.KeepAlive, 20, 0],
        [PROTO_ID.Trd_PlaceOrder, 11, 0],
        [PROTO_ID.GetGlobalState, 21, 0],
      ]);
      expect(replies[0]!.rsp!.retMsg).toMatch(/not a multiple of the lot size/);
    } finally {
      raw.destroy();
      await sim.close();
    }
  });

  it('sends the pushes before the reply with pushBeforeReply', async () => {
    const sim = await startTestSimulator({ pushBeforeReply: true });
    try {
      sim.advance(1_000);
      expect(await placeMarketable(sim)).toEqual([PROTO_ID.Trd_UpdateOrder, PROTO_ID.Trd_UpdateOrder, PROTO_ID.Trd_UpdateOrder, PROTO_ID.Trd_PlaceOrder]);
    } finally {
      await sim.close();
    }
  });
});
