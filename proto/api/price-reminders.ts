// Futu's price reminders over OpenDClient: set them (Qot_SetPriceReminder 3220), list them (Qot_GetPriceReminder
// 3221) and read the Qot_UpdatePriceReminder (3019) push. Names in, names out ("PRICE_UP", "ONCE_A_DAY"); keys
// are bigint (Futu's exceed 2^53). Bad input is a ValidationError naming the field and what is allowed, raised
// before anything is sent. Futu's documented rules checked here (Futu OpenAPI docs, Set Price Reminder): the note
// holds at most 20 characters; the change-rate types take a percentage (20 means 20 %); at most 10 reminders of
// each type per stock and 60 requests per 30 s are OpenD's to enforce (its refusal comes back as an OpenDError).
import type { OpenDClient } from '../client.js';
import { enumName, enumValue } from '../enums.js';
import { ValidationError } from '../errors.js';
import * as Qot_Common from '../generated/Qot_Common.js';
import * as Qot_UpdatePriceReminder from '../generated/Qot_UpdatePriceReminder.js';
import { SetPriceReminderOp, type C2S as SetPriceReminderC2S } from '../generated/Qot_SetPriceReminder.js';
import { registerCodecs, PROTO_ID } from '../registry.js';
import { parseSecurity, securityKey, toQotSecurity } from '../securities.js';
import * as Qot_GetPriceReminder from '../generated/Qot_GetPriceReminder.js';
import * as Qot_SetPriceReminder from '../generated/Qot_SetPriceReminder.js';

// The client side (encode the Request, decode the Response) of the protocols this module sends: a bundle carries
// only those functions (proto/registry.ts).
registerCodecs(Qot_GetPriceReminder.clientCodec, Qot_SetPriceReminder.clientCodec, Qot_UpdatePriceReminder.clientCodec);

export type PriceReminderTypeName = Exclude<keyof typeof Qot_Common.PriceReminderType, 'UNKNOWN'>;
export type PriceReminderFreqName = Exclude<keyof typeof Qot_Common.PriceReminderFreq, 'UNKNOWN'>;
export type PriceReminderSessionName = Exclude<keyof typeof Qot_Common.PriceReminderMarketStatus, 'UNKNOW'>;
export type PriceReminderOpName = Exclude<keyof typeof SetPriceReminderOp, 'UNKNOWN'>;

export const PRICE_REMINDER_TYPES = Object.keys(Qot_Common.PriceReminderType).filter((k) => k !== 'UNKNOWN') as PriceReminderTypeName[];
export const PRICE_REMINDER_FREQS = ['ALWAYS', 'ONCE_A_DAY', 'ONLY_ONCE'] as const satisfies readonly PriceReminderFreqName[];
export const PRICE_REMINDER_SESSIONS = ['OPEN', 'US_PRE', 'US_AFTER', 'US_OVER_NIGHT'] as const satisfies readonly PriceReminderSessionName[];
/** Futu: the note supports no more than 20 (Chinese) characters. */
export const PRICE_REMINDER_NOTE_MAX = 20;

/** What a reminder is: its type, value, frequency (default ALWAYS), note and, for US stocks, its sessions. */
export interface PriceReminderFields {
  type: PriceReminderTypeName;
  value: number;
  freq?: PriceReminderFreqName;
  note?: string;
  sessions?: PriceReminderSessionName[];
}

export type SetPriceReminderInput =
  | ({ op: 'ADD'; code: string } & PriceReminderFields)
  | ({ op: 'MODIFY'; code: string; key: bigint } & Partial<PriceReminderFields>)
  | { op: 'DEL' | 'ENABLE' | 'DISABLE'; code: string; key: bigint }
  | { op: 'DEL_ALL'; code: string };

export interface PriceReminder {
  code: string;
  name?: string;
  key: bigint;
  type: string;
  value: number;
  freq: string;
  note: string;
  enabled: boolean;
  sessions: string[];
}

/** The 3019 push, names instead of numbers. */
export interface PriceReminderPush {
  code: string;
  name?: string;
  key?: bigint;
  type?: string;
  price: number;
  changeRate: number;
  marketStatus: string;
  content: string;
  note: string;
  setValue?: number;
  curValue?: number;
}

function fields(f: Partial<PriceReminderFields>, required: boolean) {
  const out: { type?: number; value?: number; freq?: number; note?: string; reminderSessionList?: number[] } = {};
  if (f.type !== undefined || required) out.type = enumValue(Qot_Common.PriceReminderType, f.type, 'type', PRICE_REMINDER_TYPES);
  if (f.value !== undefined || required) {
    if (typeof f.value !== 'number' || !Number.isFinite(f.value) || f.value <= 0) throw new ValidationError('value', `expected a number above 0 (a price, or a percentage for the change-rate types), got ${JSON.stringify(f.value)?.slice(0, 40)}`);
    out.value = f.value;
  }
  if (f.freq !== undefined || required) out.freq = enumValue(Qot_Common.PriceReminderFreq, f.freq ?? 'ALWAYS', 'freq', PRICE_REMINDER_FREQS);
  if (f.note !== undefined) {
    if (typeof f.note !== 'string' || [...f.note].length > PRICE_REMINDER_NOTE_MAX) throw new ValidationError('note', `expected text of at most ${PRICE_REMINDER_NOTE_MAX} characters`);
    out.note = f.note;
  }
  if (f.sessions !== undefined) {
    if (!Array.isArray(f.sessions) || f.sessions.length === 0) throw new ValidationError('sessions', `expected a non-empty list of ${PRICE_REMINDER_SESSIONS.join(', ')}`);
    out.reminderSessionList = f.sessions.map((s, i) => enumValue(Qot_Common.PriceReminderMarketStatus, s, `sessions[${i}]`, PRICE_REMINDER_SESSIONS));
  }
  return out;
}

function key(v: unknown): bigint {
  if (typeof v !== 'bigint' || v <= 0n) throw new ValidationError('key', `expected a reminder key (a positive bigint, from priceReminders), got ${typeof v === 'bigint' ? v.toString() : JSON.stringify(v)?.slice(0, 40)}`);
  return v;
}

/** The 3019 push as names; `s2c` is the push's S2C. */
export function priceReminderPush(s2c: Qot_UpdatePriceReminder.S2C): PriceReminderPush {
  return {
    code: securityKey(s2c.security),
    name: s2c.name,
    key: s2c.key,
    type: s2c.type === undefined ? undefined : enumName(Qot_Common.PriceReminderType, s2c.type),
    price: s2c.price,
    changeRate: s2c.changeRate,
    marketStatus: enumName(Qot_Common.PriceReminderMarketStatus, s2c.marketStatus),
    content: s2c.content,
    note: s2c.note,
    setValue: s2c.setValue,
    curValue: s2c.curValue,
  };
}

export class PriceReminderApi {
  constructor(private readonly client: OpenDClient) {}

  /** Adds, modifies, deletes, enables or disables one reminder, or deletes all of a stock's (3220); returns the key (0n for DEL_ALL). */
  async setPriceReminder(input: SetPriceReminderInput): Promise<bigint> {
    const op = enumValue(SetPriceReminderOp, input?.op, 'op', ['ADD', 'DEL', 'ENABLE', 'DISABLE', 'MODIFY', 'DEL_ALL']);
    const security = toQotSecurity(parseSecurity(input.code));
    let c2s: SetPriceReminderC2S;
    if (input.op === 'ADD') c2s = { security, op, ...fields(input, true) };
    else if (input.op === 'MODIFY') c2s = { security, op, key: key(input.key), ...fields(input, false) };
    else if (input.op === 'DEL_ALL') c2s = { security, op };
    else c2s = { security, op, key: key((input as { key: unknown }).key) };
    const s2c = await this.client.request(PROTO_ID.Qot_SetPriceReminder, c2s);
    return s2c.key;
  }

  /** Reminders of one stock (`{ code }`) or of a market (`{ market }`; SH and SZ both mean the A-share market) (3221). */
  async priceReminders(where: { code: string } | { market: 'HK' | 'US' | 'SH' | 'SZ' }): Promise<PriceReminder[]> {
    let c2s: { security?: Qot_Common.Security; market?: number };
    if ('code' in where) c2s = { security: toQotSecurity(parseSecurity(where.code)) };
    else {
      const markets = { HK: Qot_Common.QotMarket.HK_SECURITY, US: Qot_Common.QotMarket.US_SECURITY, SH: Qot_Common.QotMarket.CNSH_SECURITY, SZ: Qot_Common.QotMarket.CNSZ_SECURITY } as const;
      const market = markets[where?.market as keyof typeof markets];
      if (market === undefined) throw new ValidationError('market', `expected one of HK, US, SH, SZ, got ${JSON.stringify((where as { market?: unknown })?.market)?.slice(0, 40)}`);
      c2s = { market };
    }
    const s2c = await this.client.request(PROTO_ID.Qot_GetPriceReminder, c2s);
    return (s2c.priceReminderList ?? []).flatMap((p) =>
      (p.itemList ?? []).map((i) => ({
        code: securityKey(p.security),
        name: p.name,
        key: i.key,
        type: enumName(Qot_Common.PriceReminderType, i.type),
        value: i.value,
        freq: enumName(Qot_Common.PriceReminderFreq, i.freq),
        note: i.note,
        enabled: i.isEnable,
        sessions: (i.reminderSessionList ?? []).map((s) => enumName(Qot_Common.PriceReminderMarketStatus, s)),
      })),
    );
  }
}
