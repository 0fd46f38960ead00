/**
 * The WebSocket stream's message protocol, pure (no I/O): what a client may send (`subscribe`, `unsubscribe`,
 * `ping`), how a request is validated (every refusal names the field, what was wrong and what is allowed, and
 * subscribes nothing), the topics a subscription is stored under, the topic a bus event is fanned out by, and
 * the JSON of every message a client receives. docs/streaming.md documents the same format for clients.
 *
 * Invariant: a bus event maps to exactly one topic, and a subscription stores exactly the topics the events it
 * asked for map to, so the fan-out finds every interested connection with one Query of one partition.
 */
import { ValidationError } from '../../proto/errors.js';
import { parseSecurity } from '../../proto/securities.js';

/** Market-data detail types a client may subscribe to per security (the relay's quote and price-reminder events, docs/events.md). */
export const STREAM_QUOTE_TYPES = ['Quote', 'KLine', 'Ticker', 'OrderBook', 'TimeShare', 'Broker', 'Price Reminder'] as const;
export type StreamQuoteType = (typeof STREAM_QUOTE_TYPES)[number];
/** Trade detail types an account subscription receives (both, always: a fill without its order update is half the story). */
export const STREAM_ACCOUNT_TYPES = ['Order Update', 'Order Fill'] as const;
/** Every detail type the fan-out rule delivers (cdk/definitions.ts EVENT_RULES.streamFanout). */
export const STREAM_DETAIL_TYPES: readonly string[] = [...STREAM_QUOTE_TYPES, ...STREAM_ACCOUNT_TYPES];

/** The actions of the route selection expression `$request.body.action`; anything else reaches `$default`. */
export const STREAM_ACTIONS = ['subscribe', 'unsubscribe', 'ping'] as const;
export type StreamAction = (typeof STREAM_ACTIONS)[number];

/**
 * Environment variable of the fan-out function: the stage's callback URL, `https://{api-id}.execute-api.{region}
 * .amazonaws.com/{stage}`. Here, in plain data, so the CDK app sets it without loading the AWS SDK client.
 */
export const STREAM_CALLBACK_URL_ENV = 'STREAM_CALLBACK_URL';

export const STREAM_LIMITS = {
  /** Securities in one request. */
  maxQuotesPerRequest: 50,
  /** Accounts in one request. */
  maxAccountsPerRequest: 20,
  /** Topics (security × type, plus accounts) one connection may hold in all: bounds the fan-out per event. */
  maxTopicsPerConnection: 200,
} as const;

/** The default when `quotes` is given without `types`. */
const DEFAULT_QUOTE_TYPES: readonly StreamQuoteType[] = ['Quote'];
const ACC_ID = /^\d{1,20}$/;
const REQUEST_FIELDS = ['action', 'quotes', 'types', 'accounts'] as const;

export interface SubscriptionRequest {
  action: 'subscribe' | 'unsubscribe';
  /** Normalised `"HK.00700"` keys. */
  quotes: string[];
  types: StreamQuoteType[];
  /** Decimal account IDs (64-bit: strings, never numbers). */
  accounts: string[];
}

export type ClientRequest = SubscriptionRequest | { action: 'ping' };

/** A refusal a client receives as `{"type":"error", …}`; `code` is stable, `message` says what to change. */
export class StreamError extends Error {
  override readonly name = 'StreamError';
  constructor(
    readonly code: 'INVALID_ARGUMENT' | 'UNKNOWN_ACTION' | 'FORBIDDEN' | 'LIMIT_EXCEEDED' | 'NOT_CONNECTED',
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

function invalid(field: string, message: string, details: Record<string, unknown> = {}): StreamError {
  return new StreamError('INVALID_ARGUMENT', `${field}: ${message}`, { field, ...details });
}

function stringList(input: unknown, field: string, max: number): string[] {
  if (input === undefined) return [];
  if (!Array.isArray(input)) throw invalid(field, `expected a JSON array of strings, got ${JSON.stringify(input)?.slice(0, 40)}`);
  if (input.length > max) throw invalid(field, `at most ${max} per request, got ${input.length}`, { max });
  return input.map((v, i) => {
    if (typeof v !== 'string') throw invalid(`${field}[${i}]`, `expected a string, got ${JSON.stringify(v)?.slice(0, 40)}`);
    return v;
  });
}

/**
 * Parses one client message (the WebSocket frame's text). Throws StreamError for anything not understood:
 * not JSON, no or an unknown `action`, unknown fields, a bad security, type or account ID, or nothing to do.
 */
export function parseClientMessage(text: string | undefined | null): ClientRequest {
  let body: unknown;
  try {
    body = JSON.parse(text ?? '');
  } catch {
    throw invalid('message', `is not JSON; send an object such as {"action":"subscribe","quotes":["HK.00700"],"types":["Quote"]}`);
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw invalid('message', 'must be a JSON object with an "action" field');
  }
  const o = body as Record<string, unknown>;
  const action = o['action'];
  if (typeof action !== 'string' || !(STREAM_ACTIONS as readonly string[]).includes(action)) {
    throw new StreamError('UNKNOWN_ACTION', `action ${JSON.stringify(action ?? null)?.slice(0, 40)} is not one of ${STREAM_ACTIONS.join(', ')}`, { allowed: [...STREAM_ACTIONS] });
  }
  const unknown = Object.keys(o).filter((k) => !(REQUEST_FIELDS as readonly string[]).includes(k));
  if (unknown.length > 0) throw invalid(unknown[0]!, `is not a field of a ${action} message; the fields are ${REQUEST_FIELDS.join(', ')}`, { allowed: [...REQUEST_FIELDS] });
  if (action === 'ping') return { action: 'ping' };

  const quotes = stringList(o['quotes'], 'quotes', STREAM_LIMITS.maxQuotesPerRequest).map((q, i) => {
    try {
      return parseSecurity(q, `quotes[${i}]`).key;
    } catch (err) {
      if (err instanceof ValidationError) throw new StreamError('INVALID_ARGUMENT', err.message, { field: err.field });
      throw err;
    }
  });
  const rawTypes = stringList(o['types'], 'types', STREAM_QUOTE_TYPES.length);
  const types = rawTypes.map((t, i) => {
    if (!(STREAM_QUOTE_TYPES as readonly string[]).includes(t)) {
      const hint = (STREAM_ACCOUNT_TYPES as readonly string[]).includes(t) ? ' (order events come with "accounts", not "types")' : '';
      throw invalid(`types[${i}]`, `"${t}" is not a market-data type${hint}; allowed: ${STREAM_QUOTE_TYPES.join(', ')}`, { allowed: [...STREAM_QUOTE_TYPES] });
    }
    return t as StreamQuoteType;
  });
  if (types.length > 0 && quotes.length === 0) throw invalid('types', 'needs "quotes": the securities these types are for');
  const accounts = stringList(o['accounts'], 'accounts', STREAM_LIMITS.maxAccountsPerRequest).map((a, i) => {
    if (!ACC_ID.test(a)) throw invalid(`accounts[${i}]`, `"${a.slice(0, 40)}" is not an account ID: a decimal string of 1 to 20 digits, as GET /v1/accounts lists them`);
    return a;
  });
  if (quotes.length === 0 && accounts.length === 0) {
    throw invalid('message', `a ${action} needs "quotes" (with optional "types") or "accounts", or both`);
  }
  return { action: action as SubscriptionRequest['action'], quotes: unique(quotes), types: unique(types.length > 0 ? types : [...DEFAULT_QUOTE_TYPES]), accounts: unique(accounts) };
}

function unique<T>(xs: readonly T[]): T[] {
  return [...new Set(xs)];
}

export const quoteTopic = (security: string, type: string): string => `quote#${security}#${type}`;
export const accountTopic = (accId: string): string => `account#${accId}`;

/** The topics a subscription request names: every security × type, and every account. */
export function topicsOf(req: SubscriptionRequest): string[] {
  return [...req.quotes.flatMap((q) => req.types.map((t) => quoteTopic(q, t))), ...req.accounts.map(accountTopic)];
}

export interface Subscriptions {
  quotes: { security: string; types: string[] }[];
  accounts: string[];
}

/** Stored topics back in the client's terms, sorted, for the `subscribed` / `unsubscribed` replies. */
export function describeTopics(topics: Iterable<string>): Subscriptions {
  const bySecurity = new Map<string, string[]>();
  const accounts: string[] = [];
  for (const t of topics) {
    const [kind, a, b] = t.split('#');
    if (kind === 'quote' && a !== undefined && b !== undefined) bySecurity.set(a, [...(bySecurity.get(a) ?? []), b]);
    else if (kind === 'account' && a !== undefined) accounts.push(a);
  }
  return {
    quotes: [...bySecurity].sort(([x], [y]) => x.localeCompare(y)).map(([security, types]) => ({ security, types: types.sort() })),
    accounts: accounts.sort(),
  };
}

/** The topic a bus event is fanned out by, or undefined for an event the stream does not carry. */
export function topicOfEvent(detailType: string, detail: unknown): string | undefined {
  if (typeof detail !== 'object' || detail === null) return undefined;
  const d = detail as Record<string, unknown>;
  if ((STREAM_QUOTE_TYPES as readonly string[]).includes(detailType)) {
    return typeof d['security'] === 'string' ? quoteTopic(d['security'], detailType) : undefined;
  }
  if ((STREAM_ACCOUNT_TYPES as readonly string[]).includes(detailType)) {
    return typeof d['accId'] === 'string' && ACC_ID.test(d['accId']) ? accountTopic(d['accId']) : undefined;
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------------------------
// Messages a client receives (one JSON object per WebSocket message, `type` first)

/** A bus event as pushed: the EventBridge `id` lets a client drop a duplicate (EventBridge delivers at least once). */
export function eventMessage(ev: { id: string; time: string; 'detail-type': string; detail: unknown }): string {
  return JSON.stringify({ type: 'event', detailType: ev['detail-type'], id: ev.id, time: ev.time, detail: ev.detail });
}

export function subscriptionMessage(type: 'subscribed' | 'unsubscribed', topics: Iterable<string>): string {
  return JSON.stringify({ type, subscriptions: describeTopics(topics) });
}

export function pongMessage(now: Date): string {
  return JSON.stringify({ type: 'pong', time: now.toISOString() });
}

export function errorMessage(err: StreamError): string {
  return JSON.stringify({ type: 'error', code: err.code, message: err.message, details: err.details });
}
