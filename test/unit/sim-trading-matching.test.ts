// Unit tests of the simulator's paper-trading engine: the order lifecycle and matching (partial fills in
// lots, marketable and market orders, modify and cancel), paper vs REAL fill records and events, and the
// REAL-only order operations. The engine runs against the hand-driven fake market of sim-trading-support.ts,
// so every fill is deterministic. (Accounts and validation: sim-trading-validation.test.ts; funds,
// positions, history and the state file: sim-trading-funds-state.test.ts.)
import { beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_TRADE_PASSWORD_MD5, type TradingEngine } from '../../gateway-container/simulator/trading/engine.js';
import * as Trd_Common from '../../proto/generated/Trd_Common.js';
import {
  expectTradingError,
  modifyReq,
  newEngine,
  placeReq,
  REAL_HK,
  REAL_US,
  recordedStatuses,
  SIM_HK,
  todaysOrder,
  TWO_POW_53,
  type FakeMarket,
  type Recorded,
} from './sim-trading-support.js';

const { OrderStatus, OrderType, TrdSide, TrdMarket, ModifyOrderOp, TimeInForce } = Trd_Common;

let market: FakeMarket;
let engine: TradingEngine;
let rec: Recorded;

const statusesOf = (orderID: bigint) => recordedStatuses(rec, orderID);
const orderOf = (header: Trd_Common.TrdHeader, orderID: bigint) => todaysOrder(engine, header, orderID);

beforeEach(() => {
  ({ market, engine, rec } = newEngine());
});

describe('order lifecycle and matching', () => {
  it('goes SUBMITTING → SUBMITTED → FILLED_PART → FILLED_ALL with an order event for each step', () => {
    const { orderID, orderIDEx } = engine.placeOrder(placeReq(SIM_HK, { qty: 300, price: 380, remark: 'client-1' }));
    expect(statusesOf(orderID)).toEqual([OrderStatus.SUBMITTING, OrderStatus.SUBMITTED]);

    market.print('HK.00700', 380, 100); // at the limit; ask 380.2 stays above it
    market.print('HK.00700', 379.8, 500);

    expect(statusesOf(orderID)).toEqual([OrderStatus.SUBMITTING, OrderStatus.SUBMITTED, OrderStatus.FILLED_PART, OrderStatus.FILLED_ALL]);
    const events = rec.orders.filter((e) => e.order.orderID === orderID);
    const part = events[2]!.order;
    expect(part.fillQty).toBe(100);
    expect(part.fillAvgPrice).toBe(380);
    const last = events[3]!;
    expect(last.accID).toBe(SIM_HK.accID);
    expect(last.header).toEqual(SIM_HK);
    expect(last.order).toMatchObject({
      orderIDEx,
      code: '00700',
      name: 'TENCENT',
      trdSide: TrdSide.BUY,
      orderType: OrderType.NORMAL,
      qty: 300,
      price: 380,
      fillQty: 300,
      remark: 'client-1',
      timeInForce: TimeInForce.DAY,
      lastErrMsg: '',
      secMarket: Trd_Common.TrdSecMarket.HK,
      trdMarket: TrdMarket.HK,
      currency: Trd_Common.Currency.HKD,
    });
    expect(last.order.fillAvgPrice).toBeCloseTo((100 * 380 + 200 * 379.8) / 300, 6);
    expect(last.order.createTime).toBe('2025-01-15 10:00:00.000');
    expect(last.order.updateTime).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{3}$/);
    expect(last.order.createTimestamp).toBe(market.clock.ms / 1000);
    expect(last.order.updateTimestamp).toBe(market.clock.ms / 1000);
    expect(orderOf(SIM_HK, orderID).orderStatus).toBe(OrderStatus.FILLED_ALL);
  });

  it('fills partially in whole lots when the printed volume is smaller than the order', () => {
    const { orderID } = engine.placeOrder(placeReq(SIM_HK, { qty: 500, price: 380 }));
    market.print('HK.00700', 380, 250); // 250 shares → 2 lots
    let o = orderOf(SIM_HK, orderID);
    expect(o.orderStatus).toBe(OrderStatus.FILLED_PART);
    expect(o.fillQty).toBe(200);
    market.print('HK.00700', 380, 50); // less than a lot: nothing
    o = orderOf(SIM_HK, orderID);
    expect(o.fillQty).toBe(200);
    market.print('HK.00700', 381, 10_000); // above the buy limit: nothing
    expect(orderOf(SIM_HK, orderID).fillQty).toBe(200);
  });

  it('fills from the ask when the book crosses the limit, and does not match while the market is closed', () => {
    const { orderID } = engine.placeOrder(placeReq(SIM_HK, { qty: 300, price: 380 }));
    market.trading = false;
    market.print('HK.00700', 379, 10_000, { ask: 379.2, askVol: 10_000 });
    expect(orderOf(SIM_HK, orderID).fillQty).toBe(0);
    market.trading = true;
    market.print('HK.00700', 380.4, 100, { ask: 379.6, askVol: 300 }); // print above the limit, ask below it
    const o = orderOf(SIM_HK, orderID);
    expect(o.orderStatus).toBe(OrderStatus.FILLED_ALL);
    expect(o.fillAvgPrice).toBe(379.6);
  });

  it('fills a marketable limit order at once against the current ask', () => {
    market.setTop('HK.00700', { ask: 380, askVol: 200 });
    const { orderID } = engine.placeOrder(placeReq(SIM_HK, { qty: 300, price: 380.2 }));
    const o = orderOf(SIM_HK, orderID);
    expect(o.fillQty).toBe(200);
    expect(o.fillAvgPrice).toBe(380);
    expect(statusesOf(orderID)).toEqual([OrderStatus.SUBMITTING, OrderStatus.SUBMITTED, OrderStatus.FILLED_PART]);
  });

  it('cancels a partly filled order as CANCELLED_PART and refuses to touch it again', () => {
    const { orderID } = engine.placeOrder(placeReq(SIM_HK, { qty: 300, price: 380 }));
    market.print('HK.00700', 380, 100);
    engine.modifyOrder(modifyReq(SIM_HK, orderID, ModifyOrderOp.CANCEL));
    const o = orderOf(SIM_HK, orderID);
    expect(o.orderStatus).toBe(OrderStatus.CANCELLED_PART);
    expect(o.fillQty).toBe(100);
    expect(statusesOf(orderID).at(-1)).toBe(OrderStatus.CANCELLED_PART);
    market.print('HK.00700', 379, 10_000);
    expect(orderOf(SIM_HK, orderID).fillQty).toBe(100);
    expectTradingError(() => engine.modifyOrder(modifyReq(SIM_HK, orderID, ModifyOrderOp.CANCEL)), 'is already CANCELLED_PART and cannot be cancelled');
    expectTradingError(
      () => engine.modifyOrder(modifyReq(SIM_HK, orderID, ModifyOrderOp.NORMAL, { qty: 400, price: 380 })),
      'is already CANCELLED_PART and cannot be modified',
    );
  });

  it('cancels an unfilled order as CANCELLED_ALL, found by orderIDEx', () => {
    const { orderID, orderIDEx } = engine.placeOrder(placeReq(SIM_HK, { qty: 100, price: 379 }));
    engine.modifyOrder(modifyReq(SIM_HK, 0n, ModifyOrderOp.CANCEL, { orderIDEx }));
    expect(orderOf(SIM_HK, orderID).orderStatus).toBe(OrderStatus.CANCELLED_ALL);
  });

  it('modifies price and quantity with the same validation and refuses a qty at or below the filled qty', () => {
    const { orderID } = engine.placeOrder(placeReq(SIM_HK, { qty: 300, price: 379 }));
    market.print('HK.00700', 379, 100);
    engine.modifyOrder(modifyReq(SIM_HK, orderID, ModifyOrderOp.NORMAL, { qty: 400, price: 378.6 }));
    const o = orderOf(SIM_HK, orderID);
    expect(o).toMatchObject({ qty: 400, price: 378.6, fillQty: 100, orderStatus: OrderStatus.FILLED_PART });
    expectTradingError(
      () => engine.modifyOrder(modifyReq(SIM_HK, orderID, ModifyOrderOp.NORMAL, { qty: 100, price: 378.6 })),
      'qty 100 must be more than the 100 already filled',
    );
    expectTradingError(() => engine.modifyOrder(modifyReq(SIM_HK, orderID, ModifyOrderOp.NORMAL, { qty: 150 })), 'not a multiple of the lot size 100');
    expectTradingError(() => engine.modifyOrder(modifyReq(SIM_HK, orderID, ModifyOrderOp.NORMAL, { price: 378.55 })), 'not on the HK tick ladder');
    expectTradingError(() => engine.modifyOrder(modifyReq(SIM_HK, 42n, ModifyOrderOp.CANCEL)), `order 42 not found in account ${SIM_HK.accID}`);
  });

  it('fills a market order against a thin book and finishes it on later trades', () => {
    market.setTop('HK.00700', { ask: 380.2, askVol: 200 });
    const { orderID } = engine.placeOrder(placeReq(SIM_HK, { orderType: OrderType.MARKET, qty: 500 }));
    let o = orderOf(SIM_HK, orderID);
    expect(o.orderStatus).toBe(OrderStatus.FILLED_PART);
    expect(o.fillQty).toBe(200);
    expect(o.price).toBe(0);
    market.print('HK.00700', 380.4, 1_000, { ask: 380.6, askVol: 1_000 });
    o = orderOf(SIM_HK, orderID);
    expect(o.orderStatus).toBe(OrderStatus.FILLED_ALL);
    expect(o.fillAvgPrice).toBeCloseTo((200 * 380.2 + 300 * 380.4) / 500, 6);
    expect(statusesOf(orderID)).toEqual([OrderStatus.SUBMITTING, OrderStatus.SUBMITTED, OrderStatus.FILLED_PART, OrderStatus.FILLED_ALL]);
  });

  it('rejects a market order while the market is not trading', () => {
    market.trading = false;
    expectTradingError(() => engine.placeOrder(placeReq(SIM_HK, { orderType: OrderType.MARKET })), 'MARKET orders can only be placed during continuous trading');
  });
});

describe('paper trading has no fills; real trading has fill records and events', () => {
  it('fills SIMULATE orders without any fill events, and rejects fill queries', () => {
    const { orderID } = engine.placeOrder(placeReq(SIM_HK, { qty: 200, price: 380 }));
    market.print('HK.00700', 380, 1_000);
    expect(orderOf(SIM_HK, orderID).orderStatus).toBe(OrderStatus.FILLED_ALL);
    expect(engine.positions(SIM_HK)[0]!.qty).toBe(200);
    expect(rec.fills).toHaveLength(0);
    expectTradingError(() => engine.fills(SIM_HK), 'simulated trading does not support fill queries');
    expectTradingError(
      () => engine.historyFills(SIM_HK, { beginTime: '2025-01-01 00:00:00', endTime: '2025-12-31 00:00:00' }),
      'simulated trading does not support fill queries',
    );
  });

  it('emits a fill event per REAL fill with unique 64-bit fill IDs, and lists them', () => {
    engine.unlock(true, DEFAULT_TRADE_PASSWORD_MD5);
    const { orderID, orderIDEx } = engine.placeOrder(placeReq(REAL_HK, { qty: 300, price: 380 }));
    market.print('HK.00700', 380, 100);
    market.print('HK.00700', 379.8, 200);
    expect(rec.fills).toHaveLength(2);
    const [f1, f2] = rec.fills.map((f) => f.fill) as [Trd_Common.OrderFill, Trd_Common.OrderFill];
    expect(f1).toMatchObject({ orderID, orderIDEx, qty: 100, price: 380, code: '00700', status: Trd_Common.OrderFillStatus.OK, trdSide: TrdSide.BUY });
    expect(f2).toMatchObject({ qty: 200, price: 379.8 });
    expect(typeof f1.fillID).toBe('bigint');
    expect(f1.fillID > TWO_POW_53).toBe(true);
    expect(f2.fillID > f1.fillID).toBe(true);
    expect(rec.fills[0]!.header).toEqual(REAL_HK);
    expect(engine.fills(REAL_HK).map((f) => f.fillID)).toEqual([f1.fillID, f2.fillID]);
    expect(engine.fills(REAL_HK, { idList: [f2.fillID] })).toHaveLength(1);
  });
});

describe('REAL-only order operations', () => {
  it('disables, enables and deletes REAL HK orders; paper trading and US refuse those operations', () => {
    engine.unlock(true, DEFAULT_TRADE_PASSWORD_MD5);
    const { orderID } = engine.placeOrder(placeReq(REAL_HK, { qty: 200, price: 380 }));
    engine.modifyOrder(modifyReq(REAL_HK, orderID, ModifyOrderOp.DISABLE));
    expect(orderOf(REAL_HK, orderID).orderStatus).toBe(OrderStatus.DISABLED);
    market.print('HK.00700', 379, 1_000);
    expect(orderOf(REAL_HK, orderID).fillQty).toBe(0);
    engine.modifyOrder(modifyReq(REAL_HK, orderID, ModifyOrderOp.ENABLE));
    expect(orderOf(REAL_HK, orderID).orderStatus).toBe(OrderStatus.SUBMITTED);
    market.print('HK.00700', 380, 100);
    expectTradingError(() => engine.modifyOrder(modifyReq(REAL_HK, orderID, ModifyOrderOp.DELETE)), 'only unfilled orders can be deleted');

    const second = engine.placeOrder(placeReq(REAL_HK, { qty: 100, price: 370 }));
    engine.modifyOrder(modifyReq(REAL_HK, second.orderID, ModifyOrderOp.DELETE));
    expect(orderOf(REAL_HK, second.orderID).orderStatus).toBe(OrderStatus.DELETED);

    const us = engine.placeOrder(placeReq(REAL_US, { qty: 1, price: 140 }));
    expectTradingError(() => engine.modifyOrder(modifyReq(REAL_US, us.orderID, ModifyOrderOp.DISABLE)), 'modifyOrderOp DISABLE is only supported for HK orders');

    const sim = engine.placeOrder(placeReq(SIM_HK, { price: 379 }));
    expectTradingError(
      () => engine.modifyOrder(modifyReq(SIM_HK, sim.orderID, ModifyOrderOp.DISABLE)),
      'paper trading supports only NORMAL (modify) and CANCEL',
    );
  });

  it('cancels all orders with forAll in REAL, but not in paper trading', () => {
    expectTradingError(() => engine.modifyOrder(modifyReq(SIM_HK, 0n, ModifyOrderOp.CANCEL, { forAll: true })), 'simulated trading does not support cancel-all');
    engine.unlock(true, DEFAULT_TRADE_PASSWORD_MD5);
    const a = engine.placeOrder(placeReq(REAL_HK, { price: 379 }));
    const b = engine.placeOrder(placeReq(REAL_HK, { price: 378 }));
    expect(engine.modifyOrder(modifyReq(REAL_HK, 0n, ModifyOrderOp.CANCEL, { forAll: true })).orderID).toBe(0n);
    expect(orderOf(REAL_HK, a.orderID).orderStatus).toBe(OrderStatus.CANCELLED_ALL);
    expect(orderOf(REAL_HK, b.orderID).orderStatus).toBe(OrderStatus.CANCELLED_ALL);
  });

  it('requires unlock to modify or cancel a REAL order', () => {
    engine.unlock(true, DEFAULT_TRADE_PASSWORD_MD5);
    const { orderID } = engine.placeOrder(placeReq(REAL_HK, { price: 379 }));
    engine.unlock(false);
    expectTradingError(() => engine.modifyOrder(modifyReq(REAL_HK, orderID, ModifyOrderOp.CANCEL)), 'trade is locked');
  });
});
