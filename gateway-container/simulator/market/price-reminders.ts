// The simulator's price reminders (Futu's 到价提醒): what Qot_SetPriceReminder (3220) sets, what
// Qot_GetPriceReminder (3221) lists, and which reminders one simulated trade fires (Qot_UpdatePriceReminder 3019).
//
// Futu's rules followed here (Futu OpenAPI docs, "Set Price Reminder" / Qot_SetPriceReminder.proto):
// - Operations ADD, DEL, ENABLE, DISABLE, MODIFY, DEL_ALL (Qot_SetPriceReminder.SetPriceReminderOp); type,
//   freq, value, note and sessions are ignored for DEL / ENABLE / DISABLE; DEL_ALL answers key 0.
// - "The upper limit of reminders that can be set for each type of each stock is 10" (Interface Limitations).
// - value keeps 3 decimals, "the excess part is discarded"; TURNOVER_UP is rounded down to a multiple of 10;
//   VOLUME_UP to 1000 shares for A-shares and 10 for other stocks; BID_VOL_UP / ASK_VOL_UP to 100 for A-shares.
// - The change-rate types are percentages ("fill in 20 for 20%").
// - note: "no more than 20 Chinese characters".
// - US stocks default to the regular session plus pre/after hours (reminderSessionList).
// Frequencies, as this simulator reads Futu's names: ALWAYS fires every time the condition becomes true (once per
// crossing, not on every trade while it stays true); ONCE_A_DAY at most once per market-local day; ONLY_ONCE fires
// once and is then disabled (it stays listed with isEnable false). Whether real OpenD keeps or deletes a fired
// ONLY_ONCE reminder is not documented (unverified).
// Invariants: a refused request changes nothing; every change (and every firing that changes stored state) is
// saved before the reply or the push goes out; keys are int64 and exceed 2^53, like Futu's.
import * as Qot_Common from '../../../proto/generated/Qot_Common.js';
import { SetPriceReminderOp } from '../../../proto/generated/Qot_SetPriceReminder.js';
import { enumName } from '../../../proto/enums.js';
import { SimError } from '../server.js';
import type { MarketUpdate } from './types.js';
import { readPriceReminders, writePriceReminders, type StoredReminder } from './price-reminder-file.js';

const T = Qot_Common.PriceReminderType;
const F = Qot_Common.PriceReminderFreq;
const S = Qot_Common.PriceReminderMarketStatus;

/** Futu: "The upper limit of reminders that can be set for each type of each stock is 10". */
export const MAX_REMINDERS_PER_TYPE = 10;
/** Futu: the note supports no more than 20 (Chinese) characters. */
export const MAX_NOTE_CHARS = 20;

const TYPES = Object.values(T).filter((v) => v !== T.UNKNOWN) as number[];
const FREQS = [F.ALWAYS, F.ONCE_A_DAY, F.ONLY_ONCE] as number[];
const SESSIONS = [S.OPEN, S.US_PRE, S.US_AFTER, S.US_OVER_NIGHT] as number[];
const names = (e: Record<string, number>, values: number[]) => values.map((v) => `${enumName(e, v)} (${v})`).join(', ');

/** How a push describes a firing, by type. */
const CONTENT: Record<number, string> = {
  [T.PRICE_UP]: 'Price rose to',
  [T.PRICE_DOWN]: 'Price fell to',
  [T.CHANGE_RATE_UP]: 'Day change above',
  [T.CHANGE_RATE_DOWN]: 'Day change below',
  [T['5MIN_CHANGE_RATE_UP']]: '5-minute change above',
  [T['5MIN_CHANGE_RATE_DOWN']]: '5-minute change below',
  [T['3MIN_CHANGE_RATE_UP']]: '3-minute change above',
  [T['3MIN_CHANGE_RATE_DOWN']]: '3-minute change below',
  [T.VOLUME_UP]: 'Volume above',
  [T.TURNOVER_UP]: 'Turnover above',
  [T.TURNOVER_RATE_UP]: 'Turnover rate above',
  [T.BID_PRICE_UP]: 'Bid price above',
  [T.ASK_PRICE_DOWN]: 'Ask price below',
  [T.BID_VOL_UP]: 'Bid volume above',
  [T.ASK_VOL_UP]: 'Ask volume above',
};

export interface SetReminderInput {
  op: number;
  key?: bigint;
  type?: number;
  freq?: number;
  value?: number;
  note?: string;
  sessions?: number[];
}

export interface Firing {
  security: string;
  reminder: StoredReminder;
  price: number;
  changeRate: number;
  curValue: number;
  marketStatus: number;
  content: string;
}

/** The security facts the rules need: its prefix ("HK", "US", "SH"…) and the market-local day of a time. */
export interface ReminderContext {
  prefixOf(security: string): string;
  dayOf(security: string, t: number): number;
  /** PriceReminderMarketStatus of the security's market at `t`. */
  statusOf(security: string, t: number): number;
}

export class PriceReminderBook {
  private readonly items: StoredReminder[];
  private lastKey = 0n;
  /** ALWAYS: whether each reminder's condition held at the previous trade (fires on false → true only). */
  private readonly held = new Map<string, boolean>();
  /** Recent (time, price) per security, for the 3- and 5-minute change rates. */
  private readonly recent = new Map<string, { t: number; p: number }[]>();

  constructor(
    private readonly ctx: ReminderContext,
    private readonly now: () => number,
    private readonly file?: string,
  ) {
    this.items = (file ? readPriceReminders(file) : undefined) ?? [];
    for (const r of this.items) if (BigInt(r.key) > this.lastKey) this.lastKey = BigInt(r.key);
  }

  /** Reminders of one security, or of every security whose prefix is in `prefixes`, grouped by security in order. */
  list(filter: { security?: string; prefixes?: readonly string[] }): Map<string, StoredReminder[]> {
    const out = new Map<string, StoredReminder[]>();
    for (const r of this.items) {
      if (filter.security !== undefined ? r.security !== filter.security : !filter.prefixes?.includes(this.ctx.prefixOf(r.security))) continue;
      out.set(r.security, [...(out.get(r.security) ?? []), { ...r, sessions: [...r.sessions] }]);
    }
    return out;
  }

  /** Applies one 3220 request; returns the key Futu answers (0 for DEL_ALL). Throws SimError and changes nothing when refused. */
  set(security: string, input: SetReminderInput): bigint {
    const Op = SetPriceReminderOp;
    switch (input.op) {
      case Op.ADD: {
        const r = this.validated(security, input, undefined);
        this.checkTypeLimit(security, r.type, undefined);
        r.key = this.nextKey().toString();
        this.items.push(r);
        this.save();
        return BigInt(r.key);
      }
      case Op.DEL:
      case Op.ENABLE:
      case Op.DISABLE: {
        const r = this.find(security, input.key);
        if (input.op === Op.DEL) this.items.splice(this.items.indexOf(r), 1);
        else r.enabled = input.op === Op.ENABLE;
        this.held.delete(r.key);
        this.save();
        return BigInt(r.key);
      }
      case Op.MODIFY: {
        const r = this.find(security, input.key);
        const next = this.validated(security, input, r);
        this.checkTypeLimit(security, next.type, r.key);
        Object.assign(r, next, { key: r.key, enabled: r.enabled, firedDay: next.type === r.type && next.value === r.value ? r.firedDay : undefined });
        this.held.delete(r.key);
        this.save();
        return BigInt(r.key);
      }
      case Op.DEL_ALL: {
        for (let i = this.items.length - 1; i >= 0; i--) if (this.items[i]!.security === security) this.held.delete(this.items.splice(i, 1)[0]!.key);
        this.save();
        return 0n;
      }
      default:
        throw new SimError(`op ${input.op} is not a SetPriceReminderOp; allowed: ${names(Op, [Op.ADD, Op.DEL, Op.ENABLE, Op.DISABLE, Op.MODIFY, Op.DEL_ALL])}`);
    }
  }

  /** The reminders one trade fires, in the order they were added; their stored state is saved before this returns. */
  evaluate(u: MarketUpdate): Firing[] {
    // The trade's own time (a clock jump generates many trades at once; the day is the trade's, not the clock's).
    const at = u.trade.timestamp !== undefined ? Math.round(u.trade.timestamp * 1000) : this.now();
    const price = u.basic.curPrice;
    const all = this.items.filter((r) => r.security === u.key);
    // Recent prices are kept only for securities with reminders (a disabled one may be enabled later).
    if (all.length === 0) {
      this.recent.delete(u.key);
      return [];
    }
    this.remember(u.key, at, price);
    const mine = all.filter((r) => r.enabled);
    if (mine.length === 0) return [];
    const status = this.ctx.statusOf(u.key, at);
    const day = this.ctx.dayOf(u.key, at);
    const changeRate = u.basic.lastClosePrice > 0 ? ((price - u.basic.lastClosePrice) / u.basic.lastClosePrice) * 100 : 0;
    const fired: Firing[] = [];
    let changed = false;
    for (const r of mine) {
      if (!r.sessions.includes(status)) continue;
      const cur = this.currentValue(r.type, u, at, changeRate);
      if (cur === undefined) continue;
      const holds = isDown(r.type) ? cur <= (isRate(r.type) ? -r.value : r.value) : cur >= r.value;
      const was = this.held.get(r.key) ?? false;
      this.held.set(r.key, holds);
      if (!holds) continue;
      if (r.freq === F.ALWAYS && was) continue;
      if (r.freq === F.ONCE_A_DAY) {
        if (r.firedDay === day) continue;
        r.firedDay = day;
        changed = true;
      }
      if (r.freq === F.ONLY_ONCE) {
        r.enabled = false;
        changed = true;
      }
      fired.push({ security: u.key, reminder: { ...r }, price, changeRate: round3(changeRate), curValue: round3(cur), marketStatus: status, content: contentOf(r) });
    }
    if (changed) this.save();
    return fired;
  }

  private currentValue(type: number, u: MarketUpdate, at: number, changeRate: number): number | undefined {
    const b = u.basic;
    switch (type) {
      case T.PRICE_UP:
      case T.PRICE_DOWN:
        return b.curPrice;
      case T.CHANGE_RATE_UP:
      case T.CHANGE_RATE_DOWN:
        return changeRate;
      case T['5MIN_CHANGE_RATE_UP']:
      case T['5MIN_CHANGE_RATE_DOWN']:
        return this.changeOver(u.key, at, 5, b.curPrice);
      case T['3MIN_CHANGE_RATE_UP']:
      case T['3MIN_CHANGE_RATE_DOWN']:
        return this.changeOver(u.key, at, 3, b.curPrice);
      case T.VOLUME_UP:
        return Number(b.volume);
      case T.TURNOVER_UP:
        return b.turnover;
      case T.TURNOVER_RATE_UP:
        return b.turnoverRate;
      case T.BID_PRICE_UP:
        return u.book.bids[0]?.price;
      case T.ASK_PRICE_DOWN:
        return u.book.asks[0]?.price;
      case T.BID_VOL_UP:
        return u.book.bids[0] ? Number(u.book.bids[0].volume) : undefined;
      case T.ASK_VOL_UP:
        return u.book.asks[0] ? Number(u.book.asks[0].volume) : undefined;
      default:
        return undefined;
    }
  }

  private remember(key: string, t: number, p: number): void {
    let list = this.recent.get(key);
    if (!list) this.recent.set(key, (list = []));
    list.push({ t, p });
    // Keep one sample at or before five minutes ago, so the 5-minute change always has its base.
    while (list.length > 2 && list[1]!.t <= t - 5 * 60_000) list.shift();
  }

  /** Percent change from the last price at or before `minutes` ago (or the oldest known) to `price`. */
  private changeOver(key: string, t: number, minutes: number, price: number): number | undefined {
    const list = this.recent.get(key) ?? [];
    let base: number | undefined;
    for (const s of list) {
      if (s.t <= t - minutes * 60_000 || base === undefined) base = s.p;
      else break;
    }
    return base ? ((price - base) / base) * 100 : undefined;
  }

  private validated(security: string, input: SetReminderInput, current: StoredReminder | undefined): StoredReminder {
    const type = input.type ?? current?.type;
    if (type === undefined || !TYPES.includes(type)) throw new SimError(`type ${input.type ?? '(missing)'} is not a PriceReminderType; allowed: ${names(T, TYPES)}`);
    const freq = input.freq ?? current?.freq ?? F.ALWAYS;
    if (!FREQS.includes(freq)) throw new SimError(`freq ${freq} is not a PriceReminderFreq; allowed: ${names(F, FREQS)}`);
    const raw = input.value ?? current?.value;
    if (raw === undefined || !Number.isFinite(raw) || raw <= 0) throw new SimError(`value must be a number above 0 for ${enumName(T, type)}, got ${raw ?? '(missing)'}`);
    const note = input.note ?? current?.note ?? '';
    if ([...note].length > MAX_NOTE_CHARS) throw new SimError(`note supports no more than ${MAX_NOTE_CHARS} characters, got ${[...note].length}`);
    const prefix = this.ctx.prefixOf(security);
    const sessions = input.sessions?.length ? [...new Set(input.sessions)] : current?.sessions ?? (prefix === 'US' ? [S.OPEN, S.US_PRE, S.US_AFTER] : [S.OPEN]);
    for (const s of sessions) if (!SESSIONS.includes(s)) throw new SimError(`reminderSessionList value ${s} is not a PriceReminderMarketStatus; allowed: ${names(S, SESSIONS)}`);
    return { security, key: current?.key ?? '0', type, freq, value: normalizedValue(type, raw, prefix === 'SH' || prefix === 'SZ'), note, enabled: current?.enabled ?? true, sessions };
  }

  private checkTypeLimit(security: string, type: number, except: string | undefined): void {
    const n = this.items.filter((r) => r.security === security && r.type === type && r.key !== except).length;
    if (n >= MAX_REMINDERS_PER_TYPE) {
      throw new SimError(`${security} already has ${n} price reminders of type ${enumName(T, type)}: the upper limit of reminders for each type of each stock is ${MAX_REMINDERS_PER_TYPE}; delete or modify one first`);
    }
  }

  private find(security: string, key: bigint | undefined): StoredReminder {
    if (key === undefined || key === 0n) throw new SimError('key is required for DEL, ENABLE, DISABLE and MODIFY (Qot_GetPriceReminder lists the keys)');
    const r = this.items.find((x) => x.security === security && x.key === key.toString());
    if (!r) throw new SimError(`no price reminder with key ${key} for ${security}`);
    return r;
  }

  /** Futu-like keys: milliseconds × 10^6 plus a counter, so they exceed 2^53 and only grow. */
  private nextKey(): bigint {
    const k = BigInt(Math.floor(this.now())) * 1_000_000n;
    this.lastKey = k > this.lastKey ? k : this.lastKey + 1n;
    return this.lastKey;
  }

  private save(): void {
    if (this.file) writePriceReminders(this.file, this.items);
  }
}

function isDown(type: number): boolean {
  return type === T.PRICE_DOWN || type === T.CHANGE_RATE_DOWN || type === T['5MIN_CHANGE_RATE_DOWN'] || type === T['3MIN_CHANGE_RATE_DOWN'] || type === T.ASK_PRICE_DOWN;
}

/** The change-rate "down" types take a positive percentage and fire at or below its negative. */
function isRate(type: number): boolean {
  return type === T.CHANGE_RATE_DOWN || type === T['5MIN_CHANGE_RATE_DOWN'] || type === T['3MIN_CHANGE_RATE_DOWN'];
}

function contentOf(r: StoredReminder): string {
  const percent = isRate(r.type) || r.type === T.CHANGE_RATE_UP || r.type === T['5MIN_CHANGE_RATE_UP'] || r.type === T['3MIN_CHANGE_RATE_UP'] || r.type === T.TURNOVER_RATE_UP;
  return `${CONTENT[r.type]} ${isRate(r.type) ? '-' : ''}${r.value.toFixed(3)}${percent ? '%' : ''}`;
}

function round3(v: number): number {
  return Math.round(v * 1000) / 1000;
}

/** Futu's minimum precision per type: the value is rounded down to it (see the file header). */
export function normalizedValue(type: number, value: number, aShare: boolean): number {
  const floorTo = (step: number) => Math.floor(value / step + 1e-9) * step;
  if (type === T.TURNOVER_UP) return floorTo(10);
  if (type === T.VOLUME_UP) return floorTo(aShare ? 1000 : 10);
  if ((type === T.BID_VOL_UP || type === T.ASK_VOL_UP) && aShare) return floorTo(100);
  return Math.trunc(value * 1000 + 1e-9 * Math.sign(value)) / 1000;
}
