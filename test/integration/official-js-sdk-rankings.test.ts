// The official JavaScript SDK (npm futu-api, unchanged) reads intraday top movers (Qot_GetTopMoversRank 3413) from
// the simulator's WebSocket listener, and gets the same ranking our typed client reads over TCP at the same moment.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startSimulator, type Simulator } from '../../gateway-container/simulator/index.js';
import { topMovers } from '../../proto/api/rankings.js';
import { runOfficialSdk, SDK_KEY, sdkWebsocket } from '../support/official-sdk.js';
import { closeAll, connectClient } from './sim-helpers.js';

let sim: Simulator;

beforeAll(async () => {
  sim = await startSimulator({ host: '127.0.0.1', port: 0, seed: 7, clock: { manual: true, start: Date.UTC(2025, 0, 15, 2) }, websocket: await sdkWebsocket() });
  for (let i = 0; i < 3; i++) sim.advance(60_000);
});
afterAll(async () => {
  await sim.close();
});

it('serves intraday top movers to the official JavaScript SDK as our client reads them', async () => {
  const c = await connectClient(sim);
  let ours: Awaited<ReturnType<typeof topMovers>>;
  let oursLosers: string[];
  try {
    ours = await topMovers(c, { market: 'HK', count: 3 });
    oursLosers = (await topMovers(c, { market: 'HK', direction: 'LOSERS', count: 3 })).items.map((i) => i.code.slice(3));
  } finally {
    await closeAll(c);
  }
  const { status, result, stderr } = await runOfficialSdk('official-js-sdk-rankings.mts', ['127.0.0.1', String(sim.websocketPort), SDK_KEY]);
  expect(result['error'], stderr).toBeUndefined();
  expect(status).toBe(0);
  expect(result).toEqual({
    login: true,
    gainers: { allCount: ours.allCount, codes: ours.items.map((i) => i.code.slice(3)), changes: ours.items.map((i) => i.changePct) },
    losers: oursLosers,
    refusal: expect.stringMatching(/market 21 has no top movers ranking/),
  });
}, 60_000);
