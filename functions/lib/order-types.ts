// Order types over HTTP: which OpenD OrderType each market and environment takes, and the fields each type
// needs or refuses (price, auxPrice, trailType / trailValue / trailSpread), checked before anything reaches
// OpenD so that no order is sent that OpenD would read differently from what the caller meant.
// Futu's rules followed (OpenAPI docs: Trd_Common.OrderType, place_order / Trd_PlaceOrder, the paper trading
// FAQ):
// - NORMAL is HK's enhanced limit order and a plain limit order elsewhere; "LIMIT" is accepted as its alias
//   and the order keeps Futu's name NORMAL. ABSOLUTE_LIMIT, AUCTION, AUCTION_LIMIT, SPECIAL_LIMIT and
//   SPECIAL_LIMIT_ALL are HK-only. Assumed (not confirmed from the documentation at hand; the simulator's
//   trading/order-types.ts makes the same assumption): stop, stop limit, if-touched and trailing orders are
//   offered for HK and US securities, and A-shares (Stock Connect) take limit orders only.
// - auxPrice is the trigger price of STOP, STOP_LIMIT, MARKETIF_TOUCHED and LIMITIF_TOUCHED; TRAILING_STOP and
//   TRAILING_STOP_LIMIT need trailType (RATIO: trailValue is a percentage, 5 = 5 %; AMOUNT: a price distance)
//   and trailValue; TRAILING_STOP_LIMIT also trailSpread (the limit's distance from the trigger price).
// - Paper trading (SIMULATE) takes limit and market orders only, good for the day only.
// - AUCTION / AUCTION_LIMIT are valid only in HK's opening and closing auctions (Trd_Common.OrderType), so they
//   are DAY only; AUCTION_LIMIT carries a limit price.
// - TWAP_MARKET / TWAP_LIMIT / VWAP_MARKET / VWAP_LIMIT: Trd_PlaceOrder has no field for an algorithm's time
//   window, so the request carries none (the broker's algorithm decides it; the simulator works them over 30
//   minutes). Assumed offered for US securities only (not confirmed from the documentation at hand; the
//   simulator assumes the same), DAY only; the _LIMIT variants carry a limit price they never trade beyond.
import type { OrderTypeName, TimeInForceName, TrailTypeName } from '../../proto/api/trading.js';
import type { SecurityRef } from '../../proto/securities.js';
import { invalid } from './api-error.js';

/** The types POST /orders takes ("LIMIT" is read as NORMAL). */
export const ORDER_TYPES = [
  'NORMAL',
  'MARKET',
  'ABSOLUTE_LIMIT',
  'AUCTION',
  'AUCTION_LIMIT',
  'SPECIAL_LIMIT',
  'SPECIAL_LIMIT_ALL',
  'STOP',
  'STOP_LIMIT',
  'MARKETIF_TOUCHED',
  'LIMITIF_TOUCHED',
  'TRAILING_STOP',
  'TRAILING_STOP_LIMIT',
  'TWAP_MARKET',
  'TWAP_LIMIT',
  'VWAP_MARKET',
  'VWAP_LIMIT',
] as const satisfies readonly OrderTypeName[];
export type ApiOrderType = (typeof ORDER_TYPES)[number];
export const ORDER_TYPE_ALIASES: Readonly<Record<string, ApiOrderType>> = { LIMIT: 'NORMAL' };
export const TRAIL_TYPES = ['RATIO', 'AMOUNT'] as const satisfies readonly TrailTypeName[];

/** TWAP / VWAP algorithm orders (US only). */
const ALGO_TYPES = ['TWAP_MARKET', 'TWAP_LIMIT', 'VWAP_MARKET', 'VWAP_LIMIT'] as const satisfies readonly ApiOrderType[];
/** Types with a limit price from placement on. */
export const PRICED_TYPES: ReadonlySet<string> = new Set(['NORMAL', 'ABSOLUTE_LIMIT', 'AUCTION_LIMIT', 'SPECIAL_LIMIT', 'SPECIAL_LIMIT_ALL', 'STOP_LIMIT', 'LIMITIF_TOUCHED', 'TWAP_LIMIT', 'VWAP_LIMIT']);
/** Types with a fixed trigger price (auxPrice). */
export const TRIGGER_TYPES: ReadonlySet<string> = new Set(['STOP', 'STOP_LIMIT', 'MARKETIF_TOUCHED', 'LIMITIF_TOUCHED']);
/** Types whose trigger trails the market. */
export const TRAILING_TYPES: ReadonlySet<string> = new Set(['TRAILING_STOP', 'TRAILING_STOP_LIMIT']);
/** Types that execute at once, in one auction or over one algorithm window: good for the day only. */
const DAY_ONLY_TYPES: ReadonlySet<string> = new Set(['MARKET', 'AUCTION', 'AUCTION_LIMIT', 'SPECIAL_LIMIT', 'SPECIAL_LIMIT_ALL', ...ALGO_TYPES]);
/** Types without a price that trade at the market's price (judged by the risk limits like a MARKET order). */
const MARKET_PRICED: ReadonlySet<string> = new Set(['AUCTION', 'TWAP_MARKET', 'VWAP_MARKET']);

const CONDITIONAL: readonly ApiOrderType[] = ['STOP', 'STOP_LIMIT', 'MARKETIF_TOUCHED', 'LIMITIF_TOUCHED', 'TRAILING_STOP', 'TRAILING_STOP_LIMIT'];
export const TYPES_BY_MARKET: Readonly<Record<string, readonly ApiOrderType[]>> = {
  HK: ['NORMAL', 'MARKET', 'ABSOLUTE_LIMIT', 'AUCTION', 'AUCTION_LIMIT', 'SPECIAL_LIMIT', 'SPECIAL_LIMIT_ALL', ...CONDITIONAL],
  US: ['NORMAL', 'MARKET', ...CONDITIONAL, ...ALGO_TYPES],
  SH: ['NORMAL'],
  SZ: ['NORMAL'],
};
export const PAPER_TYPES: readonly ApiOrderType[] = ['NORMAL', 'MARKET'];

const MAX_PRICE = 1e7;
const MAX_TRAIL_RATIO = 99;

export interface ConditionalFields {
  auxPrice?: number;
  trailType?: TrailTypeName;
  trailValue?: number;
  trailSpread?: number;
}

/** The type from the request body: a name of ORDER_TYPES or the alias LIMIT; NORMAL when left out. */
export function parseOrderType(v: unknown): ApiOrderType {
  if (v === undefined) return 'NORMAL';
  if (typeof v === 'string' && Object.hasOwn(ORDER_TYPE_ALIASES, v)) return ORDER_TYPE_ALIASES[v]!;
  if (typeof v !== 'string' || !(ORDER_TYPES as readonly string[]).includes(v)) {
    throw invalid('type', `must be one of ${ORDER_TYPES.join(', ')} (LIMIT = NORMAL), got ${JSON.stringify(v)?.slice(0, 40)}`, { allowed: ORDER_TYPES });
  }
  return v as ApiOrderType;
}

function positive(v: unknown, field: string, what: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) throw invalid(field, `must be a number > 0 (${what}), got ${v === null ? 'null' : JSON.stringify(v)?.slice(0, 40)}`);
  if (v > MAX_PRICE) throw invalid(field, `must be at most ${MAX_PRICE}, got ${v}`);
  return v;
}

function decimals(v: number, field: string, max: number): void {
  if (Math.abs(Math.round(v * 10 ** max) - v * 10 ** max) > 1e-6) throw invalid(field, `has more than ${max} decimals: ${v}`);
}

/**
 * price, auxPrice and the trail fields of a new order of `type`: each required where the type needs it (the
 * 400 says what it is for) and refused where the type takes none.
 */
export function parseTypeFields(b: Record<string, unknown>, type: ApiOrderType): { price?: number } & ConditionalFields {
  const out: { price?: number } & ConditionalFields = {};
  if (PRICED_TYPES.has(type)) {
    if (b['price'] === undefined) throw invalid('price', `is required for ${type} orders (the limit price)`);
    out.price = positive(b['price'], 'price', 'the limit price');
  } else if (b['price'] !== undefined) {
    const why = TRAILING_TYPES.has(type)
      ? 'its limit comes from the trigger price and trailSpread'
      : type === 'AUCTION'
        ? 'it trades at the auction price (use AUCTION_LIMIT for a limit)'
        : type === 'TWAP_MARKET' || type === 'VWAP_MARKET'
          ? `it trades at the market in slices (use ${type.replace('_MARKET', '_LIMIT')} for a limit)`
          : 'it trades at the market';
    throw invalid('price', `must be left out for ${type} orders: ${why}`);
  }
  if (TRIGGER_TYPES.has(type)) {
    if (b['auxPrice'] === undefined) throw invalid('auxPrice', `is required for ${type} orders: ${type} needs auxPrice (the trigger price) > 0`);
    out.auxPrice = positive(b['auxPrice'], 'auxPrice', 'the trigger price');
  } else if (b['auxPrice'] !== undefined) {
    throw invalid('auxPrice', `must be left out for ${type} orders; it is the trigger price of ${[...TRIGGER_TYPES].join(', ')}`);
  }
  if (TRAILING_TYPES.has(type)) {
    Object.assign(out, parseTrail(b, type, true));
  } else {
    for (const f of ['trailType', 'trailValue', 'trailSpread']) {
      if (b[f] !== undefined) throw invalid(f, `must be left out for ${type} orders; it is for ${[...TRAILING_TYPES].join(' and ')}`);
    }
  }
  return out;
}

/** trailType / trailValue / trailSpread of a trailing order; `required` for a new order, optional for a change. */
export function parseTrail(b: Record<string, unknown>, type: string, required: boolean, current?: ConditionalFields): ConditionalFields {
  const out: ConditionalFields = {};
  const t = b['trailType'];
  if (t !== undefined || required) {
    if (typeof t !== 'string' || !(TRAIL_TYPES as readonly string[]).includes(t)) {
      throw invalid('trailType', `${type} needs trailType ${TRAIL_TYPES.join(' or ')} (RATIO: trailValue is a percentage; AMOUNT: a price distance), got ${JSON.stringify(t)?.slice(0, 40) ?? 'none'}`, { allowed: TRAIL_TYPES });
    }
    out.trailType = t as TrailTypeName;
  }
  const trailType = out.trailType ?? current?.trailType;
  const v = b['trailValue'];
  if (v !== undefined || required || (out.trailType !== undefined && out.trailType !== current?.trailType)) {
    if (v === undefined) throw invalid('trailValue', `${type} needs trailValue > 0 with trailType ${trailType}`);
    out.trailValue = positive(v, 'trailValue', trailType === 'RATIO' ? 'a percentage, 5 = 5 %' : 'a price distance');
    if (trailType === 'RATIO') {
      if (out.trailValue > MAX_TRAIL_RATIO) throw invalid('trailValue', `a RATIO trail is a percentage from 0.01 to ${MAX_TRAIL_RATIO}, got ${out.trailValue}`);
      decimals(out.trailValue, 'trailValue', 2);
    } else {
      decimals(out.trailValue, 'trailValue', 3);
    }
  }
  const s = b['trailSpread'];
  if (type === 'TRAILING_STOP_LIMIT') {
    if (s !== undefined || required) {
      if (typeof s !== 'number' || !Number.isFinite(s) || s < 0 || s > MAX_PRICE) {
        throw invalid('trailSpread', `TRAILING_STOP_LIMIT needs trailSpread >= 0 (the limit's distance from the trigger price), got ${JSON.stringify(s)?.slice(0, 40) ?? 'none'}`);
      }
      decimals(s, 'trailSpread', 3);
      out.trailSpread = s;
    }
  } else if (s !== undefined) {
    throw invalid('trailSpread', `must be left out for ${type} orders; it is for TRAILING_STOP_LIMIT`);
  }
  return out;
}

/** The type is offered for the security's market, and time in force fits the type. */
export function checkTypeForMarket(security: SecurityRef, type: ApiOrderType, timeInForce: TimeInForceName): void {
  const allowed = TYPES_BY_MARKET[security.prefix] ?? [];
  if (!allowed.includes(type)) {
    throw invalid('type', `${type} is not offered for ${security.key}; ${security.prefix} securities take ${allowed.join(', ') || 'no order types here'}`, { allowed });
  }
  if (timeInForce === 'GTC' && DAY_ONLY_TYPES.has(type)) throw invalid('timeInForce', `GTC is not allowed for ${type} orders; use DAY`, { allowed: ['DAY'] });
}

/** Paper trading (SIMULATE): limit and market orders, DAY only (Futu's paper trading rules). */
export function checkTypeForEnv(env: string, type: string, timeInForce: TimeInForceName): void {
  if (env !== 'SIMULATE') return;
  if (!(PAPER_TYPES as readonly string[]).includes(type)) {
    throw invalid('type', `${type} is not offered in paper trading (SIMULATE accounts take ${PAPER_TYPES.join(' and ')} only)`, { allowed: PAPER_TYPES });
  }
  if (timeInForce !== 'DAY') throw invalid('timeInForce', `paper trading (SIMULATE accounts) takes DAY orders only, got ${timeInForce}`, { allowed: ['DAY'] });
}

/**
 * How the risk limits judge an order (price collar and notional): at its limit price; a stop / if-touched
 * order without one at its trigger price (it trades about there once triggered); a trailing stop without a
 * limit like a market order at today's book, since its trigger starts at the last price -/+ the trail; an
 * at-auction or TWAP / VWAP market order like a market order too (it trades at the market's price).
 */
export function riskTerms(o: { type: string; price?: number } & ConditionalFields): { type: OrderTypeName; price?: number } {
  if (o.price !== undefined && o.price > 0) return { type: o.type as OrderTypeName, price: o.price };
  if (o.auxPrice !== undefined && o.auxPrice > 0) return { type: o.type as OrderTypeName, price: o.auxPrice };
  if (TRAILING_TYPES.has(o.type) || MARKET_PRICED.has(o.type)) return { type: 'MARKET' };
  return { type: o.type as OrderTypeName, price: o.price };
}
