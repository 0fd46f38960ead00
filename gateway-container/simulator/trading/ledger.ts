// The money side of the paper-trading engine: what open orders reserve (frozen cash, short-sell power,
// pending sells and covers), valuation at the last price, buying power, the capacity check every order
// passes before it is accepted, the role an order plays for the position (open/close long/short and the
// short-selling rules), and the Trd_GetFunds / Trd_GetPositionList / Trd_GetMaxTrdQtys answers. Reads the
// engine's accounts and open orders; changes nothing.
// Fees: REAL accounts pay fees on fills (fees.ts), so every opening order also sets aside its estimated fees
// (`feeHeld`), the capacity check counts them, and the maximum quantities leave room for them: a cash account
// that spends all it can is still not overdrawn by the fees of that order.
import * as Trd_Common from '../../../proto/generated/Trd_Common.js';
import type * as Trd_GetMaxTrdQtys from '../../../proto/generated/Trd_GetMaxTrdQtys.js';
import type { MarketView, SecurityFacts, TopOfBook } from '../market-view.js';
import { emptyToday, type AccountState, type PositionState } from './accounts.js';
import { estimateOrderFeeCents, feeSubjectOf, fromCents } from './fees.js';
import { isFuture, maySellShort, multiplierOf, orderCommitment, positionMargin } from './derivatives.js';
import { TradingError } from './errors.js';
import { isBuy, matchesCode, WORKING, type OrderState, type Role } from './records.js';
import {
  convert,
  currencyEnum,
  currencyFromEnum,
  formatMoney,
  localDate,
  MARKET_TIME_ZONE,
  roundMoney,
  secMarketEnum,
  securityCurrency,
  trdMarketsFor,
  truncateTo,
  type CashCurrency,
} from './util.js';
import { checkOrderType, checkPrice, floorLots, LIMIT_TYPES, PRICE_DECIMALS, resolveSecurity } from './validation.js';

const { TrdSide } = Trd_Common;

interface Reservations {
  /** Cash frozen by open buy orders, per currency. */
  frozen: Map<CashCurrency, number>;
  /** Buying power held by open short-sell orders, per currency. */
  shortHeld: Map<CashCurrency, number>;
  /** Estimated fees of the remaining qty of open opening orders of REAL accounts, per currency. */
  feeHeld: Map<CashCurrency, number>;
  /** Remaining qty of open sell orders closing a long, per security key. */
  pendingSell: Map<string, number>;
  /** Remaining qty of open buy orders covering a short, per security key. */
  pendingCover: Map<string, number>;
}

const add = <K>(m: Map<K, number>, k: K, v: number): void => {
  m.set(k, (m.get(k) ?? 0) + v);
};
/** Funds and positions carry 3 decimals. */
const r3 = (v: number): number => {
  const r = Math.round(v * 1000) / 1000;
  return r === 0 ? 0 : r;
};

export class Ledger {
  constructor(
    private readonly market: MarketView,
    /** The engine's set of orders that are not final; read live. */
    private readonly open: ReadonlySet<OrderState>,
    private readonly now: () => number,
  ) {}

  /** Trd_GetFunds of an account, in `currency` (default: the account's base currency). */
  funds(acc: AccountState, currency?: number): Trd_Common.Funds {
    const cur = currency === undefined || currency === Trd_Common.Currency.UNKNOWN ? acc.baseCurrency : currencyFromEnum(currency);
    const res = this.reservations(acc);
    const v = this.valuation(acc, cur);
    let frozen = 0;
    for (const [c, x] of res.frozen) frozen += convert(x, c, cur);
    const power = this.buyingPower(acc, cur, res);
    const freeCash = Math.max(0, v.cash - frozen);
    const cashInfoList: Trd_Common.AccCashInfo[] = [...acc.cash].map(([c, x]) => {
      const avail = x - (res.frozen.get(c) ?? 0);
      return { currency: currencyEnum(c), cash: r3(x), availableBalance: r3(avail), netCashPower: r3(Math.max(0, avail)) };
    });
    const marketInfoList: Trd_Common.AccMarketInfo[] = acc.markets.map((m) => ({ trdMarket: m, assets: r3(v.mvByTrdMarket.get(m) ?? 0) }));
    const gross = v.longMv + v.shortMv;
    // Futures: the notional is no asset; equity counts their open P&L, and their margin is per contract.
    const equity = v.cash + v.longMv - v.shortMv + v.futuresPL;
    return {
      power: r3(power),
      totalAssets: r3(equity),
      cash: r3(v.cash),
      marketVal: r3(v.longMv - v.shortMv),
      frozenCash: r3(frozen),
      debtCash: r3(v.debt),
      avlWithdrawalCash: r3(freeCash),
      currency: currencyEnum(cur),
      unrealizedPL: r3(v.unrealizedPL),
      realizedPL: r3(v.realizedPL),
      riskLevel: Trd_Common.CltRiskLevel.SAFE,
      riskStatus: Trd_Common.CltRiskStatus.LEVEL1,
      initialMargin: r3((acc.isMargin && !acc.isFutures ? gross / acc.leverage : 0) + v.futuresInitialMargin),
      maintenanceMargin: r3((acc.isMargin && !acc.isFutures ? gross / acc.leverage / 2 : 0) + v.futuresMaintenanceMargin),
      cashInfoList,
      maxPowerShort: r3(acc.allowShort && acc.marketNames.includes('US') ? power : 0),
      netCashPower: r3(freeCash),
      longMv: r3(v.longMv),
      shortMv: r3(v.shortMv),
      pendingAsset: 0,
      maxWithdrawal: r3(freeCash),
      securitiesAssets: r3(acc.isFutures ? 0 : equity),
      fundAssets: 0,
      bondAssets: 0,
      marketInfoList,
    };
  }

  /**
   * Positions: open ones, plus ones closed today. Filters: codeList ("00700" or "HK.00700"), idList
   * (positionID), filterMarket, and the P&L ratio range of Trd_GetPositionList (percent, exclusive).
   */
  positions(acc: AccountState, filter?: Trd_Common.TrdFilterConditions, plRatio?: { min?: number; max?: number }): Trd_Common.Position[] {
    const res = this.reservations(acc);
    const out: Trd_Common.Position[] = [];
    for (const pos of acc.positions.values()) {
      const tz = MARKET_TIME_ZONE[pos.market];
      const today = localDate(this.now(), tz);
      if (pos.qty === 0 && pos.today.date !== today) continue;
      const p = this.toPosition(acc, pos, res, today);
      if (!matchesCode(filter?.codeList, pos.market, pos.code)) continue;
      if (filter?.idList?.length && !filter.idList.includes(pos.positionID)) continue;
      if (filter?.filterMarket && p.trdMarket !== filter.filterMarket) continue;
      if (plRatio?.min !== undefined && !(p.plRatio !== undefined && p.plRatio > plRatio.min)) continue;
      if (plRatio?.max !== undefined && !(p.plRatio !== undefined && p.plRatio < plRatio.max)) continue;
      out.push(p);
    }
    return out;
  }

  /** Trd_GetMaxTrdQtys: whole-lot quantities; with orderID/orderIDEx the order's own reservation counts as free. */
  maxTrdQtys(acc: AccountState, c2s: Trd_GetMaxTrdQtys.C2S, exclude: OrderState | undefined): Trd_Common.MaxTrdQtys {
    const { sec, key } = resolveSecurity(this.market, c2s.header.trdMarket, c2s.code, c2s.secMarket);
    const type = checkOrderType(acc, sec, c2s.orderType);
    const top = this.market.top(key);
    let price: number;
    if (LIMIT_TYPES.has(type)) {
      price = checkPrice(c2s.price, sec, c2s);
    } else {
      price = c2s.price > 0 ? truncateTo(c2s.price, PRICE_DECIMALS) : top?.ask || top?.last || 0;
      if (!(price > 0)) throw new TradingError(`price is required: there is no quote for ${key} to estimate a market order`);
    }
    const res = this.reservations(acc, exclude);
    const cur = securityCurrency(sec);
    const lot = sec.lotSize;
    const held = acc.positions.get(key)?.qty ?? 0;
    // What one unit holds of the account's money: a futures contract its margin, others price × multiplier.
    const unit = orderCommitment(sec, 1, price);
    const fits = (budget: number, buy: boolean) => this.maxAffordable(acc, sec, buy, budget, unit, price, lot);

    let ownCash: number;
    if (acc.isMargin) {
      ownCash = 0;
      for (const [c, x] of acc.cash) ownCash += convert(x - (res.frozen.get(c) ?? 0) - (res.feeHeld.get(c) ?? 0), c, cur);
    } else {
      ownCash = acc.cashIn(cur) - (res.frozen.get(cur) ?? 0) - (res.feeHeld.get(cur) ?? 0);
    }
    const power = this.buyingPower(acc, cur, res);
    const maxCashBuy = held < 0 ? 0 : fits(ownCash, true);
    const out: Trd_Common.MaxTrdQtys = {
      maxCashBuy,
      maxCashAndMarginBuy: held < 0 ? 0 : acc.isMargin ? fits(power, true) : maxCashBuy,
      maxPositionSell: held > 0 ? floorLots(held - (res.pendingSell.get(key) ?? 0), lot) : 0,
      maxSellShort: held <= 0 && this.shortBlocker(acc, sec) === undefined ? fits(power, false) : 0,
      maxBuyBack: held < 0 ? floorLots(-held - (res.pendingCover.get(key) ?? 0), lot) : 0,
    };
    if (c2s.session !== undefined) out.session = c2s.session;
    return out;
  }

  /** Estimated fees (currency units) of an order of `qty` at `price`; 0 for paper accounts, which pay none. */
  private feeEstimate(acc: AccountState, sec: SecurityFacts, buy: boolean, qty: number, price: number): number {
    if (acc.envName !== 'REAL') return 0;
    return fromCents(estimateOrderFeeCents(feeSubjectOf(sec, buy), qty, price));
  }

  /**
   * The most whole lots whose commitment (`unit` each) plus estimated fees fit in `budget`. Fees only grow with
   * the quantity, so the largest fitting count is found by bisection below the fee-free bound.
   */
  private maxAffordable(acc: AccountState, sec: SecurityFacts, buy: boolean, budget: number, unit: number, price: number, lot: number): number {
    const bound = floorLots(Math.max(0, budget) / unit, lot) / lot;
    const fit = (lots: number) => lots * lot * unit + this.feeEstimate(acc, sec, buy, lots * lot, price) <= budget + 1e-6;
    if (bound === 0 || fit(bound)) return bound * lot;
    let lo = 0;
    let hi = bound; // fit(lo) holds (0 lots cost nothing), fit(hi) does not
    while (hi - lo > 1) {
      const mid = Math.floor((lo + hi) / 2);
      if (fit(mid)) lo = mid;
      else hi = mid;
    }
    return lo * lot;
  }

  /** Decides whether an order opens or closes a long or short position, and enforces the short rules. */
  roleFor(acc: AccountState, sec: SecurityFacts, side: number, qty: number): Role {
    const held = acc.positions.get(sec.key)?.qty ?? 0;
    switch (side) {
      case TrdSide.BUY:
        return held < 0 ? 'close-short' : 'open-long';
      case TrdSide.BUY_BACK:
        if (held >= 0) throw new TradingError(`BUY_BACK needs a short position in ${sec.key}; holding ${held}`);
        return 'close-short';
      case TrdSide.SELL_SHORT:
        if (held > 0) throw new TradingError(`sell the long position of ${sec.key} (${held}) before SELL_SHORT`);
        break;
      default:
        if (held > 0) return 'close-long';
    }
    const blocker = this.shortBlocker(acc, sec);
    if (blocker) {
      throw new TradingError(`insufficient position to sell: holding ${held} of ${sec.key}, order qty ${qty}; ${blocker}`);
    }
    return 'open-short';
  }

  /** Why this account may not short this security, or undefined if it may. */
  private shortBlocker(acc: AccountState, sec: SecurityFacts): string | undefined {
    if (maySellShort(sec)) return undefined;
    if (sec.market !== 'US') {
      return acc.envName === 'SIMULATE'
        ? 'short selling is only allowed for US securities in paper trading'
        : 'the simulator allows short selling only for US securities';
    }
    if (!acc.allowShort) return 'short selling needs a margin account';
    return undefined;
  }

  reservePrice(
    orderType: number,
    side: number,
    price: number,
    auxPrice: number | undefined,
    top: TopOfBook | undefined,
    key: string,
  ): number {
    if (LIMIT_TYPES.has(orderType)) return price;
    if (auxPrice !== undefined) return auxPrice;
    const est = (isBuy(side) ? top?.ask : top?.bid) || top?.last || 0;
    if (!(est > 0)) throw new TradingError(`no quote for ${key} yet: market orders need a live order book`);
    return est;
  }

  reservations(acc: AccountState, exclude?: OrderState): Reservations {
    const r: Reservations = { frozen: new Map(), shortHeld: new Map(), feeHeld: new Map(), pendingSell: new Map(), pendingCover: new Map() };
    for (const o of this.open) {
      if (o.acc !== acc || o === exclude || !WORKING.has(o.status)) continue;
      const left = o.qty - o.fillQty;
      const cur = securityCurrency(o.sec);
      switch (o.role) {
        case 'open-long':
          add(r.frozen, cur, orderCommitment(o.sec, left, o.reservePrice));
          add(r.feeHeld, cur, this.feeEstimate(acc, o.sec, true, left, o.reservePrice));
          break;
        case 'open-short':
          // A futures short holds margin like a long; a short of anything else holds buying power.
          add(isFuture(o.sec) ? r.frozen : r.shortHeld, cur, orderCommitment(o.sec, left, o.reservePrice));
          add(r.feeHeld, cur, this.feeEstimate(acc, o.sec, false, left, o.reservePrice));
          break;
        case 'close-long':
          add(r.pendingSell, o.sec.key, left);
          break;
        case 'close-short':
          add(r.pendingCover, o.sec.key, left);
          break;
      }
    }
    return r;
  }

  private lastPrice(key: string, fallback: number): number {
    const last = this.market.top(key)?.last;
    return last !== undefined && last > 0 ? last : fallback;
  }

  /** Cash, market values and P&L of an account in currency `cur`. */
  private valuation(acc: AccountState, cur: CashCurrency) {
    let cash = 0;
    let debt = 0;
    for (const [c, x] of acc.cash) {
      cash += convert(x, c, cur);
      if (x < 0) debt += convert(-x, c, cur);
    }
    let longMv = 0;
    let shortMv = 0;
    let unrealizedPL = 0;
    let realizedPL = 0;
    let futuresPL = 0;
    let futuresInitialMargin = 0;
    let futuresMaintenanceMargin = 0;
    const mvByTrdMarket = new Map<number, number>();
    for (const pos of acc.positions.values()) {
      const sec = this.market.security(pos.key);
      const mult = multiplierOf(sec);
      const price = this.lastPrice(pos.key, pos.avgCost);
      const open = convert((price - pos.avgCost) * pos.qty * mult, pos.currency, cur);
      unrealizedPL += open;
      realizedPL += convert(pos.realizedPL * mult, pos.currency, cur);
      if (isFuture(sec)) {
        futuresPL += open;
        const m = positionMargin(sec, pos.qty);
        futuresInitialMargin += convert(m.initial, pos.currency, cur);
        futuresMaintenanceMargin += convert(m.maintenance, pos.currency, cur);
        add(mvByTrdMarket, this.positionTrdMarket(acc, pos), open);
        continue;
      }
      const mv = convert(pos.qty * price * mult, pos.currency, cur);
      if (mv > 0) longMv += mv;
      else shortMv -= mv;
      add(mvByTrdMarket, this.positionTrdMarket(acc, pos), mv);
    }
    return { cash, debt, longMv, shortMv, unrealizedPL, realizedPL, mvByTrdMarket, futuresPL, futuresInitialMargin, futuresMaintenanceMargin };
  }

  /**
   * Buying power in `cur`. CASH accounts: that currency's cash minus what open buys froze (no FX).
   * MARGIN accounts: leverage × equity − gross market value − reservations of open orders, all currencies.
   * Both less the estimated fees open orders set aside (fees are cash, never leveraged).
   */
  private buyingPower(acc: AccountState, cur: CashCurrency, res: Reservations): number {
    if (!acc.isMargin) return Math.max(0, acc.cashIn(cur) - (res.frozen.get(cur) ?? 0) - (res.feeHeld.get(cur) ?? 0));
    const v = this.valuation(acc, cur);
    let fees = 0;
    for (const [c, x] of res.feeHeld) fees += convert(x, c, cur);
    if (acc.isFutures) {
      // Futures accounts: equity (cash + open futures P&L) less the initial margin of positions and open orders.
      let held = 0;
      for (const [c, x] of res.frozen) held += convert(x, c, cur);
      return Math.max(0, v.cash + v.futuresPL - v.futuresInitialMargin - held - fees);
    }
    let reserved = fees;
    for (const [c, x] of res.frozen) reserved += convert(x, c, cur);
    for (const [c, x] of res.shortHeld) reserved += convert(x, c, cur);
    const equity = v.cash + v.longMv - v.shortMv;
    return Math.max(0, acc.leverage * equity - (v.longMv + v.shortMv) - reserved);
  }

  /** Throws unless the account can take `qty` more of this role at `price` (ignoring `exclude`'s reservation). */
  checkCapacity(acc: AccountState, sec: SecurityFacts, role: Role, qty: number, price: number, exclude?: OrderState): void {
    const res = this.reservations(acc, exclude);
    const cur = securityCurrency(sec);
    const held = acc.positions.get(sec.key)?.qty ?? 0;
    const opening = role === 'open-long' || role === 'open-short';
    // An opening order needs its estimated fees on top of what it commits (cash, premium or margin).
    const fees = opening ? this.feeEstimate(acc, sec, role === 'open-long', qty, price) : 0;
    const need = orderCommitment(sec, qty, price) + fees;
    if (isFuture(sec) && opening) {
      const power = this.buyingPower(acc, cur, res);
      if (need > power + 1e-6) {
        const what = fees > 0 ? `initial margin ${formatMoney(need - fees)} ${cur} + estimated fees ${formatMoney(fees)}` : `initial margin ${formatMoney(need)}`;
        throw new TradingError(`insufficient margin: ${qty} ${sec.key} need ${what} ${cur}, available ${formatMoney(power)} ${cur}`);
      }
      return;
    }
    switch (role) {
      case 'open-long': {
        if (acc.isMargin) {
          const power = this.buyingPower(acc, cur, res);
          if (need > power + 1e-6) {
            throw new TradingError(`insufficient buying power: need ${formatMoney(need)} ${cur}, available ${formatMoney(power)} ${cur}`);
          }
        } else {
          const feeHeld = res.feeHeld.get(cur) ?? 0;
          const frozen = (res.frozen.get(cur) ?? 0) + feeHeld;
          const avail = Math.max(0, acc.cashIn(cur) - frozen);
          if (need > avail + 1e-6) {
            throw new TradingError(
              `insufficient cash: need ${formatMoney(need)} ${cur}, available ${formatMoney(avail)} ${cur}` +
                (frozen > 0 ? ` (${formatMoney(frozen)} ${cur} is frozen by open buy orders${feeHeld > 0 ? ' and their estimated fees' : ''})` : ''),
            );
          }
        }
        return;
      }
      case 'open-short': {
        const power = this.buyingPower(acc, cur, res);
        if (need > power + 1e-6) {
          throw new TradingError(`insufficient buying power to sell short: need ${formatMoney(need)} ${cur}, available ${formatMoney(power)} ${cur}`);
        }
        return;
      }
      case 'close-long': {
        const pending = res.pendingSell.get(sec.key) ?? 0;
        const sellable = Math.max(0, held - pending);
        if (qty > sellable) {
          throw new TradingError(
            `insufficient position to sell: order qty ${qty} of ${sec.key} but only ${sellable} sellable ` +
              `(holding ${held}, ${pending} in open sell orders)`,
          );
        }
        return;
      }
      case 'close-short': {
        const pending = res.pendingCover.get(sec.key) ?? 0;
        const coverable = Math.max(0, -held - pending);
        if (qty > coverable) {
          throw new TradingError(
            `buy qty ${qty} exceeds the short position to cover in ${sec.key} (short ${-held}, ${pending} in open buy orders); ` +
              'buy back the short first, then buy long',
          );
        }
        return;
      }
    }
  }

  private positionTrdMarket(acc: AccountState, pos: PositionState): number {
    if (acc.isFutures) return acc.markets.find((m) => m !== Trd_Common.TrdMarket.FUTURES) ?? acc.markets[0]!;
    const options = trdMarketsFor(pos.market);
    return options.find((m) => acc.markets.includes(m)) ?? options[0] ?? Trd_Common.TrdMarket.UNKNOWN;
  }

  private toPosition(acc: AccountState, pos: PositionState, res: Reservations, today: string): Trd_Common.Position {
    const facts = this.market.security(pos.key);
    const mult = multiplierOf(facts);
    const price = this.lastPrice(pos.key, pos.avgCost);
    const qty = pos.qty;
    // Prices are per contract; values scale by the contract multiplier (1 for stocks).
    const val = qty * price * mult;
    const plVal = val - pos.costTotal * mult;
    const diluted = qty !== 0 ? pos.costTotal / qty : 0;
    const unrealized = (price - pos.avgCost) * qty * mult;
    const td = pos.today.date === today ? pos.today : emptyToday(today);
    const p: Trd_Common.Position = {
      positionID: pos.positionID,
      positionSide: qty < 0 ? Trd_Common.PositionSide.SHORT : Trd_Common.PositionSide.LONG,
      code: pos.code,
      name: facts?.name ?? pos.code,
      qty,
      canSellQty: qty > 0 ? Math.max(0, qty - (res.pendingSell.get(pos.key) ?? 0)) : 0,
      price: r3(price),
      costPrice: diluted,
      val: r3(val),
      plVal: r3(plVal),
      secMarket: secMarketEnum(pos.market),
      td_trdVal: r3((td.buyVal + td.sellVal) * mult),
      td_buyVal: r3(td.buyVal * mult),
      td_buyQty: td.buyQty,
      td_sellVal: r3(td.sellVal * mult),
      td_sellQty: td.sellQty,
      unrealizedPL: r3(unrealized),
      realizedPL: r3(pos.realizedPL * mult),
      currency: currencyEnum(pos.currency),
      trdMarket: this.positionTrdMarket(acc, pos),
      dilutedCostPrice: diluted,
      accID: acc.accID,
    };
    if (qty !== 0 && diluted > 0) p.plRatio = (plVal / (Math.abs(qty) * diluted * mult)) * 100;
    // Futu: the average cost price does not apply to paper-trading securities accounts.
    if (acc.envName === 'REAL' && qty !== 0) {
      p.averageCostPrice = pos.avgCost;
      if (pos.avgCost > 0) p.averagePlRatio = (unrealized / (Math.abs(qty) * pos.avgCost * mult)) * 100;
    }
    return p;
  }
}
