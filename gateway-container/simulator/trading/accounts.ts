// Paper-trading accounts: configuration, default accounts, cash balances and positions, and the
// position arithmetic applied on every fill (average and diluted cost, realized P&L, today's stats).
import * as Trd_Common from '../../../proto/generated/Trd_Common.js';
import type { MarketView, SecurityMarket } from '../market-view.js';
import { TradingError } from './errors.js';
import { CASH_CURRENCIES, type CashCurrency, nameOf, roundMoney, securityCurrency } from './util.js';

export type TrdEnvName = 'SIMULATE' | 'REAL';
/** Account-side trading markets the simulator can serve (Trd_Common.TrdMarket names). */
export type AccountMarketName = 'HK' | 'US' | 'CN' | 'HKCC' | FuturesMarketName;
/** Futures accounts: REAL ones trade FUTURES (HK and US contracts), paper ones one simulated futures market each. */
export type FuturesMarketName = 'FUTURES' | 'FUTURES_SIMULATE_HK' | 'FUTURES_SIMULATE_US';
const FUTURES_MARKETS: ReadonlySet<string> = new Set<FuturesMarketName>(['FUTURES', 'FUTURES_SIMULATE_HK', 'FUTURES_SIMULATE_US']);

export interface StartingPosition {
  /** "HK.00700" */
  key: string;
  /** Negative for a short position. */
  qty: number;
  costPrice: number;
}

export interface AccountConfig {
  /** Above 2^53 like real Futu account IDs. */
  accID: bigint;
  trdEnv: TrdEnvName;
  /** trdMarketAuthList: the markets this account may trade; the first one sets the base currency. */
  markets: AccountMarketName[];
  /** Default: MARGIN for REAL, CASH for SIMULATE. */
  accType?: 'CASH' | 'MARGIN';
  /** SIMULATE only. Default STOCK. */
  simAccType?: 'STOCK' | 'OPTION' | 'FUTURES' | 'STOCK_AND_OPTION';
  cardNum?: string;
  uniCardNum?: string;
  /** Default FUTU_SECURITIES. */
  securityFirm?: Trd_Common.SecurityFirmName;
  /** Starting cash per currency. */
  cash: Partial<Record<CashCurrency, number>>;
  positions?: StartingPosition[];
  /** Buying-power multiplier of equity for MARGIN accounts. Default 2 (CASH accounts are always 1). */
  leverage?: number;
  /** Whether US securities may be sold short. Default: true for MARGIN accounts. Never for non-US. */
  allowShort?: boolean;
}

/**
 * Six accounts like a Futu HK login: paper HK stock, paper US stock+option, real HK and US margin, and a paper
 * and a real universal account (HK + US + A shares via HKCC). New accounts go at the end: tests pick by index.
 */
export const DEFAULT_ACCOUNTS: readonly AccountConfig[] = [
  {
    accID: 281756480572583411n,
    trdEnv: 'SIMULATE',
    markets: ['HK'],
    accType: 'CASH',
    simAccType: 'STOCK',
    cardNum: '1001100520437011',
    cash: { HKD: 1_000_000 },
  },
  {
    accID: 281756455983234027n,
    trdEnv: 'SIMULATE',
    markets: ['US'],
    accType: 'MARGIN',
    simAccType: 'STOCK_AND_OPTION',
    cardNum: '1001100520437012',
    cash: { USD: 100_000 },
  },
  {
    accID: 281756478396547854n,
    trdEnv: 'REAL',
    markets: ['HK'],
    accType: 'MARGIN',
    cardNum: '1001289516908051',
    uniCardNum: '1001289516908050',
    cash: { HKD: 1_000_000 },
  },
  {
    accID: 281756460288713516n,
    trdEnv: 'REAL',
    markets: ['US'],
    accType: 'MARGIN',
    cardNum: '1001289516908052',
    uniCardNum: '1001289516908050',
    cash: { USD: 100_000 },
  },
  // Universal (综合) securities accounts: one account trades HK stocks, US stocks and A shares through Stock
  // Connect (HKCC) in several currencies; the TrdHeader's trdMarket of each request names the market of the
  // security (Futu OpenAPI, "Universal Account": https://openapi.futunn.com/futu-api-doc/en/intro/intro.html).
  // Margin accounts, so US pre-market and after-hours paper trading is open to the SIMULATE one too.
  {
    accID: 281756491128374601n,
    trdEnv: 'SIMULATE',
    markets: ['HK', 'US', 'HKCC'],
    accType: 'MARGIN',
    simAccType: 'STOCK_AND_OPTION',
    cardNum: '1001100520437013',
    cash: { HKD: 1_000_000, USD: 100_000, CNH: 1_000_000 },
  },
  {
    accID: 281756492837465502n,
    trdEnv: 'REAL',
    markets: ['HK', 'US', 'HKCC'],
    accType: 'MARGIN',
    cardNum: '1001289516908053',
    uniCardNum: '1001289516908050',
    cash: { HKD: 1_000_000, USD: 100_000, CNH: 1_000_000 },
  },
];

export interface TodayStats {
  date: string;
  buyVal: number;
  buyQty: number;
  sellVal: number;
  sellQty: number;
}

export interface PositionState {
  positionID: bigint;
  key: string;
  market: SecurityMarket;
  code: string;
  currency: CashCurrency;
  /** Signed: negative when short. */
  qty: number;
  /** Average open price of the current position (sells of a long / buys of a short do not change it). */
  avgCost: number;
  /** Σ buys − Σ sells since the position was last opened from flat; diluted cost = costTotal / qty. */
  costTotal: number;
  realizedPL: number;
  today: TodayStats;
}

export class AccountState {
  readonly accID: bigint;
  readonly trdEnv: number;
  readonly envName: TrdEnvName;
  readonly markets: number[];
  readonly marketNames: AccountMarketName[];
  readonly accType: number;
  readonly isMargin: boolean;
  readonly leverage: number;
  readonly allowShort: boolean;
  readonly baseCurrency: CashCurrency;
  /** A futures account (Trd_GetAccList's trdCategory FUTURE): trades futures on margin, nothing else. */
  readonly isFutures: boolean;
  readonly cash = new Map<CashCurrency, number>();
  /** By security key. */
  readonly positions = new Map<string, PositionState>();

  constructor(readonly config: AccountConfig) {
    if (config.markets.length === 0) throw new TradingError(`account ${config.accID}: markets must not be empty`);
    this.accID = config.accID;
    this.envName = config.trdEnv;
    this.trdEnv = Trd_Common.TrdEnv[config.trdEnv];
    this.marketNames = [...config.markets];
    this.markets = config.markets.map((m) => Trd_Common.TrdMarket[m]);
    const accType = config.accType ?? (config.trdEnv === 'REAL' ? 'MARGIN' : 'CASH');
    this.accType = Trd_Common.TrdAccType[accType];
    this.isMargin = accType === 'MARGIN';
    this.leverage = this.isMargin ? Math.max(1, config.leverage ?? 2) : 1;
    this.allowShort = config.allowShort ?? this.isMargin;
    const first = config.markets[0];
    this.baseCurrency = first === 'US' || first === 'FUTURES_SIMULATE_US' ? 'USD' : first === 'CN' ? 'CNH' : 'HKD';
    this.isFutures = config.markets.some((m) => FUTURES_MARKETS.has(m));
    if (this.isFutures && !config.markets.every((m) => FUTURES_MARKETS.has(m))) {
      throw new TradingError(`account ${config.accID}: a futures account trades only futures markets, got ${config.markets.join(', ')}`);
    }
    for (const c of CASH_CURRENCIES) {
      const v = config.cash[c];
      if (v !== undefined) this.cash.set(c, v);
    }
    if (!this.cash.has(this.baseCurrency)) this.cash.set(this.baseCurrency, 0);
  }

  cashIn(c: CashCurrency): number {
    return this.cash.get(c) ?? 0;
  }

  addCash(c: CashCurrency, delta: number): void {
    this.cash.set(c, roundMoney(this.cashIn(c) + delta));
  }

  toTrdAcc(): Trd_Common.TrdAcc {
    const acc: Trd_Common.TrdAcc = {
      trdEnv: this.trdEnv,
      accID: this.accID,
      trdMarketAuthList: [...this.markets],
      accType: this.accType,
      cardNum: this.config.cardNum ?? '',
      securityFirm: Trd_Common.SecurityFirm[this.config.securityFirm ?? 'FUTU_SECURITIES'],
      accStatus: Trd_Common.TrdAccStatus.ACTIVE,
    };
    if (this.envName === 'SIMULATE') {
      acc.simAccType = Trd_Common.SimAccType[this.config.simAccType ?? 'STOCK'];
    } else {
      acc.accRole = Trd_Common.TrdAccRole.NORMAL;
      if (this.config.uniCardNum) acc.uniCardNum = this.config.uniCardNum;
    }
    return acc;
  }
}

export function emptyToday(date: string): TodayStats {
  return { date, buyVal: 0, buyQty: 0, sellVal: 0, sellQty: 0 };
}

/**
 * Applies a fill of `signedQty` (positive buy, negative sell) at `price` to a position, handling a
 * fill that closes and reopens on the other side. Realized P&L is measured against the average cost.
 */
export function applyFillToPosition(pos: PositionState, signedQty: number, price: number, today: string): void {
  if (pos.today.date !== today) pos.today = emptyToday(today);
  const amount = Math.abs(signedQty) * price;
  if (signedQty > 0) {
    pos.today.buyQty += signedQty;
    pos.today.buyVal = roundMoney(pos.today.buyVal + amount);
  } else {
    pos.today.sellQty += -signedQty;
    pos.today.sellVal = roundMoney(pos.today.sellVal + amount);
  }

  let remaining = signedQty;
  if (pos.qty !== 0 && Math.sign(remaining) !== Math.sign(pos.qty)) {
    const closing = Math.sign(remaining) * Math.min(Math.abs(remaining), Math.abs(pos.qty));
    // Long closed by a sell: (price − avg) per share; short closed by a buy: (avg − price) per share.
    pos.realizedPL = roundMoney(pos.realizedPL + (price - pos.avgCost) * -closing);
    pos.costTotal = roundMoney(pos.costTotal + closing * price);
    pos.qty += closing;
    remaining -= closing;
  }
  if (remaining !== 0) {
    if (pos.qty === 0) {
      pos.avgCost = 0;
      pos.costTotal = 0;
    }
    const newQty = pos.qty + remaining;
    pos.avgCost = (pos.avgCost * Math.abs(pos.qty) + price * Math.abs(remaining)) / Math.abs(newQty);
    pos.costTotal = roundMoney(pos.costTotal + remaining * price);
    pos.qty = newQty;
  }
}

/** Puts a configured starting position into the account, as position `positionID`. */
export function seedPosition(acc: AccountState, market: MarketView, start: StartingPosition, positionID: bigint): void {
  const { key, qty, costPrice } = start;
  const dot = key.indexOf('.');
  const mkt = key.slice(0, dot);
  if (mkt !== 'HK' && mkt !== 'US' && mkt !== 'SH' && mkt !== 'SZ') {
    throw new TradingError(`starting position ${key}: key must look like "HK.00700"`);
  }
  const facts = market.security(key);
  const currency: CashCurrency = facts ? securityCurrency(facts) : mkt === 'US' ? 'USD' : mkt === 'HK' ? 'HKD' : 'CNH';
  acc.positions.set(key, {
    positionID,
    key,
    market: mkt,
    code: key.slice(dot + 1),
    currency,
    qty,
    avgCost: costPrice,
    costTotal: roundMoney(qty * costPrice),
    realizedPL: 0,
    today: emptyToday(''),
  });
}

/**
 * The account a request's TrdHeader names, refused (TradingError) unless the header is there, its trdEnv is
 * SIMULATE or REAL, the account exists in that environment, and it may trade the header's trdMarket — as
 * OpenD answers a header that does not fit the account list of Trd_GetAccList.
 */
export function accountForHeader(accounts: ReadonlyMap<bigint, AccountState>, header: Trd_Common.TrdHeader | undefined): AccountState {
  if (!header) throw new TradingError('header is required');
  const env = header.trdEnv;
  if (env !== Trd_Common.TrdEnv.SIMULATE && env !== Trd_Common.TrdEnv.REAL) {
    throw new TradingError(`header.trdEnv ${String(env)} is invalid: use SIMULATE (0) or REAL (1)`);
  }
  const envName = nameOf(Trd_Common.TrdEnv, env);
  const marketName = nameOf(Trd_Common.TrdMarket, header.trdMarket);
  const acc = accounts.get(header.accID);
  if (!acc || acc.trdEnv !== env) {
    throw new TradingError(`account ${header.accID} not found for trdEnv ${envName} / trdMarket ${marketName}`);
  }
  if (!acc.markets.includes(header.trdMarket)) {
    throw new TradingError(
      `account ${header.accID} (${envName}) has no permission for trdMarket ${marketName}; it trades ${acc.marketNames.join(', ')}`,
    );
  }
  return acc;
}

/**
 * Futures accounts like a Futu HK login's: a paper HK and a paper US futures account and one real futures
 * account for HK and US contracts. Listed by Trd_GetAccList only when it asks for trdCategory FUTURE.
 */
export const DEFAULT_FUTURES_ACCOUNTS: readonly AccountConfig[] = [
  {
    accID: 281756480572583502n,
    trdEnv: 'SIMULATE',
    markets: ['FUTURES_SIMULATE_HK'],
    accType: 'MARGIN',
    simAccType: 'FUTURES',
    cardNum: '1001100520437021',
    cash: { HKD: 1_000_000 },
  },
  {
    accID: 281756455983234103n,
    trdEnv: 'SIMULATE',
    markets: ['FUTURES_SIMULATE_US'],
    accType: 'MARGIN',
    simAccType: 'FUTURES',
    cardNum: '1001100520437022',
    cash: { USD: 200_000 },
  },
  {
    accID: 281756478396547904n,
    trdEnv: 'REAL',
    markets: ['FUTURES'],
    accType: 'MARGIN',
    cardNum: '1001289516908061',
    uniCardNum: '1001289516908050',
    cash: { HKD: 1_000_000, USD: 200_000 },
  },
];

/** Trd_GetAccList's trdCategory: FUTURE lists the futures accounts; SECURITY or none lists the others. */
export function inTrdCategory(acc: Trd_Common.TrdAcc, trdCategory: number | undefined): boolean {
  const futures = (acc.trdMarketAuthList ?? []).some((m) => FUTURES_MARKETS.has(nameOf(Trd_Common.TrdMarket, m)));
  return trdCategory === Trd_Common.TrdCategory.FUTURE ? futures : !futures;
}
