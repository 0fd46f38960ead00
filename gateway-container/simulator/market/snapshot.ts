// Qot_GetSecuritySnapshot for one security: the BasicQot fields plus 52-week and all-time ranges, volume
// ratio, bid/ask ratio, and the equity, trust or index extras (index breadth counts the simulated universe).
import * as Qot_Common from '../../../proto/generated/Qot_Common.js';
import type * as Qot_GetSecuritySnapshot from '../../../proto/generated/Qot_GetSecuritySnapshot.js';
import type { SecurityMarket } from '../market-view.js';
import type { MarketHistory } from './history.js';
import { round, type SecurityState } from './model.js';
import { DAY_MS, utcOffsetMs } from './calendars.js';
import { suspendedQuote } from './suspensions.js';
import { buildBasicQot, dayStats } from './wire.js';

export interface SnapshotContext {
  history: MarketHistory;
  /** Virtual time up to which the engine has stepped. */
  processedUntil: number;
  /** Trading minutes in a day for this security's market (24 h in always-open mode). */
  minutesPerTradingDay: number;
  /** Every security (index breadth counts those of the same market). */
  peers: Iterable<SecurityState>;
  /** Suspended today (suspensions.ts): flagged, frozen at the last close, no book. */
  suspended?: boolean;
}

/** Everything Qot_GetSecuritySnapshot returns for one security. */
export function buildSnapshot(s: SecurityState, ctx: SnapshotContext): Qot_GetSecuritySnapshot.Snapshot {
  const { history } = ctx;
  const { sec } = s;
  const today = dayStats(s, history);
  const live = buildBasicQot(s, history);
  const q = ctx.suspended ? suspendedQuote(live, s.last) : live;
  const dailies = history.mergedDailyBars(s);
  const now = ctx.processedUntil + utcOffsetMs(s.market, ctx.processedUntil);
  const yearAgo = now - 365 * DAY_MS;
  let hi52 = 0;
  let lo52 = Infinity;
  let hiAll = 0;
  let loAll = Infinity;
  for (const b of dailies) {
    hiAll = Math.max(hiAll, b.high);
    loAll = Math.min(loAll, b.low);
    if (b.label >= yearAgo) {
      hi52 = Math.max(hi52, b.high);
      lo52 = Math.min(lo52, b.low);
    }
  }
  const bidVolTotal = s.bids.reduce((sum, l) => sum + l.volume, 0);
  const askVolTotal = s.asks.reduce((sum, l) => sum + l.volume, 0);
  const finished = dailies.filter((b) => b.key < today.day).slice(-5);
  const avgDaily = finished.length ? finished.reduce((sum, b) => sum + b.volume, 0) / finished.length : 0;
  const tradedMinutes = s.rt.size;
  const volumeRatio =
    avgDaily > 0 && tradedMinutes > 0 ? today.volume / tradedMinutes / (avgDaily / ctx.minutesPerTradingDay) : 0;

  const basic: Qot_GetSecuritySnapshot.SnapshotBasicData = {
    security: { ...s.qot },
    name: sec.name,
    type: sec.secType,
    isSuspend: ctx.suspended === true,
    listTime: q.listTime,
    lotSize: sec.lotSize,
    priceSpread: q.priceSpread,
    updateTime: q.updateTime,
    highPrice: q.highPrice,
    openPrice: q.openPrice,
    lowPrice: q.lowPrice,
    lastClosePrice: q.lastClosePrice,
    curPrice: q.curPrice,
    volume: q.volume,
    turnover: q.turnover,
    turnoverRate: q.turnoverRate,
    listTimestamp: q.listTimestamp,
    updateTimestamp: q.updateTimestamp,
    amplitude: q.amplitude,
    avgPrice: !ctx.suspended && today.volume > 0 ? round(today.turnover / today.volume, 4) : s.last,
    volumeRatio: ctx.suspended ? 0 : round(volumeRatio, 3),
    highest52WeeksPrice: hi52 || s.last,
    lowest52WeeksPrice: Number.isFinite(lo52) ? lo52 : s.last,
    highestHistoryPrice: hiAll || s.last,
    lowestHistoryPrice: Number.isFinite(loAll) ? loAll : s.last,
    secStatus: q.secStatus,
  };
  if (!s.isIndex) {
    // A suspended security has no book (the engine's orderBook and top say the same).
    const bid = ctx.suspended ? undefined : s.bids[0];
    const ask = ctx.suspended ? undefined : s.asks[0];
    Object.assign(basic, {
      bidPrice: bid?.price ?? s.last,
      askPrice: ask?.price ?? s.last,
      bidVol: BigInt(bid?.volume ?? 0),
      askVol: BigInt(ask?.volume ?? 0),
      bidAskRatio: !ctx.suspended && bidVolTotal + askVolTotal > 0 ? round(((bidVolTotal - askVolTotal) / (bidVolTotal + askVolTotal)) * 100, 3) : 0,
      enableMargin: false,
      enableShortSell: false,
    });
  }
  const snapshot: Qot_GetSecuritySnapshot.Snapshot = { basic };
  const price = s.last;
  if (sec.equity) {
    const e = sec.equity;
    const ratio = (a: number, b: number): number => (b !== 0 ? round(a / b, 3) : 0);
    snapshot.equityExData = {
      issuedShares: BigInt(Math.round(e.issuedShares)),
      issuedMarketVal: round(e.issuedShares * price, 2),
      netAsset: round(e.netAssetPerShare * e.issuedShares, 2),
      netProfit: round(e.earningsPerShare * e.issuedShares, 2),
      earningsPershare: e.earningsPerShare,
      outstandingShares: BigInt(Math.round(e.outstandingShares)),
      outstandingMarketVal: round(e.outstandingShares * price, 2),
      netAssetPershare: e.netAssetPerShare,
      eyRate: ratio(e.earningsPerShare * 100, price),
      peRate: ratio(price, e.earningsPerShare),
      pbRate: ratio(price, e.netAssetPerShare),
      peTTMRate: ratio(price, e.earningsPerShare),
      ...(e.dividendPerShare !== undefined
        ? {
            dividendTTM: e.dividendPerShare,
            dividendRatioTTM: ratio(e.dividendPerShare * 100, price),
            dividendLFY: e.dividendPerShare,
            dividendLFYRatio: ratio(e.dividendPerShare * 100, price),
          }
        : {}),
    };
  }
  if (sec.trust) {
    const t = sec.trust;
    snapshot.trustExData = {
      dividendYield: t.dividendYield,
      aum: round(t.outstandingUnits * t.netAssetValue, 2),
      outstandingUnits: BigInt(Math.round(t.outstandingUnits)),
      netAssetValue: t.netAssetValue,
      premium: t.netAssetValue > 0 ? round((price / t.netAssetValue - 1) * 100, 3) : 0,
      assetClass: Qot_Common.AssetClass[t.assetClass],
    };
  }
  if (s.isIndex) {
    // Breadth of the index's market within the simulated universe.
    const sameMarket = (m: SecurityMarket): boolean => m === s.market || ((m === 'SH' || m === 'SZ') && (s.market === 'SH' || s.market === 'SZ'));
    let raiseCount = 0;
    let fallCount = 0;
    let equalCount = 0;
    for (const o of ctx.peers) {
      // Futures are no constituents: breadth counts the market's stocks and funds.
      if (o.isIndex || o.sec.derivative !== undefined || !sameMarket(o.market)) continue;
      const prevClose = dayStats(o, history).prevClose;
      if (o.last > prevClose) raiseCount++;
      else if (o.last < prevClose) fallCount++;
      else equalCount++;
    }
    snapshot.indexExData = { raiseCount, fallCount, equalCount };
  }
  return snapshot;
}
