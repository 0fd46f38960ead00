// Quote pushes as events: one OpenD quote push (basic quote, K-line, time share, ticker, order book, broker
// queue) becomes the events the relay publishes for it. Pure: no state, no I/O; the relay only publishes them.
// Quote and Ticker events carry a one-pass writer of their Detail (detail-literals.ts), the relay's bulk.
// Invariant: each event's coalesceKey names exactly what a later push of the same kind replaces (the latest
// quote / book / broker queue of a security, the bar or time-share minute of a time), so that under pressure the
// publisher drops superseded quote events only. Tickers are never coalesced: every trade is its own event.
import { brokerDetail, DETAIL_TYPES, klineDetail, orderBookDetail, quoteDetail, tickerDetail, timeShareDetail } from '../../proto/events.js';
import type * as Qot_Common from '../../proto/generated/Qot_Common.js';
import { PROTO_ID } from '../../proto/registry.js';
import { securityKey } from '../../proto/securities.js';
import { quoteDetailLiteral, tickerDetailLiteral } from './detail-literals.js';
import type { PublishInput } from './publisher.js';

/**
 * The events of a quote push (`t`: the gateway time stamped on them), or undefined when `protoId` is not a quote
 * push. `s2c` is untyped because its type depends on protoId (the client's PushEvent carries it so).
 */
export function quotePushEvents(protoId: number, s2c: any, t: string): PublishInput[] | undefined {
  switch (protoId) {
    case PROTO_ID.Qot_UpdateBasicQot:
      return (s2c.basicQotList ?? []).map((q: Qot_Common.BasicQot) => {
        const d = quoteDetail(q, t);
        return { detailType: DETAIL_TYPES.quote, detail: d, coalesceKey: `Quote|${d.security}`, detailLiteral: quoteDetailLiteral };
      });
    case PROTO_ID.Qot_UpdateKL: {
      const key = securityKey(s2c.security);
      return (s2c.klList ?? []).map((kl: Qot_Common.KLine) => ({
        detailType: DETAIL_TYPES.kline,
        detail: klineDetail(s2c.security, s2c.klType, s2c.rehabType, kl, t),
        coalesceKey: `KLine|${key}|${s2c.klType}|${kl.time}`,
      }));
    }
    case PROTO_ID.Qot_UpdateRT: {
      const key = securityKey(s2c.security);
      return (s2c.rtList ?? []).map((rt: Qot_Common.TimeShare) => ({
        detailType: DETAIL_TYPES.timeShare,
        detail: timeShareDetail(s2c.security, rt, t),
        coalesceKey: `TimeShare|${key}|${rt.time}`,
      }));
    }
    case PROTO_ID.Qot_UpdateTicker:
      return (s2c.tickerList ?? []).map((tk: Qot_Common.Ticker) => ({ detailType: DETAIL_TYPES.ticker, detail: tickerDetail(s2c.security, tk, t), detailLiteral: tickerDetailLiteral }));
    case PROTO_ID.Qot_UpdateOrderBook:
      return [{
        detailType: DETAIL_TYPES.orderBook,
        detail: orderBookDetail(s2c.security, s2c.orderBookAskList ?? [], s2c.orderBookBidList ?? [], t),
        coalesceKey: `OrderBook|${securityKey(s2c.security)}`,
      }];
    case PROTO_ID.Qot_UpdateBroker:
      return [{
        detailType: DETAIL_TYPES.broker,
        detail: brokerDetail(s2c.security, s2c.brokerAskList ?? [], s2c.brokerBidList ?? [], t),
        coalesceKey: `Broker|${securityKey(s2c.security)}`,
      }];
    default:
      return undefined;
  }
}
