// HK at-auction (AUCTION) and at-auction limit (AUCTION_LIMIT) orders of the paper-trading engine.
// Rules followed:
// - Trd_Common.OrderType (futu-api protos): OrderType_Auction "HK only, valid only in the HK opening and closing
//   auctions"; OrderType_AuctionLimit "HK only, valid only in the opening and closing auctions, takes part in the
//   auction and fills only if the given price is met".
// - HKEX (Securities Market Operations FAQ): an at-auction order has no price and is matched at the final IEP; an
//   at-auction limit order is matched at the final IEP only if its price is at or better than it (a buy at or
//   above, a sell at or below), never at a worse price. Outstanding at-auction orders are cancelled after the
//   pre-opening session; outstanding at-auction limit orders are carried forward into continuous trading as limit
//   orders at their price. Futu's help centre says the same for its auction market orders ("About pre-opening":
//   uncompleted auction market orders are cancelled before continuous trading begins). After the closing auction
//   nothing is carried anywhere: the trading day is over, so whatever is left of either type is cancelled.
// - No cancellation or amendment during the no-cancellation, matching and blocking periods (market/auctions.ts).
// Simulator choices (not rules): the auction price is the simulator's opening price of the day (its first
// continuous trade) for the pre-opening session and its closing price (the day's last trade) for the closing
// auction; a matching order fills completely at that price (the simulated auctions have no book, so there is no
// opposite side to run out of). Invariant: an order with `auction` set never meets continuous-trading liquidity.
import * as Trd_Common from '../../../proto/generated/Trd_Common.js';
import { auctionInputWindowAt, hkClock, type AuctionPhase } from '../market/auctions.js';
import { TradingError } from './errors.js';
import { acceptable } from './matching.js';
import type { OrderState } from './records.js';
import { nameOf } from './util.js';

const { OrderType, TimeInForce } = Trd_Common;

/** Where an at-auction order stands until its auction matches; cleared once it has (an AUCTION_LIMIT left over
 * from the pre-opening session then works as a plain limit order). */
export interface AuctionState {
  phase: AuctionPhase;
  /** From here the order can be neither cancelled nor modified. */
  noCancelFrom: number;
  /** The auction matches at the first trade at or after this instant (opening) or at this instant (closing). */
  matchAt: number;
}

declare module './records.js' {
  interface OrderState {
    /** AUCTION / AUCTION_LIMIT orders waiting for their auction (auction-orders.ts). */
    auction?: AuctionState;
  }
}

export const AUCTION_TYPES: ReadonlySet<number> = new Set([OrderType.AUCTION, OrderType.AUCTION_LIMIT]);

const SESSION_NAME: Record<AuctionPhase, string> = { OPEN: 'pre-opening session', CLOSE: 'closing auction session' };

/** What an engine offers the auction and algorithm workers. */
export interface WorkHooks {
  now(): number;
  fill(o: OrderState, qty: number, price: number): void;
  cancel(o: OrderState, reason: string): void;
  /** Tells the client the order changed (no fill): its updateMs moves and a push goes out. */
  touch(o: OrderState): void;
  lastPrice(key: string): number | undefined;
}

/**
 * Puts a new AUCTION / AUCTION_LIMIT order into the auction whose input period is on now; refuses it outside
 * both input periods and for GTC (an at-auction order lives for one auction).
 */
export function assignAuction(o: OrderState, now: number): void {
  const typeName = nameOf(OrderType, o.orderType);
  if (o.timeInForce !== TimeInForce.DAY) {
    throw new TradingError(`timeInForce ${nameOf(TimeInForce, o.timeInForce)} is not allowed for ${typeName} orders: they take part in one auction; use DAY`);
  }
  const w = auctionInputWindowAt(now);
  if (!w) {
    throw new TradingError(
      `${typeName} orders are taken only in HKEX's auction sessions: the pre-opening session (input 09:00-09:20 HKT, matched at the opening price) ` +
        `and the closing auction session (input 16:01-16:08 HKT, matched at the closing price); it is ${hkClock(now)} HKT`,
    );
  }
  o.auction = { phase: w.phase, noCancelFrom: w.noCancelFrom, matchAt: w.matchAt };
}

/** Refuses a cancel or modify of an at-auction order in its auction's no-cancellation period. */
export function checkAuctionChange(o: OrderState, now: number): void {
  const a = o.auction;
  if (!a || now < a.noCancelFrom) return;
  throw new TradingError(
    `order ${o.orderID} is an ${nameOf(OrderType, o.orderType)} order in HKEX's ${SESSION_NAME[a.phase]} no-cancellation period ` +
      `(from ${hkClock(a.noCancelFrom)} HKT until the auction matches): it can be neither cancelled nor modified now`,
  );
}

/** Settles the order's auction at `price`: fill, carry forward (an at-auction limit after the opening) or cancel. */
function settle(o: OrderState, price: number | undefined, hooks: WorkHooks): void {
  const phase = o.auction!.phase;
  delete o.auction;
  if (price !== undefined && price > 0 && acceptable(o, price)) {
    hooks.fill(o, o.qty - o.fillQty, price);
    return;
  }
  const what = price !== undefined && price > 0 ? `the auction price ${price} did not meet the limit ${o.price}` : 'the auction found no price';
  if (phase === 'OPEN' && o.orderType === OrderType.AUCTION_LIMIT) {
    o.lastErrMsg = `${what}: carried forward into continuous trading as a limit order at ${o.price} (HKEX)`;
    hooks.touch(o);
    return;
  }
  hooks.cancel(o, `${nameOf(OrderType, o.orderType)} order unfilled in the ${SESSION_NAME[phase]} (${what}): cancelled after the auction (HKEX)`);
}

/** A market trade of the order's security: the opening auction settles at the day's first continuous trade. */
export function auctionOnTrade(o: OrderState, price: number, time: number, hooks: WorkHooks): void {
  const a = o.auction;
  if (!a || a.phase !== 'OPEN' || time < a.matchAt) return;
  settle(o, price, hooks);
}

/** The engine's sweep: a closing auction settles once the closing auction session is over, at the closing price. */
export function auctionOnSweep(o: OrderState, hooks: WorkHooks): void {
  const a = o.auction;
  if (!a || a.phase !== 'CLOSE' || hooks.now() < a.matchAt) return;
  settle(o, hooks.lastPrice(o.sec.key), hooks);
}
