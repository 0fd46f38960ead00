// The soak's checks find what they are for: after a clean run they report nothing; then a second order at
// OpenD for an accepted clientOrderId, an order state in DynamoDB that lags OpenD's, and a PENDING record
// nobody was told about are each reported. (The violations are planted by hand: the product does not make them.)
import { UpdateCommand, DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { enumName } from '../../proto/enums.js';
import * as Trd_Common from '../../proto/generated/Trd_Common.js';
import { stepTicks } from '../../proto/ticks.js';
import { until } from '../support/local-aws.js';
import { driveOne, type CallerRecord, type DriveStats } from '../soak/driver.js';
import { makePlan } from '../soak/plan.js';
import { settle, verify } from '../soak/verify.js';
import { startWorld, type World } from '../soak/world.js';

const plan = makePlan({ orders: 8, seed: 5, minutes: 1, verbose: false });
let w: World;
let records: CallerRecord[];

beforeAll(async () => {
  w = await startWorld(plan, 5, () => undefined);
  const stats: DriveStats = { started: 0, duplicatesSent: 0, statuses: {}, faults: {}, crashes: {}, faultErrors: [] };
  // Resting limit orders, no faults, no crashes: every caller gets a definite answer.
  records = await Promise.all(plan.orders.map((o) => driveOne(w, { ...o, type: 'LIMIT', ticksFromTouch: 5, crash: 'none', copies: 1 }, stats, Date.now() + 60_000)));
  await settle(w, records, stats, Date.now() + 30_000, () => undefined);
}, 150_000);

afterAll(async () => {
  await w?.stop();
}, 60_000);

describe('soak checks', () => {
  it('report nothing after a run without faults', async () => {
    expect(records.map((r) => r.told.kind)).toEqual(Array(8).fill('accepted'));
    const v = await verify(w, plan, records);
    expect(v.details).toEqual([]);
    expect(v).toMatchObject({ orders: 8, duplicates: 0, lost: 0, mismatches: 0, stuck: 0 });
  });

  it('count a second order at OpenD, a lagging DynamoDB state and an untold PENDING record', async () => {
    const first = records.find((r) => r.order.account.env === 'SIMULATE' && r.order.account.market === 'HK')!;
    const acc = first.order.account;
    // A second order with the same remark, straight into the simulator's book.
    const top = w.sim.market.top('HK.00700')!;
    const extra = w.sim.trading.placeOrder({
      packetID: { connID: 0n, serialNo: 0 },
      header: { trdEnv: 0, accID: BigInt(acc.accId), trdMarket: 1 },
      trdSide: 1,
      orderType: 1,
      code: '00700',
      secMarket: 1,
      qty: 100,
      price: stepTicks('HK', top.bid, -5),
      remark: `oc:${first.order.clientOrderId}`,
    });
    // The relay reports it like any order; wait (bounded) until its last state is stored (not only its first:
    // SUBMITTING may be stored while SUBMITTED is still on its way), so only the duplicate counts.
    const simStatus = () => enumName(Trd_Common.OrderStatus, w.sim.trading.orders(w.h.header(acc.accId)).find((o) => o.orderID === extra.orderID)!.orderStatus);
    await until(async () => (await w.h.rt.orders.get(acc.accId, extra.orderID.toString()))?.status === simStatus(), 30_000, 'the extra order stored in its current state');
    // Another order's stored state set back to a state it had before.
    const other = records.find((r) => r !== first && r.told.kind === 'accepted')!;
    const doc = DynamoDBDocumentClient.from(w.h.dynamo);
    await doc.send(new UpdateCommand({
      TableName: w.h.tables.orders,
      Key: { accId: other.order.account.accId, orderId: (other.told as { orderId: string }).orderId },
      UpdateExpression: 'SET #s = :s',
      ExpressionAttributeNames: { '#s': 'status' },
      ExpressionAttributeValues: { ':s': 'SUBMITTING' },
    }));
    // A placement that began and never finished, for a clientOrderId no caller sent.
    await w.h.rt.idempotency.begin({ accId: acc.accId, clientOrderId: 'nobody-was-told', requestHash: 'x', ttlSeconds: 3600 });

    const v = await verify(w, plan, records);
    expect(v.duplicates).toBe(1);
    expect(v.details).toContainEqual(expect.stringMatching(new RegExp(`^duplicate: 2 orders at OpenD for ${acc.accId}/${first.order.clientOrderId}`)));
    expect(v.lost).toBe(1);
    expect(v.details).toContainEqual(expect.stringContaining(`lost: order ${(other.told as { orderId: string }).orderId}`));
    expect(v.stuck).toBe(1);
    expect(v.details).toContainEqual(expect.stringContaining('nobody-was-told is PENDING'));
  });
});
