/**
 * What the stream functions create once per execution environment: the connection store (table name from
 * STREAM_CONNECTIONS_TABLE, set by the CDK app; locally from TABLE_PREFIX like every other table) and the logger.
 * Kept apart from runtime.ts: these functions never talk to OpenD and need none of its stores.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Logger } from '../../proto/client.js';
import { asLogger, lambdaLogger } from './lambda-logger.js';
import { DynamoStreamStore } from './stream-store.js';
import { TABLE_ENV, tableNames } from './tables.js';

export interface StreamRuntime {
  store: DynamoStreamStore;
  log: Logger;
}

let shared: StreamRuntime | undefined;

export function streamTableName(env: NodeJS.ProcessEnv = process.env): string {
  return env[TABLE_ENV.streamConnections] ?? tableNames(env['TABLE_PREFIX'] ?? 'opend-cloud').streamConnections;
}

export function streamRuntime(): StreamRuntime {
  if (!shared) {
    const doc = DynamoDBDocumentClient.from(new DynamoDBClient({}), { marshallOptions: { removeUndefinedValues: true } });
    shared = { store: new DynamoStreamStore(doc, streamTableName()), log: asLogger(lambdaLogger(), { component: 'stream' }) };
  }
  return shared;
}

/** For tests: replace (or drop) the shared stream runtime. */
export function setStreamRuntime(rt: StreamRuntime | undefined): void {
  shared = rt;
}
