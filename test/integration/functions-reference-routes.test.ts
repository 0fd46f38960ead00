// The reference-data HTTP routes through the functions harness: API Gateway v2 events from real HTTP requests,
// the quotes function as it runs in Lambda, DynamoDB Local for the rate limiter, and the real simulator over TCP.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFunctionsHarness, type FunctionsHarness } from '../support/functions-harness.js';

let h: FunctionsHarness;
beforeAll(async () => {
  h = await startFunctionsHarness();
}, 120_000);
afterAll(async () => {
  await h?.stop();
});

describe('reference data over HTTP', () => {
  it('GET /v1/trading-days lists a market’s trading days with half days, or a security’s', async () => {
    const r = await h.http('GET', '/v1/trading-days?market=HK&from=2026-12-21&to=2026-12-31');
    expect(r.status).toBe(200);
    expect(r.body.days).toEqual([
      { date: '2026-12-21', type: 'WHOLE' },
      { date: '2026-12-22', type: 'WHOLE' },
      { date: '2026-12-23', type: 'WHOLE' },
      { date: '2026-12-24', type: 'MORNING' },
      { date: '2026-12-28', type: 'WHOLE' },
      { date: '2026-12-29', type: 'WHOLE' },
      { date: '2026-12-30', type: 'WHOLE' },
      { date: '2026-12-31', type: 'MORNING' },
    ]);
    const us = await h.http('GET', '/v1/trading-days?code=US.AAPL&from=2026-07-01&to=2026-07-07');
    expect(us.body.days.map((d: { date: string }) => d.date)).toEqual(['2026-07-01', '2026-07-02', '2026-07-06', '2026-07-07']);
  });

  it('answers 400 naming the parameter for bad input, before OpenD sees anything', async () => {
    const cases: [string, string][] = [
      ['/v1/trading-days?market=XX&from=2026-01-01&to=2026-01-31', 'market'],
      ['/v1/trading-days?market=HK&code=HK.00700', 'market'],
      ['/v1/trading-days?market=HK&from=2026-02-30', 'from'],
      ['/v1/screener?market=HK&filters=CUR_PRICE:ten:20', 'filters'],
      ['/v1/screener?market=HK&num=500', 'num'],
      ['/v1/plates?market=JP', 'market'],
      ['/v1/plates/BK1001/members', 'code'],
      ['/v1/suspensions?codes=', 'codes'],
      ['/v1/quotes/HK.7/capital-flow', 'code'],
      ['/v1/warrants?types=CALL', 'types'],
    ];
    for (const [url, field] of cases) {
      const r = await h.http('GET', url);
      expect(r.status, url).toBe(400);
      expect(r.body.error.code, url).toBe('INVALID_INPUT');
      expect(r.body.error.details.field, url).toBe(field);
    }
  });

  it('GET /v1/plates and /v1/plates/{code}/members name plates and their stocks', async () => {
    const plates = await h.http('GET', '/v1/plates?market=HK&set=INDUSTRY');
    expect(plates.status).toBe(200);
    expect(plates.body.plates.map((p: { code: string }) => p.code)).toEqual(['HK.BK1001', 'HK.BK1002', 'HK.BK1003']);
    const members = await h.http('GET', '/v1/plates/HK.BK1001/members');
    expect(members.body.members.map((m: { code: string }) => m.code).sort()).toEqual(['HK.00700', 'HK.03690', 'HK.09988']);
  });

  it('GET /v1/screener filters and sorts the market’s stocks', async () => {
    const r = await h.http('GET', '/v1/screener?market=US&filters=CUR_PRICE:100::DESCEND,MARKET_VAL::');
    expect(r.status).toBe(200);
    const prices = r.body.rows.map((x: { values: { CUR_PRICE: number } }) => x.values.CUR_PRICE);
    expect(prices.length).toBeGreaterThan(0);
    expect(prices.every((p: number) => p >= 100)).toBe(true);
    expect(prices).toEqual([...prices].sort((a, b) => b - a));
    expect(r.body.rows.every((x: { values: { MARKET_VAL?: number } }) => typeof x.values.MARKET_VAL === 'number')).toBe(true);
  });

  it('GET capital flow and distribution, warrants, watchlists, suspensions and IPOs', async () => {
    const flow = await h.http('GET', '/v1/quotes/HK.00700/capital-flow?period=DAY&from=2025-01-01&to=2025-01-31');
    expect(flow.status).toBe(200);
    expect(flow.body).toMatchObject({ code: 'HK.00700', period: 'DAY' });
    const dist = await h.http('GET', '/v1/quotes/HK.00700/capital-distribution');
    expect(dist.status).toBe(200);
    expect(Object.keys(dist.body.in).sort()).toEqual(['big', 'mid', 'small', 'super']);
    const warrants = await h.http('GET', '/v1/warrants?owner=HK.00700&types=BULL,BEAR&sort=STRIKE_PRICE&order=ASC');
    expect(warrants.status).toBe(200);
    const strikes = warrants.body.rows.map((w: { strike: number }) => w.strike);
    expect(strikes).toEqual([...strikes].sort((a, b) => a - b));
    expect(new Set(warrants.body.rows.map((w: { type: string }) => w.type))).toEqual(new Set(['BULL', 'BEAR']));
    const groups = await h.http('GET', '/v1/watchlists?type=SYSTEM');
    expect(groups.body.groups.map((g: { name: string }) => g.name)).toContain('HK');
    const hk = await h.http('GET', '/v1/watchlists/HK');
    expect(hk.body.securities.map((s: { code: string }) => s.code)).toEqual(['HK.00700', 'HK.09988']);
    const missing = await h.http('GET', '/v1/watchlists/Nope');
    expect(missing.status).toBe(422);
    const susp = await h.http('GET', '/v1/suspensions?codes=HK.03690&from=2026-01-01&to=2026-12-31');
    expect(susp.body.suspensions).toEqual([{ code: 'HK.03690', dates: ['2026-03-16', '2026-03-17'] }]);
    const ipos = await h.http('GET', '/v1/ipos?market=US');
    expect(ipos.body.ipos.map((i: { code: string }) => i.code)).toEqual(['US.QBIT']);
    expect(ipos.body.ipos[0].us.issueSize).toBe('25000000');
  });

  it('GET /v1/quotes/{code}/corporate-actions lists splits and dividends with Futu’s adjustment factors', async () => {
    const tsla = await h.http('GET', '/v1/quotes/US.TSLA/corporate-actions');
    expect(tsla.status).toBe(200);
    expect(tsla.body).toMatchObject({ code: 'US.TSLA', actions: [{ exDate: '2022-08-25', actions: ['SPLIT'], split: { base: 1, ert: 3 }, backward: { a: 3, b: 0 } }] });
    // The harness clock is 2025-01-15: AAPL's later dividends have not happened yet.
    const aapl = await h.http('GET', '/v1/quotes/US.AAPL/corporate-actions');
    expect(aapl.body.actions.map((a: { exDate: string; dividend: number }) => `${a.exDate}/${a.dividend}`)).toEqual(['2024-08-12/0.25', '2024-11-08/0.25']);
    const bad = await h.http('GET', '/v1/quotes/AAPL/corporate-actions');
    expect(bad.status).toBe(400);
    expect(bad.body.error.details.field).toBe('code');
  });

  it('GET /v1/rankings/top-movers ranks a market’s gainers or losers, with paging', async () => {
    const up = await h.http('GET', '/v1/rankings/top-movers?market=HK&count=3');
    expect(up.status).toBe(200);
    expect(up.body).toMatchObject({ market: 'HK', direction: 'GAINERS', offset: 0 });
    expect(up.body.items.length).toBeGreaterThan(0);
    expect(up.body.items.length).toBeLessThanOrEqual(3);
    const pct = up.body.items.map((i: { changePct: number }) => i.changePct);
    expect(pct).toEqual([...pct].sort((a, b) => b - a));
    expect(up.body.items.every((i: { code: string }) => i.code.startsWith('HK.'))).toBe(true);
    const down = await h.http('GET', '/v1/rankings/top-movers?market=HK&direction=LOSERS&count=3');
    const downPct = down.body.items.map((i: { changePct: number }) => i.changePct);
    expect(downPct).toEqual([...downPct].sort((a, b) => a - b));
    for (const [url, field] of [
      ['/v1/rankings/top-movers?market=SH', 'market'],
      ['/v1/rankings/top-movers?market=US&direction=UP', 'direction'],
      ['/v1/rankings/top-movers?market=US&count=500', 'count'],
    ]) {
      const r = await h.http('GET', url!);
      expect(r.status, url).toBe(400);
      expect(r.body.error.details.field, url).toBe(field);
    }
  });

  it('GET /v1/delay-statistics reports OpenD’s measured request delays and refuses segments Futu does not allow', async () => {
    // Earlier requests of this file went through the simulator, which measures them.
    const r = await h.http('GET', '/v1/delay-statistics?kinds=REQ_REPLY');
    expect(r.status).toBe(200);
    expect(r.body.requests.length).toBeGreaterThan(0);
    expect(r.body.requests.every((x: { count: number; protocol: string }) => x.count > 0 && x.protocol.length > 0)).toBe(true);
    expect(r.body.qotPush).toEqual([]);
    const seg = await h.http('GET', '/v1/delay-statistics?kinds=QOT_PUSH&segments=0,7000,-1');
    expect(seg.status).toBe(400);
    expect(seg.body.error.details.field).toMatch(/^segment/);
    const kind = await h.http('GET', '/v1/delay-statistics?kinds=FAST');
    expect(kind.status).toBe(400);
    expect(kind.body.error.details.field).toBe('kinds[0]');
  });
});
