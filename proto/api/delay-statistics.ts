// Typed GetDelayStatistics (1007): OpenD's measured quote-push, request/reply and order-placement delays.
// Names in (enum names, not numbers), plain objects out; bad input is a ValidationError naming the field and what
// is allowed, raised before anything is sent. Futu's rules (GetDelayStatistics.proto): segments are [begin, end) in
// ms with -1 as infinity; 0–100 ms at least 1 ms apart, 100–1000 ms at least 50 ms, 1000–5000 ms at least 500 ms,
// nothing above 5000 ms but infinity; by default 2 ms steps below 100 ms, then 500, 1000, 2000, infinity.
import type { OpenDClient } from '../client.js';
import { ValidationError } from '../errors.js';
import * as GetDelayStatistics from '../generated/GetDelayStatistics.js';
import { DelayStatisticsType, QotPushStage, QotPushType } from '../generated/GetDelayStatistics.js';
import { registerCodecs, PROTO_ID, protocolName } from '../registry.js';

// The client side (encode the Request, decode the Response) of the protocols this module sends: a bundle carries
// only those functions (proto/registry.ts).
registerCodecs(GetDelayStatistics.clientCodec);

export type DelayStatisticsKind = 'QOT_PUSH' | 'REQ_REPLY' | 'PLACE_ORDER';
export type QotPushStageName = Exclude<keyof typeof QotPushStage, 'UNKONW'>;

/** Futu's default segments: "below 100 ms in 2 ms steps; above 100 ms 500, 1000, 2000, -1 (infinity)". */
export const DEFAULT_SEGMENTS: readonly number[] = [...Array.from({ length: 51 }, (_, i) => i * 2), 500, 1000, 2000, -1];

export interface DelaySegment { beginMs: number; endMs: number | null; count: number; proportionPct: number; cumulativePct: number }
export interface QotPushDelay { pushType: string; count: number; avgMs: number; segments: DelaySegment[] }
export interface RequestDelay { protoId: number; protocol: string; count: number; totalAvgMs: number; openDAvgMs: number; netDelayAvgMs: number; localReply: boolean }
export interface OrderDelay { orderId: string; totalMs: number; openDMs: number; netDelayMs: number; updateMs: number }
export interface DelayStatisticsResult { qotPush: QotPushDelay[]; requests: RequestDelay[]; placeOrders: OrderDelay[] }

export interface DelayStatisticsQuery {
  /** Which statistics; default all three. */
  kinds?: DelayStatisticsKind[];
  /** The quote-push stage measured; default SR2CS (server received → OpenD sent). */
  qotPushStage?: QotPushStageName;
  /** Segment bounds in ms, e.g. [0, 5, 10, 50, 100, -1]; default Futu's. */
  segments?: number[];
}

/** Checks a C2S against Futu's rules; returns what is wrong (field: problem; allowed), or undefined. */
export function delayStatisticsC2SProblem(c2s: GetDelayStatistics.C2S): string | undefined {
  for (const t of c2s.typeList ?? []) {
    if (t < 1 || t > 3) return `typeList: ${t} is not a DelayStatisticsType; allowed: 1 (quote push), 2 (request/reply), 3 (place order)`;
  }
  const stage = c2s.qotPushStage;
  if (stage !== undefined && (stage < 1 || stage > 5)) return `qotPushStage: ${stage} is not a QotPushStage; allowed: 1 (SR2SS) … 5 (SR2CS)`;
  const seg = c2s.segmentList ?? [];
  if (seg.length === 0) return undefined;
  if (seg.length < 2 || seg[0] !== 0) return 'segmentList: must start at 0 and have at least two bounds';
  for (let i = 1; i < seg.length; i++) {
    const prev = seg[i - 1]!;
    const cur = seg[i]!;
    if (cur === -1) {
      if (i !== seg.length - 1) return 'segmentList: -1 (infinity) may only be the last bound';
      continue;
    }
    if (prev === -1 || cur <= prev) return `segmentList: bounds must ascend (${cur} after ${prev})`;
    const minStep = cur <= 100 ? 1 : cur <= 1000 ? 50 : cur <= 5000 ? 500 : Infinity;
    if (cur - prev < minStep || !Number.isInteger(cur)) {
      return `segmentList: ${cur} is not allowed after ${prev}; steps are at least 1 ms up to 100 ms, 50 ms up to 1000 ms, 500 ms up to 5000 ms, and no bound above 5000 ms except -1`;
    }
  }
  return undefined;
}

const PUSH_TYPE_NAME = new Map<number, string>(Object.entries(QotPushType).map(([k, v]) => [v, k]));

export async function getDelayStatistics(client: OpenDClient, q: DelayStatisticsQuery = {}): Promise<DelayStatisticsResult> {
  const kinds = q.kinds ?? ['QOT_PUSH', 'REQ_REPLY', 'PLACE_ORDER'];
  const typeList = kinds.map((k) => {
    if (k !== 'QOT_PUSH' && k !== 'REQ_REPLY' && k !== 'PLACE_ORDER') throw new ValidationError('kinds', `${JSON.stringify(k)} is not a kind; allowed: QOT_PUSH, REQ_REPLY, PLACE_ORDER`);
    return DelayStatisticsType[k];
  });
  let qotPushStage: number | undefined;
  if (q.qotPushStage !== undefined) {
    const v = (QotPushStage as Record<string, number>)[q.qotPushStage];
    if (v === undefined || v === 0) throw new ValidationError('qotPushStage', `${JSON.stringify(q.qotPushStage)} is not a stage; allowed: SR2SS, SS2CR, CR2CS, SS2CS, SR2CS`);
    qotPushStage = v;
  }
  const c2s: GetDelayStatistics.C2S = { typeList, ...(qotPushStage !== undefined ? { qotPushStage } : {}), segmentList: q.segments ?? [] };
  const problem = delayStatisticsC2SProblem(c2s);
  if (problem) {
    const [field, ...rest] = problem.split(': ');
    throw new ValidationError(field === 'segmentList' ? 'segments' : field!, rest.join(': '));
  }
  const s2c = await client.request(PROTO_ID.GetDelayStatistics, c2s);
  return {
    qotPush: (s2c.qotPushStatisticsList ?? []).map((d) => ({
      pushType: PUSH_TYPE_NAME.get(d.qotPushType) ?? String(d.qotPushType),
      count: d.count,
      avgMs: d.delayAvg,
      segments: (d.itemList ?? []).map((i) => ({ beginMs: i.begin, endMs: i.end === -1 ? null : i.end, count: i.count, proportionPct: i.proportion, cumulativePct: i.cumulativeRatio })),
    })),
    requests: (s2c.reqReplyStatisticsList ?? []).map((r) => ({
      protoId: r.protoID, protocol: protocolName(r.protoID), count: r.count, totalAvgMs: r.totalCostAvg, openDAvgMs: r.openDCostAvg, netDelayAvgMs: r.netDelayAvg, localReply: r.isLocalReply,
    })),
    placeOrders: (s2c.placeOrderStatisticsList ?? []).map((o) => ({ orderId: o.orderID, totalMs: o.totalCost, openDMs: o.openDCost, netDelayMs: o.netDelay, updateMs: o.updateCost })),
  };
}
