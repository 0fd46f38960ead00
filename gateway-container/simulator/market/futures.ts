// The simulated futures: for every root in proto/derivatives.ts (HSI, MHI, HHI on HKFE; ES, NQ on CME) a main
// contract ("HK.HSImain") and the two nearest dated contracts, listed relative to the virtual clock at start,
// as universe entries the market engine prices like any other security; plus their Qot_GetFutureInfo answers.
//
// Invariants: the same start time gives the same contracts, ids and prices; a dated contract's code is its
// root plus the contract month (yyMM); the main contract mirrors the nearest dated contract (its `origin`).
// Contract months and last trading days follow the exchanges' rules:
//   HKFE index futures: every month; last trading day = the business day before the last business day of the
//   contract month. CME E-mini: March, June, September, December; trading ends on the third Friday of the month.
import * as Qot_Common from '../../../proto/generated/Qot_Common.js';
import type * as Qot_GetFutureInfo from '../../../proto/generated/Qot_GetFutureInfo.js';
import { FUTURE_ROOTS, type FutureRoot } from '../../../proto/derivatives.js';
import { hash32 } from '../../../proto/seeded-random.js';
import { QOT_MARKET_BY_PREFIX } from '../../../proto/securities.js';
import { snapToTick } from '../ticks.js';
import { DAY_MS, formatDay, fromLocalMs, isTradingDay, localDay, MARKET_CALENDARS, MINUTE_MS, weekdayOf } from './calendars.js';
import type { UniverseSecurity } from './universe.js';

/** Indexes the futures need that the default universe may lack. Illustrative round figures. */
export const FUTURE_UNDERLYINGS: readonly UniverseSecurity[] = [
  indexEntry('HK', '800100', 1000800100, 'Hang Seng China Enterprises Index', 'HKD', 7000, 0.25, '1994-08-08'),
  indexEntry('US', '.SPX', 200300, 'S&P 500 Index', 'USD', 5500, 0.17, '1957-03-04'),
  indexEntry('US', '.NDX', 200301, 'Nasdaq-100 Index', 'USD', 19500, 0.22, '1985-01-31'),
];

export interface FutureContract {
  key: string;
  code: string;
  root: FutureRoot;
  isMain: boolean;
  /** Dated contracts: "yyyy-MM-dd" of the last trading day and the contract month "yyMM". */
  lastTradeDay?: string;
  month?: string;
  /** The main contract's dated contract. */
  originKey?: string;
}

/** Contracts listed at virtual time `now`: per root the main contract and the two nearest dated ones. */
export function listFutureContracts(now: number): FutureContract[] {
  const out: FutureContract[] = [];
  for (const root of Object.values(FUTURE_ROOTS)) {
    const today = localDay(root.market, now);
    const dated: FutureContract[] = [];
    let { year, month } = civil(today);
    for (let i = 0; dated.length < 2 && i < 24; i++, month++) {
      if (month > 12) {
        month = 1;
        year++;
      }
      if (root.cycle === 'quarterly' && month % 3 !== 0) continue;
      const last = lastTradeDayOf(root, year, month);
      if (last < today) continue;
      const mm = `${String(year).slice(2)}${String(month).padStart(2, '0')}`;
      dated.push({ key: `${root.market}.${root.root}${mm}`, code: `${root.root}${mm}`, root, isMain: false, lastTradeDay: formatDay(last), month: mm });
    }
    out.push({ key: `${root.market}.${root.root}main`, code: `${root.root}main`, root, isMain: true, originKey: dated[0]!.key }, ...dated);
  }
  return out;
}

/** HKFE: the business day before the last business day of the month; CME: the third Friday (earlier if a holiday). */
export function lastTradeDayOf(root: FutureRoot, year: number, month: number): number {
  const first = Date.UTC(year, month - 1, 1) / DAY_MS;
  const next = Date.UTC(month === 12 ? year + 1 : year, month === 12 ? 0 : month, 1) / DAY_MS;
  if (root.cycle === 'monthly') {
    let seen = 0;
    for (let d = next - 1; d >= first; d--) if (isTradingDay(root.market, d) && ++seen === 2) return d;
    return first;
  }
  let fridays = 0;
  for (let d = first; d < next; d++) {
    if (weekdayOf(d) === 5 && ++fridays === 3) {
      let t = d;
      while (!isTradingDay(root.market, t) && t > first) t--;
      return t;
    }
  }
  return first;
}

/**
 * Universe entries for the contracts: lot 1, the root's tick, priced from the underlying's base price (a
 * dated contract a little above it for carry); the main contract starts where its dated contract does.
 */
export function futureUniverseEntries(contracts: readonly FutureContract[], underlyings: ReadonlyMap<string, UniverseSecurity>): UniverseSecurity[] {
  const out: UniverseSecurity[] = [];
  for (const c of contracts) {
    const under = underlyings.get(c.root.underlying);
    if (!under) continue;
    const months = c.isMain ? 0 : contracts.filter((o) => o.root === c.root && !o.isMain).findIndex((o) => o.key === c.key);
    const base = snapToTick(c.root.tickRule, under.basePrice * (1 + 0.002 * Math.max(0, months)), 'down');
    out.push({
      key: c.key,
      market: c.root.market,
      code: c.code,
      name: c.isMain ? `${c.root.name} Main` : `${c.root.name} ${c.month}`,
      lotSize: 1,
      tickRule: c.root.tickRule,
      currency: c.root.currency,
      secType: Qot_Common.SecurityType.FUTURE,
      tradable: true,
      id: 3_000_000_000 + (hash32(c.key) % 1_000_000_000),
      secTypeName: 'FUTURE',
      ...(c.root.market === 'US' ? { exchType: Qot_Common.ExchType.US_CME } : {}),
      basePrice: base,
      annualVolatility: under.annualVolatility,
      // Contracts a day: high enough that the book shows several contracts a level whatever the step interval.
      avgDailyVolume: 2_000_000,
      listDate: under.listDate > '2020-01-01' ? under.listDate : '2020-01-02',
      plates: [],
      derivative: {
        kind: 'future',
        multiplier: c.root.multiplier,
        underlying: c.root.underlying,
        initialMargin: c.root.initialMargin,
        maintenanceMargin: c.root.maintenanceMargin,
        ...(c.lastTradeDay ? { expiry: c.lastTradeDay } : {}),
      },
    });
  }
  return out;
}

/** Qot_GetFutureInfo for one contract. */
export function futureInfo(c: FutureContract): Qot_GetFutureInfo.FutureInfo {
  const r = c.root;
  const cal = MARKET_CALENDARS[r.market];
  const sec = (key: string): Qot_Common.Security => {
    const dot = key.indexOf('.');
    return { market: QOT_MARKET_BY_PREFIX[key.slice(0, dot) as 'HK' | 'US'], code: key.slice(dot + 1) };
  };
  const info: Qot_GetFutureInfo.FutureInfo = {
    name: c.isMain ? `${r.name} Main` : `${r.name} ${c.month}`,
    security: sec(c.key),
    // Futu leaves the last trading day empty for main contracts.
    lastTradeTime: c.lastTradeDay ?? '',
    owner: sec(r.underlying),
    ownerOther: r.underlyingName,
    exchange: r.exchange,
    contractType: 'Index Futures',
    contractSize: r.multiplier,
    contractSizeUnit: `${r.currency} per index point`,
    quoteCurrency: r.currency,
    minVar: r.tick,
    minVarUnit: 'index point',
    quoteUnit: 'index point',
    // The sessions this simulator trades the contract in (its market's continuous sessions), in local minutes.
    tradeTime: cal.sessions.map(([begin, end]) => ({ begin, end })),
    timeZone: cal.timeZone,
    exchangeFormatUrl: '',
  };
  if (c.lastTradeDay) {
    const day = Number(Date.parse(`${c.lastTradeDay}T00:00:00Z`)) / DAY_MS;
    const close = cal.sessions.at(-1)![1];
    info.lastTradeTimestamp = fromLocalMs(r.market, day * DAY_MS + close * MINUTE_MS) / 1000;
  }
  if (c.originKey) info.origin = sec(c.originKey);
  return info;
}

function civil(day: number): { year: number; month: number } {
  const d = new Date(day * DAY_MS);
  return { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1 };
}

function indexEntry(market: 'HK' | 'US', code: string, id: number, name: string, currency: 'HKD' | 'USD', basePrice: number, vol: number, listDate: string): UniverseSecurity {
  return {
    key: `${market}.${code}`,
    market,
    code,
    name,
    lotSize: 1,
    tickRule: 'CN', // indexes quote in hundredths (universe.ts)
    currency,
    secType: Qot_Common.SecurityType.INDEX,
    tradable: false,
    id,
    secTypeName: 'INDEX',
    basePrice,
    annualVolatility: vol,
    avgDailyVolume: 5_000_000_000,
    listDate,
    plates: [],
  };
}
