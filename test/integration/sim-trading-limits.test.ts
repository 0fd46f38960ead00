// The simulator's frequency limits on the virtual clock (trade writes per account, UnlockTrade, refreshCache
// queries, quote requests) and its connection rules (the connection cap and the KeepAlive timeout), over real
// TCP with the real OpenDClient / TradeApi / QuoteApi. (Orders and pushes: sim-trading-orders.test.ts;
// encryption, packetID replay protection and the login challenge: sim-trading-sessions.test.ts.)
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Simulator } from '../../gateway-container/simulator/index.js';
import { DisconnectedError } from '../../proto/errors.js';
import { PROTO_ID } from '../../proto/registry.js';
import { ACC, barrier, closeAll, connectClient, expectOpenDError, nextEvent, serverSideClose, sleep, startTestSimulator } from './sim-helpers.js';
import { client, open, restingBuy } from './sim-trading-support.js';

afterEach(async () => {
  await closeAll(...open.splice(0));
});

// ------------------------------------------------------------------------------------- frequency limits

describe('frequency limits on the virtual clock', () => {
  let sim: Simulator;
  beforeAll(async () => {
    sim = await startTestSimulator({ historyKLQuota: 1000 });
    sim.advance(1_000);
  });
  afterAll(async () => {
    await sim.close();
  });
  beforeEach(() => sim.core.limiter.reset());

  it('allows 15 PlaceOrder per account in a sliding 30 s window, then refuses until the first one leaves it', async () => {
    const { t } = await client(sim);
    for (let i = 0; i < 15; i++) {
      await t.placeOrder(ACC.SIM_HK, restingBuy);
      sim.advance(100);
    }
    // 15 requests in 1.5 s: the 16th fails with retType -1 and says why.
    await expectOpenDError(
      t.placeOrder(ACC.SIM_HK, restingBuy),
      /frequency limit of Trd_PlaceOrder reached \(at most 15 requests per 30 s per account 281756480572583411\); retry in 28500 ms/,
    );
    // Another account has its own window.
    await t.placeOrder(ACC.SIM_US, { code: 'US.AAPL', side: 'BUY', qty: 1, price: 100 });
    sim.advance(28_499); // 29.999 s after the first order
    await expectOpenDError(t.placeOrder(ACC.SIM_HK, restingBuy), /frequency limit of Trd_PlaceOrder reached.*retry in 1 ms/);
    sim.advance(1); // the first order is 30 s old: it leaves the window
    const { orderId } = await t.placeOrder(ACC.SIM_HK, restingBuy);
    expect(orderId).toBeGreaterThan(2n ** 53n);
  });

  it('refuses a PlaceOrder less than 20 ms after the previous one of the same account', async () => {
    const { t } = await client(sim);
    await t.placeOrder(ACC.SIM_HK, restingBuy);
    sim.advance(19);
    await expectOpenDError(t.placeOrder(ACC.SIM_HK, restingBuy), /frequency limit of Trd_PlaceOrder reached \(requests must be at least 20 ms apart per account .*\); retry in 1 ms/);
    sim.advance(1);
    await t.placeOrder(ACC.SIM_HK, restingBuy);
  });

  it('allows 20 ModifyOrder (modify and cancel) per account in 30 s', async () => {
    const { t } = await client(sim);
    const { orderId } = await t.placeOrder(ACC.SIM_HK, restingBuy);
    for (let i = 0; i < 20; i++) {
      sim.advance(100);
      await t.modifyOrder(ACC.SIM_HK, orderId, { price: i % 2 === 0 ? 300.2 : 300 });
    }
    sim.advance(100);
    await expectOpenDError(t.cancelOrder(ACC.SIM_HK, orderId), /frequency limit of Trd_ModifyOrder reached \(at most 20 requests per 30 s per account/);
    // PlaceOrder has a window of its own.
    await t.placeOrder(ACC.SIM_HK, restingBuy);
    sim.advance(30_000);
    await t.cancelOrder(ACC.SIM_HK, orderId);
    expect((await t.orders(ACC.SIM_HK, { orderIds: [orderId] }))[0]!.status).toBe('CANCELLED_ALL');
  });

  it('allows 10 UnlockTrade per 30 s for the whole OpenD', async () => {
    const a = await client(sim);
    const b = await client(sim);
    for (let i = 0; i < 10; i++) {
      await a.t.unlock('123456');
      sim.advance(10);
    }
    await expectOpenDError(a.t.unlock('123456'), /frequency limit of Trd_UnlockTrade reached \(at most 10 requests per 30 s\)/);
    // Counted per OpenD, not per connection.
    await expectOpenDError(b.t.unlock('123456'), /frequency limit of Trd_UnlockTrade reached/);
    sim.advance(30_000);
    await b.t.lock();
  });

  it('allows 10 refreshCache queries (funds, positions, orders, fills) per account in 30 s; cached ones are unlimited', async () => {
    const { t } = await client(sim);
    const cases: [string, (refresh: boolean) => Promise<unknown>][] = [
      ['Trd_GetFunds', (refresh) => t.funds(ACC.SIM_HK, { refresh })],
      ['Trd_GetPositionList', (refresh) => t.positions(ACC.SIM_HK, { refresh })],
      ['Trd_GetOrderList', (refresh) => t.orders(ACC.SIM_HK, { refresh })],
      ['Trd_GetOrderFillList', (refresh) => t.fills(ACC.REAL_HK, { refresh })],
    ];
    for (const [name, query] of cases) {
      for (let i = 0; i < 10; i++) await query(true);
      await expectOpenDError(query(true), new RegExp(`frequency limit of ${name} reached \\(at most 10 requests per 30 s per account`));
      for (let i = 0; i < 15; i++) await query(false); // served from the cache: no limit
    }
    sim.advance(30_000);
    for (const [, query] of cases) await query(true);
  });

  it('allows 60 GetSecuritySnapshot per 30 s', async () => {
    const { q } = await client(sim);
    for (let i = 0; i < 60; i++) {
      await q.snapshot(['HK.00700']);
      sim.advance(10);
    }
    await expectOpenDError(q.snapshot(['HK.00700']), /frequency limit of Qot_GetSecuritySnapshot reached \(at most 60 requests per 30 s\)/);
    // Quote limits count for the whole OpenD, whichever connection asks.
    const other = await client(sim);
    await expectOpenDError(other.q.snapshot(['US.AAPL']), /frequency limit of Qot_GetSecuritySnapshot/);
    sim.advance(30_000);
    expect((await q.snapshot(['HK.00700']))[0]!.code).toBe('HK.00700');
  });

  it('allows 60 RequestHistoryKL first pages per 30 s; pages after the first are not limited', async () => {
    const { q } = await client(sim);
    const req = { type: 'DAY' as const, from: '2024-01-01', to: '2024-12-31', pageSize: 20 };
    let key: Uint8Array | undefined;
    for (let i = 0; i < 60; i++) {
      const page = await q.historyKlinesPage('HK.00700', req);
      key = page.nextPageKey;
      sim.advance(10);
    }
    await expectOpenDError(q.historyKlinesPage('HK.00700', req), /frequency limit of Qot_RequestHistoryKL reached \(at most 60 requests per 30 s\)/);
    // Following pages still work while first pages are refused.
    for (let i = 0; i < 5 && key; i++) {
      const page = await q.historyKlinesPage('HK.00700', { ...req, pageKey: key });
      expect(page.bars).toHaveLength(20);
      key = page.nextPageKey;
    }
    sim.advance(30_000);
    expect((await q.historyKlinesPage('HK.00700', req)).bars).toHaveLength(20);
  });
});

// ----------------------------------------------------------------------------------------- connections

describe('connection limits', () => {
  it('closes the connection over maxConnections and accepts again once one is closed', async () => {
    const sim = await startTestSimulator({ maxConnections: 5 });
    try {
      const five = await Promise.all(Array.from({ length: 5 }, () => client(sim)));
      const refused = await connectClient(sim).catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(DisconnectedError);
      expect(sim.core.stats.connectionsRefused).toBe(1);
      for (const { c } of five) await barrier(c); // the five still work

      const gone = five[0]!.c;
      const id = gone.info.connId;
      await gone.close();
      await serverSideClose(sim, id);
      const sixth = await client(sim);
      await barrier(sixth.c);
      expect(sim.core.connections.size).toBe(5);
    } finally {
      await closeAll(...open.splice(0));
      await sim.close();
    }
  });

  it('accepts 128 connections by default and closes the 129th', async () => {
    const sim = await startTestSimulator();
    try {
      const all = await Promise.all(Array.from({ length: 128 }, () => connectClient(sim, { keepAlive: false })));
      open.push(...all);
      expect(sim.core.connections.size).toBe(128);
      const refused = await connectClient(sim).catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(DisconnectedError);
      expect(sim.core.stats.connectionsRefused).toBe(1);
      await Promise.all(all.map((c) => barrier(c)));
    } finally {
      await closeAll(...open.splice(0));
      await sim.close();
    }
  });

  it('closes a connection that sends no KeepAlive within idleTimeoutMs and keeps one that does', async () => {
    const sim = await startTestSimulator({ idleTimeoutMs: 500 });
    try {
      const silent = await client(sim, { keepAlive: false });
      const chatty = await client(sim, { keepAlive: false });
      const dropped = nextEvent<void>((cb) => silent.c.once('closed', () => cb()), 'the idle connection being closed');
      let done = false;
      void dropped.then(() => (done = true), () => (done = true));
      // The chatty one sends a KeepAlive every 50 ms (10× inside the timeout) until the silent one is gone.
      for (let i = 0; i < 200 && !done; i++) {
        await barrier(chatty.c);
        await sleep(50);
      }
      await dropped;
      expect(silent.c.state).toBe('closed');
      expect(sim.core.stats.idleDrops).toBe(1);
      expect(chatty.c.connected).toBe(true);
      await barrier(chatty.c);
    } finally {
      await closeAll(...open.splice(0));
      await sim.close();
    }
  });

  it('does not count an event-loop stall against a client whose KeepAlive waits in the socket', async () => {
    // A long synchronous step (a virtual day generated at once, a busy machine) lets timers fire before sockets
    // are read: the KeepAlive written just before the stall must still count.
    const sim = await startTestSimulator({ idleTimeoutMs: 500 });
    try {
      const { c } = await client(sim, { keepAlive: false });
      await barrier(c);
      void c.request(PROTO_ID.KeepAlive, { time: 0n });
      const until = Date.now() + 1_500;
      while (Date.now() < until) {
        // a deliberate 1.5 s stall of this process (client and simulator alike), three idle timeouts long
      }
      await barrier(c);
      expect(c.connected).toBe(true);
      expect(sim.core.stats.idleDrops).toBe(0);
    } finally {
      await closeAll(...open.splice(0));
      await sim.close();
    }
  });
});
