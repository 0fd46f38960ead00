// Unit tests of the simulator's paper-trading engine: accounts, unlock and the validation of orders (lots,
// ticks, adjustPrice, order types and time in force, securities, remarks), with the REAL-only conditional
// order types. The engine runs against the hand-driven fake market of sim-trading-support.ts, so every fill
// is deterministic. (Matching, fills and REAL-only operations: sim-trading-matching.test.ts; funds,
// positions, history and the state file: sim-trading-funds-state.test.ts.)
import { createHash } from 'node:crypto';
import { beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_TRADE_PASSWORD_MD5, TradingEngine } from '../../gateway-container/simulator/trading/engine.js';
import * as Trd_Common from '../../proto/generated/Trd_Common.js';
import {
  expectTradingError,
  FakeMarket,
  newEngine,
  placeReq,
  REAL_HK,
  REAL_US,
  SIM_HK,
  SIM_US,
  todaysOrder,
  TWO_POW_53,
  type Recorded,
} from './sim-trading-support.js';

const { OrderStatus, OrderType, TrdSide, TrdEnv, TrdMarket, TimeInForce } = Trd_Common;

let market: FakeMarket;
let engine: TradingEngine;
let rec: Recorded;

const orderOf = (header: Trd_Common.TrdHeader, orderID: bigint) => todaysOrder(engine, header, orderID);

beforeEach(() => {
  ({ market, engine, rec } = newEngine());
});

describe('accounts and unlock', () => {
  it('lists SIMULATE and REAL accounts for HK, US and universal (HK+US+HKCC) with 64-bit bigint account IDs above 2^53', () => {
    const accs = engine.accounts();
    expect(accs).toHaveLength(6);
    for (const a of accs) {
      expect(typeof a.accID).toBe('bigint');
      expect(a.accID > TWO_POW_53).toBe(true);
      expect(a.accStatus).toBe(Trd_Common.TrdAccStatus.ACTIVE);
      expect(a.securityFirm).toBe(Trd_Common.SecurityFirm.FUTU_SECURITIES);
    }
    const sim = accs.filter((a) => a.trdEnv === TrdEnv.SIMULATE);
    const real = accs.filter((a) => a.trdEnv === TrdEnv.REAL);
    const universal = [TrdMarket.HK, TrdMarket.US, TrdMarket.HKCC];
    expect(sim.map((a) => a.trdMarketAuthList)).toEqual([[TrdMarket.HK], [TrdMarket.US], universal]);
    expect(sim.map((a) => a.simAccType)).toEqual([Trd_Common.SimAccType.STOCK, Trd_Common.SimAccType.STOCK_AND_OPTION, Trd_Common.SimAccType.STOCK_AND_OPTION]);
    expect(real.map((a) => a.trdMarketAuthList)).toEqual([[TrdMarket.HK], [TrdMarket.US], universal]);
    expect(real.every((a) => a.accType === Trd_Common.TrdAccType.MARGIN && a.simAccType === undefined)).toBe(true);
  });

  it('requires unlock for REAL orders, rejects a wrong password, and never requires it for SIMULATE', () => {
    expectTradingError(() => engine.placeOrder(placeReq(REAL_HK, { price: 380 })), 'trade is locked: unlock trading for REAL accounts first');
    expect(() => engine.placeOrder(placeReq(SIM_HK, { price: 380 }))).not.toThrow();

    const wrong = createHash('md5').update('654321').digest('hex');
    expectTradingError(() => engine.unlock(true, wrong), 'unlock failed: wrong trade password');
    expect(engine.isUnlocked()).toBe(false);

    engine.unlock(true, DEFAULT_TRADE_PASSWORD_MD5.toUpperCase());
    expect(engine.isUnlocked()).toBe(true);
    expect(() => engine.placeOrder(placeReq(REAL_HK, { price: 380 }))).not.toThrow();

    engine.unlock(false);
    expectTradingError(() => engine.placeOrder(placeReq(REAL_HK, { price: 380 })), 'trade is locked');
  });

  it('accepts a custom trade password', () => {
    market = new FakeMarket();
    const md5 = createHash('md5').update('s3cret').digest('hex');
    engine = new TradingEngine({ market, now: () => market.clock.ms, tradePasswordMd5: md5 });
    expectTradingError(() => engine.unlock(true, DEFAULT_TRADE_PASSWORD_MD5), 'wrong trade password');
    engine.unlock(true, md5);
    expect(engine.isUnlocked()).toBe(true);
  });

  it('rejects a header whose account, environment or market does not match', () => {
    expectTradingError(
      () => engine.placeOrder(placeReq({ ...SIM_HK, accID: 123n }, { price: 380 })),
      'account 123 not found for trdEnv SIMULATE / trdMarket HK',
    );
    expectTradingError(
      () => engine.funds({ ...SIM_HK, trdEnv: TrdEnv.REAL }),
      `account ${SIM_HK.accID} not found for trdEnv REAL / trdMarket HK`,
    );
    expectTradingError(() => engine.funds({ ...SIM_HK, trdMarket: TrdMarket.US }), 'has no permission for trdMarket US; it trades HK');
  });
});

describe('order validation', () => {
  it('rejects a quantity that is not a whole number of lots', () => {
    expectTradingError(() => engine.placeOrder(placeReq(SIM_HK, { qty: 150, price: 380 })), 'qty 150 is not a multiple of the lot size 100 for HK.00700');
    expectTradingError(() => engine.placeOrder(placeReq(SIM_HK, { code: '00005', qty: 100, price: 70 })), 'lot size 400 for HK.00005');
    expectTradingError(() => engine.placeOrder(placeReq(SIM_HK, { qty: 0, price: 380 })), 'qty must be a positive number');
  });

  it('rejects an off-tick price and names the tick and the valid neighbours', () => {
    expectTradingError(
      () => engine.placeOrder(placeReq(SIM_HK, { price: 380.03 })),
      'price 380.03 is not on the HK tick ladder (tick 0.2 at this price); valid neighbours 380 and 380.2',
    );
    expectTradingError(() => engine.placeOrder(placeReq(SIM_US, { qty: 1, price: 150.015 })), 'price 150.015 is not on the US tick ladder (tick 0.01');
    expectTradingError(() => engine.placeOrder(placeReq(SIM_HK, { price: 0 })), 'NORMAL needs price (the limit price) > 0, got 0');
  });

  it('truncates the price to 3 decimals before the tick check, as OpenD does', () => {
    expectTradingError(() => engine.placeOrder(placeReq(SIM_HK, { price: 380.2049 })), 'price 380.204 is not on the HK tick ladder');
    const { orderID } = engine.placeOrder(placeReq(SIM_US, { qty: 1, price: 149.0109 }));
    expect(orderOf(SIM_US, orderID).price).toBe(149.01);
  });

  it('snaps an off-tick price with adjustPrice up or down within adjustSideAndLimit', () => {
    const up = engine.placeOrder(placeReq(SIM_HK, { price: 380.03, adjustPrice: true, adjustSideAndLimit: 0.001 }));
    expect(orderOf(SIM_HK, up.orderID).price).toBe(380.2);
    const down = engine.placeOrder(placeReq(SIM_HK, { price: 380.03, adjustPrice: true, adjustSideAndLimit: -0.001 }));
    expect(orderOf(SIM_HK, down.orderID).price).toBe(380);
    const onTick = engine.placeOrder(placeReq(SIM_HK, { price: 379.8, adjustPrice: true, adjustSideAndLimit: 0.001 }));
    expect(orderOf(SIM_HK, onTick.orderID).price).toBe(379.8);
  });

  it('rejects adjustPrice when the needed move exceeds the percentage limit, or when no limit is given', () => {
    expectTradingError(
      () => engine.placeOrder(placeReq(SIM_HK, { price: 380.03, adjustPrice: true, adjustSideAndLimit: 0.0001 })),
      /adjusting up to 380\.2 moves it 0\.04\d*%, beyond adjustSideAndLimit 0\.0001/,
    );
    expectTradingError(
      () => engine.placeOrder(placeReq(SIM_HK, { price: 380.03, adjustPrice: true })),
      'pass adjustPrice with adjustSideAndLimit to have it adjusted',
    );
  });

  it('allows only NORMAL and MARKET orders and DAY time in force in paper trading', () => {
    expectTradingError(
      () => engine.placeOrder(placeReq(SIM_HK, { orderType: OrderType.STOP, price: 380, auxPrice: 381 })),
      'paper trading supports only limit (NORMAL) and market (MARKET) orders',
    );
    expectTradingError(() => engine.placeOrder(placeReq(SIM_HK, { orderType: OrderType.ABSOLUTE_LIMIT, price: 380 })), 'orderType ABSOLUTE_LIMIT is not supported');
    expectTradingError(
      () => engine.placeOrder(placeReq(SIM_HK, { price: 380, timeInForce: TimeInForce.GTC })),
      'timeInForce GTC is not supported: paper trading supports only DAY orders',
    );
    expectTradingError(() => engine.placeOrder(placeReq(SIM_US, { trdSide: TrdSide.SELL_SHORT, price: 150 })), 'not accepted in paper trading');
  });

  it('accepts GTC and conditional order types for REAL accounts and rejects the unsupported ones clearly', () => {
    engine.unlock(true, DEFAULT_TRADE_PASSWORD_MD5);
    const gtc = engine.placeOrder(placeReq(REAL_HK, { price: 379, timeInForce: TimeInForce.GTC }));
    expect(orderOf(REAL_HK, gtc.orderID).timeInForce).toBe(TimeInForce.GTC);
    expectTradingError(() => engine.placeOrder(placeReq(REAL_HK, { price: 379, timeInForce: TimeInForce.IOC })), 'timeInForce IOC is not supported by the simulator; use DAY or GTC');
    expectTradingError(() => engine.placeOrder(placeReq(REAL_US, { orderType: OrderType.TRAILING_STOP, qty: 1 })), 'TRAILING_STOP needs trailType RATIO or AMOUNT, got none');
    expectTradingError(
      () => engine.placeOrder(placeReq(REAL_US, { orderType: OrderType.VWAP_LIMIT, qty: 1, price: 150, timeInForce: TimeInForce.GTC })),
      'timeInForce GTC is not allowed for VWAP_LIMIT orders',
    );
    expectTradingError(() => engine.placeOrder(placeReq(REAL_HK, { orderType: OrderType.VWAP_LIMIT, price: 379 })), 'orderType VWAP_LIMIT is not available for HK.');
    expectTradingError(() => engine.placeOrder(placeReq(REAL_US, { orderType: OrderType.ABSOLUTE_LIMIT, qty: 1, price: 150 })), 'only available for HK securities');
    expectTradingError(() => engine.placeOrder(placeReq(REAL_US, { orderType: OrderType.STOP, qty: 1 })), 'STOP needs auxPrice (the trigger price) > 0, got none');
  });

  it('triggers a REAL stop order when the price reaches auxPrice, then fills it', () => {
    engine.unlock(true, DEFAULT_TRADE_PASSWORD_MD5);
    const { orderID } = engine.placeOrder(placeReq(REAL_US, { orderType: OrderType.STOP, qty: 10, auxPrice: 151 }));
    market.print('US.AAPL', 150.5, 100, { ask: 150.51, askVol: 100 });
    expect(orderOf(REAL_US, orderID).fillQty).toBe(0);
    market.print('US.AAPL', 151, 4, { ask: 151.02, askVol: 100 });
    const o = orderOf(REAL_US, orderID);
    expect(o.orderStatus).toBe(OrderStatus.FILLED_ALL);
    expect(o.auxPrice).toBe(151);
    expect(o.fillAvgPrice).toBeCloseTo((4 * 151 + 6 * 151.02) / 10, 6);
  });

  it('fills a REAL HK absolute-limit order only at exactly its price', () => {
    engine.unlock(true, DEFAULT_TRADE_PASSWORD_MD5);
    const { orderID } = engine.placeOrder(placeReq(REAL_HK, { orderType: OrderType.ABSOLUTE_LIMIT, qty: 200, price: 380 }));
    market.print('HK.00700', 379.8, 1_000);
    expect(orderOf(REAL_HK, orderID).fillQty).toBe(0);
    market.print('HK.00700', 380, 1_000);
    expect(orderOf(REAL_HK, orderID).orderStatus).toBe(OrderStatus.FILLED_ALL);
  });

  it('fills or kills a REAL HK special-limit-all order and cancels the rest of a special-limit order', () => {
    engine.unlock(true, DEFAULT_TRADE_PASSWORD_MD5);
    market.setTop('HK.00700', { ask: 380, askVol: 300 });
    const fok = engine.placeOrder(placeReq(REAL_HK, { orderType: OrderType.SPECIAL_LIMIT_ALL, qty: 500, price: 380 }));
    expect(orderOf(REAL_HK, fok.orderID)).toMatchObject({ orderStatus: OrderStatus.CANCELLED_ALL, fillQty: 0 });
    const ioc = engine.placeOrder(placeReq(REAL_HK, { orderType: OrderType.SPECIAL_LIMIT, qty: 500, price: 380 }));
    expect(orderOf(REAL_HK, ioc.orderID)).toMatchObject({ orderStatus: OrderStatus.CANCELLED_PART, fillQty: 300 });
    expect(orderOf(REAL_HK, ioc.orderID).lastErrMsg).toContain('remainder cancelled');
  });

  it('rejects unknown, malformed and untradable securities', () => {
    expectTradingError(() => engine.placeOrder(placeReq(SIM_HK, { code: '00701', price: 10 })), 'unknown stock HK.00701');
    expectTradingError(() => engine.placeOrder(placeReq(SIM_HK, { code: '700', price: 380 })), 'HK codes must be 5 digits');
    expectTradingError(() => engine.placeOrder(placeReq(SIM_HK, { code: '800000', qty: 1, price: 20_000 })), 'HK.800000 (HSI) is an index and cannot be traded');
    expectTradingError(
      () => engine.placeOrder(placeReq(SIM_HK, { code: 'AAPL', qty: 1, price: 150, secMarket: Trd_Common.TrdSecMarket.US })),
      'security US.AAPL cannot be traded under trdMarket HK',
    );
  });

  it('echoes the remark in the order and rejects one longer than 64 UTF-8 bytes', () => {
    const remark64 = 'x'.repeat(61) + '中'; // 61 + 3 bytes
    const { orderID } = engine.placeOrder(placeReq(SIM_HK, { price: 379, remark: remark64 }));
    expect(orderOf(SIM_HK, orderID).remark).toBe(remark64);
    expect(rec.orders.at(-1)!.order.remark).toBe(remark64);
    expectTradingError(
      () => engine.placeOrder(placeReq(SIM_HK, { price: 379, remark: '订单'.repeat(11) })),
      'remark is 66 bytes in UTF-8; at most 64 bytes are allowed',
    );
  });
});
