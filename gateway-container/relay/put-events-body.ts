// PutEvents request bodies assembled by the relay from entries serialized once, when they are queued.
//
// Why hand-written instead of the SDK's serializer: the AWS SDK (its schema-based JSON codec in @smithy/core)
// writes every request body character by character in JavaScript, so each PutEvents entry's Detail — a JSON
// document of a few hundred characters, escaped once more as a string — is walked again per character on every
// call; in the relay's profile that writer was the largest single cost inside the SDK. The relay has each
// entry's JSON at hand when it queues the event, so it writes the entry there with the engine's native
// JSON.stringify and a call's body is the join of its entries. Everything after serialization stays the SDK's:
// endpoint resolution, headers, SigV4 signing, the HTTP handler, response parsing and errors.
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
import { PutEventsCommand, type EventBridgeClient, type PutEventsCommandInput } from '@aws-sdk/client-eventbridge';

const PREPARED_BODY = Symbol('relay.preparedPutEventsBody');
const MIDDLEWARE = 'relayPreparedPutEventsBody';

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

/** A PutEvents command whose body is the given prepared entries (for a client with installPreparedBodies). */
export function preparedPutEvents(entries: readonly string[]): PutEventsCommand {
  const input: PreparedInput = { Entries: [] };
  input[PREPARED_BODY] = '{"Entries":[' + entries.join(',') + ']}';
  return new PutEventsCommand(input);
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
}

/** Whether `client` replaces prepared bodies (else a prepared command would go out with no entries). */
export function supportsPreparedBodies(client: EventBridgeClient): boolean {
  return client.middlewareStack.identify().some((n) => n.startsWith(MIDDLEWARE));
}
