// The stream's connection routes and fan-out against DynamoDB Local: $connect refusals, subscribe validation with
// clear errors that store nothing, per-account authorization, the per-connection limit, unsubscribe and
// $disconnect, and the fan-out through the real API Gateway management client to a local @connections endpoint,
// where a connection answered 410 Gone is deleted with all its subscriptions.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '../../bin/local/dynamodb-local.js';
import { silentLogger } from '../../proto/log.js';
import type { CallerGrant } from '../../functions/lib/security-config.js';
import { onConnect, onDisconnect, onMessage, type StreamDeps } from '../../functions/lib/stream-connections.js';
import { fanOut } from '../../functions/lib/stream-fanout.js';
import { ApiGatewayConnectionPoster } from '../../functions/lib/stream-poster.js';
import { accountTopic, quoteTopic, STREAM_LIMITS } from '../../functions/lib/stream-protocol.js';
import { DynamoStreamStore } from '../../functions/lib/stream-store.js';
import { useDynamoDbLocal } from '../support/dynamo.js';

const db = useDynamoDbLocal();
const SIM_HK = '281756480572583411';
const SIM_US = '281756455983234027';
const VIEWER = 'arn:aws:iam::123456789012:user/viewer';
const NOBODY = 'arn:aws:iam::123456789012:user/nobody';
const CALLERS: CallerGrant[] = [
  { principal: VIEWER, accounts: [SIM_HK], rights: ['read'] },
  { principal: 'arn:aws:iam::123456789012:user/admin', accounts: '*', rights: ['read', 'trade'] },
  { principal: NOBODY, accounts: '*', rights: ['gateway'] },
];
let deps: StreamDeps;
let n = 0;
const nextId = () => `conn-${Date.now()}-${n++}=`;
const reply = (r: { body?: string }) => JSON.parse(r.body ?? 'null') as Record<string, any>;

beforeAll(() => {
  deps = { store: new DynamoStreamStore(db.docClient, db.tables.streamConnections), callers: CALLERS, log: silentLogger, now: () => new Date('2030-01-02T03:04:05Z') };
});

async function connected(caller = VIEWER): Promise<string> {
  const id = nextId();
  expect((await onConnect(deps, id, caller)).statusCode).toBe(200);
  return id;
}

describe('$connect', () => {
  it('refuses a request without an IAM caller, and a caller without the read right on any account, storing nothing', async () => {
    for (const caller of [undefined, NOBODY, 'arn:aws:iam::123456789012:user/stranger']) {
      const id = nextId();
      const r = await onConnect(deps, id, caller);
      expect(r.statusCode, String(caller)).toBe(403);
      expect(reply(r)).toMatchObject({ type: 'error', code: 'FORBIDDEN' });
      expect(await deps.store.get(id)).toBeUndefined();
    }
  });

  it('records the caller of an allowed connection, for the messages that follow', async () => {
    const id = await connected();
    expect(await deps.store.get(id)).toMatchObject({ connectionId: id, caller: VIEWER, topics: [] });
  });
});

describe('subscribe validation', () => {
  const cases: [string, string, string | RegExp][] = [
    ['not json', 'INVALID_ARGUMENT', /is not JSON/],
    ['[1,2]', 'INVALID_ARGUMENT', /JSON object with an "action"/],
    ['{"quotes":["HK.00700"]}', 'UNKNOWN_ACTION', /not one of subscribe, unsubscribe, ping/],
    ['{"action":"subscribe","quote":["HK.00700"]}', 'INVALID_ARGUMENT', /quote: is not a field .* action, quotes, types, accounts/],
    ['{"action":"subscribe"}', 'INVALID_ARGUMENT', /needs "quotes" .* or "accounts"/],
    ['{"action":"subscribe","quotes":"HK.00700"}', 'INVALID_ARGUMENT', /quotes: expected a JSON array/],
    ['{"action":"subscribe","quotes":["00700"]}', 'INVALID_ARGUMENT', /quotes\[0\].*needs a market prefix/],
    ['{"action":"subscribe","quotes":["HK.00700"],"types":["Order Update"]}', 'INVALID_ARGUMENT', /types\[0\]: "Order Update" is not a market-data type \(order events come with "accounts"/],
    ['{"action":"subscribe","types":["Quote"]}', 'INVALID_ARGUMENT', /types: needs "quotes"/],
    ['{"action":"subscribe","accounts":[281756480572583411]}', 'INVALID_ARGUMENT', /accounts\[0\]: expected a string/],
    ['{"action":"subscribe","accounts":["12ab"]}', 'INVALID_ARGUMENT', /accounts\[0\]: "12ab" is not an account ID/],
    [JSON.stringify({ action: 'subscribe', quotes: Array.from({ length: STREAM_LIMITS.maxQuotesPerRequest + 1 }, (_, i) => `HK.${String(i).padStart(5, '0')}`) }), 'INVALID_ARGUMENT', /at most 50 per request/],
  ];

  it.each(cases)('answers %s with %s and a message naming the problem, subscribing nothing', async (text, code, message) => {
    const id = await connected();
    const r = await onMessage(deps, id, text);
    expect(r.statusCode).toBe(200);
    const body = reply(r);
    expect(body).toMatchObject({ type: 'error', code });
    expect(body['message']).toMatch(message);
    expect((await deps.store.get(id))?.topics).toEqual([]);
    expect(await deps.store.connectionsFor(quoteTopic('HK.00700', 'Quote'))).not.toContain(id);
  });

  it('refuses a whole request naming an account the caller may not read: the readable one is not subscribed either', async () => {
    const id = await connected();
    const body = reply(await onMessage(deps, id, JSON.stringify({ action: 'subscribe', quotes: ['HK.00700'], accounts: [SIM_HK, SIM_US] })));
    expect(body).toMatchObject({ type: 'error', code: 'FORBIDDEN', details: { caller: VIEWER, missing: 'read', accounts: [SIM_US] } });
    expect(body['message']).toContain(`account ${SIM_US}`);
    expect(await deps.store.connectionsFor(accountTopic(SIM_HK))).not.toContain(id);
    expect((await deps.store.get(id))?.topics).toEqual([]);
  });

  it('refuses past the per-connection limit, keeping what was held', async () => {
    const id = await connected();
    const codes = (from: number, count: number) => Array.from({ length: count }, (_, i) => `HK.${String(from + i).padStart(5, '0')}`);
    const all = ['Quote', 'KLine', 'Ticker', 'OrderBook'];
    expect(reply(await onMessage(deps, id, JSON.stringify({ action: 'subscribe', quotes: codes(1, 50), types: all }))).type).toBe('subscribed');
    const over = reply(await onMessage(deps, id, JSON.stringify({ action: 'subscribe', quotes: codes(100, 1), types: ['Quote'] })));
    expect(over).toMatchObject({ type: 'error', code: 'LIMIT_EXCEEDED', details: { max: STREAM_LIMITS.maxTopicsPerConnection, requested: 201 } });
    expect((await deps.store.get(id))?.topics).toHaveLength(200);
  });

  it('answers a ping with a pong, and a message of a connection it does not know with NOT_CONNECTED', async () => {
    const id = await connected();
    expect(reply(await onMessage(deps, id, '{"action":"ping"}'))).toEqual({ type: 'pong', time: '2030-01-02T03:04:05.000Z' });
    expect(reply(await onMessage(deps, 'never-connected=', '{"action":"subscribe","accounts":["1"]}'))).toMatchObject({ type: 'error', code: 'NOT_CONNECTED' });
  });
});

describe('subscriptions', () => {
  it('stores one item per topic that the fan-out Queries, adds over several requests, and unsubscribes', async () => {
    const id = await connected();
    const first = reply(await onMessage(deps, id, JSON.stringify({ action: 'subscribe', quotes: ['HK.00700', 'hk.00700'], accounts: [SIM_HK] })));
    expect(first).toEqual({ type: 'subscribed', subscriptions: { quotes: [{ security: 'HK.00700', types: ['Quote'] }], accounts: [SIM_HK] } });
    const second = reply(await onMessage(deps, id, JSON.stringify({ action: 'subscribe', quotes: ['HK.00700'], types: ['OrderBook', 'Quote'] })));
    expect(second['subscriptions']).toEqual({ quotes: [{ security: 'HK.00700', types: ['OrderBook', 'Quote'] }], accounts: [SIM_HK] });
    expect(await deps.store.connectionsFor(quoteTopic('HK.00700', 'OrderBook'))).toContain(id);
    expect(await deps.store.connectionsFor(accountTopic(SIM_HK))).toContain(id);

    const left = reply(await onMessage(deps, id, JSON.stringify({ action: 'unsubscribe', quotes: ['HK.00700'], types: ['OrderBook'], accounts: [SIM_HK] })));
    expect(left).toEqual({ type: 'unsubscribed', subscriptions: { quotes: [{ security: 'HK.00700', types: ['Quote'] }], accounts: [] } });
    expect(await deps.store.connectionsFor(quoteTopic('HK.00700', 'OrderBook'))).not.toContain(id);
    expect(await deps.store.connectionsFor(accountTopic(SIM_HK))).not.toContain(id);
    expect(await deps.store.connectionsFor(quoteTopic('HK.00700', 'Quote'))).toContain(id);
  });

  it('$disconnect deletes the connection and every subscription of it', async () => {
    const id = await connected();
    await onMessage(deps, id, JSON.stringify({ action: 'subscribe', quotes: ['US.AAPL'], types: ['Quote', 'Ticker'], accounts: [SIM_HK] }));
    await onDisconnect(deps, id);
    expect(await deps.store.get(id)).toBeUndefined();
    for (const t of [quoteTopic('US.AAPL', 'Quote'), quoteTopic('US.AAPL', 'Ticker'), accountTopic(SIM_HK)]) expect(await deps.store.connectionsFor(t)).not.toContain(id);
  });

  it('leaves out connections past their expiry that DynamoDB TTL has not deleted yet', async () => {
    const later = new DynamoStreamStore(db.docClient, db.tables.streamConnections, { now: () => Date.now() + 3 * 60 * 60_000 });
    const id = await connected();
    await onMessage(deps, id, JSON.stringify({ action: 'subscribe', quotes: ['SH.600519'] }));
    expect(await deps.store.connectionsFor(quoteTopic('SH.600519', 'Quote'))).toContain(id);
    expect(await later.connectionsFor(quoteTopic('SH.600519', 'Quote'))).not.toContain(id);
    expect(await later.get(id)).toBeUndefined();
  });
});

describe('fan-out through the API Gateway management client', () => {
  // A local @connections endpoint: API Gateway's POST /@connections/{id}, 200 for an open connection and
  // 410 GoneException for one that has gone away.
  let server: Server;
  let endpoint = '';
  const open = new Set<string>();
  const received: { id: string; body: string }[] = [];
  beforeAll(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c));
      req.on('end', () => {
        const id = decodeURIComponent((req.url ?? '').replace(/^\/@connections\//, ''));
        if (req.method === 'POST' && open.has(id)) {
          received.push({ id, body });
          res.writeHead(200).end();
        } else {
          res.writeHead(410, { 'content-type': 'application/json', 'x-amzn-errortype': 'GoneException' }).end(JSON.stringify({ message: 'Gone' }));
        }
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it('posts the event to every subscriber of its topic, and deletes a gone connection with all its subscriptions', async () => {
    const alive = await connected();
    const gone = await connected();
    const other = await connected();
    open.add(alive);
    open.add(other);
    await onMessage(deps, alive, JSON.stringify({ action: 'subscribe', accounts: [SIM_HK] }));
    await onMessage(deps, gone, JSON.stringify({ action: 'subscribe', quotes: ['HK.09988'], accounts: [SIM_HK] }));
    await onMessage(deps, other, JSON.stringify({ action: 'subscribe', quotes: ['HK.00700'] }));

    const poster = new ApiGatewayConnectionPoster(endpoint, { region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS });
    const event = { id: 'ev-1', time: '2030-01-02T03:04:05Z', 'detail-type': 'Order Update', detail: { accId: SIM_HK, orderId: '42', status: 'SUBMITTED', security: 'HK.00700' } };
    const result = await fanOut({ store: deps.store, poster: () => poster, log: silentLogger }, event);
    expect(result).toEqual({ topic: accountTopic(SIM_HK), sent: 1, gone: 1, failed: 0 });
    expect(received.filter((r) => r.id === alive).map((r) => JSON.parse(r.body))).toEqual([
      { type: 'event', detailType: 'Order Update', id: 'ev-1', time: '2030-01-02T03:04:05Z', detail: event.detail },
    ]);
    expect(received.some((r) => r.id === other)).toBe(false);
    expect(await deps.store.get(gone)).toBeUndefined();
    expect(await deps.store.connectionsFor(accountTopic(SIM_HK))).not.toContain(gone);
    expect(await deps.store.connectionsFor(quoteTopic('HK.09988', 'Quote'))).not.toContain(gone);
    expect(await deps.store.get(alive)).toBeDefined();
  });

  it('streams nothing for an event nobody subscribed to, without asking for a poster', async () => {
    const result = await fanOut(
      { store: deps.store, poster: () => { throw new Error('no poster should be needed'); }, log: silentLogger },
      { id: 'ev-2', time: '2030-01-02T03:04:05Z', 'detail-type': 'Quote', detail: { security: 'US.NOBODY' } },
    );
    expect(result).toEqual({ topic: quoteTopic('US.NOBODY', 'Quote'), sent: 0, gone: 0, failed: 0 });
  });
});
