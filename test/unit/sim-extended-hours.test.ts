// The simulator's US extended sessions (market/extended-hours.ts) on the exchange calendar — windows per day with
// daylight saving time, an early close and a holiday, the market state they report — and the order session rules
// of trading/sessions.ts (which sessions an order may fill in, and what is refused).
import { describe, expect, it } from 'vitest';
import { DAY_MS, fromLocalMs, parseDay } from '../../gateway-container/simulator/market/calendars.js';
import { extendedMarketState, nextActiveInstant, tradingWindowsOfDay, windowAt } from '../../gateway-container/simulator/market/extended-hours.js';
import { AccountState } from '../../gateway-container/simulator/trading/accounts.js';
import { TradingError } from '../../gateway-container/simulator/trading/errors.js';
import { allowedSessions, checkSessions, effectiveSession, orderTradeDate } from '../../gateway-container/simulator/trading/sessions.js';
import type { SecurityFacts } from '../../gateway-container/simulator/market-view.js';
import * as Common from '../../proto/generated/Common.js';
import * as Qot_Common from '../../proto/generated/Qot_Common.js';
import * as Trd_Common from '../../proto/generated/Trd_Common.js';

const S = Qot_Common.QotMarketState;
const { Session } = Common;
const { OrderType } = Trd_Common;
/** The instant New York's wall clock shows `date hh:mm`. */
const ny = (date: string, hh: number, mm = 0): number => fromLocalMs('US', parseDay(date)! * DAY_MS + (hh * 60 + mm) * 60_000);
/** Windows of a New York day as [session, "HH:MM" start, "HH:MM" end] in New York time. */
function windows(date: string): [string, string, string][] {
  const hhmm = (t: number): string => new Date(t).toLocaleTimeString('en-GB', { timeZone: 'America/New_York', hour: '2-digit', minute: '2-digit' });
  return tradingWindowsOfDay('US', parseDay(date)!).map((w) => [w.session, hhmm(w.start), hhmm(w.end)]);
}

describe('US trading windows', () => {
  it('covers a weekday: overnight tail, pre-market, regular, after-hours, overnight head, in EST and EDT alike', () => {
    const day = [
      ['OVERNIGHT', '00:00', '04:00'],
      ['PRE', '04:00', '09:30'],
      ['RTH', '09:30', '16:00'],
      ['AFTER', '16:00', '20:00'],
      ['OVERNIGHT', '20:00', '00:00'],
    ];
    expect(windows('2026-01-13')).toEqual(day); // Tuesday, EST
    expect(windows('2026-07-14')).toEqual(day); // Tuesday, EDT
    expect(tradingWindowsOfDay('US', parseDay('2026-07-14')!)[2]!.start).toBe(Date.parse('2026-07-14T13:30:00Z'));
  });

  it('runs the overnight session from Sunday evening to Friday morning, and not before a holiday', () => {
    expect(windows('2026-01-11')).toEqual([['OVERNIGHT', '20:00', '00:00']]); // Sunday
    expect(windows('2026-01-16').at(-1)).toEqual(['AFTER', '16:00', '20:00']); // Friday: no overnight into Saturday
    expect(windows('2026-01-17')).toEqual([]); // Saturday
    expect(windows('2026-11-25').at(-1)).toEqual(['AFTER', '16:00', '20:00']); // the evening before Thanksgiving
    expect(windows('2026-11-26')).toEqual([['OVERNIGHT', '20:00', '00:00']]); // Thanksgiving: closed until the evening
  });

  it('starts after-hours at an early close and keeps it four hours long', () => {
    expect(windows('2026-11-27')).toEqual([
      ['OVERNIGHT', '00:00', '04:00'],
      ['PRE', '04:00', '09:30'],
      ['RTH', '09:30', '13:00'],
      ['AFTER', '13:00', '17:00'],
    ]);
    expect(extendedMarketState('US', ny('2026-11-27', 16, 30))).toBe(S.AFTER_HOURS_BEGIN);
    expect(extendedMarketState('US', ny('2026-11-27', 17, 30))).toBeUndefined(); // the calendar's CLOSED applies
  });

  it('reports the extended states and one overnight session across midnight', () => {
    expect(extendedMarketState('US', ny('2026-01-13', 5))).toBe(S.PRE_MARKET_BEGIN);
    expect(extendedMarketState('US', ny('2026-01-13', 10))).toBeUndefined(); // regular: the calendar says AFTERNOON
    expect(extendedMarketState('US', ny('2026-01-13', 17))).toBe(S.AFTER_HOURS_BEGIN);
    expect(extendedMarketState('US', ny('2026-01-13', 23))).toBe(S.OVERNIGHT);
    expect(extendedMarketState('US', ny('2026-01-14', 3))).toBe(S.OVERNIGHT);
    expect(extendedMarketState('HK', ny('2026-01-13', 23))).toBeUndefined();
    expect(windowAt('US', ny('2026-01-14', 3))!.sessionStart).toBe(windowAt('US', ny('2026-01-13', 23))!.sessionStart);
  });

  it('finds the next active instant across a weekend, and only regular sessions elsewhere', () => {
    expect(nextActiveInstant('US', ny('2026-01-10', 12))).toBe(ny('2026-01-11', 20)); // Saturday -> Sunday 20:00
    // Monday 2026-01-19 is Martin Luther King Jr. Day: no session that Sunday night or Monday before 20:00.
    expect(nextActiveInstant('US', ny('2026-01-17', 12))).toBe(ny('2026-01-19', 20));
    expect(nextActiveInstant('US', ny('2026-01-13', 5))).toBe(ny('2026-01-13', 5));
    expect(tradingWindowsOfDay('HK', parseDay('2026-01-13')!).map((w) => w.session)).toEqual(['RTH', 'RTH']);
  });
});

const AAPL: SecurityFacts = { key: 'US.AAPL', market: 'US', code: 'AAPL', name: 'Apple Inc.', lotSize: 1, tickRule: 'US', currency: 'USD', secType: 3, tradable: true };
const TENCENT: SecurityFacts = { ...AAPL, key: 'HK.00700', market: 'HK', code: '00700', tickRule: 'HK', currency: 'HKD', lotSize: 100 };
const account = (trdEnv: 'SIMULATE' | 'REAL', accType: 'CASH' | 'MARGIN') => new AccountState({ accID: 1n << 60n, trdEnv, markets: ['US'], accType, cash: { USD: 1000 } });

describe('order sessions', () => {
  it('maps session and fillOutsideRTH to the sessions an order may fill in', () => {
    expect([...allowedSessions({ sec: AAPL })]).toEqual(['RTH']);
    expect(effectiveSession(undefined, true)).toBe(Session.ETH);
    expect(effectiveSession(Session.NONE, false)).toBe(Session.RTH);
    expect(effectiveSession(Session.OVERNIGHT, true)).toBe(Session.OVERNIGHT); // an explicit session wins
    expect([...allowedSessions({ sec: AAPL, fillOutsideRTH: true })].sort()).toEqual(['AFTER', 'PRE', 'RTH']);
    expect([...allowedSessions({ sec: AAPL, session: Session.ETH })].sort()).toEqual(['AFTER', 'PRE', 'RTH']);
    expect([...allowedSessions({ sec: AAPL, session: Session.OVERNIGHT })]).toEqual(['OVERNIGHT']);
    expect([...allowedSessions({ sec: AAPL, session: Session.ALL })].sort()).toEqual(['AFTER', 'OVERNIGHT', 'PRE', 'RTH']);
    expect([...allowedSessions({ sec: TENCENT, session: Session.ALL })]).toEqual(['RTH']);
  });

  it('refuses what OpenD refuses, naming the rule', () => {
    const real = account('REAL', 'MARGIN');
    const refuse = (fn: () => void, message: string) => expect(fn).toThrow(new TradingError(message));
    expect(() => checkSessions(real, AAPL, OrderType.NORMAL, Session.ALL, undefined)).not.toThrow();
    expect(() => checkSessions(real, AAPL, OrderType.STOP_LIMIT, Session.ETH, undefined)).not.toThrow();
    expect(() => checkSessions(real, AAPL, OrderType.MARKET, Session.RTH, undefined)).not.toThrow();
    refuse(
      () => checkSessions(real, AAPL, OrderType.STOP, Session.OVERNIGHT, undefined),
      'STOP orders trade in the regular session only; session OVERNIGHT (trading outside regular hours) is allowed for limit orders only (NORMAL, STOP_LIMIT, LIMITIF_TOUCHED)',
    );
    refuse(() => checkSessions(real, AAPL, OrderType.NORMAL, 9, undefined), 'session 9 is invalid: use NONE (0), RTH (1), ETH (2), ALL (3) or OVERNIGHT (4) (Common.Session)');
    refuse(() => checkSessions(real, TENCENT, OrderType.NORMAL, undefined, true), 'fillOutsideRTH is only for US securities; HK.00700 trades in its regular sessions only');
    expect(() => checkSessions(real, TENCENT, OrderType.NORMAL, Session.RTH, false)).not.toThrow();
    refuse(
      () => checkSessions(account('SIMULATE', 'MARGIN'), AAPL, OrderType.NORMAL, Session.ALL, undefined),
      'session ALL is not available in paper trading: it has no overnight session; use RTH or ETH',
    );
    refuse(
      () => checkSessions(account('SIMULATE', 'CASH'), AAPL, OrderType.NORMAL, undefined, true),
      'fillOutsideRTH is not available for this paper-trading cash account: pre-market and after-hours paper trading needs a margin account; use RTH',
    );
  });

  it('dates a US order placed from 20:00 New York time on the next day', () => {
    expect(orderTradeDate('US', ny('2026-01-13', 19, 59), 'America/New_York')).toBe('2026-01-13');
    expect(orderTradeDate('US', ny('2026-01-13', 20), 'America/New_York')).toBe('2026-01-14');
    expect(orderTradeDate('HK', Date.parse('2026-01-13T23:30:00+08:00'), 'Asia/Hong_Kong')).toBe('2026-01-13');
  });
});
