// Corporate actions over real TCP: Qot_RequestRehab answers the splits and dividends declared in the reference
// file, and the unadjusted / forward / backward K-lines of Qot_RequestHistoryKL and Qot_GetKL agree with those
// factors exactly as Futu documents them (forward = price × fwdFactorA + fwdFactorB, applied for every action
// after the bar; backward = price × bwdFactorA + bwdFactorB, for every action up to it).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Simulator } from '../../gateway-container/simulator/index.js';
import { QuoteApi, type Bar } from '../../proto/api/quotes.js';
import { ReferenceApi, type CorporateActionRow } from '../../proto/api/reference.js';
import { closeAll, connectClient, expectOpenDError, startTestSimulator, type RecordingClient } from './sim-helpers.js';
import { PROTO_ID } from '../../proto/registry.js';

let sim: Simulator;
let c: RecordingClient;
let q: QuoteApi;
let r: ReferenceApi;

beforeAll(async () => {
  // The test clock starts on 2025-01-15: AAPL's 2025-02-10 dividend has not happened yet.
  sim = await startTestSimulator();
  c = await connectClient(sim);
  q = new QuoteApi(c);
  r = new ReferenceApi(c);
});
afterAll(async () => {
  await closeAll(c);
  await sim.close();
});

const day = (b: Bar) => b.time.slice(0, 10);
const forwardOf = (rows: CorporateActionRow[], price: number, barDay: string) =>
  rows.filter((x) => x.exDate > barDay).reduce((p, x) => p * x.forward.a + x.forward.b, price);
const backwardOf = (rows: CorporateActionRow[], price: number, barDay: string) =>
  [...rows].reverse().filter((x) => x.exDate <= barDay).reduce((p, x) => p * x.backward.a + x.backward.b, price);

/** Daily bars of one range in the three RehabTypes, aligned by day. */
async function threeWays(code: string, from: string, to: string) {
  const [none, fwd, bwd] = await Promise.all(
    (['NONE', 'FORWARD', 'BACKWARD'] as const).map((rehab) => q.historyKlines(code, { type: 'DAY', from, to, rehab })),
  );
  expect(none!.length).toBeGreaterThan(3);
  expect(fwd!.map(day)).toEqual(none!.map(day));
  expect(bwd!.map(day)).toEqual(none!.map(day));
  return { none: none!, fwd: fwd!, bwd: bwd! };
}

describe('corporate actions (Qot_RequestRehab) and adjusted K-lines', () => {
  it('answers the declared split with its factors and names the action', async () => {
    const rows = await r.corporateActions('US.TSLA');
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ exDate: '2022-08-25', actions: ['SPLIT'], split: { base: 1, ert: 3 }, forward: { b: -0 }, backward: { a: 3, b: 0 } });
    expect(rows[0]!.forward.a).toBeCloseTo(1 / 3, 12);
  });

  it('lists only the actions on or before the virtual today, oldest first', async () => {
    const rows = await r.corporateActions('US.AAPL');
    expect(rows.map((x) => x.exDate)).toEqual(['2024-08-12', '2024-11-08']);
    expect(rows.every((x) => x.actions.join() === 'DIVIDEND' && x.dividend === 0.25 && x.forward.a === 1 && x.forward.b === -0.25 && x.backward.b === 0.25)).toBe(true);
    expect(await r.corporateActions('HK.09988')).toEqual([]);
  });

  it('unadjusted bars before a split are the forward bars undone by its factors, and equal after it', async () => {
    const rows = await r.corporateActions('US.TSLA');
    const { none, fwd, bwd } = await threeWays('US.TSLA', '2022-08-15', '2022-09-05');
    expect(none.some((b) => day(b) < '2022-08-25')).toBe(true);
    expect(none.some((b) => day(b) >= '2022-08-25')).toBe(true);
    none.forEach((b, i) => {
      const f = fwd[i]!;
      if (day(b) < '2022-08-25') expect(b.close).toBeCloseTo(f.close * 3, 2);
      else expect(b.close).toBe(f.close);
      for (const k of ['open', 'high', 'low', 'close'] as const) {
        expect(forwardOf(rows, b[k], day(b))).toBeCloseTo(f[k], 2);
        expect(backwardOf(rows, b[k], day(b))).toBeCloseTo(bwd[i]![k], 2);
      }
    });
  });

  it('agrees with Futu’s factor rule across several dividends and a bonus issue', async () => {
    for (const [code, from, to] of [
      ['US.AAPL', '2024-07-01', '2024-12-31'],
      ['HK.00700', '2024-05-01', '2024-06-10'],
      ['SZ.000001', '2024-06-01', '2024-06-30'],
    ] as const) {
      const rows = await r.corporateActions(code);
      expect(rows.length, code).toBeGreaterThan(0);
      const { none, fwd, bwd } = await threeWays(code, from, to);
      none.forEach((b, i) => {
        expect(forwardOf(rows, b.close, day(b)), `${code} ${b.time} forward`).toBeCloseTo(fwd[i]!.close, 2);
        expect(backwardOf(rows, b.close, day(b)), `${code} ${b.time} backward`).toBeCloseTo(bwd[i]!.close, 2);
      });
    }
  });

  it('adjusts current K-lines (Qot_GetKL) by the RehabType asked for', async () => {
    await q.subscribe('HK.00700', ['KL_DAY']);
    const [fwd, bwd, none] = await Promise.all((['FORWARD', 'BACKWARD', 'NONE'] as const).map((rehab) => q.klines('HK.00700', { type: 'DAY', count: 5, rehab })));
    // Today is after every action that has happened: unadjusted equals forward; backward undoes the 2024 dividend
    // (the 2025 one is still to come on the test clock).
    expect(none).toEqual(fwd);
    fwd!.forEach((b, i) => expect(bwd![i]!.close).toBeCloseTo(b.close + 3.4, 2));
  });

  it('refuses an unknown security', async () => {
    await expectOpenDError(c.request(PROTO_ID.Qot_RequestRehab, { security: { market: 1, code: '99999' } }), /99999/);
  });
});
