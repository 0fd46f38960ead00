// The official JavaScript SDK (npm futu-api, unchanged) against the simulator's WebSocket listener: futures
// contract specs, option expirations and an option chain, and the futures accounts (Trd_GetAccList with the
// futures trade category), as a user of the SDK would call them.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startSimulator, type Simulator } from '../../gateway-container/simulator/index.js';
import { DEFAULT_FUTURES_ACCOUNTS } from '../../gateway-container/simulator/trading/accounts.js';
import { runOfficialSdk, SDK_KEY, sdkWebsocket } from '../support/official-sdk.js';

let sim: Simulator;

beforeAll(async () => {
  // Manual clock on Wednesday 2025-01-15 10:00 in Hong Kong.
  sim = await startSimulator({
    host: '127.0.0.1',
    port: 0,
    seed: 7,
    clock: { manual: true, start: Date.UTC(2025, 0, 15, 2) },
    futuresAccounts: true,
    websocket: await sdkWebsocket(),
  });
  sim.advance(60_000);
});
afterAll(async () => {
  await sim.close();
});

it('serves futures info, option expirations, option chains and the futures accounts to the official JavaScript SDK', async () => {
  const { status, result, stderr } = await runOfficialSdk('official-js-sdk-derivatives.mts', ['127.0.0.1', String(sim.websocketPort), SDK_KEY]);
  expect(result['error'], stderr).toBeUndefined();
  expect(status).toBe(0);
  expect(result).toMatchObject({
    login: true,
    futures: [
      { code: 'HSImain', contractSize: 50, minVar: 1, currency: 'HKD', lastTradeTime: '', origin: 'HSI2501' },
      { code: 'ES2503', contractSize: 50, minVar: 0.25, currency: 'USD', lastTradeTime: '2025-03-21' },
    ],
    expirations: ['2025-01-30 15', '2025-02-27 43', '2025-03-28 72'],
    chain: { strikeTime: '2025-01-17', calls: 17, puts: 0, owner: 'AAPL' },
    futuresAccounts: DEFAULT_FUTURES_ACCOUNTS.map((a) => ({ accID: a.accID.toString(), markets: a.markets.map((m) => ({ FUTURES: 5, FUTURES_SIMULATE_HK: 10, FUTURES_SIMULATE_US: 11 })[m as 'FUTURES']) })),
  });
  expect((result['chain'] as { firstCall: string }).firstCall).toMatch(/^AAPL250117C\d+$/);
  expect(result['securityAccounts']).toBeGreaterThanOrEqual(4);
}, 60_000);
