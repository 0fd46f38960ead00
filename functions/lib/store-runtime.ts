// What a Lambda execution environment that only keeps DynamoDB in step with the bus (orderEvents) creates once:
// configuration, the logger and the order, fill and gateway-state stores on one DynamoDB client. It never talks to
// OpenD, so it imports no OpenD client, codec or Secrets Manager client, and its bundle carries none of them.
// Invariant: runtime.ts's setRuntime/runtime install their full runtime here too (a Runtime is a StoreRuntime), so
// tests and bin/local/stack.ts inject one runtime that serves every handler, these included.
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Logger } from '../../proto/client.js';
import { asLogger, lambdaLogger } from './lambda-logger.js';
import { DynamoGatewayStateStore, type GatewayStateStore } from './gateway-state-store.js';
import { DynamoFillStore, DynamoOrderStore, type FillStore, type OrderStore } from './order-store.js';
import { loadRuntimeConfig, type RuntimeConfig } from './runtime-config.js';

export interface StoreRuntime {
  config: RuntimeConfig;
  log: Logger;
  orders: OrderStore;
  fills: FillStore;
  gatewayState: GatewayStateStore;
}

/** The DocumentClient every store of one runtime shares (undefined values dropped, as the stores expect). */
export function documentClient(): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(new DynamoDBClient({}), { marshallOptions: { removeUndefinedValues: true } });
}

/** The stores every runtime has, on the given DocumentClient (runtime.ts adds its own stores on the same one). */
export function storesOn(doc: DynamoDBDocumentClient, config: RuntimeConfig, log: Logger): StoreRuntime {
  return {
    config,
    log,
    orders: new DynamoOrderStore(doc, config.tables.orders),
    fills: new DynamoFillStore(doc, config.tables.fills),
    gatewayState: new DynamoGatewayStateStore(doc, config.tables.gatewayState),
  };
}

// The default logger is Powertools' (lambda-logger.ts): the handlers' injectLambdaContext adds the Lambda context.
export function createStoreRuntime(config: RuntimeConfig = loadRuntimeConfig(), log: Logger = asLogger(lambdaLogger())): StoreRuntime {
  return storesOn(documentClient(), config, log);
}

let shared: StoreRuntime | undefined;

/** The execution environment's store runtime, created on first use unless runtime.ts installed its own. */
export function storeRuntime(): StoreRuntime {
  shared ??= createStoreRuntime();
  return shared;
}

/** For runtime.ts's setRuntime (tests, the local stack): replace (or drop) the shared store runtime. */
export function setStoreRuntime(r: StoreRuntime | undefined): void {
  shared = r;
}
