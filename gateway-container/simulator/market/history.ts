// The generated past of every security, built lazily on first read: 3 years of daily bars and 60 trading
// days of 1-minute bars that end exactly where the live price process starts (daily closes are a random walk
// run backwards from the live start price). Also the meeting of history and live bars: a week/month/quarter/
// year bar whose period began in the history carries those days.
import { snapToTick } from '../ticks.js';
import {
  clampFair,
  HISTORY_CALENDAR_DAYS,
  INTRADAY_MINUTES,
  KL,
  MINUTE_CACHE_LIMIT,
  MINUTE_HISTORY_DAYS,
  round,
  snapNearest,
  TRADING_DAYS_PER_YEAR,
  type Bar,
  type HistoryData,
  type HistoryDay,
  type SecurityState,
} from './model.js';
import { aggregate, periodOf } from './periods.js';
import { hash32, Rng } from '../../../proto/seeded-random.js';
import { DAY_MS, MARKET_CALENDARS, MINUTE_MS, isTradingDay, parseDay, sessionMinutes } from './calendars.js';

export class MarketHistory {
  private readonly minuteCache = new Map<string, Bar[]>();

  /** `isSuspendedDay(key, day)`: a suspended day (suspensions.ts) has no trades, so the history has no bar for it. */
  constructor(
    private readonly seed: number,
    private readonly isSuspendedDay: (key: string, day: number) => boolean = () => false,
  ) {}

  /**
   * The generated past, built on first use. Daily closes are a random walk run backwards from the live
   * start price, so the last history close is exactly where the live process begins.
   */
  history(s: SecurityState): HistoryData {
    if (s.history) return s.history;
    const { sec, market, rule } = s;
    const listDay = parseDay(sec.listDate)!;
    const firstDay = Math.max(listDay, s.liveFromDay - HISTORY_CALENDAR_DAYS);
    const dayNumbers: number[] = [];
    for (let d = firstDay; d < s.liveFromDay; d++) if (isTradingDay(market, d) && !this.isSuspendedDay(sec.key, d)) dayNumbers.push(d);
    const n = dayNumbers.length;
    const sigmaDay = sec.annualVolatility / Math.sqrt(TRADING_DAYS_PER_YEAR);
    const minutesPerDay = sessionMinutes(market);
    const draws = dayNumbers.map((day) => {
      const rng = new Rng(hash32(`${this.seed}|${sec.key}|day|${day}`));
      return { ret: rng.normal(), gap: rng.normal(), vol: rng.normal(), high: rng.normal(), low: rng.normal() };
    });
    const closes = new Array<number>(n);
    if (n > 0) closes[n - 1] = s.basisClose;
    for (let i = n - 1; i > 0; i--) closes[i - 1] = snapNearest(rule, clampFair(s, closes[i]! * Math.exp(-sigmaDay * draws[i]!.ret)));
    const firstLastClose = n > 0 ? snapNearest(rule, clampFair(s, closes[0]! * Math.exp(-sigmaDay * draws[0]!.ret))) : 0;

    const minuteFrom = Math.max(0, n - MINUTE_HISTORY_DAYS);
    const days: HistoryDay[] = [];
    for (let i = 0; i < n; i++) {
      const draw = draws[i]!;
      const lastClose = i === 0 ? firstLastClose : closes[i - 1]!;
      const close = closes[i]!;
      const open = snapNearest(rule, clampFair(s, lastClose * Math.exp(0.2 * sigmaDay * draw.gap)));
      const volumeLots = Math.max(minutesPerDay, Math.round((sec.avgDailyVolume / sec.lotSize) * Math.exp(0.35 * draw.vol - 0.06)));
      const rec: HistoryDay = { day: dayNumbers[i]!, open, close, lastClose, volumeLots, high: 0, low: 0, turnover: 0 };
      if (i >= minuteFrom) {
        let high = 0;
        let low = Infinity;
        let turnover = 0;
        for (const b of this.generateMinuteBars(s, rec)) {
          high = Math.max(high, b.high);
          low = Math.min(low, b.low);
          turnover += b.turnover;
        }
        rec.high = high;
        rec.low = low;
        rec.turnover = round(turnover, 3);
      } else {
        rec.high = snapToTick(rule, Math.max(open, close) * Math.exp(Math.abs(draw.high) * sigmaDay * 0.5), 'up');
        const low = snapToTick(rule, Math.min(open, close) * Math.exp(-Math.abs(draw.low) * sigmaDay * 0.5), 'down');
        rec.low = low > 0 ? low : Math.min(open, close);
        rec.turnover = round(volumeLots * sec.lotSize * ((open + rec.high + rec.low + close) / 4), 3);
      }
      days.push(rec);
    }
    s.history = { days, minuteFrom, calendarBars: new Map() };
    return s.history;
  }

  /** 1-minute bars of a history day: a Brownian bridge from the day's open to its close. */
  generateMinuteBars(s: SecurityState, rec: HistoryDay): Bar[] {
    const cacheKey = `${s.sec.key}|${rec.day}`;
    const cached = this.minuteCache.get(cacheKey);
    if (cached) return cached;
    const { sec, rule, market } = s;
    const starts: number[] = [];
    for (const [a, b] of MARKET_CALENDARS[market].sessions) for (let m = a; m < b; m++) starts.push(m);
    const m = starts.length;
    const rng = new Rng(hash32(`${this.seed}|${sec.key}|minutes|${rec.day}`));
    const sigmaMinute = sec.annualVolatility / Math.sqrt(TRADING_DAYS_PER_YEAR * m);
    const walk = new Float64Array(m + 1);
    for (let j = 1; j <= m; j++) walk[j] = walk[j - 1]! + sigmaMinute * rng.normal();
    const drift = walk[m]! - Math.log(rec.close / rec.open);
    const weights = starts.map((_, j) => (1 + 1.2 * ((2 * j) / Math.max(1, m - 1) - 1) ** 2) * Math.exp(0.4 * rng.normal()));
    const weightSum = weights.reduce((a, b) => a + b, 0);
    const spare = rec.volumeLots - m;
    const lots = weights.map((w) => 1 + Math.floor((spare * w) / weightSum));
    let leftover = rec.volumeLots - lots.reduce((a, b) => a + b, 0);
    for (let j = 0; leftover > 0 && j < m; j++, leftover--) lots[j]! += 1;

    const bars: Bar[] = [];
    let prev = rec.open;
    let prevClose = rec.lastClose;
    for (let j = 1; j <= m; j++) {
      const close = j === m ? rec.close : snapNearest(rule, clampFair(s, rec.open * Math.exp(walk[j]! - (j / m) * drift)));
      const open = prev;
      const high = snapToTick(rule, Math.max(open, close) * (1 + rng.next() * sigmaMinute), 'up');
      const lowRaw = snapToTick(rule, Math.min(open, close) * (1 - rng.next() * sigmaMinute), 'down');
      const low = lowRaw > 0 ? lowRaw : Math.min(open, close);
      const volume = lots[j - 1]! * sec.lotSize;
      const label = rec.day * DAY_MS + (starts[j - 1]! + 1) * MINUTE_MS;
      bars.push({ key: label, label, open, high, low, close, lastClose: prevClose, volume, turnover: round(volume * ((open + high + low + close) / 4), 3) });
      prev = close;
      prevClose = close;
    }
    if (this.minuteCache.size >= MINUTE_CACHE_LIMIT) this.minuteCache.delete(this.minuteCache.keys().next().value!);
    this.minuteCache.set(cacheKey, bars);
    return bars;
  }

  intradayHistoryBars(s: SecurityState, rec: HistoryDay, type: number): Bar[] {
    const minutes = this.generateMinuteBars(s, rec);
    if (type === KL['1MIN']) return minutes;
    return aggregate(s.market, type, minutes, (b) => b.label - MINUTE_MS);
  }

  /** History bars of DAY, WEEK, MONTH, QUARTER or YEAR. */
  calendarHistoryBars(s: SecurityState, type: number): Bar[] {
    const h = this.history(s);
    let bars = h.calendarBars.get(type);
    if (!bars) {
      const daily: Bar[] = h.days.map((d) => ({
        key: d.day,
        label: d.day * DAY_MS,
        open: d.open,
        high: d.high,
        low: d.low,
        close: d.close,
        lastClose: d.lastClose,
        volume: d.volumeLots * s.sec.lotSize,
        turnover: d.turnover,
      }));
      bars = type === KL.DAY ? daily : aggregate(s.market, type, daily, (b) => b.label);
      h.calendarBars.set(type, bars);
    }
    return bars;
  }

  /** The last `count` history bars of a type that come before the live bar `beforeKey`. */
  historyTail(s: SecurityState, type: number, count: number, beforeKey: number | undefined): Bar[] {
    if (!INTRADAY_MINUTES.has(type)) {
      const bars = this.calendarHistoryBars(s, type);
      const usable = beforeKey === undefined ? bars : bars.filter((b) => b.key < beforeKey);
      return usable.slice(-count);
    }
    const h = this.history(s);
    const chunks: Bar[][] = [];
    let collected = 0;
    for (let i = h.days.length - 1; i >= h.minuteFrom && collected < count; i--) {
      const bars = this.intradayHistoryBars(s, h.days[i]!, type);
      chunks.unshift(bars);
      collected += bars.length;
    }
    return chunks.flat().slice(-count);
  }

  /** Merges the history days of the bar's period into it (deferred so history is generated only when read). */
  settleCarry(s: SecurityState, type: number, bar: Bar): Bar {
    if (!bar.carryPending) return bar;
    bar.carryPending = false;
    const carried = this.calendarHistoryBars(s, type).at(-1);
    if (carried && carried.key === bar.key) {
      bar.label = carried.label;
      bar.open = carried.open;
      bar.lastClose = carried.lastClose;
      bar.high = Math.max(bar.high, carried.high);
      bar.low = Math.min(bar.low, carried.low);
      bar.volume += carried.volume;
      bar.turnover = round(bar.turnover + carried.turnover, 3);
    }
    return bar;
  }

  /** Live bars of a type, oldest first. */
  liveBars(s: SecurityState, type: number): Bar[] {
    const series = s.series.get(type)!;
    const bars = series.current ? [...series.done, series.current] : [...series.done];
    // Only the first live bar of a type can carry history days.
    if (bars[0]) this.settleCarry(s, type, bars[0]);
    return bars;
  }

  /** History daily bars followed by the live ones. */
  mergedDailyBars(s: SecurityState): Bar[] {
    const live = this.liveBars(s, KL.DAY);
    const firstLive = live[0]?.key;
    const hist = this.calendarHistoryBars(s, KL.DAY).filter((b) => firstLive === undefined || b.key < firstLive);
    return [...hist, ...live];
  }
}

/** A new live bar. A week/month/quarter/year bar whose period began in the history is marked to carry those days. */
export function openLiveBar(s: SecurityState, type: number, key: number, label: number, price: number, previous: Bar | undefined): Bar {
  const bar: Bar = { key, label, open: price, high: price, low: price, close: price, lastClose: previous?.close ?? s.basisClose, volume: 0, turnover: 0 };
  if (previous === undefined && s.lastHistoryDay !== undefined && !INTRADAY_MINUTES.has(type) && type !== KL.DAY) {
    bar.carryPending = periodOf(s.market, type, s.lastHistoryDay * DAY_MS).key === key;
  }
  return bar;
}
