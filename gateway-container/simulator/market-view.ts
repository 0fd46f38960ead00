// What the paper-trading engine needs from the market: static facts, the current top of book, and a
// stream of trades to match resting orders against. The MarketEngine implements it.
import type { TickRule } from './ticks.js';

export type SecurityMarket = 'HK' | 'US' | 'SH' | 'SZ';
/** A trading session: the regular one, or a US extended one (pre-market, after-hours, overnight). */
export type TradingSessionName = 'RTH' | 'PRE' | 'AFTER' | 'OVERNIGHT';

export interface SecurityFacts {
  /** "HK.00700" */
  key: string;
  market: SecurityMarket;
  code: string;
  name: string;
  lotSize: number;
  tickRule: TickRule;
  currency: 'HKD' | 'USD' | 'CNY';
  /** Qot_Common.SecurityType: 3 Eqty, 4 Trust (ETFs, funds), 6 Index. */
  secType: number;
  /** Indexes cannot be traded. */
  tradable: boolean;
  /** Futures and options: what one contract is (market/derivatives.ts). Absent for stocks, funds, indexes. */
  derivative?: DerivativeFacts;
}

export interface DerivativeFacts {
  kind: 'future' | 'option';
  /** Currency per point (futures) or shares per contract (options): cash and value scale by it. */
  multiplier: number;
  /** "HK.800000", "US.AAPL" */
  underlying: string;
  /** "yyyy-MM-dd": last trading day (dated futures) or expiry (options). */
  expiry?: string;
  /** Futures: margin per contract in the contract's currency. */
  initialMargin?: number;
  maintenanceMargin?: number;
}

export interface TopOfBook {
  last: number;
  bid: number;
  ask: number;
  bidVol: number;
  askVol: number;
  /** Virtual-clock time of the last update, ms since epoch. */
  time: number;
}

export interface MarketTrade {
  key: string;
  price: number;
  volume: number;
  time: number;
  /** Book right after the trade. */
  top: TopOfBook;
}

export interface MarketView {
  security(key: string): SecurityFacts | undefined;
  top(key: string): TopOfBook | undefined;
  /** Whether continuous trading is on for the security's market at the current virtual time. */
  isTradingNow(market: SecurityMarket): boolean;
  /** The session the market is in now (extended ones for US securities), undefined when closed. Default: isTradingNow as RTH. */
  tradingSession?(market: SecurityMarket): TradingSessionName | undefined;
  /** Subscribe to every simulated trade; returns an unsubscribe function. */
  onTrade(listener: (trade: MarketTrade) => void): () => void;
}
