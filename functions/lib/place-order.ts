// Idempotent order placement. The idempotency record is written (conditionally) before OpenD is called and
// the order's remark carries the clientOrderId, so:
//   - a retry with the same clientOrderId returns the first result, never a second order;
//   - on the happy path DynamoDB is called twice: one transaction writes the record and takes the PlaceOrder
//     slot (placement-transaction.ts), one update completes the record after OpenD answered; OpenD is called
//     once (PlaceOrder): the record's OpenD time and trading day come from the connection's reading of OpenD's
//     clock when it is recent and its day cannot have ended (placement-reconcile.ts reusableGatewayClock),
//     else from a GetGlobalState in parallel with the transaction;
//   - concurrent duplicates wait for the first attempt's result, at most until their own invocation would
//     time out;
//   - a failure before PlaceOrder is sent (OpenD unreachable, key load, limiter throttled or failing, a broker
//     frequency-limit answer) releases the record, so the Retry-After we answer is honest;
//   - only a business rejection (retType -1) is final; a timeout, a drop, or any other retType leaves the
//     outcome unknown and the record PENDING;
//   - an unknown outcome is taken over by exactly one retrier once no attempt can still be in flight; it
//     searches fresh lists (refreshed today's orders and history orders since the start) for the remark and
//     places again only on the SAME trading day, when those lists prove there is no order. A record from an
//     earlier trading day is never placed again: the caller gets a 409 that says what to check.
import type { AccountRef, Order } from '../../proto/api/trading.js';
import type { Logger } from '../../proto/client.js';
import { DisconnectedError, OpenDError, RequestTimeoutError, ValidationError } from '../../proto/errors.js';
import { remarkForClientOrderId } from '../../proto/events.js';
import { sleep } from '../../proto/timers.js';
import { ApiError, rateLimited } from './api-error.js';
import { idempotencyKey, type BeginResult, type IdempotencyRecord, type IdempotencyStore } from './idempotency-store.js';
import type { OpenDSession } from './opend-connection.js';
import { orderRequestHash, type OrderRequest } from './order-input.js';
import { orderView } from './order-view.js';
import {
  findOrderByRemark,
  frequencyRetryAfterMs,
  gatewayClock,
  isBrokerFrequencyLimit,
  isOutcomeUnknown,
  lastGatewayClock,
  LookupLimitedError,
  needsRestamp,
  reusableGatewayClock,
  type GatewayClock,
} from './placement-reconcile.js';
import { beginWithinLimit } from './placement-transaction.js';
import { bucketFor, FUTU_LIMITS, RateLimiterContentionError, type RateLimiter } from './rate-limiter.js';

export interface PlacementResponse {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

export interface PlaceOrderDeps {
  idempotency: IdempotencyStore;
  limiter: RateLimiter;
  openD: () => Promise<OpenDSession>;
  log: Logger;
  /** A PENDING record older than this is presumed abandoned and may be taken over (default 65 s: longer than any placing function runs). */
  pendingStaleMs?: number;
  /** Longest a duplicate waits for the first attempt to finish (default: as long as `remainingMs` allows, else 20 s). */
  maxWaitMs?: number;
  /** Time left in this invocation (Lambda context.getRemainingTimeInMillis()); bounds a duplicate's wait. */
  remainingMs?: () => number | undefined;
  /**
   * How old the connection's last reading of OpenD's clock may be for a placement to write it without reading
   * the clock again (default CLOCK_REUSE_MS; 0 reads it for every placement). Reconciliations always read it.
   */
  clockReuseMs?: number;
  /** Kept back from `remainingMs` to answer before the function times out (default 2 s). */
  remainingMarginMs?: number;
  pollMs?: number;
  ttlSeconds?: number;
  /** Fault injection for tests: runs after the record is written, before OpenD is called. */
  afterRecord?: () => Promise<void> | void;
  /** Fault injection for tests: runs after OpenD accepted the order, before the record is completed. */
  afterPlaced?: () => Promise<void> | void;
}

const DEFAULT_PENDING_STALE_MS = 65_000;
const DEFAULT_MAX_WAIT_MS = 20_000;
const DEFAULT_REMAINING_MARGIN_MS = 2_000;
/** Below this much time left, an attempt that just lost its answer does not also try to look the order up. */
const LOOKUP_RESERVE_MS = 12_000;

function placedResponse(acc: AccountRef, req: OrderRequest, orderId: string, orderIdEx: string | undefined): PlacementResponse {
  return { status: 201, body: { order: orderView({ from: 'placement', acc, request: req, orderId, orderIdEx }) } };
}

function stored(rec: IdempotencyRecord): PlacementResponse {
  return JSON.parse(rec.response!) as PlacementResponse;
}

function gatewayNotReady(err: unknown): ApiError {
  const reason = err instanceof Error ? err.message : String(err);
  return new ApiError(503, 'GATEWAY_NOT_READY', `the OpenD gateway is not reachable: ${reason}; nothing was placed, retry after 5 s`, undefined, { 'retry-after': '5' });
}

/** DynamoDB's throttling errors (on-demand tables throttle too), by the SDK's error name. */
function isThrottled(err: unknown): boolean {
  const name = (err as { name?: unknown } | null)?.name;
  return name === 'ProvisionedThroughputExceededException' || name === 'ThrottlingException' || name === 'RequestLimitExceeded';
}

/** What the caller hears about a failure before PlaceOrder was sent: always retryable, with an honest wait. */
function beforeSendError(err: unknown): unknown {
  if (err instanceof ApiError || err instanceof ValidationError) return err;
  if (err instanceof RateLimiterContentionError || isThrottled(err)) {
    return new ApiError(
      429,
      'RATE_LIMITED',
      `the shared rate limiter is busy (${(err as Error).message}); nothing was placed, retry after 1 s`,
      { retryAfterMs: 1000 },
      { 'retry-after': '1' },
    );
  }
  if (err instanceof DisconnectedError || err instanceof RequestTimeoutError || err instanceof OpenDError) return gatewayNotReady(err);
  return err;
}

/** Runs a step before PlaceOrder is sent; on failure the record is removed so a retry can start afresh at once. */
async function beforeSend<T>(deps: PlaceOrderDeps, key: string, attempt: number, step: () => Promise<T>): Promise<T> {
  try {
    return await step();
  } catch (err) {
    await deps.idempotency.abandon(key, attempt).catch((e: unknown) => {
      // The record stays PENDING and is taken over after the stale period: slower, never a second order.
      deps.log.warn('could not release the idempotency record after a failure before sending', { key, error: (e as Error).message });
    });
    throw beforeSendError(err);
  }
}

/** Until when a duplicate may wait: the function's remaining time less a margin, and at most `maxWaitMs`. */
function waitDeadline(deps: PlaceOrderDeps): number {
  const remaining = deps.remainingMs?.();
  let budget = deps.maxWaitMs ?? (remaining === undefined ? DEFAULT_MAX_WAIT_MS : Infinity);
  if (remaining !== undefined) budget = Math.min(budget, remaining - (deps.remainingMarginMs ?? DEFAULT_REMAINING_MARGIN_MS));
  return Date.now() + Math.max(0, budget);
}

export async function placeOrderIdempotently(deps: PlaceOrderDeps, acc: AccountRef, req: OrderRequest): Promise<PlacementResponse> {
  const accId = acc.accId.toString();
  const key = idempotencyKey(accId, req.clientOrderId);
  const requestHash = orderRequestHash(accId, req);
  // OpenD's clock decides the trading day the record belongs to. When OpenD cannot be reached, nothing is
  // recorded and the retry starts afresh. On a warm connection the record carries the connection's last
  // reading when it is recent and its trading day cannot have ended (reusableGatewayClock): no GetGlobalState
  // per order. Otherwise a fresh reading starts now, in parallel with the DynamoDB write; the record is written
  // with the last reading when there is one from the last minute (else it waits for the fresh one), and
  // corrected before PlaceOrder is sent if the fresh reading disagrees.
  let written: GatewayClock;
  let fresh: Promise<GatewayClock> | undefined;
  try {
    const s = await deps.openD();
    const reused = reusableGatewayClock(s, acc, deps.clockReuseMs);
    if (reused !== undefined) {
      written = reused;
    } else {
      const last = lastGatewayClock(s, acc);
      const reading = gatewayClock(s, acc);
      reading.catch(() => undefined); // awaited (and its failure answered) before PlaceOrder is sent
      fresh = reading;
      written = last ?? (await reading);
    }
  } catch (err) {
    throw beforeSendError(err);
  }
  const input = {
    accId,
    clientOrderId: req.clientOrderId,
    requestHash,
    ttlSeconds: deps.ttlSeconds ?? 7 * 86_400,
    gatewayStartedAt: new Date(written.nowMs).toISOString(),
    tradeDate: written.tradeDate,
    market: acc.market,
  };
  // One transaction writes the record and takes the PlaceOrder slot (placement-transaction.ts); it writes
  // nothing when it fails, so its errors are answered like any failure before sending.
  let begun: BeginResult | undefined;
  try {
    begun = await beginWithinLimit(deps.idempotency, deps.limiter, input, bucketFor(accId, 'PlaceOrder'), FUTU_LIMITS.PlaceOrder);
  } catch (err) {
    throw beforeSendError(err);
  }
  const slotTaken = begun !== undefined;
  begun ??= await deps.idempotency.begin(input);
  if (begun.outcome === 'started') return execute(deps, acc, req, key, begun.record.attempt, { slotTaken, clock: fresh && { written, fresh } });

  const staleMs = deps.pendingStaleMs ?? DEFAULT_PENDING_STALE_MS;
  const deadline = waitDeadline(deps);
  let rec: IdempotencyRecord | undefined = begun.record;
  for (let i = 0; i < 100_000; i++) {
    if (!rec) {
      // The first attempt was released before anything was sent, and removed: start afresh.
      return placeOrderIdempotently(deps, acc, req);
    }
    if (rec.requestHash !== requestHash) {
      throw new ApiError(409, 'CONFLICT', `clientOrderId ${req.clientOrderId} was already used for a different order on account ${accId}`, {
        clientOrderId: req.clientOrderId,
        existingOrderId: rec.orderId,
      });
    }
    if (rec.state !== 'PENDING') return stored(rec);
    if (Date.now() - Date.parse(rec.updatedAt) >= staleMs) {
      const t = await deps.idempotency.takeOver(key, rec.attempt);
      if (t.outcome === 'taken') {
        deps.log.warn('taking over a placement whose outcome is unknown', { key, attempt: t.record.attempt });
        return reconcile(deps, acc, req, key, t.record);
      }
      rec = t.record;
      continue;
    }
    if (Date.now() >= deadline) break;
    await sleep(Math.min(deps.pollMs ?? 50, Math.max(1, deadline - Date.now())));
    rec = await deps.idempotency.get(key);
  }
  throw new ApiError(
    409,
    'CONFLICT',
    `an order with clientOrderId ${req.clientOrderId} is still being placed; retry in a few seconds`,
    { clientOrderId: req.clientOrderId },
    { 'retry-after': '2' },
  );
}

async function complete(deps: PlaceOrderDeps, key: string, attempt: number, state: 'PLACED' | 'REJECTED', orderId: string | undefined, response: PlacementResponse): Promise<PlacementResponse> {
  const done = await deps.idempotency.complete(key, { state, orderId, response: JSON.stringify(response), attempt });
  if (done.outcome === 'completed') return response;
  // Someone else finished or took over this key meanwhile: theirs is the answer everybody gets.
  if (done.record && done.record.state !== 'PENDING') return stored(done.record);
  return response;
}

function completeFound(deps: PlaceOrderDeps, acc: AccountRef, req: OrderRequest, key: string, attempt: number, found: Order): Promise<PlacementResponse> {
  deps.log.info('reconciled: an earlier attempt had placed the order', { key, orderId: found.orderId.toString() });
  return complete(deps, key, attempt, 'PLACED', found.orderId.toString(), placedResponse(acc, req, found.orderId.toString(), found.orderIdEx));
}

/**
 * A takeover: the attempt that held the record is over (it is older than any placing function runs) and its
 * outcome is unknown. Looks for the order in fresh lists; places again only on the same trading day.
 */
async function reconcile(deps: PlaceOrderDeps, acc: AccountRef, req: OrderRequest, key: string, rec: IdempotencyRecord): Promise<PlacementResponse> {
  let clock: GatewayClock;
  let found: Order | undefined;
  try {
    const s = await deps.openD();
    clock = await gatewayClock(s, acc);
    const sinceMs = Date.parse(rec.gatewayStartedAt ?? rec.startedAt);
    found = await findOrderByRemark(s, deps.limiter, acc, req.clientOrderId, { sinceMs, nowMs: clock.nowMs });
  } catch (err) {
    // This attempt sent no PlaceOrder: the next retry may take over at once instead of after the stale period.
    await deps.idempotency.release(key, rec.attempt).catch(() => undefined);
    const limited = err instanceof LookupLimitedError ? err.apiError : undefined;
    const retryAfter = limited?.headers?.['retry-after'] ?? '5';
    throw new ApiError(
      503,
      'OUTCOME_UNKNOWN',
      `an earlier attempt with clientOrderId ${req.clientOrderId} has an unknown outcome and OpenD's order lists cannot be checked now (${limited ? limited.message : (err as Error).message}); nothing was placed, retry with the same clientOrderId after ${retryAfter} s`,
      { clientOrderId: req.clientOrderId },
      { 'retry-after': retryAfter },
    );
  }
  if (found) return completeFound(deps, acc, req, key, rec.attempt, found);
  if (rec.tradeDate !== undefined && rec.tradeDate === clock.tradeDate && rec.market === acc.market) {
    deps.log.warn('no order carries the remark in fresh lists of the same trading day; placing it', { key, tradeDate: clock.tradeDate });
    return execute(deps, acc, req, key, rec.attempt);
  }
  throw earlierDayConflict(acc, req, rec, clock);
}

function earlierDayConflict(acc: AccountRef, req: OrderRequest, rec: IdempotencyRecord, clock: GatewayClock): ApiError {
  const remark = remarkForClientOrderId(req.clientOrderId);
  const day = rec.tradeDate ?? rec.startedAt.slice(0, 10);
  return new ApiError(
    409,
    'CONFLICT',
    `clientOrderId ${req.clientOrderId} was first sent on trading day ${day} and its outcome is unknown. OpenD's refreshed and history order lists show no order with remark "${remark}", ` +
      `but for an earlier trading day that is no proof, so it is not placed again. Look for remark "${remark}" in the broker's history orders of account ${acc.accId} ` +
      `(the Futu / moomoo app, or Trd_GetHistoryOrderList) from ${day} on; if there is none, send the order with a new clientOrderId.`,
    {
      clientOrderId: req.clientOrderId,
      remark,
      accId: acc.accId.toString(),
      reason: 'OUTCOME_UNKNOWN_EARLIER_TRADING_DAY',
      firstTradeDate: day,
      market: rec.market ?? acc.market,
      today: clock.tradeDate,
    },
  );
}

interface ExecuteOptions {
  /** The PlaceOrder slot was taken with the record (placement-transaction.ts). */
  slotTaken?: boolean;
  /** OpenD's clock as written in the record, and a fresh reading to check it against before sending (none when a recent reading was reused). */
  clock?: { written: GatewayClock; fresh: Promise<GatewayClock> };
}

async function execute(deps: PlaceOrderDeps, acc: AccountRef, req: OrderRequest, key: string, attempt: number, opts: ExecuteOptions = {}): Promise<PlacementResponse> {
  if (!opts.slotTaken) {
    await beforeSend(deps, key, attempt, async () => {
      const limit = FUTU_LIMITS.PlaceOrder;
      const decision = await deps.limiter.acquire(bucketFor(acc.accId.toString(), 'PlaceOrder'), limit);
      if (!decision.allowed) throw rateLimited(`placing orders on account ${acc.accId}`, decision.retryAfterMs, limit);
    });
  }
  const clock = opts.clock;
  if (clock) {
    // The record's trading day is what a later reconciliation trusts: it must be OpenD's, read fresh, before
    // anything is sent.
    await beforeSend(deps, key, attempt, async () => {
      const now = await clock.fresh;
      if (!needsRestamp(clock.written, now)) return;
      const ok = await deps.idempotency.restamp(key, attempt, { gatewayStartedAt: new Date(now.nowMs).toISOString(), tradeDate: now.tradeDate, market: acc.market });
      if (!ok) throw new Error(`the idempotency record ${key} changed before PlaceOrder was sent; nothing was placed`);
    });
  }
  await deps.afterRecord?.();
  const s = await beforeSend(deps, key, attempt, async () => {
    const session = await deps.openD();
    // request() rejects at once, without sending, when the connection is not ready; checking here keeps
    // that case apart from a DisconnectedError for a request in flight, whose outcome is unknown.
    if (!session.client.connected) throw new DisconnectedError(`not connected to OpenD (connection is ${session.client.state})`);
    return session;
  });
  let placed: { orderId: bigint; orderIdEx?: string };
  try {
    placed = await s.trade.placeOrder(acc, {
      code: req.security.key,
      side: req.side,
      type: req.type,
      qty: req.qty,
      price: req.price,
      timeInForce: req.timeInForce,
      remark: remarkForClientOrderId(req.clientOrderId),
      adjustPriceLimit: req.adjustPriceLimit,
      session: req.session,
      auxPrice: req.auxPrice,
      trailType: req.trailType,
      trailValue: req.trailValue,
      trailSpread: req.trailSpread,
    });
  } catch (err) {
    // Checked before anything was sent.
    if (err instanceof ValidationError) return beforeSend(deps, key, attempt, () => Promise.reject(err));
    if (isBrokerFrequencyLimit(err)) {
      // Futu refused to take it on: nothing was placed. Retryable, and the record is released.
      const what = `placing orders on account ${acc.accId} (the broker's own count)`;
      return beforeSend(deps, key, attempt, () => Promise.reject(rateLimited(what, frequencyRetryAfterMs(err), FUTU_LIMITS.PlaceOrder)));
    }
    if (isOutcomeUnknown(err)) return unknownOutcome(deps, acc, req, key, attempt, err);
    if (err instanceof OpenDError) {
      const response: PlacementResponse = {
        status: 422,
        body: { error: { code: 'BROKER_REJECTED', message: `OpenD rejected the order: ${err.retMsg}`, details: { retType: err.retType, errCode: err.errCode, retMsg: err.retMsg, clientOrderId: req.clientOrderId } } },
      };
      return complete(deps, key, attempt, 'REJECTED', undefined, response);
    }
    throw err;
  }
  await deps.afterPlaced?.();
  return complete(deps, key, attempt, 'PLACED', placed.orderId.toString(), placedResponse(acc, req, placed.orderId.toString(), placed.orderIdEx));
}

/**
 * PlaceOrder was sent and its answer lost. A quick look in fresh lists may find the order; finding nothing
 * proves nothing yet (the request may still be on its way), so the record stays PENDING for a takeover.
 */
async function unknownOutcome(deps: PlaceOrderDeps, acc: AccountRef, req: OrderRequest, key: string, attempt: number, err: unknown): Promise<PlacementResponse> {
  deps.log.warn('placement outcome unknown; reconciling', { key, error: (err as Error).message });
  const remaining = deps.remainingMs?.();
  if (remaining === undefined || remaining > LOOKUP_RESERVE_MS) {
    try {
      const s = await deps.openD();
      const clock = await gatewayClock(s, acc);
      const found = await findOrderByRemark(s, deps.limiter, acc, req.clientOrderId, { sinceMs: clock.nowMs - 60_000, nowMs: clock.nowMs });
      if (found) return completeFound(deps, acc, req, key, attempt, found);
    } catch (lookupErr) {
      deps.log.warn('could not look the order up after an unknown outcome', { key, error: (lookupErr as Error).message });
    }
  }
  const wait = Math.ceil((deps.pendingStaleMs ?? DEFAULT_PENDING_STALE_MS) / 1000);
  throw new ApiError(
    503,
    'OUTCOME_UNKNOWN',
    `the gateway did not confirm the order (${(err as Error).message}); retry with the same clientOrderId after ${wait} s and it will be reconciled, never placed twice`,
    { clientOrderId: req.clientOrderId, ...(err instanceof OpenDError ? { retType: err.retType, retMsg: err.retMsg } : {}) },
    { 'retry-after': String(wait) },
  );
}
