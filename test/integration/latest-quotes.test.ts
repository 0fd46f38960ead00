// The latest-quote store end to end: the relay against the real simulator over TCP writes conflated quotes to
// DynamoDB Local through the real AWS SDK; GET /v1/quotes (the quotes function through the functions harness)
// answers subscribed codes from it and the rest from Snapshot; and a DynamoDB that never answers (a local TCP
// endpoint that accepts and stays silent, no mock) does not hold up order events.
import { createServer, type Server, type Socket } from 'node:net';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '../../bin/local/dynamodb-local.js';
import { startLocalEventBridge, type LocalEventBridge } from '../../bin/local/eventbridge-local.js';
import { metricsOf } from '../../gateway-container/relay/http.js';
import { Relay, type RelayOptions } from '../../gateway-container/relay/relay.js';
import { HEARTBEAT_KEY } from '../../proto/latest-quote-item.js';
import { PROTO_ID } from '../../proto/registry.js';
import { securityKey } from '../../proto/securities.js';
import { stepTicks } from '../../proto/ticks.js';
import { ACCOUNTS, startFunctionsHarness, type FunctionsHarness } from '../support/functions-harness.js';
import { until } from '../support/local-aws.js';
import { testRelayOptions } from '../support/test-relay.js';
import { teardownAfterEach } from '../support/teardown.js';

const STALE_AFTER_MS = 2_000;

let h: FunctionsHarness;
let bus: LocalEventBridge;
let doc: DynamoDBDocumentClient;
/** Every store write the relay sends: when, and which key (recorded by an SDK middleware on the real client). */
let sent: { at: number; key: string }[] = [];

beforeAll(async () => {
  h = await startFunctionsHarness({ env: { QUOTE_STALE_AFTER_MS: String(STALE_AFTER_MS) } });
  bus = await startLocalEventBridge();
  doc = DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint: h.ddb.endpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS }), { marshallOptions: { removeUndefinedValues: true } });
  doc.middlewareStack.add(
    (next) => async (args) => {
      const input = args.input as { Key?: { security?: string }; UpdateExpression?: string };
      if (input.UpdateExpression && input.Key?.security) sent.push({ at: Date.now(), key: input.Key.security });
      return next(args);
    },
    { step: 'initialize', name: 'recordStoreWrites' },
  );
}, 180_000);
afterAll(async () => {
  await bus?.close();
  await h?.stop();
});

const cleanups = teardownAfterEach();

async function startRelay(overrides: Partial<RelayOptions>): Promise<Relay> {
  const relay = new Relay(testRelayOptions({ host: h.sim.host, port: h.sim.port, rsaPrivateKey: h.rsaKeyPem, clientId: `lq-${Math.random()}` }, bus.endpoint, overrides));
  cleanups.push(() => relay.stop({ drainTimeoutMs: 2_000 }));
  await relay.start();
  await until(() => relay.health().ready, 20_000, 'relay ready');
  return relay;
}

const stored = async (security: string) => (await doc.send(new GetCommand({ TableName: h.tables.latestQuotes, Key: { security } }))).Item;

/** The last basic quote the relay received for each security (listening on the relay's own OpenD client, after the relay). */
function recordLastQuotes(relay: Relay): Map<string, { volume: number; price: number; updateTimestamp: number }> {
  const last = new Map<string, { volume: number; price: number; updateTimestamp: number }>();
  relay.client.on('push', (ev) => {
    if (ev.protoId !== PROTO_ID.Qot_UpdateBasicQot) return;
    for (const q of (ev.s2c as { basicQotList?: { security: { market: number; code: string }; volume: bigint; curPrice: number; updateTimestamp: number }[] }).basicQotList ?? []) {
      last.set(securityKey(q.security), { volume: Number(q.volume), price: q.curPrice, updateTimestamp: q.updateTimestamp });
    }
  });
  return last;
}

describe('the relay keeps the latest quotes in DynamoDB', () => {
  it('writes each security at most once per interval, conflating the pushes in between, and the latest value wins', async () => {
    sent = [];
    const relay = await startRelay({
      subscriptions: [{ codes: ['HK.00700', 'HK.09988'], types: ['BASIC', 'ORDER_BOOK'] }],
      latestQuotes: { tableName: h.tables.latestQuotes, doc, intervalMs: 1_000, heartbeatMs: 200 },
    });
    const last = recordLastQuotes(relay);
    // Many quote pushes in well under a second of wall time: 60 steps of 200 ms of market time.
    const pushesBefore = relay.metrics.pushesByProto['3005'] ?? 0;
    for (let i = 0; i < 60; i++) h.sim.advance(200);
    await until(() => (relay.metrics.pushesByProto['3005'] ?? 0) - pushesBefore >= 10, 20_000, 'basic-quote pushes');
    await relay.flush();
    // The store converges on the last pushed quote of each security.
    for (const code of ['HK.00700', 'HK.09988']) {
      const want = last.get(code);
      expect(want, code).toBeDefined();
      await until(async () => (await stored(code))?.['quote']?.updateTimestamp === want!.updateTimestamp, 20_000, `${code} stored quote of ${want!.updateTimestamp}`);
      const row = (await stored(code))!;
      expect(row['quote']).toMatchObject({ volume: want!.volume, price: want!.price });
      expect(row['quote']).toMatchObject({ security: code, price: expect.any(Number) });
      expect(row['orderBook']).toMatchObject({ bid: { price: expect.any(Number) }, ask: { price: expect.any(Number) } });
      expect(row['orderBook'].bid.price).toBeLessThan(row['orderBook'].ask.price);
    }
    const m = relay.latestQuotes!.metrics;
    expect(m.conflated).toBeGreaterThan(0);
    expect(m.writes).toBeLessThan(m.offered);
    // ≤ 1 write per security per interval (a few ms of slack for the gap between the timer and the SDK's first step).
    for (const code of ['HK.00700', 'HK.09988']) {
      const times = sent.filter((s) => s.key === code).map((s) => s.at);
      expect(times.length, code).toBeGreaterThan(0);
      for (let i = 1; i < times.length; i++) expect(times[i]! - times[i - 1]!, `${code} write ${i}`).toBeGreaterThanOrEqual(1_000 - 30);
    }
    expect(metricsOf(relay).latestQuotes).toMatchObject({ writeFailures: 0, writes: m.writes });
    const beat = await stored(HEARTBEAT_KEY);
    expect(beat).toMatchObject({ intervalMs: 1_000, subscribed: { BASIC: ['HK.00700', 'HK.09988'], ORDER_BOOK: ['HK.00700', 'HK.09988'] } });
  }, 90_000);

  it('keeps order events flowing while DynamoDB never answers, and counts the failed writes (fault: a silent TCP endpoint)', async () => {
    const sockets: Socket[] = [];
    const blackHole: Server = createServer((s) => sockets.push(s));
    await new Promise<void>((r) => blackHole.listen(0, '127.0.0.1', r));
    cleanups.push(async () => {
      for (const s of sockets) s.destroy();
      await new Promise((r) => blackHole.close(r));
    });
    const port = (blackHole.address() as { port: number }).port;
    const silentDoc = DynamoDBDocumentClient.from(
      new DynamoDBClient({ endpoint: `http://127.0.0.1:${port}`, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS, maxAttempts: 1, requestHandler: { requestTimeout: 300, connectionTimeout: 300, throwOnRequestTimeout: true } }),
    );
    cleanups.push(async () => silentDoc.destroy());
    const relay = await startRelay({
      subscriptions: [{ codes: ['HK.00700'], types: ['BASIC', 'ORDER_BOOK'] }],
      latestQuotes: { tableName: h.tables.latestQuotes, doc: silentDoc, intervalMs: 100, heartbeatMs: 100 },
    });
    h.sim.advance(1_000);
    await until(() => relay.latestQuotes!.metrics.offered > 0, 10_000, 'quote pushes offered to the store');
    // An order placed while every store write hangs: its events reach the bus as fast as without the store.
    const top = h.sim.market.top('HK.00700')!;
    const before = bus.events.length;
    const t0 = Date.now();
    h.sim.trading.placeOrder({ packetID: { connID: 0n, serialNo: 0 }, header: h.header(ACCOUNTS.SIM_HK), trdSide: 1, orderType: 1, code: '00700', secMarket: 1, qty: 100, price: stepTicks('HK', top.bid, -5), remark: 'lq-fault' });
    await until(() => bus.events.slice(before).some((e) => e['detail-type'] === 'Order Update' && (e.detail as { remark?: string }).remark === 'lq-fault'), 10_000, 'order update on the bus');
    const orderLatencyMs = Date.now() - t0;
    expect(orderLatencyMs).toBeLessThan(3_000);
    // The store writes fail (timeouts), are counted, kept for a retry, and no heartbeat claims the store is current.
    await until(() => relay.latestQuotes!.metrics.writeFailures > 0, 10_000, 'failed store writes counted');
    const m = metricsOf(relay).latestQuotes!;
    expect(m.writes).toBe(0);
    expect(m.heartbeats).toBe(0);
    expect(relay.publisher.metrics.dropped).toBe(0);
  }, 60_000);
});

describe('GET /v1/quotes from the store and from Snapshot', () => {
  it('answers subscribed codes from the store with their age and the rest from Snapshot, in the order asked', async () => {
    const relay = await startRelay({
      subscriptions: [{ codes: ['HK.00700'], types: ['BASIC', 'ORDER_BOOK'] }],
      latestQuotes: { tableName: h.tables.latestQuotes, doc, intervalMs: 200, heartbeatMs: 200 },
    });
    const last = recordLastQuotes(relay);
    h.sim.advance(1_000);
    await relay.flush();
    const want = last.get('HK.00700')!;
    await until(async () => (await stored('HK.00700'))?.['quote']?.updateTimestamp === want.updateTimestamp && (await stored('HK.00700'))?.['orderBook'] !== undefined, 20_000, 'stored quote');
    // This relay's heartbeat, not the last one an earlier test's relay left (it named HK.09988 too).
    await until(async () => {
      const beat = await stored(HEARTBEAT_KEY);
      return Date.now() - (beat?.['at'] ?? 0) < 1_000 && JSON.stringify(beat?.['subscribed']?.BASIC) === '["HK.00700"]';
    }, 10_000, "this relay's fresh heartbeat");

    const r = await h.http('GET', '/v1/quotes?codes=HK.09988,HK.00700');
    expect(r.status).toBe(200);
    expect(r.body.quotes.map((q: { code: string; source: string }) => [q.code, q.source])).toEqual([
      ['HK.09988', 'snapshot'],
      ['HK.00700', 'store'],
    ]);
    const [snap, fromStore] = r.body.quotes;
    expect(snap.ageMs).toBe(0);
    expect(fromStore).toMatchObject({ code: 'HK.00700', name: 'Tencent Holdings', volume: want.volume, price: want.price, bid: expect.any(Number), ask: expect.any(Number) });
    expect(fromStore.ageMs).toBeGreaterThanOrEqual(0);
    expect(fromStore.ageMs).toBeLessThan(60_000);
    expect(fromStore.stale).toBeUndefined();
    // The same price a Snapshot gives now (the simulator's market has not moved since).
    const direct = (await h.rt.openD.get()).quotes;
    const [s700] = await direct.snapshot(['HK.00700']);
    expect(fromStore.price).toBe(s700!.price);

    // Store-only requests spend nothing of Futu's Snapshot limit: far more than 60 in 30 s all succeed.
    const many = await Promise.all(Array.from({ length: 80 }, () => h.http('GET', '/v1/quotes?codes=HK.00700')));
    expect(many.map((x) => x.status)).toEqual(Array(80).fill(200));
    expect(many.every((x) => x.body.quotes[0].source === 'store')).toBe(true);
  }, 90_000);

  it('replaces a stale stored quote by a snapshot, and serves it marked stale only when the Snapshot limit is used up', async () => {
    await h.freshTables(); // fresh limiter windows and an empty store
    const relay = await startRelay({
      subscriptions: [{ codes: ['HK.00700'], types: ['BASIC'] }],
      latestQuotes: { tableName: h.tables.latestQuotes, doc, intervalMs: 200, heartbeatMs: 200 },
    });
    h.sim.advance(1_000);
    await until(async () => (await stored('HK.00700'))?.['quote'] !== undefined && (await stored(HEARTBEAT_KEY)) !== undefined, 20_000, 'stored quote and heartbeat');
    await until(async () => (await h.http('GET', '/v1/quotes?codes=HK.00700')).body.quotes[0].source === 'store', 10_000, 'served from the store');

    // The relay stops: its heartbeat ages past QUOTE_STALE_AFTER_MS and the stored row no longer counts as current.
    await relay.stop();
    await until(async () => Date.now() - ((await stored(HEARTBEAT_KEY))?.['at'] ?? 0) > STALE_AFTER_MS + 100, 10_000, 'heartbeat older than the stale bound');
    const fresh = await h.http('GET', '/v1/quotes?codes=HK.00700');
    expect(fresh.status).toBe(200);
    expect(fresh.body.quotes[0]).toMatchObject({ code: 'HK.00700', source: 'snapshot', ageMs: 0 });

    // Use up the Snapshot window (60 per 30 s, less the 10 % margin).
    let refused = 0;
    for (let i = 0; i < 70 && refused === 0; i++) {
      const x = await h.http('GET', '/v1/quotes?codes=HK.09988');
      if (x.status === 429) refused++;
    }
    expect(refused).toBe(1);
    const stale = await h.http('GET', '/v1/quotes?codes=HK.00700');
    expect(stale.status).toBe(200);
    expect(stale.body.quotes[0]).toMatchObject({ code: 'HK.00700', source: 'store', stale: true });
    expect(stale.body.quotes[0].ageMs).toBeGreaterThan(STALE_AFTER_MS);
    // A code with nothing stored still gets the 429.
    const mixed = await h.http('GET', '/v1/quotes?codes=HK.00700,HK.09988');
    expect(mixed.status).toBe(429);
    expect(mixed.headers['retry-after']).toMatch(/^\d+$/);
  }, 120_000);

  it('serves a code subscribed at runtime (not in the configuration) from the store once the relay applied it', async () => {
    const relay = await startRelay({
      subscriptions: [{ codes: ['HK.00700'], types: ['BASIC'] }],
      // The runtime set as the subscriptions table would give it: US.AAPL BASIC added after deploy.
      runtimeSubscriptions: { read: async () => [{ code: 'US.AAPL', subType: 'BASIC' }], pollMs: 100 },
      latestQuotes: { tableName: h.tables.latestQuotes, doc, intervalMs: 200, heartbeatMs: 200 },
    });
    await until(() => relay.runtimeSubscriptions!.statuses().some((p) => p.code === 'US.AAPL' && p.state === 'applied'), 20_000, 'runtime subscription applied');
    await until(async () => ((await stored(HEARTBEAT_KEY))?.['subscribed']?.BASIC ?? []).includes('US.AAPL'), 10_000, 'heartbeat names US.AAPL');
    await until(async () => (await stored('US.AAPL'))?.['quote'] !== undefined, 10_000, 'US.AAPL stored');
    const r = await h.http('GET', '/v1/quotes?codes=US.AAPL');
    expect(r.status).toBe(200);
    expect(r.body.quotes[0]).toMatchObject({ code: 'US.AAPL', source: 'store' });
  }, 60_000);

  it('refuses a bad code list with a clear 400 and reads nothing', async () => {
    const r = await h.http('GET', '/v1/quotes?codes=HK.00700,NOPE');
    expect(r.status).toBe(400);
    expect(r.text).toMatch(/codes/);
  });
});

describe('current market data routes', () => {
  it('GET /v1/quotes/{code}/klines/current returns the latest bars of a type, subscribing for the call', async () => {
    h.sim.advance(120_000);
    const r = await h.http('GET', '/v1/quotes/HK.00700/klines/current?type=1MIN&count=3');
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ code: 'HK.00700', type: '1MIN', rehab: 'FORWARD' });
    expect(r.body.bars.length).toBeGreaterThan(0);
    expect(r.body.bars.length).toBeLessThanOrEqual(3);
    for (const b of r.body.bars) {
      expect(b).toMatchObject({ time: expect.any(String), open: expect.any(Number), high: expect.any(Number), low: expect.any(Number), close: expect.any(Number) });
      expect(b.low).toBeLessThanOrEqual(b.high);
    }
    const day = await h.http('GET', '/v1/quotes/US.AAPL/klines/current?type=day&count=2');
    expect(day.status).toBe(200);
    expect(day.body).toMatchObject({ code: 'US.AAPL', type: 'DAY' });
    expect(day.body.bars.length).toBeGreaterThan(0);
  }, 60_000);

  it('GET …/klines/current refuses a bad type, count or code with a 400 naming the field', async () => {
    const bad = [
      ['/v1/quotes/HK.00700/klines/current?type=2MIN', 'type'],
      ['/v1/quotes/HK.00700/klines/current?count=0', 'count'],
      ['/v1/quotes/HK.00700/klines/current?count=1001', 'count'],
      ['/v1/quotes/HK.00700/klines/current?rehab=SIDEWAYS', 'rehab'],
      ['/v1/quotes/NOPE/klines/current', 'code'],
    ] as const;
    for (const [url, field] of bad) {
      const r = await h.http('GET', url);
      expect(r.status, url).toBe(400);
      expect(r.text, url).toContain(field);
    }
  });

  it('GET /v1/quotes/{code}/time-share returns the minutes of the day so far', async () => {
    const r = await h.http('GET', '/v1/quotes/HK.00700/time-share');
    expect(r.status).toBe(200);
    expect(r.body.code).toBe('HK.00700');
    expect(r.body.points.length).toBeGreaterThan(0);
    expect(r.body.points[0]).toMatchObject({ time: expect.any(String), price: expect.any(Number), avgPrice: expect.any(Number), volume: expect.any(Number) });
  }, 60_000);

  it('GET /v1/quotes/{code}/broker-queue returns the HK broker queue and refuses other markets', async () => {
    const r = await h.http('GET', '/v1/quotes/HK.00700/broker-queue');
    expect(r.status).toBe(200);
    expect(r.body.code).toBe('HK.00700');
    expect(r.body.bids.length).toBeGreaterThan(0);
    expect(r.body.asks.length).toBeGreaterThan(0);
    expect(r.body.bids[0]).toMatchObject({ name: expect.any(String), position: 1 });
    const us = await h.http('GET', '/v1/quotes/US.AAPL/broker-queue');
    expect(us.status).toBe(400);
    expect(us.text).toMatch(/only for HK/);
  }, 60_000);

  it('GET /v1/market-state names each market state, and counts Futu’s 10 per 30 s limit', async () => {
    await h.freshTables(); // a fresh limiter window
    const r = await h.http('GET', '/v1/market-state?codes=HK.00700,US.AAPL');
    expect(r.status).toBe(200);
    expect(r.body.states.map((s: { code: string }) => s.code)).toEqual(['HK.00700', 'US.AAPL']);
    for (const s of r.body.states) expect(s.state).toMatch(/^[A-Z_]+$/);
    const bad = await h.http('GET', '/v1/market-state?codes=');
    expect(bad.status).toBe(400);
    expect(bad.text).toContain('codes');
    // 10 per 30 s less the 10 % margin: 9 in the window, the 10th is refused with Retry-After.
    const statuses: number[] = [];
    for (let i = 0; i < 9; i++) statuses.push((await h.http('GET', '/v1/market-state?codes=HK.00700')).status);
    expect(statuses.slice(0, 8)).toEqual(Array(8).fill(200));
    expect(statuses[8]).toBe(429);
  }, 60_000);
});
