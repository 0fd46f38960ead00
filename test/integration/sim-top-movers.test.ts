// Intraday top movers (Qot_GetTopMoversRank 3413) over real TCP with the typed client: the ranking is the
// simulator's live quotes ordered by today's change, gainers and losers are mirror images, paging and Futu's
// filters (price band, market cap) apply, and bad input is refused before sending and by the simulator.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Simulator } from '../../gateway-container/simulator/index.js';
import { topMovers } from '../../proto/api/rankings.js';
import { ValidationError } from '../../proto/errors.js';
import { PROTO_ID } from '../../proto/registry.js';
import { closeAll, connectClient, expectOpenDError, startTestSimulator, type RecordingClient } from './sim-helpers.js';

describe('top movers from the simulator', () => {
  let sim: Simulator;
  let c: RecordingClient;
  beforeAll(async () => {
    sim = await startTestSimulator();
    sim.advance(60_000); // a minute of trading so prices have moved off the previous close
    c = await connectClient(sim);
  });
  afterAll(async () => {
    await closeAll(c);
    await sim.close();
  });

  const hkStocks = () => sim.market.securities().filter((s) => s.market === 'HK' && s.secTypeName === 'EQTY');

  it('ranks every HK stock by today’s change from its live quote, gainers first', async () => {
    const { allCount, items } = await topMovers(c, { market: 'HK' });
    expect(allCount).toBe(hkStocks().length);
    expect(items).toHaveLength(allCount);
    for (const it of items) {
      const q = sim.market.basicQot(it.code)!;
      expect(it.price).toBe(q.curPrice);
      expect(it.changePct).toBeCloseTo(((q.curPrice - q.lastClosePrice) / q.lastClosePrice) * 100, 3);
      expect(it.volume).toBe(q.volume);
    }
    const changes = items.map((i) => i.changePct!);
    expect(changes).toEqual([...changes].sort((a, b) => b - a));
  });

  it('lists losers in the mirror order and pages with offset and count', async () => {
    const gainers = (await topMovers(c, { market: 'HK', direction: 'GAINERS' })).items.map((i) => i.code);
    const losers = await topMovers(c, { market: 'HK', direction: 'LOSERS', offset: 1, count: 2 });
    const all = (await topMovers(c, { market: 'HK', direction: 'LOSERS' })).items;
    expect(losers.items.map((i) => i.code)).toEqual(all.slice(1, 3).map((i) => i.code));
    expect(all.map((i) => i.changePct)).toEqual(gainers.map((code) => all.find((i) => i.code === code)!.changePct).reverse());
  });

  it('applies the price band and market cap filters together', async () => {
    const over100 = await topMovers(c, { market: 'HK', priceBand: 'GREATER_THAN100' });
    const expected = hkStocks().filter((s) => sim.market.basicQot(s.key)!.curPrice > 100);
    expect(over100.items.map((i) => i.code).sort()).toEqual(expected.map((s) => s.key).sort());
    const caps = over100.items.map((i) => i.marketCap!).sort((a, b) => a - b);
    const mid = caps[Math.floor(caps.length / 2)]!;
    const big = await topMovers(c, { market: 'HK', priceBand: 'GREATER_THAN100', marketCap: { min: mid } });
    expect(big.items.length).toBeGreaterThan(0);
    expect(big.items.length).toBeLessThanOrEqual(over100.items.length);
    for (const i of big.items) expect(i.marketCap!).toBeGreaterThanOrEqual(mid);
  });

  it('refuses a bad request in the client before sending and in the simulator', async () => {
    await expect(topMovers(c, { market: 'HK', count: 500 })).rejects.toThrow(ValidationError);
    await expect(topMovers(c, { market: 'HK', count: 500 })).rejects.toThrow(/count: expected a whole number 1\.\.200, got 500/);
    await expect(topMovers(c, { market: 'SH' as never })).rejects.toThrow(/market: expected "HK" or "US"/);
    await expect(topMovers(c, { market: 'US', marketCap: { min: 10, max: 1 } })).rejects.toThrow(/marketCap: min 10 is above max 1/);
    await expectOpenDError(c.request(PROTO_ID.Qot_GetTopMoversRank, { market: 21 }), /market 21 has no top movers ranking; allowed QotMarket values: HK_SECURITY \(1\), US_SECURITY \(11\)/);
    await expectOpenDError(c.request(PROTO_ID.Qot_GetTopMoversRank, { market: 1, filterList: [{ indicatorType: 1, priceFilter: 5 }] }), /priceFilter 5 is not simulated/);
  });
});
