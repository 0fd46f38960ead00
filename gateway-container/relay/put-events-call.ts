// The relay's PutEvents call: a prepared body (put-events-body.ts) signed with the SDK's own SigV4 signer and handed
// to the client's own request handler, without the SDK's middleware stack on every call.
//
// Why hand-written instead of `client.send`: measured in process (npm run bench:relay; tmp profiles), a 10-entry
// PutEvents call costs about 130–160 µs of CPU inside `client.send` with a prepared body, most of it machinery that
// gives the same result on every call: the schema serde and endpoint middlewares copy the whole resolved client
// configuration (`{ ...config }`) several times per call, the endpoint is resolved again, the user agent is built
// again, the retry middleware runs for one attempt and the answer goes through the schema codec. Signing the same
// body and handing it to the same handler costs about a third of that.
//
// What stays the SDK's:
// - The first call of a client goes through `client.send` (the whole stack), and put-events-body.ts records from
//   it what every call sends the same: the resolved endpoint (protocol, hostname, port, path), the constant headers
//   (content-type, x-amz-target, host, user-agent, x-amz-user-agent, amz-sdk-request) and the signing scope. A
//   request the record cannot reproduce keeps every call on `client.send` (CapturedPutEvents.unsupported).
// - Signing: the client's own signer (`client.config.signer`, the SigV4 signer the SDK builds for each call, with the
//   client's sha256, its memoized, refreshing credential provider and its path escaping), asked for the same scope
//   with the same skew-corrected signing date. Credentials are resolved by that provider on every call as before.
// - Transport: `client.config.requestHandler.handle` (NodeHttpHandler in production: its keep-alive agent, socket
//   pool and timeouts, unchanged; the in-process handler in the benchmark).
// What the relay does itself, each the way the SDK does it:
// - Per call: content-length, a fresh `amz-sdk-invocation-id` (the same global crypto.randomUUID the SDK calls).
// - The answer: the body collected (a Uint8Array or string, or a stream from NodeHttpHandler) and JSON.parse'd;
//   a 2xx answer is returned as PutEvents' output (`Entries`, `FailedEntryCount`, `$metadata`).
// - Errors (status ≥ 300): the AWS JSON 1.1 error code as the SDK's protocol reads it (the body's `__type`, else a
//   `code` member, else the `x-amzn-errortype` header; the part before `,` and `:`, after `#`), thrown as the
//   client package's modeled exception class of that name or an EventBridgeServiceException named after it, with
//   `message` (`message`/`Message`, else "UnknownError"), `$fault` and `$metadata.httpStatusCode`, so that the
//   publisher's classification by name and by status 429 sees what it saw from `client.send`. Network errors of the
//   handler propagate unchanged (the publisher retries them).
// - Clock skew: as the SDK's SigV4 signer does after every answer, the `date` header of an answer (unless it has an
//   `age` header) moves the client's own `config.systemClockOffset`, which both this call and `client.send` sign
//   with; so a RequestTimeTooSkewed / InvalidSignatureException answer corrects the next call's signing date.
//
// Invariants: one attempt per call (the publisher is the retry layer; a client whose recorded amz-sdk-request is
// not `attempt=1; max=1` is never called lean); the bytes of a lean request equal those `client.send` produces for
// the same body, credentials, invocation id and signing date (test/integration/put-events-call.test.ts).
import * as eventBridge from '@aws-sdk/client-eventbridge';
import { EventBridgeServiceException, type EventBridgeClient, type PutEventsResultEntry } from '@aws-sdk/client-eventbridge';
import { capturedPutEvents, preparedPutEventsCommand, type CapturedPutEvents } from './put-events-body.js';

/** What a PutEvents call returns (the fields of the SDK's output the relay reads). */
export interface PutEventsAnswer {
  Entries?: PutEventsResultEntry[];
  FailedEntryCount?: number;
  $metadata: { httpStatusCode?: number; requestId?: string; attempts?: number; totalRetryDelay?: number };
}

interface RequestSigner {
  sign(request: object, options: { signingDate: Date; signingRegion?: string; signingService?: string }): Promise<object>;
}

interface HandlerResponse {
  statusCode: number;
  headers: Record<string, string | undefined>;
  body?: unknown;
}

/** The parts of the SDK's resolved client configuration the call uses (all set by the SDK's config resolvers). */
interface ClientConfig {
  signer(authScheme?: unknown): Promise<RequestSigner>;
  requestHandler: { handle(request: object, options?: object): Promise<{ response: HandlerResponse }> };
  systemClockOffset: number;
}

type ErrorClass = new (opts: { message?: string; $metadata: object }) => EventBridgeServiceException;
// The client package's modeled exceptions (every class it exports that extends EventBridgeServiceException): the
// SDK throws these classes for their codes, any other code as an EventBridgeServiceException named after it.
const MODELED_ERRORS = new Map<string, ErrorClass>(
  (Object.values(eventBridge) as unknown[])
    .filter((v): v is ErrorClass => typeof v === 'function' && v.prototype instanceof EventBridgeServiceException)
    .map((c) => [c.name, c] as const),
);

/** An AWS JSON error code as the SDK's JSON RPC protocol reads it: `__type`, a `code` member, the header. */
export function jsonErrorCode(headers: Record<string, string | undefined>, data: Record<string, unknown>): string | undefined {
  const codeKey = Object.keys(data).find((k) => k.toLowerCase() === 'code');
  const headerKey = Object.keys(headers).find((k) => k.toLowerCase() === 'x-amzn-errortype');
  const raw = data['__type'] ?? (codeKey !== undefined ? data[codeKey] : undefined) ?? (headerKey !== undefined ? headers[headerKey] : undefined);
  if (raw === undefined || raw === null) return undefined;
  let code = String(raw);
  code = code.split(',')[0]!.split(':')[0]!;
  const hash = code.indexOf('#');
  return hash >= 0 ? code.split('#')[1]! : code;
}

function metadataOf(response: HandlerResponse): PutEventsAnswer['$metadata'] & { extendedRequestId?: string; cfId?: string } {
  const h = response.headers;
  return { httpStatusCode: response.statusCode, requestId: h['x-amzn-requestid'] ?? h['x-amzn-request-id'] ?? h['x-amz-request-id'], extendedRequestId: h['x-amz-id-2'], cfId: h['x-amz-cf-id'], attempts: 1, totalRetryDelay: 0 };
}

/**
 * An answer whose body is not JSON (a proxy's HTML page, say), as the SDK's deserializer reports it: the parser's
 * SyntaxError with a hint appended, the answer's metadata and the raw response in a hidden field.
 */
function deserializationError(err: unknown, response: HandlerResponse, text: string): unknown {
  if (!(err instanceof Error)) return err;
  Object.defineProperty(err, '$response', { value: { ...response, body: text }, enumerable: false });
  err.message += '\n  Deserialization error: to see the raw response, inspect the hidden field {error}.$response on this object.';
  (err as Error & { $metadata?: object }).$metadata = metadataOf(response);
  return err;
}

/** JSON.parse of an answer's body ({} when empty), failing as the SDK's deserializer does. */
function parseAnswer(response: HandlerResponse, text: string): Record<string, unknown> {
  if (text.length === 0) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw deserializationError(err, response, text);
  }
  return parsed !== null && typeof parsed === 'object' ? (parsed as Record<string, unknown>) : {};
}

/** The error the SDK throws for an error answer of PutEvents. */
export function putEventsError(response: HandlerResponse, text: string): unknown {
  let data: Record<string, unknown>;
  try {
    data = parseAnswer(response, text);
  } catch (err) {
    return err;
  }
  const code = jsonErrorCode(response.headers, data) ?? 'Unknown';
  const message = String(data['message'] ?? data['Message'] ?? 'UnknownError');
  const $metadata = metadataOf(response);
  const Modeled = MODELED_ERRORS.get(code);
  if (Modeled !== undefined) return new Modeled({ message, $metadata });
  return new EventBridgeServiceException({ name: code, $fault: response.statusCode < 500 ? 'client' : 'server', message, $metadata });
}

/** A response body as text: a Uint8Array or string (in-process handlers), or a stream (NodeHttpHandler). */
export function bodyText(body: unknown): string | Promise<string> {
  if (typeof body === 'string') return body;
  if (body === undefined || body === null) return '';
  if (body instanceof Uint8Array) return Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8');
  const stream = body as NodeJS.ReadableStream & AsyncIterable<Uint8Array | string>;
  if (typeof stream.on === 'function') {
    return new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer | string) => chunks.push(typeof c === 'string' ? Buffer.from(c) : c));
      stream.once('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
      stream.once('error', reject);
    });
  }
  if (typeof stream[Symbol.asyncIterator] === 'function') {
    return (async () => {
      const chunks: Buffer[] = [];
      for await (const c of stream) chunks.push(typeof c === 'string' ? Buffer.from(c) : Buffer.from(c));
      return Buffer.concat(chunks).toString('utf8');
    })();
  }
  throw new TypeError('PutEvents answer: a response body of an unknown kind');
}

/**
 * The client's clock offset after an answer, as the SDK's SigV4 signer moves it: to the answer's `date` less the
 * local time it arrived, unless the answer was served from a cache (`age`), its date does not parse, or the
 * request took longer than 15 minutes.
 */
export function clockOffsetAfter(headers: Record<string, string | undefined>, current: number, sentAt: number): number {
  const date = headers['date'] ?? headers['Date'];
  if (date === undefined || headers['age'] !== undefined || headers['Age'] !== undefined) return current;
  const server = Date.parse(date);
  if (Number.isNaN(server)) return current;
  const now = Date.now();
  if (now - sentAt > 900_000) return current;
  return server - now;
}

/**
 * PutEvents calls of one relay client (relayEventBridgeClient): `send(body)` with a putEventsBody. The first call,
 * and every call while the client's request cannot be reproduced, goes through `client.send`.
 */
export class PutEventsCall {
  private record: CapturedPutEvents | undefined;
  private signer: RequestSigner | undefined;
  private settingUp: Promise<void> | undefined;

  constructor(readonly client: EventBridgeClient) {}

  /** Whether calls are made by this class (true after the first call, unless the record is unsupported). */
  get lean(): boolean {
    return this.signer !== undefined;
  }

  /** Why calls still go through client.send, once the first call was recorded. */
  get unsupported(): string | undefined {
    return this.record?.unsupported;
  }

  send(body: string): Promise<PutEventsAnswer> {
    if (this.signer !== undefined) return this.sendLean(body, this.signer, this.record!);
    return this.sendThroughSdk(body);
  }

  private async sendThroughSdk(body: string): Promise<PutEventsAnswer> {
    try {
      return await this.client.send(preparedPutEventsCommand(body));
    } finally {
      // Set up after the call, whatever its outcome: the request was recorded when it was signed. A failed set-up
      // (the signer factory threw) leaves calls on client.send and is tried again after the next one.
      this.settingUp ??= this.setUp().catch(() => {
        this.settingUp = undefined;
      });
      await this.settingUp;
    }
  }

  private async setUp(): Promise<void> {
    const record = capturedPutEvents(this.client);
    if (record === undefined) {
      this.settingUp = undefined; // not signed yet (an error before signing): the next call records it
      return;
    }
    this.record = record;
    if (record.unsupported === undefined) this.signer = await (this.client.config as unknown as ClientConfig).signer(record.authScheme);
  }

  private async sendLean(body: string, signer: RequestSigner, record: CapturedPutEvents): Promise<PutEventsAnswer> {
    const config = this.client.config as unknown as ClientConfig;
    // The recorded headers in the SDK's order; the per-call ones are replaced in place, so the order stays.
    const headers: Record<string, string> = { ...record.headers };
    headers['content-length'] = String(Buffer.byteLength(body));
    if (record.invocationId) headers['amz-sdk-invocation-id'] = crypto.randomUUID();
    const request = { method: record.method, protocol: record.protocol, hostname: record.hostname, port: record.port, path: record.path, query: {}, headers, body };
    const sentAt = Date.now();
    const signingDate = record.noSkewCorrection ? new Date() : new Date(sentAt + config.systemClockOffset);
    const signed = await signer.sign(request, { signingDate, signingRegion: record.signingRegion, signingService: record.signingService });
    const { response } = await config.requestHandler.handle(signed, {});
    if (!record.noSkewCorrection) config.systemClockOffset = clockOffsetAfter(response.headers, config.systemClockOffset, sentAt);
    const text = await bodyText(response.body);
    if (response.statusCode >= 300) throw putEventsError(response, text);
    const out = parseAnswer(response, text) as unknown as PutEventsAnswer;
    out.$metadata = metadataOf(response);
    return out;
  }
}

const calls = new WeakMap<EventBridgeClient, PutEventsCall>();

/** The one PutEventsCall of a relay client (made on first use). */
export function putEventsCall(client: EventBridgeClient): PutEventsCall {
  let call = calls.get(client);
  if (call === undefined) calls.set(client, (call = new PutEventsCall(client)));
  return call;
}
