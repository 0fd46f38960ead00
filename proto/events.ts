// The EventBridge event contract (docs/events.md): what the relay publishes and the Lambdas consume.
// Enums as names, 64-bit IDs as decimal strings, securities as "HK.00700" plus market and code,
// a gatewayTime on every detail.
import { enumName } from './enums.js';
import * as Common from './generated/Common.js';
import * as Notify from './generated/Notify.js';
import * as Qot_Common from './generated/Qot_Common.js';
import type * as Qot_UpdatePriceReminder from './generated/Qot_UpdatePriceReminder.js';
import type * as Trd_Common from './generated/Trd_Common.js';
import { toFill, toOrder, type Fill, type Order } from './api/trading.js';
import { securityKey } from './securities.js';

export const DEFAULT_EVENT_SOURCE = 'opend';

export const DETAIL_TYPES = {
  quote: 'Quote',
  kline: 'KLine',
  ticker: 'Ticker',
  orderBook: 'OrderBook',
  timeShare: 'TimeShare',
  broker: 'Broker',
  orderUpdate: 'Order Update',
  orderFill: 'Order Fill',
  gatewayNotice: 'Gateway Notice',
  loginChallenge: 'Login Challenge',
  gatewayState: 'Gateway State',
  priceReminder: 'Price Reminder',
} as const;
export type DetailType = (typeof DETAIL_TYPES)[keyof typeof DETAIL_TYPES];

/**
 * notifyType values of the Gateway Notices the relay raises itself (beside OpenD's Notify types), each with a
 * `description` and the `action` an operator takes.
 */
export const RELAY_NOTICE_TYPES = {
  /** OpenD rejected the trade unlock repeatedly; the relay stopped trying (REAL accounts stay locked). */
  unlockFailed: 'UNLOCK_FAILED',
} as const;

/**
 * Trade and gateway events are never dropped; quote events may be coalesced under pressure. A Price Reminder is
 * never dropped either: OpenD sends it once per firing (an alert rule fires on it), no later push replaces it.
 */
export function isCriticalDetailType(t: string): boolean {
  return t === 'Order Update' || t === 'Order Fill' || t === 'Gateway Notice' || t === 'Login Challenge' || t === 'Gateway State' || t === 'Price Reminder';
}

/** The remark of an order placed through opend-cloud: this prefix, then the clientOrderId. */
export const CLIENT_ORDER_ID_REMARK_PREFIX = 'oc:';
export { CLIENT_ORDER_ID_PATTERN } from './client-order-id.js';

export function remarkForClientOrderId(clientOrderId: string): string {
  return CLIENT_ORDER_ID_REMARK_PREFIX + clientOrderId;
}

export function clientOrderIdFromRemark(remark: string | undefined): string | undefined {
  return remark?.startsWith(CLIENT_ORDER_ID_REMARK_PREFIX) ? remark.slice(CLIENT_ORDER_ID_REMARK_PREFIX.length) : undefined;
}

function num(v: bigint | number | undefined): number | undefined {
  return v === undefined ? undefined : Number(v);
}

function sec(security: { market: number; code: string }) {
  const key = securityKey(security);
  return { security: key, market: key.slice(0, key.indexOf('.')), code: security.code };
}

function splitKey(key: string) {
  const dot = key.indexOf('.');
  return { security: key, market: key.slice(0, dot), code: key.slice(dot + 1) };
}

export interface QuoteDetail {
  security: string;
  market: string;
  code: string;
  name?: string;
  price: number;
  open: number;
  high: number;
  low: number;
  lastClose: number;
  volume: number;
  turnover: number;
  turnoverRate: number;
  amplitude: number;
  changeRate: number;
  isSuspended: boolean;
  updateTime: string;
  updateTimestamp?: number;
  gatewayTime: string;
}

// The market-data details below spell out the security fields instead of spreading sec(): they are built for every
// push, and an object literal with fixed keys is far cheaper than a spread (same keys, same order, same JSON).
export function quoteDetail(q: Qot_Common.BasicQot, gatewayTime: string): QuoteDetail {
  const security = securityKey(q.security);
  return {
    security,
    market: security.slice(0, security.indexOf('.')),
    code: q.security.code,
    name: q.name,
    price: q.curPrice,
    open: q.openPrice,
    high: q.highPrice,
    low: q.lowPrice,
    lastClose: q.lastClosePrice,
    volume: Number(q.volume),
    turnover: q.turnover,
    turnoverRate: q.turnoverRate,
    amplitude: q.amplitude,
    changeRate: q.lastClosePrice ? Math.round(((q.curPrice - q.lastClosePrice) / q.lastClosePrice) * 1e6) / 1e4 : 0,
    isSuspended: q.isSuspended,
    updateTime: q.updateTime,
    updateTimestamp: q.updateTimestamp,
    gatewayTime,
  };
}

/**
 * A Futu price reminder that fired (Qot_UpdatePriceReminder 3019). `key` is a decimal string (Futu's keys exceed
 * 2^53); `setValue` is the reminder's value and `curValue` the value that fired it (a price, a percentage for the
 * change-rate types, shares or money for volume and turnover).
 */
export interface PriceReminderDetail {
  security: string;
  market: string;
  code: string;
  name?: string;
  key?: string;
  reminderType?: string;
  setValue?: number;
  curValue?: number;
  price: number;
  changeRate: number;
  marketStatus: string;
  content: string;
  note: string;
  gatewayTime: string;
}

export function priceReminderDetail(p: Qot_UpdatePriceReminder.S2C, gatewayTime: string): PriceReminderDetail {
  return {
    ...sec(p.security),
    name: p.name,
    key: p.key?.toString(),
    reminderType: p.type === undefined ? undefined : enumName(Qot_Common.PriceReminderType, p.type),
    setValue: p.setValue,
    curValue: p.curValue,
    price: p.price,
    changeRate: p.changeRate,
    marketStatus: enumName(Qot_Common.PriceReminderMarketStatus, p.marketStatus),
    content: p.content,
    note: p.note,
    gatewayTime,
  };
}

export function klineDetail(security: Qot_Common.Security, klType: number, rehabType: number, k: Qot_Common.KLine, gatewayTime: string) {
  return {
    ...sec(security),
    klType: enumName(Qot_Common.KLType, klType),
    rehabType: enumName(Qot_Common.RehabType, rehabType),
    time: k.time,
    timestamp: k.timestamp,
    isBlank: k.isBlank,
    open: k.openPrice,
    high: k.highPrice,
    low: k.lowPrice,
    close: k.closePrice,
    lastClose: k.lastClosePrice,
    volume: num(k.volume),
    turnover: k.turnover,
    gatewayTime,
  };
}

export function tickerDetail(security: Qot_Common.Security, t: Qot_Common.Ticker, gatewayTime: string) {
  const key = securityKey(security);
  return {
    security: key,
    market: key.slice(0, key.indexOf('.')),
    code: security.code,
    time: t.time,
    timestamp: t.timestamp,
    sequence: t.sequence.toString(),
    direction: enumName(Qot_Common.TickerDirection, t.dir),
    price: t.price,
    volume: Number(t.volume),
    turnover: t.turnover,
    gatewayTime,
  };
}

export function orderBookDetail(security: Qot_Common.Security, asks: Qot_Common.OrderBook[], bids: Qot_Common.OrderBook[], gatewayTime: string) {
  const lv = (o: Qot_Common.OrderBook) => ({ price: o.price, volume: Number(o.volume), orderCount: o.orederCount });
  return { ...sec(security), asks: asks.map(lv), bids: bids.map(lv), gatewayTime };
}

export function timeShareDetail(security: Qot_Common.Security, rt: Qot_Common.TimeShare, gatewayTime: string) {
  return {
    ...sec(security),
    time: rt.time,
    minute: rt.minute,
    timestamp: rt.timestamp,
    isBlank: rt.isBlank,
    price: rt.price,
    avgPrice: rt.avgPrice,
    lastClose: rt.lastClosePrice,
    volume: num(rt.volume),
    turnover: rt.turnover,
    gatewayTime,
  };
}

export function brokerDetail(security: Qot_Common.Security, asks: Qot_Common.Broker[], bids: Qot_Common.Broker[], gatewayTime: string) {
  const b = (x: Qot_Common.Broker) => ({ id: x.id.toString(), name: x.name, position: x.pos });
  return { ...sec(security), asks: asks.map(b), bids: bids.map(b), gatewayTime };
}

export interface OrderDetail {
  accId: string;
  trdEnv: string;
  trdMarket: string;
  orderId: string;
  orderIdEx: string;
  security: string;
  market: string;
  code: string;
  name: string;
  side: string;
  orderType: string;
  status: string;
  qty: number;
  price?: number;
  fillQty: number;
  fillAvgPrice: number;
  timeInForce?: string;
  /** Trigger price of a STOP / STOP_LIMIT / MARKETIF_TOUCHED / LIMITIF_TOUCHED order. */
  auxPrice?: number;
  /** Trailing orders: RATIO (trailValue in percent) or AMOUNT (a price distance); trailSpread for TRAILING_STOP_LIMIT. */
  trailType?: string;
  trailValue?: number;
  trailSpread?: number;
  remark?: string;
  clientOrderId?: string;
  lastErrMsg?: string;
  currency?: string;
  createTime: string;
  updateTime: string;
  createTimestamp?: number;
  updateTimestamp?: number;
  gatewayTime: string;
}

export function orderDetailFromOrder(o: Order, gatewayTime: string): OrderDetail {
  return {
    accId: o.accId.toString(),
    trdEnv: o.env,
    trdMarket: o.trdMarket,
    orderId: o.orderId.toString(),
    orderIdEx: o.orderIdEx,
    ...splitKey(o.code),
    name: o.name,
    side: o.side,
    orderType: o.type,
    status: o.status,
    qty: o.qty,
    price: o.price,
    fillQty: o.fillQty,
    fillAvgPrice: o.fillAvgPrice,
    timeInForce: o.timeInForce,
    auxPrice: o.auxPrice,
    trailType: o.trailType,
    trailValue: o.trailValue,
    trailSpread: o.trailSpread,
    remark: o.remark,
    clientOrderId: clientOrderIdFromRemark(o.remark),
    lastErrMsg: o.lastErrMsg || undefined,
    currency: o.currency,
    createTime: o.createTime,
    updateTime: o.updateTime,
    createTimestamp: o.createTimestamp,
    updateTimestamp: o.updateTimestamp,
    gatewayTime,
  };
}

export function orderDetail(header: Trd_Common.TrdHeader, o: Trd_Common.Order, gatewayTime: string): OrderDetail {
  return orderDetailFromOrder(toOrder(header, o), gatewayTime);
}

export interface FillDetail {
  accId: string;
  trdEnv: string;
  fillId: string;
  fillIdEx: string;
  orderId?: string;
  security: string;
  market: string;
  code: string;
  name: string;
  side: string;
  qty: number;
  price: number;
  status: string;
  createTime: string;
  createTimestamp?: number;
  gatewayTime: string;
}

export function fillDetailFromFill(f: Fill, gatewayTime: string): FillDetail {
  return {
    accId: f.accId.toString(),
    trdEnv: f.env,
    fillId: f.fillId.toString(),
    fillIdEx: f.fillIdEx,
    orderId: f.orderId?.toString(),
    ...splitKey(f.code),
    name: f.name,
    side: f.side,
    qty: f.qty,
    price: f.price,
    status: f.status,
    createTime: f.createTime,
    createTimestamp: f.createTimestamp,
    gatewayTime,
  };
}

export function fillDetail(header: Trd_Common.TrdHeader, f: Trd_Common.OrderFill, gatewayTime: string): FillDetail {
  return fillDetailFromFill(toFill(header, f), gatewayTime);
}

/**
 * The detail of a `Login Challenge`. For a PICTURE challenge the relay adds the picture OpenD saved on its state
 * volume (gateway-container/relay/login-challenge.ts): the PNG itself when it fits an EventBridge entry
 * (≤ 256 KB in all), else only where it is and why it was left out.
 */
export interface LoginChallengeDetail {
  challenge: 'PHONE' | 'PICTURE';
  description?: string;
  howToAnswer: string;
  gatewayTime: string;
  /** The picture, base64 of the PNG file (decode: `base64 -d > code.png`). */
  picturePngBase64?: string;
  pictureBytes?: number;
  /** Where OpenD saved the picture inside the gateway task (`<state folder>/F3CNN/PicVerifyCode.png`). */
  picturePath?: string;
  /** When the picture file was last written (an old file may be left from an earlier challenge). */
  pictureSavedAt?: string;
  /** Why the picture is not in the event, when it is not. */
  pictureNote?: string;
}

/** A Notify push: login challenges get their own DetailType, the rest are Gateway Notices. */
export function notifyEvent(n: Notify.S2C, gatewayTime: string): { detailType: DetailType; detail: Record<string, unknown> } {
  const type = enumName(Notify.NotifyType, n.type);
  if (n.type === Notify.NotifyType.GTW_EVENT && n.event) {
    const eventType = enumName(Notify.GtwEventType, n.event.eventType);
    if (n.event.eventType === Notify.GtwEventType.NEED_PHONE_VERIFY_CODE || n.event.eventType === Notify.GtwEventType.NEED_PIC_VERIFY_CODE) {
      return {
        detailType: DETAIL_TYPES.loginChallenge,
        detail: {
          challenge: n.event.eventType === Notify.GtwEventType.NEED_PHONE_VERIFY_CODE ? 'PHONE' : 'PICTURE',
          description: n.event.desc,
          howToAnswer: 'POST /v1/gateway/verification {"type":"PHONE"|"PICTURE","code":"..."}',
          gatewayTime,
        },
      };
    }
    return { detailType: DETAIL_TYPES.gatewayNotice, detail: { notifyType: type, eventType, description: n.event.desc, gatewayTime } };
  }
  const detail: Record<string, unknown> = { notifyType: type, gatewayTime };
  if (n.programStatus) detail['programStatus'] = enumName(Common.ProgramStatusType, n.programStatus.programStatus.type);
  if (n.connectStatus) Object.assign(detail, { qotLogined: n.connectStatus.qotLogined, trdLogined: n.connectStatus.trdLogined });
  if (n.apiQuota) Object.assign(detail, { subQuota: n.apiQuota.subQuota, historyKLQuota: n.apiQuota.historyKLQuota });
  if (n.usedQuota) Object.assign(detail, { usedSubQuota: n.usedQuota.usedSubQuota, usedKLineQuota: n.usedQuota.usedKLineQuota });
  if (n.qotRight) Object.assign(detail, { hkQotRight: enumName(Qot_Common.QotRight, n.qotRight.hkQotRight), usQotRight: enumName(Qot_Common.QotRight, n.qotRight.usQotRight) });
  return { detailType: DETAIL_TYPES.gatewayNotice, detail };
}
