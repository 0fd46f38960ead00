// /v1/accounts/{accId}/orders…: idempotent placement, reads, modify and cancel. Each route parses its input,
// calls one function of ../lib/order-actions.ts and shapes the reply; every order in a reply is the one order
// view (../lib/order-view.ts).
import { parseSecurity } from '../../proto/securities.js';
import { httpHandler } from '../lib/http.js';
import { withInvocation } from '../lib/invocation.js';
import { cancelOrder, getOrder, listOrders, modifyOrder, placeOrder } from '../lib/order-actions.js';
import { parseAccId, parseClientOrderId, parseModifyRequest, parseOrderId, parseOrderRequest } from '../lib/order-input.js';

// withInvocation: a duplicate placement waits no longer than this invocation has left.
export const handler = withInvocation(httpHandler({
  'POST /v1/accounts/{accId}/orders': async (req) => {
    const accId = parseAccId(req.path['accId']);
    const r = await placeOrder(accId, parseOrderRequest(req.body, req.headers['idempotency-key']), req.log);
    return { status: r.status, body: r.body, headers: r.headers };
  },

  'GET /v1/accounts/{accId}/orders': async (req) => {
    const accId = parseAccId(req.path['accId']);
    const clientOrderId = req.query['clientOrderId'];
    if (clientOrderId !== undefined) parseClientOrderId(clientOrderId);
    const codes = req.query['codes']?.split(',').map((c, i) => parseSecurity(c.trim(), `codes[${i}]`).key);
    return { status: 200, body: { orders: await listOrders(accId, { clientOrderId, codes, refresh: req.query['refresh'] === 'true' }) } };
  },

  'GET /v1/accounts/{accId}/orders/{orderId}': async (req) => {
    const orderId = parseOrderId(req.path['orderId']);
    return { status: 200, body: { order: await getOrder(parseAccId(req.path['accId']), orderId) } };
  },

  'PATCH /v1/accounts/{accId}/orders/{orderId}': async (req) => {
    const orderId = parseOrderId(req.path['orderId']);
    const change = parseModifyRequest(req.body);
    return { status: 200, body: { order: await modifyOrder(parseAccId(req.path['accId']), orderId, change) } };
  },

  'DELETE /v1/accounts/{accId}/orders/{orderId}': async (req) => {
    const orderId = parseOrderId(req.path['orderId']);
    return { status: 202, body: { order: await cancelOrder(parseAccId(req.path['accId']), orderId) } };
  },
}));
