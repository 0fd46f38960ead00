// /v1/price-reminders on the quotes function: Futu's price reminders (Qot_GetPriceReminder 3221, Qot_SetPriceReminder
// 3220). OpenD pushes a reminder once per crossing; the relay publishes it as a `Price Reminder` event.
//   GET    /v1/price-reminders?code=HK.00700 | ?market=HK     the reminders of a stock or of a market
//   POST   /v1/price-reminders {code, type, value, frequency?, note?, sessions?}   → 201 {key, ...}
//   PATCH  /v1/price-reminders/{key} {type?, value?, frequency?, note?, sessions?, enabled?}
//   DELETE /v1/price-reminders/{key}                           one reminder
//   DELETE /v1/price-reminders?code=HK.00700                   every reminder of that stock
// Every input is checked here (a clear 400 naming the field and what is allowed) before OpenD sees the call, and
// each SetPriceReminder counts against Futu's limit on the shared OpenD login first (60 per 30 s,
// proto/futu-limits.ts). Keys are decimal strings (Futu's exceed 2^53). A key without a `code` is looked up in
// OpenD's lists. Futu's own refusals (at most 10 reminders of one type per stock) come back as 422 BROKER_REJECTED.
import { PRICE_REMINDER_FREQS, PRICE_REMINDER_NOTE_MAX, PRICE_REMINDER_SESSIONS, PRICE_REMINDER_TYPES, PriceReminderApi, type PriceReminder, type PriceReminderFields } from '../../proto/api/price-reminders.js';
import { FUTU_LIMITS_BY_PROTO } from '../../proto/futu-limits.js';
import { PROTO_ID, protocolName } from '../../proto/registry.js';
import { parseSecurity } from '../../proto/securities.js';
import { invalid, notFound, rateLimited } from '../lib/api-error.js';
import type { Route } from '../lib/http.js';
import { runtime } from '../lib/runtime.js';

const MARKETS = ['HK', 'US', 'SH', 'SZ'] as const;
const INT64_MAX = (1n << 63n) - 1n;

function code(v: unknown, field = 'code'): string {
  try {
    return parseSecurity(v, field).key;
  } catch (err) {
    throw invalid(field, (err as Error).message.replace(/^[^:]+: /, ''));
  }
}

function keyOf(v: string | undefined): bigint {
  if (v === undefined || !/^[1-9]\d{0,18}$/.test(v) || BigInt(v) > INT64_MAX) throw invalid('key', `must be a price reminder key (decimal digits, from GET /v1/price-reminders), got ${JSON.stringify(v ?? null).slice(0, 40)}`);
  return BigInt(v);
}

function object(body: unknown, allowed: readonly string[]): Record<string, unknown> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw invalid('body', `must be a JSON object with ${allowed.join(', ')}`);
  const unknown = Object.keys(body).filter((k) => !allowed.includes(k));
  if (unknown.length) throw invalid(unknown[0]!, `is not a field of this request; allowed: ${allowed.join(', ')}`);
  return body as Record<string, unknown>;
}

/** The reminder fields of a body, checked; `required` for ADD (type and value). */
function fields(b: Record<string, unknown>, required: boolean): Partial<PriceReminderFields> {
  const out: Partial<PriceReminderFields> = {};
  if (b['type'] !== undefined || required) {
    const t = typeof b['type'] === 'string' ? b['type'].toUpperCase() : b['type'];
    if (!(PRICE_REMINDER_TYPES as readonly unknown[]).includes(t)) throw invalid('type', `must be one of ${PRICE_REMINDER_TYPES.join(', ')}, got ${JSON.stringify(b['type'] ?? null).slice(0, 40)}`);
    out.type = t as PriceReminderFields['type'];
  }
  if (b['value'] !== undefined || required) {
    const v = b['value'];
    if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) throw invalid('value', `must be a number above 0 (a price; a percentage for the CHANGE_RATE and TURNOVER_RATE types, 20 = 20 %), got ${JSON.stringify(v ?? null).slice(0, 40)}`);
    out.value = v;
  }
  if (b['frequency'] !== undefined) {
    const f = typeof b['frequency'] === 'string' ? b['frequency'].toUpperCase() : b['frequency'];
    if (!(PRICE_REMINDER_FREQS as readonly unknown[]).includes(f)) throw invalid('frequency', `must be one of ${PRICE_REMINDER_FREQS.join(', ')}, got ${JSON.stringify(b['frequency']).slice(0, 40)}`);
    out.freq = f as PriceReminderFields['freq'];
  }
  if (b['note'] !== undefined) {
    if (typeof b['note'] !== 'string' || [...b['note']].length > PRICE_REMINDER_NOTE_MAX) throw invalid('note', `must be text of at most ${PRICE_REMINDER_NOTE_MAX} characters (Futu's limit)`);
    out.note = b['note'];
  }
  if (b['sessions'] !== undefined) {
    const s = b['sessions'];
    if (!Array.isArray(s) || s.length === 0 || !s.every((x) => (PRICE_REMINDER_SESSIONS as readonly unknown[]).includes(typeof x === 'string' ? x.toUpperCase() : x))) {
      throw invalid('sessions', `must be a non-empty list of ${PRICE_REMINDER_SESSIONS.join(', ')}`);
    }
    out.sessions = s.map((x: string) => x.toUpperCase()) as PriceReminderFields['sessions'];
  }
  return out;
}

function view(r: PriceReminder) {
  return { key: r.key.toString(), code: r.code, name: r.name, type: r.type, value: r.value, frequency: r.freq, note: r.note, enabled: r.enabled, sessions: r.sessions };
}

/** Futu's limit of the protocol on the shared OpenD login, counted before the call. */
async function limit(protoId: number): Promise<void> {
  const rule = FUTU_LIMITS_BY_PROTO[protoId];
  if (!rule) return;
  const d = await runtime().limiter.acquire(`${protocolName(protoId)}#opend`, { limit: rule.limit, windowMs: rule.windowMs });
  if (!d.allowed) throw rateLimited(`${protocolName(protoId)} requests`, d.retryAfterMs, rule);
}

async function api(): Promise<PriceReminderApi> {
  return new PriceReminderApi((await runtime().openD.get()).client);
}

/** The reminder of a key: in the given stock's list, or (no code) in every market's. */
async function find(a: PriceReminderApi, key: bigint, where: string | undefined): Promise<PriceReminder> {
  const lists = where !== undefined ? [await a.priceReminders({ code: where })] : await Promise.all((['HK', 'US', 'SH'] as const).map((market) => a.priceReminders({ market })));
  const r = lists.flat().find((x) => x.key === key);
  if (!r) throw notFound(`no price reminder with key ${key}${where ? ` for ${where}` : ''}`, { key: key.toString() });
  return r;
}

export const PRICE_REMINDER_ROUTES: Record<string, Route> = {
  'GET /v1/price-reminders': async (req) => {
    const c = req.query['code'];
    const m = req.query['market'];
    if ((c === undefined) === (m === undefined)) throw invalid(c === undefined ? 'code' : 'market', 'give either code (e.g. "HK.00700") or market (HK, US, SH, SZ), not both');
    if (m !== undefined && !(MARKETS as readonly string[]).includes(m.toUpperCase())) throw invalid('market', `must be one of ${MARKETS.join(', ')}, got ${JSON.stringify(m).slice(0, 40)}`);
    const where = c !== undefined ? { code: code(c) } : { market: m!.toUpperCase() as (typeof MARKETS)[number] };
    return { status: 200, body: { ...where, reminders: (await (await api()).priceReminders(where)).map(view) } };
  },

  'POST /v1/price-reminders': async (req) => {
    const b = object(req.body, ['code', 'type', 'value', 'frequency', 'note', 'sessions']);
    const security = code(b['code']);
    const f = fields(b, true) as PriceReminderFields;
    await limit(PROTO_ID.Qot_SetPriceReminder);
    const a = await api();
    const key = await a.setPriceReminder({ op: 'ADD', code: security, ...f });
    const saved = (await a.priceReminders({ code: security })).find((r) => r.key === key);
    return { status: 201, body: saved ? view(saved) : { key: key.toString(), code: security } };
  },

  'PATCH /v1/price-reminders/{key}': async (req) => {
    const key = keyOf(req.path['key']);
    const b = object(req.body, ['code', 'type', 'value', 'frequency', 'note', 'sessions', 'enabled']);
    const where = b['code'] === undefined ? undefined : code(b['code']);
    const f = fields(b, false);
    const enabled = b['enabled'];
    if (enabled !== undefined && typeof enabled !== 'boolean') throw invalid('enabled', 'must be true or false');
    if (Object.keys(f).length === 0 && enabled === undefined) throw invalid('body', 'nothing to change: give type, value, frequency, note, sessions or enabled');
    const a = await api();
    const r = await find(a, key, where);
    if (Object.keys(f).length) {
      await limit(PROTO_ID.Qot_SetPriceReminder);
      await a.setPriceReminder({ op: 'MODIFY', code: r.code, key, ...f });
    }
    if (enabled !== undefined && enabled !== r.enabled) {
      await limit(PROTO_ID.Qot_SetPriceReminder);
      await a.setPriceReminder({ op: enabled ? 'ENABLE' : 'DISABLE', code: r.code, key });
    }
    return { status: 200, body: view(await find(a, key, r.code)) };
  },

  'DELETE /v1/price-reminders/{key}': async (req) => {
    const key = keyOf(req.path['key']);
    const where = req.query['code'] === undefined ? undefined : code(req.query['code']);
    const a = await api();
    const r = await find(a, key, where);
    await limit(PROTO_ID.Qot_SetPriceReminder);
    await a.setPriceReminder({ op: 'DEL', code: r.code, key });
    return { status: 200, body: { deleted: [key.toString()], code: r.code } };
  },

  'DELETE /v1/price-reminders': async (req) => {
    const security = code(req.query['code']);
    const a = await api();
    const before = await a.priceReminders({ code: security });
    await limit(PROTO_ID.Qot_SetPriceReminder);
    await a.setPriceReminder({ op: 'DEL_ALL', code: security });
    return { status: 200, body: { deleted: before.map((r) => r.key.toString()), code: security } };
  },
};
