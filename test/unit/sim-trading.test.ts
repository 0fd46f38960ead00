// Unit tests of the simulator's paper-trading engine. The MarketView here is a small hand-driven fake:
// each test sets the top of book and prints the trades itself, so every fill is deterministic. (The lead
// also runs the engine through the real simulator over TCP; this file tests the engine alone.)
import { createHash } from 'node:crypto';
import { beforeEach, describe, expect, it } from 'vitest';
import type { MarketTrade, MarketView, SecurityFacts, SecurityMarket, TopOfBook } from '../../gateway-container/simulator/market-view.js';
import type { AccountConfig } from '../../gateway-container/simulator/trading/accounts.js';
import {
  DEFAULT_TRADE_PASSWORD_MD5,
  TradingEngine,
  TradingError,
} from '../../gateway-container/simulator/trading/engine.js';
import { decodeState, encodeState, StateEncoder, StateFileError } from '../../gateway-container/simulator/trading/state-file.js';
import * as Trd_Common from '../../proto/generated/Trd_Common.js';
import type * as Trd_ModifyOrder from '../../proto/generated/Trd_ModifyOrder.js';
import type * as Trd_PlaceOrder from '../../proto/generated/Trd_PlaceOrder.js';

const { OrderStatus, OrderType, TrdSide, TrdEnv, TrdMarket, ModifyOrderOp, TimeInForce } = Trd_Common;

const TWO_POW_53 = 2n ** 53n;

class FakeMarket implements MarketView {
  readonly clock = { ms: Date.UTC(2025, 0, 15, 2, 0, 0) }; // 2025-01-15 10:00:00 Hong Kong time
  trading = true;
  private readonly secs = new Map<string, SecurityFacts>();
  private readonly tops = new Map<string, TopOfBook>();
  private readonly listeners = new Set<(t: MarketTrade) => void>();

  constructor() {
    this.add('HK', '00700', 'TENCENT', 100, 'HKD');
    this.add('HK', '00005', 'HSBC HOLDINGS', 400, 'HKD');
    this.add('US', 'AAPL', 'Apple Inc.', 1, 'USD');
    this.add('HK', '800000', 'HSI', 1, 'HKD', false);
    this.setTop('HK.00700', { last: 380, bid: 379.8, ask: 380.2, bidVol: 5000, askVol: 5000 });
    this.setTop('HK.00005', { last: 70, bid: 69.95, ask: 70.05, bidVol: 8000, askVol: 8000 });
    this.setTop('US.AAPL', { last: 150, bid: 149.99, ask: 150.01, bidVol: 500, askVol: 500 });
  }

  private add(market: SecurityMarket, code: string, name: string, lotSize: number, currency: 'HKD' | 'USD', tradable = true): void {
    const key = `${market}.${code}`;
    this.secs.set(key, { key, market, code, name, lotSize, tickRule: market === 'US' ? 'US' : 'HK', currency, secType: tradable ? 3 : 6, tradable });
  }

  security(key: string): SecurityFacts | undefined {
    return this.secs.get(key);
  }
  top(key: string): TopOfBook | undefined {
    const t = this.tops.get(key);
    return t ? { ...t } : undefined;
  }
  isTradingNow(): boolean {
    return this.trading;
  }
  onTrade(listener: (trade: MarketTrade) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  setTop(key: string, t: Partial<TopOfBook>): void {
    const prev = this.tops.get(key) ?? { last: 0, bid: 0, ask: 0, bidVol: 0, askVol: 0, time: this.clock.ms };
    this.tops.set(key, { ...prev, ...t, time: this.clock.ms });
  }

  /** Prints a trade; the book after it is the current one unless `top` changes it. */
  print(key: string, price: number, volume: number, top: Partial<TopOfBook> = {}): void {
    this.setTop(key, { ...top, last: price });
    const trade: MarketTrade = { key, price, volume, time: this.clock.ms, top: this.top(key)! };
    for (const l of this.listeners) l(trade);
  }
}

const SIM_HK: Trd_Common.TrdHeader = { trdEnv: TrdEnv.SIMULATE, accID: 281756480572583411n, trdMarket: TrdMarket.HK };
const SIM_US: Trd_Common.TrdHeader = { trdEnv: TrdEnv.SIMULATE, accID: 281756455983234027n, trdMarket: TrdMarket.US };
const REAL_HK: Trd_Common.TrdHeader = { trdEnv: TrdEnv.REAL, accID: 281756478396547854n, trdMarket: TrdMarket.HK };
const REAL_US: Trd_Common.TrdHeader = { trdEnv: TrdEnv.REAL, accID: 281756460288713516n, trdMarket: TrdMarket.US };

let serial = 0;
function placeReq(header: Trd_Common.TrdHeader, fields: Partial<Trd_PlaceOrder.C2S>): Trd_PlaceOrder.C2S {
  return {
    packetID: { connID: 1n, serialNo: ++serial },
    header,
    trdSide: TrdSide.BUY,
    orderType: OrderType.NORMAL,
    code: header.trdMarket === TrdMarket.US ? 'AAPL' : '00700',
    qty: 100,
    ...fields,
  };
}
function modifyReq(header: Trd_Common.TrdHeader, orderID: bigint, op: number, fields: Partial<Trd_ModifyOrder.C2S> = {}): Trd_ModifyOrder.C2S {
  return { packetID: { connID: 1n, serialNo: ++serial }, header, orderID, modifyOrderOp: op, ...fields };
}

interface Recorded {
  orders: { accID: bigint; header: Trd_Common.TrdHeader; order: Trd_Common.Order }[];
  fills: { accID: bigint; header: Trd_Common.TrdHeader; fill: Trd_Common.OrderFill }[];
}

let market: FakeMarket;
let engine: TradingEngine;
let rec: Recorded;

function setup(accounts?: AccountConfig[]): void {
  market = new FakeMarket();
  engine = new TradingEngine({ market, now: () => market.clock.ms, ...(accounts ? { accounts } : {}) });
  rec = { orders: [], fills: [] };
  engine.onOrder((accID, header, order) => rec.orders.push({ accID, header, order }));
  engine.onFill((accID, header, fill) => rec.fills.push({ accID, header, fill }));
}

function statusesOf(orderID: bigint): number[] {
  return rec.orders.filter((e) => e.order.orderID === orderID).map((e) => e.order.orderStatus);
}
function orderOf(header: Trd_Common.TrdHeader, orderID: bigint): Trd_Common.Order {
  const o = engine.orders(header, { idList: [orderID] })[0];
  if (!o) throw new Error(`order ${orderID} not in today's list`);
  return o;
}
function expectTradingError(fn: () => unknown, message: string | RegExp): void {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(TradingError);
  if (typeof message === 'string') expect((caught as Error).message).toContain(message);
  else expect((caught as Error).message).toMatch(message);
}

beforeEach(() => setup());

describe('accounts and unlock', () => {
  it('lists SIMULATE and REAL accounts for HK and US with 64-bit bigint account IDs above 2^53', () => {
    const accs = engine.accounts();
    expect(accs).toHaveLength(4);
    for (const a of accs) {
      expect(typeof a.accID).toBe('bigint');
      expect(a.accID > TWO_POW_53).toBe(true);
      expect(a.accStatus).toBe(Trd_Common.TrdAccStatus.ACTIVE);
      expect(a.securityFirm).toBe(Trd_Common.SecurityFirm.FUTU_SECURITIES);
    }
    const sim = accs.filter((a) => a.trdEnv === TrdEnv.SIMULATE);
    const real = accs.filter((a) => a.trdEnv === TrdEnv.REAL);
    expect(sim.map((a) => a.trdMarketAuthList)).toEqual([[TrdMarket.HK], [TrdMarket.US]]);
    expect(sim.map((a) => a.simAccType)).toEqual([Trd_Common.SimAccType.STOCK, Trd_Common.SimAccType.STOCK_AND_OPTION]);
    expect(real.map((a) => a.trdMarketAuthList)).toEqual([[TrdMarket.HK], [TrdMarket.US]]);
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
    expectTradingError(() => engine.placeOrder(placeReq(SIM_HK, { price: 0 })), 'price must be greater than 0');
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
    expectTradingError(
      () => engine.placeOrder(placeReq(REAL_US, { orderType: OrderType.TRAILING_STOP, qty: 1 })),
      'orderType TRAILING_STOP is not supported by the simulator; supported: NORMAL, MARKET, ABSOLUTE_LIMIT',
    );
    expectTradingError(() => engine.placeOrder(placeReq(REAL_US, { orderType: OrderType.ABSOLUTE_LIMIT, qty: 1, price: 150 })), 'only available for HK securities');
    expectTradingError(() => engine.placeOrder(placeReq(REAL_US, { orderType: OrderType.STOP, qty: 1 })), 'auxPrice must be greater than 0');
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
