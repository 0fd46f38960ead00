// Which Trd_Common.OrderType the simulated broker takes, per market and environment, and what each type needs
// (limit price, trigger price auxPrice, trailing fields trailType / trailValue / trailSpread).
// Rules followed, from Futu's OpenAPI documentation:
// - Paper trading (SIMULATE) takes limit (NORMAL) and market orders only, DAY only, and supports only modify
//   and cancel ("Transaction related" FAQ, Q1 paper trading: Orders).
// - NORMAL is HK's enhanced limit order and a plain limit order elsewhere; ABSOLUTE_LIMIT, AUCTION,
//   AUCTION_LIMIT, SPECIAL_LIMIT and SPECIAL_LIMIT_ALL exist for HK securities only (Trd_Common.OrderType).
// - Assumed (not confirmed from the documentation at hand; change REAL_TYPES_BY_MARKET if OpenD says
//   otherwise): the conditional types are offered for HK and US securities, and A-shares traded through Stock
//   Connect take limit orders only, Stock Connect's own rule.
// - place_order / Trd_PlaceOrder: auxPrice is the trigger price of STOP, STOP_LIMIT, MARKET_IF_TOUCHED and
//   LIMIT_IF_TOUCHED; trailType (RATIO or AMOUNT) and trailValue are required for TRAILING_STOP and
//   TRAILING_STOP_LIMIT (a RATIO trailValue is read as a percentage: 5 means 5 %); trailSpread (the limit's distance
//   from the trigger price) is required for TRAILING_STOP_LIMIT. Market-type orders ignore `price`.
// - AUCTION / AUCTION_LIMIT are valid only in HK's opening and closing auctions (Trd_Common.OrderType); when they
//   are taken and how they match: auction-orders.ts. AUCTION_LIMIT carries a limit price.
// - TWAP_* / VWAP_* (Trd_Common.OrderType, no market note there): assumed offered for US securities only; the
//   _LIMIT variants carry a limit price. How the simulator works them: algo-orders.ts.
import * as Trd_Common from '../../../proto/generated/Trd_Common.js';
import type { SecurityFacts } from '../market-view.js';
import type { AccountState } from './accounts.js';
import { TradingError } from './errors.js';
import { nameOf, truncateTo } from './util.js';

const { OrderType, TrailType } = Trd_Common;

/** Order types that carry a limit price from placement on. */
export const LIMIT_TYPES: ReadonlySet<number> = new Set([
  OrderType.NORMAL,
  OrderType.ABSOLUTE_LIMIT,
  OrderType.SPECIAL_LIMIT,
  OrderType.SPECIAL_LIMIT_ALL,
  OrderType.STOP_LIMIT,
  OrderType.LIMITIF_TOUCHED,
  OrderType.AUCTION_LIMIT,
  OrderType.TWAP_LIMIT,
  OrderType.VWAP_LIMIT,
]);
/** Order types that wait for the market to touch a fixed trigger price (auxPrice). */
export const TRIGGER_TYPES: ReadonlySet<number> = new Set([
  OrderType.STOP,
  OrderType.STOP_LIMIT,
  OrderType.MARKETIF_TOUCHED,
  OrderType.LIMITIF_TOUCHED,
]);
/** Order types whose trigger price trails the market (trailType / trailValue). */
export const TRAILING_TYPES: ReadonlySet<number> = new Set([OrderType.TRAILING_STOP, OrderType.TRAILING_STOP_LIMIT]);
/** Order types that must execute at once (no resting): DAY only, continuous trading only. */
export const IMMEDIATE_TYPES: ReadonlySet<number> = new Set([OrderType.MARKET, OrderType.SPECIAL_LIMIT, OrderType.SPECIAL_LIMIT_ALL]);

const CONDITIONAL: readonly number[] = [
  OrderType.STOP,
  OrderType.STOP_LIMIT,
  OrderType.MARKETIF_TOUCHED,
  OrderType.LIMITIF_TOUCHED,
  OrderType.TRAILING_STOP,
  OrderType.TRAILING_STOP_LIMIT,
];
/** Types the simulated broker takes for REAL accounts, per security market. */
const REAL_TYPES_BY_MARKET: Readonly<Record<string, readonly number[]>> = {
  HK: [OrderType.NORMAL, OrderType.MARKET, OrderType.ABSOLUTE_LIMIT, OrderType.AUCTION, OrderType.AUCTION_LIMIT, OrderType.SPECIAL_LIMIT, OrderType.SPECIAL_LIMIT_ALL, ...CONDITIONAL],
  US: [OrderType.NORMAL, OrderType.MARKET, ...CONDITIONAL, OrderType.TWAP_MARKET, OrderType.TWAP_LIMIT, OrderType.VWAP_MARKET, OrderType.VWAP_LIMIT],
  SH: [OrderType.NORMAL],
  SZ: [OrderType.NORMAL],
};
const PAPER_TYPES: readonly number[] = [OrderType.NORMAL, OrderType.MARKET];

const typeNames = (types: readonly number[]) => types.map((t) => nameOf(OrderType, t)).join(', ');

/** Whether an order of this type has a limit price once it works (a trailing stop limit gets one on trigger). */
export function hasLimit(orderType: number): boolean {
  return LIMIT_TYPES.has(orderType) || orderType === OrderType.TRAILING_STOP_LIMIT;
}

/** Whether an order of this type waits for a trigger before it works. */
export function isConditional(orderType: number): boolean {
  return TRIGGER_TYPES.has(orderType) || TRAILING_TYPES.has(orderType);
}

export function checkOrderType(acc: AccountState, sec: SecurityFacts, type: number): number {
  if (acc.envName === 'SIMULATE') {
    if (!PAPER_TYPES.includes(type)) {
      throw new TradingError(
        `orderType ${nameOf(OrderType, type)} is not supported: paper trading supports only limit (NORMAL) and market (MARKET) orders`,
      );
    }
    return type;
  }
  const allowed = REAL_TYPES_BY_MARKET[sec.market] ?? [];
  if (!allowed.includes(type)) {
    const hkOnly = REAL_TYPES_BY_MARKET['HK']!.includes(type) && !REAL_TYPES_BY_MARKET['US']!.includes(type);
    const known = Object.values(OrderType).includes(type as never);
    throw new TradingError(
      !known
        ? `orderType ${type} is invalid; ${sec.market} securities take ${typeNames(allowed)}`
        : hkOnly
          ? `orderType ${nameOf(OrderType, type)} is only available for HK securities; ${sec.key} takes ${typeNames(allowed)}`
          : `orderType ${nameOf(OrderType, type)} is not available for ${sec.key}; ${sec.market} securities take ${typeNames(allowed)}`,
    );
  }
  return type;
}

export interface TrailFields {
  trailType: number;
  trailValue: number;
  trailSpread?: number;
}

/** Largest RATIO trailValue (percent): a trail of 100 % or more could never trigger a sell. */
const MAX_TRAIL_RATIO = 99;

/**
 * The trailing fields of a TRAILING_STOP / TRAILING_STOP_LIMIT order: trailType RATIO or AMOUNT, trailValue
 * > 0 (percent for RATIO, 2 decimals; price units for AMOUNT, 3 decimals), and for TRAILING_STOP_LIMIT a
 * trailSpread >= 0. Extra digits are truncated, as OpenD does with prices.
 */
export function checkTrail(orderType: number, f: { trailType?: number; trailValue?: number; trailSpread?: number }): TrailFields {
  const typeName = nameOf(OrderType, orderType);
  if (f.trailType !== TrailType.RATIO && f.trailType !== TrailType.AMOUNT) {
    throw new TradingError(`${typeName} needs trailType RATIO or AMOUNT, got ${f.trailType === undefined ? 'none' : nameOf(TrailType, f.trailType)}`);
  }
  const ratio = f.trailType === TrailType.RATIO;
  const raw = f.trailValue;
  if (typeof raw !== 'number' || !Number.isFinite(raw) || raw <= 0) {
    throw new TradingError(`${typeName} needs trailValue > 0 (${ratio ? 'a percentage, 5 = 5 %' : 'a price distance'}), got ${raw === undefined ? 'none' : String(raw)}`);
  }
  const trailValue = truncateTo(raw, ratio ? 2 : 3);
  if (trailValue <= 0) throw new TradingError(`trailValue ${raw} is 0 after truncation to ${ratio ? 2 : 3} decimals`);
  if (ratio && trailValue > MAX_TRAIL_RATIO) throw new TradingError(`trailValue ${raw} is too large: a RATIO trail is a percentage from 0.01 to ${MAX_TRAIL_RATIO}`);
  const out: TrailFields = { trailType: f.trailType, trailValue };
  if (orderType === OrderType.TRAILING_STOP_LIMIT) {
    const s = f.trailSpread;
    if (typeof s !== 'number' || !Number.isFinite(s) || s < 0) {
      throw new TradingError(`TRAILING_STOP_LIMIT needs trailSpread >= 0 (the limit's distance from the trigger price), got ${s === undefined ? 'none' : String(s)}`);
    }
    out.trailSpread = truncateTo(s, 3);
  }
  return out;
}
