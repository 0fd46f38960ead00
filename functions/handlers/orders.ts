// /v1/accounts/{accId}/orders…: idempotent placement, reads, modify and cancel.
import { ApiError, invalid, notFound, rateLimited } from '../lib/api-error.js';
import { httpHandler, type HttpRequest } from '../lib/http.js';
import { idempotencyKey } from '../lib/idempotency-store.js';
import { checkMarketRules, parseAccId, parseClientOrderId, parseModifyRequest, parseOrderId, parseOrderRequest } from '../lib/order-input.js';
import { placeOrderIdempotently } from '../lib/place-order.js';
import { orderView } from '../lib/order-view.js';
import { bucketFor, FUTU_LIMITS } from '../lib/rate-limiter.js';
import { runtime } from '../lib/runtime.js';
import { remainingTimeMs, withInvocation } from '../lib/invocation.js';
import { riskCheckModification, riskCheckPlacement } from '../lib/security.js';
import { clientOrderIdFromRemark } from '../../proto/events.js';
import { parseSecurity } from '../../proto/securities.js';
import type { AccountRef, Order } from '../../proto/api/trading.js';
import type { OpenDSession } from '../lib/opend-connection.js';
import { isTerminalStatus } from '../lib/model.js';

async function accountOf(req: HttpRequest): Promise<{ s: OpenDSession; acc: AccountRef }> {
  const accId = parseAccId(req.path['accId']);
  const rt = runtime();
  const s = await rt.openD.get();
  return { s, acc: await rt.directory.resolve(s, accId) };
}

async function findOrder(s: OpenDSession, acc: AccountRef, orderId: bigint): Promise<Order | undefined> {
  return (await s.trade.orders(acc, { orderIds: [orderId] })).find((o) => o.orderId === orderId);
}

/** OpenD's order in the API's one order view; the clientOrderId is read back from the remark it was placed with. */
function opendView(o: Order, placed: Order = o) {
  return orderView({ from: 'opend', order: o, clientOrderId: clientOrderIdFromRemark(placed.remark) });
}

async function modifyLimit(acc: AccountRef): Promise<void> {
  const d = await runtime().limiter.acquire(bucketFor(acc.accId.toString(), 'ModifyOrder'), FUTU_LIMITS.ModifyOrder);
  if (!d.allowed) throw rateLimited(`modifying and cancelling orders on account ${acc.accId}`, d.retryAfterMs, FUTU_LIMITS.ModifyOrder);
}

// withInvocation: a duplicate placement waits no longer than this invocation has left.
export const handler = withInvocation(httpHandler({
  'POST /v1/accounts/{accId}/orders': async (req) => {
    const accId = parseAccId(req.path['accId']);
    const order = parseOrderRequest(req.body, req.headers['idempotency-key']);
    const rt = runtime();
    const s = await rt.openD.get();
    const acc = await rt.directory.resolve(s, accId);
    checkMarketRules(order, await rt.directory.securityRules(s, order.security));
    await riskCheckPlacement(s, acc, order);
    const r = await placeOrderIdempotently(
      { idempotency: rt.idempotency, limiter: rt.limiter, openD: () => rt.openD.get(), log: req.log, pendingStaleMs: rt.config.pendingStaleMs, remainingMs: remainingTimeMs },
      acc,
      order,
    );
    return { status: r.status, body: r.body, headers: r.headers };
  },

  'GET /v1/accounts/{accId}/orders': async (req) => {
    const { s, acc } = await accountOf(req);
    const coid = req.query['clientOrderId'];
    if (coid !== undefined) {
      parseClientOrderId(coid);
      const rec = await runtime().idempotency.get(idempotencyKey(acc.accId.toString(), coid));
      if (!rec || !rec.orderId) {
        const stored = await runtime().orders.findByClientOrderId(acc.accId.toString(), coid);
        if (!stored) throw notFound(`no order with clientOrderId ${coid} on account ${acc.accId}`, { clientOrderId: coid });
        return { status: 200, body: { orders: [orderView({ from: 'store', record: stored })] } };
      }
      const o = await findOrder(s, acc, BigInt(rec.orderId));
      if (o) return { status: 200, body: { orders: [orderView({ from: 'opend', order: o, clientOrderId: coid })] } };
      const stored = await runtime().orders.get(acc.accId.toString(), rec.orderId);
      return { status: 200, body: { orders: stored ? [orderView({ from: 'store', record: stored })] : [] } };
    }
    const codes = req.query['codes']?.split(',').map((c, i) => parseSecurity(c.trim(), `codes[${i}]`).key);
    const refresh = req.query['refresh'] === 'true';
    if (refresh) {
      // A refreshed list is answered by Futu's servers and counts against its limit of 10 per 30 s.
      const d = await runtime().limiter.acquire(bucketFor(acc.accId.toString(), 'RefreshQuery'), FUTU_LIMITS.RefreshQuery);
      if (!d.allowed) throw rateLimited(`refreshed queries on account ${acc.accId}`, d.retryAfterMs, FUTU_LIMITS.RefreshQuery);
    }
    const orders = await s.trade.orders(acc, { codes, refresh });
    return { status: 200, body: { orders: orders.map((o) => opendView(o)) } };
  },

  'GET /v1/accounts/{accId}/orders/{orderId}': async (req) => {
    const orderId = parseOrderId(req.path['orderId']);
    const { s, acc } = await accountOf(req);
    const o = await findOrder(s, acc, orderId);
    if (o) return { status: 200, body: { order: opendView(o) } };
    const stored = await runtime().orders.get(acc.accId.toString(), orderId.toString());
    if (stored) return { status: 200, body: { order: orderView({ from: 'store', record: stored }) } };
    throw notFound(`order ${orderId} not found on account ${acc.accId}`, { orderId: orderId.toString() });
  },

  'PATCH /v1/accounts/{accId}/orders/{orderId}': async (req) => {
    const orderId = parseOrderId(req.path['orderId']);
    const change = parseModifyRequest(req.body);
    const { s, acc } = await accountOf(req);
    const o = await findOrder(s, acc, orderId);
    if (!o) throw notFound(`order ${orderId} is not an open order of account ${acc.accId} today`, { orderId: orderId.toString() });
    const security = parseSecurity(o.code);
    checkMarketRules({ security, qty: change.qty, price: change.price, adjustPriceLimit: change.adjustPriceLimit }, await runtime().directory.securityRules(s, security));
    if (change.qty !== undefined && change.qty < o.fillQty) throw invalid('qty', `cannot be below the ${o.fillQty} already filled`);
    await riskCheckModification(s, acc, o, change);
    await modifyLimit(acc);
    await s.trade.modifyOrder(acc, orderId, { qty: change.qty ?? o.qty, price: change.price ?? o.price, adjustPriceLimit: change.adjustPriceLimit });
    const after = await findOrder(s, acc, orderId);
    return { status: 200, body: { order: opendView(after ?? o, o) } };
  },

  'DELETE /v1/accounts/{accId}/orders/{orderId}': async (req) => {
    const orderId = parseOrderId(req.path['orderId']);
    const { s, acc } = await accountOf(req);
    const o = await findOrder(s, acc, orderId);
    if (!o) throw notFound(`order ${orderId} is not an order of account ${acc.accId} today`, { orderId: orderId.toString() });
    if (isTerminalStatus(o.status)) {
      throw new ApiError(409, 'CONFLICT', `order ${orderId} is already ${o.status} and cannot be cancelled`, { status: o.status });
    }
    await modifyLimit(acc);
    await s.trade.cancelOrder(acc, orderId);
    const after = await findOrder(s, acc, orderId);
    return { status: 202, body: { order: opendView(after ?? o, o) } };
  },
}));
