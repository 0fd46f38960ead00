// The relay's quote-push → event mapping (gateway-container/relay/quote-events.ts): which events a push becomes
// and which coalesce key each carries, since under pressure the publisher drops all but the latest event of a key.
import { describe, expect, it } from 'vitest';
import { quotePushEvents } from '../../gateway-container/relay/quote-events.js';
import * as Qot_Common from '../../proto/generated/Qot_Common.js';
import { PROTO_ID } from '../../proto/registry.js';

const T = '2026-01-15T02:00:00.000Z';
const TENCENT: Qot_Common.Security = { market: Qot_Common.QotMarket.HK_SECURITY, code: '00700' };

describe('quotePushEvents', () => {
  it('makes one KLine event per bar, keyed by security, K-line type and bar time', () => {
    const klList: Qot_Common.KLine[] = [
      { time: '2026-01-15 10:00:00', isBlank: false, openPrice: 400, closePrice: 401, highPrice: 402, lowPrice: 399, volume: 1000n },
      { time: '2026-01-15 10:01:00', isBlank: false, openPrice: 401, closePrice: 400, highPrice: 401, lowPrice: 400, volume: 500n },
    ];
    const events = quotePushEvents(PROTO_ID.Qot_UpdateKL, { security: TENCENT, klType: Qot_Common.KLType['1MIN'], rehabType: Qot_Common.RehabType.FORWARD, klList }, T)!;
    expect(events.map((e) => e.detailType)).toEqual(['KLine', 'KLine']);
    expect(events.map((e) => e.coalesceKey)).toEqual([
      `KLine|HK.00700|${Qot_Common.KLType['1MIN']}|2026-01-15 10:00:00`,
      `KLine|HK.00700|${Qot_Common.KLType['1MIN']}|2026-01-15 10:01:00`,
    ]);
    expect(events[0]!.detail).toMatchObject({ security: 'HK.00700', klType: '1MIN', rehabType: 'FORWARD', gatewayTime: T });
  });

  it('makes one OrderBook and one Broker event per push, keyed by security only (a newer book replaces an older one)', () => {
    const book = quotePushEvents(PROTO_ID.Qot_UpdateOrderBook, {
      security: TENCENT,
      orderBookAskList: [{ price: 400.2, volume: 300n, orederCount: 2 }],
      orderBookBidList: [{ price: 400, volume: 100n, orederCount: 1 }],
    }, T)!;
    expect(book).toHaveLength(1);
    expect(book[0]).toMatchObject({ detailType: 'OrderBook', coalesceKey: 'OrderBook|HK.00700' });
    const broker = quotePushEvents(PROTO_ID.Qot_UpdateBroker, { security: TENCENT, brokerAskList: [{ id: 1n, name: 'A', pos: 1 }] }, T)!;
    expect(broker).toHaveLength(1);
    expect(broker[0]).toMatchObject({ detailType: 'Broker', coalesceKey: 'Broker|HK.00700' });
  });

  it('makes no event for an empty list and answers undefined for a push that is not a quote push', () => {
    expect(quotePushEvents(PROTO_ID.Qot_UpdateTicker, { security: TENCENT, tickerList: [] }, T)).toEqual([]);
    expect(quotePushEvents(PROTO_ID.Trd_UpdateOrder, {}, T)).toBeUndefined();
    expect(quotePushEvents(PROTO_ID.Notify, {}, T)).toBeUndefined();
  });
});
