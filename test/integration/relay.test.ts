// The relay against the real simulator and a local PutEvents endpoint, through the real EventBridge client.
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { startLocalEventBridge, type BusEvent, type LocalEventBridge } from '../../bin/local/eventbridge-local.js';
import { startHealthServer } from '../../gateway-container/relay/http.js';
import { Relay, type RelayOptions } from '../../gateway-container/relay/relay.js';
import { DEFAULT_MAX_IN_FLIGHT } from '../../gateway-container/relay/publisher.js';
import { startSimulator, type Simulator, type SimulatorOptions } from '../../gateway-container/simulator/index.js';
import { OpenDClient } from '../../proto/client.js';
import { generateRsaKeyPem } from '../../proto/crypto.js';
import type * as Trd_Common from '../../proto/generated/Trd_Common.js';
import { until } from '../support/local-aws.js';
import { testRelayOptions } from '../support/test-relay.js';
import { stepTicks } from '../../proto/ticks.js';
import { DEFAULT_ACCOUNTS } from '../../gateway-container/simulator/trading/engine.js';
import { PROTO_ID } from '../../proto/registry.js';
import { teardownAfterEach } from '../support/teardown.js';

// Deep pockets so that hundreds of open buy orders never run out of cash.
const RICH_ACCOUNTS = DEFAULT_ACCOUNTS.map((a) => ({ ...a, cash: { HKD: 1e10, USD: 1e9 } }));

const KEY = generateRsaKeyPem();
const SIM_HK: Trd_Common.TrdHeader = { trdEnv: 0, accID: 281756480572583411n, trdMarket: 1 };
const REAL_HK: Trd_Common.TrdHeader = { trdEnv: 1, accID: 281756478396547854n, trdMarket: 1 };
const TRADE_PWD_MD5 = createHash('md5').update('123456').digest('hex');

const cleanups = teardownAfterEach();

async function setup(simOpts: SimulatorOptions = {}, relayOpts: Partial<RelayOptions> = {}) {
  const sim = await startSimulator({ port: 0, clock: { manual: true }, rsaPrivateKey: KEY, seed: 3, accounts: RICH_ACCOUNTS, ...simOpts });
  cleanups.push(() => sim.close());
  const bus = await startLocalEventBridge();
  cleanups.push(() => bus.close());
  const relay = new Relay(testRelayOptions({ host: sim.host, port: sim.port, rsaPrivateKey: KEY }, bus.endpoint, relayOpts));
  cleanups.push(() => relay.stop());
  return { sim, bus, relay };
}

const byType = (bus: LocalEventBridge, t: string) => bus.events.filter((e) => e['detail-type'] === t);

/** A buy limit `ticksAway` ticks below the bid (negative: above, so it fills at once). */
function limitBuy(sim: Simulator, header: Trd_Common.TrdHeader, code: string, ticksAway: number, qty: number, remark?: string) {
  const top = sim.market.top(`HK.${code}`)!;
  const price = stepTicks('HK', top.bid, -ticksAway);
  return sim.trading.placeOrder({ packetID: { connID: 0n, serialNo: 0 }, header, trdSide: 1, orderType: 1, code, secMarket: 1, qty, price, remark });
}

describe('relay events', () => {
  it('publishes the exact event for every DetailType', async () => {
    const { sim, bus, relay } = await setup(
      { loginChallenge: { type: 'phone', code: '246810' } },
      { subscriptions: [{ codes: ['HK.00700'], types: ['BASIC', 'KL_1MIN', 'TICKER', 'ORDER_BOOK', 'RT', 'BROKER'] }], tradePasswordMd5: TRADE_PWD_MD5 },
    );
    await relay.start();
    await until(() => byType(bus, 'Login Challenge').length === 1, 10_000, 'login challenge event');
    const challenge = byType(bus, 'Login Challenge')[0]!;
    expect(challenge).toMatchObject({ source: 'opend', eventBusName: 'opend-test', detail: { challenge: 'PHONE' } });
    expect(relay.health().ready).toBe(false);

    // The gateway-admin function answers the challenge with Verification (1006) on its own connection.
    const admin = await OpenDClient.connect({ host: sim.host, port: sim.port, clientId: 'admin', rsaPrivateKey: KEY });
    cleanups.push(() => admin.close());
    await admin.request(PROTO_ID.Verification, { type: 2, op: 2, code: '246810' });
    await until(() => relay.health().ready, 10_000, 'relay ready');
    await relay.flush();
    expect(byType(bus, 'Gateway Notice').some((e) => (e.detail as { programStatus?: string }).programStatus === 'READY')).toBe(true);
    await until(() => byType(bus, 'Gateway State').some((e) => (e.detail as { ready: boolean }).ready), 5000, 'ready state event');

    sim.advance(3000);
    const order = limitBuy(sim, REAL_HK, '00700', -1, 100, 'oc:client-1');
    sim.advance(3000);
    await until(() => byType(bus, 'Order Fill').length >= 1 && byType(bus, 'Order Update').some((e) => (e.detail as { status: string }).status === 'FILLED_ALL'), 10_000, 'order events');
    await until(() => ['Quote', 'KLine', 'Ticker', 'OrderBook', 'TimeShare', 'Broker'].every((t) => byType(bus, t).length > 0), 5000, 'quote events');

    const quote = byType(bus, 'Quote').at(-1)!;
    expect(quote.source).toBe('opend');
    expect(quote.detail).toMatchObject({ security: 'HK.00700', market: 'HK', code: '00700', name: 'Tencent Holdings' });
    for (const k of ['price', 'open', 'high', 'low', 'lastClose', 'volume', 'turnover']) expect(typeof (quote.detail as Record<string, unknown>)[k]).toBe('number');
    expect(typeof (quote.detail as { gatewayTime: string }).gatewayTime).toBe('string');
    expect(byType(bus, 'KLine')[0]!.detail).toMatchObject({ security: 'HK.00700', klType: '1MIN', rehabType: 'FORWARD' });
    expect(byType(bus, 'Ticker')[0]!.detail).toMatchObject({ security: 'HK.00700', direction: expect.stringMatching(/BID|ASK|NEUTRAL/) });
    expect(typeof (byType(bus, 'Ticker')[0]!.detail as { sequence: unknown }).sequence).toBe('string');
    expect((byType(bus, 'OrderBook')[0]!.detail as { bids: unknown[]; asks: unknown[] }).bids.length).toBe(10);
    expect(byType(bus, 'TimeShare')[0]!.detail).toMatchObject({ security: 'HK.00700' });
    expect(byType(bus, 'Broker')[0]!.detail).toMatchObject({ security: 'HK.00700' });

    const simOrder = sim.trading.orders(REAL_HK).find((o) => o.orderID === order.orderID)!;
    const filled = byType(bus, 'Order Update').find((e) => (e.detail as { status: string }).status === 'FILLED_ALL')!;
    expect(filled.detail).toEqual({
      accId: '281756478396547854',
      trdEnv: 'REAL',
      trdMarket: 'HK',
      orderId: order.orderID.toString(),
      orderIdEx: order.orderIDEx,
      security: 'HK.00700',
      market: 'HK',
      code: '00700',
      name: 'Tencent Holdings',
      side: 'BUY',
      orderType: 'NORMAL',
      status: 'FILLED_ALL',
      qty: 100,
      price: simOrder.price,
      fillQty: 100,
      fillAvgPrice: simOrder.fillAvgPrice,
      timeInForce: 'DAY',
      remark: 'oc:client-1',
      clientOrderId: 'client-1',
      currency: 'HKD',
      createTime: simOrder.createTime,
      updateTime: simOrder.updateTime,
      createTimestamp: simOrder.createTimestamp,
      updateTimestamp: simOrder.updateTimestamp,
      gatewayTime: expect.any(String),
    });
    const fill = byType(bus, 'Order Fill')[0]!;
    expect(fill.detail).toMatchObject({ accId: '281756478396547854', trdEnv: 'REAL', orderId: order.orderID.toString(), security: 'HK.00700', side: 'BUY', status: 'OK' });
    expect(BigInt((fill.detail as { fillId: string }).fillId)).toBeGreaterThan(2n ** 53n);
  });

  it('never sends more than 10 entries or 256 KB in one PutEvents call, and batches bursts', async () => {
    const { sim, bus, relay } = await setup({}, { subscriptions: [{ codes: ['HK.00700', 'HK.09988', 'US.AAPL', 'US.MSFT'], types: ['BASIC', 'TICKER', 'ORDER_BOOK'] }] });
    await relay.start();
    await until(() => relay.health().ready);
    for (let i = 0; i < 20; i++) sim.advance(1000);
    await until(() => relay.publisher.metrics.queueDepth === 0 && relay.publisher.metrics.eventsOut >= 200, 10_000, '200 events out');
    expect(Math.max(...bus.calls.map((c) => c.entries))).toBeLessThanOrEqual(10);
    expect(Math.max(...bus.calls.map((c) => c.bytes))).toBeLessThanOrEqual(256 * 1024);
    const avg = bus.calls.reduce((n, c) => n + c.entries, 0) / bus.calls.length;
    expect(avg).toBeGreaterThan(2);
    expect(relay.publisher.metrics.dropped).toBe(0);
  });

  it('splits large events so that no call exceeds 256 KB (publisher, local endpoint)', async () => {
    const { bus, relay } = await setup();
    const big = 'x'.repeat(60 * 1024);
    for (let i = 0; i < 12; i++) relay.publisher.publish({ detailType: 'Gateway Notice', detail: { i, big } });
    expect(await relay.publisher.drain(10_000)).toBe(true);
    expect(bus.events.filter((e) => e['detail-type'] === 'Gateway Notice')).toHaveLength(12);
    expect(Math.max(...bus.calls.map((c) => c.bytes))).toBeLessThanOrEqual(256 * 1024);
    expect(Math.max(...bus.calls.map((c) => c.entries))).toBeLessThanOrEqual(4);
  });

  it('keeps retrying with 150,000 trade events queued during an outage, then delivers again (local endpoint down)', async () => {
    const { bus, relay } = await setup();
    bus.setFaults({ throttleRate: 1 });
    for (let i = 0; i < 150_000; i++) relay.publisher.publish({ detailType: 'Order Update', detail: { i } });
    // Every failed call re-queues its batch and looks for the next due entry across the whole queue.
    // Generous bounds: this checks that delivery resumes and nothing is dropped, not how fast (a loaded machine
    // once needed more than 20 s for the 2,000 deliveries).
    await until(() => relay.publisher.metrics.throttledCalls >= 20, 60_000, 'retries during the outage');
    bus.setFaults({});
    await until(() => relay.publisher.metrics.eventsOut >= 2_000, 120_000, 'deliveries after the outage');
    const m = relay.publisher.metrics;
    expect(m.dropped).toBe(0);
    // Up to DEFAULT_MAX_IN_FLIGHT batches of ten can be in flight, counted in neither.
    expect(m.eventsOut + m.queueDepth).toBeGreaterThanOrEqual(150_000 - DEFAULT_MAX_IN_FLIGHT * 10);
    expect(m.eventsOut + m.queueDepth).toBeLessThanOrEqual(150_000);
    await relay.publisher.close(0);
  }, 240_000);

  it('loses nothing when the local endpoint fails or throttles 35 % of entries and calls (fault injection)', async () => {
    const { sim, bus, relay } = await setup({}, { subscriptions: [{ codes: ['HK.00700', 'US.AAPL'], types: ['BASIC', 'TICKER'] }] });
    bus.setFaults({ entryFailureRate: 0.35, throttleRate: 0.35, seed: 7 });
    await relay.start();
    await until(() => relay.health().ready);
    const placed: bigint[] = [];
    for (let i = 0; i < 30; i++) {
      placed.push(limitBuy(sim, SIM_HK, '00700', i % 2 === 0 ? -2 : 3, 100).orderID);
      sim.advance(1000);
    }
    await until(() => relay.publisher.metrics.queueDepth === 0 && relay.publisher.metrics.inFlight === 0, 20_000, 'publisher drained');
    const m = relay.publisher.metrics;
    expect(m.failedEntries + m.throttledCalls).toBeGreaterThan(10);
    expect(m.retries).toBeGreaterThan(0);
    expect(m.dropped).toBe(0);
    expect(m.eventsOut).toBe(m.eventsIn - m.coalesced);
    const published = new Set(byType(bus, 'Order Update').map((e) => (e.detail as { orderId: string }).orderId));
    for (const id of placed) expect(published.has(id.toString())).toBe(true);
    const tickers = byType(bus, 'Ticker').map((e) => (e.detail as { security: string; sequence: string }));
    expect(new Set(tickers.map((t) => `${t.security}:${t.sequence}`)).size).toBe(tickers.length);
  });
});

describe('relay across reconnects', () => {
  it('after 10 dropped connections during 200 order lifecycles, published order states equal the simulator\'s, with no duplicates', async () => {
    const { sim, bus, relay } = await setup();
    await relay.start();
    await until(() => relay.health().ready);
    const ids: { header: Trd_Common.TrdHeader; id: bigint }[] = [];
    let drops = 0;
    for (let i = 0; i < 200; i++) {
      const header = i % 2 === 0 ? SIM_HK : REAL_HK;
      if (header === REAL_HK && i === 1) sim.trading.unlock(true, TRADE_PWD_MD5);
      const o = limitBuy(sim, header, i % 3 === 0 ? '09988' : '00700', (i % 5) - 2, 100 * (1 + (i % 3)), `oc:c${i}`);
      ids.push({ header, id: o.orderID });
      if (i % 7 === 3) {
        const open = sim.trading.orders(header).find((x) => x.orderID === o.orderID && [5, 10].includes(x.orderStatus));
        if (open) sim.trading.modifyOrder({ packetID: { connID: 0n, serialNo: 0 }, header, orderID: o.orderID, modifyOrderOp: 2 });
      }
      if (i % 20 === 10) {
        const before = relay.health().connId;
        expect(sim.core.dropAllConnections()).toBe(1);
        drops++;
        await until(() => relay.health().ready && relay.health().connId !== before, 10_000, `ready on a new connection after drop ${drops}`);
      }
      sim.advance(700);
      if (i % 10 === 0) await new Promise((r) => setTimeout(r, 5));
    }
    expect(drops).toBe(10);
    await until(() => relay.health().ready);
    expect(await relay.flush()).toBe(true);
    expect(relay.metrics.reconnects).toBeGreaterThanOrEqual(10);

    const published = new Map<string, { status: string; fillQty: number }[]>();
    for (const e of byType(bus, 'Order Update')) {
      const d = e.detail as { orderId: string; status: string; fillQty: number };
      const list = published.get(d.orderId) ?? [];
      list.push({ status: d.status, fillQty: d.fillQty });
      published.set(d.orderId, list);
    }
    const statusName = (n: number) => ({ 1: 'WAITING_SUBMIT', 2: 'SUBMITTING', 5: 'SUBMITTED', 10: 'FILLED_PART', 11: 'FILLED_ALL', 14: 'CANCELLED_PART', 15: 'CANCELLED_ALL' })[n as 1] ?? String(n);
    let compared = 0;
    for (const { header, id } of ids) {
      const simOrder = sim.trading.orders(header).find((o) => o.orderID === id) ?? sim.trading.historyOrders(header, { beginTime: '2000-01-01', endTime: '2100-01-01' }).find((o) => o.orderID === id)!;
      const list = published.get(id.toString());
      expect(list, `order ${id} was published`).toBeDefined();
      const last = list!.at(-1)!;
      expect(last).toEqual({ status: statusName(simOrder.orderStatus), fillQty: simOrder.fillQty ?? 0 });
      const keys = list!.map((s) => `${s.status}/${s.fillQty}`);
      expect(new Set(keys).size, `order ${id} states ${keys.join(', ')}`).toBe(keys.length);
      compared++;
    }
    expect(compared).toBe(200);
  });
});

describe('relay under OpenD faults', () => {
  it('after a forced logout it is not ready, and sets everything up again once OpenD is ready', async () => {
    const { sim, bus, relay } = await setup({}, { subscriptions: [{ codes: ['HK.00700'], types: ['BASIC'] }] });
    await relay.start();
    await until(() => relay.health().ready);
    const setupsBefore = relay.metrics.setups;
    sim.core.setProgramStatus(11 /* FORCE_LOGOUT */, 'logged in elsewhere');
    await until(() => !relay.health().ready, 5_000, 'not ready after the forced logout');
    await until(() => relay.client.connected && relay.health().programStatus === 'FORCE_LOGOUT', 5_000, 'reconnected but waiting');
    expect(relay.health().ready).toBe(false);
    sim.core.setProgramStatus(10 /* READY */);
    await until(() => relay.health().ready, 10_000, 'ready again');
    expect(relay.metrics.setups).toBeGreaterThan(setupsBefore);
    expect(sim.quotes.subscriptions.isHeldBy(BigInt(relay.health().connId!), 'HK.00700', 1)).toBe(true);
    await relay.flush();
    const states = byType(bus, 'Gateway State').map((e) => (e.detail as { ready: boolean }).ready);
    expect(states.at(-1)).toBe(true);
    expect(states).toContain(false);
  });

  it('retries its session setup when OpenD fails requests, without publishing anything twice', async () => {
    const { sim, bus, relay } = await setup();
    sim.core.failNextRequests(3, { protoIds: [PROTO_ID.Trd_GetAccList], message: 'account service unavailable' });
    limitBuy(sim, SIM_HK, '00700', 3, 100, 'oc:before-start');
    await relay.start();
    await until(() => relay.health().ready, 10_000, 'ready after the failed setups');
    expect(relay.metrics.setupFailures).toBe(3);
    await relay.flush();
    const updates = byType(bus, 'Order Update').filter((e) => (e.detail as { remark?: string }).remark === 'oc:before-start');
    expect(updates).toHaveLength(1);
  });
});

describe('relay health', () => {
  it('/readyz is false while OpenD is down or waits for a code, and true after the code is given', async () => {
    const { sim, relay } = await setup({ loginChallenge: { type: 'phone', code: '135790' } });
    const server = await startHealthServer(relay, 0, '127.0.0.1');
    cleanups.push(() => new Promise<void>((r) => server.close(() => r())));
    const port = (server.address() as { port: number }).port;
    const readyz = async () => {
      const r = await fetch(`http://127.0.0.1:${port}/readyz`);
      return { status: r.status, body: (await r.json()) as { ready: boolean; reason?: string } };
    };
    expect((await readyz()).status).toBe(503);
    await relay.start();
    await until(async () => (await readyz()).body.reason?.includes('NEED_PHONE_VERIFY_CODE') ?? false, 10_000, 'waiting for the code');
    expect((await readyz()).status).toBe(503);
    expect((await fetch(`http://127.0.0.1:${port}/livez`)).status).toBe(200);

    const admin = await OpenDClient.connect({ host: sim.host, port: sim.port, clientId: 'admin', rsaPrivateKey: KEY });
    await expect(admin.request(PROTO_ID.Verification, { type: 2, op: 2, code: '000000' })).rejects.toThrow(/wrong/);
    await admin.request(PROTO_ID.Verification, { type: 2, op: 2, code: '135790' });
    await admin.close();
    await until(async () => (await readyz()).status === 200, 10_000, 'ready after the code');

    // OpenD goes away: not ready until it is back.
    const port2 = sim.port;
    await sim.close();
    await until(async () => (await readyz()).status === 503, 10_000, 'not ready while OpenD is down');
    const sim2 = await startSimulator({ port: port2, clock: { manual: true }, rsaPrivateKey: KEY });
    cleanups.push(() => sim2.close());
    await until(async () => (await readyz()).status === 200, 15_000, 'ready after OpenD is back');
    const metrics = (await (await fetch(`http://127.0.0.1:${port}/metrics`)).json()) as { reconnects: number; eventsOut: number };
    expect(metrics.reconnects).toBeGreaterThanOrEqual(1);
  });
});

void ({} as BusEvent);
