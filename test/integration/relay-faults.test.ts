// The relay under the faults that used to lose order updates: a wrong trade password, a used-up subscription
// quota, a restart or an outage across the trading-day boundary, and a bus that fails entries (which used to
// reorder an order's events). Real simulator over TCP, real relay, the local PutEvents endpoint.
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { LocalEventBridge } from '../../bin/local/eventbridge-local.js';
import { emfLine, startHealthServer } from '../../gateway-container/relay/http.js';
import { Relay, type RelayOptions } from '../../gateway-container/relay/relay.js';
import { startSimulator, type Simulator, type SimulatorOptions } from '../../gateway-container/simulator/index.js';
import { DEFAULT_ACCOUNTS } from '../../gateway-container/simulator/trading/engine.js';
import { OpenDClient } from '../../proto/client.js';
import { QuoteApi } from '../../proto/api/quotes.js';
import { generateRsaKeyPem } from '../../proto/crypto.js';
import type * as Trd_Common from '../../proto/generated/Trd_Common.js';
import { stepTicks } from '../../proto/ticks.js';
import { until } from '../support/local-aws.js';
import { testRelayOptions } from '../support/test-relay.js';
import { startBus as startBusFor, teardownAfterEach } from '../support/teardown.js';

const RICH_ACCOUNTS = DEFAULT_ACCOUNTS.map((a) => ({ ...a, cash: { HKD: 1e10, USD: 1e9 } }));
const KEY = generateRsaKeyPem();
const SIM_HK: Trd_Common.TrdHeader = { trdEnv: 0, accID: 281756480572583411n, trdMarket: 1 };
const REAL_HK: Trd_Common.TrdHeader = { trdEnv: 1, accID: 281756478396547854n, trdMarket: 1 };
const TRADE_PWD_MD5 = createHash('md5').update('123456').digest('hex');
const WRONG_PWD_MD5 = createHash('md5').update('not-the-password').digest('hex');
const DAY_MS = 86_400_000;

const cleanups = teardownAfterEach();

async function startSim(simOpts: SimulatorOptions = {}) {
  const sim = await startSimulator({ port: 0, clock: { manual: true }, rsaPrivateKey: KEY, seed: 5, accounts: RICH_ACCOUNTS, ...simOpts });
  cleanups.push(() => sim.close());
  return sim;
}

const startBus = () => startBusFor(cleanups);

function newRelay(sim: Simulator, bus: LocalEventBridge, relayOpts: Partial<RelayOptions> = {}) {
  const relay = new Relay(testRelayOptions({ host: sim.host, port: sim.port, rsaPrivateKey: KEY }, bus.endpoint, relayOpts));
  cleanups.push(() => relay.stop({ drainTimeoutMs: 2_000 }));
  return relay;
}

function tempCheckpoint(): string {
  const dir = mkdtempSync(join(tmpdir(), 'relay-checkpoint-'));
  cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
  return join(dir, 'state', 'checkpoint.json');
}

const byType = (bus: LocalEventBridge, t: string) => bus.events.filter((e) => e['detail-type'] === t);
const updatesOf = (bus: LocalEventBridge, id: bigint) =>
  byType(bus, 'Order Update').map((e) => e.detail as { orderId: string; status: string; fillQty: number; qty: number }).filter((d) => d.orderId === id.toString());

function limitBuy(sim: Simulator, header: Trd_Common.TrdHeader, code: string, ticksAway: number, qty: number, remark?: string) {
  const top = sim.market.top(`HK.${code}`)!;
  const price = stepTicks('HK', top.bid, -ticksAway);
  return sim.trading.placeOrder({ packetID: { connID: 0n, serialNo: 0 }, header, trdSide: 1, orderType: 1, code, secMarket: 1, qty, price, remark });
}

function cancel(sim: Simulator, header: Trd_Common.TrdHeader, orderID: bigint) {
  sim.trading.modifyOrder({ packetID: { connID: 0n, serialNo: 0 }, header, orderID, modifyOrderOp: 2 });
}

/** Statuses of one order as the bus received them: each once, in lifecycle order. */
function expectLifecycleOrder(seen: string[], what = 'statuses'): void {
  const rank: Record<string, number> = { WAITING_SUBMIT: 0, SUBMITTING: 1, SUBMITTED: 2, CANCELLING_ALL: 3, CANCELLED_ALL: 4 };
  expect(seen.every((s) => s in rank), `${what}: ${seen.join(', ')}`).toBe(true);
  expect(seen, what).toEqual([...seen].sort((x, y) => rank[x]! - rank[y]!));
  expect(new Set(seen).size, `${what}: ${seen.join(', ')}`).toBe(seen.length);
}

const simStatus = (sim: Simulator, header: Trd_Common.TrdHeader, id: bigint) =>
  sim.trading.historyOrders(header, { beginTime: '2000-01-01 00:00:00', endTime: '2100-01-01 00:00:00' }).find((o) => o.orderID === id)!;

describe('relay with a wrong trade password', () => {
  it('tries the unlock 3 times with backoff, then stops, says so in a Gateway Notice, and still publishes every order update', async () => {
    const sim = await startSim();
    const bus = await startBus();
    let unlockCalls = 0;
    const realUnlock = sim.trading.unlock.bind(sim.trading);
    // A spy on the simulator's own unlock (it still runs): counts what the broker would see.
    sim.trading.unlock = (unlock: boolean, md5?: string) => {
      if (unlock) unlockCalls++;
      return realUnlock(unlock, md5);
    };
    const relay = newRelay(sim, bus, { tradePasswordMd5: WRONG_PWD_MD5, unlock: { maxAttempts: 3, backoffMs: 100 } });
    await relay.start();
    // Order updates flow although the unlock fails: SIMULATE and (unlocked here by another client) REAL accounts.
    const simOrder = limitBuy(sim, SIM_HK, '00700', 3, 100, 'oc:pwd-sim');
    realUnlock(true, TRADE_PWD_MD5);
    const realOrder = limitBuy(sim, REAL_HK, '00700', 3, 100, 'oc:pwd-real');
    sim.advance(1000);
    await until(() => updatesOf(bus, simOrder.orderID).length > 0 && updatesOf(bus, realOrder.orderID).length > 0, 10_000, 'order updates while the unlock fails');

    await until(() => byType(bus, 'Gateway Notice').some((e) => (e.detail as { notifyType: string }).notifyType === 'UNLOCK_FAILED'), 10_000, 'UNLOCK_FAILED notice');
    const notice = byType(bus, 'Gateway Notice').find((e) => (e.detail as { notifyType: string }).notifyType === 'UNLOCK_FAILED')!.detail as Record<string, unknown>;
    expect(notice).toMatchObject({ attempts: 3, action: expect.stringMatching(/trade password secret.*restart/) });
    expect(unlockCalls).toBe(3);
    const h = relay.health();
    expect(h).toMatchObject({ ready: false, tradeReady: true, unlock: { state: 'gave-up', rejections: 3 } });
    expect(h.reason).toMatch(/trade unlock failed for good after 3 rejections/);
    expect(JSON.parse(emfLine(relay))).toMatchObject({ UnlockFailed: 1 });

    // No more attempts later, not even after a reconnect; pushes keep flowing after it.
    const before = relay.health().connId;
    sim.core.dropAllConnections();
    await until(() => relay.health().tradeReady && relay.health().connId !== before, 10_000, 'trade session after the reconnect');
    cancel(sim, SIM_HK, simOrder.orderID);
    sim.advance(1000);
    await until(() => updatesOf(bus, simOrder.orderID).some((d) => d.status === 'CANCELLED_ALL'), 10_000, 'cancel published');
    await new Promise((r) => setTimeout(r, 500)); // several backoff periods (100 ms doubling) in which nothing may happen
    expect(unlockCalls).toBe(3);
  });
});

describe('relay with the subscription quota used up by others', () => {
  it('registers trade pushes and reconciles (also after a reconnect), /readyz says the quota is the problem, and quotes come back once quota frees up', async () => {
    const sim = await startSim({ subscriptionQuota: 4 });
    const bus = await startBus();
    // A caller that subscribes and never gives back (what the quotes Lambda used to do) takes the whole quota.
    const greedy = await OpenDClient.connect({ host: sim.host, port: sim.port, clientId: 'greedy', rsaPrivateKey: KEY });
    cleanups.push(() => greedy.close());
    await new QuoteApi(greedy).subscribe(['HK.09988', 'US.AAPL'], ['ORDER_BOOK', 'TICKER'], { push: false });

    const relay = newRelay(sim, bus, { subscriptions: [{ codes: ['HK.00700'], types: ['BASIC', 'TICKER'] }], subscriptionRetry: { backoffMs: 50, maxBackoffMs: 200 } });
    const server = await startHealthServer(relay, 0, '127.0.0.1');
    cleanups.push(() => new Promise<void>((r) => server.close(() => r())));
    const port = (server.address() as { port: number }).port;
    const early = limitBuy(sim, SIM_HK, '00700', 3, 100, 'oc:before-start');
    await relay.start();
    await until(() => updatesOf(bus, early.orderID).length > 0, 10_000, 'the order placed before the start is reconciled');
    await until(() => relay.health().tradeReady && relay.health().subscriptions.state === 'waiting-retry', 10_000, 'trade session up, subscriptions failing');
    const r = await fetch(`http://127.0.0.1:${port}/readyz`);
    expect(r.status).toBe(503);
    const body = (await r.json()) as { reason: string; tradeReady: boolean };
    expect(body.tradeReady).toBe(true);
    expect(body.reason).toMatch(/order updates flow; quote subscriptions failed \(.*quota/);

    // A reconnect while the quota is still used up: reconciliation runs, pushes are registered again.
    const before = relay.health().connId;
    sim.core.dropAllConnections();
    const during = limitBuy(sim, SIM_HK, '00700', 3, 100, 'oc:during-outage');
    await until(() => relay.health().tradeReady && relay.health().connId !== before, 10_000, 'trade session on the new connection');
    await until(() => updatesOf(bus, during.orderID).length > 0, 10_000, 'the order placed during the outage is reconciled');
    const pushed = limitBuy(sim, SIM_HK, '09988', 3, 100, 'oc:after-reconnect');
    sim.advance(500);
    await until(() => updatesOf(bus, pushed.orderID).some((d) => d.status === 'SUBMITTED'), 10_000, 'pushes flow on the new connection');
    expect(relay.health().ready).toBe(false);

    // The greedy connection is gone; a minute later its subscriptions are released and the relay's retry succeeds.
    await greedy.close();
    sim.advance(61_000);
    await until(() => relay.health().ready, 10_000, 'ready once quota is back');
    expect(sim.quotes.subscriptions.isHeldBy(BigInt(relay.health().connId!), 'HK.00700', 1)).toBe(true);
  });
});

describe('relay durability', () => {
  it('after a restart across the trading-day boundary, publishes from its checkpoint what changed while it was down (history lists)', async () => {
    const sim = await startSim();
    const bus = await startBus();
    const checkpointFile = tempCheckpoint();
    const relay1 = newRelay(sim, bus, { checkpointFile, checkpointIntervalMs: 20 });
    await relay1.start();
    await until(() => relay1.health().ready, 10_000, 'ready');
    const day = limitBuy(sim, SIM_HK, '00700', 3, 100, 'oc:day-order');
    sim.advance(1000);
    await until(() => updatesOf(bus, day.orderID).some((d) => d.status === 'SUBMITTED'), 10_000, 'submitted');
    await until(() => {
      try {
        const cp = JSON.parse(readFileSync(checkpointFile, 'utf8')) as { horizon?: number; accounts: Record<string, { orders: Record<string, { status: string }> }> };
        return cp.horizon !== undefined && cp.accounts[SIM_HK.accID.toString()]?.orders[day.orderID.toString()]?.status === 'SUBMITTED';
      } catch {
        return false;
      }
    }, 10_000, 'checkpoint records the delivered SUBMITTED state');
    await relay1.stop();

    // Down over the day boundary: the DAY order expires (cancelled), nobody listens.
    sim.advance(DAY_MS + 3_600_000);
    expect(simStatus(sim, SIM_HK, day.orderID).orderStatus).toBe(15);
    const today = limitBuy(sim, SIM_HK, '09988', 3, 100, 'oc:next-day');

    const relay2 = newRelay(sim, bus, { checkpointFile, checkpointIntervalMs: 20 });
    await relay2.start();
    await until(() => relay2.health().ready, 10_000, 'ready after the restart');
    expect(await relay2.flush()).toBe(true);
    expectLifecycleOrder(updatesOf(bus, day.orderID).map((d) => d.status));
    expect(updatesOf(bus, day.orderID).at(-1)!.status).toBe('CANCELLED_ALL');
    expect(updatesOf(bus, today.orderID).length).toBeGreaterThan(0);
    expect(relay2.metrics.historyReconciles).toBeGreaterThan(0);
    // Nothing the bus had accepted before the restart was published again.
    const keys = updatesOf(bus, day.orderID).map((d) => d.status);
    expect(new Set(keys).size).toBe(keys.length);
  });

  it('re-derives after a restart the order updates still queued when it stopped (bus down), without repeating accepted ones', async () => {
    const sim = await startSim();
    const bus = await startBus();
    const checkpointFile = tempCheckpoint();
    const relay1 = newRelay(sim, bus, { checkpointFile, checkpointIntervalMs: 20 });
    await relay1.start();
    await until(() => relay1.health().ready, 10_000, 'ready');
    const a = limitBuy(sim, SIM_HK, '00700', 3, 100, 'oc:a');
    sim.advance(1000);
    await until(() => updatesOf(bus, a.orderID).some((d) => d.status === 'SUBMITTED'), 10_000, 'a submitted');
    await until(() => relay1.metrics.checkpointWrites > 0 && relay1.publisher.metrics.queueDepth === 0, 10_000, 'checkpoint written');
    await relay1.flush();

    bus.setFaults({ throttleRate: 1 });
    const eventsBefore = relay1.publisher.metrics.eventsIn;
    cancel(sim, SIM_HK, a.orderID);
    const b = limitBuy(sim, SIM_HK, '09988', 3, 200, 'oc:b');
    sim.advance(1000);
    await until(() => relay1.publisher.metrics.eventsIn >= eventsBefore + 2 && relay1.publisher.metrics.throttledCalls > 0, 10_000, 'events queued, bus refusing');
    await relay1.stop({ drainTimeoutMs: 0 }); // the queued events are abandoned, as at a SIGKILL
    expect(updatesOf(bus, a.orderID).some((d) => d.status === 'CANCELLED_ALL')).toBe(false);
    bus.setFaults({});

    const relay2 = newRelay(sim, bus, { checkpointFile });
    await relay2.start();
    await until(() => relay2.health().ready, 10_000, 'ready after the restart');
    expect(await relay2.flush()).toBe(true);
    expectLifecycleOrder(updatesOf(bus, a.orderID).map((d) => d.status));
    expect(updatesOf(bus, a.orderID).at(-1)!.status).toBe('CANCELLED_ALL');
    expect(updatesOf(bus, b.orderID).at(-1)!.status).toBe('SUBMITTED');
    const aStates = updatesOf(bus, a.orderID).map((d) => d.status);
    expect(new Set(aStates).size).toBe(aStates.length);
  });

  it('with an unreadable checkpoint, reads a week of history instead and still publishes the overnight expiry', async () => {
    const sim = await startSim();
    const bus = await startBus();
    const checkpointFile = tempCheckpoint();
    const relay1 = newRelay(sim, bus, { checkpointFile, checkpointIntervalMs: 20 });
    await relay1.start();
    await until(() => relay1.health().ready, 10_000, 'ready');
    const o = limitBuy(sim, SIM_HK, '00700', 3, 100, 'oc:torn');
    sim.advance(1000);
    await until(() => updatesOf(bus, o.orderID).some((d) => d.status === 'SUBMITTED'), 10_000, 'submitted');
    await relay1.stop();
    writeFileSync(checkpointFile, '{"version":1,"accounts":{"2817'); // torn by something other than the relay
    sim.advance(DAY_MS + 3_600_000);

    const relay2 = newRelay(sim, bus, { checkpointFile, checkpointIntervalMs: 20 });
    await relay2.start();
    await until(() => relay2.health().ready, 10_000, 'ready with the unreadable checkpoint');
    await until(() => updatesOf(bus, o.orderID).at(-1)?.status === 'CANCELLED_ALL', 10_000, 'the expiry is published');
    expect(relay2.metrics.historyReconciles).toBe(1);
    // The relay writes a good checkpoint over the torn one.
    await until(() => {
      try {
        return JSON.parse(readFileSync(checkpointFile, 'utf8')).version === 1;
      } catch {
        return false;
      }
    }, 10_000, 'a readable checkpoint again');
  });

  it('after an outage spanning the day boundary while running, publishes the expiry it missed', async () => {
    const sim = await startSim();
    const bus = await startBus();
    const relay = newRelay(sim, bus, { checkpointFile: tempCheckpoint(), checkpointIntervalMs: 20 });
    await relay.start();
    await until(() => relay.health().ready, 10_000, 'ready');
    const o = limitBuy(sim, SIM_HK, '00700', 3, 100, 'oc:overnight');
    sim.advance(1000);
    await until(() => updatesOf(bus, o.orderID).some((d) => d.status === 'SUBMITTED'), 10_000, 'submitted');
    const before = relay.health().connId;
    sim.core.dropAllConnections();
    sim.advance(DAY_MS + 3_600_000); // the expiry happens while the relay is disconnected
    expect(simStatus(sim, SIM_HK, o.orderID).orderStatus).toBe(15);
    await until(() => relay.health().ready && relay.health().connId !== before, 10_000, 'ready again');
    await until(() => updatesOf(bus, o.orderID).at(-1)?.status === 'CANCELLED_ALL', 10_000, 'the expiry is published');
  });
});

describe('relay event order', () => {
  it('publishes each order\'s updates in order while the bus fails 35 % of entries (fault injection)', async () => {
    const sim = await startSim();
    const bus = await startBus();
    const relay = newRelay(sim, bus);
    await relay.start();
    await until(() => relay.health().ready, 10_000, 'ready');
    bus.setFaults({ entryFailureRate: 0.35, seed: 11 });
    const ids: bigint[] = [];
    for (let i = 0; i < 40; i++) {
      const o = limitBuy(sim, SIM_HK, i % 2 ? '00700' : '09988', 3, 100, `oc:ord-${i}`);
      ids.push(o.orderID);
      sim.advance(300);
      if (i % 3 === 0) cancel(sim, SIM_HK, o.orderID);
      sim.advance(300);
    }
    expect(await relay.flush(30_000)).toBe(true);
    expect(relay.publisher.metrics.failedEntries).toBeGreaterThan(5);
    for (const id of ids) {
      const seen = updatesOf(bus, id).map((d) => d.status);
      expectLifecycleOrder(seen, `order ${id}`);
      const want = simStatus(sim, SIM_HK, id).orderStatus === 15 ? 'CANCELLED_ALL' : 'SUBMITTED';
      expect(seen.at(-1), `order ${id}`).toBe(want);
    }
  });
});
