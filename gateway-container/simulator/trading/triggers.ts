// When a conditional order of the paper-trading engine triggers, and what it becomes then.
// - STOP / STOP_LIMIT: a buy triggers when a market trade is at or above auxPrice, a sell at or below.
//   MARKET_IF_TOUCHED / LIMIT_IF_TOUCHED: the other way round (a buy at or below, a sell at or above).
// - TRAILING_STOP / TRAILING_STOP_LIMIT: the order tracks a water mark from the last trade at placement on (a
//   sell the highest trade since, a buy the lowest); the trigger price is mark - trail for a sell, mark + trail
//   for a buy, where trail is trailValue (AMOUNT) or mark * trailValue / 100 (RATIO). A trade at or beyond the
//   trigger price triggers it.
// - After the trigger STOP, MARKET_IF_TOUCHED and TRAILING_STOP work as market orders, STOP_LIMIT and
//   LIMIT_IF_TOUCHED as limit orders at their price, and TRAILING_STOP_LIMIT as a limit order at trigger price
//   - trailSpread (sell) or + trailSpread (buy), snapped to the tick ladder away from the market.
// Prices are compared in integer units (toUnits), so float noise never decides a trigger. Pure functions on
// the order record; the engine emits the status change.
import * as Trd_Common from '../../../proto/generated/Trd_Common.js';
import { fromUnits, snapToTick, toUnits } from '../ticks.js';
import { isBuy, type OrderState } from './records.js';
import { TRAILING_TYPES } from './order-types.js';

const { OrderType, TrailType } = Trd_Common;

/** The trailing distance at water mark `mark`, in price units of the security. */
function trailDistance(o: OrderState, mark: number): number {
  const v = o.trailValue ?? 0;
  return o.trailType === TrailType.RATIO ? (mark * v) / 100 : v;
}

/** The current trigger price of a trailing order (undefined for other orders or before a mark exists). */
export function trailTriggerPrice(o: OrderState): number | undefined {
  if (!TRAILING_TYPES.has(o.orderType) || o.trailMark === undefined) return undefined;
  const d = trailDistance(o, o.trailMark);
  return isBuy(o.trdSide) ? o.trailMark + d : o.trailMark - d;
}

/**
 * The price a trailing order reserves buying power at: its trigger price now, plus the spread for a buy stop
 * limit. A buy's trigger price only falls afterwards, so the reservation never falls short for the limit.
 */
export function trailReservePrice(o: OrderState): number {
  const trigger = trailTriggerPrice(o) ?? 0;
  const spread = o.orderType === OrderType.TRAILING_STOP_LIMIT ? (o.trailSpread ?? 0) : 0;
  return Math.max(isBuy(o.trdSide) ? trigger + spread : trigger - spread, 0);
}

/**
 * Feeds one market trade to an untriggered conditional order: moves a trailing order's water mark, then tells
 * whether the trade triggers the order.
 */
export function tradeTriggers(o: OrderState, price: number): boolean {
  const p = toUnits(price);
  const buy = isBuy(o.trdSide);
  if (TRAILING_TYPES.has(o.orderType)) {
    if (o.trailMark === undefined || (buy ? price < o.trailMark : price > o.trailMark)) o.trailMark = price;
    const trigger = trailTriggerPrice(o);
    if (trigger === undefined) return false;
    const t = toUnits(trigger);
    return buy ? p >= t : p <= t;
  }
  if (o.auxPrice === undefined) return true;
  const aux = toUnits(o.auxPrice);
  if (o.orderType === OrderType.STOP || o.orderType === OrderType.STOP_LIMIT) return buy ? p >= aux : p <= aux;
  return buy ? p <= aux : p >= aux; // if-touched
}

/**
 * Marks the order triggered. A trailing stop limit gets its limit price here: trigger -/+ trailSpread, on the
 * tick ladder (a sell's limit rounds down, a buy's up, so rounding never makes it stricter), at least one unit.
 */
export function applyTrigger(o: OrderState): void {
  o.triggered = true;
  if (o.orderType !== OrderType.TRAILING_STOP_LIMIT) return;
  const trigger = trailTriggerPrice(o) ?? 0;
  const buy = isBuy(o.trdSide);
  const raw = buy ? trigger + (o.trailSpread ?? 0) : trigger - (o.trailSpread ?? 0);
  const limit = snapToTick(o.sec.tickRule, Math.max(raw, fromUnits(1)), buy ? 'up' : 'down');
  o.price = limit > 0 ? limit : snapToTick(o.sec.tickRule, fromUnits(1), 'up');
}
