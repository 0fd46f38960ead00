// Futures and option codes (proto/derivatives.ts, parseSecurity), the exchanges' expiry rules, option pricing
// (market/options.ts) and the money of one contract (trading/derivatives.ts): pure functions, no simulator.
import { describe, expect, it } from 'vitest';
import { futureRootsOf, parseDerivativeCode, contractMultiplier, formatOptionCode } from '../../proto/derivatives.js';
import { ValidationError } from '../../proto/errors.js';
import { parseSecurity } from '../../proto/securities.js';
import { isOnTick } from '../../proto/ticks.js';
import { listFutureContracts } from '../../gateway-container/simulator/market/futures.js';
import { listExpiries, priceOption, strikeStep, chainStrikes } from '../../gateway-container/simulator/market/options.js';
import { parseDay } from '../../gateway-container/simulator/market/calendars.js';
import { fillCashDelta, orderCommitment, positionMargin } from '../../gateway-container/simulator/trading/derivatives.js';
import type { PositionState } from '../../gateway-container/simulator/trading/accounts.js';
import { SimClock } from '../../gateway-container/simulator/clock.js';
import { withFutures } from '../../gateway-container/simulator/market/derivatives.js';
import { MarketEngine } from '../../gateway-container/simulator/market/engine.js';
import { loadUniverse } from '../../gateway-container/simulator/market/universe.js';

describe('futures and option codes', () => {
  it('reads Futu futures codes: main contracts and contract months', () => {
    expect(parseSecurity('HK.HSImain').derivative).toMatchObject({ kind: 'future', month: 'main', root: { root: 'HSI', multiplier: 50 } });
    expect(parseSecurity('HK.MHI2506').derivative).toMatchObject({ kind: 'future', month: '2506', root: { multiplier: 10 } });
    expect(parseSecurity('US.ES2503').derivative).toMatchObject({ kind: 'future', root: { tick: 0.25, currency: 'USD' } });
    expect(futureRootsOf('HK')).toEqual(['HSI', 'MHI', 'HHI']);
  });

  it('reads Futu option codes: root, yyMMdd expiry, C or P, strike × 1000', () => {
    expect(parseSecurity('US.AAPL260116C200000').derivative).toEqual({ kind: 'option', market: 'US', root: 'AAPL', expiry: '2026-01-16', type: 'CALL', strike: 200 });
    expect(parseSecurity('HK.TCH250328P387500').derivative).toEqual({ kind: 'option', market: 'HK', root: 'TCH', expiry: '2025-03-28', type: 'PUT', strike: 387.5 });
    expect(formatOptionCode('TCH', '2025-03-28', 'PUT', 387.5)).toBe('TCH250328P387500');
  });

  it('keeps stock codes as they were: no derivative on HK.00700, US.AAPL, US.BRK.B', () => {
    for (const c of ['HK.00700', 'US.AAPL', 'US.BRK.B', 'SH.600519', 'US.AB12']) expect(parseSecurity(c).derivative).toBeUndefined();
  });

  it('refuses malformed derivative codes, saying what is wrong and what is allowed', () => {
    expect(() => parseSecurity('HK.HSI2513')).toThrow(/contract month "2513" must be yyMM with MM 01..12/);
    expect(() => parseSecurity('HK.XYZmain')).toThrow(/unknown futures root "XYZ"; known HK roots: HSI, MHI, HHI/);
    expect(() => parseSecurity('US.AAPL260231C200000')).toThrow(/expiry "260231" is not a calendar date/);
    expect(() => parseSecurity('US.AAPL260116C0')).toThrow(/strike must be above 0/);
    const e = (() => {
      try {
        parseSecurity('HK.TCH25032C400000', 'code');
      } catch (err) {
        return err as ValidationError;
      }
      return undefined;
    })();
    expect(e).toBeInstanceOf(ValidationError);
    expect(e!.message).toMatch(/5 digits for stocks .*; or a future like HK\.HSImain .* or an option like HK\.TCH260330C400000/);
    expect(parseDerivativeCode('SH', 'HSImain')).toBeUndefined();
  });

  it('knows each contract multiplier: HSI 50, ES 50, a US option 100, a Tencent option 100, Alibaba 500', () => {
    expect(contractMultiplier(parseSecurity('HK.HSImain').derivative)).toBe(50);
    expect(contractMultiplier(parseSecurity('US.NQ2506').derivative)).toBe(20);
    expect(contractMultiplier(parseSecurity('US.AAPL260116C200000').derivative)).toBe(100);
    expect(contractMultiplier(parseSecurity('HK.TCH250328C400000').derivative)).toBe(100);
    expect(contractMultiplier(parseSecurity('HK.ALB250328C100000').derivative)).toBe(500);
    expect(contractMultiplier(parseSecurity('HK.00700').derivative)).toBe(1);
  });

  it('puts futures on their index-point grid and option premiums on 0.01', () => {
    expect(isOnTick('HK_FUTURE', 19501)).toBe(true);
    expect(isOnTick('HK_FUTURE', 19500.5)).toBe(false);
    expect(isOnTick('US_FUTURE', 5500.25)).toBe(true);
    expect(isOnTick('US_FUTURE', 5500.1)).toBe(false);
    expect(isOnTick('OPTION', 3.21)).toBe(true);
  });
});

describe('expiry calendars', () => {
  const day = (s: string) => parseDay(s)!;

  it('lists HKFE contracts monthly (last trade: the business day before the last one) and CME quarterly (third Friday)', () => {
    const contracts = listFutureContracts(Date.UTC(2026, 0, 5, 2)).filter((c) => !c.isMain);
    const hsi = contracts.filter((c) => c.root.root === 'HSI');
    // 2026-01-30 is the last business day of January 2026, so trading ends on the 29th.
    expect(hsi.map((c) => `${c.code} ${c.lastTradeDay}`)).toEqual(['HSI2601 2026-01-29', 'HSI2602 2026-02-26']);
    const es = contracts.filter((c) => c.root.root === 'ES');
    // 19 June 2026 (the third Friday) is Juneteenth, an exchange holiday: trading ends the day before.
    expect(es.map((c) => `${c.code} ${c.lastTradeDay}`)).toEqual(['ES2603 2026-03-20', 'ES2606 2026-06-18']);
  });

  it('rolls to the next month once the last trading day has passed', () => {
    const contracts = listFutureContracts(Date.UTC(2026, 0, 30, 2)).filter((c) => c.root.root === 'HSI');
    expect(contracts.map((c) => c.code)).toEqual(['HSImain', 'HSI2602', 'HSI2603']);
    expect(contracts[0]!.originKey).toBe('HK.HSI2602');
  });

  it('lists US weeklies on Fridays (Thursday before a Friday holiday) and monthlies on the third Friday', () => {
    // Good Friday 2026 is 3 April: that week's options expire on Thursday 2 April.
    const us = listExpiries('US', day('2026-03-30')).map((e) => e.date);
    expect(us).toContain('2026-04-02');
    expect(us).not.toContain('2026-04-03');
    expect(us).toContain('2026-04-17');
  });
});

describe('option prices and greeks', () => {
  const call = { market: 'US' as const, type: 'CALL' as const, strike: 200 };
  const put = { ...call, type: 'PUT' as const };

  it('satisfies put-call parity and the greeks bounds', () => {
    const c = priceOption(call, 200, 0.25, 0.25);
    const p = priceOption(put, 200, 0.25, 0.25);
    expect(c.price - p.price).toBeCloseTo(200 - 200 * Math.exp(-0.045 * 0.25), 1);
    expect(c.delta).toBeGreaterThan(0.5);
    expect(c.delta - p.delta).toBeCloseTo(1, 4);
    expect(c.gamma).toBeCloseTo(p.gamma, 6);
    expect(c.theta).toBeLessThan(0);
    expect(c.impliedVolatility).toBeCloseTo(25, 3);
    expect(c.ask).toBeGreaterThan(c.bid);
  });

  it('prices a far out-of-the-money option at the 0.01 floor, never at 0', () => {
    expect(priceOption({ ...call, strike: 400 }, 200, 0.25, 1 / 365).price).toBe(0.01);
  });

  it('centres the chain on the reference price on a usual strike step', () => {
    // HKEX's interval table: HK$300-500 → 10, HK$5-10 → 0.25, HK$50-100 → 2.5.
    expect(strikeStep('HK', 380)).toBe(10);
    expect(strikeStep('HK', 5.6)).toBe(0.25);
    expect(strikeStep('HK', 85)).toBe(2.5);
    expect(strikeStep('US', 190)).toBe(2.5);
    const strikes = chainStrikes(383, 10);
    expect(strikes).toHaveLength(17);
    expect(strikes[8]).toBe(380);
  });
});

describe('money of one contract', () => {
  const future = { derivative: { kind: 'future' as const, multiplier: 50, underlying: 'HK.800000', initialMargin: 120_000, maintenanceMargin: 96_000 } };
  const option = { derivative: { kind: 'option' as const, multiplier: 100, underlying: 'HK.00700' } };
  const pos = (qty: number, avgCost: number) => ({ qty, avgCost }) as PositionState;

  it('moves cash by price × qty × multiplier for options, and not at all when a future opens', () => {
    expect(fillCashDelta(option, undefined, 3, 4.5)).toBe(-1350);
    expect(fillCashDelta(option, pos(3, 4.5), -3, 5)).toBe(1500);
    expect(fillCashDelta(future, undefined, 2, 19500)).toBe(0);
  });

  it('realizes (price − average open price) × qty × multiplier when a future closes, long or short', () => {
    expect(fillCashDelta(future, pos(2, 19500), -2, 19520)).toBe(2000);
    expect(fillCashDelta(future, pos(-1, 19500), 1, 19520)).toBe(-1000);
    // Selling 3 against a long of 2 closes 2 (realized) and opens a short of 1 (no cash).
    expect(fillCashDelta(future, pos(2, 19500), -3, 19490)).toBe(-1000);
  });

  it('holds initial margin per contract for futures orders and positions', () => {
    expect(orderCommitment(future, 3, 19500)).toBe(360_000);
    expect(orderCommitment(option, 3, 4.5)).toBe(1350);
    expect(positionMargin(future, -2)).toEqual({ initial: 240_000, maintenance: 192_000 });
  });
});

describe('futures in the market engine', () => {
  it('keeps a future at its index times its basis while the index moves', () => {
    const start = Date.UTC(2025, 0, 15, 2);
    const clock = new SimClock({ manual: true, start });
    const { universe } = withFutures(loadUniverse(), start);
    const engine = new MarketEngine({ universe, clock, seed: 11 });
    let widest = 0;
    for (let i = 0; i < 60; i++) {
      clock.advance(60_000);
      engine.advanceTo(clock.now());
      const index = engine.top('HK.800000')!.last;
      widest = Math.max(widest, Math.abs(engine.top('HK.HSI2502')!.last / (index * 1.002) - 1));
    }
    // Over an hour two independent paths would part by about 0.3 %; the future stays within one step of its own
    // noise plus the spread around the index (a few points in 19,500).
    expect(widest).toBeLessThan(0.0005);
    expect(engine.top('HK.800000')!.last).not.toBe(19500);
  });
});
