// Trd_PlaceOrder's checks and the new order record of the paper-trading engine: every field is validated for
// its order type (order-types.ts says which type takes what) before anything is recorded, so a refused order
// leaves no trace. The engine registers the record, emits it and matches it.
// Invariants: a conditional order starts untriggered (status WAITING_SUBMIT, see records.ts WORKING); a
// trailing order starts with the last trade price as its water mark; buying power is checked at the price the
// order could cost (limit, trigger, or trailing trigger + spread).
import * as Trd_Common from '../../../proto/generated/Trd_Common.js';
import type * as Trd_PlaceOrder from '../../../proto/generated/Trd_PlaceOrder.js';
import type { MarketView } from '../market-view.js';
import { suspendedNow } from '../market/suspensions.js';
import type { AccountState } from './accounts.js';
import { ALGO_TYPES, assignAlgo, VolumeTracker } from './algo-orders.js';
import { assignAuction, AUCTION_TYPES } from './auction-orders.js';
import { TradingError } from './errors.js';
import type { Ledger } from './ledger.js';
import { checkTrail, isConditional, TRAILING_TYPES } from './order-types.js';
import type { OrderState } from './records.js';
import { checkSessions, orderTradeDate } from './sessions.js';
import { trailReservePrice } from './triggers.js';
import { MARKET_TIME_ZONE, nameOf } from './util.js';
import {
  checkOrderType,
  checkPrice,
  checkQty,
  checkRemark,
  checkSide,
  checkTimeInForce,
  IMMEDIATE_TYPES,
  LIMIT_TYPES,
  resolveSecurity,
  TRIGGER_TYPES,
} from './validation.js';

const { OrderStatus, OrderType } = Trd_Common;

const given = (v: number | undefined) => v !== undefined && v !== 0;
const shown = (v: number | undefined) => (v === undefined ? 'none' : String(v));

/** A required positive price field of a type: the error names the type, the field and what it is for. */
function requiredPrice(c2s: Trd_PlaceOrder.C2S | { price?: number; auxPrice?: number }, field: 'price' | 'auxPrice', typeName: string): number {
  const v = c2s[field];
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) {
    const what = field === 'price' ? 'the limit price' : 'the trigger price';
    throw new TradingError(`${typeName} needs ${field} (${what}) > 0, got ${shown(v)}`);
  }
  return v;
}

/** Refuses trigger / trailing fields on a type that takes none: OpenD would ignore them, the caller meant something. */
function refuseUnused(c2s: Trd_PlaceOrder.C2S, orderType: number): void {
  const typeName = nameOf(OrderType, orderType);
  if (!TRIGGER_TYPES.has(orderType) && given(c2s.auxPrice)) {
    throw new TradingError(`auxPrice is only for STOP, STOP_LIMIT, MARKETIF_TOUCHED and LIMITIF_TOUCHED orders; ${typeName} takes none`);
  }
  if (!TRAILING_TYPES.has(orderType) && (given(c2s.trailType) || given(c2s.trailValue))) {
    throw new TradingError(`trailType / trailValue are only for TRAILING_STOP and TRAILING_STOP_LIMIT orders; ${typeName} takes none`);
  }
  if (orderType !== OrderType.TRAILING_STOP_LIMIT && given(c2s.trailSpread)) {
    throw new TradingError(`trailSpread is only for TRAILING_STOP_LIMIT orders; ${typeName} takes none`);
  }
}

export interface NewOrderContext {
  market: MarketView;
  ledger: Ledger;
  now: number;
  nextId: () => bigint;
  /** Market volume per security, for a VWAP order's expected volume (algo-orders.ts). */
  volumes?: VolumeTracker;
}

/** Validates a Trd_PlaceOrder request for `acc` and builds the order's record (status SUBMITTING or WAITING_SUBMIT). */
export function newOrder(ctx: NewOrderContext, acc: AccountState, c2s: Trd_PlaceOrder.C2S): OrderState {
  const { sec, key } = resolveSecurity(ctx.market, c2s.header.trdMarket, c2s.code, c2s.secMarket);
  const trdSide = checkSide(acc, sec, c2s.trdSide);
  const orderType = checkOrderType(acc, sec, c2s.orderType);
  const typeName = nameOf(OrderType, orderType);
  checkSessions(acc, sec, orderType, c2s.session, c2s.fillOutsideRTH);
  const timeInForce = checkTimeInForce(acc, orderType, c2s.timeInForce);
  const qty = checkQty(c2s.qty, sec);
  const remark = checkRemark(c2s.remark);
  refuseUnused(c2s, orderType);
  const price = LIMIT_TYPES.has(orderType) ? checkPrice(requiredPrice(c2s, 'price', typeName), sec, c2s) : 0;
  const auxPrice = TRIGGER_TYPES.has(orderType) ? checkPrice(requiredPrice(c2s, 'auxPrice', typeName), sec, {}, 'auxPrice') : undefined;
  const trail = TRAILING_TYPES.has(orderType) ? checkTrail(orderType, c2s) : undefined;

  const trading = ctx.market.isTradingNow(sec.market);
  if (IMMEDIATE_TYPES.has(orderType) && !trading) {
    throw new TradingError(`${typeName} orders can only be placed during continuous trading; the ${sec.market} market is not trading now`);
  }
  // A suspended security (Qot_GetSuspend's days) has no book and no trades. Futu's help centre says it holds orders
  // that have not met the conditions for submission to the exchange in its own system ("submitting") and submits
  // them once the conditions are met (https://futuhk.com/en/support/topic2_299, and its off-market orders); it does
  // not name suspensions, so the simulator treats one like any other closed time: an order that can rest is
  // accepted and waits until trading resumes (a DAY order expires unfilled at the day's end), while one that must
  // execute at once (market, special limit) cannot, and is refused here, before anything is recorded.
  if (IMMEDIATE_TYPES.has(orderType) && suspendedNow(ctx.market, key)) {
    throw new TradingError(`${key} is suspended today (Qot_GetSuspend lists the day): ${typeName} orders must execute at once and cannot; place a limit order (NORMAL), which waits until trading resumes`);
  }
  const top = ctx.market.top(key);
  const conditional = isConditional(orderType);
  const tz = MARKET_TIME_ZONE[sec.market];
  const tradeDate = orderTradeDate(sec.market, ctx.now, tz);
  const o: OrderState = {
    acc,
    header: { trdEnv: acc.trdEnv, accID: acc.accID, trdMarket: c2s.header.trdMarket },
    orderID: 0n,
    orderIDEx: '',
    sec,
    tz,
    tradeDate,
    trdSide,
    orderType,
    status: conditional ? OrderStatus.WAITING_SUBMIT : OrderStatus.SUBMITTING,
    qty,
    price,
    triggered: !conditional,
    fillQty: 0,
    fillValue: 0,
    createMs: ctx.now,
    updateMs: ctx.now,
    remark,
    timeInForce,
    lastErrMsg: '',
    role: ctx.ledger.roleFor(acc, sec, trdSide, qty),
    reservePrice: 0,
  };
  if (auxPrice !== undefined) o.auxPrice = auxPrice;
  if (trail) {
    if (!(top && top.last > 0)) throw new TradingError(`no trade in ${key} yet: a ${typeName} order trails the last trade price`);
    o.trailType = trail.trailType;
    o.trailValue = trail.trailValue;
    if (trail.trailSpread !== undefined) o.trailSpread = trail.trailSpread;
    o.trailMark = top.last;
  }
  if (c2s.fillOutsideRTH !== undefined) o.fillOutsideRTH = c2s.fillOutsideRTH;
  if (c2s.session !== undefined) o.session = c2s.session;
  // At-auction orders join the auction whose input period is on; TWAP / VWAP orders start their window now.
  if (AUCTION_TYPES.has(orderType)) assignAuction(o, ctx.now);
  if (ALGO_TYPES.has(orderType)) assignAlgo(o, ctx.now, trading, ctx.volumes ?? new VolumeTracker());
  o.reservePrice = trail ? trailReservePrice(o) : ctx.ledger.reservePrice(orderType, trdSide, price, auxPrice, top, key);
  ctx.ledger.checkCapacity(acc, sec, o.role, qty, o.reservePrice);

  o.orderID = ctx.nextId();
  o.orderIDEx = `${acc.envName === 'REAL' ? 'FTR' : 'FTS'}${tradeDate.replaceAll('-', '')}_${o.orderID}`;
  return o;
}
