// The order-events consumer refuses what does not fit the event contract — forged statuses, absurd quantities,
// bad IDs, gatewayTimes from the future — stores nothing for it, and counts it as an EMF metric; valid events of
// the same shape are stored. DynamoDB Local, the real handler, events as EventBridge delivers them.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { METRICS } from '../../cdk/definitions.js';
import { setMetricSink } from '../../functions/handlers/order-events.js';
import { METRICS_NAMESPACE, REJECTED_EVENTS_METRIC } from '../../functions/lib/event-validation.js';
import { DynamoGatewayStateStore } from '../../functions/lib/gateway-state-store.js';
import { ACCOUNTS, startFunctionsHarness, type FunctionsHarness } from '../support/functions-harness.js';

let h: FunctionsHarness;
const metrics: Record<string, unknown>[] = [];

beforeAll(async () => {
  h = await startFunctionsHarness();
  setMetricSink((line) => metrics.push(JSON.parse(line) as Record<string, unknown>));
});

afterAll(async () => {
  setMetricSink(() => undefined);
  await h?.stop();
});

let seq = 0;
function event(detailType: string, detail: Record<string, unknown>) {
  return { version: '0', id: `ev-${++seq}`, source: 'opend', account: '000000000000', time: new Date().toISOString(), region: 'us-east-1', resources: [], 'detail-type': detailType, detail };
}

function orderUpdate(over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    accId: ACCOUNTS.SIM_HK,
    trdEnv: 'SIMULATE',
    trdMarket: 'HK',
    orderId: '4000000000000000001',
    orderIdEx: 'sim-1',
    security: 'HK.00700',
    market: 'HK',
    code: '00700',
    name: 'Tencent Holdings',
    side: 'BUY',
    orderType: 'NORMAL',
    status: 'SUBMITTED',
    qty: 100,
    price: 380.2,
    fillQty: 0,
    fillAvgPrice: 0,
    createTime: '2025-01-15 10:00:00.000',
    updateTime: '2025-01-15 10:00:00.000',
    updateTimestamp: 1736906400,
    gatewayTime: new Date().toISOString(),
    ...over,
  };
}

function fill(over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    accId: ACCOUNTS.REAL_HK,
    trdEnv: 'REAL',
    fillId: '7000000000000000001',
    fillIdEx: 'f-1',
    orderId: '4000000000000000009',
    security: 'HK.00700',
    market: 'HK',
    code: '00700',
    name: 'Tencent Holdings',
    side: 'BUY',
    qty: 100,
    price: 380.2,
    status: 'OK',
    createTime: '2025-01-15 10:00:01.000',
    createTimestamp: 1736906401,
    gatewayTime: new Date().toISOString(),
    ...over,
  };
}

describe('order-events consumer: the event contract', () => {
  it.each([
    ['an unknown status', { status: 'FILLED_ALL_FOREVER' }, /status/],
    ['a negative quantity', { qty: -100 }, /qty/],
    ['an absurd quantity', { qty: 1e12, fillQty: 1e12 }, /qty/],
    ['a fill quantity above the order quantity', { fillQty: 200 }, /fillQty 200 is above qty 100/],
    ['an absurd price', { price: 1e9 }, /price/],
    ['an order ID that is not a 64-bit decimal', { orderId: '99999999999999999999' }, /orderId/],
    ['an account ID with letters', { accId: '2817564805725834x1' }, /accId/],
    ['a malformed security', { security: 'HK 00700; DROP' }, /security/],
    ['a gatewayTime from the future', { gatewayTime: '9999-12-31T23:59:59.999Z' }, /ahead of now/],
    ['a gatewayTime two minutes ahead', { gatewayTime: new Date(Date.now() + 120_000).toISOString() }, /ahead of now/],
    ['no gatewayTime', { gatewayTime: undefined }, /gatewayTime/],
  ])('rejects an Order Update with %s, stores nothing and counts it', async (_what, over, reason) => {
    const orderId = String(4000000000000001000n + BigInt(++seq));
    const detail = orderUpdate({ orderId, ...over });
    const before = metrics.length;
    expect(await h.orderEvents(event('Order Update', detail))).toEqual({ outcome: 'rejected' });
    const stored = typeof detail['orderId'] === 'string' && typeof detail['accId'] === 'string' && /^\d+$/.test(detail['accId'] as string) ? await h.rt.orders.get(detail['accId'] as string, detail['orderId'] as string) : undefined;
    expect(stored).toBeUndefined();
    expect(metrics.length).toBe(before + 1);
    const m = metrics.at(-1)! as { _aws: { CloudWatchMetrics: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string }[] }[] }; DetailType: string; reason: string };
    expect(m._aws.CloudWatchMetrics[0]).toMatchObject({ Namespace: METRICS_NAMESPACE, Dimensions: [['DetailType']], Metrics: [{ Name: REJECTED_EVENTS_METRIC, Unit: 'Count' }] });
    expect(m).toMatchObject({ DetailType: 'Order Update', [REJECTED_EVENTS_METRIC]: 1 });
    expect(m.reason).toMatch(reason);
  });

  it('stores a valid Order Update, and a forged terminal update of it with a future gatewayTime cannot overwrite it', async () => {
    const orderId = '4000000000000002001';
    expect(await h.orderEvents(event('Order Update', orderUpdate({ orderId })))).toEqual({ outcome: 'applied' });
    const forged = orderUpdate({ orderId, status: 'FILL_CANCELLED', fillQty: 100, gatewayTime: '2999-01-01T00:00:00.000Z' });
    expect(await h.orderEvents(event('Order Update', forged))).toEqual({ outcome: 'rejected' });
    expect(await h.rt.orders.get(ACCOUNTS.SIM_HK, orderId)).toMatchObject({ status: 'SUBMITTED', fillQty: 0 });
    // A relay clock up to a minute ahead is tolerated.
    const slightlyAhead = orderUpdate({ orderId, status: 'CANCELLED_ALL', updateTimestamp: 1736906500, gatewayTime: new Date(Date.now() + 30_000).toISOString() });
    expect(await h.orderEvents(event('Order Update', slightlyAhead))).toEqual({ outcome: 'applied' });
  });

  it('rejects fills with a zero or absurd quantity or no order ID, and stores a valid one', async () => {
    for (const over of [{ qty: 0 }, { qty: 5e9 }, { orderId: undefined }, { fillId: '0' }, { side: 'GIVE_AWAY' }]) {
      expect(await h.orderEvents(event('Order Fill', fill({ fillId: String(7000000000000000100n + BigInt(++seq)), ...over }))), JSON.stringify(over)).toEqual({ outcome: 'rejected' });
    }
    expect((await h.rt.fills.list(ACCOUNTS.REAL_HK)).items).toEqual([]);
    expect(await h.orderEvents(event('Order Fill', fill()))).toEqual({ outcome: 'inserted' });
    expect((await h.rt.fills.list(ACCOUNTS.REAL_HK)).items.map((f) => f.fillId)).toEqual(['7000000000000000001']);
  });

  it('rejects a future-dated Gateway State, so it cannot freeze GET /v1/gateway, and a Login Challenge that is not one', async () => {
    const now = new Date().toISOString();
    expect(await h.orderEvents(event('Gateway State', { ready: true, reason: 'ok', gatewayTime: now }))).toEqual({ outcome: 'stored' });
    expect(await h.orderEvents(event('Gateway State', { ready: false, reason: 'forged', gatewayTime: '9999-01-01T00:00:00.000Z' }))).toEqual({ outcome: 'rejected' });
    expect((await h.rt.gatewayState.get('relay'))?.value).toMatchObject({ ready: true, reason: 'ok' });
    const later = new Date(Date.now() + 1_000).toISOString();
    expect(await h.orderEvents(event('Gateway State', { ready: false, reason: 'logged out', gatewayTime: later }))).toEqual({ outcome: 'stored' });
    expect((await h.rt.gatewayState.get('relay'))?.value).toMatchObject({ ready: false, reason: 'logged out' });

    expect(await h.orderEvents(event('Login Challenge', { challenge: 'SEND_ME_MONEY', gatewayTime: now }))).toEqual({ outcome: 'rejected' });
    expect(await h.orderEvents(event('Login Challenge', { challenge: 'PHONE', description: 'code sent', gatewayTime: now }))).toEqual({ outcome: 'stored' });
  });

  it('lets a current entry replace one whose stored version lies in the future (written before validation existed)', async () => {
    const doc = DynamoDBDocumentClient.from(h.dynamo);
    const store = new DynamoGatewayStateStore(doc, h.tables.gatewayState);
    expect(await store.put('frozen', { ready: false }, { version: '9999-01-01T00:00:00.000Z' })).toBe('stored');
    expect(await store.put('frozen', { ready: true }, { version: new Date().toISOString() })).toBe('stored');
    expect((await store.get('frozen'))?.value).toEqual({ ready: true });
    // An honest newer version still wins over an older one.
    expect(await store.put('frozen', { ready: false }, { version: '2000-01-01T00:00:00.000Z' })).toBe('stale');
  });

  it('counts under the namespace the alarms read', () => {
    expect(METRICS_NAMESPACE).toBe(METRICS.namespace);
  });
});
