// When the relay's publisher sends, against the local PutEvents endpoint through the real EventBridge client:
// a whole batch leaves without waiting out the linger, an event published while refused order events wait for
// their long retry is not held behind that wait, a detail that still holds a bigint is published with it as a
// decimal string, and a backlog of many orders' events leaves in full batches with each order's events in order.
import { describe, expect, it } from 'vitest';
import type { LocalEventBridge } from '../../bin/local/eventbridge-local.js';
import { EventPublisher, relayEventBridgeClient, type PublisherOptions } from '../../gateway-container/relay/publisher.js';
import { silentLogger } from '../../proto/log.js';
import { LOCAL_AWS, until } from '../support/local-aws.js';
import { startBus as startBusFor, teardownAfterEach } from '../support/teardown.js';

const cleanups = teardownAfterEach();

const startBus = () => startBusFor(cleanups);

function newPublisher(bus: LocalEventBridge, opts: Partial<PublisherOptions> = {}): EventPublisher {
  const publisher = new EventPublisher({
    client: relayEventBridgeClient({ ...LOCAL_AWS, endpoint: bus.endpoint }),
    eventBusName: 'opend-test',
    source: 'opend',
    logger: silentLogger,
    ...opts,
  });
  cleanups.push(() => publisher.close(200));
  return publisher;
}

const quote = (security: string, price: number) => ({ detailType: 'Quote', detail: { security, price }, coalesceKey: `Quote|${security}` });

describe('relay publisher scheduling', () => {
  it('sends a whole batch of 10 at once and holds an 11th event for the linger', async () => {
    const bus = await startBus();
    const publisher = newPublisher(bus, { lingerMs: 60_000 });
    for (let i = 0; i < 11; i++) publisher.publish(quote(`HK.0070${i % 10}`, 380 + i));
    await until(() => bus.events.length === 10, 20_000, 'the full batch accepted');
    expect(bus.calls).toHaveLength(1);
    expect(bus.calls[0]!.entries).toBe(10);
    // The 11th is alone: it waits for more events or the (here one-minute) linger.
    expect(publisher.metrics.queueDepth).toBe(1);
    expect(await publisher.drain(20_000)).toBe(true);
    expect(bus.events).toHaveLength(11);
  });

  it('does not hold new events behind the 5-minute wait of order events refused with AccessDeniedException', async () => {
    const bus = await startBus();
    bus.setFaults({ entryErrorCode: 'AccessDeniedException', entryErrorDetailTypes: ['Order Update'] });
    const publisher = newPublisher(bus, { lingerMs: 5, rejectedRetryMs: 300_000 });
    publisher.publish({ detailType: 'Order Update', detail: { accId: '1', orderId: '7', status: 'SUBMITTED' }, orderingKey: 'Order|1|7' });
    await until(() => publisher.metrics.rejectedEntries === 1, 20_000, 'the order event refused');
    publisher.publish(quote('HK.00700', 381.2));
    publisher.publish({ detailType: 'Order Update', detail: { accId: '1', orderId: '8', status: 'SUBMITTED' }, orderingKey: 'Order|1|8' });
    await until(() => bus.events.some((e) => e['detail-type'] === 'Quote'), 20_000, 'the quote accepted while the refused order event waits');
    await until(() => publisher.metrics.rejectedEntries === 2, 20_000, 'the second order event offered (and refused) at once too');
    // Both refused order events are kept for their retry, none dropped.
    expect(publisher.metrics).toMatchObject({ dropped: 0, queueDepth: 2 });
  });

  it('publishes a bigint left in a detail as a decimal string', async () => {
    const bus = await startBus();
    const publisher = newPublisher(bus, { lingerMs: 5 });
    publisher.publish({ detailType: 'Gateway Notice', detail: { notifyType: 'TEST', id: 2n ** 63n + 5n, nested: [{ v: 1n }] } });
    await until(() => bus.events.length === 1, 20_000, 'the notice accepted');
    expect(bus.events[0]!.detail).toEqual({ notifyType: 'TEST', id: '9223372036854775813', nested: [{ v: '1' }] });
  });

  it('sends a backlog of 50 orders × 20 updates in (nearly) full batches, each order\'s updates in publish order', async () => {
    const bus = await startBus();
    const publisher = newPublisher(bus, { lingerMs: 5, maxInFlight: 4 });
    for (let step = 0; step < 20; step++) {
      for (let o = 0; o < 50; o++) publisher.publish({ detailType: 'Order Update', detail: { accId: '1', orderId: String(o), step }, orderingKey: `Order|1|${o}` });
    }
    expect(await publisher.drain(60_000)).toBe(true);
    expect(bus.events).toHaveLength(1000);
    const seen = new Map<string, number[]>();
    for (const e of bus.events) {
      const d = e.detail as { orderId: string; step: number };
      seen.set(d.orderId, [...(seen.get(d.orderId) ?? []), d.step]);
    }
    for (const steps of seen.values()) expect(steps).toEqual(Array.from({ length: 20 }, (_, i) => i));
    // One entry per order per call with 50 orders waiting: the calls are (nearly all) full ones.
    expect(bus.calls.length).toBeLessThanOrEqual(110);
    expect(Math.max(...bus.calls.map((c) => c.entries))).toBe(10);
  });
});
