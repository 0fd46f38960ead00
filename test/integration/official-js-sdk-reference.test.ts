// The official JavaScript SDK (npm futu-api, unchanged) against the simulator's WebSocket listener, calling each
// reference-data protocol the simulator answers and the SDK has a method for: trading days, code changes, IPOs,
// capital flow and distribution, owner plates, plate sets and members, watchlists, the stock filter, warrants,
// related warrants and holding changes.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startSimulator, type Simulator } from '../../gateway-container/simulator/index.js';
import { runOfficialSdk, SDK_KEY, sdkWebsocket } from '../support/official-sdk.js';

let sim: Simulator;

beforeAll(async () => {
  // Manual clock on a 2025 trading morning: the IPO list (upcoming listings) is then the whole reference list.
  sim = await startSimulator({ host: '127.0.0.1', port: 0, seed: 7, clock: { manual: true, start: Date.UTC(2025, 0, 15, 2) }, websocket: await sdkWebsocket() });
  for (let i = 0; i < 3; i++) sim.advance(60_000);
});
afterAll(async () => {
  await sim.close();
});

it('serves the reference-data protocols to the official JavaScript SDK unchanged', async () => {
  const { status, result, stderr } = await runOfficialSdk('official-js-sdk-reference.mts', ['127.0.0.1', String(sim.websocketPort), SDK_KEY]);
  expect(result['error'], stderr).toBeUndefined();
  expect(status).toBe(0);
  expect(result).toMatchObject({
    login: true,
    tradeDates: ['2026-02-13', '2026-02-16', '2026-02-20', '2026-02-23', '2026-02-24'],
    codeChanges: ['02800'],
    ipos: ['02658', '06810'],
    capitalDistributionHasFields: true,
    ownerPlates: ['BK1001', 'BK1910', 'BK1911'],
    plates: ['BK1910', 'BK1911'],
    plateMembers: ['00005', '00939'],
    watchlist: ['00700'],
    screen: { allCount: 5, lastPage: false, rows: 2 },
    warrants: { allCount: 2, codes: ['50104', '50105'] },
    relatedWarrants: 8,
  });
  expect(result['holdingChanges']).toBeGreaterThan(0);
  expect(result['capitalFlowItems']).toBeGreaterThan(0);
  expect(result['groups']).toEqual(expect.arrayContaining(['All', 'SDK']));
}, 60_000);
