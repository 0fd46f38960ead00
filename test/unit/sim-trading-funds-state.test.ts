// Unit tests of the simulator's paper-trading engine: cash, positions and buying power, order IDs, today's
// orders and history, and the state file (export, restore, incremental encoding). The engine runs against the
// hand-driven fake market of sim-trading-support.ts, so every fill is deterministic. (Accounts and
// validation: sim-trading-validation.test.ts; matching, fills and REAL-only operations:
// sim-trading-matching.test.ts.)
import { beforeEach, describe, expect, it } from 'vitest';
import type { AccountConfig } from '../../gateway-container/simulator/trading/accounts.js';
import { DEFAULT_TRADE_PASSWORD_MD5, TradingEngine } from '../../gateway-container/simulator/trading/engine.js';
import { decodeState, encodeState, StateEncoder, StateFileError } from '../../gateway-container/simulator/trading/state-file.js';
import * as Trd_Common from '../../proto/generated/Trd_Common.js';
import {
  expectTradingError,
  FakeMarket,
  modifyReq,
  newEngine,
  placeReq,
  REAL_HK,
  REAL_US,
  recordedStatuses,
  SIM_HK,
  SIM_US,
  todaysOrder,
  TWO_POW_53,
  type Recorded,
} from './sim-trading-support.js';

const { OrderStatus, OrderType, TrdSide, TrdEnv, TrdMarket, ModifyOrderOp, TimeInForce } = Trd_Common;

let market: FakeMarket;
let engine: TradingEngine;
let rec: Recorded;

function setup(accounts?: AccountConfig[]): void {
  ({ market, engine, rec } = newEngine(accounts));
}

const statusesOf = (orderID: bigint) => recordedStatuses(rec, orderID);
const orderOf = (header: Trd_Common.TrdHeader, orderID: bigint) => todaysOrder(engine, header, orderID);

beforeEach(() => setup());

describe('cash, positions and buying power', () => {
  it('moves cash and position with fills: diluted and average cost, realized P&L after buys and a sell', () => {
    engine.unlock(true, DEFAULT_TRADE_PASSWORD_MD5);
    market.setTop('HK.00700', { ask: 380, askVol: 10_000 });
    engine.placeOrder(placeReq(REAL_HK, { qty: 100, price: 380 }));
    market.setTop('HK.00700', { ask: 386, askVol: 10_000 });
    engine.placeOrder(placeReq(REAL_HK, { qty: 200, price: 386 }));
    market.setTop('HK.00700', { bid: 390, bidVol: 10_000, last: 390 });
    engine.placeOrder(placeReq(REAL_HK, { trdSide: TrdSide.SELL, qty: 100, price: 390 }));

    const [pos] = engine.positions(REAL_HK);
    expect(pos).toBeDefined();
    expect(pos!.qty).toBe(200);
    expect(pos!.canSellQty).toBe(200);
    expect(pos!.positionSide).toBe(Trd_Common.PositionSide.LONG);
    expect(pos!.averageCostPrice).toBeCloseTo((100 * 380 + 200 * 386) / 300, 9); // 384
    expect(pos!.dilutedCostPrice).toBeCloseTo((38_000 + 77_200 - 39_000) / 200, 9); // 381
    expect(pos!.costPrice).toBe(pos!.dilutedCostPrice);
    expect(pos!.price).toBe(390);
    expect(pos!.val).toBe(78_000);
    expect(pos!.plVal).toBe(78_000 - 76_200);
    expect(pos!.realizedPL).toBe((390 - 384) * 100);
    expect(pos!.unrealizedPL).toBe((390 - 384) * 200);
    expect(pos!.plRatio).toBeCloseTo(((390 - 381) / 381) * 100, 9);
    expect(pos!.td_buyQty).toBe(300);
    expect(pos!.td_sellVal).toBe(39_000);
    expect(typeof pos!.positionID).toBe('bigint');
    expect(pos!.positionID > TWO_POW_53).toBe(true);

    const funds = engine.funds(REAL_HK);
    expect(funds.cash).toBe(1_000_000 - 38_000 - 77_200 + 39_000);
    expect(funds.marketVal).toBe(78_000);
    expect(funds.totalAssets).toBe(923_800 + 78_000);
    expect(funds.frozenCash).toBe(0);
    expect(funds.currency).toBe(Trd_Common.Currency.HKD);
    expect(funds.realizedPL).toBe(600);
  });

  it('reports the diluted cost but no average cost for paper-trading positions', () => {
    market.setTop('HK.00700', { ask: 380, askVol: 10_000 });
    engine.placeOrder(placeReq(SIM_HK, { qty: 100, price: 380 }));
    const [pos] = engine.positions(SIM_HK);
    expect(pos!.costPrice).toBe(380);
    expect(pos!.averageCostPrice).toBeUndefined();
    expect(engine.funds(SIM_HK).cash).toBe(962_000);
  });

  it('rejects a buy beyond the cash of a cash account, counting cash frozen by open orders', () => {
    expectTradingError(
      () => engine.placeOrder(placeReq(SIM_HK, { qty: 3_000, price: 380 })),
      'insufficient cash: need 1,140,000.00 HKD, available 1,000,000.00 HKD',
    );
    engine.placeOrder(placeReq(SIM_HK, { qty: 2_000, price: 380 }));
    const funds = engine.funds(SIM_HK);
    expect(funds.frozenCash).toBe(760_000);
    expect(funds.power).toBe(240_000);
    expectTradingError(
      () => engine.placeOrder(placeReq(SIM_HK, { qty: 1_000, price: 380 })),
      'insufficient cash: need 380,000.00 HKD, available 240,000.00 HKD (760,000.00 HKD is frozen by open buy orders)',
    );
  });

  it('rejects selling more than the sellable position, and short selling outside US', () => {
    expectTradingError(
      () => engine.placeOrder(placeReq(SIM_HK, { trdSide: TrdSide.SELL, price: 380 })),
      'insufficient position to sell: holding 0 of HK.00700, order qty 100; short selling is only allowed for US securities in paper trading',
    );
    market.setTop('HK.00700', { ask: 380, askVol: 10_000 });
    engine.placeOrder(placeReq(SIM_HK, { qty: 200, price: 380 }));
    engine.placeOrder(placeReq(SIM_HK, { trdSide: TrdSide.SELL, qty: 100, price: 385 }));
    expect(engine.positions(SIM_HK)[0]!.canSellQty).toBe(100);
    expectTradingError(
      () => engine.placeOrder(placeReq(SIM_HK, { trdSide: TrdSide.SELL, qty: 200, price: 385 })),
      'insufficient position to sell: order qty 200 of HK.00700 but only 100 sellable (holding 200, 100 in open sell orders)',
    );
  });

  it('sells short a US stock in paper trading and covers it, not beyond the short position', () => {
    market.setTop('US.AAPL', { bid: 150, bidVol: 100 });
    engine.placeOrder(placeReq(SIM_US, { trdSide: TrdSide.SELL, qty: 10, price: 150 }));
    let [pos] = engine.positions(SIM_US);
    expect(pos!.qty).toBe(-10);
    expect(pos!.positionSide).toBe(Trd_Common.PositionSide.SHORT);
    expect(pos!.canSellQty).toBe(0);
    expect(engine.funds(SIM_US).cash).toBe(101_500);
    expectTradingError(() => engine.placeOrder(placeReq(SIM_US, { qty: 20, price: 150 })), 'buy qty 20 exceeds the short position to cover in US.AAPL (short 10');
    market.setTop('US.AAPL', { ask: 148, askVol: 100 });
    engine.placeOrder(placeReq(SIM_US, { qty: 10, price: 148 }));
    [pos] = engine.positions(SIM_US);
    expect(pos!.qty).toBe(0);
    expect(pos!.realizedPL).toBe(20);
    expect(engine.funds(SIM_US).cash).toBe(100_020);
  });

  it('answers maxTrdQtys in whole lots, counting open orders and the order being modified', () => {
    setup([
      { accID: 281756480572583499n, trdEnv: 'SIMULATE', markets: ['HK'], cash: { HKD: 1_000_000 }, positions: [{ key: 'HK.00700', qty: 1_000, costPrice: 300 }] },
    ]);
    const header = { trdEnv: TrdEnv.SIMULATE, accID: 281756480572583499n, trdMarket: TrdMarket.HK };
    const q = (orderID?: bigint) =>
      engine.maxTrdQtys({ header, orderType: OrderType.NORMAL, code: '00700', price: 380, ...(orderID ? { orderID } : {}) });
    expect(q()).toMatchObject({ maxCashBuy: 2_600, maxCashAndMarginBuy: 2_600, maxPositionSell: 1_000, maxSellShort: 0, maxBuyBack: 0 });
    const sell = engine.placeOrder(placeReq(header, { trdSide: TrdSide.SELL, qty: 300, price: 390 }));
    const buy = engine.placeOrder(placeReq(header, { qty: 1_000, price: 380 }));
    expect(q()).toMatchObject({ maxCashBuy: 1_600, maxPositionSell: 700 });
    expect(q(buy.orderID).maxCashBuy).toBe(2_600);
    expect(q(sell.orderID).maxPositionSell).toBe(1_000);
  });

  it('gives a REAL US margin account leveraged buying power and short capacity', () => {
    const m = engine.maxTrdQtys({ header: REAL_US, orderType: OrderType.NORMAL, code: 'AAPL', price: 150 });
    expect(m).toMatchObject({ maxCashBuy: 666, maxCashAndMarginBuy: 1_333, maxSellShort: 1_333, maxPositionSell: 0 });
    expect(engine.funds(REAL_US).power).toBe(200_000);
  });
});

describe('IDs, today, history', () => {
  it('gives orders unique, increasing bigint IDs above 2^53 and string server IDs', () => {
    const ids = [0, 1, 2].map(() => engine.placeOrder(placeReq(SIM_HK, { price: 379 })));
    for (const { orderID, orderIDEx } of ids) {
      expect(typeof orderID).toBe('bigint');
      expect(orderID > TWO_POW_53).toBe(true);
      expect(typeof orderIDEx).toBe('string');
      expect(orderIDEx.length).toBeGreaterThan(0);
    }
    expect(ids[1]!.orderID > ids[0]!.orderID && ids[2]!.orderID > ids[1]!.orderID).toBe(true);
    expect(new Set(ids.map((i) => i.orderIDEx)).size).toBe(3);
  });

  it('expires DAY orders on the next local day, lists only today in orders(), and filters history by time, code and status', () => {
    const day1 = engine.placeOrder(placeReq(SIM_HK, { price: 379 }));
    const day1b = engine.placeOrder(placeReq(SIM_HK, { code: '00005', qty: 400, price: 70 }));
    engine.modifyOrder(modifyReq(SIM_HK, day1b.orderID, ModifyOrderOp.CANCEL));

    market.clock.ms += 24 * 3600 * 1000; // 2025-01-16 10:00 HKT
    const day2 = engine.placeOrder(placeReq(SIM_HK, { price: 378 }));
    expect(statusesOf(day1.orderID).at(-1)).toBe(OrderStatus.CANCELLED_ALL);
    expect(engine.orders(SIM_HK).map((o) => o.orderID)).toEqual([day2.orderID]);

    const expired = engine.historyOrders(SIM_HK, { beginTime: '2025-01-15 00:00:00', endTime: '2025-01-15 23:59:59.999' });
    expect(expired.map((o) => o.orderID)).toEqual([day1.orderID, day1b.orderID]);
    expect(expired[0]!.lastErrMsg).toContain('expired');
    const all = { beginTime: '2025-01-15 00:00:00', endTime: '2025-01-16 23:59:59' };
    expect(engine.historyOrders(SIM_HK, { ...all, codeList: ['00700'] }).map((o) => o.orderID)).toEqual([day1.orderID, day2.orderID]);
    expect(engine.historyOrders(SIM_HK, { ...all, codeList: ['HK.00005'] }).map((o) => o.orderID)).toEqual([day1b.orderID]);
    expect(engine.historyOrders(SIM_HK, all, [OrderStatus.SUBMITTED]).map((o) => o.orderID)).toEqual([day2.orderID]);
    expect(engine.historyOrders(SIM_HK, { beginTime: '2025-01-16 10:00:00.001', endTime: '2025-01-17 00:00:00' })).toEqual([]);

    expectTradingError(() => engine.historyOrders(SIM_HK, { beginTime: '2025-01-15 00:00:00' }), 'beginTime and filterConditions.endTime are required');
    expectTradingError(() => engine.historyOrders(SIM_HK, { beginTime: '2025/01/15', endTime: '2025-01-16 00:00:00' }), 'is not a valid time');
  });

  it('filters today\'s orders by status list, id list and orderIDEx list', () => {
    const a = engine.placeOrder(placeReq(SIM_HK, { price: 379 }));
    const b = engine.placeOrder(placeReq(SIM_HK, { price: 378 }));
    engine.modifyOrder(modifyReq(SIM_HK, b.orderID, ModifyOrderOp.CANCEL));
    expect(engine.orders(SIM_HK, undefined, [OrderStatus.CANCELLED_ALL]).map((o) => o.orderID)).toEqual([b.orderID]);
    expect(engine.orders(SIM_HK, { idList: [a.orderID] }).map((o) => o.orderID)).toEqual([a.orderID]);
    expect(engine.orders(SIM_HK, { orderIDExList: [b.orderIDEx] }).map((o) => o.orderID)).toEqual([b.orderID]);
    expect(engine.orders(SIM_US)).toEqual([]);
  });

  it('lists REAL fills by time in history', () => {
    engine.unlock(true, DEFAULT_TRADE_PASSWORD_MD5);
    market.setTop('HK.00700', { ask: 380, askVol: 10_000 });
    engine.placeOrder(placeReq(REAL_HK, { price: 380 }));
    market.clock.ms += 24 * 3600 * 1000;
    engine.placeOrder(placeReq(REAL_HK, { price: 380 }));
    expect(engine.fills(REAL_HK)).toHaveLength(1);
    expect(engine.historyFills(REAL_HK, { beginTime: '2025-01-15 00:00:00', endTime: '2025-01-15 23:59:59' })).toHaveLength(1);
    expect(engine.historyFills(REAL_HK, { beginTime: '2025-01-15 00:00:00', endTime: '2025-01-16 23:59:59' })).toHaveLength(2);
  });
});

describe('state export and restore (the state file)', () => {
  /** Everything the engine answers about an account. */
  function view(e: TradingEngine, header: Trd_Common.TrdHeader, real: boolean) {
    const range = { beginTime: '2025-01-01 00:00:00', endTime: '2025-02-01 00:00:00' };
    return {
      orders: e.orders(header),
      history: e.historyOrders(header, range),
      fills: real ? e.fills(header) : [],
      historyFills: real ? e.historyFills(header, range) : [],
      positions: e.positions(header),
      funds: e.funds(header),
    };
  }

  it('restores an engine that answers and trades exactly like the original from then on', () => {
    engine.unlock(true, DEFAULT_TRADE_PASSWORD_MD5);
    market.setTop('HK.00700', { ask: 380, askVol: 300 });
    engine.placeOrder(placeReq(REAL_HK, { price: 380, qty: 500 })); // FILLED_PART: 300 of 500
    engine.placeOrder(placeReq(REAL_HK, { price: 379, timeInForce: TimeInForce.GTC })); // resting GTC
    engine.placeOrder(placeReq(REAL_US, { trdSide: TrdSide.SELL_SHORT, orderType: OrderType.NORMAL, qty: 10, price: 149.99 })); // short
    const stop = engine.placeOrder(placeReq(REAL_US, { orderType: OrderType.STOP, qty: 5, auxPrice: 152 })); // waits for its trigger
    engine.placeOrder(placeReq(SIM_HK, { price: 300 })); // paper, resting
    market.clock.ms += 3_600_000;

    const saved = decodeState(encodeState(engine.exportState()), 'memory');
    const twin = new FakeMarket();
    twin.clock.ms = market.clock.ms;
    for (const key of ['HK.00700', 'US.AAPL']) twin.setTop(key, market.top(key)!);
    const restored = new TradingEngine({ market: twin, now: () => twin.clock.ms, restore: saved });
    restored.unlock(true, DEFAULT_TRADE_PASSWORD_MD5);
    for (const [h, real] of [[REAL_HK, true], [REAL_US, true], [SIM_HK, false]] as const) expect(view(restored, h, real)).toEqual(view(engine, h, real));
    expect(restored.exportState()).toEqual(engine.exportState());

    // The same market from here on: the partly filled order completes, the stop triggers, IDs go on alike.
    for (const m of [market, twin]) {
      m.clock.ms += 1_000;
      m.print('HK.00700', 380, 1_000);
      m.print('US.AAPL', 152, 10, { ask: 152.01, askVol: 100 });
    }
    expect(orderOf(REAL_US, stop.orderID).orderStatus).toBe(OrderStatus.FILLED_ALL);
    const next = [engine, restored].map((e) => e.placeOrder(placeReq(REAL_HK, { price: 379 })).orderID);
    expect(next[1]).toBe(next[0]);
    for (const [h, real] of [[REAL_HK, true], [REAL_US, true], [SIM_HK, false]] as const) expect(view(restored, h, real)).toEqual(view(engine, h, real));
  });

  it('writes, with the incremental encoder, exactly the current state after every kind of change', () => {
    const enc = new StateEncoder();
    const check = () => expect(decodeState(enc.encode(engine.exportState()), 'memory')).toEqual(engine.exportState());
    engine.unlock(true, DEFAULT_TRADE_PASSWORD_MD5);
    market.setTop('HK.00700', { ask: 380, askVol: 200 });
    const a = engine.placeOrder(placeReq(REAL_HK, { price: 380, qty: 500 })); // FILLED_PART
    const b = engine.placeOrder(placeReq(REAL_HK, { price: 379 }));
    const c = engine.placeOrder(placeReq(REAL_US, { orderType: OrderType.STOP, qty: 5, auxPrice: 152 }));
    check();
    market.clock.ms += 1_000;
    engine.modifyOrder(modifyReq(REAL_HK, b.orderID, ModifyOrderOp.NORMAL, { qty: 200, price: 378.8 })); // qty and price
    check();
    market.print('US.AAPL', 152, 0, { ask: 160, askVol: 0 }); // triggers the stop without filling it
    check();
    market.print('HK.00700', 380, 100, { askVol: 0 }); // another 100 of a: 300 of 500
    check();
    engine.modifyOrder(modifyReq(REAL_HK, b.orderID, ModifyOrderOp.CANCEL)); // status, lastErrMsg, open
    check();
    engine.modifyOrder(modifyReq(REAL_HK, b.orderID, ModifyOrderOp.DELETE)); // a final order changes once more
    check();
    market.clock.ms += 24 * 3600 * 1000;
    engine.sweep(); // the DAY orders expire
    check();
    const statusOf = (id: bigint) => engine.exportState().orders.find((o) => o.orderID === id.toString())?.status;
    expect([a, b, c].map((o) => statusOf(o.orderID))).toEqual([OrderStatus.CANCELLED_PART, OrderStatus.DELETED, OrderStatus.CANCELLED_ALL]);
  });

  it('keeps 64-bit IDs exact in the file, as decimal strings', () => {
    const { orderID } = engine.placeOrder(placeReq(SIM_HK, { price: 300 }));
    const text = encodeState(engine.exportState());
    expect(orderID > TWO_POW_53).toBe(true);
    expect(text).toContain(`"orderID":"${orderID}"`);
    expect(decodeState(text, 'memory').orders[0]!.orderID).toBe(orderID.toString());
  });

  it('refuses a state that does not fit the configured accounts or universe, naming what is wrong', () => {
    engine.placeOrder(placeReq(SIM_HK, { price: 300 }));
    const state = engine.exportState();
    const make = (restore: typeof state) => () => new TradingEngine({ market, now: () => market.clock.ms, restore });
    expect(make({ ...state, orders: [{ ...state.orders[0]!, key: 'HK.99999' }] })).toThrow(/orders\[0\]: security HK\.99999 is not in this simulator's universe/);
    expect(make({ ...state, accounts: [{ ...state.accounts[0]!, trdEnv: 'REAL' }] })).toThrow(/account 281756480572583411 is SIMULATE here but REAL in the state file/);
    expect(make({ ...state, orders: [state.orders[0]!, state.orders[0]!] })).toThrow(/order ID \d+ appears twice/);
    expect(make({ ...state, lastId: '1' })).toThrow(StateFileError);
  });
});
