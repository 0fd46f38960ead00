/**
 * The consumer's check of every bus event against the event contract (proto/events.ts) before anything is
 * stored. The bus policy already refuses `source: "opend"` from anyone but the gateway task; this is the second
 * wall, against a relay bug or a policy mistake: a detail that does not fit (an unknown status, a negative or
 * absurd quantity, a malformed ID, a fill larger than its order, a gatewayTime from the future) is refused and
 * counted, never stored — an order state that "wins" the version comparison could never be corrected later.
 *
 * Invariant: a refusal is final (retrying a malformed event cannot make it valid), so it is reported as the
 * outcome `rejected` plus an EMF metric and a log line, not as an error that EventBridge would retry.
 */
import * as Trd_Common from '../../proto/generated/Trd_Common.js';
import { CLIENT_ORDER_ID_PATTERN } from '../../proto/client-order-id.js'; // not proto/events.js: it pulls the trading codecs
import { ORDER_STATUS } from './model.js';

/** A relay clock slightly ahead is tolerated; anything further is refused (it would freeze "newer wins"). */
export const MAX_GATEWAY_TIME_AHEAD_MS = 60_000;
/** Far above any real order (OpenD's own checks refuse much less), far below where float arithmetic gets loose. */
export const MAX_EVENT_QTY = 1e9;
export const MAX_EVENT_PRICE = 1e7;

const UINT64_MAX = 18446744073709551615n;
const ID = /^\d{1,20}$/;
const SECURITY = /^[A-Z]{2}\.[A-Za-z0-9.^-]{1,20}$/;
const TRD_ENVS = ['REAL', 'SIMULATE'];

function names(e: Record<string, number>): Set<string> {
  return new Set(Object.keys(e));
}
const SIDES = names(Trd_Common.TrdSide);
const ORDER_TYPES = names(Trd_Common.OrderType);
const TRAIL_TYPES = names(Trd_Common.TrailType);
const TRD_MARKETS = names(Trd_Common.TrdMarket);
const FILL_STATUSES = names(Trd_Common.OrderFillStatus);
const ORDER_STATUSES = new Set(Object.keys(ORDER_STATUS));

export type Validation = { ok: true } | { ok: false; reason: string };

class Invalid extends Error {}

function check(cond: boolean, reason: string): void {
  if (!cond) throw new Invalid(reason);
}

function id(d: Record<string, unknown>, field: string, required = true): void {
  const v = d[field];
  if (v === undefined && !required) return;
  check(typeof v === 'string' && ID.test(v) && BigInt(v) > 0n && BigInt(v) <= UINT64_MAX, `${field} must be a decimal 64-bit ID, got ${JSON.stringify(v)}`);
}

function amount(d: Record<string, unknown>, field: string, max: number, required = true): void {
  const v = d[field];
  if (v === undefined && !required) return;
  check(typeof v === 'number' && Number.isFinite(v) && v >= 0 && v <= max, `${field} must be a number from 0 to ${max}, got ${JSON.stringify(v)}`);
}

/**
 * `lenient`: also the "UNKNOWN_<n>" names proto/enums.ts gives wire values newer than our generated code, so an
 * OpenD upgrade that adds a market or order type does not make us drop real order updates. Order statuses are
 * never lenient: the version comparison must understand them.
 */
function oneOf(d: Record<string, unknown>, field: string, allowed: Set<string> | string[], required = true, lenient = false): void {
  const v = d[field];
  if (v === undefined && !required) return;
  const known = typeof v === 'string' && (Array.isArray(allowed) ? allowed.includes(v) : allowed.has(v));
  const ok = known || (lenient && typeof v === 'string' && /^UNKNOWN_\d{1,6}$/.test(v));
  check(ok, `${field} ${JSON.stringify(v)} is not one of the contract's values`);
}

function security(d: Record<string, unknown>): void {
  const s = d['security'];
  check(typeof s === 'string' && SECURITY.test(s), `security must look like "HK.00700", got ${JSON.stringify(s)}`);
}

function gatewayTime(d: Record<string, unknown>, now: number): void {
  const t = d['gatewayTime'];
  const ms = typeof t === 'string' ? Date.parse(t) : NaN;
  check(Number.isFinite(ms), `gatewayTime must be an ISO-8601 time, got ${JSON.stringify(t)}`);
  check(ms <= now + MAX_GATEWAY_TIME_AHEAD_MS, `gatewayTime ${t} is more than ${MAX_GATEWAY_TIME_AHEAD_MS / 1000} s ahead of now`);
}

function orderUpdate(d: Record<string, unknown>): void {
  id(d, 'accId');
  id(d, 'orderId');
  oneOf(d, 'status', ORDER_STATUSES);
  oneOf(d, 'trdEnv', TRD_ENVS);
  oneOf(d, 'trdMarket', TRD_MARKETS, true, true);
  oneOf(d, 'side', SIDES, true, true);
  oneOf(d, 'orderType', ORDER_TYPES, true, true);
  security(d);
  amount(d, 'qty', MAX_EVENT_QTY);
  amount(d, 'fillQty', MAX_EVENT_QTY);
  amount(d, 'price', MAX_EVENT_PRICE, false);
  amount(d, 'fillAvgPrice', MAX_EVENT_PRICE);
  amount(d, 'auxPrice', MAX_EVENT_PRICE, false);
  oneOf(d, 'trailType', TRAIL_TYPES, false, true);
  amount(d, 'trailValue', MAX_EVENT_PRICE, false);
  amount(d, 'trailSpread', MAX_EVENT_PRICE, false);
  check((d['fillQty'] as number) <= (d['qty'] as number), `fillQty ${String(d['fillQty'])} is above qty ${String(d['qty'])}`);
  amount(d, 'updateTimestamp', 1e11, false);
  const coid = d['clientOrderId'];
  check(coid === undefined || (typeof coid === 'string' && CLIENT_ORDER_ID_PATTERN.test(coid)), `clientOrderId ${JSON.stringify(coid)} is not a valid clientOrderId`);
}

function orderFill(d: Record<string, unknown>): void {
  id(d, 'accId');
  id(d, 'fillId');
  id(d, 'orderId');
  oneOf(d, 'trdEnv', TRD_ENVS);
  oneOf(d, 'side', SIDES, true, true);
  oneOf(d, 'status', FILL_STATUSES, false, true);
  security(d);
  const qty = d['qty'];
  check(typeof qty === 'number' && Number.isFinite(qty) && qty > 0 && qty <= MAX_EVENT_QTY, `qty must be above 0 and at most ${MAX_EVENT_QTY}, got ${JSON.stringify(qty)}`);
  amount(d, 'price', MAX_EVENT_PRICE);
  amount(d, 'createTimestamp', 1e11, false);
}

function gatewayState(d: Record<string, unknown>): void {
  check(typeof d['ready'] === 'boolean', `ready must be true or false, got ${JSON.stringify(d['ready'])}`);
}

function loginChallenge(d: Record<string, unknown>): void {
  oneOf(d, 'challenge', ['PHONE', 'PICTURE']);
  check(d['description'] === undefined || (typeof d['description'] === 'string' && d['description'].length <= 1000), 'description must be a string of at most 1000 characters');
}

const VALIDATORS: Readonly<Record<string, (d: Record<string, unknown>) => void>> = {
  'Order Update': orderUpdate,
  'Order Fill': orderFill,
  'Gateway State': gatewayState,
  'Login Challenge': loginChallenge,
};

/** Whether a consumed detail fits the contract of its detail-type; detail-types not consumed pass. */
export function validateBusEvent(detailType: string, detail: unknown, now: number = Date.now()): Validation {
  const validate = VALIDATORS[detailType];
  if (!validate) return { ok: true };
  try {
    check(typeof detail === 'object' && detail !== null && !Array.isArray(detail), 'detail must be a JSON object');
    const d = detail as Record<string, unknown>;
    validate(d);
    gatewayTime(d, now);
    return { ok: true };
  } catch (err) {
    if (err instanceof Invalid) return { ok: false, reason: err.message };
    throw err;
  }
}

/** The CloudWatch namespace of the custom metrics (cdk/definitions.ts METRICS.namespace; a test keeps them equal). */
export const METRICS_NAMESPACE = 'OpenDCloud';
export const REJECTED_EVENTS_METRIC = 'RejectedBusEvents';

/**
 * One CloudWatch Embedded Metric Format line: Lambda's log pipeline turns it into the metric
 * `OpenDCloud/RejectedBusEvents` (dimension DetailType), without an API call.
 */
export function rejectedEventMetric(detailType: string, reason: string, eventId: string | undefined, now: number = Date.now()): string {
  return JSON.stringify({
    _aws: {
      Timestamp: now,
      CloudWatchMetrics: [{ Namespace: METRICS_NAMESPACE, Dimensions: [['DetailType']], Metrics: [{ Name: REJECTED_EVENTS_METRIC, Unit: 'Count' }] }],
    },
    DetailType: detailType,
    [REJECTED_EVENTS_METRIC]: 1,
    reason,
    eventId,
  });
}
