// Exchange holidays in the simulator's calendars (the table's invariants; sessions and market states follow the
// same days as Qot_RequestTradeDate) and the reference-data file's validation.
import { describe, expect, it } from 'vitest';
import * as Qot_Common from '../../proto/generated/Qot_Common.js';
import { DAY_MS, fromLocalMs, isInSession, marketStateAt, nextSessionInstant, parseDay, sessionsOfDay, weekdayOf } from '../../gateway-container/simulator/market/calendars.js';
import { HOLIDAYS } from '../../gateway-container/simulator/market/holidays.js';

const S = Qot_Common.QotMarketState;
/** The instant the exchange's wall clock shows `date time`. */
const at = (market: 'HK' | 'US' | 'SH', date: string, hh: number, mm = 0) => fromLocalMs(market, parseDay(date)! * DAY_MS + (hh * 60 + mm) * 60_000);

describe('exchange holidays', () => {
  it('lists only weekdays, each once, never both closed and shortened', () => {
    for (const [market, h] of Object.entries(HOLIDAYS)) {
      const closed = new Set(h.closed);
      expect(closed.size, `${market} duplicates`).toBe(h.closed.length);
      for (const d of [...h.closed, ...h.shortened.map((s) => s.date)]) {
        const day = parseDay(d);
        expect(day, `${market} ${d} is a date`).toBeDefined();
        expect([0, 6], `${market} ${d} is a weekday`).not.toContain(weekdayOf(day!));
        expect(h.years, `${market} ${d} is in a covered year`).toContain(Number(d.slice(0, 4)));
      }
      for (const s of h.shortened) expect(closed.has(s.date), `${market} ${s.date}`).toBe(false);
    }
  });

  it('has no sessions on a holiday, so the market stays closed all day', () => {
    expect(sessionsOfDay('HK', parseDay('2026-02-17')!)).toEqual([]);
    expect(isInSession('HK', at('HK', '2026-02-17', 10))).toBe(false);
    expect(marketStateAt('HK', at('HK', '2026-02-17', 10))).toBe(S.CLOSED);
    expect(marketStateAt('US', at('US', '2026-11-26', 11))).toBe(S.CLOSED);
    // A normal day around it trades.
    expect(marketStateAt('HK', at('HK', '2026-02-20', 10))).toBe(S.MORNING);
  });

  it('keeps only the morning on an HK half day and closes the US early at 13:00', () => {
    const half = sessionsOfDay('HK', parseDay('2026-12-24')!);
    expect(half).toEqual([[at('HK', '2026-12-24', 9, 30), at('HK', '2026-12-24', 12)]]);
    expect(marketStateAt('HK', at('HK', '2026-12-24', 14))).toBe(S.CLOSED);
    expect(isInSession('US', at('US', '2026-11-27', 12, 59))).toBe(true);
    expect(isInSession('US', at('US', '2026-11-27', 13, 30))).toBe(false);
  });

  it('finds the next session after the longest closure (Spring Festival on the A-share exchanges)', () => {
    expect(nextSessionInstant('SH', at('SH', '2026-02-13', 16))).toBe(at('SH', '2026-02-24', 9, 30));
  });

  it('leaves years outside the table as plain weekdays', () => {
    expect(sessionsOfDay('HK', parseDay('2025-12-25')!)).toHaveLength(2);
  });
});

describe('reference data file', () => {
  it('loads the shipped reference.json and refuses a malformed entry naming it', async () => {
    const { loadReferenceData, parseReferenceData } = await import('../../gateway-container/simulator/market/reference-data.js');
    const all = loadReferenceData(() => true);
    expect(all.ipos.length).toBeGreaterThan(0);
    expect(all.suspensions.get('HK.03690')).toEqual(['2026-03-16', '2026-03-17']);
    // Entries about securities the running universe lacks are dropped.
    expect(loadReferenceData((k) => k !== 'HK.03690').suspensions.has('HK.03690')).toBe(false);
    expect(() => parseReferenceData({ ipos: [{ security: 'HK.02658', name: 'X', listTime: '2026-12-18', hk: { ipoPriceMin: 'cheap' } }] }, () => true)).toThrow(/ipos\[0\]\.hk\.ipoPriceMin: expected a number/);
    expect(() => parseReferenceData({ suspensions: [{ security: 'HK.00700', dates: ['2026-02-30'] }] }, () => true)).toThrow(/suspensions\[0\]\.dates\[0\]: expected a date/);
    expect(() => parseReferenceData({ codeChanges: [{ type: 'MERGE', security: 'HK.00700', relatedSecurity: 'HK.00701' }] }, () => true)).toThrow(/codeChanges\[0\]\.type: expected one of GEM_TO_MAIN/);
  });
});
