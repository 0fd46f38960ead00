// The relay: the one long-lived OpenD connection that holds subscriptions, trade-push registration and the
// OpenD-wide unlock, and turns every push into an EventBridge event. After any reconnect it sets everything
// up again and reconciles orders and fills against OpenD's lists, so no order update is lost or repeated.
import type { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { OpenDClient, type Logger, type PushEvent, type ReconnectPolicy } from '../../proto/client.js';
import { QuoteApi, type SubTypeName } from '../../proto/api/quotes.js';
import { TradeApi, type AccountRef } from '../../proto/api/trading.js';
import { enumName } from '../../proto/enums.js';
import {
  brokerDetail, DETAIL_TYPES, fillDetail, klineDetail, notifyEvent, orderBookDetail, orderDetail, quoteDetail, tickerDetail, timeShareDetail,
  fillDetailFromFill, orderDetailFromOrder,
} from '../../proto/events.js';
import * as Common from '../../proto/generated/Common.js';
import * as Notify from '../../proto/generated/Notify.js';
import * as Trd_Common from '../../proto/generated/Trd_Common.js';
import { securityKey } from '../../proto/securities.js';
import { OrderTracker } from './order-tracker.js';
import { EventPublisher } from './publisher.js';

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
  publisher?: { lingerMs?: number; highWaterMark?: number; maxQueued?: number; maxInFlight?: number; retryBaseMs?: number; retryMaxMs?: number };
  /** Delay before retrying a session setup that failed while connected (default 2 s). */
  setupRetryMs?: number;
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
  private setupRunning: Promise<void> | null = null;
  private setupTimer: NodeJS.Timeout | null = null;
  private stopped = false;
  private lastPublishedReady: boolean | null = null;
  readonly metrics = { pushesIn: 0, pushesByProto: {} as Record<string, number>, reconnects: 0, setups: 0, setupFailures: 0, reconciledOrders: 0, reconciledFills: 0, duplicatesSkipped: 0, staleSkipped: 0 };

  constructor(private readonly o: RelayOptions) {
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
      ...o.publisher,
    });
    this.quotes = new QuoteApi(this.client);
    this.trade = new TradeApi(this.client);
    this.client.on('push', (ev) => this.onPush(ev));
    this.client.on('ready', () => this.scheduleSetup(0));
    this.client.on('reconnected', () => {
      this.metrics.reconnects++;
    });
    this.client.on('disconnected', ({ reason }) => {
      this.sessionReady = false;
      this.publishGatewayState(`disconnected from OpenD: ${reason}`);
    });
    this.client.on('error', (err) => o.logger.warn('OpenD client error', { error: err.message }));
  }

  private now(): string {
    return new Date().toISOString();
  }

  async start(): Promise<void> {
    this.publishGatewayState('relay starting');
    await this.client.open();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.setupTimer) clearTimeout(this.setupTimer);
    await this.client.close();
    await this.publisher.close();
  }

  /**
   * Waits until every push OpenD sent before this call has been published: a KeepAlive round trip is a
   * barrier (replies come after earlier pushes on the same TCP stream), then the publisher drains.
   */
  async flush(timeoutMs = 20_000): Promise<boolean> {
    if (this.client.connected) await this.client.request(1004, { time: BigInt(Math.floor(Date.now() / 1000)) }).catch(() => undefined);
    return this.publisher.drain(timeoutMs);
  }

  health(): RelayHealth {
    const connected = this.client.connected;
    const programReady = this.programStatus === Common.ProgramStatusType.READY;
    const ready = connected && programReady && this.qotLogined && this.trdLogined && this.sessionReady;
    let reason: string | undefined;
    if (!connected) reason = 'not connected to OpenD';
    else if (!programReady) reason = `OpenD program status is ${enumName(Common.ProgramStatusType, this.programStatus)}`;
    else if (!this.qotLogined || !this.trdLogined) reason = 'OpenD is not logged in to the quote and trade servers';
    else if (!this.sessionReady) reason = 'setting up subscriptions and trade pushes';
    return {
      live: !this.stopped,
      ready,
      connected,
      programStatus: enumName(Common.ProgramStatusType, this.programStatus),
      qotLogined: this.qotLogined,
      trdLogined: this.trdLogined,
      sessionReady: this.sessionReady,
      reason,
      connId: this.connIdString(),
    };
  }

  private connIdString(): string | undefined {
    return this.client.connected ? this.client.info.connId.toString() : undefined;
  }

  private publishGatewayState(reason: string): void {
    const h = this.health();
    if (this.lastPublishedReady === h.ready && h.ready) return;
    this.lastPublishedReady = h.ready;
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

  /** Login state, unlock, trade-push registration, subscriptions, then reconciliation. */
  private async setup(): Promise<void> {
    this.metrics.setups++;
    this.sessionReady = false;
    const gs = await this.client.request(1002, { userID: 0n });
    this.programStatus = gs.programStatus?.type ?? (gs.qotLogined && gs.trdLogined ? Common.ProgramStatusType.READY : Common.ProgramStatusType.NONE);
    this.qotLogined = gs.qotLogined;
    this.trdLogined = gs.trdLogined;
    if (this.programStatus !== Common.ProgramStatusType.READY) {
      this.o.logger.warn('OpenD is not ready; waiting for login verification', { programStatus: enumName(Common.ProgramStatusType, this.programStatus) });
      this.publishGatewayState('waiting for OpenD login');
      return; // a Notify (ProgramStatus READY) restarts setup
    }
    const accounts = await this.trade.accounts();
    this.accounts = accounts.map((a) => ({ accId: a.accId, env: a.env, market: a.market }));
    if (this.o.tradePasswordMd5 && accounts.some((a) => a.env === 'REAL')) {
      await this.trade.unlock({ md5: this.o.tradePasswordMd5 });
      this.o.logger.info('trading unlocked OpenD-wide for REAL accounts');
    }
    await this.trade.subscribeAccountPushes(accounts.map((a) => a.accId));
    for (const s of this.o.subscriptions) {
      if (s.codes.length && s.types.length) await this.quotes.subscribe(s.codes, s.types, { push: true, firstPush: true });
    }
    await this.reconcile();
    this.sessionReady = true;
    this.o.logger.info('relay session ready', { accounts: accounts.length, subscriptions: this.o.subscriptions.length, connId: this.connIdString() });
    this.publishGatewayState('ready');
  }

  /** Lists every account's orders and fills and publishes what changed since it was last published. */
  private async reconcile(): Promise<void> {
    for (const acc of this.accounts) {
      const orders = await this.trade.orders(acc);
      for (const o of orders) {
        if (this.offerOrder(orderDetailFromOrder(o, this.now()))) this.metrics.reconciledOrders++;
      }
      if (acc.env === 'REAL') {
        const fills = await this.trade.fills(acc);
        for (const f of fills) {
          const d = fillDetailFromFill(f, this.now());
          if (this.tracker.offerFill(d)) {
            this.metrics.reconciledFills++;
            this.publisher.publish({ detailType: DETAIL_TYPES.orderFill, detail: d });
          }
        }
      }
    }
  }

  private offerOrder(d: ReturnType<typeof orderDetailFromOrder>): boolean {
    const decision = this.tracker.offerOrder(d);
    if (decision === 'duplicate') this.metrics.duplicatesSkipped++;
    if (decision === 'stale') this.metrics.staleSkipped++;
    if (decision !== 'publish') return false;
    this.publisher.publish({ detailType: DETAIL_TYPES.orderUpdate, detail: d });
    return true;
  }

  private onPush(ev: PushEvent): void {
    this.metrics.pushesIn++;
    const k = String(ev.protoId);
    this.metrics.pushesByProto[k] = (this.metrics.pushesByProto[k] ?? 0) + 1;
    const t = this.now();
    const s2c = ev.s2c as any;
    switch (ev.protoId) {
      case 1003:
        return this.onNotify(s2c as Notify.S2C);
      case 2208:
        this.offerOrder(orderDetail(s2c.header as Trd_Common.TrdHeader, s2c.order as Trd_Common.Order, t));
        return;
      case 2218: {
        const d = fillDetail(s2c.header, s2c.orderFill, t);
        if (this.tracker.offerFill(d)) this.publisher.publish({ detailType: DETAIL_TYPES.orderFill, detail: d });
        return;
      }
      case 3005:
        for (const q of s2c.basicQotList ?? []) {
          const d = quoteDetail(q, t);
          this.publisher.publish({ detailType: DETAIL_TYPES.quote, detail: d, coalesceKey: `Quote|${d.security}` });
        }
        return;
      case 3007: {
        const key = securityKey(s2c.security);
        for (const kl of s2c.klList ?? []) {
          this.publisher.publish({ detailType: DETAIL_TYPES.kline, detail: klineDetail(s2c.security, s2c.klType, s2c.rehabType, kl, t), coalesceKey: `KLine|${key}|${s2c.klType}|${kl.time}` });
        }
        return;
      }
      case 3009: {
        const key = securityKey(s2c.security);
        for (const rt of s2c.rtList ?? []) {
          this.publisher.publish({ detailType: DETAIL_TYPES.timeShare, detail: timeShareDetail(s2c.security, rt, t), coalesceKey: `TimeShare|${key}|${rt.time}` });
        }
        return;
      }
      case 3011:
        for (const tk of s2c.tickerList ?? []) {
          this.publisher.publish({ detailType: DETAIL_TYPES.ticker, detail: tickerDetail(s2c.security, tk, t) });
        }
        return;
      case 3013:
        this.publisher.publish({
          detailType: DETAIL_TYPES.orderBook,
          detail: orderBookDetail(s2c.security, s2c.orderBookAskList ?? [], s2c.orderBookBidList ?? [], t),
          coalesceKey: `OrderBook|${securityKey(s2c.security)}`,
        });
        return;
      case 3015:
        this.publisher.publish({
          detailType: DETAIL_TYPES.broker,
          detail: brokerDetail(s2c.security, s2c.brokerAskList ?? [], s2c.brokerBidList ?? [], t),
          coalesceKey: `Broker|${securityKey(s2c.security)}`,
        });
        return;
      default:
        this.o.logger.debug('push without an event mapping ignored', { protoId: ev.protoId });
    }
  }

  private onNotify(n: Notify.S2C): void {
    const { detailType, detail } = notifyEvent(n, this.now());
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
        this.publishGatewayState('OpenD needs a login verification code');
      } else if (e === Notify.GtwEventType.TRADE_PWD_CHANGED || e === Notify.GtwEventType.LOGIN_PWD_CHANGED || e === Notify.GtwEventType.KICKED_OUT) {
        // Unlock and pushes must be set up again after a relogin.
        this.sessionReady = false;
        this.publishGatewayState(`OpenD reported ${enumName(Notify.GtwEventType, e)}`);
        this.scheduleSetup(1_000);
      }
    }
  }
}
