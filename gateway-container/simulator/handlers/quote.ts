// Quote protocols over the market engine: per-connection subscriptions with the OpenD-wide quota,
// Get* calls that need a subscription (as in OpenD), snapshots, history K-lines with paging and quota,
// and Qot_Update* pushes to connections that registered for them.
import * as Qot_Common from '../../../proto/generated/Qot_Common.js';
import { securityKey } from '../../../proto/securities.js';
import type { MarketEngine, MarketUpdate } from '../market/engine.js';
import { knownSecurity } from './known-security.js';
import type { SimConnection } from '../connection.js';
import { SimError, type OpenDSimulator } from '../server.js';
import { SubscriptionBook, type SubItem } from '../subscriptions.js';
import { PROTO_ID } from '../../../proto/registry.js';
import { CorporateActions } from '../market/corporate-actions.js';
import { DAY_MS, fromLocalMs, localDay, parseDay } from '../market/calendars.js';

const ST = Qot_Common.SubType;
const KL = Qot_Common.KLType;

/** SubType of each KLType subscription. */
export const SUBTYPE_OF_KLTYPE: ReadonlyMap<number, number> = new Map([
  [KL['1MIN'], ST.KL_1MIN], [KL['3MIN'], ST.KL_3MIN], [KL['5MIN'], ST.KL_5MIN], [KL['10MIN'], ST.KL_10MIN],
  [KL['15MIN'], ST.KL_15MIN], [KL['30MIN'], ST.KL_30MIN], [KL['60MIN'], ST.KL_60MIN], [KL['120MIN'], ST.KL_120MIN],
  [KL['180MIN'], ST.KL_180MIN], [KL['240MIN'], ST.KL_240MIN], [KL.DAY, ST.KL_DAY], [KL.WEEK, ST.KL_WEEK],
  [KL.MONTH, ST.KL_MONTH], [KL.QUARTER, ST.KL_QURATER], [KL.YEAR, ST.KL_YEAR],
]);
const KLTYPE_OF_SUBTYPE = new Map([...SUBTYPE_OF_KLTYPE].map(([k, s]) => [s, k]));
const VALID_SUBTYPES = new Set<number>(Object.values(ST).filter((v) => v !== ST.NONE));

export interface QuoteOptions {
  subscriptionQuota?: number;
  historyKLQuota?: number;
  /** Where a Get* call looks for the subscription it needs (default 'connection'). */
  requireSubscription?: 'connection' | 'any' | 'none';
  minHoldMs?: number;
}

export interface QuoteService {
  subscriptions: SubscriptionBook;
  historyQuotaUsed(): number;
}

const BROKER_NAMES = ['Goldman Sachs', 'Morgan Stanley', 'UBS', 'HSBC Securities', 'Futu Securities', 'J.P. Morgan', 'Citigroup', 'Merrill Lynch'];

export function registerQuoteHandlers(sim: OpenDSimulator, market: MarketEngine, opts: QuoteOptions = {}, actions = new CorporateActions()): QuoteService {
  const subs = new SubscriptionBook({ quota: opts.subscriptionQuota ?? 100, minHoldMs: opts.minHoldMs ?? 60_000, now: sim.now });
  const historyQuota = opts.historyKLQuota ?? 100;
  const historyPulls = new Map<string, number>(); // security → first pull (virtual ms) in the 30-day window
  const requireSub = opts.requireSubscription ?? 'connection';

  const sync = () => market.advanceTo(sim.now());
  // The generated series is forward-adjusted; other RehabTypes undo the corporate actions (market/corporate-actions.ts).
  const rehabbed = (key: string, klines: Qot_Common.KLine[], rehabType: number | undefined) => {
    const m = market.security(key)!.market;
    return actions.adjustKLines(key, klines, rehabType, localDay(m, sim.now()), (k) => parseDay(k.time.slice(0, 10)) ?? 0);
  };

  const known = (sec: Qot_Common.Security | undefined, field = 'security'): string => knownSecurity(market, sec, field);

  const needSub = (conn: SimConnection, key: string, subType: number, what: string) => {
    if (requireSub === 'none') return;
    const ok = requireSub === 'connection' ? subs.isHeldBy(conn.id, key, subType) : subs.isHeldByAny(key, subType);
    if (!ok) {
      const name = Object.entries(ST).find(([, v]) => v === subType)?.[0];
      throw new SimError(`subscribe ${name} for ${key} before requesting ${what}`);
    }
  };

  const items = (c2s: { securityList?: Qot_Common.Security[]; subTypeList?: number[] }): SubItem[] => {
    const out: SubItem[] = [];
    const types = c2s.subTypeList ?? [];
    for (const t of types) if (!VALID_SUBTYPES.has(t)) throw new SimError(`unknown subType ${t}`);
    for (const s of c2s.securityList ?? []) {
      const key = known(s);
      for (const t of types) out.push({ key, subType: t });
    }
    return out;
  };

  const firstPush = (conn: SimConnection, list: SubItem[]) => {
    // After the reply, like OpenD's cached first push.
    setImmediate(() => {
      for (const it of list) pushCached(conn, it);
    });
  };

  // One builder for every quote push. The first push after a subscription reads the engine's cached state
  // (fromEngine); a live push carries what one trade changed (fromUpdate). Both build the same messages.
  const fromEngine = (key: string): QuoteData => {
    const sec = market.security(key)!;
    return {
      key,
      security: { market: Qot_Common.QotMarket[marketName(sec.market)], code: sec.code },
      name: sec.name,
      isHk: sec.market === 'HK',
      basic: () => market.basicQot(key),
      book: () => market.orderBook(key, 10),
      lastTickers: () => market.tickers(key, 1) ?? [],
      lastRt: () => market.timeShare(key)?.slice(-1) ?? [],
      lastKLines: (klType) => market.klines(key, klType, 1) ?? [],
    };
  };

  const pushQuote = (conn: SimConnection, d: QuoteData, subType: number) => {
    const { security, name } = d;
    switch (subType) {
      case ST.BASIC: {
        const b = d.basic();
        if (b) sim.push(conn, PROTO_ID.Qot_UpdateBasicQot, { basicQotList: [b] });
        return;
      }
      case ST.ORDER_BOOK: {
        const ob = d.book();
        if (ob) sim.push(conn, PROTO_ID.Qot_UpdateOrderBook, { security, name, orderBookAskList: ob.asks, orderBookBidList: ob.bids });
        return;
      }
      case ST.TICKER: {
        const t = d.lastTickers();
        if (t.length) sim.push(conn, PROTO_ID.Qot_UpdateTicker, { security, name, tickerList: t });
        return;
      }
      case ST.RT: {
        const rt = d.lastRt();
        if (rt.length) sim.push(conn, PROTO_ID.Qot_UpdateRT, { security, name, rtList: rt });
        return;
      }
      case ST.BROKER:
        // Broker queues exist for HK securities only (Futu: Qot_UpdateBroker is HK market data).
        if (d.isHk) sim.push(conn, PROTO_ID.Qot_UpdateBroker, { security, name, ...brokers(d.key) });
        return;
      default: {
        const kl = KLTYPE_OF_SUBTYPE.get(subType);
        if (kl === undefined) return;
        const bars = d.lastKLines(kl);
        const rehab = conn.pushReg.get(`${d.key}#${subType}`)?.rehabTypes[0] ?? Qot_Common.RehabType.FORWARD;
        if (bars.length) sim.push(conn, PROTO_ID.Qot_UpdateKL, { rehabType: rehab, klType: kl, security, name, klList: rehabbed(d.key, bars, rehab) });
      }
    }
  };

  const pushCached = (conn: SimConnection, it: SubItem) => {
    if (conn.closed) return;
    pushQuote(conn, fromEngine(it.key), it.subType);
  };

  const brokers = (key: string) => {
    const ob = market.orderBook(key, 3);
    const mk = (side: number, levels: Qot_Common.OrderBook[]) =>
      levels.flatMap((lv, pos) =>
        [0, 1].map((j) => {
          const i = (Math.round(lv.price * 1000) + side * 7 + j * 3 + pos) % BROKER_NAMES.length;
          return { id: BigInt(1000 + i * 10 + j), name: BROKER_NAMES[i]!, pos: pos + 1, volume: lv.volume / 2n };
        }),
      );
    return { brokerAskList: mk(1, ob?.asks ?? []), brokerBidList: mk(2, ob?.bids ?? []) };
  };

  sim.handle(PROTO_ID.Qot_Sub, ({ conn }, c2s) => {
    sync();
    if (c2s.isUnsubAll) {
      subs.unsubscribeAll(conn.id);
      conn.pushReg.clear();
      return {};
    }
    const list = items(c2s);
    if (list.length === 0) throw new SimError('securityList and subTypeList must both be non-empty');
    if (c2s.isSubOrUnSub) {
      subs.subscribe(conn.id, list);
      if (c2s.isRegOrUnRegPush) {
        for (const it of list) conn.pushReg.set(`${it.key}#${it.subType}`, { rehabTypes: c2s.regPushRehabTypeList?.length ? c2s.regPushRehabTypeList : [Qot_Common.RehabType.FORWARD] });
        if (c2s.isFirstPush !== false) firstPush(conn, list);
      }
    } else {
      subs.unsubscribe(conn.id, list);
      // Pushes need the subscription: an item this connection no longer holds is not pushed to it,
      // whatever isRegOrUnRegPush says.
      for (const it of list) conn.pushReg.delete(`${it.key}#${it.subType}`);
    }
    return {};
  });

  sim.handle(PROTO_ID.Qot_RegQotPush, ({ conn }, c2s) => {
    sync();
    const list = items(c2s);
    for (const it of list) if (!subs.isHeldBy(conn.id, it.key, it.subType)) throw new SimError(`${it.key} subType ${it.subType} is not subscribed on this connection; subscribe first`);
    for (const it of list) {
      if (c2s.isRegOrUnReg) conn.pushReg.set(`${it.key}#${it.subType}`, { rehabTypes: c2s.rehabTypeList?.length ? c2s.rehabTypeList : [Qot_Common.RehabType.FORWARD] });
      else conn.pushReg.delete(`${it.key}#${it.subType}`);
    }
    if (c2s.isRegOrUnReg && c2s.isFirstPush !== false) firstPush(conn, list);
    return {};
  });

  const connSubInfo = (connId: bigint, own: boolean): Qot_Common.ConnSubInfo => {
    const byType = new Map<number, Qot_Common.Security[]>();
    const its = subs.itemsOf(connId);
    for (const it of its) {
      const sec = market.security(it.key)!;
      const list = byType.get(it.subType) ?? [];
      list.push({ market: Qot_Common.QotMarket[marketName(sec.market)], code: sec.code });
      byType.set(it.subType, list);
    }
    return { subInfoList: [...byType].map(([subType, securityList]) => ({ subType, securityList })), usedQuota: its.length, isOwnConnData: own };
  };

  sim.handle(PROTO_ID.Qot_GetSubInfo, ({ conn }, c2s) => {
    const ids = c2s.isReqAllConn ? [...new Set([conn.id, ...subs.connections()])] : [conn.id];
    return {
      connSubInfoList: ids.map((id) => connSubInfo(id, id === conn.id)),
      totalUsedQuota: subs.usedQuota(),
      remainQuota: subs.remainQuota(),
    };
  });

  sim.handle(PROTO_ID.Qot_GetBasicQot, ({ conn }, c2s) => {
    sync();
    const list = (c2s.securityList ?? []) as Qot_Common.Security[];
    return {
      basicQotList: list.map((s) => {
        const key = known(s);
        needSub(conn, key, ST.BASIC, 'basic quotes');
        return market.basicQot(key)!;
      }),
    };
  });

  sim.handle(PROTO_ID.Qot_GetKL, ({ conn }, c2s) => {
    sync();
    const key = known(c2s.security);
    const subType = SUBTYPE_OF_KLTYPE.get(c2s.klType);
    if (subType === undefined) throw new SimError(`unknown klType ${c2s.klType}`);
    needSub(conn, key, subType, 'K-lines');
    if (!(c2s.reqNum >= 1 && c2s.reqNum <= 1000)) throw new SimError(`reqNum must be 1..1000, got ${c2s.reqNum}`);
    return { security: c2s.security, name: market.security(key)!.name, klList: rehabbed(key, market.klines(key, c2s.klType, c2s.reqNum) ?? [], c2s.rehabType) };
  });

  sim.handle(PROTO_ID.Qot_GetRT, ({ conn }, c2s) => {
    sync();
    const key = known(c2s.security);
    needSub(conn, key, ST.RT, 'time-share');
    return { security: c2s.security, name: market.security(key)!.name, rtList: market.timeShare(key) ?? [] };
  });

  sim.handle(PROTO_ID.Qot_GetTicker, ({ conn }, c2s) => {
    sync();
    const key = known(c2s.security);
    needSub(conn, key, ST.TICKER, 'tickers');
    const n = Math.max(1, Math.min(1000, c2s.maxRetNum));
    return { security: c2s.security, name: market.security(key)!.name, tickerList: market.tickers(key, n) ?? [] };
  });

  sim.handle(PROTO_ID.Qot_GetOrderBook, ({ conn }, c2s) => {
    sync();
    const key = known(c2s.security);
    needSub(conn, key, ST.ORDER_BOOK, 'the order book');
    const ob = market.orderBook(key, Math.max(1, Math.min(10, c2s.num)));
    const t = sim.now() / 1000;
    return { security: c2s.security, name: market.security(key)!.name, orderBookAskList: ob?.asks ?? [], orderBookBidList: ob?.bids ?? [], svrRecvTimeBidTimestamp: t, svrRecvTimeAskTimestamp: t };
  });

  sim.handle(PROTO_ID.Qot_GetBroker, ({ conn }, c2s) => {
    sync();
    const key = known(c2s.security);
    if (market.security(key)!.market !== 'HK') throw new SimError(`broker queues exist only for HK securities, not ${key}`);
    needSub(conn, key, ST.BROKER, 'the broker queue');
    return { security: c2s.security, name: market.security(key)!.name, ...brokers(key) };
  });

  sim.handle(PROTO_ID.Qot_GetSecuritySnapshot, (_ctx, c2s) => {
    sync();
    const list = (c2s.securityList ?? []) as Qot_Common.Security[];
    if (list.length === 0) throw new SimError('securityList is empty');
    if (list.length > 400) throw new SimError(`at most 400 securities per snapshot request, got ${list.length}`);
    return { snapshotList: list.map((s) => market.snapshotFields(known(s))!) };
  });

  sim.handle(PROTO_ID.Qot_RequestHistoryKL, (_ctx, c2s) => {
    sync();
    const key = known(c2s.security);
    if (!SUBTYPE_OF_KLTYPE.has(c2s.klType)) throw new SimError(`unknown klType ${c2s.klType}`);
    const max = c2s.maxAckKLNum === undefined || c2s.maxAckKLNum <= 0 ? 1000 : Math.min(1000, c2s.maxAckKLNum);
    let begin: string = c2s.beginTime;
    if (c2s.nextReqKey && c2s.nextReqKey.length > 0) {
      const k = decodePageKey(c2s.nextReqKey);
      if (!k || k.key !== key || k.klType !== c2s.klType) throw new SimError('nextReqKey does not belong to this security and klType; start again without it');
      begin = k.next;
    }
    // History quota: distinct securities per rolling 30 days; pulling the same one again is free.
    const t = sim.now();
    for (const [k, at] of historyPulls) if (t - at > 30 * 86_400_000) historyPulls.delete(k);
    if (!historyPulls.has(key)) {
      if (historyPulls.size >= historyQuota) throw new SimError(`history K-line quota exhausted: ${historyQuota} securities in the last 30 days`);
      historyPulls.set(key, t);
    }
    let r;
    try {
      r = market.historyKLines(key, c2s.klType, begin, c2s.endTime, max);
    } catch (err) {
      throw new SimError(`beginTime/endTime must be "yyyy-MM-dd" or "yyyy-MM-dd HH:mm:ss": ${(err as Error).message}`);
    }
    return {
      security: c2s.security,
      name: market.security(key)!.name,
      klList: rehabbed(key, r?.klines ?? [], c2s.rehabType),
      nextReqKey: r?.nextReqTime ? encodePageKey({ key, klType: c2s.klType, next: r.nextReqTime }) : undefined,
    };
  });

  sim.handle(PROTO_ID.Qot_RequestHistoryKLQuota, (_ctx, c2s) => ({
    usedQuota: historyPulls.size,
    remainQuota: Math.max(0, historyQuota - historyPulls.size),
    detailList: c2s.bGetDetail
      ? [...historyPulls].map(([k, at]) => {
          const sec = market.security(k)!;
          return { security: { market: Qot_Common.QotMarket[marketName(sec.market)], code: sec.code }, name: sec.name, requestTime: new Date(at).toISOString().replace('T', ' ').slice(0, 19), requestTimeStamp: BigInt(Math.floor(at / 1000)) };
        })
      : [],
  }));

  sim.handle(PROTO_ID.Qot_RequestRehab, (_ctx, c2s) => {
    const key = known(c2s.security);
    const m = market.security(key)!.market;
    return { rehabList: actions.rehabRows(key, localDay(m, sim.now()), (day) => fromLocalMs(m, day * DAY_MS) / 1000) };
  });

  sim.handle(PROTO_ID.Qot_GetStaticInfo, (_ctx, c2s) => {
    const list = (c2s.securityList ?? []) as Qot_Common.Security[];
    if (list.length > 0) return { staticInfoList: list.map((s) => market.staticInfo(known(s))!) };
    const prefix = c2s.market === undefined ? undefined : prefixOf(c2s.market);
    return {
      staticInfoList: market
        .securities()
        .filter((s) => (prefix === undefined || s.market === prefix) && (c2s.secType === undefined || c2s.secType === 0 || s.secType === c2s.secType))
        .map((s) => market.staticInfo(s.key)!),
    };
  });

  sim.handle(PROTO_ID.Qot_GetMarketState, (_ctx, c2s) => {
    sync();
    const list = (c2s.securityList ?? []) as Qot_Common.Security[];
    if (list.length > 400) throw new SimError(`at most 400 securities per request, got ${list.length}`);
    return {
      marketInfoList: list.map((s) => {
        const key = known(s);
        const sec = market.security(key)!;
        return { security: s, name: sec.name, marketState: market.marketState(sec.market) };
      }),
    };
  });

  sim.handle(PROTO_ID.Qot_GetPlateSet, (_ctx, c2s) => {
    const prefix = prefixOf(c2s.market);
    return { plateInfoList: market.plates({ market: prefix, setType: c2s.plateSetType === 0 ? undefined : c2s.plateSetType }).map((p) => p.info) };
  });

  sim.handle(PROTO_ID.Qot_GetPlateSecurity, (_ctx, c2s) => {
    const key = securityKey(c2s.plate);
    const list = market.plateSecurities(key);
    if (!list) throw new SimError(`unknown plate ${key}`);
    return { staticInfoList: list };
  });

  sim.onConnectionClosed((conn) => subs.connectionClosed(conn.id));

  market.onUpdate((u: MarketUpdate) => {
    let d: ReturnType<typeof fromUpdate> | undefined;
    for (const conn of sim.connections.values()) {
      if (!conn.initialized || conn.pushReg.size === 0) continue;
      d ??= fromUpdate(u);
      pushUpdate(conn, d);
    }
  });

  /** Live pushes of one trade, in a fixed order: basic, ticker, order book, time-share, broker, then K-lines. */
  const pushUpdate = (conn: SimConnection, d: ReturnType<typeof fromUpdate>) => {
    const registered = (st: number) => conn.pushReg.has(`${d.key}#${st}`);
    for (const st of LIVE_PUSH_ORDER) if (registered(st)) pushQuote(conn, d, st);
    for (const kl of d.klTypes) {
      const st = SUBTYPE_OF_KLTYPE.get(kl)!;
      if (registered(st)) pushQuote(conn, d, st);
    }
  };

  return { subscriptions: subs, historyQuotaUsed: () => historyPulls.size };
}

/** The latest quote data of one security, read lazily, whether from the engine or from one trade's update. */
interface QuoteData {
  key: string;
  security: Qot_Common.Security;
  name: string | undefined;
  isHk: boolean;
  basic(): Qot_Common.BasicQot | undefined;
  book(): { asks: Qot_Common.OrderBook[]; bids: Qot_Common.OrderBook[] } | undefined;
  lastTickers(): Qot_Common.Ticker[];
  lastRt(): Qot_Common.TimeShare[];
  lastKLines(klType: number): Qot_Common.KLine[];
}

const LIVE_PUSH_ORDER = [ST.BASIC, ST.TICKER, ST.ORDER_BOOK, ST.RT, ST.BROKER];

function fromUpdate(u: MarketUpdate): QuoteData & { klTypes: readonly number[] } {
  return {
    key: u.key,
    security: u.security,
    name: u.basic.name,
    isHk: u.security.market === Qot_Common.QotMarket.HK_SECURITY,
    basic: () => u.basic,
    book: () => u.book,
    lastTickers: () => [u.trade],
    lastRt: () => (u.rt ? [u.rt] : []),
    lastKLines: (klType) => {
      const bar = u.klines.get(klType);
      return bar ? [bar] : [];
    },
    klTypes: [...u.klines.keys()],
  };
}

function marketName(m: string): 'HK_SECURITY' | 'US_SECURITY' | 'CNSH_SECURITY' | 'CNSZ_SECURITY' {
  return m === 'HK' ? 'HK_SECURITY' : m === 'US' ? 'US_SECURITY' : m === 'SH' ? 'CNSH_SECURITY' : 'CNSZ_SECURITY';
}

function prefixOf(qotMarket: number): 'HK' | 'US' | 'SH' | 'SZ' | undefined {
  switch (qotMarket) {
    case 1:
    case 2:
      return 'HK';
    case 11:
      return 'US';
    case 21:
      return 'SH';
    case 22:
      return 'SZ';
    default:
      return undefined;
  }
}

interface PageKey {
  key: string;
  klType: number;
  next: string;
}

function encodePageKey(k: PageKey): Uint8Array {
  return Buffer.from(JSON.stringify(k), 'utf8');
}

function decodePageKey(b: Uint8Array): PageKey | undefined {
  try {
    const v = JSON.parse(Buffer.from(b).toString('utf8')) as PageKey;
    return typeof v.key === 'string' && typeof v.klType === 'number' && typeof v.next === 'string' ? v : undefined;
  } catch {
    return undefined;
  }
}
