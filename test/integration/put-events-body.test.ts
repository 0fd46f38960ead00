// The relay's prepared PutEvents bodies (gateway-container/relay/put-events-body.ts) against the AWS SDK's own
// serializer, both through real EventBridge clients to the local PutEvents endpoint: the bytes each client puts on
// the wire (read by a middleware after signing) are identical, the endpoint stores the same events for both, and a
// publisher on a client without the prepared-body middleware still sends the SDK's entries; Quote details written
// in one pass (detail-literals.ts) reach the bus as the same events.
import { describe, expect, it } from 'vitest';
import { EventBridgeClient, PutEventsCommand, type PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import type { BusEvent, LocalEventBridge } from '../../bin/local/eventbridge-local.js';
import { EventPublisher, relayEventBridgeClient } from '../../gateway-container/relay/publisher.js';
import { entryJson, jsonString, preparedPutEventsCommand, putEventsBody, supportsPreparedBodies } from '../../gateway-container/relay/put-events-body.js';
import { quoteDetailLiteral } from '../../gateway-container/relay/detail-literals.js';
import { quoteDetail } from '../../proto/events.js';
import { silentLogger } from '../../proto/log.js';
import { LOCAL_AWS, localEventBridgeClient, until } from '../support/local-aws.js';
import { startBus as startBusFor, teardownAfterEach } from '../support/teardown.js';

const cleanups = teardownAfterEach();

const startBus = () => startBusFor(cleanups);

/** Records the body and content-length of every request the client sends, as signed (finalizeRequest, last). */
function recordBodies(client: EventBridgeClient): { body: string; contentLength: string | undefined }[] {
  const seen: { body: string; contentLength: string | undefined }[] = [];
  client.middlewareStack.add(
    (next) => async (args) => {
      const req = args.request as { body: string | Uint8Array; headers: Record<string, string> };
      seen.push({ body: typeof req.body === 'string' ? req.body : Buffer.from(req.body.buffer, req.body.byteOffset, req.body.byteLength).toString('utf8'), contentLength: req.headers['content-length'] });
      return next(args);
    },
    { step: 'finalizeRequest', priority: 'low', name: 'testRecordBody' },
  );
  return seen;
}

// Details as the relay makes them (JSON.stringify of event details) with everything a string may hold that JSON
// escapes or that is not ASCII: quotes, backslashes, control characters, U+2028, CJK names, an emoji.
const DETAILS = [
  { security: 'HK.00700', name: '騰訊控股', price: 380.2, volume: 12_345_678, gatewayTime: '2026-12-01T02:00:00.123Z' },
  { security: 'US.AAPL', name: 'Apple "Inc" \\ back\\slash', note: 'tab\there\nnew line\r\u0001\u001f\u2028\u2029 end', price: 0.1 + 0.2 },
  { security: 'SH.600519', name: '贵州茅台 🚀', changeRate: -1.2345, isSuspended: false, updateTimestamp: 1_764_554_400.5 },
];
const TIMES = [1_764_554_400_123, 1_764_554_400_001, 1_764_554_401_000];

describe('prepared PutEvents bodies', () => {
  it('are byte for byte the bodies the SDK serializes for the same entries, and the endpoint stores the same events', async () => {
    const bus = await startBus();
    const sdk = localEventBridgeClient(bus.endpoint);
    const sdkBodies = recordBodies(sdk);
    const relay = relayEventBridgeClient({ ...LOCAL_AWS, endpoint: bus.endpoint });
    const relayBodies = recordBodies(relay);
    expect(supportsPreparedBodies(relay)).toBe(true);
    expect(supportsPreparedBodies(sdk)).toBe(false);

    const entries: PutEventsRequestEntry[] = DETAILS.map((d, i) => ({ Time: new Date(TIMES[i]!), Source: 'opend', DetailType: i === 1 ? 'Order Update' : 'Quote', Detail: JSON.stringify(d), EventBusName: 'opend-test' }));
    const a = await sdk.send(new PutEventsCommand({ Entries: entries }));
    const prepared = entries.map((e, i) => entryJson(TIMES[i]!, jsonString('opend'), jsonString(e.DetailType!), e.Detail!, jsonString('opend-test')));
    const b = await relay.send(preparedPutEventsCommand(putEventsBody(prepared)));

    expect(a.FailedEntryCount).toBe(0);
    expect(b.FailedEntryCount).toBe(0);
    expect(b.Entries).toHaveLength(3);
    expect(relayBodies).toHaveLength(1);
    expect(relayBodies[0]!.body).toBe(sdkBodies[0]!.body);
    expect(relayBodies[0]!.contentLength).toBe(sdkBodies[0]!.contentLength);
    expect(Number(relayBodies[0]!.contentLength)).toBe(Buffer.byteLength(relayBodies[0]!.body));

    await until(() => bus.events.length === 6, 10_000, 'six stored events');
    const strip = (e: BusEvent) => ({ detailType: e['detail-type'], source: e.source, time: e.time, detail: e.detail, bus: e.eventBusName });
    expect(bus.events.slice(3).map(strip)).toEqual(bus.events.slice(0, 3).map(strip));
    expect(bus.events.slice(3).map((e) => e.detail)).toEqual(DETAILS);
  });

  it('a publisher sends the same events through a client with prepared bodies and through a plain SDK client', async () => {
    const bus = await startBus();
    const publish = async (client: EventBridgeClient, source: string) => {
      const p = new EventPublisher({ client, eventBusName: 'opend-test', source, logger: silentLogger });
      cleanups.push(() => p.close(200));
      DETAILS.forEach((d, i) => p.publish({ detailType: 'Quote', detail: d, time: new Date(TIMES[i]!) }));
      expect(await p.drain(10_000)).toBe(true);
      expect(p.metrics.eventsOut).toBe(DETAILS.length);
    };
    await publish(relayEventBridgeClient({ ...LOCAL_AWS, endpoint: bus.endpoint }), 'prepared');
    await publish(localEventBridgeClient(bus.endpoint), 'sdk');
    const of = (source: string) => bus.events.filter((e) => e.source === source).map((e) => ({ time: e.time, detail: e.detail, detailType: e['detail-type'] }));
    expect(of('prepared')).toHaveLength(3);
    expect(of('prepared')).toEqual(of('sdk'));
  });

  it('a publisher writes Quote details with their one-pass literal and the bus stores the same events as from the SDK client', async () => {
    const bus = await startBus();
    const quotes = ['騰訊控股', 'Apple "Inc" \\ x', undefined].map((name, i) =>
      quoteDetail({ security: { market: 1, code: `0070${i}` }, isSuspended: false, listTime: '', priceSpread: 0.2, updateTime: '2026-12-01 10:00:00', highPrice: 390.4, openPrice: 379.2, lowPrice: 377, curPrice: 380 + i / 5, lastClosePrice: 378, volume: 12_345_678n, turnover: 4_567_890_123.5, turnoverRate: 0.12, amplitude: 1.23, updateTimestamp: 1_764_554_400, name }, '2026-12-01T02:00:00.123Z'),
    );
    const publish = async (client: EventBridgeClient, source: string) => {
      const p = new EventPublisher({ client, eventBusName: 'opend-test', source, logger: silentLogger });
      cleanups.push(() => p.close(200));
      quotes.forEach((d, i) => p.publish({ detailType: 'Quote', detail: d, time: new Date(TIMES[i]!), detailLiteral: quoteDetailLiteral }));
      expect(await p.drain(10_000)).toBe(true);
      expect(p.metrics.eventsOut).toBe(quotes.length);
    };
    await publish(relayEventBridgeClient({ ...LOCAL_AWS, endpoint: bus.endpoint }), 'prepared');
    await publish(localEventBridgeClient(bus.endpoint), 'sdk');
    const of = (source: string) => bus.events.filter((e) => e.source === source).map((e) => ({ time: e.time, detail: e.detail, detailType: e['detail-type'] }));
    expect(of('prepared')).toHaveLength(3);
    expect(of('prepared')).toEqual(of('sdk'));
    expect(of('prepared').map((e) => e.detail)).toEqual(quotes.map((d) => JSON.parse(JSON.stringify(d))));
  });
});
