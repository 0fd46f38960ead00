// The official JavaScript SDK (npm futu-api 10.11.7108, unchanged) against the simulator's WebSocket listener:
// login with the websocket key, global state, a snapshot, a subscription with pushes, the account list, an
// order with its Trd_UpdateOrder push, and a broker-style rejection.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startSimulator, type Simulator } from '../../gateway-container/simulator/index.js';
import { runOfficialSdk, SDK_KEY, sdkWebsocket } from '../support/official-sdk.js';
import { PROTO_ID } from '../../proto/registry.js';

const SIM_HK = '281756480572583411';
let sim: Simulator;

beforeAll(async () => {
  sim = await startSimulator({ port: 0, websocket: await sdkWebsocket() });
});
afterAll(async () => {
  await sim.close();
});

async function runSdk(key: string) {
  return runOfficialSdk('official-js-sdk.mts', ['127.0.0.1', String(sim.websocketPort), key, SIM_HK]);
}

it('serves the official JavaScript SDK unchanged: login, quotes, pushes, accounts and an order', async () => {
  const { status, result, stderr } = await runSdk(SDK_KEY);
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
