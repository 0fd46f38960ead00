// The bus consumers: the order-events function keeps DynamoDB in step with OpenD whatever the order and
// repetition of events, and the DCA strategy plans valid orders and never buys twice for one run date.
// Events are real: orders placed through the HTTP API, pushed by the simulator, published by the relay to a
// local EventBridge, and collected by a rule with the order-events pattern of the CDK definitions.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalEventBridge, type BusEvent, type LocalEventBridge } from '../../bin/local/eventbridge-local.js';
import { EVENT_RULES } from '../../cdk/definitions.js';
import { Relay } from '../../gateway-container/relay/relay.js';
import { DEFAULT_TRADE_PASSWORD_MD5 } from '../../gateway-container/simulator/trading/engine.js';
import * as Trd_Common from '../../proto/generated/Trd_Common.js';
import { xorshift32 } from '../../proto/seeded-random.js';
import { isOnTick, stepTicks } from '../../proto/ticks.js';
import { until } from '../support/local-aws.js';
import { testRelayOptions } from '../support/test-relay.js';
import { ACCOUNTS, startFunctionsHarness, type FunctionsHarness } from '../support/functions-harness.js';

let h: FunctionsHarness;
let bus: LocalEventBridge;
let relay: Relay;
/** What the order-events rule delivered, in delivery order. */
const delivered: BusEvent[] = [];

beforeAll(async () => {
  h = await startFunctionsHarness();
  bus = await startLocalEventBridge({
    rules: [{ name: 'orderEvents', eventBusName: 'opend-test', pattern: EVENT_RULES.orderEvents.eventPattern, target: (e) => void delivered.push(e) }],
  });
  relay = new Relay(
    testRelayOptions({ host: h.sim.host, port: h.sim.port, rsaPrivateKey: h.rsaKeyPem }, bus.endpoint, { tradePasswordMd5: DEFAULT_TRADE_PASSWORD_MD5 }),
  );
  await relay.start();
  await until(() => relay.health().ready, 10_000, 'relay ready');
});

afterAll(async () => {
  await relay?.stop();
  await bus?.close();
  await h?.stop();
});

const STATUS_NAME = Object.fromEntries(Object.entries(Trd_Common.OrderStatus).map(([k, v]) => [v, k])) as Record<number, string>;

/** Deterministic shuffle (xorshift), so that a failure can be replayed. */
function shuffled<T>(items: readonly T[], seed: number): T[] {
  const next = xorshift32(seed);
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/** The event as EventBridge hands it to a Lambda target (the local bus adds the bus name for its own use). */
function envelope(e: BusEvent) {
  const { eventBusName: _bus, ...event } = e;
  return event;
}

interface PlacedOrder {
  accId: string;
  orderId: string;
  clientOrderId: string;
}

describe('order-events consumer', () => {
  const placed: PlacedOrder[] = [];

  async function place(accId: string, clientOrderId: string, side: 'BUY' | 'SELL', qty: number, price: number): Promise<PlacedOrder> {
    await h.nextTradeSlot();
    const r = await h.http('POST', `/v1/accounts/${accId}/orders`, { body: { clientOrderId, code: 'HK.00700', side, qty, price } });
    expect(r.status, r.text).toBe(201);
    const p = { accId, orderId: r.body.order.orderId as string, clientOrderId };
    placed.push(p);
    return p;
  }

  function simOrder(p: PlacedOrder) {
    return h.sim.trading.orders(h.header(p.accId)).find((o) => o.orderID.toString() === p.orderId)!;
  }

  it('ends in the simulator\'s final state of every order, with fills stored once, from shuffled and repeated events', async () => {
    const top = () => h.sim.market.top('HK.00700')!;
    // Lifecycles: filled at once, filled over time, partly filled then cancelled, modified then cancelled,
    // left open, and a sell of what was bought, on a REAL account (fills) and a paper one (no fills).
    for (const accId of [ACCOUNTS.REAL_HK, ACCOUNTS.SIM_HK]) {
      const tag = accId === ACCOUNTS.REAL_HK ? 'real' : 'paper';
      await place(accId, `${tag}-taker`, 'BUY', 300, stepTicks('HK', top().ask, 2));
      const big = await place(accId, `${tag}-big`, 'BUY', 20_000, top().ask);
      const open = await place(accId, `${tag}-open`, 'BUY', 100, stepTicks('HK', top().bid, -20));
      const modified = await place(accId, `${tag}-modified`, 'BUY', 200, stepTicks('HK', top().bid, -15));
      h.sim.advance(2_000);
      await h.nextTradeSlot();
      expect((await h.http('PATCH', `/v1/accounts/${accId}/orders/${modified.orderId}`, { body: { price: stepTicks('HK', top().bid, -12), qty: 300 } })).status).toBe(200);
      await h.nextTradeSlot();
      expect((await h.http('DELETE', `/v1/accounts/${accId}/orders/${modified.orderId}`)).status).toBe(202);
      h.sim.advance(3_000);
      if (simOrder(big).orderStatus === Trd_Common.OrderStatus.FILLED_PART) {
        await h.nextTradeSlot();
        expect((await h.http('DELETE', `/v1/accounts/${accId}/orders/${big.orderId}`)).status).toBe(202);
      }
      await place(accId, `${tag}-sell`, 'SELL', 100, stepTicks('HK', top().bid, -2));
      h.sim.advance(3_000);
      expect(simOrder(open).orderStatus).toBe(Trd_Common.OrderStatus.SUBMITTED);
    }

    const finals = new Map(placed.map((p) => [p.orderId, simOrder(p)]));
    const statuses = new Set([...finals.values()].map((o) => STATUS_NAME[o.orderStatus]));
    expect(statuses).toContain('FILLED_ALL');
    expect(statuses).toContain('CANCELLED_ALL');
    expect(statuses).toContain('SUBMITTED');
    expect([...statuses].some((s) => s === 'CANCELLED_PART' || s === 'FILLED_PART')).toBe(true);

    // Every order's final state has gone through the relay and the bus rule.
    expect(await relay.flush()).toBe(true);
    await until(
      () =>
        placed.every((p) => {
          const o = finals.get(p.orderId)!;
          return delivered.some((e) => {
            const d = e.detail as { orderId?: string; status?: string; fillQty?: number };
            return e['detail-type'] === 'Order Update' && d.orderId === p.orderId && d.status === STATUS_NAME[o.orderStatus] && d.fillQty === (o.fillQty ?? 0);
          });
        }),
      10_000,
      'final order states on the bus',
    );
    await bus.idle();
    const updates = delivered.filter((e) => e['detail-type'] === 'Order Update');
    const fills = delivered.filter((e) => e['detail-type'] === 'Order Fill');
    const simFills = h.sim.trading.fills(h.header(ACCOUNTS.REAL_HK));
    expect(fills.map((e) => (e.detail as { fillId: string }).fillId).sort()).toEqual(simFills.map((f) => f.fillID.toString()).sort());
    expect(fills.length).toBeGreaterThan(2);
    expect(updates.length).toBeGreaterThan(placed.length * 2);

    // Shuffled, every event one to three times, a few handler invocations at a time, as EventBridge may deliver.
    const copies = delivered.flatMap((e, i) => Array.from({ length: 1 + (i % 3) }, () => envelope(e)));
    const stream = shuffled(copies, 20250115);
    const outcomes = new Map<string, number>();
    for (let i = 0; i < stream.length; i += 6) {
      const batch = await Promise.all(stream.slice(i, i + 6).map((e) => h.orderEvents(e)));
      for (const { outcome } of batch) outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
    }
    expect(outcomes.get('inserted')).toBe(fills.length);
    expect(outcomes.get('duplicate')).toBe(copies.filter((e) => e['detail-type'] === 'Order Fill').length - fills.length);
    expect(outcomes.get('stale')).toBeGreaterThan(0);

    for (const p of placed) {
      const o = finals.get(p.orderId)!;
      const stored = await h.rt.orders.get(p.accId, p.orderId);
      expect(stored, `order ${p.clientOrderId}`).toMatchObject({
        accId: p.accId,
        orderId: p.orderId,
        clientOrderId: p.clientOrderId,
        code: 'HK.00700',
        status: STATUS_NAME[o.orderStatus],
        qty: o.qty,
        price: o.price,
        fillQty: o.fillQty ?? 0,
        fillAvgPrice: o.fillAvgPrice ?? 0,
        trdEnv: p.accId === ACCOUNTS.REAL_HK ? 'REAL' : 'SIMULATE',
      });
      expect(await h.rt.orders.findByClientOrderId(p.accId, p.clientOrderId)).toMatchObject({ orderId: p.orderId });
    }

    const storedFills = (await h.rt.fills.list(ACCOUNTS.REAL_HK, { limit: 1000 })).items;
    expect(storedFills.map((f) => f.fillId).sort()).toEqual(simFills.map((f) => f.fillID.toString()).sort());
    for (const p of placed.filter((x) => x.accId === ACCOUNTS.REAL_HK)) {
      const byOrder = await h.rt.fills.listByOrder(p.accId, p.orderId);
      expect(byOrder.reduce((n, f) => n + f.qty, 0), `fills of ${p.clientOrderId}`).toBe(finals.get(p.orderId)!.fillQty ?? 0);
    }
    expect((await h.rt.fills.list(ACCOUNTS.SIM_HK)).items).toEqual([]);
  });

  it('ignores event types it does not handle and rejects an Order Update without IDs', async () => {
    const base = { version: '0', id: 'e-1', source: 'opend', account: '000000000000', time: '2025-01-15T02:00:00Z', region: 'us-east-1', resources: [] };
    expect(await h.orderEvents({ ...base, 'detail-type': 'Quote', detail: { security: 'HK.00700', price: 1 } })).toEqual({ outcome: 'ignored' });
    // Refused for good (a retry cannot fix it), so reported as an outcome rather than thrown for EventBridge to retry.
    expect(await h.orderEvents({ ...base, 'detail-type': 'Order Update', detail: { status: 'SUBMITTED' } })).toEqual({ outcome: 'rejected' });
  });
});

describe('DCA strategy', () => {
  const runDate = '2025-01-15';
  const clientOrderId = 'dca-HK.00700-20250115';
  const dcaOrders = () => h.sim.trading.orders(h.header(ACCOUNTS.SIM_HK)).filter((o) => o.remark?.startsWith('oc:dca-'));

  it('plans whole lots at a valid tick at or above the ask on a dry run, and places nothing', async () => {
    const before = dcaOrders().length;
    const top = h.sim.market.top('HK.00700')!;
    const r = await h.strategyDca({ security: 'HK.00700', quantity: 250, runDate });
    expect(r).toEqual({ action: 'planned', accId: ACCOUNTS.SIM_HK, security: 'HK.00700', qty: 200, limitPrice: expect.any(Number), clientOrderId });
    expect(isOnTick('HK', r.limitPrice!)).toBe(true);
    expect(r.limitPrice).toBeGreaterThanOrEqual(top.ask);
    expect(r.limitPrice).toBeLessThan(stepTicks('HK', top.ask, 1) + 1e-9);

    const byBudget = await h.strategyDca({ security: 'HK.00700', budget: 100_000, runDate, dryRun: true });
    expect(byBudget.action).toBe('planned');
    expect(byBudget.qty! % 100).toBe(0);
    expect(byBudget.qty! * byBudget.limitPrice!).toBeLessThanOrEqual(100_000);
    expect((byBudget.qty! + 100) * byBudget.limitPrice!).toBeGreaterThan(100_000);
    expect(dcaOrders().length).toBe(before);
  });

  it('skips a run whose budget buys less than one lot', async () => {
    const r = await h.strategyDca({ security: 'HK.00700', budget: 10, runDate });
    expect(r).toMatchObject({ action: 'skipped', reason: expect.stringContaining('less than one lot') });
  });

  it('places exactly one order for a run date even when invoked twice, and one more for the next date', async () => {
    await h.nextTradeSlot();
    const input = { security: 'HK.00700', quantity: 300, runDate, dryRun: false };
    const [a, b] = await Promise.all([h.strategyDca(input), h.strategyDca(input)]);
    const again = await h.strategyDca(input);
    for (const r of [a, b, again]) expect(r).toMatchObject({ action: 'placed', accId: ACCOUNTS.SIM_HK, qty: 300, clientOrderId, response: { status: 201 } });
    expect(b.response).toEqual(a.response);
    expect(again.response).toEqual(a.response);
    const orders = dcaOrders().filter((o) => o.remark === `oc:${clientOrderId}`);
    expect(orders).toHaveLength(1);
    expect(orders[0]).toMatchObject({ qty: 300, price: a.limitPrice });
    expect((a.response!.body as { order: { orderId: string } }).order.orderId).toBe(orders[0]!.orderID.toString());

    await h.nextTradeSlot();
    const next = await h.strategyDca({ ...input, runDate: '2025-01-16' });
    expect(next).toMatchObject({ action: 'placed', clientOrderId: 'dca-HK.00700-20250116' });
    expect(dcaOrders()).toHaveLength(2);
  });
});
