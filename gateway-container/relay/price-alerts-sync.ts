// The configured price alerts (cdk/config.ts `priceAlerts`) as Futu price reminders: at every session start the
// relay makes sure OpenD holds one reminder per bound (`above` → PRICE_UP, `below` → PRICE_DOWN) with the
// alert's frequency, so OpenD pushes Qot_UpdatePriceReminder once per crossing (ONCE_A_DAY by default) and the
// alert rule matches that `Price Reminder` event instead of every Quote. No quote subscription is needed.
//
// Invariants:
// - Idempotent: a reminder is matched by code, type and value (after Futu's 3-decimal truncation), never added
//   twice; a restart or reconnect changes nothing that is already right. A matched reminder gets the configured
//   frequency (MODIFY) and is enabled again unless it is a spent ONLY_ONCE one (enabling it would fire it again).
// - Reminders this relay made carry the note ALERT_NOTE; those no configured alert wants any more are deleted.
//   Reminders a person set (any other note) are never deleted.
// - A failure (OpenD refusing, Futu's 60 SetPriceReminder / 30 s, a disconnect) leaves the step retrying with
//   backoff; since every call re-reads OpenD's list first, a retry finishes what the last attempt started.
import type { Logger, OpenDClient } from '../../proto/client.js';
import { PriceReminderApi, type PriceReminder, type PriceReminderFreqName } from '../../proto/api/price-reminders.js';
import { parseSecurity } from '../../proto/securities.js';
import { RetryingStep } from './side-steps.js';

/** The note on reminders the relay made for configured alerts (Futu: at most 20 characters). */
export const ALERT_NOTE = 'opend-cloud alert';

/** One configured alert: a security and its bounds (cdk/config-schema.ts priceAlerts). */
export interface PriceAlertSpec {
  security: string;
  above?: number;
  below?: number;
  /** How often OpenD reminds (default ONCE_A_DAY). */
  frequency?: PriceReminderFreqName;
}

export interface WantedReminder {
  code: string;
  type: 'PRICE_UP' | 'PRICE_DOWN';
  value: number;
  freq: PriceReminderFreqName;
}

export interface SyncResult {
  added: number;
  modified: number;
  enabled: number;
  removed: number;
  kept: number;
}

/** Futu keeps 3 decimals of a reminder value and discards the rest. */
const futuValue = (v: number) => Math.trunc(v * 1000 + 1e-9 * Math.sign(v)) / 1000;
const sameValue = (a: number, b: number) => Math.abs(futuValue(a) - futuValue(b)) < 5e-4;

export function wantedReminders(alerts: readonly PriceAlertSpec[]): WantedReminder[] {
  return alerts.flatMap((a) => {
    const code = parseSecurity(a.security, 'priceAlerts.security').key;
    const freq = a.frequency ?? 'ONCE_A_DAY';
    const out: WantedReminder[] = [];
    if (a.above !== undefined) out.push({ code, type: 'PRICE_UP', value: futuValue(a.above), freq });
    if (a.below !== undefined) out.push({ code, type: 'PRICE_DOWN', value: futuValue(a.below), freq });
    return out;
  });
}

/** Makes OpenD's reminders match the alerts (see the file header); returns what it changed. */
export async function syncPriceAlerts(api: PriceReminderApi, alerts: readonly PriceAlertSpec[], logger: Logger): Promise<SyncResult> {
  const wanted = wantedReminders(alerts);
  // SH lists the whole A-share market (Futu: Shanghai and Shenzhen both mean A shares).
  const existing: PriceReminder[] = [];
  for (const market of ['HK', 'US', 'SH'] as const) existing.push(...(await api.priceReminders({ market })));
  const result: SyncResult = { added: 0, modified: 0, enabled: 0, removed: 0, kept: 0 };
  const matched = new Set<bigint>();
  for (const w of wanted) {
    const r = existing.find((x) => !matched.has(x.key) && x.code === w.code && x.type === w.type && sameValue(x.value, w.value));
    if (!r) {
      const key = await api.setPriceReminder({ op: 'ADD', code: w.code, type: w.type, value: w.value, freq: w.freq, note: ALERT_NOTE });
      matched.add(key);
      result.added++;
      continue;
    }
    matched.add(r.key);
    let changed = false;
    if (r.freq !== w.freq) {
      await api.setPriceReminder({ op: 'MODIFY', code: r.code, key: r.key, freq: w.freq });
      result.modified++;
      changed = true;
    }
    // A spent ONLY_ONCE reminder stays off: enabling it would remind again for a crossing already reported.
    if (!r.enabled && (w.freq !== 'ONLY_ONCE' || r.freq !== 'ONLY_ONCE')) {
      await api.setPriceReminder({ op: 'ENABLE', code: r.code, key: r.key });
      result.enabled++;
      changed = true;
    }
    if (!changed) result.kept++;
  }
  for (const r of existing) {
    if (r.note !== ALERT_NOTE || matched.has(r.key)) continue;
    await api.setPriceReminder({ op: 'DEL', code: r.code, key: r.key });
    result.removed++;
  }
  logger.info('price alert reminders in sync with the configuration', { ...result });
  return result;
}

/** The relay's session step that runs the sync after every (re)connect, retrying with backoff until it succeeds. */
export function priceAlertSyncStep(client: OpenDClient, alerts: readonly PriceAlertSpec[], logger: Logger, onChange?: () => void): RetryingStep {
  const api = new PriceReminderApi(client);
  return new RetryingStep({
    name: 'price alert reminders',
    run: async () => {
      await syncPriceAlerts(api, alerts, logger);
    },
    baseDelayMs: 2_000,
    maxDelayMs: 60_000,
    logger,
    onChange,
  });
}

/** The environment variable the gateway task passes the configured alerts in (JSON, cdk/constructs/gateway.ts). */
export const PRICE_ALERTS_ENV = 'RELAY_PRICE_ALERTS';

/**
 * The alerts in RELAY_PRICE_ALERTS (absent or empty: none). The CDK app checked them with its schema; this repeats
 * the checks a relay started by hand needs, with the same wording style: which entry, what is allowed.
 */
export function parsePriceAlertsJson(raw: string | undefined, name = PRICE_ALERTS_ENV): PriceAlertSpec[] {
  if (raw === undefined || raw.trim() === '') return [];
  let doc: unknown;
  try {
    doc = JSON.parse(raw);
  } catch {
    throw new Error(`${name} must be JSON like [{"security":"HK.00700","above":400}], got ${JSON.stringify(raw.slice(0, 60))}`);
  }
  if (!Array.isArray(doc)) throw new Error(`${name} must be a JSON list like [{"security":"HK.00700","above":400}]`);
  return doc.map((a: unknown, i) => {
    const e = a as Record<string, unknown>;
    const where = `${name}[${i}]`;
    const unknown = Object.keys(e ?? {}).filter((k) => !['security', 'above', 'below', 'frequency'].includes(k));
    if (typeof e !== 'object' || e === null || unknown.length) throw new Error(`${where}: expected {"security", "above" and/or "below", "frequency"?}${unknown.length ? `; unknown field(s) ${unknown.join(', ')}` : ''}`);
    parseSecurity(e['security'], `${where}.security`);
    for (const k of ['above', 'below'] as const) {
      if (e[k] !== undefined && !(typeof e[k] === 'number' && Number.isFinite(e[k]) && (e[k] as number) > 0)) throw new Error(`${where}.${k}: expected a price above 0, got ${JSON.stringify(e[k])}`);
    }
    if (e['above'] === undefined && e['below'] === undefined) throw new Error(`${where}: needs "above", "below" or both`);
    if (e['frequency'] !== undefined && !['ONCE_A_DAY', 'ALWAYS', 'ONLY_ONCE'].includes(e['frequency'] as string)) throw new Error(`${where}.frequency: expected one of ONCE_A_DAY, ALWAYS, ONLY_ONCE, got ${JSON.stringify(e['frequency'])}`);
    return e as unknown as PriceAlertSpec;
  });
}
