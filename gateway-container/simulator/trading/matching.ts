// Price rules of the paper-trading engine's matching: what liquidity an arriving order meets, which prices a
// limit accepts (an absolute limit only its own price), and the queue priority of resting orders (market-type
// first, then the better price, then the earlier order). When a conditional order triggers: triggers.ts.
// Prices are compared in integer units of the tick table (toUnits) so float noise never decides a fill.
import * as Trd_Common from '../../../proto/generated/Trd_Common.js';
import type { TopOfBook } from '../market-view.js';
import { toUnits } from '../ticks.js';
import { isBuy, type OrderState } from './records.js';
import { hasLimit } from './order-types.js';

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
  if (!hasLimit(o.orderType)) return true;
  const p = toUnits(price);
  const limit = toUnits(o.price);
  if (o.orderType === OrderType.ABSOLUTE_LIMIT) return p === limit;
  return isBuy(o.trdSide) ? p <= limit : p >= limit;
}

/** Sort order of resting buy (or sell) orders for one market trade. */
export function matchPriority(buy: boolean): (a: OrderState, b: OrderState) => number {
  return (a, b) => {
    const am = hasLimit(a.orderType) ? 0 : 1;
    const bm = hasLimit(b.orderType) ? 0 : 1;
    if (am !== bm) return bm - am; // market-type orders first
    if (a.price !== b.price) return buy ? b.price - a.price : a.price - b.price;
    return a.orderID < b.orderID ? -1 : 1;
  };
}
