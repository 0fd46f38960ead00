/**
 * What placement needs to decide about an order whose outcome it does not know: how OpenD's failures are
 * classified, OpenD's clock and trading day, and the search for an order by its remark in FRESH data.
 *
 * Invariants:
 *  - Only a business rejection (retType -1) is a final answer. Every other failure of a PlaceOrder that was
 *    sent leaves the outcome unknown: the order may exist at the broker.
 *  - "No order found" is only ever established from fresh lists: the refreshed order list of today
 *    (refreshCache = true, which Futu answers from its servers, not OpenD's cache) AND the history order list
 *    since the placement started. Both count against Futu's limits, so both go through the shared limiter.
 *  - The trading day is the market's local date by OpenD's clock (GetGlobalState `time`), not the Lambda's;
 *    a reconciliation always reads that clock fresh. A placement's record may carry the connection's last
 *    reading when it is at most CLOCK_REUSE_MS old and the market's local midnight did not come in between
 *    (`reusableGatewayClock`); a new connection always reads the clock first.
 */
import type { AccountRef, Order, TrdMarketName } from '../../proto/api/trading.js';
import { DisconnectedError, OpenDError, RequestTimeoutError } from '../../proto/errors.js';
import { remarkForClientOrderId } from '../../proto/events.js';
import { ApiError, rateLimited } from './api-error.js';
import type { OpenDSession } from './opend-connection.js';
import { bucketFor, FUTU_LIMITS, type FutuLimitName, type RateLimiter } from './rate-limiter.js';
import { PROTO_ID } from '../../proto/registry.js';
import { RET_TYPE_FAILED } from './broker-frequency.js';

/**
 * Futu's Common.RetType (Common.proto of the futu-api package; "General Definitions" of the OpenAPI docs):
 * Succeed 0, Failed -1, TimeOut -100 (超时), DisConnect -200 (连接断开), Unknown -400 (未知结果, also the
 * proto default, so a reply without retType decodes as -400), Invalid -500 (包内容非法). The same file says
 * errCode is for logging and reconciliation only and that clients act on retType and retMsg, so errCode is
 * not used to classify. Business errors (no permission, bad price, not enough cash, frequency limits) come
 * back as Failed (-1) with a text retMsg. Anything else, including a retType this list does not know, is
 * treated as an unknown outcome: being wrong that way costs a reconciliation, the other way a second order.
 */
export { frequencyRetryAfterMs, isBrokerFrequencyLimit, RET_TYPE_FAILED } from './broker-frequency.js';
export const NON_BUSINESS_RET_TYPES: Readonly<Record<number, string>> = { [-100]: 'TimeOut', [-200]: 'DisConnect', [-400]: 'Unknown', [-500]: 'Invalid' };

/** A PlaceOrder that was sent and whose failure does not say whether the order exists. */
export function isOutcomeUnknown(err: unknown): boolean {
  if (err instanceof OpenDError) return err.retType !== RET_TYPE_FAILED;
  return err instanceof DisconnectedError || err instanceof RequestTimeoutError;
}

const MARKET_TIME_ZONES: Partial<Record<TrdMarketName, string>> = {
  HK: 'Asia/Hong_Kong',
  HKCC: 'Asia/Hong_Kong',
  FUTURES: 'Asia/Hong_Kong',
  FUTURES_SIMULATE_HK: 'Asia/Hong_Kong',
  US: 'America/New_York',
  FUTURES_SIMULATE_US: 'America/New_York',
  CN: 'Asia/Shanghai',
  SG: 'Asia/Singapore',
  FUTURES_SIMULATE_SG: 'Asia/Singapore',
  JP: 'Asia/Tokyo',
  FUTURES_SIMULATE_JP: 'Asia/Tokyo',
  AU: 'Australia/Sydney',
  MY: 'Asia/Kuala_Lumpur',
};

/** The time zone whose local date is a market's trading day (UTC for markets without one). */
export function marketTimeZone(market: TrdMarketName): string {
  return MARKET_TIME_ZONES[market] ?? 'UTC';
}

/**
 * One formatter per time zone, kept for the life of the process: building an Intl.DateTimeFormat costs about
 * a quarter of a millisecond (ICU loads the zone's rules), formatting with one a few microseconds, and a
 * placement formats OpenD's clock on every order. The set of zones is the fixed list above plus UTC.
 */
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let fmt = formatters.get(timeZone);
  if (fmt === undefined) {
    fmt = new Intl.DateTimeFormat('en-CA', {
      timeZone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      hourCycle: 'h23',
    });
    formatters.set(timeZone, fmt);
  }
  return fmt;
}

function parts(ms: number, timeZone: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const p of formatter(timeZone).formatToParts(ms)) out[p.type] = p.value;
  return out;
}

/** YYYY-MM-DD in the zone. */
export function localDate(ms: number, timeZone: string): string {
  const p = parts(ms, timeZone);
  return `${p['year']}-${p['month']}-${p['day']}`;
}

/** "YYYY-MM-DD HH:mm:ss" in the zone: the format of TrdFilterConditions beginTime / endTime. */
export function localDateTime(ms: number, timeZone: string): string {
  const p = parts(ms, timeZone);
  return `${p['year']}-${p['month']}-${p['day']} ${p['hour']}:${p['minute']}:${p['second']}`;
}

export interface GatewayClock {
  /** OpenD's clock, epoch ms (GetGlobalState has whole seconds). */
  nowMs: number;
  /** The account market's local date by that clock. */
  tradeDate: string;
}

/** A reading of OpenD's clock: its time, when (by this Lambda's clock) it was read, and on which connection. */
export interface ClockReading {
  nowMs: number;
  readAtMs: number;
  /** InitConnect's connID of the connection it was read on: a reconnected client starts without a reading. */
  connId: bigint | undefined;
}

/** The last reading of OpenD's clock per session (a new connection starts without one). */
const lastReading = new WeakMap<OpenDSession, ClockReading>();

function connIdOf(s: OpenDSession): bigint | undefined {
  return s.client.connected ? s.client.info.connId : undefined;
}

/**
 * How far a record's OpenD time may lag behind OpenD's clock at the start of a placement (it never runs
 * ahead): a reading this recent may be written instead of waiting for a fresh one. Far inside the 5 minutes
 * of slack the history search keeps around it.
 */
export const CLOCK_TOLERANCE_MS = 60_000;

/**
 * How long a placement may write the session's last reading of OpenD's clock without reading it again
 * (`reusableGatewayClock`). Short against CLOCK_TOLERANCE_MS, so the record's time lags OpenD's by at most this.
 */
export const CLOCK_REUSE_MS = 10_000;

/**
 * Kept clear of the market's local midnight: a reading is reused only while its time moved forward by its age
 * and this much is still on the reading's trading day. It covers what the projection can be off by: OpenD's
 * whole seconds, the reading's round trip and any drift between the two clocks over CLOCK_REUSE_MS.
 */
export const CLOCK_DAY_GUARD_MS = 5_000;

/**
 * OpenD's current time and the account market's trading day: one GetGlobalState (which has no limit), read
 * fresh every time. Remembered for the session, for `lastGatewayClock` and `reusableGatewayClock`.
 */
export async function gatewayClock(s: OpenDSession, acc: AccountRef): Promise<GatewayClock> {
  const state = await s.client.request(PROTO_ID.GetGlobalState, { userID: 0n });
  const nowMs = Number(state.time) * 1000;
  lastReading.set(s, { nowMs, readAtMs: Date.now(), connId: connIdOf(s) });
  return { nowMs, tradeDate: localDate(nowMs, marketTimeZone(acc.market)) };
}

/**
 * The last fresh reading of OpenD's clock on this session, as it was read (not moved forward by the
 * Lambda's clock, so it is never ahead of OpenD's), or undefined when there is none from the last
 * CLOCK_TOLERANCE_MS. Only a first guess: a placement that writes it also reads the clock fresh, in parallel
 * with its DynamoDB write, and corrects the record before sending PlaceOrder when the two disagree
 * (`needsRestamp`). Reconciliations never use it: they read fresh.
 */
export function lastGatewayClock(s: OpenDSession, acc: AccountRef): GatewayClock | undefined {
  const r = lastReading.get(s);
  if (r === undefined || r.connId !== connIdOf(s) || Date.now() - r.readAtMs > CLOCK_TOLERANCE_MS) return undefined;
  return { nowMs: r.nowMs, tradeDate: localDate(r.nowMs, marketTimeZone(acc.market)) };
}

/**
 * Whether `r` may stand for OpenD's clock at `wallNowMs` (this Lambda's clock) without a new reading: it is
 * at most `maxAgeMs` old (and not from the future: a Lambda clock that stepped back proves nothing), and OpenD's
 * time moved forward by that age, plus CLOCK_DAY_GUARD_MS, is still on the reading's trading day in `timeZone`.
 * Returns that trading day, or undefined. Pure, so the day boundary is tested with any time.
 */
export function reusableReading(r: ClockReading, wallNowMs: number, timeZone: string, maxAgeMs: number = CLOCK_REUSE_MS): GatewayClock | undefined {
  const age = wallNowMs - r.readAtMs;
  if (!(age >= 0 && age <= maxAgeMs)) return undefined;
  const tradeDate = localDate(r.nowMs, timeZone);
  if (localDate(r.nowMs + age + CLOCK_DAY_GUARD_MS, timeZone) !== tradeDate) return undefined;
  return { nowMs: r.nowMs, tradeDate };
}

/**
 * The clock a placement writes into its record WITHOUT reading OpenD's clock again: the session's last
 * reading, as it was read, when it is recent (`reusableReading`) and from the connection still in use; else
 * undefined and the placement reads the clock. This saves one GetGlobalState round trip per order on a warm
 * connection. What it rests on: OpenD's time (Futu's server time) runs with real time, so a reading
 * CLOCK_REUSE_MS old lags OpenD's clock by about that much, and its trading day is still today unless the
 * market's local midnight came in between, which the projection catches. A jump of OpenD's own clock within
 * CLOCK_REUSE_MS is not seen here (a placement reading fresh corrects its record, `needsRestamp`); a record's
 * time and day only ever serve a later reconciliation, which reads the clock fresh and places again only on
 * the same trading day after fresh order lists show no order.
 */
export function reusableGatewayClock(s: OpenDSession, acc: AccountRef, maxAgeMs: number = CLOCK_REUSE_MS): GatewayClock | undefined {
  const r = lastReading.get(s);
  if (r === undefined || r.connId !== connIdOf(s)) return undefined;
  return reusableReading(r, Date.now(), marketTimeZone(acc.market), maxAgeMs);
}

/**
 * Whether a record written with `written` must be corrected now that `fresh` was read: another trading day,
 * a time ahead of OpenD's, or one lagging by more than CLOCK_TOLERANCE_MS.
 */
export function needsRestamp(written: GatewayClock, fresh: GatewayClock): boolean {
  const lag = fresh.nowMs - written.nowMs;
  return written.tradeDate !== fresh.tradeDate || lag < 0 || lag > CLOCK_TOLERANCE_MS;
}

/** A lookup that could not run now (Futu's limit for it is used up); the caller says when to retry. */
export class LookupLimitedError extends Error {
  override readonly name = 'LookupLimitedError';
  constructor(readonly apiError: ApiError) {
    super(apiError.message);
  }
}

async function acquire(limiter: RateLimiter, acc: AccountRef, name: FutuLimitName, what: string): Promise<void> {
  const d = await limiter.acquire(bucketFor(acc.accId.toString(), name), FUTU_LIMITS[name]);
  if (!d.allowed) throw new LookupLimitedError(rateLimited(what, d.retryAfterMs, FUTU_LIMITS[name]));
}

/** Slack around the search window, for a clock difference between the Lambda that wrote an old record and OpenD. */
const HISTORY_SLACK_MS = 5 * 60_000;

/**
 * The order carrying `oc:<clientOrderId>` in its remark, searched in fresh data only: today's order list
 * refreshed from Futu's servers, then the history order list from `sinceMs` to now. Throws
 * LookupLimitedError when either query would exceed Futu's limit, and OpenD's errors as they are.
 */
export async function findOrderByRemark(
  s: OpenDSession,
  limiter: RateLimiter,
  acc: AccountRef,
  clientOrderId: string,
  window: { sinceMs: number; nowMs: number },
): Promise<Order | undefined> {
  const remark = remarkForClientOrderId(clientOrderId);
  await acquire(limiter, acc, 'RefreshQuery', `refreshed order lists of account ${acc.accId}`);
  const today = await s.trade.orders(acc, { refresh: true });
  const found = today.find((o) => o.remark === remark);
  if (found) return found;
  // Today's list no longer holds an order of an earlier trading day that has ended (a DAY order expired,
  // a filled one): only the history list does.
  await acquire(limiter, acc, 'HistoryOrders', `history order queries of account ${acc.accId}`);
  const tz = marketTimeZone(acc.market);
  const history = await s.trade.historyOrders(acc, {
    from: localDateTime(window.sinceMs - HISTORY_SLACK_MS, tz),
    to: localDateTime(window.nowMs + HISTORY_SLACK_MS, tz),
  });
  return history.find((o) => o.remark === remark);
}
