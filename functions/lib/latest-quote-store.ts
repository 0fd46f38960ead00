/**
 * The latest-quote store: one DynamoDB item per subscribed security (table `latestQuotes`, key "HK.00700") that
 * the relay keeps current from OpenD's pushes (gateway-container/relay/latest-quotes.ts), and that
 * GET /v1/quotes reads instead of calling Snapshot, which Futu limits to 60 requests per 30 s per OpenD.
 *
 * Item shapes (the two writers and the one reader agree through this file only):
 * - a security: `{ security, quote?, quoteAt?, orderBook?, orderBookAt?, expiresAt }`. `quote` is the Quote
 *   event's detail (proto/events.ts quoteDetail), `orderBook` the top of book ({bid, ask} levels); `…At` is
 *   the epoch ms at which the relay received that push. Quote and book are updated independently (UpdateItem
 *   SET of their own attributes), so a book push never clobbers a newer quote and the other way round.
 * - the relay's heartbeat under the reserved key `HEARTBEAT_KEY`: `{ at, intervalMs, subscribed: {BASIC, ORDER_BOOK} }`,
 *   written every few seconds only while the relay is connected, its quote subscriptions are in place and no
 *   store write is failing. It is what tells "the price has not changed" (market closed, an illiquid name)
 *   apart from "the relay stopped writing" (see `freshness`).
 *
 * Invariants: one BatchGetItem per 99 requested codes (the heartbeat takes the 100th key of DynamoDB's
 * per-call maximum); a code the store cannot answer is simply absent from the result (the caller asks
 * Snapshot); nothing here throws for a missing item.
 */
import { BatchGetCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

/** Not a security code (securities are "MARKET.CODE"), so it can share the table. */
export const HEARTBEAT_KEY = '#relay';
/** DynamoDB's BatchGetItem maximum is 100 keys; one of them is the heartbeat. */
export const CODES_PER_BATCH = 99;
/** Rows of securities nobody subscribes to any more disappear a week after their last write. */
export const ROW_TTL_S = 7 * 86_400;

export const QUOTE_STALE_ENV = 'QUOTE_STALE_AFTER_MS';
export const DEFAULT_QUOTE_STALE_AFTER_MS = 10_000;

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

/** `QUOTE_STALE_AFTER_MS` (default 10 s): how old the relay's heartbeat may be for stored quotes to count as current. */
export function quoteStaleAfterMsFromEnv(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env[QUOTE_STALE_ENV];
  if (raw === undefined || raw === '') return DEFAULT_QUOTE_STALE_AFTER_MS;
  if (!/^\d{1,7}$/.test(raw) || Number(raw) < 1_000) throw new Error(`${QUOTE_STALE_ENV} must be a whole number of milliseconds ≥ 1000, got ${JSON.stringify(raw)}`);
  return Number(raw);
}

/** One security's pending change, as the relay writes it. */
export interface SecurityWrite {
  security: string;
  quote?: { value: Record<string, unknown>; at: number };
  orderBook?: { value: TopOfBook; at: number };
}

export class LatestQuoteStore {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    readonly tableName: string,
  ) {}

  /**
   * Writes what changed for one security. The condition keeps a slower, older write from overwriting a newer
   * one (two writes of one security can be in flight after a retry); a refused older write is not an error.
   */
  async write(w: SecurityWrite, nowMs = Date.now()): Promise<'written' | 'superseded'> {
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
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { security: w.security },
          UpdateExpression: `SET ${sets.join(', ')}`,
          ConditionExpression: conds.length ? conds.join(' AND ') : undefined,
          ExpressionAttributeValues: values,
        }),
      );
      return 'written';
    } catch (err) {
      if ((err as Error).name === 'ConditionalCheckFailedException') return 'superseded';
      throw err;
    }
  }

  async writeHeartbeat(h: Heartbeat): Promise<void> {
    await this.doc.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: { security: HEARTBEAT_KEY },
        UpdateExpression: 'SET #at = :at, intervalMs = :i, subscribed = :s, expiresAt = :exp',
        ExpressionAttributeNames: { '#at': 'at' },
        ExpressionAttributeValues: { ':at': h.at, ':i': h.intervalMs, ':s': h.subscribed, ':exp': Math.floor(h.at / 1000) + ROW_TTL_S },
      }),
    );
  }

  /**
   * The stored rows of `codes` and the heartbeat: one BatchGetItem per 99 codes, run in parallel; keys
   * DynamoDB leaves unprocessed are asked once more, then left to the caller's fallback.
   */
  async read(codes: readonly string[]): Promise<{ rows: Map<string, StoredSecurity>; heartbeat?: Heartbeat }> {
    const rows = new Map<string, StoredSecurity>();
    let heartbeat: Heartbeat | undefined;
    const batches: string[][] = [];
    for (let i = 0; i < codes.length; i += CODES_PER_BATCH) batches.push(codes.slice(i, i + CODES_PER_BATCH) as string[]);
    await Promise.all(
      batches.map(async (batch) => {
        let keys: Record<string, unknown>[] = [...new Set([HEARTBEAT_KEY, ...batch])].map((security) => ({ security }));
        for (let attempt = 0; attempt < 2 && keys.length > 0; attempt++) {
          const out = await this.doc.send(new BatchGetCommand({ RequestItems: { [this.tableName]: { Keys: keys } } }));
          for (const item of out.Responses?.[this.tableName] ?? []) {
            if (item['security'] === HEARTBEAT_KEY) heartbeat = item as unknown as Heartbeat;
            else rows.set(item['security'] as string, item as StoredSecurity);
          }
          keys = (out.UnprocessedKeys?.[this.tableName]?.Keys as Record<string, unknown>[] | undefined) ?? [];
        }
      }),
    );
    return { rows, heartbeat };
  }
}

/**
 * Whether a stored quote of `code` is current. The relay writes a changed quote within its conflation
 * interval, so while its heartbeat is recent and names `code` among its BASIC subscriptions, the stored quote
 * is the latest price OpenD has, however long ago it last changed (a closed market, a suspended or illiquid
 * security). Without a recent heartbeat (relay down, disconnected, resubscribing, or its writes failing) or for
 * a code it does not subscribe, the row may be behind the market: stale.
 */
export function isCurrent(code: string, heartbeat: Heartbeat | undefined, nowMs: number, staleAfterMs: number): boolean {
  if (!heartbeat || nowMs - heartbeat.at > staleAfterMs) return false;
  return heartbeat.subscribed.BASIC.includes(code);
}
