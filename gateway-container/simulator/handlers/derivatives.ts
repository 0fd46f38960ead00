// Futures and option reference protocols over market/derivatives.ts: Qot_GetFutureInfo (3218),
// Qot_GetOptionChain (3209) and Qot_GetOptionExpirationDate (3224). Futu's rules they follow: at most 200
// codes per GetFutureInfo; an option chain request spans at most 30 days of expiries (beginTime..endTime);
// the chain's owner is an underlying stock; filters on type (call/put), moneyness and the data filter.
import * as Qot_Common from '../../../proto/generated/Qot_Common.js';
import type * as Qot_GetOptionChain from '../../../proto/generated/Qot_GetOptionChain.js';
import { PROTO_ID } from '../../../proto/registry.js';
import { securityKey } from '../../../proto/securities.js';
import { dayOf, type DerivativesMarket, type OptionContract } from '../market/derivatives.js';
import { DAY_MS, fromLocalMs, localDay } from '../market/calendars.js';
import { SimError, type OpenDSimulator } from '../server.js';

export const MAX_FUTURE_INFO_CODES = 200;
/** Futu: "the time span is at most one month" between beginTime and endTime of an option chain request. */
export const MAX_CHAIN_SPAN_DAYS = 30;
const { OptionType } = Qot_Common;
const COND_WITHIN = 1; // Qot_GetOptionChain.OptionCondType: in the money
const COND_OUTSIDE = 2; // out of the money

export function registerDerivativeHandlers(sim: OpenDSimulator, derivatives: DerivativesMarket, sync: () => void): void {
  sim.handle(PROTO_ID.Qot_GetFutureInfo, (_ctx, c2s) => {
    sync();
    const list = (c2s.securityList ?? []) as Qot_Common.Security[];
    if (list.length === 0) throw new SimError('securityList is empty: name the futures contracts, e.g. HK.HSImain');
    if (list.length > MAX_FUTURE_INFO_CODES) throw new SimError(`at most ${MAX_FUTURE_INFO_CODES} contracts per request, got ${list.length}`);
    return {
      futureInfoList: list.map((s) => {
        const key = securityKey(s);
        const info = derivatives.futureInfo(key);
        if (!info) throw new SimError(`${key} is not a futures contract the simulator lists (main contracts such as HK.HSImain, HK.MHImain, HK.HHImain, US.ESmain, US.NQmain and their dated months)`);
        return info;
      }),
    };
  });

  sim.handle(PROTO_ID.Qot_GetOptionExpirationDate, (_ctx, c2s) => {
    sync();
    if (!c2s.owner) throw new SimError('owner is required: the underlying stock, e.g. HK.00700 or US.AAPL');
    const key = securityKey(c2s.owner);
    const list = derivatives.expirations(key);
    if (typeof list === 'string') throw new SimError(list);
    const market = key.startsWith('US.') ? 'US' : 'HK';
    const today = localDay(market, sim.now());
    return {
      dateList: list.map((e) => ({
        strikeTime: e.date,
        strikeTimestamp: fromLocalMs(market, e.day * DAY_MS) / 1000,
        optionExpiryDateDistance: e.day - today,
        cycle: e.cycle,
      })),
    };
  });

  sim.handle(PROTO_ID.Qot_GetOptionChain, (_ctx, c2s) => {
    sync();
    if (!c2s.owner) throw new SimError('owner is required: the underlying stock, e.g. HK.00700 or US.AAPL');
    const key = securityKey(c2s.owner);
    const begin = dayOf(c2s.beginTime, 'beginTime');
    const end = dayOf(c2s.endTime, 'endTime');
    if (typeof begin === 'string') throw new SimError(begin);
    if (typeof end === 'string') throw new SimError(end);
    if (end < begin) throw new SimError(`endTime ${c2s.endTime} is before beginTime ${c2s.beginTime}`);
    if (end - begin > MAX_CHAIN_SPAN_DAYS) throw new SimError(`beginTime to endTime spans ${end - begin} days; at most ${MAX_CHAIN_SPAN_DAYS} per request`);
    if (c2s.type !== undefined && c2s.type !== 0 && c2s.type !== OptionType.CALL && c2s.type !== OptionType.PUT) {
      throw new SimError(`type ${c2s.type} is invalid: 1 CALL, 2 PUT, or leave it out for both`);
    }
    if (c2s.condition !== undefined && c2s.condition !== 0 && c2s.condition !== COND_WITHIN && c2s.condition !== COND_OUTSIDE) {
      throw new SimError(`condition ${c2s.condition} is invalid: 1 in the money, 2 out of the money, or leave it out for both`);
    }
    const market = key.startsWith('US.') ? 'US' : 'HK';
    const chain = derivatives.chain(key, begin, end);
    if (typeof chain === 'string') throw new SimError(chain);
    const keep = (o: OptionContract, wanted: number): boolean => {
      if (c2s.type && c2s.type !== wanted) return false;
      const q = derivatives.optionQuote(o);
      if (c2s.condition) {
        const itm = o.type === 'CALL' ? q.spot > o.strike : q.spot < o.strike;
        if ((c2s.condition === COND_WITHIN) !== itm) return false;
      }
      return c2s.dataFilter ? passes(c2s.dataFilter, derivatives, o) : true;
    };
    return {
      optionChain: chain.map(({ expiry, options }) => ({
        strikeTime: expiry.date,
        strikeTimestamp: fromLocalMs(market, expiry.day * DAY_MS) / 1000,
        option: options
          .map(({ call, put }) => ({
            ...(keep(call, OptionType.CALL) ? { call: derivatives.optionStaticInfo(call) } : {}),
            ...(keep(put, OptionType.PUT) ? { put: derivatives.optionStaticInfo(put) } : {}),
          }))
          .filter((item) => item.call !== undefined || item.put !== undefined),
      })),
    };
  });
}

/** Qot_GetOptionChain.DataFilter: each given bound is inclusive; IV in percent. */
function passes(f: Qot_GetOptionChain.DataFilter, derivatives: DerivativesMarket, o: OptionContract): boolean {
  const b = derivatives.optionBasicQot(o).optionExData!;
  const within = (v: number, min?: number, max?: number): boolean => (min === undefined || v >= min) && (max === undefined || v <= max);
  return (
    within(b.impliedVolatility, f.impliedVolatilityMin, f.impliedVolatilityMax) &&
    within(b.delta, f.deltaMin, f.deltaMax) &&
    within(b.gamma, f.gammaMin, f.gammaMax) &&
    within(b.vega, f.vegaMin, f.vegaMax) &&
    within(b.theta, f.thetaMin, f.thetaMax) &&
    within(b.rho, f.rhoMin, f.rhoMax) &&
    within(b.openInterest, f.openInterestMin, f.openInterestMax) &&
    within(b.netOpenInterest ?? 0, f.netOpenInterestMin, f.netOpenInterestMax) &&
    // Options have no trades of their own in the simulator: their volume is 0.
    within(0, f.volMin, f.volMax)
  );
}
