// GET /v1/quotes…: snapshots (no subscription needed), history candlesticks with paging, order books and
// tickers. Futu's quote limits are enforced here, before OpenD sees the call. Order books and tickers need a
// subscription: it is taken within the API's share of the quota and given back after its minute
// (../lib/quote-subscriptions.ts), so API callers can never take the quota the relay needs.
import type { KLTypeName, RehabTypeName } from '../../proto/api/quotes.js';
import * as Qot_Common from '../../proto/generated/Qot_Common.js';
import { parseSecurity, parseSecurityList } from '../../proto/securities.js';
import { invalid, rateLimited } from '../lib/api-error.js';
import { httpHandler } from '../lib/http.js';
import { bucketFor, FUTU_LIMITS, type FutuLimitName } from '../lib/rate-limiter.js';
import { quoteReserveFromEnv, QuoteSubscriptions } from '../lib/quote-subscriptions.js';
import { runtime } from '../lib/runtime.js';
import type { OpenDSession } from '../lib/opend-connection.js';
import { REFERENCE_ROUTES } from './reference-routes.js';

const KL_TYPES = Object.keys(Qot_Common.KLType).filter((k) => k !== 'UNKNOWN');
const DATE = /^\d{4}-\d{2}-\d{2}( \d{2}:\d{2}:\d{2})?$/;

/** The format, and a day and time that exist (2025-02-30 or 25:00:00 would reach OpenD otherwise). */
function isDate(v: string): boolean {
  if (!DATE.test(v)) return false;
  const iso = `${v.slice(0, 10)}T${v.length > 10 ? v.slice(11) : '00:00:00'}Z`;
  const t = Date.parse(iso);
  return Number.isFinite(t) && new Date(t).toISOString().slice(0, 19) === iso.slice(0, 19);
}

async function limit(name: FutuLimitName, what: string): Promise<void> {
  const rule = FUTU_LIMITS[name];
  const d = await runtime().limiter.acquire(bucketFor('opend', name), rule);
  if (!d.allowed) throw rateLimited(what, d.retryAfterMs, rule);
}

function intParam(v: string | undefined, field: string, dflt: number, min: number, max: number): number {
  if (v === undefined) return dflt;
  if (!/^\d+$/.test(v) || Number(v) < min || Number(v) > max) throw invalid(field, `must be an integer from ${min} to ${max}, got ${JSON.stringify(v)}`);
  return Number(v);
}

// One tracker per OpenD connection: a new connection starts with nothing held (OpenD released the old one's).
const subscriptionsByClient = new WeakMap<OpenDSession['client'], QuoteSubscriptions>();

function subscriptionsOf(s: OpenDSession): QuoteSubscriptions {
  let q = subscriptionsByClient.get(s.client);
  if (!q) {
    q = new QuoteSubscriptions(s.quotes, { reserve: quoteReserveFromEnv(), log: runtime().log });
    subscriptionsByClient.set(s.client, q);
  }
  return q;
}

export const handler = httpHandler({
  // Reference and screening data: trading days, plates, screener, capital flow, warrants, watchlists, IPOs.
  ...REFERENCE_ROUTES,
  'GET /v1/quotes': async (req) => {
    let refs;
    try {
      refs = parseSecurityList(req.query['codes'], 'codes', 400);
    } catch (err) {
      throw invalid('codes', (err as Error).message.replace(/^codes(\[\d+\])?: /, ''));
    }
    await limit('Snapshot', 'snapshot requests');
    const s = await runtime().openD.get();
    // Any call of a warm function gives back subscriptions whose minute is up.
    await subscriptionsByClient.get(s.client)?.giveBack();
    const quotes = await s.quotes.snapshot(refs.map((r) => r.key));
    return { status: 200, body: { quotes } };
  },

  'GET /v1/quotes/{code}/klines': async (req) => {
    const ref = parseSecurity(req.path['code'], 'code');
    const type = (req.query['type'] ?? 'DAY').toUpperCase();
    if (!KL_TYPES.includes(type)) throw invalid('type', `must be one of ${KL_TYPES.join(', ')}`);
    const rehab = (req.query['rehab'] ?? 'FORWARD').toUpperCase();
    if (!['NONE', 'FORWARD', 'BACKWARD'].includes(rehab)) throw invalid('rehab', 'must be NONE, FORWARD or BACKWARD');
    const to = req.query['to'] ?? new Date().toISOString().slice(0, 10);
    // `to` is checked first: the default `from` is computed from it.
    if (!isDate(to)) throw invalid('to', 'must be a date "yyyy-MM-dd" or "yyyy-MM-dd HH:mm:ss"');
    const from = req.query['from'] ?? new Date(Date.parse(to.slice(0, 10)) - 30 * 86_400_000).toISOString().slice(0, 10);
    if (!isDate(from)) throw invalid('from', 'must be a date "yyyy-MM-dd" or "yyyy-MM-dd HH:mm:ss"');
    if (from > to) throw invalid('from', 'must not be after to');
    const pageSize = intParam(req.query['pageSize'], 'pageSize', 1000, 1, 1000);
    const pageKeyText = req.query['pageKey'];
    let pageKey: Uint8Array | undefined;
    if (pageKeyText !== undefined) {
      if (!/^[A-Za-z0-9_-]{1,2048}$/.test(pageKeyText)) throw invalid('pageKey', 'must be the nextPageKey of a previous page');
      pageKey = Buffer.from(pageKeyText, 'base64url');
    }
    // Futu counts only the first page of a history request.
    if (!pageKey) await limit('HistoryKLine', 'history candlestick requests');
    const s = await runtime().openD.get();
    const page = await s.quotes.historyKlinesPage(ref.key, { type: type as KLTypeName, rehab: rehab as RehabTypeName, from, to, pageSize, pageKey });
    return {
      status: 200,
      body: { code: ref.key, type, rehab, from, to, bars: page.bars, nextPageKey: page.nextPageKey ? Buffer.from(page.nextPageKey).toString('base64url') : undefined },
    };
  },

  'GET /v1/quotes/{code}/orderbook': async (req) => {
    const ref = parseSecurity(req.path['code'], 'code');
    const depth = intParam(req.query['depth'], 'depth', 10, 1, 10);
    const s = await runtime().openD.get();
    // Get* calls need a subscription on this connection (no push registration: nothing is streamed here).
    await subscriptionsOf(s).use(ref.key, 'ORDER_BOOK');
    return { status: 200, body: await s.quotes.orderBook(ref.key, depth) };
  },

  'GET /v1/quotes/{code}/ticker': async (req) => {
    const ref = parseSecurity(req.path['code'], 'code');
    const count = intParam(req.query['count'], 'count', 100, 1, 1000);
    const s = await runtime().openD.get();
    await subscriptionsOf(s).use(ref.key, 'TICKER');
    return { status: 200, body: { code: ref.key, trades: await s.quotes.ticker(ref.key, count) } };
  },
});
