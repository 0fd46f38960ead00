// Derivative warrants and CBBCs on the universe's HK stocks, for Qot_GetWarrant (3210) and Qot_GetReference (3206).
// Terms (issuer, type, strike, call level, conversion ratio, listing and expiry) are fixed per underlying and
// derived deterministically from it, so every run sees the same instruments; prices follow the underlying's live
// price: call/put warrants by Black-Scholes (no rates or dividends) at an issuer volatility, CBBCs at intrinsic
// value plus a financing charge. A CBBC whose underlying reaches its call (recovery) price is shown as STOP_TRADE
// (a mandatory call ends trading, HKEX's CBBC rule); expired instruments are not listed at all.
// Codes: warrants 1xxxx and CBBCs 5xxxx, the HKEX code ranges for structured products.
import * as Qot_Common from '../../../proto/generated/Qot_Common.js';
import { snapToTick } from '../../../proto/ticks.js';
import { hash32 } from '../../../proto/seeded-random.js';
import type { UniverseSecurity } from './universe.js';

const WT = Qot_Common.WarrantType;
const ISSUERS = [Qot_Common.Issuer.SG, Qot_Common.Issuer.BP, Qot_Common.Issuer.CS, Qot_Common.Issuer.GS, Qot_Common.Issuer.HS, Qot_Common.Issuer.JP, Qot_Common.Issuer.MB, Qot_Common.Issuer.UB];
const ISSUER_NAMES: Record<number, string> = { 1: 'SG', 2: 'BP', 3: 'CS', 6: 'GS', 7: 'HS', 8: 'JP', 9: 'MB', 11: 'UB' };

/** [type, strike ÷ issue price, call level ÷ issue price (CBBCs), months to expiry] of each product per underlying. */
const SHAPES: readonly (readonly [number, number, number | undefined, number])[] = [
  [WT.BUY, 1.1, undefined, 18],
  [WT.BUY, 1.25, undefined, 30],
  [WT.SELL, 0.9, undefined, 18],
  [WT.SELL, 0.8, undefined, 30],
  [WT.BULL, 0.82, 0.86, 24],
  [WT.BULL, 0.9, 0.93, 20],
  [WT.BEAR, 1.18, 1.14, 24],
  [WT.BEAR, 1.1, 1.07, 20],
];

export interface WarrantTerms {
  key: string;
  code: string;
  name: string;
  owner: UniverseSecurity;
  type: number;
  issuer: number;
  strike: number;
  recovery?: number;
  conversionRatio: number;
  lotSize: number;
  listDate: string;
  lastTradeDate: string;
  maturityDate: string;
  issueSize: number;
  /** Percent of the issue in the street (held by investors). */
  streetRate: number;
  /** Issuer volatility (call/put warrants), e.g. 0.35. */
  vol: number;
  score: number;
}

const addMonths = (date: string, months: number): string => {
  const d = new Date(`${date}T00:00:00Z`);
  d.setUTCMonth(d.getUTCMonth() + months);
  return d.toISOString().slice(0, 10);
};

/** The structured products of every HK stock of the universe, in code order. */
export function buildWarrants(universe: readonly UniverseSecurity[]): WarrantTerms[] {
  const out: WarrantTerms[] = [];
  const owners = universe.filter((s) => s.market === 'HK' && s.secTypeName === 'EQTY').sort((a, b) => (a.code < b.code ? -1 : 1));
  owners.forEach((owner, o) => {
    SHAPES.forEach(([type, k, r, months], i) => {
      const h = hash32(`warrant|${owner.key}|${i}`);
      const cbbc = type === WT.BULL || type === WT.BEAR;
      const code = String((cbbc ? 50000 : 10000) + o * 100 + i).padStart(5, '0');
      const issuer = ISSUERS[(o + i) % ISSUERS.length]!;
      const conversionRatio = owner.basePrice >= 100 ? 100 : owner.basePrice >= 20 ? 10 : 1;
      const listDate = addMonths('2024-07-02', (h % 6) - 3 + i);
      const maturityDate = addMonths(listDate, months);
      const typeName = type === WT.BUY ? 'Call' : type === WT.SELL ? 'Put' : type === WT.BULL ? 'Bull' : 'Bear';
      const strike = snapToTick(owner.tickRule, owner.basePrice * k, 'down');
      out.push({
        key: `HK.${code}`,
        code,
        name: `${owner.name.split(' ')[0]} ${ISSUER_NAMES[issuer]} ${maturityDate.slice(2, 4)}${maturityDate.slice(5, 7)} ${typeName} ${cbbc ? 'R' : ''}${strike}`.replace(/\s+/g, ' '),
        owner,
        type,
        issuer,
        strike,
        recovery: r === undefined ? undefined : snapToTick(owner.tickRule, owner.basePrice * r, type === WT.BULL ? 'up' : 'down'),
        conversionRatio,
        lotSize: cbbc ? 10_000 : 5_000,
        listDate,
        // HKEX: the last trading day of a warrant is the fourth trading day before expiry (approximated here
        // as four weekdays before the expiry date).
        lastTradeDate: weekdaysBefore(maturityDate, 4),
        maturityDate,
        issueSize: 40_000_000 + (h % 8) * 20_000_000,
        streetRate: 2 + (h % 600) / 10,
        vol: 0.25 + (h % 30) / 100,
        score: 40 + (h % 60),
      });
    });
  });
  return out;
}

function weekdaysBefore(date: string, n: number): string {
  const d = new Date(`${date}T00:00:00Z`);
  while (n > 0) {
    d.setUTCDate(d.getUTCDate() - 1);
    const w = d.getUTCDay();
    if (w !== 0 && w !== 6) n--;
  }
  return d.toISOString().slice(0, 10);
}

/** Standard normal CDF (Abramowitz–Stegun 7.1.26, error < 1.5e-7). */
function normCdf(x: number): number {
  const t = 1 / (1 + 0.3275911 * Math.abs(x) / Math.SQRT2);
  const y = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-(x * x) / 2);
  return x >= 0 ? (1 + y) / 2 : (1 - y) / 2;
}

export interface WarrantQuote {
  price: number;
  delta?: number;
  /** Whether a CBBC has been called (its underlying reached the call price). */
  called: boolean;
}

/** Fair value per warrant unit given the underlying price and years to expiry. */
export function priceWarrant(w: WarrantTerms, underlying: number, years: number): WarrantQuote {
  const T = Math.max(years, 1 / 365);
  let value: number;
  let delta: number | undefined;
  let called = false;
  if (w.type === WT.BUY || w.type === WT.SELL) {
    const sd = w.vol * Math.sqrt(T);
    const d1 = (Math.log(underlying / w.strike) + 0.5 * w.vol * w.vol * T) / sd;
    const d2 = d1 - sd;
    if (w.type === WT.BUY) {
      value = underlying * normCdf(d1) - w.strike * normCdf(d2);
      delta = normCdf(d1);
    } else {
      value = w.strike * normCdf(-d2) - underlying * normCdf(-d1);
      delta = normCdf(d1) - 1;
    }
  } else {
    const bull = w.type === WT.BULL;
    called = bull ? underlying <= w.recovery! : underlying >= w.recovery!;
    const intrinsic = bull ? underlying - w.strike : w.strike - underlying;
    // Financing charge: ~4 % a year of the strike for the time left.
    value = called ? Math.max(0, intrinsic) * 0.2 : intrinsic + w.strike * 0.04 * T;
  }
  const perUnit = Math.max(0.01, value / w.conversionRatio);
  return { price: snapToTick('HK', perUnit, 'down') || 0.01, delta, called };
}
