/**
 * Least privilege for DynamoDB: the exact actions each function (and the gateway task) performs on each table,
 * read off the stores it calls. `FUNCTIONS[…].tables` (definitions.ts) says which tables a function uses; this
 * says what it does there. No Scan, BatchWriteItem or DescribeTable anywhere, DeleteItem only where a record is
 * abandoned, and a table a function never touches is not granted at all.
 *
 * Plain data (no aws-cdk-lib), so the infra tests can compare it with the code.
 */
import type { TableId } from '../functions/lib/tables.js';
import type { TableAccess } from './definitions.js';

export type DynamoAction = 'dynamodb:GetItem' | 'dynamodb:BatchGetItem' | 'dynamodb:Query' | 'dynamodb:PutItem' | 'dynamodb:UpdateItem' | 'dynamodb:DeleteItem' | 'dynamodb:ConditionCheckItem';

export type TableActions = Readonly<Partial<Record<TableId, readonly DynamoAction[]>>>;

/** The rate limiter reads its window and writes it back conditionally (rate-limiter.ts). */
const RATE_LIMITER: readonly DynamoAction[] = ['dynamodb:GetItem', 'dynamodb:PutItem'];

export const TABLE_ACTIONS: Readonly<Record<string, TableActions>> = {
  // GET /v1/quotes reads the latest-quote store with BatchGetItem (functions/lib/latest-quote-store.ts).
  quotes: { rateLimits: RATE_LIMITER, latestQuotes: ['dynamodb:BatchGetItem'] },
  // Fills are read from OpenD, not from the fills table.
  accounts: { rateLimits: RATE_LIMITER },
  orders: {
    // get and findByClientOrderId (a Query of the byClientOrderId index); the consumer writes orders.
    orders: ['dynamodb:GetItem', 'dynamodb:Query'],
    // begin (Put), complete / release / takeOver (Update), abandon (Delete), get.
    idempotency: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'],
    // The limiter, plus the daily-notional counter of the risk limits (risk-store.ts: Update, and a transaction
    // of a conditional Put and an Update, which IAM authorizes as those two actions).
    rateLimits: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'],
  },
  // Reads what the consumer stored; answering a challenge writes nothing.
  gateway: { gatewayState: ['dynamodb:GetItem'], rateLimits: RATE_LIMITER },
  orderEvents: {
    orders: ['dynamodb:UpdateItem'],
    fills: ['dynamodb:PutItem'],
    gatewayState: ['dynamodb:PutItem'],
  },
  // Settlement (settlement.ts): the open orders through the byStatus index, then the versioned order write.
  settleOrders: {
    orders: ['dynamodb:Query', 'dynamodb:UpdateItem'],
    rateLimits: RATE_LIMITER,
  },
  // The runtime quote subscriptions: list (Query of the one partition), add (conditional Put), remove (Delete).
  subscriptions: { subscriptions: ['dynamodb:Query', 'dynamodb:PutItem', 'dynamodb:DeleteItem'] },
  strategyDca: {
    idempotency: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'],
    rateLimits: RATE_LIMITER,
  },
  // The WebSocket stream (stream-store.ts): connect (Put), get (Get), subscribe (conditional ADD to the
  // connection's set, Put per topic), unsubscribe and $disconnect (Update, Delete per topic). DeleteItem: a
  // closed connection's subscriptions must stop receiving at once, not when TTL gets to them.
  streamConnections: { streamConnections: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'] },
  // The fan-out (stream-fanout.ts): one Query per event; a gone (410) connection is deleted as on $disconnect.
  streamFanout: { streamConnections: ['dynamodb:Query', 'dynamodb:GetItem', 'dynamodb:DeleteItem'] },
};

/**
 * The gateway task touches one table: the relay keeps the latest quotes there (UpdateItem of a security's
 * quote or book, and of its heartbeat: gateway-container/relay/latest-quotes.ts). Orders and fills it only
 * publishes to the bus; the consumer stores them.
 */
// The relay also reads the runtime quote subscriptions (one Query every few seconds: relay/runtime-subscriptions.ts).
export const GATEWAY_TABLE_ACTIONS: TableActions = { latestQuotes: ['dynamodb:UpdateItem'], subscriptions: ['dynamodb:Query'] };

/**
 * A function this file does not list yet (added to FUNCTIONS later) gets a conservative reading of its
 * `tables` entry: reads are GetItem and Query, writes add PutItem and UpdateItem — never Delete, Scan or batches.
 */
export function tableActionsFor(functionId: string, tables: Readonly<Partial<Record<TableId, TableAccess>>>): TableActions {
  const exact = TABLE_ACTIONS[functionId];
  if (exact) return exact;
  const out: Partial<Record<TableId, readonly DynamoAction[]>> = {};
  for (const [id, access] of Object.entries(tables) as [TableId, TableAccess][]) {
    out[id] = access === 'readWrite' ? ['dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:PutItem', 'dynamodb:UpdateItem'] : ['dynamodb:GetItem', 'dynamodb:Query'];
  }
  return out;
}
