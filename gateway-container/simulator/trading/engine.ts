// The paper-trading engine of the simulator: accounts in both environments, OpenD-wide unlock, order
// validation, matching against the simulated market's trades and top of book, cash and positions, and the
// order / fill events that become Trd_UpdateOrder / Trd_UpdateOrderFill pushes. Pure and synchronous:
// no networking, no timers; time comes from the injected virtual clock.
import { createHash } from 'node:crypto';
import * as Trd_Common from '../../../proto/generated/Trd_Common.js';
import type * as Trd_GetMaxTrdQtys from '../../../proto/generated/Trd_GetMaxTrdQtys.js';
import type * as Trd_ModifyOrder from '../../../proto/generated/Trd_ModifyOrder.js';
import type * as Trd_PlaceOrder from '../../../proto/generated/Trd_PlaceOrder.js';
import type { MarketTrade, MarketView, SecurityFacts, TopOfBook } from '../market-view.js';
import { toUnits } from '../ticks.js';
import { AccountState, applyFillToPosition, DEFAULT_ACCOUNTS, emptyToday, type AccountConfig, type PositionState } from './accounts.js';
import { TradingError } from './errors.js';
import { exportState, restoreState, type TradingStateData } from './snapshot.js';
import { fillMatches, fillOf, isBuy, matchesCode, orderMatches, timeRange, toOrder, WORKING, type FillRecord, type OrderState, type Role } from './records.js';
import {
  convert,
  currencyEnum,
  currencyFromEnum,
  formatLocalTime,
  formatMoney,
  localDate,
  MARKET_TIME_ZONE,
  nameOf,
  roundMoney,
  secMarketEnum,
  securityCurrency,
  trdMarketsFor,
  truncateTo,
  type CashCurrency,
} from './util.js';
import {
  checkOrderType,
  checkPrice,
  checkQty,
  checkRemark,
  checkSide,
  checkTimeInForce,
  floorLots,
  IMMEDIATE_TYPES,
  LIMIT_TYPES,
  PRICE_DECIMALS,
  resolveSecurity,
  TRIGGER_TYPES,
} from './validation.js';

export { TradingError } from './errors.js';
export { DEFAULT_ACCOUNTS, type AccountConfig, type StartingPosition } from './accounts.js';

const { OrderStatus, OrderType, TrdSide, TrdEnv, ModifyOrderOp, TimeInForce } = Trd_Common;

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

interface Liquidity {
  price: number;
  vol: number;
}

interface Reservations {
  /** Cash frozen by open buy orders, per currency. */
  frozen: Map<CashCurrency, number>;
  /** Buying power held by open short-sell orders, per currency. */
  shortHeld: Map<CashCurrency, number>;
  /** Remaining qty of open sell orders closing a long, per security key. */
  pendingSell: Map<string, number>;
  /** Remaining qty of open buy orders covering a short, per security key. */
  pendingCover: Map<string, number>;
}

const add = <K>(m: Map<K, number>, k: K, v: number): void => {
  m.set(k, (m.get(k) ?? 0) + v);
};
/** Funds and positions carry 3 decimals. */
const r3 = (v: number): number => {
  const r = Math.round(v * 1000) / 1000;
  return r === 0 ? 0 : r;
};

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

  constructor(opts: TradingEngineOptions) {
    this.market = opts.market;
    this.now = opts.now;
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
      for (const p of acc.config.positions ?? []) this.seedPosition(acc, p.key, p.qty, p.costPrice);
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
    const { sec, key } = resolveSecurity(this.market, c2s.header.trdMarket, c2s.code, c2s.secMarket);
    const trdSide = checkSide(acc, sec, c2s.trdSide);
    const orderType = checkOrderType(acc, sec, c2s.orderType);
    const timeInForce = checkTimeInForce(acc, orderType, c2s.timeInForce);
    const qty = checkQty(c2s.qty, sec);
    const remark = checkRemark(c2s.remark);
    const price = LIMIT_TYPES.has(orderType) ? checkPrice(c2s.price, sec, c2s) : 0;
    const auxPrice = TRIGGER_TYPES.has(orderType) ? checkPrice(c2s.auxPrice, sec, {}, 'auxPrice') : undefined;

    const trading = this.market.isTradingNow(sec.market);
    if (IMMEDIATE_TYPES.has(orderType) && !trading) {
      throw new TradingError(
        `${nameOf(OrderType, orderType)} orders can only be placed during continuous trading; the ${sec.market} market is not trading now`,
      );
    }
    const top = this.market.top(key);
    const reservePrice = this.reservePrice(orderType, trdSide, price, auxPrice, top, key);
    const role = this.roleFor(acc, sec, trdSide, qty);
    this.checkCapacity(acc, sec, role, qty, reservePrice);

    const now = this.now();
    const tz = MARKET_TIME_ZONE[sec.market];
    const orderID = this.nextId();
    const tradeDate = localDate(now, tz);
    const o: OrderState = {
      acc,
      header: { trdEnv: acc.trdEnv, accID: acc.accID, trdMarket: c2s.header.trdMarket },
      orderID,
      orderIDEx: `${acc.envName === 'REAL' ? 'FTR' : 'FTS'}${tradeDate.replaceAll('-', '')}_${orderID}`,
      sec,
      tz,
      tradeDate,
      trdSide,
      orderType,
      status: OrderStatus.SUBMITTING,
      qty,
      price,
      triggered: !TRIGGER_TYPES.has(orderType),
      fillQty: 0,
      fillValue: 0,
      createMs: now,
      updateMs: now,
      remark,
      timeInForce,
      lastErrMsg: '',
      role,
      reservePrice,
    };
    if (auxPrice !== undefined) o.auxPrice = auxPrice;
    if (c2s.fillOutsideRTH !== undefined) o.fillOutsideRTH = c2s.fillOutsideRTH;
    if (c2s.session !== undefined) o.session = c2s.session;
    this.orderList.push(o);
    this.ordersById.set(o.orderID, o);
    this.ordersByIdEx.set(o.orderIDEx, o);
    this.open.add(o);

    this.emitOrder(o);
    o.status = OrderStatus.SUBMITTED;
    this.emitOrder(o);

    if (orderType === OrderType.SPECIAL_LIMIT_ALL) {
      // Fill or kill: only if the whole quantity is available at or better than the limit right now.
      const avail = this.bookLiquidity(o, top).filter((l) => this.acceptable(o, l.price)).reduce((s, l) => s + l.vol, 0);
      if (floorLots(avail, sec.lotSize) >= qty) this.match(o, this.bookLiquidity(o, top));
      if (WORKING.has(o.status)) this.cancel(o, 'special limit (fill or kill) order: not enough volume at the limit; cancelled');
    } else if (trading && o.triggered) {
      this.match(o, this.bookLiquidity(o, top));
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
    const sim = acc.envName === 'SIMULATE';
    const known: number[] = [ModifyOrderOp.NORMAL, ModifyOrderOp.CANCEL, ModifyOrderOp.DISABLE, ModifyOrderOp.ENABLE, ModifyOrderOp.DELETE];
    if (!known.includes(op)) {
      throw new TradingError(`modifyOrderOp ${nameOf(ModifyOrderOp, op)} is invalid: use NORMAL, CANCEL, DISABLE, ENABLE or DELETE`);
    }
    if (sim && op !== ModifyOrderOp.NORMAL && op !== ModifyOrderOp.CANCEL) {
      throw new TradingError(`modifyOrderOp ${nameOf(ModifyOrderOp, op)} is not supported: paper trading supports only NORMAL (modify) and CANCEL`);
    }

    if (c2s.forAll) {
      if (sim) throw new TradingError('simulated trading does not support cancel-all');
      if (op !== ModifyOrderOp.CANCEL) throw new TradingError('forAll works only with modifyOrderOp CANCEL');
      for (const o of [...this.open]) {
        if (o.acc !== acc) continue;
        if (c2s.trdMarket !== undefined && c2s.trdMarket !== Trd_Common.TrdMarket.UNKNOWN && o.header.trdMarket !== c2s.trdMarket) continue;
        this.cancel(o, '');
      }
      return { orderID: 0n, orderIDEx: '' };
    }

    const o = this.findOrder(acc, c2s.orderID, c2s.orderIDEx);
    const opName = nameOf(ModifyOrderOp, op);
    if ((op === ModifyOrderOp.DISABLE || op === ModifyOrderOp.ENABLE || op === ModifyOrderOp.DELETE) && o.sec.market !== 'HK') {
      throw new TradingError(`modifyOrderOp ${opName} is only supported for HK orders; ${o.sec.key} supports NORMAL and CANCEL`);
    }
    const statusName = nameOf(OrderStatus, o.status);
    switch (op) {
      case ModifyOrderOp.NORMAL:
        this.modify(o, c2s);
        break;
      case ModifyOrderOp.CANCEL:
        if (!this.open.has(o)) throw new TradingError(`order ${o.orderID} is already ${statusName} and cannot be cancelled`);
        this.cancel(o, '');
        break;
      case ModifyOrderOp.DISABLE:
        if (!WORKING.has(o.status)) throw new TradingError(`order ${o.orderID} is ${statusName}; only working orders can be disabled`);
        o.status = OrderStatus.DISABLED;
        this.touchAndEmit(o);
        break;
      case ModifyOrderOp.ENABLE: {
        if (o.status !== OrderStatus.DISABLED) throw new TradingError(`order ${o.orderID} is ${statusName}; only DISABLED orders can be enabled`);
        this.checkCapacity(acc, o.sec, o.role, o.qty - o.fillQty, o.reservePrice, o);
        o.status = o.fillQty > 0 ? OrderStatus.FILLED_PART : OrderStatus.SUBMITTED;
        this.touchAndEmit(o);
        this.matchNow(o);
        break;
      }
      case ModifyOrderOp.DELETE: {
        const deletable: number[] = [
          OrderStatus.SUBMITTED,
          OrderStatus.DISABLED,
          OrderStatus.CANCELLED_ALL,
          OrderStatus.FAILED,
          OrderStatus.SUBMIT_FAILED,
        ];
        if (o.fillQty > 0 || !deletable.includes(o.status)) {
          throw new TradingError(`order ${o.orderID} is ${statusName} with ${o.fillQty} filled; only unfilled orders can be deleted`);
        }
        o.status = OrderStatus.DELETED;
        this.open.delete(o);
        this.touchAndEmit(o);
        break;
      }
    }
    return { orderID: o.orderID, orderIDEx: o.orderIDEx };
  }

  // ----------------------------------------------------------------------------------------- queries

  funds(header: Trd_Common.TrdHeader, currency?: number): Trd_Common.Funds {
    this.sweep();
    const acc = this.accountFor(header);
    const cur = currency === undefined || currency === Trd_Common.Currency.UNKNOWN ? acc.baseCurrency : currencyFromEnum(currency);
    const res = this.reservations(acc);
    const v = this.valuation(acc, cur);
    let frozen = 0;
    for (const [c, x] of res.frozen) frozen += convert(x, c, cur);
    const power = this.buyingPower(acc, cur, res);
    const freeCash = Math.max(0, v.cash - frozen);
    const cashInfoList: Trd_Common.AccCashInfo[] = [...acc.cash].map(([c, x]) => {
      const avail = x - (res.frozen.get(c) ?? 0);
      return { currency: currencyEnum(c), cash: r3(x), availableBalance: r3(avail), netCashPower: r3(Math.max(0, avail)) };
    });
    const marketInfoList: Trd_Common.AccMarketInfo[] = acc.markets.map((m) => ({ trdMarket: m, assets: r3(v.mvByTrdMarket.get(m) ?? 0) }));
    const gross = v.longMv + v.shortMv;
    return {
      power: r3(power),
      totalAssets: r3(v.cash + v.longMv - v.shortMv),
      cash: r3(v.cash),
      marketVal: r3(v.longMv - v.shortMv),
      frozenCash: r3(frozen),
      debtCash: r3(v.debt),
      avlWithdrawalCash: r3(freeCash),
      currency: currencyEnum(cur),
      unrealizedPL: r3(v.unrealizedPL),
      realizedPL: r3(v.realizedPL),
      riskLevel: Trd_Common.CltRiskLevel.SAFE,
      riskStatus: Trd_Common.CltRiskStatus.LEVEL1,
      initialMargin: r3(acc.isMargin ? gross / acc.leverage : 0),
      maintenanceMargin: r3(acc.isMargin ? gross / acc.leverage / 2 : 0),
      cashInfoList,
      maxPowerShort: r3(acc.allowShort && acc.marketNames.includes('US') ? power : 0),
      netCashPower: r3(freeCash),
      longMv: r3(v.longMv),
      shortMv: r3(v.shortMv),
      pendingAsset: 0,
      maxWithdrawal: r3(freeCash),
      securitiesAssets: r3(v.cash + v.longMv - v.shortMv),
      fundAssets: 0,
      bondAssets: 0,
      marketInfoList,
    };
  }

  /**
   * Positions: open ones, plus ones closed today. Filters: codeList ("00700" or "HK.00700"), idList
   * (positionID), filterMarket, and the P&L ratio range of Trd_GetPositionList (percent, exclusive).
   */
  positions(
    header: Trd_Common.TrdHeader,
    filter?: Trd_Common.TrdFilterConditions,
    plRatio?: { min?: number; max?: number },
  ): Trd_Common.Position[] {
    this.sweep();
    const acc = this.accountFor(header);
    const res = this.reservations(acc);
    const out: Trd_Common.Position[] = [];
    for (const pos of acc.positions.values()) {
      const tz = MARKET_TIME_ZONE[pos.market];
      const today = localDate(this.now(), tz);
      if (pos.qty === 0 && pos.today.date !== today) continue;
      const p = this.toPosition(acc, pos, res, today);
      if (!matchesCode(filter?.codeList, pos.market, pos.code)) continue;
      if (filter?.idList?.length && !filter.idList.includes(pos.positionID)) continue;
      if (filter?.filterMarket && p.trdMarket !== filter.filterMarket) continue;
      if (plRatio?.min !== undefined && !(p.plRatio !== undefined && p.plRatio > plRatio.min)) continue;
      if (plRatio?.max !== undefined && !(p.plRatio !== undefined && p.plRatio < plRatio.max)) continue;
      out.push(p);
    }
    return out;
  }

  /** Trd_GetMaxTrdQtys: whole-lot quantities; with orderID/orderIDEx the order's own reservation counts as free. */
  maxTrdQtys(c2s: Trd_GetMaxTrdQtys.C2S): Trd_Common.MaxTrdQtys {
    this.sweep();
    const acc = this.accountFor(c2s.header);
    const { sec, key } = resolveSecurity(this.market, c2s.header.trdMarket, c2s.code, c2s.secMarket);
    const type = checkOrderType(acc, sec, c2s.orderType);
    const top = this.market.top(key);
    let price: number;
    if (LIMIT_TYPES.has(type)) {
      price = checkPrice(c2s.price, sec, c2s);
    } else {
      price = c2s.price > 0 ? truncateTo(c2s.price, PRICE_DECIMALS) : top?.ask || top?.last || 0;
      if (!(price > 0)) throw new TradingError(`price is required: there is no quote for ${key} to estimate a market order`);
    }
    const hasOrder = (c2s.orderID !== undefined && c2s.orderID !== 0n) || !!c2s.orderIDEx;
    const exclude = hasOrder ? this.findOrder(acc, c2s.orderID ?? 0n, c2s.orderIDEx) : undefined;
    const res = this.reservations(acc, exclude);
    const cur = securityCurrency(sec);
    const lot = sec.lotSize;
    const held = acc.positions.get(key)?.qty ?? 0;

    let ownCash: number;
    if (acc.isMargin) {
      ownCash = 0;
      for (const [c, x] of acc.cash) ownCash += convert(x - (res.frozen.get(c) ?? 0), c, cur);
    } else {
      ownCash = acc.cashIn(cur) - (res.frozen.get(cur) ?? 0);
    }
    const power = this.buyingPower(acc, cur, res);
    const maxCashBuy = held < 0 ? 0 : floorLots(Math.max(0, ownCash) / price, lot);
    const out: Trd_Common.MaxTrdQtys = {
      maxCashBuy,
      maxCashAndMarginBuy: held < 0 ? 0 : acc.isMargin ? floorLots(power / price, lot) : maxCashBuy,
      maxPositionSell: held > 0 ? floorLots(held - (res.pendingSell.get(key) ?? 0), lot) : 0,
      maxSellShort: held <= 0 && this.shortBlocker(acc, sec) === undefined ? floorLots(power / price, lot) : 0,
      maxBuyBack: held < 0 ? floorLots(-held - (res.pendingCover.get(key) ?? 0), lot) : 0,
    };
    if (c2s.session !== undefined) out.session = c2s.session;
    return out;
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
      .filter((o) => o.acc === acc && (this.open.has(o) || o.tradeDate === localDate(now, o.tz)))
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
    const now = this.now();
    for (const o of [...this.open]) {
      if (o.timeInForce === TimeInForce.DAY && localDate(now, o.tz) > o.tradeDate) {
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
    if (!header) throw new TradingError('header is required');
    const env = header.trdEnv;
    if (env !== TrdEnv.SIMULATE && env !== TrdEnv.REAL) {
      throw new TradingError(`header.trdEnv ${String(env)} is invalid: use SIMULATE (0) or REAL (1)`);
    }
    const envName = nameOf(TrdEnv, env);
    const marketName = nameOf(Trd_Common.TrdMarket, header.trdMarket);
    const acc = this.accountsById.get(header.accID);
    if (!acc || acc.trdEnv !== env) {
      throw new TradingError(`account ${header.accID} not found for trdEnv ${envName} / trdMarket ${marketName}`);
    }
    if (!acc.markets.includes(header.trdMarket)) {
      throw new TradingError(
        `account ${header.accID} (${envName}) has no permission for trdMarket ${marketName}; it trades ${acc.marketNames.join(', ')}`,
      );
    }
    return acc;
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

  private seedPosition(acc: AccountState, key: string, qty: number, costPrice: number): void {
    const dot = key.indexOf('.');
    const market = key.slice(0, dot);
    if (market !== 'HK' && market !== 'US' && market !== 'SH' && market !== 'SZ') {
      throw new TradingError(`starting position ${key}: key must look like "HK.00700"`);
    }
    const facts = this.market.security(key);
    const currency: CashCurrency = facts ? securityCurrency(facts) : market === 'US' ? 'USD' : market === 'HK' ? 'HKD' : 'CNH';
    acc.positions.set(key, {
      positionID: this.nextId(),
      key,
      market,
      code: key.slice(dot + 1),
      currency,
      qty,
      avgCost: costPrice,
      costTotal: roundMoney(qty * costPrice),
      realizedPL: 0,
      today: emptyToday(''),
    });
  }

  /** Decides whether an order opens or closes a long or short position, and enforces the short rules. */
  private roleFor(acc: AccountState, sec: SecurityFacts, side: number, qty: number): Role {
    const held = acc.positions.get(sec.key)?.qty ?? 0;
    switch (side) {
      case TrdSide.BUY:
        return held < 0 ? 'close-short' : 'open-long';
      case TrdSide.BUY_BACK:
        if (held >= 0) throw new TradingError(`BUY_BACK needs a short position in ${sec.key}; holding ${held}`);
        return 'close-short';
      case TrdSide.SELL_SHORT:
        if (held > 0) throw new TradingError(`sell the long position of ${sec.key} (${held}) before SELL_SHORT`);
        break;
      default:
        if (held > 0) return 'close-long';
    }
    const blocker = this.shortBlocker(acc, sec);
    if (blocker) {
      throw new TradingError(`insufficient position to sell: holding ${held} of ${sec.key}, order qty ${qty}; ${blocker}`);
    }
    return 'open-short';
  }

  /** Why this account may not short this security, or undefined if it may. */
  private shortBlocker(acc: AccountState, sec: SecurityFacts): string | undefined {
    if (sec.market !== 'US') {
      return acc.envName === 'SIMULATE'
        ? 'short selling is only allowed for US securities in paper trading'
        : 'the simulator allows short selling only for US securities';
    }
    if (!acc.allowShort) return 'short selling needs a margin account';
    return undefined;
  }

  private reservePrice(
    orderType: number,
    side: number,
    price: number,
    auxPrice: number | undefined,
    top: TopOfBook | undefined,
    key: string,
  ): number {
    if (LIMIT_TYPES.has(orderType)) return price;
    if (auxPrice !== undefined) return auxPrice;
    const est = (isBuy(side) ? top?.ask : top?.bid) || top?.last || 0;
    if (!(est > 0)) throw new TradingError(`no quote for ${key} yet: market orders need a live order book`);
    return est;
  }

  private reservations(acc: AccountState, exclude?: OrderState): Reservations {
    const r: Reservations = { frozen: new Map(), shortHeld: new Map(), pendingSell: new Map(), pendingCover: new Map() };
    for (const o of this.open) {
      if (o.acc !== acc || o === exclude || !WORKING.has(o.status)) continue;
      const left = o.qty - o.fillQty;
      const cur = securityCurrency(o.sec);
      switch (o.role) {
        case 'open-long':
          add(r.frozen, cur, left * o.reservePrice);
          break;
        case 'open-short':
          add(r.shortHeld, cur, left * o.reservePrice);
          break;
        case 'close-long':
          add(r.pendingSell, o.sec.key, left);
          break;
        case 'close-short':
          add(r.pendingCover, o.sec.key, left);
          break;
      }
    }
    return r;
  }

  private lastPrice(key: string, fallback: number): number {
    const last = this.market.top(key)?.last;
    return last !== undefined && last > 0 ? last : fallback;
  }

  /** Cash, market values and P&L of an account in currency `cur`. */
  private valuation(acc: AccountState, cur: CashCurrency) {
    let cash = 0;
    let debt = 0;
    for (const [c, x] of acc.cash) {
      cash += convert(x, c, cur);
      if (x < 0) debt += convert(-x, c, cur);
    }
    let longMv = 0;
    let shortMv = 0;
    let unrealizedPL = 0;
    let realizedPL = 0;
    const mvByTrdMarket = new Map<number, number>();
    for (const pos of acc.positions.values()) {
      const price = this.lastPrice(pos.key, pos.avgCost);
      const mv = convert(pos.qty * price, pos.currency, cur);
      if (mv > 0) longMv += mv;
      else shortMv -= mv;
      unrealizedPL += convert((price - pos.avgCost) * pos.qty, pos.currency, cur);
      realizedPL += convert(pos.realizedPL, pos.currency, cur);
      add(mvByTrdMarket, this.positionTrdMarket(acc, pos), mv);
    }
    return { cash, debt, longMv, shortMv, unrealizedPL, realizedPL, mvByTrdMarket };
  }

  /**
   * Buying power in `cur`. CASH accounts: that currency's cash minus what open buys froze (no FX).
   * MARGIN accounts: leverage × equity − gross market value − reservations of open orders, all currencies.
   */
  private buyingPower(acc: AccountState, cur: CashCurrency, res: Reservations): number {
    if (!acc.isMargin) return Math.max(0, acc.cashIn(cur) - (res.frozen.get(cur) ?? 0));
    const v = this.valuation(acc, cur);
    let reserved = 0;
    for (const [c, x] of res.frozen) reserved += convert(x, c, cur);
    for (const [c, x] of res.shortHeld) reserved += convert(x, c, cur);
    const equity = v.cash + v.longMv - v.shortMv;
    return Math.max(0, acc.leverage * equity - (v.longMv + v.shortMv) - reserved);
  }

  /** Throws unless the account can take `qty` more of this role at `price` (ignoring `exclude`'s reservation). */
  private checkCapacity(acc: AccountState, sec: SecurityFacts, role: Role, qty: number, price: number, exclude?: OrderState): void {
    const res = this.reservations(acc, exclude);
    const cur = securityCurrency(sec);
    const held = acc.positions.get(sec.key)?.qty ?? 0;
    const need = roundMoney(qty * price);
    switch (role) {
      case 'open-long': {
        if (acc.isMargin) {
          const power = this.buyingPower(acc, cur, res);
          if (need > power + 1e-6) {
            throw new TradingError(`insufficient buying power: need ${formatMoney(need)} ${cur}, available ${formatMoney(power)} ${cur}`);
          }
        } else {
          const frozen = res.frozen.get(cur) ?? 0;
          const avail = Math.max(0, acc.cashIn(cur) - frozen);
          if (need > avail + 1e-6) {
            throw new TradingError(
              `insufficient cash: need ${formatMoney(need)} ${cur}, available ${formatMoney(avail)} ${cur}` +
                (frozen > 0 ? ` (${formatMoney(frozen)} ${cur} is frozen by open buy orders)` : ''),
            );
          }
        }
        return;
      }
      case 'open-short': {
        const power = this.buyingPower(acc, cur, res);
        if (need > power + 1e-6) {
          throw new TradingError(`insufficient buying power to sell short: need ${formatMoney(need)} ${cur}, available ${formatMoney(power)} ${cur}`);
        }
        return;
      }
      case 'close-long': {
        const pending = res.pendingSell.get(sec.key) ?? 0;
        const sellable = Math.max(0, held - pending);
        if (qty > sellable) {
          throw new TradingError(
            `insufficient position to sell: order qty ${qty} of ${sec.key} but only ${sellable} sellable ` +
              `(holding ${held}, ${pending} in open sell orders)`,
          );
        }
        return;
      }
      case 'close-short': {
        const pending = res.pendingCover.get(sec.key) ?? 0;
        const coverable = Math.max(0, -held - pending);
        if (qty > coverable) {
          throw new TradingError(
            `buy qty ${qty} exceeds the short position to cover in ${sec.key} (short ${-held}, ${pending} in open buy orders); ` +
              'buy back the short first, then buy long',
          );
        }
        return;
      }
    }
  }

  private modify(o: OrderState, c2s: Trd_ModifyOrder.C2S): void {
    const statusName = nameOf(OrderStatus, o.status);
    if (!this.open.has(o)) throw new TradingError(`order ${o.orderID} is already ${statusName} and cannot be modified`);
    if (IMMEDIATE_TYPES.has(o.orderType)) {
      throw new TradingError(`${nameOf(OrderType, o.orderType)} orders cannot be modified; cancel and place a new order`);
    }
    const qty = c2s.qty === undefined ? o.qty : checkQty(c2s.qty, o.sec);
    if (qty <= o.fillQty) {
      throw new TradingError(`qty ${qty} must be more than the ${o.fillQty} already filled; cancel the order instead`);
    }
    const price = LIMIT_TYPES.has(o.orderType) && c2s.price !== undefined ? checkPrice(c2s.price, o.sec, c2s) : o.price;
    const auxPrice =
      TRIGGER_TYPES.has(o.orderType) && c2s.auxPrice !== undefined ? checkPrice(c2s.auxPrice, o.sec, {}, 'auxPrice') : o.auxPrice;
    const reservePrice = LIMIT_TYPES.has(o.orderType) ? price : (auxPrice ?? o.reservePrice);
    if (WORKING.has(o.status)) this.checkCapacity(o.acc, o.sec, o.role, qty - o.fillQty, reservePrice, o);
    o.qty = qty;
    o.price = price;
    if (auxPrice !== undefined) o.auxPrice = auxPrice;
    o.reservePrice = reservePrice;
    this.touchAndEmit(o);
    this.matchNow(o);
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

  /** Liquidity on the opposite side of the current book, for an order that arrives now. */
  private bookLiquidity(o: OrderState, top: TopOfBook | undefined): Liquidity[] {
    if (!top) return [];
    return isBuy(o.trdSide) ? [{ price: top.ask, vol: top.askVol }] : [{ price: top.bid, vol: top.bidVol }];
  }

  /** Matches a (newly modified / enabled) order against the book if the market is trading. */
  private matchNow(o: OrderState): void {
    if (!WORKING.has(o.status) || !o.triggered || !this.market.isTradingNow(o.sec.market)) return;
    this.match(o, this.bookLiquidity(o, this.market.top(o.sec.key)));
  }

  private acceptable(o: OrderState, price: number): boolean {
    if (!(price > 0)) return false;
    if (!LIMIT_TYPES.has(o.orderType)) return true;
    const p = toUnits(price);
    const limit = toUnits(o.price);
    if (o.orderType === OrderType.ABSOLUTE_LIMIT) return p === limit;
    return isBuy(o.trdSide) ? p <= limit : p >= limit;
  }

  /** Fills `o` from the given liquidity, best price first, in whole lots; consumes the liquidity used. */
  private match(o: OrderState, liquidity: Liquidity[]): void {
    const buy = isBuy(o.trdSide);
    const ordered = [...liquidity].sort((a, b) => (buy ? a.price - b.price : b.price - a.price));
    for (const l of ordered) {
      if (!WORKING.has(o.status)) return;
      if (!(l.vol > 0) || !this.acceptable(o, l.price)) continue;
      const take = floorLots(Math.min(l.vol, o.qty - o.fillQty), o.sec.lotSize);
      if (take <= 0) continue;
      l.vol -= take;
      this.fill(o, take, l.price);
    }
  }

  private triggerHit(o: OrderState, price: number): boolean {
    if (o.auxPrice === undefined) return true;
    const p = toUnits(price);
    const aux = toUnits(o.auxPrice);
    const buy = isBuy(o.trdSide);
    if (o.orderType === OrderType.STOP || o.orderType === OrderType.STOP_LIMIT) return buy ? p >= aux : p <= aux;
    return buy ? p <= aux : p >= aux; // if-touched
  }

  private onMarketTrade(t: MarketTrade): void {
    this.sweep();
    const candidates = [...this.open].filter((o) => o.sec.key === t.key && WORKING.has(o.status));
    const first = candidates[0];
    if (!first || !this.market.isTradingNow(first.sec.market)) return;
    for (const o of candidates) {
      if (!o.triggered && this.triggerHit(o, t.price)) {
        o.triggered = true;
        o.updateMs = this.now();
      }
    }
    const working = candidates.filter((o) => o.triggered);
    const priority = (buy: boolean) => (a: OrderState, b: OrderState) => {
      const am = LIMIT_TYPES.has(a.orderType) ? 0 : 1;
      const bm = LIMIT_TYPES.has(b.orderType) ? 0 : 1;
      if (am !== bm) return bm - am; // market-type orders first
      if (a.price !== b.price) return buy ? b.price - a.price : a.price - b.price;
      return a.orderID < b.orderID ? -1 : 1;
    };
    const buys = working.filter((o) => isBuy(o.trdSide)).sort(priority(true));
    const sells = working.filter((o) => !isBuy(o.trdSide)).sort(priority(false));
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
    acc.addCash(cur, -signed * price);
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

  private positionTrdMarket(acc: AccountState, pos: PositionState): number {
    const options = trdMarketsFor(pos.market);
    return options.find((m) => acc.markets.includes(m)) ?? options[0] ?? Trd_Common.TrdMarket.UNKNOWN;
  }

  private toPosition(acc: AccountState, pos: PositionState, res: Reservations, today: string): Trd_Common.Position {
    const facts = this.market.security(pos.key);
    const price = this.lastPrice(pos.key, pos.avgCost);
    const qty = pos.qty;
    const val = qty * price;
    const plVal = val - pos.costTotal;
    const diluted = qty !== 0 ? pos.costTotal / qty : 0;
    const unrealized = (price - pos.avgCost) * qty;
    const td = pos.today.date === today ? pos.today : emptyToday(today);
    const p: Trd_Common.Position = {
      positionID: pos.positionID,
      positionSide: qty < 0 ? Trd_Common.PositionSide.SHORT : Trd_Common.PositionSide.LONG,
      code: pos.code,
      name: facts?.name ?? pos.code,
      qty,
      canSellQty: qty > 0 ? Math.max(0, qty - (res.pendingSell.get(pos.key) ?? 0)) : 0,
      price: r3(price),
      costPrice: diluted,
      val: r3(val),
      plVal: r3(plVal),
      secMarket: secMarketEnum(pos.market),
      td_trdVal: r3(td.buyVal + td.sellVal),
      td_buyVal: r3(td.buyVal),
      td_buyQty: td.buyQty,
      td_sellVal: r3(td.sellVal),
      td_sellQty: td.sellQty,
      unrealizedPL: r3(unrealized),
      realizedPL: r3(pos.realizedPL),
      currency: currencyEnum(pos.currency),
      trdMarket: this.positionTrdMarket(acc, pos),
      dilutedCostPrice: diluted,
      accID: acc.accID,
    };
    if (qty !== 0 && diluted > 0) p.plRatio = (plVal / (Math.abs(qty) * diluted)) * 100;
    // Futu: the average cost price does not apply to paper-trading securities accounts.
    if (acc.envName === 'REAL' && qty !== 0) {
      p.averageCostPrice = pos.avgCost;
      if (pos.avgCost > 0) p.averagePlRatio = (unrealized / (Math.abs(qty) * pos.avgCost)) * 100;
    }
    return p;
  }
}
