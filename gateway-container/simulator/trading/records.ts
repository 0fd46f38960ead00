// Order and fill records of the paper-trading engine, their wire form (Trd_Common.Order), and the filters of
// the order / fill list queries. Records are plain mutable data owned by the engine; everything here is
// pure, so the state file can rebuild the same records and the queries give the same answers after a restart.
import * as Trd_Common from '../../../proto/generated/Trd_Common.js';
import { TERMINAL_ORDER_STATUS_VALUES } from '../../../proto/order-status.js';
import type { SecurityFacts } from '../market-view.js';
import type { AccountState } from './accounts.js';
import { TradingError } from './errors.js';
import { currencyEnum, formatLocalTime, localDate, parseLocalTime, secMarketEnum, securityCurrency, trdMarketTimeZone } from './util.js';

const { OrderStatus, TrdSide } = Trd_Common;

/** What an order does to the position; fixed when it is placed. */
export type Role = 'open-long' | 'close-long' | 'open-short' | 'close-short';

export interface OrderState {
  acc: AccountState;
  header: Trd_Common.TrdHeader;
  orderID: bigint;
  orderIDEx: string;
  sec: SecurityFacts;
  tz: string;
  tradeDate: string;
  trdSide: number;
  orderType: number;
  status: number;
  qty: number;
  /** Limit price; 0 for market-type orders. */
  price: number;
  auxPrice?: number;
  /** Trailing orders (TRAILING_STOP / TRAILING_STOP_LIMIT): Trd_Common.TrailType, value, limit spread. */
  trailType?: number;
  trailValue?: number;
  trailSpread?: number;
  /** Trailing orders: highest (sell) or lowest (buy) trade price since placement (triggers.ts). */
  trailMark?: number;
  /** false while a conditional (stop / if-touched / trailing) order waits for its trigger. */
  triggered: boolean;
  fillQty: number;
  fillValue: number;
  createMs: number;
  updateMs: number;
  remark: string;
  timeInForce: number;
  fillOutsideRTH?: boolean;
  session?: number;
  lastErrMsg: string;
  role: Role;
  /** Price used to reserve buying power for the unfilled remainder. */
  reservePrice: number;
}

export interface FillRecord {
  acc: AccountState;
  header: Trd_Common.TrdHeader;
  fill: Trd_Common.OrderFill;
  tz: string;
  createMs: number;
}

/**
 * Statuses in which an order works in the market: it reserves cash / position, and matches once triggered.
 * WAITING_SUBMIT is an untriggered conditional order: accepted, held until its trigger, then SUBMITTED (the
 * simulator's reading of OpenD's lifecycle WaitingSubmit -> Submitting -> Submitted; not confirmed against a live
 * OpenD, which may report such an order as SUBMITTED).
 */
export const WORKING: ReadonlySet<number> = new Set([OrderStatus.WAITING_SUBMIT, OrderStatus.SUBMITTED, OrderStatus.FILLED_PART]);
/** Statuses from which nothing changes any more (DELETE of CANCELLED_ALL / FAILED is the only exception). */
export const FINAL: ReadonlySet<number> = TERMINAL_ORDER_STATUS_VALUES;

export const isBuy = (side: number): boolean => side === TrdSide.BUY || side === TrdSide.BUY_BACK;

export function toOrder(o: OrderState): Trd_Common.Order {
  const order: Trd_Common.Order = {
    trdSide: o.trdSide,
    orderType: o.orderType,
    orderStatus: o.status,
    orderID: o.orderID,
    orderIDEx: o.orderIDEx,
    code: o.sec.code,
    name: o.sec.name,
    qty: o.qty,
    price: o.price,
    createTime: formatLocalTime(o.createMs, o.tz),
    updateTime: formatLocalTime(o.updateMs, o.tz),
    fillQty: o.fillQty,
    fillAvgPrice: o.fillQty > 0 ? Math.round((o.fillValue / o.fillQty) * 1e6) / 1e6 : 0,
    lastErrMsg: o.lastErrMsg,
    secMarket: secMarketEnum(o.sec.market),
    createTimestamp: o.createMs / 1000,
    updateTimestamp: o.updateMs / 1000,
    remark: o.remark,
    timeInForce: o.timeInForce,
    currency: currencyEnum(securityCurrency(o.sec)),
    trdMarket: o.header.trdMarket,
  };
  if (o.fillOutsideRTH !== undefined) order.fillOutsideRTH = o.fillOutsideRTH;
  if (o.auxPrice !== undefined) order.auxPrice = o.auxPrice;
  if (o.trailType !== undefined) order.trailType = o.trailType;
  if (o.trailValue !== undefined) order.trailValue = o.trailValue;
  if (o.trailSpread !== undefined) order.trailSpread = o.trailSpread;
  if (o.session !== undefined) order.session = o.session;
  return order;
}

/** The Trd_Common.OrderFill of a fill of `qty` at `price` of order `o`, at virtual time `now`. */
export function fillOf(o: OrderState, fillID: bigint, qty: number, price: number, now: number): Trd_Common.OrderFill {
  return {
    trdSide: o.trdSide,
    fillID,
    fillIDEx: `FILL${localDate(now, o.tz).replaceAll('-', '')}_${fillID}`,
    orderID: o.orderID,
    orderIDEx: o.orderIDEx,
    code: o.sec.code,
    name: o.sec.name,
    qty,
    price,
    createTime: formatLocalTime(now, o.tz),
    secMarket: secMarketEnum(o.sec.market),
    createTimestamp: now / 1000,
    updateTimestamp: now / 1000,
    status: Trd_Common.OrderFillStatus.OK,
    trdMarket: o.header.trdMarket,
  };
}

// ------------------------------------------------------------------------------------------ filters

/** [begin, end] in ms from TrdFilterConditions, read in the header market's local time. */
export function timeRange(
  header: Trd_Common.TrdHeader,
  filter: Trd_Common.TrdFilterConditions | undefined,
  required: boolean,
): { begin: number; end: number } | undefined {
  const b = filter?.beginTime;
  const e = filter?.endTime;
  if (required && (!b || !e)) {
    throw new TradingError('filterConditions.beginTime and filterConditions.endTime are required for history queries');
  }
  if (!b && !e) return undefined;
  const tz = trdMarketTimeZone(header.trdMarket);
  const begin = b ? parseLocalTime(b, tz, 'filterConditions.beginTime') : -Infinity;
  const end = e ? parseLocalTime(e, tz, 'filterConditions.endTime') : Infinity;
  if (begin > end) throw new TradingError(`filterConditions.beginTime ${b} is after endTime ${e}`);
  return { begin, end };
}

export function orderMatches(
  o: OrderState,
  filter: Trd_Common.TrdFilterConditions | undefined,
  statusList: number[] | undefined,
  range: { begin: number; end: number } | undefined,
): boolean {
  if (statusList?.length && !statusList.includes(o.status)) return false;
  if (range && (o.createMs < range.begin || o.createMs > range.end)) return false;
  if (!filter) return true;
  if (!matchesCode(filter.codeList, o.sec.market, o.sec.code)) return false;
  if (filter.idList?.length && !filter.idList.includes(o.orderID)) return false;
  if (filter.orderIDExList?.length && !filter.orderIDExList.includes(o.orderIDEx)) return false;
  if (filter.filterMarket && o.header.trdMarket !== filter.filterMarket) return false;
  return true;
}

export function fillMatches(
  f: FillRecord,
  filter: Trd_Common.TrdFilterConditions | undefined,
  range: { begin: number; end: number } | undefined,
  marketOfOrder: (orderID: bigint) => string | undefined,
): boolean {
  if (range && (f.createMs < range.begin || f.createMs > range.end)) return false;
  if (!filter) return true;
  const market = marketOfOrder(f.fill.orderID ?? 0n);
  if (filter.codeList?.length && !(market && matchesCode(filter.codeList, market, f.fill.code))) return false;
  if (filter.idList?.length && !filter.idList.includes(f.fill.fillID)) return false;
  if (filter.orderIDExList?.length && !filter.orderIDExList.includes(f.fill.orderIDEx ?? '')) return false;
  if (filter.filterMarket && f.header.trdMarket !== filter.filterMarket) return false;
  return true;
}

/** codeList entries may be plain ("00700") or prefixed ("HK.00700"). */
export function matchesCode(codeList: string[] | undefined, market: string, code: string): boolean {
  if (!codeList?.length) return true;
  return codeList.some((c) => {
    const dot = c.indexOf('.');
    return dot < 0 ? c === code : c.slice(0, dot).toUpperCase() === market && c.slice(dot + 1) === code;
  });
}
