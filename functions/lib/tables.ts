/**
 * The one definition of every DynamoDB table. The CDK app and the local stack both read `TABLES`, so a key
 * or index changed here changes in AWS and locally alike. Plain data only: creating the tables locally is
 * bin/local/create-tables.ts (in AWS the CDK app owns them), so the CDK app loads no AWS SDK through this file.
 */

export type KeyAttributeType = 'S' | 'N' | 'B';

export interface KeyAttribute {
  readonly name: string;
  readonly type: KeyAttributeType;
}

export interface IndexDefinition {
  readonly indexName: string;
  readonly partitionKey: KeyAttribute;
  readonly sortKey?: KeyAttribute;
}

export interface TableDefinition {
  /** Appended to the stack/environment prefix to form the physical table name (see `tableNames`). */
  readonly tableName: string;
  readonly partitionKey: KeyAttribute;
  readonly sortKey?: KeyAttribute;
  /** Projection is ALL: the stores read whole records from their indexes. */
  readonly globalSecondaryIndexes?: readonly IndexDefinition[];
  /** Epoch-seconds attribute DynamoDB uses to expire items. */
  readonly ttlAttribute?: string;
}

export const TABLES = {
  orders: {
    tableName: 'orders',
    partitionKey: { name: 'accId', type: 'S' },
    sortKey: { name: 'orderId', type: 'S' },
    globalSecondaryIndexes: [
      {
        indexName: 'byClientOrderId',
        partitionKey: { name: 'accId', type: 'S' },
        sortKey: { name: 'clientOrderId', type: 'S' },
      },
      {
        // The settlement function reads the orders still in a non-terminal status, one query per status. Every
        // stored order has both attributes (the order-events consumer writes whole records). A status is a
        // low-cardinality key, but Futu's own limit (15 PlaceOrder / 30 s per account) keeps each partition far
        // below DynamoDB's per-partition throughput.
        indexName: 'byStatus',
        partitionKey: { name: 'status', type: 'S' },
        sortKey: { name: 'updateTimestamp', type: 'N' },
      },
    ],
  },
  fills: {
    tableName: 'fills',
    partitionKey: { name: 'accId', type: 'S' },
    sortKey: { name: 'fillId', type: 'S' },
    globalSecondaryIndexes: [
      {
        indexName: 'byOrder',
        // orderKey = `${accId}#${orderId}`, written by the fill store.
        partitionKey: { name: 'orderKey', type: 'S' },
        sortKey: { name: 'fillId', type: 'S' },
      },
    ],
  },
  idempotency: {
    tableName: 'idempotency',
    partitionKey: { name: 'key', type: 'S' },
    ttlAttribute: 'expiresAt',
  },
  rateLimits: {
    tableName: 'rate-limits',
    partitionKey: { name: 'bucket', type: 'S' },
    ttlAttribute: 'expiresAt',
  },
  gatewayState: {
    tableName: 'gateway-state',
    partitionKey: { name: 'name', type: 'S' },
  },
  // The relay's latest basic quote / top of book per subscribed security (functions/lib/latest-quote-store.ts),
  // keyed "HK.00700"; rows of securities no longer subscribed expire.
  latestQuotes: {
    tableName: 'latest-quotes',
    partitionKey: { name: 'security', type: 'S' },
    ttlAttribute: 'expiresAt',
  },
  streamConnections: {
    // WebSocket stream subscriptions (functions/lib/stream-store.ts). `topic` is what a bus event is fanned out
    // by (`quote#HK.00700#Quote`, `account#<accId>`), or `conn#<connectionId>` for the connection's own record;
    // the fan-out Queries one topic, never Scans. Items expire a little after 2 h: API Gateway closes every
    // WebSocket connection after 2 h, so a missed $disconnect cannot leave records behind for long.
    tableName: 'stream-connections',
    partitionKey: { name: 'topic', type: 'S' },
    sortKey: { name: 'connectionId', type: 'S' },
    ttlAttribute: 'expiresAt',
  },
  subscriptions: {
    // Runtime quote subscriptions (functions/lib/subscription-store.ts): one partition ("relay") of at most a few
    // hundred items (OpenD's quota), which the relay reads with one Query every few seconds.
    tableName: 'subscriptions',
    partitionKey: { name: 'scope', type: 'S' },
    sortKey: { name: 'pair', type: 'S' },
  },
} as const satisfies Record<string, TableDefinition>;

export type TableId = keyof typeof TABLES;
export type TableNames = Record<TableId, string>;

export const TABLE_IDS = Object.keys(TABLES) as TableId[];

/** Environment variable carrying each table's physical name (set by the CDK app on the functions granted it). */
export const TABLE_ENV: Readonly<Record<TableId, string>> = {
  orders: 'ORDERS_TABLE',
  fills: 'FILLS_TABLE',
  idempotency: 'IDEMPOTENCY_TABLE',
  rateLimits: 'RATE_LIMITS_TABLE',
  gatewayState: 'GATEWAY_STATE_TABLE',
  latestQuotes: 'LATEST_QUOTES_TABLE',
  subscriptions: 'SUBSCRIPTIONS_TABLE',
  streamConnections: 'STREAM_CONNECTIONS_TABLE',
};

/** Physical table names: `${prefix}-${suffix}`, or the bare suffix when the prefix is empty. */
export function tableNames(prefix: string): TableNames {
  const names = {} as TableNames;
  for (const id of TABLE_IDS) {
    const suffix = TABLES[id].tableName;
    names[id] = prefix === '' ? suffix : `${prefix}-${suffix}`;
  }
  return names;
}
