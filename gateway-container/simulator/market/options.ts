// Option contracts on the simulated stocks, derived by code from the underlyings: expiry calendars, the strike
// grid, and Black-Scholes prices and greeks from the underlying's live price and its model volatility. Pure:
// the caller passes the spot and the time, so the same inputs always give the same quote.
//
// Expiries follow the exchanges' rules:
//   HKEX stock options: monthly; expiry = the business day before the last business day of the month.
//   US equity options: weeklies expire on Fridays, monthlies on the third Friday; a holiday moves it earlier.
// HKEX stock options: premiums move by HK$0.01 (a few bank classes allow 0.001; here 0.01 throughout).
// Strikes: a grid whose step depends on the stock's base price (HK: HKEX's interval table; US: about 2.5 % of
// it, rounded to a usual step), centred on the previous close. Figures such as open interest are deterministic stand-ins, not market data.
import * as Qot_Common from '../../../proto/generated/Qot_Common.js';
import { formatOptionCode, optionMultiplier, optionRootOf, type DerivativeMarket, type OptionCode } from '../../../proto/derivatives.js';
import { hash32 } from '../../../proto/seeded-random.js';
import { snapToTick, toUnits } from '../ticks.js';
import { DAY_MS, formatDay, fromLocalMs, isTradingDay, MARKET_CALENDARS, MINUTE_MS, parseDay, weekdayOf } from './calendars.js';

/** Strikes each side of the at-the-money one in a chain. */
export const STRIKES_EACH_SIDE = 8;
const STEPS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 50, 100, 200];
/** Money-market rate used for pricing, per market. Illustrative. */
export const RISK_FREE_RATE: Record<DerivativeMarket, number> = { HK: 0.03, US: 0.045 };
const YEAR_MS = 365 * DAY_MS;

export interface Expiry {
  /** "yyyy-MM-dd" */
  date: string;
  day: number;
  cycle: number; // Qot_Common.ExpirationCycle
}

/** Listed expiries on local day `today`: HK the next 3 monthly ones; US the next 4 weeklies plus 3 monthlies. */
export function listExpiries(market: DerivativeMarket, today: number): Expiry[] {
  const out = new Map<number, Expiry>();
  const d = new Date(today * DAY_MS);
  let year = d.getUTCFullYear();
  let month = d.getUTCMonth() + 1;
  let monthlies = 0;
  for (let i = 0; monthlies < 3 && i < 12; i++, month++) {
    if (month > 12) {
      month = 1;
      year++;
    }
    const day = market === 'HK' ? hkMonthlyExpiry(year, month) : usMonthlyExpiry(year, month);
    if (day < today) continue;
    out.set(day, { date: formatDay(day), day, cycle: Qot_Common.ExpirationCycle.MONTH });
    monthlies++;
  }
  if (market === 'US') {
    let friday = today + ((5 - weekdayOf(today) + 7) % 7);
    for (let n = 0; n < 4; n++, friday += 7) {
      const day = previousTradingDay('US', friday);
      if (day >= today && !out.has(day)) out.set(day, { date: formatDay(day), day, cycle: Qot_Common.ExpirationCycle.WEEK });
    }
  }
  return [...out.values()].sort((a, b) => a.day - b.day);
}

function hkMonthlyExpiry(year: number, month: number): number {
  const first = Date.UTC(year, month - 1, 1) / DAY_MS;
  const next = Date.UTC(month === 12 ? year + 1 : year, month === 12 ? 0 : month, 1) / DAY_MS;
  let seen = 0;
  for (let d = next - 1; d >= first; d--) if (isTradingDay('HK', d) && ++seen === 2) return d;
  return first;
}

function usMonthlyExpiry(year: number, month: number): number {
  const first = Date.UTC(year, month - 1, 1) / DAY_MS;
  const thirdFriday = first + ((5 - weekdayOf(first) + 7) % 7) + 14;
  return previousTradingDay('US', thirdFriday);
}

function previousTradingDay(market: DerivativeMarket, day: number): number {
  let d = day;
  for (let i = 0; i < 7 && !isTradingDay(market, d); i++) d--;
  return d;
}

/** HKEX stock options: strike price intervals by the underlying's price (upper bound exclusive, interval). */
const HK_STRIKE_INTERVALS: readonly (readonly [number, number])[] = [
  [2, 0.05], [5, 0.1], [10, 0.25], [20, 0.5], [50, 1], [100, 2.5], [200, 2.5], [300, 5], [500, 10],
];

/**
 * The strike step of an underlying at its base price: HK by HKEX's interval table (20 above HK$500), US the
 * usual step nearest below 2.5 % of the price.
 */
export function strikeStep(market: DerivativeMarket, basePrice: number): number {
  if (market === 'HK') return HK_STRIKE_INTERVALS.find(([upper]) => basePrice < upper)?.[1] ?? 20;
  const target = basePrice * 0.025;
  let step = STEPS[0]!;
  for (const s of STEPS) if (s <= target) step = s;
  return step;
}

export function isOnStrikeGrid(strike: number, step: number, basePrice: number): boolean {
  if (!(strike > 0) || strike > basePrice * 5) return false;
  return toUnits(strike) % toUnits(step) === 0;
}

/** 2 × STRIKES_EACH_SIDE + 1 strikes around `reference`, all above 0, ascending. */
export function chainStrikes(reference: number, step: number): number[] {
  const atm = Math.round(reference / step) * step;
  const out: number[] = [];
  for (let i = -STRIKES_EACH_SIDE; i <= STRIKES_EACH_SIDE; i++) {
    const k = Math.round((atm + i * step) * 10_000) / 10_000;
    if (k > 0) out.push(k);
  }
  return out;
}

/** The instant an option stops trading: its market's close on the expiry day. */
export function expiryInstant(market: DerivativeMarket, expiry: string): number {
  const close = MARKET_CALENDARS[market].sessions.at(-1)![1];
  return fromLocalMs(market, parseDay(expiry)! * DAY_MS + close * MINUTE_MS);
}

export interface OptionQuote {
  /** Theoretical value on the 0.01 grid, at least 0.01. */
  price: number;
  bid: number;
  ask: number;
  /** Percent (20 = 20 %), as OpenD reports it. */
  impliedVolatility: number;
  delta: number;
  gamma: number;
  /** Per 1 volatility point. */
  vega: number;
  /** Per calendar day. */
  theta: number;
  /** Per 1 rate point. */
  rho: number;
  /** Percent: how far the underlying must move to break even at expiry. */
  premium: number;
}

/**
 * Black-Scholes value and greeks of a European option at `spot`, `yearsLeft` to expiry, with the underlying's
 * annual volatility plus a small smile (deeper strikes a little dearer).
 */
export function priceOption(o: Pick<OptionCode, 'type' | 'strike' | 'market'>, spot: number, annualVol: number, yearsLeft: number): OptionQuote {
  const K = o.strike;
  const r = RISK_FREE_RATE[o.market];
  const sigma = annualVol * (1 + 0.15 * Math.abs(Math.log(K / spot)));
  const T = Math.max(yearsLeft, 1 / (365 * 24 * 60));
  const sqrtT = Math.sqrt(T);
  const d1 = (Math.log(spot / K) + (r + (sigma * sigma) / 2) * T) / (sigma * sqrtT);
  const d2 = d1 - sigma * sqrtT;
  const disc = Math.exp(-r * T);
  const call = o.type === 'CALL';
  const value = call ? spot * cdf(d1) - K * disc * cdf(d2) : K * disc * cdf(-d2) - spot * cdf(-d1);
  const price = Math.max(0.01, snapToTick('OPTION', Math.max(value, 0), 'down'));
  const half = Math.max(0.01, snapToTick('OPTION', price * 0.01, 'down'));
  const pdf1 = pdf(d1);
  const thetaYear = call
    ? (-spot * pdf1 * sigma) / (2 * sqrtT) - r * K * disc * cdf(d2)
    : (-spot * pdf1 * sigma) / (2 * sqrtT) + r * K * disc * cdf(-d2);
  const breakEven = call ? K + price : K - price;
  return {
    price,
    bid: Math.max(0.01, round(price - half, 2)),
    ask: round(price + half, 2),
    impliedVolatility: round(sigma * 100, 3),
    delta: round(call ? cdf(d1) : cdf(d1) - 1, 5),
    gamma: round(pdf1 / (spot * sigma * sqrtT), 5),
    vega: round((spot * pdf1 * sqrtT) / 100, 5),
    theta: round(thetaYear / 365, 5),
    rho: round(call ? (K * T * disc * cdf(d2)) / 100 : (-K * T * disc * cdf(-d2)) / 100, 5),
    premium: round(((call ? breakEven - spot : spot - breakEven) / spot) * 100, 3),
  };
}

export function yearsUntil(market: DerivativeMarket, expiry: string, now: number): number {
  return (expiryInstant(market, expiry) - now) / YEAR_MS;
}

/** Open interest stand-in: larger near the money and for nearer expiries; fixed per contract. */
export function openInterestOf(key: string, strike: number, spot: number): number {
  const moneyness = Math.abs(Math.log(strike / spot));
  return Math.round((500 + (hash32(`oi|${key}`) % 4500)) * Math.exp(-8 * moneyness));
}

/** Option code of an underlying stock (undefined when the stock has no options here). */
export function optionCodeFor(market: DerivativeMarket, stockCode: string, expiry: string, type: 'CALL' | 'PUT', strike: number): string | undefined {
  const root = optionRootOf(market, stockCode);
  return root ? formatOptionCode(root, expiry, type, strike) : undefined;
}

export function multiplierOf(market: DerivativeMarket, root: string): number {
  return optionMultiplier(market, root) ?? 100;
}

function round(v: number, decimals: number): number {
  const f = 10 ** decimals;
  const r = Math.round(v * f) / f;
  return r === 0 ? 0 : r;
}

function pdf(x: number): number {
  return Math.exp(-0.5 * x * x) / Math.sqrt(2 * Math.PI);
}

/** Standard normal CDF (Abramowitz–Stegun 7.1.26 on erf; error below 1.5e-7). */
function cdf(x: number): number {
  const z = Math.abs(x) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * z);
  const poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
  const erf = 1 - poly * Math.exp(-z * z);
  return x >= 0 ? 0.5 * (1 + erf) : 0.5 * (1 - erf);
}
