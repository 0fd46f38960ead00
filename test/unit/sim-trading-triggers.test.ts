// The paper-trading engine's conditional orders, trade by trade on a fake market: which side of the trigger
// each type waits on, trailing water marks for sells and buys by amount and by ratio, the limit a trailing
// stop limit gets on its trigger, the reservation a trailing buy holds, and a modified trail keeping its mark.
import { beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_TRADE_PASSWORD_MD5, type TradingEngine } from '../../gateway-container/simulator/trading/engine.js';
import * as Trd_Common from '../../proto/generated/Trd_Common.js';
import { expectTradingError, FakeMarket, modifyReq, newEngine, placeReq, REAL_US, recordedStatuses, todaysOrder, type Recorded } from './sim-trading-support.js';

const { OrderStatus, OrderType, TrailType, TrdSide, ModifyOrderOp } = Trd_Common;

let market: FakeMarket;
let engine: TradingEngine;
let rec: Recorded;

beforeEach(() => {
  ({ market, engine, rec } = newEngine());
  engine.unlock(true, DEFAULT_TRADE_PASSWORD_MD5);
});

const order = (id: bigint) => todaysOrder(engine, REAL_US, id);
/** A trade of AAPL with plenty on both sides of the book at the trade price. */
const trade = (price: number) => market.print('US.AAPL', price, 100, { bid: price, ask: price, bidVol: 1_000, askVol: 1_000 });

describe('fixed triggers', () => {
  it('triggers a sell stop at or below auxPrice, and a sell limit-if-touched at or above it', () => {
    const stop = engine.placeOrder(placeReq(REAL_US, { trdSide: TrdSide.SELL, orderType: OrderType.STOP, qty: 10, auxPrice: 149 }));
    const lit = engine.placeOrder(placeReq(REAL_US, { trdSide: TrdSide.SELL, orderType: OrderType.LIMITIF_TOUCHED, qty: 10, auxPrice: 151, price: 150.9 }));
    trade(149.5);
    trade(150.5);
    expect([order(stop.orderID).orderStatus, order(lit.orderID).orderStatus]).toEqual([OrderStatus.WAITING_SUBMIT, OrderStatus.WAITING_SUBMIT]);
    trade(151);
    expect(order(lit.orderID)).toMatchObject({ orderStatus: OrderStatus.FILLED_ALL, fillAvgPrice: 151 });
    expect(order(stop.orderID).orderStatus).toBe(OrderStatus.WAITING_SUBMIT);
    trade(149);
    expect(order(stop.orderID)).toMatchObject({ orderStatus: OrderStatus.FILLED_ALL, fillAvgPrice: 149 });
    expect(recordedStatuses(rec, stop.orderID)).toEqual([OrderStatus.WAITING_SUBMIT, OrderStatus.SUBMITTED, OrderStatus.FILLED_ALL]);
  });

  it('after its trigger, works a stop limit as a limit order at its price', () => {
    const { orderID } = engine.placeOrder(placeReq(REAL_US, { orderType: OrderType.STOP_LIMIT, qty: 10, auxPrice: 151, price: 151.5 }));
    market.print('US.AAPL', 151, 1, { ask: 152, askVol: 1_000 }); // triggers; 1 share fills at the trade, the ask is above the limit
    expect(order(orderID)).toMatchObject({ orderStatus: OrderStatus.FILLED_PART, fillQty: 1 });
    trade(151.5);
    expect(order(orderID)).toMatchObject({ orderStatus: OrderStatus.FILLED_ALL, fillQty: 10 });
  });
});

describe('trailing orders', () => {
  it('trails a sell stop by amount under the highest trade since placement', () => {
    const { orderID } = engine.placeOrder(placeReq(REAL_US, { trdSide: TrdSide.SELL, orderType: OrderType.TRAILING_STOP, qty: 10, trailType: TrailType.AMOUNT, trailValue: 2 }));
    trade(151); // mark 151, trigger 149
    trade(153); // mark 153, trigger 151
    trade(151.01);
    expect(order(orderID).orderStatus).toBe(OrderStatus.WAITING_SUBMIT);
    trade(151);
    expect(order(orderID)).toMatchObject({ orderStatus: OrderStatus.FILLED_ALL, fillAvgPrice: 151, trailType: TrailType.AMOUNT, trailValue: 2 });
  });

  it('trails a buy stop by ratio (percent) over the lowest trade since placement', () => {
    const { orderID } = engine.placeOrder(placeReq(REAL_US, { orderType: OrderType.TRAILING_STOP, qty: 10, trailType: TrailType.RATIO, trailValue: 10 }));
    trade(100); // mark 100, trigger 110
    trade(109.99);
    expect(order(orderID).orderStatus).toBe(OrderStatus.WAITING_SUBMIT);
    trade(90); // mark 90, trigger 99
    trade(99);
    expect(order(orderID)).toMatchObject({ orderStatus: OrderStatus.FILLED_ALL, fillAvgPrice: 99 });
  });

  it('gives a sell trailing stop limit the limit trigger - trailSpread, on the tick ladder', () => {
    const { orderID } = engine.placeOrder(
      placeReq(REAL_US, { trdSide: TrdSide.SELL, orderType: OrderType.TRAILING_STOP_LIMIT, qty: 10, trailType: TrailType.RATIO, trailValue: 1, trailSpread: 0.333 }),
    );
    trade(150); // mark 150, trigger 148.5
    market.print('US.AAPL', 148.5, 0, { bid: 140, bidVol: 1_000 }); // triggers: limit 148.5 - 0.333 = 148.167 -> 148.16
    expect(order(orderID)).toMatchObject({ orderStatus: OrderStatus.SUBMITTED, price: 148.16, fillQty: 0 });
  });

  it('keeps the water mark when the trail is modified, and refuses a new trail after the trigger', () => {
    const { orderID } = engine.placeOrder(placeReq(REAL_US, { orderType: OrderType.TRAILING_STOP, qty: 10, trailType: TrailType.AMOUNT, trailValue: 5 }));
    trade(140); // mark 140, trigger 145
    engine.modifyOrder(modifyReq(REAL_US, orderID, ModifyOrderOp.NORMAL, { trailValue: 1 })); // trigger 141
    expect(order(orderID)).toMatchObject({ orderStatus: OrderStatus.WAITING_SUBMIT, trailValue: 1 });
    trade(141);
    expect(order(orderID).orderStatus).toBe(OrderStatus.FILLED_ALL);
    expectTradingError(() => engine.modifyOrder(modifyReq(REAL_US, orderID, ModifyOrderOp.NORMAL, { trailValue: 2 })), /already FILLED_ALL and cannot be modified/);
  });

  it('reserves buying power at the trailing buy trigger plus spread', () => {
    const before = engine.funds(REAL_US).power;
    engine.placeOrder(placeReq(REAL_US, { orderType: OrderType.TRAILING_STOP_LIMIT, qty: 100, trailType: TrailType.AMOUNT, trailValue: 5, trailSpread: 1 }));
    // Last trade 150: trigger 155, limit at most 156, so 100 shares hold up to 15,600 of buying power, plus the
    // order's estimated fees (commission 0.99 + platform 1.00 + settlement 0.30).
    expect(before - engine.funds(REAL_US).power).toBeCloseTo(15_602.29, 6);
  });

  it('refuses a trail on a fixed-trigger order and auxPrice on a trailing one', () => {
    expectTradingError(() => engine.placeOrder(placeReq(REAL_US, { orderType: OrderType.STOP, qty: 1, auxPrice: 151, trailType: TrailType.AMOUNT, trailValue: 1 })), /trailType \/ trailValue are only for TRAILING_STOP/);
    expectTradingError(() => engine.placeOrder(placeReq(REAL_US, { orderType: OrderType.TRAILING_STOP, qty: 1, auxPrice: 151, trailType: TrailType.AMOUNT, trailValue: 1 })), /auxPrice is only for STOP/);
    expectTradingError(() => engine.placeOrder(placeReq(REAL_US, { orderType: OrderType.TRAILING_STOP, qty: 1, trailType: TrailType.RATIO, trailValue: 120 })), /RATIO trail is a percentage from 0.01 to 99/);
  });
});
