/**
 * The item layout of the latest-quote store (DynamoDB table `latestQuotes`), shared by its one writer (the
 * relay: gateway-container/relay/latest-quotes.ts) and its one reader (GET /v1/quotes:
 * functions/lib/latest-quote-store.ts), like the event contract in events.ts. Plain data and pure functions:
 * the update expressions are built here, each side sends them with its own AWS SDK client.
 *
 * Items:
 * - a security, keyed "HK.00700": `{ security, quote?, quoteAt?, orderBook?, orderBookAt?, expiresAt }`. `quote`
 *   is the Quote event's detail (events.ts quoteDetail), `orderBook` the top of book; `…At` is the epoch ms at
 *   which the relay received that push. Quote and book are SET independently, each only if not older than what
 *   is stored, so a book push never clobbers a newer quote and a slow retried write never clobbers a newer one.
 * - the relay's heartbeat under `HEARTBEAT_KEY`: `{ at, intervalMs, subscribed: {BASIC, ORDER_BOOK}, expiresAt }`,
 *   written every few seconds only while the relay is connected, its quote subscriptions are in place and no
 *   store write is failing. It tells "the price has not changed" (market closed, a quiet stock) apart from "the
 *   relay stopped writing" (`isCurrent`).
 */

/** The quotes function's environment variable for the stale bound (cdk config `quoteStaleAfterMs`), and its default. */
export const QUOTE_STALE_ENV = 'QUOTE_STALE_AFTER_MS';
export const DEFAULT_QUOTE_STALE_AFTER_MS = 10_000;

/** Not a security code (those are "MARKET.CODE"), so it can share the table. */
export const HEARTBEAT_KEY = '#relay';
/** Rows of securities nobody subscribes to any more disappear a week after their last write (TTL). */
export const ROW_TTL_S = 7 * 86_400;

export interface TopOfBook {
  bid?: { price: number; volume: number };
  ask?: { price: number; volume: number };
}

export interface StoredSecurity {
  security: string;
  quote?: Record<string, unknown>;
  quoteAt?: number;
  orderBook?: TopOfBook;
  orderBookAt?: number;
}

export interface Heartbeat {
  at: number;
  intervalMs: number;
  subscribed: { BASIC: string[]; ORDER_BOOK: string[] };
}

/** One security's pending change, as the relay writes it. */
export interface SecurityWrite {
  security: string;
  quote?: { value: Record<string, unknown>; at: number };
  orderBook?: { value: TopOfBook; at: number };
}

export interface ItemUpdate {
  Key: { security: string };
  UpdateExpression: string;
  ConditionExpression?: string;
  ExpressionAttributeNames?: Record<string, string>;
  ExpressionAttributeValues: Record<string, unknown>;
}

/** The UpdateItem of one security's change (the condition refuses a value older than the stored one). */
export function securityUpdate(w: SecurityWrite, nowMs: number): ItemUpdate {
  const sets: string[] = ['expiresAt = :exp'];
  const conds: string[] = [];
  const values: Record<string, unknown> = { ':exp': Math.floor(nowMs / 1000) + ROW_TTL_S };
  if (w.quote) {
    sets.push('quote = :q', 'quoteAt = :qa');
    conds.push('(attribute_not_exists(quoteAt) OR quoteAt <= :qa)');
    values[':q'] = w.quote.value;
    values[':qa'] = w.quote.at;
  }
  if (w.orderBook) {
    sets.push('orderBook = :b', 'orderBookAt = :ba');
    conds.push('(attribute_not_exists(orderBookAt) OR orderBookAt <= :ba)');
    values[':b'] = w.orderBook.value;
    values[':ba'] = w.orderBook.at;
  }
  return {
    Key: { security: w.security },
    UpdateExpression: `SET ${sets.join(', ')}`,
    ...(conds.length ? { ConditionExpression: conds.join(' AND ') } : {}),
    ExpressionAttributeValues: values,
  };
}

export function heartbeatUpdate(h: Heartbeat): ItemUpdate {
  return {
    Key: { security: HEARTBEAT_KEY },
    UpdateExpression: 'SET #at = :at, intervalMs = :i, subscribed = :s, expiresAt = :exp',
    ExpressionAttributeNames: { '#at': 'at' },
    ExpressionAttributeValues: { ':at': h.at, ':i': h.intervalMs, ':s': h.subscribed, ':exp': Math.floor(h.at / 1000) + ROW_TTL_S },
  };
}

/**
 * Whether a stored quote of `code` is current. The relay writes a changed quote within its conflation
 * interval, so while its heartbeat is recent and names `code` among its BASIC subscriptions, the stored quote
 * is the latest price OpenD has, however long ago it last changed (a closed market, a suspended or quiet
 * security). Without a recent heartbeat (relay down, disconnected, resubscribing, or its writes failing) or for
 * a code it does not subscribe, the row may be behind the market: stale.
 */
export function isCurrent(code: string, heartbeat: Heartbeat | undefined, nowMs: number, staleAfterMs: number): boolean {
  if (!heartbeat || nowMs - heartbeat.at > staleAfterMs) return false;
  return heartbeat.subscribed.BASIC.includes(code);
}
