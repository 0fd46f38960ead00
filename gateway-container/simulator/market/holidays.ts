// Exchange holidays and shortened days of the simulated markets, 2026–2027: the data behind "is this weekday
// a trading day" for the sessions (calendars.ts), the generated history and Qot_RequestTradeDate (3219).
// Invariants: every date listed is a weekday (weekends are never trading days anyway, and a test checks it);
// a day is either closed or shortened, never both; a shortened day keeps only the sessions that end by its
// close. Years outside the table have no holidays (every weekday trades), which is what the simulator did
// before the table existed, so runs pinned to earlier dates keep their markets unchanged.
// Futu's get-trading-days rule: "trading days are natural days minus weekends and holidays; temporary closures
// (e.g. typhoon days) are not excluded" — so nothing here models unscheduled closures.
import type { SecurityMarket } from '../market-view.js';

/** A shortened day: trading stops at `closeMinute` (minutes after local midnight). */
export interface ShortDay {
  date: string;
  closeMinute: number;
}

interface MarketHolidays {
  /** Whole-day closures ("yyyy-MM-dd", exchange-local). */
  closed: readonly string[];
  shortened: readonly ShortDay[];
  /** Years whose closures are in `closed`; other years are treated as having none. */
  years: readonly number[];
}

// HKEX: Hong Kong general holidays on weekdays (a holiday on Sunday moves to the next weekday; one on Saturday
// is not replaced). Lunar New Year's Eve, Christmas Eve and New Year's Eve are half days (morning session only,
// no afternoon session) when they fall on weekdays.
const HK: MarketHolidays = {
  years: [2026, 2027],
  closed: [
    '2026-01-01', '2026-02-17', '2026-02-18', '2026-02-19', '2026-04-03', '2026-04-06', '2026-04-07', '2026-05-01',
    '2026-05-25', '2026-06-19', '2026-07-01', '2026-10-01', '2026-10-19', '2026-12-25',
    '2027-01-01', '2027-02-08', '2027-02-09', '2027-03-26', '2027-03-29', '2027-04-05', '2027-05-13', '2027-06-09',
    '2027-07-01', '2027-09-16', '2027-10-01', '2027-10-08', '2027-12-27',
  ],
  shortened: [
    { date: '2026-02-16', closeMinute: 12 * 60 },
    { date: '2026-12-24', closeMinute: 12 * 60 },
    { date: '2026-12-31', closeMinute: 12 * 60 },
    { date: '2027-02-05', closeMinute: 12 * 60 },
    { date: '2027-12-24', closeMinute: 12 * 60 },
    { date: '2027-12-31', closeMinute: 12 * 60 },
  ],
};

// NYSE/Nasdaq: New Year, Martin Luther King Jr. Day, Washington's Birthday, Good Friday, Memorial Day,
// Juneteenth, Independence Day, Labor Day, Thanksgiving, Christmas (a Saturday holiday is observed on the
// Friday before, a Sunday one on the Monday after). Early close at 13:00 the day after Thanksgiving and on a
// weekday Christmas Eve.
const US: MarketHolidays = {
  years: [2026, 2027],
  closed: [
    '2026-01-01', '2026-01-19', '2026-02-16', '2026-04-03', '2026-05-25', '2026-06-19', '2026-07-03', '2026-09-07',
    '2026-11-26', '2026-12-25',
    '2027-01-01', '2027-01-18', '2027-02-15', '2027-03-26', '2027-05-31', '2027-06-18', '2027-07-05', '2027-09-06',
    '2027-11-25', '2027-12-24',
  ],
  shortened: [
    { date: '2026-11-27', closeMinute: 13 * 60 },
    { date: '2026-12-24', closeMinute: 13 * 60 },
    { date: '2027-11-26', closeMinute: 13 * 60 },
  ],
};

// SSE and SZSE share the closure arrangement the CSRC announces each year (weekday closures only; the make-up
// working weekends are not trading days on the exchanges). 2027's arrangement is not in the table yet.
const CN: MarketHolidays = {
  years: [2026],
  closed: [
    '2026-01-01', '2026-01-02', '2026-02-16', '2026-02-17', '2026-02-18', '2026-02-19', '2026-02-20', '2026-02-23',
    '2026-04-06', '2026-05-01', '2026-05-04', '2026-05-05', '2026-06-19', '2026-09-25', '2026-10-01', '2026-10-02',
    '2026-10-05', '2026-10-06', '2026-10-07',
  ],
  shortened: [],
};

export const HOLIDAYS: Readonly<Record<SecurityMarket, MarketHolidays>> = { HK, US, SH: CN, SZ: CN };

const DAY_MS = 86_400_000;
const dayOf = (date: string): number => Date.parse(`${date}T00:00:00Z`) / DAY_MS;

const closedDays = new Map<SecurityMarket, ReadonlySet<number>>();
const shortDays = new Map<SecurityMarket, ReadonlyMap<number, number>>();
for (const m of Object.keys(HOLIDAYS) as SecurityMarket[]) {
  closedDays.set(m, new Set(HOLIDAYS[m].closed.map(dayOf)));
  shortDays.set(m, new Map(HOLIDAYS[m].shortened.map((s) => [dayOf(s.date), s.closeMinute])));
}

/** Whether the exchange is closed all day on this local day (days since 1970-01-01) for a holiday. */
export function isHoliday(market: SecurityMarket, day: number): boolean {
  return closedDays.get(market)!.has(day);
}

/** The early close (minutes after local midnight) of a shortened day, or undefined for a normal day. */
export function earlyCloseMinute(market: SecurityMarket, day: number): number | undefined {
  return shortDays.get(market)!.get(day);
}
