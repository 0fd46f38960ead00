// The paper-trading engine of the simulator: accounts in both environments, OpenD-wide unlock, order
// validation, matching against the simulated market's trades and top of book, cash and positions, and the
// order / fill events that become Trd_UpdateOrder / Trd_UpdateOrderFill pushes. Pure and synchronous:
// no networking, no timers; time comes from the injected virtual clock.
// Parts: placement.ts (Trd_PlaceOrder checks, new order records; order-types.ts says which type takes what),
// modify.ts (Trd_ModifyOrder operations), triggers.ts (conditional and trailing orders), records.ts (order /
// fill records, wire form, list filters), ledger.ts (reservations, buying power, funds, positions),
// matching.ts (price rules), snapshot.ts + state-file.ts (saving and restoring the state).
import { createHash } from 'node:crypto';
import * as Trd_Common from '../../../proto/generated/Trd_Common.js';
import type * as Trd_GetMaxTrdQtys from '../../../proto/generated/Trd_GetMaxTrdQtys.js';
import type * as Trd_ModifyOrder from '../../../proto/generated/Trd_ModifyOrder.js';
import type * as Trd_PlaceOrder from '../../../proto/generated/Trd_PlaceOrder.js';
import type { MarketTrade, MarketView } from '../market-view.js';
import { accountForHeader, AccountState, applyFillToPosition, DEFAULT_ACCOUNTS, emptyToday, seedPosition, type AccountConfig } from './accounts.js';
import { TradingError } from './errors.js';
import { fillCashDelta } from './derivatives.js';
import { Ledger } from './ledger.js';
import { applyModifyOp, checkModifyOp, type EngineCore } from './modify.js';
import { acceptable, bookLiquidity, matchPriority, type Liquidity } from './matching.js';
import { newOrder } from './placement.js';
import { applyTrigger, tradeTriggers } from './triggers.js';
import { canFillNow, orderTradeDate } from './sessions.js';
import { exportState, restoreState, type TradingStateData } from './snapshot.js';
import { fillMatches, fillOf, isBuy, orderMatches, timeRange, toOrder, WORKING, type FillRecord, type OrderState } from './records.js';
import { localDate, roundMoney, securityCurrency } from './util.js';
import { floorLots } from './validation.js';
import { workedApart, WorkedOrders } from './worked-orders.js';

export { TradingError } from './errors.js';
export { DEFAULT_ACCOUNTS, type AccountConfig, type StartingPosition } from './accounts.js';

const { OrderStatus, OrderType, ModifyOrderOp, TimeInForce } = Trd_Common;

/** Trade password of the default configuration: "123456". */
export const DEFAULT_TRADE_PASSWORD = '123456';
export const DEFAULT_TRADE_PASSWORD_MD5 = createHash('md5').update(DEFAULT_TRADE_PASSWORD).digest('hex');
/** IDs (orders, fills, positions) count up from here: far above 2^53, below 2^63. */
export const DEFAULT_ID_SEED = 5_000_000_000_000_000_000n;
/** GTC orders expire after this long. */
const GTC_LIFETIME_MS = 90 * 24 * 3600 * 1000;

export interface TradingEngineOptions {
  market: MarketView;
  /** Virtual clock, ms since epoch. */
  now: () => number;
  accounts?: readonly AccountConfig[];
  /** Lowercase hex MD5 of the trade password. Default: MD5 of "123456". */
  tradePasswordMd5?: string;
  /** Order, fill and position IDs are idSeed + 1, + 2, ... Default DEFAULT_ID_SEED. */
  idSeed?: bigint;
  /** State saved by exportState() (see state-file.ts): restored instead of the configured start. */
  restore?: TradingStateData;
}

export type OrderListener = (accID: bigint, header: Trd_Common.TrdHeader, order: Trd_Common.Order) => void;
export type FillListener = (accID: bigint, header: Trd_Common.TrdHeader, fill: Trd_Common.OrderFill) => void;

export class TradingEngine {
  private readonly market: MarketView;
  private readonly now: () => number;
  private readonly accountList: AccountState[];
  private readonly accountsById = new Map<bigint, AccountState>();
  private readonly passwordMd5: string;
  private lastId: bigint;
  private unlocked = false;

  /** Every order ever placed, in creation order. */
  private readonly orderList: OrderState[] = [];
  private readonly ordersById = new Map<bigint, OrderState>();
  private readonly ordersByIdEx = new Map<string, OrderState>();
  /** Orders that are not final (working or disabled). */
  private readonly open = new Set<OrderState>();
  private readonly fillList: FillRecord[] = [];

  private readonly orderListeners = new Set<OrderListener>();
  private readonly fillListeners = new Set<FillListener>();
  private readonly stopMarketFeed: () => void;
  private readonly ledger: Ledger;
  /** Runs for every fill once cash and position moved, before anyone hears of it: fees and cash flow (cash-flow.ts). */
  fillBooking?: (o: OrderState, qty: number, price: number, now: number) => void;
  private readonly core: EngineCore;
  /** At-auction and TWAP / VWAP orders, worked apart from ordinary matching (worked-orders.ts). */
  private readonly worked: WorkedOrders;

  constructor(opts: TradingEngineOptions) {
    this.market = opts.market;
    this.now = opts.now;
    this.ledger = new Ledger(this.market, this.open, this.now);
    this.core = {
      open: this.open,
      ledger: this.ledger,
      cancel: (o, reason) => this.cancel(o, reason),
      touchAndEmit: (o) => this.touchAndEmit(o),
      matchNow: (o) => this.matchNow(o),
    };
    this.worked = new WorkedOrders({
      now: this.now,
      fill: (o, qty, price) => this.fill(o, qty, price),
      cancel: (o, reason) => this.cancel(o, reason),
      touch: (o) => this.touchAndEmit(o),
      lastPrice: (key) => this.market.top(key)?.last,
    });
    this.passwordMd5 = (opts.tradePasswordMd5 ?? DEFAULT_TRADE_PASSWORD_MD5).toLowerCase();
    this.lastId = opts.idSeed ?? DEFAULT_ID_SEED;
    this.accountList = (opts.accounts ?? DEFAULT_ACCOUNTS).map((c) => new AccountState(c));
    for (const acc of this.accountList) {
      if (this.accountsById.has(acc.accID)) throw new TradingError(`duplicate account ${acc.accID}`);
      this.accountsById.set(acc.accID, acc);
    }
    const restored = opts.restore ? restoreState(opts.restore, this.market, this.accountsById) : undefined;
    if (restored) {
      if (restored.lastId > this.lastId) this.lastId = restored.lastId;
      for (const o of restored.orders) {
        this.orderList.push(o);
        this.ordersById.set(o.orderID, o);
        this.ordersByIdEx.set(o.orderIDEx, o);
      }
      for (const o of restored.open) this.open.add(o);
      this.fillList.push(...restored.fills);
    }
    for (const acc of this.accountList) {
      if (restored?.restoredAccounts.has(acc.accID)) continue;
      for (const p of acc.config.positions ?? []) seedPosition(acc, this.market, p, this.nextId());
    }
    this.stopMarketFeed = this.market.onTrade((t) => this.onMarketTrade(t));
  }

  /** The whole trading state as plain data, for the state file; `restore` takes it back. */
  exportState(): TradingStateData {
    const parts = { lastId: this.lastId, accounts: this.accountList, orders: this.orderList, open: this.open, fills: this.fillList };
    return exportState(parts, this.now());
  }

  /** Stops listening to the market. */
  dispose(): void {
    this.stopMarketFeed();
  }

  // ------------------------------------------------------------------------------------------ events

  /** Every order status / fill change, synchronously. Returns an unsubscribe function. */
  onOrder(listener: OrderListener): () => void {
    this.orderListeners.add(listener);
    return () => this.orderListeners.delete(listener);
  }

  /** Every fill of a REAL account (paper trading has no fills), synchronously. Returns an unsubscribe function. */
  onFill(listener: FillListener): () => void {
    this.fillListeners.add(listener);
    return () => this.fillListeners.delete(listener);
  }

  // ------------------------------------------------------------------------------------------ accounts

  accounts(): Trd_Common.TrdAcc[] {
    return this.accountList.map((a) => a.toTrdAcc());
  }

  /** Trd_UnlockTrade: OpenD-wide. Only REAL accounts need it; locking needs no password. */
  unlock(unlock: boolean, pwdMD5?: string): void {
    if (!unlock) {
      this.unlocked = false;
      return;
    }
    if (!pwdMD5) throw new TradingError('unlock failed: pwdMD5 is required');
    if (pwdMD5.toLowerCase() !== this.passwordMd5) throw new TradingError('unlock failed: wrong trade password');
    this.unlocked = true;
  }

  isUnlocked(): boolean {
    return this.unlocked;
  }

  // ------------------------------------------------------------------------------------------ orders

  placeOrder(c2s: Trd_PlaceOrder.C2S): { orderID: bigint; orderIDEx: string } {
    this.sweep();
    const acc = this.accountFor(c2s.header);
    this.requireUnlocked(acc);
    const o = newOrder({ market: this.market, ledger: this.ledger, now: this.now(), nextId: () => this.nextId(), volumes: this.worked.volumes }, acc, c2s);
    const { orderType, sec, qty } = o;
    this.orderList.push(o);
    this.ordersById.set(o.orderID, o);
    this.ordersByIdEx.set(o.orderIDEx, o);
    this.open.add(o);

    // A conditional order waits untriggered as WAITING_SUBMIT (one event); others go SUBMITTING -> SUBMITTED.
    this.emitOrder(o);
    if (!o.triggered) return { orderID: o.orderID, orderIDEx: o.orderIDEx };
    o.status = OrderStatus.SUBMITTED;
    this.emitOrder(o);

    const top = this.market.top(sec.key);
    if (orderType === OrderType.SPECIAL_LIMIT_ALL) {
      // Fill or kill: only if the whole quantity is available at or better than the limit right now.
      const avail = bookLiquidity(o, top).filter((l) => acceptable(o, l.price)).reduce((s, l) => s + l.vol, 0);
      if (floorLots(avail, sec.lotSize) >= qty) this.match(o, bookLiquidity(o, top));
      if (WORKING.has(o.status)) this.cancel(o, 'special limit (fill or kill) order: not enough volume at the limit; cancelled');
    } else if (canFillNow(o, this.market) && o.triggered && !workedApart(o)) {
      this.match(o, bookLiquidity(o, top));
      if (orderType === OrderType.SPECIAL_LIMIT && WORKING.has(o.status)) {
        this.cancel(o, 'special limit order: unfilled remainder cancelled');
      }
    }
    return { orderID: o.orderID, orderIDEx: o.orderIDEx };
  }

  modifyOrder(c2s: Trd_ModifyOrder.C2S): { orderID: bigint; orderIDEx: string } {
    this.sweep();
    const acc = this.accountFor(c2s.header);
    this.requireUnlocked(acc);
    const op = c2s.modifyOrderOp;
    checkModifyOp(acc, op);

    if (c2s.forAll) {
      if (acc.envName === 'SIMULATE') throw new TradingError('simulated trading does not support cancel-all');
      if (op !== ModifyOrderOp.CANCEL) throw new TradingError('forAll works only with modifyOrderOp CANCEL');
      for (const o of [...this.open]) {
        if (o.acc !== acc) continue;
        if (c2s.trdMarket !== undefined && c2s.trdMarket !== Trd_Common.TrdMarket.UNKNOWN && o.header.trdMarket !== c2s.trdMarket) continue;
        if (this.worked.cancelBlocked(o)) continue; // an at-auction order in its no-cancellation period stays
        this.cancel(o, '');
      }
      return { orderID: 0n, orderIDEx: '' };
    }

    const o = this.findOrder(acc, c2s.orderID, c2s.orderIDEx);
    this.worked.checkModify(o);
    applyModifyOp(this.core, acc, o, op, c2s);
    return { orderID: o.orderID, orderIDEx: o.orderIDEx };
  }

  // ----------------------------------------------------------------------------------------- queries

  funds(header: Trd_Common.TrdHeader, currency?: number): Trd_Common.Funds {
    this.sweep();
    return this.ledger.funds(this.accountFor(header), currency);
  }

  /**
   * Positions: open ones, plus ones closed today. Filters: codeList ("00700" or "HK.00700"), idList
   * (positionID), filterMarket, and the P&L ratio range of Trd_GetPositionList (percent, exclusive).
   */
  positions(header: Trd_Common.TrdHeader, filter?: Trd_Common.TrdFilterConditions, plRatio?: { min?: number; max?: number }): Trd_Common.Position[] {
    this.sweep();
    return this.ledger.positions(this.accountFor(header), filter, plRatio);
  }

  /** Trd_GetMaxTrdQtys: whole-lot quantities; with orderID/orderIDEx the order's own reservation counts as free. */
  maxTrdQtys(c2s: Trd_GetMaxTrdQtys.C2S): Trd_Common.MaxTrdQtys {
    this.sweep();
    const acc = this.accountFor(c2s.header);
    const hasOrder = (c2s.orderID !== undefined && c2s.orderID !== 0n) || !!c2s.orderIDEx;
    return this.ledger.maxTrdQtys(acc, c2s, hasOrder ? this.findOrder(acc, c2s.orderID ?? 0n, c2s.orderIDEx) : undefined);
  }


  /**
   * Today's orders (created on the current local trading date of their market) plus any order still open.
   * Filters as Trd_GetOrderList: codeList, idList (orderID), orderIDExList, filterMarket, optional
   * beginTime/endTime, and statusList (filterStatusList).
   */
  orders(header: Trd_Common.TrdHeader, filter?: Trd_Common.TrdFilterConditions, statusList?: number[]): Trd_Common.Order[] {
    this.sweep();
    const acc = this.accountFor(header);
    const range = timeRange(header, filter, false);
    const now = this.now();
    return this.orderList
      .filter((o) => o.acc === acc && (this.open.has(o) || o.tradeDate === localDate(now, o.tz) || o.tradeDate === orderTradeDate(o.sec.market, now, o.tz)))
      .filter((o) => orderMatches(o, filter, statusList, range))
      .map((o) => toOrder(o));
  }

  /** Trd_GetHistoryOrderList: orders created within beginTime..endTime (both required, inclusive), any status. */
  historyOrders(header: Trd_Common.TrdHeader, filter: Trd_Common.TrdFilterConditions, statusList?: number[]): Trd_Common.Order[] {
    this.sweep();
    const acc = this.accountFor(header);
    const range = timeRange(header, filter, true);
    return this.orderList.filter((o) => o.acc === acc && orderMatches(o, filter, statusList, range)).map((o) => toOrder(o));
  }

  /** Trd_GetOrderFillList: today's fills. REAL only: paper trading has no fills. */
  fills(header: Trd_Common.TrdHeader, filter?: Trd_Common.TrdFilterConditions): Trd_Common.OrderFill[] {
    this.sweep();
    const acc = this.accountFor(header);
    this.requireReal(acc);
    const range = timeRange(header, filter, false);
    const now = this.now();
    return this.fillList
      .filter((f) => f.acc === acc && localDate(f.createMs, f.tz) === localDate(now, f.tz))
      .filter((f) => fillMatches(f, filter, range, (id) => this.ordersById.get(id)?.sec.market))
      .map((f) => ({ ...f.fill }));
  }

  /** Trd_GetHistoryOrderFillList: fills within beginTime..endTime (both required). REAL only. */
  historyFills(header: Trd_Common.TrdHeader, filter: Trd_Common.TrdFilterConditions): Trd_Common.OrderFill[] {
    this.sweep();
    const acc = this.accountFor(header);
    this.requireReal(acc);
    const range = timeRange(header, filter, true);
    return this.fillList.filter((f) => f.acc === acc && fillMatches(f, filter, range, (id) => this.ordersById.get(id)?.sec.market)).map((f) => ({ ...f.fill }));
  }

  /**
   * Expires DAY orders whose local trading date has passed and GTC orders older than 90 days. Runs
   * before every call and every market trade; public so that a timer may run it too.
   */
  sweep(): void {
    if (this.open.size === 0) return;
    this.worked.sweep(this.open);
    const now = this.now();
    for (const o of [...this.open]) {
      // The trading date as placement counts it (a US order from 20:00 ET belongs to the next date).
      if (o.timeInForce === TimeInForce.DAY && orderTradeDate(o.sec.market, now, o.tz) > o.tradeDate) {
        this.cancel(o, 'DAY order expired at the end of its trading day');
      } else if (o.timeInForce === TimeInForce.GTC && now - o.createMs > GTC_LIFETIME_MS) {
        this.cancel(o, 'GTC order expired after 90 days');
      }
    }
  }

  // ---------------------------------------------------------------------------------------- internals

  private nextId(): bigint {
    this.lastId += 1n;
    return this.lastId;
  }

  private accountFor(header: Trd_Common.TrdHeader | undefined): AccountState {
    return accountForHeader(this.accountsById, header);
  }

  private requireUnlocked(acc: AccountState): void {
    if (acc.envName === 'REAL' && !this.unlocked) {
      throw new TradingError('trade is locked: unlock trading for REAL accounts first (Trd_UnlockTrade)');
    }
  }

  private requireReal(acc: AccountState): void {
    if (acc.envName === 'SIMULATE') throw new TradingError('simulated trading does not support fill queries');
  }

  private findOrder(acc: AccountState, orderID: bigint, orderIDEx?: string): OrderState {
    const o = orderID !== 0n ? this.ordersById.get(orderID) : orderIDEx ? this.ordersByIdEx.get(orderIDEx) : undefined;
    if (!o || o.acc !== acc) {
      const what = orderID !== 0n ? `order ${orderID}` : orderIDEx ? `order ${orderIDEx}` : 'orderID (or orderIDEx)';
      throw new TradingError(orderID === 0n && !orderIDEx ? `${what} is required` : `${what} not found in account ${acc.accID}`);
    }
    return o;
  }

  private cancel(o: OrderState, reason: string): void {
    o.status = o.fillQty > 0 ? OrderStatus.CANCELLED_PART : OrderStatus.CANCELLED_ALL;
    o.lastErrMsg = reason;
    this.open.delete(o);
    this.touchAndEmit(o);
  }

  private touchAndEmit(o: OrderState): void {
    o.updateMs = this.now();
    this.emitOrder(o);
  }

  // --------------------------------------------------------------------------------------- matching

  /** Matches a (newly modified / enabled) order against the book if the market is trading. */
  private matchNow(o: OrderState): void {
    if (!WORKING.has(o.status) || !o.triggered || workedApart(o) || !canFillNow(o, this.market)) return;
    this.match(o, bookLiquidity(o, this.market.top(o.sec.key)));
  }

  /** Fills `o` from the given liquidity, best price first, in whole lots; consumes the liquidity used. */
  private match(o: OrderState, liquidity: Liquidity[]): void {
    const buy = isBuy(o.trdSide);
    const ordered = [...liquidity].sort((a, b) => (buy ? a.price - b.price : b.price - a.price));
    for (const l of ordered) {
      if (!WORKING.has(o.status)) return;
      if (!(l.vol > 0) || !acceptable(o, l.price)) continue;
      const take = floorLots(Math.min(l.vol, o.qty - o.fillQty), o.sec.lotSize);
      if (take <= 0) continue;
      l.vol -= take;
      this.fill(o, take, l.price);
    }
  }

  private onMarketTrade(t: MarketTrade): void {
    this.worked.observe(t);
    this.sweep();
    const candidates = [...this.open].filter((o) => o.sec.key === t.key && WORKING.has(o.status) && canFillNow(o, this.market));
    if (candidates.length === 0) return;
    for (const o of candidates) {
      if (!o.triggered && tradeTriggers(o, t.price)) {
        applyTrigger(o);
        if (o.status === OrderStatus.WAITING_SUBMIT) o.status = OrderStatus.SUBMITTED;
        this.touchAndEmit(o);
      }
    }
    const working = this.worked.onTrade(candidates.filter((o) => o.triggered), t);
    const buys = working.filter((o) => isBuy(o.trdSide)).sort(matchPriority(true));
    const sells = working.filter((o) => !isBuy(o.trdSide)).sort(matchPriority(false));
    const buyLiquidity: Liquidity[] = [
      { price: t.price, vol: t.volume },
      { price: t.top.ask, vol: t.top.askVol },
    ];
    const sellLiquidity: Liquidity[] = [
      { price: t.price, vol: t.volume },
      { price: t.top.bid, vol: t.top.bidVol },
    ];
    for (const o of buys) this.match(o, buyLiquidity);
    for (const o of sells) this.match(o, sellLiquidity);
  }

  private fill(o: OrderState, qty: number, price: number): void {
    const acc = o.acc;
    const now = this.now();
    const signed = isBuy(o.trdSide) ? qty : -qty;
    o.fillQty += qty;
    o.fillValue = roundMoney(o.fillValue + qty * price);
    o.updateMs = now;
    o.status = o.fillQty >= o.qty ? OrderStatus.FILLED_ALL : OrderStatus.FILLED_PART;
    if (o.status === OrderStatus.FILLED_ALL) this.open.delete(o);

    const cur = securityCurrency(o.sec);
    acc.addCash(cur, fillCashDelta(o.sec, acc.positions.get(o.sec.key), signed, price)); // × multiplier; futures: realized P&L
    let pos = acc.positions.get(o.sec.key);
    if (!pos) {
      pos = {
        positionID: this.nextId(),
        key: o.sec.key,
        market: o.sec.market,
        code: o.sec.code,
        currency: cur,
        qty: 0,
        avgCost: 0,
        costTotal: 0,
        realizedPL: 0,
        today: emptyToday(''),
      };
      acc.positions.set(o.sec.key, pos);
    }
    applyFillToPosition(pos, signed, price, localDate(now, o.tz));
    this.fillBooking?.(o, qty, price, now);

    // Paper trading has no fills. The fill is recorded before any listener hears of the order change, so
    // a state-file save made on the order event already holds it.
    const fill = acc.envName === 'REAL' ? fillOf(o, this.nextId(), qty, price, now) : undefined;
    if (fill) this.fillList.push({ acc, header: { ...o.header }, fill, tz: o.tz, createMs: now });
    this.emitOrder(o);
    if (fill) for (const l of [...this.fillListeners]) this.safeCall(() => l(acc.accID, { ...o.header }, { ...fill }));
  }

  // ----------------------------------------------------------------------------------- conversions

  private emitOrder(o: OrderState): void {
    if (this.orderListeners.size === 0) return;
    for (const l of [...this.orderListeners]) this.safeCall(() => l(o.acc.accID, { ...o.header }, toOrder(o)));
  }

  /** A throwing listener must not corrupt the engine; its error is rethrown outside the engine's call. */
  private safeCall(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      queueMicrotask(() => {
        throw err;
      });
    }
  }

}
