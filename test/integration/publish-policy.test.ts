// The publish policy in the real relay: the simulator pushes quotes far faster than the configured rate, the
// relay publishes through the real EventBridge client to the local PutEvents endpoint, and orders placed in the
// middle of the burst must all reach the bus unthrottled.
import { describe, expect, it } from 'vitest';
import { startLocalEventBridge, type LocalEventBridge } from '../../bin/local/eventbridge-local.js';
import { metricsOf } from '../../gateway-container/relay/http.js';
import { Relay } from '../../gateway-container/relay/relay.js';
import { DEFAULT_PUBLISH_POLICY } from '../../gateway-container/publish-policy-schema.js';
import { startSimulator } from '../../gateway-container/simulator/index.js';
import { generateRsaKeyPem } from '../../proto/crypto.js';
import type * as Trd_Common from '../../proto/generated/Trd_Common.js';
import { stepTicks } from '../../proto/ticks.js';
import { until } from '../support/local-aws.js';
import { testRelayOptions } from '../support/test-relay.js';
import { RICH_ACCOUNTS, SIM_START } from '../support/functions-harness.js';
import { teardownAfterEach } from '../support/teardown.js';

const KEY = generateRsaKeyPem();
const SIM_HK: Trd_Common.TrdHeader = { trdEnv: 0, accID: 281756480572583411n, trdMarket: 1 };

const cleanups = teardownAfterEach();

const byType = (bus: LocalEventBridge, t: string) => bus.events.filter((e) => e['detail-type'] === t);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('publish policy', () => {
  it('limits a Quote burst to the configured rate per security and never throttles order events', async () => {
    // A trade every 50 virtual ms: each advance of one virtual second pushes about 20 quotes per security.
    const sim = await startSimulator({ port: 0, clock: { manual: true, start: SIM_START }, rsaPrivateKey: KEY, seed: 5, accounts: RICH_ACCOUNTS, tickIntervalMs: 50, idleTimeoutMs: 3_600_000 });
    cleanups.push(() => sim.close());
    const bus = await startLocalEventBridge();
    cleanups.push(() => bus.close());
    const RATE = 2;
    const relay = new Relay(
      testRelayOptions({ host: sim.host, port: sim.port, rsaPrivateKey: KEY }, bus.endpoint, {
        subscriptions: [{ codes: ['HK.00700', 'HK.09988'], types: ['BASIC'] }],
        publishPolicy: { ...DEFAULT_PUBLISH_POLICY, Quote: { enabled: true, maxPerSecurityPerSecond: RATE } },
      }),
    );
    cleanups.push(() => relay.stop());
    await relay.start();
    await until(() => relay.health().ready, 20_000, 'relay ready');
    await relay.flush();
    const quotesBefore = byType(bus, 'Quote').length;
    const pushesBefore = relay.metrics.pushesByProto['3005'] ?? 0;

    const started = Date.now();
    const orderIds: string[] = [];
    for (let step = 0; step < 30; step++) {
      sim.advance(1_000);
      if (step % 3 === 0) {
        const top = sim.market.top('HK.00700')!;
        const r = sim.trading.placeOrder({ packetID: { connID: 0n, serialNo: 0 }, header: SIM_HK, trdSide: 1, orderType: 1, code: '00700', secMarket: 1, qty: 100, price: stepTicks('HK', top.bid, -5), remark: `burst-${step}` });
        orderIds.push(String((r as { orderID: bigint }).orderID));
      }
      await sleep(50);
    }
    await until(() => orderIds.every((id) => byType(bus, 'Order Update').some((e) => String((e.detail as { orderId: unknown }).orderId) === id)), 10_000, 'every order on the bus');
    // Whatever is still held leaves within one window.
    await sleep(1_000 / RATE + 100);
    await relay.flush();
    const elapsedS = (Date.now() - started) / 1000;

    const pushes = (relay.metrics.pushesByProto['3005'] ?? 0) - pushesBefore;
    const quotes = byType(bus, 'Quote').slice(quotesBefore);
    expect(pushes).toBeGreaterThan(300);
    for (const security of ['HK.00700', 'HK.09988']) {
      const n = quotes.filter((e) => (e.detail as { security: string }).security === security).length;
      expect(n, security).toBeGreaterThanOrEqual(2);
      // At most one per window, plus the first of the burst.
      expect(n, security).toBeLessThanOrEqual(Math.ceil(elapsedS * RATE) + 1);
    }
    expect(relay.publisher.policyMetrics.conflated['Quote']).toBeGreaterThan(200);
    // The last quote on the bus is the latest value OpenD pushed: conflation keeps the newest.
    const lastTencent = quotes.filter((e) => (e.detail as { security: string }).security === 'HK.00700').at(-1)!;
    expect((lastTencent.detail as { price: number }).price).toBe(sim.market.top('HK.00700')!.last);

    // Order events: one per order and status change, none merged or dropped.
    const orderEvents = byType(bus, 'Order Update');
    expect(new Set(orderEvents.map((e) => String((e.detail as { orderId: unknown }).orderId))).size).toBeGreaterThanOrEqual(orderIds.length);
    expect(relay.publisher.policyMetrics.conflated['Order Update']).toBeUndefined();

    const m = metricsOf(relay);
    expect(m.eventsOutByType['Quote']).toBe(byType(bus, 'Quote').length);
    expect(m.eventsOutByType['Order Update']).toBe(orderEvents.length);
    expect(Object.keys(m.eventsPerSecondByType)).toEqual(expect.arrayContaining(['Quote']));
    expect(m.eventsPerSecondByType['Quote']).toBeGreaterThan(0);
    expect(m.eventsPerSecondByType['Quote']).toBeLessThanOrEqual(2 * RATE + 0.5);
  }, 60_000);
});
