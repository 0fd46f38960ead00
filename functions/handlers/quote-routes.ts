// GET routes for a security's current market data, served by the quotes function: current K-lines
// (Qot_GetKL 3006), time share (Qot_GetRT 3008), the HK broker queue (Qot_GetBroker 3014) and market state
// (Qot_GetMarketState 3223), plus the per-connection subscription tracker these and the order book / ticker
// routes share.
//
// Futu's rules followed here: Qot_GetKL, Qot_GetRT and Qot_GetBroker answer only for a security subscribed on
// the calling connection for that type (a K-line type has its own subscription type, KL_1MIN … KL_QURATER,
// spelled so by Futu); they have no request limit of their own, the subscription quota being the limit, so the
// subscription is taken within the API's share (../lib/quote-subscriptions.ts) and given back after its minute.
// Qot_GetMarketState needs no subscription but is limited to 10 requests per 30 s per OpenD (proto/futu-limits.ts),
// counted before the call; this route takes at most 400 codes per call (Snapshot's maximum, kept for symmetry).
// Broker queues exist for HK securities only (Qot_GetBroker is HK market data).
import { ReferenceApi } from '../../proto/api/reference.js';
import type { KLTypeName, RehabTypeName, SubTypeName } from '../../proto/api/quotes.js';
import { FUTU_LIMITS_BY_PROTO } from '../../proto/futu-limits.js';
import * as Qot_Common from '../../proto/generated/Qot_Common.js';
import { PROTO_ID, protocolName } from '../../proto/registry.js';
import { parseSecurity, parseSecurityList } from '../../proto/securities.js';
import { invalid, rateLimited } from '../lib/api-error.js';
import type { Route } from '../lib/http.js';
import type { OpenDSession } from '../lib/opend-connection.js';
import { quoteReserveFromEnv, QuoteSubscriptions } from '../lib/quote-subscriptions.js';
import { runtime } from '../lib/runtime.js';

// One tracker per OpenD connection: a new connection starts with nothing held (OpenD released the old one's).
export const subscriptionsByClient = new WeakMap<OpenDSession['client'], QuoteSubscriptions>();

export function subscriptionsOf(s: OpenDSession): QuoteSubscriptions {
  let q = subscriptionsByClient.get(s.client);
  if (!q) {
    q = new QuoteSubscriptions(s.quotes, { reserve: quoteReserveFromEnv(), log: runtime().log });
    subscriptionsByClient.set(s.client, q);
  }
  return q;
}

const KL_TYPES = Object.keys(Qot_Common.KLType).filter((k) => k !== 'UNKNOWN') as KLTypeName[];

/** The subscription type a K-line type needs (Futu spells the quarter's "KL_QURATER"). */
function klSubType(type: KLTypeName): SubTypeName {
  return (type === 'QUARTER' ? 'KL_QURATER' : `KL_${type}`) as SubTypeName;
}

function code(v: string | undefined): string {
  try {
    return parseSecurity(v, 'code').key;
  } catch (err) {
    throw invalid('code', (err as Error).message.replace(/^[^:]+: /, ''));
  }
}

function intParam(v: string | undefined, field: string, dflt: number, min: number, max: number): number {
  if (v === undefined) return dflt;
  if (!/^\d+$/.test(v) || Number(v) < min || Number(v) > max) throw invalid(field, `must be an integer from ${min} to ${max}, got ${JSON.stringify(v).slice(0, 40)}`);
  return Number(v);
}

function oneOf<T extends string>(v: string | undefined, field: string, allowed: readonly T[], dflt: T): T {
  if (v === undefined) return dflt;
  const u = v.toUpperCase();
  if (!(allowed as readonly string[]).includes(u)) throw invalid(field, `must be one of ${allowed.join(', ')}, got ${JSON.stringify(v).slice(0, 40)}`);
  return u as T;
}

/** A session whose connection holds `type` for `key` (taken within the API's quota share if needed). */
async function subscribed(key: string, type: SubTypeName): Promise<OpenDSession> {
  const s = await runtime().openD.get();
  await subscriptionsOf(s).use(key, type);
  return s;
}

export const QUOTE_ROUTES: Record<string, Route> = {
  'GET /v1/quotes/{code}/klines/current': async (req) => {
    const key = code(req.path['code']);
    const type = oneOf(req.query['type'], 'type', KL_TYPES, '1MIN');
    const rehab = oneOf<RehabTypeName>(req.query['rehab'], 'rehab', ['NONE', 'FORWARD', 'BACKWARD'], 'FORWARD');
    // Futu: Qot_GetKL returns at most the latest 1000 bars.
    const count = intParam(req.query['count'], 'count', 100, 1, 1000);
    const s = await subscribed(key, klSubType(type));
    return { status: 200, body: { code: key, type, rehab, bars: await s.quotes.klines(key, { type, rehab, count }) } };
  },

  'GET /v1/quotes/{code}/time-share': async (req) => {
    const key = code(req.path['code']);
    const s = await subscribed(key, 'RT');
    const points = (await s.quotes.timeShare(key)).map((p) => ({
      time: p.time,
      minute: p.minute,
      timestamp: p.timestamp,
      isBlank: p.isBlank,
      price: p.price,
      avgPrice: p.avgPrice,
      lastClose: p.lastClosePrice,
      volume: Number(p.volume),
      turnover: p.turnover,
    }));
    return { status: 200, body: { code: key, points } };
  },

  'GET /v1/quotes/{code}/broker-queue': async (req) => {
    const key = code(req.path['code']);
    if (!key.startsWith('HK.')) throw invalid('code', `broker queues exist only for HK securities, got ${key}`);
    const s = await subscribed(key, 'BROKER');
    return { status: 200, body: await new ReferenceApi(s.client).brokerQueue(key) };
  },

  'GET /v1/market-state': async (req) => {
    let keys: string[];
    try {
      keys = parseSecurityList(req.query['codes'], 'codes', 400).map((r) => r.key);
    } catch (err) {
      throw invalid('codes', (err as Error).message.replace(/^codes(\[\d+\])?: /, ''));
    }
    const rule = FUTU_LIMITS_BY_PROTO[PROTO_ID.Qot_GetMarketState]!;
    const name = protocolName(PROTO_ID.Qot_GetMarketState);
    const d = await runtime().limiter.acquire(`${name}#opend`, { limit: rule.limit, windowMs: rule.windowMs });
    if (!d.allowed) throw rateLimited(`${name} requests`, d.retryAfterMs, rule);
    const s = await runtime().openD.get();
    return { status: 200, body: { states: await s.quotes.marketState(keys) } };
  },
};
