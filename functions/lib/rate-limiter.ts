/**
 * Futu's per-protocol rate limits, enforced before OpenD sees a call, shared by every Lambda through one
 * DynamoDB item per bucket. The item holds the timestamps of the acquisitions still inside the window (a
 * true sliding window, as Futu counts) and a version for optimistic locking.
 *
 * Invariant: we never allow more than Futu would. Futu counts every request of the account that reaches its
 * servers, including ones this system cannot see (the desktop app, another OpenD client, a clock skew between
 * Lambdas), so the limiter keeps a margin below Futu's figure (`marginRatio`, 10 % in the runtime): PlaceOrder
 * 15 / 30 s becomes 13, refreshed queries 10 / 30 s become 9.
 */
import { GetCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { futuLimit } from '../../proto/futu-limits.js';
import { PROTO_ID } from '../../proto/registry.js';
import { isConditionalCheckFailed } from './dynamo-errors.js';
import { sleep } from '../../proto/timers.js';

export interface RateLimitRule {
  /** At most this many acquisitions in any window of `windowMs`. */
  limit: number;
  windowMs: number;
  /** Consecutive acquisitions at least this far apart. */
  minGapMs?: number;
}

export type RateLimitDecision =
  | { allowed: true }
  | { allowed: false; retryAfterMs: number; limit: number; windowMs: number };

export interface RateLimiter {
  acquire(bucket: string, rule: RateLimitRule): Promise<RateLimitDecision>;
}

/** The count, window and gap of one protocol's limit in Futu's table (proto/futu-limits.ts). */
function ruleOf(protoId: number): RateLimitRule {
  const { limit, windowMs, minGapMs } = futuLimit(protoId);
  return minGapMs === undefined ? { limit, windowMs } : { limit, windowMs, minGapMs };
}

/**
 * The limits the functions enforce, by bucket name, read from Futu's one table (per account for trading, per
 * OpenD login for quotes; the scope is in the table and in the bucket key the caller picks).
 */
export const FUTU_LIMITS = {
  PlaceOrder: ruleOf(PROTO_ID.Trd_PlaceOrder),
  ModifyOrder: ruleOf(PROTO_ID.Trd_ModifyOrder),
  UnlockTrade: ruleOf(PROTO_ID.Trd_UnlockTrade),
  /** Order/fill/position/funds queries with refreshCache = true (all four share Futu's figure). */
  RefreshQuery: ruleOf(PROTO_ID.Trd_GetOrderList),
  /** Trd_GetHistoryOrderList: per account, whatever its arguments. */
  HistoryOrders: ruleOf(PROTO_ID.Trd_GetHistoryOrderList),
  /** Trd_GetHistoryOrderFillList, Trd_GetMaxTrdQtys, Trd_GetOrderFee, Trd_FlowSummary: per account. */
  HistoryFills: ruleOf(PROTO_ID.Trd_GetHistoryOrderFillList),
  MaxTrdQtys: ruleOf(PROTO_ID.Trd_GetMaxTrdQtys),
  OrderFee: ruleOf(PROTO_ID.Trd_GetOrderFee),
  CashFlow: ruleOf(PROTO_ID.Trd_FlowSummary),
  /** Trd_GetMarginRatio: per OpenD login (Futu counts it per user ID, not per account). */
  MarginRatio: ruleOf(PROTO_ID.Trd_GetMarginRatio),
  Snapshot: ruleOf(PROTO_ID.Qot_GetSecuritySnapshot),
  HistoryKLine: ruleOf(PROTO_ID.Qot_RequestHistoryKL),
} as const satisfies Record<string, RateLimitRule>;

export type FutuLimitName = keyof typeof FUTU_LIMITS;

/** The bucket of one limit for one account (trading) or scope (e.g. "quote" for the shared OpenD login). */
export function bucketFor(accIdOrScope: string, protocolName: FutuLimitName): string {
  return `${protocolName}#${accIdOrScope}`;
}

/** The bucket item was changed by other callers on every try; the caller may answer 429 or retry. */
export class RateLimiterContentionError extends Error {
  override readonly name = 'RateLimiterContentionError';
  constructor(
    readonly bucket: string,
    readonly attempts: number,
  ) {
    super(`Rate limit bucket ${bucket} stayed contended for ${attempts} attempts; retry shortly`);
  }
}

export interface DynamoRateLimiterOptions {
  /** Epoch milliseconds; injectable for tests. */
  now?: () => number;
  /** Read-decide-write rounds before giving up under contention. Default 50. */
  maxAttempts?: number;
  /**
   * Share of each rule's limit kept in reserve, 0 ≤ ratio < 1 (default 0): a rule of `limit` allows
   * max(1, floor(limit × (1 − ratio))) acquisitions per window.
   */
  marginRatio?: number;
}

/** The limit a rule allows after keeping `marginRatio` of it in reserve (never below 1). */
export function effectiveLimit(limit: number, marginRatio: number): number {
  return Math.max(1, Math.floor(limit * (1 - marginRatio) + 1e-9));
}

/** The DynamoDB item of one bucket. */
export interface BucketItem {
  bucket: string;
  /** Epoch ms of the acquisitions inside the window, ascending. */
  stamps: number[];
  version: number;
  /** Epoch seconds (TTL). */
  expiresAt: number;
}

/**
 * One acquisition decided on a given state of the bucket item: refused (with the exact wait), or the
 * conditional Put that takes a slot. The Put's condition pins the exact state the decision was made on (its
 * version, or its absence), so a Put that succeeds was decided on the current item, as a consistent read
 * followed by a conditional write would be.
 */
export type AcquirePlan =
  | { allowed: false; decision: Extract<RateLimitDecision, { allowed: false }> }
  | {
      allowed: true;
      next: BucketItem;
      put: {
        TableName: string;
        Item: BucketItem;
        ConditionExpression: string;
        ExpressionAttributeNames: Record<string, string>;
        ExpressionAttributeValues?: Record<string, unknown>;
      };
    };

/** Kept after the window closes so a bucket that is barely used is not recreated on every call. */
const TTL_SLACK_SECONDS = 60;
const BACKOFF_BASE_MS = 2;
const BACKOFF_CAP_MS = 40;
/** Buckets whose last seen state is remembered (oldest forgotten first): plenty for one Lambda's accounts. */
const REMEMBERED_BUCKETS = 1_000;

/** The jittered pause after losing a race for a bucket, so the racers spread out. */
export function contentionBackoffMs(attempt: number): number {
  return Math.random() * Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** attempt);
}

export class DynamoRateLimiter implements RateLimiter {
  private readonly now: () => number;
  readonly maxAttempts: number;
  private readonly marginRatio: number;
  /** The last state of each bucket this limiter read or wrote; `null`: known to be absent. */
  private readonly seen = new Map<string, BucketItem | null>();

  constructor(
    /** Public so the placement transaction can write through the same client. */
    readonly docClient: DynamoDBDocumentClient,
    readonly tableName: string,
    options: DynamoRateLimiterOptions = {},
  ) {
    this.now = options.now ?? Date.now;
    this.maxAttempts = options.maxAttempts ?? 50;
    const margin = options.marginRatio ?? 0;
    if (!(margin >= 0 && margin < 1)) throw new RangeError(`marginRatio must be at least 0 and below 1, got ${margin}`);
    this.marginRatio = margin;
  }

  async acquire(bucket: string, futuRule: RateLimitRule): Promise<RateLimitDecision> {
    for (let attempt = 0; attempt < this.maxAttempts; attempt++) {
      const { Item } = await this.docClient.send(
        new GetCommand({ TableName: this.tableName, Key: { bucket }, ConsistentRead: true }),
      );
      const current = (Item as BucketItem | undefined) ?? null;
      this.remember(bucket, current);
      const plan = this.plan(bucket, futuRule, current);
      if (!plan.allowed) return plan.decision;
      try {
        await this.docClient.send(new PutCommand(plan.put));
        this.remember(bucket, plan.next);
        return { allowed: true };
      } catch (err) {
        if (!isConditionalCheckFailed(err)) throw err;
        // Another caller acquired in between: decide again on the fresh state.
        await sleep(contentionBackoffMs(attempt));
      }
    }
    throw new RateLimiterContentionError(bucket, this.maxAttempts);
  }

  /**
   * Decides one acquisition on `current` (the bucket item, or null when there is none): the same sliding
   * window, margin and gap rule whichever way the state was learnt.
   */
  plan(bucket: string, futuRule: RateLimitRule, current: BucketItem | null): AcquirePlan {
    assertRule(futuRule);
    const rule = { ...futuRule, limit: effectiveLimit(futuRule.limit, this.marginRatio) };
    const now = this.now();
    const recent = inWindow(current?.stamps ?? [], now, rule.windowMs);
    const waitMs = waitBeforeNext(recent, now, rule);
    if (waitMs > 0) return { allowed: false, decision: { allowed: false, retryAfterMs: waitMs, limit: rule.limit, windowMs: rule.windowMs } };
    const next: BucketItem = {
      bucket,
      stamps: [...recent, now],
      version: (current?.version ?? 0) + 1,
      expiresAt: Math.ceil((now + rule.windowMs) / 1000) + TTL_SLACK_SECONDS,
    };
    const put: Extract<AcquirePlan, { allowed: true }>['put'] =
      current === null
        ? { TableName: this.tableName, Item: next, ConditionExpression: 'attribute_not_exists(#b)', ExpressionAttributeNames: { '#b': 'bucket' } }
        : {
            TableName: this.tableName,
            Item: next,
            ConditionExpression: '#v = :v',
            ExpressionAttributeNames: { '#v': 'version' },
            ExpressionAttributeValues: { ':v': current.version },
          };
    return { allowed: true, next, put };
  }

  /**
   * The state to decide on without reading the item first: what this limiter last saw of it. A remembered
   * item is only trusted while its TTL has not passed: after that DynamoDB may have deleted it and another
   * caller recreated it with the same version number but other stamps. The guess is never trusted blindly:
   * the Put's condition checks it, and a wrong guess costs one more round trip, never a wrong decision.
   */
  guess(bucket: string): BucketItem | null {
    const seen = this.seen.get(bucket);
    if (seen === undefined || seen === null) return null;
    return seen.expiresAt > Math.floor(this.now() / 1000) ? seen : null;
  }

  /** Records the state of a bucket as just read or written (null: absent). */
  remember(bucket: string, item: BucketItem | null): void {
    this.seen.delete(bucket);
    this.seen.set(bucket, item);
    if (this.seen.size > REMEMBERED_BUCKETS) this.seen.delete(this.seen.keys().next().value as string);
  }
}

/**
 * Timestamps that still count at `now`, ascending. A stamp counts while `now - stamp <= windowMs`: request
 * #limit+1 must come strictly more than a window after request #1. Stamps from a clock running ahead
 * (another Lambda) are kept.
 */
function inWindow(stamps: readonly number[], now: number, windowMs: number): number[] {
  return stamps.filter((stamp) => now - stamp <= windowMs).sort((a, b) => a - b);
}

/** 0 when an acquisition at `now` is allowed, otherwise the exact wait until it will be. */
function waitBeforeNext(recent: readonly number[], now: number, rule: RateLimitRule): number {
  let wait = 0;
  if (recent.length >= rule.limit) {
    // The oldest stamp that must leave the window for one slot to free up.
    const blocking = recent[recent.length - rule.limit] as number;
    wait = Math.max(wait, blocking + rule.windowMs + 1 - now);
  }
  const last = recent[recent.length - 1];
  if (rule.minGapMs !== undefined && last !== undefined && now - last < rule.minGapMs) {
    wait = Math.max(wait, last + rule.minGapMs - now);
  }
  return Math.ceil(wait);
}

function assertRule(rule: RateLimitRule): void {
  const valid =
    Number.isInteger(rule.limit) &&
    rule.limit > 0 &&
    rule.windowMs > 0 &&
    (rule.minGapMs === undefined || rule.minGapMs >= 0);
  if (!valid) throw new RangeError(`invalid rate limit rule ${JSON.stringify(rule)}`);
}
