// OpenDClient against the real simulator over TCP.
import { afterEach, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator } from '../../gateway-container/simulator/index.js';
import { QuoteApi } from '../../proto/api/quotes.js';
import { OpenDClient } from '../../proto/client.js';
import { generateRsaKeyPem, PacketEncAlgo } from '../../proto/crypto.js';
import { DisconnectedError, OpenDError, RequestTimeoutError } from '../../proto/errors.js';
import { PROTO_ID } from '../../proto/registry.js';

const KEY = generateRsaKeyPem();
const SIM_HK = { accId: 281756480572583411n, env: 'SIMULATE' as const, market: 'HK' as const };

let sims: Simulator[] = [];
let clients: OpenDClient[] = [];
afterEach(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await Promise.all(sims.map((s) => s.close()));
  clients = [];
  sims = [];
});

async function sim(opts: Parameters<typeof startSimulator>[0] = {}): Promise<Simulator> {
  const s = await startSimulator({ port: 0, clock: { manual: true }, ...opts });
  sims.push(s);
  return s;
}

async function client(s: Simulator, opts: Partial<Parameters<typeof OpenDClient.connect>[0]> = {}): Promise<OpenDClient> {
  const c = await OpenDClient.connect({ host: s.host, port: s.port, clientId: 'client-test', ...opts });
  clients.push(c);
  return c;
}

async function until(cond: () => boolean, timeoutMs = 5000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A trade write with a packetID the simulator has seen before: with replayedPacketId 'ignore' it is never answered. */
async function neverAnswered(c: OpenDClient, timeoutMs?: number): Promise<unknown> {
  const header = { trdEnv: 0, accID: SIM_HK.accId, trdMarket: 1 };
  const req = { header, trdSide: 1, orderType: 1, code: '00700', secMarket: 1, qty: 100, price: 1, packetID: { connID: c.info.connId, serialNo: 0 } };
  return c.request(PROTO_ID.Trd_PlaceOrder, req, { timeoutMs });
}

describe('InitConnect', () => {
  it('connects in plaintext and reports the connection details', async () => {
    const s = await sim();
    const c = await client(s);
    expect(c.info.packetEncAlgo).toBe(PacketEncAlgo.NONE);
    expect(c.info.connId).toBeGreaterThan(2n ** 53n);
    expect(c.info.keepAliveIntervalSec).toBe(10);
    const gs = await c.request(PROTO_ID.GetGlobalState, { userID: 0n });
    expect(gs.connID).toBe(c.info.connId);
    expect(gs.qotLogined).toBe(true);
  });

  it('resolves every open() made while the first connection is still being set up', async () => {
    const s = await sim();
    const c = new OpenDClient({ host: s.host, port: s.port, clientId: 'twice' });
    clients.push(c);
    const [a, b] = await Promise.all([c.open(), c.open()]);
    expect(a.connId).toBe(b.connId);
    expect(s.core.stats.connectionsAccepted).toBe(1);
  });

  it.each([
    ['AES-CBC', PacketEncAlgo.AES_CBC],
    ['FTAES_ECB', PacketEncAlgo.FTAES_ECB],
  ])('connects with RSA and %s and every later packet is encrypted', async (_name, algo) => {
    const s = await sim({ rsaPrivateKey: KEY });
    const c = await client(s, { rsaPrivateKey: KEY, packetEncAlgo: algo });
    expect(c.info.packetEncAlgo).toBe(algo);
    const conn = [...s.core.connections.values()][0]!;
    expect(conn.rsaInit).toBe(true);
    expect(conn.encrypted).toBe(true);
    const snap = await new QuoteApi(c).snapshot('HK.00700');
    expect(snap[0]!.code).toBe('HK.00700');
    expect(snap[0]!.lotSize).toBe(100);
  });

  it('fails with a clear error when the client holds a different RSA key', async () => {
    const s = await sim({ rsaPrivateKey: KEY });
    await expect(OpenDClient.connect({ host: s.host, port: s.port, clientId: 'x', rsaPrivateKey: generateRsaKeyPem(), requestTimeoutMs: 2000 })).rejects.toThrow();
    expect(s.core.stats.malformedFrames + s.core.stats.requests).toBeGreaterThan(0);
  });
});

describe('keepalive', () => {
  it('sends KeepAlive at 4/5 of the interval OpenD announces', async () => {
    const s = await sim({ keepAliveIntervalSec: 1 });
    const t0 = Date.now();
    const c = await client(s);
    const conn = [...s.core.connections.values()][0]!;
    await until(() => conn.keepAlives >= 3, 6000);
    const elapsed = Date.now() - t0;
    // Three keepalives at an 800 ms period take at least 2.4 s; far fewer than one per 100 ms.
    expect(elapsed).toBeGreaterThanOrEqual(2300);
    expect(c.connected).toBe(true);
  });

  it('is dropped by OpenD when it sends no keepalive', async () => {
    const s = await sim({ idleTimeoutMs: 400 });
    const c = await client(s, { keepAlive: false });
    await until(() => !c.connected, 5000);
    expect(s.core.stats.idleDrops).toBe(1);
  });
});

describe('requests', () => {
  it('rejects with RequestTimeoutError after requestTimeoutMs when no reply comes', async () => {
    const s = await sim({ replayedPacketId: 'ignore' });
    const c = await client(s);
    const err = await neverAnswered(c, 300).catch((e) => e);
    expect(err).toBeInstanceOf(RequestTimeoutError);
    expect((err as RequestTimeoutError).protoId).toBe(PROTO_ID.Trd_PlaceOrder);
    expect(c.connected).toBe(true);
  });

  it('surfaces retType -1 as OpenDError with the server message', async () => {
    const s = await sim();
    const c = await client(s);
    const err = await new QuoteApi(c).snapshot('HK.99999').catch((e) => e);
    expect(err).toBeInstanceOf(OpenDError);
    expect(err).toMatchObject({ protoId: PROTO_ID.Qot_GetSecuritySnapshot, retType: -1 });
    expect((err as OpenDError).retMsg).toMatch(/Unknown stock HK\.99999/);
  });

  it('rejects a request in flight at once with DisconnectedError when the socket drops, without retrying it', async () => {
    const s = await sim({ replayedPacketId: 'ignore' });
    const c = await client(s, { requestTimeoutMs: 30_000 });
    const pending = neverAnswered(c).catch((e) => e);
    await until(() => s.core.stats.requests >= 2);
    const placedBefore = s.trading.orders({ trdEnv: 0, accID: SIM_HK.accId, trdMarket: 1 }).length;
    s.core.dropAllConnections();
    const err = await pending;
    expect(err).toBeInstanceOf(DisconnectedError);
    expect((err as Error).message).toMatch(/not retried/);
    expect(s.trading.orders({ trdEnv: 0, accID: SIM_HK.accId, trdMarket: 1 }).length).toBe(placedBefore);
    await expect(c.request(PROTO_ID.GetGlobalState, { userID: 0n })).rejects.toBeInstanceOf(DisconnectedError);
  });

  it('fills in packetID with this connection ID and the header serial for trade writes', async () => {
    const s = await sim();
    const c = await client(s);
    await c.request(PROTO_ID.Trd_PlaceOrder, { header: { trdEnv: 0, accID: SIM_HK.accId, trdMarket: 1 }, trdSide: 1, orderType: 1, code: '00700', secMarket: 1, qty: 100, price: 300 });
    const conn = [...s.core.connections.values()][0]!;
    expect(conn.lastPacketSerial).toBeGreaterThan(0);
  });
});

describe('reconnect', () => {
  it('reconnects with backoff and runs the reconnected hook before the event', async () => {
    const s = await sim();
    const c = await client(s, { reconnect: { initialDelayMs: 50, maxDelayMs: 200 } });
    const firstConnId = c.info.connId;
    const order: string[] = [];
    c.onReconnected(async (cl, info) => {
      order.push('hook');
      await new QuoteApi(cl).subscribe(['HK.00700'], ['BASIC']);
      expect(info.connId).not.toBe(firstConnId);
    });
    const reconnected = new Promise<void>((r) => c.once('reconnected', () => (order.push('event'), r())));
    s.core.dropAllConnections();
    await reconnected;
    expect(order).toEqual(['hook', 'event']);
    expect(c.info.connId).not.toBe(firstConnId);
    expect(s.quotes.subscriptions.isHeldBy(c.info.connId, 'HK.00700', 1)).toBe(true);
  });

  it('keeps trying while OpenD is down and gives up after maxAttempts', async () => {
    const s = await sim();
    const port = s.port;
    const c = await client(s, { reconnect: { initialDelayMs: 20, maxDelayMs: 40, maxAttempts: 3 } });
    const failures: number[] = [];
    c.on('reconnectFailed', (f) => failures.push(f.attempt));
    const closed = new Promise<void>((r) => c.once('closed', () => r()));
    await s.close();
    sims = [];
    await closed;
    expect(failures).toEqual([1, 2, 3, 4]);
    expect(c.state).toBe('closed');
    expect(port).toBeGreaterThan(0);
  });
});

describe('pushes', () => {
  it('delivers typed pushes as events and as an async iterator', async () => {
    const s = await sim();
    const c = await client(s);
    const it = c.pushes([PROTO_ID.Qot_UpdateBasicQot]);
    const events: number[] = [];
    c.on('push', (p) => events.push(p.protoId));
    await new QuoteApi(c).subscribe(['HK.00700'], ['BASIC'], { firstPush: false });
    s.advance(3000);
    const first = await it.next();
    expect(first.done).toBe(false);
    const push = first.value as { protoId: number; s2c: { basicQotList: { security: { code: string }; curPrice: number; volume: bigint }[] } };
    expect(push.protoId).toBe(PROTO_ID.Qot_UpdateBasicQot);
    expect(push.s2c.basicQotList[0]!.security.code).toBe('00700');
    expect(typeof push.s2c.basicQotList[0]!.volume).toBe('bigint');
    expect(events).toContain(PROTO_ID.Qot_UpdateBasicQot);
    await it.return!();
  });

  it('ends the iterator when the client closes', async () => {
    const s = await sim();
    const c = await client(s);
    const it = c.pushes();
    const next = it.next();
    await c.close();
    expect((await next).done).toBe(true);
  });
});
