// HKEX's auction windows on the simulator's HK calendar (market/auctions.ts): the pre-opening and closing auction
// input periods, the no-cancellation instants and the matching instants on a full day and on a half day (the
// closing auction follows the noon close), and none on a holiday or a weekend.
import { describe, expect, it } from 'vitest';
import { auctionInputWindowAt, auctionWindowsOfDay, hkClock } from '../../gateway-container/simulator/market/auctions.js';
import { localDay } from '../../gateway-container/simulator/market/calendars.js';

/** An instant at hh:mm Hong Kong time (UTC+8, no daylight saving) on `date`. */
const hkt = (date: string, h: number, m: number) => Date.parse(`${date}T00:00:00Z`) + ((h - 8) * 60 + m) * 60_000;

describe('HK auction windows', () => {
  it('a full day: pre-opening input 09:00-09:20, no cancel from 09:15, matched from 09:30; closing input 16:01-16:08, no cancel from 16:06, matched at 16:10', () => {
    const day = localDay('HK', hkt('2026-03-04', 12, 0));
    const [open, close] = auctionWindowsOfDay(day);
    expect(open).toEqual({ phase: 'OPEN', day, inputFrom: hkt('2026-03-04', 9, 0), inputUntil: hkt('2026-03-04', 9, 20), noCancelFrom: hkt('2026-03-04', 9, 15), matchAt: hkt('2026-03-04', 9, 30) });
    expect(close).toEqual({ phase: 'CLOSE', day, inputFrom: hkt('2026-03-04', 16, 1), inputUntil: hkt('2026-03-04', 16, 8), noCancelFrom: hkt('2026-03-04', 16, 6), matchAt: hkt('2026-03-04', 16, 10) });
    expect(auctionInputWindowAt(hkt('2026-03-04', 8, 59))).toBeUndefined();
    expect(auctionInputWindowAt(hkt('2026-03-04', 9, 19))?.phase).toBe('OPEN');
    expect(auctionInputWindowAt(hkt('2026-03-04', 9, 20))).toBeUndefined();
    expect(auctionInputWindowAt(hkt('2026-03-04', 16, 0))).toBeUndefined(); // reference price fixing
    expect(auctionInputWindowAt(hkt('2026-03-04', 16, 7))?.phase).toBe('CLOSE');
    expect(hkClock(hkt('2026-03-04', 16, 7))).toBe('16:07');
  });

  it('a half day (2026-12-24, morning only): the closing auction follows the 12:00 close', () => {
    const [, close] = auctionWindowsOfDay(localDay('HK', hkt('2026-12-24', 10, 0)));
    expect(close).toMatchObject({ inputFrom: hkt('2026-12-24', 12, 1), inputUntil: hkt('2026-12-24', 12, 8), matchAt: hkt('2026-12-24', 12, 10) });
    expect(auctionInputWindowAt(hkt('2026-12-24', 16, 2))).toBeUndefined();
  });

  it('no auctions on a holiday (2026-12-25) or a weekend', () => {
    expect(auctionWindowsOfDay(localDay('HK', hkt('2026-12-25', 10, 0)))).toEqual([]);
    expect(auctionInputWindowAt(hkt('2026-03-07', 9, 5))).toBeUndefined(); // a Saturday
  });
});
