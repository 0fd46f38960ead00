// The WebSocket stream as a client uses it against `npm start`: the URL from the banner, a caller that may read one
// paper account only, Quote pushes for a subscribed code, that account's order events from SUBMITTED to
// FILLED_ALL after an order placed over HTTP, a refused subscription to another account — and none of that other
// account's order events, which a second caller allowed to read it does receive.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import WebSocket from 'ws';
import { RIGHTS } from '../../functions/lib/security-config.js';
import { until } from '../support/local-aws.js';
import { freePort } from '../support/processes.js';

const ROOT = resolve(import.meta.dirname, '../..');
const SIM_HK = '281756480572583411';
const SIM_US = '281756455983234027';
const LOCAL = 'arn:aws:iam::000000000000:user/local';
const VIEWER = 'arn:aws:iam::000000000000:user/hk-viewer';
let dataDir = '';
afterAll(() => {
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

interface Received {
  type: string;
  detailType?: string;
  detail?: Record<string, unknown>;
  code?: string;
  message?: string;
  details?: Record<string, unknown>;
  subscriptions?: { quotes: { security: string; types: string[] }[]; accounts: string[] };
}

/** A stream client that keeps every message it receives, and sends a request to await the next reply of a kind. */
async function client(url: string, caller: string): Promise<{ ws: WebSocket; got: Received[]; request(msg: unknown, replyTypes: string[]): Promise<Received> }> {
  const ws = new WebSocket(url, { headers: { 'x-opend-cloud-caller': caller } });
  const got: Received[] = [];
  ws.on('message', (data) => got.push(JSON.parse(data.toString()) as Received));
  await new Promise<void>((res, rej) => {
    ws.once('open', () => res());
    ws.once('error', rej);
  });
  return {
    ws,
    got,
    async request(msg, replyTypes) {
      const before = got.length;
      ws.send(JSON.stringify(msg));
      let reply: Received | undefined;
      await until(() => (reply = got.slice(before).find((m) => replyTypes.includes(m.type))) !== undefined, 30_000, `a ${replyTypes.join('/')} reply to ${JSON.stringify(msg)}`);
      return reply!;
    },
  };
}

const orderEvents = (got: Received[], accId: string) => got.filter((m) => m.type === 'event' && m.detailType === 'Order Update' && m.detail?.['accId'] === accId);

it('streams Quote pushes and the readable account\'s order updates to a WebSocket client of npm start, and nothing of an account it may not read', async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'streaming-'));
  const ports = { LOCAL_API_PORT: await freePort(), LOCAL_OPEND_PORT: await freePort(), LOCAL_DYNAMODB_PORT: await freePort(), LOCAL_EVENTBRIDGE_PORT: await freePort(), LOCAL_RELAY_HEALTH_PORT: await freePort() };
  const callers = [
    { principal: LOCAL, accounts: '*', rights: [...RIGHTS] },
    { principal: VIEWER, accounts: [SIM_HK], rights: ['read'] },
  ];
  const child = spawn('npm', ['start', '--', '--fresh', '--data-dir', dataDir], {
    cwd: ROOT,
    env: { ...process.env, ...Object.fromEntries(Object.entries(ports).map(([k, v]) => [k, String(v)])), OPEND_CALLERS: JSON.stringify(callers) },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d));
  child.stderr!.on('data', (d: Buffer) => (out += d));
  const sockets: WebSocket[] = [];
  try {
    await until(() => out.includes('Ctrl-C stops everything.'), 120_000, `the ready banner; output so far:\n${out}`);
    const url = /WebSocket stream\s+(ws:\/\/\S+)/.exec(out)?.[1];
    expect(url).toBe(`ws://127.0.0.1:${ports.LOCAL_API_PORT}/stream`);
    const api = `http://127.0.0.1:${ports.LOCAL_API_PORT}`;

    const viewer = await client(url!, VIEWER);
    const admin = await client(url!, LOCAL);
    sockets.push(viewer.ws, admin.ws);

    const subscribed = await viewer.request({ action: 'subscribe', quotes: ['HK.00700'], types: ['Quote'], accounts: [SIM_HK] }, ['subscribed', 'error']);
    expect(subscribed).toEqual({ type: 'subscribed', subscriptions: { quotes: [{ security: 'HK.00700', types: ['Quote'] }], accounts: [SIM_HK] } });
    const refused = await viewer.request({ action: 'subscribe', accounts: [SIM_US] }, ['subscribed', 'error']);
    expect(refused).toMatchObject({ type: 'error', code: 'FORBIDDEN', details: { accounts: [SIM_US] } });
    expect((await admin.request({ action: 'subscribe', accounts: [SIM_US] }, ['subscribed', 'error'])).type).toBe('subscribed');
    expect((await viewer.request({ action: 'ping' }, ['pong'])).type).toBe('pong');

    // The relay subscribes HK.00700 by default; its Quote events reach the subscriber.
    await until(() => viewer.got.some((m) => m.type === 'event' && m.detailType === 'Quote' && m.detail?.['security'] === 'HK.00700'), 60_000, 'a Quote push for HK.00700');

    const place = async (accId: string, body: object, key: string) => {
      const r = await fetch(`${api}/v1/accounts/${accId}/orders`, { method: 'POST', headers: { 'content-type': 'application/json', 'idempotency-key': key }, body: JSON.stringify(body) });
      expect(r.status, await r.clone().text()).toBe(201);
      return ((await r.json()) as { order: { orderId: string } }).order.orderId;
    };
    const hkOrder = await place(SIM_HK, { code: 'HK.00700', side: 'BUY', type: 'MARKET', qty: 100 }, 'stream-hk-1');
    const usOrder = await place(SIM_US, { code: 'US.AAPL', side: 'BUY', type: 'NORMAL', price: 1, qty: 1 }, 'stream-us-1');

    await until(() => orderEvents(viewer.got, SIM_HK).some((m) => m.detail?.['orderId'] === hkOrder && m.detail?.['status'] === 'FILLED_ALL'), 60_000, 'the HK order\'s FILLED_ALL update on the stream');
    const statuses = orderEvents(viewer.got, SIM_HK).filter((m) => m.detail?.['orderId'] === hkOrder).map((m) => m.detail?.['status']);
    expect(statuses).toContain('SUBMITTED');
    expect(statuses.indexOf('SUBMITTED')).toBeLessThan(statuses.indexOf('FILLED_ALL'));

    // The other account's order did produce events (the admin connection receives them) …
    await until(() => orderEvents(admin.got, SIM_US).some((m) => m.detail?.['orderId'] === usOrder), 60_000, 'the US order\'s update on the admin stream');
    // … and by then the HK viewer has had every chance to receive them, had they been sent to it.
    await until(async () => {
      const r = (await (await fetch(`${api}/_local/events?detailType=Order%20Update`)).json()) as { events: { id: string; detail: { orderId: string } }[]; deliveries: { rule: string; eventId: string }[] };
      const usEvents = r.events.filter((e) => e.detail.orderId === usOrder).map((e) => e.id);
      return usEvents.length > 0 && usEvents.every((id) => r.deliveries.some((d) => d.rule === 'streamFanout' && d.eventId === id));
    }, 30_000, 'the fan-out of every US order event');
    expect(orderEvents(viewer.got, SIM_US)).toEqual([]);
    expect(viewer.got.filter((m) => m.type === 'event' && m.detail?.['accId'] !== undefined && m.detail['accId'] !== SIM_HK)).toEqual([]);
  } catch (err) {
    throw new Error(`${(err as Error).message}\n--- npm start output ---\n${out.slice(-4000)}`);
  } finally {
    for (const ws of sockets) ws.terminate();
    if (child.exitCode === null && child.signalCode === null) {
      try {
        process.kill(-child.pid!, 'SIGINT');
        await until(() => child.exitCode !== null || child.signalCode !== null, 30_000, 'npm start to stop').catch(() => process.kill(-child.pid!, 'SIGKILL'));
      } catch {
        // already gone
      }
    }
  }
}, 300_000);
