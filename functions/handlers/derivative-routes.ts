// GET routes for futures and options, served by the quotes function: an underlying's option expirations and
// option chain, and a futures contract's specs. Every parameter is checked here (a 400 naming it and what is
// allowed) before OpenD sees the call, and Futu's limits (Qot_GetOptionChain 10 per 30 s, Qot_GetFutureInfo
// 30 per 30 s, proto/futu-limits.ts) are counted against the shared OpenD login first.
import { DerivativesApi, MAX_OPTION_CHAIN_DAYS } from '../../proto/api/derivatives.js';
import { FUTU_LIMITS_BY_PROTO } from '../../proto/futu-limits.js';
import { PROTO_ID, protocolName } from '../../proto/registry.js';
import { parseSecurity } from '../../proto/securities.js';
import { invalid, rateLimited } from '../lib/api-error.js';
import type { Route } from '../lib/http.js';
import { runtime } from '../lib/runtime.js';

const DAY_MS = 86_400_000;

function date(v: string | undefined, field: string): string | undefined {
  if (v === undefined) return undefined;
  if (!/^\d{4}-\d{2}-\d{2}$/.test(v) || new Date(Date.parse(`${v}T00:00:00Z`) || 0).toISOString().slice(0, 10) !== v) {
    throw invalid(field, `must be a date "yyyy-MM-dd", got ${JSON.stringify(v).slice(0, 40)}`);
  }
  return v;
}

/** A stock or ETF that options are written on ("HK.00700", "US.AAPL"), not a derivative code. */
function underlying(v: string | undefined): string {
  let ref;
  try {
    ref = parseSecurity(v, 'underlying');
  } catch (err) {
    throw invalid('underlying', (err as Error).message.replace(/^[^:]+: /, ''));
  }
  if (ref.derivative) throw invalid('underlying', `${ref.key} is a ${ref.derivative.kind}; give the underlying stock, e.g. HK.00700 or US.AAPL`);
  return ref.key;
}

async function derivatives(protoId: number): Promise<DerivativesApi> {
  const rule = FUTU_LIMITS_BY_PROTO[protoId];
  if (rule) {
    const d = await runtime().limiter.acquire(`${protocolName(protoId)}#opend`, { limit: rule.limit, windowMs: rule.windowMs });
    if (!d.allowed) throw rateLimited(`${protocolName(protoId)} requests`, d.retryAfterMs, rule);
  }
  return new DerivativesApi((await runtime().openD.get()).client);
}

export const DERIVATIVE_ROUTES: Record<string, Route> = {
  'GET /v1/options/{underlying}/expirations': async (req) => {
    const key = underlying(req.path['underlying']);
    return { status: 200, body: { underlying: key, expirations: await (await derivatives(PROTO_ID.Qot_GetOptionExpirationDate)).optionExpirationDates(key) } };
  },

  // ?expiry=yyyy-MM-dd for one expiry, or ?from=&to= for a window of at most 30 days (Futu's one-month rule);
  // without either, the 30 days from today. &type=CALL|PUT and &moneyness=ITM|OTM filter the contracts.
  'GET /v1/options/{underlying}/chain': async (req) => {
    const key = underlying(req.path['underlying']);
    const expiry = date(req.query['expiry'], 'expiry');
    if (expiry !== undefined && (req.query['from'] !== undefined || req.query['to'] !== undefined)) {
      throw invalid('expiry', 'give either expiry or from/to, not both');
    }
    const from = expiry ?? date(req.query['from'], 'from') ?? new Date().toISOString().slice(0, 10);
    const to = expiry ?? date(req.query['to'], 'to') ?? new Date(Date.parse(`${from}T00:00:00Z`) + MAX_OPTION_CHAIN_DAYS * DAY_MS).toISOString().slice(0, 10);
    if (to < from) throw invalid('to', `must not be before from (${from})`);
    if (Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`) > MAX_OPTION_CHAIN_DAYS * DAY_MS) {
      throw invalid('to', `at most ${MAX_OPTION_CHAIN_DAYS} days after from (${from}): Futu serves one month of expiries per request`);
    }
    const type = req.query['type']?.toUpperCase();
    if (type !== undefined && type !== 'CALL' && type !== 'PUT') throw invalid('type', `must be CALL or PUT, got ${JSON.stringify(req.query['type'])}`);
    const moneyness = req.query['moneyness']?.toUpperCase();
    if (moneyness !== undefined && moneyness !== 'ITM' && moneyness !== 'OTM') throw invalid('moneyness', `must be ITM or OTM, got ${JSON.stringify(req.query['moneyness'])}`);
    const chain = await (await derivatives(PROTO_ID.Qot_GetOptionChain)).optionChain(key, {
      from,
      to,
      ...(type ? { type: type as 'CALL' | 'PUT' } : {}),
      ...(moneyness ? { moneyness: moneyness as 'ITM' | 'OTM' } : {}),
    });
    return { status: 200, body: { underlying: key, from, to, expiries: chain } };
  },

  'GET /v1/futures/{code}': async (req) => {
    let ref;
    try {
      ref = parseSecurity(req.path['code'], 'code');
    } catch (err) {
      throw invalid('code', (err as Error).message.replace(/^[^:]+: /, ''));
    }
    if (ref.derivative?.kind !== 'future') throw invalid('code', `${ref.key} is not a futures code; e.g. HK.HSImain, HK.MHI2612, US.ESmain`);
    const [future] = await (await derivatives(PROTO_ID.Qot_GetFutureInfo)).futureInfo([ref.key]);
    return { status: 200, body: { future } };
  },
};
