// Request validation shared by PlaceOrder, ModifyOrder and GetMaxTrdQtys: security resolution, side,
// time in force per environment (order types: order-types.ts), quantity in whole lots, price precision and the tick
// ladder (with OpenD's adjustPrice / adjustSideAndLimit), and the remark length.
import * as Trd_Common from '../../../proto/generated/Trd_Common.js';
import type { MarketView, SecurityFacts, SecurityMarket } from '../market-view.js';
import { formatPrice, isOnTick, isWholeLots, snapToTick, tickSize, toUnits } from '../ticks.js';
import type { AccountState } from './accounts.js';
import { TradingError } from './errors.js';
import { futuresSecurityMarket, isDerivativeCode, isFuturesTrdMarket, tradableUnder } from './derivatives.js';
import { formatPercent, nameOf, securityMarketOf, trdMarketsFor, truncateTo } from './util.js';

const { OrderType, TrdSide, TimeInForce, TrdMarket, TrdSecMarket } = Trd_Common;

export const MAX_REMARK_BYTES = 64;
/** Securities accounts: prices carry 3 decimals, extra digits are truncated (OpenD's rule). */
export const PRICE_DECIMALS = 3;

// The order-type rules (which types per market and environment, what each needs) live in order-types.ts.
export { checkOrderType, IMMEDIATE_TYPES, LIMIT_TYPES, TRIGGER_TYPES } from './order-types.js';
import { IMMEDIATE_TYPES } from './order-types.js';

export interface ResolvedSecurity {
  sec: SecurityFacts;
  key: string;
}

/**
 * Finds the security from `code` plus `secMarket` (or, without it, the header's trdMarket) and checks that
 * the account's market may trade it.
 */
export function resolveSecurity(market: MarketView, trdMarket: number, code: string, secMarket?: number): ResolvedSecurity {
  if (typeof code !== 'string' || code.trim() === '') throw new TradingError('code is required');
  let m: SecurityMarket | undefined;
  if (secMarket !== undefined && secMarket !== TrdSecMarket.UNKNOWN) {
    m = securityMarketOf(secMarket);
    if (!m) {
      throw new TradingError(`secMarket ${nameOf(TrdSecMarket, secMarket)} is not supported by the simulator; use HK, US, CN_SH or CN_SZ`);
    }
  } else if (trdMarket === TrdMarket.HK) {
    m = 'HK';
  } else if (trdMarket === TrdMarket.US) {
    m = 'US';
  } else if (trdMarket === TrdMarket.CN || trdMarket === TrdMarket.HKCC) {
    m = /^[69]/.test(code) ? 'SH' : 'SZ';
  } else if (isFuturesTrdMarket(trdMarket)) {
    m = futuresSecurityMarket(trdMarket, code);
  } else {
    throw new TradingError(`trdMarket ${nameOf(TrdMarket, trdMarket)} is not supported by the simulator`);
  }
  const key = `${m}.${code}`;
  const sec = market.security(key);
  if (sec && !sec.tradable) {
    throw new TradingError(`${key} (${sec.name}) ${sec.secType === 6 ? 'is an index and ' : ''}cannot be traded`);
  }
  if (m === 'HK' && !/^\d{5}$/.test(code) && !isDerivativeCode(m, code)) {
    throw new TradingError(`code "${code}" is invalid: HK codes must be 5 digits (e.g. "00700"), without a market prefix`);
  }
  if ((m === 'SH' || m === 'SZ') && !/^\d{6}$/.test(code)) {
    throw new TradingError(`code "${code}" is invalid: A-share codes must be 6 digits (e.g. "600519")`);
  }
  if (!tradableUnder(sec, m, trdMarket)) {
    throw new TradingError(`security ${m}.${code} cannot be traded under trdMarket ${nameOf(TrdMarket, trdMarket)}`);
  }
  if (!sec) throw new TradingError(`unknown stock ${key}: not in the simulator's security list`);
  return { sec, key };
}

export function checkSide(acc: AccountState, sec: SecurityFacts, side: number): number {
  if (side === TrdSide.BUY || side === TrdSide.SELL) return side;
  if (side === TrdSide.SELL_SHORT || side === TrdSide.BUY_BACK) {
    if (acc.envName === 'SIMULATE') {
      throw new TradingError(
        `trdSide ${nameOf(TrdSide, side)} is not accepted in paper trading: use BUY or SELL (selling without a position shorts US securities)`,
      );
    }
    if (sec.market !== 'US') {
      throw new TradingError(`trdSide ${nameOf(TrdSide, side)} is only supported for US securities`);
    }
    return side;
  }
  throw new TradingError(`trdSide ${nameOf(TrdSide, side)} is invalid: use BUY or SELL`);
}

export function checkTimeInForce(acc: AccountState, type: number, tif: number | undefined): number {
  const v = tif ?? TimeInForce.DAY;
  if (acc.envName === 'SIMULATE') {
    if (v !== TimeInForce.DAY) {
      throw new TradingError(`timeInForce ${nameOf(TimeInForce, v)} is not supported: paper trading supports only DAY orders`);
    }
    return v;
  }
  if (v !== TimeInForce.DAY && v !== TimeInForce.GTC) {
    throw new TradingError(`timeInForce ${nameOf(TimeInForce, v)} is not supported by the simulator; use DAY or GTC`);
  }
  if (v === TimeInForce.GTC && IMMEDIATE_TYPES.has(type)) {
    throw new TradingError(`timeInForce GTC is not allowed for ${nameOf(OrderType, type)} orders; use DAY`);
  }
  return v;
}

/** Truncates to whole units (OpenD drops the decimals) and checks whole lots. */
export function checkQty(raw: number, sec: SecurityFacts, field = 'qty'): number {
  if (typeof raw !== 'number' || !Number.isFinite(raw) || raw <= 0) {
    throw new TradingError(`${field} must be a positive number, got ${String(raw)}`);
  }
  const qty = truncateTo(raw, 0);
  if (qty <= 0) throw new TradingError(`${field} ${raw} is less than 1 after dropping the decimals`);
  if (!isWholeLots(qty, sec.lotSize)) {
    throw new TradingError(`${field} ${qty} is not a multiple of the lot size ${sec.lotSize} for ${sec.key}`);
  }
  return qty;
}

export interface PriceAdjust {
  adjustPrice?: boolean;
  adjustSideAndLimit?: number;
}

/**
 * Truncates to 3 decimals, then checks the tick ladder. With adjustPrice and a non-zero adjustSideAndLimit
 * an off-tick price is snapped up (> 0) or down (< 0) if the move stays within |adjustSideAndLimit|.
 */
export function checkPrice(raw: number | undefined, sec: SecurityFacts, adjust: PriceAdjust = {}, field = 'price'): number {
  if (raw === undefined || typeof raw !== 'number' || !Number.isFinite(raw) || raw <= 0) {
    throw new TradingError(`${field} must be greater than 0 for this order type, got ${raw === undefined ? 'none' : String(raw)}`);
  }
  const price = truncateTo(raw, PRICE_DECIMALS);
  if (price <= 0) throw new TradingError(`${field} ${raw} is 0 after truncation to ${PRICE_DECIMALS} decimals`);
  const rule = sec.tickRule;
  if (isOnTick(rule, price)) return price;

  const tick = tickSize(rule, price);
  const down = snapToTick(rule, price, 'down');
  const up = snapToTick(rule, price, 'up');
  const base =
    `${field} ${formatPrice(price)} is not on the ${rule} tick ladder (tick ${formatPrice(tick)} at this price); ` +
    `valid neighbours ${down > 0 ? formatPrice(down) : '(none)'} and ${formatPrice(up)}`;
  const limit = adjust.adjustSideAndLimit ?? 0;
  if (!adjust.adjustPrice || limit === 0 || !Number.isFinite(limit)) {
    throw new TradingError(`${base}; pass adjustPrice with adjustSideAndLimit to have it adjusted`);
  }
  const target = limit > 0 ? up : down;
  if (!(target > 0)) throw new TradingError(`${base}; cannot adjust down below the smallest tick`);
  const move = Math.abs(toUnits(target) - toUnits(price)) / toUnits(price);
  if (move > Math.abs(limit) + 1e-12) {
    throw new TradingError(
      `${base}; adjusting ${limit > 0 ? 'up' : 'down'} to ${formatPrice(target)} moves it ${formatPercent(move)}, ` +
        `beyond adjustSideAndLimit ${limit} (${formatPercent(Math.abs(limit))})`,
    );
  }
  return target;
}

export function checkRemark(remark: string | undefined): string {
  if (remark === undefined) return '';
  const bytes = Buffer.byteLength(remark, 'utf8');
  if (bytes > MAX_REMARK_BYTES) {
    throw new TradingError(`remark is ${bytes} bytes in UTF-8; at most ${MAX_REMARK_BYTES} bytes are allowed`);
  }
  return remark;
}

/** Rounds a quantity down to whole lots. */
export function floorLots(qty: number, lotSize: number): number {
  if (!(qty > 0)) return 0;
  return Math.floor(qty / lotSize + 1e-9) * lotSize;
}
