// K-line periods: which bar a local instant belongs to for every KLType, and aggregation of finer bars into
// coarser ones. OpenD labels an intraday bar with its end time (09:30-09:31 is "09:31:00") and a day or longer
// bar with its first day; bars never span a session boundary.
import type { SecurityMarket } from '../market-view.js';
import { civilDate, INTRADAY_MINUTES, KL, round, type Bar } from './model.js';
import { DAY_MS, MARKET_CALENDARS, MINUTE_MS, weekdayOf } from './calendars.js';

/** Per market; the calendars are fixed, so the segments are too. */
const segmentsByMarket = new Map<SecurityMarket, [number, number][]>();

/**
 * The period a local instant falls in. Intraday bars are aligned to session starts and end at
 * session ends (OpenD labels a bar with its end time: 09:30–09:31 is "09:31:00"). Out of session
 * (always-open mode) the gaps between sessions are bucketed the same way.
 */
export function periodOf(market: SecurityMarket, type: number, localMs: number): { key: number; label: number } {
  const day = Math.floor(localMs / DAY_MS);
  const minutes = INTRADAY_MINUTES.get(type);
  if (minutes !== undefined) {
    const msOfDay = localMs - day * DAY_MS;
    const segments = daySegments(market);
    let segment = segments[0]!;
    for (const seg of segments) if (msOfDay >= seg[0]) segment = seg;
    const [a, b] = segment;
    const period = minutes * MINUTE_MS;
    const end = Math.min(a + (Math.floor((msOfDay - a) / period) + 1) * period, b);
    // A bar ending at midnight keeps the day it belongs to.
    const label = day * DAY_MS + Math.min(end, DAY_MS - 1000);
    return { key: label, label };
  }
  const label = day * DAY_MS;
  switch (type) {
    case KL.DAY:
      return { key: day, label };
    case KL.WEEK:
      return { key: day - ((weekdayOf(day) + 6) % 7), label };
    default: {
      const { year, month } = civilDate(day);
      if (type === KL.MONTH) return { key: year * 12 + month, label };
      if (type === KL.QUARTER) return { key: year * 4 + Math.floor(month / 3), label };
      return { key: year, label };
    }
  }
}

/** Sessions and the gaps between them, covering the whole local day, in ms after midnight. */
export function daySegments(market: SecurityMarket): [number, number][] {
  let segments = segmentsByMarket.get(market);
  if (!segments) {
    segments = [];
    let cursor = 0;
    for (const [a, b] of MARKET_CALENDARS[market].sessions) {
      if (a * MINUTE_MS > cursor) segments.push([cursor, a * MINUTE_MS]);
      segments.push([a * MINUTE_MS, b * MINUTE_MS]);
      cursor = b * MINUTE_MS;
    }
    if (cursor < DAY_MS) segments.push([cursor, DAY_MS]);
    segmentsByMarket.set(market, segments);
  }
  return segments;
}

export function aggregate(market: SecurityMarket, type: number, bars: readonly Bar[], startOf: (b: Bar) => number): Bar[] {
  const out: Bar[] = [];
  let current: Bar | undefined;
  for (const b of bars) {
    const { key, label } = periodOf(market, type, startOf(b));
    if (!current || current.key !== key) {
      current = { ...b, key, label };
      out.push(current);
      continue;
    }
    current.high = Math.max(current.high, b.high);
    current.low = Math.min(current.low, b.low);
    current.close = b.close;
    current.volume += b.volume;
    current.turnover = round(current.turnover + b.turnover, 3);
  }
  return out;
}
