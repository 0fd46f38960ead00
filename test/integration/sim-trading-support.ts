// Shared pieces of the simulator trading integration tests (sim-trading-*.test.ts), on top of sim-helpers.ts:
// a client factory that hands out the raw OpenDClient with its TradeApi and QuoteApi and remembers it in
// `open` (each test file closes those after every test), a resting buy order, the order pushes a client
// recorded, and a raw Trd_PlaceOrder C2S. Not a test file itself: vitest collects only *.test.ts.
import type { Simulator } from '../../gateway-container/simulator/index.js';
import { QuoteApi } from '../../proto/api/quotes.js';
import { headerOf, toOrder, TradeApi, type AccountRef, type Order } from '../../proto/api/trading.js';
import type { OpenDClient } from '../../proto/client.js';
import * as Trd_Common from '../../proto/generated/Trd_Common.js';
import type * as Trd_UpdateOrder from '../../proto/generated/Trd_UpdateOrder.js';
import { PROTO_ID } from '../../proto/registry.js';
import { connectClient, pushesOf, type RecordingClient } from './sim-helpers.js';

const { TrdSide, OrderType } = Trd_Common;

/** Clients made by `client()`; the test files close and empty this after each test. */
export const open: OpenDClient[] = [];
export async function client(sim: Simulator, opts: Parameters<typeof connectClient>[1] = {}): Promise<{ c: RecordingClient; t: TradeApi; q: QuoteApi }> {
  const c = await connectClient(sim, opts);
  open.push(c);
  return { c, t: new TradeApi(c), q: new QuoteApi(c) };
}

/** A buy limit far under the market: it rests and never fills in these tests. */
export const restingBuy = { code: 'HK.00700', side: 'BUY', qty: 100, price: 300 } as const;

export function orderPushes(c: RecordingClient): Order[] {
  return pushesOf(c, PROTO_ID.Trd_UpdateOrder).map((p) => {
    const s2c = p.s2c as Trd_UpdateOrder.S2C;
    return toOrder(s2c.header, s2c.order);
  });
}

export function placeC2S(acc: AccountRef, f: { code: string; secMarket: number; qty: number; price: number; side?: number; packetID?: { connID: bigint; serialNo: number } }) {
  return {
    header: headerOf(acc),
    trdSide: f.side ?? TrdSide.BUY,
    orderType: OrderType.NORMAL,
    code: f.code,
    secMarket: f.secMarket,
    qty: f.qty,
    price: f.price,
    ...(f.packetID ? { packetID: f.packetID } : {}),
  };
}
