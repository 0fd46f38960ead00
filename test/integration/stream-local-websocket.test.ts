// The local WebSocket API (bin/local/websocket-api.ts) with the real connection handler and DynamoDB Local: the
// caller header decides who connects, a browser Origin, a foreign Host or another path is refused before the
// handler runs, replies come back on the socket, a closed socket is "gone" to the fan-out and its records are
// deleted by $disconnect, and an idle connection is closed as API Gateway closes it.
import { once } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startLocalWebSocketApi, selectRoute, type LocalWebSocketApi, type WebSocketHandler } from '../../bin/local/websocket-api.js';
import { GoneConnectionError } from '../../functions/lib/stream-poster.js';
import { accountTopic } from '../../functions/lib/stream-protocol.js';
import { setStreamRuntime } from '../../functions/lib/stream-runtime.js';
import { DynamoStreamStore } from '../../functions/lib/stream-store.js';
import { SECURITY_ENV } from '../../functions/lib/security-config.js';
import { silentLogger } from '../../proto/log.js';
import { until } from '../support/local-aws.js';
import { useDynamoDbLocal } from '../support/dynamo.js';

const db = useDynamoDbLocal();
const SIM_HK = '281756480572583411';
const READER = 'arn:aws:iam::000000000000:user/reader';
const OUTSIDER = 'arn:aws:iam::000000000000:user/outsider';
let store: DynamoStreamStore;
let handler: WebSocketHandler;
let api: LocalWebSocketApi;
let quick: LocalWebSocketApi;
const IDLE_MS = 500;

beforeAll(async () => {
  store = new DynamoStreamStore(db.docClient, db.tables.streamConnections);
  setStreamRuntime({ store, log: silentLogger });
  // The handler reads `callers` once, when it is loaded, as Lambda does at cold start.
  process.env[SECURITY_ENV.callers] = JSON.stringify([{ principal: READER, accounts: [SIM_HK], rights: ['read'] }]);
  handler = (await import('../../functions/handlers/stream-connections.js')).handler as WebSocketHandler;
  delete process.env[SECURITY_ENV.callers];
  api = await startLocalWebSocketApi({ handler });
  quick = await startLocalWebSocketApi({ handler, idleTimeoutMs: IDLE_MS });
}, 60_000);

afterAll(async () => {
  await api?.close();
  await quick?.close();
  setStreamRuntime(undefined);
});

function connect(url: string, headers: Record<string, string>): Promise<{ ws?: WebSocket; status?: number; body?: string }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers });
    ws.once('open', () => resolve({ ws }));
    ws.once('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode, body }));
    });
    ws.once('error', (err) => (err.message.includes('Unexpected server response') ? undefined : reject(err)));
  });
}

const nextMessage = (ws: WebSocket) => once(ws, 'message').then(([data]) => JSON.parse(String(data)) as Record<string, any>);

describe('local WebSocket API', () => {
  it('routes by the action of the message, as API Gateway does with $request.body.action', () => {
    expect(selectRoute('{"action":"subscribe"}')).toBe('subscribe');
    expect(selectRoute('{"action":"ping"}')).toBe('ping');
    expect(selectRoute('{"action":"drop-tables"}')).toBe('$default');
    expect(selectRoute('not json')).toBe('$default');
  });

  it('refuses a caller without the read right with 403 from $connect, and a browser page or a foreign Host before the handler', async () => {
    const outsider = await connect(api.url, { 'x-opend-cloud-caller': OUTSIDER });
    expect(outsider.status).toBe(403);
    expect(JSON.parse(outsider.body!)).toMatchObject({ type: 'error', code: 'FORBIDDEN' });
    const page = await connect(api.url, { 'x-opend-cloud-caller': READER, origin: 'https://evil.example' });
    expect(page.status).toBe(403);
    expect(page.body).toContain('browser page');
    const rebound = await connect(api.url, { 'x-opend-cloud-caller': READER, host: `attacker.example:${api.port}` });
    expect(rebound.status).toBe(421);
    const elsewhere = await connect(`${api.url}/other`, { 'x-opend-cloud-caller': READER });
    expect(elsewhere.status).toBe(404);
    expect(api.connections()).toEqual([]);
  });

  it('answers messages on the socket, posts to it while open, and treats it as gone once closed, with its records deleted', async () => {
    const { ws } = await connect(api.url, { 'x-opend-cloud-caller': READER });
    const [id] = api.connections();
    ws!.send(JSON.stringify({ action: 'subscribe', accounts: [SIM_HK] }));
    expect(await nextMessage(ws!)).toEqual({ type: 'subscribed', subscriptions: { quotes: [], accounts: [SIM_HK] } });
    ws!.send('{"action":"launch"}');
    expect(await nextMessage(ws!)).toMatchObject({ type: 'error', code: 'UNKNOWN_ACTION' });
    expect(await store.connectionsFor(accountTopic(SIM_HK))).toContain(id);

    const pushed = nextMessage(ws!);
    await api.post(id!, JSON.stringify({ type: 'event', detailType: 'Order Update', id: 'e1' }));
    expect(await pushed).toMatchObject({ type: 'event', id: 'e1' });

    ws!.close();
    await until(() => api.connections().length === 0, 10_000, 'the server to see the close');
    await expect(api.post(id!, '{}')).rejects.toBeInstanceOf(GoneConnectionError);
    await until(async () => !(await store.connectionsFor(accountTopic(SIM_HK))).includes(id!), 10_000, '$disconnect to delete the subscription');
    expect(await store.get(id!)).toBeUndefined();
  });

  it('closes a connection idle for longer than the idle timeout with 1001, and a ping keeps it open', async () => {
    const { ws } = await connect(quick.url, { 'x-opend-cloud-caller': READER });
    const closed = once(ws!, 'close');
    // Pings back to back for well over the idle timeout: each resets it.
    const start = Date.now();
    while (Date.now() - start < 3 * IDLE_MS) {
      ws!.send('{"action":"ping"}');
      expect((await nextMessage(ws!)).type).toBe('pong');
    }
    expect(ws!.readyState).toBe(WebSocket.OPEN);
    const [code, reason] = await closed;
    expect(code).toBe(1001);
    expect(String(reason)).toBe('idle timeout');
  });
});
