// The simulator's market-data engine: a seeded, deterministic price process per security that produces
// trades, 10-level order books, K-lines of every type, time-share points and day statistics, plus a
// generated history (3 years of daily bars, 60 days of minute bars) that ends where the live process
// starts. Pure and in-process: the server turns its reads and events into OpenD messages.
import * as Qot_Common from '../../../proto/generated/Qot_Common.js';
import type * as Qot_GetSecuritySnapshot from '../../../proto/generated/Qot_GetSecuritySnapshot.js';
import { QOT_MARKET_BY_PREFIX } from '../../../proto/securities.js';
import { SimClock } from '../clock.js';
import type { MarketTrade, MarketView, SecurityMarket, TopOfBook } from '../market-view.js';
import { snapToTick, stepTicks, tickSize, type TickRule } from '../ticks.js';
import {
  DAY_MS,
  MARKET_CALENDARS,
  MINUTE_MS,
  formatLocalMs,
  fromLocalMs,
  isInSession,
  isWeekday,
  loadUniverse,
  localDay,
  marketStateAt,
  nextSessionInstant,
  parseDay,
  parseLocalMs,
  sessionMinutes,
  sessionsOfDay,
  utcOffsetMs,
  weekdayOf,
  type Universe,
  type UniversePlate,
  type UniverseSecurity,
} from './universe.js';

// ---------------------------------------------------------------------------------------------------
// Public types

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

const KL = Qot_Common.KLType;
const INTRADAY_MINUTES = new Map<number, number>([
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
const HISTORY_CALENDAR_DAYS = 3 * 366;
export const MINUTE_HISTORY_DAYS = 60;
const TRADING_DAYS_PER_YEAR = 252;
const MINUTE_CACHE_LIMIT = 32;

// ---------------------------------------------------------------------------------------------------
// Deterministic randomness

function hash32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** mulberry32: small, fast, and identical on every platform. */
class Rng {
  private state: number;
  constructor(seed: number) {
    this.state = seed >>> 0;
  }
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  private spare: number | undefined;
  /** Standard normal (Box-Muller; the second value of each pair is kept for the next call). */
  normal(): number {
    const spare = this.spare;
    if (spare !== undefined) {
      this.spare = undefined;
      return spare;
    }
    const radius = Math.sqrt(-2 * Math.log(1 - this.next()));
    const angle = 2 * Math.PI * this.next();
    this.spare = radius * Math.sin(angle);
    return radius * Math.cos(angle);
  }
  /** 1 + exponential, so the mean is `mean` (at least 1). */
  lots(mean: number): number {
    return 1 + Math.floor(-Math.log(1 - this.next()) * Math.max(0, mean - 1));
  }
}

// ---------------------------------------------------------------------------------------------------
// Internal state

interface Bar {
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

interface Level {
  price: number;
  volume: number;
  orders: number;
}

interface DayStats {
  day: number;
  prevClose: number;
  open: number;
  high: number;
  low: number;
  volume: number;
  turnover: number;
  trades: number;
}

interface RtPoint {
  label: number;
  price: number;
  avgPrice: number;
  volume: number;
  turnover: number;
}

interface HistoryDay {
  day: number;
  open: number;
  high: number;
  low: number;
  close: number;
  lastClose: number;
  volumeLots: number;
  turnover: number;
}

interface HistoryData {
  days: HistoryDay[];
  /** Index of the first day that has minute bars. */
  minuteFrom: number;
  /** Daily and longer bars by KLType. */
  calendarBars: Map<number, Bar[]>;
}

interface SecurityState {
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

// ---------------------------------------------------------------------------------------------------
// The engine

export class MarketEngine implements MarketView {
  readonly clock: SimClock;
  readonly seed: number;
  readonly tickIntervalMs: number;
  readonly sessionMode: SessionMode;
  readonly maxPendingSteps: number;
  /** Virtual time the live process started at. */
  readonly startTime: number;
  private readonly states = new Map<string, SecurityState>();
  private readonly plateList: PlateFacts[];
  private readonly tradeListeners = new Set<(trade: MarketTrade) => void>();
  private readonly updateListeners = new Set<(update: MarketUpdate) => void>();
  private readonly onListenerError: (err: unknown) => void;
  private readonly minuteCache = new Map<string, Bar[]>();
  private readonly segmentsByMarket = new Map<SecurityMarket, [number, number][]>();
  private processedUntil: number;
  private counters: EngineStats = { steps: 0, skippedSteps: 0 };
  private stopDriver: (() => void) | undefined;
  private advancing = false;

  constructor(options: MarketEngineOptions = {}) {
    const universe = options.universe ?? loadUniverse();
    this.clock = options.clock ?? new SimClock();
    this.seed = options.seed ?? 1;
    this.tickIntervalMs = options.tickIntervalMs ?? 1000;
    this.sessionMode = options.sessions ?? 'always-open';
    this.maxPendingSteps = options.maxPendingSteps ?? 5000;
    this.onListenerError = options.onListenerError ?? ((err) => console.error('market engine listener failed:', err));
    if (!Number.isInteger(this.tickIntervalMs) || this.tickIntervalMs < 1) {
      throw new RangeError(`tickIntervalMs must be a positive integer, got ${this.tickIntervalMs}`);
    }
    if (!Number.isInteger(this.maxPendingSteps) || this.maxPendingSteps < 1) {
      throw new RangeError(`maxPendingSteps must be a positive integer, got ${this.maxPendingSteps}`);
    }
    this.startTime = this.clock.now();
    this.processedUntil = this.startTime;
    for (const sec of universe.securities) this.states.set(sec.key, this.createState(sec));
    this.plateList = universe.plates.map((p) => ({
      ...p,
      info: { plate: { market: QOT_MARKET_BY_PREFIX[p.market], code: p.code }, name: p.name },
    }));
  }

  // ----- driving -------------------------------------------------------------------------------

  /** Virtual time up to which steps have been generated. */
  get time(): number {
    return this.processedUntil;
  }

  stats(): EngineStats {
    return { ...this.counters };
  }

  /**
   * Generates every step up to virtual time `time`, in time order across securities, emitting events.
   * A security with more than maxPendingSteps pending skips the older ones with one aggregated price
   * move, so a large clock jump stays cheap. Returns the number of steps generated.
   */
  advanceTo(time: number): number {
    // A listener that advances the engine from inside an event would interleave two passes.
    if (this.advancing || !(time > this.processedUntil)) return 0;
    this.advancing = true;
    let steps = 0;
    try {
      for (const s of this.states.values()) this.compressBacklog(s, time);
      const limit = (this.maxPendingSteps + 1) * this.states.size;
      while (steps < limit) {
        let next: SecurityState | undefined;
        for (const s of this.states.values()) if (s.cursor <= time && (!next || s.cursor < next.cursor)) next = s;
        if (!next) break;
        const at = next.cursor;
        this.step(next, at);
        next.cursor = this.nextStepAt(next, at + this.tickIntervalMs);
        steps++;
      }
      this.processedUntil = time;
    } finally {
      this.counters.steps += steps;
      this.advancing = false;
    }
    return steps;
  }

  /** Follows the clock in real time until stop(). */
  start(realIntervalMs = 200): void {
    if (this.stopDriver) return;
    this.advanceTo(this.clock.now());
    this.stopDriver = this.clock.onTick((now) => this.advanceTo(now), realIntervalMs);
  }

  stop(): void {
    this.stopDriver?.();
    this.stopDriver = undefined;
  }

  onTrade(listener: (trade: MarketTrade) => void): () => void {
    this.tradeListeners.add(listener);
    return () => void this.tradeListeners.delete(listener);
  }

  onUpdate(listener: (update: MarketUpdate) => void): () => void {
    this.updateListeners.add(listener);
    return () => void this.updateListeners.delete(listener);
  }

  // ----- MarketView ----------------------------------------------------------------------------

  security(key: string): UniverseSecurity | undefined {
    return this.states.get(key)?.sec;
  }

  securities(): UniverseSecurity[] {
    return [...this.states.values()].map((s) => s.sec);
  }

  top(key: string): TopOfBook | undefined {
    const s = this.states.get(key);
    if (!s) return undefined;
    const bid = s.bids[0];
    const ask = s.asks[0];
    return {
      last: s.last,
      bid: bid?.price ?? s.last,
      ask: ask?.price ?? s.last,
      bidVol: bid?.volume ?? 0,
      askVol: ask?.volume ?? 0,
      time: s.lastTime,
    };
  }

  isTradingNow(market: SecurityMarket): boolean {
    return this.sessionMode === 'always-open' || isInSession(market, this.clock.now());
  }

  /** Qot_Common.QotMarketState of a market at `at` (default: now). 'always-open' reports continuous trading. */
  marketState(market: SecurityMarket, at: number = this.clock.now()): number {
    return this.sessionMode === 'always-open' ? Qot_Common.QotMarketState.AFTERNOON : marketStateAt(market, at);
  }

  // ----- static data and plates ----------------------------------------------------------------

  staticInfo(key: string): Qot_Common.SecurityStaticInfo | undefined {
    const s = this.states.get(key);
    if (!s) return undefined;
    const { sec } = s;
    const listDay = parseDay(sec.listDate)!;
    return {
      basic: {
        security: { ...s.qot },
        id: BigInt(sec.id),
        lotSize: sec.lotSize,
        secType: sec.secType,
        name: sec.name,
        listTime: sec.listDate,
        delisting: false,
        listTimestamp: fromLocalMs(s.market, listDay * DAY_MS) / 1000,
        ...(sec.exchType !== undefined ? { exchType: sec.exchType } : {}),
      },
    };
  }

  /** Plates, optionally of one market (SH and SZ share the A-share plates) and one Qot_Common.PlateSetType (0 = all). */
  plates(filter: { market?: SecurityMarket; setType?: number } = {}): PlateFacts[] {
    const isCn = (m: SecurityMarket): boolean => m === 'SH' || m === 'SZ';
    return this.plateList.filter(
      (p) =>
        (filter.market === undefined || p.market === filter.market || (isCn(p.market) && isCn(filter.market))) &&
        (!filter.setType || p.setType === filter.setType),
    );
  }

  /** Static info of a plate's securities, sorted by code; undefined for an unknown plate. */
  plateSecurities(plateKey: string): Qot_Common.SecurityStaticInfo[] | undefined {
    if (!this.plateList.some((p) => p.key === plateKey)) return undefined;
    return [...this.states.values()]
      .filter((s) => s.sec.plates.includes(plateKey))
      .sort((a, b) => (a.sec.code < b.sec.code ? -1 : a.sec.code > b.sec.code ? 1 : 0))
      .map((s) => this.staticInfo(s.sec.key)!);
  }

  /** Plates a security belongs to (for Qot_GetOwnerPlate). */
  securityPlates(key: string): PlateFacts[] | undefined {
    const s = this.states.get(key);
    if (!s) return undefined;
    return this.plateList.filter((p) => s.sec.plates.includes(p.key));
  }

  // ----- real-time reads ------------------------------------------------------------------------

  basicQot(key: string): Qot_Common.BasicQot | undefined {
    const s = this.states.get(key);
    return s && this.buildBasicQot(s);
  }

  orderBook(key: string, depth = BOOK_DEPTH): OrderBookSides | undefined {
    const s = this.states.get(key);
    if (!s) return undefined;
    const n = Math.max(0, Math.min(BOOK_DEPTH, Math.floor(depth)));
    return { bids: s.bids.slice(0, n).map(toOrderBook), asks: s.asks.slice(0, n).map(toOrderBook) };
  }

  /** The latest ≤ maxCount (≤ 1000) tickers, oldest first. */
  tickers(key: string, maxCount = MAX_TICKERS): Qot_Common.Ticker[] | undefined {
    const s = this.states.get(key);
    if (!s) return undefined;
    const n = clampCount(maxCount, MAX_TICKERS);
    return n === 0 ? [] : s.tickers.slice(-n).map((t) => ({ ...t }));
  }

  /** Today's time-share points (one per traded minute), oldest first. */
  timeShare(key: string): Qot_Common.TimeShare[] | undefined {
    const s = this.states.get(key);
    if (!s) return undefined;
    return [...s.rt.values()].sort((a, b) => a.label - b.label).map((p) => this.toTimeShare(s, p));
  }

  /** The latest ≤ maxCount (≤ 1000) bars of a KLType, oldest first: live bars, preceded by history when needed. */
  klines(key: string, klType: number, maxCount = MAX_KLINES): Qot_Common.KLine[] | undefined {
    const s = this.states.get(key);
    const series = s?.series.get(klType);
    if (!s || !series) return undefined;
    const n = clampCount(maxCount, MAX_KLINES);
    if (n === 0) return [];
    const live = this.liveBars(s, klType);
    let bars: Bar[];
    if (live.length >= n) bars = live.slice(-n);
    else bars = [...this.historyTail(s, klType, n - live.length, live[0]?.key), ...live];
    return bars.map((b) => this.toKLine(s, b));
  }

  /**
   * Bars of a KLType whose time lies in [beginTime, endTime] (exchange-local "yyyy-MM-dd" or
   * "yyyy-MM-dd HH:mm:ss"; a bare end date includes that whole day), oldest first, at most maxCount.
   * History: 3 years of daily bars and 60 trading days of minute bars before the live start, then live bars.
   * Throws RangeError on a malformed time.
   */
  historyKLines(key: string, klType: number, beginTime: string, endTime: string, maxCount?: number): HistoryKLinesResult | undefined {
    const s = this.states.get(key);
    const series = s?.series.get(klType);
    if (!s || !series) return undefined;
    const from = parseLocalMs(beginTime);
    const to = parseLocalMs(endTime, true);
    if (to < from) return { klines: [] };
    const live = this.liveBars(s, klType);
    const firstLiveKey = live[0]?.key;
    const inRange = (b: Bar): boolean => b.label >= from && b.label <= to;
    let hist: Bar[];
    const minutes = INTRADAY_MINUTES.get(klType);
    if (minutes !== undefined) {
      const h = this.history(s);
      const fromDay = Math.floor(from / DAY_MS);
      const toDay = Math.floor(to / DAY_MS);
      hist = [];
      for (let i = h.minuteFrom; i < h.days.length; i++) {
        const day = h.days[i]!;
        if (day.day < fromDay || day.day > toDay) continue;
        for (const b of this.intradayHistoryBars(s, day, klType)) if (inRange(b)) hist.push(b);
      }
    } else {
      hist = this.calendarHistoryBars(s, klType).filter((b) => inRange(b) && (firstLiveKey === undefined || b.key < firstLiveKey));
    }
    const all = [...hist, ...live.filter(inRange)];
    const limit = maxCount === undefined ? all.length : Math.max(0, Math.floor(maxCount));
    const page = all.slice(0, limit).map((b) => this.toKLine(s, b));
    const rest = all[limit];
    return rest ? { klines: page, nextReqTime: formatLocalMs(rest.label) } : { klines: page };
  }

  /** Everything Qot_GetSecuritySnapshot returns for one security. */
  snapshotFields(key: string): Qot_GetSecuritySnapshot.Snapshot | undefined {
    const s = this.states.get(key);
    if (!s) return undefined;
    const { sec } = s;
    const today = this.dayStats(s);
    const q = this.buildBasicQot(s);
    const dailies = this.mergedDailyBars(s);
    const now = this.processedUntil + utcOffsetMs(s.market, this.processedUntil);
    const yearAgo = now - 365 * DAY_MS;
    let hi52 = 0;
    let lo52 = Infinity;
    let hiAll = 0;
    let loAll = Infinity;
    for (const b of dailies) {
      hiAll = Math.max(hiAll, b.high);
      loAll = Math.min(loAll, b.low);
      if (b.label >= yearAgo) {
        hi52 = Math.max(hi52, b.high);
        lo52 = Math.min(lo52, b.low);
      }
    }
    const bidVolTotal = s.bids.reduce((sum, l) => sum + l.volume, 0);
    const askVolTotal = s.asks.reduce((sum, l) => sum + l.volume, 0);
    const finished = dailies.filter((b) => b.key < today.day).slice(-5);
    const avgDaily = finished.length ? finished.reduce((sum, b) => sum + b.volume, 0) / finished.length : 0;
    const tradedMinutes = s.rt.size;
    const volumeRatio =
      avgDaily > 0 && tradedMinutes > 0 ? today.volume / tradedMinutes / (avgDaily / this.minutesPerTradingDay(s.market)) : 0;

    const basic: Qot_GetSecuritySnapshot.SnapshotBasicData = {
      security: { ...s.qot },
      name: sec.name,
      type: sec.secType,
      isSuspend: false,
      listTime: q.listTime,
      lotSize: sec.lotSize,
      priceSpread: q.priceSpread,
      updateTime: q.updateTime,
      highPrice: q.highPrice,
      openPrice: q.openPrice,
      lowPrice: q.lowPrice,
      lastClosePrice: q.lastClosePrice,
      curPrice: q.curPrice,
      volume: q.volume,
      turnover: q.turnover,
      turnoverRate: q.turnoverRate,
      listTimestamp: q.listTimestamp,
      updateTimestamp: q.updateTimestamp,
      amplitude: q.amplitude,
      avgPrice: today.volume > 0 ? round(today.turnover / today.volume, 4) : s.last,
      volumeRatio: round(volumeRatio, 3),
      highest52WeeksPrice: hi52 || s.last,
      lowest52WeeksPrice: Number.isFinite(lo52) ? lo52 : s.last,
      highestHistoryPrice: hiAll || s.last,
      lowestHistoryPrice: Number.isFinite(loAll) ? loAll : s.last,
      secStatus: Qot_Common.SecurityStatus.NORMAL,
    };
    if (!s.isIndex) {
      const bid = s.bids[0];
      const ask = s.asks[0];
      Object.assign(basic, {
        bidPrice: bid?.price ?? s.last,
        askPrice: ask?.price ?? s.last,
        bidVol: BigInt(bid?.volume ?? 0),
        askVol: BigInt(ask?.volume ?? 0),
        bidAskRatio: bidVolTotal + askVolTotal > 0 ? round(((bidVolTotal - askVolTotal) / (bidVolTotal + askVolTotal)) * 100, 3) : 0,
        enableMargin: false,
        enableShortSell: false,
      });
    }
    const snapshot: Qot_GetSecuritySnapshot.Snapshot = { basic };
    const price = s.last;
    if (sec.equity) {
      const e = sec.equity;
      const ratio = (a: number, b: number): number => (b !== 0 ? round(a / b, 3) : 0);
      snapshot.equityExData = {
        issuedShares: BigInt(Math.round(e.issuedShares)),
        issuedMarketVal: round(e.issuedShares * price, 2),
        netAsset: round(e.netAssetPerShare * e.issuedShares, 2),
        netProfit: round(e.earningsPerShare * e.issuedShares, 2),
        earningsPershare: e.earningsPerShare,
        outstandingShares: BigInt(Math.round(e.outstandingShares)),
        outstandingMarketVal: round(e.outstandingShares * price, 2),
        netAssetPershare: e.netAssetPerShare,
        eyRate: ratio(e.earningsPerShare * 100, price),
        peRate: ratio(price, e.earningsPerShare),
        pbRate: ratio(price, e.netAssetPerShare),
        peTTMRate: ratio(price, e.earningsPerShare),
        ...(e.dividendPerShare !== undefined
          ? {
              dividendTTM: e.dividendPerShare,
              dividendRatioTTM: ratio(e.dividendPerShare * 100, price),
              dividendLFY: e.dividendPerShare,
              dividendLFYRatio: ratio(e.dividendPerShare * 100, price),
            }
          : {}),
      };
    }
    if (sec.trust) {
      const t = sec.trust;
      snapshot.trustExData = {
        dividendYield: t.dividendYield,
        aum: round(t.outstandingUnits * t.netAssetValue, 2),
        outstandingUnits: BigInt(Math.round(t.outstandingUnits)),
        netAssetValue: t.netAssetValue,
        premium: t.netAssetValue > 0 ? round((price / t.netAssetValue - 1) * 100, 3) : 0,
        assetClass: Qot_Common.AssetClass[t.assetClass],
      };
    }
    if (s.isIndex) {
      // Breadth of the index's market within the simulated universe.
      const sameMarket = (m: SecurityMarket): boolean => m === s.market || ((m === 'SH' || m === 'SZ') && (s.market === 'SH' || s.market === 'SZ'));
      let raiseCount = 0;
      let fallCount = 0;
      let equalCount = 0;
      for (const o of this.states.values()) {
        if (o.isIndex || !sameMarket(o.market)) continue;
        const prevClose = this.dayStats(o).prevClose;
        if (o.last > prevClose) raiseCount++;
        else if (o.last < prevClose) fallCount++;
        else equalCount++;
      }
      snapshot.indexExData = { raiseCount, fallCount, equalCount };
    }
    return snapshot;
  }

  // ----- state and stepping --------------------------------------------------------------------

  private createState(sec: UniverseSecurity): SecurityState {
    const market = sec.market;
    const rng = new Rng(hash32(`${this.seed}|${sec.key}`));
    const dayMs = this.sessionMode === 'exchange' ? sessionMinutes(market) * MINUTE_MS : DAY_MS;
    const stepsPerDay = Math.max(1, dayMs / this.tickIntervalMs);
    const sigmaStep = sec.annualVolatility / Math.sqrt(TRADING_DAYS_PER_YEAR * stepsPerDay);
    const startDay = localDay(market, this.startTime);
    const sessionsToday = sessionsOfDay(market, startDay);
    const closedForToday = sessionsToday.length > 0 && this.startTime >= sessionsToday[sessionsToday.length - 1]![1];
    // In exchange mode a start after today's close makes today a finished (history) day.
    const liveFromDay = this.sessionMode === 'exchange' && closedForToday ? startDay + 1 : startDay;
    const listDay = parseDay(sec.listDate)!;
    let lastHistoryDay: number | undefined;
    for (let d = liveFromDay - 1; d >= Math.max(listDay, liveFromDay - 7); d--) {
      if (isWeekday(d)) {
        lastHistoryDay = d;
        break;
      }
    }
    const lastSession = MARKET_CALENDARS[market].sessions.at(-1)!;
    const s: SecurityState = {
      sec,
      market,
      rule: sec.tickRule,
      qot: { market: QOT_MARKET_BY_PREFIX[market], code: sec.code },
      isIndex: !sec.tradable,
      rng,
      gridOffset: hash32(`${this.seed}|${sec.key}|phase`) % this.tickIntervalMs,
      cursor: Infinity,
      sigmaStep,
      meanLots: Math.max(1, sec.avgDailyVolume / sec.lotSize / stepsPerDay),
      fair: sec.basePrice,
      last: sec.basePrice,
      lastTime:
        lastHistoryDay !== undefined ? fromLocalMs(market, lastHistoryDay * DAY_MS + lastSession[1] * MINUTE_MS) : this.startTime,
      bids: [],
      asks: [],
      today: newDay(localDay(market, this.startTime), sec.basePrice),
      sequence: BigInt(Math.floor(this.startTime / 1000)) * 1_000_000n + BigInt(sec.id % 1000) * 1000n,
      tickers: [],
      rt: new Map(),
      series: new Map(KL_TYPES.map((t) => [t, { done: [] }])),
      touched: [],
      basisClose: sec.basePrice,
      liveFromDay,
      lastHistoryDay,
    };
    this.rebuildBook(s, s.fair);
    s.cursor = this.nextStepAt(s, this.startTime + 1);
    return s;
  }

  private alignToGrid(s: SecurityState, t: number): number {
    const origin = this.startTime + s.gridOffset;
    return origin + Math.ceil((t - origin) / this.tickIntervalMs) * this.tickIntervalMs;
  }

  /** The first grid instant ≥ `from` at which the security trades. */
  private nextStepAt(s: SecurityState, from: number): number {
    let t = this.alignToGrid(s, from);
    if (this.sessionMode === 'always-open') return t;
    for (let i = 0; i < 32; i++) {
      const open = nextSessionInstant(s.market, t);
      if (open === t) return t;
      t = this.alignToGrid(s, open);
    }
    return Infinity; // the step interval is longer than the sessions: this security never trades
  }

  /** Replaces all but the last maxPendingSteps pending steps with one aggregated price move. */
  private compressBacklog(s: SecurityState, target: number): void {
    if (s.cursor > target) return;
    const interval = this.tickIntervalMs;
    const keep = this.maxPendingSteps;
    let resumeAt: number | undefined;
    if (this.sessionMode === 'always-open') {
      const pending = Math.floor((target - s.cursor) / interval) + 1;
      if (pending > keep) resumeAt = s.cursor + (pending - keep) * interval;
    } else {
      // Walk the sessions back from the target, counting grid points, until `keep` are found.
      let counted = 0;
      const firstDay = localDay(s.market, s.cursor);
      const lastDay = localDay(s.market, target);
      const oldestDay = Math.max(firstDay, lastDay - 3660);
      outer: for (let day = lastDay; day >= oldestDay; day--) {
        const sessions = sessionsOfDay(s.market, day);
        for (let i = sessions.length - 1; i >= 0; i--) {
          const [a, b] = sessions[i]!;
          const lo = this.alignToGrid(s, Math.max(a, s.cursor));
          const hiExclusive = Math.min(b, target + 1);
          if (lo >= hiExclusive) continue;
          const count = Math.floor((hiExclusive - 1 - lo) / interval) + 1;
          if (counted + count > keep) {
            resumeAt = lo + (count - (keep - counted)) * interval;
            break outer;
          }
          counted += count;
        }
      }
      if (resumeAt === undefined && oldestDay > firstDay) resumeAt = fromLocalMs(s.market, oldestDay * DAY_MS);
    }
    if (resumeAt === undefined || resumeAt <= s.cursor) return;
    const tradingShare = this.sessionMode === 'exchange' ? (sessionMinutes(s.market) * 5) / (24 * 60 * 7) : 1;
    const skipped = ((resumeAt - s.cursor) * tradingShare) / interval;
    const sigma = s.sigmaStep * Math.sqrt(skipped);
    s.fair = this.clampFair(s, s.fair * Math.exp(sigma * s.rng.normal() - 0.5 * sigma * sigma));
    this.counters.skippedSteps += Math.round(skipped);
    s.cursor = this.nextStepAt(s, resumeAt);
  }

  private clampFair(s: SecurityState, price: number): number {
    return Math.min(Math.max(price, s.sec.basePrice / 50), s.sec.basePrice * 50);
  }

  private step(s: SecurityState, t: number): void {
    const localMs = t + utcOffsetMs(s.market, t);
    const day = Math.floor(localMs / DAY_MS);
    if (day !== s.today.day) {
      s.today = newDay(day, s.last);
      s.rt.clear();
    }
    const sigma = s.sigmaStep;
    s.fair = this.clampFair(s, s.fair * Math.exp(sigma * s.rng.normal() - 0.5 * sigma * sigma));

    let price: number;
    let dir: number;
    if (s.isIndex) {
      price = snapNearest(s.rule, s.fair);
      dir = Qot_Common.TickerDirection.NEUTRAL;
    } else {
      const { bid, ask } = touchAround(s.rule, s.fair);
      // A buyer lifts the ask more often the closer the fair value is to it, so trades track the fair value.
      const buyerInitiated = s.rng.next() < (s.fair - bid) / (ask - bid);
      price = buyerInitiated ? ask : bid;
      dir = buyerInitiated ? Qot_Common.TickerDirection.BID : Qot_Common.TickerDirection.ASK;
    }
    const volume = s.rng.lots(s.meanLots) * s.sec.lotSize;
    const turnover = round(price * volume, 3);
    this.rebuildBook(s, s.fair);

    s.last = price;
    s.lastTime = t;
    const d = s.today;
    if (d.trades === 0) {
      d.open = price;
      d.high = price;
      d.low = price;
    } else {
      d.high = Math.max(d.high, price);
      d.low = Math.min(d.low, price);
    }
    d.volume += volume;
    d.turnover += turnover;
    d.trades++;

    s.sequence += 1n;
    const ticker: Qot_Common.Ticker = {
      time: formatLocalMs(localMs),
      sequence: s.sequence,
      dir,
      price,
      volume: BigInt(volume),
      turnover,
      type: Qot_Common.TickerType.AUTOMATCH,
      pushDataType: Qot_Common.PushDataType.REALTIME,
      timestamp: t / 1000,
    };
    s.tickers.push(ticker);
    trimFront(s.tickers, MAX_TICKERS);

    const touched = s.touched;
    for (let i = 0; i < KL_TYPES.length; i++) {
      const type = KL_TYPES[i]!;
      const series = s.series.get(type)!;
      const { key, label } = this.periodOf(s.market, type, localMs);
      let bar = series.current;
      if (!bar || bar.key !== key) {
        if (bar) {
          series.done.push(bar);
          trimFront(series.done, MAX_KLINES);
        }
        bar = this.openLiveBar(s, type, key, label, price, bar);
        series.current = bar;
      }
      bar.high = Math.max(bar.high, price);
      bar.low = Math.min(bar.low, price);
      bar.close = price;
      bar.volume += volume;
      bar.turnover = round(bar.turnover + turnover, 3);
      touched[i] = bar;
    }

    const minuteLabel = touched[0]!.label; // KL_TYPES starts with 1MIN
    let point = s.rt.get(minuteLabel);
    if (!point) {
      point = { label: minuteLabel, price, avgPrice: price, volume: 0, turnover: 0 };
      s.rt.set(minuteLabel, point);
    }
    point.price = price;
    point.volume += volume;
    point.turnover = round(point.turnover + turnover, 3);
    point.avgPrice = round(d.turnover / d.volume, 4);

    if (!s.isIndex && this.tradeListeners.size > 0) {
      const trade: MarketTrade = { key: s.sec.key, price, volume, time: t, top: this.top(s.sec.key)! };
      for (const listener of this.tradeListeners) this.safely(() => listener(trade));
    }
    if (this.updateListeners.size > 0) {
      const update: MarketUpdate = {
        key: s.sec.key,
        security: { ...s.qot },
        trade: { ...ticker },
        basic: this.buildBasicQot(s),
        book: { bids: s.bids.map(toOrderBook), asks: s.asks.map(toOrderBook) },
        klines: new Map(KL_TYPES.map((type, i) => [type, this.toKLine(s, this.settleCarry(s, type, touched[i]!))])),
        rt: this.toTimeShare(s, point),
      };
      for (const listener of this.updateListeners) this.safely(() => listener(update));
    }
  }

  private safely(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.onListenerError(err);
    }
  }

  /** A new live bar. A week/month/quarter/year bar whose period began in the history is marked to carry those days. */
  private openLiveBar(s: SecurityState, type: number, key: number, label: number, price: number, previous: Bar | undefined): Bar {
    const bar: Bar = { key, label, open: price, high: price, low: price, close: price, lastClose: previous?.close ?? s.basisClose, volume: 0, turnover: 0 };
    if (previous === undefined && s.lastHistoryDay !== undefined && !INTRADAY_MINUTES.has(type) && type !== KL.DAY) {
      bar.carryPending = this.periodOf(s.market, type, s.lastHistoryDay * DAY_MS).key === key;
    }
    return bar;
  }

  /** Merges the history days of the bar's period into it (deferred so history is generated only when read). */
  private settleCarry(s: SecurityState, type: number, bar: Bar): Bar {
    if (!bar.carryPending) return bar;
    bar.carryPending = false;
    const carried = this.calendarHistoryBars(s, type).at(-1);
    if (carried && carried.key === bar.key) {
      bar.label = carried.label;
      bar.open = carried.open;
      bar.lastClose = carried.lastClose;
      bar.high = Math.max(bar.high, carried.high);
      bar.low = Math.min(bar.low, carried.low);
      bar.volume += carried.volume;
      bar.turnover = round(bar.turnover + carried.turnover, 3);
    }
    return bar;
  }

  /** Live bars of a type, oldest first. */
  private liveBars(s: SecurityState, type: number): Bar[] {
    const series = s.series.get(type)!;
    const bars = series.current ? [...series.done, series.current] : [...series.done];
    // Only the first live bar of a type can carry history days.
    if (bars[0]) this.settleCarry(s, type, bars[0]);
    return bars;
  }

  /** Regenerates the 10 levels a side around the fair value: valid tick prices, whole lots, order counts. */
  private rebuildBook(s: SecurityState, fair: number): void {
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

  // ----- periods and bars -----------------------------------------------------------------------

  /**
   * The period a local instant falls in. Intraday bars are aligned to session starts and end at
   * session ends (OpenD labels a bar with its end time: 09:30–09:31 is "09:31:00"). Out of session
   * (always-open mode) the gaps between sessions are bucketed the same way.
   */
  private periodOf(market: SecurityMarket, type: number, localMs: number): { key: number; label: number } {
    const day = Math.floor(localMs / DAY_MS);
    const minutes = INTRADAY_MINUTES.get(type);
    if (minutes !== undefined) {
      const msOfDay = localMs - day * DAY_MS;
      const segments = this.daySegments(market);
      let segment = segments[0]!;
      for (const seg of segments) if (msOfDay >= seg[0]) segment = seg;
      const [a, b] = segment;
      const period = minutes * MINUTE_MS;
      const end = Math.min(a + (Math.floor((msOfDay - a) / period) + 1) * period, b);
      // A bar ending at midnight keeps the day it belongs to.
      const label = day * DAY_MS + Math.min(end, DAY_MS - 1000);
      return { key: label, label };
    }
    const label = day * DAY_MS;
    switch (type) {
      case KL.DAY:
        return { key: day, label };
      case KL.WEEK:
        return { key: day - ((weekdayOf(day) + 6) % 7), label };
      default: {
        const { year, month } = civilDate(day);
        if (type === KL.MONTH) return { key: year * 12 + month, label };
        if (type === KL.QUARTER) return { key: year * 4 + Math.floor(month / 3), label };
        return { key: year, label };
      }
    }
  }

  /** Sessions and the gaps between them, covering the whole local day, in ms after midnight. */
  private daySegments(market: SecurityMarket): [number, number][] {
    let segments = this.segmentsByMarket.get(market);
    if (!segments) {
      segments = [];
      let cursor = 0;
      for (const [a, b] of MARKET_CALENDARS[market].sessions) {
        if (a * MINUTE_MS > cursor) segments.push([cursor, a * MINUTE_MS]);
        segments.push([a * MINUTE_MS, b * MINUTE_MS]);
        cursor = b * MINUTE_MS;
      }
      if (cursor < DAY_MS) segments.push([cursor, DAY_MS]);
      this.segmentsByMarket.set(market, segments);
    }
    return segments;
  }

  private aggregate(market: SecurityMarket, type: number, bars: readonly Bar[], startOf: (b: Bar) => number): Bar[] {
    const out: Bar[] = [];
    let current: Bar | undefined;
    for (const b of bars) {
      const { key, label } = this.periodOf(market, type, startOf(b));
      if (!current || current.key !== key) {
        current = { ...b, key, label };
        out.push(current);
        continue;
      }
      current.high = Math.max(current.high, b.high);
      current.low = Math.min(current.low, b.low);
      current.close = b.close;
      current.volume += b.volume;
      current.turnover = round(current.turnover + b.turnover, 3);
    }
    return out;
  }

  private minutesPerTradingDay(market: SecurityMarket): number {
    return this.sessionMode === 'exchange' ? sessionMinutes(market) : 24 * 60;
  }

  // ----- history -------------------------------------------------------------------------------

  /**
   * The generated past, built on first use. Daily closes are a random walk run backwards from the live
   * start price, so the last history close is exactly where the live process begins.
   */
  private history(s: SecurityState): HistoryData {
    if (s.history) return s.history;
    const { sec, market, rule } = s;
    const listDay = parseDay(sec.listDate)!;
    const firstDay = Math.max(listDay, s.liveFromDay - HISTORY_CALENDAR_DAYS);
    const dayNumbers: number[] = [];
    for (let d = firstDay; d < s.liveFromDay; d++) if (isWeekday(d)) dayNumbers.push(d);
    const n = dayNumbers.length;
    const sigmaDay = sec.annualVolatility / Math.sqrt(TRADING_DAYS_PER_YEAR);
    const minutesPerDay = sessionMinutes(market);
    const draws = dayNumbers.map((day) => {
      const rng = new Rng(hash32(`${this.seed}|${sec.key}|day|${day}`));
      return { ret: rng.normal(), gap: rng.normal(), vol: rng.normal(), high: rng.normal(), low: rng.normal() };
    });
    const closes = new Array<number>(n);
    if (n > 0) closes[n - 1] = s.basisClose;
    for (let i = n - 1; i > 0; i--) closes[i - 1] = snapNearest(rule, this.clampFair(s, closes[i]! * Math.exp(-sigmaDay * draws[i]!.ret)));
    const firstLastClose = n > 0 ? snapNearest(rule, this.clampFair(s, closes[0]! * Math.exp(-sigmaDay * draws[0]!.ret))) : 0;

    const minuteFrom = Math.max(0, n - MINUTE_HISTORY_DAYS);
    const days: HistoryDay[] = [];
    for (let i = 0; i < n; i++) {
      const draw = draws[i]!;
      const lastClose = i === 0 ? firstLastClose : closes[i - 1]!;
      const close = closes[i]!;
      const open = snapNearest(rule, this.clampFair(s, lastClose * Math.exp(0.2 * sigmaDay * draw.gap)));
      const volumeLots = Math.max(minutesPerDay, Math.round((sec.avgDailyVolume / sec.lotSize) * Math.exp(0.35 * draw.vol - 0.06)));
      const rec: HistoryDay = { day: dayNumbers[i]!, open, close, lastClose, volumeLots, high: 0, low: 0, turnover: 0 };
      if (i >= minuteFrom) {
        let high = 0;
        let low = Infinity;
        let turnover = 0;
        for (const b of this.generateMinuteBars(s, rec)) {
          high = Math.max(high, b.high);
          low = Math.min(low, b.low);
          turnover += b.turnover;
        }
        rec.high = high;
        rec.low = low;
        rec.turnover = round(turnover, 3);
      } else {
        rec.high = snapToTick(rule, Math.max(open, close) * Math.exp(Math.abs(draw.high) * sigmaDay * 0.5), 'up');
        const low = snapToTick(rule, Math.min(open, close) * Math.exp(-Math.abs(draw.low) * sigmaDay * 0.5), 'down');
        rec.low = low > 0 ? low : Math.min(open, close);
        rec.turnover = round(volumeLots * sec.lotSize * ((open + rec.high + rec.low + close) / 4), 3);
      }
      days.push(rec);
    }
    s.history = { days, minuteFrom, calendarBars: new Map() };
    return s.history;
  }

  /** 1-minute bars of a history day: a Brownian bridge from the day's open to its close. */
  private generateMinuteBars(s: SecurityState, rec: HistoryDay): Bar[] {
    const cacheKey = `${s.sec.key}|${rec.day}`;
    const cached = this.minuteCache.get(cacheKey);
    if (cached) return cached;
    const { sec, rule, market } = s;
    const starts: number[] = [];
    for (const [a, b] of MARKET_CALENDARS[market].sessions) for (let m = a; m < b; m++) starts.push(m);
    const m = starts.length;
    const rng = new Rng(hash32(`${this.seed}|${sec.key}|minutes|${rec.day}`));
    const sigmaMinute = sec.annualVolatility / Math.sqrt(TRADING_DAYS_PER_YEAR * m);
    const walk = new Float64Array(m + 1);
    for (let j = 1; j <= m; j++) walk[j] = walk[j - 1]! + sigmaMinute * rng.normal();
    const drift = walk[m]! - Math.log(rec.close / rec.open);
    const weights = starts.map((_, j) => (1 + 1.2 * ((2 * j) / Math.max(1, m - 1) - 1) ** 2) * Math.exp(0.4 * rng.normal()));
    const weightSum = weights.reduce((a, b) => a + b, 0);
    const spare = rec.volumeLots - m;
    const lots = weights.map((w) => 1 + Math.floor((spare * w) / weightSum));
    let leftover = rec.volumeLots - lots.reduce((a, b) => a + b, 0);
    for (let j = 0; leftover > 0 && j < m; j++, leftover--) lots[j]! += 1;

    const bars: Bar[] = [];
    let prev = rec.open;
    let prevClose = rec.lastClose;
    for (let j = 1; j <= m; j++) {
      const close = j === m ? rec.close : snapNearest(rule, this.clampFair(s, rec.open * Math.exp(walk[j]! - (j / m) * drift)));
      const open = prev;
      const high = snapToTick(rule, Math.max(open, close) * (1 + rng.next() * sigmaMinute), 'up');
      const lowRaw = snapToTick(rule, Math.min(open, close) * (1 - rng.next() * sigmaMinute), 'down');
      const low = lowRaw > 0 ? lowRaw : Math.min(open, close);
      const volume = lots[j - 1]! * sec.lotSize;
      const label = rec.day * DAY_MS + (starts[j - 1]! + 1) * MINUTE_MS;
      bars.push({ key: label, label, open, high, low, close, lastClose: prevClose, volume, turnover: round(volume * ((open + high + low + close) / 4), 3) });
      prev = close;
      prevClose = close;
    }
    if (this.minuteCache.size >= MINUTE_CACHE_LIMIT) this.minuteCache.delete(this.minuteCache.keys().next().value!);
    this.minuteCache.set(cacheKey, bars);
    return bars;
  }

  private intradayHistoryBars(s: SecurityState, rec: HistoryDay, type: number): Bar[] {
    const minutes = this.generateMinuteBars(s, rec);
    if (type === KL['1MIN']) return minutes;
    return this.aggregate(s.market, type, minutes, (b) => b.label - MINUTE_MS);
  }

  /** History bars of DAY, WEEK, MONTH, QUARTER or YEAR. */
  private calendarHistoryBars(s: SecurityState, type: number): Bar[] {
    const h = this.history(s);
    let bars = h.calendarBars.get(type);
    if (!bars) {
      const daily: Bar[] = h.days.map((d) => ({
        key: d.day,
        label: d.day * DAY_MS,
        open: d.open,
        high: d.high,
        low: d.low,
        close: d.close,
        lastClose: d.lastClose,
        volume: d.volumeLots * s.sec.lotSize,
        turnover: d.turnover,
      }));
      bars = type === KL.DAY ? daily : this.aggregate(s.market, type, daily, (b) => b.label);
      h.calendarBars.set(type, bars);
    }
    return bars;
  }

  /** The last `count` history bars of a type that come before the live bar `beforeKey`. */
  private historyTail(s: SecurityState, type: number, count: number, beforeKey: number | undefined): Bar[] {
    if (!INTRADAY_MINUTES.has(type)) {
      const bars = this.calendarHistoryBars(s, type);
      const usable = beforeKey === undefined ? bars : bars.filter((b) => b.key < beforeKey);
      return usable.slice(-count);
    }
    const h = this.history(s);
    const chunks: Bar[][] = [];
    let collected = 0;
    for (let i = h.days.length - 1; i >= h.minuteFrom && collected < count; i--) {
      const bars = this.intradayHistoryBars(s, h.days[i]!, type);
      chunks.unshift(bars);
      collected += bars.length;
    }
    return chunks.flat().slice(-count);
  }

  /** History daily bars followed by the live ones. */
  private mergedDailyBars(s: SecurityState): Bar[] {
    const live = this.liveBars(s, KL.DAY);
    const firstLive = live[0]?.key;
    const hist = this.calendarHistoryBars(s, KL.DAY).filter((b) => firstLive === undefined || b.key < firstLive);
    return [...hist, ...live];
  }

  // ----- message builders ----------------------------------------------------------------------

  /** Today's statistics; before the first live trade, those of the last history day (what OpenD shows before the open). */
  private dayStats(s: SecurityState): DayStats {
    if (s.today.trades > 0 || s.lastHistoryDay === undefined) return s.today;
    const last = this.history(s).days.at(-1);
    if (last) {
      s.today = {
        day: last.day,
        prevClose: last.lastClose,
        open: last.open,
        high: last.high,
        low: last.low,
        volume: last.volumeLots * s.sec.lotSize,
        turnover: last.turnover,
        trades: 1,
      };
    }
    return s.today;
  }

  private buildBasicQot(s: SecurityState): Qot_Common.BasicQot {
    const { sec } = s;
    const today = this.dayStats(s);
    const traded = today.trades > 0;
    const listDay = parseDay(sec.listDate)!;
    const high = traded ? today.high : s.last;
    const low = traded ? today.low : s.last;
    return {
      security: { ...s.qot },
      name: sec.name,
      isSuspended: false,
      listTime: sec.listDate,
      priceSpread: tickSize(s.rule, s.last),
      updateTime: formatLocalMs(s.lastTime + utcOffsetMs(s.market, s.lastTime)),
      highPrice: high,
      openPrice: traded ? today.open : s.last,
      lowPrice: low,
      curPrice: s.last,
      lastClosePrice: today.prevClose,
      volume: BigInt(today.volume),
      turnover: round(today.turnover, 3),
      turnoverRate: this.turnoverRate(s, today.volume),
      amplitude: today.prevClose > 0 ? round(((high - low) / today.prevClose) * 100, 3) : 0,
      listTimestamp: fromLocalMs(s.market, listDay * DAY_MS) / 1000,
      updateTimestamp: s.lastTime / 1000,
      secStatus: Qot_Common.SecurityStatus.NORMAL,
    };
  }

  private turnoverRate(s: SecurityState, volume: number): number {
    const float = s.sec.equity?.outstandingShares ?? s.sec.trust?.outstandingUnits;
    return float ? round((volume / float) * 100, 4) : 0;
  }

  private toKLine(s: SecurityState, b: Bar): Qot_Common.KLine {
    const eps = s.sec.equity?.earningsPerShare;
    return {
      time: formatLocalMs(b.label),
      isBlank: false,
      highPrice: b.high,
      openPrice: b.open,
      lowPrice: b.low,
      closePrice: b.close,
      lastClosePrice: b.lastClose,
      volume: BigInt(b.volume),
      turnover: b.turnover,
      turnoverRate: this.turnoverRate(s, b.volume),
      pe: eps ? round(b.close / eps, 3) : 0,
      changeRate: b.lastClose > 0 ? round(((b.close - b.lastClose) / b.lastClose) * 100, 4) : 0,
      timestamp: fromLocalMs(s.market, b.label) / 1000,
    };
  }

  private toTimeShare(s: SecurityState, p: RtPoint): Qot_Common.TimeShare {
    return {
      time: formatLocalMs(p.label),
      minute: Math.floor((p.label - Math.floor(p.label / DAY_MS) * DAY_MS) / MINUTE_MS),
      isBlank: false,
      price: p.price,
      lastClosePrice: s.today.prevClose,
      avgPrice: p.avgPrice,
      volume: BigInt(p.volume),
      turnover: p.turnover,
      timestamp: fromLocalMs(s.market, p.label) / 1000,
    };
  }
}

// ---------------------------------------------------------------------------------------------------
// Helpers

const civilDates = new Map<number, { year: number; month: number }>();

/** Year and month (0-11) of a day number. */
function civilDate(day: number): { year: number; month: number } {
  let civil = civilDates.get(day);
  if (!civil) {
    const date = new Date(day * DAY_MS);
    civil = { year: date.getUTCFullYear(), month: date.getUTCMonth() };
    if (civilDates.size >= 10_000) civilDates.clear();
    civilDates.set(day, civil);
  }
  return civil;
}

function newDay(day: number, prevClose: number): DayStats {
  return { day, prevClose, open: 0, high: 0, low: 0, volume: 0, turnover: 0, trades: 0 };
}

function toOrderBook(l: Level): Qot_Common.OrderBook {
  return { price: l.price, volume: BigInt(l.volume), orederCount: l.orders };
}

/** Best bid at or below the fair value and the ask one tick above it. */
function touchAround(rule: TickRule, fair: number): { bid: number; ask: number } {
  let bid = snapToTick(rule, fair, 'down');
  if (bid <= 0) bid = snapToTick(rule, fair, 'up');
  return { bid, ask: stepTicks(rule, bid, 1) };
}

function snapNearest(rule: TickRule, price: number): number {
  const down = snapToTick(rule, price, 'down');
  const up = snapToTick(rule, price, 'up');
  return down > 0 && price - down <= up - price ? down : up;
}

const POWERS_OF_TEN = [1, 10, 100, 1000, 10_000, 100_000];

function round(value: number, decimals: 0 | 1 | 2 | 3 | 4 | 5): number {
  const f = POWERS_OF_TEN[decimals]!;
  return Math.round(value * f) / f;
}

function clampCount(requested: number, max: number): number {
  return Number.isFinite(requested) ? Math.max(0, Math.min(max, Math.floor(requested))) : max;
}

/** Keeps arrays bounded without shifting on every push. */
function trimFront<T>(items: T[], max: number): void {
  if (items.length > max + max / 5) items.splice(0, items.length - max);
}
