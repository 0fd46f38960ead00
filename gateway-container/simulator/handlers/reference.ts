// Reference and screening protocols of the simulator: trading days (3219), suspensions (3201), code changes
// (3216), IPO list (3217), capital flow (3211) and distribution (3212) from the simulator's own trades, owner
// plates (3207) and the user's watchlists (3222 groups, 3213 securities of a group, 3214 modify).
// Invariants: a request naming a security outside the universe, an unknown enum value or a malformed date is
// refused with a message saying what is allowed; no handler changes market or trading state. Watchlists live in
// memory per simulator and, when a watchlist file is given (beside the state file), on disk after every change
// and before the reply, so a restart keeps them.
import * as Qot_Common from '../../../proto/generated/Qot_Common.js';
import { GroupType } from '../../../proto/generated/Qot_GetUserSecurityGroup.js';
import { ModifyUserSecurityOp } from '../../../proto/generated/Qot_ModifyUserSecurity.js';
import { TimeFilterType } from '../../../proto/generated/Qot_GetCodeChange.js';
import { PROTO_ID } from '../../../proto/registry.js';
import { prefixOfQotMarket, securityKey } from '../../../proto/securities.js';
import type { SecurityMarket } from '../market-view.js';
import { CapitalFlowBook } from '../market/capital-flow.js';
import { DAY_MS, MARKET_CALENDARS, formatDay, fromLocalMs, isTradingDay, localDay, parseDay, sessionMinutesOfDay, weekdayOf } from '../market/calendars.js';
import type { MarketEngine } from '../market/engine.js';
import { knownSecurity } from './known-security.js';
import type { CodeChange, ReferenceData } from '../market/reference-data.js';
import { readWatchlists, writeWatchlists } from '../market/watchlist-file.js';
import { SimError, type OpenDSimulator } from '../server.js';

/** Longest date range one trading-days request may span (keeps a reply bounded). */
const MAX_TRADE_DATE_SPAN_DAYS = 3660;

export interface ReferenceService {
  capitalFlow: CapitalFlowBook;
  /** Custom watchlist groups: name → security keys, in the order added. */
  watchlists: Map<string, string[]>;
  dispose(): void;
}

export function registerReferenceHandlers(sim: OpenDSimulator, market: MarketEngine, ref: ReferenceData, opts: { tickIntervalMs?: number; watchlistFile?: string } = {}): ReferenceService {
  const flows = new CapitalFlowBook(market, opts.tickIntervalMs ?? 1000);
  const sync = () => market.advanceTo(sim.now());

  const known = (sec: Qot_Common.Security | undefined, field = 'security'): string => knownSecurity(market, sec, field);
  const day = (text: unknown, field: string): number => {
    const d = typeof text === 'string' ? parseDay(text.trim().slice(0, 10)) : undefined;
    if (d === undefined) throw new SimError(`${field} must be a date "yyyy-MM-dd", got ${JSON.stringify(text)}`);
    return d;
  };

  // 3219. Futu: trading days are natural days minus weekends and holidays (temporary closures not excluded);
  // when both market and security are given, market is ignored. TradeDateMarket NT (Stock Connect northbound)
  // and ST (southbound) trade only on days both the Hong Kong and the mainland exchanges are open.
  sim.handle(PROTO_ID.Qot_RequestTradeDate, (_ctx, c2s) => {
    const TDM = Qot_Common.TradeDateMarket;
    let markets: SecurityMarket[];
    if (c2s.security) markets = [market.security(known(c2s.security))!.market];
    else if (c2s.market === TDM.HK) markets = ['HK'];
    else if (c2s.market === TDM.US) markets = ['US'];
    else if (c2s.market === TDM.CN) markets = ['SH'];
    else if (c2s.market === TDM.NT || c2s.market === TDM.ST) markets = ['HK', 'SH'];
    else throw new SimError(`market ${c2s.market} is not simulated; allowed TradeDateMarket values: HK (1), US (2), CN (3), NT (4), ST (5)`);
    const from = day(c2s.beginTime, 'beginTime');
    const to = day(c2s.endTime, 'endTime');
    if (to < from) throw new SimError(`endTime ${c2s.endTime} is before beginTime ${c2s.beginTime}`);
    if (to - from > MAX_TRADE_DATE_SPAN_DAYS) throw new SimError(`at most ${MAX_TRADE_DATE_SPAN_DAYS} days per request, got ${to - from + 1}`);
    const home = markets[0]!;
    const tradeDateList = [];
    for (let d = from; d <= to; d++) {
      if (!markets.every((m) => isTradingDay(m, d))) continue;
      // A shortened day that keeps only the morning session is TradeDateType MORNING.
      const full = MARKET_CALENDARS[home].sessions.length;
      const kept = sessionMinutesOfDay(home, d).length;
      const tradeDateType = kept < full ? Qot_Common.TradeDateType.MORNING : Qot_Common.TradeDateType.WHOLE;
      tradeDateList.push({ time: formatDay(d), timestamp: fromLocalMs(home, d * DAY_MS) / 1000, tradeDateType });
    }
    return { tradeDateList };
  });

  // 3201: suspension days of each requested security within [beginTime, endTime].
  sim.handle(PROTO_ID.Qot_GetSuspend, (_ctx, c2s) => {
    const list = (c2s.securityList ?? []) as Qot_Common.Security[];
    if (list.length === 0) throw new SimError('securityList is empty');
    const from = day(c2s.beginTime, 'beginTime');
    const to = day(c2s.endTime, 'endTime');
    return {
      SecuritySuspendList: list.map((s) => {
        const key = known(s);
        const m = market.security(key)!.market;
        const days = (ref.suspensions.get(key) ?? []).map((t) => parseDay(t)!).filter((d) => d >= from && d <= to);
        return { security: s, suspendList: days.map((d) => ({ time: formatDay(d), timestamp: fromLocalMs(m, d * DAY_MS) / 1000 })) };
      }),
    };
  });

  // 3216: Futu filters by securities, by change types and by time filters (public / effective / end date
  // ranges); every given filter must match.
  sim.handle(PROTO_ID.Qot_GetCodeChange, (_ctx, c2s) => {
    const keys = new Set(((c2s.securityList ?? []) as Qot_Common.Security[]).map((s) => securityKey(s)));
    const types = new Set<number>(c2s.typeList ?? []);
    const filters = (c2s.timeFilterList ?? []) as { type: number; beginTime?: string; endTime?: string }[];
    for (const f of filters) {
      if (![TimeFilterType.PUBLIC, TimeFilterType.EFFECTIVE, TimeFilterType.END].includes(f.type as 1 | 2 | 3)) throw new SimError(`timeFilterList type ${f.type} is not one of PUBLIC (1), EFFECTIVE (2), END (3)`);
    }
    const timeOf = (c: CodeChange, type: number) => (type === TimeFilterType.PUBLIC ? c.publicTime : type === TimeFilterType.EFFECTIVE ? c.effectiveTime : c.endTime);
    const match = (c: CodeChange) =>
      (keys.size === 0 || keys.has(c.security.key) || keys.has(c.related.key)) &&
      (types.size === 0 || types.has(c.type)) &&
      filters.every((f) => {
        const t = timeOf(c, f.type);
        if (t === undefined) return false;
        const d = parseDay(t)!;
        return (f.beginTime === undefined || f.beginTime === '' || d >= day(f.beginTime, 'timeFilter.beginTime')) && (f.endTime === undefined || f.endTime === '' || d <= day(f.endTime, 'timeFilter.endTime'));
      });
    const stamp = (m: SecurityMarket, t: string | undefined) => (t === undefined ? undefined : fromLocalMs(m, parseDay(t)! * DAY_MS) / 1000);
    return {
      codeChangeList: ref.codeChanges.filter(match).map((c) => ({
        type: c.type,
        security: { market: c.security.market, code: c.security.code },
        relatedSecurity: { market: c.related.market, code: c.related.code },
        publicTime: c.publicTime,
        publicTimestamp: stamp(market.security(c.security.key)!.market, c.publicTime),
        effectiveTime: c.effectiveTime,
        effectiveTimestamp: stamp(market.security(c.security.key)!.market, c.effectiveTime),
        endTime: c.endTime,
        endTimestamp: stamp(market.security(c.security.key)!.market, c.endTime),
      })),
    };
  });

  // 3217: IPOs of one market that list today or later (Futu lists upcoming IPOs); HK_SECURITY, US_SECURITY,
  // CNSH_SECURITY and CNSZ_SECURITY are the markets with IPO data.
  sim.handle(PROTO_ID.Qot_GetIpoList, (_ctx, c2s) => {
    const prefix = prefixOfQotMarket(c2s.market);
    if (prefix !== 'HK' && prefix !== 'US' && prefix !== 'SH' && prefix !== 'SZ') throw new SimError(`market ${c2s.market} has no IPO data; allowed QotMarket values: HK_SECURITY (1), US_SECURITY (11), CNSH_SECURITY (21), CNSZ_SECURITY (22)`);
    const today = localDay(prefix, sim.now());
    return {
      ipoList: ref.ipos
        .filter((i) => i.security.prefix === prefix && parseDay(i.listTime)! >= today)
        .map((i) => ({
          basic: { security: { market: i.security.market, code: i.security.code }, name: i.name, listTime: i.listTime, listTimestamp: fromLocalMs(prefix, parseDay(i.listTime)! * DAY_MS) / 1000 },
          hkExData: i.hk,
          usExData: i.us,
          cnExData: i.cn,
        })),
    };
  });

  // 3211: INTRADAY is the latest trading day's cumulative net inflow by minute; DAY / WEEK / MONTH are net
  // inflows per period over [beginTime, endTime] (default: the year up to today).
  sim.handle(PROTO_ID.Qot_GetCapitalFlow, (_ctx, c2s) => {
    sync();
    const key = known(c2s.security);
    const m = market.security(key)!.market;
    const P = Qot_Common.PeriodType;
    const period = c2s.periodType ?? P.INTRADAY;
    let points;
    if (period === P.INTRADAY) points = flows.intraday(key);
    else if (period === P.DAY || period === P.WEEK || period === P.MONTH) {
      const to = c2s.endTime ? day(c2s.endTime, 'endTime') : localDay(m, sim.now());
      const from = c2s.beginTime ? day(c2s.beginTime, 'beginTime') : to - 365;
      if (to < from) throw new SimError(`endTime ${c2s.endTime} is before beginTime ${c2s.beginTime}`);
      const periodKey = period === P.DAY ? (d: number) => d : period === P.WEEK ? (d: number) => d - ((weekdayOf(d) + 6) % 7) : (d: number) => Number(formatDay(d).slice(0, 7).replace('-', ''));
      points = flows.periods(key, from, to, periodKey);
    } else throw new SimError(`periodType ${period} is not one of INTRADAY (1), DAY (2), WEEK (3), MONTH (4)`);
    const stamp = (time: string) => fromLocalMs(m, time.length > 10 ? Date.parse(`${time.replace(' ', 'T')}Z`) : parseDay(time)! * DAY_MS) / 1000;
    const flowItemList = points.map((p) => ({ ...p, timestamp: stamp(p.time) }));
    const last = flowItemList.at(-1);
    return { flowItemList, lastValidTime: last?.time, lastValidTimestamp: last?.timestamp };
  });

  // 3212: turnover in and out by order size class on the latest trading day.
  sim.handle(PROTO_ID.Qot_GetCapitalDistribution, (_ctx, c2s) => {
    sync();
    const key = known(c2s.security);
    const d = flows.distribution(key);
    const r = (v: number) => Math.round(v * 1000) / 1000;
    return {
      capitalInSuper: r(d.in.super),
      capitalInBig: r(d.in.big),
      capitalInMid: r(d.in.mid),
      capitalInSmall: r(d.in.small),
      capitalOutSuper: r(d.out.super),
      capitalOutBig: r(d.out.big),
      capitalOutMid: r(d.out.mid),
      capitalOutSmall: r(d.out.small),
      updateTime: d.updateTime,
      updateTimestamp: d.updateTime ? fromLocalMs(market.security(key)!.market, Date.parse(`${d.updateTime.replace(' ', 'T')}Z`)) / 1000 : undefined,
    };
  });

  // 3207: the plates each security belongs to (Futu: at most 200 securities per request).
  sim.handle(PROTO_ID.Qot_GetOwnerPlate, (_ctx, c2s) => {
    const list = (c2s.securityList ?? []) as Qot_Common.Security[];
    if (list.length === 0) throw new SimError('securityList is empty');
    if (list.length > 200) throw new SimError(`at most 200 securities per request, got ${list.length}`);
    return {
      ownerPlateList: list.map((s) => {
        const key = known(s);
        return { security: s, name: market.security(key)!.name, plateInfoList: market.securityPlates(key)!.map((p) => p.info) };
      }),
    };
  });

  // Watchlists. Futu's groups are made in the app; the simulator has no app, so ADD to a group name that is not
  // a system group creates that custom group. System groups (reference.json) are read-only, as in Futu.
  const custom = new Map<string, string[]>();
  // Saved groups come back as saved, minus securities this universe does not have (a smaller custom universe).
  for (const [name, keys] of (opts.watchlistFile ? readWatchlists(opts.watchlistFile) : undefined) ?? []) custom.set(name, keys.filter((k) => market.security(k)));
  const system = new Map(ref.systemWatchlists.map((g) => [g.name, g.securities]));

  sim.handle(PROTO_ID.Qot_GetUserSecurityGroup, (_ctx, c2s) => {
    const t = c2s.groupType;
    if (t !== GroupType.CUSTOM && t !== GroupType.SYSTEM && t !== GroupType.ALL) throw new SimError(`groupType ${t} is not one of CUSTOM (1), SYSTEM (2), ALL (3)`);
    const groupList = [];
    if (t !== GroupType.CUSTOM) for (const name of system.keys()) groupList.push({ groupName: name, groupType: GroupType.SYSTEM });
    if (t !== GroupType.SYSTEM) for (const name of custom.keys()) groupList.push({ groupName: name, groupType: GroupType.CUSTOM });
    return { groupList };
  });

  sim.handle(PROTO_ID.Qot_GetUserSecurity, (_ctx, c2s) => {
    const keys = custom.get(c2s.groupName) ?? system.get(c2s.groupName);
    if (!keys) throw new SimError(`unknown watchlist group ${JSON.stringify(c2s.groupName)}; groups: ${[...system.keys(), ...custom.keys()].join(', ')}`);
    return { staticInfoList: keys.map((k) => market.staticInfo(k)!) };
  });

  sim.handle(PROTO_ID.Qot_ModifyUserSecurity, (_ctx, c2s) => {
    const name: string = c2s.groupName;
    if (typeof name !== 'string' || name.trim() === '') throw new SimError('groupName is required');
    if (system.has(name)) throw new SimError(`${name} is a system group and cannot be modified; use a custom group`);
    const list = (c2s.securityList ?? []) as Qot_Common.Security[];
    if (list.length === 0) throw new SimError('securityList is empty');
    const keys = list.map((s) => known(s));
    const op = c2s.op;
    // The change is made on a copy, saved, and only then applied: a failed save changes nothing.
    const next = new Map([...custom].map(([n, g]) => [n, [...g]]));
    if (op === ModifyUserSecurityOp.ADD) {
      const group = next.get(name) ?? [];
      for (const k of keys) if (!group.includes(k)) group.push(k);
      next.set(name, group);
    } else if (op === ModifyUserSecurityOp.MOVE_OUT || op === ModifyUserSecurityOp.DEL) {
      const group = next.get(name);
      if (!group) throw new SimError(`unknown watchlist group ${JSON.stringify(name)}`);
      // MOVE_OUT takes the securities out of this group; DEL removes them from the watchlist, every custom group.
      const targets = op === ModifyUserSecurityOp.DEL ? [...next.values()] : [group];
      for (const g of targets) for (const k of keys) if (g.includes(k)) g.splice(g.indexOf(k), 1);
    } else throw new SimError(`op ${op} is not one of ADD (1), DEL (2), MOVE_OUT (3)`);
    if (opts.watchlistFile) {
      try {
        writeWatchlists(opts.watchlistFile, next);
      } catch (err) {
        throw new SimError(`saving the watchlists failed, nothing changed: ${(err as Error).message}`);
      }
    }
    custom.clear();
    for (const [n, g] of next) custom.set(n, g);
    return {};
  });

  return { capitalFlow: flows, watchlists: custom, dispose: () => flows.dispose() };
}
