// The local API's request checks (bin/local/api-guard.ts) on a real HTTP server on 127.0.0.1, with fetch and
// raw node:http requests: chunked bodies with no length, bodies that are too large with and without a
// Content-Length, the drain bound, and keep-alive reuse after a refusal. The whole local stack behind the same
// guard is tested in test/e2e/local-stack-security.test.ts.
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { guardedBody } from '../../bin/local/api-guard.js';

let server: Server;
let port = 0;
const received: string[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    void guardedBody(req, res, { port, maxBodyBytes: 64 * 1024, drainLimitBytes: 256 * 1024 }).then((body) => {
      if (body === undefined) return;
      received.push(body);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ bytes: Buffer.byteLength(body) }));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  port = (server.address() as AddressInfo).port;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((r) => server.close(() => r()));
});

/** A request with a body streamed in chunks (Transfer-Encoding: chunked, no Content-Length). */
function chunked(chunks: Buffer[], headers: Record<string, string>): Promise<{ status: number; headers: Record<string, unknown>; body: string; error?: string }> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, method: 'POST', path: '/x', headers: { ...headers, 'transfer-encoding': 'chunked' }, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', (err) => resolve({ status: 0, headers: {}, body: '', error: err.message }));
    for (const c of chunks) req.write(c);
    req.end();
  });
}

describe('local API guard', () => {
  it('accepts a chunked JSON body and hands it over whole', async () => {
    const r = await chunked([Buffer.from('{"a":'), Buffer.from('"b"}')], { host: `127.0.0.1:${port}`, 'content-type': 'application/json' });
    expect(r.status).toBe(200);
    expect(received.at(-1)).toBe('{"a":"b"}');
  });

  it('answers 415 to a chunked body with no content-type', async () => {
    const r = await chunked([Buffer.from('{"a":1}')], { host: `127.0.0.1:${port}` });
    expect(r.status).toBe(415);
    expect(JSON.parse(r.body).error.details).toEqual({ contentType: null, allowed: ['application/json'] });
  });

  it('answers 413 with Connection: close to a chunked body over the limit, after reading it, so the client sees the answer', async () => {
    const r = await chunked(Array.from({ length: 10 }, () => Buffer.alloc(10 * 1024, 0x20)), { host: `localhost:${port}`, 'content-type': 'application/json' });
    expect(r.error).toBeUndefined();
    expect(r.status).toBe(413);
    expect(r.headers['connection']).toBe('close');
    expect(JSON.parse(r.body).error).toMatchObject({ code: 'PAYLOAD_TOO_LARGE', details: { bytes: 102_400, limit: 65_536 } });
  });

  it('answers 413 at once to a Content-Length beyond the drain bound, without reading the body', async () => {
    const r = await new Promise<{ status: number; connection?: string }>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, method: 'POST', path: '/x', headers: { host: `127.0.0.1:${port}`, 'content-type': 'application/json', 'content-length': String(10 * 1024 * 1024) }, agent: false }, (res) => {
        res.resume();
        resolve({ status: res.statusCode ?? 0, connection: res.headers['connection'] });
      });
      req.on('error', reject);
      req.write(Buffer.alloc(1024)); // the rest never comes: the answer must not wait for it
    });
    expect(r.status).toBe(413);
    expect(r.connection).toBe('close');
  });

  it('keeps a keep-alive connection usable after a 415 whose body it read, and fetch works after a 413', async () => {
    const before = received.length;
    const refused = await fetch(`http://127.0.0.1:${port}/x`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'hello' });
    expect(refused.status).toBe(415);
    await refused.arrayBuffer();
    const big = await fetch(`http://127.0.0.1:${port}/x`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: 'x'.repeat(100_000) });
    expect(big.status).toBe(413);
    await big.arrayBuffer();
    for (let i = 0; i < 3; i++) {
      const ok = await fetch(`http://127.0.0.1:${port}/x`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: `{"i":${i}}` });
      expect(ok.status).toBe(200);
      await ok.arrayBuffer();
    }
    expect(received.slice(before)).toEqual(['{"i":0}', '{"i":1}', '{"i":2}']);
  });
});
