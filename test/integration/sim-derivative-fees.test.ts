// Fees of REAL futures and option orders on the simulator over real TCP, with the typed AccountReportsApi:
// Trd_GetOrderFee lists the per-contract items of the derivative schedules (trading/derivative-fees.ts), no
// stamp duty and no ad-valorem item on the futures notional, and the account's cash and cash-flow log move by
// exactly those fees (a futures fill moves no cash for its notional; an option fill moves its premium × 100).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Simulator } from '../../gateway-container/simulator/index.js';
import { AccountReportsApi } from '../../proto/api/account-reports.js';
import { DerivativesApi } from '../../proto/api/derivatives.js';
import { TradeApi, type AccountRef } from '../../proto/api/trading.js';
import type { OpenDClient } from '../../proto/client.js';
import { ACC, closeAll, connectClient, startTestSimulator } from './sim-helpers.js';

const FUT_REAL: AccountRef = { accId: 281756478396547904n, env: 'REAL', market: 'FUTURES' };
const cents = (v: number) => Math.round(v * 100);
const itemsOf = (fee: { items: { title: string; value: number }[] }) => Object.fromEntries(fee.items.map((i) => [i.title, i.value]));

let sim: Simulator;
let c: OpenDClient;
let t: TradeApi;
let r: AccountReportsApi;
let d: DerivativesApi;

beforeAll(async () => {
  sim = await startTestSimulator({ futuresAccounts: true });
  c = await connectClient(sim);
  t = new TradeApi(c);
  r = new AccountReportsApi(c);
  d = new DerivativesApi(c);
  sim.advance(60_000);
  await t.unlock('123456');
});
afterAll(async () => {
  await closeAll(c);
  await sim.close();
});

/** Futu's per-account spacing of PlaceOrder: the manual clock moves a second first. */
function place(acc: AccountRef, input: Parameters<TradeApi['placeOrder']>[1]) {
  sim.advance(1000);
  return t.placeOrder(acc, input);
}

describe('REAL derivative order fees', () => {
  it('charges an HSI futures order per contract, and the HKD cash and the cash-flow log move by exactly the fees', async () => {
    const hkdBefore = (await t.funds(FUT_REAL, { currency: 'HKD' })).cash;
    const { orderId, orderIdEx } = await place(FUT_REAL, { code: 'HK.HSImain', side: 'BUY', type: 'MARKET', qty: 2 });
    const [o] = await t.orders(FUT_REAL, { orderIds: [orderId] });
    expect(o).toMatchObject({ status: 'FILLED_ALL', fillQty: 2 });

    const [fee] = await r.orderFees(FUT_REAL, [orderIdEx!]);
    // HK$10 commission + HK$5 platform fee + HKFE HK$10 + SFC levy HK$0.54, per contract, 2 contracts.
    expect(itemsOf(fee!)).toEqual({ Commission: 20, 'Platform Fees': 10, 'Exchange Fees': 20, 'SFC Transaction Levy': 1.08 });
    expect(fee!.total).toBe(51.08);
    expect(cents((await t.funds(FUT_REAL, { currency: 'HKD' })).cash)).toBe(cents(hkdBefore) - 5108);

    const flows = (await r.cashFlow(FUT_REAL, '2025-01-15')).filter((f) => (f.remark ?? '').includes(orderIdEx!));
    expect(flows.map((f) => [f.type, f.direction, f.currency, f.amount])).toEqual([['Fees', 'OUT', 'HKD', -51.08]]);
    expect(flows[0]!.remark).not.toContain('Stamp Duty');
  });

  it('refuses a futures order whose margin plus estimated fees exceed the account, naming both', async () => {
    // 30 × HK$120,000 of initial margin is beyond the account; the fees are 30 × HK$25.54.
    await expect(place(FUT_REAL, { code: 'HK.HSImain', side: 'BUY', type: 'MARKET', qty: 30 })).rejects.toThrow(
      /insufficient margin: 30 HK\.HSImain need initial margin 3,600,000\.00 HKD \+ estimated fees 766\.20 HKD, available /,
    );
  });

  it('charges a CME E-mini sell commission, platform, exchange and NFA fees per contract in USD', async () => {
    const usdBefore = (await t.funds(FUT_REAL, { currency: 'USD' })).cash;
    const { orderIdEx } = await place(FUT_REAL, { code: 'US.ESmain', side: 'SELL', type: 'MARKET', qty: 1 });
    const [fee] = await r.orderFees(FUT_REAL, [orderIdEx!]);
    expect(itemsOf(fee!)).toEqual({ Commission: 4, 'Platform Fees': 1, 'Exchange Fees': 1.38, 'NFA Fee': 0.02 });
    // The USD view converts the HKD cash at a fixed rate, which did not move: the difference is the fees.
    expect(cents((await t.funds(FUT_REAL, { currency: 'USD' })).cash)).toBe(cents(usdBefore) - 640);
  });

  it('charges an HK stock option order per contract without stamp duty, and logs the premium × contract size as the trade', async () => {
    const [row] = (await d.optionChain('HK.00700', { from: '2025-01-30', to: '2025-01-30' }))[0]!.strikes.slice(8, 9);
    const code = row!.call!.code;
    const cashBefore = (await t.funds(ACC.REAL_HK)).cash;
    const { orderId, orderIdEx } = await place(ACC.REAL_HK, { code, side: 'BUY', type: 'MARKET', qty: 3 });
    const [o] = await t.orders(ACC.REAL_HK, { orderIds: [orderId] });
    expect(o).toMatchObject({ status: 'FILLED_ALL', fillQty: 3 });
    const [fee] = await r.orderFees(ACC.REAL_HK, [orderIdEx!]);
    expect(itemsOf(fee!)).toEqual({ Commission: 9, 'Platform Fees': 9, 'Trading Fees': 3 });
    const premium = cents(o!.fillAvgPrice * 3 * 100);
    expect(cents((await t.funds(ACC.REAL_HK)).cash)).toBe(cents(cashBefore) - premium - 2100);
    const flows = (await r.cashFlow(ACC.REAL_HK, '2025-01-15')).filter((f) => (f.remark ?? '').includes(orderIdEx!));
    expect(flows.map((f) => [f.type, cents(f.amount)])).toEqual([
      ['Option Trade', -premium],
      ['Fees', -2100],
    ]);
  });
});
