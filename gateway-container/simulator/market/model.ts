// The market engine's model: the KLTypes it builds and its limits, the per-security state it keeps, and the
// small pure helpers (tick snapping, rounding, bounded arrays) that the engine's parts share.
// Invariant: prices in the state are always valid tick prices of the security's tick rule.
import * as Qot_Common from '../../../proto/generated/Qot_Common.js';
import type { SecurityMarket } from '../market-view.js';
import { snapToTick, stepTicks, type TickRule } from '../ticks.js';
import type { Rng } from '../../../proto/seeded-random.js';
import { DAY_MS } from './calendars.js';
import type { UniverseSecurity } from './universe.js';

export const KL = Qot_Common.KLType;
export const INTRADAY_MINUTES = new Map<number, number>([
  [KL['1MIN'], 1],
  [KL['3MIN'], 3],
  [KL['5MIN'], 5],
  [KL['10MIN'], 10],
  [KL['15MIN'], 15],
  [KL['30MIN'], 30],
  [KL['60MIN'], 60],
  [KL['120MIN'], 120],
  [KL['180MIN'], 180],
  [KL['240MIN'], 240],
]);
/** Every KLType the engine builds (all but UNKNOWN). */
export const KL_TYPES: readonly number[] = [...INTRADAY_MINUTES.keys(), KL.DAY, KL.WEEK, KL.MONTH, KL.QUARTER, KL.YEAR];

export const MAX_TICKERS = 1000;
export const MAX_KLINES = 1000;
export const BOOK_DEPTH = 10;
export const HISTORY_CALENDAR_DAYS = 3 * 366;
export const MINUTE_HISTORY_DAYS = 60;
export const TRADING_DAYS_PER_YEAR = 252;
export const MINUTE_CACHE_LIMIT = 32;

export interface Bar {
  /** Identifies the period: the label for intraday bars, a day/week/month/... number otherwise. */
  key: number;
  /** Exchange-local ms of the bar's time string (intraday: bar end; day and longer: first day). */
  label: number;
  open: number;
  high: number;
  low: number;
  close: number;
  lastClose: number;
  volume: number;
  turnover: number;
  /** The period began in the history: its earlier days are merged in when the bar is first read. */
  carryPending?: boolean;
}

export interface Level {
  price: number;
  volume: number;
  orders: number;
}

export interface DayStats {
  day: number;
  prevClose: number;
  open: number;
  high: number;
  low: number;
  volume: number;
  turnover: number;
  trades: number;
}

export interface RtPoint {
  label: number;
  price: number;
  avgPrice: number;
  volume: number;
  turnover: number;
}

export interface HistoryDay {
  day: number;
  open: number;
  high: number;
  low: number;
  close: number;
  lastClose: number;
  volumeLots: number;
  turnover: number;
}

export interface HistoryData {
  days: HistoryDay[];
  /** Index of the first day that has minute bars. */
  minuteFrom: number;
  /** Daily and longer bars by KLType. */
  calendarBars: Map<number, Bar[]>;
}

export interface SecurityState {
  sec: UniverseSecurity;
  market: SecurityMarket;
  rule: TickRule;
  qot: Qot_Common.Security;
  isIndex: boolean;
  rng: Rng;
  /** Per-security phase of the step grid, so securities do not all trade on the same instant. */
  gridOffset: number;
  /** Next step instant (on the grid, inside a session in exchange mode); Infinity if never. */
  cursor: number;
  sigmaStep: number;
  meanLots: number;
  fair: number;
  last: number;
  lastTime: number;
  bids: Level[];
  asks: Level[];
  today: DayStats;
  sequence: bigint;
  tickers: Qot_Common.Ticker[];
  rt: Map<number, RtPoint>;
  series: Map<number, { done: Bar[]; current?: Bar }>;
  /** Scratch: the bar of each KL_TYPES entry updated by the current step. */
  touched: Bar[];
  /** Close of the last history day, where the live process starts. */
  basisClose: number;
  /** First local day that is live (history covers the days before it). */
  liveFromDay: number;
  lastHistoryDay: number | undefined;
  history?: HistoryData;
}

/** Keeps the fair value within 1/50 and 50 times the base price, so a long run cannot drift to absurd prices. */
export function clampFair(s: SecurityState, price: number): number {
  return Math.min(Math.max(price, s.sec.basePrice / 50), s.sec.basePrice * 50);
}

/** Regenerates the 10 levels a side around the fair value: valid tick prices, whole lots, order counts. */
export function rebuildBook(s: SecurityState, fair: number): void {
  if (s.isIndex) return;
  const { bid, ask } = touchAround(s.rule, fair);
  const depthLots = Math.max(2, Math.round(s.meanLots * 4));
  const side = (touch: number, direction: 1 | -1): Level[] => {
    const levels: Level[] = [];
    let price = touch;
    for (let i = 0; i < BOOK_DEPTH; i++) {
      if (i > 0) {
        const next = stepTicks(s.rule, price, direction);
        if (direction < 0 && next >= price) break; // no valid price below the lowest tick
        price = next;
      }
      const lots = 1 + Math.floor(s.rng.next() * depthLots * (1 + 0.25 * i));
      const orders = Math.min(lots, 1 + Math.floor(s.rng.next() * 12));
      levels.push({ price, volume: lots * s.sec.lotSize, orders });
    }
    return levels;
  };
  s.bids = side(bid, -1);
  s.asks = side(ask, 1);
}

const civilDates = new Map<number, { year: number; month: number }>();

/** Year and month (0-11) of a day number. */
export function civilDate(day: number): { year: number; month: number } {
  let civil = civilDates.get(day);
  if (!civil) {
    const date = new Date(day * DAY_MS);
    civil = { year: date.getUTCFullYear(), month: date.getUTCMonth() };
    if (civilDates.size >= 10_000) civilDates.clear();
    civilDates.set(day, civil);
  }
  return civil;
}

export function newDay(day: number, prevClose: number): DayStats {
  return { day, prevClose, open: 0, high: 0, low: 0, volume: 0, turnover: 0, trades: 0 };
}

export function toOrderBook(l: Level): Qot_Common.OrderBook {
  return { price: l.price, volume: BigInt(l.volume), orederCount: l.orders };
}

/** Best bid at or below the fair value and the ask one tick above it. */
export function touchAround(rule: TickRule, fair: number): { bid: number; ask: number } {
  let bid = snapToTick(rule, fair, 'down');
  if (bid <= 0) bid = snapToTick(rule, fair, 'up');
  return { bid, ask: stepTicks(rule, bid, 1) };
}

export function snapNearest(rule: TickRule, price: number): number {
  const down = snapToTick(rule, price, 'down');
  const up = snapToTick(rule, price, 'up');
  return down > 0 && price - down <= up - price ? down : up;
}

const POWERS_OF_TEN = [1, 10, 100, 1000, 10_000, 100_000];

export function round(value: number, decimals: 0 | 1 | 2 | 3 | 4 | 5): number {
  const f = POWERS_OF_TEN[decimals]!;
  return Math.round(value * f) / f;
}

export function clampCount(requested: number, max: number): number {
  return Number.isFinite(requested) ? Math.max(0, Math.min(max, Math.floor(requested))) : max;
}

/** Keeps arrays bounded without shifting on every push. */
export function trimFront<T>(items: T[], max: number): void {
  if (items.length > max + max / 5) items.splice(0, items.length - max);
}
