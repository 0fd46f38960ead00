// Shared pieces of the unit tests of the simulator's paper-trading engine (sim-trading-*.test.ts): a small
// hand-driven MarketView fake (each test sets the top of book and prints the trades itself, so every fill is
// deterministic), the four account headers, request builders and an engine factory that records the order
// and fill events. Not a test file itself: vitest collects only *.test.ts.
import { expect } from 'vitest';
import type { MarketTrade, MarketView, SecurityFacts, SecurityMarket, TopOfBook } from '../../gateway-container/simulator/market-view.js';
import type { AccountConfig } from '../../gateway-container/simulator/trading/accounts.js';
import { TradingEngine, TradingError } from '../../gateway-container/simulator/trading/engine.js';
import * as Trd_Common from '../../proto/generated/Trd_Common.js';
import type * as Trd_ModifyOrder from '../../proto/generated/Trd_ModifyOrder.js';
import type * as Trd_PlaceOrder from '../../proto/generated/Trd_PlaceOrder.js';

const { OrderType, TrdSide, TrdEnv, TrdMarket } = Trd_Common;

export const TWO_POW_53 = 2n ** 53n;

export class FakeMarket implements MarketView {
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

export const SIM_HK: Trd_Common.TrdHeader = { trdEnv: TrdEnv.SIMULATE, accID: 281756480572583411n, trdMarket: TrdMarket.HK };
export const SIM_US: Trd_Common.TrdHeader = { trdEnv: TrdEnv.SIMULATE, accID: 281756455983234027n, trdMarket: TrdMarket.US };
export const REAL_HK: Trd_Common.TrdHeader = { trdEnv: TrdEnv.REAL, accID: 281756478396547854n, trdMarket: TrdMarket.HK };
export const REAL_US: Trd_Common.TrdHeader = { trdEnv: TrdEnv.REAL, accID: 281756460288713516n, trdMarket: TrdMarket.US };

let serial = 0;
export function placeReq(header: Trd_Common.TrdHeader, fields: Partial<Trd_PlaceOrder.C2S>): Trd_PlaceOrder.C2S {
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
export function modifyReq(header: Trd_Common.TrdHeader, orderID: bigint, op: number, fields: Partial<Trd_ModifyOrder.C2S> = {}): Trd_ModifyOrder.C2S {
  return { packetID: { connID: 1n, serialNo: ++serial }, header, orderID, modifyOrderOp: op, ...fields };
}

export interface Recorded {
  orders: { accID: bigint; header: Trd_Common.TrdHeader; order: Trd_Common.Order }[];
  fills: { accID: bigint; header: Trd_Common.TrdHeader; fill: Trd_Common.OrderFill }[];
}

/**
 * A fresh fake market and an engine on its clock, with every order and fill event recorded. The test files
 * keep `market`, `engine` and `rec` as their own module variables (some tests replace them), set from this.
 */
export function newEngine(accounts?: AccountConfig[]): { market: FakeMarket; engine: TradingEngine; rec: Recorded } {
  const market = new FakeMarket();
  const engine = new TradingEngine({ market, now: () => market.clock.ms, ...(accounts ? { accounts } : {}) });
  const rec: Recorded = { orders: [], fills: [] };
  engine.onOrder((accID, header, order) => rec.orders.push({ accID, header, order }));
  engine.onFill((accID, header, fill) => rec.fills.push({ accID, header, fill }));
  return { market, engine, rec };
}

/** The statuses of every order event recorded for this order, in order. */
export function recordedStatuses(rec: Recorded, orderID: bigint): number[] {
  return rec.orders.filter((e) => e.order.orderID === orderID).map((e) => e.order.orderStatus);
}

/** The order as today's order list shows it now. */
export function todaysOrder(engine: TradingEngine, header: Trd_Common.TrdHeader, orderID: bigint): Trd_Common.Order {
  const o = engine.orders(header, { idList: [orderID] })[0];
  if (!o) throw new Error(`order ${orderID} not in today's list`);
  return o;
}

export function expectTradingError(fn: () => unknown, message: string | RegExp): void {
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
