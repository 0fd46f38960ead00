// Capital flow and capital distribution computed from the simulator's own trades (Qot_GetCapitalFlow 3211,
// Qot_GetCapitalDistribution 3212). Every simulated trade the engine reports is classified once, on arrival:
// - direction: Futu's TickerDirection BID (外盘, buyer-initiated) is money flowing in, ASK (内盘, seller-
//   initiated) money flowing out, NEUTRAL neither;
// - size: super / big / mid / small by the trade's volume relative to the security's average trade
//   (avgDailyVolume spread over a day's simulated trades): ≥ 4×, ≥ 2×, ≥ 1×, below. Futu classifies real orders
//   by amount with per-market thresholds it does not publish; a relative cut keeps every simulated security
//   populated in all four classes.
// "Main" capital is super + big, as in Futu's capital-flow definition.
// Invariants: only trades seen since start are counted (the generated history before start has no trades);
// figures are kept per exchange-local day (the latest 400 days), and a day's minute series is cumulative, as Futu's intraday flow is.
import * as Qot_Common from '../../../proto/generated/Qot_Common.js';
import type { MarketEngine, MarketUpdate } from './engine.js';
import { DAY_MS, MINUTE_MS, formatLocalMs, sessionMinutes, toLocalMs } from './calendars.js';
import type { SecurityMarket } from '../market-view.js';

export type SizeClass = 'super' | 'big' | 'mid' | 'small';
const CLASSES: readonly SizeClass[] = ['super', 'big', 'mid', 'small'];

type Amounts = Record<SizeClass, number>;
/** Daily totals kept per security (a little over a year of trading days: the default DAY range is 365 days). */
const MAX_DAYS = 400;
const zero = (): Amounts => ({ super: 0, big: 0, mid: 0, small: 0 });

interface DayFlow {
  day: number;
  in: Amounts;
  out: Amounts;
  /** Local minute (ms since local midnight / MINUTE_MS) → net inflow of that minute by class. */
  minutes: Map<number, Amounts>;
  lastTradeLocalMs: number;
}

export interface FlowPoint {
  /** "yyyy-MM-dd HH:mm:ss" (intraday) or "yyyy-MM-dd" (daily and longer), exchange-local. */
  time: string;
  inFlow: number;
  mainInFlow: number;
  superInFlow: number;
  bigInFlow: number;
  midInFlow: number;
  smlInFlow: number;
}

export class CapitalFlowBook {
  private readonly days = new Map<string, Map<number, DayFlow>>();
  private readonly unsubscribe: () => void;

  constructor(
    private readonly market: MarketEngine,
    private readonly tickIntervalMs: number,
  ) {
    this.unsubscribe = market.onUpdate((u) => this.record(u));
  }

  dispose(): void {
    this.unsubscribe();
  }

  private record(u: MarketUpdate): void {
    const t = u.trade;
    if (t.dir !== Qot_Common.TickerDirection.BID && t.dir !== Qot_Common.TickerDirection.ASK) return;
    const sec = this.market.security(u.key);
    if (!sec) return;
    const local = toLocalMs(sec.market, (t.timestamp ?? 0) * 1000);
    const day = Math.floor(local / DAY_MS);
    let byDay = this.days.get(u.key);
    if (!byDay) this.days.set(u.key, (byDay = new Map()));
    let d = byDay.get(day);
    if (!d) {
      // Bounded memory on long runs: only the latest day keeps its minutes (intraday flow reads only that day),
      // and at most MAX_DAYS daily totals are kept.
      for (const old of byDay.values()) old.minutes.clear();
      if (byDay.size >= MAX_DAYS) byDay.delete(Math.min(...byDay.keys()));
      byDay.set(day, (d = { day, in: zero(), out: zero(), minutes: new Map(), lastTradeLocalMs: local }));
    }
    const cls = this.classify(sec.market, sec.avgDailyVolume, Number(t.volume));
    const signed = t.dir === Qot_Common.TickerDirection.BID ? t.turnover : -t.turnover;
    (t.dir === Qot_Common.TickerDirection.BID ? d.in : d.out)[cls] += t.turnover;
    const minute = Math.floor((local - day * DAY_MS) / MINUTE_MS);
    const m = d.minutes.get(minute) ?? zero();
    m[cls] += signed;
    d.minutes.set(minute, m);
    d.lastTradeLocalMs = Math.max(d.lastTradeLocalMs, local);
  }

  private classify(market: SecurityMarket, avgDailyVolume: number, volume: number): SizeClass {
    const tradesPerDay = Math.max(1, (sessionMinutes(market) * MINUTE_MS) / this.tickIntervalMs);
    const ratio = volume / Math.max(1, avgDailyVolume / tradesPerDay);
    return ratio >= 4 ? 'super' : ratio >= 2 ? 'big' : ratio >= 1 ? 'mid' : 'small';
  }

  /** The latest day with trades, if any. */
  private latest(key: string): DayFlow | undefined {
    const byDay = this.days.get(key);
    if (!byDay || byDay.size === 0) return undefined;
    return byDay.get(Math.max(...byDay.keys()));
  }

  /** Turnover in and out by size class on the latest day with trades (zeros when there is none yet). */
  distribution(key: string): { in: Amounts; out: Amounts; updateTime?: string } {
    const d = this.latest(key);
    if (!d) return { in: zero(), out: zero() };
    return { in: { ...d.in }, out: { ...d.out }, updateTime: formatLocalMs(d.lastTradeLocalMs) };
  }

  /** Cumulative net inflow minute by minute through the latest day with trades (Futu's intraday flow). */
  intraday(key: string): FlowPoint[] {
    const d = this.latest(key);
    if (!d) return [];
    const acc = zero();
    return [...d.minutes.keys()]
      .sort((a, b) => a - b)
      .map((minute) => {
        const m = d.minutes.get(minute)!;
        for (const c of CLASSES) acc[c] += m[c];
        return point(formatLocalMs(d.day * DAY_MS + minute * MINUTE_MS), acc);
      });
  }

  /**
   * Net inflow per day, or per week / month (days grouped by `periodKey`), for days in [fromDay, toDay].
   * A period's time is its first traded day.
   */
  periods(key: string, fromDay: number, toDay: number, periodKey: (day: number) => number): FlowPoint[] {
    const byDay = this.days.get(key);
    if (!byDay) return [];
    const groups = new Map<number, { first: number; net: Amounts }>();
    for (const day of [...byDay.keys()].sort((a, b) => a - b)) {
      if (day < fromDay || day > toDay) continue;
      const d = byDay.get(day)!;
      const k = periodKey(day);
      const g = groups.get(k) ?? { first: day, net: zero() };
      for (const c of CLASSES) g.net[c] += d.in[c] - d.out[c];
      groups.set(k, g);
    }
    return [...groups.values()].map((g) => point(formatLocalMs(g.first * DAY_MS, false), g.net));
  }
}

function point(time: string, a: Amounts): FlowPoint {
  const r = (v: number) => Math.round(v * 1000) / 1000;
  return {
    time,
    inFlow: r(a.super + a.big + a.mid + a.small),
    mainInFlow: r(a.super + a.big),
    superInFlow: r(a.super),
    bigInFlow: r(a.big),
    midInFlow: r(a.mid),
    smlInFlow: r(a.small),
  };
}
