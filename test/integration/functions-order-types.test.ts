// Order types through the HTTP API, end to end: a STOP and a TRAILING_STOP placed with POST, triggered by the
// simulator's market (moved by its manual clock, trade by trade), their Order Update events published by the
// relay to a local EventBridge and stored by the order-events function, and GET showing the stored and live
// state; "LIMIT" as an alias of NORMAL; requests missing what their type needs refused with a 400 that names
// the field and what is allowed, with nothing placed; a retry with another trigger price is a conflict.
// Real simulator over TCP, DynamoDB Local, real AWS SDK clients, the real relay.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalEventBridge, type BusEvent, type LocalEventBridge } from '../../bin/local/eventbridge-local.js';
import { EVENT_RULES } from '../../cdk/definitions.js';
import { Relay } from '../../gateway-container/relay/relay.js';
import { DEFAULT_TRADE_PASSWORD_MD5 } from '../../gateway-container/simulator/trading/engine.js';
import * as Trd_Common from '../../proto/generated/Trd_Common.js';
import { snapToTick, stepTicks } from '../../proto/ticks.js';
import { until } from '../support/local-aws.js';
import { testRelayOptions } from '../support/test-relay.js';
import { ACCOUNTS, startFunctionsHarness, type FunctionsHarness } from '../support/functions-harness.js';

const { OrderStatus } = Trd_Common;
const HK = 'HK.00700';

let h: FunctionsHarness;
let bus: LocalEventBridge;
let relay: Relay;
const delivered: BusEvent[] = [];

beforeAll(async () => {
  h = await startFunctionsHarness();
  bus = await startLocalEventBridge({
    rules: [{ name: 'orderEvents', eventBusName: 'opend-test', pattern: EVENT_RULES.orderEvents.eventPattern, target: (e) => void delivered.push(e) }],
  });
  // The relay unlocks trading OpenD-wide, so the REAL account takes the conditional orders.
  relay = new Relay(testRelayOptions({ host: h.sim.host, port: h.sim.port, rsaPrivateKey: h.rsaKeyPem }, bus.endpoint, { tradePasswordMd5: DEFAULT_TRADE_PASSWORD_MD5 }));
  await relay.start();
  await until(() => relay.health().ready && h.sim.trading.isUnlocked(), 60_000, 'relay ready and trading unlocked');
});

afterAll(async () => {
  await relay?.stop();
  await bus?.close();
  await h?.stop();
});

const ordersUrl = (accId: string) => `/v1/accounts/${accId}/orders`;

function last(): number {
  return h.sim.market.top(HK)!.last;
}

function simOrder(accId: string, orderId: string) {
  return h.sim.trading.orders(h.header(accId)).find((o) => o.orderID.toString() === orderId);
}

function simOrderCount(accId: string): number {
  return h.sim.trading.orders(h.header(accId)).length;
}

/** Moves the simulated market a second at a time until `done()` holds (bounded: two virtual hours). */
function advanceUntil(done: () => boolean): void {
  for (let i = 0; i < 7200 && !done(); i++) h.sim.advance(1000);
  expect(done()).toBe(true);
}

function updatesOf(orderId: string): BusEvent[] {
  return delivered.filter((e) => e['detail-type'] === 'Order Update' && (e.detail as { orderId: string }).orderId === orderId);
}

/** Hands every Order Update of the order to the order-events function, as the EventBridge rule would. */
async function storeEvents(orderId: string): Promise<void> {
  for (const e of updatesOf(orderId)) {
    const { eventBusName: _bus, ...event } = e;
    expect((await h.orderEvents(event)).outcome).toBeTruthy();
  }
}

describe('conditional orders end to end', () => {
  it('places a STOP, triggers it when the market crosses auxPrice, fills it, and stores its update events', async () => {
    await h.nextTradeSlot();
    const auxPrice = snapToTick('HK', last() + 0.2, 'up');
    const r = await h.http('POST', ordersUrl(ACCOUNTS.REAL_HK), { body: { clientOrderId: 'stop-1', code: HK, side: 'BUY', qty: 100, type: 'STOP', auxPrice } });
    expect(r.status, r.text).toBe(201);
    expect(r.body.order).toMatchObject({ type: 'STOP', auxPrice, clientOrderId: 'stop-1' });
    expect(r.body.order.price).toBeUndefined();
    const orderId: string = r.body.order.orderId;
    expect(simOrder(ACCOUNTS.REAL_HK, orderId)?.orderStatus).toBe(OrderStatus.WAITING_SUBMIT);

    advanceUntil(() => simOrder(ACCOUNTS.REAL_HK, orderId)?.orderStatus === OrderStatus.FILLED_ALL);
    await until(() => updatesOf(orderId).some((e) => (e.detail as { status: string }).status === 'FILLED_ALL'), 30_000, 'FILLED_ALL update published');
    const statuses = updatesOf(orderId).map((e) => (e.detail as { status: string }).status);
    expect(statuses.slice(0, 2)).toEqual(['WAITING_SUBMIT', 'SUBMITTED']);
    expect(updatesOf(orderId)[0]!.detail).toMatchObject({ orderType: 'STOP', auxPrice, clientOrderId: 'stop-1' });

    await storeEvents(orderId);
    const stored = await h.rt.orders.get(ACCOUNTS.REAL_HK, orderId);
    expect(stored).toMatchObject({ status: 'FILLED_ALL', fillQty: 100, orderType: 'STOP', auxPrice });
    const got = await h.http('GET', `${ordersUrl(ACCOUNTS.REAL_HK)}/${orderId}`);
    expect(got.status).toBe(200);
    expect(got.body.order).toMatchObject({ orderId, type: 'STOP', status: 'FILLED_ALL', fillQty: 100, auxPrice });
    expect(got.body.order.price).toBeUndefined(); // a STOP has no limit price
  });

  it('places a TRAILING_STOP that follows the market and triggers; GET shows the trail', async () => {
    await h.nextTradeSlot();
    const r = await h.http('POST', ordersUrl(ACCOUNTS.REAL_HK), {
      body: { clientOrderId: 'trail-1', code: HK, side: 'BUY', qty: 100, type: 'TRAILING_STOP', trailType: 'AMOUNT', trailValue: 0.4, timeInForce: 'GTC' },
    });
    expect(r.status, r.text).toBe(201);
    const orderId: string = r.body.order.orderId;
    const waiting = await h.http('GET', `${ordersUrl(ACCOUNTS.REAL_HK)}/${orderId}`);
    expect(waiting.body.order).toMatchObject({ type: 'TRAILING_STOP', status: 'WAITING_SUBMIT', trailType: 'AMOUNT', trailValue: 0.4, timeInForce: 'GTC' });

    advanceUntil(() => {
      const s = simOrder(ACCOUNTS.REAL_HK, orderId)?.orderStatus;
      return s !== undefined && s !== OrderStatus.WAITING_SUBMIT;
    });
    await until(() => updatesOf(orderId).some((e) => (e.detail as { status: string }).status !== 'WAITING_SUBMIT'), 30_000, 'triggered update published');
    expect(updatesOf(orderId)[0]!.detail).toMatchObject({ orderType: 'TRAILING_STOP', trailType: 'AMOUNT', trailValue: 0.4 });
    const got = await h.http('GET', `${ordersUrl(ACCOUNTS.REAL_HK)}/${orderId}`);
    expect(['SUBMITTED', 'FILLED_PART', 'FILLED_ALL']).toContain(got.body.order.status);
  });
});

describe('type names and what each type needs', () => {
  it('takes "LIMIT" as NORMAL; the order keeps Futu\'s name', async () => {
    await h.nextTradeSlot();
    const price = stepTicks('HK', h.sim.market.top(HK)!.bid, -5);
    const r = await h.http('POST', ordersUrl(ACCOUNTS.SIM_HK), { body: { clientOrderId: 'limit-alias', code: HK, side: 'BUY', qty: 100, type: 'LIMIT', price } });
    expect(r.status, r.text).toBe(201);
    expect(r.body.order.type).toBe('NORMAL');
    expect(simOrder(ACCOUNTS.SIM_HK, r.body.order.orderId)?.orderType).toBe(Trd_Common.OrderType.NORMAL);
  });

  it.each([
    ['a STOP without auxPrice', { type: 'STOP' }, 'auxPrice', /STOP needs auxPrice \(the trigger price\) > 0/],
    ['a STOP with a price', { type: 'STOP', auxPrice: 400, price: 400 }, 'price', /must be left out for STOP orders/],
    ['a TRAILING_STOP without trailType', { type: 'TRAILING_STOP', trailValue: 1 }, 'trailType', /TRAILING_STOP needs trailType RATIO or AMOUNT/],
    ['a TRAILING_STOP_LIMIT without trailSpread', { type: 'TRAILING_STOP_LIMIT', trailType: 'RATIO', trailValue: 2 }, 'trailSpread', /needs trailSpread >= 0/],
    ['a RATIO trail of 150 %', { type: 'TRAILING_STOP', trailType: 'RATIO', trailValue: 150 }, 'trailValue', /percentage from 0.01 to 99/],
    ['auxPrice on a NORMAL order', { price: 400, auxPrice: 410 }, 'auxPrice', /must be left out for NORMAL orders/],
    ['an unknown type', { type: 'ICEBERG', price: 400 }, 'type', /must be one of NORMAL, MARKET/],
    ['a GTC MARKET order', { type: 'MARKET', timeInForce: 'GTC' }, 'timeInForce', /GTC is not allowed for MARKET/],
    ['an off-tick trigger price', { type: 'STOP', auxPrice: 400.1 }, 'auxPrice', /not on the HK tick ladder/],
  ])('refuses %s with a 400 naming the field, nothing placed', async (_what, fields, field, message) => {
    const before = simOrderCount(ACCOUNTS.REAL_HK);
    const r = await h.http('POST', ordersUrl(ACCOUNTS.REAL_HK), { body: { clientOrderId: `bad-${field}`, code: HK, side: 'BUY', qty: 100, ...fields } });
    expect(r.status, r.text).toBe(400);
    expect(r.body.error.details.field).toBe(field);
    expect(r.body.error.message).toMatch(message);
    expect(simOrderCount(ACCOUNTS.REAL_HK)).toBe(before);
  });

  it('refuses conditional types on a paper account and on A-shares, naming what is offered', async () => {
    const paper = await h.http('POST', ordersUrl(ACCOUNTS.SIM_HK), { body: { clientOrderId: 'paper-stop', code: HK, side: 'BUY', qty: 100, type: 'STOP', auxPrice: 400 } });
    expect(paper.status, paper.text).toBe(400);
    expect(paper.body.error.message).toMatch(/not offered in paper trading \(SIMULATE accounts take NORMAL and MARKET only\)/);
    const ashare = await h.http('POST', ordersUrl(ACCOUNTS.REAL_HK), { body: { clientOrderId: 'ashare-stop', code: 'SH.600519', side: 'BUY', qty: 100, type: 'STOP', auxPrice: 1500 } });
    expect(ashare.status, ashare.text).toBe(400);
    expect(ashare.body.error.message).toMatch(/STOP is not offered for SH.600519; SH securities take NORMAL/);
  });

  it('treats a retry with another trigger price as a different order: 409, nothing placed', async () => {
    await h.nextTradeSlot();
    const far = snapToTick('HK', last() + 40, 'up');
    const body = { clientOrderId: 'stop-retry', code: HK, side: 'BUY', qty: 100, type: 'STOP', auxPrice: far, timeInForce: 'GTC' };
    const first = await h.http('POST', ordersUrl(ACCOUNTS.REAL_HK), { body });
    expect(first.status, first.text).toBe(201);
    const before = simOrderCount(ACCOUNTS.REAL_HK);
    const again = await h.http('POST', ordersUrl(ACCOUNTS.REAL_HK), { body });
    expect(again.status).toBe(201);
    expect(again.body.order.orderId).toBe(first.body.order.orderId);
    const moved = await h.http('POST', ordersUrl(ACCOUNTS.REAL_HK), { body: { ...body, auxPrice: stepTicks('HK', far, 1) } });
    expect(moved.status, moved.text).toBe(409);
    expect(simOrderCount(ACCOUNTS.REAL_HK)).toBe(before);

    // Modify the untriggered stop's trigger price, then cancel it.
    await h.nextTradeSlot();
    const patched = await h.http('PATCH', `${ordersUrl(ACCOUNTS.REAL_HK)}/${first.body.order.orderId}`, { body: { auxPrice: stepTicks('HK', far, 2) } });
    expect(patched.status, patched.text).toBe(200);
    expect(patched.body.order).toMatchObject({ status: 'WAITING_SUBMIT', auxPrice: stepTicks('HK', far, 2) });
    const trail = await h.http('PATCH', `${ordersUrl(ACCOUNTS.REAL_HK)}/${first.body.order.orderId}`, { body: { trailValue: 1 } });
    expect(trail.status).toBe(400);
    expect(trail.body.error.message).toMatch(/trail fields cannot be changed on a STOP order/);
    const priced = await h.http('PATCH', `${ordersUrl(ACCOUNTS.REAL_HK)}/${first.body.order.orderId}`, { body: { price: far } });
    expect(priced.status).toBe(400);
    expect(priced.body.error.message).toMatch(/^price: cannot be changed on a STOP order; a price can be changed on NORMAL, .*STOP_LIMIT.* orders$/);
    await h.nextTradeSlot();
    const cancelled = await h.http('DELETE', `${ordersUrl(ACCOUNTS.REAL_HK)}/${first.body.order.orderId}`);
    expect(cancelled.status, cancelled.text).toBe(202);
  });
});
