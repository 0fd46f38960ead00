// The run's shared DynamoDB Local (test/support/shared-dynamodb.ts), with the project's tables under a random prefix, reached through the
// real AWS SDK clients.
import { randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll } from 'vitest';
import { LOCAL_CREDENTIALS, LOCAL_REGION, type DynamoDbLocal } from '../../bin/local/dynamodb-local.js';
import { testDynamoDbLocal } from './shared-dynamodb.js';
import type { TableNames } from '../../functions/lib/tables.js';
import { createTables } from '../../bin/local/create-tables.js';

export interface DynamoFixture {
  ddb: DynamoDbLocal;
  client: DynamoDBClient;
  docClient: DynamoDBDocumentClient;
  tables: TableNames;
}

/** Registers beforeAll/afterAll hooks; the returned object is filled in once beforeAll has run. */
export function useDynamoDbLocal(): DynamoFixture {
  const f = {} as DynamoFixture;
  beforeAll(async () => {
    f.ddb = await testDynamoDbLocal();
    f.client = new DynamoDBClient({ endpoint: f.ddb.endpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS });
    f.docClient = DynamoDBDocumentClient.from(f.client);
    f.tables = await createTables(f.client, `t${randomUUID().slice(0, 8)}`);
  });
  afterAll(async () => {
    f.client?.destroy();
    await f.ddb?.stop();
  });
  return f;
}
