// Assembles the simulator: virtual clock, market engine, paper-trading engine and the OpenD wire server.
import type { Logger } from '../../proto/client.js';
import { SimClock } from './clock.js';
import { registerQuoteHandlers, type QuoteOptions, type QuoteService } from './handlers/quote.js';
import { registerReferenceHandlers, type ReferenceService } from './handlers/reference.js';
import { registerScreenerHandler } from './handlers/screener.js';
import { registerTopMoversHandler } from './handlers/top-movers.js';
import { registerWarrantHandlers } from './handlers/warrants.js';
import { registerHoldingHandlers } from './handlers/holdings.js';
import { registerPriceReminderHandlers } from './handlers/price-reminders.js';
import { loadReferenceData } from './market/reference-data.js';
import { CorporateActions } from './market/corporate-actions.js';
import { Suspensions } from './market/suspensions.js';
import { watchlistPathFor } from './market/watchlist-file.js';
import { registerSystemHandlers } from './handlers/system.js';
import { registerTradeHandlers } from './handlers/trade.js';
import { registerAccountReportHandlers } from './handlers/account-reports.js';
import { MarketEngine, type SessionMode } from './market/engine.js';
import { loadUniverse } from './market/universe.js';
import { DerivativesMarket, withFutures } from './market/derivatives.js';
import { registerDerivativeHandlers } from './handlers/derivatives.js';
import { DEFAULT_ACCOUNTS, DEFAULT_FUTURES_ACCOUNTS } from './trading/accounts.js';
import { OpenDSimulator, type SimulatorCoreOptions } from './server.js';
import { TradingEngine, type AccountConfig, type TradingEngineOptions } from './trading/engine.js';
import { attachStateFile, readStateFile, StateFileError, type StateFileSaver } from './trading/state-file.js';
import { startWebSocketBridge } from './websocket.js';

export interface SimulatorOptions extends Omit<SimulatorCoreOptions, 'now'>, QuoteOptions {
  /** Seed of the price process (same seed and clock ⇒ same market). */
  seed?: number;
  /** Virtual clock; default real time. Pass { manual: true } for tests that move time by hand. */
  clock?: SimClock | { speed?: number; manual?: boolean; start?: number };
  universePath?: string;
  /** Reference data (suspensions, code changes, IPOs, system watchlists, corporate actions); default reference.json next to the simulator. */
  referencePath?: string;
  sessions?: SessionMode;
  /** Virtual ms between simulated trades of one security (default 1000). */
  tickIntervalMs?: number;
  /** Real ms between market steps when the clock runs by itself (default 200). */
  driveIntervalMs?: number;
  accounts?: readonly AccountConfig[];
  /** With the default accounts, also the futures accounts (trading/accounts.ts DEFAULT_FUTURES_ACCOUNTS). */
  futuresAccounts?: boolean;
  /** Also serve OpenD's WebSocket protocol (the official JavaScript SDK's transport) on this port. */
  websocket?: { port: number; host?: string; keyMd5?: string };
  /** MD5 of the trade password REAL accounts unlock with (default md5("123456")). */
  tradePasswordMd5?: string;
  /**
   * Trading state file (trading/state-file.ts): read at start (a missing file is a first start; a corrupt
   * or truncated one is an error), rewritten atomically on every order and fill event before any push or
   * reply about it is sent, and on close. The virtual clock starts no earlier than the saved time.
   */
  stateFile?: string;
  /** OpenD's state folder: a picture login challenge saves its PNG under F3CNN/ there, as OpenD does. */
  opendStateDir?: string;
  logger?: Logger;
}

export interface Simulator {
  core: OpenDSimulator;
  market: MarketEngine;
  /** Futures contract facts and the options priced from their underlyings. */
  derivatives: DerivativesMarket;
  trading: TradingEngine;
  clock: SimClock;
  quotes: QuoteService;
  reference: ReferenceService;
  host: string;
  port: number;
  /** Port of the WebSocket listener, when enabled. */
  websocketPort?: number;
  /** The trading state file, when `stateFile` was given: `save()` writes it now. */
  state?: StateFileSaver;
  /** Moves virtual time forward and generates the market up to it. */
  advance(ms: number): void;
  close(): Promise<void>;
}

export async function startSimulator(options: SimulatorOptions = {}): Promise<Simulator> {
  const saved = options.stateFile ? readStateFile(options.stateFile) : undefined;
  const clock = options.clock instanceof SimClock ? options.clock : new SimClock(clockAfter(options.clock ?? {}, saved?.clockMs));
  // Virtual time never goes back across a restart: orders and fills keep their order in time.
  if (saved && clock.now() < saved.clockMs) clock.advance(saved.clockMs - clock.now());
  // Futures are listed relative to the virtual clock at start (the current and next contract months).
  const { universe, futures } = withFutures(loadUniverse(options.universePath), clock.now());
  // Read before the market engine: its suspensions (market/suspensions.ts) shape trades, bars and quotes.
  const universeKeys = new Set(universe.securities.map((sec) => sec.key));
  const referenceData = loadReferenceData((k) => universeKeys.has(k), options.referencePath);
  const market = new MarketEngine({
    suspensions: new Suspensions(referenceData.suspensions),
    universe,
    clock,
    seed: options.seed ?? 1,
    tickIntervalMs: options.tickIntervalMs,
    sessions: options.sessions,
    onListenerError: (err) => options.logger?.error('market listener failed', { error: (err as Error)?.stack ?? String(err) }),
  });
  const now = () => clock.now();
  const derivatives = new DerivativesMarket(market, futures);
  const accounts = options.accounts ?? (options.futuresAccounts ? [...DEFAULT_ACCOUNTS, ...DEFAULT_FUTURES_ACCOUNTS] : undefined);
  // Order placement asks the market whether a security is suspended now (trading/placement.ts).
  const tradingView = { ...derivatives.tradingView, isSuspended: (key: string) => market.isSuspended(key) };
  const trading = newTradingEngine({ market: tradingView, now, accounts, tradePasswordMd5: options.tradePasswordMd5, restore: saved }, options.stateFile);
  // Attached before the trade handlers' push listener, so the file is written before pushes and replies.
  const state = options.stateFile
    ? attachStateFile(trading, options.stateFile, (err) => options.logger?.error('saving the trading state file failed', { error: err.message }))
    : undefined;
  const core = new OpenDSimulator({ ...options, now });
  const quotes = registerQuoteHandlers(core, derivatives.quoteMarket, options, new CorporateActions(referenceData.corporateActions));
  registerSystemHandlers(core, {
    marketState: (m) => {
      market.advanceTo(clock.now());
      return market.marketState(m);
    },
    subQuota: () => quotes.subscriptions.quota,
    historyKLQuota: () => options.historyKLQuota ?? 100,
    opendStateDir: options.opendStateDir,
  });
  registerTradeHandlers(core, trading);
  registerAccountReportHandlers(core, trading, market, { stateFile: options.stateFile, restored: saved !== undefined, now });
  const reference = registerReferenceHandlers(core, market, referenceData, {
    tickIntervalMs: options.tickIntervalMs,
    // Custom watchlists persist beside the trading state file (market/watchlist-file.ts).
    watchlistFile: options.stateFile ? watchlistPathFor(options.stateFile) : undefined,
  });
  registerScreenerHandler(core, market);
  registerTopMoversHandler(core, market);
  registerWarrantHandlers(core, market);
  registerHoldingHandlers(core, market);
  registerDerivativeHandlers(core, derivatives, () => market.advanceTo(clock.now()));
  registerPriceReminderHandlers(core, market, { stateFile: options.stateFile });
  const { host, port } = await core.listen();
  const ws = options.websocket ? await startWebSocketBridge(core, { host: options.websocket.host ?? host, port: options.websocket.port, keyMd5: options.websocket.keyMd5 }) : undefined;
  if (!clock.manual) market.start(options.driveIntervalMs ?? 200);
  return {
    core,
    market,
    derivatives,
    trading,
    clock,
    quotes,
    reference,
    host,
    port,
    websocketPort: ws?.port,
    state,
    advance(ms: number) {
      clock.advance(ms);
      market.advanceTo(clock.now());
    },
    async close() {
      market.stop();
      reference.dispose();
      trading.dispose();
      state?.close();
      await ws?.close();
      await core.close();
    },
  };
}

/** A restore that does not fit this simulator names the state file in its error. */
function newTradingEngine(opts: TradingEngineOptions, stateFile: string | undefined): TradingEngine {
  try {
    return new TradingEngine(opts);
  } catch (err) {
    if (err instanceof StateFileError) throw new StateFileError(`state file ${stateFile}: ${err.message}`);
    throw err;
  }
}

/** Clock options whose start is no earlier than `savedMs` (the saved state's virtual time). */
function clockAfter(o: { speed?: number; manual?: boolean; start?: number }, savedMs: number | undefined) {
  if (savedMs === undefined) return o;
  return { ...o, start: Math.max(o.start ?? Date.now(), savedMs) };
}

export { OpenDSimulator, SimError } from './server.js';
export { StateFileError } from './trading/state-file.js';
export { SimClock } from './clock.js';
