// GET /v1/quotes…: latest quotes (from the relay's latest-quote store for subscribed codes, Snapshot for the
// rest), history candlesticks with paging, order books and tickers (current K-lines, time share, broker queue
// and market state are in quote-routes.ts). Futu's quote limits are enforced here, before OpenD sees the call.
// Order books and tickers need a subscription: it is taken within the API's share of the quota and given back
// after its minute (../lib/quote-subscriptions.ts), so API callers can never take the quota the relay needs.
//
// GET /v1/quotes, where each quote comes from (invariants):
// - A code whose stored quote is current (the relay's heartbeat is recent and names it: isCurrent in
//   proto/latest-quote-item.ts) is answered from the store: `source: "store"`, `ageMs` = how long ago the relay
//   received its latest change. No Futu limit is spent on it, so any number of callers can poll subscribed codes.
// - Every other code (not stored, or stored but stale: relay down, resubscribing, its writes failing, or no
//   longer subscribed) is asked from Snapshot in one call under Futu's limit: `source: "snapshot"`, `ageMs: 0`.
//   A trading user wants a price that is current, so a stale row is replaced by a fresh snapshot whenever the
//   limit allows; only when it does not, and every code has at least a stored quote, are the stored quotes
//   served with `stale: true` (better than a 429 for a dashboard; a strategy should check `stale`). A code with
//   nothing stored and no snapshot allowed gets the usual 429.
// - A store that cannot be read (throttled, down) is not an error: every code goes to Snapshot.
import type { KLTypeName, RehabTypeName } from '../../proto/api/quotes.js';
import * as Qot_Common from '../../proto/generated/Qot_Common.js';
import { parseSecurity, parseSecurityList } from '../../proto/securities.js';
import { invalid, rateLimited } from '../lib/api-error.js';
import { httpHandler } from '../lib/http.js';
import { bucketFor, FUTU_LIMITS, type FutuLimitName } from '../lib/rate-limiter.js';
import { runtime } from '../lib/runtime.js';
import { REFERENCE_ROUTES } from './reference-routes.js';
import { DERIVATIVE_ROUTES } from './derivative-routes.js';
import { PRICE_REMINDER_ROUTES } from './price-reminder-routes.js';
import { QUOTE_ROUTES, subscriptionsByClient, subscriptionsOf } from './quote-routes.js';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { isCurrent, LatestQuoteStore, quoteStaleAfterMsFromEnv, type Heartbeat, type StoredSecurity } from '../lib/latest-quote-store.js';

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

let storeDoc: DynamoDBDocumentClient | undefined;
let store: LatestQuoteStore | undefined;

/** The store of the runtime's latestQuotes table (one document client per execution environment). */
function latestQuoteStore(): LatestQuoteStore {
  const table = runtime().config.tables.latestQuotes;
  storeDoc ??= DynamoDBDocumentClient.from(new DynamoDBClient({}));
  if (store?.tableName !== table) store = new LatestQuoteStore(storeDoc, table);
  return store;
}

const staleAfterMs = quoteStaleAfterMsFromEnv();

/** A stored row in the shape of a snapshot quote (the fields a basic-quote push carries; bid/ask with a book). */
function storedQuote(row: StoredSecurity, heartbeat: Heartbeat | undefined, now: number, stale: boolean) {
  const q = row.quote!;
  const book = row.orderBook && heartbeat?.subscribed.ORDER_BOOK.includes(row.security) ? row.orderBook : undefined;
  return {
    code: row.security,
    name: q['name'],
    isSuspended: q['isSuspended'],
    updateTime: q['updateTime'],
    updateTimestamp: q['updateTimestamp'],
    price: q['price'],
    open: q['open'],
    high: q['high'],
    low: q['low'],
    lastClose: q['lastClose'],
    volume: q['volume'],
    turnover: q['turnover'],
    turnoverRate: q['turnoverRate'],
    ...(book ? { bid: book.bid?.price, ask: book.ask?.price, bidVolume: book.bid?.volume, askVolume: book.ask?.volume } : {}),
    source: 'store' as const,
    ageMs: Math.max(0, now - (row.quoteAt ?? now)),
    ...(stale ? { stale: true } : {}),
  };
}

export const handler = httpHandler({
  // Reference and screening data: trading days, plates, screener, capital flow, warrants, watchlists, IPOs.
  ...REFERENCE_ROUTES,
  // Option expirations and chains, futures contract specs.
  ...DERIVATIVE_ROUTES,
  // Futu price reminders: list, add, modify, enable / disable, delete.
  ...PRICE_REMINDER_ROUTES,
  // Current K-lines, time share, broker queue, market state.
  ...QUOTE_ROUTES,
  'GET /v1/quotes': async (req) => {
    let refs;
    try {
      refs = parseSecurityList(req.query['codes'], 'codes', 400);
    } catch (err) {
      throw invalid('codes', (err as Error).message.replace(/^codes(\[\d+\])?: /, ''));
    }
    const codes = [...new Set(refs.map((r) => r.key))];
    let stored: Awaited<ReturnType<LatestQuoteStore['read']>> = { rows: new Map() };
    try {
      stored = await latestQuoteStore().read(codes);
    } catch (err) {
      runtime().log.warn('latest-quote store unreadable; answering from Snapshot', { error: (err as Error).message });
    }
    const now = Date.now();
    const current = new Set(codes.filter((c) => stored.rows.get(c)?.quote && isCurrent(c, stored.heartbeat, now, staleAfterMs)));
    const need = codes.filter((c) => !current.has(c));
    const byCode = new Map<string, object>();
    for (const c of current) byCode.set(c, storedQuote(stored.rows.get(c)!, stored.heartbeat, now, false));
    if (need.length > 0) {
      const rule = FUTU_LIMITS.Snapshot;
      const d = await runtime().limiter.acquire(bucketFor('opend', 'Snapshot'), rule);
      if (!d.allowed) {
        // Stale stored quotes, marked so, rather than a 429 — only when every code has one.
        if (!need.every((c) => stored.rows.get(c)?.quote)) throw rateLimited('snapshot requests', d.retryAfterMs, rule);
        for (const c of need) byCode.set(c, storedQuote(stored.rows.get(c)!, stored.heartbeat, now, true));
      } else {
        const s = await runtime().openD.get();
        // Any call of a warm function gives back subscriptions whose minute is up.
        await subscriptionsByClient.get(s.client)?.giveBack();
        for (const q of await s.quotes.snapshot(need)) byCode.set(q.code, { ...q, source: 'snapshot', ageMs: 0 });
      }
    }
    // In the order asked; a code neither source knows is left out, as Snapshot leaves it out.
    const quotes = codes.flatMap((c) => (byCode.has(c) ? [byCode.get(c)!] : []));
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
