// Warrants and CBBCs (Qot_GetWarrant 3210) and an underlying's related warrants (Qot_GetReference 3206) over the
// structured products of market/warrants.ts, priced from the live underlying. Futu's filter semantics: every
// given condition must hold; a range is closed and a missing bound is unbounded; delta and implied volatility
// filters apply to call/put warrants only, recovery price and price-to-recovery to CBBCs only (the other types
// never match such a filter); values are compared truncated to 3 decimals. Sorted by sortField (then code) and
// paged by begin + num (1..200) with allCount and lastPage.
import * as Qot_Common from '../../../proto/generated/Qot_Common.js';
import { ReferenceType } from '../../../proto/generated/Qot_GetReference.js';
import type * as Qot_GetWarrant from '../../../proto/generated/Qot_GetWarrant.js';
import { PROTO_ID } from '../../../proto/registry.js';
import { hash32 } from '../../../proto/seeded-random.js';
import { stepTicks } from '../../../proto/ticks.js';
import { DAY_MS, fromLocalMs, localDay, parseDay } from '../market/calendars.js';
import type { MarketEngine } from '../market/engine.js';
import { buildWarrants, priceWarrant, type WarrantTerms } from '../market/warrants.js';
import { SimError, type OpenDSimulator } from '../server.js';
import { knownSecurity } from './known-security.js';
import { checkPage, pageOf } from './paging.js';

const WT = Qot_Common.WarrantType;
const SF = Qot_Common.SortField;
const HK = Qot_Common.QotMarket.HK_SECURITY;
const trunc3 = (v: number) => Math.trunc(v * 1000) / 1000;
const r3 = (v: number) => Math.round(v * 1000) / 1000;

type Row = Qot_GetWarrant.WarrantData & { terms: WarrantTerms };

/** Sort fields the simulator can order by, and the value each reads. */
const SORTS: ReadonlyMap<number, (r: Row) => number | string> = new Map<number, (r: Row) => number | string>([
  [SF.CODE, (r) => r.stock.code],
  [SF.CUR_PRICE, (r) => r.curPrice],
  [SF.PRICE_CHANGE_VAL, (r) => r.priceChangeVal],
  [SF.CHANGE_RATE, (r) => r.changeRate],
  [SF.STATUS, (r) => r.status],
  [SF.VOLUME, (r) => Number(r.volume)],
  [SF.TURNOVER, (r) => r.turnover],
  [SF.SCORE, (r) => r.score],
  [SF.PREMIUM, (r) => r.premium],
  [SF.EFFECTIVE_LEVERAGE, (r) => r.effectiveLeverage],
  [SF.LEVERAGE, (r) => r.leverage],
  [SF.DELTA, (r) => r.delta ?? Number.NaN],
  [SF.IMPLIED_VOLATILITY, (r) => r.impliedVolatility ?? Number.NaN],
  [SF.TYPE, (r) => r.type],
  [SF.STRIKE_PRICE, (r) => r.strikePrice],
  [SF.BREAK_EVEN_POINT, (r) => r.breakEvenPoint],
  [SF.MATURITY_TIME, (r) => r.maturityTime],
  [SF.LIST_TIME, (r) => r.listTime],
  [SF.LAST_TRADE_TIME, (r) => r.lastTradeTime],
  [SF.IN_OUT_MONEY, (r) => r.ipop],
  [SF.RECOVERY_PRICE, (r) => r.recoveryPrice ?? Number.NaN],
  [SF.STREET_RATE, (r) => r.streetRate],
  [SF.STREET_VOL, (r) => Number(r.streetVol)],
  [SF.ISSUER, (r) => r.issuer],
  [SF.LOT_SIZE, (r) => r.lotSize],
  [SF.ISSUE_SIZE, (r) => Number(r.issueSize)],
]);
const SORT_NAMES = Object.entries(SF).filter(([, v]) => SORTS.has(v)).map(([k, v]) => `${k} (${v})`).join(', ');

export function registerWarrantHandlers(sim: OpenDSimulator, market: MarketEngine): { products: readonly WarrantTerms[] } {
  const products = buildWarrants(market.securities());
  const stamp = (date: string) => fromLocalMs('HK', parseDay(date)! * DAY_MS) / 1000;

  /** Every product not yet expired at `today`, with its live figures. */
  const rows = (today: number): Row[] =>
    products
      .filter((w) => parseDay(w.maturityDate)! >= today)
      .map((w) => {
        const q = market.basicQot(w.owner.key);
        const spot = q?.curPrice ?? w.owner.basePrice;
        const years = (parseDay(w.maturityDate)! - today) / 365;
        const now = priceWarrant(w, spot, years);
        const prev = priceWarrant(w, q?.lastClosePrice ?? spot, years + 1 / 365);
        const hi = priceWarrant(w, q?.highPrice || spot, years).price;
        const lo = priceWarrant(w, q?.lowPrice || spot, years).price;
        const cbbc = w.type === WT.BULL || w.type === WT.BEAR;
        const call = w.type === WT.BUY || w.type === WT.BULL;
        const paid = now.price * w.conversionRatio;
        const breakEven = call ? w.strike + paid : w.strike - paid;
        const listed = parseDay(w.listDate)! <= today;
        const status = !listed ? Qot_Common.WarrantStatus.PENDING_LISTING : now.called || parseDay(w.lastTradeDate)! < today ? Qot_Common.WarrantStatus.STOP_TRADE : Qot_Common.WarrantStatus.NORMAL;
        const leverage = spot / paid;
        const streetVol = Math.round((w.issueSize * w.streetRate) / 100);
        const volume = listed && status === Qot_Common.WarrantStatus.NORMAL ? (hash32(`${w.key}|${today}`) % 500) * w.lotSize : 0;
        return {
          terms: w,
          stock: { market: HK, code: w.code },
          owner: { market: HK, code: w.owner.code },
          type: w.type,
          issuer: w.issuer,
          maturityTime: w.maturityDate,
          maturityTimestamp: stamp(w.maturityDate),
          listTime: w.listDate,
          listTimestamp: stamp(w.listDate),
          lastTradeTime: w.lastTradeDate,
          lastTradeTimestamp: stamp(w.lastTradeDate),
          recoveryPrice: w.recovery,
          conversionRatio: w.conversionRatio,
          lotSize: w.lotSize,
          strikePrice: w.strike,
          lastClosePrice: prev.price,
          name: w.name,
          curPrice: now.price,
          priceChangeVal: r3(now.price - prev.price),
          changeRate: r3(((now.price - prev.price) / prev.price) * 100),
          status,
          bidPrice: stepTicks('HK', now.price, -1),
          askPrice: stepTicks('HK', now.price, 1),
          bidVol: BigInt(w.lotSize * 100),
          askVol: BigInt(w.lotSize * 100),
          volume: BigInt(volume),
          turnover: r3(volume * now.price),
          score: w.score,
          premium: r3(((call ? breakEven - spot : spot - breakEven) / spot) * 100),
          breakEvenPoint: r3(breakEven),
          leverage: r3(leverage),
          ipop: r3(((call ? spot - w.strike : w.strike - spot) / w.strike) * 100),
          priceRecoveryRatio: cbbc ? r3(((spot - w.recovery!) / w.recovery!) * 100) : undefined,
          conversionPrice: r3(paid),
          streetRate: w.streetRate,
          streetVol: BigInt(streetVol),
          amplitude: r3(((Math.max(hi, lo) - Math.min(hi, lo)) / prev.price) * 100),
          issueSize: BigInt(w.issueSize),
          highPrice: Math.max(hi, lo),
          lowPrice: Math.min(hi, lo),
          impliedVolatility: cbbc ? undefined : r3(w.vol * 100),
          delta: now.delta === undefined ? undefined : r3(now.delta),
          effectiveLeverage: r3(leverage * Math.abs(now.delta ?? 1)),
        };
      });

  sim.handle(PROTO_ID.Qot_GetWarrant, (_ctx, c2s) => {
    market.advanceTo(sim.now());
    checkPage(c2s.begin, c2s.num);
    const sort = SORTS.get(c2s.sortField);
    if (!sort) throw new SimError(`sortField ${c2s.sortField} is not simulated; supported: ${SORT_NAMES}`);
    let ownerKey: string | undefined;
    if (c2s.owner) {
      ownerKey = knownSecurity(market, c2s.owner, 'owner');
      const sec = market.security(ownerKey)!;
      if (sec.market !== 'HK' || sec.secTypeName !== 'EQTY') throw new SimError(`warrants and CBBCs exist only on HK stocks, not ${ownerKey}`);
    }
    const today = localDay('HK', sim.now());
    const day = (t: string | undefined, f: string) => {
      if (t === undefined || t === '') return undefined;
      const d = parseDay(t.slice(0, 10));
      if (d === undefined) throw new SimError(`${f} must be a date "yyyy-MM-dd", got ${JSON.stringify(t)}`);
      return d;
    };
    const matMin = day(c2s.maturityTimeMin, 'maturityTimeMin');
    const matMax = day(c2s.maturityTimeMax, 'maturityTimeMax');
    const ipo = ipoWindow(c2s.ipoPeriod, today);
    const types = new Set<number>(c2s.typeList ?? []);
    const issuers = new Set<number>(c2s.issuerList ?? []);
    const inRange = (v: number | undefined, min: number | bigint | undefined, max: number | bigint | undefined) =>
      (min === undefined && max === undefined) || (v !== undefined && (min === undefined || trunc3(v) >= Number(min)) && (max === undefined || trunc3(v) <= Number(max)));
    const matched = rows(today).filter(
      (r) =>
        (ownerKey === undefined || r.terms.owner.key === ownerKey) &&
        (types.size === 0 || types.has(r.type)) &&
        (issuers.size === 0 || issuers.has(r.issuer)) &&
        (matMin === undefined || parseDay(r.maturityTime)! >= matMin) &&
        (matMax === undefined || parseDay(r.maturityTime)! <= matMax) &&
        (!ipo || (parseDay(r.listTime)! >= ipo[0] && parseDay(r.listTime)! <= ipo[1])) &&
        (c2s.priceType === undefined || c2s.priceType === 0 || (c2s.priceType === Qot_Common.PriceType.WITH_IN ? r.ipop > 0 : r.ipop <= 0)) &&
        (c2s.status === undefined || c2s.status === 0 || r.status === c2s.status) &&
        inRange(r.curPrice, c2s.curPriceMin, c2s.curPriceMax) &&
        inRange(r.strikePrice, c2s.strikePriceMin, c2s.strikePriceMax) &&
        inRange(r.streetRate, c2s.streetMin, c2s.streetMax) &&
        inRange(r.conversionRatio, c2s.conversionMin, c2s.conversionMax) &&
        inRange(Number(r.volume), c2s.volMin, c2s.volMax) &&
        inRange(r.premium, c2s.premiumMin, c2s.premiumMax) &&
        inRange(r.leverage, c2s.leverageRatioMin, c2s.leverageRatioMax) &&
        inRange(r.delta, c2s.deltaMin, c2s.deltaMax) &&
        inRange(r.impliedVolatility, c2s.impliedMin, c2s.impliedMax) &&
        inRange(r.recoveryPrice, c2s.recoveryPriceMin, c2s.recoveryPriceMax) &&
        inRange(r.priceRecoveryRatio, c2s.priceRecoveryRatioMin, c2s.priceRecoveryRatioMax),
    );
    const dir = c2s.ascend ? 1 : -1;
    matched.sort((a, b) => {
      const va = sort(a);
      const vb = sort(b);
      const na = typeof va === 'number' && Number.isNaN(va);
      const nb = typeof vb === 'number' && Number.isNaN(vb);
      if (na !== nb) return na ? 1 : -1; // rows without the field go last
      if (va !== vb && !na) return (va < vb ? -1 : 1) * dir;
      return a.stock.code < b.stock.code ? -1 : 1;
    });
    const page = pageOf(matched, c2s.begin, c2s.num);
    return {
      lastPage: page.lastPage,
      allCount: page.allCount,
      warrantDataList: page.rows.map(({ terms: _t, ...data }) => data),
    };
  });

  // 3206: ReferenceType WARRANT lists the warrants and CBBCs on a stock; FUTURE (contracts related to a main
  // futures contract) has nothing to list because the simulator has no futures.
  sim.handle(PROTO_ID.Qot_GetReference, (_ctx, c2s) => {
    const key = knownSecurity(market, c2s.security);
    if (c2s.referenceType === ReferenceType.FUTURE) return { staticInfoList: [] };
    if (c2s.referenceType !== ReferenceType.WARRANT) throw new SimError(`referenceType ${c2s.referenceType} is not one of WARRANT (1), FUTURE (2)`);
    const today = localDay('HK', sim.now());
    return {
      staticInfoList: products
        .filter((w) => w.owner.key === key && parseDay(w.maturityDate)! >= today)
        .map((w) => ({
          basic: { security: { market: HK, code: w.code }, id: BigInt(hash32(w.key)), lotSize: w.lotSize, secType: Qot_Common.SecurityType.WARRANT, name: w.name, listTime: w.listDate, listTimestamp: stamp(w.listDate), delisting: false },
          warrantExData: { type: w.type, owner: { market: HK, code: w.owner.code } },
        })),
    };
  });

  return { products };
}

/** Futu's IpoPeriod as an inclusive range of listing days around today. */
function ipoWindow(period: number | undefined, today: number): [number, number] | undefined {
  const P = Qot_Common.IpoPeriod;
  switch (period) {
    case undefined:
    case P.UNKNOW:
      return undefined;
    case P.TODAY:
      return [today, today];
    case P.TOMORROW:
      return [today + 1, today + 1];
    case P.NEXTWEEK:
      return [today + 1, today + 7];
    case P.LASTWEEK:
      return [today - 7, today - 1];
    case P.LASTMONTH:
      return [today - 30, today - 1];
    default:
      throw new SimError(`ipoPeriod ${period} is not one of TODAY (1), TOMORROW (2), NEXTWEEK (3), LASTWEEK (4), LASTMONTH (5)`);
  }
}
