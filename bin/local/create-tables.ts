/**
 * Creates the tables of functions/lib/tables.ts on a DynamoDB endpoint (DynamoDB Local for the local stack and
 * the tests). In AWS the CDK app owns the tables; this is local tooling only, kept out of the definitions file
 * that the CDK app imports.
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
import { TABLE_IDS, TABLES, tableNames, type KeyAttribute, type KeyAttributeType, type TableDefinition, type TableNames } from '../../functions/lib/tables.js';
import { sleep } from '../../proto/timers.js';

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
