// End-of-day settlement: orders DynamoDB still holds in a non-terminal status after their trading day has
// ended (their last push was lost, the relay was down, ...) are brought to the state OpenD reports for them.
//
// Rules:
// - The truth is OpenD's Trd_GetHistoryOrderList for the order's trading day (one query per account,
//   environment, trading market and day; Futu allows 10 of these per 30 s per account, enforced by the shared
//   limiter before OpenD sees the call). Its start / end times are strict "YYYY-MM-DD HH:MM:SS" strings
//   (Futu: https://openapi.futunn.com/futu-api-doc/en/trade/get-history-order-list.html).
// - The result is written through OrderStore.applyUpdate — the versioned write of the order-events consumer,
//   built by the same orderRecordOf(orderDetailFromOrder(...)) mapping — so a newer stored state always wins.
// - An order OpenD does not list is reported (log + metric), never guessed: its stored state is left alone.
// - An order whose trading day has not ended in its market's time zone is not touched.
import { DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { Order, TrdEnvName, TrdMarketName } from '../../proto/api/trading.js';
import type { Logger } from '../../proto/client.js';
import { orderDetailFromOrder } from '../../proto/events.js';
import { marketPrefixTimeZone } from '../../proto/market-time-zones.js';
import * as Trd_Common from '../../proto/generated/Trd_Common.js';
import { METRICS_NAMESPACE } from './event-validation.js';
import { isTerminalStatus, ORDER_STATUS, type OrderRecord } from './model.js';
import type { OpenDSession } from './opend-connection.js';
import { orderRecordOf } from './order-events.js';
import type { OrderStore } from './order-store.js';
import { bucketFor, FUTU_LIMITS, type RateLimiter } from './rate-limiter.js';
import { TABLES } from './tables.js';

/** Statuses an order can still leave: everything OpenD's enum has that is not terminal. */
export const NON_TERMINAL_STATUSES: readonly string[] = Object.keys(ORDER_STATUS).filter((s) => !isTerminalStatus(s));

const TRD_MARKETS: readonly TrdMarketName[] = (Object.keys(Trd_Common.TrdMarket) as TrdMarketName[]).filter((m) => m !== 'UNKNOWN');
const DATE = /^(\d{4}-\d{2}-\d{2}) /;
const MAX_INDEX_PAGES = 100;
export const SETTLEMENT_METRICS = { settled: 'SettledOrders', notFound: 'SettlementOrdersNotFound' } as const;

export interface SettlementInput {
  /** Only orders of this trading market (TrdMarket name, e.g. "HK"); default: every market. */
  trdMarket?: TrdMarketName;
}

/** The scheduled event's input, checked: unknown fields and unknown markets are refused with the allowed values. */
export function parseSettlementInput(input: unknown): SettlementInput {
  if (input === undefined || input === null) return {};
  if (typeof input !== 'object' || Array.isArray(input)) throw new TypeError(`settlement input must be an object like {"trdMarket":"HK"}, got ${JSON.stringify(input)}`);
  const extra = Object.keys(input).filter((k) => k !== 'trdMarket');
  if (extra.length) throw new TypeError(`settlement input has unknown field(s) ${extra.join(', ')}; the only field is trdMarket`);
  const m = (input as { trdMarket?: unknown }).trdMarket;
  if (m === undefined) return {};
  if (typeof m !== 'string' || !TRD_MARKETS.includes(m as TrdMarketName)) {
    throw new TypeError(`settlement input trdMarket ${JSON.stringify(m)} is not a trading market; use one of ${TRD_MARKETS.join(', ')}`);
  }
  return { trdMarket: m as TrdMarketName };
}

export type SettlementOutcome =
  /** Written: the stored state moved to OpenD's. */
  | 'settled'
  /** OpenD's state is not newer than the stored one (it already matched, or a newer event got there first). */
  | 'unchanged'
  /** OpenD does not list the order for its day: reported, not changed. */
  | 'not-found'
  /** The limiter kept the history query from running within this run's time budget: the next run retries. */
  | 'deferred'
  /** The stored order has no createTime or an unknown market, so there is no trading day to ask about. */
  | 'no-trade-date';

export interface SettledOrder {
  accId: string;
  orderId: string;
  tradeDate: string;
  outcome: SettlementOutcome;
  /** Stored status before, and OpenD's status (absent when not found or deferred). */
  from: string;
  to?: string;
}

export interface SettlementResult {
  /** Non-terminal orders read from the table (after the market filter). */
  candidates: number;
  /** Of those, orders whose trading day has not ended yet (left alone). */
  notDue: number;
  orders: SettledOrder[];
}

export interface SettlementDeps {
  /** The stored orders in a non-terminal status (DynamoOpenOrders.list in the function). */
  openOrders: () => Promise<OrderRecord[]>;
  orders: OrderStore;
  session: () => Promise<OpenDSession>;
  limiter: RateLimiter;
  log: Logger;
  /** One CloudWatch EMF line per call. */
  metric: (line: string) => void;
  /** Epoch ms; default Date.now. */
  now?: () => number;
  /** How long one run may wait for the history-query limiter in total; default 20 s. */
  maxLimiterWaitMs?: number;
}

export async function settleOrders(input: SettlementInput, deps: SettlementDeps): Promise<SettlementResult> {
  const now = deps.now ?? Date.now;
  const all = (await deps.openOrders()).filter((o) => input.trdMarket === undefined || o.trdMarket === input.trdMarket);
  const groups = new Map<string, { acc: { accId: string; env: TrdEnvName; market: TrdMarketName }; day: string; orders: OrderRecord[] }>();
  let notDue = 0;
  const result: SettledOrder[] = [];
  for (const o of all) {
    const day = tradeDateOf(o);
    // The zone OpenD writes the order's createTime in, i.e. the one its trading day is counted in.
    const tz = marketPrefixTimeZone(o.market);
    if (day === undefined || tz === undefined) {
      // Without a trading date or a known market there is no day to ask OpenD about.
      deps.log.warn('settlement: order has no usable createTime / market; left as it is', { accId: o.accId, orderId: o.orderId, createTime: o.createTime, market: o.market });
      result.push({ accId: o.accId, orderId: o.orderId, tradeDate: '', outcome: 'no-trade-date', from: o.status });
      continue;
    }
    if (day >= localDate(now(), tz)) {
      notDue++;
      continue;
    }
    const key = [o.accId, o.trdEnv, o.trdMarket, day].join('|');
    let g = groups.get(key);
    if (!g) {
      g = { acc: { accId: o.accId, env: o.trdEnv, market: o.trdMarket as TrdMarketName }, day, orders: [] };
      groups.set(key, g);
    }
    g.orders.push(o);
  }

  let waitBudget = deps.maxLimiterWaitMs ?? 20_000;
  for (const g of groups.values()) {
    const waited = await acquireHistorySlot(deps.limiter, g.acc.accId, waitBudget);
    waitBudget -= waited.waitedMs;
    if (!waited.allowed) {
      for (const o of g.orders) result.push({ accId: o.accId, orderId: o.orderId, tradeDate: g.day, outcome: 'deferred', from: o.status });
      deps.log.warn('settlement: history query rate-limited; these orders wait for the next run', { accId: g.acc.accId, day: g.day, orders: g.orders.length });
      continue;
    }
    const s = await deps.session();
    const listed = await s.trade.historyOrders(
      { accId: BigInt(g.acc.accId), env: g.acc.env, market: g.acc.market },
      { from: `${g.day} 00:00:00`, to: `${g.day} 23:59:59` },
    );
    const byId = new Map<string, Order>(listed.map((b) => [b.orderId.toString(), b]));
    for (const o of g.orders) {
      const broker = byId.get(o.orderId);
      if (!broker) {
        deps.log.error('settlement: order not found in OpenD history for its trading day; stored state left unchanged', {
          accId: o.accId,
          orderId: o.orderId,
          tradeDate: g.day,
          storedStatus: o.status,
        });
        deps.metric(settlementMetric(SETTLEMENT_METRICS.notFound, { accId: o.accId, orderId: o.orderId, tradeDate: g.day }, now()));
        result.push({ accId: o.accId, orderId: o.orderId, tradeDate: g.day, outcome: 'not-found', from: o.status });
        continue;
      }
      const record = orderRecordOf(orderDetailFromOrder(broker, new Date(now()).toISOString()));
      const applied = await deps.orders.applyUpdate(record);
      const outcome: SettlementOutcome = applied === 'applied' ? 'settled' : 'unchanged';
      if (outcome === 'settled') {
        deps.metric(settlementMetric(SETTLEMENT_METRICS.settled, { accId: o.accId, orderId: o.orderId, tradeDate: g.day, status: record.status }, now()));
      }
      deps.log.info('settlement: order checked against OpenD', { accId: o.accId, orderId: o.orderId, tradeDate: g.day, from: o.status, to: record.status, outcome });
      result.push({ accId: o.accId, orderId: o.orderId, tradeDate: g.day, outcome, from: o.status, to: record.status });
    }
  }
  return { candidates: all.length, notDue, orders: result };
}

/** Takes one Trd_GetHistoryOrderList slot of the account, waiting (within `budgetMs`) while the window is full. */
async function acquireHistorySlot(limiter: RateLimiter, accId: string, budgetMs: number): Promise<{ allowed: boolean; waitedMs: number }> {
  let waitedMs = 0;
  for (let attempt = 0; attempt < 20; attempt++) {
    const d = await limiter.acquire(bucketFor(accId, 'HistoryOrders'), FUTU_LIMITS.HistoryOrders);
    if (d.allowed) return { allowed: true, waitedMs };
    if (waitedMs + d.retryAfterMs > budgetMs) break;
    await new Promise((r) => setTimeout(r, d.retryAfterMs));
    waitedMs += d.retryAfterMs;
  }
  return { allowed: false, waitedMs };
}

/** "2025-01-15" of createTime "2025-01-15 10:00:00.000" (OpenD writes it in the market's local time). */
function tradeDateOf(o: OrderRecord): string | undefined {
  return DATE.exec(o.createTime ?? '')?.[1];
}

function localDate(ms: number, timeZone: string): string {
  // en-CA formats as YYYY-MM-DD.
  return new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(new Date(ms));
}

/** One CloudWatch Embedded Metric Format line: `OpenDCloud/<name>`, count 1, no dimensions (IDs are properties). */
export function settlementMetric(name: string, properties: Record<string, string>, now: number): string {
  return JSON.stringify({
    _aws: { Timestamp: now, CloudWatchMetrics: [{ Namespace: METRICS_NAMESPACE, Dimensions: [[]], Metrics: [{ Name: name, Unit: 'Count' }] }] },
    [name]: 1,
    ...properties,
  });
}

/** The orders table's non-terminal orders, through the byStatus index (one paged query per status). */
export class DynamoOpenOrders {
  constructor(
    private readonly docClient: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async list(): Promise<OrderRecord[]> {
    // One index partition per status, queried concurrently: ten sequential round trips were most of the
    // function's cold invocation. Pages within a status stay sequential; the result keeps the status order.
    const perStatus = await Promise.all(NON_TERMINAL_STATUSES.map((status) => this.listStatus(status)));
    return perStatus.flat();
  }

  private async listStatus(status: string): Promise<OrderRecord[]> {
    const index = TABLES.orders.globalSecondaryIndexes[1];
    const out: OrderRecord[] = [];
    let startKey: Record<string, unknown> | undefined;
    for (let page = 0; ; page++) {
      if (page >= MAX_INDEX_PAGES) throw new Error(`more than ${MAX_INDEX_PAGES} pages of ${status} orders in ${this.tableName}; settle in smaller runs`);
      const { Items, LastEvaluatedKey } = await this.docClient.send(
        new QueryCommand({
          TableName: this.tableName,
          IndexName: index.indexName,
          KeyConditionExpression: '#s = :s',
          ExpressionAttributeNames: { '#s': index.partitionKey.name },
          ExpressionAttributeValues: { ':s': status },
          ExclusiveStartKey: startKey,
        }),
      );
      for (const item of Items ?? []) {
        const { version: _version, ...order } = item;
        out.push(order as OrderRecord);
      }
      if (LastEvaluatedKey === undefined) break;
      startKey = LastEvaluatedKey;
    }
    return out;
  }
}
