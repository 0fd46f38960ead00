// Reference data of the simulated market (reference.json next to universe.json): suspensions, code changes,
// IPOs, the system watchlist groups and corporate actions. Loaded and validated once at start; a malformed file is an error that
// names the entry and field. Entries about a security the running universe does not have are dropped (a custom,
// smaller universe keeps working with the default reference file); IPOs and the "related" side of a code change
// name securities that by their nature are not listed yet, so only their format is checked.
import { readFileSync } from 'node:fs';
import { CodeChangeType } from '../../../proto/generated/Qot_GetCodeChange.js';
import type * as Qot_GetIpoList from '../../../proto/generated/Qot_GetIpoList.js';
import { parseSecurity, type SecurityRef } from '../../../proto/securities.js';
import { parseDay } from './calendars.js';
import { parseCorporateActions, type CorporateAction } from './corporate-actions.js';

export const DEFAULT_REFERENCE_PATH = new URL('../reference.json', import.meta.url);

export interface CodeChange {
  /** Qot_GetCodeChange.CodeChangeType */
  type: number;
  security: SecurityRef;
  related: SecurityRef;
  publicTime?: string;
  effectiveTime?: string;
  endTime?: string;
}

export interface Ipo {
  security: SecurityRef;
  name: string;
  listTime: string;
  hk?: Qot_GetIpoList.HKIpoExData;
  us?: Qot_GetIpoList.USIpoExData;
  cn?: Qot_GetIpoList.CNIpoExData;
}

export interface ReferenceData {
  /** Security key → suspended local days ("yyyy-MM-dd"), ascending. */
  suspensions: Map<string, string[]>;
  codeChanges: CodeChange[];
  ipos: Ipo[];
  /** System watchlist groups (Futu's GroupType_System): name → security keys. */
  systemWatchlists: { name: string; securities: string[] }[];
  /** Security key → splits, joins, bonus shares and dividends, oldest first (corporate-actions.ts). */
  corporateActions: Map<string, CorporateAction[]>;
}

export class ReferenceDataError extends Error {
  override readonly name = 'ReferenceDataError';
}

/** Reads and validates the reference file; `has(key)` tells which securities the running universe has. */
export function loadReferenceData(has: (key: string) => boolean, path: string | URL = DEFAULT_REFERENCE_PATH): ReferenceData {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new ReferenceDataError(`reference data ${String(path)}: ${(err as Error).message}`);
  }
  return parseReferenceData(json, has, String(path));
}

export function parseReferenceData(json: unknown, has: (key: string) => boolean, source = 'reference data'): ReferenceData {
  const fail = (where: string, msg: string): never => {
    throw new ReferenceDataError(`${source}: ${where}: ${msg}`);
  };
  const obj = (v: unknown, where: string): Record<string, unknown> =>
    typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : fail(where, 'expected an object');
  const arr = (v: unknown, where: string): unknown[] => (v === undefined ? [] : Array.isArray(v) ? v : fail(where, 'expected an array'));
  const sec = (v: unknown, where: string): SecurityRef => {
    try {
      return parseSecurity(v, where);
    } catch (err) {
      return fail(where, (err as Error).message);
    }
  };
  const date = (v: unknown, where: string): string => (typeof v === 'string' && parseDay(v) !== undefined ? v : fail(where, `expected a date "yyyy-MM-dd", got ${JSON.stringify(v)}`));
  const optDate = (v: unknown, where: string): string | undefined => (v === undefined ? undefined : date(v, where));

  const root = obj(json, 'top level');
  const suspensions = new Map<string, string[]>();
  arr(root['suspensions'], 'suspensions').forEach((raw, i) => {
    const e = obj(raw, `suspensions[${i}]`);
    const s = sec(e['security'], `suspensions[${i}].security`);
    const days = arr(e['dates'], `suspensions[${i}].dates`).map((d, j) => date(d, `suspensions[${i}].dates[${j}]`));
    if (has(s.key)) suspensions.set(s.key, [...(suspensions.get(s.key) ?? []), ...days].sort());
  });

  const codeChanges: CodeChange[] = [];
  arr(root['codeChanges'], 'codeChanges').forEach((raw, i) => {
    const w = `codeChanges[${i}]`;
    const e = obj(raw, w);
    const typeName = e['type'];
    const type = typeof typeName === 'string' && typeName in CodeChangeType ? CodeChangeType[typeName as keyof typeof CodeChangeType] : undefined;
    if (type === undefined || type === 0) fail(`${w}.type`, `expected one of ${Object.keys(CodeChangeType).filter((k) => k !== 'UNKOWN').join(', ')}`);
    const s = sec(e['security'], `${w}.security`);
    const related = sec(e['relatedSecurity'], `${w}.relatedSecurity`);
    const change = { type: type!, security: s, related, publicTime: optDate(e['publicTime'], `${w}.publicTime`), effectiveTime: optDate(e['effectiveTime'], `${w}.effectiveTime`), endTime: optDate(e['endTime'], `${w}.endTime`) };
    if (has(s.key)) codeChanges.push(change);
  });

  const ipos: Ipo[] = arr(root['ipos'], 'ipos').map((raw, i) => {
    const w = `ipos[${i}]`;
    const e = obj(raw, w);
    const name = typeof e['name'] === 'string' && e['name'] ? e['name'] : fail(`${w}.name`, 'expected a non-empty string');
    const ipo: Ipo = { security: sec(e['security'], `${w}.security`), name, listTime: date(e['listTime'], `${w}.listTime`) };
    const want = ipo.security.prefix === 'HK' ? 'hk' : ipo.security.prefix === 'US' ? 'us' : 'cn';
    const ex = e[want];
    if (ex === undefined) fail(w, `a ${ipo.security.prefix} IPO needs its "${want}" figures`);
    // The figures become the generated message types (int64 fields become bigint); Futu's required fields are
    // checked here so a bad file fails at start, not on the first Qot_GetIpoList.
    const x = obj(ex, `${w}.${want}`);
    const REQUIRED: Record<string, [string[], string[]]> = {
      hk: [['ipoPriceMin', 'ipoPriceMax', 'listPrice', 'lotSize', 'entrancePrice'], ['isSubscribeStatus']],
      us: [['ipoPriceMin', 'ipoPriceMax', 'issueSize'], []],
      cn: [['issueSize', 'onlineIssueSize', 'applyUpperLimit', 'applyLimitMarketValue', 'ipoPrice', 'industryPeRate', 'winningRatio', 'issuePeRate'], ['isEstimateIpoPrice', 'isEstimateWinningRatio', 'isHasWon']],
    };
    const [numbers, flags] = REQUIRED[want]!;
    for (const f of numbers) if (typeof x[f] !== 'number' || !Number.isFinite(x[f])) fail(`${w}.${want}.${f}`, `expected a number, got ${JSON.stringify(x[f])}`);
    for (const f of flags) if (typeof x[f] !== 'boolean') fail(`${w}.${want}.${f}`, `expected true or false, got ${JSON.stringify(x[f])}`);
    if (want === 'cn' && typeof x['applyCode'] !== 'string') fail(`${w}.cn.applyCode`, 'expected a string');
    if (want === 'hk') ipo.hk = x as unknown as Qot_GetIpoList.HKIpoExData;
    if (want === 'us') ipo.us = { ...(x as unknown as Qot_GetIpoList.USIpoExData), issueSize: BigInt(x['issueSize'] as number) };
    if (want === 'cn') {
      const c = x as unknown as Qot_GetIpoList.CNIpoExData;
      ipo.cn = { ...c, issueSize: BigInt(x['issueSize'] as number), onlineIssueSize: BigInt(x['onlineIssueSize'] as number), applyUpperLimit: BigInt(x['applyUpperLimit'] as number), applyLimitMarketValue: BigInt(x['applyLimitMarketValue'] as number), winningNumData: [] };
    }
    return ipo;
  });

  const systemWatchlists = arr(root['systemWatchlists'], 'systemWatchlists').map((raw, i) => {
    const e = obj(raw, `systemWatchlists[${i}]`);
    const name = typeof e['name'] === 'string' && e['name'] ? e['name'] : fail(`systemWatchlists[${i}].name`, 'expected a non-empty string');
    const securities = arr(e['securities'], `systemWatchlists[${i}].securities`).map((s, j) => sec(s, `systemWatchlists[${i}].securities[${j}]`).key).filter(has);
    return { name, securities };
  });

  return { suspensions, codeChanges, ipos, systemWatchlists, corporateActions: parseCorporateActions(root['corporateActions'], has, fail) };
}
