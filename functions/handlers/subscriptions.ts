// Runtime quote subscriptions: what the relay holds (and pushes to the bus) beyond its deploy-time set.
//   GET    /v1/subscriptions                                   the set, its state in OpenD, the quota
//   PUT    /v1/subscriptions  {"codes":[…],"types":[…]}        adds every code × type (idempotent)
//   DELETE /v1/subscriptions?codes=HK.00700&types=BASIC,TICKER  removes every code × type
// The table (../lib/subscription-store.ts) is the truth; the relay applies it within a few seconds
// (gateway-container/relay/runtime-subscriptions.ts). This function reads OpenD only for the quota.
//
// Futu's rules followed here:
// - The subscription quota is OpenD-wide and counted per security and SubType; Qot_GetSubInfo (3003, all
//   connections) reports the used and remaining quota, whose sum is the account's quota.
// - "You can unsubscribe after you subscribe for at least one minute" (Futu OpenAPI Q&A, Quote, Q2): a DELETE
//   within a pair's first minute is refused with 409 and Retry-After; the relay also keeps each pair for a full
//   minute of its own before it unsubscribes.
//
// Invariants: a PUT that would take the relay's set (deploy-time ∪ runtime) beyond the quota minus the API's
// headroom (SUBSCRIPTION_API_HEADROOM, default 10 = the quotes function's margin, cdk/quote-reserve.ts) is
// refused with 409 and stores nothing; a deploy-time pair cannot be deleted here (it comes back on restart).
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ApiError, invalid } from '../lib/api-error.js';
import { httpHandler, type HttpRequest } from '../lib/http.js';
import { runtime } from '../lib/runtime.js';
import { basePairs, DEFAULT_HEADROOM, DynamoSubscriptionStore, HEADROOM_ENV, pairKey, SUB_TYPE_NAMES, type SubscriptionPair } from '../lib/subscription-store.js';
import { parseSecurityList } from '../../proto/securities.js';

/** Futu: a subscription can be cancelled only after one minute. */
export const MIN_HOLD_MS = 60_000;
/** At most this many pairs in one PUT or DELETE (each is one DynamoDB write). */
export const MAX_PAIRS_PER_REQUEST = 200;

let cached: { table: string; store: DynamoSubscriptionStore } | undefined;

function store(): DynamoSubscriptionStore {
  const table = runtime().config.tables.subscriptions;
  if (cached?.table !== table) {
    cached = { table, store: new DynamoSubscriptionStore(DynamoDBDocumentClient.from(new DynamoDBClient({})), table) };
  }
  return cached.store;
}

function headroom(): number {
  const raw = process.env[HEADROOM_ENV];
  if (raw === undefined || raw === '') return DEFAULT_HEADROOM;
  if (!/^\d{1,6}$/.test(raw)) throw new Error(`${HEADROOM_ENV} must be a whole number of quota units, got ${JSON.stringify(raw)}`);
  return Number(raw);
}

function codesOf(v: unknown, field: string): string[] {
  try {
    return parseSecurityList(v, field, MAX_PAIRS_PER_REQUEST).map((r) => r.key);
  } catch (err) {
    throw invalid(field, (err as Error).message.replace(new RegExp(`^${field}(\\[\\d+\\])?: `), ''));
  }
}

function typesOf(v: unknown, field: string): string[] {
  const items = typeof v === 'string' ? v.split(',').map((s) => s.trim()).filter(Boolean) : v;
  if (!Array.isArray(items) || items.length === 0) throw invalid(field, `expected at least one of ${SUB_TYPE_NAMES.join(', ')}`);
  return [
    ...new Set(
      items.map((t, i) => {
        const name = typeof t === 'string' ? t.toUpperCase() : t;
        if (typeof name !== 'string' || !SUB_TYPE_NAMES.includes(name)) throw invalid(`${field}[${i}]`, `expected one of ${SUB_TYPE_NAMES.join(', ')}, got ${JSON.stringify(t)}`);
        return name;
      }),
    ),
  ];
}

function pairsOf(codes: string[], types: string[]): SubscriptionPair[] {
  const pairs = codes.flatMap((code) => types.map((subType) => ({ code, subType })));
  const distinct = [...new Map(pairs.map((p) => [pairKey(p), p])).values()];
  if (distinct.length > MAX_PAIRS_PER_REQUEST) throw invalid('codes', `codes × types is ${distinct.length} pairs; at most ${MAX_PAIRS_PER_REQUEST} per request`);
  return distinct;
}

function parseBody(body: unknown): SubscriptionPair[] {
  const example = '{"codes":["HK.00700"],"types":["BASIC","TICKER"]}';
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw invalid('body', `expected an object like ${example}`);
  const unknown = Object.keys(body).filter((k) => k !== 'codes' && k !== 'types');
  if (unknown.length > 0) throw invalid('body', `unknown field(s) ${unknown.join(', ')}; allowed: codes, types (like ${example})`);
  const b = body as { codes?: unknown; types?: unknown };
  return pairsOf(codesOf(b.codes, 'codes'), typesOf(b.types, 'types'));
}

interface Quota {
  used: number;
  remaining: number;
  total: number;
  /** What the relay's set may take: total minus the headroom left for the quotes function. */
  relayLimit: number;
  /** Distinct pairs of the relay's set (deploy-time ∪ runtime). */
  relayDesired: number;
}

async function readOpenD(): Promise<{ quota: Omit<Quota, 'relayDesired'>; held: Set<string> }> {
  const s = await runtime().openD.get();
  const info = await s.quotes.subInfo(true);
  const held = new Set<string>();
  for (const sub of info.subscriptions) for (const code of sub.codes) held.add(pairKey({ code, subType: sub.type }));
  const total = info.usedQuota + info.remainQuota;
  return { quota: { used: info.usedQuota, remaining: info.remainQuota, total, relayLimit: Math.max(0, total - headroom()) }, held };
}

const iso = (ms: number) => new Date(ms).toISOString();

async function view() {
  const base = basePairs(process.env['RELAY_SUBSCRIPTIONS']);
  const baseKeys = new Set(base.map(pairKey));
  const stored = (await store().list()).filter((s) => !baseKeys.has(pairKey(s)));
  const { quota, held } = await readOpenD();
  const now = Date.now();
  const subscriptions = [
    ...base.map((p) => ({ code: p.code, type: p.subType, source: 'deploy' as const, state: held.has(pairKey(p)) ? 'applied' : 'pending', unsubscribable: false })),
    ...stored.map((s) => {
      const from = s.requestedAt + MIN_HOLD_MS;
      return {
        code: s.code,
        type: s.subType,
        source: 'runtime' as const,
        // Held by OpenD (the relay's connection, or another one holding the same pair); pending until the relay's next poll.
        state: held.has(pairKey(s)) ? 'applied' : 'pending',
        requestedAt: iso(s.requestedAt),
        requestedBy: s.requestedBy,
        unsubscribableFrom: iso(from),
        unsubscribable: now >= from,
      };
    }),
  ];
  return { subscriptions, quota: { ...quota, relayDesired: baseKeys.size + stored.length }, stored, baseKeys };
}

function conflict(message: string, details: Record<string, unknown>, retryAfterMs?: number): ApiError {
  const headers = retryAfterMs !== undefined ? { 'retry-after': String(Math.max(1, Math.ceil(retryAfterMs / 1000))) } : undefined;
  return new ApiError(409, 'CONFLICT', message, details, headers);
}

export const handler = httpHandler({
  'GET /v1/subscriptions': async () => {
    const v = await view();
    return { status: 200, body: { subscriptions: v.subscriptions, quota: v.quota } };
  },

  'PUT /v1/subscriptions': async (req: HttpRequest) => {
    const pairs = parseBody(req.body);
    const v = await view();
    const desired = new Set([...v.baseKeys, ...v.stored.map(pairKey)]);
    const fresh = pairs.filter((p) => !desired.has(pairKey(p)));
    const after = desired.size + fresh.length;
    if (after > v.quota.relayLimit) {
      throw conflict(
        `subscription quota exceeded: the relay's set would hold ${after} code × type pairs, over its limit of ${v.quota.relayLimit} (OpenD's quota ${v.quota.total} minus ${v.quota.total - v.quota.relayLimit} left for the quotes API); remove some first (DELETE /v1/subscriptions, after their first minute)`,
        { requested: fresh.length, desired: desired.size, limit: v.quota.relayLimit, quota: v.quota.total },
      );
    }
    const added = await store().add(fresh, req.caller ?? 'unknown', Date.now());
    req.log.info('runtime subscriptions added', { added: added.map(pairKey) });
    return { status: 200, body: { added: added.map((p) => ({ code: p.code, type: p.subType })), alreadySubscribed: pairs.length - added.length, ...(await view().then((w) => ({ subscriptions: w.subscriptions, quota: w.quota }))) } };
  },

  'DELETE /v1/subscriptions': async (req: HttpRequest) => {
    const pairs = pairsOf(codesOf(req.query['codes'], 'codes'), typesOf(req.query['types'], 'types'));
    const base = new Set(basePairs(process.env['RELAY_SUBSCRIPTIONS']).map(pairKey));
    const deploy = pairs.filter((p) => base.has(pairKey(p)));
    if (deploy.length > 0) {
      throw conflict(`${deploy.map(pairKey).join(', ')} belong to the deploy-time set (subscriptions in cdk/config.ts); change the configuration and redeploy to remove them`, { deployTime: deploy.map((p) => ({ code: p.code, type: p.subType })) });
    }
    const stored = new Map((await store().list()).map((s) => [pairKey(s), s]));
    const now = Date.now();
    const young = pairs.map((p) => stored.get(pairKey(p))).filter((s) => s !== undefined && now < s.requestedAt + MIN_HOLD_MS);
    if (young.length > 0) {
      const from = Math.max(...young.map((s) => s!.requestedAt + MIN_HOLD_MS));
      throw conflict(
        `Futu allows an unsubscribe only one minute after the subscription: ${young.map((s) => pairKey(s!)).join(', ')} can be removed from ${iso(from)}; nothing was removed`,
        { unsubscribableFrom: iso(from) },
        from - now,
      );
    }
    const removed = pairs.filter((p) => stored.has(pairKey(p)));
    await store().remove(removed);
    req.log.info('runtime subscriptions removed', { removed: removed.map(pairKey) });
    return { status: 200, body: { removed: removed.map((p) => ({ code: p.code, type: p.subType })), notSubscribed: pairs.length - removed.length } };
  },
});
