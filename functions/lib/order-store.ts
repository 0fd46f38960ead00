/**
 * Orders and fills in DynamoDB. Order events arrive late, twice and out of order (pushes, reconnect
 * reconciliation, the placing Lambda itself); the store keeps the most advanced state whatever the order.
 */
import {
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
  type DynamoDBDocumentClient,
  type QueryCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { orderVersion, type FillRecord, type OrderRecord } from './model.js';
import { TABLES } from './tables.js';
import { isConditionalCheckFailed } from './dynamo-errors.js';

export interface ListOptions {
  /** Page size; default 50, at most 1000. */
  limit?: number;
  /** `cursor` from the previous page. */
  cursor?: string;
}

export interface Page<T> {
  items: T[];
  /** Present when there may be more items: pass it back as `cursor`. */
  cursor?: string;
}

export interface OrderStore {
  /** Writes the order unless the stored state is as new or newer. */
  applyUpdate(order: OrderRecord): Promise<'applied' | 'stale'>;
  get(accId: string, orderId: string): Promise<OrderRecord | undefined>;
  findByClientOrderId(accId: string, clientOrderId: string): Promise<OrderRecord | undefined>;
  /** An account's orders by orderId. */
  list(accId: string, options?: ListOptions): Promise<Page<OrderRecord>>;
}

export interface FillStore {
  /** Stores a fill once; later copies of the same fillId are reported as duplicates and ignored. */
  put(fill: FillRecord): Promise<'inserted' | 'duplicate'>;
  listByOrder(accId: string, orderId: string): Promise<FillRecord[]>;
  /** An account's fills by fillId. */
  list(accId: string, options?: ListOptions): Promise<Page<FillRecord>>;
}

/** The cursor does not come from a previous page of this account's list. */
export class InvalidCursorError extends Error {
  override readonly name = 'InvalidCursorError';
}

/** Non-key attributes an order update may set; anything else on the object passed in is not stored. */
const ORDER_ATTRIBUTES = [
  'orderIdEx', 'clientOrderId', 'code', 'market', 'side', 'orderType', 'status', 'qty', 'price', 'fillQty',
  'fillAvgPrice', 'trdEnv', 'trdMarket', 'remark', 'lastErrMsg', 'createTime', 'updateTime', 'updateTimestamp',
  'auxPrice', 'trailType', 'trailValue', 'trailSpread',
] as const satisfies readonly Exclude<keyof OrderRecord, 'accId' | 'orderId'>[];
const FILL_ATTRIBUTES = [
  'accId', 'fillId', 'orderId', 'code', 'side', 'qty', 'price', 'createTimestamp', 'status', 'trdEnv',
] as const satisfies readonly (keyof FillRecord)[];
const DEFAULT_PAGE = 50;
const MAX_PAGE = 1000;
/** listByOrder reads every page; an order with more fills than this is a bug upstream, not data. */
const MAX_FILL_PAGES = 100;
const DECIMAL_ID = /^\d{1,20}$/;

export class DynamoOrderStore implements OrderStore {
  constructor(
    private readonly docClient: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async applyUpdate(order: OrderRecord): Promise<'applied' | 'stale'> {
    assertDecimalId('accId', order.accId);
    assertDecimalId('orderId', order.orderId);
    const version = orderVersion(order);

    // SET only the attributes this update carries, so fields known from elsewhere (clientOrderId from the
    // placing Lambda, lastErrMsg) survive an event that omits them.
    const names: Record<string, string> = { '#orderId': 'orderId', '#version': 'version' };
    const values: Record<string, unknown> = { ':version': version };
    const sets = ['#version = :version'];
    let i = 0;
    for (const field of ORDER_ATTRIBUTES) {
      const value = order[field];
      if (value === undefined) continue;
      names[`#f${i}`] = field;
      values[`:f${i}`] = value;
      sets.push(`#f${i} = :f${i}`);
      i++;
    }
    try {
      await this.docClient.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { accId: order.accId, orderId: order.orderId },
          UpdateExpression: `SET ${sets.join(', ')}`,
          ConditionExpression: 'attribute_not_exists(#orderId) OR #version < :version',
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
        }),
      );
      return 'applied';
    } catch (err) {
      if (isConditionalCheckFailed(err)) return 'stale';
      throw err;
    }
  }

  async get(accId: string, orderId: string): Promise<OrderRecord | undefined> {
    const { Item } = await this.docClient.send(
      new GetCommand({ TableName: this.tableName, Key: { accId, orderId }, ConsistentRead: true }),
    );
    return Item === undefined ? undefined : toOrder(Item);
  }

  async findByClientOrderId(accId: string, clientOrderId: string): Promise<OrderRecord | undefined> {
    const index = TABLES.orders.globalSecondaryIndexes[0];
    const { Items } = await this.docClient.send(
      new QueryCommand({
        TableName: this.tableName,
        IndexName: index.indexName,
        KeyConditionExpression: '#a = :a AND #c = :c',
        ExpressionAttributeNames: { '#a': index.partitionKey.name, '#c': index.sortKey.name },
        ExpressionAttributeValues: { ':a': accId, ':c': clientOrderId },
        Limit: 1,
      }),
    );
    const item = Items?.[0];
    return item === undefined ? undefined : toOrder(item);
  }

  async list(accId: string, options: ListOptions = {}): Promise<Page<OrderRecord>> {
    const page = await queryPage(this.docClient, {
      TableName: this.tableName,
      KeyConditionExpression: '#a = :a',
      ExpressionAttributeNames: { '#a': 'accId' },
      ExpressionAttributeValues: { ':a': accId },
      ConsistentRead: true,
    }, { accId }, 'orderId', options);
    return { ...page, items: page.items.map(toOrder) };
  }
}

export class DynamoFillStore implements FillStore {
  constructor(
    private readonly docClient: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async put(fill: FillRecord): Promise<'inserted' | 'duplicate'> {
    assertDecimalId('accId', fill.accId);
    assertDecimalId('fillId', fill.fillId);
    assertDecimalId('orderId', fill.orderId);
    const item: Record<string, unknown> = { orderKey: orderKey(fill.accId, fill.orderId) };
    for (const field of FILL_ATTRIBUTES) {
      if (fill[field] !== undefined) item[field] = fill[field];
    }
    try {
      await this.docClient.send(
        new PutCommand({
          TableName: this.tableName,
          Item: item,
          ConditionExpression: 'attribute_not_exists(#fillId)',
          ExpressionAttributeNames: { '#fillId': 'fillId' },
        }),
      );
      return 'inserted';
    } catch (err) {
      if (isConditionalCheckFailed(err)) return 'duplicate';
      throw err;
    }
  }

  async listByOrder(accId: string, orderId: string): Promise<FillRecord[]> {
    const index = TABLES.fills.globalSecondaryIndexes[0];
    const fills: FillRecord[] = [];
    let startKey: Record<string, unknown> | undefined;
    for (let pageNo = 0; pageNo < MAX_FILL_PAGES; pageNo++) {
      const { Items, LastEvaluatedKey } = await this.docClient.send(
        new QueryCommand({
          TableName: this.tableName,
          IndexName: index.indexName,
          KeyConditionExpression: '#k = :k',
          ExpressionAttributeNames: { '#k': index.partitionKey.name },
          ExpressionAttributeValues: { ':k': orderKey(accId, orderId) },
          ExclusiveStartKey: startKey,
        }),
      );
      for (const item of Items ?? []) fills.push(toFill(item));
      if (LastEvaluatedKey === undefined) return fills;
      startKey = LastEvaluatedKey;
    }
    throw new Error(`Order ${accId}/${orderId} has more than ${MAX_FILL_PAGES} pages of fills`);
  }

  async list(accId: string, options: ListOptions = {}): Promise<Page<FillRecord>> {
    const page = await queryPage(this.docClient, {
      TableName: this.tableName,
      KeyConditionExpression: '#a = :a',
      ExpressionAttributeNames: { '#a': 'accId' },
      ExpressionAttributeValues: { ':a': accId },
      ConsistentRead: true,
    }, { accId }, 'fillId', options);
    return { ...page, items: page.items.map(toFill) };
  }
}

export function orderKey(accId: string, orderId: string): string {
  return `${accId}#${orderId}`;
}

async function queryPage(
  docClient: DynamoDBDocumentClient,
  input: QueryCommandInput,
  partition: { accId: string },
  sortKeyName: string,
  options: ListOptions,
): Promise<Page<Record<string, unknown>>> {
  const limit = Math.min(Math.max(1, Math.floor(options.limit ?? DEFAULT_PAGE)), MAX_PAGE);
  const startKey = options.cursor === undefined ? undefined : decodeCursor(options.cursor, partition.accId, sortKeyName);
  const { Items, LastEvaluatedKey } = await docClient.send(
    new QueryCommand({ ...input, Limit: limit, ExclusiveStartKey: startKey }),
  );
  const page: Page<Record<string, unknown>> = { items: Items ?? [] };
  if (LastEvaluatedKey !== undefined) page.cursor = encodeCursor(LastEvaluatedKey);
  return page;
}

/** The cursor is the base64url JSON of DynamoDB's LastEvaluatedKey (only string key attributes here). */
function encodeCursor(key: Record<string, unknown>): string {
  return Buffer.from(JSON.stringify(key), 'utf8').toString('base64url');
}

function decodeCursor(cursor: string, accId: string, sortKeyName: string): Record<string, string> {
  let key: unknown;
  try {
    key = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw new InvalidCursorError('cursor is not one this API returned');
  }
  const valid =
    typeof key === 'object' &&
    key !== null &&
    Object.keys(key).length === 2 &&
    (key as Record<string, unknown>).accId === accId &&
    typeof (key as Record<string, unknown>)[sortKeyName] === 'string';
  if (!valid) throw new InvalidCursorError(`cursor does not belong to a list of account ${accId}`);
  return key as Record<string, string>;
}

function toOrder(item: Record<string, unknown>): OrderRecord {
  const { version: _version, ...order } = item;
  return order as unknown as OrderRecord;
}

function toFill(item: Record<string, unknown>): FillRecord {
  const { orderKey: _orderKey, ...fill } = item;
  return fill as unknown as FillRecord;
}

function assertDecimalId(field: string, value: unknown): void {
  if (typeof value !== 'string' || !DECIMAL_ID.test(value)) {
    throw new TypeError(`${field} must be a decimal ID string, got ${JSON.stringify(value)}`);
  }
}
