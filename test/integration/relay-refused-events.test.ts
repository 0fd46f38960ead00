// The relay's publisher against a local PutEvents endpoint that refuses events for reasons a retry cannot fix
// (EventBridge's non-retryable codes), through the real EventBridge client: one retry layer, refused trade
// events kept and offered again only after a long pause, refused quote events dropped, everything counted.
import { PutEventsCommand, EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { describe, expect, it } from 'vitest';
import type { LocalEventBridge } from '../../bin/local/eventbridge-local.js';
import { EventPublisher, relayEventBridgeClient, type PublisherOptions } from '../../gateway-container/relay/publisher.js';
import type { Logger } from '../../proto/log.js';
import { LOCAL_AWS, until } from '../support/local-aws.js';
import { startBus as startBusFor, teardownAfterEach } from '../support/teardown.js';

const cleanups = teardownAfterEach();

const startBus = () => startBusFor(cleanups);

function recordingLogger() {
  const errors: { msg: string; fields?: Record<string, unknown> }[] = [];
  const logger: Logger = { debug() {}, info() {}, warn() {}, error: (msg, fields) => void errors.push({ msg, fields }) };
  return { logger, errors };
}

function newPublisher(bus: LocalEventBridge, logger: Logger, opts: Partial<PublisherOptions> = {}): EventPublisher {
  const publisher = new EventPublisher({
    client: relayEventBridgeClient({ ...LOCAL_AWS, endpoint: bus.endpoint }),
    eventBusName: 'opend-test',
    source: 'opend',
    lingerMs: 5,
    retryBaseMs: 10,
    retryMaxMs: 50,
    logger,
    ...opts,
  });
  cleanups.push(() => publisher.close(200));
  return publisher;
}

const orderUpdate = (orderId: string, status: string) => ({
  detailType: 'Order Update',
  detail: { accId: '281756480572583411', orderId, status },
  orderingKey: `Order|281756480572583411|${orderId}`,
});

describe('relay EventBridge client', () => {
  it('makes one attempt per call, so the publisher is the only retry layer', async () => {
    const bus = await startBus();
    bus.setFaults({ callError: { type: 'InternalException', status: 500 } });
    const entry = { Source: 'opend', DetailType: 'Quote', Detail: '{}', EventBusName: 'opend-test' };

    await expect(relayEventBridgeClient({ ...LOCAL_AWS, endpoint: bus.endpoint }).send(new PutEventsCommand({ Entries: [entry] }))).rejects.toMatchObject({ name: 'InternalException' });
    expect(bus.calls).toHaveLength(1);

    // What the relay used to do: the SDK's own retries (3 attempts by default) underneath the publisher's.
    await expect(new EventBridgeClient({ ...LOCAL_AWS, endpoint: bus.endpoint }).send(new PutEventsCommand({ Entries: [entry] }))).rejects.toMatchObject({ name: 'InternalException' });
    expect(bus.calls.length - 1).toBeGreaterThan(1);
  });
});

describe('events EventBridge refuses for good', () => {
  it('keeps trade events refused with AccessDeniedException, offers them again only after rejectedRetryMs, and delivers them once allowed', async () => {
    const bus = await startBus();
    const { logger, errors } = recordingLogger();
    bus.setFaults({ entryErrorCode: 'AccessDeniedException', entryErrorDetailTypes: ['Order Update'] });
    const publisher = newPublisher(bus, logger, { rejectedRetryMs: 6_000 });
    const delivered: string[] = [];
    for (const [id, status] of [['1', 'SUBMITTED'], ['2', 'SUBMITTED'], ['1', 'FILLED_ALL']] as const) {
      publisher.publish({ ...orderUpdate(id, status), onDelivered: () => delivered.push(`${id}:${status}`) });
    }

    await until(() => publisher.metrics.rejectedEntries >= 2, 20_000, 'the first order events refused');
    const callsAfterRefusal = bus.calls.length;
    // A quote published after the refusal goes straight through while the refused trade events wait: the
    // publisher does not spin on them (the retryable path would have retried every 10–50 ms meanwhile).
    publisher.publish({ detailType: 'Quote', detail: { code: 'HK.00700' }, coalesceKey: 'Quote|HK.00700' });
    await until(() => bus.events.some((e) => e['detail-type'] === 'Quote'), 20_000, 'the quote delivered');
    expect(bus.calls.length).toBe(callsAfterRefusal + 1);
    expect(publisher.metrics.dropped).toBe(0);
    expect(publisher.metrics.queueDepth).toBeGreaterThanOrEqual(2);
    expect(delivered).toEqual([]);
    expect(errors[0]).toMatchObject({ fields: { errorCodes: ['AccessDeniedException'], keptForRetry: 2, retryInMs: 6_000, droppedQuoteEvents: 0, detailTypes: ['Order Update'] } });
    expect(errors[0]!.msg).toMatch(/retrying cannot fix/);

    // The operator fixes the policy: the kept events arrive on their own, each order's events in order.
    bus.setFaults({});
    await until(() => delivered.length === 3, 30_000, 'the kept order events delivered');
    const statuses = bus.events.filter((e) => e['detail-type'] === 'Order Update').map((e) => (e.detail as { orderId: string; status: string }));
    expect(statuses.filter((d) => d.orderId === '1').map((d) => d.status)).toEqual(['SUBMITTED', 'FILLED_ALL']);
    expect(publisher.metrics).toMatchObject({ rejectedEntries: 2, dropped: 0, eventsOut: 4 });
    // Refused once, then accepted: nothing in between hammered the bus with the refused entries.
    expect(bus.calls.filter((c) => c.failedEntries > 0)).toHaveLength(1);
  });

  it('drops quote events refused as InvalidArgument and counts them, so they never block the queue', async () => {
    const bus = await startBus();
    const { logger, errors } = recordingLogger();
    bus.setFaults({ entryErrorCode: 'InvalidArgument' });
    const publisher = newPublisher(bus, logger);
    publisher.publish({ detailType: 'Quote', detail: { code: 'HK.00700' }, coalesceKey: 'Quote|HK.00700' });

    await until(() => publisher.metrics.rejectedEntries === 1, 20_000, 'the quote refused');
    expect(publisher.metrics).toMatchObject({ dropped: 1, failedEntries: 1, queueDepth: 0, eventsOut: 0 });
    expect(await publisher.drain(5_000)).toBe(true);
    expect(bus.calls).toHaveLength(1);
    expect(errors[0]?.fields).toMatchObject({ errorCodes: ['InvalidArgument'], keptForRetry: 0, droppedQuoteEvents: 1 });
  });

  it('keeps trade events when the whole call is refused because the bus does not exist (ResourceNotFoundException)', async () => {
    const bus = await startBus();
    const { logger, errors } = recordingLogger();
    bus.setFaults({ callError: { type: 'ResourceNotFoundException', status: 400, message: 'Event bus opend-test does not exist.' } });
    const publisher = newPublisher(bus, logger, { rejectedRetryMs: 60_000 });
    publisher.publish(orderUpdate('7', 'SUBMITTED'));

    await until(() => publisher.metrics.rejectedEntries === 1, 20_000, 'the call refused');
    expect(publisher.metrics).toMatchObject({ dropped: 0, queueDepth: 1, retries: 1, eventsOut: 0 });
    expect(errors[0]?.fields).toMatchObject({ errorCodes: ['ResourceNotFoundException'], keptForRetry: 1 });
    // Still waiting for its long retry: a drain gives up rather than seeing the event go out.
    expect(await publisher.drain(300)).toBe(false);
    expect(bus.calls).toHaveLength(1);
  });
});
