// GetDelayStatistics (1007) over real TCP: the simulator reports what it measured itself — one sample per quote push
// it wrote (price, ticker, order book, broker), one per request it answered (a stalled reply counts its stall in the
// total only), one per order it placed — in Futu's [begin, end) segments. The typed client refuses bad input first.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Simulator } from '../../gateway-container/simulator/index.js';
import { getDelayStatistics } from '../../proto/api/delay-statistics.js';
import { QuoteApi } from '../../proto/api/quotes.js';
import { TradeApi } from '../../proto/api/trading.js';
import { ValidationError } from '../../proto/errors.js';
import { PROTO_ID } from '../../proto/registry.js';
import { ACC, barrier, closeAll, connectClient, expectOpenDError, pushesOf, startTestSimulator, type RecordingClient } from './sim-helpers.js';

const open: RecordingClient[] = [];
afterEach(async () => {
  await closeAll(...open.splice(0));
});
async function client(sim: Simulator): Promise<RecordingClient> {
  const c = await connectClient(sim);
  open.push(c);
  return c;
}

describe('delay statistics from the simulator', () => {
  let sim: Simulator;
  beforeAll(async () => {
    sim = await startTestSimulator();
  });
  afterAll(async () => {
    await sim.close();
  });

  it('counts exactly the quote pushes it wrote, per Futu push type, with consistent segments', async () => {
    const c = await client(sim);
    await new QuoteApi(c).subscribe(['HK.00700'], ['BASIC', 'TICKER', 'ORDER_BOOK', 'BROKER'], { push: true, firstPush: false });
    sim.advance(3_000);
    await barrier(c);
    const got = {
      PRICE: pushesOf(c, PROTO_ID.Qot_UpdateBasicQot).length,
      TICKER: pushesOf(c, PROTO_ID.Qot_UpdateTicker).length,
      ORDER_BOOK: pushesOf(c, PROTO_ID.Qot_UpdateOrderBook).length,
      BROKER: pushesOf(c, PROTO_ID.Qot_UpdateBroker).length,
    };
    for (const n of Object.values(got)) expect(n).toBeGreaterThan(0);

    // This is the only connection that has received quote pushes from this simulator so far.
    const stats = await getDelayStatistics(c, { kinds: ['QOT_PUSH'] });
    expect(stats.requests).toEqual([]);
    expect(Object.fromEntries(stats.qotPush.map((p) => [p.pushType, p.count]))).toEqual(got);
    for (const p of stats.qotPush) {
      expect(p.segments.reduce((s, x) => s + x.count, 0)).toBe(p.count);
      expect(p.segments.at(-1)!.cumulativePct).toBeCloseTo(100, 3);
      expect(p.avgMs).toBeGreaterThanOrEqual(0);
      expect(p.avgMs).toBeLessThan(p.segments.at(-1)!.endMs ?? Infinity);
      for (const s of p.segments) expect(s.proportionPct).toBeCloseTo((s.count * 100) / p.count, 3);
    }

    // Stages before OpenD do not exist in the simulator: every sample is 0 ms there, in the first segment.
    const upstream = await getDelayStatistics(c, { kinds: ['QOT_PUSH'], qotPushStage: 'SS2CR', segments: [0, 10, 100, -1] });
    for (const p of upstream.qotPush) expect(p.segments).toEqual([{ beginMs: 0, endMs: 10, count: p.count, proportionPct: 100, cumulativePct: 100 }]);
  });

  it('counts each answered request by protocol and puts a stalled reply’s wait in the total, not in the processing time', async () => {
    const c = await client(sim);
    const before = (await getDelayStatistics(c, { kinds: ['REQ_REPLY'] })).requests.find((r) => r.protocol === 'GetUserInfo')?.count ?? 0;
    for (let i = 0; i < 3; i++) await c.request(PROTO_ID.GetUserInfo, {});
    const after = await getDelayStatistics(c, { kinds: ['REQ_REPLY'] });
    const info = after.requests.find((r) => r.protocol === 'GetUserInfo')!;
    expect(info).toMatchObject({ protoId: 1005, count: before + 3, netDelayAvgMs: 0, localReply: true });
    expect(info.totalAvgMs).toBeCloseTo(info.openDAvgMs, 6);

    sim.core.stallReplies(120);
    try {
      await c.request(PROTO_ID.Qot_GetMarketState, { securityList: [{ market: 1, code: '00700' }] });
    } finally {
      sim.core.stallReplies(0);
    }
    const ms = (await getDelayStatistics(c, { kinds: ['REQ_REPLY'] })).requests.find((r) => r.protoId === PROTO_ID.Qot_GetMarketState)!;
    expect(ms.count).toBe(1);
    expect(ms.totalAvgMs - ms.openDAvgMs).toBeGreaterThanOrEqual(119);
  });

  it('lists each placed order by its order ID', async () => {
    const c = await client(sim);
    const { orderId } = await new TradeApi(c).placeOrder(ACC.SIM_HK, { code: 'HK.00700', side: 'BUY', qty: 100, price: 300 });
    const stats = await getDelayStatistics(c, { kinds: ['PLACE_ORDER'] });
    const mine = stats.placeOrders.find((o) => o.orderId === orderId.toString());
    expect(mine).toBeDefined();
    expect(mine!.totalMs).toBeGreaterThanOrEqual(mine!.openDMs);
  });

  it('refuses segments Futu does not allow, in the client before sending and in the simulator', async () => {
    const c = await client(sim);
    await expect(getDelayStatistics(c, { segments: [0, 100, 120, -1] })).rejects.toThrow(ValidationError);
    await expect(getDelayStatistics(c, { segments: [0, 100, 120, -1] })).rejects.toThrow(/segments: 120 is not allowed after 100; steps are at least 1 ms up to 100 ms, 50 ms up to 1000 ms/);
    await expect(getDelayStatistics(c, { kinds: ['LATENCY' as never] })).rejects.toThrow(/kinds: "LATENCY" is not a kind; allowed: QOT_PUSH, REQ_REPLY, PLACE_ORDER/);
    await expectOpenDError(c.request(PROTO_ID.GetDelayStatistics, { typeList: [1], segmentList: [5, 10] }), /segmentList: must start at 0/);
  });
});
