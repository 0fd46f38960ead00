// The market engine's suspension rules without a server: the day lookup (a US date starting at 20:00 ET the
// evening before in exchange mode), no trades on a suspended trading date including the US overnight session
// that belongs to it, a long run of suspended days skipped in one jump, and history with no bar for a suspended
// day. (Over TCP, with quotes and orders: test/integration/sim-suspensions.test.ts.)
import { describe, expect, it } from 'vitest';
import * as Qot_Common from '../../proto/generated/Qot_Common.js';
import { SimClock } from '../../gateway-container/simulator/clock.js';
import { MarketEngine, type MarketEngineOptions } from '../../gateway-container/simulator/market/engine.js';
import { Suspensions, suspendedNow } from '../../gateway-container/simulator/market/suspensions.js';
import { loadUniverse, type Universe } from '../../gateway-container/simulator/market/universe.js';
import type { MarketTrade } from '../../gateway-container/simulator/market-view.js';
import { parseDay } from '../../gateway-container/simulator/market/calendars.js';

const KL = Qot_Common.KLType;
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const fullUniverse = loadUniverse();
const universeOf = (...keys: string[]): Universe => ({ ...fullUniverse, securities: fullUniverse.securities.filter((s) => keys.includes(s.key)) });

function engineAt(start: number, suspended: Record<string, string[]>, options: Omit<MarketEngineOptions, 'clock'> = {}) {
  const clock = new SimClock({ start, manual: true });
  const engine = new MarketEngine({
    universe: universeOf('HK.00700', 'HK.03690', 'US.AAPL'),
    tickIntervalMs: 60_000,
    ...options,
    clock,
    suspensions: new Suspensions(new Map(Object.entries(suspended))),
  });
  const trades: MarketTrade[] = [];
  engine.onTrade((t) => trades.push(t));
  return { engine, clock, trades };
}

describe('Suspensions', () => {
  const s = new Suspensions(new Map([['US.AAPL', ['2024-03-06']], ['HK.00700', ['2024-03-06']]]));

  it('looks a security up by exchange-local day', () => {
    expect(s.isSuspendedOn('US.AAPL', parseDay('2024-03-06')!)).toBe(true);
    expect(s.isSuspendedOn('US.AAPL', parseDay('2024-03-07')!)).toBe(false);
    expect(s.isSuspendedOn('US.TSLA', parseDay('2024-03-06')!)).toBe(false);
    expect(s.has('US.AAPL')).toBe(true);
    expect(s.has('US.TSLA')).toBe(false);
  });

  it('counts a US instant from 20:00 ET for the next date only with the extended sessions', () => {
    const tue2030Et = Date.parse('2024-03-06T01:30:00Z'); // Tuesday 20:30 EST
    expect(s.isSuspendedAt('US.AAPL', 'US', tue2030Et, true)).toBe(true);
    expect(s.isSuspendedAt('US.AAPL', 'US', tue2030Et, false)).toBe(false);
    // Hong Kong has no such lead: 09:30 HKT on Wednesday is Wednesday.
    expect(s.isSuspendedAt('HK.00700', 'HK', Date.parse('2024-03-06T01:30:00Z'), true)).toBe(true);
    expect(s.isSuspendedAt('HK.00700', 'HK', Date.parse('2024-03-05T15:59:00Z'), true)).toBe(false);
  });

  it('refuses a malformed day, naming the security', () => {
    expect(() => new Suspensions(new Map([['HK.00700', ['2024-13-01']]]))).toThrow(/suspension of HK\.00700: expected a date "yyyy-MM-dd", got "2024-13-01"/);
  });

  it('tells a market without suspensions from one with them', () => {
    expect(suspendedNow({}, 'HK.00700')).toBe(false);
    expect(suspendedNow({ isSuspended: (k: string) => k === 'HK.00700' }, 'HK.00700')).toBe(true);
  });
});

describe('the market engine on suspended days', () => {
  it('generates no trade for the suspended US date, its overnight session included, and trades again after it', () => {
    const tue19Et = Date.parse('2024-03-06T00:00:00Z'); // Tuesday 19:00 EST, after-hours
    const { engine, clock, trades } = engineAt(tue19Et, { 'US.AAPL': ['2024-03-06'] }, { sessions: 'exchange' });
    const wedDateFrom = Date.parse('2024-03-06T01:00:00Z'); // Tuesday 20:00 EST: the overnight session for Wednesday
    const thuDateFrom = Date.parse('2024-03-07T01:00:00Z'); // Wednesday 20:00 EST
    expect(engine.isSuspended('US.AAPL')).toBe(false);
    clock.advance(2 * HOUR); // into Wednesday's date
    engine.advanceTo(clock.now());
    expect(engine.isSuspended('US.AAPL')).toBe(true);
    expect(engine.isSuspended('HK.00700')).toBe(false);
    clock.advance(DAY + 12 * HOUR); // to Thursday 09:00 EST
    engine.advanceTo(clock.now());
    const aapl = trades.filter((t) => t.key === 'US.AAPL');
    expect(aapl.some((t) => t.time < wedDateFrom)).toBe(true);
    expect(aapl.filter((t) => t.time >= wedDateFrom && t.time < thuDateFrom)).toEqual([]);
    expect(aapl.some((t) => t.time >= thuDateFrom)).toBe(true);
    expect(trades.some((t) => t.key === 'HK.00700' && t.time >= wedDateFrom && t.time < thuDateFrom)).toBe(true);
  });

  it('skips a long run of suspended days in one jump and resumes on the first day after it', () => {
    const days: string[] = [];
    for (let d = parseDay('2024-03-06')!; d < parseDay('2024-03-06')! + 120; d++) days.push(new Date(d * DAY).toISOString().slice(0, 10));
    const start = Date.UTC(2024, 2, 6, 2, 0, 0); // Wednesday 10:00 HKT, the first suspended day
    const { engine, clock, trades } = engineAt(start, { 'HK.03690': days }, { sessions: 'exchange' });
    clock.advance(125 * DAY);
    engine.advanceTo(clock.now());
    const meituan = trades.filter((t) => t.key === 'HK.03690');
    expect(meituan.length).toBeGreaterThan(0);
    const resumed = Date.UTC(2024, 2, 6) + 120 * DAY - 8 * HOUR; // local midnight after the last suspended day
    expect(meituan.every((t) => t.time >= resumed)).toBe(true);
  });

  it('has no history bar (daily or minute) for a suspended day before the live start', () => {
    const start = Date.UTC(2026, 2, 20, 2, 0, 0); // Friday 2026-03-20 10:00 HKT
    const { engine } = engineAt(start, { 'HK.03690': ['2026-03-16', '2026-03-17'] });
    const days = (key: string, type: number) =>
      [...new Set(engine.historyKLines(key, type, '2026-03-12', '2026-03-19')!.klines.map((k) => k.time.slice(0, 10)))];
    expect(days('HK.03690', KL.DAY)).toEqual(['2026-03-12', '2026-03-13', '2026-03-18', '2026-03-19']);
    expect(days('HK.03690', KL['1MIN'])).toEqual(['2026-03-12', '2026-03-13', '2026-03-18', '2026-03-19']);
    expect(days('HK.00700', KL.DAY)).toEqual(['2026-03-12', '2026-03-13', '2026-03-16', '2026-03-17', '2026-03-18', '2026-03-19']);
  });

  it('quotes a security on its suspended day at the last close with an empty book', () => {
    const { engine, clock } = engineAt(Date.UTC(2026, 2, 16, 2, 0, 0), { 'HK.03690': ['2026-03-16'] });
    clock.advance(HOUR);
    engine.advanceTo(clock.now());
    const q = engine.basicQot('HK.03690')!;
    expect(q).toMatchObject({ isSuspended: true, secStatus: Qot_Common.SecurityStatus.SUSPENDED, volume: 0n, amplitude: 0 });
    expect(q.curPrice).toBe(q.lastClosePrice);
    expect(engine.top('HK.03690')).toMatchObject({ last: q.curPrice, bidVol: 0, askVol: 0 });
    expect(engine.orderBook('HK.03690')).toEqual({ bids: [], asks: [] });
    expect(engine.timeShare('HK.03690')).toEqual([]);
    expect(engine.snapshotFields('HK.03690')!.basic).toMatchObject({ isSuspend: true, secStatus: Qot_Common.SecurityStatus.SUSPENDED, bidVol: 0n, askVol: 0n });
    expect(engine.basicQot('HK.00700')).toMatchObject({ isSuspended: false, secStatus: Qot_Common.SecurityStatus.NORMAL });
  });
});
