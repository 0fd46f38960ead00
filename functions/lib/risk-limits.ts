/**
 * Pre-trade risk checks, run after authorization and validation and before the idempotent placement (which is
 * then called unchanged). Each refusal is 422 RISK_REJECTED naming the limit, its value and what the order asked
 * for; nothing is placed, modified or counted.
 *
 * Order of the checks: the ones that need nothing (quantity) first, then the quote (price collar, the notional of
 * a MARKET order), the open-order count, and last the per-day notional, because that one writes (it reserves the
 * order's notional, once per clientOrderId).
 */
import type { OrderTypeName, TrdSideName } from '../../proto/api/trading.js';
import { contractMultiplier } from '../../proto/derivatives.js';
import { parseSecurity } from '../../proto/securities.js';
import { ApiError } from './api-error.js';
import type { DailyNotionalStore } from './risk-store.js';
import type { RiskLimits } from './security-config.js';

export interface LastQuote {
  price: number;
  bid?: number;
  ask?: number;
  isSuspended?: boolean;
}

export interface RiskDeps {
  limits: RiskLimits;
  /** The security's latest snapshot, or undefined when OpenD has none. */
  quote(code: string): Promise<LastQuote | undefined>;
  /** How many orders of the account are open now. */
  openOrders(): Promise<number>;
  daily: DailyNotionalStore;
}

export interface RiskOrder {
  accId: string;
  /** `"HK.00700"` */
  code: string;
  side: TrdSideName;
  type: OrderTypeName;
  qty: number;
  price?: number;
}

function rejected(limit: keyof RiskLimits, value: number, message: string, extra: Record<string, unknown> = {}): ApiError {
  return new ApiError(422, 'RISK_REJECTED', `risk limit ${limit} = ${value}: ${message}`, { limit, value, ...extra });
}

const BUYING: ReadonlySet<string> = new Set(['BUY', 'BUY_BACK']);

function round6(v: number): number {
  return Math.round(v * 1e6) / 1e6;
}

/**
 * The price the order is judged at: its limit price, or for a MARKET order the far side of the book (what it
 * would pay or receive now). Throws when a MARKET order has nothing to be judged against.
 */
async function referencePrice(deps: RiskDeps, o: RiskOrder): Promise<number> {
  const pct = deps.limits.priceCollarPct;
  if (o.type === 'MARKET') {
    const q = await deps.quote(o.code);
    const far = q === undefined ? undefined : BUYING.has(o.side) ? q.ask : q.bid;
    if (!q || q.isSuspended || !(q.price > 0) || !far || !(far > 0)) {
      throw rejected('priceCollarPct', pct, `a MARKET order needs a live quote of ${o.code} to be collared against, and there is none; send a limit order`, { code: o.code });
    }
    const away = (Math.abs(far - q.price) / q.price) * 100;
    if (away > pct) {
      throw rejected('priceCollarPct', pct, `a MARKET ${o.side} of ${o.code} would trade at ${far}, ${away.toFixed(2)} % from the last price ${q.price}; send a limit order`, {
        lastPrice: q.price,
        wouldTradeAt: far,
      });
    }
    return far;
  }
  const price = o.price ?? 0;
  const q = await deps.quote(o.code);
  if (q && q.price > 0) {
    const bound = BUYING.has(o.side) ? q.price * (1 + pct / 100) : q.price * (1 - pct / 100);
    const outside = BUYING.has(o.side) ? price > bound : price < bound;
    if (outside) {
      throw rejected('priceCollarPct', pct, `${o.side} at ${price} is more than ${pct} % ${BUYING.has(o.side) ? 'above' : 'below'} the last price ${q.price} of ${o.code}`, {
        lastPrice: q.price,
        price,
      });
    }
  }
  return price;
}

/**
 * The checks a new order and a modification share: quantity, then the price collar (which gives the price the
 * order is judged at), then the notional per order. Returns that price and the order's notional.
 */
async function checkOrderSize(deps: RiskDeps, o: RiskOrder): Promise<{ price: number; notional: number }> {
  const l = deps.limits;
  if (o.qty > l.maxQty) throw rejected('maxQty', l.maxQty, `qty ${o.qty} is above it`, { qty: o.qty });
  const price = await referencePrice(deps, o);
  // A futures contract or an option stands for multiplier × price (HSI 50 HKD a point, a US option 100 shares).
  const multiplier = contractMultiplier(parseSecurity(o.code).derivative);
  const notional = round6(o.qty * price * multiplier);
  if (notional > l.maxOrderNotional) {
    const times = multiplier === 1 ? '' : ` × multiplier ${multiplier}`;
    throw rejected('maxOrderNotional', l.maxOrderNotional, `the order's notional ${notional} (qty ${o.qty} × ${price}${times}) is above it`, { notional });
  }
  return { price, notional };
}

/** Checks a new order against every limit and reserves its notional for the day (once per clientOrderId). */
export async function checkNewOrder(deps: RiskDeps, o: RiskOrder, clientOrderId: string): Promise<{ notional: number }> {
  const l = deps.limits;
  const { notional } = await checkOrderSize(deps, o);
  const open = await deps.openOrders();
  if (open >= l.maxOpenOrders) throw rejected('maxOpenOrders', l.maxOpenOrders, `account ${o.accId} already has ${open} open orders`, { openOrders: open });
  const r = await deps.daily.reserve(o.accId, notional, l.maxDailyNotional, clientOrderId);
  if (!r.ok) {
    throw rejected('maxDailyNotional', l.maxDailyNotional, `account ${o.accId} has placed ${r.used} today (UTC) and this order adds ${notional}`, { usedToday: r.used, notional });
  }
  return { notional };
}

/**
 * A modification is judged as the order it would become (quantity, price collar, notional per order); what it
 * adds to the notional is counted against the day as well.
 */
export async function checkModification(deps: RiskDeps, before: RiskOrder, after: RiskOrder): Promise<void> {
  const l = deps.limits;
  const { price, notional } = await checkOrderSize(deps, after);
  const added = round6(notional - before.qty * (before.price ?? price) * contractMultiplier(parseSecurity(before.code).derivative));
  if (added > 0) {
    const r = await deps.daily.reserve(after.accId, added, l.maxDailyNotional);
    if (!r.ok) {
      throw rejected('maxDailyNotional', l.maxDailyNotional, `account ${after.accId} has placed ${r.used} today (UTC) and this change adds ${added}`, { usedToday: r.used, added });
    }
  }
}
