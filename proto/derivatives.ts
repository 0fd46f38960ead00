// Futures and option codes as Futu writes them, and the contract facts both the simulator and the Lambdas
// need (multiplier, tick, underlying). Pure: no I/O, no clock.
//
// Code formats (Futu OpenAPI):
//   futures  HK.HSImain (main contract), HK.MHI2612 (root + yyMM of the contract month); US.ESmain, US.NQ2703.
//   options  root + yyMMdd expiry + C|P + strike × 1000: US.AAPL260116C200000 (AAPL 16 Jan 2026 call, strike 200),
//            HK.TCH250328C400000 (Tencent: HKEX's option root "TCH", not the stock code).
// Figures marked illustrative are round numbers for simulation, not exchange data.
import type { TickRule } from './ticks.js';

export type DerivativeMarket = 'HK' | 'US';

export interface FutureRoot {
  root: string;
  market: DerivativeMarket;
  name: string;
  /** Underlying index ("HK.800000"). */
  underlying: string;
  underlyingName: string;
  /** Currency per index point: HSI 50, MHI 10, HHI 50 (HKFE); ES 50, NQ 20 (CME). */
  multiplier: number;
  tickRule: TickRule;
  tick: number;
  currency: 'HKD' | 'USD';
  exchange: string;
  /** HK: every month; US equity-index futures: March, June, September, December. */
  cycle: 'monthly' | 'quarterly';
  /** Per contract, in `currency`. Illustrative. */
  initialMargin: number;
  maintenanceMargin: number;
}

export const FUTURE_ROOTS: Readonly<Record<string, FutureRoot>> = {
  HSI: { root: 'HSI', market: 'HK', name: 'Hang Seng Index Futures', underlying: 'HK.800000', underlyingName: 'Hang Seng Index', multiplier: 50, tickRule: 'HK_FUTURE', tick: 1, currency: 'HKD', exchange: 'HKFE', cycle: 'monthly', initialMargin: 120_000, maintenanceMargin: 96_000 },
  MHI: { root: 'MHI', market: 'HK', name: 'Mini-Hang Seng Index Futures', underlying: 'HK.800000', underlyingName: 'Hang Seng Index', multiplier: 10, tickRule: 'HK_FUTURE', tick: 1, currency: 'HKD', exchange: 'HKFE', cycle: 'monthly', initialMargin: 24_000, maintenanceMargin: 19_200 },
  HHI: { root: 'HHI', market: 'HK', name: 'Hang Seng China Enterprises Index Futures', underlying: 'HK.800100', underlyingName: 'Hang Seng China Enterprises Index', multiplier: 50, tickRule: 'HK_FUTURE', tick: 1, currency: 'HKD', exchange: 'HKFE', cycle: 'monthly', initialMargin: 45_000, maintenanceMargin: 36_000 },
  ES: { root: 'ES', market: 'US', name: 'E-mini S&P 500 Futures', underlying: 'US..SPX', underlyingName: 'S&P 500 Index', multiplier: 50, tickRule: 'US_FUTURE', tick: 0.25, currency: 'USD', exchange: 'CME', cycle: 'quarterly', initialMargin: 23_000, maintenanceMargin: 21_000 },
  NQ: { root: 'NQ', market: 'US', name: 'E-mini Nasdaq-100 Futures', underlying: 'US..NDX', underlyingName: 'Nasdaq-100 Index', multiplier: 20, tickRule: 'US_FUTURE', tick: 0.25, currency: 'USD', exchange: 'CME', cycle: 'quarterly', initialMargin: 33_000, maintenanceMargin: 30_000 },
};

/** HKEX stock option roots (HKATS codes) and contract sizes (shares per contract) of the simulated HK stocks. */
export const HK_OPTION_ROOTS: Readonly<Record<string, { root: string; contractSize: number }>> = {
  '00700': { root: 'TCH', contractSize: 100 },
  '09988': { root: 'ALB', contractSize: 500 },
  '03690': { root: 'MET', contractSize: 100 },
  '00005': { root: 'HKB', contractSize: 400 },
  '00939': { root: 'CCB', contractSize: 1000 },
  '02800': { root: 'TRF', contractSize: 500 },
};
/** A US equity option covers 100 shares. */
export const US_OPTION_MULTIPLIER = 100;
/** Option premiums are quoted on a 0.01 grid here (the simulator's single option tick). */
export const OPTION_TICK_RULE: TickRule = 'OPTION';

export interface FutureCode {
  kind: 'future';
  root: FutureRoot;
  /** "main" or the contract month "yyMM". */
  month: 'main' | string;
}

export interface OptionCode {
  kind: 'option';
  market: DerivativeMarket;
  /** "TCH", "AAPL" */
  root: string;
  /** "yyyy-MM-dd" */
  expiry: string;
  type: 'CALL' | 'PUT';
  strike: number;
}

export type DerivativeCode = FutureCode | OptionCode;

const FUTURE_RE = /^([A-Z]{1,4})(main|\d{4})$/;
const OPTION_RE = /^([A-Z]{1,6})(\d{2})(\d{2})(\d{2})([CP])(\d{1,9})$/;

/**
 * Reads a futures or option code of `market` ("HSImain", "AAPL260116C200000"). Undefined when the code is
 * not shaped like one (a stock code); a string (the problem) when it is shaped like one but wrong.
 */
export function parseDerivativeCode(market: string, code: string): DerivativeCode | string | undefined {
  if (market !== 'HK' && market !== 'US') return undefined;
  const f = FUTURE_RE.exec(code);
  if (f) {
    const root = FUTURE_ROOTS[f[1]!];
    // A US ticker such as "AB12" is not a future unless its root is one of ours.
    if (!root || root.market !== market) {
      return market === 'HK' || f[2] === 'main' ? `unknown futures root "${f[1]}"; known ${market} roots: ${futureRootsOf(market).join(', ')}` : undefined;
    }
    if (f[2] !== 'main') {
      const mm = Number(f[2]!.slice(2));
      if (mm < 1 || mm > 12) return `contract month "${f[2]}" must be yyMM with MM 01..12`;
    }
    return { kind: 'future', root, month: f[2]! };
  }
  const o = OPTION_RE.exec(code);
  if (o) {
    const [, root, yy, mm, dd, cp, strikeMilli] = o as unknown as [string, string, string, string, string, string, string];
    const y = 2000 + Number(yy);
    const d = new Date(Date.UTC(y, Number(mm) - 1, Number(dd)));
    if (d.getUTCMonth() !== Number(mm) - 1 || d.getUTCDate() !== Number(dd)) return `expiry "${yy}${mm}${dd}" is not a calendar date (yyMMdd)`;
    const strike = Number(strikeMilli) / 1000;
    if (!(strike > 0)) return 'the strike must be above 0 (written × 1000, e.g. 200000 for 200)';
    return { kind: 'option', market, root, expiry: `${y}-${mm}-${dd}`, type: cp === 'C' ? 'CALL' : 'PUT', strike };
  }
  return undefined;
}

export function futureRootsOf(market: DerivativeMarket): string[] {
  return Object.values(FUTURE_ROOTS).filter((r) => r.market === market).map((r) => r.root);
}

/** "AAPL260116C200000": root, yyMMdd, C|P, strike × 1000 (integer). */
export function formatOptionCode(root: string, expiry: string, type: 'CALL' | 'PUT', strike: number): string {
  const [y, m, d] = expiry.split('-');
  return `${root}${y!.slice(2)}${m}${d}${type === 'CALL' ? 'C' : 'P'}${Math.round(strike * 1000)}`;
}

/** The option root of an underlying stock code ("00700" → "TCH", "AAPL" → "AAPL"), or undefined. */
export function optionRootOf(market: string, code: string): string | undefined {
  if (market === 'HK') return HK_OPTION_ROOTS[code]?.root;
  if (market === 'US') return /^[A-Z]{1,6}$/.test(code) ? code : undefined;
  return undefined;
}

/** The underlying stock code of an option root ("TCH" → "00700"; US roots are the ticker). */
export function underlyingOfOptionRoot(market: DerivativeMarket, root: string): string | undefined {
  if (market === 'US') return root;
  return Object.entries(HK_OPTION_ROOTS).find(([, v]) => v.root === root)?.[0];
}

/** Shares per option contract: HK by stock (HKEX contract size), US 100. */
export function optionMultiplier(market: DerivativeMarket, root: string): number | undefined {
  if (market === 'US') return US_OPTION_MULTIPLIER;
  return Object.values(HK_OPTION_ROOTS).find((v) => v.root === root)?.contractSize;
}

/** Currency (or shares) one unit of price × qty stands for: futures per point, options per contract; 1 for stocks. */
export function contractMultiplier(d: DerivativeCode | undefined): number {
  if (!d) return 1;
  if (d.kind === 'future') return d.root.multiplier;
  return optionMultiplier(d.market, d.root) ?? (d.market === 'US' ? US_OPTION_MULTIPLIER : 1);
}

/** The tick rule that applies to a derivative code. */
export function derivativeTickRule(d: DerivativeCode): TickRule {
  return d.kind === 'future' ? d.root.tickRule : OPTION_TICK_RULE;
}
