// Quote subscriptions the API takes for its Get* calls (order book, ticker: OpenD answers them only for
// subscribed securities), bounded so that the relay's own subscriptions always fit.
//
// Futu's rules followed here:
// - The subscription quota is OpenD-wide and counted per security and type; a security and type that some
//   connection already holds costs nothing more. Qot_GetSubInfo (3003, all connections) reports the remaining
//   quota.
// - A subscription can be cancelled only after it has been held for at least one minute.
// - Subscriptions belong to a connection and are released when it closes.
//
// Invariants:
// - A new subscription is taken only if, after it, at least `reserve` units of quota are left for the relay
//   (QUOTE_SUBSCRIPTION_RESERVE, default 20); otherwise the caller gets HTTP 429 with Retry-After and nothing is
//   subscribed.
// - What this connection subscribed is given back once its minute is up, at the start of the next call (a
//   Lambda cannot run timers between invocations); what is left when the connection closes (idle > 25 s, or
//   the execution environment ends) is released by OpenD.
import type { SubTypeName } from '../../proto/api/quotes.js';
import { ApiError } from './api-error.js';

export const QUOTE_RESERVE_ENV = 'QUOTE_SUBSCRIPTION_RESERVE';
export const DEFAULT_QUOTE_RESERVE = 20;
/** Futu: a subscription can be cancelled only after one minute. */
export const MIN_HOLD_MS = 60_000;

/** The part of QuoteApi this module uses. */
export interface SubscriptionApi {
  subscribe(codes: string[], types: SubTypeName[], opts: { push?: boolean }): Promise<void>;
  unsubscribe(codes: string[], types: SubTypeName[]): Promise<void>;
  subInfo(allConnections?: boolean): Promise<{ usedQuota: number; remainQuota: number; subscriptions: { type: string; codes: string[] }[] }>;
}

export interface LoggerLike {
  warn(msg: string, fields?: Record<string, unknown>): void;
}

export function quoteReserveFromEnv(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env[QUOTE_RESERVE_ENV];
  if (raw === undefined || raw === '') return DEFAULT_QUOTE_RESERVE;
  if (!/^\d{1,6}$/.test(raw)) throw new Error(`${QUOTE_RESERVE_ENV} must be a whole number of subscription quota units, got ${JSON.stringify(raw)}`);
  return Number(raw);
}

interface Held {
  code: string;
  type: SubTypeName;
  since: number;
}

export class QuoteSubscriptions {
  private readonly held = new Map<string, Held>();
  gaveBack = 0;

  constructor(
    private readonly api: SubscriptionApi,
    private readonly o: { reserve: number; now?: () => number; minHoldMs?: number; log?: LoggerLike },
  ) {}

  private now(): number {
    return (this.o.now ?? Date.now)();
  }

  /** Subscriptions this connection holds for the API, for tests and logs. */
  get holding(): string[] {
    return [...this.held.keys()];
  }

  /** Makes sure `code` is subscribed for `type` on this connection (no pushes), within the API's share of quota. */
  async use(code: string, type: SubTypeName): Promise<void> {
    await this.giveBack();
    const key = `${code}|${type}`;
    if (this.held.has(key)) return;
    const info = await this.api.subInfo(true);
    const heldByAnyone = info.subscriptions.some((s) => s.type === type && s.codes.includes(code));
    if (!heldByAnyone && info.remainQuota - 1 < this.o.reserve) {
      throw new ApiError(
        429,
        'RATE_LIMITED',
        `OpenD's quote subscription quota left for API calls is used up: ${info.remainQuota} left, ${this.o.reserve} kept for the relay's subscriptions; retry after 60 s (API subscriptions are given back after their first minute) or use GET /v1/quotes`,
        { remainQuota: info.remainQuota, reserve: this.o.reserve, retryAfterMs: MIN_HOLD_MS },
        { 'retry-after': String(MIN_HOLD_MS / 1000) },
      );
    }
    await this.api.subscribe([code], [type], { push: false });
    this.held.set(key, { code, type, since: this.now() });
  }

  /** Unsubscribes everything held for at least a minute; failures are kept for the next call. */
  async giveBack(): Promise<number> {
    const due = [...this.held.entries()].filter(([, h]) => this.now() - h.since >= (this.o.minHoldMs ?? MIN_HOLD_MS));
    let n = 0;
    for (const [key, h] of due) {
      try {
        await this.api.unsubscribe([h.code], [h.type]);
        this.held.delete(key);
        n++;
      } catch (err) {
        this.o.log?.warn('giving back a quote subscription failed; trying again on the next call', { code: h.code, type: h.type, error: (err as Error).message });
      }
    }
    this.gaveBack += n;
    return n;
  }
}
