// The relay: the one long-lived OpenD connection that holds subscriptions, trade-push registration and the
// OpenD-wide unlock, and turns every push into an EventBridge event. After any reconnect it sets everything
// up again and reconciles orders and fills against OpenD's lists, so no order update is lost or repeated.
//
// Invariants:
// - Trade pushes (Trd_SubAccPush for every account) and reconciliation come first in every session and depend on
//   nothing else: the unlock and the quote subscriptions run afterwards as independent steps (side-steps.ts)
//   whose failures are reported (/readyz, Gateway Notice) but never hold up order updates.
// - Events of one order reach the bus in the order they were published (the publisher's ordering key).
// - With a checkpoint file, what the bus accepted is kept on disk (checkpoint.ts); after a restart or an outage
//   of any length reconciliation reads the history lists from the checkpoint's horizon on, so trade events that
//   were queued in memory when the process died are published again.
// - EventBridge retries live in the publisher alone; `eventBridge` must be a one-attempt client
//   (relayEventBridgeClient). When EventBridge refuses events for a reason a retry cannot fix (AccessDenied,
//   NotAuthorizedForSource/DetailType, a missing bus, an entry it calls invalid), an operator wants three
//   things: to be told loudly (an error log line and the PutEventsFailedEntries metric, whose alarm fires), to
//   lose no trade event (they stay queued and in the checkpoint's "not yet accepted" set, so even a restart
//   re-publishes them), and to have them flow on their own once the role or bus is fixed. So refused trade and
//   gateway events are offered again every 5 minutes (publisher.rejectedRetryMs), not in a tight loop, and
//   refused quote events are dropped and counted, since a quote is stale long before anyone fixes IAM.
import type { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { OpenDClient, type Logger, type PushEvent, type ReconnectPolicy } from '../../proto/client.js';
import { QuoteApi, type SubTypeName } from '../../proto/api/quotes.js';
import { TradeApi, type AccountRef } from '../../proto/api/trading.js';
import { DerivativesApi } from '../../proto/api/derivatives.js';
import { enumName } from '../../proto/enums.js';
import { DETAIL_TYPES, fillDetail, notifyEvent, orderDetail, RELAY_NOTICE_TYPES, type FillDetail, type OrderDetail, type QuoteDetail } from '../../proto/events.js';
import * as Common from '../../proto/generated/Common.js';
import * as Notify from '../../proto/generated/Notify.js';
import * as Trd_Common from '../../proto/generated/Trd_Common.js';
import { DeliveryLedger } from './delivery-ledger.js';
import { LoginPictureWatcher, withLoginPicture } from './login-challenge.js';
import { orderKey, OrderTracker } from './order-tracker.js';
import { EventPublisher } from './publisher.js';
import { quotePushEvents } from './quote-events.js';
import { priceAlertSyncStep, type PriceAlertSpec } from './price-alerts-sync.js';
import { priceReminderEvent } from './price-reminder-events.js';
import { historyNeeded, reconcileAccounts } from './reconcile.js';
import { RetryingStep } from './side-steps.js';
import { RuntimeSubscriptions, type RuntimeSubscriptionsOptions } from './runtime-subscriptions.js';
import type { PublishPolicy } from '../publish-policy-schema.js';
import { LatestQuoteWriter, type LatestQuotesOptions } from './latest-quotes.js';
import { PROTO_ID } from '../../proto/registry.js';
import '../../proto/all-codecs.js'; // the relay decodes every push OpenD may send

export interface SubscriptionSpec {
  codes: string[];
  types: SubTypeName[];
}

export interface RelayOptions {
  openD: { host: string; port: number; rsaPrivateKey?: string; clientId?: string; requestTimeoutMs?: number };
  reconnect?: ReconnectPolicy;
  subscriptions: SubscriptionSpec[];
  /** MD5 of the trade password (REAL accounts are unlocked OpenD-wide when set). */
  tradePasswordMd5?: string;
  eventBridge: EventBridgeClient;
  eventBusName: string;
  source?: string;
  publisher?: { lingerMs?: number; highWaterMark?: number; maxQueued?: number; maxInFlight?: number; retryBaseMs?: number; retryMaxMs?: number; rejectedRetryMs?: number };
  /** Delay before retrying a session setup that failed while connected (default 2 s). */
  setupRetryMs?: number;
  /** Rejected unlocks before giving up (default 3) and the first backoff (default 5 s, doubling, ≤ 5 min). */
  unlock?: { maxAttempts?: number; backoffMs?: number; maxBackoffMs?: number };
  /** Backoff of failed quote subscriptions (default 2 s doubling to 60 s). */
  subscriptionRetry?: { backoffMs?: number; maxBackoffMs?: number };
  /** Durable checkpoint file (no durability without one). */
  checkpointFile?: string;
  /** How often the checkpoint is written at most, and the horizon advanced (default 1 s). */
  checkpointIntervalMs?: number;
  /** An outage longer than this (OpenD seconds) reads the history lists too (default 300). */
  historyAfterGapS?: number;
  /** Without a usable checkpoint file (corrupt), reconcile this many days of history (default 7). */
  lostCheckpointLookbackDays?: number;
  /** OpenD's state folder, where it saves the login picture (default OPEND_STATE_DIR), and how often a new one is looked for. */
  loginPicture?: { stateDir?: string; pollMs?: number };
  /** Configured price alerts, kept as Futu price reminders in OpenD (price-alerts-sync.ts); OpenD's are left alone without it. */
  priceAlerts?: readonly PriceAlertSpec[];
  /** The latest-quote store (latest-quotes.ts): quote and book pushes also kept in DynamoDB, conflated; off without it. */
  latestQuotes?: LatestQuotesOptions;
  /** Runtime quote subscriptions read from the subscriptions table (runtime-subscriptions.ts); off without it. */
  runtimeSubscriptions?: RuntimeSubscriptionsOptions;
  /** Market-data events per second per security, by DetailType (publish-policy.ts); absent: every event. */
  publishPolicy?: PublishPolicy;
  logger: Logger;
}

export interface RelayHealth {
  live: boolean;
  ready: boolean;
  connected: boolean;
  programStatus: string;
  qotLogined: boolean;
  trdLogined: boolean;
  sessionReady: boolean;
  /** Trade pushes registered and orders reconciled in this session: order updates flow. */
  tradeReady: boolean;
  unlock: { state: string; rejections: number; error?: string };
  subscriptions: { state: string; error?: string };
  reason?: string;
  connId?: string;
}


export class Relay {
  readonly client: OpenDClient;
  readonly publisher: EventPublisher;
  private readonly quotes: QuoteApi;
  private readonly trade: TradeApi;
  private readonly tracker = new OrderTracker();
  private accounts: AccountRef[] = [];
  private programStatus: number = Common.ProgramStatusType.NONE;
  private qotLogined = false;
  private trdLogined = false;
  private sessionReady = false;
  private tradeReady = false;
  private setupRunning: Promise<void> | null = null;
  private setupTimer: NodeJS.Timeout | null = null;
  private stopped = false;
  /** Runs only while OpenD waits for a picture code: a new picture is published as another Login Challenge. */
  private readonly pictureWatcher: LoginPictureWatcher;
  private lastPublishedReady: boolean | null = null;
  private lastPublishedReason: string | undefined;
  readonly unlockStep: RetryingStep;
  readonly priceAlertSync: RetryingStep;
  readonly subscriptionStep: RetryingStep;
  readonly runtimeSubscriptions?: RuntimeSubscriptions;
  readonly latestQuotes?: LatestQuoteWriter;
  private readonly ledger: DeliveryLedger;
  private restartReconcilePending = true;
  private horizonTimer: NodeJS.Timeout | null = null;
  private pushWatch: Set<string> | null = null;
  readonly metrics = {
    pushesIn: 0, pushesByProto: {} as Record<string, number>, reconnects: 0, setups: 0, setupFailures: 0, reconciledOrders: 0, reconciledFills: 0,
    duplicatesSkipped: 0, staleSkipped: 0, historyReconciles: 0, unlockRejections: 0, unlockGaveUp: 0, subscriptionFailures: 0, checkpointWrites: 0,
  };

  constructor(private readonly o: RelayOptions) {
    this.pictureWatcher = new LoginPictureWatcher({ stateDir: this.pictureWatcherDir, intervalMs: o.loginPicture?.pollMs, onNewPicture: () => this.publishNewLoginPicture() });
    this.client = new OpenDClient({
      host: o.openD.host,
      port: o.openD.port,
      rsaPrivateKey: o.openD.rsaPrivateKey,
      clientId: o.openD.clientId ?? 'opend-cloud-relay',
      recvNotify: true,
      requestTimeoutMs: o.openD.requestTimeoutMs ?? 12_000,
      reconnect: { initialDelayMs: 500, maxDelayMs: 15_000, retryInitialConnect: true, ...o.reconnect },
      logger: o.logger,
    });
    this.publisher = new EventPublisher({
      client: o.eventBridge,
      eventBusName: o.eventBusName,
      source: o.source ?? 'opend',
      logger: o.logger,
      policy: o.publishPolicy,
      ...o.publisher,
    });
    this.quotes = new QuoteApi(this.client);
    this.trade = new TradeApi(this.client);
    const subsReady = () => this.tradeReady && this.client.connected && (!this.subscriptionsNeeded() || this.subscriptionStep.state === 'done');
    if (o.runtimeSubscriptions) this.runtimeSubscriptions = new RuntimeSubscriptions(o.runtimeSubscriptions, this.quotes, this.client, o.subscriptions, subsReady, o.logger);
    const onChange = () => this.publishGatewayState('session step changed');
    this.unlockStep = new RetryingStep({
      name: 'trade unlock',
      run: () => this.unlock(),
      maxAttempts: o.unlock?.maxAttempts ?? 3,
      baseDelayMs: o.unlock?.backoffMs ?? 5_000,
      maxDelayMs: o.unlock?.maxBackoffMs ?? 300_000,
      logger: o.logger,
      onGiveUp: (error, attempts) => {
        this.metrics.unlockGaveUp = 1;
        this.publisher.publish({
          detailType: DETAIL_TYPES.gatewayNotice,
          detail: {
            notifyType: RELAY_NOTICE_TYPES.unlockFailed,
            description: `OpenD rejected the trade unlock ${attempts} times (last: ${error}); the relay stopped trying so that the broker does not lock the trade password. REAL accounts stay locked; SIMULATE trading, order updates and quotes continue.`,
            action: 'Put the MD5 of the correct trade password into the trade password secret, then restart the gateway task.',
            attempts,
            gatewayTime: this.now(),
          },
        });
      },
      onChange,
    });
    this.subscriptionStep = new RetryingStep({
      name: 'quote subscriptions',
      run: () => this.subscribeQuotes(),
      baseDelayMs: o.subscriptionRetry?.backoffMs ?? 2_000,
      maxDelayMs: o.subscriptionRetry?.maxBackoffMs ?? 60_000,
      logger: o.logger,
      onChange,
    });
    this.priceAlertSync = priceAlertSyncStep(this.client, o.priceAlerts ?? [], o.logger);
    this.ledger = new DeliveryLedger({ file: o.checkpointFile, intervalMs: o.checkpointIntervalMs ?? 1_000, tracker: this.tracker, publisher: this.publisher, logger: o.logger });
    Object.defineProperty(this.metrics, 'checkpointWrites', { get: () => this.ledger.writes, enumerable: true });
    if (o.latestQuotes) this.latestQuotes = new LatestQuoteWriter(o.latestQuotes, o.subscriptions, () => this.client.connected && this.subscriptionStep.state === 'done', o.logger, this.runtimeSubscriptions);
    this.client.on('push', (ev) => this.onPush(ev));
    this.client.on('ready', () => this.scheduleSetup(0));
    this.client.on('reconnected', () => {
      this.metrics.reconnects++;
    });
    this.client.on('disconnected', ({ reason }) => {
      this.sessionReady = false;
      this.tradeReady = false;
      this.unlockStep.reset();
      this.subscriptionStep.reset();
      this.priceAlertSync.reset();
      this.publishGatewayState(`disconnected from OpenD: ${reason}`);
    });
    this.client.on('error', (err) => o.logger.warn('OpenD client error', { error: err.message }));
  }

  private now(): string {
    return new Date().toISOString();
  }

  async start(): Promise<void> {
    this.publishGatewayState('relay starting');
    this.runtimeSubscriptions?.start();
    await this.client.open();
  }

  /** Stops; events the bus has not accepted within `drainTimeoutMs` are left to the next relay's reconciliation. */
  async stop(opts: { drainTimeoutMs?: number } = {}): Promise<void> {
    this.stopped = true;
    this.pictureWatcher.stop();
    if (this.setupTimer) clearTimeout(this.setupTimer);
    if (this.horizonTimer) clearInterval(this.horizonTimer);
    this.unlockStep.stop();
    this.priceAlertSync.stop();
    this.subscriptionStep.stop();
    this.runtimeSubscriptions?.stop();
    await this.latestQuotes?.stop();
    await this.client.close();
    await this.publisher.close(opts.drainTimeoutMs);
    await this.ledger.stop();
  }

  /**
   * Waits until every push OpenD sent before this call has been published: a KeepAlive round trip is a
   * barrier (replies come after earlier pushes on the same TCP stream), then the publisher drains.
   */
  async flush(timeoutMs = 20_000): Promise<boolean> {
    if (this.client.connected) await this.client.request(PROTO_ID.KeepAlive, { time: BigInt(Math.floor(Date.now() / 1000)) }).catch(() => undefined);
    return this.publisher.drain(timeoutMs);
  }

  health(): RelayHealth {
    const connected = this.client.connected;
    const programReady = this.programStatus === Common.ProgramStatusType.READY;
    const unlockNeeded = this.unlockNeeded();
    const unlockOk = !unlockNeeded || this.unlockStep.state === 'done';
    const subsOk = !this.subscriptionsNeeded() || this.subscriptionStep.state === 'done';
    const ready = connected && programReady && this.qotLogined && this.trdLogined && this.sessionReady && unlockOk && subsOk;
    let reason: string | undefined;
    if (!connected) reason = 'not connected to OpenD';
    else if (!programReady) reason = `OpenD program status is ${enumName(Common.ProgramStatusType, this.programStatus)}`;
    else if (!this.qotLogined || !this.trdLogined) reason = 'OpenD is not logged in to the quote and trade servers';
    else if (!this.sessionReady) reason = 'registering trade pushes and reconciling orders';
    else if (!unlockOk || !subsOk) {
      const parts: string[] = [];
      if (this.unlockStep.state === 'gave-up') parts.push(`trade unlock failed for good after ${this.unlockStep.rejections} rejections (${this.unlockStep.lastError}): REAL accounts stay locked; fix the trade password secret and restart`);
      else if (!unlockOk) parts.push(this.unlockStep.lastError ? `trade unlock not done yet (last error: ${this.unlockStep.lastError})` : 'trade unlock in progress');
      if (!subsOk) parts.push(this.subscriptionStep.lastError ? `quote subscriptions failed (${this.subscriptionStep.lastError}); retrying` : 'quote subscriptions in progress');
      reason = `order updates flow; ${parts.join('; ')}`;
    }
    return {
      live: !this.stopped,
      ready,
      connected,
      programStatus: enumName(Common.ProgramStatusType, this.programStatus),
      qotLogined: this.qotLogined,
      trdLogined: this.trdLogined,
      sessionReady: this.sessionReady,
      tradeReady: this.tradeReady,
      unlock: { state: unlockNeeded ? this.unlockStep.state : 'not-needed', rejections: this.unlockStep.rejections, error: this.unlockStep.lastError },
      subscriptions: { state: this.subscriptionsNeeded() ? this.subscriptionStep.state : 'not-needed', error: this.subscriptionStep.lastError },
      reason,
      connId: this.connIdString(),
    };
  }

  private connIdString(): string | undefined {
    return this.client.connected ? this.client.info.connId.toString() : undefined;
  }

  private publishGatewayState(reason: string): void {
    const h = this.health();
    // Only changes are published (a retrying step must not repeat the same "not ready" every few seconds).
    const why = h.reason ?? reason;
    if (this.lastPublishedReady === h.ready && (h.ready || this.lastPublishedReason === why)) return;
    this.lastPublishedReady = h.ready;
    this.lastPublishedReason = why;
    this.publisher.publish({
      detailType: DETAIL_TYPES.gatewayState,
      detail: { ready: h.ready, connected: h.connected, programStatus: h.programStatus, qotLogined: h.qotLogined, trdLogined: h.trdLogined, reason: h.reason ?? reason, gatewayTime: this.now() },
    });
  }

  private scheduleSetup(delayMs: number): void {
    if (this.stopped) return;
    if (this.setupTimer) clearTimeout(this.setupTimer);
    this.setupTimer = setTimeout(() => {
      this.setupTimer = null;
      if (!this.client.connected || this.setupRunning) return;
      this.setupRunning = this.setup()
        .catch((err: Error) => {
          this.metrics.setupFailures++;
          this.o.logger.warn('session setup failed; will retry', { error: err.message });
          if (this.client.connected) this.scheduleSetup(this.o.setupRetryMs ?? 2_000);
        })
        .finally(() => {
          this.setupRunning = null;
        });
    }, delayMs);
  }

  private unlockNeeded(): boolean {
    return !!this.o.tradePasswordMd5 && this.accounts.some((a) => a.env === 'REAL');
  }

  private subscriptionsNeeded(): boolean {
    return this.o.subscriptions.some((s) => s.codes.length > 0 && s.types.length > 0);
  }

  /**
   * Login state, then trade-push registration and reconciliation (order updates flow from here on), then the
   * unlock and the quote subscriptions as independent steps that retry on their own.
   */
  private get pictureWatcherDir(): string | undefined {
    return this.o.loginPicture?.stateDir ?? process.env['OPEND_STATE_DIR'];
  }

  private async setup(): Promise<void> {
    this.metrics.setups++;
    this.sessionReady = false;
    this.tradeReady = false;
    const gs = await this.client.request(PROTO_ID.GetGlobalState, { userID: 0n });
    this.programStatus = gs.programStatus?.type ?? (gs.qotLogined && gs.trdLogined ? Common.ProgramStatusType.READY : Common.ProgramStatusType.NONE);
    this.qotLogined = gs.qotLogined;
    this.trdLogined = gs.trdLogined;
    if (this.programStatus !== Common.ProgramStatusType.READY) {
      this.o.logger.warn('OpenD is not ready; waiting for login verification', { programStatus: enumName(Common.ProgramStatusType, this.programStatus) });
      this.watchLoginPicture();
      this.publishGatewayState('waiting for OpenD login');
      return; // a Notify (ProgramStatus READY) restarts setup
    }
    // OpenD's clock: every change before this time is either in the lists below or was published before.
    const openDNow = Number(gs.time);
    const connId = this.connIdString();
    // Futures accounts are listed only for trdCategory FUTURE: their pushes are wanted as much as the others'.
    const accounts = [...(await this.trade.accounts()), ...(await new DerivativesApi(this.client).futuresAccounts())];
    this.accounts = accounts.map((a) => ({ accId: a.accId, env: a.env, market: a.market }));
    await this.trade.subscribeAccountPushes(accounts.map((a) => a.accId));
    await this.reconcile(openDNow);
    if (this.connIdString() !== connId) throw new Error('the connection changed during setup');
    this.tradeReady = true;
    this.sessionReady = true;
    this.ledger.addCandidate(openDNow);
    this.startHorizonTicks();
    this.o.logger.info('relay trade session ready', { accounts: accounts.length, connId });
    if (this.unlockNeeded()) this.unlockStep.start();
    if (this.subscriptionsNeeded()) this.subscriptionStep.start();
    // Price reminders need no subscription. An empty list still runs: it deletes reminders of removed alerts.
    if (this.o.priceAlerts) this.priceAlertSync.start();
    this.publishGatewayState('ready');
  }

  private async unlock(): Promise<void> {
    try {
      await this.trade.unlock({ md5: this.o.tradePasswordMd5! });
    } catch (err) {
      if (err instanceof Error && err.name === 'OpenDError') this.metrics.unlockRejections++;
      throw err;
    }
    this.o.logger.info('trading unlocked OpenD-wide for REAL accounts');
  }

  private async subscribeQuotes(): Promise<void> {
    try {
      for (const s of this.o.subscriptions) {
        if (s.codes.length && s.types.length) await this.quotes.subscribe(s.codes, s.types, { push: true, firstPush: true });
      }
    } catch (err) {
      this.metrics.subscriptionFailures++;
      throw err;
    }
  }

  /** Lists every account's orders and fills (and history after a restart or a long outage) and publishes what changed. */
  private async reconcile(openDNow: number): Promise<void> {
    let horizon = this.ledger.horizon;
    if (horizon === undefined && this.restartReconcilePending && this.ledger.loaded.kind === 'unreadable') {
      horizon = openDNow - (this.o.lostCheckpointLookbackDays ?? 7) * 86_400;
    }
    const useHistory = historyNeeded(horizon, openDNow, this.restartReconcilePending, this.o.historyAfterGapS ?? 300);
    const r = await reconcileAccounts(this.trade, this.accounts, this.tracker, {
      offerOrder: (d) => this.offerOrder(d),
      offerFill: (d) => this.offerFill(d),
      watchPushes: (on) => {
        this.pushWatch = on ? new Set() : null;
      },
      pushedKeys: () => this.pushWatch ?? new Set(),
    }, { now: () => this.now(), history: useHistory && horizon !== undefined ? { horizon, openDNow } : undefined });
    this.metrics.reconciledOrders += r.orders;
    this.metrics.reconciledFills += r.fills;
    if (r.historyRead) this.metrics.historyReconciles++;
    this.restartReconcilePending = false;
  }

  private offerOrder(d: OrderDetail): boolean {
    const decision = this.tracker.offerOrder(d);
    if (decision === 'duplicate') this.metrics.duplicatesSkipped++;
    if (decision === 'stale') this.metrics.staleSkipped++;
    if (decision !== 'publish') return false;
    this.ledger.publish(DETAIL_TYPES.orderUpdate, d, `Order|${orderKey(d.accId, d.orderId)}`, () => this.tracker.markOrderDelivered(d));
    return true;
  }

  private offerFill(d: FillDetail): boolean {
    if (!this.tracker.offerFill(d)) return false;
    this.ledger.publish(DETAIL_TYPES.orderFill, d, undefined, () => this.tracker.markFillDelivered(d));
    return true;
  }

  // ------------------------------------------------------------------------------------------- durability

  /**
   * While the trade session is up, a KeepAlive round trip is a barrier (its reply follows every push OpenD
   * sent before it): once the events before it are accepted, OpenD's reply time becomes the horizon.
   */
  private startHorizonTicks(): void {
    if (this.horizonTimer || !this.ledger.durable) return;
    this.horizonTimer = setInterval(() => {
      if (!this.tradeReady || !this.client.connected) return;
      const connId = this.connIdString();
      this.client.request(PROTO_ID.KeepAlive, { time: BigInt(Math.floor(Date.now() / 1000)) }).then(
        (r) => {
          if (this.tradeReady && this.connIdString() === connId) this.ledger.addCandidate(Number(r.time));
        },
        () => undefined,
      );
    }, Math.max(250, (this.o.checkpointIntervalMs ?? 1_000) * 5));
    this.horizonTimer.unref?.();
  }

  /** The gateway time of pushes: one ISO string per millisecond, not one per push (the hot path of a busy market). */
  private pushTime(): string {
    const ms = Date.now();
    if (ms !== this.pushTimeMs) {
      this.pushTimeMs = ms;
      this.pushTimeIso = new Date(ms).toISOString();
    }
    return this.pushTimeIso;
  }
  private pushTimeMs = -1;
  private pushTimeIso = '';

  private onPush(ev: PushEvent): void {
    this.metrics.pushesIn++;
    const byProto = this.metrics.pushesByProto;
    byProto[ev.protoId] = (byProto[ev.protoId] ?? 0) + 1;
    const t = this.pushTime();
    const s2c = ev.s2c as any;
    switch (ev.protoId) {
      case PROTO_ID.Notify:
        return this.onNotify(s2c as Notify.S2C);
      case PROTO_ID.Trd_UpdateOrder: {
        const d = orderDetail(s2c.header as Trd_Common.TrdHeader, s2c.order as Trd_Common.Order, t);
        this.pushWatch?.add(orderKey(d.accId, d.orderId));
        this.offerOrder(d);
        return;
      }
      case PROTO_ID.Trd_UpdateOrderFill:
        this.offerFill(fillDetail(s2c.header, s2c.orderFill, t));
        return;
      case PROTO_ID.Qot_UpdatePriceReminder:
        this.publisher.publish(priceReminderEvent(s2c, t));
        return;
      default: {
        const events = quotePushEvents(ev.protoId, s2c, t);
        if (!events) {
          this.o.logger.debug('push without an event mapping ignored', { protoId: ev.protoId });
          return;
        }
        for (let i = 0; i < events.length; i++) this.publisher.publish(events[i]!);
        // No I/O here: the store is written off the push path. A basic-quote push's Quote details are handed over
        // as built for its events, so the push is converted once.
        if (this.latestQuotes) this.latestQuotes.offer(ev.protoId, s2c, t, undefined, ev.protoId === PROTO_ID.Qot_UpdateBasicQot ? events.map((e) => e.detail as QuoteDetail) : undefined);
      }
    }
  }

  private onNotify(n: Notify.S2C): void {
    const { detailType, detail } = withLoginPicture(notifyEvent(n, this.now()), this.pictureWatcherDir);
    this.publisher.publish({ detailType, detail });
    if (n.type === Notify.NotifyType.PROGRAM_STATUS && n.programStatus) {
      const was = this.programStatus;
      this.programStatus = n.programStatus.programStatus.type;
      if (this.programStatus === Common.ProgramStatusType.READY && was !== this.programStatus) {
        this.qotLogined = true;
        this.trdLogined = true;
        this.scheduleSetup(0);
      } else if (this.programStatus !== Common.ProgramStatusType.READY) {
        this.sessionReady = false;
        this.tradeReady = false;
        this.publishGatewayState('OpenD is not ready');
      }
    } else if (n.type === Notify.NotifyType.CONN_STATUS && n.connectStatus) {
      this.qotLogined = n.connectStatus.qotLogined;
      this.trdLogined = n.connectStatus.trdLogined;
      if (!this.qotLogined || !this.trdLogined) this.publishGatewayState('OpenD lost its login to the broker');
      else if (!this.sessionReady) this.scheduleSetup(0);
    } else if (n.type === Notify.NotifyType.GTW_EVENT && n.event) {
      const e = n.event.eventType;
      if (e === Notify.GtwEventType.NEED_PHONE_VERIFY_CODE || e === Notify.GtwEventType.NEED_PIC_VERIFY_CODE) {
        this.programStatus = e === Notify.GtwEventType.NEED_PHONE_VERIFY_CODE ? Common.ProgramStatusType.NEED_PHONE_VERIFY_CODE : Common.ProgramStatusType.NEED_PIC_VERIFY_CODE;
        this.sessionReady = false;
        this.tradeReady = false;
        this.publishGatewayState('OpenD needs a login verification code');
      } else if (e === Notify.GtwEventType.TRADE_PWD_CHANGED || e === Notify.GtwEventType.LOGIN_PWD_CHANGED || e === Notify.GtwEventType.KICKED_OUT) {
        // Unlock and pushes must be set up again after a relogin.
        this.sessionReady = false;
        this.tradeReady = false;
        this.publishGatewayState(`OpenD reported ${enumName(Notify.GtwEventType, e)}`);
        this.scheduleSetup(1_000);
      }
    }
    this.watchLoginPicture();
  }

  /** Watches for a new login picture exactly while OpenD waits for a picture code. */
  private watchLoginPicture(): void {
    if (!this.stopped && this.programStatus === Common.ProgramStatusType.NEED_PIC_VERIFY_CODE) this.pictureWatcher.start();
    else this.pictureWatcher.stop();
  }

  private publishNewLoginPicture(): void {
    const n = { type: Notify.NotifyType.GTW_EVENT, event: { eventType: Notify.GtwEventType.NEED_PIC_VERIFY_CODE, desc: 'OpenD saved a new login picture' } } as Notify.S2C;
    const { detailType, detail } = withLoginPicture(notifyEvent(n, this.now()), this.pictureWatcherDir);
    this.o.logger.info('OpenD saved a new login picture; publishing it as a Login Challenge');
    this.publisher.publish({ detailType, detail });
  }
}
