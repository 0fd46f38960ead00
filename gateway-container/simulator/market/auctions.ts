// HKEX's two auction sessions on the simulator's HK calendar: when at-auction (AUCTION) and at-auction limit
// (AUCTION_LIMIT) orders may be input, when they can no longer be cancelled, and when the auction matches.
// Rules followed (HKEX, Securities Market Operations FAQ: "During the Pre-opening Session and the Closing Auction
// Session, the trading system of the Exchange accepts only At-auction Order and At-auction Limit Order"; the
// session timetables as HKEX publishes them and brokers repeat them):
// - Pre-opening session (POS) 09:00-09:30: order input 09:00-09:15 (input, amend, cancel), no-cancellation
//   09:15-09:20 (input only), random matching 09:20-09:22 at the final indicative equilibrium price (IEP),
//   blocking until 09:30 (no input, no cancel).
// - Closing auction session (CAS) 16:00-16:10: reference price fixing 16:00-16:01 (no input), order input
//   16:01-16:06, no-cancellation 16:06-16:08, random closing 16:08-16:10. On a half day the CAS follows the
//   morning close (12:00-12:10).
// Simulator choices (not HKEX rules): an order is input in the POS from 09:00 until matching starts (09:20) and in
// the CAS from 16:01 until random closing starts (16:08); the auctions have no order book of their own, so the POS
// matches at the day's opening price (the first continuous trade, from 09:30 on) and the CAS at the closing price
// (the last trade of the day) once the CAS ends. Instants are UTC ms; the calendar (holidays, half days) is
// calendars.ts's.
import { DAY_MS, fromLocalMs, isTradingDay, localDay, MINUTE_MS, sessionMinutesOfDay, toLocalMs } from './calendars.js';

export type AuctionPhase = 'OPEN' | 'CLOSE';

export interface AuctionWindow {
  phase: AuctionPhase;
  /** HK-local day (days since 1970-01-01). */
  day: number;
  /** At-auction orders are input from here (inclusive) ... */
  inputFrom: number;
  /** ... until here (exclusive). */
  inputUntil: number;
  /** From here on the exchange takes no cancellation or amendment. */
  noCancelFrom: number;
  /** Opening: continuous trading starts and the first trade gives the auction price. Closing: the CAS ends. */
  matchAt: number;
}

const at = (day: number, minute: number) => fromLocalMs('HK', day * DAY_MS + minute * MINUTE_MS);

/** The day's two auction windows (none on a non-trading day). */
export function auctionWindowsOfDay(day: number): AuctionWindow[] {
  if (!isTradingDay('HK', day)) return [];
  const sessions = sessionMinutesOfDay('HK', day);
  const open = sessions[0]?.[0] ?? 9 * 60 + 30;
  const close = sessions.at(-1)?.[1] ?? 16 * 60;
  return [
    { phase: 'OPEN', day, inputFrom: at(day, 9 * 60), inputUntil: at(day, 9 * 60 + 20), noCancelFrom: at(day, 9 * 60 + 15), matchAt: at(day, open) },
    { phase: 'CLOSE', day, inputFrom: at(day, close + 1), inputUntil: at(day, close + 8), noCancelFrom: at(day, close + 6), matchAt: at(day, close + 10) },
  ];
}

/** The auction window whose input period holds `t`, if any. */
export function auctionInputWindowAt(t: number): AuctionWindow | undefined {
  return auctionWindowsOfDay(localDay('HK', t)).find((w) => t >= w.inputFrom && t < w.inputUntil);
}

/** HH:mm of an instant in HK time, for messages. */
export function hkClock(t: number): string {
  const local = toLocalMs('HK', t);
  const minute = Math.floor((local - Math.floor(local / DAY_MS) * DAY_MS) / MINUTE_MS);
  return `${String(Math.floor(minute / 60)).padStart(2, '0')}:${String(minute % 60).padStart(2, '0')}`;
}
