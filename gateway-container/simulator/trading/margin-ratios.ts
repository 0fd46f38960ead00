// Trd_GetMarginRatio (2223): the margin data of a security, derived deterministically from the universe (its
// volatility and market capitalisation), since the simulator has no broker risk desk to ask.
//
// Futu's fields (Trd_GetMarginRatio.proto MarginRatioInfo; https://openapi.futunn.com/futu-api-doc/en/trade/get-margin-ratio.html):
// isLongPermit / isShortPermit (marginable / shortable), shortPoolRemain (shares left in the short pool),
// shortFeeRate (borrow rate), and the long/short ratios alert*, im* (initial), mcm* (margin call) and mm*
// (maintenance) — every ratio and rate is a percentage ("20 is equivalent to 20 %"). Interface limits: at most
// 100 securities per request, 10 requests per 30 s per user, and "only HK and US stocks can be queried" — the
// handler refuses indexes and A-shares (ETFs, listed and traded like stocks, are answered).
//
// The simulator's rules, chosen to be plausible and stable:
//   - A CASH account may neither borrow nor short: both permits are false (the ratios are still reported).
//   - Initial margin (long) = 80 % of the annual volatility in percent, plus 5 points for each market-cap tier
//     below mega cap (≥ US$100 bn: 0, ≥ US$10 bn: 1, smaller: 2), rounded up to 5, within 25–100. Maintenance =
//     80 % of it; margin call halfway between; alert three quarters of the way from maintenance to initial.
//   - Shorting only for US securities (as the simulator's ledger allows); the short side needs 1.2 × the long
//     initial margin (at least 30), a pool of 0.05 % of the shares outstanding in whole lots, and a borrow rate
//     of 10 × (volatility − 0.2) percent, at least 0.25 %.
// Invariant: the same security and account type always give the same answer, and the ratios are ordered
// im ≥ alert ≥ mcm ≥ mm on each side.
import type * as Trd_GetMarginRatio from '../../../proto/generated/Trd_GetMarginRatio.js';
import type { UniverseSecurity } from '../market/universe.js';
import { QOT_MARKET_BY_PREFIX } from '../../../proto/securities.js';

/** Why Futu would not answer margin data for this security, or undefined when it would. */
export function marginRatioRefusal(sec: UniverseSecurity): string | undefined {
  if (sec.market !== 'HK' && sec.market !== 'US') return `${sec.key}: margin data covers HK and US stocks only`;
  if (!sec.tradable) return `${sec.key} is an index: margin data covers HK and US stocks only`;
  return undefined;
}

const USD_PER_HKD = 1 / 7.8;
const USD_PER_CNY = 1 / 7.2;

const ceilTo = (v: number, step: number): number => Math.ceil(v / step - 1e-9) * step;
const r2 = (v: number): number => Math.round(v * 100) / 100;

function capTier(sec: UniverseSecurity): number {
  const shares = sec.equity?.outstandingShares ?? sec.trust?.outstandingUnits ?? 0;
  const fx = sec.currency === 'HKD' ? USD_PER_HKD : sec.currency === 'CNY' ? USD_PER_CNY : 1;
  const capUsd = shares * sec.basePrice * fx;
  return capUsd >= 100e9 ? 0 : capUsd >= 10e9 ? 1 : 2;
}

/** The four ratios of one side, from its initial margin. */
function ladder(im: number): { im: number; alert: number; mcm: number; mm: number } {
  const mm = r2(im * 0.8);
  return { im, alert: r2(mm + (im - mm) * 0.75), mcm: r2(mm + (im - mm) * 0.5), mm };
}

export function marginRatioInfo(sec: UniverseSecurity, account: { isMargin: boolean }): Trd_GetMarginRatio.MarginRatioInfo {
  // A Qot_Common.Security: the quote market (US = 11), not the trade-side TrdSecMarket.
  const security = { market: QOT_MARKET_BY_PREFIX[sec.market], code: sec.code };
  const long = ladder(Math.min(100, Math.max(25, ceilTo(sec.annualVolatility * 100 * 0.8 + 5 * capTier(sec), 5))));
  const shortable = sec.market === 'US';
  const short = ladder(Math.min(100, Math.max(30, ceilTo(long.im * 1.2, 5))));
  const shares = sec.equity?.outstandingShares ?? sec.trust?.outstandingUnits ?? 0;
  const pool = shortable ? Math.floor((shares * 0.0005) / sec.lotSize) * sec.lotSize : 0;
  const info: Trd_GetMarginRatio.MarginRatioInfo = {
    security,
    isLongPermit: account.isMargin,
    isShortPermit: account.isMargin && shortable,
    shortPoolRemain: pool,
  };
  Object.assign(info, { imLongRatio: long.im, alertLongRatio: long.alert, mcmLongRatio: long.mcm, mmLongRatio: long.mm });
  if (shortable) {
    Object.assign(info, {
      shortFeeRate: Math.max(0.25, r2((sec.annualVolatility - 0.2) * 10)),
      imShortRatio: short.im,
      alertShortRatio: short.alert,
      mcmShortRatio: short.mcm,
      mmShortRatio: short.mm,
    });
  }
  return info;
}
