// The simulator's trading side and connection rules over real TCP with the real OpenDClient / TradeApi:
// frequency limits on the virtual clock, plaintext and both AES modes, the order lifecycle and the wire order
// of replies and pushes, paper-trading vs real-account rules, Trd_SubAccPush routing, packetID replay
// protection, the login challenge, the connection cap and the KeepAlive timeout.
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Simulator } from '../../gateway-container/simulator/index.js';
import { QuoteApi } from '../../proto/api/quotes.js';
import { headerOf, toOrder, TradeApi, type AccountRef, type Order } from '../../proto/api/trading.js';
import type { OpenDClient } from '../../proto/client.js';
import { generateRsaKeyPem, PacketEncAlgo } from '../../proto/crypto.js';
import { DisconnectedError, RequestTimeoutError } from '../../proto/errors.js';
import { encodeFrame } from '../../proto/frame.js';
import * as Common from '../../proto/generated/Common.js';
import * as Notify from '../../proto/generated/Notify.js';
import * as Trd_Common from '../../proto/generated/Trd_Common.js';
import type * as Trd_UpdateOrder from '../../proto/generated/Trd_UpdateOrder.js';
import type * as Trd_UpdateOrderFill from '../../proto/generated/Trd_UpdateOrderFill.js';
import { requestCodec, PROTO_ID } from '../../proto/registry.js';
import {
  ACC,
  barrier,
  closeAll,
  connectClient,
  expectOpenDError,
  nextEvent,
  pushesOf,
  RawClient,
  serverSideClose,
  sleep,
  startTestSimulator,
  type RecordingClient,
} from './sim-helpers.js';

const { OrderStatus, TrdSide, OrderType, TrdSecMarket } = Trd_Common;

const open: OpenDClient[] = [];
async function client(sim: Simulator, opts: Parameters<typeof connectClient>[1] = {}): Promise<{ c: RecordingClient; t: TradeApi; q: QuoteApi }> {
  const c = await connectClient(sim, opts);
  open.push(c);
  return { c, t: new TradeApi(c), q: new QuoteApi(c) };
}
afterEach(async () => {
  await closeAll(...open.splice(0));
});

/** Rounds to a multiple of `tick` (HK 200–500: 0.2; US: 0.01) without float dust. */
const onTick = (price: number, tick: number) => Math.round(Math.round(price / tick) * tick * 1000) / 1000;

function top(sim: Simulator, key: string) {
  const t = sim.market.top(key);
  if (!t) throw new Error(`no book for ${key}`);
  return t;
}

/** A buy limit far under the market: it rests and never fills in these tests. */
const restingBuy = { code: 'HK.00700', side: 'BUY', qty: 100, price: 300 } as const;

function orderPushes(c: RecordingClient): Order[] {
  return pushesOf(c, PROTO_ID.Trd_UpdateOrder).map((p) => {
    const s2c = p.s2c as Trd_UpdateOrder.S2C;
    return toOrder(s2c.header, s2c.order);
  });
}

function fillPushes(c: RecordingClient): Trd_UpdateOrderFill.S2C[] {
  return pushesOf(c, PROTO_ID.Trd_UpdateOrderFill).map((p) => p.s2c as Trd_UpdateOrderFill.S2C);
}

function placeC2S(acc: AccountRef, f: { code: string; secMarket: number; qty: number; price: number; side?: number; packetID?: { connID: bigint; serialNo: number } }) {
  return {
    header: headerOf(acc),
    trdSide: f.side ?? TrdSide.BUY,
    orderType: OrderType.NORMAL,
    code: f.code,
    secMarket: f.secMarket,
    qty: f.qty,
    price: f.price,
    ...(f.packetID ? { packetID: f.packetID } : {}),
  };
}

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

// ------------------------------------------------------------------------------------------- encryption

describe('encryption', () => {
  let sim: Simulator;
  const key = generateRsaKeyPem();
  beforeAll(async () => {
    sim = await startTestSimulator({ rsaPrivateKey: key, allowPlainInitConnect: true }); // the plaintext case below
    sim.advance(1_000);
  });
  afterAll(async () => {
    await sim.close();
  });

  it.each([
    ['plaintext', undefined, PacketEncAlgo.NONE],
    ['AES-CBC', PacketEncAlgo.AES_CBC, PacketEncAlgo.AES_CBC],
    ['FTAES-ECB', PacketEncAlgo.FTAES_ECB, PacketEncAlgo.FTAES_ECB],
  ] as const)('serves quotes, trading and pushes over a %s connection', async (name, algo, expected) => {
    const { c, t, q } = await client(sim, algo === undefined ? {} : { rsaPrivateKey: key, packetEncAlgo: algo });
    expect(c.info.packetEncAlgo).toBe(expected);
    expect(sim.core.connections.get(c.info.connId)!.encrypted).toBe(expected !== PacketEncAlgo.NONE);

    expect((await t.accounts()).map((a) => a.accId)).toEqual([ACC.SIM_HK.accId, ACC.SIM_US.accId, ACC.REAL_HK.accId, ACC.REAL_US.accId]);
    expect((await q.snapshot(['HK.00700', 'US.AAPL'])).map((s) => s.code)).toEqual(['HK.00700', 'US.AAPL']);
    await q.subscribe(['HK.00700'], ['BASIC'], { push: true, firstPush: true });
    await t.subscribeAccountPushes([ACC.SIM_HK.accId]);
    sim.advance(1_000); // also keeps PlaceOrder ≥ 20 ms apart across the three cases
    const { orderId } = await t.placeOrder(ACC.SIM_HK, { ...restingBuy, remark: `over ${name}` });
    await barrier(c);
    expect(pushesOf(c, PROTO_ID.Qot_UpdateBasicQot).length).toBeGreaterThan(0);
    const mine = orderPushes(c).filter((o) => o.orderId === orderId);
    expect(mine.map((o) => o.status)).toEqual(['SUBMITTING', 'SUBMITTED']);
    expect(mine[1]!.remark).toBe(`over ${name}`);
  });

  it('refuses a client that holds a different RSA key', async () => {
    const refused = await connectClient(sim, { rsaPrivateKey: generateRsaKeyPem(), packetEncAlgo: PacketEncAlgo.AES_CBC }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(DisconnectedError);
    expect((refused as Error).message).toMatch(/closed the connection during InitConnect/);
  });

  it('refuses trading on an unencrypted connection when OpenD listens on a non-local address; quotes stay open', async () => {
    // The listener stays on 127.0.0.1 (tests use loopback only); only the host the simulator believes it
    // serves is relabelled, which is what its encryption rule reads.
    const s = await startTestSimulator({ rsaPrivateKey: key, allowPlainInitConnect: true });
    s.core.opts.host = '192.0.2.10';
    try {
      expect(s.core.listeningOnLoopback).toBe(false);
      const plain = await client(s);
      await expectOpenDError(plain.t.accounts(), /trading needs an encrypted connection/);
      await expectOpenDError(plain.t.placeOrder(ACC.SIM_HK, restingBuy), /trading needs an encrypted connection/);
      expect((await plain.q.snapshot('HK.00700'))[0]!.code).toBe('HK.00700');
      const secure = await client(s, { rsaPrivateKey: key });
      expect(await secure.t.accounts()).toHaveLength(4);
      await secure.t.placeOrder(ACC.SIM_HK, restingBuy);
    } finally {
      await closeAll(...open.splice(0));
      await s.close();
    }
  });
});

// --------------------------------------------------------------------------------- orders and pushes

describe('order lifecycle', () => {
  let sim: Simulator;
  beforeEach(async () => {
    sim = await startTestSimulator();
    sim.advance(1_000);
  });
  afterEach(async () => {
    await closeAll(...open.splice(0));
    await sim.close();
  });

  it('takes a paper order from SUBMITTING through a modify to FILLED_ALL, with Trd_UpdateOrder pushes, position and cash', async () => {
    const { c, t } = await client(sim);
    await t.subscribeAccountPushes([ACC.SIM_HK.accId]);
    const cashBefore = (await t.funds(ACC.SIM_HK)).cash;
    const below = onTick(top(sim, 'HK.00700').bid - 10, 0.2);
    const { orderId, orderIdEx } = await t.placeOrder(ACC.SIM_HK, { code: 'HK.00700', side: 'BUY', qty: 100, price: below, remark: 'lifecycle' });
    expect(orderIdEx).toMatch(/^FTS20250115_/);
    await barrier(c);
    expect(orderPushes(c).map((o) => [o.orderId, o.status])).toEqual([
      [orderId, 'SUBMITTING'],
      [orderId, 'SUBMITTED'],
    ]);

    sim.advance(1_000);
    const book = top(sim, 'HK.00700');
    expect(book.askVol).toBeGreaterThanOrEqual(100);
    const limit = onTick(book.ask + 1, 0.2);
    await t.modifyOrder(ACC.SIM_HK, orderId, { price: limit });
    await barrier(c);
    const pushes = orderPushes(c);
    expect(pushes.map((o) => o.status)).toEqual(['SUBMITTING', 'SUBMITTED', 'SUBMITTED', 'FILLED_ALL']);
    expect(pushes[2]!.price).toBe(limit);
    const filled = pushes[3]!;
    expect(filled).toMatchObject({ orderId, code: 'HK.00700', side: 'BUY', type: 'NORMAL', qty: 100, fillQty: 100, remark: 'lifecycle', env: 'SIMULATE' });
    expect(filled.fillAvgPrice).toBe(book.ask); // filled at the best ask, within the limit

    const [listed] = await t.orders(ACC.SIM_HK, { orderIds: [orderId] });
    expect(listed).toMatchObject({ status: 'FILLED_ALL', fillQty: 100, fillAvgPrice: book.ask });
    const [pos] = await t.positions(ACC.SIM_HK, { codes: ['HK.00700'] });
    expect(pos).toMatchObject({ code: 'HK.00700', qty: 100 });
    expect((await t.funds(ACC.SIM_HK)).cash).toBeCloseTo(cashBefore - 100 * book.ask, 3);
    // A filled order cannot be cancelled.
    sim.advance(100);
    await expectOpenDError(t.cancelOrder(ACC.SIM_HK, orderId), /already FILLED_ALL and cannot be cancelled/);
  });

  it('fills an order bigger than the book in parts as the market trades, up to FILLED_ALL', async () => {
    const { c, t } = await client(sim);
    await t.subscribeAccountPushes([ACC.SIM_HK.accId]);
    const book = top(sim, 'HK.00700');
    const qty = book.askVol + 1_500;
    const { orderId } = await t.placeOrder(ACC.SIM_HK, { code: 'HK.00700', side: 'BUY', qty, price: onTick(book.ask + 4, 0.2) });
    await barrier(c);
    const first = orderPushes(c).at(-1)!;
    expect(first.status).toBe('FILLED_PART');
    expect(first.fillQty).toBe(book.askVol); // everything the book offered, nothing more

    let last = first;
    for (let i = 0; i < 60 && last.status !== 'FILLED_ALL'; i++) {
      sim.advance(1_000);
      await barrier(c);
      last = orderPushes(c).at(-1)!;
    }
    expect(last.status).toBe('FILLED_ALL');
    expect(last.fillQty).toBe(qty);
    const states = orderPushes(c).map((o) => o.status);
    expect(states.filter((s) => s === 'FILLED_PART').length).toBeGreaterThanOrEqual(2);
    // fillQty only grows, one whole lot at least per push.
    const fills = orderPushes(c).map((o) => o.fillQty);
    for (let i = 1; i < fills.length; i++) expect(fills[i]!).toBeGreaterThanOrEqual(fills[i - 1]!);
    expect(fills.every((f) => f % 100 === 0)).toBe(true);
    expect((await t.orders(ACC.SIM_HK, { orderIds: [orderId] }))[0]!.status).toBe('FILLED_ALL');
  });

  it('cancels a resting order (CANCELLED_ALL) and a partly filled one (CANCELLED_PART)', async () => {
    const { c, t } = await client(sim);
    await t.subscribeAccountPushes([ACC.SIM_HK.accId]);
    const resting = await t.placeOrder(ACC.SIM_HK, restingBuy);
    sim.advance(100);
    await t.cancelOrder(ACC.SIM_HK, resting.orderId);
    sim.advance(100);
    const book = top(sim, 'HK.00939');
    const partly = await t.placeOrder(ACC.SIM_HK, { code: 'HK.00939', side: 'BUY', qty: book.askVol + 50_000, price: book.ask });
    sim.advance(100);
    await t.cancelOrder(ACC.SIM_HK, partly.orderId);
    await barrier(c);

    const byId = (id: bigint) => orderPushes(c).filter((o) => o.orderId === id);
    expect(byId(resting.orderId).map((o) => o.status)).toEqual(['SUBMITTING', 'SUBMITTED', 'CANCELLED_ALL']);
    const p = byId(partly.orderId);
    expect(p.at(-1)).toMatchObject({ status: 'CANCELLED_PART' });
    expect(p.at(-1)!.fillQty).toBeGreaterThanOrEqual(book.askVol);
    expect(p.at(-1)!.fillQty).toBeLessThan(book.askVol + 50_000);
    sim.advance(100);
    await expectOpenDError(t.cancelOrder(ACC.SIM_HK, resting.orderId), /already CANCELLED_ALL/);
  });

  it('rejects a quantity that is not a whole number of lots', async () => {
    const { t } = await client(sim);
    await expectOpenDError(t.placeOrder(ACC.SIM_HK, { ...restingBuy, qty: 150 }), /qty 150 is not a multiple of the lot size 100 for HK\.00700/);
    sim.advance(100);
    await expectOpenDError(t.placeOrder(ACC.SIM_HK, { code: 'HK.00005', side: 'BUY', qty: 100, price: 60 }), /lot size 400 for HK\.00005/);
    expect(await t.orders(ACC.SIM_HK)).toHaveLength(0);
  });

  it('rejects a price off the tick ladder, and snaps it with adjustPrice within adjustSideAndLimit', async () => {
    const { t } = await client(sim);
    await expectOpenDError(
      t.placeOrder(ACC.SIM_HK, { ...restingBuy, price: 300.1 }),
      /price 300\.1 is not on the HK tick ladder \(tick 0\.2 at this price\); valid neighbours 300 and 300\.2; pass adjustPrice/,
    );
    sim.advance(100);
    const up = await t.placeOrder(ACC.SIM_HK, { ...restingBuy, price: 300.1, adjustPriceLimit: 0.01 });
    sim.advance(100);
    const down = await t.placeOrder(ACC.SIM_HK, { ...restingBuy, price: 300.1, adjustPriceLimit: -0.01 });
    sim.advance(100);
    await expectOpenDError(t.placeOrder(ACC.SIM_HK, { ...restingBuy, price: 300.1, adjustPriceLimit: 0.0001 }), /beyond adjustSideAndLimit 0\.0001/);
    const orders = await t.orders(ACC.SIM_HK, { orderIds: [up.orderId, down.orderId] });
    expect(Object.fromEntries(orders.map((o) => [String(o.orderId), o.price]))).toEqual({ [String(up.orderId)]: 300.2, [String(down.orderId)]: 300 });
  });

  it('sends no fills and no Trd_UpdateOrderFill for paper accounts', async () => {
    const { c, t } = await client(sim);
    await t.subscribeAccountPushes([ACC.SIM_HK.accId]);
    const book = top(sim, 'HK.00700');
    const { orderId } = await t.placeOrder(ACC.SIM_HK, { code: 'HK.00700', side: 'BUY', qty: 100, price: book.ask });
    sim.advance(5_000);
    await barrier(c);
    expect(orderPushes(c).at(-1)).toMatchObject({ orderId, status: 'FILLED_ALL' });
    expect(pushesOf(c, PROTO_ID.Trd_UpdateOrderFill)).toHaveLength(0);
    await expectOpenDError(t.fills(ACC.SIM_HK), /simulated trading does not support fill queries/);
    await expectOpenDError(t.historyFills(ACC.SIM_HK, { from: '2025-01-01', to: '2025-01-31' }), /does not support fill queries/);
  });

  it('refuses REAL orders until trading is unlocked (OpenD-wide), then fills them with Trd_UpdateOrderFill pushes', async () => {
    const a = await client(sim);
    const b = await client(sim);
    await b.t.subscribeAccountPushes([ACC.REAL_HK.accId]);
    await expectOpenDError(a.t.placeOrder(ACC.REAL_HK, restingBuy), /trade is locked: unlock trading for REAL accounts first/);
    await expectOpenDError(a.t.unlock('654321'), /unlock failed: wrong trade password/);
    await a.t.unlock('123456');

    // Unlocked on connection a, placed from connection b: unlock is OpenD-wide.
    sim.advance(100);
    const book = top(sim, 'HK.00700');
    const { orderId, orderIdEx } = await b.t.placeOrder(ACC.REAL_HK, { code: 'HK.00700', side: 'BUY', qty: 100, price: book.ask });
    expect(orderIdEx).toMatch(/^FTR/);
    await barrier(b.c);
    expect(orderPushes(b.c).map((o) => o.status)).toEqual(['SUBMITTING', 'SUBMITTED', 'FILLED_ALL']);
    const fills = fillPushes(b.c);
    expect(fills).toHaveLength(1);
    expect(fills[0]!.header.accID).toBe(ACC.REAL_HK.accId);
    expect(fills[0]!.orderFill).toMatchObject({ orderID: orderId, code: '00700', qty: 100, price: book.ask, trdSide: TrdSide.BUY, status: Trd_Common.OrderFillStatus.OK });
    expect(fills[0]!.orderFill.fillID).toBeGreaterThan(2n ** 53n);

    const listed = await b.t.fills(ACC.REAL_HK);
    expect(listed.map((f) => [f.fillId, f.orderId, f.qty, f.code])).toEqual([[fills[0]!.orderFill.fillID, orderId, 100, 'HK.00700']]);
    expect(await b.t.historyFills(ACC.REAL_HK, { from: '2025-01-15 00:00:00', to: '2025-01-15 23:59:59' })).toHaveLength(1);

    await a.t.lock();
    sim.advance(100);
    await expectOpenDError(b.t.placeOrder(ACC.REAL_HK, restingBuy), /trade is locked/);
  });

  it('routes order pushes only to connections that registered the account with Trd_SubAccPush; a new list replaces the old', async () => {
    const watcher = await client(sim);
    const trader = await client(sim);
    const usWatcher = await client(sim);
    await watcher.t.subscribeAccountPushes([ACC.SIM_HK.accId]);
    await usWatcher.t.subscribeAccountPushes([ACC.SIM_US.accId]);

    const hk1 = await trader.t.placeOrder(ACC.SIM_HK, restingBuy);
    await Promise.all([barrier(watcher.c), barrier(trader.c), barrier(usWatcher.c)]);
    expect(orderPushes(watcher.c).map((o) => o.orderId)).toEqual([hk1.orderId, hk1.orderId]);
    expect(trader.c.recorded).toHaveLength(0); // placing an order does not register its connection
    expect(usWatcher.c.recorded).toHaveLength(0);

    await watcher.t.subscribeAccountPushes([ACC.SIM_US.accId]); // replaces [SIM_HK]
    sim.advance(100);
    const hk2 = await trader.t.placeOrder(ACC.SIM_HK, restingBuy);
    const us1 = await trader.t.placeOrder(ACC.SIM_US, { code: 'US.AAPL', side: 'BUY', qty: 1, price: 100 });
    await Promise.all([barrier(watcher.c), barrier(usWatcher.c)]);
    const seen = orderPushes(watcher.c).map((o) => o.orderId);
    expect(seen).not.toContain(hk2.orderId);
    expect(seen.filter((id) => id === us1.orderId)).toHaveLength(2);
    expect(orderPushes(usWatcher.c).map((o) => o.orderId)).toEqual([us1.orderId, us1.orderId]);

    await expectOpenDError(watcher.t.subscribeAccountPushes([123n]), /unknown account\(s\) 123/);
    // An empty list unregisters everything.
    await watcher.t.subscribeAccountPushes([]);
    sim.advance(100);
    await trader.t.placeOrder(ACC.SIM_US, { code: 'US.AAPL', side: 'BUY', qty: 1, price: 100 });
    const count = watcher.c.recorded.length;
    await barrier(watcher.c);
    expect(watcher.c.recorded).toHaveLength(count);
  });
});

describe('wire order of the PlaceOrder reply and its pushes', () => {
  async function placeMarketable(sim: Simulator): Promise<number[]> {
    const raw = await RawClient.open(sim.host, sim.port);
    try {
      await raw.initConnect();
      raw.send(PROTO_ID.Trd_SubAccPush, { accIDList: [ACC.SIM_HK.accId] });
      await raw.waitForFrames(2);
      const book = top(sim, 'HK.00700');
      expect(book.askVol).toBeGreaterThanOrEqual(100);
      const serialNo = raw.nextSerial();
      raw.send(PROTO_ID.Trd_PlaceOrder, placeC2S(ACC.SIM_HK, { code: '00700', secMarket: TrdSecMarket.HK, qty: 100, price: book.ask, packetID: { connID: raw.connId, serialNo } }), serialNo);
      const frames = (await raw.waitForFrames(6)).slice(2);
      expect(frames).toHaveLength(4);
      const reply = frames.find((f) => f.protoId === PROTO_ID.Trd_PlaceOrder)!;
      expect(reply.serialNo).toBe(serialNo);
      expect(reply.rsp!.retType).toBe(0);
      const statuses = frames.filter((f) => f.protoId === PROTO_ID.Trd_UpdateOrder).map((f) => f.rsp!.s2c.order.orderStatus);
      expect(statuses).toEqual([OrderStatus.SUBMITTING, OrderStatus.SUBMITTED, OrderStatus.FILLED_ALL]);
      return frames.map((f) => f.protoId);
    } finally {
      raw.destroy();
    }
  }

  it('sends the reply before the pushes by default', async () => {
    const sim = await startTestSimulator();
    try {
      sim.advance(1_000);
      expect(await placeMarketable(sim)).toEqual([PROTO_ID.Trd_PlaceOrder, PROTO_ID.Trd_UpdateOrder, PROTO_ID.Trd_UpdateOrder, PROTO_ID.Trd_UpdateOrder]);
    } finally {
      await sim.close();
    }
  });

  it('answers pipelined requests in request order, a refused PlaceOrder included', async () => {
    const sim = await startTestSimulator();
    const raw = await RawClient.open(sim.host, sim.port);
    try {
      await raw.initConnect();
      const bad = placeC2S(ACC.SIM_HK, { code: '00700', secMarket: TrdSecMarket.HK, qty: 150, price: 300, packetID: { connID: raw.connId, serialNo: 10 } });
      const good = placeC2S(ACC.SIM_US, { code: 'AAPL', secMarket: TrdSecMarket.US, qty: 1, price: 100, packetID: { connID: raw.connId, serialNo: 11 } });
      // One TCP write carrying four requests.
      const frames = [
        encodeFrame({ protoId: PROTO_ID.Trd_PlaceOrder, serialNo: 10 }, requestCodec(PROTO_ID.Trd_PlaceOrder).encode({ c2s: bad }).finish()),
        encodeFrame({ protoId: PROTO_ID.KeepAlive, serialNo: 20 }, requestCodec(PROTO_ID.KeepAlive).encode({ c2s: { time: 0n } }).finish()),
        encodeFrame({ protoId: PROTO_ID.Trd_PlaceOrder, serialNo: 11 }, requestCodec(PROTO_ID.Trd_PlaceOrder).encode({ c2s: good }).finish()),
        encodeFrame({ protoId: PROTO_ID.GetGlobalState, serialNo: 21 }, requestCodec(PROTO_ID.GetGlobalState).encode({ c2s: { userID: 0n } }).finish()),
      ];
      raw.write(Buffer.concat(frames));
      const replies = (await raw.waitForFrames(5)).slice(1);
      expect(replies.map((f) => [f.protoId, f.serialNo, f.rsp!.retType])).toEqual([
        [PROTO_ID.Trd_PlaceOrder, 10, -1],
        [PROTO_ID.KeepAlive, 20, 0],
        [PROTO_ID.Trd_PlaceOrder, 11, 0],
        [PROTO_ID.GetGlobalState, 21, 0],
      ]);
      expect(replies[0]!.rsp!.retMsg).toMatch(/not a multiple of the lot size/);
    } finally {
      raw.destroy();
      await sim.close();
    }
  });

  it('sends the pushes before the reply with pushBeforeReply', async () => {
    const sim = await startTestSimulator({ pushBeforeReply: true });
    try {
      sim.advance(1_000);
      expect(await placeMarketable(sim)).toEqual([PROTO_ID.Trd_UpdateOrder, PROTO_ID.Trd_UpdateOrder, PROTO_ID.Trd_UpdateOrder, PROTO_ID.Trd_PlaceOrder]);
    } finally {
      await sim.close();
    }
  });
});

// ------------------------------------------------------------------------------------- replay protection

describe('packetID replay protection', () => {
  const place = (c: OpenDClient, serialNo: number, connID = c.info.connId) =>
    c.request(PROTO_ID.Trd_PlaceOrder, placeC2S(ACC.SIM_HK, { code: '00700', secMarket: TrdSecMarket.HK, qty: 100, price: 300, packetID: { connID, serialNo } }));

  it('rejects a trade write whose packetID serial does not increase on the connection', async () => {
    const sim = await startTestSimulator();
    try {
      const { c, t } = await client(sim);
      const first = await place(c, 1000);
      sim.advance(100);
      await expectOpenDError(place(c, 1000), /packetID serial 1000 is not greater than the last one on this connection \(1000\); request rejected as a replay/);
      await expectOpenDError(place(c, 999), /not greater than the last one/);
      await expectOpenDError(place(c, 2000, c.info.connId + 1n), /packetID\.connID .* does not match this connection/);
      const next = await place(c, 1001);
      expect(next.orderID).not.toBe(first.orderID);
      expect((await t.orders(ACC.SIM_HK)).map((o) => o.orderId)).toEqual([first.orderID, next.orderID]);
      // Each connection counts its own serials: a fresh connection may start low again.
      const other = await client(sim);
      sim.advance(100);
      await place(other.c, 1);
    } finally {
      await closeAll(...open.splice(0));
      await sim.close();
    }
  });

  it("sends no reply at all to a replayed packetID with replayedPacketId: 'ignore'", async () => {
    const sim = await startTestSimulator({ replayedPacketId: 'ignore' });
    try {
      const { c, t } = await client(sim);
      await place(c, 50);
      sim.advance(100);
      const replay = await c
        .request(PROTO_ID.Trd_PlaceOrder, placeC2S(ACC.SIM_HK, { code: '00700', secMarket: TrdSecMarket.HK, qty: 100, price: 300, packetID: { connID: c.info.connId, serialNo: 50 } }), { timeoutMs: 300 })
        .catch((e: unknown) => e);
      expect(replay).toBeInstanceOf(RequestTimeoutError);
      // The connection is fine and the order exists once.
      await barrier(c);
      expect(await t.orders(ACC.SIM_HK)).toHaveLength(1);
    } finally {
      await closeAll(...open.splice(0));
      await sim.close();
    }
  });
});

// ----------------------------------------------------------------------------------- login challenge

describe('login challenge', () => {
  it('announces NeedPhoneVerifyCode, refuses quotes and trading, and becomes Ready after Verification with the right code', async () => {
    const sim = await startTestSimulator({ loginChallenge: { type: 'phone', code: '246810' } });
    try {
      const watcher = await client(sim, { recvNotify: true });
      const quiet = await client(sim);
      await Promise.all([barrier(watcher.c), barrier(quiet.c)]);
      const notices = () => pushesOf(watcher.c, PROTO_ID.Notify).map((p) => p.s2c as Notify.S2C);
      expect(notices()).toEqual([{ type: Notify.NotifyType.GTW_EVENT, event: { eventType: Notify.GtwEventType.NEED_PHONE_VERIFY_CODE, desc: expect.stringMatching(/Verification \(1006\)/) } }]);
      expect(quiet.c.recorded).toHaveLength(0); // no recvNotify, no Notify

      const state = await quiet.c.request(PROTO_ID.GetGlobalState, { userID: 0n });
      expect(state.programStatus?.type).toBe(Common.ProgramStatusType.NEED_PHONE_VERIFY_CODE);
      expect(state.qotLogined).toBe(false);
      await expectOpenDError(quiet.q.snapshot('HK.00700'), /OpenD is not logged in \(program status NEED_PHONE_VERIFY_CODE\)/);
      await expectOpenDError(quiet.t.accounts(), /OpenD is not logged in/);

      await expectOpenDError(quiet.c.request(PROTO_ID.Verification, { type: 1, op: 2, code: '246810' }), /pending verification is by phone; type must be 2/);
      await quiet.c.request(PROTO_ID.Verification, { type: 2, op: 1 }); // ask for a code
      await expectOpenDError(quiet.c.request(PROTO_ID.Verification, { type: 2, op: 1 }), /at most once per 60 s/);
      await expectOpenDError(quiet.c.request(PROTO_ID.Verification, { type: 2, op: 2, code: '000000' }), /verification code is wrong/);
      await expectOpenDError(quiet.q.snapshot('HK.00700'), /not logged in/);

      await quiet.c.request(PROTO_ID.Verification, { type: 2, op: 2, code: '246810' });
      await barrier(watcher.c);
      expect(notices().slice(1)).toEqual([
        { type: Notify.NotifyType.PROGRAM_STATUS, programStatus: { programStatus: { type: Common.ProgramStatusType.READY } } },
        { type: Notify.NotifyType.CONN_STATUS, connectStatus: { qotLogined: true, trdLogined: true } },
      ]);
      expect((await quiet.c.request(PROTO_ID.GetGlobalState, { userID: 0n })).programStatus?.type).toBe(Common.ProgramStatusType.READY);
      expect((await quiet.q.snapshot('HK.00700'))[0]!.code).toBe('HK.00700');
      expect(await quiet.t.accounts()).toHaveLength(4);
      await expectOpenDError(quiet.c.request(PROTO_ID.Verification, { type: 2, op: 2, code: '246810' }), /no verification is pending/);
      // A connection made after the login gets no challenge.
      const late = await client(sim, { recvNotify: true });
      await barrier(late.c);
      expect(late.c.recorded).toHaveLength(0);
    } finally {
      await closeAll(...open.splice(0));
      await sim.close();
    }
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
});
