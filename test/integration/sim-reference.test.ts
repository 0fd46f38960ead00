// The simulator's reference-data protocols over real TCP with the real OpenDClient and the typed ReferenceApi:
// trading days from the exchange calendars (holidays and half days), suspensions, code changes, IPOs, capital
// flow and distribution from the simulator's own trades, plates, the broker queue and watchlists.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Simulator } from '../../gateway-container/simulator/index.js';
import { QuoteApi } from '../../proto/api/quotes.js';
import { ReferenceApi } from '../../proto/api/reference.js';
import { ValidationError } from '../../proto/errors.js';
import * as Qot_Common from '../../proto/generated/Qot_Common.js';
import { PROTO_ID } from '../../proto/registry.js';
import { loadUniverse } from '../../gateway-container/simulator/market/universe.js';
import { closeAll, connectClient, expectOpenDError, startTestSimulator, type RecordingClient } from './sim-helpers.js';

const open: RecordingClient[] = [];
async function api(sim: Simulator): Promise<{ c: RecordingClient; r: ReferenceApi; q: QuoteApi }> {
  const c = await connectClient(sim);
  open.push(c);
  return { c, r: new ReferenceApi(c), q: new QuoteApi(c) };
}
afterEach(async () => {
  await closeAll(...open.splice(0));
});

describe('reference data over TCP', () => {
  let sim: Simulator;
  beforeAll(async () => {
    sim = await startTestSimulator();
  });
  afterAll(async () => {
    await sim.close();
  });

  it('lists HK trading days without the Lunar New Year holidays and marks the eve a morning-only half day', async () => {
    const { r } = await api(sim);
    const days = await r.tradingDays({ market: 'HK' }, '2026-02-13', '2026-02-24');
    expect(days).toEqual([
      { date: '2026-02-13', type: 'WHOLE' },
      { date: '2026-02-16', type: 'MORNING' },
      { date: '2026-02-20', type: 'WHOLE' },
      { date: '2026-02-23', type: 'WHOLE' },
      { date: '2026-02-24', type: 'WHOLE' },
    ]);
  });

  it('follows each market: US Thanksgiving, the A-share Golden Week, and Stock Connect only when both sides trade', async () => {
    const { r } = await api(sim);
    expect((await r.tradingDays({ market: 'US' }, '2026-11-25', '2026-11-30')).map((d) => d.date)).toEqual(['2026-11-25', '2026-11-27', '2026-11-30']);
    expect((await r.tradingDays({ code: 'SH.600519' }, '2026-09-30', '2026-10-09')).map((d) => d.date)).toEqual(['2026-09-30', '2026-10-08', '2026-10-09']);
    // 2026-10-19 is an HK holiday (the day after Chung Yeung), 2026-10-07 an A-share one.
    const nt = (await r.tradingDays({ market: 'NT' }, '2026-10-05', '2026-10-20')).map((d) => d.date);
    expect(nt).toEqual(['2026-10-08', '2026-10-09', '2026-10-12', '2026-10-13', '2026-10-14', '2026-10-15', '2026-10-16', '2026-10-20']);
  });

  it('refuses malformed dates before sending and unknown markets with the allowed values', async () => {
    const { c, r } = await api(sim);
    await expect(r.tradingDays({ market: 'HK' }, '2026-13-01', '2026-12-31')).rejects.toThrow(ValidationError);
    await expect(r.tradingDays({ market: 'HK' }, '2026-12-31', '2026-01-01')).rejects.toThrow(/before from/);
    await expectOpenDError(c.request(PROTO_ID.Qot_RequestTradeDate, { market: 99, beginTime: '2026-01-01', endTime: '2026-01-31' }), /allowed TradeDateMarket values: HK \(1\)/);
    await expectOpenDError(c.request(PROTO_ID.Qot_RequestTradeDate, { market: 1, beginTime: '2026/01/01', endTime: '2026-01-31' }), /beginTime must be a date "yyyy-MM-dd"/);
  });

  it('reports suspension days inside the range and refuses securities outside the universe', async () => {
    const { r } = await api(sim);
    expect(await r.suspensions(['HK.03690', 'HK.00700'], '2026-03-01', '2026-03-16')).toEqual([
      { code: 'HK.03690', dates: ['2026-03-16'] },
      { code: 'HK.00700', dates: [] },
    ]);
    await expectOpenDError(r.suspensions('HK.01234', '2026-01-01', '2026-12-31'), /Unknown stock HK.01234/);
  });

  it('filters code changes by security, type and effective date, as every given filter must match', async () => {
    const { r } = await api(sim);
    const all = await r.codeChanges();
    expect(all.map((c) => c.code).sort()).toEqual(['HK.00939', 'HK.02800', 'HK.03690']);
    expect(await r.codeChanges({ types: ['SPLIT'] })).toEqual([
      { type: 'SPLIT', code: 'HK.02800', relatedCode: 'HK.02850', publicDate: '2026-11-20', effectiveDate: '2026-12-14', endDate: '2027-01-04' },
    ]);
    expect((await r.codeChanges({ dates: { of: 'EFFECTIVE', from: '2026-01-01', to: '2026-11-30' } })).map((c) => c.code)).toEqual(['HK.00939']);
    expect((await r.codeChanges({ codes: ['HK.08690'] })).map((c) => c.type)).toEqual(['GEM_TO_MAIN']);
    expect(await r.codeChanges({ codes: ['HK.00939'], types: ['SPLIT'] })).toEqual([]);
  });

  it('lists upcoming IPOs of one market with that market figures', async () => {
    const { r } = await api(sim);
    const hk = await r.ipos('HK');
    expect(hk.map((i) => i.code)).toEqual(['HK.02658', 'HK.06810']);
    expect(hk[0]!.hk).toMatchObject({ lotSize: 200, ipoPriceMin: 18.2, ipoPriceMax: 21.6 });
    const us = await r.ipos('US');
    expect(us).toHaveLength(1);
    expect(us[0]!.us?.issueSize).toBe(25_000_000n);
    expect((await r.ipos('SH'))[0]!.cn).toMatchObject({ applyCode: '732399', issueSize: 40_000_000n });
    expect(await r.ipos('SZ')).toEqual([]);
  });

  it('names plates, their members, a security’s plates and the HK broker queue', async () => {
    const { r, q } = await api(sim);
    const plates = await r.plates('HK', 'CONCEPT');
    expect(plates.map((p) => p.code)).toEqual(['HK.BK1910', 'HK.BK1911']);
    expect((await r.plateMembers('HK.BK1002')).map((m) => m.code).sort()).toEqual(['HK.00005', 'HK.00939']);
    const [owner] = await r.ownerPlates('HK.00700');
    expect(owner!.plates.map((p) => p.code).sort()).toEqual(['HK.BK1001', 'HK.BK1910', 'HK.BK1911']);
    await q.subscribe('HK.00700', ['BROKER'], { push: false });
    const queue = await r.brokerQueue('HK.00700');
    expect(queue.bids.length).toBeGreaterThan(0);
    expect(queue.asks.length).toBeGreaterThan(0);
    await expect(r.brokerQueue('US.AAPL')).rejects.toThrow(/only for HK securities/);
  });

  it('keeps custom watchlists: ADD creates the group, MOVE_OUT leaves it, DEL removes everywhere; system groups are read-only', async () => {
    const { r } = await api(sim);
    expect((await r.watchlistGroups('SYSTEM')).map((g) => g.name)).toEqual(['All', 'HK', 'US', 'CN']);
    expect((await r.watchlist('HK')).map((s) => s.code)).toEqual(['HK.00700', 'HK.09988']);
    await r.modifyWatchlist('Tech', 'ADD', ['HK.00700', 'US.AAPL', 'US.MSFT']);
    await r.modifyWatchlist('Banks', 'ADD', ['HK.00005', 'US.AAPL']);
    expect(await r.watchlistGroups('CUSTOM')).toEqual([
      { name: 'Tech', type: 'CUSTOM' },
      { name: 'Banks', type: 'CUSTOM' },
    ]);
    await r.modifyWatchlist('Tech', 'MOVE_OUT', ['US.MSFT']);
    expect((await r.watchlist('Tech')).map((s) => s.code)).toEqual(['HK.00700', 'US.AAPL']);
    await r.modifyWatchlist('Tech', 'DEL', ['US.AAPL']);
    expect((await r.watchlist('Tech')).map((s) => s.code)).toEqual(['HK.00700']);
    expect((await r.watchlist('Banks')).map((s) => s.code)).toEqual(['HK.00005']);
    await expectOpenDError(r.modifyWatchlist('HK', 'ADD', ['HK.00005']), /system group and cannot be modified/);
    await expectOpenDError(r.watchlist('Nope'), /unknown watchlist group "Nope"/);
    await expectOpenDError(r.modifyWatchlist('Tech', 'ADD', ['HK.01234']), /Unknown stock HK.01234/);
    expect((await r.watchlist('Tech')).map((s) => s.code)).toEqual(['HK.00700']);
  });

  it('computes capital flow and distribution from the simulator’s own trades, consistently', async () => {
    const { r } = await api(sim);
    for (let i = 0; i < 10; i++) sim.advance(60_000); // ten minutes of HK continuous trading
    const dist = await r.capitalDistribution('HK.00700');
    const total = (a: Record<string, number>) => Object.values(a).reduce((x, y) => x + y, 0);
    expect(total(dist.in)).toBeGreaterThan(0);
    expect(total(dist.out)).toBeGreaterThan(0);
    expect(dist.updateTime).toMatch(/^2025-01-15 10:/);
    const flow = await r.capitalFlow('HK.00700');
    expect(flow.points.length).toBeGreaterThan(1);
    const last = flow.points.at(-1)!;
    expect(flow.lastValidTime).toBe(last.time);
    // The intraday series is cumulative: its last point is the day's net inflow, i.e. in minus out.
    expect(last.inFlow).toBeCloseTo(total(dist.in) - total(dist.out), 0);
    expect(last.mainInFlow).toBeCloseTo((dist.in.super + dist.in.big) - (dist.out.super + dist.out.big), 0);
    const daily = await r.capitalFlow('HK.00700', { period: 'DAY', from: '2025-01-01', to: '2025-01-31' });
    expect(daily.points).toHaveLength(1);
    expect(daily.points[0]!.time).toBe('2025-01-15');
    expect(daily.points[0]!.inFlow).toBeCloseTo(last.inFlow, 0);
    await expect(r.capitalFlow('HK.00700', { period: 'YEAR' as never })).rejects.toThrow(ValidationError);
  });

  it('answers the raw protocols with the wire field names the official SDKs read', async () => {
    const { c } = await api(sim);
    const s = await c.request(PROTO_ID.Qot_GetSuspend, { securityList: [{ market: Qot_Common.QotMarket.CNSZ_SECURITY, code: '000001' }], beginTime: '2026-01-01', endTime: '2026-12-31' });
    expect(s.SecuritySuspendList?.[0]?.suspendList?.map((d) => d.time)).toEqual(['2026-06-08']);
    const g = await c.request(PROTO_ID.Qot_GetUserSecurityGroup, { groupType: 3 });
    expect(g.groupList?.some((x) => x.groupName === 'All' && x.groupType === 2)).toBe(true);
  });

  describe('stock filter (3215)', () => {
    const universe = loadUniverse();
    const hkStocks = universe.securities.filter((s) => s.market === 'HK' && s.secTypeName === 'EQTY');

    it('screens only the market’s stocks on closed ranges, truncating shares to whole numbers', async () => {
      const { r } = await api(sim);
      const all = await r.screen('HK', { filters: [{ field: 'TOTAL_SHARE' }] });
      expect(all.rows.map((x) => x.code).sort()).toEqual(hkStocks.map((s) => s.key).sort());
      expect(all.rows.every((x) => x.values.TOTAL_SHARE === universe.securities.find((s) => s.key === x.code)!.equity!.issuedShares)).toBe(true);
      const big = await r.screen('HK', { filters: [{ field: 'TOTAL_SHARE', min: 10_000_000_000 }] });
      expect(big.rows.map((x) => x.code).sort()).toEqual(hkStocks.filter((s) => s.equity!.issuedShares >= 10_000_000_000).map((s) => s.key).sort());
      // Both bounds are inclusive: a range of exactly one row's value keeps that row.
      const one = all.rows[0]!;
      const exact = await r.screen('HK', { filters: [{ field: 'TOTAL_SHARE', min: one.values.TOTAL_SHARE, max: one.values.TOTAL_SHARE }] });
      expect(exact.rows.map((x) => x.code)).toContain(one.code);
    });

    it('sorts by the filter with a direction and pages with allCount and lastPage', async () => {
      const { r } = await api(sim);
      const full = await r.screen('HK', { filters: [{ field: 'CUR_PRICE', sort: 'DESCEND' }] });
      const prices = full.rows.map((x) => x.values.CUR_PRICE!);
      expect(prices).toEqual([...prices].sort((a, b) => b - a));
      const pages = [];
      for (let begin = 0; ; begin += 2) {
        const p = await r.screen('HK', { filters: [{ field: 'CUR_PRICE', sort: 'DESCEND' }], begin, num: 2 });
        expect(p.total).toBe(full.total);
        pages.push(...p.rows.map((x) => x.code));
        if (p.lastPage) break;
        expect(begin).toBeLessThan(full.total);
      }
      expect(pages).toEqual(full.rows.map((x) => x.code));
    });

    it('narrows to a plate, treats SH and SZ as one A-share market, and refuses what it does not simulate', async () => {
      const { c, r } = await api(sim);
      expect((await r.screen('HK', { plate: 'HK.BK1002' })).rows.map((x) => x.code)).toEqual(['HK.00005', 'HK.00939']);
      expect((await r.screen('SZ')).rows.map((x) => x.code)).toEqual(['SH.600519', 'SH.601398', 'SZ.000001']);
      await expectOpenDError(r.screen('HK', { filters: [{ field: 'VOLUME_RATIO', min: 1 }] }), /not simulated; supported: CUR_PRICE/);
      await expectOpenDError(c.request(PROTO_ID.Qot_StockFilter, { begin: 0, num: 201, market: 1 }), /num must be 1..200/);
      await expect(r.screen('HK', { num: 0 })).rejects.toThrow(ValidationError);
    });
  });

  it('reports major holders’ quarterly filings consistent with the issued shares, filtered by filing date', async () => {
    const { c, r } = await api(sim);
    const all = await r.holdingChanges('HK.00700', 'INSTITUTION');
    expect(all.length).toBeGreaterThan(0);
    const issued = loadUniverse().securities.find((s) => s.key === 'HK.00700')!.equity!.issuedShares;
    for (const h of all) {
      expect(h.ratio).toBeCloseTo((h.quantity / issued) * 100, 3);
      expect(h.time <= '2025-01-15 00:00:00').toBe(true); // nothing filed after the simulator's today
    }
    const times = all.map((h) => h.time);
    expect(times).toEqual([...times].sort().reverse());
    const q3 = await r.holdingChanges('HK.00700', 'INSTITUTION', { from: '2024-11-01', to: '2024-11-30' });
    expect(q3.length).toBeGreaterThan(0);
    expect(q3.every((h) => h.time.startsWith('2024-11'))).toBe(true);
    expect(q3).toEqual(all.filter((h) => h.time.startsWith('2024-11')));
    await expectOpenDError(c.request(PROTO_ID.Qot_GetHoldingChangeList, { security: { market: 1, code: '00700' }, holderCategory: 9 }), /holderCategory 9 is not one of/);
    await expectOpenDError(c.request(PROTO_ID.Qot_GetHoldingChangeList, { security: { market: 1, code: '02800' }, holderCategory: 1 }), /not a stock/);
  });

  describe('warrants and CBBCs (3210) and related warrants (3206)', () => {
    it('lists each HK stock’s calls, puts, bulls and bears with consistent terms and prices', async () => {
      const { r } = await api(sim);
      const all = await r.warrants({ owner: 'HK.00700' });
      expect(all.total).toBe(8);
      expect(all.lastPage).toBe(true);
      expect(new Set(all.rows.map((w) => w.type))).toEqual(new Set(['BUY', 'SELL', 'BULL', 'BEAR']));
      for (const w of all.rows) {
        expect(w.owner).toBe('HK.00700');
        expect(w.price).toBeGreaterThan(0);
        expect(w.conversionRatio).toBe(100);
        if (w.type === 'BULL') expect(w.recoveryPrice!).toBeGreaterThan(w.strike);
        if (w.type === 'BEAR') expect(w.recoveryPrice!).toBeLessThan(w.strike);
        if (w.type === 'BUY') expect(w.delta!).toBeGreaterThan(0);
        if (w.type === 'SELL') expect(w.delta!).toBeLessThan(0);
        if (w.type === 'BULL' || w.type === 'BEAR') expect(w.delta).toBeUndefined();
      }
      const related = await r.relatedWarrants('HK.00700');
      expect(related.map((x) => x.code).sort()).toEqual(all.rows.map((w) => w.code).sort());
      expect(await r.relatedWarrants('US.AAPL')).toEqual([]);
    });

    it('applies every filter as Futu does: types, issuers, closed strike ranges, and pages in sort order', async () => {
      const { r } = await api(sim);
      const bulls = await r.warrants({ types: ['BULL'] });
      expect(bulls.rows.length).toBeGreaterThan(0);
      expect(bulls.rows.every((w) => w.type === 'BULL')).toBe(true);
      const one = bulls.rows[0]!;
      const exact = await r.warrants({ types: ['BULL'], strikeMin: one.strike, strikeMax: one.strike });
      expect(exact.rows.map((w) => w.code)).toContain(one.code);
      expect(exact.rows.every((w) => w.strike === one.strike)).toBe(true);
      const byIssuer = await r.warrants({ issuers: [one.issuer] });
      expect(byIssuer.rows.every((w) => w.issuer === one.issuer)).toBe(true);
      const sorted = await r.warrants({ sort: 'LEVERAGE', ascend: false });
      const lev = sorted.rows.map((w) => w.leverage);
      expect(lev).toEqual([...lev].sort((a, b) => b - a));
      const paged: string[] = [];
      for (let begin = 0; ; begin += 7) {
        const p = await r.warrants({ sort: 'LEVERAGE', ascend: false, begin, num: 7 });
        paged.push(...p.rows.map((w) => w.code));
        if (p.lastPage) break;
      }
      expect(paged).toEqual(sorted.rows.map((w) => w.code));
    });

    it('refuses non-HK owners, unsimulated sort fields and bad paging', async () => {
      const { c, r } = await api(sim);
      await expect(r.warrants({ owner: 'US.AAPL' })).rejects.toThrow(/only on HK stocks/);
      await expectOpenDError(c.request(PROTO_ID.Qot_GetWarrant, { begin: 0, num: 10, sortField: 1, ascend: true, owner: { market: 1, code: '02800' } }), /only on HK stocks, not HK.02800/);
      await expectOpenDError(c.request(PROTO_ID.Qot_GetWarrant, { begin: 0, num: 10, sortField: 35, ascend: true }), /sortField 35 is not simulated/);
      await expectOpenDError(c.request(PROTO_ID.Qot_GetWarrant, { begin: 0, num: 0, sortField: 1, ascend: true }), /num must be 1..200/);
    });
  });
});

describe('watchlists with a state file', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'sim-watchlists-'));
  });
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('keeps custom groups across a restart', async () => {
    const stateFile = join(dir, 'state.json');
    const first = await startTestSimulator({ stateFile });
    try {
      const { r } = await api(first);
      await r.modifyWatchlist('Keep', 'ADD', ['HK.00700', 'US.TSLA']);
      await r.modifyWatchlist('Keep', 'MOVE_OUT', ['US.TSLA']);
      await closeAll(...open.splice(0));
    } finally {
      await first.close();
    }
    const second = await startTestSimulator({ stateFile });
    try {
      const { r } = await api(second);
      expect(await r.watchlistGroups('CUSTOM')).toEqual([{ name: 'Keep', type: 'CUSTOM' }]);
      expect((await r.watchlist('Keep')).map((x) => x.code)).toEqual(['HK.00700']);
      await closeAll(...open.splice(0));
    } finally {
      await second.close();
    }
  });

  it('refuses to start on a corrupted watchlist file instead of starting empty', async () => {
    const stateFile = join(dir, 'broken.json');
    writeFileSync(`${stateFile}.watchlists.json`, '{"format":"opend-simulator-watchlists","groups":[{"na');
    await expect(startTestSimulator({ stateFile })).rejects.toThrow(/watchlist file .*broken\.json\.watchlists\.json is not valid JSON/);
  });
});
