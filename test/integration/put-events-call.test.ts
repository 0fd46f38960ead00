// The relay's lean PutEvents call (gateway-container/relay/put-events-call.ts) against the SDK's own `client.send`
// on the same relay client: the signed request is the same request (every header in the same order, the
// Authorization header itself, the body), the local PutEvents endpoint stores the same events, its error answers
// come out with the SDK's names, classes, messages and statuses, a refused connection propagates as the handler's
// own error, and an answer's date moves the signing clock as the SDK's signer does. Two cases need answers no
// local endpoint gives (a request recorded without a network, a non-JSON or clock-skew error): there a recording
// handler stands in for the transport, and the test names say so.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { EventBridgeClient, PutEventsCommand, type EventBridgeClientConfig } from '@aws-sdk/client-eventbridge';
import type { BusEvent, FaultOptions } from '../../bin/local/eventbridge-local.js';
import { EventPublisher, relayEventBridgeClient } from '../../gateway-container/relay/publisher.js';
import { capturedPutEvents, entryJson, installPreparedBodies, jsonString, preparedPutEventsCommand, putEventsBody } from '../../gateway-container/relay/put-events-body.js';
import { putEventsCall } from '../../gateway-container/relay/put-events-call.js';
import { silentLogger } from '../../proto/log.js';
import { LOCAL_AWS, localEventBridgeClient, until } from '../support/local-aws.js';
import { startBus as startBusFor, teardownAfterEach } from '../support/teardown.js';

const cleanups = teardownAfterEach();
const startBus = () => startBusFor(cleanups);

afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

const TIMES = [1_764_554_400_123, 1_764_554_400_001, 1_764_554_401_000];
const DETAILS = [
  { security: 'HK.00700', name: '騰訊控股', price: 380.2, volume: 12_345_678 },
  { security: 'US.AAPL', name: 'Apple "Inc" \\ x', note: 'tab\there\u2028', price: 0.1 + 0.2 },
  { security: 'SH.600519', name: '贵州茅台 🚀', changeRate: -1.2345 },
];
const body = (source = 'opend') => putEventsBody(DETAILS.map((d, i) => entryJson(TIMES[i]!, jsonString(source), jsonString('Quote'), JSON.stringify(d), jsonString('opend-test'))));

interface Recorded {
  method: string;
  url: string;
  headers: [string, string][];
  body: string;
}

interface Answer {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
}

const OK: Answer = { statusCode: 200, headers: { 'content-type': 'application/x-amz-json-1.1' }, body: '{"FailedEntryCount":0,"Entries":[{"EventId":"a"},{"EventId":"b"},{"EventId":"c"}]}' };

/** A request handler that records each request as handed to the transport and answers with `answer(n)`. */
function recordingHandler(answer: (n: number) => Answer = () => OK): { config: EventBridgeClientConfig; seen: Recorded[] } {
  const seen: Recorded[] = [];
  const handler = {
    metadata: { handlerProtocol: 'recording' },
    async handle(req: { method: string; protocol: string; hostname: string; port?: number; path: string; headers: Record<string, string>; body: string | Uint8Array }) {
      const text = typeof req.body === 'string' ? req.body : Buffer.from(req.body).toString('utf8');
      seen.push({ method: req.method, url: `${req.protocol}//${req.hostname}${req.port ? `:${req.port}` : ''}${req.path}`, headers: Object.entries(req.headers), body: text });
      const a = answer(seen.length);
      return { response: { statusCode: a.statusCode, reason: '', headers: a.headers, body: new TextEncoder().encode(a.body) } };
    },
    updateHttpClientConfig() {},
    httpHandlerConfigs() {
      return {};
    },
    destroy() {},
  };
  return { config: { region: 'eu-west-1', endpoint: 'https://events.eu-west-1.amazonaws.com', requestHandler: handler as unknown as EventBridgeClientConfig['requestHandler'] }, seen };
}

/** A relay client on a fresh local endpoint, and its call after the first (recorded) call: lean from then on. */
async function leanCallOnBus() {
  const bus = await startBus();
  const client = relayEventBridgeClient({ ...LOCAL_AWS, endpoint: bus.endpoint });
  const call = putEventsCall(client);
  await call.send(body());
  expect(call.lean).toBe(true);
  return { bus, client, call };
}

/** The error a promise rejects with, as the fields the publisher and a caller read. */
async function failure(p: Promise<unknown>) {
  const err = (await p.then(
    () => {
      throw new Error('expected the call to fail');
    },
    (e: unknown) => e,
  )) as { name: string; message: string; $fault?: string; $metadata?: { httpStatusCode?: number }; code?: string; constructor: { name: string } };
  return { name: err.name, message: err.message, fault: err.$fault, status: err.$metadata?.httpStatusCode, cls: err.constructor.name, code: err.code };
}

describe('the lean PutEvents call', () => {
  for (const sessionToken of [undefined, 'session-token/with+chars=']) {
    it(`signs the same request as client.send for the same body, credentials, invocation id and date (recording handler, a fault-free stand-in for the transport)${sessionToken ? ', with a session token' : ''}`, async () => {
      vi.useFakeTimers({ toFake: ['Date'] });
      vi.setSystemTime(new Date('2026-12-01T10:20:30.456Z'));
      vi.spyOn(globalThis.crypto, 'randomUUID').mockReturnValue('0f2c6a3e-7d1b-4c5e-9a8f-112233445566');
      const rec = recordingHandler();
      const client = relayEventBridgeClient({ ...rec.config, credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY', sessionToken } });
      const call = putEventsCall(client);
      expect(call.lean).toBe(false);
      await call.send(body()); // the first call: client.send, recorded
      expect(call.lean).toBe(true);
      expect(call.unsupported).toBeUndefined();
      const lean = await call.send(body());
      expect(lean.Entries?.map((e) => e.EventId)).toEqual(['a', 'b', 'c']);
      expect(lean.$metadata.httpStatusCode).toBe(200);
      const sdk = await client.send(preparedPutEventsCommand(body()));
      expect(sdk.Entries).toEqual(lean.Entries);

      expect(rec.seen).toHaveLength(3);
      const [first, viaLean, viaSdk] = rec.seen as [Recorded, Recorded, Recorded];
      expect(viaLean).toEqual(viaSdk); // method, URL, every header in order (Authorization too), body
      expect(viaLean).toEqual(first);
      const headers = new Map(viaLean.headers);
      expect(headers.get('authorization')).toMatch(/^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/20261201\/eu-west-1\/events\/aws4_request, SignedHeaders=.*amz-sdk-invocation-id.*, Signature=[0-9a-f]{64}$/);
      expect(headers.get('x-amz-date')).toBe('20261201T102030Z');
      expect(headers.get('x-amz-security-token')).toBe(sessionToken);
      if (sessionToken) expect(headers.get('authorization')).toContain('x-amz-security-token');
      expect(headers.get('content-length')).toBe(String(Buffer.byteLength(viaLean.body)));
      expect(headers.get('amz-sdk-request')).toBe('attempt=1; max=1');
      expect(viaLean.url).toBe('https://events.eu-west-1.amazonaws.com/');
      expect(viaLean.body).toBe(body());
    });
  }

  it('sends a fresh invocation id and the body\'s own content-length on every call (recording handler, a fault-free stand-in for the transport)', async () => {
    const rec = recordingHandler();
    const call = putEventsCall(relayEventBridgeClient({ ...rec.config, credentials: LOCAL_AWS.credentials }));
    const bodies = [body(), body('é'.repeat(50)), body('x')];
    for (const b of bodies) await call.send(b);
    expect(call.lean).toBe(true);
    const ids = rec.seen.map((r) => new Map(r.headers).get('amz-sdk-invocation-id'));
    expect(new Set(ids).size).toBe(3);
    expect(rec.seen.map((r) => new Map(r.headers).get('content-length'))).toEqual(bodies.map((b) => String(Buffer.byteLength(b))));
    expect(rec.seen.map((r) => r.body)).toEqual(bodies);
  });

  it('a client whose request the record cannot reproduce (three attempts per call) keeps every call on client.send (recording handler, a fault-free stand-in for the transport)', async () => {
    const rec = recordingHandler();
    const client = new EventBridgeClient({ ...rec.config, credentials: LOCAL_AWS.credentials, maxAttempts: 3 });
    installPreparedBodies(client);
    const call = putEventsCall(client);
    await call.send(body());
    await call.send(body());
    expect(call.lean).toBe(false);
    expect(call.unsupported).toMatch(/amz-sdk-request attempt=1; max=3/);
    expect(rec.seen.map((r) => new Map(r.headers).get('amz-sdk-request'))).toEqual(['attempt=1; max=3', 'attempt=1; max=3']);
    expect(rec.seen.map((r) => r.body)).toEqual([body(), body()]);
  });

  it('through the local endpoint: the bus stores the same events from lean calls as from the SDK client', async () => {
    const bus = await startBus();
    const client = relayEventBridgeClient({ ...LOCAL_AWS, endpoint: bus.endpoint });
    const call = putEventsCall(client);
    expect((await call.send(body('first'))).FailedEntryCount).toBe(0);
    expect(call.lean).toBe(true);
    expect(capturedPutEvents(client)?.hostname).toBe('127.0.0.1');
    const lean = await call.send(body('lean'));
    expect(lean.FailedEntryCount).toBe(0);
    expect(lean.Entries).toHaveLength(3);
    expect(lean.Entries!.every((e) => typeof e.EventId === 'string' && e.ErrorCode === undefined)).toBe(true);
    // The SDK's own serializer, from the same entries.
    await localEventBridgeClient(bus.endpoint).send(new PutEventsCommand({ Entries: DETAILS.map((d, i) => ({ Time: new Date(TIMES[i]!), Source: 'sdk', DetailType: 'Quote', Detail: JSON.stringify(d), EventBusName: 'opend-test' })) }));
    await until(() => bus.events.length === 9, 10_000, 'nine stored events');
    const of = (source: string) => bus.events.filter((e: BusEvent) => e.source === source).map((e) => ({ time: e.time, detail: e.detail, detailType: e['detail-type'], bus: e.eventBusName }));
    expect(of('lean')).toHaveLength(3);
    expect(of('lean')).toEqual(of('sdk'));
    expect(of('lean').map((e) => e.detail)).toEqual(DETAILS);
  });

  it('through the local endpoint: error answers come out with the SDK\'s names, classes, messages, faults and statuses', async () => {
    const { bus, client, call } = await leanCallOnBus();
    const faults: FaultOptions[] = [
      { throttleRate: 1 },
      { callError: { type: 'ThrottlingException', status: 429, message: 'Rate exceeded' } },
      { callError: { type: 'AccessDeniedException', status: 400, message: 'not authorized to perform events:PutEvents' } },
      { callError: { type: 'ValidationException', status: 400 } },
      { callError: { type: 'ResourceNotFoundException', status: 400, message: 'Event bus opend-test does not exist.' } },
      { callError: { type: 'InternalException', status: 500 } },
      { callError: { type: 'com.amazonaws.events#ServiceUnavailable:http://internal.amazon.com/', status: 503 } },
    ];
    for (const f of faults) {
      bus.setFaults(f);
      const lean = await failure(call.send(body()));
      const sdk = await failure(client.send(preparedPutEventsCommand(body())));
      expect(lean, JSON.stringify(f)).toEqual(sdk);
      expect(lean.status).toBe(f.throttleRate ? 400 : f.callError!.status);
    }
    bus.setFaults({ entryFailureRate: 1 });
    const partial = await call.send(body());
    expect(partial.FailedEntryCount).toBe(3);
    expect(partial.Entries!.map((e) => e.ErrorCode).every((c) => c === 'InternalFailure' || c === 'ThrottlingException')).toBe(true);
    expect(partial.Entries!.every((e) => typeof e.ErrorMessage === 'string')).toBe(true);
  });

  it('a network error propagates as the request handler\'s own error, as from client.send (a real closed endpoint)', async () => {
    const { bus, client, call } = await leanCallOnBus();
    await bus.close();
    // The pooled keep-alive socket was closed under the call (ECONNRESET), or a new one refused (ECONNREFUSED).
    const lean = await failure(call.send(body()));
    const sdk = await failure(client.send(preparedPutEventsCommand(body())));
    for (const e of [lean, sdk]) {
      expect(['ECONNRESET', 'ECONNREFUSED', 'EPIPE']).toContain(e.code);
      expect(e.cls).toBe('Error');
      expect(e.fault).toBeUndefined();
    }
  });

  it('errors no local endpoint answers (injected: a non-JSON 502 page, a bare 503 with x-amzn-errortype) come out as from client.send', async () => {
    const answers: Answer[] = [
      { statusCode: 502, headers: { 'content-type': 'text/html' }, body: '<html><body>Bad Gateway</body></html>' },
      { statusCode: 503, headers: { 'x-amzn-errortype': 'ServiceUnavailableException:http://internal/' }, body: '' },
      { statusCode: 400, headers: { 'content-type': 'application/x-amz-json-1.1' }, body: '{"Code":"ThrottlingException","Message":"Rate exceeded"}' },
    ];
    let next: Answer = OK;
    const rec = recordingHandler(() => next);
    const client = relayEventBridgeClient({ ...rec.config, credentials: LOCAL_AWS.credentials });
    const call = putEventsCall(client);
    await call.send(body());
    for (const a of answers) {
      next = a;
      const lean = await failure(call.send(body()));
      const sdk = await failure(client.send(preparedPutEventsCommand(body())));
      expect(lean, a.body).toEqual(sdk);
      expect(lean.status).toBe(a.statusCode);
    }
  });

  it('an answer\'s date moves the signing clock as the SDK does: a clock-skew error corrects the next call\'s signing date (injected InvalidSignatureException answer)', async () => {
    const ahead = 3_600_000;
    const skewed = (): Answer => ({ statusCode: 400, headers: { 'content-type': 'application/x-amz-json-1.1', date: new Date(Date.now() + ahead).toUTCString() }, body: '{"__type":"InvalidSignatureException","message":"Signature expired: 20261201T102030Z is now earlier than 20261201T112030Z (20261201T113030Z - 5 min.)"}' });
    const run = async (lean: boolean) => {
      let n = 0;
      const rec = recordingHandler(() => (++n === 2 ? skewed() : OK));
      const client = relayEventBridgeClient({ ...rec.config, credentials: LOCAL_AWS.credentials });
      const call = putEventsCall(client);
      const send = () => (lean ? call.send(body()) : client.send(preparedPutEventsCommand(body())));
      await call.send(body());
      const err = await failure(send());
      const offset = (client.config as unknown as { systemClockOffset: number }).systemClockOffset;
      await send();
      const date = new Map(rec.seen[2]!.headers).get('x-amz-date')!;
      const signedAt = Date.parse(date.replace(/^(\d{4})(\d\d)(\d\d)T(\d\d)(\d\d)(\d\d)Z$/, '$1-$2-$3T$4:$5:$6Z'));
      return { err, offset, signedAhead: signedAt - Date.now() };
    };
    const lean = await run(true);
    const sdk = await run(false);
    expect(lean.err).toEqual(sdk.err);
    expect(lean.err.name).toBe('InvalidSignatureException');
    for (const r of [lean, sdk]) {
      // The date header has a resolution of 1 s; a slow machine adds its own seconds to the bound.
      expect(Math.abs(r.offset - ahead)).toBeLessThan(5_000);
      expect(Math.abs(r.signedAhead - ahead)).toBeLessThan(10_000);
    }
  });

  it('a publisher on the relay client retries throttled lean calls and keeps events refused by a missing bus, through the local endpoint', async () => {
    const bus = await startBus();
    const client = relayEventBridgeClient({ ...LOCAL_AWS, endpoint: bus.endpoint });
    const p = new EventPublisher({ client, eventBusName: 'opend-test', source: 'opend', logger: silentLogger, retryBaseMs: 20, retryMaxMs: 100, rejectedRetryMs: 60_000 });
    cleanups.push(() => p.close(200));
    const publish = (n: number, detailType = 'Quote') => {
      for (let i = 0; i < n; i++) p.publish({ detailType, detail: { i, detailType } });
    };
    publish(10);
    expect(await p.drain(10_000)).toBe(true);
    expect(putEventsCall(client).lean).toBe(true);
    bus.setFaults({ callError: { type: 'ThrottlingException', status: 429 } });
    publish(20);
    await until(() => p.metrics.throttledCalls >= 2, 10_000, 'two throttled calls');
    bus.setFaults({});
    expect(await p.drain(10_000)).toBe(true);
    expect(p.metrics.eventsOut).toBe(30);
    await until(() => bus.events.length === 30, 10_000, 'thirty stored events');
    bus.setFaults({ callError: { type: 'ResourceNotFoundException', status: 400, message: 'Event bus opend-test does not exist.' } });
    publish(1, 'Order Update');
    await until(() => p.metrics.rejectedEntries === 1, 10_000, 'one refused entry');
    expect(p.metrics.eventsOut).toBe(30);
    expect(p.metrics.queueDepth).toBe(1); // kept (an order's record), offered again after rejectedRetryMs
  });
});
