/**
 * The record written before OpenD is asked to place an order. It makes a placement happen at most once per
 * (account, clientOrderId): the first caller starts it, later callers get the stored outcome, and an attempt
 * whose outcome is unknown (Lambda died, OpenD timed out) is taken over by exactly one retrier, which
 * reconciles it against OpenD's order list instead of placing again.
 */
import { DeleteCommand, GetCommand, PutCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { isConditionalCheckFailed } from './dynamo-errors.js';

export type IdempotencyState = 'PENDING' | 'PLACED' | 'REJECTED';

export interface IdempotencyRecord {
  /** `${accId}#${clientOrderId}` */
  key: string;
  accId: string;
  clientOrderId: string;
  state: IdempotencyState;
  /** Hash of the order request; a different hash under the same key is a reused clientOrderId (HTTP 409). */
  requestHash: string;
  /** OpenD's order ID once placed (decimal string). */
  orderId?: string;
  /** The JSON response returned to the client, as JSON text. */
  response?: string;
  /** 1 for the first attempt, +1 per takeOver. */
  attempt: number;
  /** ISO-8601, the Lambda's clock. */
  startedAt: string;
  /** ISO-8601, the Lambda's clock; a takeOver() sets it, release() sets it to the epoch (stale at once). */
  updatedAt: string;
  /**
   * OpenD's clock (GetGlobalState `time`) when the placement started, ISO-8601: where a search of the
   * broker's history orders for this clientOrderId begins. It is never later than the start, and at most
   * CLOCK_TOLERANCE_MS (placement-reconcile.ts) earlier: the record may carry this Lambda's last reading of
   * OpenD's clock, either one at most CLOCK_REUSE_MS old whose trading day cannot have ended
   * (`reusableGatewayClock`), or one checked against a fresh reading before PlaceOrder is sent and corrected if
   * it is further off or on another trading day. Absent on records written before it existed.
   */
  gatewayStartedAt?: string;
  /**
   * The trading day (YYYY-MM-DD, the market's local date by OpenD's clock) the placement started on, and
   * that market. An unknown outcome is only ever placed again on the same trading day.
   */
  tradeDate?: string;
  market?: string;
  /** Epoch seconds; DynamoDB TTL deletes the record some time after this. */
  expiresAt: number;
}

export interface BeginInput {
  accId: string;
  clientOrderId: string;
  requestHash: string;
  ttlSeconds: number;
  gatewayStartedAt?: string;
  tradeDate?: string;
  market?: string;
}

export type BeginResult = { outcome: 'started'; record: IdempotencyRecord } | { outcome: 'existing'; record: IdempotencyRecord };

export interface CompleteInput {
  state: 'PLACED' | 'REJECTED';
  orderId?: string;
  /** JSON text of the response returned to the client. */
  response: string;
  /** When given, only the holder of this attempt may complete the record. */
  attempt?: number;
}

export type CompleteResult =
  /** Completed as asked (the record is not read back: the caller has everything it wrote). */
  | { outcome: 'completed' }
  /** Someone else completed it, took it over, or it does not exist (any more). */
  | { outcome: 'conflict'; record: IdempotencyRecord | undefined };

export type TakeOverResult =
  | { outcome: 'taken'; record: IdempotencyRecord }
  /** Another retrier got there first, the record is no longer PENDING, or it does not exist. */
  | { outcome: 'lost'; record: IdempotencyRecord | undefined };

export interface IdempotencyStore {
  begin(input: BeginInput): Promise<BeginResult>;
  complete(key: string, input: CompleteInput): Promise<CompleteResult>;
  takeOver(key: string, expectedAttempt: number): Promise<TakeOverResult>;
  /** Removes a PENDING record of this attempt before OpenD was called (e.g. rate limited), so a retry can start afresh. */
  abandon(key: string, attempt: number): Promise<boolean>;
  /**
   * Keeps a PENDING record but makes it stale at once, so the next retry takes it over without waiting.
   * Only for an attempt that sent no PlaceOrder itself (a takeover whose reconciliation could not run):
   * the attempt it took over is long over, so nothing of this key is in flight.
   */
  release(key: string, attempt: number): Promise<boolean>;
  get(key: string): Promise<IdempotencyRecord | undefined>;
  /**
   * Corrects OpenD's clock and trading day on this attempt's PENDING record, before PlaceOrder is sent: the
   * record may have been written with the last reading of OpenD's clock, and a fresh reading disagreed.
   */
  restamp(key: string, attempt: number, clock: { gatewayStartedAt: string; tradeDate: string; market?: string }): Promise<boolean>;
}

export function idempotencyKey(accId: string, clientOrderId: string): string {
  return `${accId}#${clientOrderId}`;
}

export interface IdempotencyStoreOptions {
  /** Epoch milliseconds; injectable for tests. */
  now?: () => number;
}

/** The PENDING record a placement starts with (attempt 1). */
export function newRecord(input: BeginInput, nowMs: number): IdempotencyRecord {
  if (!(input.ttlSeconds > 0)) throw new RangeError(`ttlSeconds must be positive, got ${input.ttlSeconds}`);
  const at = new Date(nowMs).toISOString();
  return {
    key: idempotencyKey(input.accId, input.clientOrderId),
    accId: input.accId,
    clientOrderId: input.clientOrderId,
    state: 'PENDING',
    requestHash: input.requestHash,
    attempt: 1,
    startedAt: at,
    updatedAt: at,
    expiresAt: Math.floor(nowMs / 1000) + Math.ceil(input.ttlSeconds),
    ...(input.gatewayStartedAt !== undefined ? { gatewayStartedAt: input.gatewayStartedAt } : {}),
    ...(input.tradeDate !== undefined ? { tradeDate: input.tradeDate } : {}),
    ...(input.market !== undefined ? { market: input.market } : {}),
  };
}

/** begin() retries this often when the record it collided with vanished before it could be read. */
const BEGIN_ATTEMPTS = 3;

export class DynamoIdempotencyStore implements IdempotencyStore {
  private readonly now: () => number;

  constructor(
    /** Public so the placement transaction can write through the same client (and a benchmark can count calls). */
    readonly docClient: DynamoDBDocumentClient,
    readonly tableName: string,
    options: IdempotencyStoreOptions = {},
  ) {
    this.now = options.now ?? Date.now;
  }

  async begin(input: BeginInput): Promise<BeginResult> {
    for (let attempt = 1; attempt <= BEGIN_ATTEMPTS; attempt++) {
      const nowMs = this.now();
      const record = newRecord(input, nowMs);
      try {
        await this.docClient.send(new PutCommand(this.beginPut(record, nowMs)));
        return { outcome: 'started', record };
      } catch (err) {
        if (!isConditionalCheckFailed(err)) throw err;
      }
      const existing = await this.get(record.key);
      if (existing !== undefined) return { outcome: 'existing', record: existing };
    }
    throw new Error(`Idempotency record ${idempotencyKey(input.accId, input.clientOrderId)} keeps changing; try again`);
  }

  /**
   * The conditional Put that starts a placement: it succeeds only when no live record holds the key. Shared
   * by begin() and the placement transaction (placement-transaction.ts), so both decide alike.
   */
  beginPut(record: IdempotencyRecord, nowMs: number) {
    return {
      TableName: this.tableName,
      Item: record,
      // TTL deletion lags by up to days: an expired record counts as absent.
      ConditionExpression: 'attribute_not_exists(#k) OR #exp < :nowSeconds',
      ExpressionAttributeNames: { '#k': 'key', '#exp': 'expiresAt' },
      ExpressionAttributeValues: { ':nowSeconds': Math.floor(nowMs / 1000) },
    };
  }

  /** Epoch ms by this store's clock (injectable for tests). */
  nowMs(): number {
    return this.now();
  }

  async restamp(key: string, attempt: number, clock: { gatewayStartedAt: string; tradeDate: string; market?: string }): Promise<boolean> {
    const names: Record<string, string> = { '#s': 'state', '#a': 'attempt', '#g': 'gatewayStartedAt', '#t': 'tradeDate' };
    const values: Record<string, unknown> = { ':pending': 'PENDING', ':attempt': attempt, ':g': clock.gatewayStartedAt, ':t': clock.tradeDate };
    const sets = ['#g = :g', '#t = :t'];
    if (clock.market !== undefined) {
      names['#m'] = 'market';
      values[':m'] = clock.market;
      sets.push('#m = :m');
    }
    return this.updateIf(key, sets, '#s = :pending AND #a = :attempt', names, values);
  }

  async complete(key: string, input: CompleteInput): Promise<CompleteResult> {
    const nowMs = this.now();
    const names: Record<string, string> = { '#s': 'state', '#r': 'response', '#u': 'updatedAt', '#exp': 'expiresAt' };
    const values: Record<string, unknown> = {
      ':nowSeconds': Math.floor(nowMs / 1000),
      ':state': input.state,
      ':pending': 'PENDING',
      ':response': input.response,
      ':updatedAt': new Date(nowMs).toISOString(),
    };
    const sets = ['#s = :state', '#r = :response', '#u = :updatedAt'];
    let condition = '#s = :pending AND #exp >= :nowSeconds';
    if (input.orderId !== undefined) {
      names['#o'] = 'orderId';
      values[':orderId'] = input.orderId;
      sets.push('#o = :orderId');
    }
    if (input.attempt !== undefined) {
      names['#a'] = 'attempt';
      values[':attempt'] = input.attempt;
      condition += ' AND #a = :attempt';
    }
    // No ReturnValues: every placement completes its record, and the answer it returns is the one it wrote.
    if (await this.updateIf(key, sets, condition, names, values)) return { outcome: 'completed' };
    return { outcome: 'conflict', record: await this.get(key) };
  }

  async abandon(key: string, attempt: number): Promise<boolean> {
    try {
      await this.docClient.send(
        new DeleteCommand({
          TableName: this.tableName,
          Key: { key },
          ConditionExpression: '#s = :pending AND #a = :attempt',
          ExpressionAttributeNames: { '#s': 'state', '#a': 'attempt' },
          ExpressionAttributeValues: { ':pending': 'PENDING', ':attempt': attempt },
        }),
      );
      return true;
    } catch (err) {
      if (!isConditionalCheckFailed(err)) throw err;
      return false;
    }
  }

  async release(key: string, attempt: number): Promise<boolean> {
    return this.updateIf(
      key,
      ['#u = :epoch'],
      '#s = :pending AND #a = :attempt',
      { '#s': 'state', '#a': 'attempt', '#u': 'updatedAt' },
      { ':pending': 'PENDING', ':attempt': attempt, ':epoch': new Date(0).toISOString() },
    );
  }

  /** One conditional SET on the record: true when it was written, false when its condition did not hold. */
  private async updateIf(key: string, sets: string[], condition: string, names: Record<string, string>, values: Record<string, unknown>): Promise<boolean> {
    try {
      await this.docClient.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { key },
          UpdateExpression: `SET ${sets.join(', ')}`,
          ConditionExpression: condition,
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
        }),
      );
      return true;
    } catch (err) {
      if (!isConditionalCheckFailed(err)) throw err;
      return false;
    }
  }

  async takeOver(key: string, expectedAttempt: number): Promise<TakeOverResult> {
    const nowMs = this.now();
    try {
      const { Attributes } = await this.docClient.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { key },
          UpdateExpression: 'SET #a = :next, #u = :updatedAt',
          ConditionExpression: '#s = :pending AND #a = :expected AND #exp >= :nowSeconds',
          ExpressionAttributeNames: { '#a': 'attempt', '#s': 'state', '#u': 'updatedAt', '#exp': 'expiresAt' },
          ExpressionAttributeValues: {
            ':next': expectedAttempt + 1,
            ':expected': expectedAttempt,
            ':pending': 'PENDING',
            ':updatedAt': new Date(nowMs).toISOString(),
            ':nowSeconds': Math.floor(nowMs / 1000),
          },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return { outcome: 'taken', record: Attributes as IdempotencyRecord };
    } catch (err) {
      if (!isConditionalCheckFailed(err)) throw err;
      return { outcome: 'lost', record: await this.get(key) };
    }
  }

  /** The record, or undefined when there is none or it has expired. */
  async get(key: string): Promise<IdempotencyRecord | undefined> {
    const { Item } = await this.docClient.send(
      new GetCommand({ TableName: this.tableName, Key: { key }, ConsistentRead: true }),
    );
    const record = Item as IdempotencyRecord | undefined;
    if (record === undefined || record.expiresAt < Math.floor(this.now() / 1000)) return undefined;
    return record;
  }
}
