/**
 * The reading side of the latest-quote store: GET /v1/quotes reads the relay's latest quote of subscribed
 * securities from DynamoDB (table `latestQuotes`, item layout in proto/latest-quote-item.ts) instead of calling
 * Snapshot, which Futu limits to 60 requests per 30 s per OpenD.
 *
 * Invariants: one BatchGetItem per 99 requested codes, run in parallel (the heartbeat takes the 100th key of
 * DynamoDB's per-call maximum); keys DynamoDB leaves unprocessed are asked once more, then left out; a code the
 * store cannot answer is simply absent from the result (the caller asks Snapshot); nothing here throws for a
 * missing item.
 */
import { BatchGetCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DEFAULT_QUOTE_STALE_AFTER_MS, HEARTBEAT_KEY, QUOTE_STALE_ENV, type Heartbeat, type StoredSecurity } from '../../proto/latest-quote-item.js';

export { isCurrent, type Heartbeat, type StoredSecurity } from '../../proto/latest-quote-item.js';

/** DynamoDB's BatchGetItem maximum is 100 keys; one of them is the heartbeat. */
export const CODES_PER_BATCH = 99;

/** `QUOTE_STALE_AFTER_MS` (default 10 s): how old the relay's heartbeat may be for stored quotes to count as current. */
export function quoteStaleAfterMsFromEnv(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env[QUOTE_STALE_ENV];
  if (raw === undefined || raw === '') return DEFAULT_QUOTE_STALE_AFTER_MS;
  if (!/^\d{1,7}$/.test(raw) || Number(raw) < 1_000) throw new Error(`${QUOTE_STALE_ENV} must be a whole number of milliseconds ≥ 1000, got ${JSON.stringify(raw)}`);
  return Number(raw);
}

export class LatestQuoteStore {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    readonly tableName: string,
  ) {}

  /** The stored rows of `codes` and the relay's heartbeat. */
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
