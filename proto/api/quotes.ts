// The typed quote layer over OpenDClient: "HK.00700" in, names (not enum numbers) out.
import type { OpenDClient } from '../client.js';
import { enumName, enumValue } from '../enums.js';
import { ValidationError } from '../errors.js';
import * as Qot_Common from '../generated/Qot_Common.js';
import * as Qot_GetSecuritySnapshot from '../generated/Qot_GetSecuritySnapshot.js';
import { parseSecurity, parseSecurityList, securityKey, toQotSecurity } from '../securities.js';
import { registerCodecs, PROTO_ID } from '../registry.js';
import * as Qot_GetBasicQot from '../generated/Qot_GetBasicQot.js';
import * as Qot_GetKL from '../generated/Qot_GetKL.js';
import * as Qot_GetMarketState from '../generated/Qot_GetMarketState.js';
import * as Qot_GetOrderBook from '../generated/Qot_GetOrderBook.js';
import * as Qot_GetRT from '../generated/Qot_GetRT.js';
import * as Qot_GetStaticInfo from '../generated/Qot_GetStaticInfo.js';
import * as Qot_GetSubInfo from '../generated/Qot_GetSubInfo.js';
import * as Qot_GetTicker from '../generated/Qot_GetTicker.js';
import * as Qot_RequestHistoryKL from '../generated/Qot_RequestHistoryKL.js';
import * as Qot_Sub from '../generated/Qot_Sub.js';

// The client side (encode the Request, decode the Response) of the protocols this module sends: a bundle carries
// only those functions (proto/registry.ts).
registerCodecs(Qot_GetBasicQot.clientCodec, Qot_GetKL.clientCodec, Qot_GetMarketState.clientCodec, Qot_GetOrderBook.clientCodec, Qot_GetRT.clientCodec, Qot_GetSecuritySnapshot.clientCodec, Qot_GetStaticInfo.clientCodec, Qot_GetSubInfo.clientCodec, Qot_GetTicker.clientCodec, Qot_RequestHistoryKL.clientCodec, Qot_Sub.clientCodec);

export type KLTypeName = Exclude<Qot_Common.KLTypeName, 'UNKNOWN'>;
export type SubTypeName = Exclude<Qot_Common.SubTypeName, 'NONE'>;
export type RehabTypeName = Qot_Common.RehabTypeName;

export interface Snapshot {
  code: string;
  name?: string;
  type: string;
  isSuspended: boolean;
  lotSize: number;
  priceSpread: number;
  updateTime: string;
  updateTimestamp?: number;
  price: number;
  open: number;
  high: number;
  low: number;
  lastClose: number;
  volume: bigint;
  turnover: number;
  turnoverRate: number;
  bid?: number;
  ask?: number;
  bidVolume?: bigint;
  askVolume?: bigint;
  /** US securities, once the session has traded: pre-market, after-hours and overnight figures. */
  preMarket?: SessionQuote;
  afterMarket?: SessionQuote;
  overnight?: SessionQuote;
}

/** One US extended session's figures (Qot_Common.PreAfterMarketData); change is against the regular close. */
export interface SessionQuote {
  price: number;
  high: number;
  low: number;
  volume: bigint;
  turnover: number;
  change: number;
  /** Percent (2.5 = 2.5 %). */
  changeRate: number;
  amplitude: number;
}

function sessionQuote(d: Qot_Common.PreAfterMarketData | undefined): SessionQuote | undefined {
  if (!d || d.price === undefined) return undefined;
  return {
    price: d.price,
    high: d.highPrice ?? d.price,
    low: d.lowPrice ?? d.price,
    volume: d.volume ?? 0n,
    turnover: d.turnover ?? 0,
    change: d.changeVal ?? 0,
    changeRate: d.changeRate ?? 0,
    amplitude: d.amplitude ?? 0,
  };
}

export interface Bar {
  time: string;
  timestamp?: number;
  open: number;
  high: number;
  low: number;
  close: number;
  lastClose?: number;
  volume?: bigint;
  turnover?: number;
  isBlank: boolean;
}

export interface BookLevel {
  price: number;
  volume: bigint;
  orderCount: number;
}

export interface Trade {
  time: string;
  timestamp?: number;
  sequence: bigint;
  price: number;
  volume: bigint;
  turnover: number;
  direction: string;
}

function toBar(k: Qot_Common.KLine): Bar {
  return {
    time: k.time,
    timestamp: k.timestamp,
    open: k.openPrice ?? 0,
    high: k.highPrice ?? 0,
    low: k.lowPrice ?? 0,
    close: k.closePrice ?? 0,
    lastClose: k.lastClosePrice,
    volume: k.volume,
    turnover: k.turnover,
    isBlank: k.isBlank,
  };
}

function toSnapshot(s: Qot_GetSecuritySnapshot.Snapshot): Snapshot {
  const b = s.basic;
  return {
    code: securityKey(b.security),
    name: b.name,
    type: enumName(Qot_Common.SecurityType, b.type),
    isSuspended: b.isSuspend,
    lotSize: b.lotSize,
    priceSpread: b.priceSpread,
    updateTime: b.updateTime,
    updateTimestamp: b.updateTimestamp,
    price: b.curPrice,
    open: b.openPrice,
    high: b.highPrice,
    low: b.lowPrice,
    lastClose: b.lastClosePrice,
    volume: b.volume,
    turnover: b.turnover,
    turnoverRate: b.turnoverRate,
    bid: b.bidPrice,
    ask: b.askPrice,
    bidVolume: b.bidVol,
    askVolume: b.askVol,
    ...(b.preMarket?.price !== undefined ? { preMarket: sessionQuote(b.preMarket) } : {}),
    ...(b.afterMarket?.price !== undefined ? { afterMarket: sessionQuote(b.afterMarket) } : {}),
    ...(b.overnight?.price !== undefined ? { overnight: sessionQuote(b.overnight) } : {}),
  };
}

function rehab(name: RehabTypeName | undefined): number {
  return enumValue(Qot_Common.RehabType, name ?? 'FORWARD', 'rehab', ['NONE', 'FORWARD', 'BACKWARD']);
}

function klType(name: unknown): number {
  return enumValue(Qot_Common.KLType, name, 'type');
}

export class QuoteApi {
  constructor(private readonly client: OpenDClient) {}

  /** Snapshot (3203): no subscription needed, at most 400 codes. */
  async snapshot(codes: string[] | string): Promise<Snapshot[]> {
    const refs = parseSecurityList(codes, 'codes', 400);
    const s2c = await this.client.request(PROTO_ID.Qot_GetSecuritySnapshot, { securityList: refs.map(toQotSecurity) });
    return (s2c.snapshotList ?? []).map(toSnapshot);
  }

  /** Latest basic quotes of subscribed securities (needs a BASIC subscription). */
  async basicQuotes(codes: string[] | string): Promise<(Qot_Common.BasicQot & { codeKey: string })[]> {
    const refs = parseSecurityList(codes, 'codes', 400);
    const s2c = await this.client.request(PROTO_ID.Qot_GetBasicQot, { securityList: refs.map(toQotSecurity) });
    return (s2c.basicQotList ?? []).map((q) => ({ ...q, codeKey: securityKey(q.security) }));
  }

  /** Latest K-lines of a subscribed security (≤ 1000). */
  async klines(code: string, opts: { type: KLTypeName; count?: number; rehab?: RehabTypeName }): Promise<Bar[]> {
    const count = opts.count ?? 100;
    if (!Number.isInteger(count) || count < 1 || count > 1000) throw new ValidationError('count', 'an integer from 1 to 1000');
    const s2c = await this.client.request(PROTO_ID.Qot_GetKL, {
      security: toQotSecurity(parseSecurity(code)),
      klType: klType(opts.type),
      rehabType: rehab(opts.rehab),
      reqNum: count,
    });
    return (s2c.klList ?? []).map(toBar);
  }

  /** One page of history K-lines; pass the returned `nextPageKey` for the next page. */
  async historyKlinesPage(
    code: string,
    opts: { type: KLTypeName; from: string; to: string; rehab?: RehabTypeName; pageSize?: number; pageKey?: Uint8Array },
  ): Promise<{ bars: Bar[]; nextPageKey?: Uint8Array }> {
    const pageSize = opts.pageSize ?? 1000;
    if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > 1000) throw new ValidationError('pageSize', 'an integer from 1 to 1000');
    const s2c = await this.client.request(PROTO_ID.Qot_RequestHistoryKL, {
      security: toQotSecurity(parseSecurity(code)),
      klType: klType(opts.type),
      rehabType: rehab(opts.rehab),
      beginTime: opts.from,
      endTime: opts.to,
      maxAckKLNum: pageSize,
      nextReqKey: opts.pageKey,
    });
    const key = s2c.nextReqKey && s2c.nextReqKey.length > 0 ? s2c.nextReqKey : undefined;
    return { bars: (s2c.klList ?? []).map(toBar), nextPageKey: key };
  }

  /** Every page of history K-lines in a range (bounded by `maxPages`). */
  async historyKlines(code: string, opts: { type: KLTypeName; from: string; to: string; rehab?: RehabTypeName; pageSize?: number; maxPages?: number }): Promise<Bar[]> {
    const bars: Bar[] = [];
    let pageKey: Uint8Array | undefined;
    const maxPages = opts.maxPages ?? 100;
    for (let page = 0; page < maxPages; page++) {
      const r = await this.historyKlinesPage(code, { ...opts, pageKey });
      bars.push(...r.bars);
      if (!r.nextPageKey) return bars;
      pageKey = r.nextPageKey;
    }
    throw new ValidationError('to', `more than ${maxPages} pages of K-lines; narrow the range or raise maxPages`);
  }

  async orderBook(code: string, depth = 10): Promise<{ code: string; bids: BookLevel[]; asks: BookLevel[] }> {
    if (!Number.isInteger(depth) || depth < 1 || depth > 50) throw new ValidationError('depth', 'an integer from 1 to 50');
    const s2c = await this.client.request(PROTO_ID.Qot_GetOrderBook, { security: toQotSecurity(parseSecurity(code)), num: depth });
    const lv = (o: Qot_Common.OrderBook): BookLevel => ({ price: o.price, volume: o.volume, orderCount: o.orederCount });
    return { code: securityKey(s2c.security), bids: (s2c.orderBookBidList ?? []).map(lv), asks: (s2c.orderBookAskList ?? []).map(lv) };
  }

  async ticker(code: string, count = 100): Promise<Trade[]> {
    if (!Number.isInteger(count) || count < 1 || count > 1000) throw new ValidationError('count', 'an integer from 1 to 1000');
    const s2c = await this.client.request(PROTO_ID.Qot_GetTicker, { security: toQotSecurity(parseSecurity(code)), maxRetNum: count });
    return (s2c.tickerList ?? []).map((t) => ({
      time: t.time,
      timestamp: t.timestamp,
      sequence: t.sequence,
      price: t.price,
      volume: t.volume,
      turnover: t.turnover,
      direction: enumName(Qot_Common.TickerDirection, t.dir),
    }));
  }

  async timeShare(code: string): Promise<Qot_Common.TimeShare[]> {
    const s2c = await this.client.request(PROTO_ID.Qot_GetRT, { security: toQotSecurity(parseSecurity(code)) });
    return s2c.rtList ?? [];
  }

  async staticInfo(codes: string[] | string): Promise<{ code: string; name: string; lotSize: number; type: string; listTime: string; delisted: boolean }[]> {
    const refs = parseSecurityList(codes, 'codes', 400);
    const s2c = await this.client.request(PROTO_ID.Qot_GetStaticInfo, { securityList: refs.map(toQotSecurity) });
    return (s2c.staticInfoList ?? []).map((s) => ({
      code: securityKey(s.basic.security),
      name: s.basic.name,
      lotSize: s.basic.lotSize,
      type: enumName(Qot_Common.SecurityType, s.basic.secType),
      listTime: s.basic.listTime,
      delisted: s.basic.delisting ?? false,
    }));
  }

  async marketState(codes: string[] | string): Promise<{ code: string; name: string; state: string }[]> {
    const refs = parseSecurityList(codes, 'codes', 400);
    const s2c = await this.client.request(PROTO_ID.Qot_GetMarketState, { securityList: refs.map(toQotSecurity) });
    return (s2c.marketInfoList ?? []).map((m) => ({ code: securityKey(m.security), name: m.name, state: enumName(Qot_Common.QotMarketState, m.marketState) }));
  }

  async subscribe(codes: string[] | string, types: SubTypeName[], opts: { push?: boolean; firstPush?: boolean; rehab?: RehabTypeName } = {}): Promise<void> {
    const refs = parseSecurityList(codes);
    if (types.length === 0) throw new ValidationError('types', 'at least one subscription type, e.g. BASIC');
    await this.client.request(PROTO_ID.Qot_Sub, {
      securityList: refs.map(toQotSecurity),
      subTypeList: types.map((t, i) => enumValue(Qot_Common.SubType, t, `types[${i}]`)),
      isSubOrUnSub: true,
      isRegOrUnRegPush: opts.push ?? true,
      isFirstPush: opts.firstPush ?? true,
      regPushRehabTypeList: [rehab(opts.rehab)],
    });
  }

  async unsubscribe(codes: string[] | string, types: SubTypeName[]): Promise<void> {
    const refs = parseSecurityList(codes);
    await this.client.request(PROTO_ID.Qot_Sub, {
      securityList: refs.map(toQotSecurity),
      subTypeList: types.map((t, i) => enumValue(Qot_Common.SubType, t, `types[${i}]`)),
      isSubOrUnSub: false,
      isRegOrUnRegPush: false,
    });
  }

  async unsubscribeAll(): Promise<void> {
    await this.client.request(PROTO_ID.Qot_Sub, { isSubOrUnSub: false, isUnsubAll: true });
  }

  async subInfo(allConnections = false): Promise<{ usedQuota: number; remainQuota: number; subscriptions: { type: string; codes: string[] }[] }> {
    const s2c = await this.client.request(PROTO_ID.Qot_GetSubInfo, { isReqAllConn: allConnections });
    const subscriptions: { type: string; codes: string[] }[] = [];
    for (const conn of s2c.connSubInfoList ?? []) {
      for (const si of conn.subInfoList ?? []) subscriptions.push({ type: enumName(Qot_Common.SubType, si.subType), codes: (si.securityList ?? []).map(securityKey) });
    }
    return { usedQuota: s2c.totalUsedQuota, remainQuota: s2c.remainQuota, subscriptions };
  }
}
