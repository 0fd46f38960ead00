// The local stack against a web page the developer happens to open, over real HTTP: every listener is on
// 127.0.0.1 (read from the kernel's socket table, no traffic elsewhere), a Host header that does not name the
// API (DNS rebinding) gets 421, a body that is not declared as JSON (a "simple" cross-origin POST) gets 415 and
// places nothing, an oversized body gets 413 with `Connection: close` and the client's next request works,
// DynamoDB Local approves no cross-origin page, and the local bus refuses a rebound Host too.
import { readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalStack, type LocalStack } from '../../bin/local/stack.js';
import { silentLogger } from '../../proto/log.js';
import { freePort } from '../support/processes.js';

const ROOT = resolve(import.meta.dirname, '../..');
const SIM_HK = '281756480572583411';
let stack: LocalStack;
let dataDir = '';
let ports: { api: number; openD: number; dynamodb: number; eventBridge: number; relayHealth: number };

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'local-sec-'));
  ports = { api: await freePort(), openD: await freePort(), dynamodb: await freePort(), eventBridge: await freePort(), relayHealth: await freePort() };
  stack = await startLocalStack({ root: ROOT, dataDir, fresh: true, ports, log: silentLogger });
}, 180_000);

afterAll(async () => {
  await stack?.stop();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
}, 60_000);

/** Local addresses of the listening TCP sockets on `port`, from /proc/net/tcp and tcp6 (hex, as the kernel writes them). */
function listeners(port: number): string[] {
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  const out: string[] = [];
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    for (const line of readFileSync(file, 'utf8').split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols.length < 4 || cols[3] !== '0A') continue; // 0A = LISTEN
      const [addr, p] = cols[1]!.split(':') as [string, string];
      if (p === hexPort) out.push(addr);
    }
  }
  return out;
}

/** 127.0.0.1 as /proc/net/tcp writes it, and as tcp6 writes ::ffff:127.0.0.1 (Java's sockets). */
const LOOPBACK_HEX = new Set(['0100007F', '0000000000000000FFFF00000100007F']);

/** A request with a Host header of our choosing (fetch does not let a caller set Host). */
function rawRequest(port: number, o: { method: string; path: string; host: string; headers?: Record<string, string>; body?: string }): Promise<{ status: number; body: string }> {
  return new Promise((resolvePromise, reject) => {
    const req = request({ host: '127.0.0.1', port, method: o.method, path: o.path, headers: { host: o.host, ...o.headers }, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolvePromise({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end(o.body);
  });
}

const orderBody = (clientOrderId: string) => JSON.stringify({ code: 'HK.00700', side: 'BUY', type: 'NORMAL', price: 300, qty: 100, clientOrderId });
const ordersOfSimHk = () => stack.sim.trading.orders({ trdEnv: 0, accID: BigInt(SIM_HK), trdMarket: 1 });

describe('local stack security', () => {
  it('listens on 127.0.0.1 only: HTTP API, simulator, DynamoDB Local, local EventBridge and relay health', () => {
    for (const [name, port] of Object.entries(ports)) {
      const addrs = listeners(port);
      expect(addrs.length, `${name} (port ${port}) is listening`).toBeGreaterThan(0);
      for (const a of addrs) expect(LOOPBACK_HEX.has(a), `${name} (port ${port}) listens on ${a}`).toBe(true);
    }
  });

  it('answers 421 to a Host that is not this API (a DNS-rebound name), and serves 127.0.0.1 and localhost', async () => {
    for (const host of [`attacker.example:${ports.api}`, `127.0.0.1:${ports.api + 1}`, 'localhost']) {
      const r = await rawRequest(ports.api, { method: 'GET', path: '/v1/gateway', host });
      expect(r.status, host).toBe(421);
      expect(JSON.parse(r.body).error.code).toBe('MISDIRECTED_REQUEST');
      expect(JSON.parse(r.body).error.message).toContain(`http://127.0.0.1:${ports.api}`);
    }
    const rebound = await rawRequest(ports.api, { method: 'POST', path: `/v1/accounts/${SIM_HK}/orders`, host: `attacker.example:${ports.api}`, headers: { 'content-type': 'application/json' }, body: orderBody('rebound-1') });
    expect(rebound.status).toBe(421);
    for (const host of [`127.0.0.1:${ports.api}`, `localhost:${ports.api}`]) {
      expect((await rawRequest(ports.api, { method: 'GET', path: '/_local/status', host })).status, host).toBe(200);
    }
    expect(ordersOfSimHk().filter((o) => o.remark?.includes('rebound-1'))).toHaveLength(0);
  });

  it('answers 415 to a body not declared as JSON (what a cross-origin page can send without a preflight) and places nothing', async () => {
    const before = ordersOfSimHk().length;
    for (const contentType of ['text/plain', 'application/x-www-form-urlencoded', undefined]) {
      const r = await fetch(`${stack.apiUrl}/v1/accounts/${SIM_HK}/orders`, {
        method: 'POST',
        headers: contentType ? { 'content-type': contentType } : {},
        body: new TextEncoder().encode(orderBody(`no-json-${contentType ?? 'none'}`)),
      });
      expect(r.status, String(contentType)).toBe(415);
      const e = (await r.json()) as { error: { code: string; message: string } };
      expect(e.error.code).toBe('UNSUPPORTED_MEDIA_TYPE');
      expect(e.error.message).toMatch(/content-type: application\/json/);
    }
    expect(ordersOfSimHk().length).toBe(before);
    // The same order declared as JSON goes through.
    const ok = await fetch(`${stack.apiUrl}/v1/accounts/${SIM_HK}/orders`, { method: 'POST', headers: { 'content-type': 'application/json; charset=utf-8' }, body: orderBody('json-1') });
    expect(ok.status, await ok.clone().text()).toBeLessThan(300);
  });

  it('answers 413 with Connection: close to an oversized body, and the next request works', async () => {
    const big = JSON.stringify({ code: 'HK.00700', side: 'BUY', type: 'NORMAL', price: 300, qty: 100, pad: 'x'.repeat(2 * 1024 * 1024) });
    const r = await fetch(`${stack.apiUrl}/v1/accounts/${SIM_HK}/orders`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: big });
    expect(r.status).toBe(413);
    expect(r.headers.get('connection')).toBe('close');
    expect(((await r.json()) as { error: { code: string } }).error.code).toBe('PAYLOAD_TOO_LARGE');
    for (let i = 0; i < 3; i++) {
      const next = await fetch(`${stack.apiUrl}/_local/status`);
      expect(next.status).toBe(200);
      await next.arrayBuffer();
    }
  });

  it('DynamoDB Local approves no cross-origin page', async () => {
    const r = await fetch(`http://127.0.0.1:${ports.dynamodb}/`, {
      method: 'OPTIONS',
      headers: { origin: 'http://attacker.example', 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type,x-amz-target' },
    });
    expect(r.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('the local EventBridge refuses a rebound Host', async () => {
    const r = await rawRequest(ports.eventBridge, {
      method: 'POST',
      path: '/',
      host: `attacker.example:${ports.eventBridge}`,
      headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'AWSEvents.PutEvents' },
      body: JSON.stringify({ Entries: [{ Source: 'opend', DetailType: 'Order Update', Detail: '{}' }] }),
    });
    expect(r.status).toBe(421);
    expect(stack.bus.events.filter((e) => e.source === 'opend' && JSON.stringify(e.detail) === '{}')).toHaveLength(0);
  });
});
