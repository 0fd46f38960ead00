// Price reminders on disk, beside the trading state file (`<stateFile>.price-reminders.json`), so a restarted
// simulator keeps the reminders its clients set with Qot_SetPriceReminder and what they have already fired (an
// ONLY_ONCE reminder that fired stays disabled; a ONCE_A_DAY one remembers the day it fired). Kept out of the
// trading state file for the same reason as watchlists (watchlist-file.ts): a reminder edit must not rewrite
// every order. Written atomically (temporary file, then rename) after every change, before the reply or push.
// A missing file is a first start; an unreadable or malformed one is refused with an error naming the file,
// never read as "no reminders".
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

export const PRICE_REMINDER_FORMAT = 'opend-simulator-price-reminders';

export class PriceReminderFileError extends Error {
  override readonly name = 'PriceReminderFileError';
}

/** One stored reminder. `key` is a decimal string: Futu's keys exceed 2^53. */
export interface StoredReminder {
  security: string;
  key: string;
  type: number;
  freq: number;
  value: number;
  note: string;
  enabled: boolean;
  sessions: number[];
  /** Market-local day number of the last firing (ONCE_A_DAY fires at most once per day). */
  firedDay?: number;
}

export function priceReminderPathFor(stateFile: string): string {
  return `${stateFile}.price-reminders.json`;
}

export function readPriceReminders(path: string): StoredReminder[] | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new PriceReminderFileError(`price reminder file ${path}: ${(err as Error).message}`);
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new PriceReminderFileError(`price reminder file ${path} is not valid JSON (truncated or corrupted?): ${(err as Error).message}`);
  }
  const d = doc as { format?: unknown; reminders?: unknown };
  if (d?.format !== PRICE_REMINDER_FORMAT || !Array.isArray(d.reminders)) {
    throw new PriceReminderFileError(`price reminder file ${path}: expected {"format":"${PRICE_REMINDER_FORMAT}","reminders":[…]}`);
  }
  return d.reminders.map((r: unknown, i) => {
    const e = r as Partial<StoredReminder>;
    const ok =
      typeof e?.security === 'string' && typeof e.key === 'string' && /^\d{1,19}$/.test(e.key) && Number.isInteger(e.type) && Number.isInteger(e.freq) &&
      typeof e.value === 'number' && Number.isFinite(e.value) && typeof e.note === 'string' && typeof e.enabled === 'boolean' &&
      Array.isArray(e.sessions) && e.sessions.every((s) => Number.isInteger(s)) && (e.firedDay === undefined || Number.isInteger(e.firedDay));
    if (!ok) throw new PriceReminderFileError(`price reminder file ${path}: reminders[${i}] needs security, key (digits), type, freq, value, note, enabled and sessions`);
    return e as StoredReminder;
  });
}

export function writePriceReminders(path: string, reminders: readonly StoredReminder[]): void {
  const body = JSON.stringify({ format: PRICE_REMINDER_FORMAT, reminders });
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, body);
  renameSync(tmp, path);
}
