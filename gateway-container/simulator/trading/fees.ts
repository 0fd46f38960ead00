// The fee schedule of REAL accounts, as Futu publishes it for HK and US stocks, and the fees of one fill.
//
// HK stocks, ETFs and warrants (Futu HK, fixed platform-fee plan — https://www.futuhk.com/en/commissionnew and
// https://support.futuhk.com/en-us/topic335):
//   Commission        0.03 % of the transaction amount, minimum HK$3 per ORDER        (Futu)
//   Platform Fees     HK$15 per ORDER ("an order can be divided into multiple transactions but charged once")
//   Settlement Fees   0.002 % per TRADE, minimum HK$2, maximum HK$100               (HKEX)
//   Stamp Duty        0.1 % per TRADE, rounded UP to the whole dollar; none on ETFs  (HK Government)
//   Trading Fees      0.00565 % per TRADE, minimum HK$0.01                           (HKEX)
//   SFC Transaction Levy  0.0027 % per TRADE, minimum HK$0.01                        (SFC)
//   FRC Transaction Levy  0.00015 % per TRADE                                        (FRC)
// US stocks and ETFs (Futu / moomoo US-stock schedule, same page):
//   Commission        US$0.0049 per share, minimum US$0.99 per ORDER, at most 0.5 % of the amount
//   Platform Fees     US$0.005 per share, minimum US$1 per ORDER, at most 0.5 % of the amount
//   Settlement Fees   US$0.003 per share per TRADE, at most 7 % of the amount
//   SEC Fee           sells only: 0.0000278 × amount per TRADE, minimum US$0.01
//   Trading Activity Fee (FINRA TAF)  sells only: US$0.000166 per share per TRADE, minimum US$0.01, maximum US$8.30
// "Per ORDER" items are figured on the order's cumulative filled quantity and amount, so an order split into
// several fills pays its minimum once; "per TRADE" items are figured on each fill alone (Futu: "pass-through fees
// are calculated on the transaction amounts closed"). Futures and options have their own per-contract schedules
// (derivative-fees.ts): the stock schedule above, its stamp duty in particular, never applies to them. A-shares (Stock Connect) have no schedule here and pay
// nothing. Paper trading (SIMULATE) pays no fees at all: Futu's paper accounts neither charge nor report them.
//
// Invariant: money is computed in whole cents (integers), every item is rounded to the cent once, and the total
// of an order is the sum of its rounded items — the cash the ledger moves is exactly what Trd_GetOrderFee reports.
import { parseDerivativeCode } from '../../../proto/derivatives.js';
import type { SecurityFacts, SecurityMarket } from '../market-view.js';
import { derivativeOrderLevel, derivativePerTrade } from './derivative-fees.js';

export interface FeeItem {
  /** Futu's name of the item, e.g. "Commission", "Stamp Duty". */
  title: string;
  /** Whole cents of the security's currency. */
  cents: number;
}

export interface FeeSubject {
  market: SecurityMarket;
  /** Qot_Common.SecurityType: 4 = Trust (ETFs, funds: no HK stamp duty). */
  secType: number;
  buy: boolean;
  /** Futures and options: what one contract is; absent for stocks and funds. */
  contract?: {
    kind: 'future' | 'option';
    /** Currency per point (futures) or shares per contract (options). */
    multiplier: number;
    /** Futures root ("HSI", "MHI", "ES"): HKFE's fees differ by product. */
    root?: string;
  };
}

/** What the order had filled before this fill (quantity and amount in currency units). */
export interface FilledSoFar {
  qty: number;
  value: number;
}

const TRUST = 4;

/** The fee subject of a side of `sec`: its market, type and, for a derivative, contract facts. */
export function feeSubjectOf(sec: Pick<SecurityFacts, 'market' | 'secType' | 'code' | 'derivative'>, buy: boolean): FeeSubject {
  const s: FeeSubject = { market: sec.market, secType: sec.secType, buy };
  if (sec.derivative) {
    const parsed = parseDerivativeCode(sec.market, sec.code);
    const root = typeof parsed === 'object' && parsed.kind === 'future' ? parsed.root.root : undefined;
    s.contract = { kind: sec.derivative.kind, multiplier: sec.derivative.multiplier, ...(root ? { root } : {}) };
  }
  return s;
}

/** Whole cents of an amount in currency units (the amount is qty × price, at most 3 decimals of price). */
export const toCents = (amount: number): number => Math.round(amount * 100);
export const fromCents = (cents: number): number => cents / 100;

/** cents × ppm / 1e6, rounded to the cent; `ppm` is parts per million (0.03 % = 300 ppm). */
const ofAmount = (cents: number, ppm: number): number => Math.round((cents * ppm) / 1_000_000);
const clamp = (v: number, min: number, max: number): number => Math.min(max, Math.max(min, v));

function hkOrderLevel(f: FilledSoFar): FeeItem[] {
  if (f.qty === 0) return [];
  return [
    { title: 'Commission', cents: Math.max(300, ofAmount(toCents(f.value), 300)) },
    { title: 'Platform Fees', cents: 1500 },
  ];
}

function usOrderLevel(f: FilledSoFar): FeeItem[] {
  if (f.qty === 0) return [];
  const cap = ofAmount(toCents(f.value), 5000); // 0.5 % of the amount
  // Per-share rates in hundredths of a cent: 0.0049 $/share = 49 per 10,000 cents … kept exact as integers.
  const commission = Math.max(99, Math.round((f.qty * 49) / 100));
  const platform = Math.max(100, Math.round((f.qty * 50) / 100));
  return [
    { title: 'Commission', cents: Math.min(commission, Math.max(cap, 1)) },
    { title: 'Platform Fees', cents: Math.min(platform, Math.max(cap, 1)) },
  ];
}

function hkPerTrade(s: FeeSubject, qty: number, price: number): FeeItem[] {
  const cents = toCents(qty * price);
  const items: FeeItem[] = [
    { title: 'Settlement Fees', cents: clamp(ofAmount(cents, 20), 200, 10_000) },
    // 0.1 % rounded up to the whole dollar: ceil(cents / 1000 / 100) dollars.
    ...(s.secType === TRUST ? [] : [{ title: 'Stamp Duty', cents: Math.ceil(cents / 100_000) * 100 }]),
    { title: 'Trading Fees', cents: Math.max(1, ofAmount(cents, 56.5)) },
    { title: 'SFC Transaction Levy', cents: Math.max(1, ofAmount(cents, 27)) },
    { title: 'FRC Transaction Levy', cents: ofAmount(cents, 1.5) },
  ];
  return items;
}

function usPerTrade(s: FeeSubject, qty: number, price: number): FeeItem[] {
  const cents = toCents(qty * price);
  const items: FeeItem[] = [{ title: 'Settlement Fees', cents: Math.min(Math.round((qty * 3) / 10), ofAmount(cents, 70_000)) }];
  if (!s.buy) {
    items.push({ title: 'SEC Fee', cents: Math.max(1, ofAmount(cents, 27.8)) });
    items.push({ title: 'Trading Activity Fee', cents: clamp(Math.round((qty * 166) / 10_000), 1, 830) });
  }
  return items;
}

/**
 * The fees one fill adds to its order: the per-trade items of this fill, plus how much the per-order items grew
 * (the platform fee on the first fill only, the commission as its minimum and rate allow). Items of 0 are left out.
 */
export function feesForFill(s: FeeSubject, before: FilledSoFar, qty: number, price: number): FeeItem[] {
  const after: FilledSoFar = { qty: before.qty + qty, value: before.value + qty * price };
  let orderLevel: (f: FilledSoFar) => FeeItem[];
  let perTrade: (s: FeeSubject, qty: number, price: number) => FeeItem[];
  if (s.contract && (s.market === 'HK' || s.market === 'US')) {
    orderLevel = (f) => derivativeOrderLevel(s, f);
    perTrade = derivativePerTrade;
  } else if (s.market === 'HK') {
    orderLevel = hkOrderLevel;
    perTrade = hkPerTrade;
  } else if (s.market === 'US') {
    orderLevel = usOrderLevel;
    perTrade = usPerTrade;
  } else {
    return [];
  }
  const was = new Map(orderLevel(before).map((i) => [i.title, i.cents]));
  const grown = orderLevel(after).map((i) => ({ title: i.title, cents: i.cents - (was.get(i.title) ?? 0) }));
  return [...grown, ...perTrade(s, qty, price)].filter((i) => i.cents > 0);
}

/**
 * Whole cents an order of `qty` at `price` is expected to pay, figured as one fill (what buying power and the
 * maximum quantities set aside, so a cash account that spends everything it can still pays its fees). Limit: an
 * order that fills in several trades pays each per-trade minimum once per trade (HK stocks: the HK$2 settlement
 * minimum and the whole-dollar stamp duty rounding, at most about HK$3.04 per extra fill), which this estimate
 * does not foresee; the per-order items it repeats for the unfilled rest of an open order cover part of that.
 */
export function estimateOrderFeeCents(s: FeeSubject, qty: number, price: number): number {
  if (!(qty > 0)) return 0;
  return feesForFill(s, { qty: 0, value: 0 }, qty, price).reduce((t, i) => t + i.cents, 0);
}
