// Intraday top movers (Qot_GetTopMoversRank 3413) over the simulator's universe, with Futu's request rules
// (Qot_GetTopMoversRank.proto): market HK (1) or US (11); sortDir 0 = descending change (gainers, the default),
// 1 = ascending (losers); offset ≥ 0 (default 0); count 1..200 (default 50); filters combine with AND:
// price bands (PriceFilter 0–4), market cap and P/E intervals whose bounds say whether they are included.
// Only stocks (EQTY) are ranked. The change is today's: (last − previous close) / previous close, in percent,
// from the same live quote Qot_GetBasicQot serves, so a ranking always agrees with the quotes. Ties by code.
// Not simulated, and refused by name rather than ignored: the 52-week-high/low price filters; volumeRatio is
// omitted (the simulator keeps no per-minute volume averages over past days).
import * as Qot_Common from '../../../proto/generated/Qot_Common.js';
import type * as Qot_OptionCommon from '../../../proto/generated/Qot_OptionCommon.js';
import type * as Qot_GetTopMoversRank from '../../../proto/generated/Qot_GetTopMoversRank.js';
import { IndicatorType, PriceFilter, SortDir } from '../../../proto/generated/Qot_GetTopMoversRank.js';
import { PROTO_ID } from '../../../proto/registry.js';
import type { MarketEngine } from '../market/engine.js';
import { SimError, type OpenDSimulator } from '../server.js';

const r3 = (v: number) => Math.round(v * 1000) / 1000;

function inInterval(v: number, iv: Qot_OptionCommon.Interval | undefined): boolean {
  const lo = iv?.filterMin;
  const hi = iv?.filterMax;
  if (lo && (lo.includes ? v < lo.value : v <= lo.value)) return false;
  if (hi && (hi.includes ? v > hi.value : v >= hi.value)) return false;
  return true;
}

/** Futu's price bands: below 1, 1–10, over 10 up to 100, above 100 (PriceFilter 1–4); 0 is all. */
function inPriceBand(price: number, band: number): boolean {
  switch (band) {
    case PriceFilter.ALL: return true;
    case PriceFilter.LESS_THAN1: return price < 1;
    case PriceFilter.BETWEEN1AND10: return price >= 1 && price <= 10;
    case PriceFilter.BETWEEN10AND100: return price > 10 && price <= 100;
    case PriceFilter.GREATER_THAN100: return price > 100;
    default: throw new SimError(`priceFilter ${band} is not simulated; allowed: ALL (0), LESS_THAN1 (1), BETWEEN1AND10 (2), BETWEEN10AND100 (3), GREATER_THAN100 (4)`);
  }
}

export function registerTopMoversHandler(sim: OpenDSimulator, market: MarketEngine): void {
  sim.handle(PROTO_ID.Qot_GetTopMoversRank, (_ctx, c2s: Qot_GetTopMoversRank.C2S): Qot_GetTopMoversRank.S2C => {
    market.advanceTo(sim.now());
    const prefix = c2s.market === Qot_Common.QotMarket.HK_SECURITY ? 'HK' : c2s.market === Qot_Common.QotMarket.US_SECURITY ? 'US' : undefined;
    if (!prefix) throw new SimError(`market ${c2s.market} has no top movers ranking; allowed QotMarket values: HK_SECURITY (1), US_SECURITY (11)`);
    const dir = c2s.sortDir ?? SortDir.DESCENDING;
    if (dir !== SortDir.DESCENDING && dir !== SortDir.ASCENDING) throw new SimError(`sortDir ${dir} is not one of DESCENDING (0, gainers), ASCENDING (1, losers)`);
    const offset = c2s.offset ?? 0;
    const count = c2s.count ?? 50;
    if (!Number.isInteger(offset) || offset < 0) throw new SimError(`offset must be a whole number ≥ 0, got ${offset}`);
    if (!Number.isInteger(count) || count < 1 || count > 200) throw new SimError(`count must be 1..200, got ${count}`);
    for (const f of c2s.filterList ?? []) {
      if (f.indicatorType === IndicatorType.PRICE) continue;
      if (f.indicatorType !== IndicatorType.MARKET_CAP && f.indicatorType !== IndicatorType.PE) throw new SimError(`indicatorType ${f.indicatorType} is not one of PRICE (1), MARKET_CAP (2), PE (3)`);
      if (!f.indicatorValue) throw new SimError(`indicatorType ${f.indicatorType === IndicatorType.PE ? 'PE' : 'MARKET_CAP'} needs indicatorValue (an interval)`);
    }
    const rows = market
      .securities()
      .filter((s) => s.secTypeName === 'EQTY' && s.market === prefix)
      .flatMap((s) => {
        const q = market.basicQot(s.key);
        if (!q || !(q.lastClosePrice > 0)) return [];
        const marketCap = s.equity ? q.curPrice * s.equity.issuedShares : undefined;
        const peTTM = s.equity && s.equity.earningsPerShare !== 0 ? q.curPrice / s.equity.earningsPerShare : undefined;
        for (const f of c2s.filterList ?? []) {
          if (f.indicatorType === IndicatorType.PRICE && !inPriceBand(q.curPrice, f.priceFilter ?? PriceFilter.ALL)) return [];
          if (f.indicatorType === IndicatorType.MARKET_CAP && (marketCap === undefined || !inInterval(marketCap, f.indicatorValue))) return [];
          if (f.indicatorType === IndicatorType.PE && (peTTM === undefined || !inInterval(peTTM, f.indicatorValue))) return [];
        }
        const item: Qot_GetTopMoversRank.TopMoversRankItem = {
          security: { market: c2s.market, code: s.code },
          name: s.name,
          curPrice: q.curPrice,
          changeRatio: r3(((q.curPrice - q.lastClosePrice) / q.lastClosePrice) * 100),
          changeAmount: r3(q.curPrice - q.lastClosePrice),
          turnover: q.turnover,
          volume: q.volume,
          turnoverRatio: q.turnoverRate,
          amplitude: q.amplitude,
          ...(peTTM !== undefined ? { peTTM: r3(peTTM) } : {}),
          ...(marketCap !== undefined ? { marketCap: r3(marketCap) } : {}),
        };
        return [{ key: s.key, item }];
      });
    const sign = dir === SortDir.ASCENDING ? 1 : -1;
    rows.sort((a, b) => (a.item.changeRatio! - b.item.changeRatio!) * sign || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    return { dataList: rows.slice(offset, offset + count).map((r) => r.item), allCount: rows.length };
  });
}
