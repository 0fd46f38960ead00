// Price rules of the paper-trading engine's matching: what liquidity an arriving order meets, which prices a
// limit accepts (an absolute limit only its own price), when a stop / if-touched order triggers, and the
// queue priority of resting orders (market-type first, then the better price, then the earlier order).
// Prices are compared in integer units of the tick table (toUnits) so float noise never decides a fill.
import * as Trd_Common from '../../../proto/generated/Trd_Common.js';
import type { TopOfBook } from '../market-view.js';
import { toUnits } from '../ticks.js';
import { isBuy, type OrderState } from './records.js';
import { LIMIT_TYPES } from './validation.js';

const { OrderType } = Trd_Common;

/** Volume available at one price; matching consumes it. */
export interface Liquidity {
  price: number;
  vol: number;
}

/** Liquidity on the opposite side of the current book, for an order that arrives now. */
export function bookLiquidity(o: OrderState, top: TopOfBook | undefined): Liquidity[] {
  if (!top) return [];
  return isBuy(o.trdSide) ? [{ price: top.ask, vol: top.askVol }] : [{ price: top.bid, vol: top.bidVol }];
}

export function acceptable(o: OrderState, price: number): boolean {
  if (!(price > 0)) return false;
  if (!LIMIT_TYPES.has(o.orderType)) return true;
  const p = toUnits(price);
  const limit = toUnits(o.price);
  if (o.orderType === OrderType.ABSOLUTE_LIMIT) return p === limit;
  return isBuy(o.trdSide) ? p <= limit : p >= limit;
}

export function triggerHit(o: OrderState, price: number): boolean {
  if (o.auxPrice === undefined) return true;
  const p = toUnits(price);
  const aux = toUnits(o.auxPrice);
  const buy = isBuy(o.trdSide);
  if (o.orderType === OrderType.STOP || o.orderType === OrderType.STOP_LIMIT) return buy ? p >= aux : p <= aux;
  return buy ? p <= aux : p >= aux; // if-touched
}

/** Sort order of resting buy (or sell) orders for one market trade. */
export function matchPriority(buy: boolean): (a: OrderState, b: OrderState) => number {
  return (a, b) => {
    const am = LIMIT_TYPES.has(a.orderType) ? 0 : 1;
    const bm = LIMIT_TYPES.has(b.orderType) ? 0 : 1;
    if (am !== bm) return bm - am; // market-type orders first
    if (a.price !== b.price) return buy ? b.price - a.price : a.price - b.price;
    return a.orderID < b.orderID ? -1 : 1;
  };
}
