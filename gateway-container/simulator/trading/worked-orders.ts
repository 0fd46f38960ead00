// The orders the paper-trading engine does not match like resting limit / market orders: HK at-auction orders
// waiting for their auction (auction-orders.ts) and TWAP / VWAP orders worked in slices (algo-orders.ts). The
// engine hands every market trade and every sweep here first; what is left goes to its ordinary matching.
// Invariant: an order with `auction` or `algo` set is filled only from here, never from the book or a trade by
// the engine's own matching (workedApart tells the engine which ones to leave alone).
import type { MarketTrade } from '../market-view.js';
import { algoOnSweep, algoOnTrade, VolumeTracker, type AlgoState } from './algo-orders.js';
import { auctionOnSweep, auctionOnTrade, checkAuctionChange, type AuctionState, type WorkHooks } from './auction-orders.js';
import type { OrderState } from './records.js';

export type { WorkHooks } from './auction-orders.js';

/** Whether the engine's own matching must leave this order alone. */
export function workedApart(o: OrderState): boolean {
  return o.auction !== undefined || o.algo !== undefined;
}

export class WorkedOrders {
  /** Market volume per security, for VWAP's expected volume. */
  readonly volumes = new VolumeTracker();

  constructor(private readonly hooks: WorkHooks) {}

  /** Every market trade, before anything else: VWAP needs the volume of securities nobody works yet. */
  observe(t: MarketTrade): void {
    this.volumes.record(t);
  }

  /** Works the auction and algorithmic orders among `working` (open, triggered, of t's security) on trade t;
   * returns the others, for the engine's ordinary matching. */
  onTrade(working: readonly OrderState[], t: MarketTrade): OrderState[] {
    const plain: OrderState[] = [];
    for (const o of working) {
      if (o.auction) auctionOnTrade(o, t.price, t.time, this.hooks);
      else if (o.algo) algoOnTrade(o, t, this.hooks);
      else plain.push(o);
    }
    return plain;
  }

  /** Settles closing auctions that are over and ends algorithmic windows that have passed. */
  sweep(open: Iterable<OrderState>): void {
    for (const o of [...open]) {
      if (o.auction) auctionOnSweep(o, this.hooks);
      else if (o.algo) algoOnSweep(o, this.hooks);
    }
  }

  /** Refuses a change the exchange would refuse now (an at-auction order in its no-cancellation period). */
  checkModify(o: OrderState): void {
    checkAuctionChange(o, this.hooks.now());
  }

  /** Whether a cancel-all must leave this order alone (the exchange would refuse to cancel it now). */
  cancelBlocked(o: OrderState): boolean {
    return o.auction !== undefined && this.hooks.now() >= o.auction.noCancelFrom;
  }
}

// ------------------------------------------------------------------------------------- state file

/** The working state of an auction / algorithmic order as saved in the state file (snapshot.ts). */
export interface WorkedData {
  auction?: AuctionState;
  algo?: AlgoState;
}

/** What of `o`'s working state the state file keeps (copies: the saved data never aliases the live order). */
export function workedData(o: OrderState): WorkedData | undefined {
  if (!o.auction && !o.algo) return undefined;
  const d: WorkedData = {};
  if (o.auction) d.auction = { ...o.auction };
  if (o.algo) d.algo = { ...o.algo };
  return d;
}

/** Puts saved working state back on a restored order. */
export function restoreWorked(o: OrderState, d: WorkedData | undefined): void {
  if (d?.auction) o.auction = { ...d.auction };
  if (d?.algo) o.algo = { ...d.algo };
}

/** Checks the shape of a saved `worked` field; throws naming the first bad field. */
export function checkWorkedData(v: unknown, at: string): void {
  if (v === undefined) return;
  const isObj = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);
  if (!isObj(v)) throw new Error(`${at} must be an object, got ${JSON.stringify(v)}`);
  const nums = (o: Record<string, unknown>, keys: readonly string[], where: string) => {
    for (const k of keys) {
      if (typeof o[k] !== 'number' || !Number.isFinite(o[k])) throw new Error(`${where}.${k} must be a finite number, got ${JSON.stringify(o[k])}`);
    }
  };
  if (v['auction'] !== undefined) {
    const a = v['auction'];
    if (!isObj(a)) throw new Error(`${at}.auction must be an object`);
    if (a['phase'] !== 'OPEN' && a['phase'] !== 'CLOSE') throw new Error(`${at}.auction.phase must be OPEN or CLOSE, got ${JSON.stringify(a['phase'])}`);
    nums(a, ['noCancelFrom', 'matchAt'], `${at}.auction`);
  }
  if (v['algo'] !== undefined) {
    const a = v['algo'];
    if (!isObj(a)) throw new Error(`${at}.algo must be an object`);
    nums(a, ['start', 'end', 'marketVol', 'expectedVol'], `${at}.algo`);
  }
}
