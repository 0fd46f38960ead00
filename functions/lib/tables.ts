/**
 * The one definition of every DynamoDB table. The CDK app and the local stack both read `TABLES`, so a key
 * or index changed here changes in AWS and locally alike.
 */
import {
  CreateTableCommand,
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  UpdateTableCommand,
  UpdateTimeToLiveCommand,
  type AttributeDefinition,
  type DynamoDBClient,
  type GlobalSecondaryIndex,
  type KeySchemaElement,
} from '@aws-sdk/client-dynamodb';

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

export interface CreateTablesOptions {
  /** How long to wait for every table (and its indexes) to become ACTIVE. Default 5 minutes. */
  timeoutMs?: number;
}

/**
 * Creates every table (on-demand billing) if it does not exist yet, waits until it is ACTIVE, and turns on
 * TTL where the definition has one. Safe to run again against existing tables. Used by the local stack and
 * the tests; in AWS the CDK app owns the tables.
 */
export async function createTables(
  client: DynamoDBClient,
  prefix: string,
  options: CreateTablesOptions = {},
): Promise<TableNames> {
  const names = tableNames(prefix);
  const deadline = Date.now() + (options.timeoutMs ?? 300_000);
  await Promise.all(
    TABLE_IDS.map(async (id) => {
      const definition: TableDefinition = TABLES[id];
      await createTable(client, names[id], definition);
      await waitUntilActive(client, names[id], deadline);
      if (definition.ttlAttribute !== undefined) {
        await enableTtl(client, names[id], definition.ttlAttribute);
      }
    }),
  );
  return names;
}

async function createTable(client: DynamoDBClient, tableName: string, definition: TableDefinition): Promise<void> {
  const indexes = definition.globalSecondaryIndexes ?? [];
  const attributes = new Map<string, KeyAttributeType>();
  for (const key of [definition.partitionKey, definition.sortKey, ...indexes.flatMap((i) => [i.partitionKey, i.sortKey])]) {
    if (key === undefined) continue;
    const known = attributes.get(key.name);
    if (known !== undefined && known !== key.type) {
      throw new Error(`Table ${tableName}: key attribute ${key.name} is declared as both ${known} and ${key.type}`);
    }
    attributes.set(key.name, key.type);
  }
  const attributeDefinitions: AttributeDefinition[] = [...attributes].map(([AttributeName, AttributeType]) => ({
    AttributeName,
    AttributeType,
  }));
  const globalSecondaryIndexes: GlobalSecondaryIndex[] = indexes.map((index) => ({
    IndexName: index.indexName,
    KeySchema: keySchema(index.partitionKey, index.sortKey),
    Projection: { ProjectionType: 'ALL' },
  }));
  try {
    await client.send(
      new CreateTableCommand({
        TableName: tableName,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: attributeDefinitions,
        KeySchema: keySchema(definition.partitionKey, definition.sortKey),
        ...(globalSecondaryIndexes.length > 0 ? { GlobalSecondaryIndexes: globalSecondaryIndexes } : {}),
      }),
    );
  } catch (err) {
    if (errorName(err) !== 'ResourceInUseException') throw err;
    await addMissingIndexes(client, tableName, definition);
  }
}

/**
 * A table made before an index was added here (the local stack keeps its tables across runs) gets the missing
 * indexes, one per call as DynamoDB allows; each is waited for before the next is requested.
 */
async function addMissingIndexes(client: DynamoDBClient, tableName: string, definition: TableDefinition): Promise<void> {
  for (const index of definition.globalSecondaryIndexes ?? []) {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
    if ((Table?.GlobalSecondaryIndexes ?? []).some((i) => i.IndexName === index.indexName)) continue;
    await waitUntilActive(client, tableName, Date.now() + 300_000);
    const keys = [index.partitionKey, index.sortKey].filter((k): k is KeyAttribute => k !== undefined);
    await client.send(
      new UpdateTableCommand({
        TableName: tableName,
        AttributeDefinitions: keys.map((k) => ({ AttributeName: k.name, AttributeType: k.type })),
        GlobalSecondaryIndexUpdates: [
          { Create: { IndexName: index.indexName, KeySchema: keySchema(index.partitionKey, index.sortKey), Projection: { ProjectionType: 'ALL' } } },
        ],
      }),
    );
    await waitUntilActive(client, tableName, Date.now() + 300_000);
  }
}

function keySchema(partitionKey: KeyAttribute, sortKey: KeyAttribute | undefined): KeySchemaElement[] {
  const schema: KeySchemaElement[] = [{ AttributeName: partitionKey.name, KeyType: 'HASH' }];
  if (sortKey !== undefined) schema.push({ AttributeName: sortKey.name, KeyType: 'RANGE' });
  return schema;
}

async function waitUntilActive(client: DynamoDBClient, tableName: string, deadline: number): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
    const indexesActive = (Table?.GlobalSecondaryIndexes ?? []).every((index) => index.IndexStatus === 'ACTIVE');
    if (Table?.TableStatus === 'ACTIVE' && indexesActive) return;
    if (Date.now() >= deadline) {
      throw new Error(`Table ${tableName} is still ${Table?.TableStatus ?? 'missing'} after waiting; giving up`);
    }
    await sleep(Math.min(2_000, 50 * 2 ** attempt));
  }
}

async function enableTtl(client: DynamoDBClient, tableName: string, attributeName: string): Promise<void> {
  const { TimeToLiveDescription } = await client.send(new DescribeTimeToLiveCommand({ TableName: tableName }));
  const status = TimeToLiveDescription?.TimeToLiveStatus;
  if (status === 'ENABLED' || status === 'ENABLING') return;
  await client.send(
    new UpdateTimeToLiveCommand({
      TableName: tableName,
      TimeToLiveSpecification: { AttributeName: attributeName, Enabled: true },
    }),
  );
}

function errorName(err: unknown): string | undefined {
  return typeof err === 'object' && err !== null && 'name' in err ? String((err as { name: unknown }).name) : undefined;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
