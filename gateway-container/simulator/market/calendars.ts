// Exchange calendars and exchange-local time for the simulated markets (HK, US, SH, SZ): trading sessions,
// market states, UTC offsets with daylight saving time, and the time strings of the OpenD wire. Times on the
// wire are strings in the exchange's local time ("yyyy-MM-dd HH:mm:ss") plus timestamps in seconds, so
// everything here converts between UTC instants and exchange-local time.
// Invariant: a "local ms" value is exchange-local wall time expressed as ms since 1970-01-01 00:00 (no zone);
// a "day" is that value divided by DAY_MS.
import * as Qot_Common from '../../../proto/generated/Qot_Common.js';
import type { SecurityMarket } from '../market-view.js';
import { earlyCloseMinute, isHoliday } from './holidays.js';
export const DAY_MS = 86_400_000;
export const MINUTE_MS = 60_000;

export interface MarketCalendar {
  timeZone: string;
  /** Continuous-trading sessions in minutes after local midnight, [start, end). */
  sessions: readonly (readonly [number, number])[];
  /** Market states through a weekday: [from minute, Qot_Common.QotMarketState], ascending. */
  states: readonly (readonly [number, number])[];
}

const S = Qot_Common.QotMarketState;
const CN_CALENDAR: MarketCalendar = {
  timeZone: 'Asia/Shanghai',
  sessions: [
    [9 * 60 + 30, 11 * 60 + 30],
    [13 * 60, 15 * 60],
  ],
  states: [
    [0, S.WAITING_OPEN],
    [9 * 60 + 15, S.AUCTION],
    [9 * 60 + 25, S.WAITING_OPEN],
    [9 * 60 + 30, S.MORNING],
    [11 * 60 + 30, S.REST],
    [13 * 60, S.AFTERNOON],
    [15 * 60, S.CLOSED],
  ],
};

/** Weekday sessions; holidays and shortened days (holidays.ts) are applied by the functions below. */
export const MARKET_CALENDARS: Record<SecurityMarket, MarketCalendar> = {
  HK: {
    timeZone: 'Asia/Hong_Kong',
    sessions: [
      [9 * 60 + 30, 12 * 60],
      [13 * 60, 16 * 60],
    ],
    states: [
      [0, S.WAITING_OPEN],
      [9 * 60, S.AUCTION],
      [9 * 60 + 30, S.MORNING],
      [12 * 60, S.REST],
      [13 * 60, S.AFTERNOON],
      [16 * 60, S.HK_CAS],
      [16 * 60 + 10, S.CLOSED],
    ],
  },
  US: {
    timeZone: 'America/New_York',
    sessions: [[9 * 60 + 30, 16 * 60]],
    // OpenD reports the US regular session as "afternoon" (the US has one session a day).
    states: [
      [0, S.CLOSED],
      [4 * 60, S.PRE_MARKET_BEGIN],
      [9 * 60 + 30, S.AFTERNOON],
      [16 * 60, S.AFTER_HOURS_BEGIN],
      [20 * 60, S.AFTER_HOURS_END],
    ],
  },
  SH: CN_CALENDAR,
  SZ: CN_CALENDAR,
};

/**
 * US extended sessions in ET minutes after local midnight (Futu OpenAPI: pre-market 04:00-09:30, after-hours
 * 16:00-20:00, and the overnight session 20:00-04:00 of the next day, Sunday evening to Friday morning; see
 * Qot_Common.QotMarketState PRE_MARKET_BEGIN / AFTER_HOURS_BEGIN / OVERNIGHT and Common.Session in the futu-api
 * protos). After-hours lasts as long after an early close as after a full day (13:00-17:00 on a shortened day).
 * extended-hours.ts turns these into windows per day; the regular session above stays the only one that
 * builds K-lines and the day bar.
 */
export const US_EXTENDED_MINUTES = {
  preMarketStart: 4 * 60,
  afterHoursLength: 4 * 60,
  overnightStart: 20 * 60,
  overnightEnd: 4 * 60,
} as const;

/** Continuous-trading minutes per day. */
export function sessionMinutes(market: SecurityMarket): number {
  return MARKET_CALENDARS[market].sessions.reduce((sum, [a, b]) => sum + (b - a), 0);
}

const formatters = new Map<string, Intl.DateTimeFormat>();
const OFFSET_CACHE_LIMIT = 50_000;
/** Per time zone: UTC offset by hour since epoch. */
const offsetsByZone = new Map<string, Map<number, number>>();

/** UTC offset (ms) of the market's time zone at instant `t`. */
export function utcOffsetMs(market: SecurityMarket, t: number): number {
  return zoneOffsetMs(MARKET_CALENDARS[market].timeZone, t);
}

/** UTC offset (ms) of an IANA time zone at instant `t`. DST changes on whole hours, so it is cached per hour. */
export function zoneOffsetMs(timeZone: string, t: number): number {
  let offsets = offsetsByZone.get(timeZone);
  if (!offsets) {
    offsets = new Map();
    offsetsByZone.set(timeZone, offsets);
  }
  const hour = Math.floor(t / 3_600_000);
  let offset = offsets.get(hour);
  if (offset === undefined) {
    offset = computeOffset(timeZone, hour * 3_600_000);
    if (offsets.size >= OFFSET_CACHE_LIMIT) offsets.clear();
    offsets.set(hour, offset);
  }
  return offset;
}

function computeOffset(timeZone: string, t: number): number {
  let fmt = formatters.get(timeZone);
  if (!fmt) {
    fmt = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(timeZone, fmt);
  }
  const parts: Record<string, number> = {};
  for (const p of fmt.formatToParts(new Date(t))) if (p.type !== 'literal') parts[p.type] = Number(p.value);
  const local = Date.UTC(parts['year']!, parts['month']! - 1, parts['day']!, parts['hour']!, parts['minute']!, parts['second']!);
  return local - t;
}

/** Exchange-local wall-clock time of `t`, expressed as ms since 1970-01-01 00:00 local. */
export function toLocalMs(market: SecurityMarket, t: number): number {
  return t + utcOffsetMs(market, t);
}

/** The instant at which the exchange's wall clock shows `localMs`. */
export function fromLocalMs(market: SecurityMarket, localMs: number): number {
  const first = localMs - utcOffsetMs(market, localMs);
  const second = localMs - utcOffsetMs(market, first);
  return second;
}

/** Exchange-local calendar day of `t`, as days since 1970-01-01. */
export function localDay(market: SecurityMarket, t: number): number {
  return Math.floor(toLocalMs(market, t) / DAY_MS);
}

/** 0 = Sunday … 6 = Saturday. */
export function weekdayOf(day: number): number {
  return (((day + 4) % 7) + 7) % 7;
}

export function isWeekday(day: number): boolean {
  const w = weekdayOf(day);
  return w !== 0 && w !== 6;
}

/** A weekday that is not one of the exchange's holidays (holidays.ts). */
export function isTradingDay(market: SecurityMarket, day: number): boolean {
  return isWeekday(day) && !isHoliday(market, day);
}

/** The day's continuous-trading sessions in local minutes: none on a non-trading day, fewer on a shortened day. */
export function sessionMinutesOfDay(market: SecurityMarket, day: number): readonly (readonly [number, number])[] {
  if (!isTradingDay(market, day)) return [];
  const sessions = MARKET_CALENDARS[market].sessions;
  const close = earlyCloseMinute(market, day);
  if (close === undefined) return sessions;
  return sessions.filter(([a]) => a < close).map(([a, b]) => [a, Math.min(b, close)] as const);
}

/** Continuous-trading sessions of a local day as UTC [start, end) pairs; none on weekends and holidays. */
export function sessionsOfDay(market: SecurityMarket, day: number): [number, number][] {
  return sessionMinutesOfDay(market, day).map(([a, b]) => [
    fromLocalMs(market, day * DAY_MS + a * MINUTE_MS),
    fromLocalMs(market, day * DAY_MS + b * MINUTE_MS),
  ]);
}

export function isInSession(market: SecurityMarket, t: number): boolean {
  const local = toLocalMs(market, t);
  const day = Math.floor(local / DAY_MS);
  const minute = (local - day * DAY_MS) / MINUTE_MS;
  return sessionMinutesOfDay(market, day).some(([a, b]) => minute >= a && minute < b);
}

/** `t` if the market is in continuous trading at `t`, else the start of the next session. */
export function nextSessionInstant(market: SecurityMarket, t: number): number {
  const first = localDay(market, t);
  // Three weeks covers the longest closure (a Golden Week or Spring Festival plus both weekends).
  for (let day = first; day < first + 21; day++) {
    for (const [a, b] of sessionsOfDay(market, day)) {
      if (t < b) return Math.max(a, t);
    }
  }
  throw new Error(`no ${market} session within three weeks of ${new Date(t).toISOString()}`); // unreachable: no closure is that long
}

/** Qot_Common.QotMarketState of an exchange at instant `t` (closed on weekends, holidays and after an early close). */
export function marketStateAt(market: SecurityMarket, t: number): number {
  const local = toLocalMs(market, t);
  const day = Math.floor(local / DAY_MS);
  if (!isTradingDay(market, day)) return S.CLOSED;
  const minute = (local - day * DAY_MS) / MINUTE_MS;
  const early = earlyCloseMinute(market, day);
  if (early !== undefined && minute >= early) return S.CLOSED;
  let state: number = S.CLOSED;
  for (const [from, s] of MARKET_CALENDARS[market].states) if (minute >= from) state = s;
  return state;
}

const pad2 = (n: number): string => (n < 10 ? `0${n}` : String(n));
const dateStrings = new Map<number, string>();

/** "yyyy-MM-dd" of a day number (days since 1970-01-01). */
export function formatDay(day: number): string {
  let text = dateStrings.get(day);
  if (text === undefined) {
    const d = new Date(day * DAY_MS);
    text = `${d.getUTCFullYear()}-${pad2(d.getUTCMonth() + 1)}-${pad2(d.getUTCDate())}`;
    if (dateStrings.size >= 10_000) dateStrings.clear();
    dateStrings.set(day, text);
  }
  return text;
}

/** "yyyy-MM-dd HH:mm:ss" (or "yyyy-MM-dd") for a local-ms value. */
export function formatLocalMs(localMs: number, withTime = true): string {
  const day = Math.floor(localMs / DAY_MS);
  const date = formatDay(day);
  if (!withTime) return date;
  const seconds = Math.floor((localMs - day * DAY_MS) / 1000);
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  return `${date} ${pad2(h)}:${pad2(m)}:${pad2(seconds % 60)}`;
}

/** OpenD's time string for instant `t` in the market's local time: "yyyy-MM-dd HH:mm:ss". */
export function formatMarketTime(market: SecurityMarket, t: number): string {
  return formatLocalMs(toLocalMs(market, t));
}

/** Parses "yyyy-MM-dd" to a day number (days since 1970-01-01), or undefined. */
export function parseDay(text: string): number | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  if (!m) return undefined;
  const ms = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  if (formatLocalMs(ms, false) !== text) return undefined; // rejects 2024-02-30
  return ms / DAY_MS;
}

/**
 * Parses OpenD's "yyyy-MM-dd" or "yyyy-MM-dd HH:mm[:ss]" into exchange-local ms (wall clock as if UTC).
 * A bare date means the start of that day, or its last millisecond when `endOfDay` is set (for range ends).
 */
export function parseLocalMs(text: string, endOfDay = false): number {
  const m = /^(\d{4}-\d{2}-\d{2})(?:[ T](\d{2}):(\d{2})(?::(\d{2}))?)?$/.exec(text.trim());
  const day = m ? parseDay(m[1]!) : undefined;
  if (!m || day === undefined) throw new RangeError(`expected a time like "2024-01-31" or "2024-01-31 09:30:00", got ${JSON.stringify(text)}`);
  if (m[2] === undefined) return day * DAY_MS + (endOfDay ? DAY_MS - 1 : 0);
  const h = Number(m[2]);
  const min = Number(m[3]);
  const s = Number(m[4] ?? 0);
  if (h > 23 || min > 59 || s > 59) throw new RangeError(`time of day out of range in ${JSON.stringify(text)}`);
  return day * DAY_MS + ((h * 60 + min) * 60 + s) * 1000;
}

/** Like parseLocalMs, as an instant (ms since epoch) in the market's time zone. */
export function parseMarketTime(market: SecurityMarket, text: string, endOfDay = false): number {
  return fromLocalMs(market, parseLocalMs(text, endOfDay));
}
