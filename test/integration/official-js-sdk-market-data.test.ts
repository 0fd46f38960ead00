// The official JavaScript SDK (npm futu-api, unchanged) against the simulator's WebSocket listener, calling each
// classic market-data protocol — subscriptions, basic quotes, K-lines, time share, tickers, order book, broker
// queue, history K-lines and quota, corporate actions, suspensions (through the SDK's generic send: it has no
// named method), price reminders, static info, market state — and receiving every kind of quote push. (The
// reference-data protocols are in official-js-sdk-reference, options and futures in official-js-sdk-derivatives.)
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startSimulator, type Simulator } from '../../gateway-container/simulator/index.js';
import { runOfficialSdk, SDK_KEY, sdkWebsocket } from '../support/official-sdk.js';

let sim: Simulator;

beforeAll(async () => {
  // A clock that runs by itself from a Hong Kong trading morning, so the market trades and pushes.
  sim = await startSimulator({ host: '127.0.0.1', port: 0, seed: 7, clock: { start: Date.UTC(2025, 0, 15, 2) }, driveIntervalMs: 50, websocket: await sdkWebsocket() });
  // The SDK asks for today's tickers and time share at once: wait until Tencent has traded (a condition, not a sleep).
  await new Promise<void>((resolve) => {
    const stop = sim.market.onTrade((t) => {
      if (t.key !== 'HK.00700') return;
      stop();
      resolve();
    });
  });
});
afterAll(async () => {
  await sim.close();
});

it('serves the classic market-data protocols and pushes to the official JavaScript SDK unchanged', async () => {
  const { status, result, stderr } = await runOfficialSdk('official-js-sdk-market-data.mts', ['127.0.0.1', String(sim.websocketPort), SDK_KEY]);
  expect(result['error'], stderr).toBeUndefined();
  expect(status).toBe(0);
  expect(result).toMatchObject({
    login: true,
    subscribed: [1, 2, 4, 5, 6, 14],
    basicPrice: true,
    klines: 5,
    timeShare: true,
    tickers: true,
    book: { asks: 5, bids: 5 },
    brokers: true,
    historyDays: ['2022-08-22', '2022-08-23', '2022-08-24', '2022-08-25', '2022-08-26'],
    historyQuota: { used: 1, detail: ['TSLA'] },
    rehab: [{ time: '2022-08-25', split: '1:3' }],
    static: ['00700/100', 'TSLA/1'],
    marketState: true,
    suspensions: ['2026-03-16', '2026-03-17'],
    reminder: { added: true, listed: ['999/sdk'] },
    pushes: [3005, 3007, 3009, 3011, 3013, 3015],
  });
}, 90_000);
