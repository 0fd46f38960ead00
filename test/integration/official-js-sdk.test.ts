// The official JavaScript SDK (npm futu-api 10.11.7108, unchanged) against the simulator's WebSocket listener:
// login with the websocket key, global state, a snapshot, a subscription with pushes, the account list, an
// order with its Trd_UpdateOrder push, and a broker-style rejection.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startSimulator, type Simulator } from '../../gateway-container/simulator/index.js';
import { freePort } from '../support/processes.js';
import { PROTO_ID } from '../../proto/registry.js';

const ROOT = resolve(import.meta.dirname, '../..');
const KEY = 'local-websocket-key';
const SIM_HK = '281756480572583411';
let sim: Simulator;

beforeAll(async () => {
  sim = await startSimulator({ port: 0, websocket: { port: await freePort(), keyMd5: createHash('md5').update(KEY).digest('hex') } });
});
afterAll(async () => {
  await sim.close();
});

/** The SDK runs in its own process (the simulator in this one must keep serving meanwhile). */
async function runSdk(key: string) {
  const child = spawn(process.execPath, ['--experimental-websocket', '--no-warnings', '--import', 'tsx', join(ROOT, 'test/fixtures/official-js-sdk.mts'), '127.0.0.1', String(sim.websocketPort), key, SIM_HK], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d));
  child.stderr.on('data', (d: Buffer) => (stderr += d));
  const status = await new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  const line = stdout.trim().split('\n').at(-1) || '{}';
  return { status, result: JSON.parse(line) as Record<string, unknown>, stderr };
}

it('serves the official JavaScript SDK unchanged: login, quotes, pushes, accounts and an order', async () => {
  const { status, result, stderr } = await runSdk(KEY);
  expect(result['error'], stderr).toBeUndefined();
  expect(status).toBe(0);
  expect(result).toMatchObject({ login: true, programStatus: 10, snapshot: { code: '00700', lotSize: 100 } });
  expect(result['accounts']).toContain(SIM_HK);
  expect(BigInt(result['orderID'] as string)).toBeGreaterThan(2n ** 53n);
  expect(result['rejection']).toMatch(/lot size 100/);
  expect(result['pushes']).toEqual(expect.arrayContaining([PROTO_ID.Trd_UpdateOrder, PROTO_ID.Qot_UpdateBasicQot]));
  const placed = sim.trading.orders({ trdEnv: 0, accID: BigInt(SIM_HK), trdMarket: 1 }).find((o) => o.remark === 'official-sdk');
  expect(placed?.orderID.toString()).toBe(result['orderID']);
});

it('refuses the official SDK with a wrong websocket key', async () => {
  const { status, result } = await runSdk('wrong-key');
  expect(status).toBe(1);
  expect(result['login']).toBe(false);
});
