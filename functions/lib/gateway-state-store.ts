/**
 * Small named documents about the gateway that Lambdas read and the relay writes: its health, the latest
 * login challenge, and the like. Last write wins, unless the writer gives a version: then an older version
 * never replaces a newer one (bus events can arrive out of order) — except a stored version more than a minute
 * in the future, which no honest writer produces and which must not freeze the entry.
 */
import { isConditionalCheckFailed } from './dynamo-errors.js';
import { GetCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

/** How far ahead of this store's clock a stored version may be before it counts as bogus. */
export const FUTURE_VERSION_TOLERANCE_MS = 60_000;

export interface GatewayStateEntry<T extends object = Record<string, unknown>> {
  name: string;
  value: T;
  /** ISO-8601, when `put` was called. */
  updatedAt: string;
}

export interface GatewayStateStore {
  /** `version` must sort like time (e.g. an ISO-8601 timestamp); 'stale' when a newer version is stored. */
  put(name: string, value: object, opts?: { version?: string }): Promise<'stored' | 'stale'>;
  get<T extends object = Record<string, unknown>>(name: string): Promise<GatewayStateEntry<T> | undefined>;
}

export interface GatewayStateStoreOptions {
  /** Epoch milliseconds; injectable for tests. */
  now?: () => number;
}

export class DynamoGatewayStateStore implements GatewayStateStore {
  private readonly now: () => number;

  constructor(
    private readonly docClient: DynamoDBDocumentClient,
    private readonly tableName: string,
    options: GatewayStateStoreOptions = {},
  ) {
    this.now = options.now ?? Date.now;
  }

  async put(name: string, value: object, opts: { version?: string } = {}): Promise<'stored' | 'stale'> {
    // Stored as its JSON form: undefined fields dropped and Dates as strings, whatever marshalling options
    // the caller's client was built with.
    const json: unknown = JSON.parse(JSON.stringify(value));
    const entry = { name, value: json, updatedAt: new Date(this.now()).toISOString(), ...(opts.version !== undefined ? { version: opts.version } : {}) };
    try {
      await this.docClient.send(
        new PutCommand({
          TableName: this.tableName,
          Item: entry,
          ...(opts.version !== undefined
            ? {
                // A stored version from the future (a forged or skewed gatewayTime, written before events were
                // validated) would win every comparison forever: it yields to any newer-than-now write.
                ConditionExpression: 'attribute_not_exists(#v) OR #v < :v OR #v > :ceiling',
                ExpressionAttributeNames: { '#v': 'version' },
                ExpressionAttributeValues: { ':v': opts.version, ':ceiling': new Date(this.now() + FUTURE_VERSION_TOLERANCE_MS).toISOString() },
              }
            : {}),
        }),
      );
      return 'stored';
    } catch (err) {
      if (isConditionalCheckFailed(err)) return 'stale';
      throw err;
    }
  }

  async get<T extends object = Record<string, unknown>>(name: string): Promise<GatewayStateEntry<T> | undefined> {
    const { Item } = await this.docClient.send(
      new GetCommand({ TableName: this.tableName, Key: { name }, ConsistentRead: true }),
    );
    return Item as GatewayStateEntry<T> | undefined;
  }
}
