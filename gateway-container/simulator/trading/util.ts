// Small helpers of the trading engine: market-local time strings, money and enum formatting for error
// messages, currencies and fixed FX rates.
import * as Trd_Common from '../../../proto/generated/Trd_Common.js';
import type { SecurityFacts, SecurityMarket } from '../market-view.js';
import { formatLocalMs, MARKET_CALENDARS, zoneOffsetMs } from '../market/universe.js';
import { TradingError } from './errors.js';

// ---------------------------------------------------------------------------------------------- time

export const MARKET_TIME_ZONE: Readonly<Record<SecurityMarket, string>> = {
  HK: MARKET_CALENDARS.HK.timeZone,
  US: MARKET_CALENDARS.US.timeZone,
  SH: MARKET_CALENDARS.SH.timeZone,
  SZ: MARKET_CALENDARS.SZ.timeZone,
};

/** Time zone of an account-side trading market (TrdMarket), used to read history time filters. */
export function trdMarketTimeZone(trdMarket: number): string {
  switch (trdMarket) {
    case Trd_Common.TrdMarket.US:
      return MARKET_TIME_ZONE.US;
    case Trd_Common.TrdMarket.CN:
      return MARKET_TIME_ZONE.SH;
    default:
      return MARKET_TIME_ZONE.HK;
  }
}

/** "yyyy-MM-dd HH:mm:ss.SSS" in the given zone. */
export function formatLocalTime(ms: number, timeZone: string): string {
  const millis = ((Math.floor(ms) % 1000) + 1000) % 1000;
  return `${formatLocalMs(ms + zoneOffsetMs(timeZone, ms))}.${String(millis).padStart(3, '0')}`;
}

/** "yyyy-MM-dd" in the given zone: the local trading date. */
export function localDate(ms: number, timeZone: string): string {
  return formatLocalMs(ms + zoneOffsetMs(timeZone, ms), false);
}

const TIME_RE = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))?$/;

/**
 * Parses "YYYY-MM-DD HH:MM:SS" or "YYYY-MM-DD HH:MM:SS.MS" (the two forms OpenD accepts in
 * TrdFilterConditions) as a local time in `timeZone`; returns ms since epoch.
 */
export function parseLocalTime(text: string, timeZone: string, field: string): number {
  const m = TIME_RE.exec(text);
  if (!m) {
    throw new TradingError(`${field} "${text}" is not a valid time: use "YYYY-MM-DD HH:MM:SS" or "YYYY-MM-DD HH:MM:SS.MS"`);
  }
  const [y, mo, d, h, mi, s] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  const frac = m[7] ? Math.round(Number(`0.${m[7]}`) * 1000) : 0;
  const guess = Date.UTC(y, mo - 1, d, h, mi, s);
  const check = new Date(guess);
  if (check.getUTCMonth() !== mo - 1 || check.getUTCDate() !== d || h > 23 || mi > 59 || s > 59) {
    throw new TradingError(`${field} "${text}" is not a valid calendar time`);
  }
  // The offset at the local wall-clock time read as UTC is a first guess; one more step settles DST edges.
  const first = guess - zoneOffsetMs(timeZone, guess);
  return guess - zoneOffsetMs(timeZone, first) + frac;
}

// ------------------------------------------------------------------------------------ numbers, money

/** Truncates (never rounds) to `decimals` places, ignoring float noise below 1e-7. */
export function truncateTo(value: number, decimals: number): number {
  const noiseFree = Math.round(value * 1e7) / 1e7;
  const f = 10 ** decimals;
  return Math.trunc(Math.round(noiseFree * f * 1e3) / 1e3) / f;
}

/** Rounds money to 1e-6 so that repeated additions do not accumulate float drift. */
export function roundMoney(value: number): number {
  const r = Math.round(value * 1e6) / 1e6;
  return r === 0 ? 0 : r; // no "-0"
}

/** 38000 → "38,000.00" */
export function formatMoney(value: number): string {
  return value.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });
}

/** 0.00045 → "0.045%" */
export function formatPercent(ratio: number): string {
  return `${Number((ratio * 100).toPrecision(4))}%`;
}

// --------------------------------------------------------------------------------------------- enums

type EnumObject = Readonly<Record<string, number>>;

/** "CANCELLED_ALL" for 15; "UNKNOWN(99)" for values not in the enum. */
export function nameOf(e: EnumObject, value: number | undefined): string {
  if (value === undefined) return 'unset';
  for (const [k, v] of Object.entries(e)) if (v === value) return k;
  return `UNKNOWN(${value})`;
}

// ------------------------------------------------------------------------------------ currencies, FX

export type CashCurrency = 'HKD' | 'USD' | 'CNH';
export const CASH_CURRENCIES: readonly CashCurrency[] = ['HKD', 'USD', 'CNH'];

/** Fixed conversion rates to HKD, used only to total multi-currency accounts. */
export const FX_TO_HKD: Readonly<Record<CashCurrency, number>> = { HKD: 1, USD: 7.8, CNH: 1.08 };

export function convert(amount: number, from: CashCurrency, to: CashCurrency): number {
  return from === to ? amount : (amount * FX_TO_HKD[from]) / FX_TO_HKD[to];
}

export function securityCurrency(sec: SecurityFacts): CashCurrency {
  return sec.currency === 'CNY' ? 'CNH' : sec.currency;
}

export function currencyEnum(c: CashCurrency): number {
  return Trd_Common.Currency[c];
}

export function currencyFromEnum(value: number): CashCurrency {
  for (const c of CASH_CURRENCIES) if (Trd_Common.Currency[c] === value) return c;
  throw new TradingError(`currency ${nameOf(Trd_Common.Currency, value)} is not supported; use HKD, USD or CNH`);
}

// ------------------------------------------------------------------------------------------ markets

export function secMarketEnum(m: SecurityMarket): number {
  switch (m) {
    case 'HK':
      return Trd_Common.TrdSecMarket.HK;
    case 'US':
      return Trd_Common.TrdSecMarket.US;
    case 'SH':
      return Trd_Common.TrdSecMarket.CN_SH;
    case 'SZ':
      return Trd_Common.TrdSecMarket.CN_SZ;
  }
}

/** The inverse of secMarketEnum: the simulator's market of a TrdSecMarket value, undefined for one it has none of. */
export function securityMarketOf(secMarket: number | undefined): SecurityMarket | undefined {
  switch (secMarket) {
    case Trd_Common.TrdSecMarket.HK:
      return 'HK';
    case Trd_Common.TrdSecMarket.US:
      return 'US';
    case Trd_Common.TrdSecMarket.CN_SH:
      return 'SH';
    case Trd_Common.TrdSecMarket.CN_SZ:
      return 'SZ';
    default:
      return undefined;
  }
}

/** Which account-side trading markets (TrdMarket) may trade a security of market `m`. */
export function trdMarketsFor(m: SecurityMarket): number[] {
  switch (m) {
    case 'HK':
      return [Trd_Common.TrdMarket.HK];
    case 'US':
      return [Trd_Common.TrdMarket.US];
    case 'SH':
    case 'SZ':
      return [Trd_Common.TrdMarket.CN, Trd_Common.TrdMarket.HKCC];
  }
}
