// GET routes for reference and screening data, served by the quotes function: trading days, plates and their
// members, the stock screener, capital flow and distribution, warrants, watchlists, suspensions, IPOs, corporate
// actions (adjustment factors), top movers and OpenD's delay statistics.
// Every query parameter is checked here (a clear 400 naming it and what is allowed) before OpenD sees the call,
// and protocols Futu limits are counted against the shared OpenD login's window first (proto/futu-limits.ts).
import { getDelayStatistics, type DelayStatisticsKind, type QotPushStageName } from '../../proto/api/delay-statistics.js';
import { topMovers } from '../../proto/api/rankings.js';
import { ReferenceApi, type CapitalFlowPeriod, type ScreenFilter, type TradeDateMarketName } from '../../proto/api/reference.js';
import { QotPushStage } from '../../proto/generated/GetDelayStatistics.js';
import { FUTU_LIMITS_BY_PROTO } from '../../proto/futu-limits.js';
import { PROTO_ID, protocolName } from '../../proto/registry.js';
import { parseSecurity } from '../../proto/securities.js';
import { invalid, rateLimited } from '../lib/api-error.js';
import type { Route } from '../lib/http.js';
import { runtime } from '../lib/runtime.js';

const DAY_MS = 86_400_000;
const isoDay = (ms: number) => new Date(ms).toISOString().slice(0, 10);

function date(v: string | undefined, field: string): string | undefined {
  if (v === undefined) return undefined;
  if (!/^\d{4}-\d{2}-\d{2}$/.test(v) || isoDay(Date.parse(`${v}T00:00:00Z`) || 0) !== v) throw invalid(field, `must be a date "yyyy-MM-dd", got ${JSON.stringify(v).slice(0, 40)}`);
  return v;
}

function intParam(v: string | undefined, field: string, dflt: number, min: number, max: number): number {
  if (v === undefined) return dflt;
  if (!/^\d+$/.test(v) || Number(v) < min || Number(v) > max) throw invalid(field, `must be an integer from ${min} to ${max}, got ${JSON.stringify(v).slice(0, 40)}`);
  return Number(v);
}

function oneOf<T extends string>(v: string | undefined, field: string, allowed: readonly T[], dflt?: T): T {
  if (v === undefined && dflt !== undefined) return dflt;
  const u = v?.toUpperCase();
  if (u === undefined || !(allowed as readonly string[]).includes(u)) throw invalid(field, `must be one of ${allowed.join(', ')}, got ${JSON.stringify(v ?? null)}`);
  return u as T;
}

function code(v: string | undefined, field = 'code'): string {
  try {
    return parseSecurity(v, field).key;
  } catch (err) {
    throw invalid(field, (err as Error).message.replace(/^[^:]+: /, ''));
  }
}

/** Futu's per-protocol limit on the shared OpenD login, counted before the call (protocols Futu does not limit pass). */
async function limit(protoId: number): Promise<void> {
  const rule = FUTU_LIMITS_BY_PROTO[protoId];
  if (!rule) return;
  const d = await runtime().limiter.acquire(`${protocolName(protoId)}#opend`, { limit: rule.limit, windowMs: rule.windowMs });
  if (!d.allowed) throw rateLimited(`${protocolName(protoId)} requests`, d.retryAfterMs, rule);
}

async function api(protoId: number): Promise<ReferenceApi> {
  await limit(protoId);
  return new ReferenceApi((await runtime().openD.get()).client);
}

const MARKETS = ['HK', 'US', 'SH', 'SZ'] as const;

/** "FIELD:min:max[:ASCEND|DESCEND]" items, comma-separated; an empty bound is unbounded. */
function parseFilters(text: string | undefined): ScreenFilter[] {
  if (text === undefined || text === '') return [];
  const items = text.split(',');
  if (items.length > 20) throw invalid('filters', `at most 20 filters, got ${items.length}`);
  return items.map((item, i) => {
    const [field, min, max, sort, extra] = item.split(':');
    const num = (v: string | undefined, which: string) => {
      if (v === undefined || v === '') return undefined;
      const n = Number(v);
      if (!Number.isFinite(n)) throw invalid('filters', `item ${i + 1} (${item}): ${which} must be a number, got ${JSON.stringify(v)}`);
      return n;
    };
    if (!field || extra !== undefined) throw invalid('filters', `item ${i + 1} must look like FIELD:min:max[:ASCEND|DESCEND], e.g. CUR_PRICE:10:500, got ${JSON.stringify(item).slice(0, 60)}`);
    const s = sort === undefined || sort === '' ? undefined : oneOf(sort, 'filters', ['ASCEND', 'DESCEND'] as const);
    return { field: field.toUpperCase() as ScreenFilter['field'], min: num(min, 'min'), max: num(max, 'max'), sort: s };
  });
}

export const REFERENCE_ROUTES: Record<string, Route> = {
  // Futu's defaults: no from → 365 days before to; no to → 365 days after from; neither → the last 365 days.
  'GET /v1/trading-days': async (req) => {
    const market = req.query['market'];
    const c = req.query['code'];
    if ((market === undefined) === (c === undefined)) throw invalid('market', 'give either market (HK, US, CN, NT, ST) or code (e.g. HK.00700)');
    const where = c !== undefined ? { code: code(c) } : { market: oneOf(market, 'market', ['HK', 'US', 'CN', 'NT', 'ST'] as TradeDateMarketName[]) };
    let from = date(req.query['from'], 'from');
    let to = date(req.query['to'], 'to');
    if (from === undefined && to === undefined) to = isoDay(Date.now());
    if (from === undefined) from = isoDay(Date.parse(`${to}T00:00:00Z`) - 365 * DAY_MS);
    if (to === undefined) to = isoDay(Date.parse(`${from}T00:00:00Z`) + 365 * DAY_MS);
    if (from > to) throw invalid('from', 'must not be after to');
    const days = await (await api(PROTO_ID.Qot_RequestTradeDate)).tradingDays(where, from, to);
    return { status: 200, body: { ...where, from, to, days } };
  },

  'GET /v1/plates': async (req) => {
    const market = oneOf(req.query['market'], 'market', MARKETS);
    const set = oneOf(req.query['set'], 'set', ['ALL', 'INDUSTRY', 'REGION', 'CONCEPT'] as const, 'ALL');
    return { status: 200, body: { market, set, plates: await (await api(PROTO_ID.Qot_GetPlateSet)).plates(market, set) } };
  },

  'GET /v1/plates/{code}/members': async (req) => {
    const plate = req.path['code'] ?? '';
    if (!/^(HK|US|SH|SZ)\.[A-Za-z0-9]{2,16}$/.test(plate)) throw invalid('code', `must be a plate code like "HK.BK1001", got ${JSON.stringify(plate).slice(0, 40)}`);
    return { status: 200, body: { plate: plate.toUpperCase(), members: await (await api(PROTO_ID.Qot_GetPlateSecurity)).plateMembers(plate) } };
  },

  'GET /v1/screener': async (req) => {
    const market = oneOf(req.query['market'], 'market', MARKETS);
    const filters = parseFilters(req.query['filters']);
    const begin = intParam(req.query['begin'], 'begin', 0, 0, 1_000_000);
    const num = intParam(req.query['num'], 'num', 50, 1, 200);
    const plate = req.query['plate'];
    const r = await (await api(PROTO_ID.Qot_StockFilter)).screen(market, { plate, filters, begin, num });
    return { status: 200, body: { market, begin, ...r } };
  },

  'GET /v1/quotes/{code}/capital-flow': async (req) => {
    const c = code(req.path['code']);
    const period = oneOf(req.query['period'], 'period', ['INTRADAY', 'DAY', 'WEEK', 'MONTH'] as CapitalFlowPeriod[], 'INTRADAY');
    const from = date(req.query['from'], 'from');
    const to = date(req.query['to'], 'to');
    if (from && to && from > to) throw invalid('from', 'must not be after to');
    const flow = await (await api(PROTO_ID.Qot_GetCapitalFlow)).capitalFlow(c, { period, from, to });
    return { status: 200, body: { code: c, period, ...flow } };
  },

  'GET /v1/quotes/{code}/capital-distribution': async (req) => {
    const c = code(req.path['code']);
    return { status: 200, body: { code: c, ...(await (await api(PROTO_ID.Qot_GetCapitalDistribution)).capitalDistribution(c)) } };
  },

  'GET /v1/warrants': async (req) => {
    const owner = req.query['owner'] === undefined ? undefined : code(req.query['owner'], 'owner');
    const types = req.query['types']?.split(',').map((t) => oneOf(t, 'types', ['BUY', 'SELL', 'BULL', 'BEAR'] as const));
    const issuers = req.query['issuers']?.split(',').map((t) => t.toUpperCase());
    const ascend = req.query['order'] === undefined ? true : oneOf(req.query['order'], 'order', ['ASC', 'DESC'] as const) === 'ASC';
    const r = await (await api(PROTO_ID.Qot_GetWarrant)).warrants({
      owner,
      types,
      issuers,
      sort: req.query['sort']?.toUpperCase(),
      ascend,
      begin: intParam(req.query['begin'], 'begin', 0, 0, 1_000_000),
      num: intParam(req.query['num'], 'num', 50, 1, 200),
    });
    return { status: 200, body: r };
  },

  'GET /v1/watchlists': async (req) => {
    const type = oneOf(req.query['type'], 'type', ['CUSTOM', 'SYSTEM', 'ALL'] as const, 'ALL');
    return { status: 200, body: { groups: await (await api(PROTO_ID.Qot_GetUserSecurityGroup)).watchlistGroups(type) } };
  },

  'GET /v1/watchlists/{group}': async (req) => {
    const group = req.path['group'] ?? '';
    if (group.trim() === '' || group.length > 64) throw invalid('group', 'must be a watchlist group name (1 to 64 characters)');
    return { status: 200, body: { group, securities: await (await api(PROTO_ID.Qot_GetUserSecurity)).watchlist(group) } };
  },

  'GET /v1/suspensions': async (req) => {
    const codes = (req.query['codes'] ?? '').split(',').filter(Boolean);
    if (codes.length === 0 || codes.length > 400) throw invalid('codes', 'must list 1 to 400 securities, e.g. "HK.00700,US.AAPL"');
    codes.forEach((c, i) => code(c, `codes[${i}]`));
    const to = date(req.query['to'], 'to') ?? isoDay(Date.now());
    const from = date(req.query['from'], 'from') ?? isoDay(Date.parse(`${to}T00:00:00Z`) - 365 * DAY_MS);
    if (from > to) throw invalid('from', 'must not be after to');
    return { status: 200, body: { from, to, suspensions: await (await api(PROTO_ID.Qot_GetSuspend)).suspensions(codes, from, to) } };
  },

  'GET /v1/quotes/{code}/corporate-actions': async (req) => {
    const key = code(req.path['code']);
    return { status: 200, body: { code: key, actions: await (await api(PROTO_ID.Qot_RequestRehab)).corporateActions(key) } };
  },

  'GET /v1/rankings/top-movers': async (req) => {
    const market = oneOf(req.query['market'], 'market', ['HK', 'US'] as const);
    const direction = oneOf(req.query['direction'], 'direction', ['GAINERS', 'LOSERS'] as const, 'GAINERS');
    const offset = intParam(req.query['offset'], 'offset', 0, 0, 100_000);
    const count = intParam(req.query['count'], 'count', 50, 1, 200);
    await limit(PROTO_ID.Qot_GetTopMoversRank);
    const r = await topMovers((await runtime().openD.get()).client, { market, direction, offset, count });
    return { status: 200, body: { market, direction, offset, allCount: r.allCount, items: r.items } };
  },

  'GET /v1/delay-statistics': async (req) => {
    const kinds = req.query['kinds']?.split(',').map((k, i) => oneOf(k.trim(), `kinds[${i}]`, ['QOT_PUSH', 'REQ_REPLY', 'PLACE_ORDER'] as const)) as DelayStatisticsKind[] | undefined;
    const stages = Object.keys(QotPushStage).filter((k) => k !== 'UNKONW') as QotPushStageName[];
    const stage = req.query['stage'] === undefined ? undefined : oneOf(req.query['stage'], 'stage', stages);
    const segments = req.query['segments']?.split(',').map((v, i) => {
      if (!/^-?\d+$/.test(v.trim())) throw invalid(`segments[${i}]`, `must be a whole number of ms (or -1 for infinity), got ${JSON.stringify(v).slice(0, 40)}`);
      return Number(v);
    });
    await limit(PROTO_ID.GetDelayStatistics);
    // Futu's segment rules are checked by the client before sending; its ValidationError becomes a 400 naming the rule.
    return { status: 200, body: await getDelayStatistics((await runtime().openD.get()).client, { kinds, qotPushStage: stage, segments }) };
  },

  'GET /v1/ipos': async (req) => {
    const market = oneOf(req.query['market'], 'market', MARKETS);
    return { status: 200, body: { market, ipos: await (await api(PROTO_ID.Qot_GetIpoList)).ipos(market) } };
  },
};
