// Paper-trading rules for futures and options: which account market may trade which contract, and the money
// of one contract (multiplier, futures margin, the cash a fill moves).
//
// Invariants:
//   - positions, orders and fills keep per-contract prices and quantities in contracts; value, P&L and cash
//     are price × qty × multiplier (HK options: the HKEX contract size; US options: 100; futures: currency
//     per index point);
//   - an option fill moves cash by price × qty × multiplier, as a stock fill does by price × qty;
//   - a futures fill moves no cash when it opens: the account holds initial margin per contract instead, and
//     closing realizes (price − average open price) × qty × multiplier into cash;
//   - futures trade only in futures accounts (TrdMarket FUTURES, FUTURES_SIMULATE_HK / _US), options in the
//     securities accounts of their market, like Futu.
import * as Trd_Common from '../../../proto/generated/Trd_Common.js';
import { FUTURE_ROOTS, parseDerivativeCode } from '../../../proto/derivatives.js';
import type { SecurityFacts, SecurityMarket } from '../market-view.js';
import type { PositionState } from './accounts.js';
import { roundMoney, trdMarketsFor } from './util.js';

const { TrdMarket } = Trd_Common;
const FUTURES_TRD_MARKETS: ReadonlySet<number> = new Set([TrdMarket.FUTURES, TrdMarket.FUTURES_SIMULATE_HK, TrdMarket.FUTURES_SIMULATE_US]);

export function isFuturesTrdMarket(trdMarket: number): boolean {
  return FUTURES_TRD_MARKETS.has(trdMarket);
}

/** The security market a futures trdMarket names (FUTURES: the market of the code's root; HK by default). */
export function futuresSecurityMarket(trdMarket: number, code: string): SecurityMarket {
  if (trdMarket === TrdMarket.FUTURES_SIMULATE_US) return 'US';
  if (trdMarket === TrdMarket.FUTURES_SIMULATE_HK) return 'HK';
  const root = /^([A-Z]{1,4})(?:main|\d{4})$/.exec(code)?.[1];
  return (root && FUTURE_ROOTS[root]?.market) || 'HK';
}

/** Whether a security of market `m` (`sec` when known) may be traded under `trdMarket`. */
export function tradableUnder(sec: SecurityFacts | undefined, m: SecurityMarket, trdMarket: number): boolean {
  if (sec?.derivative?.kind === 'future') {
    if (trdMarket === TrdMarket.FUTURES) return true;
    return m === 'HK' ? trdMarket === TrdMarket.FUTURES_SIMULATE_HK : m === 'US' && trdMarket === TrdMarket.FUTURES_SIMULATE_US;
  }
  return !isFuturesTrdMarket(trdMarket) && trdMarketsFor(m).includes(trdMarket);
}

/** A code shaped like a future or an option of market `m` (so the stock-code format rules do not apply). */
export function isDerivativeCode(m: SecurityMarket, code: string): boolean {
  return parseDerivativeCode(m, code) !== undefined;
}

export function multiplierOf(sec: Pick<SecurityFacts, 'derivative'> | undefined): number {
  return sec?.derivative?.multiplier ?? 1;
}

export function isFuture(sec: Pick<SecurityFacts, 'derivative'> | undefined): boolean {
  return sec?.derivative?.kind === 'future';
}

/** Derivatives may be sold short (opened short) in any account that may trade them. */
export function maySellShort(sec: Pick<SecurityFacts, 'derivative'>): boolean {
  return sec.derivative !== undefined;
}

/**
 * What an open order of `qty` at `price` holds of the account's money: futures their initial margin, everything
 * else price × qty × multiplier.
 */
export function orderCommitment(sec: Pick<SecurityFacts, 'derivative'>, qty: number, price: number): number {
  if (isFuture(sec)) return roundMoney(qty * (sec.derivative!.initialMargin ?? 0));
  return roundMoney(qty * price * multiplierOf(sec));
}

/**
 * The cash a fill of `signed` contracts (positive buy) at `price` moves, given the position before it. Futures:
 * the P&L realized by the part that closes; others: −signed × price × multiplier.
 */
export function fillCashDelta(sec: Pick<SecurityFacts, 'derivative'>, before: PositionState | undefined, signed: number, price: number): number {
  const mult = multiplierOf(sec);
  if (!isFuture(sec)) return roundMoney(-signed * price * mult);
  const held = before?.qty ?? 0;
  if (held === 0 || Math.sign(held) === Math.sign(signed)) return 0;
  const closing = Math.min(Math.abs(signed), Math.abs(held));
  // Long closed by a sell earns (price − avg); short closed by a buy earns (avg − price).
  const perContract = held > 0 ? price - before!.avgCost : before!.avgCost - price;
  return roundMoney(perContract * closing * mult);
}

/** Initial and maintenance margin a futures position of `qty` contracts holds (0 for other securities). */
export function positionMargin(sec: Pick<SecurityFacts, 'derivative'> | undefined, qty: number): { initial: number; maintenance: number } {
  if (!sec || !isFuture(sec)) return { initial: 0, maintenance: 0 };
  const n = Math.abs(qty);
  return { initial: roundMoney(n * (sec.derivative!.initialMargin ?? 0)), maintenance: roundMoney(n * (sec.derivative!.maintenanceMargin ?? 0)) };
}
