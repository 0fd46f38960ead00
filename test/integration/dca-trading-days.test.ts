// The DCA strategy asks OpenD's trading calendar (Qot_RequestTradeDate) before buying: a run on an exchange
// holiday or a weekend is skipped with nothing sent, a run on a trading day goes ahead. Real simulator over TCP,
// DynamoDB Local and the strategy handler as it runs in Lambda (functions harness).
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startFunctionsHarness, type FunctionsHarness } from '../support/functions-harness.js';

let h: FunctionsHarness;
beforeAll(async () => {
  h = await startFunctionsHarness();
}, 120_000);
afterAll(async () => {
  await h?.stop();
});

it('skips a run on an HKEX holiday (Lunar New Year 2026-02-17) and on a weekend, and plans one on a trading day', async () => {
  const holiday = await h.strategyDca({ security: 'HK.00700', quantity: 100, runDate: '2026-02-17', dryRun: true });
  expect(holiday).toMatchObject({ action: 'skipped', security: 'HK.00700' });
  expect(holiday.reason).toMatch(/2026-02-17 is not a trading day for HK.00700/);
  expect(holiday.clientOrderId).toBeUndefined();
  const weekend = await h.strategyDca({ security: 'HK.00700', quantity: 100, runDate: '2026-02-14', dryRun: true });
  expect(weekend.action).toBe('skipped');
  // The same date is a normal trading day in New York.
  const us = await h.strategyDca({ security: 'US.AAPL', quantity: 1, runDate: '2026-02-17', dryRun: true });
  expect(us).toMatchObject({ action: 'planned', clientOrderId: 'dca-US.AAPL-20260217' });
  const eve = await h.strategyDca({ security: 'HK.00700', quantity: 100, runDate: '2026-02-16', dryRun: true });
  expect(eve).toMatchObject({ action: 'planned', qty: 100, clientOrderId: 'dca-HK.00700-20260216' });
}, 60_000);

it('refuses a malformed runDate as invalid input', async () => {
  await expect(h.strategyDca({ security: 'HK.00700', quantity: 100, runDate: '17/02/2026' })).rejects.toThrow(/runDate/);
});
