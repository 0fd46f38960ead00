// The official JavaScript SDK (npm futu-api, unchanged) against the simulator's WebSocket listener, calling the
// trading-report protocols: Trd_GetMaxTrdQtys, Trd_GetHistoryOrderList, Trd_GetHistoryOrderFillList,
// Trd_GetMarginRatio, Trd_GetOrderFee and Trd_FlowSummary on a REAL account (after Trd_UnlockTrade and one buy
// that fills at the ask, so every report has something to show).
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startSimulator, type Simulator } from '../../gateway-container/simulator/index.js';
import { DEFAULT_TRADE_PASSWORD_MD5 } from '../../gateway-container/simulator/trading/engine.js';
import { runOfficialSdk, SDK_KEY, sdkWebsocket } from '../support/official-sdk.js';

const REAL_HK = '281756478396547854';
let sim: Simulator;

beforeAll(async () => {
  // Manual clock on a 2025 HK trading morning: the price stands still while the SDK places its order at the ask.
  sim = await startSimulator({ host: '127.0.0.1', port: 0, seed: 7, clock: { manual: true, start: Date.UTC(2025, 0, 15, 2) }, websocket: await sdkWebsocket() });
  sim.advance(60_000);
});
afterAll(async () => {
  await sim.close();
});

it('serves max quantities, history orders and fills, margin data, order fees and cash flow to the official JavaScript SDK', async () => {
  const ask = sim.market.top('HK.00700')!.ask;
  const { status, result: r, stderr } = await runOfficialSdk('official-js-sdk-trade.mts', ['127.0.0.1', String(sim.websocketPort), SDK_KEY, REAL_HK, String(ask), '2025-01-15', DEFAULT_TRADE_PASSWORD_MD5]);
  const result = r as Record<string, any>;
  expect(result['error'], stderr).toBeUndefined();
  expect(status).toBe(0);
  const orderIDEx = result['orderIDEx'] as string;
  expect(orderIDEx).toMatch(/^FTR20250115_\d+$/);
  expect(result['maxCashBuy']).toBeGreaterThan(0);
  expect(result['maxCashBuy'] % 100).toBe(0);
  expect(result['historyOrders']).toEqual([[orderIDEx, 11]]); // 11 = FILLED_ALL
  expect(result['historyFills']).toEqual([['00700', 100]]);
  expect(result['margin']).toEqual({ code: '00700', isLongPermit: true, imLongRatio: 30, mmLongRatio: 24 });
  expect(result['fee']).toMatchObject({ orderIDEx, titles: ['Commission', 'Platform Fees', 'Settlement Fees', 'Stamp Duty', 'Trading Fees', 'SFC Transaction Levy', 'FRC Transaction Levy'] });
  expect(result['fee'].feeAmount).toBeGreaterThan(15);
  expect(result['cashFlow'].map((c: unknown[]) => c.slice(0, 2))).toEqual([['Deposit', 1], ['Stock Trade', 2], ['Fees', 2]]);
  expect(result['cashFlow'][2][2]).toBeCloseTo(-result['fee'].feeAmount, 2);
}, 60_000);
