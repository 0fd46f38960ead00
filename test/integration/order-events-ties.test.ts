// The order-events consumer when OpenD's updateTimestamp cannot order two events: every event of a lifecycle carries
// the SAME timestamp (EventBridge guarantees no order, and Futu's timestamps resolve milliseconds at best), and the
// events are delivered to applyBusEvent in every possible order, with the real stores on DynamoDB Local. The stored
// order must always end as the broker's final state: a terminal status outranks every open one, fillQty never goes
// back (except the fill rollback FILL_CANCELLED, which only a finished order sees), and the status rank breaks the
// remaining ties (SUBMITTING < SUBMITTED < FILLED_PART < CANCELLING_PART < CANCELLED_PART …).
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { DynamoGatewayStateStore } from '../../functions/lib/gateway-state-store.js';
import { applyBusEvent, orderRecordOf, type OrderEventStores } from '../../functions/lib/order-events.js';
import { DynamoFillStore, DynamoOrderStore } from '../../functions/lib/order-store.js';
import type { OrderDetail } from '../../proto/events.js';
import { useDynamoDbLocal } from '../support/dynamo.js';

const db = useDynamoDbLocal();

/** Every ordering of `items` (Heap's algorithm); n! of them. */
function permutations<T>(items: readonly T[]): T[][] {
  const a = [...items];
  const out: T[][] = [[...a]];
  const c = new Array<number>(a.length).fill(0);
  let i = 1;
  while (i < a.length) {
    if (c[i]! < i) {
      const j = i % 2 === 0 ? 0 : c[i]!;
      [a[j], a[i]] = [a[i]!, a[j]!];
      out.push([...a]);
      c[i]! += 1;
      i = 1;
    } else {
      c[i] = 0;
      i += 1;
    }
  }
  return out;
}

const SAME_TIMESTAMP = 1_736_920_800.125;
const GATEWAY_TIME = '2025-01-15T06:00:00.125Z';
const ACC_ID = '281756480572583411';
let nextOrderId = 9_100_000_000_000_000_000n;

type Step = Pick<OrderDetail, 'status'> & Partial<Pick<OrderDetail, 'fillQty' | 'fillAvgPrice' | 'qty'>>;

/** One order's events, all stamped with the same updateTimestamp; the last step is the broker's final state. */
function lifecycle(steps: Step[]): { orderId: string; events: OrderDetail[] } {
  nextOrderId += 1n;
  const orderId = nextOrderId.toString();
  const events = steps.map(
    (s): OrderDetail => ({
      accId: ACC_ID,
      trdEnv: 'SIMULATE',
      trdMarket: 'HK',
      orderId,
      orderIdEx: `ex-${orderId}`,
      security: 'HK.00700',
      market: 'HK',
      code: '00700',
      name: 'TENCENT',
      side: 'BUY',
      orderType: 'NORMAL',
      qty: 500,
      price: 320.2,
      fillQty: 0,
      fillAvgPrice: 0,
      createTime: '2025-01-15 14:00:00.000',
      updateTime: '2025-01-15 14:00:00.125',
      updateTimestamp: SAME_TIMESTAMP,
      gatewayTime: GATEWAY_TIME,
      ...s,
    }),
  );
  return { orderId, events };
}

const LIFECYCLES: Record<string, Step[]> = {
  'filled in two parts': [
    { status: 'WAITING_SUBMIT' },
    { status: 'SUBMITTING' },
    { status: 'SUBMITTED' },
    { status: 'FILLED_PART', fillQty: 100, fillAvgPrice: 320.2 },
    { status: 'FILLED_PART', fillQty: 300, fillAvgPrice: 320.1 },
    { status: 'FILLED_ALL', fillQty: 500, fillAvgPrice: 320.12 },
  ],
  'partly filled, then cancelled': [
    { status: 'SUBMITTED' },
    { status: 'FILLED_PART', fillQty: 200, fillAvgPrice: 320.2 },
    { status: 'CANCELLING_PART', fillQty: 200, fillAvgPrice: 320.2 },
    { status: 'CANCELLED_PART', fillQty: 200, fillAvgPrice: 320.2 },
  ],
  'cancelled unfilled, then deleted': [{ status: 'SUBMITTED' }, { status: 'CANCELLING_ALL' }, { status: 'CANCELLED_ALL' }, { status: 'DELETED' }],
  'filled, then a fill rolled back': [
    { status: 'SUBMITTED' },
    { status: 'FILLED_PART', fillQty: 200, fillAvgPrice: 320.2 },
    { status: 'FILLED_ALL', fillQty: 500, fillAvgPrice: 320.12 },
    { status: 'FILL_CANCELLED', fillQty: 300, fillAvgPrice: 320.1 },
  ],
  'refused at submission': [{ status: 'WAITING_SUBMIT' }, { status: 'SUBMITTING' }, { status: 'SUBMIT_FAILED' }],
};

describe('order-events consumer with equal updateTimestamps', () => {
  for (const [name, steps] of Object.entries(LIFECYCLES)) {
    it(`ends on the broker's final state in every delivery order: ${name}`, { timeout: 300_000 }, async () => {
      const stores: OrderEventStores = {
        orders: new DynamoOrderStore(db.docClient, db.tables.orders),
        fills: new DynamoFillStore(db.docClient, db.tables.fills),
        gatewayState: new DynamoGatewayStateStore(db.docClient, db.tables.gatewayState),
      };
      const orders = new DynamoOrderStore(db.docClient, db.tables.orders);
      const runs = permutations(steps.map((_, i) => i)).map((order) => ({ order, ...lifecycle(steps) }));
      expect(runs).toHaveLength([1, 2, 3, 4, 5, 6].slice(0, steps.length).reduce((a, b) => a * b, 1));

      // Each permutation is one order, delivered one event at a time; a few orders at a time side by side.
      const deliver = async (run: (typeof runs)[number]) => {
        const outcomes: string[] = [];
        for (const i of run.order) {
          outcomes.push(await applyBusEvent(stores, { 'detail-type': 'Order Update', id: randomUUID(), detail: run.events[i] }, { now: Date.parse(GATEWAY_TIME) }));
        }
        return outcomes;
      };
      const BATCH = 12;
      for (let b = 0; b < runs.length; b += BATCH) {
        const batch = runs.slice(b, b + BATCH);
        const results = await Promise.all(batch.map(deliver));
        for (const [k, run] of batch.entries()) {
          const final = orderRecordOf(run.events[run.events.length - 1]!);
          const stored = await orders.get(ACC_ID, run.orderId);
          const label = `${name}, delivered as ${run.order.map((i) => steps[i]!.status).join(' → ')}`;
          expect(stored, label).toMatchObject({ status: final.status, fillQty: final.fillQty, fillAvgPrice: final.fillAvgPrice, qty: final.qty });
          // The final state is applied whenever it arrives, and nothing after it replaces it.
          const finalAt = run.order.indexOf(steps.length - 1);
          expect(results[k]![finalAt], label).toBe('applied');
          expect(results[k]!.slice(finalAt + 1).every((o) => o === 'stale'), label).toBe(true);
        }
      }
    });
  }
});
