// What the order routes do, one function per route, behind already-parsed input: placement (idempotent, after
// the market rules and pre-trade risk limits), reads from OpenD with DynamoDB's copy as the fallback, modify and
// cancel. Every order they return is in the API's one order view (order-view.ts). Invariants: nothing reaches
// PlaceOrder / ModifyOrder before the rules, the risk limits and our share of Futu's frequency limits allowed
// it; a refreshed read takes its share of Futu's limit first; an order that is final is never cancelled.
import type { AccountRef, Order } from '../../proto/api/trading.js';
import type { Logger } from '../../proto/client.js';
import { clientOrderIdFromRemark } from '../../proto/events.js';
import { parseSecurity } from '../../proto/securities.js';
import { ApiError, invalid, notFound, rateLimited } from './api-error.js';
import { idempotencyKey } from './idempotency-store.js';
import { remainingTimeMs } from './invocation.js';
import { isTerminalStatus } from './model.js';
import type { OpenDSession } from './opend-connection.js';
import { checkMarketRules, checkModifyForType, type ModifyRequest, type OrderRequest } from './order-input.js';
import { checkTypeForEnv } from './order-types.js';
import { orderView, type OrderView } from './order-view.js';
import { placeOrderIdempotently, type PlacementResponse } from './place-order.js';
import { bucketFor, FUTU_LIMITS } from './rate-limiter.js';
import { runtime } from './runtime.js';
import { riskCheckModification, riskCheckPlacement } from './security.js';

async function account(accId: string): Promise<{ s: OpenDSession; acc: AccountRef }> {
  const rt = runtime();
  const s = await rt.openD.get();
  return { s, acc: await rt.directory.resolve(s, accId) };
}

async function findOrder(s: OpenDSession, acc: AccountRef, orderId: bigint): Promise<Order | undefined> {
  return (await s.trade.orders(acc, { orderIds: [orderId] })).find((o) => o.orderId === orderId);
}

/** The account under the trade market the order was placed in (a universal account's orders span markets). */
function inOrderMarket(acc: AccountRef, o: Order): AccountRef {
  return o.trdMarket && o.trdMarket !== 'UNKNOWN' ? { ...acc, market: o.trdMarket } : acc;
}

/** OpenD's order in the view; the clientOrderId is read back from the remark it was placed with. */
function opendView(o: Order, placed: Order = o): OrderView {
  return orderView({ from: 'opend', order: o, clientOrderId: clientOrderIdFromRemark(placed.remark) });
}

/** Futu counts modify and cancel together (ModifyOrder, per account). */
async function modifyLimit(acc: AccountRef): Promise<void> {
  const d = await runtime().limiter.acquire(bucketFor(acc.accId.toString(), 'ModifyOrder'), FUTU_LIMITS.ModifyOrder);
  if (!d.allowed) throw rateLimited(`modifying and cancelling orders on account ${acc.accId}`, d.retryAfterMs, FUTU_LIMITS.ModifyOrder);
}

/** POST: 201 with the order, or the stored answer of an earlier attempt with the same clientOrderId. */
export async function placeOrder(accId: string, order: OrderRequest, log: Logger): Promise<PlacementResponse> {
  const rt = runtime();
  const s = await rt.openD.get();
  // The header's trdMarket is the security's market (a universal account trades several).
  const acc = await rt.directory.resolveFor(s, accId, order.security);
  checkTypeForEnv(acc.env, order.type, order.timeInForce);
  checkMarketRules(order, await rt.directory.securityRules(s, order.security));
  await riskCheckPlacement(s, acc, order);
  return placeOrderIdempotently(
    // remainingMs: a duplicate placement waits no longer than this invocation has left.
    { idempotency: rt.idempotency, limiter: rt.limiter, openD: () => rt.openD.get(), log, pendingStaleMs: rt.config.pendingStaleMs, remainingMs: remainingTimeMs },
    acc,
    order,
  );
}

/** GET list: by clientOrderId (OpenD first, then DynamoDB's copy), or today's orders, optionally by code. */
export async function listOrders(accId: string, q: { clientOrderId?: string; codes?: string[]; refresh: boolean }): Promise<OrderView[]> {
  const rt = runtime();
  const { s, acc } = await account(accId);
  const coid = q.clientOrderId;
  if (coid !== undefined) {
    const rec = await rt.idempotency.get(idempotencyKey(acc.accId.toString(), coid));
    if (!rec || !rec.orderId) {
      const stored = await rt.orders.findByClientOrderId(acc.accId.toString(), coid);
      if (!stored) throw notFound(`no order with clientOrderId ${coid} on account ${acc.accId}`, { clientOrderId: coid });
      return [orderView({ from: 'store', record: stored })];
    }
    const o = await findOrder(s, acc, BigInt(rec.orderId));
    if (o) return [orderView({ from: 'opend', order: o, clientOrderId: coid })];
    const stored = await rt.orders.get(acc.accId.toString(), rec.orderId);
    return stored ? [orderView({ from: 'store', record: stored })] : [];
  }
  if (q.refresh) {
    // A refreshed list is answered by Futu's servers and counts against its limit of 10 per 30 s.
    const d = await rt.limiter.acquire(bucketFor(acc.accId.toString(), 'RefreshQuery'), FUTU_LIMITS.RefreshQuery);
    if (!d.allowed) throw rateLimited(`refreshed queries on account ${acc.accId}`, d.retryAfterMs, FUTU_LIMITS.RefreshQuery);
  }
  const orders = await s.trade.orders(acc, { codes: q.codes, refresh: q.refresh });
  return orders.map((o) => opendView(o));
}

/** GET one: OpenD's live state, else DynamoDB's copy (an order of an earlier day). */
export async function getOrder(accId: string, orderId: bigint): Promise<OrderView> {
  const { s, acc } = await account(accId);
  const o = await findOrder(s, acc, orderId);
  if (o) return opendView(o);
  const stored = await runtime().orders.get(acc.accId.toString(), orderId.toString());
  if (stored) return orderView({ from: 'store', record: stored });
  throw notFound(`order ${orderId} not found on account ${acc.accId}`, { orderId: orderId.toString() });
}

/** PATCH: a new qty and/or price for an open order, within the market rules and the risk limits. */
export async function modifyOrder(accId: string, orderId: bigint, request: ModifyRequest): Promise<OrderView> {
  const rt = runtime();
  const { s, acc: account0 } = await account(accId);
  const o = await findOrder(s, account0, orderId);
  if (!o) throw notFound(`order ${orderId} is not an open order of account ${account0.accId} today`, { orderId: orderId.toString() });
  const acc = inOrderMarket(account0, o);
  const change = checkModifyForType(request, o);
  const security = parseSecurity(o.code);
  checkMarketRules({ security, qty: change.qty, price: change.price, auxPrice: change.auxPrice, adjustPriceLimit: change.adjustPriceLimit }, await rt.directory.securityRules(s, security));
  if (change.qty !== undefined && change.qty < o.fillQty) throw invalid('qty', `cannot be below the ${o.fillQty} already filled`);
  await riskCheckModification(s, acc, o, change);
  await modifyLimit(acc);
  const { auxPrice, trailType, trailValue, trailSpread } = change;
  await s.trade.modifyOrder(acc, orderId, { qty: change.qty ?? o.qty, price: change.price ?? o.price, adjustPriceLimit: change.adjustPriceLimit, auxPrice, trailType, trailValue, trailSpread });
  return opendView((await findOrder(s, acc, orderId)) ?? o, o);
}

/** DELETE: cancels an order that is not final yet (409 names its final status otherwise). */
export async function cancelOrder(accId: string, orderId: bigint): Promise<OrderView> {
  const { s, acc: account0 } = await account(accId);
  const o = await findOrder(s, account0, orderId);
  if (!o) throw notFound(`order ${orderId} is not an order of account ${account0.accId} today`, { orderId: orderId.toString() });
  const acc = inOrderMarket(account0, o);
  if (isTerminalStatus(o.status)) {
    throw new ApiError(409, 'CONFLICT', `order ${orderId} is already ${o.status} and cannot be cancelled`, { status: o.status });
  }
  await modifyLimit(acc);
  await s.trade.cancelOrder(acc, orderId);
  return opendView((await findOrder(s, acc, orderId)) ?? o, o);
}
