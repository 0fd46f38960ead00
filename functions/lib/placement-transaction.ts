/**
 * The write that opens a placement, in ONE DynamoDB round trip: the idempotency record and the PlaceOrder
 * slot of the account's rate-limit bucket, in one TransactWriteItems. Before it, the placement took three
 * sequential round trips (record Put, bucket GetItem, bucket Put).
 *
 * The bucket is not read first: the limiter decides on the state it last saw of the item (rate-limiter.ts
 * `guess`), and the transaction's condition on the bucket pins exactly that state. Both conditions ask
 * DynamoDB to return the item when they fail (ReturnValuesOnConditionCheckFailure ALL_OLD), so a failed
 * transaction says everything a read would have:
 *   - the idempotency condition failed: a duplicate; the existing record is the answer (as begin() gives it),
 *     whatever the bucket holds, since a duplicate never takes a slot;
 *   - only the bucket's condition failed: another caller took a slot meanwhile; decide again on the item
 *     DynamoDB returned, after the same jittered pause as the limiter's own retries, at most as many times;
 *   - a TransactionConflict (another transaction on one of the items was in flight): the same retry.
 * Nothing is written by a cancelled transaction, so every failure leaves no record behind.
 *
 * Invariants: the limiter's semantics do not change (the same plan() decides, on a state DynamoDB confirms in
 * the same write). When the remembered state refuses, this returns `undefined` and the caller takes the
 * sequential path (begin, then a consistent read of the bucket): a duplicate still gets its stored answer and
 * a refusal is decided on a fresh read, exactly as before.
 */
import { TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { sleep } from '../../proto/timers.js';
import { DynamoIdempotencyStore, newRecord, type BeginInput, type BeginResult, type IdempotencyRecord, type IdempotencyStore } from './idempotency-store.js';
import { contentionBackoffMs, DynamoRateLimiter, RateLimiterContentionError, type BucketItem, type RateLimiter, type RateLimitRule } from './rate-limiter.js';

/** DynamoDB's low-level attribute value, as CancellationReasons carry it (the document client does not convert errors). */
type AttributeValue = { S?: string; N?: string; BOOL?: boolean; NULL?: boolean; L?: AttributeValue[]; M?: Record<string, AttributeValue> };

/** Converts the attribute types these two tables hold (strings, numbers, lists of numbers, maps, booleans, null). */
function fromAttribute(v: AttributeValue): unknown {
  if (v.S !== undefined) return v.S;
  if (v.N !== undefined) return Number(v.N);
  if (v.BOOL !== undefined) return v.BOOL;
  if (v.NULL !== undefined) return null;
  if (v.L !== undefined) return v.L.map(fromAttribute);
  if (v.M !== undefined) return fromItem(v.M);
  throw new Error(`unexpected DynamoDB attribute type ${Object.keys(v).join(',')} in a cancelled transaction's item`);
}

function fromItem(item: Record<string, AttributeValue>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(item).map(([k, v]) => [k, fromAttribute(v)]));
}

interface CancellationReason {
  Code?: string;
  Item?: Record<string, AttributeValue>;
}

function cancellationReasons(err: unknown): CancellationReason[] | undefined {
  if ((err as { name?: unknown } | null)?.name !== 'TransactionCanceledException') return undefined;
  return ((err as { CancellationReasons?: CancellationReason[] }).CancellationReasons ?? []) as CancellationReason[];
}

/** What a throttled item of a cancelled transaction is reported as: thrown under the name the callers map to 429. */
function throttled(code: string): Error {
  return Object.assign(new Error(`DynamoDB throttled the placement transaction (${code})`), { name: 'ThrottlingException' });
}

/**
 * Starts a placement and takes its rate-limit slot in one transaction. `undefined` when this path does not
 * apply (stores that are not the DynamoDB ones on one client, e.g. a test's fault-injecting limiter), the
 * remembered bucket state refuses, or DynamoDB did not return the record it says exists; the caller then runs
 * the sequential path.
 */
export async function beginWithinLimit(
  store: IdempotencyStore,
  limiter: RateLimiter,
  input: BeginInput,
  bucket: string,
  rule: RateLimitRule,
): Promise<BeginResult | undefined> {
  if (!(store instanceof DynamoIdempotencyStore) || !(limiter instanceof DynamoRateLimiter)) return undefined;
  // One transaction reaches one account's tables through one client.
  if (store.docClient !== limiter.docClient) return undefined;
  for (let attempt = 0; attempt < limiter.maxAttempts; attempt++) {
    const plan = limiter.plan(bucket, rule, limiter.guess(bucket));
    if (!plan.allowed) return undefined;
    const nowMs = store.nowMs();
    const record = newRecord(input, nowMs);
    try {
      await store.docClient.send(
        new TransactWriteCommand({
          TransactItems: [
            { Put: { ...store.beginPut(record, nowMs), ReturnValuesOnConditionCheckFailure: 'ALL_OLD' } },
            { Put: { ...plan.put, ReturnValuesOnConditionCheckFailure: 'ALL_OLD' } },
          ],
        }),
      );
      limiter.remember(bucket, plan.next);
      return { outcome: 'started', record };
    } catch (err) {
      const reasons = cancellationReasons(err);
      if (reasons === undefined) throw err;
      const [onRecord, onBucket] = reasons;
      if (onBucket?.Code === 'ConditionalCheckFailed') {
        limiter.remember(bucket, onBucket.Item ? (fromItem(onBucket.Item) as unknown as BucketItem) : null);
      }
      if (onRecord?.Code === 'ConditionalCheckFailed') {
        if (onRecord.Item) return { outcome: 'existing', record: fromItem(onRecord.Item) as unknown as IdempotencyRecord };
        // DynamoDB did not return the item (it always should): the sequential path reads it.
        return undefined;
      }
      const codes = reasons.map((r) => r.Code ?? 'None');
      const throttle = codes.find((c) => c === 'ThrottlingError' || c === 'ProvisionedThroughputExceeded' || c === 'RequestLimitExceeded');
      if (throttle) throw throttled(throttle);
      if (onBucket?.Code === 'ConditionalCheckFailed' || codes.includes('TransactionConflict')) {
        await sleep(contentionBackoffMs(attempt));
        continue;
      }
      throw err;
    }
  }
  throw new RateLimiterContentionError(bucket, limiter.maxAttempts);
}
