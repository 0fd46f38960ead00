// Stock filter (Qot_StockFilter 3215) over the simulator's universe, with Futu's filter semantics:
// - market HK, US, or A shares (CNSH and CNSZ both mean the whole A-share market, as Futu documents);
//   an optional plate narrows it to that plate's members; only stocks (EQTY) are screened;
// - each BaseFilter is a closed interval [filterMin, filterMax], a missing bound meaning ±∞; a filter with
//   isNoFilter unset or true does not filter (Futu: "not sent defaults to no filtering") but its field is still
//   returned in every row's baseDataList, which is how callers ask for columns;
// - values are truncated (not rounded) to 3 decimals before comparing, shares to whole numbers;
// - rows are sorted by the first filter with a sortDir, else by code; paging is begin (0-based) + num (1..200),
//   with allCount and lastPage.
// The simple fields that follow from the universe's fundamentals and the live price are supported; the rest,
// and accumulate / financial / pattern / custom-indicator filters, are refused with the supported list, never
// silently ignored.
import * as Qot_Common from '../../../proto/generated/Qot_Common.js';
import { SortDir, StockField } from '../../../proto/generated/Qot_StockFilter.js';
import { PROTO_ID } from '../../../proto/registry.js';
import { prefixOfQotMarket, securityKey } from '../../../proto/securities.js';
import type { MarketEngine } from '../market/engine.js';
import type { UniverseSecurity } from '../market/universe.js';
import { SimError, type OpenDSimulator } from '../server.js';
import { checkPage, pageOf } from './paging.js';

type Getter = (s: UniverseSecurity, price: number) => number | undefined;
const F = StockField;
const trunc3 = (v: number) => Math.trunc(v * 1000) / 1000;

/** The simulated simple fields: value from the security's facts and its live price (undefined: not applicable). */
const FIELDS: ReadonlyMap<number, { name: string; get: Getter; whole?: boolean }> = new Map<number, { name: string; get: Getter; whole?: boolean }>([
  [F.CUR_PRICE, { name: 'CUR_PRICE', get: (_s, p) => p }],
  [F.LOT_PRICE, { name: 'LOT_PRICE', get: (s, p) => p * s.lotSize }],
  [F.MARKET_VAL, { name: 'MARKET_VAL', get: (s, p) => (s.equity ? p * s.equity.issuedShares : undefined) }],
  [F.FLOAT_MARKET_VAL, { name: 'FLOAT_MARKET_VAL', get: (s, p) => (s.equity ? p * s.equity.outstandingShares : undefined) }],
  [F.PE_ANNUAL, { name: 'PE_ANNUAL', get: (s, p) => (s.equity && s.equity.earningsPerShare !== 0 ? p / s.equity.earningsPerShare : undefined) }],
  [F.PE_TTM, { name: 'PE_TTM', get: (s, p) => (s.equity && s.equity.earningsPerShare !== 0 ? p / s.equity.earningsPerShare : undefined) }],
  [F.PB_RATE, { name: 'PB_RATE', get: (s, p) => (s.equity && s.equity.netAssetPerShare !== 0 ? p / s.equity.netAssetPerShare : undefined) }],
  [F.TOTAL_SHARE, { name: 'TOTAL_SHARE', get: (s) => s.equity?.issuedShares, whole: true }],
  [F.FLOAT_SHARE, { name: 'FLOAT_SHARE', get: (s) => s.equity?.outstandingShares, whole: true }],
]);
const SUPPORTED = [...FIELDS.values()].map((f) => f.name).join(', ');

interface BaseFilter {
  fieldName: number;
  filterMin?: number;
  filterMax?: number;
  isNoFilter?: boolean;
  sortDir?: number;
}

export function registerScreenerHandler(sim: OpenDSimulator, market: MarketEngine): void {
  sim.handle(PROTO_ID.Qot_StockFilter, (_ctx, c2s) => {
    market.advanceTo(sim.now());
    const prefix = prefixOfQotMarket(c2s.market);
    if (prefix !== 'HK' && prefix !== 'US' && prefix !== 'SH' && prefix !== 'SZ') throw new SimError(`market ${c2s.market} cannot be screened; allowed QotMarket values: HK_SECURITY (1), US_SECURITY (11), CNSH_SECURITY (21), CNSZ_SECURITY (22)`);
    checkPage(c2s.begin, c2s.num);
    for (const [list, what] of [
      [c2s.accumulateFilterList, 'accumulate'],
      [c2s.financialFilterList, 'financial'],
      [c2s.patternFilterList, 'pattern'],
      [c2s.customIndicatorFilterList, 'custom indicator'],
    ] as const) {
      if ((list?.length ?? 0) > 0) throw new SimError(`${what} filters are not simulated; use base filters on: ${SUPPORTED}`);
    }
    const filters = (c2s.baseFilterList ?? []) as BaseFilter[];
    for (const f of filters) {
      if (!FIELDS.has(f.fieldName)) throw new SimError(`baseFilter field ${f.fieldName} is not simulated; supported: ${SUPPORTED}`);
      if (f.sortDir !== undefined && f.sortDir !== SortDir.NO && f.sortDir !== SortDir.ASCEND && f.sortDir !== SortDir.DESCEND) throw new SimError(`sortDir ${f.sortDir} is not one of NO (0), ASCEND (1), DESCEND (2)`);
      if (f.filterMin !== undefined && f.filterMax !== undefined && f.filterMin > f.filterMax) throw new SimError(`baseFilter ${FIELDS.get(f.fieldName)!.name}: filterMin ${f.filterMin} is above filterMax ${f.filterMax}`);
    }
    const cn = prefix === 'SH' || prefix === 'SZ';
    let members: Set<string> | undefined;
    if (c2s.plate) {
      const plateKey = securityKey(c2s.plate);
      const list = market.plateSecurities(plateKey);
      if (!list) throw new SimError(`unknown plate ${plateKey}`);
      members = new Set(list.map((s: Qot_Common.SecurityStaticInfo) => securityKey(s.basic.security)));
    }
    const rows = market
      .securities()
      .filter((s) => s.secTypeName === 'EQTY' && (cn ? s.market === 'SH' || s.market === 'SZ' : s.market === prefix) && (!members || members.has(s.key)))
      .map((s) => {
        const price = market.basicQot(s.key)?.curPrice ?? s.basePrice;
        const values = filters.map((f) => {
          const def = FIELDS.get(f.fieldName)!;
          const v = def.get(s, price);
          return v === undefined ? undefined : def.whole ? Math.trunc(v) : trunc3(v);
        });
        return { s, values };
      })
      .filter(({ values }) =>
        filters.every((f, i) => {
          if (f.isNoFilter !== false) return true;
          const v = values[i];
          return v !== undefined && (f.filterMin === undefined || v >= f.filterMin) && (f.filterMax === undefined || v <= f.filterMax);
        }),
      );
    const sortIdx = filters.findIndex((f) => f.sortDir === SortDir.ASCEND || f.sortDir === SortDir.DESCEND);
    rows.sort((a, b) => {
      if (sortIdx >= 0) {
        const dir = filters[sortIdx]!.sortDir === SortDir.ASCEND ? 1 : -1;
        // Rows without the value go last whichever the direction.
        const va = a.values[sortIdx] ?? Number.NaN;
        const vb = b.values[sortIdx] ?? Number.NaN;
        if (Number.isNaN(va) !== Number.isNaN(vb)) return Number.isNaN(va) ? 1 : -1;
        if (va !== vb && !Number.isNaN(va)) return (va - vb) * dir;
      }
      return a.s.key < b.s.key ? -1 : a.s.key > b.s.key ? 1 : 0;
    });
    const page = pageOf(rows, c2s.begin, c2s.num);
    return {
      lastPage: page.lastPage,
      allCount: page.allCount,
      dataList: page.rows.map(({ s, values }) => ({
        security: { market: Qot_Common.QotMarket[s.market === 'HK' ? 'HK_SECURITY' : s.market === 'US' ? 'US_SECURITY' : s.market === 'SH' ? 'CNSH_SECURITY' : 'CNSZ_SECURITY'], code: s.code },
        name: s.name,
        baseDataList: filters.flatMap((f, i) => (values[i] === undefined ? [] : [{ fieldName: f.fieldName, value: values[i]! }])),
      })),
    };
  });
}
