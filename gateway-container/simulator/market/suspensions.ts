// Trading suspensions the simulated market obeys: the days of reference.json's `suspensions` (the same data
// Qot_GetSuspend 3201 serves), looked up by the market engine (no trades, no bars, a frozen quote), the history
// (no bar for the day) and order placement (no market-priced order; a limit order rests until trading resumes).
// Invariants: a day is an exchange-local calendar day ("yyyy-MM-dd" → day number, calendars.ts parseDay); a US
// instant from 20:00 ET on belongs to the next day, as the overnight session trades for the next trading date.
import * as Qot_Common from '../../../proto/generated/Qot_Common.js';
import type { SecurityMarket } from '../market-view.js';
import { localDay, parseDay } from './calendars.js';

/** How far the US trading date runs ahead of the ET calendar day (the overnight session from 20:00 ET). */
export const US_DATE_LEAD_MS = 4 * 3_600_000;

/** What order placement asks of a market that knows suspensions (MarketEngine, and the trading view built on it). */
export interface SuspensionView {
  /** Whether the security is suspended at the current virtual time. */
  isSuspended(key: string): boolean;
}

/** Whether `market` knows suspensions and says `key` is suspended now; a market without them never is. */
export function suspendedNow(market: object, key: string): boolean {
  const view = market as Partial<SuspensionView>;
  return typeof view.isSuspended === 'function' && view.isSuspended(key);
}

export class Suspensions {
  private readonly days = new Map<string, ReadonlySet<number>>();

  /** `byKey`: security key → suspended local days "yyyy-MM-dd" (reference-data.ts has validated them). */
  constructor(byKey: ReadonlyMap<string, readonly string[]> = new Map()) {
    for (const [key, list] of byKey) {
      const set = new Set<number>();
      for (const d of list) {
        const n = parseDay(d);
        if (n === undefined) throw new RangeError(`suspension of ${key}: expected a date "yyyy-MM-dd", got ${JSON.stringify(d)}`);
        set.add(n);
      }
      if (set.size > 0) this.days.set(key, set);
    }
  }

  /** Whether the security has any suspension at all (lets the hot paths skip the day arithmetic). */
  has(key: string): boolean {
    return this.days.has(key);
  }

  /** Whether the security is suspended on local day number `day`. */
  isSuspendedOn(key: string, day: number): boolean {
    return this.days.get(key)?.has(day) ?? false;
  }

  /**
   * Whether the security is suspended at UTC instant `t`. `extendedUs`: US instants from 20:00 ET count for the
   * next day (the exchange-hours mode, whose overnight session trades for the next trading date).
   */
  isSuspendedAt(key: string, market: SecurityMarket, t: number, extendedUs: boolean): boolean {
    const set = this.days.get(key);
    if (!set) return false;
    return set.has(localDay(market, market === 'US' && extendedUs ? t + US_DATE_LEAD_MS : t));
  }
}

/**
 * A BasicQot on a suspended day: flagged (isSuspended, secStatus SUSPENDED) and frozen at the last close — no
 * open, range, volume or turnover, since nothing traded. `lastClose` is the security's last trade price, which on a
 * suspended day is the close of its last trading day.
 */
export function suspendedQuote(q: Qot_Common.BasicQot, lastClose: number): Qot_Common.BasicQot {
  return {
    ...q,
    isSuspended: true,
    secStatus: Qot_Common.SecurityStatus.SUSPENDED,
    curPrice: lastClose,
    lastClosePrice: lastClose,
    openPrice: lastClose,
    highPrice: lastClose,
    lowPrice: lastClose,
    volume: 0n,
    turnover: 0,
    turnoverRate: 0,
    amplitude: 0,
  };
}
