// When a placement may write the connection's last reading of OpenD's clock instead of reading it again
// (functions/lib/placement-reconcile.ts `reusableReading`): only while it is recent, never from a Lambda clock
// that stepped back, and never once the market's local midnight may have passed since it was read. Pure
// function, fixed times: day boundaries in Hong Kong (no DST) and New York (DST changes on the boundary day).
import { describe, expect, it } from 'vitest';
import { CLOCK_DAY_GUARD_MS, CLOCK_REUSE_MS, localDate, localDateTime, reusableReading, type ClockReading } from '../../functions/lib/placement-reconcile.js';

const HK = 'Asia/Hong_Kong';
const NY = 'America/New_York';

/** A reading of OpenD's clock at `openDMs`, taken when this Lambda's clock said `readAtMs`. */
function reading(openDMs: number, readAtMs = openDMs + 300): ClockReading {
  return { nowMs: openDMs, readAtMs, connId: 1n };
}

describe('reusing the last reading of OpenD clock for a placement', () => {
  // Wednesday 2025-01-15 10:00:00 in Hong Kong.
  const morning = Date.UTC(2025, 0, 15, 2, 0, 0);

  it('gives the reading as it was read (never moved forward) and its trading day while it is at most CLOCK_REUSE_MS old', () => {
    const r = reading(morning);
    expect(reusableReading(r, r.readAtMs, HK)).toEqual({ nowMs: morning, tradeDate: '2025-01-15' });
    expect(reusableReading(r, r.readAtMs + CLOCK_REUSE_MS, HK)).toEqual({ nowMs: morning, tradeDate: '2025-01-15' });
    expect(reusableReading(r, r.readAtMs + CLOCK_REUSE_MS + 1, HK)).toBeUndefined();
  });

  it('takes its bound from the caller: 0 reuses nothing that has aged at all', () => {
    const r = reading(morning);
    expect(reusableReading(r, r.readAtMs, HK, 0)).toEqual({ nowMs: morning, tradeDate: '2025-01-15' });
    expect(reusableReading(r, r.readAtMs + 1, HK, 0)).toBeUndefined();
    expect(reusableReading(r, r.readAtMs + 59_000, HK, 60_000)).toBeDefined();
  });

  it('refuses a reading from the future of this Lambda clock (a clock that stepped back proves nothing about the age)', () => {
    const r = reading(morning);
    expect(reusableReading(r, r.readAtMs - 1, HK)).toBeUndefined();
  });

  it("refuses once the market's local midnight may have come since the reading, with CLOCK_DAY_GUARD_MS to spare", () => {
    // 23:59:50 in Hong Kong; the next day starts in 10 s by OpenD's clock.
    const late = Date.UTC(2025, 0, 15, 15, 59, 50);
    expect(localDateTime(late, HK)).toBe('2025-01-15 23:59:50');
    const r = reading(late);
    const toMidnight = 10_000;
    // Reused while the projection plus the guard is still on the 15th…
    expect(reusableReading(r, r.readAtMs + toMidnight - CLOCK_DAY_GUARD_MS - 1, HK)).toEqual({ nowMs: late, tradeDate: '2025-01-15' });
    // …and not from the moment it could be the 16th, although the reading is still young.
    expect(reusableReading(r, r.readAtMs + toMidnight - CLOCK_DAY_GUARD_MS, HK)).toBeUndefined();
    expect(reusableReading(r, r.readAtMs + toMidnight + 1, HK)).toBeUndefined();
    // A reading right after midnight is on the new day and reused as such.
    const after = reading(late + toMidnight);
    expect(reusableReading(after, after.readAtMs + 1000, HK)).toEqual({ nowMs: late + toMidnight, tradeDate: '2025-01-16' });
  });

  it("judges the day in the account market's zone, not UTC: the same instants in New York, on a DST change day", () => {
    // Sunday 2025-03-09: New York moved from EST to EDT at 02:00 local. Its local midnight at the end of that day
    // is 04:00 UTC on the 10th (EDT, UTC-4), not 05:00 UTC as the day before.
    const beforeNyMidnight = Date.UTC(2025, 2, 10, 3, 59, 58);
    expect(localDateTime(beforeNyMidnight, NY)).toBe('2025-03-09 23:59:58');
    const r = reading(beforeNyMidnight);
    expect(reusableReading(r, r.readAtMs, NY)).toBeUndefined(); // 2 s to midnight: inside the guard
    expect(reusableReading(r, r.readAtMs, HK)).toEqual({ nowMs: beforeNyMidnight, tradeDate: localDate(beforeNyMidnight, HK) });
    const earlier = reading(beforeNyMidnight - 60_000);
    expect(reusableReading(earlier, earlier.readAtMs + 1000, NY)).toEqual({ nowMs: beforeNyMidnight - 60_000, tradeDate: '2025-03-09' });
  });
});
