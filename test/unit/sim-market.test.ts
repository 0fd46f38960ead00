import { describe, expect, it, vi } from 'vitest';
import * as Qot_Common from '../../proto/generated/Qot_Common.js';
import { SimClock } from '../../gateway-container/simulator/clock.js';
import { KL_TYPES, MarketEngine, type MarketEngineOptions, type MarketUpdate } from '../../gateway-container/simulator/market/engine.js';
import {
  formatMarketTime,
  loadUniverse,
  parseMarketTime,
  parseUniverse,
  UniverseError,
  type Universe,
} from '../../gateway-container/simulator/market/universe.js';
import type { MarketTrade } from '../../gateway-container/simulator/market-view.js';
import { isOnTick, tickSize } from '../../gateway-container/simulator/ticks.js';

const KL = Qot_Common.KLType;
const S = Qot_Common.QotMarketState;
// Wednesday 2024-03-06 10:00 in Hong Kong (02:00 UTC).
const WED_10_00_HKT = Date.UTC(2024, 2, 6, 2, 0, 0);
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

const fullUniverse = loadUniverse();

function universeOf(...keys: string[]): Universe {
  return { ...fullUniverse, securities: fullUniverse.securities.filter((s) => keys.includes(s.key)) };
}

function engineAt(start: number, options: Omit<MarketEngineOptions, 'clock'> = {}): { engine: MarketEngine; clock: SimClock } {
  const clock = new SimClock({ start, manual: true });
  return { engine: new MarketEngine({ universe: universeOf('HK.00700', 'US.AAPL', 'SH.600519'), ...options, clock }), clock };
}

function run(engine: MarketEngine, clock: SimClock, ms: number): number {
  clock.advance(ms);
  return engine.advanceTo(clock.now());
}

/** Advances in chunks small enough that no backlog is compressed. */
function runInChunks(engine: MarketEngine, clock: SimClock, ms: number, chunk = 30 * MINUTE): void {
  for (let done = 0; done < ms; done += chunk) run(engine, clock, Math.min(chunk, ms - done));
}

function num(v: number | undefined): number {
  expect(v).toBeTypeOf('number');
  return v as number;
}

describe('SimClock', () => {
  it('stands still in manual mode until advanced', () => {
    const clock = new SimClock({ start: 1_000, manual: true });
    expect(clock.now()).toBe(1_000);
    expect(clock.advance(500)).toBe(1_500);
    expect(clock.now()).toBe(1_500);
  });

  it('runs at `speed` virtual ms per real ms, plus any manual advance', () => {
    let real = 10_000;
    const clock = new SimClock({ start: 0, speed: 60, realNow: () => real });
    real += 1_000;
    expect(clock.now()).toBe(60_000);
    clock.advance(5);
    expect(clock.now()).toBe(60_005);
  });

  it('rejects a non-positive speed and negative advances', () => {
    expect(() => new SimClock({ speed: 0 })).toThrow(RangeError);
    expect(() => new SimClock({ manual: true }).advance(-1)).toThrow(RangeError);
  });

  it('drives a callback on an interval until stopped', () => {
    vi.useFakeTimers();
    try {
      const clock = new SimClock({ start: 0, manual: true });
      const seen: number[] = [];
      const stop = clock.onTick((now) => seen.push(now), 100);
      vi.advanceTimersByTime(350);
      expect(seen).toHaveLength(3);
      stop();
      vi.advanceTimersByTime(1_000);
      expect(seen).toHaveLength(3);
    } finally {
      vi.useRealTimers();
    }
  });
});

describe('universe', () => {
  it('ships the default HK, US and A-share securities with their lot sizes, ladders and types', () => {
    const byKey = new Map(fullUniverse.securities.map((s) => [s.key, s]));
    expect(byKey.get('HK.00700')).toMatchObject({ lotSize: 100, tickRule: 'HK', secType: Qot_Common.SecurityType.EQTY, currency: 'HKD', tradable: true });
    expect(byKey.get('HK.09988')).toMatchObject({ lotSize: 100 });
    expect(byKey.get('HK.00005')).toMatchObject({ lotSize: 400 });
    expect(byKey.get('HK.02800')).toMatchObject({ lotSize: 500, secType: Qot_Common.SecurityType.TRUST });
    expect(byKey.get('HK.800000')).toMatchObject({ secType: Qot_Common.SecurityType.INDEX, tradable: false });
    expect(byKey.get('US.AAPL')).toMatchObject({ lotSize: 1, tickRule: 'US', currency: 'USD' });
    expect(byKey.get('US.SPY')).toMatchObject({ secType: Qot_Common.SecurityType.TRUST });
    expect(byKey.get('SH.600519')).toMatchObject({ lotSize: 100, tickRule: 'CN', currency: 'CNY' });
    expect(byKey.get('SZ.000001')).toBeDefined();
    const tencent = byKey.get('HK.00700')!;
    expect(tencent.basePrice).toBeGreaterThan(300);
    expect(tencent.basePrice).toBeLessThan(500);
    for (const s of fullUniverse.securities) expect(isOnTick(s.tickRule, s.basePrice)).toBe(true);
  });

  it('reports every problem of an invalid universe with its path', () => {
    const bad = {
      plates: [{ key: 'HK.BK1001', name: 'Tech', setType: 'INDUSTRY' }],
      securities: [
        { id: 1, market: 'HK', code: '00700', name: 'T', secType: 'EQTY', lotSize: -100, currency: 'HKD', basePrice: 380.1, annualVolatility: 0.3, avgDailyVolume: 1000, listDate: '2004-06-16', plates: ['HK.BK9999'] },
        { id: 2, market: 'XX', code: 'A', name: 'B', secType: 'BOND', lotSize: 1, currency: 'USD', basePrice: 1, annualVolatility: 0.3, avgDailyVolume: 1000, listDate: '2004-13-01' },
      ],
    };
    let error: unknown;
    try {
      parseUniverse(bad, 'test.json');
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(UniverseError);
    const message = (error as Error).message;
    expect(message).toContain('test.json');
    expect(message).toContain('securities[0].lotSize: expected a positive integer');
    expect(message).toContain('securities[0].basePrice: 380.1 is not on the HK tick ladder');
    expect(message).toContain('securities[0].plates: unknown plate HK.BK9999');
    expect(message).toContain('securities[1].market');
    expect(message).toContain('securities[1].secType');
    expect(message).toContain('securities[1].listDate');
  });

  it('fails clearly on a missing file', () => {
    expect(() => loadUniverse('/nonexistent/universe.json')).toThrow(/cannot read the file/);
  });

  it('converts exchange-local time strings across time zones and daylight saving', () => {
    expect(formatMarketTime('HK', WED_10_00_HKT)).toBe('2024-03-06 10:00:00');
    expect(formatMarketTime('US', WED_10_00_HKT)).toBe('2024-03-05 21:00:00'); // EST, UTC-5
    expect(parseMarketTime('US', '2024-07-10 09:30:00')).toBe(Date.UTC(2024, 6, 10, 13, 30)); // EDT, UTC-4
    expect(parseMarketTime('SH', '2024-03-06')).toBe(Date.UTC(2024, 2, 5, 16, 0));
    expect(() => parseMarketTime('HK', '2024-02-30')).toThrow(RangeError);
  });
});

describe('MarketEngine determinism', () => {
  it('produces identical tickers and books from the same seed and clock steps', () => {
    const a = engineAt(WED_10_00_HKT, { seed: 42 });
    const b = engineAt(WED_10_00_HKT, { seed: 42 });
    for (let i = 0; i < 5; i++) {
      run(a.engine, a.clock, 7 * MINUTE);
      run(b.engine, b.clock, 7 * MINUTE);
    }
    for (const key of ['HK.00700', 'US.AAPL', 'SH.600519']) {
      expect(a.engine.tickers(key, 1000)!.length).toBeGreaterThan(0);
      expect(a.engine.tickers(key, 1000)).toEqual(b.engine.tickers(key, 1000));
      expect(a.engine.orderBook(key, 10)).toEqual(b.engine.orderBook(key, 10));
      expect(a.engine.klines(key, KL['5MIN'], 100)).toEqual(b.engine.klines(key, KL['5MIN'], 100));
    }
  });

  it('does not depend on how the time is split into advanceTo calls', () => {
    const a = engineAt(WED_10_00_HKT, { seed: 3 });
    const b = engineAt(WED_10_00_HKT, { seed: 3 });
    run(a.engine, a.clock, 20 * MINUTE);
    for (let i = 0; i < 40; i++) run(b.engine, b.clock, 30_000);
    expect(a.engine.tickers('HK.00700', 1000)).toEqual(b.engine.tickers('HK.00700', 1000));
    expect(a.engine.top('US.AAPL')).toEqual(b.engine.top('US.AAPL'));
  });

  it('produces a different path from a different seed', () => {
    const a = engineAt(WED_10_00_HKT, { seed: 1 });
    const b = engineAt(WED_10_00_HKT, { seed: 2 });
    run(a.engine, a.clock, 30 * MINUTE);
    run(b.engine, b.clock, 30 * MINUTE);
    const prices = (e: MarketEngine): number[] => e.tickers('HK.00700', 1000)!.map((t) => t.price);
    expect(prices(a.engine)).not.toEqual(prices(b.engine));
    expect(a.engine.klines('HK.00700', KL.DAY, 300)).not.toEqual(b.engine.klines('HK.00700', KL.DAY, 300));
  });
});

describe('MarketEngine trades and order books', () => {
  const { engine, clock } = engineAt(WED_10_00_HKT, { universe: fullUniverse, seed: 9 });
  const updates: MarketUpdate[] = [];
  const trades: MarketTrade[] = [];
  engine.onUpdate((u) => updates.push(u));
  const unsubscribe = engine.onTrade((t) => trades.push(t));
  run(engine, clock, 20 * MINUTE);

  it('puts every trade and book price on the tick ladder and every volume in whole lots', () => {
    expect(updates.length).toBeGreaterThan(fullUniverse.securities.length * 1100);
    const violations: string[] = [];
    for (const u of updates) {
      const sec = engine.security(u.key)!;
      const lots = (v: bigint): boolean => v > 0n && v % BigInt(sec.lotSize) === 0n;
      if (!isOnTick(sec.tickRule, u.trade.price)) violations.push(`${u.key} trade price ${u.trade.price}`);
      if (!lots(u.trade.volume)) violations.push(`${u.key} trade volume ${u.trade.volume}`);
      for (const level of [...u.book.bids, ...u.book.asks]) {
        if (!isOnTick(sec.tickRule, level.price)) violations.push(`${u.key} book price ${level.price}`);
        if (!lots(level.volume)) violations.push(`${u.key} book volume ${level.volume}`);
        if (level.orederCount < 1 || level.orederCount > Number(level.volume) / sec.lotSize) violations.push(`${u.key} orders ${level.orederCount}`);
      }
    }
    expect(violations.slice(0, 10)).toEqual([]);
  });

  it('keeps 10 levels a side, bids strictly descending below asks strictly ascending', () => {
    for (const sec of engine.securities().filter((s) => s.tradable)) {
      const book = engine.orderBook(sec.key, 10)!;
      expect(book.bids).toHaveLength(10);
      expect(book.asks).toHaveLength(10);
      for (let i = 1; i < 10; i++) {
        expect(book.bids[i]!.price).toBeLessThan(book.bids[i - 1]!.price);
        expect(book.asks[i]!.price).toBeGreaterThan(book.asks[i - 1]!.price);
      }
      expect(book.bids[0]!.price).toBeLessThan(book.asks[0]!.price);
      // The touch is one tick wide.
      expect(book.asks[0]!.price - book.bids[0]!.price).toBeCloseTo(tickSize(sec.tickRule, book.bids[0]!.price), 6);
      const top = engine.top(sec.key)!;
      expect(top.last).toBeGreaterThanOrEqual(top.bid);
      expect(top.last).toBeLessThanOrEqual(top.ask);
      expect(engine.orderBook(sec.key, 3)!.bids).toHaveLength(3);
    }
  });

  it('gives indexes prices and volumes but no order book, and no paper-trading trades', () => {
    const book = engine.orderBook('HK.800000', 10)!;
    expect(book.bids).toHaveLength(0);
    expect(engine.tickers('HK.800000', 10)!.length).toBe(10);
    expect(trades.some((t) => t.key === 'HK.800000')).toBe(false);
    expect(updates.some((u) => u.key === 'HK.800000')).toBe(true);
  });

  it('emits MarketView trades with the book right after the trade, until unsubscribed', () => {
    expect(trades.length).toBeGreaterThan(0);
    for (const t of trades.slice(-50)) {
      expect(t.top.time).toBe(t.time);
      expect(t.top.last).toBe(t.price);
      expect(t.top.bid).toBeLessThan(t.top.ask);
    }
    unsubscribe();
    const before = trades.length;
    run(engine, clock, MINUTE);
    expect(trades.length).toBe(before);
  });

  it('numbers tickers in sequence and keeps at most 1000', () => {
    const tickers = engine.tickers('HK.00700', 5000)!;
    expect(tickers).toHaveLength(1000);
    for (let i = 1; i < tickers.length; i++) expect(tickers[i]!.sequence).toBe(tickers[i - 1]!.sequence + 1n);
    const last = tickers.at(-1)!;
    expect(last.time).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/);
    expect(last.timestamp! * 1000).toBe(engine.top('HK.00700')!.time);
    expect([Qot_Common.TickerDirection.BID, Qot_Common.TickerDirection.ASK]).toContain(last.dir);
    expect(last.turnover).toBeCloseTo(last.price * Number(last.volume), 2);
  });

  it('carries every KLType, the basic quote and the time-share point in each update', () => {
    const u = updates.at(-1)!;
    expect([...u.klines.keys()].sort((a, b) => a - b)).toEqual([...KL_TYPES].sort((a, b) => a - b));
    const minuteBar = u.klines.get(KL['1MIN'])!;
    expect(minuteBar.closePrice).toBe(u.trade.price);
    expect(u.basic.curPrice).toBe(u.trade.price);
    expect(u.rt?.price).toBe(u.trade.price);
    expect(u.rt?.time).toBe(minuteBar.time);
  });

  it('answers basic quotes, snapshots, static info and plates', () => {
    const q = engine.basicQot('HK.00700')!;
    expect(q.security).toEqual({ market: Qot_Common.QotMarket.HK_SECURITY, code: '00700' });
    expect(q.highPrice).toBeGreaterThanOrEqual(q.lowPrice);
    expect(q.volume).toBeGreaterThan(0n);
    expect(q.priceSpread).toBe(tickSize('HK', q.curPrice));
    const snap = engine.snapshotFields('HK.00700')!;
    expect(snap.basic).toMatchObject({ curPrice: q.curPrice, lotSize: 100, type: Qot_Common.SecurityType.EQTY, volume: q.volume });
    expect(snap.basic.highest52WeeksPrice!).toBeGreaterThanOrEqual(snap.basic.lowest52WeeksPrice!);
    expect(snap.equityExData?.issuedShares).toBe(9_300_000_000n);
    expect(snap.equityExData?.peRate).toBeCloseTo(q.curPrice / 20.5, 2);
    expect(engine.snapshotFields('HK.800000')!.indexExData).toBeDefined();
    expect(engine.snapshotFields('HK.02800')!.trustExData?.netAssetValue).toBe(18.05);
    expect(engine.staticInfo('HK.00005')!.basic).toMatchObject({ lotSize: 400, listTime: '1991-07-10', name: 'HSBC Holdings' });
    expect(engine.staticInfo('HK.00700')!.basic.id).toBe(54047868453564n);
    const hkIndustries = engine.plates({ market: 'HK', setType: Qot_Common.PlateSetType.INDUSTRY }).map((p) => p.key);
    expect(hkIndustries).toContain('HK.BK1001');
    expect(hkIndustries.every((k) => k.startsWith('HK.'))).toBe(true);
    const members = engine.plateSecurities('HK.BK1001')!.map((i) => i.basic.security.code);
    expect(members).toEqual(['00700', '03690', '09988']);
    expect(engine.plateSecurities('HK.BK0000')).toBeUndefined();
    expect(engine.plates({ market: 'SZ' }).some((p) => p.key === 'SH.BK0002')).toBe(true);
    expect(engine.securityPlates('US.AAPL')!.map((p) => p.key)).toEqual(['US.BK2001', 'US.BK2501']);
    expect(engine.basicQot('HK.99999')).toBeUndefined();
  });
});

describe('MarketEngine K-lines', () => {
  const { engine, clock } = engineAt(WED_10_00_HKT, { seed: 5, tickIntervalMs: 2_000 });
  const start = engine.startTime;
  const tradesByKey = new Map<string, Qot_Common.Ticker[]>();
  engine.onUpdate((u) => {
    const list = tradesByKey.get(u.key) ?? [];
    list.push(u.trade);
    tradesByKey.set(u.key, list);
  });
  runInChunks(engine, clock, 3 * HOUR);

  it('builds 1-minute bars exactly from the trades (OHLC and volume)', () => {
    for (const key of ['HK.00700', 'US.AAPL', 'SH.600519']) {
      const trades = tradesByKey.get(key)!;
      const byMinute = new Map<string, Qot_Common.Ticker[]>();
      for (const t of trades) {
        const end = Math.floor((t.timestamp! * 1000) / MINUTE) * MINUTE + MINUTE;
        let label = formatMarketTime(engine.security(key)!.market, end);
        // The bar ending at midnight is labelled with the last second of its own day.
        if (label.endsWith(' 00:00:00')) label = `${formatMarketTime(engine.security(key)!.market, end - 1000)}`;
        byMinute.set(label, [...(byMinute.get(label) ?? []), t]);
      }
      const bars = engine.klines(key, KL['1MIN'], 1000)!.filter((b) => num(b.timestamp) * 1000 > start);
      expect(bars.length).toBe(byMinute.size);
      for (const bar of bars) {
        const ts = byMinute.get(bar.time)!;
        expect(ts, bar.time).toBeDefined();
        expect(bar.openPrice).toBe(ts[0]!.price);
        expect(bar.closePrice).toBe(ts.at(-1)!.price);
        expect(bar.highPrice).toBe(Math.max(...ts.map((t) => t.price)));
        expect(bar.lowPrice).toBe(Math.min(...ts.map((t) => t.price)));
        expect(bar.volume).toBe(ts.reduce((sum, t) => sum + t.volume, 0n));
      }
    }
  });

  it('keeps every KLType consistent: high ≥ open/close ≥ low, volumes summing to the trades, closes chaining', () => {
    const key = 'HK.00700';
    const traded = tradesByKey.get(key)!.reduce((sum, t) => sum + t.volume, 0n);
    const daily = engine.klines(key, KL.DAY, 1000)!;
    for (const type of KL_TYPES) {
      const bars = engine.klines(key, type, 1000)!;
      expect(bars.length, `type ${type}`).toBeGreaterThan(0);
      for (const b of bars) {
        expect(b.highPrice!).toBeGreaterThanOrEqual(Math.max(b.openPrice!, b.closePrice!));
        expect(b.lowPrice!).toBeLessThanOrEqual(Math.min(b.openPrice!, b.closePrice!));
        expect(b.volume!).toBeGreaterThan(0n);
      }
      for (let i = 1; i < bars.length; i++) {
        expect(bars[i]!.lastClosePrice, `type ${type} bar ${bars[i]!.time}`).toBe(bars[i - 1]!.closePrice);
        expect(num(bars[i]!.timestamp)).toBeGreaterThan(num(bars[i - 1]!.timestamp));
      }
      if (type === KL.WEEK || type === KL.MONTH || type === KL.QUARTER || type === KL.YEAR) {
        // The current period began in the history: it holds those days plus today's trades.
        const last = bars.at(-1)!;
        const days = daily.filter((d) => d.time >= last.time);
        expect(last.volume).toBe(days.reduce((sum, d) => sum + d.volume!, 0n));
        expect(last.openPrice).toBe(days[0]!.openPrice);
        expect(last.highPrice).toBe(Math.max(...days.map((d) => d.highPrice!)));
      } else {
        const live = bars.filter((b) => num(b.timestamp) * 1000 > start || (type === KL.DAY && b.time.startsWith('2024-03-06')));
        expect(live.reduce((sum, b) => sum + b.volume!, 0n), `type ${type}`).toBe(traded);
      }
    }
  });

  it('labels intraday bars by their end, aligned to the sessions', () => {
    const hk60 = engine.klines('HK.00700', KL['60MIN'], 12)!.map((b) => b.time.slice(11));
    // History days have the full HK day: 09:30-12:00 and 13:00-16:00.
    expect(hk60).toEqual(expect.arrayContaining(['10:30:00', '11:30:00', '12:00:00', '14:00:00', '15:00:00', '16:00:00']));
    const day = engine.historyKLines('HK.00700', KL['1MIN'], '2024-03-05', '2024-03-05')!.klines;
    expect(day).toHaveLength(330);
    expect(day[0]!.time).toBe('2024-03-05 09:31:00');
    expect(day.at(-1)!.time).toBe('2024-03-05 16:00:00');
    expect(day.some((b) => b.time > '2024-03-05 12:00:00' && b.time <= '2024-03-05 13:00:00')).toBe(false);
    const us = engine.historyKLines('US.AAPL', KL['30MIN'], '2024-03-04', '2024-03-04')!.klines;
    expect(us.map((b) => b.time.slice(11))).toEqual([
      '10:00:00', '10:30:00', '11:00:00', '11:30:00', '12:00:00', '12:30:00', '13:00:00',
      '13:30:00', '14:00:00', '14:30:00', '15:00:00', '15:30:00', '16:00:00',
    ]);
  });

  it('returns today minute points in the time-share', () => {
    const rt = engine.timeShare('HK.00700')!;
    expect(rt.length).toBeGreaterThan(100);
    const first = rt[0]!;
    expect(first.time).toBe('2024-03-06 10:01:00');
    expect(first.minute).toBe(10 * 60 + 1);
    expect(first.lastClosePrice).toBe(engine.security('HK.00700')!.basePrice);
    for (let i = 1; i < rt.length; i++) expect(rt[i]!.minute).toBeGreaterThan(rt[i - 1]!.minute);
  });
});

describe('MarketEngine history', () => {
  const { engine, clock } = engineAt(WED_10_00_HKT, { seed: 11 });

  it('has at least 250 daily bars in a year, weekdays only, ending at the live start price', () => {
    const year = engine.historyKLines('HK.00700', KL.DAY, '2023-03-06', '2024-03-05')!.klines;
    expect(year.length).toBeGreaterThanOrEqual(250);
    for (const b of year) expect([0, 6]).not.toContain(new Date(b.time.slice(0, 10)).getUTCDay());
    const three = engine.historyKLines('HK.00700', KL.DAY, '2021-01-01', '2024-03-05')!.klines;
    expect(three.length).toBeGreaterThanOrEqual(750);
    const basePrice = engine.security('HK.00700')!.basePrice;
    expect(year.at(-1)!.time).toBe('2024-03-05 00:00:00');
    expect(year.at(-1)!.closePrice).toBe(basePrice);
    for (const b of three) expect(isOnTick('HK', b.closePrice!) && isOnTick('HK', b.highPrice!) && isOnTick('HK', b.lowPrice!)).toBe(true);
  });

  it('continues the live prices from the last history close', () => {
    const basePrice = engine.security('HK.00700')!.basePrice;
    run(engine, clock, 5 * MINUTE);
    const q = engine.basicQot('HK.00700')!;
    expect(q.lastClosePrice).toBe(basePrice);
    const daily = engine.klines('HK.00700', KL.DAY, 2)!;
    expect(daily[0]!.closePrice).toBe(basePrice);
    expect(daily[1]!.time).toBe('2024-03-06 00:00:00');
    expect(daily[1]!.lastClosePrice).toBe(basePrice);
    expect(Math.abs(daily[1]!.openPrice! - basePrice)).toBeLessThanOrEqual(5 * tickSize('HK', basePrice));
    const minutes = engine.klines('HK.00700', KL['1MIN'], 400)!;
    const lastHistory = minutes.filter((b) => b.time < '2024-03-06')!.at(-1)!;
    expect(lastHistory.time).toBe('2024-03-05 16:00:00');
    expect(lastHistory.closePrice).toBe(basePrice);
  });

  it('has 60 trading days of 1-minute bars, and coarser minute bars aggregated from them', () => {
    const minutes = engine.historyKLines('US.AAPL', KL['1MIN'], '2023-10-01', '2024-03-05 23:59:59')!.klines;
    const dates = new Set(minutes.map((b) => b.time.slice(0, 10)));
    expect(dates.size).toBeGreaterThanOrEqual(60);
    const day = '2024-02-20';
    const oneMin = minutes.filter((b) => b.time.startsWith(day));
    expect(oneMin).toHaveLength(390);
    const fifteen = engine.historyKLines('US.AAPL', KL['15MIN'], day, day)!.klines;
    expect(fifteen).toHaveLength(26);
    expect(fifteen.reduce((s, b) => s + b.volume!, 0n)).toBe(oneMin.reduce((s, b) => s + b.volume!, 0n));
    const daily = engine.historyKLines('US.AAPL', KL.DAY, day, day)!.klines[0]!;
    expect(daily.volume).toBe(oneMin.reduce((s, b) => s + b.volume!, 0n));
    expect(daily.highPrice).toBe(Math.max(...oneMin.map((b) => b.highPrice!)));
    expect(daily.lowPrice).toBe(Math.min(...oneMin.map((b) => b.lowPrice!)));
    expect(daily.openPrice).toBe(oneMin[0]!.openPrice);
    expect(daily.closePrice).toBe(oneMin.at(-1)!.closePrice);
  });

  it('filters by range, pages with maxCount and aggregates weeks to years from days', () => {
    const range = engine.historyKLines('SH.600519', KL.DAY, '2024-01-02', '2024-01-31', 5)!;
    expect(range.klines.map((b) => b.time.slice(0, 10))).toEqual(['2024-01-02', '2024-01-03', '2024-01-04', '2024-01-05', '2024-01-08']);
    expect(range.nextReqTime).toBe('2024-01-09 00:00:00');
    const all = engine.historyKLines('SH.600519', KL.DAY, '2024-01-02', '2024-01-31')!;
    expect(all.klines).toHaveLength(22);
    expect(all.nextReqTime).toBeUndefined();
    const minutes = engine.historyKLines('SH.600519', KL['5MIN'], '2024-02-01 10:00:00', '2024-02-01 11:00:00')!.klines;
    expect(minutes.map((b) => b.time.slice(11))).toEqual(['10:00:00', '10:05:00', '10:10:00', '10:15:00', '10:20:00', '10:25:00', '10:30:00', '10:35:00', '10:40:00', '10:45:00', '10:50:00', '10:55:00', '11:00:00']);
    const months = engine.historyKLines('SH.600519', KL.MONTH, '2023-01-01', '2023-12-31')!.klines;
    expect(months).toHaveLength(12);
    const january = engine.historyKLines('SH.600519', KL.DAY, '2023-01-01', '2023-01-31')!.klines;
    expect(months[0]!.time).toBe(january[0]!.time);
    expect(months[0]!.volume).toBe(january.reduce((s, b) => s + b.volume!, 0n));
    expect(months[0]!.closePrice).toBe(january.at(-1)!.closePrice);
    expect(engine.historyKLines('SH.600519', KL.YEAR, '2022-01-01', '2023-12-31')!.klines).toHaveLength(2);
    expect(engine.historyKLines('SH.600519', KL.DAY, '2024-01-31', '2024-01-01')!.klines).toHaveLength(0);
    expect(() => engine.historyKLines('SH.600519', KL.DAY, '2024/01/01', '2024-01-31')).toThrow(RangeError);
  });

  it('generates the same history from the same seed and a different one from another seed', () => {
    const again = engineAt(WED_10_00_HKT, { seed: 11 }).engine;
    const other = engineAt(WED_10_00_HKT, { seed: 12 }).engine;
    const span = (e: MarketEngine): Qot_Common.KLine[] => e.historyKLines('US.AAPL', KL.DAY, '2023-01-01', '2023-06-30')!.klines;
    expect(span(again)).toEqual(span(engine));
    expect(span(other)).not.toEqual(span(engine));
  });
});

describe('MarketEngine market state', () => {
  const at = (iso: string): number => Date.parse(iso);

  it('follows each exchange in exchange mode: HK lunch break, US open, CN sessions, weekends', () => {
    const { engine } = engineAt(WED_10_00_HKT, { sessions: 'exchange' });
    expect(engine.marketState('HK', at('2024-03-06T01:15:00Z'))).toBe(S.AUCTION); // 09:15 HKT
    expect(engine.marketState('HK', at('2024-03-06T02:00:00Z'))).toBe(S.MORNING); // 10:00 HKT
    expect(engine.marketState('HK', at('2024-03-06T04:30:00Z'))).toBe(S.REST); // 12:30 HKT lunch
    expect(engine.marketState('HK', at('2024-03-06T06:00:00Z'))).toBe(S.AFTERNOON); // 14:00 HKT
    expect(engine.marketState('HK', at('2024-03-06T09:00:00Z'))).toBe(S.CLOSED); // 17:00 HKT
    expect(engine.marketState('US', at('2024-03-06T14:29:00Z'))).toBe(S.PRE_MARKET_BEGIN); // 09:29 EST
    expect(engine.marketState('US', at('2024-03-06T14:30:00Z'))).toBe(S.AFTERNOON); // 09:30 EST
    expect(engine.marketState('US', at('2024-07-10T13:30:00Z'))).toBe(S.AFTERNOON); // 09:30 EDT
    expect(engine.marketState('US', at('2024-03-06T21:30:00Z'))).toBe(S.AFTER_HOURS_BEGIN); // 16:30 EST
    expect(engine.marketState('SH', at('2024-03-06T03:45:00Z'))).toBe(S.REST); // 11:45 CST
    expect(engine.marketState('SZ', at('2024-03-06T05:30:00Z'))).toBe(S.AFTERNOON); // 13:30 CST
    expect(engine.marketState('HK', at('2024-03-09T02:00:00Z'))).toBe(S.CLOSED); // Saturday
    expect(engine.marketState('US', at('2024-03-10T15:00:00Z'))).toBe(S.CLOSED); // Sunday
  });

  it('reports continuous trading around the clock in always-open mode', () => {
    const { engine } = engineAt(Date.parse('2024-03-09T02:00:00Z'));
    expect(engine.marketState('HK')).toBe(S.AFTERNOON);
    expect(engine.isTradingNow('US')).toBe(true);
  });

  it('trades only inside sessions in exchange mode and knows whether it is trading now', () => {
    const { engine, clock } = engineAt(Date.parse('2024-03-06T03:30:00Z'), { sessions: 'exchange', tickIntervalMs: 30_000 }); // 11:30 HKT
    const times: Array<{ key: string; time: string }> = [];
    engine.onUpdate((u) => times.push({ key: u.key, time: u.trade.time }));
    expect(engine.isTradingNow('HK')).toBe(true);
    run(engine, clock, HOUR); // 12:30 HKT
    expect(engine.isTradingNow('HK')).toBe(false);
    run(engine, clock, 4 * DAY - HOUR); // through Saturday 11:30 HKT
    expect(engine.isTradingNow('HK')).toBe(false);
    const hk = times.filter((t) => t.key === 'HK.00700').map((t) => t.time);
    expect(hk.length).toBeGreaterThan(0);
    for (const time of hk) {
      const hhmm = time.slice(11, 16);
      expect((hhmm >= '09:30' && hhmm < '12:00') || (hhmm >= '13:00' && hhmm < '16:00'), time).toBe(true);
      expect(time.slice(0, 10) <= '2024-03-08').toBe(true);
    }
    const us = times.filter((t) => t.key === 'US.AAPL').map((t) => t.time.slice(11, 16));
    expect(us.every((hhmm) => hhmm >= '09:30' && hhmm < '16:00')).toBe(true);
    const cn = times.filter((t) => t.key === 'SH.600519').map((t) => t.time.slice(11, 16));
    expect(cn.every((hhmm) => (hhmm >= '09:30' && hhmm < '11:30') || (hhmm >= '13:00' && hhmm < '15:00'))).toBe(true);
  });

  it('shows the last trading day before the first live trade, then rolls the day at the first trade', () => {
    // Saturday: the last trading day is Friday 2024-03-08.
    const { engine, clock } = engineAt(Date.parse('2024-03-09T02:00:00Z'), { sessions: 'exchange', tickIntervalMs: 60_000 });
    const friday = engine.klines('HK.00700', KL.DAY, 1)![0]!;
    expect(friday.time).toBe('2024-03-08 00:00:00');
    const q = engine.basicQot('HK.00700')!;
    expect(q.openPrice).toBe(friday.openPrice);
    expect(q.volume).toBe(friday.volume);
    expect(q.lastClosePrice).toBe(friday.lastClosePrice);
    expect(q.updateTime).toBe('2024-03-08 16:00:00');
    run(engine, clock, 2 * DAY); // Monday 10:00 HKT
    const monday = engine.basicQot('HK.00700')!;
    expect(monday.updateTime.startsWith('2024-03-11 ')).toBe(true);
    expect(monday.lastClosePrice).toBe(friday.closePrice);
  });
});

describe('MarketEngine driving', () => {
  it('follows the clock in real time between start() and stop()', () => {
    vi.useFakeTimers({ now: WED_10_00_HKT });
    try {
      const clock = new SimClock({ speed: 60 });
      const engine = new MarketEngine({ universe: universeOf('HK.00700'), clock });
      engine.start(200);
      vi.advanceTimersByTime(1_000); // one virtual minute
      expect(engine.time).toBe(WED_10_00_HKT + 60_000);
      expect(engine.stats().steps).toBe(60);
      engine.stop();
      vi.advanceTimersByTime(1_000);
      expect(engine.stats().steps).toBe(60);
    } finally {
      vi.useRealTimers();
    }
  });

  it('keeps going when a listener throws, reporting the error', () => {
    const errors: unknown[] = [];
    const { engine, clock } = engineAt(WED_10_00_HKT, { onListenerError: (err) => errors.push(err) });
    let delivered = 0;
    engine.onUpdate(() => {
      throw new Error('listener bug');
    });
    engine.onUpdate(() => delivered++);
    const steps = run(engine, clock, 10_000);
    expect(delivered).toBe(steps);
    expect(errors).toHaveLength(steps);
    expect((errors[0] as Error).message).toBe('listener bug');
  });
});

describe('MarketEngine large clock jumps', () => {
  it('compresses a month-long jump into a bounded number of steps', () => {
    const { engine, clock } = engineAt(WED_10_00_HKT, { maxPendingSteps: 2_000 });
    const steps = run(engine, clock, 30 * DAY);
    expect(steps).toBeLessThanOrEqual(3 * 2_000);
    expect(steps).toBeGreaterThanOrEqual(3 * 1_999);
    expect(engine.stats().skippedSteps).toBeGreaterThan(3 * 2_000_000);
    expect(engine.tickers('HK.00700', 5000)!.length).toBeLessThanOrEqual(1000);
    expect(engine.klines('HK.00700', KL['1MIN'], 5000)!.length).toBeLessThanOrEqual(1000);
    const last = engine.tickers('HK.00700', 1)![0]!;
    expect(last.timestamp! * 1000).toBeLessThanOrEqual(clock.now());
    expect(last.timestamp! * 1000).toBeGreaterThan(clock.now() - 1_000);
    expect(isOnTick('HK', last.price)).toBe(true);
  });

  it('bounds jumps in exchange mode too, resuming inside a session', () => {
    const { engine, clock } = engineAt(WED_10_00_HKT, { sessions: 'exchange', maxPendingSteps: 1_000 });
    const steps = run(engine, clock, 400 * DAY);
    expect(steps).toBeLessThanOrEqual(3 * 1_000);
    expect(steps).toBeGreaterThan(0);
    expect(engine.stats().skippedSteps).toBeGreaterThan(0);
    // The jump ends at 10:00 HKT: HK resumes in its morning session. It is 22:00 EDT in New York, so US.AAPL
    // resumes in the overnight session: it trades there (overnight quote fields) without regular tickers.
    const time = engine.tickers('HK.00700', 1)![0]!.time.slice(11, 16);
    expect(time >= '09:30' && time < '12:00').toBe(true);
    expect(engine.basicQot('US.AAPL')!.overnight?.volume).toBeGreaterThan(0n);
    expect(engine.tickers('US.AAPL', 1)).toEqual([]);
  });

  it('ignores time going backwards', () => {
    const { engine, clock } = engineAt(WED_10_00_HKT);
    run(engine, clock, MINUTE);
    expect(engine.advanceTo(clock.now() - 30_000)).toBe(0);
  });
});
