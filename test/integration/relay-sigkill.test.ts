// The relay process (gateway-container/relay/main.ts, as the container runs it) killed with SIGKILL while the bus
// refuses its events, restarted after the trading-day boundary: the restarted process publishes, from its
// checkpoint file and OpenD's history lists, every order update the killed one still had in memory.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { startLocalEventBridge, type LocalEventBridge } from '../../bin/local/eventbridge-local.js';
import { startSimulator, type Simulator } from '../../gateway-container/simulator/index.js';
import { DEFAULT_ACCOUNTS } from '../../gateway-container/simulator/trading/engine.js';
import { generateRsaKeyPem } from '../../proto/crypto.js';
import type * as Trd_Common from '../../proto/generated/Trd_Common.js';
import { stepTicks } from '../../proto/ticks.js';
import { until } from '../support/local-aws.js';
import { freePort } from '../support/processes.js';

const ROOT = resolve(import.meta.dirname, '../..');
const KEY = generateRsaKeyPem();
const SIM_HK: Trd_Common.TrdHeader = { trdEnv: 0, accID: 281756480572583411n, trdMarket: 1 };
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function startRelayProcess(sim: Simulator, bus: LocalEventBridge, dir: string, httpPort: number): ChildProcess {
  const proc = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'gateway-container/relay/main.ts')], {
    cwd: ROOT,
    env: {
      PATH: process.env['PATH'] ?? '',
      HOME: dir,
      OPEND_HOST: sim.host,
      OPEND_PORT: String(sim.port),
      OPEND_RSA_KEY_FILE: join(dir, 'key.pem'),
      RELAY_CHECKPOINT_FILE: join(dir, 'state', 'relay-checkpoint.json'),
      RELAY_CHECKPOINT_INTERVAL_MS: '20',
      RELAY_HTTP_PORT: String(httpPort),
      RELAY_HTTP_HOST: '127.0.0.1',
      RELAY_EMF_INTERVAL_MS: '0',
      EVENT_BUS_NAME: 'opend-test',
      AWS_ENDPOINT_URL_EVENTBRIDGE: bus.endpoint,
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'local',
      AWS_SECRET_ACCESS_KEY: 'local',
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let err = '';
  proc.stderr!.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-4000)));
  cleanups.push(() => {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
  });
  proc.once('exit', (code, signal) => {
    if (code !== null && code !== 0) console.error(`relay exited with ${code}: ${err}`);
    void signal;
  });
  return proc;
}

async function metrics(port: number): Promise<{ eventsIn: number; throttledCalls: number; ready: boolean } | undefined> {
  try {
    return (await (await fetch(`http://127.0.0.1:${port}/metrics`)).json()) as { eventsIn: number; throttledCalls: number; ready: boolean };
  } catch {
    return undefined;
  }
}

function limitBuy(sim: Simulator, code: string, remark: string) {
  const price = stepTicks('HK', sim.market.top(`HK.${code}`)!.bid, -3);
  return sim.trading.placeOrder({ packetID: { connID: 0n, serialNo: 0 }, header: SIM_HK, trdSide: 1, orderType: 1, code, secMarket: 1, qty: 100, price, remark });
}

const statuses = (bus: LocalEventBridge, id: bigint) =>
  bus.events.filter((e) => e['detail-type'] === 'Order Update').map((e) => e.detail as { orderId: string; status: string }).filter((d) => d.orderId === id.toString()).map((d) => d.status);

it('after SIGKILL with events queued and a restart on the next trading day, publishes every order\'s final state', async () => {
  const sim = await startSimulator({ port: 0, clock: { manual: true }, rsaPrivateKey: KEY, seed: 9, accounts: DEFAULT_ACCOUNTS });
  cleanups.push(() => sim.close());
  const bus = await startLocalEventBridge();
  cleanups.push(() => bus.close());
  const dir = mkdtempSync(join(tmpdir(), 'relay-kill-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'key.pem'), KEY, { mode: 0o600 });
  const checkpoint = join(dir, 'state', 'relay-checkpoint.json');

  const port1 = await freePort();
  const first = startRelayProcess(sim, bus, dir, port1);
  await until(async () => (await metrics(port1))?.ready === true, 60_000, 'first relay ready');
  const a = limitBuy(sim, '00700', 'oc:kill-a');
  sim.advance(1000);
  await until(() => statuses(bus, a.orderID).includes('SUBMITTED'), 15_000, 'a submitted');
  await until(() => {
    try {
      const cp = JSON.parse(readFileSync(checkpoint, 'utf8')) as { horizon?: number; accounts: Record<string, { orders: Record<string, { status: string }> }> };
      return cp.horizon !== undefined && cp.accounts[SIM_HK.accID.toString()]?.orders[a.orderID.toString()]?.status === 'SUBMITTED';
    } catch {
      return false;
    }
  }, 15_000, 'checkpoint with a submitted');

  // The bus refuses everything: the next events stay in the relay's memory.
  bus.setFaults({ throttleRate: 1 });
  const before = (await metrics(port1))!.eventsIn;
  sim.trading.modifyOrder({ packetID: { connID: 0n, serialNo: 0 }, header: SIM_HK, orderID: a.orderID, modifyOrderOp: 2 });
  const b = limitBuy(sim, '09988', 'oc:kill-b');
  sim.advance(1000);
  await until(async () => {
    const m = await metrics(port1);
    return !!m && m.eventsIn >= before + 3 && m.throttledCalls > 0;
  }, 15_000, 'events queued in the first relay');
  first.kill('SIGKILL');
  await until(() => first.signalCode === 'SIGKILL', 10_000, 'first relay killed');
  expect(statuses(bus, a.orderID)).not.toContain('CANCELLED_ALL');
  expect(statuses(bus, b.orderID)).toEqual([]);

  // Down over the trading-day boundary: b (a DAY order) expires while nobody listens.
  sim.advance(86_400_000 + 3_600_000);
  bus.setFaults({});
  const port2 = await freePort();
  startRelayProcess(sim, bus, dir, port2);
  await until(async () => (await metrics(port2))?.ready === true, 60_000, 'second relay ready');
  await until(() => statuses(bus, a.orderID).at(-1) === 'CANCELLED_ALL' && statuses(bus, b.orderID).at(-1) === 'CANCELLED_ALL', 20_000, 'final states of a and b published');
  expect(statuses(bus, a.orderID).filter((s) => s === 'SUBMITTED')).toHaveLength(1);
});
