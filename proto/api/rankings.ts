// Typed rankings: intraday top movers (Qot_GetTopMoversRank 3413), the gainers and losers lists strategies scan
// for momentum. Names in ("HK"/"US", "GAINERS"/"LOSERS", price bands), plain objects out with codes as "HK.00700";
// bad input is a ValidationError naming the field and what is allowed, raised before anything is sent.
// Futu's rules (Qot_GetTopMoversRank.proto): market HK or US; offset ≥ 0; count 1..200 (default 50); filters AND.
import type { OpenDClient } from '../client.js';
import { ValidationError } from '../errors.js';
import * as Qot_Common from '../generated/Qot_Common.js';
import * as Qot_GetTopMoversRank from '../generated/Qot_GetTopMoversRank.js';
import { IndicatorType, PriceFilter, SortDir } from '../generated/Qot_GetTopMoversRank.js';
import { registerCodecs, PROTO_ID } from '../registry.js';
import { securityKey } from '../securities.js';

// The client side (encode the Request, decode the Response) of the protocols this module sends: a bundle carries
// only those functions (proto/registry.ts).
registerCodecs(Qot_GetTopMoversRank.clientCodec);

export type PriceBand = Exclude<keyof typeof PriceFilter, 'ALL'>;
/** A closed interval; a missing bound is unbounded. */
export interface Range { min?: number; max?: number }

export interface TopMoversQuery {
  market: 'HK' | 'US';
  direction?: 'GAINERS' | 'LOSERS';
  offset?: number;
  count?: number;
  priceBand?: PriceBand;
  marketCap?: Range;
  peTTM?: Range;
}

export interface TopMover {
  code: string;
  name?: string;
  price?: number;
  changePct?: number;
  change?: number;
  turnover?: number;
  volume?: bigint;
  turnoverPct?: number;
  peTTM?: number;
  amplitudePct?: number;
  marketCap?: number;
}

function range(field: string, r: Range | undefined): Qot_GetTopMoversRank.Indicator['indicatorValue'] {
  if (r === undefined) return undefined;
  for (const k of ['min', 'max'] as const) {
    if (r[k] !== undefined && !Number.isFinite(r[k])) throw new ValidationError(`${field}.${k}`, `expected a finite number, got ${r[k]}`);
  }
  if (r.min !== undefined && r.max !== undefined && r.min > r.max) throw new ValidationError(field, `min ${r.min} is above max ${r.max}`);
  return {
    ...(r.min !== undefined ? { filterMin: { value: r.min, includes: true } } : {}),
    ...(r.max !== undefined ? { filterMax: { value: r.max, includes: true } } : {}),
  };
}

export async function topMovers(client: OpenDClient, q: TopMoversQuery): Promise<{ allCount: number; items: TopMover[] }> {
  if (q.market !== 'HK' && q.market !== 'US') throw new ValidationError('market', `expected "HK" or "US", got ${JSON.stringify(q.market)}`);
  const direction = q.direction ?? 'GAINERS';
  if (direction !== 'GAINERS' && direction !== 'LOSERS') throw new ValidationError('direction', `expected "GAINERS" or "LOSERS", got ${JSON.stringify(direction)}`);
  const offset = q.offset ?? 0;
  const count = q.count ?? 50;
  if (!Number.isInteger(offset) || offset < 0) throw new ValidationError('offset', `expected a whole number ≥ 0, got ${offset}`);
  if (!Number.isInteger(count) || count < 1 || count > 200) throw new ValidationError('count', `expected a whole number 1..200, got ${count}`);
  const filterList: Qot_GetTopMoversRank.Indicator[] = [];
  if (q.priceBand !== undefined) {
    const v = (PriceFilter as Record<string, number>)[q.priceBand];
    if (v === undefined || v === 0) throw new ValidationError('priceBand', `${JSON.stringify(q.priceBand)} is not a band; allowed: ${Object.keys(PriceFilter).filter((k) => k !== 'ALL').join(', ')}`);
    filterList.push({ indicatorType: IndicatorType.PRICE, priceFilter: v });
  }
  const cap = range('marketCap', q.marketCap);
  if (cap) filterList.push({ indicatorType: IndicatorType.MARKET_CAP, indicatorValue: cap });
  const pe = range('peTTM', q.peTTM);
  if (pe) filterList.push({ indicatorType: IndicatorType.PE, indicatorValue: pe });
  const s2c = await client.request(PROTO_ID.Qot_GetTopMoversRank, {
    market: q.market === 'HK' ? Qot_Common.QotMarket.HK_SECURITY : Qot_Common.QotMarket.US_SECURITY,
    sortDir: direction === 'GAINERS' ? SortDir.DESCENDING : SortDir.ASCENDING,
    offset,
    count,
    filterList,
  });
  return {
    allCount: s2c.allCount ?? s2c.dataList?.length ?? 0,
    items: (s2c.dataList ?? []).map((d) => ({
      code: securityKey(d.security),
      name: d.name,
      price: d.curPrice,
      changePct: d.changeRatio,
      change: d.changeAmount,
      turnover: d.turnover,
      volume: d.volume,
      turnoverPct: d.turnoverRatio,
      peTTM: d.peTTM,
      amplitudePct: d.amplitude,
      marketCap: d.marketCap,
    })),
  };
}
