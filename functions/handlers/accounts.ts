// GET /v1/accounts…: accounts, funds, positions and fills. Refreshed reads count against Futu's limit.
import { rateLimited } from '../lib/api-error.js';
import { httpHandler, type HttpRequest } from '../lib/http.js';
import { parseAccId } from '../lib/order-input.js';
import { bucketFor, FUTU_LIMITS } from '../lib/rate-limiter.js';
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
      return { status: 200, body: { accId: acc.accId.toString(), trdEnv: acc.env, fills: [], note: 'paper trading (SIMULATE) has no fill records; see the orders for fillQty and fillAvgPrice' } };
    }
    const fills = await s.trade.fills(acc, { refresh });
    return {
      status: 200,
      body: { accId: acc.accId.toString(), trdEnv: acc.env, fills: fills.map((f) => ({ ...f, accId: f.accId.toString(), fillId: f.fillId.toString(), orderId: f.orderId?.toString() })) },
    };
  },
});
