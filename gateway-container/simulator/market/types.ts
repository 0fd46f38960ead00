// The market engine's public types: its options, the event it emits per trade, and the shapes of its reads.
import type * as Qot_Common from '../../../proto/generated/Qot_Common.js';
import type { SimClock } from '../clock.js';
import type { Universe, UniversePlate } from './universe.js';

export type SessionMode = 'always-open' | 'exchange';

export interface MarketEngineOptions {
  /** Default: the universe.json shipped with the simulator. */
  universe?: Universe;
  /** Default: a real-time clock starting now. */
  clock?: SimClock;
  seed?: number;
  /** Virtual ms between simulated trades of one security. */
  tickIntervalMs?: number;
  /** 'always-open' trades around the clock; 'exchange' only in each exchange's continuous sessions. */
  sessions?: SessionMode;
  /** Pending steps per security above which a clock jump is compressed into one aggregated move. */
  maxPendingSteps?: number;
  /** Called when an event listener throws; the engine carries on. Default: console.error. */
  onListenerError?: (err: unknown) => void;
}

export interface OrderBookSides {
  bids: Qot_Common.OrderBook[];
  asks: Qot_Common.OrderBook[];
}

/** One simulated trade and everything it changed. Objects are fresh per event; treat them as read-only. */
export interface MarketUpdate {
  key: string;
  security: Qot_Common.Security;
  trade: Qot_Common.Ticker;
  basic: Qot_Common.BasicQot;
  /** Full depth (10 levels a side; empty for indexes). */
  book: OrderBookSides;
  /** The bar of every KLType that this trade updated, by Qot_Common.KLType. */
  klines: Map<number, Qot_Common.KLine>;
  /** The time-share (minute) point this trade updated. */
  rt?: Qot_Common.TimeShare;
}

export interface HistoryKLinesResult {
  klines: Qot_Common.KLine[];
  /** Time string of the first bar left out by maxCount (where the next page starts), if any. */
  nextReqTime?: string;
}

export interface PlateFacts extends UniversePlate {
  info: Qot_Common.PlateInfo;
}

export interface EngineStats {
  /** Simulated trades generated so far, all securities. */
  steps: number;
  /** Steps that large clock jumps replaced by one aggregated move (estimated in exchange mode). */
  skippedSteps: number;
}

// ---------------------------------------------------------------------------------------------------
// The engine
