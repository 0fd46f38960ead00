// The relay's runtime quote subscriptions: it reads the `subscriptions` table (written by the subscriptions
// function, functions/lib/subscription-store.ts) every `pollMs` and makes its OpenD connection hold exactly
// the deploy-time set (RELAY_SUBSCRIPTIONS, subscribed by the relay's own step) plus what the table lists.
//
// Why polling and not an event: the table holds a few hundred items at most and one Query every 5 s costs
// about 17,000 read requests a day (under $0.01 on demand); an event path would need a stream or a rule, a
// target and a permission, and still a full re-read after every reconnect. Polling also heals by itself: a
// failed read or apply is simply done again at the next tick.
//
// Futu's rules followed here:
// - "You can unsubscribe after you subscribe for at least one minute" (Futu OpenAPI Q&A, Quote, Q2): a pair
//   taken off the table is unsubscribed once this connection has held it a full minute (`pending-minute-rule`
//   until then, retried at every poll).
// - Subscriptions belong to a connection: after a reconnect OpenD holds nothing of ours, so everything is applied
//   again; after a relay restart the table is read again. The table is the truth.
//
// Invariants:
// - A pair of the deploy-time set is never unsubscribed here.
// - Each pair has one status: applied / pending / pending-minute-rule / refused (with OpenD's reason).
// - Nothing here blocks order updates: it starts only once the trade session is up (`ready()`), and a failure is
//   logged and reported in the status, never thrown into the relay.
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { Logger, OpenDClient } from '../../proto/client.js';
import type { QuoteApi, SubTypeName } from '../../proto/api/quotes.js';
import type { SubscriptionSpec } from './relay.js';

/** Environment of the relay process (main.ts): the table name, and the poll interval. */
export const RUNTIME_SUBSCRIPTIONS_ENV = { table: 'SUBSCRIPTIONS_TABLE', pollMs: 'RELAY_SUBSCRIPTIONS_POLL_MS' } as const;
/** Futu: a subscription can be cancelled only after one minute. */
export const MIN_HOLD_MS = 60_000;

export interface DesiredPair {
  code: string;
  subType: SubTypeName;
}

export type PairState = 'applied' | 'pending' | 'pending-minute-rule' | 'refused';

export interface PairStatus extends DesiredPair {
  state: PairState;
  /** Why OpenD refused it (state refused), or what the relay waits for. */
  reason?: string;
  /** When this connection subscribed it (ISO). */
  since?: string;
  /** pending-minute-rule: when it will be unsubscribed. */
  unsubscribeAt?: string;
}

export interface RuntimeSubscriptionsOptions {
  /** Where the desired set comes from; `tableReader(name)` in the relay process. */
  read: () => Promise<DesiredPair[]>;
  /** Poll interval (default 5 s). */
  pollMs?: number;
  /** Injected in tests that drive time; defaults to Date.now. */
  now?: () => number;
  minHoldMs?: number;
}

const key = (p: DesiredPair) => `${p.code}|${p.subType}`;

/** Reads the runtime set with one Query of the one partition (the item format of functions/lib/subscription-store.ts). */
export function tableReader(tableName: string, doc = DynamoDBDocumentClient.from(new DynamoDBClient({}))): () => Promise<DesiredPair[]> {
  return async () => {
    const out: DesiredPair[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const r = await doc.send(
        new QueryCommand({ TableName: tableName, KeyConditionExpression: '#s = :s', ExpressionAttributeNames: { '#s': 'scope' }, ExpressionAttributeValues: { ':s': 'relay' }, ExclusiveStartKey: start }),
      );
      for (const i of r.Items ?? []) out.push({ code: String(i['code']), subType: String(i['subType']) as SubTypeName });
      start = r.LastEvaluatedKey;
    } while (start);
    return out;
  };
}

export class RuntimeSubscriptions {
  /** Pairs this connection holds because of the table, with when it subscribed them. */
  private readonly held = new Map<string, { pair: DesiredPair; since: number }>();
  private readonly status = new Map<string, PairStatus>();
  private readonly base: Set<string>;
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private stopped = false;
  readonly metrics = { polls: 0, pollFailures: 0, subscribed: 0, unsubscribed: 0, refused: 0 };
  lastError: string | undefined;

  constructor(
    private readonly o: RuntimeSubscriptionsOptions,
    private readonly quotes: QuoteApi,
    client: OpenDClient,
    base: readonly SubscriptionSpec[],
    /** True once the trade session and the deploy-time subscriptions are set up on the current connection. */
    private readonly ready: () => boolean,
    private readonly log: Logger,
  ) {
    this.base = new Set(base.flatMap((s) => s.codes.flatMap((code) => s.types.map((subType) => key({ code, subType })))));
    // A new connection holds nothing: everything is applied again at the next poll.
    client.on('disconnected', () => {
      this.held.clear();
      for (const s of this.status.values()) if (s.state !== 'pending-minute-rule') Object.assign(s, { state: 'pending', reason: 'reconnecting to OpenD', since: undefined });
      for (const [k, s] of this.status) if (s.state === 'pending-minute-rule') this.status.delete(k);
    });
  }

  private now(): number {
    return (this.o.now ?? Date.now)();
  }

  start(): void {
    if (this.timer || this.stopped) return;
    this.timer = setInterval(() => void this.poll(), this.o.pollMs ?? 5_000);
    this.timer.unref?.();
    void this.poll();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** Every pair of the table (and every one still held after leaving it), by state. */
  statuses(): PairStatus[] {
    return [...this.status.values()].map((s) => ({ ...s }));
  }

  /** One read and apply (concurrent calls share the run in progress). */
  poll(): Promise<void> {
    if (this.stopped || !this.ready()) return Promise.resolve();
    this.running ??= this.pollOnce().finally(() => (this.running = null));
    return this.running;
  }

  private async pollOnce(): Promise<void> {
    this.metrics.polls++;
    let desired: DesiredPair[];
    try {
      desired = (await this.o.read()).filter((p) => !this.base.has(key(p)));
    } catch (err) {
      this.metrics.pollFailures++;
      this.lastError = `reading the subscriptions table failed: ${(err as Error).message}`;
      this.log.warn('runtime subscriptions: reading the table failed; retrying at the next poll', { error: (err as Error).message });
      return;
    }
    this.lastError = undefined;
    const wanted = new Map(desired.map((p) => [key(p), p]));
    // Pairs refused (or waiting) and then taken off the table are forgotten.
    for (const [k, s] of this.status) if (!wanted.has(k) && !this.held.has(k)) this.status.delete(k);
    for (const [k, p] of wanted) if (!this.status.has(k)) this.status.set(k, { ...p, state: 'pending' });
    await this.subscribeMissing([...wanted.values()].filter((p) => !this.held.has(key(p))));
    await this.unsubscribeDropped([...this.held.values()].filter((h) => !wanted.has(key(h.pair))));
  }

  /** One Qot_Sub per SubType; when OpenD refuses a batch, each code alone, so one bad pair cannot hold up the rest. */
  private async subscribeMissing(pairs: DesiredPair[]): Promise<void> {
    const byType = new Map<SubTypeName, string[]>();
    for (const p of pairs) byType.set(p.subType, [...(byType.get(p.subType) ?? []), p.code]);
    for (const [subType, codes] of byType) {
      if (!this.ready()) return;
      try {
        await this.quotes.subscribe(codes, [subType], { push: true, firstPush: true });
        for (const code of codes) this.applied({ code, subType });
      } catch (err) {
        if (codes.length === 1) this.refused({ code: codes[0]!, subType }, err as Error);
        else {
          for (const code of codes) {
            try {
              await this.quotes.subscribe([code], [subType], { push: true, firstPush: true });
              this.applied({ code, subType });
            } catch (e) {
              this.refused({ code, subType }, e as Error);
            }
          }
        }
      }
    }
  }

  private applied(pair: DesiredPair): void {
    const since = this.now();
    this.held.set(key(pair), { pair, since });
    this.status.set(key(pair), { ...pair, state: 'applied', since: new Date(since).toISOString() });
    this.metrics.subscribed++;
    this.log.info('runtime subscription applied', { code: pair.code, subType: pair.subType });
  }

  private refused(pair: DesiredPair, err: Error): void {
    const was = this.status.get(key(pair));
    this.status.set(key(pair), { ...pair, state: 'refused', reason: err.message });
    if (was?.state !== 'refused' || was.reason !== err.message) {
      this.metrics.refused++;
      // Said once per reason, not at every poll; the status keeps it for /subscriptions.
      this.log.error('runtime subscription refused by OpenD; retrying at every poll', { code: pair.code, subType: pair.subType, error: err.message });
    }
  }

  private async unsubscribeDropped(dropped: { pair: DesiredPair; since: number }[]): Promise<void> {
    const minHold = this.o.minHoldMs ?? MIN_HOLD_MS;
    const now = this.now();
    for (const h of dropped) {
      const k = key(h.pair);
      if (now - h.since < minHold) {
        this.status.set(k, { ...h.pair, state: 'pending-minute-rule', since: new Date(h.since).toISOString(), unsubscribeAt: new Date(h.since + minHold).toISOString(), reason: 'Futu allows an unsubscribe only after one minute' });
        continue;
      }
      if (!this.ready()) return;
      try {
        await this.quotes.unsubscribe([h.pair.code], [h.pair.subType]);
        this.held.delete(k);
        this.status.delete(k);
        this.metrics.unsubscribed++;
        this.log.info('runtime subscription removed', { code: h.pair.code, subType: h.pair.subType });
      } catch (err) {
        // OpenD's clock may run a little behind ours: kept and tried again at the next poll.
        this.status.set(k, { ...h.pair, state: 'pending-minute-rule', since: new Date(h.since).toISOString(), reason: (err as Error).message });
      }
    }
  }
}
