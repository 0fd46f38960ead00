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
//
// Throughput (npm run bench:relay): the per-event path does no work that grows with the queue. The queue is an
// array with a moving head (taking the next batch looks at its first entries only; an entry taken from the
// middle leaves a hole that the head skips), a full batch goes out at once instead of waiting out the linger
// (and a call that finishes with a full batch waiting sends it straight away), while a partial batch after
// the first call of a round waits for more events or the linger, so that calls stay full under load; a
// detail is serialized once (JSON.stringify without a replacer unless it holds a bigint) and, with the relay's
// client, the whole entry too, so a call's body is the join of its entries' JSON (put-events-body.ts) instead of
// the SDK's per-character writer, sent by put-events-call.ts (the SDK's signer and handler without its per-call
// middleware); latencies go to a fixed ring. DEFAULT_MAX_IN_FLIGHT calls are in flight at a time; an ordering
// key still has at most one entry in flight. The next wake-up is the earliest one needed: new events never wait
// behind the backoff of entries that failed.
import { EventBridgeClient, PutEventsCommand, type EventBridgeClientConfig } from '@aws-sdk/client-eventbridge';
import type { Logger } from '../../proto/client.js';
import { isCriticalDetailType } from '../../proto/events.js';
import type { PublishPolicy } from '../publish-policy-schema.js';
import { PublishGate, TypeRateMeter } from './publish-policy.js';
import { LatencyRing } from './latency-ring.js';
import { detailJson, entryJson, entryJsonWithLiteral, installPreparedBodies, jsonString, putEventsBody, supportsPreparedBodies } from './put-events-body.js';
import { putEventsCall } from './put-events-call.js';

export const MAX_ENTRIES_PER_CALL = 10;
export const MAX_CALL_BYTES = 256 * 1024;
/**
 * Concurrent PutEvents calls by default (publisher.maxInFlight). A measured choice (npm run bench:relay, the
 * in-flight rows): with each call taking a remote round trip of 25 ms, the relay carried about 1,500 events/s with
 * 4 calls in flight (the old default; each call at most 10 entries, so 4 × 10 / 25 ms = 1,600/s at best), and
 * about 8,000–11,000 with 32; the CPU per push stayed the same or fell. Market data without a publish policy runs
 * to thousands of events per second (3,840/s for 100 securities' quotes and tickers in the cost rows), so 4 calls
 * could not carry it from AWS. 32 stays below the SDK's default pool of 50 sockets per client, and an order still
 * has at most one entry in flight (orderingKey), so more calls never reorder an order's events.
 */
export const DEFAULT_MAX_IN_FLIGHT = 32;

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

/**
 * The relay's EventBridge client: one attempt per call, because the publisher is the retry layer. It takes request
 * bodies the publisher prepared (put-events-body.ts), installed here before any call. The publisher's first call
 * goes through client.send; later calls go through put-events-call.ts with this client's signer and handler, and
 * only a request that record cannot reproduce keeps using client.send, whose middleware stack is then resolved
 * once and reused (the SDK's cacheMiddleware; the relay never changes the stack after the first call).
 */
export function relayEventBridgeClient(config: EventBridgeClientConfig = {}): EventBridgeClient {
  const client = new EventBridgeClient({ cacheMiddleware: true, ...config, maxAttempts: 1 });
  installPreparedBodies(client);
  return client;
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
  /**
   * Writes `detail` as the JSON string literal of its JSON in one pass (detail-literals.ts; must equal
   * JSON.stringify(JSON.stringify(detail))). Used for prepared bodies only; absent, the detail is serialized twice.
   */
  detailLiteral?(detail: never): string;
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
  /** Concurrent PutEvents calls (default DEFAULT_MAX_IN_FLIGHT). */
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
  detailType: string;
  /** The Detail as JSON, serialized once; only kept for a client that takes the SDK's entries (else in `json`). */
  detail: string | undefined;
  /** The entry's Time (ms since the epoch). */
  timeMs: number;
  /** The whole entry as JSON (put-events-body.ts), when the client takes prepared bodies. */
  json: string | undefined;
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

// AWS counts Source, DetailType, Detail, Resources (UTF-8) and 14 bytes for Time. The relay sets no Resources;
// Source and EventBusName are the same for every entry, so their part is computed once (`fixedBytes`).
const utf8Bytes = (s: string | undefined): number => (s ? Buffer.byteLength(s, 'utf8') : 0);

type TimerKind = 'linger' | 'retry' | 'now';

export class EventPublisher {
  /**
   * The queue, oldest first, from `head` on. An entry taken from the middle (its ordering key was free while an
   * earlier one's was not) becomes a hole; the head moves past holes, and the array is compacted when the dead
   * part at its front outgrows the live part. Slots before `head` are always empty (retries go there).
   */
  private items: (Pending | undefined)[] = [];
  private head = 0;
  /** Entries queued (holes not counted). */
  private size = 0;
  private readonly byCoalesceKey = new Map<string, Pending>();
  /** Ordering keys with an entry in flight. */
  private readonly keysInFlight = new Set<string>();
  private readonly sends = new Set<Promise<void>>();
  private inFlight = 0;
  /** The one pending wake-up of pump(): what it waits for, and when it is due. */
  private wake: { kind: TimerKind; at: number; handle: NodeJS.Timeout | NodeJS.Immediate } | null = null;
  private closed = false;
  private drainWaiters: (() => void)[] = [];
  private readonly latencies = new LatencyRing(10_000);
  /** The bytes every entry counts for Source, EventBusName and Time (entry size without DetailType and Detail). */
  private readonly fixedBytes: number;
  /** Per DetailType: its UTF-8 size and its JSON string literal (both computed once). */
  private readonly types = new Map<string, { bytes: number; json: string }>();
  /** Whether calls go out as prepared bodies (relayEventBridgeClient), else as the SDK's entries. */
  private readonly prepared: boolean;
  private readonly sourceJson: string;
  private readonly busJson: string;
  private readonly gate: PublishGate<PublishInput> | undefined;
  /** Events the bus accepted, per DetailType: the rate over the last 10 s (/metrics, the local stack's live line). */
  readonly acceptedRate = new TypeRateMeter();
  /** Events the bus accepted, per DetailType, since start. */
  readonly acceptedByType: Record<string, number> = {};
  readonly metrics: PublisherMetrics = { eventsIn: 0, eventsOut: 0, batches: 0, retries: 0, failedEntries: 0, rejectedEntries: 0, throttledCalls: 0, coalesced: 0, dropped: 0, queueDepth: 0, inFlight: 0 };
  private readonly o: Required<Omit<PublisherOptions, 'client' | 'logger' | 'policy'>> & Pick<PublisherOptions, 'client' | 'logger' | 'policy'>;

  constructor(opts: PublisherOptions) {
    this.o = { lingerMs: 20, highWaterMark: 5_000, maxQueued: 20_000, maxInFlight: DEFAULT_MAX_IN_FLIGHT, retryBaseMs: 100, retryMaxMs: 10_000, rejectedRetryMs: 300_000, now: Date.now, ...opts };
    this.fixedBytes = 14 + utf8Bytes(this.o.source) + utf8Bytes(this.o.eventBusName);
    this.prepared = supportsPreparedBodies(opts.client);
    this.sourceJson = jsonString(this.o.source);
    this.busJson = jsonString(this.o.eventBusName);
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
    const detailType = input.detailType;
    // With prepared bodies and a one-pass writer, the Detail is written once, already escaped for the entry.
    const literal = this.prepared && input.detailLiteral !== undefined ? (input.detailLiteral as (d: unknown) => string)(input.detail) : undefined;
    const detail = literal === undefined ? detailJson(input.detail) : undefined;
    const now = this.o.now();
    const timeMs = input.time ? input.time.getTime() : now;
    const critical = isCriticalDetailType(detailType);
    let type = this.types.get(detailType);
    if (type === undefined) this.types.set(detailType, (type = { bytes: utf8Bytes(detailType), json: jsonString(detailType) }));
    // The entry's JSON is written here, once: a call's body is then the join of its entries' JSON.
    const json = literal !== undefined ? entryJsonWithLiteral(timeMs, this.sourceJson, type.json, literal, this.busJson) : this.prepared ? entryJson(timeMs, this.sourceJson, type.json, detail!, this.busJson) : undefined;
    // From a literal, the Detail is sized by its whole entry's UTF-8 size (an upper bound: the entry holds the
    // Detail escaped, plus a few fixed members), and that scan also flattens the entry: the literal is a tree of
    // concatenations, and a queued entry left so costs about twice the CPU in garbage collection (measured).
    const bytes = this.fixedBytes + type.bytes + (literal === undefined ? utf8Bytes(detail) : utf8Bytes(json));
    if (bytes > MAX_CALL_BYTES) {
      this.metrics.dropped++;
      this.o.logger.error('event larger than 256 KB cannot be sent; dropped', { detailType, bytes });
      return;
    }
    const sdkDetail = json === undefined ? detail : undefined; // a queued event holds its JSON once
    const key = critical ? undefined : input.coalesceKey;
    if (!critical && key && this.size >= this.o.highWaterMark) {
      const existing = this.byCoalesceKey.get(key);
      if (existing && existing.attempts === 0) {
        existing.detailType = detailType;
        existing.detail = sdkDetail;
        existing.timeMs = timeMs;
        existing.json = json;
        existing.bytes = bytes;
        this.metrics.coalesced++;
        return;
      }
    }
    if (!critical && this.size >= this.o.maxQueued) {
      this.metrics.dropped++;
      return;
    }
    const p: Pending = { detailType, detail: sdkDetail, timeMs, json, bytes, critical, coalesceKey: key, orderingKey: input.orderingKey, onDelivered: input.onDelivered, attempts: 0, enqueuedAt: now, notBefore: 0 };
    this.items.push(p);
    this.size++;
    if (key) this.byCoalesceKey.set(key, p);
    this.metrics.queueDepth = this.size;
    this.schedule();
  }

  /**
   * Makes sure pump() runs when something may be sent: at once when a whole batch is ready, after the linger
   * otherwise, or after `delay` (a retry's backoff). The earliest wake-up wins: new events do not wait out the
   * backoff of entries that failed (those are skipped by takeBatch until they are due).
   */
  private schedule(delay?: number): void {
    // Once closed nothing more is sent: what was still queued is re-derived from OpenD's lists by the next
    // relay (its checkpoint records only what the bus accepted).
    if (this.closed || this.wake?.kind === 'now') return;
    // With every call slot busy, the next call to finish schedules again (afterSend).
    if (delay === undefined && this.inFlight >= this.o.maxInFlight) return;
    // While someone waits for the queue to drain (flush, close), nothing lingers.
    const wait = Math.max(0, delay ?? (this.drainWaiters.length > 0 || this.fullBatchReady() ? 0 : this.o.lingerMs));
    const at = this.o.now() + wait;
    if (this.wake) {
      if (this.wake.at <= at) return;
      this.cancelWake();
    }
    const run = () => {
      this.wake = null;
      this.pump();
    };
    // setImmediate, not setTimeout(0): a timer waits at least 1 ms, an immediate runs once the pushes already
    // read from the socket are queued, so they leave in as few calls as possible.
    this.wake = wait === 0 ? { kind: 'now', at, handle: setImmediate(run) } : { kind: delay === undefined ? 'linger' : 'retry', at, handle: setTimeout(run, wait) };
  }

  private cancelWake(): void {
    if (!this.wake) return;
    if (this.wake.kind === 'now') clearImmediate(this.wake.handle as NodeJS.Immediate);
    else clearTimeout(this.wake.handle as NodeJS.Timeout);
    this.wake = null;
  }

  /** Whether a whole batch could go out now, judged on the queue's first 64 slots (a bounded cost per event). */
  private fullBatchReady(): boolean {
    const now = this.o.now();
    let ready = 0;
    const end = Math.min(this.items.length, this.head + 64);
    for (let i = this.head; i < end; i++) {
      const p = this.items[i];
      if (p !== undefined && p.notBefore <= now && ++ready >= MAX_ENTRIES_PER_CALL) return true;
    }
    return false;
  }

  private takeBatch(): Pending[] {
    const now = this.o.now();
    const batch: Pending[] = [];
    let bytes = 0;
    // A key is blocked once an earlier entry with that key is in flight, waits for its retry or stays behind;
    // at most one entry per key per call, so that a partial failure cannot let a later one through first.
    let blocked: Set<string> | undefined;
    const items = this.items;
    for (let i = this.head; i < items.length && batch.length < MAX_ENTRIES_PER_CALL; i++) {
      const p = items[i];
      if (p === undefined) continue;
      const k = p.orderingKey;
      if (k !== undefined && (blocked?.has(k) || this.keysInFlight.has(k))) continue;
      if (p.notBefore > now || bytes + p.bytes > MAX_CALL_BYTES) {
        if (k !== undefined) (blocked ??= new Set()).add(k);
        continue;
      }
      items[i] = undefined;
      this.size--;
      if (k !== undefined) {
        (blocked ??= new Set()).add(k);
        this.keysInFlight.add(k);
      }
      if (p.coalesceKey && this.byCoalesceKey.get(p.coalesceKey) === p) this.byCoalesceKey.delete(p.coalesceKey);
      batch.push(p);
      bytes += p.bytes;
    }
    this.advanceHead();
    this.metrics.queueDepth = this.size;
    return batch;
  }

  private advanceHead(): void {
    const items = this.items;
    while (this.head < items.length && items[this.head] === undefined) this.head++;
    if (this.size === 0) {
      this.items = [];
      this.head = 0;
    } else if (this.head > 1024 && this.head * 2 > items.length) {
      this.items = items.slice(this.head);
      this.head = 0;
    }
  }

  private pump(): void {
    let held = false;
    for (let sent = 0; this.inFlight < this.o.maxInFlight; sent++) {
      // After a first call, a partial batch waits for more events or the linger: under load that keeps calls
      // full (what EventBridge's PutEvents quota counts), and at a steady rate the next burst fills it.
      if (sent > 0 && this.drainWaiters.length === 0 && !this.fullBatchReady()) {
        held = true;
        break;
      }
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
    if (held) {
      this.schedule();
    } else if (this.size > 0 && this.inFlight < this.o.maxInFlight) {
      // Nothing else can go now: the rest waits for a retry time, or for its key's call to finish (afterSend
      // pumps then). Only the first queued entry of a key decides when that key can move.
      const now = this.o.now();
      let next = Infinity;
      const seen = new Set<string>();
      for (let i = this.head; i < this.items.length; i++) {
        const p = this.items[i];
        if (p === undefined) continue;
        const k = p.orderingKey;
        if (k !== undefined) {
          if (seen.has(k) || this.keysInFlight.has(k)) continue;
          seen.add(k);
        }
        if (p.notBefore < next) next = p.notBefore;
      }
      if (next !== Infinity) this.schedule(next - now);
    }
    this.resolveDrainWaiters();
  }

  private afterSend(): void {
    this.resolveDrainWaiters();
    if (this.size === 0) return;
    // A freed slot and a whole batch waiting: send it now rather than on the next turn of the event loop (an
    // endpoint that answers fast would otherwise get one round of calls per turn).
    if (!this.closed && this.inFlight < this.o.maxInFlight && this.fullBatchReady()) this.pump();
    else this.schedule();
  }

  private resolveDrainWaiters(): void {
    if (this.size === 0 && this.inFlight === 0) for (const w of this.drainWaiters.splice(0)) w();
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
    // Retries go first so that an order's events keep their relative order as far as possible: into the empty
    // slots before the head when there is room, else in front of a compacted copy.
    if (this.head >= items.length) {
      this.head -= items.length;
      for (let i = 0; i < items.length; i++) this.items[this.head + i] = items[i];
    } else {
      this.items = items.concat(this.items.slice(this.head).filter((p) => p !== undefined));
      this.head = 0;
    }
    this.size += items.length;
    this.metrics.queueDepth = this.size;
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
      detailTypes: [...new Set(items.map((p) => p.detailType))],
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
      // Prepared bodies go through the relay's lean PutEvents call (put-events-call.ts), other clients through send.
      out = this.prepared ? await putEventsCall(this.o.client).send(putEventsBody(batch.map((p) => p.json!))) : await this.o.client.send(this.command(batch));
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
    const now = this.o.now();
    // Accepted entries are counted per run of one DetailType (a batch is mostly one type): one rate-meter update
    // per run, not per entry.
    let runType = '';
    let run = 0;
    for (let i = 0; i < batch.length; i++) {
      const p = batch[i]!;
      const r = results[i];
      if (r?.ErrorCode && NON_RETRYABLE_ENTRY_CODES.has(r.ErrorCode)) {
        refused.push(p);
        refusedCodes.add(r.ErrorCode);
      } else if (!r || r.ErrorCode) {
        failed.push(p);
      } else {
        this.metrics.eventsOut++;
        if (p.detailType !== runType) {
          this.countAccepted(runType, run);
          runType = p.detailType;
          run = 0;
        }
        run++;
        this.latencies.add(now - p.enqueuedAt);
        if (p.onDelivered !== undefined) {
          try {
            p.onDelivered();
          } catch (err) {
            this.o.logger.error('delivery callback failed', { error: (err as Error).message });
          }
        }
      }
    }
    this.countAccepted(runType, run);
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

  /** The PutEvents command for a batch, with the SDK's entries (for a client without prepared bodies). */
  private command(batch: Pending[]): PutEventsCommand {
    const bus = this.o.eventBusName;
    const source = this.o.source;
    return new PutEventsCommand({ Entries: batch.map((p) => ({ EventBusName: bus, Source: source, DetailType: p.detailType, Detail: p.detail, Time: new Date(p.timeMs) })) });
  }

  private countAccepted(type: string, n: number): void {
    if (n === 0) return;
    this.acceptedByType[type] = (this.acceptedByType[type] ?? 0) + n;
    this.acceptedRate.add(type, n);
  }

  resetLatency(): void {
    this.latencies.clear();
  }

  /** Push-to-PutEvents latency percentiles over the last 10,000 published events. */
  latencyPercentiles(): { p50: number; p99: number; count: number } {
    const s = this.latencies.sorted();
    const at = (q: number) => (s.length ? s[Math.min(s.length - 1, Math.floor(q * s.length))]! : 0);
    return { p50: at(0.5), p99: at(0.99), count: s.length };
  }

  /** Resolves when everything queued so far has been published (bounded by timeoutMs). */
  drain(timeoutMs = 30_000): Promise<boolean> {
    if (this.size === 0 && this.inFlight === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const t = setTimeout(() => resolve(false), timeoutMs);
      this.drainWaiters.push(() => {
        clearTimeout(t);
        resolve(true);
      });
      this.schedule(0);
    });
  }

  async close(timeoutMs = 10_000): Promise<void> {
    if (this.closed) return;
    const ok = await this.drain(timeoutMs);
    this.closed = true;
    this.gate?.close();
    this.cancelWake();
    // Calls already sent finish (accepted or not) before close returns, so the relay's last checkpoint knows
    // their outcome and no event is accepted by the bus after the relay stopped.
    await Promise.allSettled([...this.sends]);
    if (!ok) this.o.logger.error('publisher closed with events still queued', { queued: this.size });
  }
}
