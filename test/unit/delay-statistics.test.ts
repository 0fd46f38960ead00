// The simulator's delay statistics from known samples: Futu's [begin, end) segments with -1 as infinity,
// percentages of the push count, the stages before OpenD at 0 ms, per-protocol averages and the request rules.
import { describe, expect, it } from 'vitest';
import { DelayRecorder } from '../../gateway-container/simulator/delay-statistics.js';
import { DEFAULT_SEGMENTS, delayStatisticsC2SProblem } from '../../proto/api/delay-statistics.js';
import { PROTO_ID } from '../../proto/registry.js';

describe('DelayRecorder', () => {
  it('buckets push samples into [begin, end) segments with proportions and cumulative ratios', () => {
    const r = new DelayRecorder();
    for (const ms of [0.5, 1.99, 2, 7, 250]) r.recordPush(PROTO_ID.Qot_UpdateTicker, ms);
    r.recordPush(PROTO_ID.Qot_UpdateKL, 3); // K-line pushes are not among Futu's push types
    const [ticker, ...rest] = r.statistics({ typeList: [1], segmentList: [0, 2, 10, 100, -1] }).qotPushStatisticsList!;
    expect(rest).toEqual([]);
    expect(ticker).toEqual({
      qotPushType: 2,
      count: 5,
      delayAvg: (0.5 + 1.99 + 2 + 7 + 250) / 5,
      itemList: [
        { begin: 0, end: 2, count: 2, proportion: 40, cumulativeRatio: 40 },
        { begin: 2, end: 10, count: 2, proportion: 40, cumulativeRatio: 80 },
        { begin: 100, end: -1, count: 1, proportion: 20, cumulativeRatio: 100 },
      ],
    });
    const upstream = r.statistics({ typeList: [1], qotPushStage: 2, segmentList: [0, 2, -1] }).qotPushStatisticsList![0]!;
    expect(upstream.itemList).toEqual([{ begin: 0, end: 2, count: 5, proportion: 100, cumulativeRatio: 100 }]);
    expect(upstream.delayAvg).toBe(0);
  });

  it('averages request costs per protocol, a stall counting in the total only, and lists placed orders', () => {
    const r = new DelayRecorder();
    r.recordRequest(PROTO_ID.KeepAlive, 1);
    r.recordRequest(PROTO_ID.KeepAlive, 3, 100);
    r.recordPlaceOrder(123456789012345678n, 2, 0);
    const s = r.statistics({ typeList: [2, 3] });
    expect(s.qotPushStatisticsList).toEqual([]);
    expect(s.reqReplyStatisticsList).toEqual([{ protoID: 1004, count: 2, totalCostAvg: 52, openDCostAvg: 2, netDelayAvg: 0, isLocalReply: true }]);
    expect(s.placeOrderStatisticsList).toEqual([{ orderID: '123456789012345678', totalCost: 2, openDCost: 2, netDelay: 0, updateCost: 0 }]);
  });

  it('uses Futu’s default segments: 2 ms steps to 100 ms, then 500, 1000, 2000 and infinity', () => {
    expect(DEFAULT_SEGMENTS.slice(0, 3)).toEqual([0, 2, 4]);
    expect(DEFAULT_SEGMENTS.slice(-6)).toEqual([98, 100, 500, 1000, 2000, -1]);
    expect(delayStatisticsC2SProblem({ typeList: [1], segmentList: [...DEFAULT_SEGMENTS] })).toBeUndefined();
  });

  it('names what is wrong with a request', () => {
    expect(delayStatisticsC2SProblem({ typeList: [4] })).toMatch(/typeList: 4 is not a DelayStatisticsType/);
    expect(delayStatisticsC2SProblem({ qotPushStage: 9 })).toMatch(/qotPushStage: 9/);
    expect(delayStatisticsC2SProblem({ segmentList: [0, -1, 5] })).toMatch(/-1 \(infinity\) may only be the last bound/);
    expect(delayStatisticsC2SProblem({ segmentList: [0, 10, 5] })).toMatch(/bounds must ascend/);
    expect(delayStatisticsC2SProblem({ segmentList: [0, 1000, 1200] })).toMatch(/1200 is not allowed after 1000/);
    expect(delayStatisticsC2SProblem({ segmentList: [0, 5000, 6000] })).toMatch(/no bound above 5000 ms except -1/);
  });
});
