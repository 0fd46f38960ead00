// The simulated universe: the securities and plates of universe.json, loaded and validated with an error that
// names the security and field. The exchange calendars live in calendars.ts (re-exported here, so existing
// importers of this module keep working).
import { readFileSync } from 'node:fs';
import * as Qot_Common from '../../../proto/generated/Qot_Common.js';
import type { SecurityFacts, SecurityMarket } from '../market-view.js';
import { isOnTick, snapToTick, tickSize, type TickRule } from '../ticks.js';
import { parseDay } from './calendars.js';

export * from './calendars.js';

// ---------------------------------------------------------------------------------------------------
// Universe types

/** FUTURE entries are generated from the clock (futures.ts), never read from universe.json. */
export type SecTypeName = 'EQTY' | 'TRUST' | 'INDEX' | 'FUTURE';
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
