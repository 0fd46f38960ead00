// The simulated universe (securities, plates) and the exchange calendars the simulator trades on.
// Times on the OpenD wire are strings in the exchange's local time ("yyyy-MM-dd HH:mm:ss") plus
// timestamps in seconds, so everything here converts between UTC instants and exchange-local time.
import { readFileSync } from 'node:fs';
import * as Qot_Common from '../../../proto/generated/Qot_Common.js';
import type { SecurityFacts, SecurityMarket } from '../market-view.js';
import { isOnTick, snapToTick, tickSize, type TickRule } from '../ticks.js';

// ---------------------------------------------------------------------------------------------------
// Universe types

export type SecTypeName = 'EQTY' | 'TRUST' | 'INDEX';
export type PlateSetTypeName = 'INDUSTRY' | 'REGION' | 'CONCEPT';

/** Per-share figures for the snapshot's EquitySnapshotExData. Illustrative, not market data. */
export interface EquityFundamentals {
  issuedShares: number;
  outstandingShares: number;
  earningsPerShare: number;
  netAssetPerShare: number;
  dividendPerShare?: number;
}

/** Figures for the snapshot's TrustSnapshotExData. */
export interface TrustFundamentals {
  outstandingUnits: number;
  netAssetValue: number;
  /** Percent, e.g. 3.2 for 3.2 %. */
  dividendYield: number;
  assetClass: Qot_Common.AssetClassName;
}

export interface UniverseSecurity extends SecurityFacts {
  /** Qot_Common.SecurityStaticBasic.id (int64 on the wire). */
  id: number;
  secTypeName: SecTypeName;
  /** Qot_Common.ExchType, if given. */
  exchType?: number;
  /** Price the live process starts at, on the tick ladder. */
  basePrice: number;
  /** e.g. 0.3 for 30 % a year. */
  annualVolatility: number;
  /** Shares (index: index volume units) per trading day. */
  avgDailyVolume: number;
  /** "yyyy-MM-dd" */
  listDate: string;
  /** Plate keys, e.g. "HK.BK1001". */
  plates: string[];
  equity?: EquityFundamentals;
  trust?: TrustFundamentals;
}

export interface UniversePlate {
  /** "HK.BK1001" */
  key: string;
  market: SecurityMarket;
  code: string;
  name: string;
  setTypeName: PlateSetTypeName;
  /** Qot_Common.PlateSetType */
  setType: number;
}

export interface Universe {
  securities: UniverseSecurity[];
  plates: UniversePlate[];
}

export class UniverseError extends Error {
  override readonly name = 'UniverseError';
  constructor(
    readonly source: string,
    readonly problems: string[],
  ) {
    super(`invalid universe ${source}:\n  - ${problems.join('\n  - ')}`);
  }
}

// ---------------------------------------------------------------------------------------------------
// Loading and validation

export const DEFAULT_UNIVERSE_PATH = new URL('../universe.json', import.meta.url);

/** Reads and validates a universe file (default: the one shipped next to the simulator). */
export function loadUniverse(path: string | URL = DEFAULT_UNIVERSE_PATH): Universe {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new UniverseError(String(path), [`cannot read the file: ${(err as Error).message}`]);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new UniverseError(String(path), [`not valid JSON: ${(err as Error).message}`]);
  }
  return parseUniverse(json, String(path));
}

const MARKETS: readonly SecurityMarket[] = ['HK', 'US', 'SH', 'SZ'];
const CURRENCY_OF: Record<SecurityMarket, SecurityFacts['currency']> = { HK: 'HKD', US: 'USD', SH: 'CNY', SZ: 'CNY' };
const TICK_RULE_OF: Record<SecurityMarket, TickRule> = { HK: 'HK', US: 'US', SH: 'CN', SZ: 'CN' };
const SEC_TYPES: readonly SecTypeName[] = ['EQTY', 'TRUST', 'INDEX'];
const PLATE_SET_TYPES: readonly PlateSetTypeName[] = ['INDUSTRY', 'REGION', 'CONCEPT'];
const CODE_PATTERN: Record<SecurityMarket, { re: RegExp; what: string }> = {
  HK: { re: /^\d{5,6}$/, what: '5 digits (6 for indexes), e.g. "00700"' },
  US: { re: /^\.?[A-Z][A-Z0-9.\-]{0,11}$/, what: 'an upper-case ticker, e.g. "AAPL" or ".IXIC"' },
  SH: { re: /^\d{6}$/, what: '6 digits, e.g. "600519"' },
  SZ: { re: /^\d{6}$/, what: '6 digits, e.g. "000001"' },
};

/** Validates an already-parsed universe document; every problem is reported at once, with its path. */
export function parseUniverse(json: unknown, source = 'universe'): Universe {
  const problems: string[] = [];
  const problem = (path: string, msg: string): void => void problems.push(`${path}: ${msg}`);
  const show = (v: unknown): string => (JSON.stringify(v) ?? String(v)).slice(0, 60);

  if (!isRecord(json)) throw new UniverseError(source, ['expected an object with "securities" and "plates" arrays']);

  const plates: UniversePlate[] = [];
  const plateKeys = new Set<string>();
  const rawPlates = json['plates'] ?? [];
  if (!Array.isArray(rawPlates)) problem('plates', `expected an array, got ${show(rawPlates)}`);
  else {
    rawPlates.forEach((raw: unknown, i) => {
      const at = `plates[${i}]`;
      if (!isRecord(raw)) return problem(at, `expected an object, got ${show(raw)}`);
      const key = raw['key'];
      const name = raw['name'];
      const setTypeRaw = raw['setType'];
      const m = typeof key === 'string' ? /^(HK|US|SH|SZ)\.(BK\d{4,6})$/.exec(key) : null;
      if (!m) return problem(`${at}.key`, `expected a plate key like "HK.BK1001", got ${show(key)}`);
      if (plateKeys.has(key as string)) return problem(`${at}.key`, `duplicate plate ${key}`);
      if (typeof name !== 'string' || name.trim() === '') return problem(`${at}.name`, 'expected a non-empty string');
      const setTypeName = typeof setTypeRaw === 'string' ? setTypeRaw.toUpperCase() : '';
      if (!PLATE_SET_TYPES.includes(setTypeName as PlateSetTypeName)) {
        return problem(`${at}.setType`, `expected one of ${PLATE_SET_TYPES.join(', ')}, got ${show(setTypeRaw)}`);
      }
      plateKeys.add(key as string);
      plates.push({
        key: key as string,
        market: m[1] as SecurityMarket,
        code: m[2]!,
        name,
        setTypeName: setTypeName as PlateSetTypeName,
        setType: Qot_Common.PlateSetType[setTypeName as PlateSetTypeName],
      });
    });
  }

  const securities: UniverseSecurity[] = [];
  const keys = new Set<string>();
  const ids = new Set<number>();
  const rawSecurities = json['securities'];
  if (!Array.isArray(rawSecurities) || rawSecurities.length === 0) {
    problem('securities', `expected a non-empty array, got ${show(rawSecurities)}`);
  } else {
    rawSecurities.forEach((raw: unknown, i) => {
      const sec = parseSecurity(raw, `securities[${i}]`, problem, show, plateKeys);
      if (!sec) return;
      if (keys.has(sec.key)) return problem(`securities[${i}]`, `duplicate security ${sec.key}`);
      if (ids.has(sec.id)) return problem(`securities[${i}].id`, `duplicate id ${sec.id}`);
      keys.add(sec.key);
      ids.add(sec.id);
      securities.push(sec);
    });
  }

  if (problems.length > 0) throw new UniverseError(source, problems);
  return { securities, plates };
}

function parseSecurity(
  raw: unknown,
  at: string,
  problem: (path: string, msg: string) => void,
  show: (v: unknown) => string,
  plateKeys: ReadonlySet<string>,
): UniverseSecurity | undefined {
  if (!isRecord(raw)) return void problem(at, `expected an object, got ${show(raw)}`);
  let failures = 0;
  const fail = (field: string, msg: string): void => {
    failures++;
    problem(`${at}.${field}`, msg);
  };

  const market = raw['market'];
  if (!MARKETS.includes(market as SecurityMarket)) fail('market', `expected one of ${MARKETS.join(', ')}, got ${show(market)}`);
  const mkt = market as SecurityMarket;
  const code = raw['code'];
  if (typeof code !== 'string' || (MARKETS.includes(mkt) && !CODE_PATTERN[mkt].re.test(code))) {
    fail('code', `expected ${MARKETS.includes(mkt) ? CODE_PATTERN[mkt].what : 'a security code'}, got ${show(code)}`);
  }
  const name = raw['name'];
  if (typeof name !== 'string' || name.trim() === '') fail('name', 'expected a non-empty string');
  const id = raw['id'];
  if (!Number.isSafeInteger(id) || (id as number) <= 0) fail('id', `expected a positive integer, got ${show(id)}`);
  const secTypeRaw = raw['secType'];
  const secTypeName = (typeof secTypeRaw === 'string' ? secTypeRaw.toUpperCase() : '') as SecTypeName;
  if (!SEC_TYPES.includes(secTypeName)) fail('secType', `expected one of ${SEC_TYPES.join(', ')}, got ${show(secTypeRaw)}`);
  const lotSize = raw['lotSize'];
  if (!Number.isSafeInteger(lotSize) || (lotSize as number) <= 0) fail('lotSize', `expected a positive integer, got ${show(lotSize)}`);
  const currency = raw['currency'];
  if (MARKETS.includes(mkt) && currency !== CURRENCY_OF[mkt]) {
    fail('currency', `${mkt} securities trade in ${CURRENCY_OF[mkt]}, got ${show(currency)}`);
  }
  const exchange = raw['exchange'];
  if (exchange !== undefined && !(typeof exchange === 'string' && exchange in Qot_Common.ExchType)) {
    fail('exchange', `expected a Qot_Common.ExchType name such as "HK_MAIN_BOARD" or "US_NASDAQ", got ${show(exchange)}`);
  }
  const vol = raw['annualVolatility'];
  if (typeof vol !== 'number' || !(vol > 0 && vol <= 5)) fail('annualVolatility', `expected a number in (0, 5] (0.3 = 30 % a year), got ${show(vol)}`);
  const adv = raw['avgDailyVolume'];
  if (!Number.isSafeInteger(adv) || (adv as number) <= 0) fail('avgDailyVolume', `expected a positive integer, got ${show(adv)}`);
  const listDate = raw['listDate'];
  if (typeof listDate !== 'string' || parseDay(listDate) === undefined) fail('listDate', `expected "yyyy-MM-dd", got ${show(listDate)}`);
  const platesRaw = raw['plates'] ?? [];
  if (!Array.isArray(platesRaw) || !platesRaw.every((p) => typeof p === 'string')) {
    fail('plates', `expected an array of plate keys, got ${show(platesRaw)}`);
  } else {
    for (const p of platesRaw as string[]) if (!plateKeys.has(p)) fail('plates', `unknown plate ${p} (declare it in the top-level "plates")`);
  }

  // Indexes quote in hundredths whatever their market, so they use the flat 0.01 grid.
  const tickRule: TickRule = secTypeName === 'INDEX' ? 'CN' : TICK_RULE_OF[mkt] ?? 'US';
  const basePrice = raw['basePrice'];
  if (typeof basePrice !== 'number' || !(basePrice > 0)) fail('basePrice', `expected a positive number, got ${show(basePrice)}`);
  else if (!isOnTick(tickRule, basePrice)) {
    fail(
      'basePrice',
      `${basePrice} is not on the ${tickRule} tick ladder (tick ${tickSize(tickRule, basePrice)}); ` +
        `nearest valid: ${snapToTick(tickRule, basePrice, 'down')} or ${snapToTick(tickRule, basePrice, 'up')}`,
    );
  }

  const equity = parseEquity(raw['equity'], fail, show);
  const trust = parseTrust(raw['trust'], fail, show);
  if (failures > 0) return undefined;

  return {
    key: `${mkt}.${code as string}`,
    market: mkt,
    code: code as string,
    name: name as string,
    lotSize: lotSize as number,
    tickRule,
    currency: CURRENCY_OF[mkt],
    secType: Qot_Common.SecurityType[secTypeName],
    tradable: secTypeName !== 'INDEX',
    id: id as number,
    secTypeName,
    ...(exchange !== undefined ? { exchType: Qot_Common.ExchType[exchange as Qot_Common.ExchTypeName] } : {}),
    basePrice: basePrice as number,
    annualVolatility: vol as number,
    avgDailyVolume: adv as number,
    listDate: listDate as string,
    plates: [...(platesRaw as string[])],
    ...(equity ? { equity } : {}),
    ...(trust ? { trust } : {}),
  };
}

function parseEquity(raw: unknown, fail: (f: string, m: string) => void, show: (v: unknown) => string): EquityFundamentals | undefined {
  if (raw === undefined) return undefined;
  if (!isRecord(raw)) return void fail('equity', `expected an object, got ${show(raw)}`);
  const need = (field: keyof EquityFundamentals, positive: boolean): number => {
    const v = raw[field];
    if (typeof v !== 'number' || !Number.isFinite(v) || (positive && v <= 0)) {
      fail(`equity.${field}`, `expected a ${positive ? 'positive ' : ''}number, got ${show(v)}`);
      return 0;
    }
    return v;
  };
  const result: EquityFundamentals = {
    issuedShares: need('issuedShares', true),
    outstandingShares: need('outstandingShares', true),
    earningsPerShare: need('earningsPerShare', false),
    netAssetPerShare: need('netAssetPerShare', false),
  };
  if (raw['dividendPerShare'] !== undefined) result.dividendPerShare = need('dividendPerShare', false);
  return result;
}

function parseTrust(raw: unknown, fail: (f: string, m: string) => void, show: (v: unknown) => string): TrustFundamentals | undefined {
  if (raw === undefined) return undefined;
  if (!isRecord(raw)) return void fail('trust', `expected an object, got ${show(raw)}`);
  const num = (field: 'outstandingUnits' | 'netAssetValue' | 'dividendYield'): number => {
    const v = raw[field];
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) {
      fail(`trust.${field}`, `expected a non-negative number, got ${show(v)}`);
      return 0;
    }
    return v;
  };
  const assetClass = raw['assetClass'];
  if (typeof assetClass !== 'string' || !(assetClass in Qot_Common.AssetClass)) {
    fail('trust.assetClass', `expected a Qot_Common.AssetClass name such as "STOCK", got ${show(assetClass)}`);
  }
  return {
    outstandingUnits: num('outstandingUnits'),
    netAssetValue: num('netAssetValue'),
    dividendYield: num('dividendYield'),
    assetClass: assetClass as Qot_Common.AssetClassName,
  };
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

// ---------------------------------------------------------------------------------------------------
// Exchange calendars and local time

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

/** No exchange holidays are modelled: every weekday is a trading day. */
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

/** Continuous-trading sessions of a local day as UTC [start, end) pairs; none on weekends. */
export function sessionsOfDay(market: SecurityMarket, day: number): [number, number][] {
  if (!isWeekday(day)) return [];
  return MARKET_CALENDARS[market].sessions.map(([a, b]) => [
    fromLocalMs(market, day * DAY_MS + a * MINUTE_MS),
    fromLocalMs(market, day * DAY_MS + b * MINUTE_MS),
  ]);
}

export function isInSession(market: SecurityMarket, t: number): boolean {
  const local = toLocalMs(market, t);
  const day = Math.floor(local / DAY_MS);
  if (!isWeekday(day)) return false;
  const minute = (local - day * DAY_MS) / MINUTE_MS;
  return MARKET_CALENDARS[market].sessions.some(([a, b]) => minute >= a && minute < b);
}

/** `t` if the market is in continuous trading at `t`, else the start of the next session. */
export function nextSessionInstant(market: SecurityMarket, t: number): number {
  const first = localDay(market, t);
  for (let day = first; day < first + 8; day++) {
    for (const [a, b] of sessionsOfDay(market, day)) {
      if (t < b) return Math.max(a, t);
    }
  }
  throw new Error(`no ${market} session within a week of ${new Date(t).toISOString()}`); // unreachable: weeks have weekdays
}

/** Qot_Common.QotMarketState of an exchange at instant `t` (weekends closed, no holidays). */
export function marketStateAt(market: SecurityMarket, t: number): number {
  const local = toLocalMs(market, t);
  const day = Math.floor(local / DAY_MS);
  if (!isWeekday(day)) return S.CLOSED;
  const minute = (local - day * DAY_MS) / MINUTE_MS;
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
