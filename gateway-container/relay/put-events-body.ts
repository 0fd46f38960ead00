// PutEvents request bodies assembled by the relay from entries serialized once, when they are queued.
//
// Why hand-written instead of the SDK's serializer: the AWS SDK (its schema-based JSON codec in @smithy/core)
// writes every request body character by character in JavaScript, so each PutEvents entry's Detail — a JSON
// document of a few hundred characters, escaped once more as a string — is walked again per character on every
// call; in the relay's profile that writer was the largest single cost inside the SDK. The relay has each
// entry's JSON at hand when it queues the event, so it writes the entry there with the engine's native
// JSON.stringify and a call's body is the join of its entries. The first call of a client goes through the SDK's
// whole middleware stack (endpoint resolution, headers, SigV4 signing, the HTTP handler, response parsing and
// errors); a second middleware records from it what every later call sends the same (the resolved endpoint, the
// constant headers, the signing scope), and put-events-call.ts makes the later calls with the SDK's own signer
// and request handler from that record.
//
// Invariants:
// - The body is the JSON the SDK sends for the same entries (awsJson1_1: the same members, `Time` as epoch seconds
//   written as `ms / 1000`); test/integration/put-events-body.test.ts compares the two byte for byte and through
//   the local endpoint.
// - Only a client that carries the middleware (relayEventBridgeClient installs it before its first call, so a
//   cached middleware stack includes it) is sent prepared bodies; `supportsPreparedBodies` tells the publisher,
//   which sends the SDK's own entries through any other client.
// - A prepared command's input holds no entries for the SDK to serialize (`Entries: []`); the middleware always
//   replaces the body and its content-length, so an empty PutEvents is never sent.
// - The record of a call (capturedPutEvents) holds only what is the same for every call of the client; a request
//   with anything the record cannot reproduce (a header it does not know, a query, a scheme other than SigV4,
//   more than one attempt) is recorded as `unsupported`, and put-events-call.ts then keeps using client.send.
import { PutEventsCommand, type EventBridgeClient, type PutEventsCommandInput } from '@aws-sdk/client-eventbridge';

const PREPARED_BODY = Symbol('relay.preparedPutEventsBody');
const MIDDLEWARE = 'relayPreparedPutEventsBody';
const CAPTURE_MIDDLEWARE = 'relayCapturePutEventsRequest';

type PreparedInput = PutEventsCommandInput & { [PREPARED_BODY]?: string };

function bigintReplacer(_k: string, x: unknown): unknown {
  return typeof x === 'bigint' ? x.toString() : x;
}

/**
 * A detail as JSON, bigints as decimal strings. The event builders already turn 64-bit IDs into strings, so the
 * plain (much faster) JSON.stringify succeeds for almost every event; only a detail that still holds a bigint
 * (JSON.stringify throws a TypeError on it) pays for the replacer.
 */
export function detailJson(v: unknown): string {
  try {
    return JSON.stringify(v);
  } catch (err) {
    if (err instanceof TypeError) return JSON.stringify(v, bigintReplacer);
    throw err;
  }
}

/** JSON string literal of `s` (quotes and escapes): the native serializer, for the fixed parts of an entry. */
export const jsonString = (s: string): string => JSON.stringify(s);

/**
 * One PutEvents entry as JSON, the member order the SDK writes. `sourceJson`, `busJson` and `typeJson` are JSON
 * string literals (jsonString), prepared once per publisher and DetailType; `detail` is the entry's Detail.
 */
export function entryJson(timeMs: number, sourceJson: string, typeJson: string, detail: string, busJson: string): string {
  return entryJsonWithLiteral(timeMs, sourceJson, typeJson, JSON.stringify(detail), busJson);
}

/**
 * entryJson for a Detail already written as its JSON string literal (`detailLiteral` === JSON.stringify(detail);
 * detail-literals.ts writes those for Quote and Ticker events in one pass).
 */
export function entryJsonWithLiteral(timeMs: number, sourceJson: string, typeJson: string, detailLiteral: string, busJson: string): string {
  return '{"Time":' + timeMs / 1000 + ',"Source":' + sourceJson + ',"DetailType":' + typeJson + ',"Detail":' + detailLiteral + ',"EventBusName":' + busJson + '}';
}

/** The PutEvents request body of prepared entries: `{"Entries":[…]}`. */
export const putEventsBody = (entries: readonly string[]): string => '{"Entries":[' + entries.join(',') + ']}';

/** A PutEvents command that sends `body` (a putEventsBody) as is (for a client with installPreparedBodies). */
export function preparedPutEventsCommand(body: string): PutEventsCommand {
  const input: PreparedInput = { Entries: [] };
  input[PREPARED_BODY] = body;
  return new PutEventsCommand(input);
}

/** What every PutEvents call of a client sends the same, recorded from a call through the SDK's stack. */
export interface CapturedPutEvents {
  /** The resolved endpoint of the request (protocol, hostname, port, path) and its method. */
  method: string;
  protocol: string;
  hostname: string;
  port: number | undefined;
  path: string;
  /**
   * The headers in the SDK's order: those that do not change between calls (content-type, x-amz-target, host, the
   * user agents, amz-sdk-request) with their values, and `content-length` and `amz-sdk-invocation-id` (when sent)
   * holding the first call's values, to be replaced on every call. The signer's own headers are left out.
   */
  headers: Record<string, string>;
  /** Whether the SDK sends an `amz-sdk-invocation-id` (a fresh one per call). */
  invocationId: boolean;
  /** The signing scope the SDK's signer is asked for (undefined: the signer's own region / service). */
  signingRegion: string | undefined;
  signingService: string | undefined;
  /** The endpoint's auth scheme, which the client's signer factory (config.signer) takes. */
  authScheme: unknown;
  /** The client's clock-skew correction is switched off (AWS_DISABLE_CLOCK_SKEW_CORRECTION). */
  noSkewCorrection: boolean;
  /** Why the record cannot stand for later calls (they then go through client.send); undefined when it can. */
  unsupported: string | undefined;
}

const captured = new WeakMap<EventBridgeClient, CapturedPutEvents>();

/** The record of the client's first prepared PutEvents call, once one has been signed. */
export function capturedPutEvents(client: EventBridgeClient): CapturedPutEvents | undefined {
  return captured.get(client);
}

// Headers of a signed PutEvents request that are the same on every call of a client (the relay's client makes one
// attempt, so amz-sdk-request is always `attempt=1; max=1`), those that the lean call writes per call, and those
// the signer writes.
const CONSTANT_HEADERS = new Set(['content-type', 'x-amz-target', 'host', 'user-agent', 'x-amz-user-agent', 'amz-sdk-request']);
const PER_CALL_HEADERS = new Set(['content-length', 'amz-sdk-invocation-id']);
const SIGNER_HEADERS = new Set(['authorization', 'x-amz-date', 'x-amz-content-sha256', 'x-amz-security-token']);
export const ONE_ATTEMPT = 'attempt=1; max=1';

interface SignedRequest {
  method: string;
  protocol: string;
  hostname: string;
  port?: number;
  path: string;
  query?: Record<string, unknown>;
  headers: Record<string, string>;
  username?: string;
  password?: string;
  fragment?: string;
}

interface CaptureContext {
  endpointV2?: { properties?: { authSchemes?: unknown[] } };
  __smithy_context?: { selectedHttpAuthScheme?: { httpAuthOption?: { schemeId?: string; signingProperties?: { signingRegion?: string; signingName?: string } } } };
  authSchemes?: { name?: string }[];
}

async function capture(client: EventBridgeClient, request: SignedRequest, context: CaptureContext): Promise<CapturedPutEvents> {
  const option = context.__smithy_context?.selectedHttpAuthScheme?.httpAuthOption;
  const headers: Record<string, string> = {};
  let unsupported: string | undefined;
  for (const [name, value] of Object.entries(request.headers)) {
    const lower = name.toLowerCase();
    if (CONSTANT_HEADERS.has(lower) || PER_CALL_HEADERS.has(lower)) headers[lower] = value;
    else if (!SIGNER_HEADERS.has(lower)) unsupported ??= `header ${lower} is not known to be the same on every call`;
  }
  if (headers['content-length'] === undefined) unsupported ??= 'the request has no content-length';
  if (option?.schemeId !== 'aws.auth#sigv4') unsupported ??= `auth scheme ${String(option?.schemeId)} (only SigV4 is signed by the lean call)`;
  if ((context.authSchemes?.length ?? 0) > 1) unsupported ??= 'the endpoint names more than one auth scheme';
  if (headers['amz-sdk-request'] !== ONE_ATTEMPT) unsupported ??= `amz-sdk-request ${String(headers['amz-sdk-request'])} (the lean call makes one attempt)`;
  if (request.query && Object.keys(request.query).length > 0) unsupported ??= 'the request has a query';
  if (request.username || request.password || request.fragment) unsupported ??= 'the endpoint has user info or a fragment';
  const config = client.config as unknown as { disableClockSkewCorrection?: () => Promise<boolean> };
  return {
    method: request.method,
    protocol: request.protocol,
    hostname: request.hostname,
    port: request.port,
    path: request.path,
    headers,
    invocationId: headers['amz-sdk-invocation-id'] !== undefined,
    signingRegion: option?.signingProperties?.signingRegion,
    signingService: option?.signingProperties?.signingName,
    authScheme: context.endpointV2?.properties?.authSchemes?.[0],
    noSkewCorrection: (await config.disableClockSkewCorrection?.()) === true,
    unsupported,
  };
}

/** Adds the middleware that puts a prepared body in place of the serializer's (right after it). */
export function installPreparedBodies(client: EventBridgeClient): void {
  type Args = { input: object; request?: unknown };
  const middleware = (next: (args: Args) => Promise<unknown>) => async (args: Args) => {
    const body = (args.input as PreparedInput)[PREPARED_BODY];
    if (body !== undefined) {
      const request = args.request as { body?: unknown; headers?: Record<string, string> } | undefined;
      if (!request?.headers) throw new Error('prepared PutEvents body: the serializer built no HTTP request');
      request.body = body;
      request.headers['content-length'] = String(Buffer.byteLength(body));
    }
    return next(args);
  };
  type Middleware = Parameters<EventBridgeClient['middlewareStack']['addRelativeTo']>[0];
  client.middlewareStack.addRelativeTo(middleware as unknown as Middleware, { relation: 'after', toMiddleware: 'serializerMiddleware', name: MIDDLEWARE, override: true });
  // Right after signing, the request is what the handler gets: the first prepared call's is recorded, once.
  const recorder = (next: (args: Args) => Promise<unknown>, context: CaptureContext) => async (args: Args) => {
    if (!captured.has(client) && (args.input as PreparedInput)[PREPARED_BODY] !== undefined) {
      const record = await capture(client, args.request as SignedRequest, context);
      if (!captured.has(client)) captured.set(client, record);
    }
    return next(args);
  };
  client.middlewareStack.addRelativeTo(recorder as unknown as Middleware, { relation: 'after', toMiddleware: 'httpSigningMiddleware', name: CAPTURE_MIDDLEWARE, override: true });
}

/** Whether `client` replaces prepared bodies (else a prepared command would go out with no entries). */
export function supportsPreparedBodies(client: EventBridgeClient): boolean {
  return client.middlewareStack.identify().some((n) => n.startsWith(MIDDLEWARE));
}
