// What GetDelayStatistics (1007) reports: the simulator's own measurements, never invented numbers.
// Recorded: for each request, the time from the frame being dispatched to its reply being written (the simulator is
// OpenD here, so this is "OpenD cost"; a stallReplies fault is part of it); for each quote push of the four kinds
// Futu counts (price = Qot_UpdateBasicQot, ticker, order book, broker), the time spent producing and writing the frame;
// for each placed order, its request's cost. Durations are wall-clock milliseconds (performance.now()).
// Invariants (Futu's GetDelayStatistics.proto): segments are [begin, end) in ms, -1 meaning infinity; the default
// segments are 2 ms steps below 100 ms, then 500, 1000, 2000 and infinity; proportion and cumulativeRatio are
// percentages of the push count of that type. There is no upstream quote server or network hop behind the
// simulator, so the stages before OpenD (SR2SS, SS2CR) measure 0 and SS2CS / SR2CS equal CR2CS (OpenD's own cost).
// Request counts are exact and deterministic; durations are measured and therefore vary from run to run.
import type * as GetDelayStatistics from '../../proto/generated/GetDelayStatistics.js';
import { DelayStatisticsType, QotPushStage, QotPushType } from '../../proto/generated/GetDelayStatistics.js';
import { PROTO_ID } from '../../proto/registry.js';
import { DEFAULT_SEGMENTS } from '../../proto/api/delay-statistics.js';

/** Quote push protocol → Futu's QotPushType. Other pushes (K-lines, time-share, notices) are not in Futu's statistics. */
export const QOT_PUSH_TYPE: ReadonlyMap<number, number> = new Map([
  [PROTO_ID.Qot_UpdateBasicQot, QotPushType.PRICE],
  [PROTO_ID.Qot_UpdateTicker, QotPushType.TICKER],
  [PROTO_ID.Qot_UpdateOrderBook, QotPushType.ORDER_BOOK],
  [PROTO_ID.Qot_UpdateBroker, QotPushType.BROKER],
]);

/** Bounded memory: each series keeps at most this many samples (the most recent ones). */
const MAX_SAMPLES = 10_000;
/** Placed orders reported (the most recent ones). */
const MAX_ORDERS = 1_000;

interface ReqAcc { count: number; totalMs: number; openDMs: number }

export class DelayRecorder {
  private readonly pushes = new Map<number, number[]>();
  private readonly requests = new Map<number, ReqAcc>();
  private readonly orders: GetDelayStatistics.PlaceOrderStatisticsItem[] = [];

  recordPush(protoId: number, ms: number): void {
    const type = QOT_PUSH_TYPE.get(protoId);
    if (type === undefined) return;
    let list = this.pushes.get(type);
    if (!list) this.pushes.set(type, (list = []));
    list.push(ms);
    if (list.length > MAX_SAMPLES) list.shift();
  }

  /** `waitedMs` is time the reply was held back on purpose (a stall fault): part of the total, not of processing. */
  recordRequest(protoId: number, openDMs: number, waitedMs = 0): void {
    let acc = this.requests.get(protoId);
    if (!acc) this.requests.set(protoId, (acc = { count: 0, totalMs: 0, openDMs: 0 }));
    acc.count++;
    acc.openDMs += openDMs;
    acc.totalMs += openDMs + waitedMs;
  }

  recordPlaceOrder(orderID: bigint | string, openDMs: number, waitedMs = 0): void {
    this.orders.push({ orderID: String(orderID), totalCost: openDMs + waitedMs, openDCost: openDMs, netDelay: 0, updateCost: 0 });
    if (this.orders.length > MAX_ORDERS) this.orders.shift();
  }

  /** The S2C for a C2S; `c2s` has already been validated by validateDelayStatisticsC2S. */
  statistics(c2s: GetDelayStatistics.C2S): GetDelayStatistics.S2C {
    const types = new Set(c2s.typeList ?? []);
    const s2c: GetDelayStatistics.S2C = { qotPushStatisticsList: [], reqReplyStatisticsList: [], placeOrderStatisticsList: [] };
    if (types.has(DelayStatisticsType.QOT_PUSH)) {
      const stage = c2s.qotPushStage ?? QotPushStage.SR2CS;
      const segments = c2s.segmentList && c2s.segmentList.length > 0 ? c2s.segmentList : DEFAULT_SEGMENTS;
      for (const [type, samples] of [...this.pushes].sort((a, b) => a[0] - b[0])) {
        const values = stage === QotPushStage.SR2SS || stage === QotPushStage.SS2CR ? samples.map(() => 0) : samples;
        s2c.qotPushStatisticsList!.push(histogram(type, values, segments));
      }
    }
    if (types.has(DelayStatisticsType.REQ_REPLY)) {
      for (const [protoID, a] of [...this.requests].sort((x, y) => x[0] - y[0])) {
        s2c.reqReplyStatisticsList!.push({
          protoID,
          count: a.count,
          totalCostAvg: a.totalMs / a.count,
          openDCostAvg: a.openDMs / a.count,
          netDelayAvg: 0, // loopback to an in-process market: there is no network hop to a quote/trade server
          isLocalReply: true, // the simulator answers everything itself
        });
      }
    }
    if (types.has(DelayStatisticsType.PLACE_ORDER)) s2c.placeOrderStatisticsList!.push(...this.orders);
    return s2c;
  }
}

function histogram(qotPushType: number, samples: readonly number[], segments: readonly number[]): GetDelayStatistics.DelayStatistics {
  const count = samples.length;
  const itemList: GetDelayStatistics.DelayStatisticsItem[] = [];
  let cumulative = 0;
  for (let i = 0; i + 1 < segments.length; i++) {
    const begin = segments[i]!;
    const end = segments[i + 1]!;
    const n = samples.filter((v) => v >= begin && (end === -1 || v < end)).length;
    if (n === 0) continue;
    cumulative += n;
    itemList.push({ begin, end, count: n, proportion: (n * 100) / count, cumulativeRatio: (cumulative * 100) / count });
  }
  const delayAvg = count === 0 ? 0 : samples.reduce((s, v) => s + v, 0) / count;
  return { qotPushType, itemList, delayAvg, count };
}

/** Records one written reply: its processing time since `startedAt` (performance.now()), minus a deliberate stall. */
export function recordReply(recorder: DelayRecorder, protoId: number, rsp: { retType: number; s2c?: unknown }, startedAt: number, stallMs: number): void {
  const elapsed = performance.now() - startedAt;
  const openDMs = Math.max(0, elapsed - stallMs);
  const waited = elapsed - openDMs;
  recorder.recordRequest(protoId, openDMs, waited);
  const orderID = (rsp.s2c as { orderID?: bigint } | undefined)?.orderID;
  if (protoId === PROTO_ID.Trd_PlaceOrder && rsp.retType === 0 && orderID !== undefined) recorder.recordPlaceOrder(orderID, openDMs, waited);
}
