// createTables against the official DynamoDB Local: a table made before an index was added to TABLES (the
// local stack keeps its tables across runs) gets the missing index, and the settlement's byStatus index answers.
import { randomUUID } from 'node:crypto';
import { CreateTableCommand, DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_CREDENTIALS, LOCAL_REGION, startDynamoDbLocal, type DynamoDbLocal } from '../../bin/local/dynamodb-local.js';
import type { OrderRecord } from '../../functions/lib/model.js';
import { DynamoOrderStore } from '../../functions/lib/order-store.js';
import { DynamoOpenOrders } from '../../functions/lib/settlement.js';
import { TABLES, tableNames } from '../../functions/lib/tables.js';
import { createTables } from '../../bin/local/create-tables.js';

// A DynamoDB Local of its own, not the run's shared one: there an index added by UpdateTable stayed CREATING for
// over a minute while another file's handlers were busy on their own tables.
let ddb: DynamoDbLocal;
let client: DynamoDBClient;

beforeAll(async () => {
  ddb = await startDynamoDbLocal();
  client = new DynamoDBClient({ endpoint: ddb.endpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS });
});
afterAll(async () => {
  client?.destroy();
  await ddb?.stop();
});

const order = (orderId: string, status: string): OrderRecord => ({
  accId: '281756480572583411',
  orderId,
  code: 'HK.00700',
  market: 'HK',
  side: 'BUY',
  orderType: 'NORMAL',
  status,
  qty: 100,
  price: 300,
  fillQty: 0,
  fillAvgPrice: 0,
  trdEnv: 'SIMULATE',
  trdMarket: 'HK',
  createTime: '2025-01-15 10:00:00.000',
  updateTimestamp: 1736906400,
});

describe('createTables', () => {
  it('adds the indexes an existing orders table lacks, keeps its items, and the byStatus index finds non-terminal orders', async () => {
    const prefix = `up${randomUUID().slice(0, 8)}`;
    const name = tableNames(prefix).orders;
    // The orders table as it was before byStatus: only byClientOrderId.
    const old = TABLES.orders.globalSecondaryIndexes[0];
    await client.send(
      new CreateTableCommand({
        TableName: name,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [
          { AttributeName: 'accId', AttributeType: 'S' },
          { AttributeName: 'orderId', AttributeType: 'S' },
          { AttributeName: 'clientOrderId', AttributeType: 'S' },
        ],
        KeySchema: [
          { AttributeName: 'accId', KeyType: 'HASH' },
          { AttributeName: 'orderId', KeyType: 'RANGE' },
        ],
        GlobalSecondaryIndexes: [
          {
            IndexName: old.indexName,
            KeySchema: [
              { AttributeName: 'accId', KeyType: 'HASH' },
              { AttributeName: 'clientOrderId', KeyType: 'RANGE' },
            ],
            Projection: { ProjectionType: 'ALL' },
          },
        ],
      }),
    );
    const doc = DynamoDBDocumentClient.from(client);
    const store = new DynamoOrderStore(doc, name);
    await store.applyUpdate(order('5000000000000000001', 'SUBMITTED'));
    await store.applyUpdate(order('5000000000000000002', 'FILLED_ALL'));

    await createTables(client, prefix);
    const { Table } = await client.send(new DescribeTableCommand({ TableName: name }));
    expect((Table?.GlobalSecondaryIndexes ?? []).map((i) => [i.IndexName, i.IndexStatus]).sort()).toEqual(
      TABLES.orders.globalSecondaryIndexes.map((i) => [i.indexName, 'ACTIVE']).sort(),
    );
    expect((await store.get('281756480572583411', '5000000000000000002'))?.status).toBe('FILLED_ALL');

    // Existing items are indexed too; terminal ones are not returned.
    const open = await new DynamoOpenOrders(doc, name).list();
    expect(open.map((o) => [o.orderId, o.status])).toEqual([['5000000000000000001', 'SUBMITTED']]);
    expect(open[0]).not.toHaveProperty('version');

    // Running it again changes nothing.
    await createTables(client, prefix);
    const again = await client.send(new DescribeTableCommand({ TableName: name }));
    expect(again.Table?.GlobalSecondaryIndexes).toHaveLength(TABLES.orders.globalSecondaryIndexes.length);
  });
});
