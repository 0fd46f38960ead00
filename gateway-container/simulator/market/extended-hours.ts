// US extended sessions of the simulated market (exchange mode only): the trading windows of a day (overnight,
// pre-market, regular, after-hours), the market state they report, the thinner trades they generate, and the
// pre / after / overnight quote fields (Qot_Common.PreAfterMarketData) built from those trades.
// Invariants: extended-session trades never touch the regular-session state (last price, day statistics,
// tickers, K-lines, time-share): OpenD's K-lines, time-share and tickers cover the regular session unless extended
// time is asked for (Qot_Sub.extendedTime "是否允许美股盘前盘后数据" and Qot_RequestHistoryKL.extendedTime, both off by
// default; the simulator does not serve extended-time bars), and its curPrice stays the regular price while
// preMarket / afterMarket / overnight carry the rest.
// A quote carries a session's fields only once that session has traded. Non-US markets have no extended windows.
import * as Qot_Common from '../../../proto/generated/Qot_Common.js';
import type { SecurityMarket, TradingSessionName } from '../market-view.js';
import { DAY_MS, MINUTE_MS, US_EXTENDED_MINUTES, fromLocalMs, isTradingDay, localDay, nextSessionInstant, sessionMinutesOfDay, sessionsOfDay } from './calendars.js';
import { clampFair, rebuildBook, round, touchAround, type SecurityState } from './model.js';

export type ExtendedSessionName = Exclude<TradingSessionName, 'RTH'>;

export interface TradingWindow {
  session: TradingSessionName;
  /** UTC instants, [start, end). */
  start: number;
  end: number;
  /** Where the whole session began: an overnight session that crosses midnight is one session. */
  sessionStart: number;
}

const windowCache = new Map<string, TradingWindow[]>();

/**
 * Trading windows of an exchange-local day, ascending. Non-US markets: their regular sessions. US: on a trading
 * day the tail of the overnight session (00:00-04:00), pre-market, the regular session, after-hours; and the
 * head of an overnight session (20:00-24:00) on any day before a trading day (so Sunday evening, not Friday's).
 */
export function tradingWindowsOfDay(market: SecurityMarket, day: number): TradingWindow[] {
  const cacheKey = `${market}|${day}`;
  const hit = windowCache.get(cacheKey);
  if (hit) return hit;
  const regular: TradingWindow[] = sessionsOfDay(market, day).map(([start, end]) => ({ session: 'RTH', start, end, sessionStart: start }));
  let out = regular;
  if (market === 'US') {
    const at = (minute: number): number => fromLocalMs('US', day * DAY_MS + minute * MINUTE_MS);
    const M = US_EXTENDED_MINUTES;
    out = [];
    if (isTradingDay('US', day) && regular.length > 0) {
      out.push({ session: 'OVERNIGHT', start: at(0), end: at(M.overnightEnd), sessionStart: at(M.overnightStart - 24 * 60) });
      out.push({ session: 'PRE', start: at(M.preMarketStart), end: regular[0]!.start, sessionStart: at(M.preMarketStart) });
      out.push(...regular);
      const close = sessionMinutesOfDay('US', day).at(-1)![1];
      out.push({ session: 'AFTER', start: at(close), end: at(close + M.afterHoursLength), sessionStart: at(close) });
    }
    if (isTradingDay('US', day + 1)) out.push({ session: 'OVERNIGHT', start: at(M.overnightStart), end: at(24 * 60), sessionStart: at(M.overnightStart) });
  }
  if (windowCache.size >= 4096) windowCache.clear();
  windowCache.set(cacheKey, out);
  return out;
}

/** The window the market is in at `t`, if any. */
export function windowAt(market: SecurityMarket, t: number): TradingWindow | undefined {
  return tradingWindowsOfDay(market, localDay(market, t)).find((w) => t >= w.start && t < w.end);
}

/** `t` if any session (regular or extended) is open at `t`, else the start of the next one. */
export function nextActiveInstant(market: SecurityMarket, t: number): number {
  if (market !== 'US') return nextSessionInstant(market, t);
  const first = localDay(market, t);
  // Three weeks covers the longest closure, as in nextSessionInstant.
  for (let day = first; day < first + 21; day++) {
    for (const w of tradingWindowsOfDay(market, day)) if (t < w.end) return Math.max(w.start, t);
  }
  throw new Error(`no ${market} session within three weeks of ${new Date(t).toISOString()}`); // unreachable
}

/**
 * Qot_Common.QotMarketState of a US extended session at `t` (PRE_MARKET_BEGIN, AFTER_HOURS_BEGIN, OVERNIGHT), or
 * undefined when the calendar's own states apply (the regular session, the gaps, non-US markets).
 */
export function extendedMarketState(market: SecurityMarket, t: number): number | undefined {
  if (market !== 'US') return undefined;
  switch (windowAt(market, t)?.session) {
    case 'PRE':
      return Qot_Common.QotMarketState.PRE_MARKET_BEGIN;
    case 'AFTER':
      return Qot_Common.QotMarketState.AFTER_HOURS_BEGIN;
    case 'OVERNIGHT':
      return Qot_Common.QotMarketState.OVERNIGHT;
    default:
      return undefined;
  }
}

interface ExtendedStats {
  sessionStart: number;
  /** The regular close the session's change is measured against (the last regular price when it began). */
  refClose: number;
  high: number;
  low: number;
  last: number;
  volume: number;
  turnover: number;
}

const statsByState = new WeakMap<SecurityState, Partial<Record<ExtendedSessionName, ExtendedStats>>>();

/** Share of the regular mean trade size that an extended-session trade has on average (thinner liquidity). */
const EXTENDED_SIZE_SHARE = 0.25;

/**
 * One extended-session trade of `s` in window `w`: the fair value moves, the book follows it, the trade
 * prints at the bid or the ask with a quarter of the regular size, and only the session's own statistics change.
 */
export function applyExtendedTrade(s: SecurityState, w: TradingWindow & { session: ExtendedSessionName }): { price: number; volume: number } {
  const sigma = s.sigmaStep;
  s.fair = clampFair(s, s.fair * Math.exp(sigma * s.rng.normal() - 0.5 * sigma * sigma));
  const { bid, ask } = touchAround(s.rule, s.fair);
  const price = s.rng.next() < (s.fair - bid) / (ask - bid) ? ask : bid;
  const volume = s.rng.lots(Math.max(1, s.meanLots * EXTENDED_SIZE_SHARE)) * s.sec.lotSize;
  rebuildBook(s, s.fair);
  let all = statsByState.get(s);
  if (!all) {
    all = {};
    statsByState.set(s, all);
  }
  let st = all[w.session];
  if (!st || st.sessionStart !== w.sessionStart) {
    st = { sessionStart: w.sessionStart, refClose: s.last, high: price, low: price, last: price, volume: 0, turnover: 0 };
    all[w.session] = st;
  }
  st.high = Math.max(st.high, price);
  st.low = Math.min(st.low, price);
  st.last = price;
  st.volume += volume;
  st.turnover = round(st.turnover + price * volume, 3);
  return { price, volume };
}

function toPreAfter(st: ExtendedStats): Qot_Common.PreAfterMarketData {
  const ref = st.refClose;
  return {
    price: st.last,
    highPrice: st.high,
    lowPrice: st.low,
    volume: BigInt(st.volume),
    turnover: st.turnover,
    changeVal: round(st.last - ref, 3),
    changeRate: ref > 0 ? round(((st.last - ref) / ref) * 100, 3) : 0,
    amplitude: ref > 0 ? round(((st.high - st.low) / ref) * 100, 3) : 0,
  };
}

/** BasicQot / snapshot fields of the sessions that have traded: preMarket, afterMarket, overnight. */
export function extendedQuoteFields(s: SecurityState): { preMarket?: Qot_Common.PreAfterMarketData; afterMarket?: Qot_Common.PreAfterMarketData; overnight?: Qot_Common.PreAfterMarketData } {
  const all = statsByState.get(s);
  if (!all) return {};
  const out: { preMarket?: Qot_Common.PreAfterMarketData; afterMarket?: Qot_Common.PreAfterMarketData; overnight?: Qot_Common.PreAfterMarketData } = {};
  if (all.PRE) out.preMarket = toPreAfter(all.PRE);
  if (all.AFTER) out.afterMarket = toPreAfter(all.AFTER);
  if (all.OVERNIGHT) out.overnight = toPreAfter(all.OVERNIGHT);
  return out;
}
