// An EventBridge client with the endpoint removed: a real EventBridgeClient (serialization, SigV4 signing, the
// whole middleware stack, deserialization; with the relay's client, its first PutEvents goes through that stack
// and the later ones through the relay's call path, put-events-call.ts: the client's own signer, then this
// handler) whose requestHandler answers PutEvents in this process instead of over the network. It is not a mock
// of the relay: every byte the relay would send is built and signed; only the transport and EventBridge's side
// are replaced by a local answer, so a benchmark through it measures the relay's own capacity (what it can hand
// to PutEvents), not an endpoint's.
//
// The answer follows PutEvents' contract (AWS JSON 1.1): the body is parsed, 1–10 entries are required, and
// every entry gets an EventId in request order. `answerAfterMs` holds each answer that long (a timer, no CPU), as
// a remote endpoint's round trip would: how many calls must be in flight to carry a rate then shows, while every
// other cost stays the relay's own.
import type { EventBridgeClientConfig } from '@aws-sdk/client-eventbridge';

type RequestHandler = NonNullable<EventBridgeClientConfig['requestHandler']>;

export interface InProcessPutEvents {
  /** Client configuration that routes every call to the in-process answer (spread it into the client's config). */
  config: EventBridgeClientConfig;
  /** PutEvents calls answered and entries accepted so far. */
  readonly stats: { calls: number; entries: number };
}

interface SmithyRequest {
  headers: Record<string, string>;
  body?: string | Uint8Array;
}

export function inProcessPutEvents(opts: { answerAfterMs?: number } = {}): InProcessPutEvents {
  const delay = opts.answerAfterMs ?? 0;
  const stats = { calls: 0, entries: 0 };
  let nextId = 0;
  const handler = {
    metadata: { handlerProtocol: 'in-process' },
    async handle(request: SmithyRequest) {
      const target = request.headers['x-amz-target'];
      const raw = typeof request.body === 'string' ? request.body : new TextDecoder().decode(request.body);
      const body = JSON.parse(raw) as { Entries?: unknown[] };
      const n = body.Entries?.length ?? 0;
      let status = 200;
      let answer: unknown;
      if (target !== 'AWSEvents.PutEvents') {
        status = 400;
        answer = { __type: 'UnknownOperationException', message: `only PutEvents is answered in process, got ${String(target)}` };
      } else if (n < 1 || n > 10) {
        status = 400;
        answer = { __type: 'ValidationException', message: `PutEvents takes 1 to 10 entries, got ${n}` };
      } else {
        stats.calls++;
        stats.entries += n;
        answer = { FailedEntryCount: 0, Entries: Array.from({ length: n }, () => ({ EventId: `in-process-${++nextId}` })) };
      }
      if (delay > 0) await new Promise((r) => setTimeout(r, delay));
      return {
        response: {
          statusCode: status,
          reason: status === 200 ? 'OK' : 'Bad Request',
          headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-requestid': `in-process-${nextId}` },
          body: new TextEncoder().encode(JSON.stringify(answer)),
        },
      };
    },
    updateHttpClientConfig() {},
    httpHandlerConfigs() {
      return {};
    },
    destroy() {},
  };
  const config: EventBridgeClientConfig = {
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    endpoint: 'http://in-process.invalid',
    requestHandler: handler as unknown as RequestHandler,
  };
  return { config, stats };
}
