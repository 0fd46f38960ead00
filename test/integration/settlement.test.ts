// The settlement function against the real simulator (RSA + AES over TCP) and DynamoDB Local: orders the
// order-events consumer stored as SUBMITTED, whose later events were lost, are brought to the simulator's final
// state once their trading day is over; an order OpenD does not know is reported, not guessed; a newer stored
// state is never overwritten; orders of a day not yet over are left alone.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setMetricSink } from '../../functions/handlers/settle-orders.js';
import { DynamoOpenOrders, settleOrders, SETTLEMENT_METRICS } from '../../functions/lib/settlement.js';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { TradeApi, type AccountRef } from '../../proto/api/trading.js';
import { OpenDClient } from '../../proto/client.js';
import { orderDetail, type OrderDetail } from '../../proto/events.js';
import type * as Trd_UpdateOrder from '../../proto/generated/Trd_UpdateOrder.js';
import { silentLogger } from '../../proto/log.js';
import { ACCOUNTS, startFunctionsHarness, type FunctionsHarness } from '../support/functions-harness.js';
import { PROTO_ID } from '../../proto/registry.js';

const DAY = 24 * 3600 * 1000;
const HK_OFFSET = 8 * 3600 * 1000; // Hong Kong has no daylight saving time

/** Moves the simulator just past the next Hong Kong midnight: the trading day is over, the next has begun. */
function advancePastHkMidnight(sim: FunctionsHarness['sim']): void {
  const now = sim.clock.now();
  const nextMidnight = Math.floor((now + HK_OFFSET) / DAY) * DAY + DAY - HK_OFFSET;
  sim.advance(nextMidnight - now + 60_000);
}
const SIM_HK: AccountRef = { accId: BigInt(ACCOUNTS.SIM_HK), env: 'SIMULATE', market: 'HK' };

let h: FunctionsHarness;
let client: OpenDClient;
let trade: TradeApi;
/** Every order push the simulator sent, as the relay would have turned it into an Order Update detail. */
const pushed: OrderDetail[] = [];
const metrics: string[] = [];

beforeAll(async () => {
  h = await startFunctionsHarness();
  client = await OpenDClient.connect({ host: h.sim.host, port: h.sim.port, rsaPrivateKey: h.rsaKeyPem, clientId: 'settlement-test', requestTimeoutMs: 10_000 });
  client.on('push', (ev) => {
    if (ev.protoId !== PROTO_ID.Trd_UpdateOrder) return;
    const s2c = ev.s2c as Trd_UpdateOrder.S2C;
    pushed.push(orderDetail(s2c.header, s2c.order, new Date().toISOString()));
  });
  trade = new TradeApi(client);
  await trade.subscribeAccountPushes([SIM_HK.accId]);
  setMetricSink((line) => metrics.push(line));
});

afterAll(async () => {
  await client?.close();
  await h?.stop();
});

/** Round trip on the push connection: every push sent before its reply has been received. */
async function barrier(): Promise<void> {
  await client.request(PROTO_ID.KeepAlive, { time: 0n });
}

/** Delivers the order's SUBMITTED push to the order-events function, as the rule would; later pushes are "lost". */
async function deliverSubmitted(orderId: bigint, change: Partial<OrderDetail> = {}): Promise<OrderDetail> {
  await barrier();
  const detail = pushed.find((d) => d.orderId === orderId.toString() && d.status === 'SUBMITTED');
  if (!detail) throw new Error(`no SUBMITTED push for order ${orderId}`);
  const sent = { ...detail, ...change };
  const r = await h.orderEvents({ version: '0', id: `ev-${sent.orderId}`, 'detail-type': 'Order Update', source: 'opend', time: new Date().toISOString(), detail: sent });
  expect(r.outcome).toBe('applied');
  return sent;
}

async function place(price: number | 'ask'): Promise<bigint> {
  await h.nextTradeSlot();
  const p = price === 'ask' ? h.sim.market.top('HK.00700')!.ask : price;
  return (await trade.placeOrder(SIM_HK, { code: 'HK.00700', side: 'BUY', qty: 100, price: p })).orderId;
}

const stored = (orderId: bigint | string) => h.rt.orders.get(ACCOUNTS.SIM_HK, orderId.toString());

describe('settlement of orders left non-terminal after their trading day', () => {
  let filled: bigint;
  let resting: bigint;
  const unknownId = '5000000000000999999';

  it('leaves orders alone while their trading day is not over', async () => {
    filled = await place('ask');
    resting = await place(300);
    await deliverSubmitted(filled);
    await deliverSubmitted(resting);
    // An order OpenD has never seen, stored as SUBMITTED (e.g. written from a corrupted event).
    await deliverSubmitted(resting, { orderId: unknownId, orderIdEx: 'FTS20250115_unknown' });
    expect((await stored(filled))?.status).toBe('SUBMITTED');

    const doc = DynamoDBDocumentClient.from(h.dynamo);
    const sameDay = await settleOrders(
      { trdMarket: 'HK' },
      {
        openOrders: () => new DynamoOpenOrders(doc, h.tables.orders).list(),
        orders: h.rt.orders,
        session: () => h.rt.openD.get(),
        limiter: h.rt.limiter,
        log: silentLogger,
        metric: (line) => metrics.push(line),
        now: () => h.sim.clock.now(),
      },
    );
    expect(sameDay).toEqual({ candidates: 3, notDue: 3, orders: [] });
    expect((await stored(filled))?.status).toBe('SUBMITTED');
  });

  it('settles them from OpenD history after the day boundary, and reports the one OpenD does not list', async () => {
    advancePastHkMidnight(h.sim); // the DAY order expires at the simulated broker; the filled one stays FILLED_ALL
    const result = await h.settleOrders({ trdMarket: 'HK' });
    const byId = new Map(result.orders.map((o) => [o.orderId, o]));
    expect(byId.get(filled.toString())).toMatchObject({ outcome: 'settled', from: 'SUBMITTED', to: 'FILLED_ALL', tradeDate: '2025-01-15' });
    expect(byId.get(resting.toString())).toMatchObject({ outcome: 'settled', from: 'SUBMITTED', to: 'CANCELLED_ALL' });
    expect(byId.get(unknownId)).toMatchObject({ outcome: 'not-found', from: 'SUBMITTED' });

    const [broker] = await trade.historyOrders(SIM_HK, { from: '2025-01-15 00:00:00', to: '2025-01-15 23:59:59', codes: ['HK.00700'] }).then((l) => l.filter((o) => o.orderId === filled));
    expect(await stored(filled)).toMatchObject({ status: 'FILLED_ALL', fillQty: 100, fillAvgPrice: broker!.fillAvgPrice, updateTimestamp: broker!.updateTimestamp });
    expect((await stored(resting))?.status).toBe('CANCELLED_ALL');
    expect((await stored(unknownId))?.status).toBe('SUBMITTED'); // never guessed

    const lines = metrics.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.filter((l) => l[SETTLEMENT_METRICS.notFound] === 1 && l['orderId'] === unknownId)).toHaveLength(1);
    expect(lines.filter((l) => l[SETTLEMENT_METRICS.settled] === 1).map((l) => l['orderId'])).toEqual([filled.toString(), resting.toString()]);

    // A second run finds only the unknown order still open, and reports it again.
    const again = await h.settleOrders({ trdMarket: 'HK' });
    expect(again.orders.map((o) => [o.orderId, o.outcome])).toEqual([[unknownId, 'not-found']]);
  });

  it('never overwrites a newer stored state (listing made stale by a newer event before the write, injected)', async () => {
    const orderId = await place('ask'); // FILLED_ALL at the broker at once
    const submitted = await deliverSubmitted(orderId);
    const doc = DynamoDBDocumentClient.from(h.dynamo);
    const listing = (await new DynamoOpenOrders(doc, h.tables.orders).list()).filter((o) => o.orderId === orderId.toString());
    expect(listing.map((o) => o.status)).toEqual(['SUBMITTED']);

    // Between the listing and the write, the consumer stores a state newer than the broker's FILLED_ALL.
    await barrier();
    const filledPush = pushed.find((d) => d.orderId === orderId.toString() && d.status === 'FILLED_ALL')!;
    const newer = { ...filledPush, status: 'FILL_CANCELLED', fillQty: 0, updateTimestamp: (filledPush.updateTimestamp ?? 0) + 60 };
    await h.orderEvents({ version: '0', id: `ev-newer-${orderId}`, 'detail-type': 'Order Update', source: 'opend', time: new Date().toISOString(), detail: newer });
    expect(submitted.status).toBe('SUBMITTED');

    advancePastHkMidnight(h.sim);
    const result = await settleOrders(
      {},
      {
        openOrders: async () => listing,
        orders: h.rt.orders,
        session: () => h.rt.openD.get(),
        limiter: h.rt.limiter,
        log: silentLogger,
        metric: () => undefined,
        now: () => h.sim.clock.now(),
      },
    );
    expect(result.orders).toEqual([expect.objectContaining({ orderId: orderId.toString(), outcome: 'unchanged', to: 'FILLED_ALL' })]);
    expect(await stored(orderId)).toMatchObject({ status: 'FILL_CANCELLED', fillQty: 0 });
  });

  it('refuses input it does not understand, saying what is allowed', async () => {
    await expect(h.settleOrders({ trdMarket: 'MARS' })).rejects.toThrow(/trdMarket "MARS" is not a trading market; use one of HK, US/);
    await expect(h.settleOrders({ market: 'HK' })).rejects.toThrow(/unknown field\(s\) market; the only field is trdMarket/);
  });
});
