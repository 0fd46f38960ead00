/**
 * The per-account, per-UTC-day notional counter behind `maxDailyNotional`, in the rate-limits table (key
 * `bucket`, TTL `expiresAt`) under its own `risk#…` keys, so it needs no table of its own.
 *
 * Invariants:
 * - The counter never exceeds the limit: the increment is one conditional write (`notional <= limit - amount`),
 *   so concurrent placements on one account cannot together pass it.
 * - A placement is counted once per clientOrderId: the increment and a marker for the clientOrderId are written
 *   in one transaction, and a marker that exists already means "counted before" (an idempotent retry).
 * - Notional reserved for an order OpenD then rejects stays counted (conservative: the limit errs on the side of
 *   trading less); it expires with the day.
 */
import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { GetCommand, TransactWriteCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { isConditionalCheckFailed } from './dynamo-errors.js';

const DAY_MS = 86_400_000;

export type ReserveResult = { ok: true; counted: 'now' | 'before' } | { ok: false; used: number };

export interface DailyNotionalStore {
  /** Adds `amount` to today's notional of `accId` unless that would pass `limit`; `marker` makes it count once. */
  reserve(accId: string, amount: number, limit: number, marker?: string): Promise<ReserveResult>;
  /** Today's notional of `accId` so far. */
  used(accId: string): Promise<number>;
}

/** Six decimals: enough for prices × quantities, and a stable number for DynamoDB's exact decimal arithmetic. */
function round6(v: number): number {
  return Math.round(v * 1e6) / 1e6;
}

export class DynamoDailyNotionalStore implements DailyNotionalStore {
  private readonly now: () => number;

  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly tableName: string,
    opts: { now?: () => number } = {},
  ) {
    this.now = opts.now ?? Date.now;
  }

  private dayKey(accId: string): { bucket: string; expiresAt: number } {
    const now = this.now();
    const day = new Date(now).toISOString().slice(0, 10);
    // Kept a day past its own day, then DynamoDB's TTL removes it.
    return { bucket: `risk#notional#${accId}#${day}`, expiresAt: Math.ceil((Math.floor(now / DAY_MS) * DAY_MS + 2 * DAY_MS) / 1000) };
  }

  async reserve(accId: string, amount: number, limit: number, marker?: string): Promise<ReserveResult> {
    const n = round6(amount);
    if (n > limit) return { ok: false, used: await this.used(accId) };
    const { bucket, expiresAt } = this.dayKey(accId);
    const update = {
      TableName: this.tableName,
      Key: { bucket },
      UpdateExpression: 'SET notional = if_not_exists(notional, :zero) + :n, expiresAt = :exp',
      ConditionExpression: 'attribute_not_exists(notional) OR notional <= :room',
      ExpressionAttributeValues: { ':zero': 0, ':n': n, ':exp': expiresAt, ':room': round6(limit - n) },
    };
    try {
      if (marker === undefined) {
        await this.doc.send(new UpdateCommand(update));
      } else {
        await this.doc.send(
          new TransactWriteCommand({
            TransactItems: [
              {
                Put: {
                  TableName: this.tableName,
                  Item: { bucket: `risk#order#${accId}#${marker}`, notional: n, expiresAt },
                  ConditionExpression: 'attribute_not_exists(#b)',
                  ExpressionAttributeNames: { '#b': 'bucket' },
                },
              },
              { Update: update },
            ],
          }),
        );
      }
      return { ok: true, counted: 'now' };
    } catch (err) {
      const name = (err as { name?: string }).name;
      if (err instanceof TransactionCanceledException || name === 'TransactionCanceledException') {
        const reasons = (err as TransactionCanceledException).CancellationReasons ?? [];
        if (reasons[0]?.Code === 'ConditionalCheckFailed') return { ok: true, counted: 'before' };
        if (reasons[1]?.Code === 'ConditionalCheckFailed') return { ok: false, used: await this.used(accId) };
        throw err;
      }
      if (isConditionalCheckFailed(err)) return { ok: false, used: await this.used(accId) };
      throw err;
    }
  }

  async used(accId: string): Promise<number> {
    const { Item } = await this.doc.send(new GetCommand({ TableName: this.tableName, Key: { bucket: this.dayKey(accId).bucket }, ConsistentRead: true }));
    return typeof Item?.['notional'] === 'number' ? Item['notional'] : 0;
  }
}
