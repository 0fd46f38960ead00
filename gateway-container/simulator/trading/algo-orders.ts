// TWAP and VWAP algorithmic orders (Trd_Common.OrderType TWAP_MARKET / TWAP_LIMIT / VWAP_MARKET / VWAP_LIMIT) of
// the paper-trading engine: the order is worked in slices over a window against the simulated market's own
// trades, each slice filling at a trade's price and at most that trade's volume.
// - TWAP: the window is cut into ALGO_SLICES equal intervals; by slice k (0-based) the order aims to have filled
//   (k + 1) / ALGO_SLICES of its quantity (whole lots), so fills are spread evenly over time.
// - VWAP: the order aims to have filled the share of its quantity that the market's volume since the start is of
//   the volume expected over the window, so it trades more when the market trades more. The expected volume is
//   the security's traded volume in the window-length before placement, scaled to the window when the simulator
//   has seen less (VolumeTracker); with no volume seen yet it slices by time like TWAP.
// - In the last slice both aim for the whole quantity. _LIMIT variants fill only at trades at or better than the
//   limit; whatever is still unfilled when the window ends is cancelled (CANCELLED_PART / CANCELLED_ALL).
// - Cancel stops the remaining slices (the engine's cancel closes the order); the state file keeps `algo`.
// Which markets and fields (from the futu-api protos, not confirmed against a broker): the four types exist in
// Trd_Common.OrderType without a market note, and Trd_PlaceOrder has no field for an algorithm's time window or
// participation, so the simulator offers them for US securities (order-types.ts) in regular trading hours, DAY
// only, with a fixed window of ALGO_WINDOW_MS from placement (the README's order-type table says so).
import * as Trd_Common from '../../../proto/generated/Trd_Common.js';
import type { MarketTrade } from '../market-view.js';
import { TradingError } from './errors.js';
import { acceptable } from './matching.js';
import type { OrderState } from './records.js';
import type { WorkHooks } from './auction-orders.js';
import { nameOf } from './util.js';
import { floorLots } from './validation.js';

const { OrderType, TimeInForce } = Trd_Common;

/** How long an algorithmic order works: 30 minutes of market time from placement. */
export const ALGO_WINDOW_MS = 30 * 60_000;
/** Slices of a TWAP window (one every 3 minutes). */
export const ALGO_SLICES = 10;

export const ALGO_TYPES: ReadonlySet<number> = new Set([OrderType.TWAP_MARKET, OrderType.TWAP_LIMIT, OrderType.VWAP_MARKET, OrderType.VWAP_LIMIT]);
const VWAP_TYPES: ReadonlySet<number> = new Set([OrderType.VWAP_MARKET, OrderType.VWAP_LIMIT]);

/** The working state of an algorithmic order; saved with the order. */
export interface AlgoState {
  /** Window [start, end), virtual-clock ms. */
  start: number;
  end: number;
  /** VWAP: market volume of the security traded since `start`. */
  marketVol: number;
  /** VWAP: volume expected over the window (0: none seen before placement, slice by time). */
  expectedVol: number;
}

declare module './records.js' {
  interface OrderState {
    /** TWAP / VWAP orders: their window and volume so far (algo-orders.ts). */
    algo?: AlgoState;
  }
}

/** Market volume per security over the last ALGO_WINDOW_MS, for VWAP's expected volume. */
export class VolumeTracker {
  private readonly byKey = new Map<string, { time: number; vol: number }[]>();
  private readonly first = new Map<string, number>();

  record(t: MarketTrade): void {
    let q = this.byKey.get(t.key);
    if (!q) {
      q = [];
      this.byKey.set(t.key, q);
      this.first.set(t.key, t.time);
    }
    q.push({ time: t.time, vol: t.volume });
    let drop = 0;
    while (drop < q.length && q[drop]!.time < t.time - ALGO_WINDOW_MS) drop++;
    if (drop > 0) q.splice(0, drop);
  }

  /** Volume expected over a window starting at `now`: the last window's volume, scaled up if fewer minutes were seen. */
  expected(key: string, now: number): number {
    const q = this.byKey.get(key) ?? [];
    const vol = q.filter((x) => x.time >= now - ALGO_WINDOW_MS).reduce((s, x) => s + x.vol, 0);
    const seen = Math.min(ALGO_WINDOW_MS, now - (this.first.get(key) ?? now));
    return vol > 0 && seen > 0 ? (vol * ALGO_WINDOW_MS) / seen : 0;
  }
}

/** Starts a new TWAP / VWAP order's window; refuses it outside continuous trading and for GTC. */
export function assignAlgo(o: OrderState, now: number, tradingNow: boolean, volumes: VolumeTracker): void {
  const typeName = nameOf(OrderType, o.orderType);
  if (o.timeInForce !== TimeInForce.DAY) {
    throw new TradingError(`timeInForce ${nameOf(TimeInForce, o.timeInForce)} is not allowed for ${typeName} orders: the simulator works them over ${ALGO_WINDOW_MS / 60_000} minutes; use DAY`);
  }
  if (!tradingNow) {
    throw new TradingError(`${typeName} orders can only be placed during continuous trading (they are worked over the next ${ALGO_WINDOW_MS / 60_000} minutes); the ${o.sec.market} market is not trading now`);
  }
  o.algo = { start: now, end: now + ALGO_WINDOW_MS, marketVol: 0, expectedVol: VWAP_TYPES.has(o.orderType) ? volumes.expected(o.sec.key, now) : 0 };
}

/** The filled quantity the order aims for at `time` (whole lots, at most qty). */
export function algoTarget(o: OrderState, time: number): number {
  const a = o.algo!;
  const sliceMs = (a.end - a.start) / ALGO_SLICES;
  const slice = Math.min(ALGO_SLICES - 1, Math.max(0, Math.floor((time - a.start) / sliceMs)));
  if (slice === ALGO_SLICES - 1) return o.qty;
  const share = VWAP_TYPES.has(o.orderType) && a.expectedVol > 0 ? Math.min(1, a.marketVol / a.expectedVol) : (slice + 1) / ALGO_SLICES;
  return Math.min(o.qty, floorLots(o.qty * share, o.sec.lotSize));
}

/** A market trade of the order's security: counts its volume, then fills toward the target at its price. */
export function algoOnTrade(o: OrderState, t: MarketTrade, hooks: WorkHooks): void {
  const a = o.algo;
  if (!a || t.time < a.start) return;
  if (t.time >= a.end) {
    algoOnSweep(o, hooks);
    return;
  }
  a.marketVol += t.volume;
  const want = algoTarget(o, t.time) - o.fillQty;
  if (want <= 0 || !acceptable(o, t.price)) return;
  const take = floorLots(Math.min(want, t.volume), o.sec.lotSize);
  if (take > 0) hooks.fill(o, take, t.price);
}

/** Ends the order's window once it has passed: the unfilled rest is cancelled. */
export function algoOnSweep(o: OrderState, hooks: WorkHooks): void {
  const a = o.algo;
  if (!a || hooks.now() < a.end) return;
  hooks.cancel(o, `${nameOf(OrderType, o.orderType)} window ended (${ALGO_WINDOW_MS / 60_000} minutes) with ${o.qty - o.fillQty} unfilled: the rest is cancelled`);
}
