// Futures and options next to the market engine. Futures are engine securities (futures.ts adds them to the
// universe), so they have books, trades and K-lines; this module adds their futures fields. Options are priced
// on demand from the underlying's live price (options.ts): contract facts, quotes, snapshots, static info,
// chains and expiration dates. Two views put them in front of the rest of the simulator:
//   - quoteMarket: the engine, with options known and derivative fields added to static info, snapshots and
//     basic quotes (given to the quote handlers, so an option code is a security like any other);
//   - tradingView: the MarketView the paper-trading engine matches against; an option "trades" at its
//     theoretical price whenever its underlying trades, once an order has named it.
import * as Qot_Common from '../../../proto/generated/Qot_Common.js';
import type * as Qot_GetFutureInfo from '../../../proto/generated/Qot_GetFutureInfo.js';
import type * as Qot_GetSecuritySnapshot from '../../../proto/generated/Qot_GetSecuritySnapshot.js';
import { formatOptionCode, HK_OPTION_ROOTS, parseDerivativeCode, underlyingOfOptionRoot, optionRootOf, type OptionCode } from '../../../proto/derivatives.js';
import { hash32 } from '../../../proto/seeded-random.js';
import { QOT_MARKET_BY_PREFIX } from '../../../proto/securities.js';
import type { MarketTrade, MarketView, SecurityFacts, TopOfBook } from '../market-view.js';
import { DAY_MS, formatLocalMs, fromLocalMs, localDay, parseDay, utcOffsetMs } from './calendars.js';
import type { MarketEngine } from './engine.js';
import { futureInfo, FUTURE_UNDERLYINGS, futureUniverseEntries, listFutureContracts, type FutureContract } from './futures.js';
import {
  chainStrikes,
  expiryInstant,
  isOnStrikeGrid,
  listExpiries,
  multiplierOf,
  openInterestOf,
  priceOption,
  strikeStep,
  yearsUntil,
  type Expiry,
  type OptionQuote,
} from './options.js';
import type { Universe, UniverseSecurity } from './universe.js';

/** An option contract the simulator lists: parsed code plus what it needs from its underlying. */
export interface OptionContract extends OptionCode {
  key: string;
  code: string;
  /** "HK.00700" */
  underlyingKey: string;
  multiplier: number;
}

/** The universe plus the futures' missing underlying indexes and the futures listed at `now`. */
export function withFutures(universe: Universe, now: number): { universe: Universe; futures: FutureContract[] } {
  const securities = [...universe.securities];
  const have = new Set(securities.map((s) => s.key));
  for (const idx of FUTURE_UNDERLYINGS) if (!have.has(idx.key)) securities.push(idx);
  const byKey = new Map(securities.map((s) => [s.key, s]));
  const futures = listFutureContracts(now);
  const entries = futureUniverseEntries(futures, byKey).filter((e) => !have.has(e.key));
  return { universe: { ...universe, securities: [...securities, ...entries] }, futures: futures.filter((f) => byKey.has(f.root.underlying)) };
}

export class DerivativesMarket {
  private readonly futures: Map<string, FutureContract>;
  /** Option keys an order has named: they trade whenever their underlying does. */
  private readonly activeOptions = new Map<string, OptionContract>();
  readonly quoteMarket: MarketEngine;
  readonly tradingView: MarketView;

  constructor(
    private readonly engine: MarketEngine,
    futures: readonly FutureContract[],
  ) {
    this.futures = new Map(futures.map((f) => [f.key, f]));
    this.quoteMarket = this.makeQuoteMarket();
    this.tradingView = this.makeTradingView();
  }

  private now(): number {
    return this.engine.clock.now();
  }

  // ----- futures -------------------------------------------------------------------------------

  future(key: string): FutureContract | undefined {
    return this.futures.get(key);
  }

  futureInfo(key: string): Qot_GetFutureInfo.FutureInfo | undefined {
    const c = this.futures.get(key);
    return c && futureInfo(c);
  }

  /** Qot_Common.FutureBasicQotExData: settlement = previous close; open interest a fixed stand-in per contract. */
  private futureQuoteEx(key: string): Qot_Common.FutureBasicQotExData & { isMain: boolean; lastTradeTime: string; lastTradeTimestamp?: number } {
    const c = this.futures.get(key)!;
    const q = this.engine.basicQot(key)!;
    const position = 50_000 + (hash32(`pos|${key}`) % 150_000);
    const positionChange = (hash32(`chg|${key}|${localDay(c.root.market, this.now())}`) % 6001) - 3000;
    const ex: Qot_Common.FutureBasicQotExData & { isMain: boolean; lastTradeTime: string; lastTradeTimestamp?: number } = {
      lastSettlePrice: q.lastClosePrice,
      position,
      positionChange,
      isMain: c.isMain,
      lastTradeTime: c.lastTradeDay ?? '',
    };
    const last = c.lastTradeDay ?? (c.originKey ? this.futures.get(c.originKey)?.lastTradeDay : undefined);
    if (last) ex.expiryDateDistance = parseDay(last)! - localDay(c.root.market, this.now());
    if (c.lastTradeDay) ex.lastTradeTimestamp = futureInfo(c).lastTradeTimestamp;
    return ex;
  }

  // ----- options -------------------------------------------------------------------------------

  /** The option a key names, if it is one this simulator lists now; a string says why not. */
  option(key: string): OptionContract | string | undefined {
    const dot = key.indexOf('.');
    const market = key.slice(0, dot);
    const code = key.slice(dot + 1);
    const d = parseDerivativeCode(market, code);
    if (d === undefined || (typeof d !== 'string' && d.kind !== 'option')) return undefined;
    if (typeof d === 'string') return d;
    const stock = underlyingOfOptionRoot(d.market, d.root);
    const under = stock === undefined ? undefined : this.engine.security(`${d.market}.${stock}`);
    if (!under) return `no simulated stock has the option root ${d.root}`;
    const today = localDay(d.market, this.now());
    const expiries = listExpiries(d.market, today);
    // An expired contract stays known (not tradable), so saved orders and positions in it still resolve.
    if (parseDay(d.expiry)! >= today && !expiries.some((e) => e.date === d.expiry)) {
      return `${d.expiry} is not a listed expiry of ${under.key}; listed: ${expiries.map((e) => e.date).join(', ')}`;
    }
    const step = strikeStep(d.market, under.basePrice);
    if (!isOnStrikeGrid(d.strike, step, under.basePrice)) return `strike ${d.strike} is not on ${under.key}'s strike grid (steps of ${step})`;
    return { ...d, key, code, underlyingKey: under.key, multiplier: multiplierOf(d.market, d.root) };
  }

  private optionOrUndefined(key: string): OptionContract | undefined {
    const o = this.option(key);
    return typeof o === 'object' ? o : undefined;
  }

  optionFacts(o: OptionContract): SecurityFacts {
    const under = this.engine.security(o.underlyingKey)!;
    return {
      key: o.key,
      market: o.market,
      code: o.code,
      name: `${under.name} ${o.expiry} ${o.strike} ${o.type === 'CALL' ? 'Call' : 'Put'}`,
      lotSize: 1,
      tickRule: 'OPTION',
      currency: under.currency,
      secType: Qot_Common.SecurityType.DRVT,
      tradable: this.now() < expiryInstant(o.market, o.expiry),
      derivative: { kind: 'option', multiplier: o.multiplier, underlying: o.underlyingKey, expiry: o.expiry },
    };
  }

  /** Price and greeks now (or at the previous close, for `lastClosePrice`). */
  optionQuote(o: OptionContract, at: 'now' | 'previous-close' = 'now'): OptionQuote & { spot: number } {
    const q = this.engine.basicQot(o.underlyingKey)!;
    const under = this.engine.security(o.underlyingKey)!;
    const spot = at === 'now' ? q.curPrice : q.lastClosePrice;
    const years = yearsUntil(o.market, o.expiry, this.now()) + (at === 'now' ? 0 : 1 / 365);
    return { ...priceOption(o, spot, under.annualVolatility, years), spot };
  }

  optionTop(o: OptionContract): TopOfBook {
    const q = this.optionQuote(o);
    const depth = 10 + (hash32(`depth|${o.key}`) % 90);
    return { last: q.price, bid: q.bid, ask: q.ask, bidVol: depth, askVol: depth, time: this.engine.top(o.underlyingKey)?.time ?? this.now() };
  }

  /** Listed expiries of an underlying stock, or a string saying why it has none. */
  expirations(ownerKey: string): Expiry[] | string {
    const under = this.underlyingStock(ownerKey);
    if (typeof under === 'string') return under;
    return listExpiries(under.market as 'HK' | 'US', localDay(under.market, this.now()));
  }

  /**
   * The chain of an underlying for expiries in [begin, end] (days): per expiry, the strikes around the
   * previous close with their call and put. Qot_GetOptionChain's filters are applied by the handler.
   */
  chain(ownerKey: string, beginDay: number, endDay: number): { expiry: Expiry; options: { call: OptionContract; put: OptionContract }[] }[] | string {
    const under = this.underlyingStock(ownerKey);
    if (typeof under === 'string') return under;
    const market = under.market as 'HK' | 'US';
    const root = optionRootOf(market, under.code)!;
    const reference = this.engine.basicQot(under.key)!.lastClosePrice;
    const strikes = chainStrikes(reference, strikeStep(market, under.basePrice));
    return listExpiries(market, localDay(market, this.now()))
      .filter((e) => e.day >= beginDay && e.day <= endDay)
      .map((expiry) => ({
        expiry,
        options: strikes.map((strike) => {
          const contract = (type: 'CALL' | 'PUT'): OptionContract => {
            const code = formatOptionCode(root, expiry.date, type, strike);
            return { kind: 'option', market, root, expiry: expiry.date, type, strike, key: `${market}.${code}`, code, underlyingKey: under.key, multiplier: multiplierOf(market, root) };
          };
          return { call: contract('CALL'), put: contract('PUT') };
        }),
      }));
  }

  private underlyingStock(ownerKey: string): UniverseSecurity | string {
    const under = this.engine.security(ownerKey);
    if (!under) return `Unknown stock ${ownerKey}: not in the simulator's universe`;
    const root = optionRootOf(under.market, under.code);
    if (!root || (under.secTypeName !== 'EQTY' && under.secTypeName !== 'TRUST')) {
      return `${ownerKey} has no listed options in the simulator; option underlyings are the HK stocks ${Object.keys(HK_OPTION_ROOTS).map((c) => `HK.${c}`).join(', ')} and the US stocks and ETFs`;
    }
    return under;
  }

  optionStaticInfo(o: OptionContract): Qot_Common.SecurityStaticInfo {
    const facts = this.optionFacts(o);
    const expiryDay = parseDay(o.expiry)!;
    // Listed about three months before expiry (or the underlying's own listing, if later).
    const listDay = expiryDay - 91;
    const listTime = formatLocalMs(listDay * DAY_MS, false);
    const cycle = listExpiries(o.market, localDay(o.market, this.now())).find((e) => e.date === o.expiry)?.cycle ?? Qot_Common.ExpirationCycle.MONTH;
    return {
      basic: {
        security: { market: QOT_MARKET_BY_PREFIX[o.market], code: o.code },
        id: BigInt(4_000_000_000 + (hash32(o.key) % 1_000_000_000)),
        lotSize: 1,
        secType: Qot_Common.SecurityType.DRVT,
        name: facts.name,
        listTime,
        delisting: false,
        listTimestamp: fromLocalMs(o.market, listDay * DAY_MS) / 1000,
        ...(o.market === 'US' ? { exchType: Qot_Common.ExchType.US_OPTION } : {}),
      },
      optionExData: {
        type: Qot_Common.OptionType[o.type],
        owner: { market: QOT_MARKET_BY_PREFIX[o.market], code: o.underlyingKey.slice(3) },
        strikeTime: o.expiry,
        strikePrice: o.strike,
        suspend: false,
        market: o.market,
        strikeTimestamp: expiryInstant(o.market, o.expiry) / 1000,
        expirationCycle: cycle,
        optionStandardType: Qot_Common.OptionStandardType.STANDARD,
      },
    };
  }

  private optionExFields(o: OptionContract): Qot_Common.OptionBasicQotExData {
    const q = this.optionQuote(o);
    const openInterest = openInterestOf(o.key, o.strike, q.spot);
    const today = localDay(o.market, this.now());
    return {
      strikePrice: o.strike,
      contractSize: o.multiplier,
      contractSizeFloat: o.multiplier,
      openInterest,
      impliedVolatility: q.impliedVolatility,
      premium: q.premium,
      delta: q.delta,
      gamma: q.gamma,
      vega: q.vega,
      theta: q.theta,
      rho: q.rho,
      expiryDateDistance: parseDay(o.expiry)! - today,
      contractMultiplier: o.multiplier,
      // HKEX stock options are American-style, as are US equity options.
      optionAreaType: Qot_Common.OptionAreaType.AMERICAN,
      ...(o.market === 'HK'
        ? {
            netOpenInterest: Math.round(openInterest * 0.1),
            contractNominalValue: Math.round(q.spot * o.multiplier * 100) / 100,
            ownerLotMultiplier: o.multiplier / this.engine.security(o.underlyingKey)!.lotSize,
          }
        : {}),
    };
  }

  optionBasicQot(o: OptionContract): Qot_Common.BasicQot {
    const q = this.optionQuote(o);
    const prev = this.optionQuote(o, 'previous-close');
    const updated = this.engine.top(o.underlyingKey)?.time ?? this.now();
    const listDay = parseDay(o.expiry)! - 91;
    return {
      security: { market: QOT_MARKET_BY_PREFIX[o.market], code: o.code },
      name: this.optionFacts(o).name,
      isSuspended: false,
      listTime: formatLocalMs(listDay * DAY_MS, false),
      priceSpread: 0.01,
      updateTime: formatLocalMs(updated + utcOffsetMs(o.market, updated)),
      highPrice: Math.max(q.price, prev.price),
      openPrice: prev.price,
      lowPrice: Math.min(q.price, prev.price),
      curPrice: q.price,
      lastClosePrice: prev.price,
      // No simulated trading in the option itself: no volume.
      volume: 0n,
      turnover: 0,
      turnoverRate: 0,
      amplitude: prev.price > 0 ? Math.round((Math.abs(q.price - prev.price) / prev.price) * 100_000) / 1000 : 0,
      listTimestamp: fromLocalMs(o.market, listDay * DAY_MS) / 1000,
      updateTimestamp: updated / 1000,
      secStatus: Qot_Common.SecurityStatus.NORMAL,
      optionExData: this.optionExFields(o),
    };
  }

  optionSnapshot(o: OptionContract): Qot_GetSecuritySnapshot.Snapshot {
    const b = this.optionBasicQot(o);
    const q = this.optionQuote(o);
    const ex = b.optionExData!;
    const top = this.optionTop(o);
    return {
      basic: {
        security: b.security,
        name: b.name,
        type: Qot_Common.SecurityType.DRVT,
        isSuspend: false,
        listTime: b.listTime,
        lotSize: 1,
        priceSpread: 0.01,
        updateTime: b.updateTime,
        highPrice: b.highPrice,
        openPrice: b.openPrice,
        lowPrice: b.lowPrice,
        lastClosePrice: b.lastClosePrice,
        curPrice: b.curPrice,
        volume: 0n,
        turnover: 0,
        turnoverRate: 0,
        listTimestamp: b.listTimestamp,
        updateTimestamp: b.updateTimestamp,
        amplitude: b.amplitude,
        bidPrice: q.bid,
        askPrice: q.ask,
        bidVol: BigInt(top.bidVol),
        askVol: BigInt(top.askVol),
        secStatus: Qot_Common.SecurityStatus.NORMAL,
      },
      optionExData: {
        type: Qot_Common.OptionType[o.type],
        owner: { market: QOT_MARKET_BY_PREFIX[o.market], code: o.underlyingKey.slice(3) },
        strikeTime: o.expiry,
        strikePrice: o.strike,
        contractSize: ex.contractSize,
        contractSizeFloat: ex.contractSizeFloat,
        openInterest: ex.openInterest,
        impliedVolatility: ex.impliedVolatility,
        premium: ex.premium,
        delta: ex.delta,
        gamma: ex.gamma,
        vega: ex.vega,
        theta: ex.theta,
        rho: ex.rho,
        strikeTimestamp: expiryInstant(o.market, o.expiry) / 1000,
        expiryDateDistance: ex.expiryDateDistance,
        contractMultiplier: o.multiplier,
        optionAreaType: ex.optionAreaType,
        ...(ex.netOpenInterest !== undefined ? { netOpenInterest: ex.netOpenInterest } : {}),
        ...(ex.contractNominalValue !== undefined ? { contractNominalValue: ex.contractNominalValue } : {}),
        ...(ex.ownerLotMultiplier !== undefined ? { ownerLotMultiplier: ex.ownerLotMultiplier } : {}),
      },
    };
  }

  // ----- the two views -------------------------------------------------------------------------

  private makeQuoteMarket(): MarketEngine {
    const engine = this.engine;
    const overrides: Partial<Record<keyof MarketEngine, unknown>> = {
      security: (key: string) => {
        const o = this.optionOrUndefined(key);
        return engine.security(key) ?? (o && this.optionFacts(o));
      },
      staticInfo: (key: string) => {
        const o = this.optionOrUndefined(key);
        if (o) return this.optionStaticInfo(o);
        const info = engine.staticInfo(key);
        const c = this.futures.get(key);
        if (info && c) {
          const ex = this.futureQuoteEx(key);
          info.futureExData = { lastTradeTime: ex.lastTradeTime, isMainContract: c.isMain, ...(ex.lastTradeTimestamp !== undefined ? { lastTradeTimestamp: ex.lastTradeTimestamp } : {}) };
        }
        return info;
      },
      snapshotFields: (key: string) => {
        const o = this.optionOrUndefined(key);
        if (o) return this.optionSnapshot(o);
        const snap = engine.snapshotFields(key);
        if (snap && this.futures.has(key)) {
          const ex = this.futureQuoteEx(key);
          snap.futureExData = {
            lastSettlePrice: ex.lastSettlePrice,
            position: ex.position,
            positionChange: ex.positionChange,
            lastTradeTime: ex.lastTradeTime,
            isMainContract: ex.isMain,
            ...(ex.lastTradeTimestamp !== undefined ? { lastTradeTimestamp: ex.lastTradeTimestamp } : {}),
          };
        }
        return snap;
      },
      basicQot: (key: string) => {
        const o = this.optionOrUndefined(key);
        if (o) return this.optionBasicQot(o);
        const q = engine.basicQot(key);
        if (q && this.futures.has(key)) {
          const { lastSettlePrice, position, positionChange, expiryDateDistance } = this.futureQuoteEx(key);
          q.futureExData = { lastSettlePrice, position, positionChange, ...(expiryDateDistance !== undefined ? { expiryDateDistance } : {}) };
        }
        return q;
      },
      orderBook: (key: string, depth?: number) => {
        const o = this.optionOrUndefined(key);
        if (!o) return engine.orderBook(key, depth);
        const t = this.optionTop(o);
        return { bids: [{ price: t.bid, volume: BigInt(t.bidVol), orederCount: 1 }], asks: [{ price: t.ask, volume: BigInt(t.askVol), orederCount: 1 }] };
      },
    };
    return new Proxy(engine, {
      get(target, prop) {
        if (typeof prop === 'string' && prop in overrides) return overrides[prop as keyof MarketEngine];
        const v = Reflect.get(target, prop, target);
        return typeof v === 'function' ? v.bind(target) : v;
      },
    });
  }

  private makeTradingView(): MarketView {
    const engine = this.engine;
    const facts = (key: string): SecurityFacts | undefined => {
      const known = engine.security(key);
      // A dated future past its last trading day stays known (positions, saved orders) but takes no orders.
      const last = known?.derivative?.kind === 'future' ? known.derivative.expiry : undefined;
      if (known && last !== undefined && parseDay(last)! < localDay(known.market, this.now())) return { ...known, tradable: false };
      if (known) return known;
      const o = this.optionOrUndefined(key);
      if (!o) return undefined;
      this.activeOptions.set(key, o);
      return this.optionFacts(o);
    };
    const view: MarketView = {
      security: facts,
      top: (key) => {
        const t = engine.top(key);
        if (t) return t;
        const o = this.activeOptions.get(key) ?? this.optionOrUndefined(key);
        return o && this.optionTop(o);
      },
      isTradingNow: (m) => engine.isTradingNow(m),
      onTrade: (listener) =>
        engine.onTrade((t) => {
          listener(t);
          for (const o of this.activeOptions.values()) {
            if (o.underlyingKey !== t.key) continue;
            if (t.time >= expiryInstant(o.market, o.expiry)) {
              this.activeOptions.delete(o.key);
              continue;
            }
            const top = this.optionTop(o);
            const trade: MarketTrade = { key: o.key, price: top.last, volume: Math.max(1, Math.floor(top.bidVol / 4)), time: t.time, top };
            listener(trade);
          }
        }),
    };
    const session = (engine as unknown as MarketView).tradingSession;
    if (typeof session === 'function') view.tradingSession = (m) => session.call(engine, m);
    return view;
  }
}

/** The day number of "yyyy-MM-dd", or a string naming the field when malformed. */
export function dayOf(text: string | undefined, field: string): number | string {
  const day = text === undefined ? undefined : parseDay(text.slice(0, 10));
  return day ?? `${field} must be "yyyy-MM-dd", got ${JSON.stringify(text)}`;
}
