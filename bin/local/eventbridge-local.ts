// A local EventBridge: the PutEvents API (AWS JSON 1.1 over HTTP, as the real @aws-sdk/client-eventbridge
// speaks it) plus rule matching with the EventBridge pattern operators. Rules come from the CDK app's
// definitions in the local stack. Optional fault injection (failed entries, throttled or refused calls) exercises
// the relay's retry paths; it is off unless a test turns it on.
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { hostRefusal } from './api-guard.js';
import { xorshift32 } from '../../proto/seeded-random.js';
import { compileEventPattern, type EventMatcher } from './event-pattern.js';

export interface BusEvent {
  version: '0';
  id: string;
  'detail-type': string;
  source: string;
  account: string;
  time: string;
  region: string;
  resources: string[];
  detail: unknown;
  /** Not part of the EventBridge envelope: which bus it was put on. */
  eventBusName: string;
}

export interface LocalRule {
  name: string;
  eventBusName?: string;
  pattern: unknown;
  target: (event: BusEvent) => Promise<void> | void;
}

export interface FaultOptions {
  /** Fraction of entries answered with a per-entry error (InternalFailure / ThrottlingException). */
  entryFailureRate?: number;
  /** Fraction of whole calls answered with HTTP 400 ThrottlingException. */
  throttleRate?: number;
  /** Deterministic fault sequence. */
  seed?: number;
  /**
   * Answer entries with this per-entry ErrorCode (e.g. a non-retryable one such as AccessDeniedException or
   * MalformedDetail), only those whose DetailType is in `entryErrorDetailTypes` when that is given.
   */
  entryErrorCode?: string;
  entryErrorDetailTypes?: readonly string[];
  /** Answer every call with this error, as EventBridge does (e.g. { type: 'ResourceNotFoundException', status: 400 }). */
  callError?: { type: string; status: number; message?: string };
}

export interface CallRecord {
  entries: number;
  bytes: number;
  failedEntries: number;
  throttled: boolean;
}

export interface LocalEventBridge {
  endpoint: string;
  port: number;
  events: BusEvent[];
  calls: CallRecord[];
  ruleErrors: { rule: string; error: string }[];
  setFaults(f: FaultOptions): void;
  addRule(rule: LocalRule): void;
  /** Resolves when rule targets of all accepted events have finished. */
  idle(): Promise<void>;
  close(): Promise<void>;
}

const ACCOUNT = '000000000000';
const MAX_ENTRIES = 10;
const MAX_BYTES = 256 * 1024;

function entryBytes(e: Record<string, unknown>): number {
  let n = 14;
  for (const k of ['Source', 'DetailType', 'Detail', 'EventBusName']) if (typeof e[k] === 'string') n += Buffer.byteLength(e[k] as string);
  for (const r of (e['Resources'] as string[] | undefined) ?? []) n += Buffer.byteLength(r);
  return n;
}

export async function startLocalEventBridge(opts: { port?: number; host?: string; region?: string; rules?: LocalRule[]; faults?: FaultOptions; maxStoredEvents?: number } = {}): Promise<LocalEventBridge> {
  const region = opts.region ?? 'us-east-1';
  const events: BusEvent[] = [];
  const calls: CallRecord[] = [];
  const ruleErrors: { rule: string; error: string }[] = [];
  const rules: { rule: LocalRule; match: EventMatcher }[] = [];
  let faults: FaultOptions = opts.faults ?? {};
  let rnd = xorshift32(faults.seed ?? 42);
  const inFlight = new Set<Promise<void>>();
  const maxStored = opts.maxStoredEvents ?? 100_000;

  const addRule = (rule: LocalRule) => rules.push({ rule, match: compileEventPattern(rule.pattern) });
  for (const r of opts.rules ?? []) addRule(r);

  const deliver = (ev: BusEvent) => {
    for (const { rule, match } of rules) {
      if ((rule.eventBusName ?? ev.eventBusName) !== ev.eventBusName || !match(ev)) continue;
      const p = Promise.resolve()
        .then(() => rule.target(ev))
        .catch((err: Error) => {
          ruleErrors.push({ rule: rule.name, error: err?.message ?? String(err) });
        })
        .finally(() => inFlight.delete(p));
      inFlight.add(p);
    }
  };

  const reply = (res: ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-requestid': randomUUID() });
    res.end(JSON.stringify(body));
  };

  const handle = (req: IncomingMessage, res: ServerResponse, raw: string) => {
    const target = String(req.headers['x-amz-target'] ?? '');
    if (req.method !== 'POST' || target !== 'AWSEvents.PutEvents') {
      return reply(res, 400, { __type: 'UnknownOperationException', message: `only AWSEvents.PutEvents is implemented locally, got ${target || req.method}` });
    }
    let body: { Entries?: Record<string, unknown>[] };
    try {
      body = JSON.parse(raw);
    } catch {
      return reply(res, 400, { __type: 'SerializationException', message: 'request body is not JSON' });
    }
    const entries = body.Entries ?? [];
    const bytes = entries.reduce((n, e) => n + entryBytes(e), 0);
    if (entries.length < 1 || entries.length > MAX_ENTRIES) {
      return reply(res, 400, { __type: 'ValidationException', message: `1 validation error detected: Value at 'entries' failed to satisfy constraint: Member must have length less than or equal to ${MAX_ENTRIES}` });
    }
    if (bytes > MAX_BYTES) return reply(res, 400, { __type: 'ValidationException', message: `Total size of the entries in the request is over the limit (${bytes} > ${MAX_BYTES} bytes)` });
    if (faults.callError) {
      calls.push({ entries: entries.length, bytes, failedEntries: entries.length, throttled: false });
      const { type, status, message } = faults.callError;
      return reply(res, status, { __type: type, message: message ?? `${type} (local fault injection)` });
    }
    if (faults.throttleRate && rnd() < faults.throttleRate) {
      calls.push({ entries: entries.length, bytes, failedEntries: 0, throttled: true });
      return reply(res, 400, { __type: 'ThrottlingException', message: 'Rate exceeded (local fault injection)' });
    }
    const results: Record<string, string>[] = [];
    let failed = 0;
    for (const e of entries) {
      const missing = ['Source', 'DetailType', 'Detail'].filter((k) => typeof e[k] !== 'string' || (e[k] as string).length === 0);
      if (missing.length) {
        failed++;
        results.push({ ErrorCode: 'InvalidArgument', ErrorMessage: `Parameter(s) ${missing.join(', ')} not specified` });
        continue;
      }
      let detail: unknown;
      try {
        detail = JSON.parse(e['Detail'] as string);
      } catch {
        failed++;
        results.push({ ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' });
        continue;
      }
      if (faults.entryErrorCode && (!faults.entryErrorDetailTypes || faults.entryErrorDetailTypes.includes(e['DetailType'] as string))) {
        failed++;
        results.push({ ErrorCode: faults.entryErrorCode, ErrorMessage: `${faults.entryErrorCode} (local fault injection)` });
        continue;
      }
      if (faults.entryFailureRate && rnd() < faults.entryFailureRate) {
        failed++;
        results.push(rnd() < 0.5 ? { ErrorCode: 'InternalFailure', ErrorMessage: 'local fault injection' } : { ErrorCode: 'ThrottlingException', ErrorMessage: 'local fault injection' });
        continue;
      }
      const id = randomUUID();
      const t = e['Time'];
      const time = typeof t === 'number' ? new Date(t * 1000) : typeof t === 'string' ? new Date(t) : new Date();
      const ev: BusEvent = {
        version: '0',
        id,
        'detail-type': e['DetailType'] as string,
        source: e['Source'] as string,
        account: ACCOUNT,
        time: time.toISOString().replace(/\.\d{3}Z$/, 'Z'),
        region,
        resources: (e['Resources'] as string[] | undefined) ?? [],
        detail,
        eventBusName: (e['EventBusName'] as string | undefined) ?? 'default',
      };
      events.push(ev);
      if (events.length > maxStored) events.splice(0, events.length - maxStored);
      results.push({ EventId: id });
      deliver(ev);
    }
    calls.push({ entries: entries.length, bytes, failedEntries: failed, throttled: false });
    reply(res, 200, { FailedEntryCount: failed, Entries: results });
  };

  let listenPort = opts.port ?? 0;
  const server: Server = createServer((req, res) => {
    // A Host that does not name this server is a web page reaching it through a DNS-rebound name: it must
    // not put events on the local bus (the order-events consumer would store them).
    const wrongHost = hostRefusal(req.headers.host, { port: listenPort, host: opts.host });
    if (wrongHost) {
      res.writeHead(421, { 'content-type': 'application/x-amz-json-1.1', connection: 'close' });
      res.end(JSON.stringify({ __type: 'MisdirectedRequest', message: wrongHost.message }));
      req.resume();
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size <= 2 * MAX_BYTES) chunks.push(c);
    });
    req.on('end', () => {
      if (size > 2 * MAX_BYTES) return reply(res, 413, { __type: 'ValidationException', message: 'request too large' });
      handle(req, res, Buffer.concat(chunks).toString('utf8'));
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => resolve());
  });
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  listenPort = port;
  return {
    endpoint: `http://${opts.host ?? '127.0.0.1'}:${port}`,
    port,
    events,
    calls,
    ruleErrors,
    setFaults(f) {
      faults = f;
      rnd = xorshift32(f.seed ?? 42);
    },
    addRule,
    async idle() {
      for (let i = 0; i < 100 && inFlight.size > 0; i++) await Promise.allSettled([...inFlight]);
    },
    close: () => new Promise<void>((r) => {
      server.closeAllConnections?.();
      server.close(() => r());
    }),
  };
}
