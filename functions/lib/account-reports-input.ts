// Query parameters of the account-report routes (functions/handlers/accounts.ts): order-fee IDs, margin-ratio
// codes, the cash-flow date, max-quantity inputs, history ranges with Futu's rules, and the opaque paging cursor.
// Every problem is a 400 naming the parameter and what is allowed, raised before OpenD sees anything.
//
// Futu's rules followed:
//   - Trd_GetOrderFee: at most 400 orders per request, by server order ID (orderIDEx).
//   - Trd_GetMarginRatio: at most 100 securities per request.
//   - Trd_FlowSummary: one clearing date "yyyy-MM-dd" per request.
//   - History orders / fills (history_order_list_query, history_deal_list_query): start and end combine as
//     "both given: that range; only start: end is 90 days after start; only end: start is 90 days before end;
//     neither: the 90 days up to today", the times "yyyy-MM-dd HH:mm:ss", a bare date meaning 00:00:00 for
//     start and 23:59:59 for end, in the market's local time (OpenD's convention). Futu does not cap an
//     explicit range; this API does at 90 days (Futu's default window), so every page's OpenD call stays bounded.
// Paging: the history lists are sorted by (createTime, ID) and cut into pages; the cursor is an opaque token
// naming the last item returned and a hash of the query it belongs to, so it cannot be replayed on another query
// and a new order or fill never shifts a later page.
import { createHash } from 'node:crypto';
import { checkDate } from '../../proto/api/account-reports.js';
import { parseSecurity, parseSecurityList } from '../../proto/securities.js';
import * as Trd_Common from '../../proto/generated/Trd_Common.js';
import { invalid } from './api-error.js';
import { ORDER_TYPES } from './order-input.js';

export const MAX_FEE_ORDERS = 400;
export const MAX_MARGIN_CODES = 100;
export const MAX_HISTORY_DAYS = 90;
export const DEFAULT_PAGE_LIMIT = 100;
export const MAX_PAGE_LIMIT = 500;
const DAY_MS = 86_400_000;

const ORDER_ID_EX_RE = /^[A-Za-z0-9_.:-]{1,64}$/;

/** `?orderIdEx=A,B`: 1 to 400 server order IDs. */
export function parseOrderIdExs(v: string | undefined): string[] {
  const ids = (v ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  if (ids.length === 0) throw invalid('orderIdEx', 'is required: 1 to 400 server order IDs (the orders\' orderIdEx), comma-separated');
  if (ids.length > MAX_FEE_ORDERS) throw invalid('orderIdEx', `at most ${MAX_FEE_ORDERS} orders per request (Futu's limit), got ${ids.length}`);
  const bad = ids.find((id) => !ORDER_ID_EX_RE.test(id));
  if (bad !== undefined) throw invalid('orderIdEx', `${JSON.stringify(bad.slice(0, 70))} is not an orderIdEx: 1 to 64 letters, digits, "_", ".", ":" or "-"`);
  return [...new Set(ids)];
}

/** `?codes=HK.00700,US.AAPL`: 1 to 100 securities, as "HK.00700" keys. */
export function parseMarginCodes(v: string | undefined): string[] {
  return parseSecurityList(v ?? '', 'codes', MAX_MARGIN_CODES).map((r) => r.key);
}

/** `?date=yyyy-MM-dd` and optional `?direction=IN|OUT`. */
export function parseCashFlowQuery(q: Record<string, string>): { date: string; direction?: 'IN' | 'OUT' } {
  if (q['date'] === undefined) throw invalid('date', 'is required: the clearing date "yyyy-MM-dd" (one day per request, as Futu answers it)');
  const date = checkDate(q['date'], 'date');
  const d = q['direction'];
  if (d !== undefined && d !== 'IN' && d !== 'OUT') throw invalid('direction', `must be IN or OUT, got ${JSON.stringify(d.slice(0, 20))}`);
  return d ? { date, direction: d } : { date };
}

export interface MaxQuantitiesQuery {
  code: string;
  type: (typeof ORDER_TYPES)[number];
  price: number;
}

/** `?code=HK.00700&type=NORMAL&price=380.2`: price is required except for MARKET (0 lets OpenD use the quote). */
export function parseMaxQuantitiesQuery(q: Record<string, string>): MaxQuantitiesQuery {
  const code = parseSecurity(q['code'], 'code').key;
  const type = (q['type'] ?? 'NORMAL') as MaxQuantitiesQuery['type'];
  if (!ORDER_TYPES.includes(type)) throw invalid('type', `must be one of ${ORDER_TYPES.join(', ')}, got ${JSON.stringify(String(q['type']).slice(0, 30))}`);
  const raw = q['price'];
  if (raw === undefined) {
    if (type !== 'MARKET') throw invalid('price', `is required for ${type} orders: the limit price to size the order at`);
    return { code, type, price: 0 };
  }
  const price = Number(raw);
  if (!/^\d+(\.\d+)?$/.test(raw) || !(price > 0) || !Number.isFinite(price)) throw invalid('price', `must be a positive decimal number, got ${JSON.stringify(raw.slice(0, 30))}`);
  return { code, type, price };
}

const TIME_RE = /^(\d{4}-\d{2}-\d{2})(?: (\d{2}):(\d{2}):(\d{2}))?$/;

/** "yyyy-MM-dd" or "yyyy-MM-dd HH:mm:ss" → the full form; a bare date gets `defaultTime`. */
function parseBound(v: string, field: string, defaultTime: string): string {
  const m = TIME_RE.exec(v);
  if (!m) throw invalid(field, `must be "yyyy-MM-dd" or "yyyy-MM-dd HH:mm:ss" (market local time), got ${JSON.stringify(v.slice(0, 30))}`);
  checkDate(m[1], field);
  if (m[2] !== undefined && (Number(m[2]) > 23 || Number(m[3]) > 59 || Number(m[4]) > 59)) throw invalid(field, `${JSON.stringify(v)} is not a valid time of day`);
  return m[2] === undefined ? `${m[1]} ${defaultTime}` : v;
}

/** Reads "yyyy-MM-dd HH:mm:ss" as if it were UTC: only differences and order matter here. */
const asMs = (t: string): number => Date.parse(`${t.replace(' ', 'T')}Z`);
const fmt = (ms: number): string => new Date(ms).toISOString().slice(0, 19).replace('T', ' ');

/** Today's date in the account market's time zone. */
export function localToday(timeZone: string, now = Date.now()): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(now);
}

/** `?from=…&to=…` with Futu's combination rule, at most 90 days; `today` is the market's local date. */
export function parseHistoryRange(q: Record<string, string>, today: string): { from: string; to: string } {
  const fromRaw = q['from'];
  const toRaw = q['to'];
  let from = fromRaw !== undefined ? parseBound(fromRaw, 'from', '00:00:00') : undefined;
  let to = toRaw !== undefined ? parseBound(toRaw, 'to', '23:59:59') : undefined;
  if (from === undefined && to === undefined) to = `${today} 23:59:59`;
  if (from === undefined) from = fmt(asMs(to!) - MAX_HISTORY_DAYS * DAY_MS + 1000);
  if (to === undefined) to = fmt(asMs(from) + MAX_HISTORY_DAYS * DAY_MS - 1000);
  if (asMs(from) > asMs(to)) throw invalid('from', `${from} is after to ${to}: from must not be later than to`);
  if (asMs(to) - asMs(from) >= MAX_HISTORY_DAYS * DAY_MS) {
    throw invalid('to', `the range ${from} … ${to} is longer than ${MAX_HISTORY_DAYS} days; query at most ${MAX_HISTORY_DAYS} days at a time`, { maxDays: MAX_HISTORY_DAYS });
  }
  return { from, to };
}

/** `?status=FILLED_ALL,CANCELLED_ALL`: order status names. */
export function parseStatuses(v: string | undefined): Trd_Common.OrderStatusName[] | undefined {
  if (v === undefined) return undefined;
  const names = v.split(',').map((s) => s.trim()).filter(Boolean);
  const allowed = Object.keys(Trd_Common.OrderStatus).filter((k) => k !== 'UNKNOWN');
  const bad = names.find((n) => !allowed.includes(n));
  if (names.length === 0 || bad !== undefined) throw invalid('status', `${JSON.stringify((bad ?? v).slice(0, 30))} is not an order status; allowed: ${allowed.join(', ')}`);
  return names as Trd_Common.OrderStatusName[];
}

/** `?codes=` of the history orders: at most 400 securities, as "HK.00700". */
export function parseHistoryCodes(v: string | undefined): string[] | undefined {
  return v === undefined ? undefined : parseSecurityList(v, 'codes', 400).map((r) => r.key);
}

/** `?limit=`: 1 to 500, default 100. */
export function parseLimit(v: string | undefined): number {
  if (v === undefined) return DEFAULT_PAGE_LIMIT;
  const n = Number(v);
  if (!/^\d+$/.test(v) || n < 1 || n > MAX_PAGE_LIMIT) throw invalid('limit', `must be a whole number from 1 to ${MAX_PAGE_LIMIT}, got ${JSON.stringify(v.slice(0, 20))}`);
  return n;
}

// ------------------------------------------------------------------------------------------- paging

export interface PageKey {
  /** "yyyy-MM-dd HH:mm:ss[.SSS]" as OpenD writes it. */
  time: string;
  /** Decimal 64-bit ID. */
  id: string;
}

/** A fingerprint of everything that selects the list, so a cursor only continues the query it came from. */
export function queryHash(parts: readonly unknown[]): string {
  return createHash('sha256').update(JSON.stringify(parts)).digest('base64url').slice(0, 16);
}

export function encodeCursor(hash: string, after: PageKey): string {
  return Buffer.from(JSON.stringify({ v: 1, q: hash, t: after.time, id: after.id })).toString('base64url');
}

/**
 * The position after which the next page starts, or undefined for the first page. Without `hash` only the form
 * is checked (input validation before the account is known); with it, the cursor must belong to that query.
 */
export function decodeCursor(v: string | undefined, hash?: string): PageKey | undefined {
  if (v === undefined) return undefined;
  let doc: { v?: unknown; q?: unknown; t?: unknown; id?: unknown };
  try {
    doc = JSON.parse(Buffer.from(v, 'base64url').toString('utf8'));
  } catch {
    throw invalid('cursor', 'is not a cursor this API issued: pass nextCursor from the previous page unchanged');
  }
  if (doc?.v !== 1 || typeof doc.q !== 'string' || typeof doc.t !== 'string' || typeof doc.id !== 'string' || !/^\d{1,20}$/.test(doc.id)) {
    throw invalid('cursor', 'is not a cursor this API issued: pass nextCursor from the previous page unchanged');
  }
  if (hash !== undefined && doc.q !== hash) throw invalid('cursor', 'belongs to a different query: keep from, to, codes and status as they were for the first page');
  return { time: doc.t, id: doc.id };
}

const compareKeys = (a: PageKey, b: PageKey): number =>
  a.time < b.time ? -1 : a.time > b.time ? 1 : BigInt(a.id) < BigInt(b.id) ? -1 : BigInt(a.id) > BigInt(b.id) ? 1 : 0;

/** Sorts by key, keeps what comes after `after`, and cuts one page; `next` is the last key when more remain. */
export function page<T>(items: readonly T[], keyOf: (x: T) => PageKey, after: PageKey | undefined, limit: number): { items: T[]; next?: PageKey } {
  const sorted = [...items].sort((a, b) => compareKeys(keyOf(a), keyOf(b)));
  const rest = after ? sorted.filter((x) => compareKeys(keyOf(x), after) > 0) : sorted;
  const out = rest.slice(0, limit);
  return rest.length > limit ? { items: out, next: keyOf(out[out.length - 1]!) } : { items: out };
}

