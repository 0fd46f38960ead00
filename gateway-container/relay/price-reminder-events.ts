// Futu price-reminder pushes as events: one Qot_UpdatePriceReminder (3019) push becomes one `Price Reminder`
// event. Pure: no state, no I/O; the relay only publishes it.
// Invariant: no coalesce key. OpenD sends a reminder push once per firing and no later push replaces it (an
// alert rule fires on it), so the publisher treats it like a trade event: never coalesced, never dropped
// (proto/events.ts isCriticalDetailType).
import { DETAIL_TYPES, priceReminderDetail } from '../../proto/events.js';
import type * as Qot_UpdatePriceReminder from '../../proto/generated/Qot_UpdatePriceReminder.js';
import type { PublishInput } from './publisher.js';

/** The event of one price-reminder push (`t`: the gateway time stamped on it). */
export function priceReminderEvent(s2c: Qot_UpdatePriceReminder.S2C, t: string): PublishInput {
  return { detailType: DETAIL_TYPES.priceReminder, detail: priceReminderDetail(s2c, t) };
}
