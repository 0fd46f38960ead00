// Corporate actions of the simulated market (splits, joins, bonus and transferred shares, cash and special
// dividends, declared in reference.json) and the price adjustment they imply: the rows of Qot_RequestRehab and
// forward / backward adjusted K-lines that agree with them.
//
// Futu's rule ("Get Adjustment Factor", openapi.futunn.com/futu-api-doc/en/quote/get-rehab.html):
//   price after forward adjustment  = price before adjustment × forward factor A  + forward factor B
//   price after backward adjustment = price before adjustment × backward factor A + backward factor B
// Each row here carries the factors of its own action. With r the share ratio of the action (split 1→5: 1/5;
// join 50→1: 50; bonus 10 get 3: 10/13) and D the cash paid per old share (dividend + special dividend):
//   forward  f(p) = (p − D) × r    → A = r,   B = −D·r   (a price before the ex-date, on today's basis)
//   backward b(p) = p / r + D      → A = 1/r, B = D      (a price on/after the ex-date, on the old basis)
// so b is exactly the inverse of f. Several actions compose: forward applies, oldest first, every action after a
// bar; backward applies, newest first, every action up to it.
//
// How the simulated series relate (the invariant the tests hold): the generated price path of a security IS its
// forward-adjusted series as of the virtual now, so live quotes, the order book and fills are unaffected. The
// unadjusted (NONE) price of a bar is the path with the actions after that bar (and on or before now) undone;
// the backward-adjusted one is the path with all actions up to now undone. An action dated after the virtual now
// has not happened yet: it is in no row and adjusts nothing. Volumes are not adjusted.
import type * as Qot_Common from '../../../proto/generated/Qot_Common.js';
import { parseSecurity } from '../../../proto/securities.js';
import { parseDay } from './calendars.js';

/** Qot_Common.CompanyAct flag bits. */
const ACT = { split: 1, join: 2, bonus: 4, transfer: 8, dividend: 64, spDividend: 128 } as const;
const RATIO_KINDS = ['split', 'join', 'bonus', 'transfer'] as const;
type RatioKind = (typeof RATIO_KINDS)[number];
const KL_NONE = 0;
const KL_FORWARD = 1;
const KL_BACKWARD = 2;

export interface CorporateAction {
  /** Security key, e.g. "US.TSLA". */
  key: string;
  /** Ex-date, exchange-local "yyyy-MM-dd". */
  exDate: string;
  /** Days since the epoch of the ex-date. */
  exDay: number;
  split?: Ratio;
  join?: Ratio;
  bonus?: Ratio;
  transfer?: Ratio;
  /** Cash per share. */
  dividend?: number;
  spDividend?: number;
}

interface Ratio {
  base: number;
  ert: number;
}

export interface AdjustFactors {
  fwdA: number;
  fwdB: number;
  bwdA: number;
  bwdB: number;
}

/** The adjustment factors of one action (see the header for the rule). */
export function factorsOf(a: CorporateAction): AdjustFactors {
  let r = 1;
  if (a.split) r *= a.split.base / a.split.ert;
  if (a.join) r *= a.join.base / a.join.ert;
  // Bonus and transferred shares add to the old ones: 10 get 3 turns 10 shares into 13.
  if (a.bonus) r *= a.bonus.base / (a.bonus.base + a.bonus.ert);
  if (a.transfer) r *= a.transfer.base / (a.transfer.base + a.transfer.ert);
  const d = (a.dividend ?? 0) + (a.spDividend ?? 0);
  return { fwdA: r, fwdB: -d * r, bwdA: 1 / r, bwdB: d };
}

/**
 * Parses `corporateActions` of reference.json: `[{ "security": "US.TSLA", "exDate": "2022-08-25",
 * "split": { "base": 1, "ert": 3 } }, { "security": "HK.00700", "exDate": "2024-05-17", "dividend": 3.4 }]`.
 * Entries about securities the universe lacks are dropped; a malformed one fails through `fail(where, msg)`.
 */
export function parseCorporateActions(raw: unknown, has: (key: string) => boolean, fail: (where: string, msg: string) => never): Map<string, CorporateAction[]> {
  const out = new Map<string, CorporateAction[]>();
  if (raw === undefined) return out;
  if (!Array.isArray(raw)) fail('corporateActions', 'expected an array');
  (raw as unknown[]).forEach((entry, i) => {
    const w = `corporateActions[${i}]`;
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) fail(w, 'expected an object');
    const e = entry as Record<string, unknown>;
    let key: string;
    try {
      key = parseSecurity(e['security'], `${w}.security`).key;
    } catch (err) {
      return fail(`${w}.security`, (err as Error).message);
    }
    const exDate = e['exDate'];
    const exDay = typeof exDate === 'string' ? parseDay(exDate) : undefined;
    if (exDay === undefined) fail(`${w}.exDate`, `expected a date "yyyy-MM-dd", got ${JSON.stringify(exDate)}`);
    const action: CorporateAction = { key, exDate: exDate as string, exDay: exDay! };
    for (const kind of RATIO_KINDS) if (e[kind] !== undefined) action[kind] = ratio(e[kind], `${w}.${kind}`, fail);
    for (const f of ['dividend', 'spDividend'] as const) {
      const v = e[f];
      if (v === undefined) continue;
      if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) fail(`${w}.${f}`, `expected a cash amount per share > 0, got ${JSON.stringify(v)}`);
      action[f] = v as number;
    }
    if (!RATIO_KINDS.some((k) => action[k]) && action.dividend === undefined && action.spDividend === undefined) {
      fail(w, 'an action needs at least one of split, join, bonus, transfer, dividend, spDividend');
    }
    if (!has(key)) return;
    const list = out.get(key) ?? [];
    if (list.some((x) => x.exDay === action.exDay)) fail(w, `${key} already has an action on ${action.exDate}: put both in one entry`);
    list.push(action);
    out.set(key, list.sort((a, b) => a.exDay - b.exDay));
  });
  return out;
}

function ratio(v: unknown, where: string, fail: (where: string, msg: string) => never): Ratio {
  const r = v as Record<string, unknown> | null;
  const ok = (n: unknown) => typeof n === 'number' && Number.isInteger(n) && n > 0;
  if (typeof r !== 'object' || r === null || !ok(r['base']) || !ok(r['ert'])) fail(where, 'expected { "base": integer > 0, "ert": integer > 0 }');
  return { base: r!['base'] as number, ert: r!['ert'] as number };
}

/** The actions of the running universe, answering Qot_RequestRehab and adjusting K-lines. */
export class CorporateActions {
  constructor(private readonly byKey: ReadonlyMap<string, readonly CorporateAction[]> = new Map()) {}

  /** Actions of `key` whose ex-date is on or before `nowDay`, oldest first. */
  happened(key: string, nowDay: number): readonly CorporateAction[] {
    const list = this.byKey.get(key);
    if (!list) return [];
    return list.filter((a) => a.exDay <= nowDay);
  }

  /** Qot_RequestRehab's rows: the actions that have happened, oldest first. */
  rehabRows(key: string, nowDay: number, exDayStartSec: (day: number) => number): Qot_Common.Rehab[] {
    return this.happened(key, nowDay).map((a) => {
      const f = factorsOf(a);
      let flag = 0;
      const row: Qot_Common.Rehab = { time: a.exDate, companyActFlag: 0n, fwdFactorA: f.fwdA, fwdFactorB: f.fwdB, bwdFactorA: f.bwdA, bwdFactorB: f.bwdB, timestamp: exDayStartSec(a.exDay) };
      for (const kind of RATIO_KINDS) {
        const r = a[kind];
        if (!r) continue;
        flag |= ACT[kind as RatioKind];
        row[`${kind}Base`] = r.base;
        row[`${kind}Ert`] = r.ert;
      }
      if (a.dividend !== undefined) {
        flag |= ACT.dividend;
        row.dividend = a.dividend;
      }
      if (a.spDividend !== undefined) {
        flag |= ACT.spDividend;
        row.spDividend = a.spDividend;
      }
      row.companyActFlag = BigInt(flag);
      return row;
    });
  }

  /**
   * K-lines of the generated (forward-adjusted) series in the asked Qot_Common.RehabType. `dayOf` gives a bar's
   * local day. Returns the same objects when nothing applies.
   */
  adjustKLines(key: string, klines: Qot_Common.KLine[], rehabType: number | undefined, nowDay: number, dayOf: (k: Qot_Common.KLine) => number): Qot_Common.KLine[] {
    const type = rehabType ?? KL_FORWARD;
    if (type === KL_FORWARD) return klines;
    const actions = this.happened(key, nowDay);
    if (actions.length === 0) return klines;
    return klines.map((k) => {
      // Undo, newest first, the actions after this bar (NONE) or all of them (BACKWARD).
      const day = dayOf(k);
      const undo = type === KL_NONE ? actions.filter((a) => a.exDay > day) : actions;
      if (undo.length === 0) return k;
      const fs = undo.map(factorsOf).reverse();
      const p = (v: number) => {
        let x = v;
        for (const f of fs) x = x * f.bwdA + f.bwdB;
        return Math.round(x * 1000) / 1000;
      };
      const closePrice = p(k.closePrice ?? 0);
      const lastClosePrice = p(k.lastClosePrice ?? 0);
      return {
        ...k,
        openPrice: p(k.openPrice ?? 0),
        highPrice: p(k.highPrice ?? 0),
        lowPrice: p(k.lowPrice ?? 0),
        closePrice,
        lastClosePrice,
        changeRate: lastClosePrice > 0 ? Math.round(((closePrice - lastClosePrice) / lastClosePrice) * 1_000_000) / 10_000 : 0,
      };
    });
  }
}

export const REHAB_TYPES = { NONE: KL_NONE, FORWARD: KL_FORWARD, BACKWARD: KL_BACKWARD } as const;
