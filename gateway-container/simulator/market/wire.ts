// Engine state to OpenD messages: BasicQot, KLine, TimeShare and OrderBook as Qot_Common defines them.
// Day statistics before the first live trade are those of the last history day (what OpenD shows before the open).
import * as Qot_Common from '../../../proto/generated/Qot_Common.js';
import { tickSize } from '../ticks.js';
import type { MarketHistory } from './history.js';
import { round, type Bar, type DayStats, type Level, type RtPoint, type SecurityState } from './model.js';
import { DAY_MS, MINUTE_MS, formatLocalMs, fromLocalMs, parseDay, utcOffsetMs } from './calendars.js';

/** Today's statistics; before the first live trade, those of the last history day (what OpenD shows before the open). */
export function dayStats(s: SecurityState, history: MarketHistory): DayStats {
  if (s.today.trades > 0 || s.lastHistoryDay === undefined) return s.today;
  const last = history.history(s).days.at(-1);
  if (last) {
    s.today = {
      day: last.day,
      prevClose: last.lastClose,
      open: last.open,
      high: last.high,
      low: last.low,
      volume: last.volumeLots * s.sec.lotSize,
      turnover: last.turnover,
      trades: 1,
    };
  }
  return s.today;
}

export function buildBasicQot(s: SecurityState, history: MarketHistory): Qot_Common.BasicQot {
  const { sec } = s;
  const today = dayStats(s, history);
  const traded = today.trades > 0;
  const listDay = parseDay(sec.listDate)!;
  const high = traded ? today.high : s.last;
  const low = traded ? today.low : s.last;
  return {
    security: { ...s.qot },
    name: sec.name,
    isSuspended: false,
    listTime: sec.listDate,
    priceSpread: tickSize(s.rule, s.last),
    updateTime: formatLocalMs(s.lastTime + utcOffsetMs(s.market, s.lastTime)),
    highPrice: high,
    openPrice: traded ? today.open : s.last,
    lowPrice: low,
    curPrice: s.last,
    lastClosePrice: today.prevClose,
    volume: BigInt(today.volume),
    turnover: round(today.turnover, 3),
    turnoverRate: turnoverRate(s, today.volume),
    amplitude: today.prevClose > 0 ? round(((high - low) / today.prevClose) * 100, 3) : 0,
    listTimestamp: fromLocalMs(s.market, listDay * DAY_MS) / 1000,
    updateTimestamp: s.lastTime / 1000,
    secStatus: Qot_Common.SecurityStatus.NORMAL,
  };
}

export function turnoverRate(s: SecurityState, volume: number): number {
  const float = s.sec.equity?.outstandingShares ?? s.sec.trust?.outstandingUnits;
  return float ? round((volume / float) * 100, 4) : 0;
}

export function toKLine(s: SecurityState, b: Bar): Qot_Common.KLine {
  const eps = s.sec.equity?.earningsPerShare;
  return {
    time: formatLocalMs(b.label),
    isBlank: false,
    highPrice: b.high,
    openPrice: b.open,
    lowPrice: b.low,
    closePrice: b.close,
    lastClosePrice: b.lastClose,
    volume: BigInt(b.volume),
    turnover: b.turnover,
    turnoverRate: turnoverRate(s, b.volume),
    pe: eps ? round(b.close / eps, 3) : 0,
    changeRate: b.lastClose > 0 ? round(((b.close - b.lastClose) / b.lastClose) * 100, 4) : 0,
    timestamp: fromLocalMs(s.market, b.label) / 1000,
  };
}

export function toTimeShare(s: SecurityState, p: RtPoint): Qot_Common.TimeShare {
  return {
    time: formatLocalMs(p.label),
    minute: Math.floor((p.label - Math.floor(p.label / DAY_MS) * DAY_MS) / MINUTE_MS),
    isBlank: false,
    price: p.price,
    lastClosePrice: s.today.prevClose,
    avgPrice: p.avgPrice,
    volume: BigInt(p.volume),
    turnover: p.turnover,
    timestamp: fromLocalMs(s.market, p.label) / 1000,
  };
}

export function toOrderBook(l: Level): Qot_Common.OrderBook {
  return { price: l.price, volume: BigInt(l.volume), orederCount: l.orders };
}
