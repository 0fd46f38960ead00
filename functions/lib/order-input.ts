// Validation of order requests before anything reaches OpenD: which field is wrong and what is allowed.
// Lot size and tick size are checked against the security's static data and the exchange's price ladder.
import { createHash } from 'node:crypto';
import { CLIENT_ORDER_ID_PATTERN } from '../../proto/events.js';
import { parseSecurity, type SecurityRef } from '../../proto/securities.js';
import { derivativeTickRule } from '../../proto/derivatives.js';
import { formatPrice, isOnTick, snapToTick, type TickRule } from '../../proto/ticks.js';
import type { OrderTypeName, TimeInForceName, TrdSideName } from '../../proto/api/trading.js';
import { invalid } from './api-error.js';
import { parseOrderSession, type OrderSession } from './order-session.js';
import { checkTypeForMarket, parseOrderType, parseTrail, parseTypeFields, TRAILING_TYPES, TRIGGER_TYPES, type ApiOrderType, type ConditionalFields } from './order-types.js';

export const ORDER_SIDES = ['BUY', 'SELL', 'SELL_SHORT', 'BUY_BACK'] as const;
// Which order types exist per market and what each needs: order-types.ts.
export { ORDER_TYPES } from './order-types.js';
export const TIME_IN_FORCE = ['DAY', 'GTC'] as const;
const MAX_QTY = 1e9;
const MAX_PRICE = 1e7;
const PLACE_FIELDS = new Set(['clientOrderId', 'code', 'side', 'type', 'qty', 'price', 'auxPrice', 'trailType', 'trailValue', 'trailSpread', 'timeInForce', 'adjustPriceLimit', 'session']);
const MODIFY_FIELDS = new Set(['qty', 'price', 'auxPrice', 'trailType', 'trailValue', 'trailSpread', 'adjustPriceLimit']);

export interface OrderRequest extends ConditionalFields {
  clientOrderId: string;
  security: SecurityRef;
  side: TrdSideName;
  /** Futu's name: a request's "LIMIT" is NORMAL here. */
  type: ApiOrderType;
  qty: number;
  price?: number;
  timeInForce: TimeInForceName;
  adjustPriceLimit?: number;
  /** US orders: the sessions the order may trade in (order-session.ts); regular hours only when absent. */
  session?: OrderSession;
}

export interface SecurityRules {
  lotSize: number;
  tickRule: TickRule;
}

export function tickRuleOf(ref: SecurityRef): TickRule {
  // Futures move by index points (HSI 1, ES 0.25), option premiums by 0.01 (proto/derivatives.ts).
  if (ref.derivative) return derivativeTickRule(ref.derivative);
  return ref.prefix === 'HK' ? 'HK' : ref.prefix === 'US' ? 'US' : 'CN';
}

function obj(body: unknown): Record<string, unknown> {
  if (body === undefined) throw invalid('body', 'a JSON object is required');
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw invalid('body', `must be a JSON object, got ${Array.isArray(body) ? 'an array' : typeof body}`);
  return body as Record<string, unknown>;
}

function oneOf<T extends string>(v: unknown, field: string, allowed: readonly T[], dflt?: T): T {
  if (v === undefined && dflt !== undefined) return dflt;
  if (typeof v !== 'string' || !(allowed as readonly string[]).includes(v)) {
    throw invalid(field, `must be one of ${allowed.join(', ')}, got ${JSON.stringify(v)?.slice(0, 40)}`, { allowed });
  }
  return v as T;
}

function positiveNumber(v: unknown, field: string, max: number): number {
  if (typeof v !== 'number') throw invalid(field, `must be a number, got ${v === null ? 'null' : typeof v}`);
  if (!Number.isFinite(v) || v <= 0) throw invalid(field, `must be greater than 0, got ${v}`);
  if (v > max) throw invalid(field, `must be at most ${max}, got ${v}`);
  return v;
}

function clientOrderIdOf(body: Record<string, unknown>, idempotencyKey: string | undefined): string {
  const fromBody = body['clientOrderId'];
  if (fromBody !== undefined && typeof fromBody !== 'string') throw invalid('clientOrderId', `must be a string, got ${typeof fromBody}`);
  if (fromBody !== undefined && idempotencyKey !== undefined && fromBody !== idempotencyKey) {
    throw invalid('clientOrderId', 'differs from the Idempotency-Key header; send one of them, or the same value in both');
  }
  const id = (fromBody as string | undefined) ?? idempotencyKey;
  if (id === undefined) throw invalid('clientOrderId', 'required: give clientOrderId in the body or an Idempotency-Key header, so that a retry never places a second order');
  return parseClientOrderId(id);
}

export function parseClientOrderId(v: string): string {
  if (!CLIENT_ORDER_ID_PATTERN.test(v)) throw invalid('clientOrderId', 'must be 1 to 60 characters of letters, digits, _ . : -');
  return v;
}

/** Checks shape and types; lot and tick checks need the security's rules (checkMarketRules). */
export function parseOrderRequest(body: unknown, idempotencyKey?: string): OrderRequest {
  const b = obj(body);
  for (const k of Object.keys(b)) if (!PLACE_FIELDS.has(k)) throw invalid(k, `is not a known field; allowed: ${[...PLACE_FIELDS].join(', ')}`);
  const clientOrderId = clientOrderIdOf(b, idempotencyKey);
  // A ValidationError from here becomes the same 400 through toApiError.
  const security = parseSecurity(b['code'], 'code');
  const side = oneOf(b['side'], 'side', ORDER_SIDES);
  const type = parseOrderType(b['type']);
  const qty = positiveNumber(b['qty'], 'qty', MAX_QTY);
  if (!Number.isInteger(qty)) throw invalid('qty', `must be a whole number of shares, got ${qty}`);
  const { price, ...conditional } = parseTypeFields(b, type);
  const timeInForce = oneOf(b['timeInForce'], 'timeInForce', TIME_IN_FORCE, 'DAY');
  checkTypeForMarket(security, type, timeInForce);
  let adjustPriceLimit: number | undefined;
  if (b['adjustPriceLimit'] !== undefined) {
    const a = b['adjustPriceLimit'];
    if (typeof a !== 'number' || !Number.isFinite(a) || a === 0 || Math.abs(a) > 0.1) {
      throw invalid('adjustPriceLimit', 'must be a non-zero number between -0.1 and 0.1 (e.g. 0.015 = snap up by at most 1.5 %)');
    }
    adjustPriceLimit = a;
  }
  const session = parseOrderSession(b['session'], security, type);
  return { clientOrderId, security, side, type, qty, price, ...conditional, timeInForce, adjustPriceLimit, ...(session ? { session } : {}) };
}

/**
 * Lot size and tick ladder. An off-tick price passes only with adjustPriceLimit (OpenD snaps it); a trigger
 * price (auxPrice) is never snapped, so it must be on the ladder.
 */
export function checkMarketRules(req: { security: SecurityRef; qty?: number; price?: number; auxPrice?: number; adjustPriceLimit?: number }, rules: SecurityRules): void {
  if (req.auxPrice !== undefined && !isOnTick(rules.tickRule, req.auxPrice)) {
    const down = snapToTick(rules.tickRule, req.auxPrice, 'down');
    const up = snapToTick(rules.tickRule, req.auxPrice, 'up');
    throw invalid('auxPrice', `${req.auxPrice} is not on the ${rules.tickRule} tick ladder for ${req.security.key}; nearest valid trigger prices are ${formatPrice(down)} and ${formatPrice(up)}`, {
      validBelow: down,
      validAbove: up,
    });
  }
  if (req.qty !== undefined && req.qty % rules.lotSize !== 0) {
    const lower = Math.floor(req.qty / rules.lotSize) * rules.lotSize;
    throw invalid('qty', `${req.qty} is not a multiple of the lot size ${rules.lotSize} for ${req.security.key}; try ${lower || rules.lotSize} or ${lower + rules.lotSize}`, { lotSize: rules.lotSize });
  }
  if (req.price !== undefined && !isOnTick(rules.tickRule, req.price)) {
    if (req.adjustPriceLimit !== undefined) return;
    const down = snapToTick(rules.tickRule, req.price, 'down');
    const up = snapToTick(rules.tickRule, req.price, 'up');
    throw invalid('price', `${req.price} is not on the ${rules.tickRule} tick ladder for ${req.security.key}; nearest valid prices are ${formatPrice(down)} and ${formatPrice(up)}`, {
      validBelow: down,
      validAbove: up,
    });
  }
}

export interface ModifyRequest extends ConditionalFields {
  qty?: number;
  price?: number;
  adjustPriceLimit?: number;
}

export function parseModifyRequest(body: unknown): ModifyRequest {
  const b = obj(body);
  for (const k of Object.keys(b)) if (!MODIFY_FIELDS.has(k)) throw invalid(k, `cannot be changed; allowed: ${[...MODIFY_FIELDS].join(', ')}`);
  const qty = b['qty'] === undefined ? undefined : positiveNumber(b['qty'], 'qty', MAX_QTY);
  if (qty !== undefined && !Number.isInteger(qty)) throw invalid('qty', `must be a whole number of shares, got ${qty}`);
  const price = b['price'] === undefined ? undefined : positiveNumber(b['price'], 'price', MAX_PRICE);
  const auxPrice = b['auxPrice'] === undefined ? undefined : positiveNumber(b['auxPrice'], 'auxPrice', MAX_PRICE);
  const trailGiven = ['trailType', 'trailValue', 'trailSpread'].some((k) => b[k] !== undefined);
  if (qty === undefined && price === undefined && auxPrice === undefined && !trailGiven) {
    throw invalid('body', 'give qty, price, auxPrice (stop / if-touched) or trailType / trailValue / trailSpread (trailing) to change');
  }
  const a = b['adjustPriceLimit'];
  if (a !== undefined && (typeof a !== 'number' || !Number.isFinite(a) || a === 0 || Math.abs(a) > 0.1)) throw invalid('adjustPriceLimit', 'must be a non-zero number between -0.1 and 0.1');
  // The trail fields are checked against the order's type once it is known (checkModifyForType).
  const trail = Object.fromEntries(['trailType', 'trailValue', 'trailSpread'].filter((k) => b[k] !== undefined).map((k) => [k, b[k]]));
  return { qty, price, adjustPriceLimit: a as number | undefined, ...(auxPrice !== undefined ? { auxPrice } : {}), ...trail };
}

/**
 * A change against the order it changes: a price only for a type that has one, auxPrice only for a stop /
 * if-touched order, trail fields only for a trailing order (checked as for a new order). Returns the change
 * with the trail fields typed.
 */
export function checkModifyForType(change: ModifyRequest, o: { type: string } & ConditionalFields): ModifyRequest {
  if (change.price !== undefined && !PRICED_TYPES_FOR_MODIFY.has(o.type)) throw invalid('price', `cannot be changed on a ${o.type} order; a price can be changed on ${[...PRICED_TYPES_FOR_MODIFY].join(', ')} orders`);
  if (change.auxPrice !== undefined && !TRIGGER_TYPES.has(o.type)) throw invalid('auxPrice', `cannot be changed on a ${o.type} order; it is the trigger price of ${[...TRIGGER_TYPES].join(', ')}`);
  const given = change as Record<string, unknown>;
  if (['trailType', 'trailValue', 'trailSpread'].some((k) => given[k] !== undefined)) {
    if (!TRAILING_TYPES.has(o.type)) throw invalid('trailType', `trail fields cannot be changed on a ${o.type} order; they are for ${[...TRAILING_TYPES].join(' and ')}`);
    return { ...change, ...parseTrail(given, o.type, false, o) };
  }
  return change;
}
// A subset of PRICED_TYPES: the special-limit and TWAP / VWAP limit orders carry a price too, but changing it is not
// offered (no Futu rule for it was found), so those changes are refused before OpenD rather than guessed.
const PRICED_TYPES_FOR_MODIFY: ReadonlySet<string> = new Set(['NORMAL', 'ABSOLUTE_LIMIT', 'AUCTION_LIMIT', 'STOP_LIMIT', 'LIMITIF_TOUCHED']);

/** Hash of what the order is (not of the clientOrderId): a reused clientOrderId with another hash is a 409. */
export function orderRequestHash(accId: string, r: OrderRequest): string {
  // The session and the trigger / trail fields join the hash only when given, so the hashes of earlier requests
  // stay the same; a retry with another trigger price or trail is a different order (409), not a duplicate.
  const conditional = [r.auxPrice, r.trailType, r.trailValue, r.trailSpread].some((v) => v !== undefined)
    ? [{ auxPrice: r.auxPrice ?? null, trailType: r.trailType ?? null, trailValue: r.trailValue ?? null, trailSpread: r.trailSpread ?? null }]
    : [];
  const canonical = JSON.stringify([accId, r.security.key, r.side, r.type, r.qty, r.price ?? null, r.timeInForce, r.adjustPriceLimit ?? null, ...(r.session ? [r.session] : []), ...conditional]);
  return createHash('sha256').update(canonical).digest('hex');
}

export function parseAccId(v: string | undefined): string {
  if (!v || !/^\d{1,20}$/.test(v) || BigInt(v) >= 2n ** 64n) throw invalid('accId', `must be a decimal account ID (uint64), got ${JSON.stringify(v)}`);
  return v;
}

export function parseOrderId(v: string | undefined): bigint {
  if (!v || !/^\d{1,20}$/.test(v) || BigInt(v) >= 2n ** 64n) throw invalid('orderId', `must be a decimal order ID (uint64), got ${JSON.stringify(v)}`);
  return BigInt(v);
}
