// Idempotent order placement. The idempotency record is written (conditionally) before OpenD is called and
// the order's remark carries the clientOrderId, so:
//   - a retry with the same clientOrderId returns the first result, never a second order;
//   - concurrent duplicates wait for the first attempt's result;
//   - an attempt whose outcome is unknown (crash, timeout, dropped connection) is taken over by exactly one
//     retrier, which looks for the remark in OpenD's order list before anything is placed again.
import type { AccountRef, Order } from '../../proto/api/trading.js';
import { DisconnectedError, OpenDError, RequestTimeoutError } from '../../proto/errors.js';
import { remarkForClientOrderId } from '../../proto/events.js';
import type { Logger } from '../../proto/client.js';
import { ApiError, rateLimited } from './api-error.js';
import { idempotencyKey, type IdempotencyRecord, type IdempotencyStore } from './idempotency-store.js';
import type { OpenDSession } from './opend-connection.js';
import { orderRequestHash, type OrderRequest } from './order-input.js';
import { bucketFor, FUTU_LIMITS, type RateLimiter } from './rate-limiter.js';

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
  /** How long a duplicate waits for the first attempt to finish (default 20 s). */
  maxWaitMs?: number;
  pollMs?: number;
  ttlSeconds?: number;
  /** Fault injection for tests: runs after the record is written, before OpenD is called. */
  afterRecord?: () => Promise<void> | void;
  /** Fault injection for tests: runs after OpenD accepted the order, before the record is completed. */
  afterPlaced?: () => Promise<void> | void;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function orderView(o: Order, clientOrderId?: string) {
  return {
    accId: o.accId.toString(),
    orderId: o.orderId.toString(),
    orderIdEx: o.orderIdEx,
    clientOrderId,
    code: o.code,
    name: o.name,
    side: o.side,
    type: o.type,
    status: o.status,
    qty: o.qty,
    price: o.price,
    fillQty: o.fillQty,
    fillAvgPrice: o.fillAvgPrice,
    timeInForce: o.timeInForce,
    lastErrMsg: o.lastErrMsg || undefined,
    createTime: o.createTime,
    updateTime: o.updateTime,
  };
}

function placedResponse(acc: AccountRef, req: OrderRequest, orderId: string, orderIdEx: string | undefined): PlacementResponse {
  return {
    status: 201,
    body: {
      order: {
        accId: acc.accId.toString(),
        orderId,
        orderIdEx,
        clientOrderId: req.clientOrderId,
        code: req.security.key,
        side: req.side,
        type: req.type,
        qty: req.qty,
        price: req.price,
        timeInForce: req.timeInForce,
        trdEnv: acc.env,
      },
    },
  };
}

function stored(rec: IdempotencyRecord): PlacementResponse {
  return JSON.parse(rec.response!) as PlacementResponse;
}

async function findByRemark(deps: PlaceOrderDeps, acc: AccountRef, clientOrderId: string): Promise<Order | undefined> {
  const s = await deps.openD();
  const remark = remarkForClientOrderId(clientOrderId);
  const today = await s.trade.orders(acc);
  return today.find((o) => o.remark === remark);
}

export async function placeOrderIdempotently(deps: PlaceOrderDeps, acc: AccountRef, req: OrderRequest): Promise<PlacementResponse> {
  const accId = acc.accId.toString();
  const key = idempotencyKey(accId, req.clientOrderId);
  const requestHash = orderRequestHash(accId, req);
  const begun = await deps.idempotency.begin({ accId, clientOrderId: req.clientOrderId, requestHash, ttlSeconds: deps.ttlSeconds ?? 7 * 86_400 });
  if (begun.outcome === 'started') return execute(deps, acc, req, key, begun.record.attempt, false);

  const staleMs = deps.pendingStaleMs ?? 65_000;
  const deadline = Date.now() + (deps.maxWaitMs ?? 20_000);
  let rec: IdempotencyRecord | undefined = begun.record;
  for (let i = 0; i < 10_000; i++) {
    if (!rec) {
      // The first attempt was abandoned (rate limited) and removed: start afresh.
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
        return execute(deps, acc, req, key, t.record.attempt, true);
      }
      rec = t.record;
      continue;
    }
    if (Date.now() > deadline) {
      throw new ApiError(409, 'CONFLICT', `an order with clientOrderId ${req.clientOrderId} is still being placed; retry in a few seconds`, { clientOrderId: req.clientOrderId }, { 'retry-after': '2' });
    }
    await sleep(deps.pollMs ?? 50);
    rec = await deps.idempotency.get(key);
  }
  throw new ApiError(409, 'CONFLICT', `an order with clientOrderId ${req.clientOrderId} is still being placed; retry in a few seconds`);
}

async function complete(deps: PlaceOrderDeps, key: string, attempt: number, state: 'PLACED' | 'REJECTED', orderId: string | undefined, response: PlacementResponse): Promise<PlacementResponse> {
  const done = await deps.idempotency.complete(key, { state, orderId, response: JSON.stringify(response), attempt });
  if (done.outcome === 'completed') return response;
  // Someone else finished or took over this key meanwhile: theirs is the answer everybody gets.
  if (done.record && done.record.state !== 'PENDING') return stored(done.record);
  return response;
}

async function execute(deps: PlaceOrderDeps, acc: AccountRef, req: OrderRequest, key: string, attempt: number, reconcileFirst: boolean): Promise<PlacementResponse> {
  if (reconcileFirst) {
    const found = await findByRemark(deps, acc, req.clientOrderId);
    if (found) {
      deps.log.info('reconciled: the earlier attempt had placed the order', { key, orderId: found.orderId.toString() });
      return complete(deps, key, attempt, 'PLACED', found.orderId.toString(), placedResponse(acc, req, found.orderId.toString(), found.orderIdEx));
    }
  }
  const limit = FUTU_LIMITS.PlaceOrder;
  const decision = await deps.limiter.acquire(bucketFor(acc.accId.toString(), 'PlaceOrder'), limit);
  if (!decision.allowed) {
    await deps.idempotency.abandon(key, attempt);
    throw rateLimited(`placing orders on account ${acc.accId}`, decision.retryAfterMs, limit);
  }
  await deps.afterRecord?.();
  const s = await deps.openD();
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
    });
  } catch (err) {
    if (err instanceof OpenDError) {
      const response: PlacementResponse = {
        status: 422,
        body: { error: { code: 'BROKER_REJECTED', message: `OpenD rejected the order: ${err.retMsg}`, details: { retType: err.retType, errCode: err.errCode, retMsg: err.retMsg, clientOrderId: req.clientOrderId } } },
      };
      return complete(deps, key, attempt, 'REJECTED', undefined, response);
    }
    if (err instanceof DisconnectedError || err instanceof RequestTimeoutError) {
      deps.log.warn('placement outcome unknown; reconciling', { key, error: err.message });
      const found = await findByRemark(deps, acc, req.clientOrderId).catch(() => undefined);
      if (found) return complete(deps, key, attempt, 'PLACED', found.orderId.toString(), placedResponse(acc, req, found.orderId.toString(), found.orderIdEx));
      const wait = Math.ceil((deps.pendingStaleMs ?? 65_000) / 1000);
      throw new ApiError(
        503,
        'OUTCOME_UNKNOWN',
        `the gateway did not confirm the order; retry with the same clientOrderId after ${wait} s and it will be reconciled, never placed twice`,
        { clientOrderId: req.clientOrderId },
        { 'retry-after': String(wait) },
      );
    }
    throw err;
  }
  await deps.afterPlaced?.();
  return complete(deps, key, attempt, 'PLACED', placed.orderId.toString(), placedResponse(acc, req, placed.orderId.toString(), placed.orderIdEx));
}
