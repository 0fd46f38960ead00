// The simulator's market-data engine: a seeded, deterministic price process per security that produces
// trades, 10-level order books, K-lines of every type, time-share points and day statistics, plus a
// generated history (3 years of daily bars, 60 days of minute bars) that ends where the live process
// starts. Pure and in-process: the server turns its reads and events into OpenD messages.
//
// This file is the core: driving the clock, the order of steps across securities, events, and the reads.
// Its parts: proto/seeded-random.ts (seeded randomness), model.ts (state, constants, helpers), trades.ts (one trade),
// periods.ts (K-line periods and aggregation), history.ts (the generated past), wire.ts and snapshot.ts
// (OpenD messages).
import * as Qot_Common from '../../../proto/generated/Qot_Common.js';
import type * as Qot_GetSecuritySnapshot from '../../../proto/generated/Qot_GetSecuritySnapshot.js';
import { QOT_MARKET_BY_PREFIX } from '../../../proto/securities.js';
import { SimClock } from '../clock.js';
import type { MarketTrade, MarketView, SecurityMarket, TopOfBook, TradingSessionName } from '../market-view.js';
import { applyExtendedTrade, extendedMarketState, extendedQuoteFields, nextActiveInstant, tradingWindowsOfDay, windowAt, type ExtendedSessionName, type TradingWindow } from './extended-hours.js';
import { MarketHistory } from './history.js';
import {
  BOOK_DEPTH,
  clampCount,
  clampFair,
  INTRADAY_MINUTES,
  KL_TYPES,
  MAX_KLINES,
  MAX_TICKERS,
  newDay,
  rebuildBook,
  TRADING_DAYS_PER_YEAR,
  type Bar,
  type SecurityState,
} from './model.js';
import { hash32, Rng } from '../../../proto/seeded-random.js';
import { buildSnapshot } from './snapshot.js';
import { Suspensions, suspendedQuote, US_DATE_LEAD_MS } from './suspensions.js';
import { applyTrade } from './trades.js';
import {
  DAY_MS,
  MARKET_CALENDARS,
  MINUTE_MS,
  formatLocalMs,
  fromLocalMs,
  isInSession,
  isTradingDay,
  localDay,
  marketStateAt,
  parseDay,
  parseLocalMs,
  sessionMinutes,
  sessionsOfDay,
} from './calendars.js';
import { loadUniverse, type UniverseSecurity } from './universe.js';
import type { EngineStats, HistoryKLinesResult, MarketEngineOptions, MarketUpdate, OrderBookSides, PlateFacts, SessionMode } from './types.js';
import { buildBasicQot, toKLine, toOrderBook, toTimeShare } from './wire.js';

export { BOOK_DEPTH, KL_TYPES, MAX_KLINES, MAX_TICKERS, MINUTE_HISTORY_DAYS } from './model.js';

export type { EngineStats, HistoryKLinesResult, MarketEngineOptions, MarketUpdate, OrderBookSides, PlateFacts, SessionMode } from './types.js';

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
  private readonly history: MarketHistory;
  /** Suspended days (reference data): no trades, no bars, a frozen quote and an empty book on them. */
  private readonly suspensions: Suspensions;
  private processedUntil: number;
  private counters: EngineStats = { steps: 0, skippedSteps: 0 };
  private stopDriver: (() => void) | undefined;
  private advancing = false;

  constructor(options: MarketEngineOptions & { suspensions?: Suspensions } = {}) {
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
    this.suspensions = options.suspensions ?? new Suspensions();
    this.history = new MarketHistory(this.seed, (key, day) => this.suspensions.isSuspendedOn(key, day));
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
    // A suspended security has no book: nothing to meet at the last price, so an arriving order rests.
    if (this.suspendedNow(s)) return { last: s.last, bid: s.last, ask: s.last, bidVol: 0, askVol: 0, time: s.lastTime };
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

  /** Whether the security is suspended now (reference data; a suspension covers a whole exchange-local day). */
  isSuspended(key: string): boolean {
    const s = this.states.get(key);
    return s !== undefined && this.suspendedNow(s);
  }

  isTradingNow(market: SecurityMarket): boolean {
    return this.sessionMode === 'always-open' || isInSession(market, this.clock.now());
  }

  /** Qot_Common.QotMarketState of a market at `at` (default: now). 'always-open' reports continuous trading. */
  marketState(market: SecurityMarket, at: number = this.clock.now()): number {
    if (this.sessionMode === 'always-open') return Qot_Common.QotMarketState.AFTERNOON;
    return extendedMarketState(market, at) ?? marketStateAt(market, at);
  }

  /** The session a market is in at `at` (default: now): US extended ones included; always RTH in 'always-open' mode. */
  tradingSession(market: SecurityMarket, at: number = this.clock.now()): TradingSessionName | undefined {
    return this.sessionMode === 'always-open' ? 'RTH' : windowAt(market, at)?.session;
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
    if (!s) return undefined;
    const q = { ...buildBasicQot(s, this.history), ...extendedQuoteFields(s) };
    return this.suspendedNow(s) ? suspendedQuote(q, s.last) : q;
  }

  orderBook(key: string, depth = BOOK_DEPTH): OrderBookSides | undefined {
    const s = this.states.get(key);
    if (!s) return undefined;
    if (this.suspendedNow(s)) return { bids: [], asks: [] };
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
    if (this.suspendedNow(s)) return []; // nothing trades on a suspended day
    return [...s.rt.values()].sort((a, b) => a.label - b.label).map((p) => toTimeShare(s, p));
  }

  /** The latest ≤ maxCount (≤ 1000) bars of a KLType, oldest first: live bars, preceded by history when needed. */
  klines(key: string, klType: number, maxCount = MAX_KLINES): Qot_Common.KLine[] | undefined {
    const s = this.states.get(key);
    const series = s?.series.get(klType);
    if (!s || !series) return undefined;
    const n = clampCount(maxCount, MAX_KLINES);
    if (n === 0) return [];
    const live = this.history.liveBars(s, klType);
    let bars: Bar[];
    if (live.length >= n) bars = live.slice(-n);
    else bars = [...this.history.historyTail(s, klType, n - live.length, live[0]?.key), ...live];
    return bars.map((b) => toKLine(s, b));
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
    const live = this.history.liveBars(s, klType);
    const firstLiveKey = live[0]?.key;
    const inRange = (b: Bar): boolean => b.label >= from && b.label <= to;
    let hist: Bar[];
    const minutes = INTRADAY_MINUTES.get(klType);
    if (minutes !== undefined) {
      const h = this.history.history(s);
      const fromDay = Math.floor(from / DAY_MS);
      const toDay = Math.floor(to / DAY_MS);
      hist = [];
      for (let i = h.minuteFrom; i < h.days.length; i++) {
        const day = h.days[i]!;
        if (day.day < fromDay || day.day > toDay) continue;
        for (const b of this.history.intradayHistoryBars(s, day, klType)) if (inRange(b)) hist.push(b);
      }
    } else {
      hist = this.history.calendarHistoryBars(s, klType).filter((b) => inRange(b) && (firstLiveKey === undefined || b.key < firstLiveKey));
    }
    const all = [...hist, ...live.filter(inRange)];
    const limit = maxCount === undefined ? all.length : Math.max(0, Math.floor(maxCount));
    const page = all.slice(0, limit).map((b) => toKLine(s, b));
    const rest = all[limit];
    return rest ? { klines: page, nextReqTime: formatLocalMs(rest.label) } : { klines: page };
  }


  /** Everything Qot_GetSecuritySnapshot returns for one security. */
  snapshotFields(key: string): Qot_GetSecuritySnapshot.Snapshot | undefined {
    const s = this.states.get(key);
    if (!s) return undefined;
    const snapshot = buildSnapshot(s, {
      history: this.history,
      processedUntil: this.processedUntil,
      minutesPerTradingDay: this.minutesPerTradingDay(s.market),
      peers: this.states.values(),
      suspended: this.suspendedNow(s),
    });
    Object.assign(snapshot.basic, extendedQuoteFields(s));
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
    for (let d = liveFromDay - 1; d >= Math.max(listDay, liveFromDay - 21); d--) {
      if (isTradingDay(market, d) && !this.suspensions.isSuspendedOn(sec.key, d)) {
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
    rebuildBook(s, s.fair);
    s.cursor = this.nextStepAt(s, this.startTime + 1);
    return s;
  }

  private alignToGrid(s: SecurityState, t: number): number {
    const origin = this.startTime + s.gridOffset;
    return origin + Math.ceil((t - origin) / this.tickIntervalMs) * this.tickIntervalMs;
  }

  /** The first grid instant ≥ `from` at which the security trades (in a session, not on a suspended day). */
  private nextStepAt(s: SecurityState, from: number): number {
    let t = this.alignToGrid(s, from);
    for (let i = 0; i < 64; i++) {
      const open = this.sessionMode === 'always-open' ? t : nextActiveInstant(s.market, t);
      if (open !== t) {
        t = this.alignToGrid(s, open);
        continue;
      }
      if (!this.suspendedAt(s, t)) return t;
      // Skip the whole run of suspended days at once (a US date in exchange mode begins at 20:00 ET the day before).
      const lead = this.sessionMode === 'exchange' && s.market === 'US' ? US_DATE_LEAD_MS : 0;
      let day = localDay(s.market, t + lead) + 1;
      while (this.suspensions.isSuspendedOn(s.sec.key, day)) day++;
      t = this.alignToGrid(s, Math.max(fromLocalMs(s.market, day * DAY_MS) - lead, t + 1));
    }
    return Infinity; // the step interval is longer than the sessions: this security never trades
  }

  private suspendedAt(s: SecurityState, t: number): boolean {
    return this.suspensions.has(s.sec.key) && this.suspensions.isSuspendedAt(s.sec.key, s.market, t, this.sessionMode === 'exchange');
  }

  private suspendedNow(s: SecurityState): boolean {
    return this.suspendedAt(s, this.clock.now());
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
        const sessions = tradingWindowsOfDay(s.market, day).map((w) => [w.start, w.end] as const);
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
    s.fair = clampFair(s, s.fair * Math.exp(sigma * s.rng.normal() - 0.5 * sigma * sigma));
    this.counters.skippedSteps += Math.round(skipped);
    s.cursor = this.nextStepAt(s, resumeAt);
  }


  private step(s: SecurityState, t: number): void {
    if (this.sessionMode === 'exchange' && s.market === 'US') {
      const w = windowAt(s.market, t);
      if (w && w.session !== 'RTH') return this.extendedStep(s, t, w as TradingWindow & { session: ExtendedSessionName });
    }
    // A future tracks its index: its fair value is the index's times its basis (futures.ts), then its own step.
    const index = s.sec.derivative?.kind === 'future' ? this.states.get(s.sec.derivative.underlying) : undefined;
    if (index) s.fair = index.fair * (s.sec.basePrice / index.sec.basePrice);
    const { ticker, point, price, volume } = applyTrade(s, t);
    const touched = s.touched;
    if (!s.isIndex && this.tradeListeners.size > 0) {
      const trade: MarketTrade = { key: s.sec.key, price, volume, time: t, top: this.top(s.sec.key)! };
      for (const listener of this.tradeListeners) this.safely(() => listener(trade));
    }
    if (this.updateListeners.size > 0) {
      const update: MarketUpdate = {
        key: s.sec.key,
        security: { ...s.qot },
        trade: { ...ticker },
        basic: { ...buildBasicQot(s, this.history), ...extendedQuoteFields(s) },
        book: { bids: s.bids.map(toOrderBook), asks: s.asks.map(toOrderBook) },
        klines: new Map(KL_TYPES.map((type, i) => [type, toKLine(s, this.history.settleCarry(s, type, touched[i]!))])),
        rt: toTimeShare(s, point),
      };
      for (const listener of this.updateListeners) this.safely(() => listener(update));
    }
  }

  /** A US extended-session trade: matched against resting orders, but no regular-session update (no K-line, ticker or day bar). */
  private extendedStep(s: SecurityState, t: number, w: TradingWindow & { session: ExtendedSessionName }): void {
    if (s.isIndex) return;
    const { price, volume } = applyExtendedTrade(s, w);
    if (this.tradeListeners.size === 0) return;
    const trade: MarketTrade = { key: s.sec.key, price, volume, time: t, top: this.top(s.sec.key)! };
    for (const listener of this.tradeListeners) this.safely(() => listener(trade));
  }

  private safely(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.onListenerError(err);
    }
  }
  private minutesPerTradingDay(market: SecurityMarket): number {
    return this.sessionMode === 'exchange' ? sessionMinutes(market) : 24 * 60;
  }
}
