// The typed reference-data layer over OpenDClient: trading days, suspensions, code changes, IPOs, capital flow
// and distribution, plates (sets, members, a security's plates), the HK broker queue, the user's watchlists and
// corporate actions with their adjustment factors.
// Codes in as "HK.00700", dates as "yyyy-MM-dd", enum names (not numbers) in and out; bad input is a
// ValidationError naming the field and what is allowed, raised before anything is sent.
import type { OpenDClient } from '../client.js';
import { enumName, enumValue } from '../enums.js';
import { ValidationError } from '../errors.js';
import * as Qot_Common from '../generated/Qot_Common.js';
import { CodeChangeType, TimeFilterType } from '../generated/Qot_GetCodeChange.js';
import { SortDir, StockField } from '../generated/Qot_StockFilter.js';
import * as Qot_GetIpoList from '../generated/Qot_GetIpoList.js';
import { GroupType } from '../generated/Qot_GetUserSecurityGroup.js';
import { ModifyUserSecurityOp } from '../generated/Qot_ModifyUserSecurity.js';
import { registerCodecs, PROTO_ID } from '../registry.js';
import { parseSecurity, parseSecurityList, securityKey, toQotSecurity } from '../securities.js';
import * as Qot_GetBroker from '../generated/Qot_GetBroker.js';
import * as Qot_GetCapitalDistribution from '../generated/Qot_GetCapitalDistribution.js';
import * as Qot_GetCapitalFlow from '../generated/Qot_GetCapitalFlow.js';
import * as Qot_GetCodeChange from '../generated/Qot_GetCodeChange.js';
import * as Qot_GetHoldingChangeList from '../generated/Qot_GetHoldingChangeList.js';
import * as Qot_GetOwnerPlate from '../generated/Qot_GetOwnerPlate.js';
import * as Qot_GetPlateSecurity from '../generated/Qot_GetPlateSecurity.js';
import * as Qot_GetPlateSet from '../generated/Qot_GetPlateSet.js';
import * as Qot_GetReference from '../generated/Qot_GetReference.js';
import * as Qot_GetSuspend from '../generated/Qot_GetSuspend.js';
import * as Qot_GetUserSecurity from '../generated/Qot_GetUserSecurity.js';
import * as Qot_GetUserSecurityGroup from '../generated/Qot_GetUserSecurityGroup.js';
import * as Qot_GetWarrant from '../generated/Qot_GetWarrant.js';
import * as Qot_ModifyUserSecurity from '../generated/Qot_ModifyUserSecurity.js';
import * as Qot_RequestRehab from '../generated/Qot_RequestRehab.js';
import * as Qot_RequestTradeDate from '../generated/Qot_RequestTradeDate.js';
import * as Qot_StockFilter from '../generated/Qot_StockFilter.js';

// The client side (encode the Request, decode the Response) of the protocols this module sends: a bundle carries
// only those functions (proto/registry.ts).
registerCodecs(Qot_GetBroker.clientCodec, Qot_GetCapitalDistribution.clientCodec, Qot_GetCapitalFlow.clientCodec, Qot_GetCodeChange.clientCodec, Qot_GetHoldingChangeList.clientCodec, Qot_GetIpoList.clientCodec, Qot_GetOwnerPlate.clientCodec, Qot_GetPlateSecurity.clientCodec, Qot_GetPlateSet.clientCodec, Qot_GetReference.clientCodec, Qot_GetSuspend.clientCodec, Qot_GetUserSecurity.clientCodec, Qot_GetUserSecurityGroup.clientCodec, Qot_GetWarrant.clientCodec, Qot_ModifyUserSecurity.clientCodec, Qot_RequestRehab.clientCodec, Qot_RequestTradeDate.clientCodec, Qot_StockFilter.clientCodec);

export type TradeDateMarketName = 'HK' | 'US' | 'CN' | 'NT' | 'ST';
export type CodeChangeTypeName = Exclude<keyof typeof CodeChangeType, 'UNKOWN'>;
export type CapitalFlowPeriod = 'INTRADAY' | 'DAY' | 'WEEK' | 'MONTH';
export type PlateSetName = 'ALL' | 'INDUSTRY' | 'REGION' | 'CONCEPT';

export interface CapitalFlowPoint {
  time: string;
  inFlow: number;
  mainInFlow?: number;
  superInFlow?: number;
  bigInFlow?: number;
  midInFlow?: number;
  smallInFlow?: number;
}

export interface Ipo {
  code: string;
  name: string;
  listDate?: string;
  hk?: Qot_GetIpoList.HKIpoExData;
  us?: Qot_GetIpoList.USIpoExData;
  cn?: Qot_GetIpoList.CNIpoExData;
}

export type ScreenFieldName = Exclude<keyof typeof StockField, 'UNKNOWN'>;

/** One screening condition: a closed range (a missing bound is unbounded); without min and max the field is only returned. */
export interface ScreenFilter {
  field: ScreenFieldName;
  min?: number;
  max?: number;
  sort?: 'ASCEND' | 'DESCEND';
}

export interface BrokerEntry {
  id: bigint;
  name: string;
  position: number;
  volume?: bigint;
}

/** One row of Qot_RequestRehab, with the CompanyAct flags as names. */
export interface CorporateActionRow {
  exDate: string;
  actions: string[];
  forward: { a: number; b: number };
  backward: { a: number; b: number };
  split?: { base: number; ert: number };
  join?: { base: number; ert: number };
  bonus?: { base: number; ert: number };
  transfer?: { base: number; ert: number };
  dividend?: number;
  specialDividend?: number;
}

/** Qot_Common.CompanyAct bits and their names. */
const COMPANY_ACTS: readonly [number, string][] = Object.entries(Qot_Common.CompanyAct)
  .filter(([, v]) => typeof v === 'number' && v > 0)
  .map(([k, v]) => [v as number, k]);

const DATE = /^\d{4}-\d{2}-\d{2}$/;
function date(v: unknown, field: string): string {
  if (typeof v !== 'string' || !DATE.test(v) || Number.isNaN(Date.parse(`${v}T00:00:00Z`)) || new Date(`${v}T00:00:00Z`).toISOString().slice(0, 10) !== v) {
    throw new ValidationError(field, `expected a date "yyyy-MM-dd", got ${JSON.stringify(v)?.slice(0, 40)}`);
  }
  return v;
}
function range(from: unknown, to: unknown): { from: string; to: string } {
  const r = { from: date(from, 'from'), to: date(to, 'to') };
  if (r.to < r.from) throw new ValidationError('to', `${r.to} is before from (${r.from})`);
  return r;
}
/**
 * begin (0-based first row, default 0) and num (rows, default and at most 200) of the lists Futu pages that way
 * (Qot_StockFilter, Qot_GetWarrant); anything else is refused before a request is sent.
 */
function page(opts: { begin?: number; num?: number }): { begin: number; num: number } {
  const begin = opts.begin ?? 0;
  const num = opts.num ?? 200;
  if (!Number.isInteger(begin) || begin < 0) throw new ValidationError('begin', `expected a whole number ≥ 0, got ${begin}`);
  if (!Number.isInteger(num) || num < 1 || num > 200) throw new ValidationError('num', `expected 1..200, got ${num}`);
  return { begin, num };
}

const QOT_MARKETS = { HK: Qot_Common.QotMarket.HK_SECURITY, US: Qot_Common.QotMarket.US_SECURITY, SH: Qot_Common.QotMarket.CNSH_SECURITY, SZ: Qot_Common.QotMarket.CNSZ_SECURITY } as const;
function qotMarket(v: unknown, field = 'market'): number {
  const m = typeof v === 'string' ? QOT_MARKETS[v.toUpperCase() as keyof typeof QOT_MARKETS] : undefined;
  if (m === undefined) throw new ValidationError(field, `expected one of ${Object.keys(QOT_MARKETS).join(', ')}, got ${JSON.stringify(v)?.slice(0, 40)}`);
  return m;
}

export class ReferenceApi {
  constructor(private readonly client: OpenDClient) {}

  /**
   * Trading days (3219) of a market — HK, US, CN (A shares), NT / ST (Stock Connect, both sides open) — or of
   * one security's market (pass { code }). `type` is WHOLE or MORNING (a half day).
   */
  async tradingDays(where: { market: TradeDateMarketName } | { code: string }, from: string, to: string): Promise<{ date: string; type: string }[]> {
    const r = range(from, to);
    const c2s = 'code' in where
      ? { market: Qot_Common.TradeDateMarket.UNKNOWN, security: toQotSecurity(parseSecurity(where.code)), beginTime: r.from, endTime: r.to }
      : { market: enumValue(Qot_Common.TradeDateMarket, where.market, 'market', ['HK', 'US', 'CN', 'NT', 'ST']), beginTime: r.from, endTime: r.to };
    const s2c = await this.client.request(PROTO_ID.Qot_RequestTradeDate, c2s);
    return (s2c.tradeDateList ?? []).map((d) => ({ date: d.time, type: enumName(Qot_Common.TradeDateType, d.tradeDateType ?? 0) }));
  }

  /** Suspension days (3201) of each security in [from, to]. */
  async suspensions(codes: string[] | string, from: string, to: string): Promise<{ code: string; dates: string[] }[]> {
    const refs = parseSecurityList(codes, 'codes', 400);
    const r = range(from, to);
    const s2c = await this.client.request(PROTO_ID.Qot_GetSuspend, { securityList: refs.map(toQotSecurity), beginTime: r.from, endTime: r.to });
    return (s2c.SecuritySuspendList ?? []).map((s) => ({ code: securityKey(s.security), dates: (s.suspendList ?? []).map((d) => d.time) }));
  }

  /** Code changes (3216): every given filter must match; `dates` filters on the public, effective or end date. */
  async codeChanges(opts: { codes?: string[]; types?: CodeChangeTypeName[]; dates?: { of: 'PUBLIC' | 'EFFECTIVE' | 'END'; from?: string; to?: string } } = {}) {
    const c2s = {
      securityList: opts.codes?.length ? parseSecurityList(opts.codes).map(toQotSecurity) : [],
      typeList: (opts.types ?? []).map((t, i) => enumValue(CodeChangeType, t, `types[${i}]`)),
      timeFilterList: opts.dates
        ? [{ type: enumValue(TimeFilterType, opts.dates.of, 'dates.of', ['PUBLIC', 'EFFECTIVE', 'END']), beginTime: opts.dates.from === undefined ? undefined : date(opts.dates.from, 'dates.from'), endTime: opts.dates.to === undefined ? undefined : date(opts.dates.to, 'dates.to') }]
        : [],
    };
    const s2c = await this.client.request(PROTO_ID.Qot_GetCodeChange, c2s);
    return (s2c.codeChangeList ?? []).map((c) => ({
      type: enumName(CodeChangeType, c.type),
      code: securityKey(c.security),
      relatedCode: securityKey(c.relatedSecurity),
      publicDate: c.publicTime,
      effectiveDate: c.effectiveTime,
      endDate: c.endTime,
    }));
  }

  /** Upcoming IPOs (3217) of one market: HK, US, SH or SZ. */
  async ipos(market: 'HK' | 'US' | 'SH' | 'SZ'): Promise<Ipo[]> {
    const s2c = await this.client.request(PROTO_ID.Qot_GetIpoList, { market: qotMarket(market) });
    return (s2c.ipoList ?? []).map((i) => ({ code: securityKey(i.basic.security), name: i.basic.name, listDate: i.basic.listTime, hk: i.hkExData, us: i.usExData, cn: i.cnExData }));
  }

  /** Capital flow (3211): INTRADAY (cumulative by minute, the latest day) or net per DAY / WEEK / MONTH. */
  async capitalFlow(code: string, opts: { period?: CapitalFlowPeriod; from?: string; to?: string } = {}): Promise<{ points: CapitalFlowPoint[]; lastValidTime?: string }> {
    const periodType = enumValue(Qot_Common.PeriodType, opts.period ?? 'INTRADAY', 'period', ['INTRADAY', 'DAY', 'WEEK', 'MONTH']);
    const beginTime = opts.from === undefined ? undefined : date(opts.from, 'from');
    const endTime = opts.to === undefined ? undefined : date(opts.to, 'to');
    const s2c = await this.client.request(PROTO_ID.Qot_GetCapitalFlow, { security: toQotSecurity(parseSecurity(code)), periodType, beginTime, endTime });
    return {
      points: (s2c.flowItemList ?? []).map((p) => ({ time: p.time ?? '', inFlow: p.inFlow, mainInFlow: p.mainInFlow, superInFlow: p.superInFlow, bigInFlow: p.bigInFlow, midInFlow: p.midInFlow, smallInFlow: p.smlInFlow })),
      lastValidTime: s2c.lastValidTime,
    };
  }

  /** Capital distribution (3212): turnover in and out by order size on the latest trading day. */
  async capitalDistribution(code: string) {
    const s = await this.client.request(PROTO_ID.Qot_GetCapitalDistribution, { security: toQotSecurity(parseSecurity(code)) });
    return {
      in: { super: s.capitalInSuper ?? 0, big: s.capitalInBig, mid: s.capitalInMid, small: s.capitalInSmall },
      out: { super: s.capitalOutSuper ?? 0, big: s.capitalOutBig, mid: s.capitalOutMid, small: s.capitalOutSmall },
      updateTime: s.updateTime,
    };
  }

  /** Plate sets (3204) of a market. */
  async plates(market: 'HK' | 'US' | 'SH' | 'SZ', set: PlateSetName = 'ALL'): Promise<{ code: string; name: string; type: string }[]> {
    const s2c = await this.client.request(PROTO_ID.Qot_GetPlateSet, { market: qotMarket(market), plateSetType: enumValue(Qot_Common.PlateSetType, set, 'set', ['ALL', 'INDUSTRY', 'REGION', 'CONCEPT']) });
    return (s2c.plateInfoList ?? []).map((p) => ({ code: securityKey(p.plate), name: p.name, type: enumName(Qot_Common.PlateSetType, p.plateType ?? 0) }));
  }

  /** The securities of one plate (3205), e.g. "HK.BK1001". */
  async plateMembers(plate: string): Promise<{ code: string; name: string; lotSize: number; type: string }[]> {
    // Plate codes are not security codes: Futu's look like "HK.BK1001" or "SH.LIST3000005".
    const m = typeof plate === 'string' ? /^(HK|US|SH|SZ)\.([A-Z0-9]{2,16})$/.exec(plate.toUpperCase()) : null;
    if (!m) throw new ValidationError('plate', `expected a plate code like "HK.BK1001", got ${JSON.stringify(plate)?.slice(0, 40)}`);
    const s2c = await this.client.request(PROTO_ID.Qot_GetPlateSecurity, { plate: { market: qotMarket(m[1]), code: m[2]! } });
    return (s2c.staticInfoList ?? []).map((s) => ({ code: securityKey(s.basic.security), name: s.basic.name, lotSize: s.basic.lotSize, type: enumName(Qot_Common.SecurityType, s.basic.secType) }));
  }

  /** The plates each security belongs to (3207; at most 200 codes). */
  async ownerPlates(codes: string[] | string): Promise<{ code: string; plates: { code: string; name: string; type: string }[] }[]> {
    const refs = parseSecurityList(codes, 'codes', 200);
    const s2c = await this.client.request(PROTO_ID.Qot_GetOwnerPlate, { securityList: refs.map(toQotSecurity) });
    return (s2c.ownerPlateList ?? []).map((o) => ({
      code: securityKey(o.security),
      plates: (o.plateInfoList ?? []).map((p) => ({ code: securityKey(p.plate), name: p.name, type: enumName(Qot_Common.PlateSetType, p.plateType ?? 0) })),
    }));
  }

  /**
   * Stock filter (3215): stocks of a market (SH or SZ both mean all A shares), optionally of one plate, matching
   * every filter; each row carries the value of every filter's field. Paged: begin (0-based) and num (1..200).
   */
  async screen(market: 'HK' | 'US' | 'SH' | 'SZ', opts: { plate?: string; filters?: ScreenFilter[]; begin?: number; num?: number } = {}) {
    const { begin, num } = page(opts);
    let plate: { market: number; code: string } | undefined;
    if (opts.plate !== undefined) {
      const m = /^(HK|US|SH|SZ)\.([A-Z0-9]{2,16})$/.exec(String(opts.plate).toUpperCase());
      if (!m) throw new ValidationError('plate', `expected a plate code like "HK.BK1001", got ${JSON.stringify(opts.plate)?.slice(0, 40)}`);
      plate = { market: qotMarket(m[1]), code: m[2]! };
    }
    const filters = opts.filters ?? [];
    const baseFilterList = filters.map((f, i) => {
      const ranged = f.min !== undefined || f.max !== undefined;
      for (const k of ['min', 'max'] as const) if (f[k] !== undefined && !Number.isFinite(f[k])) throw new ValidationError(`filters[${i}].${k}`, `expected a finite number, got ${f[k]}`);
      return {
        fieldName: enumValue(StockField, f.field, `filters[${i}].field`),
        filterMin: f.min,
        filterMax: f.max,
        isNoFilter: !ranged,
        sortDir: f.sort === undefined ? SortDir.NO : enumValue(SortDir, f.sort, `filters[${i}].sort`, ['ASCEND', 'DESCEND']),
      };
    });
    const s2c = await this.client.request(PROTO_ID.Qot_StockFilter, { begin, num, market: qotMarket(market), plate, baseFilterList });
    return {
      total: s2c.allCount,
      lastPage: s2c.lastPage,
      rows: (s2c.dataList ?? []).map((d) => ({
        code: securityKey(d.security),
        name: d.name,
        values: Object.fromEntries((d.baseDataList ?? []).map((b) => [enumName(StockField, b.fieldName), b.value])) as Partial<Record<ScreenFieldName, number>>,
      })),
    };
  }

  /**
   * Warrants and CBBCs (3210), optionally of one HK stock, filtered as Futu does (every condition must hold;
   * ranges closed), sorted by `sort` (a Qot_Common.SortField name, default CODE) and paged (num 1..200).
   */
  async warrants(opts: {
    owner?: string;
    types?: ('BUY' | 'SELL' | 'BULL' | 'BEAR')[];
    issuers?: string[];
    sort?: string;
    ascend?: boolean;
    begin?: number;
    num?: number;
    priceMin?: number;
    priceMax?: number;
    strikeMin?: number;
    strikeMax?: number;
    maturityFrom?: string;
    maturityTo?: string;
    status?: 'NORMAL' | 'SUSPEND' | 'STOP_TRADE' | 'PENDING_LISTING';
  } = {}) {
    const { begin, num } = page(opts);
    let owner: { market: number; code: string } | undefined;
    if (opts.owner !== undefined) {
      const ref = parseSecurity(opts.owner, 'owner');
      if (ref.prefix !== 'HK') throw new ValidationError('owner', `warrants and CBBCs exist only on HK stocks, got ${ref.key}`);
      owner = toQotSecurity(ref);
    }
    const s2c = await this.client.request(PROTO_ID.Qot_GetWarrant, {
      begin,
      num,
      sortField: enumValue(Qot_Common.SortField, opts.sort ?? 'CODE', 'sort'),
      ascend: opts.ascend ?? true,
      owner,
      typeList: (opts.types ?? []).map((t, i) => enumValue(Qot_Common.WarrantType, t, `types[${i}]`, ['BUY', 'SELL', 'BULL', 'BEAR'])),
      issuerList: (opts.issuers ?? []).map((t, i) => enumValue(Qot_Common.Issuer, t, `issuers[${i}]`)),
      curPriceMin: opts.priceMin,
      curPriceMax: opts.priceMax,
      strikePriceMin: opts.strikeMin,
      strikePriceMax: opts.strikeMax,
      maturityTimeMin: opts.maturityFrom === undefined ? undefined : date(opts.maturityFrom, 'maturityFrom'),
      maturityTimeMax: opts.maturityTo === undefined ? undefined : date(opts.maturityTo, 'maturityTo'),
      status: opts.status === undefined ? undefined : enumValue(Qot_Common.WarrantStatus, opts.status, 'status'),
    });
    return {
      total: s2c.allCount,
      lastPage: s2c.lastPage,
      rows: (s2c.warrantDataList ?? []).map((w) => ({
        code: securityKey(w.stock),
        owner: securityKey(w.owner),
        name: w.name,
        type: enumName(Qot_Common.WarrantType, w.type),
        issuer: enumName(Qot_Common.Issuer, w.issuer),
        status: enumName(Qot_Common.WarrantStatus, w.status),
        strike: w.strikePrice,
        recoveryPrice: w.recoveryPrice,
        conversionRatio: w.conversionRatio,
        streetRate: w.streetRate,
        maturityDate: w.maturityTime,
        price: w.curPrice,
        premium: w.premium,
        leverage: w.leverage,
        delta: w.delta,
      })),
    };
  }

  /** Warrants and CBBCs on one stock (3206, ReferenceType WARRANT). */
  async relatedWarrants(code: string): Promise<{ code: string; name: string; type: string }[]> {
    const s2c = await this.client.request(PROTO_ID.Qot_GetReference, { security: toQotSecurity(parseSecurity(code)), referenceType: 1 });
    return (s2c.staticInfoList ?? []).map((s) => ({ code: securityKey(s.basic.security), name: s.basic.name, type: enumName(Qot_Common.WarrantType, s.warrantExData?.type ?? 0) }));
  }

  /** Major holders' holding changes (3208) of a stock: INSTITUTION, FUND or EXECUTIVE; optional filing-date range. */
  async holdingChanges(code: string, holder: 'INSTITUTION' | 'FUND' | 'EXECUTIVE', range: { from?: string; to?: string } = {}) {
    const holderCategory = ({ INSTITUTION: 1, FUND: 2, EXECUTIVE: 3 } as const)[holder];
    if (holderCategory === undefined) throw new ValidationError('holder', `expected one of INSTITUTION, FUND, EXECUTIVE, got ${JSON.stringify(holder)?.slice(0, 40)}`);
    const beginTime = range.from === undefined ? undefined : `${date(range.from, 'from')} 00:00:00`;
    const endTime = range.to === undefined ? undefined : `${date(range.to, 'to')} 23:59:59`;
    const s2c = await this.client.request(PROTO_ID.Qot_GetHoldingChangeList, { security: toQotSecurity(parseSecurity(code)), holderCategory, beginTime, endTime });
    return (s2c.holdingChangeList ?? []).map((h) => ({ holder: h.holderName, quantity: h.holdingQty, ratio: h.holdingRatio, change: h.changeQty, changeRatio: h.changeRatio, time: h.time }));
  }

  /** HK broker queue (3014); needs a BROKER subscription for the code on this connection. */
  async brokerQueue(code: string): Promise<{ code: string; bids: BrokerEntry[]; asks: BrokerEntry[] }> {
    const ref = parseSecurity(code);
    if (ref.prefix !== 'HK') throw new ValidationError('code', `broker queues exist only for HK securities, got ${ref.key}`);
    const s2c = await this.client.request(PROTO_ID.Qot_GetBroker, { security: toQotSecurity(ref) });
    const map = (l: Qot_Common.Broker[] | undefined) => (l ?? []).map((b) => ({ id: b.id, name: b.name, position: b.pos, volume: b.volume }));
    return { code: ref.key, bids: map(s2c.brokerBidList), asks: map(s2c.brokerAskList) };
  }

  /**
   * Corporate actions and their adjustment factors (3105), oldest first. Futu: forward-adjusted price = price ×
   * fwdFactorA + fwdFactorB, backward-adjusted = price × bwdFactorA + bwdFactorB; each row holds its own action's
   * factors.
   */
  async corporateActions(code: string): Promise<CorporateActionRow[]> {
    const s2c = await this.client.request(PROTO_ID.Qot_RequestRehab, { security: toQotSecurity(parseSecurity(code)) });
    return (s2c.rehabList ?? []).map((r) => {
      const flags = Number(r.companyActFlag);
      const ratio = (base?: number, ert?: number) => (base !== undefined && ert !== undefined ? { base, ert } : undefined);
      return {
        exDate: r.time,
        actions: COMPANY_ACTS.filter(([bit]) => (flags & bit) !== 0).map(([, name]) => name),
        forward: { a: r.fwdFactorA, b: r.fwdFactorB },
        backward: { a: r.bwdFactorA, b: r.bwdFactorB },
        split: ratio(r.splitBase, r.splitErt),
        join: ratio(r.joinBase, r.joinErt),
        bonus: ratio(r.bonusBase, r.bonusErt),
        transfer: ratio(r.transferBase, r.transferErt),
        dividend: r.dividend,
        specialDividend: r.spDividend,
      };
    });
  }

  /** Watchlist groups (3222): CUSTOM, SYSTEM or ALL. */
  async watchlistGroups(type: 'CUSTOM' | 'SYSTEM' | 'ALL' = 'ALL'): Promise<{ name: string; type: string }[]> {
    const s2c = await this.client.request(PROTO_ID.Qot_GetUserSecurityGroup, { groupType: enumValue(GroupType, type, 'type', ['CUSTOM', 'SYSTEM', 'ALL']) });
    return (s2c.groupList ?? []).map((g) => ({ name: g.groupName, type: enumName(GroupType, g.groupType) }));
  }

  /** The securities of one watchlist group (3213). */
  async watchlist(group: string): Promise<{ code: string; name: string }[]> {
    if (typeof group !== 'string' || group.trim() === '') throw new ValidationError('group', 'expected a group name');
    const s2c = await this.client.request(PROTO_ID.Qot_GetUserSecurity, { groupName: group });
    return (s2c.staticInfoList ?? []).map((s) => ({ code: securityKey(s.basic.security), name: s.basic.name }));
  }

  /** Changes a custom watchlist group (3214): ADD to it, MOVE_OUT of it, or DEL from the whole watchlist. */
  async modifyWatchlist(group: string, op: 'ADD' | 'DEL' | 'MOVE_OUT', codes: string[] | string): Promise<void> {
    if (typeof group !== 'string' || group.trim() === '') throw new ValidationError('group', 'expected a group name');
    const refs = parseSecurityList(codes);
    await this.client.request(PROTO_ID.Qot_ModifyUserSecurity, { groupName: group, op: enumValue(ModifyUserSecurityOp, op, 'op', ['ADD', 'DEL', 'MOVE_OUT']), securityList: refs.map(toQotSecurity) });
  }
}
