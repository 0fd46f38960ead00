// GET /v1/accounts…: accounts, funds, positions and fills, and the account reports — order fees, margin ratios,
// cash flow, maximum quantities, history orders and fills (paged). Refreshed reads and every report count against
// Futu's per-protocol frequency limits (proto/futu-limits.ts) in the shared limiter before OpenD is called; a
// report on a paper (SIMULATE) account that Futu does not offer (fees, cash flow, fills) is answered here, empty,
// with a note, and OpenD sees nothing. 64-bit IDs are decimal strings.
import { AccountReportsApi } from '../../proto/api/account-reports.js';
import type { Fill, Order } from '../../proto/api/trading.js';
import { marketPrefixTimeZone } from '../../proto/market-time-zones.js';
import {
  decodeCursor,
  encodeCursor,
  localToday,
  page,
  parseCashFlowQuery,
  parseHistoryCodes,
  parseHistoryRange,
  parseLimit,
  parseMarginCodes,
  parseMaxQuantitiesQuery,
  parseOrderIdExs,
  parseStatuses,
  queryHash,
} from '../lib/account-reports-input.js';
import { rateLimited } from '../lib/api-error.js';
import { httpHandler, type HttpRequest } from '../lib/http.js';
import { parseAccId } from '../lib/order-input.js';
import { orderView } from '../lib/order-view.js';
import { bucketFor, FUTU_LIMITS, type FutuLimitName } from '../lib/rate-limiter.js';
import { runtime } from '../lib/runtime.js';
import { mayRead } from '../lib/authorization.js';
import { security } from '../lib/security.js';

async function account(req: HttpRequest) {
  const accId = parseAccId(req.path['accId']);
  const rt = runtime();
  const s = await rt.openD.get();
  const acc = await rt.directory.resolve(s, accId);
  const refresh = req.query['refresh'] === 'true';
  if (refresh) {
    const d = await rt.limiter.acquire(bucketFor(accId, 'RefreshQuery'), FUTU_LIMITS.RefreshQuery);
    if (!d.allowed) throw rateLimited(`refreshed queries on account ${accId}`, d.retryAfterMs, FUTU_LIMITS.RefreshQuery);
  }
  return { s, acc, refresh };
}

/** One acquisition of a Futu limit before OpenD is called: per account, or per OpenD login for margin data. */
async function limit(name: FutuLimitName, scope: string, what: string): Promise<void> {
  const d = await runtime().limiter.acquire(bucketFor(scope, name), FUTU_LIMITS[name]);
  if (!d.allowed) throw rateLimited(what, d.retryAfterMs, FUTU_LIMITS[name]);
}

const PAPER_NOTE = {
  fees: 'paper trading (SIMULATE) charges no fees and Futu offers no fee query for it',
  cashFlow: 'paper trading (SIMULATE) has no cash-flow records and Futu offers no cash-flow query for it',
  fills: 'paper trading (SIMULATE) has no fill records; see the orders for fillQty and fillAvgPrice',
};

function fillView(f: Fill) {
  return { ...f, accId: f.accId.toString(), fillId: f.fillId.toString(), orderId: f.orderId?.toString() };
}

/** Checks the history parameters before anything is asked of OpenD (the account's market is not known yet). */
function checkHistoryInput(req: HttpRequest): void {
  parseHistoryRange(req.query, localToday('UTC'));
  parseLimit(req.query['limit']);
  decodeCursor(req.query['cursor']);
}

/** History reads: the range in the account market's local time, the page after the cursor, the next cursor. */
function historyQuery(req: HttpRequest, market: string, kind: string, extra: readonly unknown[]) {
  const tz = marketPrefixTimeZone(market) ?? 'Asia/Hong_Kong';
  const range = parseHistoryRange(req.query, localToday(tz));
  const hash = queryHash([kind, req.path['accId'], range.from, range.to, ...extra]);
  return { range, hash, after: decodeCursor(req.query['cursor'], hash), limit: parseLimit(req.query['limit']) };
}

export const handler = httpHandler({
  'GET /v1/accounts': async (req) => {
    const s = await runtime().openD.get();
    // Only the accounts the caller may read (callers in cdk/config.ts).
    const callers = security().config.callers;
    const accounts = (await s.trade.accounts()).filter((a) => req.caller !== undefined && mayRead(callers, req.caller, a.accId.toString()));
    return { status: 200, body: { accounts: accounts.map((a) => ({ ...a, accId: a.accId.toString() })) } };
  },

  'GET /v1/accounts/{accId}/funds': async (req) => {
    const { s, acc, refresh } = await account(req);
    return { status: 200, body: { accId: acc.accId.toString(), trdEnv: acc.env, funds: await s.trade.funds(acc, { refresh }) } };
  },

  'GET /v1/accounts/{accId}/positions': async (req) => {
    const { s, acc, refresh } = await account(req);
    const positions = await s.trade.positions(acc, { refresh });
    return { status: 200, body: { accId: acc.accId.toString(), trdEnv: acc.env, positions: positions.map((p) => ({ ...p, positionId: p.positionId.toString() })) } };
  },

  'GET /v1/accounts/{accId}/fills': async (req) => {
    const { s, acc, refresh } = await account(req);
    if (acc.env === 'SIMULATE') {
      // Futu's paper trading produces no fills; order states carry fillQty and fillAvgPrice instead.
      return { status: 200, body: { accId: acc.accId.toString(), trdEnv: acc.env, fills: [], note: PAPER_NOTE.fills } };
    }
    const fills = await s.trade.fills(acc, { refresh });
    return { status: 200, body: { accId: acc.accId.toString(), trdEnv: acc.env, fills: fills.map(fillView) } };
  },

  'GET /v1/accounts/{accId}/fees': async (req) => {
    const ids = parseOrderIdExs(req.query['orderIdEx']);
    const { s, acc } = await account(req);
    const accId = acc.accId.toString();
    if (acc.env === 'SIMULATE') return { status: 200, body: { accId, trdEnv: acc.env, fees: [], note: PAPER_NOTE.fees } };
    await limit('OrderFee', accId, `order-fee queries on account ${accId}`);
    const fees = await new AccountReportsApi(s.client).orderFees(acc, ids);
    return { status: 200, body: { accId, trdEnv: acc.env, fees } };
  },

  'GET /v1/accounts/{accId}/margin-ratios': async (req) => {
    const codes = parseMarginCodes(req.query['codes']);
    const { s, acc } = await account(req);
    await limit('MarginRatio', 'opend', 'margin-ratio queries (counted per OpenD login)');
    const ratios = await new AccountReportsApi(s.client).marginRatios(acc, codes);
    return { status: 200, body: { accId: acc.accId.toString(), trdEnv: acc.env, marginRatios: ratios } };
  },

  'GET /v1/accounts/{accId}/cash-flow': async (req) => {
    const q = parseCashFlowQuery(req.query);
    const { s, acc } = await account(req);
    const accId = acc.accId.toString();
    if (acc.env === 'SIMULATE') return { status: 200, body: { accId, trdEnv: acc.env, date: q.date, cashFlow: [], note: PAPER_NOTE.cashFlow } };
    await limit('CashFlow', accId, `cash-flow queries on account ${accId}`);
    const items = await new AccountReportsApi(s.client).cashFlow(acc, q.date, q.direction ? { direction: q.direction } : {});
    return { status: 200, body: { accId, trdEnv: acc.env, date: q.date, cashFlow: items.map((i) => ({ ...i, cashFlowId: i.cashFlowId.toString() })) } };
  },

  'GET /v1/accounts/{accId}/max-quantities': async (req) => {
    const q = parseMaxQuantitiesQuery(req.query);
    const { s, acc } = await account(req);
    const accId = acc.accId.toString();
    await limit('MaxTrdQtys', accId, `max-quantity queries on account ${accId}`);
    // Under the security's trade market: a universal account trades HK, US and A shares (HKCC) under one ID.
    const m = await s.trade.maxQuantities(await runtime().directory.resolveFor(s, accId, { key: q.code }), q);
    return { status: 200, body: { accId, trdEnv: acc.env, code: q.code, type: q.type, price: q.price, maxQuantities: m } };
  },

  'GET /v1/accounts/{accId}/history/orders': async (req) => {
    const codes = parseHistoryCodes(req.query['codes']);
    const statuses = parseStatuses(req.query['status']);
    checkHistoryInput(req);
    const { s, acc } = await account(req);
    const h = historyQuery(req, acc.market, 'orders', [codes ?? null, statuses ?? null]);
    const accId = acc.accId.toString();
    await limit('HistoryOrders', accId, `history-order queries on account ${accId}`);
    const orders = await s.trade.historyOrders(acc, { ...h.range, ...(codes ? { codes } : {}), ...(statuses ? { statuses } : {}) });
    const p = page(orders, (o: Order) => ({ time: o.createTime, id: o.orderId.toString() }), h.after, h.limit);
    return {
      status: 200,
      body: { accId, trdEnv: acc.env, ...h.range, orders: p.items.map((o) => orderView({ from: 'opend', order: o })), ...(p.next ? { nextCursor: encodeCursor(h.hash, p.next) } : {}) },
    };
  },

  'GET /v1/accounts/{accId}/history/fills': async (req) => {
    checkHistoryInput(req);
    const { s, acc } = await account(req);
    const h = historyQuery(req, acc.market, 'fills', []);
    const accId = acc.accId.toString();
    if (acc.env === 'SIMULATE') return { status: 200, body: { accId, trdEnv: acc.env, ...h.range, fills: [], note: PAPER_NOTE.fills } };
    await limit('HistoryFills', accId, `history-fill queries on account ${accId}`);
    const fills = await s.trade.historyFills(acc, h.range);
    const p = page(fills, (f: Fill) => ({ time: f.createTime, id: f.fillId.toString() }), h.after, h.limit);
    return { status: 200, body: { accId, trdEnv: acc.env, ...h.range, fills: p.items.map(fillView), ...(p.next ? { nextCursor: encodeCursor(h.hash, p.next) } : {}) } };
  },
});
