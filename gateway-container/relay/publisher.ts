// Batches events into PutEvents calls (≤ 10 entries, ≤ 256 KB), retries partial failures and throttling
// with backoff and jitter, and bounds its queue: trade and gateway events are never dropped, quote events
// coalesce per security and kind under pressure (every coalesced or dropped event is counted).
//
// Retries happen in one layer only, here: the EventBridge client must make one attempt per call
// (relayEventBridgeClient sets maxAttempts: 1); SDK retries underneath would multiply the attempts and hide
// the delays from the publisher's backoff and ordering.
//
// Errors retrying cannot fix (EventBridge's non-retryable PutEvents codes: a missing permission, a bus that does
// not exist, an entry it calls invalid) are counted (metrics.rejectedEntries, also in failedEntries) and logged
// as errors. A trade or gateway event refused that way is kept, not dropped — it is the record of an order — and
// offered again only every `rejectedRetryMs` (default 5 min), so that an operator who fixes the policy or the bus
// sees the events flow without a restart, while a broken setup is not hammered. A quote event refused that way
// is dropped (counted): it is worthless by the time the setup is fixed.
//
// With a publish policy (publish-policy.ts) market-data events pass a per-security rate gate before they are
// queued, so what EventBridge bills stays bounded; trade and gateway events never meet the gate.
import { EventBridgeClient, PutEventsCommand, type EventBridgeClientConfig, type PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import type { Logger } from '../../proto/client.js';
import { isCriticalDetailType } from '../../proto/events.js';
import type { PublishPolicy } from '../publish-policy-schema.js';
import { PublishGate, TypeRateMeter } from './publish-policy.js';

export const MAX_ENTRIES_PER_CALL = 10;
export const MAX_CALL_BYTES = 256 * 1024;

/**
 * Per-entry ErrorCodes that EventBridge documents as non-retryable (PutEventsResultEntry; the retryable ones are
 * InternalFailure and ThrottlingException).
 */
export const NON_RETRYABLE_ENTRY_CODES: ReadonlySet<string> = new Set([
  'AccessDeniedException',
  'InvalidAccountIdException',
  'InvalidArgument',
  'MalformedDetail',
  'RedactionFailure',
  'NotAuthorizedForSourceException',
  'NotAuthorizedForDetailTypeException',
]);

/**
 * Whole-call errors of PutEvents that a retry cannot fix: no permission (AccessDeniedException), a request
 * EventBridge calls invalid (ValidationException), a bus that does not exist (ResourceNotFoundException).
 * Everything else (throttling, InternalException, 5xx, network errors) is retried.
 */
export const NON_RETRYABLE_CALL_ERRORS: ReadonlySet<string> = new Set(['AccessDeniedException', 'ValidationException', 'ResourceNotFoundException']);

/** The relay's EventBridge client: one attempt per call, because the publisher is the retry layer. */
export function relayEventBridgeClient(config: EventBridgeClientConfig = {}): EventBridgeClient {
  return new EventBridgeClient({ ...config, maxAttempts: 1 });
}

export interface PublishInput {
  detailType: string;
  detail: unknown;
  /** Quote events with the same key replace each other under pressure (e.g. "Quote|HK.00700"). */
  coalesceKey?: string;
  time?: Date;
  /**
   * Events with the same key (e.g. "Order|<accId>|<orderId>") reach the bus in publish order: one of them is in
   * flight at a time, and a later one never overtakes an earlier one that waits for a retry.
   */
  orderingKey?: string;
  /** Called once the bus has accepted the entry (used for the relay's durable checkpoint). */
  onDelivered?: () => void;
}

export interface PublisherOptions {
  client: EventBridgeClient;
  eventBusName: string;
  source: string;
  /** Wait this long for a batch to fill before sending (default 20 ms). */
  lingerMs?: number;
  /** Quote events start coalescing at this queue depth (default 5,000). */
  highWaterMark?: number;
  /** Quote events are dropped beyond this depth when nothing can be coalesced (default 20,000). */
  maxQueued?: number;
  /** Concurrent PutEvents calls (default 4). */
  maxInFlight?: number;
  retryBaseMs?: number;
  retryMaxMs?: number;
  /** A trade or gateway event refused with a non-retryable error is offered again after this long (default 5 min). */
  rejectedRetryMs?: number;
  logger: Logger;
  now?: () => number;
  /** Market-data rates per DetailType and security (absent: every event is published). */
  policy?: PublishPolicy;
}

interface Pending {
  entry: PutEventsRequestEntry;
  bytes: number;
  critical: boolean;
  coalesceKey?: string;
  orderingKey?: string;
  onDelivered?: () => void;
  attempts: number;
  enqueuedAt: number;
  /** Not before this time (retry backoff). */
  notBefore: number;
}

export interface PublisherMetrics {
  eventsIn: number;
  eventsOut: number;
  batches: number;
  retries: number;
  failedEntries: number;
  /** Entries refused with a non-retryable error (also counted in failedEntries). */
  rejectedEntries: number;
  throttledCalls: number;
  coalesced: number;
  dropped: number;
  queueDepth: number;
  inFlight: number;
}

// AWS counts Source, DetailType, Detail, Resources (UTF-8) and 14 bytes for Time.
function entrySize(e: PutEventsRequestEntry): number {
  let n = 14;
  for (const s of [e.Source, e.DetailType, e.Detail, e.EventBusName]) if (s) n += Buffer.byteLength(s, 'utf8');
  for (const r of e.Resources ?? []) n += Buffer.byteLength(r, 'utf8');
  return n;
}

function jsonWithBigints(v: unknown): string {
  return JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? x.toString() : x));
}

export class EventPublisher {
  private readonly queue: Pending[] = [];
  private readonly byCoalesceKey = new Map<string, Pending>();
  /** Ordering keys with an entry in flight. */
  private readonly keysInFlight = new Set<string>();
  private readonly sends = new Set<Promise<void>>();
  private inFlight = 0;
  private timer: NodeJS.Timeout | null = null;
  private closed = false;
  private drainWaiters: (() => void)[] = [];
  private readonly latencies: number[] = [];
  private readonly gate: PublishGate<PublishInput> | undefined;
  /** Events the bus accepted, per DetailType: the rate over the last 10 s (/metrics, the local stack's live line). */
  readonly acceptedRate = new TypeRateMeter();
  /** Events the bus accepted, per DetailType, since start. */
  readonly acceptedByType: Record<string, number> = {};
  readonly metrics: PublisherMetrics = { eventsIn: 0, eventsOut: 0, batches: 0, retries: 0, failedEntries: 0, rejectedEntries: 0, throttledCalls: 0, coalesced: 0, dropped: 0, queueDepth: 0, inFlight: 0 };
  private readonly o: Required<Omit<PublisherOptions, 'client' | 'logger' | 'policy'>> & Pick<PublisherOptions, 'client' | 'logger' | 'policy'>;

  constructor(opts: PublisherOptions) {
    this.o = { lingerMs: 20, highWaterMark: 5_000, maxQueued: 20_000, maxInFlight: 4, retryBaseMs: 100, retryMaxMs: 10_000, rejectedRetryMs: 300_000, now: Date.now, ...opts };
    this.gate = opts.policy
      ? new PublishGate<PublishInput>({ policy: opts.policy, now: this.o.now, release: (input) => !this.closed && this.enqueue(input) })
      : undefined;
  }

  /** What the publish policy merged (conflated) or dropped (suppressed), per DetailType. */
  get policyMetrics() {
    return this.gate?.metrics ?? { conflated: {}, suppressed: {} };
  }

  /**
   * Enqueues one event. Never throws for trade events; quote events may be held, conflated or suppressed by the
   * publish policy, or coalesced or dropped under pressure (all counted).
   */
  publish(input: PublishInput): void {
    if (this.closed) throw new Error('publisher is closed');
    this.metrics.eventsIn++;
    if (this.gate && !isCriticalDetailType(input.detailType) && !this.gate.admit(input)) return;
    this.enqueue(input);
  }

  private enqueue(input: PublishInput): void {
    const entry: PutEventsRequestEntry = {
      EventBusName: this.o.eventBusName,
      Source: this.o.source,
      DetailType: input.detailType,
      Detail: jsonWithBigints(input.detail),
      Time: input.time ?? new Date(this.o.now()),
    };
    const critical = isCriticalDetailType(input.detailType);
    const bytes = entrySize(entry);
    if (bytes > MAX_CALL_BYTES) {
      this.metrics.dropped++;
      this.o.logger.error('event larger than 256 KB cannot be sent; dropped', { detailType: input.detailType, bytes });
      return;
    }
    const now = this.o.now();
    const key = critical ? undefined : input.coalesceKey;
    if (!critical && key && this.queue.length >= this.o.highWaterMark) {
      const existing = this.byCoalesceKey.get(key);
      if (existing && existing.attempts === 0) {
        existing.entry = entry;
        existing.bytes = bytes;
        this.metrics.coalesced++;
        return;
      }
    }
    if (!critical && this.queue.length >= this.o.maxQueued) {
      this.metrics.dropped++;
      return;
    }
    const p: Pending = { entry, bytes, critical, coalesceKey: key, orderingKey: input.orderingKey, onDelivered: input.onDelivered, attempts: 0, enqueuedAt: now, notBefore: 0 };
    this.queue.push(p);
    if (key) this.byCoalesceKey.set(key, p);
    this.metrics.queueDepth = this.queue.length;
    this.schedule();
  }

  private schedule(delay?: number): void {
    // Once closed nothing more is sent: what was still queued is re-derived from OpenD's lists by the next
    // relay (its checkpoint records only what the bus accepted).
    if (this.timer || this.closed) return;
    const wait = delay ?? (this.fullBatchReady() ? 0 : this.o.lingerMs);
    this.timer = setTimeout(() => {
      this.timer = null;
      this.pump();
    }, wait);
  }

  /** Whether a whole batch could go out now (stops counting at 10, whatever the queue's length). */
  private fullBatchReady(): boolean {
    const now = this.o.now();
    let ready = 0;
    for (const p of this.queue) if (p.notBefore <= now && ++ready >= MAX_ENTRIES_PER_CALL) return true;
    return false;
  }

  private takeBatch(): Pending[] {
    const now = this.o.now();
    const batch: Pending[] = [];
    let bytes = 0;
    // A key is blocked once an earlier entry with that key is in flight, waits for its retry or stays behind;
    // at most one entry per key per call, so that a partial failure cannot let a later one through first.
    const blocked = new Set<string>();
    for (let i = 0; i < this.queue.length && batch.length < MAX_ENTRIES_PER_CALL; ) {
      const p = this.queue[i]!;
      const k = p.orderingKey;
      if (k !== undefined && (blocked.has(k) || this.keysInFlight.has(k))) {
        i++;
        continue;
      }
      if (p.notBefore > now || bytes + p.bytes > MAX_CALL_BYTES) {
        if (k !== undefined) blocked.add(k);
        i++;
        continue;
      }
      this.queue.splice(i, 1);
      if (k !== undefined) {
        blocked.add(k);
        this.keysInFlight.add(k);
      }
      if (p.coalesceKey && this.byCoalesceKey.get(p.coalesceKey) === p) this.byCoalesceKey.delete(p.coalesceKey);
      batch.push(p);
      bytes += p.bytes;
    }
    this.metrics.queueDepth = this.queue.length;
    return batch;
  }

  private pump(): void {
    while (this.inFlight < this.o.maxInFlight) {
      const batch = this.takeBatch();
      if (batch.length === 0) break;
      this.inFlight++;
      this.metrics.inFlight = this.inFlight;
      const sending: Promise<void> = this.send(batch).finally(() => {
        this.inFlight--;
        this.metrics.inFlight = this.inFlight;
        this.sends.delete(sending);
        this.afterSend();
      });
      this.sends.add(sending);
    }
    if (this.queue.length > 0) {
      const now = this.o.now();
      let next = Infinity;
      // Entries whose key is in flight wait for that call to finish (afterSend schedules again).
      for (const p of this.queue) if (p.notBefore < next && !(p.orderingKey !== undefined && this.keysInFlight.has(p.orderingKey))) next = p.notBefore;
      if (next !== Infinity) this.schedule(next > now ? next - now : this.inFlight >= this.o.maxInFlight ? undefined : 0);
    }
    this.afterSend();
  }

  private afterSend(): void {
    if (this.queue.length === 0 && this.inFlight === 0) {
      for (const w of this.drainWaiters.splice(0)) w();
    } else if (this.queue.length > 0 && !this.timer) {
      this.schedule();
    }
  }

  private backoff(attempts: number): number {
    const base = Math.min(this.o.retryMaxMs, this.o.retryBaseMs * 2 ** Math.min(attempts - 1, 16));
    return Math.round(base / 2 + Math.random() * (base / 2));
  }

  private requeue(items: Pending[], delayMs?: number): void {
    const now = this.o.now();
    for (const p of items) {
      p.attempts++;
      p.notBefore = now + (delayMs ?? this.backoff(p.attempts));
      this.metrics.retries++;
    }
    // Retries go first so that an order's events keep their relative order as far as possible.
    this.queue.unshift(...items);
    this.metrics.queueDepth = this.queue.length;
  }

  /** Entries refused for a reason a retry cannot fix: trade/gateway events wait `rejectedRetryMs`, quotes are dropped. */
  private rejected(items: Pending[], codes: string[]): void {
    this.metrics.rejectedEntries += items.length;
    const kept = items.filter((p) => p.critical);
    const dropped = items.length - kept.length;
    this.metrics.dropped += dropped;
    this.o.logger.error('EventBridge refused events with an error retrying cannot fix (check the relay role\'s events:PutEvents permission and the bus)', {
      errorCodes: codes,
      refused: items.length,
      keptForRetry: kept.length,
      retryInMs: this.o.rejectedRetryMs,
      droppedQuoteEvents: dropped,
      detailTypes: [...new Set(items.map((p) => p.entry.DetailType))],
    });
    if (kept.length > 0) this.requeue(kept, this.o.rejectedRetryMs);
  }

  private async send(batch: Pending[]): Promise<void> {
    try {
      await this.sendOnce(batch);
    } finally {
      for (const p of batch) if (p.orderingKey !== undefined) this.keysInFlight.delete(p.orderingKey);
    }
  }

  private async sendOnce(batch: Pending[]): Promise<void> {
    this.metrics.batches++;
    let out;
    try {
      out = await this.o.client.send(new PutEventsCommand({ Entries: batch.map((p) => p.entry) }));
    } catch (err) {
      const e = err as { name?: string; message?: string; $metadata?: { httpStatusCode?: number } };
      if (e.name !== undefined && NON_RETRYABLE_CALL_ERRORS.has(e.name)) {
        this.metrics.failedEntries += batch.length;
        this.rejected(batch, [e.name]);
        return;
      }
      const throttled = e.name === 'ThrottlingException' || e.$metadata?.httpStatusCode === 429;
      if (throttled) this.metrics.throttledCalls++;
      this.o.logger.warn('PutEvents call failed; retrying the batch', { error: e.message ?? String(err), throttled, entries: batch.length });
      this.requeue(batch);
      return;
    }
    const failed: Pending[] = [];
    const refused: Pending[] = [];
    const refusedCodes = new Set<string>();
    const results = out.Entries ?? [];
    batch.forEach((p, i) => {
      const r = results[i];
      if (r?.ErrorCode && NON_RETRYABLE_ENTRY_CODES.has(r.ErrorCode)) {
        refused.push(p);
        refusedCodes.add(r.ErrorCode);
      } else if (!r || r.ErrorCode) {
        failed.push(p);
      } else {
        this.metrics.eventsOut++;
        const type = p.entry.DetailType ?? '';
        this.acceptedByType[type] = (this.acceptedByType[type] ?? 0) + 1;
        this.acceptedRate.add(type);
        this.recordLatency(this.o.now() - p.enqueuedAt);
        try {
          p.onDelivered?.();
        } catch (err) {
          this.o.logger.error('delivery callback failed', { error: (err as Error).message });
        }
      }
    });
    if (refused.length > 0) {
      this.metrics.failedEntries += refused.length;
      this.rejected(refused, [...refusedCodes]);
    }
    if (failed.length > 0) {
      this.metrics.failedEntries += failed.length;
      const codes = [...new Set(failed.map((_, i) => results[batch.indexOf(failed[i]!)]?.ErrorCode ?? 'missing result'))];
      this.o.logger.warn('PutEvents entries failed; retrying them', { failed: failed.length, of: batch.length, errorCodes: codes });
      this.requeue(failed);
    }
  }

  private recordLatency(ms: number): void {
    this.latencies.push(ms);
    if (this.latencies.length > 10_000) this.latencies.splice(0, this.latencies.length - 10_000);
  }

  resetLatency(): void {
    this.latencies.length = 0;
  }

  /** Push-to-PutEvents latency percentiles over the last 10,000 published events. */
  latencyPercentiles(): { p50: number; p99: number; count: number } {
    const s = [...this.latencies].sort((a, b) => a - b);
    const at = (q: number) => (s.length ? s[Math.min(s.length - 1, Math.floor(q * s.length))]! : 0);
    return { p50: at(0.5), p99: at(0.99), count: s.length };
  }

  /** Resolves when everything queued so far has been published (bounded by timeoutMs). */
  drain(timeoutMs = 30_000): Promise<boolean> {
    if (this.queue.length === 0 && this.inFlight === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const t = setTimeout(() => resolve(false), timeoutMs);
      this.drainWaiters.push(() => {
        clearTimeout(t);
        resolve(true);
      });
      if (!this.timer && this.inFlight === 0) this.schedule(0);
    });
  }

  async close(timeoutMs = 10_000): Promise<void> {
    if (this.closed) return;
    const ok = await this.drain(timeoutMs);
    this.closed = true;
    this.gate?.close();
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    // Calls already sent finish (accepted or not) before close returns, so the relay's last checkpoint knows
    // their outcome and no event is accepted by the bus after the relay stopped.
    await Promise.allSettled([...this.sends]);
    if (!ok) this.o.logger.error('publisher closed with events still queued', { queued: this.queue.length });
  }
}
