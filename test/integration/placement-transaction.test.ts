// The placement's opening write: the idempotency record and the PlaceOrder slot in one TransactWriteItems,
// against DynamoDB Local through the real SDK clients. DynamoDB calls are counted by a middleware on the
// real client, not assumed.
import { randomUUID } from 'node:crypto';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { DynamoIdempotencyStore, idempotencyKey, type BeginInput } from '../../functions/lib/idempotency-store.js';
import { beginWithinLimit } from '../../functions/lib/placement-transaction.js';
import { DynamoRateLimiter, type RateLimitRule } from '../../functions/lib/rate-limiter.js';
import { useDynamoDbLocal } from '../support/dynamo.js';

const db = useDynamoDbLocal();
const ACC_ID = '281756479345015383';
/** Futu's PlaceOrder count without the 20 ms gap, so calls at one instant of an injected clock can all count. */
const RULE: RateLimitRule = { limit: 15, windowMs: 30_000 };

function input(clientOrderId = `tx-${randomUUID()}`): BeginInput {
  return { accId: ACC_ID, clientOrderId, requestHash: 'h', ttlSeconds: 3600, tradeDate: '2025-01-15', market: 'HK', gatewayStartedAt: '2025-01-15T02:00:00.000Z' };
}

/** Counts the commands sent through the client, by name (a middleware on the real DynamoDB client). */
function countCalls(): { calls: Record<string, number>; total: () => number } {
  const calls: Record<string, number> = {};
  db.docClient.middlewareStack.add(
    (next, context) => async (args) => {
      const name = String(context.commandName ?? 'unknown');
      calls[name] = (calls[name] ?? 0) + 1;
      return next(args);
    },
    { step: 'initialize', name: `count-${randomUUID()}` },
  );
  return { calls, total: () => Object.values(calls).reduce((a, b) => a + b, 0) };
}

async function stampsOf(bucket: string): Promise<number[]> {
  const { Item } = await db.docClient.send(new GetCommand({ TableName: db.tables.rateLimits, Key: { bucket }, ConsistentRead: true }));
  return (Item?.['stamps'] as number[] | undefined) ?? [];
}

describe('the placement transaction', () => {
  it('writes the record and takes the slot in ONE TransactWriteItems per placement, also once the bucket exists', async () => {
    const store = new DynamoIdempotencyStore(db.docClient, db.tables.idempotency);
    const limiter = new DynamoRateLimiter(db.docClient, db.tables.rateLimits, { marginRatio: 0.1 });
    const bucket = `PlaceOrder#tx-${randomUUID()}`;
    const counter = countCalls();
    for (let i = 0; i < 3; i++) {
      const before = counter.total();
      const begun = await beginWithinLimit(store, limiter, input(), bucket, RULE);
      expect(begun?.outcome).toBe('started');
      expect(counter.total() - before).toBe(1);
    }
    expect(counter.calls['TransactWriteItemsCommand']).toBe(3);
    expect(await stampsOf(bucket)).toHaveLength(3);
  });

  it('gives a duplicate the existing record from the cancelled transaction and takes no slot for it', async () => {
    const store = new DynamoIdempotencyStore(db.docClient, db.tables.idempotency);
    const limiter = new DynamoRateLimiter(db.docClient, db.tables.rateLimits);
    const bucket = `PlaceOrder#tx-${randomUUID()}`;
    const first = input();
    const started = await beginWithinLimit(store, limiter, first, bucket, RULE);
    const again = await beginWithinLimit(store, limiter, { ...first, requestHash: 'other' }, bucket, RULE);
    expect(again).toMatchObject({ outcome: 'existing', record: { key: idempotencyKey(ACC_ID, first.clientOrderId), state: 'PENDING', requestHash: 'h', attempt: 1 } });
    expect(again?.record).toEqual(started?.record);
    expect(await stampsOf(bucket)).toHaveLength(1);
  });

  it('never lets more than the margin-adjusted limit start when three Lambdas with stale memories race for one bucket', async () => {
    const now = () => 1_800_000_000_000;
    const store = new DynamoIdempotencyStore(db.docClient, db.tables.idempotency, { now });
    const lambdas = [0, 1, 2].map(() => new DynamoRateLimiter(db.docClient, db.tables.rateLimits, { now, marginRatio: 0.1 }));
    const bucket = `PlaceOrder#tx-${randomUUID()}`;
    const results = await Promise.all(Array.from({ length: 30 }, (_, i) => beginWithinLimit(store, lambdas[i % 3]!, input(), bucket, RULE)));
    // 15 less 10 % = 13 start; the others are refused by the state they learnt and go the sequential way.
    expect(results.filter((r) => r?.outcome === 'started')).toHaveLength(13);
    expect(results.filter((r) => r === undefined)).toHaveLength(17);
    expect(await stampsOf(bucket)).toHaveLength(13);
    // What the limiter's own consistent read decides agrees: the window is full.
    expect(await lambdas[0]!.acquire(bucket, RULE)).toMatchObject({ allowed: false, limit: 13 });
  }, 60_000);

  it('decides on the bucket item DynamoDB returns when another Lambda took a slot since this one last looked', async () => {
    const store = new DynamoIdempotencyStore(db.docClient, db.tables.idempotency);
    const mine = new DynamoRateLimiter(db.docClient, db.tables.rateLimits);
    const other = new DynamoRateLimiter(db.docClient, db.tables.rateLimits);
    const bucket = `PlaceOrder#tx-${randomUUID()}`;
    expect((await beginWithinLimit(store, mine, input(), bucket, RULE))?.outcome).toBe('started');
    expect(await other.acquire(bucket, RULE)).toEqual({ allowed: true });
    const counter = countCalls();
    expect((await beginWithinLimit(store, mine, input(), bucket, RULE))?.outcome).toBe('started');
    // One cancelled transaction that returned the item, one that succeeded on it.
    expect(counter.calls['TransactWriteItemsCommand']).toBe(2);
    expect(await stampsOf(bucket)).toHaveLength(3);
  });

  it('leaves the sequential path to limiters it cannot join in a transaction', async () => {
    const store = new DynamoIdempotencyStore(db.docClient, db.tables.idempotency);
    const fake = { acquire: async () => ({ allowed: true as const }) };
    expect(await beginWithinLimit(store, fake, input(), 'PlaceOrder#x', RULE)).toBeUndefined();
  });

  it('reports a throttled transaction as DynamoDB throttling and writes nothing (fault injected: a throttled item in TransactionCanceledException)', async () => {
    const store = new DynamoIdempotencyStore(db.docClient, db.tables.idempotency);
    const limiter = new DynamoRateLimiter(db.docClient, db.tables.rateLimits);
    const bucket = `PlaceOrder#tx-${randomUUID()}`;
    const name = `throttle-${randomUUID()}`;
    let armed = true;
    db.docClient.middlewareStack.add(
      (next, context) => async (args) => {
        if (armed && context.commandName === 'TransactWriteItemsCommand') {
          armed = false;
          throw Object.assign(new Error('Transaction cancelled [None, ThrottlingError]'), {
            name: 'TransactionCanceledException',
            CancellationReasons: [{ Code: 'None' }, { Code: 'ThrottlingError', Message: 'Throughput exceeds the current capacity' }],
          });
        }
        return next(args);
      },
      { step: 'initialize', name },
    );
    try {
      const coid = input();
      await expect(beginWithinLimit(store, limiter, coid, bucket, RULE)).rejects.toMatchObject({ name: 'ThrottlingException' });
      expect(await store.get(idempotencyKey(ACC_ID, coid.clientOrderId))).toBeUndefined();
      expect(await stampsOf(bucket)).toHaveLength(0);
    } finally {
      db.docClient.middlewareStack.remove(name);
    }
  });
});
