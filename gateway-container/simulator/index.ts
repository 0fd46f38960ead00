// Assembles the simulator: virtual clock, market engine, paper-trading engine and the OpenD wire server.
import type { Logger } from '../../proto/client.js';
import { SimClock } from './clock.js';
import { registerQuoteHandlers, type QuoteOptions, type QuoteService } from './handlers/quote.js';
import { registerSystemHandlers } from './handlers/system.js';
import { registerTradeHandlers } from './handlers/trade.js';
import { MarketEngine, type SessionMode } from './market/engine.js';
import { loadUniverse } from './market/universe.js';
import { OpenDSimulator, type SimulatorCoreOptions } from './server.js';
import { TradingEngine, type AccountConfig } from './trading/engine.js';
import { startWebSocketBridge } from './websocket.js';

export interface SimulatorOptions extends Omit<SimulatorCoreOptions, 'now'>, QuoteOptions {
  /** Seed of the price process (same seed and clock ⇒ same market). */
  seed?: number;
  /** Virtual clock; default real time. Pass { manual: true } for tests that move time by hand. */
  clock?: SimClock | { speed?: number; manual?: boolean; start?: number };
  universePath?: string;
  sessions?: SessionMode;
  /** Virtual ms between simulated trades of one security (default 1000). */
  tickIntervalMs?: number;
  /** Real ms between market steps when the clock runs by itself (default 200). */
  driveIntervalMs?: number;
  accounts?: AccountConfig[];
  /** Also serve OpenD's WebSocket protocol (the official JavaScript SDK's transport) on this port. */
  websocket?: { port: number; host?: string; keyMd5?: string };
  /** MD5 of the trade password REAL accounts unlock with (default md5("123456")). */
  tradePasswordMd5?: string;
  logger?: Logger;
}

export interface Simulator {
  core: OpenDSimulator;
  market: MarketEngine;
  trading: TradingEngine;
  clock: SimClock;
  quotes: QuoteService;
  host: string;
  port: number;
  /** Port of the WebSocket listener, when enabled. */
  websocketPort?: number;
  /** Moves virtual time forward and generates the market up to it. */
  advance(ms: number): void;
  close(): Promise<void>;
}

export async function startSimulator(options: SimulatorOptions = {}): Promise<Simulator> {
  const clock = options.clock instanceof SimClock ? options.clock : new SimClock(options.clock ?? {});
  const market = new MarketEngine({
    universe: options.universePath ? loadUniverse(options.universePath) : undefined,
    clock,
    seed: options.seed ?? 1,
    tickIntervalMs: options.tickIntervalMs,
    sessions: options.sessions,
    onListenerError: (err) => options.logger?.error('market listener failed', { error: (err as Error)?.stack ?? String(err) }),
  });
  const now = () => clock.now();
  const trading = new TradingEngine({ market, now, accounts: options.accounts, tradePasswordMd5: options.tradePasswordMd5 });
  const core = new OpenDSimulator({ ...options, now });
  const quotes = registerQuoteHandlers(core, market, options);
  registerSystemHandlers(core, {
    marketState: (m) => {
      market.advanceTo(clock.now());
      return market.marketState(m);
    },
    subQuota: () => quotes.subscriptions.quota,
    historyKLQuota: () => options.historyKLQuota ?? 100,
  });
  registerTradeHandlers(core, trading);
  const { host, port } = await core.listen();
  const ws = options.websocket ? await startWebSocketBridge(core, { host: options.websocket.host ?? host, port: options.websocket.port, keyMd5: options.websocket.keyMd5 }) : undefined;
  if (!clock.manual) market.start(options.driveIntervalMs ?? 200);
  return {
    core,
    market,
    trading,
    clock,
    quotes,
    host,
    port,
    websocketPort: ws?.port,
    advance(ms: number) {
      clock.advance(ms);
      market.advanceTo(clock.now());
    },
    async close() {
      market.stop();
      trading.dispose();
      await ws?.close();
      await core.close();
    },
  };
}

export { OpenDSimulator, SimError } from './server.js';
export { SimClock } from './clock.js';
