// The relay side of the latest-quote store (item layout: proto/latest-quote-item.ts): the basic-quote and order-book
// pushes that quote-events.ts turns into events also update one DynamoDB item per security, conflated, so that
// GET /v1/quotes can answer subscribed codes without Futu's Snapshot limit (60 per 30 s per OpenD).
//
// Invariants:
// - `offer` is synchronous and does no I/O: it only records the latest value per security (for a basic-quote
//   push, the Quote details the relay already built for its events: a push is converted once). Writes run on a
//   timer, off the push path, so a slow or failing DynamoDB never delays a push, an order event or the publisher
//   (order pushes keep their priority: they never wait on this module).
// - At most one write per security per `intervalMs` (default 1 s): N pushes of a security within an interval
//   become one write of the newest value. A failed write is kept (unless a newer value arrived meanwhile, which
//   replaces it) and retried on a later tick; nothing is lost but superseded values.
// - At most `maxInFlight` writes at a time and at most `maxPending` securities waiting (beyond that the oldest
//   pending values are dropped and counted: the next push of that security brings it back).
// - The heartbeat (what tells readers the stored quotes are current) is written only while `live()` holds and
//   no write is failing, so a reader never takes a row that fell behind for current.
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { Logger } from '../../proto/client.js';
import { quoteDetail, type QuoteDetail } from '../../proto/events.js';
import type * as Qot_Common from '../../proto/generated/Qot_Common.js';
import { PROTO_ID } from '../../proto/registry.js';
import { securityKey } from '../../proto/securities.js';
import { heartbeatUpdate, securityUpdate, type Heartbeat, type SecurityWrite, type TopOfBook } from '../../proto/latest-quote-item.js';
import type { SubscriptionSpec } from './relay.js';

export interface LatestQuotesOptions {
  tableName: string;
  /** Conflation interval: at most one write per security per interval (default 1000 ms). */
  intervalMs?: number;
  /** How often the heartbeat is written (default 2000 ms; readers treat rows as current while it is recent). */
  heartbeatMs?: number;
  maxInFlight?: number;
  maxPending?: number;
  /** A document client; by default one on the standard AWS configuration (AWS_ENDPOINT_URL_DYNAMODB locally). */
  doc?: DynamoDBDocumentClient;
}

export interface LatestQuotesMetrics {
  offered: number;
  writes: number;
  superseded: number;
  writeFailures: number;
  conflated: number;
  droppedPending: number;
  pending: number;
  heartbeats: number;
  heartbeatFailures: number;
}

/** The runtime subscriptions' view the heartbeat needs (runtime-subscriptions.ts statuses). */
export interface RuntimeSubscriptionStatuses {
  statuses(): { code: string; subType: string; state: string }[];
}

/** The environment variables main.ts reads (the CDK app sets them on the gateway task). */
export const LATEST_QUOTES_ENV = { table: 'LATEST_QUOTES_TABLE', intervalMs: 'RELAY_QUOTE_STORE_INTERVAL_MS' } as const;

/** The store's two writes: a security's change, and the heartbeat. */
class StoreWriter {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  /** 'superseded': the stored value is newer (a slower retried write lost to a later one), not an error. */
  async write(w: SecurityWrite, nowMs = Date.now()): Promise<'written' | 'superseded'> {
    try {
      await this.doc.send(new UpdateCommand({ TableName: this.tableName, ...securityUpdate(w, nowMs) }));
      return 'written';
    } catch (err) {
      if ((err as Error).name === 'ConditionalCheckFailedException') return 'superseded';
      throw err;
    }
  }

  async writeHeartbeat(h: Heartbeat): Promise<void> {
    await this.doc.send(new UpdateCommand({ TableName: this.tableName, ...heartbeatUpdate(h) }));
  }
}

export class LatestQuoteWriter {
  private readonly store: StoreWriter;
  private readonly pending = new Map<string, SecurityWrite>();
  private readonly lastWrite = new Map<string, number>();
  private inFlight = 0;
  /** Securities whose last write failed (and is waiting for its retry). */
  private readonly failing = new Set<string>();
  private readonly timer: NodeJS.Timeout;
  private readonly beat: NodeJS.Timeout;
  private stopped = false;
  readonly intervalMs: number;
  readonly metrics: LatestQuotesMetrics = { offered: 0, writes: 0, superseded: 0, writeFailures: 0, conflated: 0, droppedPending: 0, pending: 0, heartbeats: 0, heartbeatFailures: 0 };

  constructor(
    private readonly o: LatestQuotesOptions,
    private readonly subscriptions: readonly SubscriptionSpec[],
    private readonly live: () => boolean,
    private readonly log: Logger,
    /** Subscriptions added at runtime (GET/PUT /v1/subscriptions): their applied pairs count as subscribed too. */
    private readonly runtime?: RuntimeSubscriptionStatuses,
  ) {
    this.intervalMs = o.intervalMs ?? 1_000;
    // A DynamoDB that stops answering must not hold the in-flight slots forever: bounded requests, one retry.
    const doc =
      o.doc ??
      DynamoDBDocumentClient.from(new DynamoDBClient({ maxAttempts: 2, requestHandler: { requestTimeout: 3_000, connectionTimeout: 3_000, throwOnRequestTimeout: true } }), {
        marshallOptions: { removeUndefinedValues: true },
      });
    this.store = new StoreWriter(doc, o.tableName);
    // A tick every quarter interval keeps the delay of a write after its interval ends short.
    this.timer = setInterval(() => this.tick(), Math.max(10, Math.floor(this.intervalMs / 4)));
    this.timer.unref?.();
    this.beat = setInterval(() => void this.heartbeat(), o.heartbeatMs ?? 2_000);
    this.beat.unref?.();
  }

  /**
   * Records a push if it is a basic quote or an order book; returns at once (no I/O). `quotes`: the Quote details
   * already built from this push (quote-events.ts), in list order; without them they are built here.
   */
  offer(protoId: number, s2c: any, gatewayTime: string, nowMs = Date.now(), quotes?: readonly QuoteDetail[]): void {
    if (protoId === PROTO_ID.Qot_UpdateBasicQot) {
      const list = (quotes ?? ((s2c.basicQotList ?? []) as Qot_Common.BasicQot[]).map((q) => quoteDetail(q, gatewayTime))) as readonly QuoteDetail[];
      for (const d of list) this.put(d.security, { quote: { value: d as unknown as Record<string, unknown>, at: nowMs } });
    } else if (protoId === PROTO_ID.Qot_UpdateOrderBook) {
      const level = (l: Qot_Common.OrderBook | undefined) => (l ? { price: l.price, volume: Number(l.volume) } : undefined);
      const top: TopOfBook = { bid: level(s2c.orderBookBidList?.[0]), ask: level(s2c.orderBookAskList?.[0]) };
      this.put(securityKey(s2c.security), { orderBook: { value: top, at: nowMs } });
    }
  }

  private put(security: string, change: Omit<SecurityWrite, 'security'>): void {
    this.metrics.offered++;
    const was = this.pending.get(security);
    if (was) this.metrics.conflated++;
    this.pending.delete(security); // re-inserted last: the Map's order is oldest change first
    this.pending.set(security, { security, quote: change.quote ?? was?.quote, orderBook: change.orderBook ?? was?.orderBook });
    const max = this.o.maxPending ?? 10_000;
    while (this.pending.size > max) {
      const oldest = this.pending.keys().next().value as string;
      this.pending.delete(oldest);
      this.metrics.droppedPending++;
    }
    this.metrics.pending = this.pending.size;
  }

  /** Starts the writes that are due: one per security whose last write is at least an interval old. */
  private tick(now = Date.now()): void {
    if (this.stopped) return;
    const max = this.o.maxInFlight ?? 16;
    for (const [security, w] of this.pending) {
      if (this.inFlight >= max) break;
      if (now - (this.lastWrite.get(security) ?? -Infinity) < this.intervalMs) continue;
      this.pending.delete(security);
      this.lastWrite.set(security, now);
      this.inFlight++;
      void this.write(w);
    }
    this.metrics.pending = this.pending.size;
  }

  private async write(w: SecurityWrite): Promise<void> {
    try {
      const r = await this.store.write(w);
      if (r === 'written') this.metrics.writes++;
      else this.metrics.superseded++;
      this.failing.delete(w.security);
    } catch (err) {
      this.metrics.writeFailures++;
      this.failing.add(w.security);
      if (this.metrics.writeFailures === 1 || this.metrics.writeFailures % 100 === 0) {
        this.log.warn('latest-quote store write failed; the value is kept and retried (quotes only: order events are unaffected)', { security: w.security, failures: this.metrics.writeFailures, error: (err as Error).message });
      }
      // Retried on a later tick, merged under anything newer that arrived meanwhile.
      const newer = this.pending.get(w.security);
      if (!this.stopped) this.pending.set(w.security, { security: w.security, quote: newer?.quote ?? w.quote, orderBook: newer?.orderBook ?? w.orderBook });
    } finally {
      this.inFlight--;
      this.metrics.pending = this.pending.size;
    }
  }

  /** The codes the relay subscribes for each stored kind. */
  private subscribed(kind: 'BASIC' | 'ORDER_BOOK'): string[] {
    const configured = this.subscriptions.filter((s) => s.types.includes(kind)).flatMap((s) => s.codes);
    const runtime = (this.runtime?.statuses() ?? []).filter((p) => p.subType === kind && p.state === 'applied').map((p) => p.code);
    return [...new Set([...configured, ...runtime])].sort();
  }

  private async heartbeat(): Promise<void> {
    if (this.stopped || !this.live() || this.failing.size > 0) return;
    try {
      await this.store.writeHeartbeat({ at: Date.now(), intervalMs: this.intervalMs, subscribed: { BASIC: this.subscribed('BASIC'), ORDER_BOOK: this.subscribed('ORDER_BOOK') } });
      this.metrics.heartbeats++;
    } catch (err) {
      this.metrics.heartbeatFailures++;
      this.log.warn('latest-quote store heartbeat failed', { error: (err as Error).message });
    }
  }

  /** Stops the timers; pending values are written once more (bounded by `timeoutMs`), then dropped. */
  async stop(timeoutMs = 2_000): Promise<void> {
    clearInterval(this.timer);
    clearInterval(this.beat);
    const deadline = Date.now() + timeoutMs;
    const writes = [...this.pending.values()].map((w) => this.store.write(w).catch(() => undefined));
    this.pending.clear();
    this.stopped = true;
    await Promise.race([Promise.all(writes), new Promise((r) => setTimeout(r, Math.max(0, deadline - Date.now())).unref?.())]);
  }
}
