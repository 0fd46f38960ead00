// The simulator's account reports over real TCP with the typed AccountReportsApi: order fees charged on REAL
// fills per Futu's HK and US schedules (and the cash that pays them), margin data per security, the cash-flow
// log per clearing date, the paper-trading refusals, the request limits, and the log surviving a restart
// from the state file.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Simulator } from '../../gateway-container/simulator/index.js';
import { AccountReportsApi } from '../../proto/api/account-reports.js';
import { ValidationError } from '../../proto/errors.js';
import { ACC, closeAll, expectOpenDError, startTestSimulator } from './sim-helpers.js';
import { client, open } from './sim-trading-support.js';

const cents = (v: number) => Math.round(v * 100);
/** Rounds a dollar amount to the cent the way a person would check a fee by hand. */
const toCent = (v: number) => Math.round(v * 100 + 1e-9) / 100;

function expectedHkFees(amount: number) {
  return {
    Commission: Math.max(3, toCent(amount * 0.0003)),
    'Platform Fees': 15,
    'Settlement Fees': Math.min(100, Math.max(2, toCent(amount * 0.00002))),
    'Stamp Duty': Math.ceil(amount * 0.001 - 1e-9),
    'Trading Fees': Math.max(0.01, toCent(amount * 0.0000565)),
    'SFC Transaction Levy': Math.max(0.01, toCent(amount * 0.000027)),
    'FRC Transaction Levy': toCent(amount * 0.0000015),
  };
}

async function reportsClient(sim: Simulator) {
  const x = await client(sim);
  return { ...x, r: new AccountReportsApi(x.c) };
}

afterEach(async () => {
  await closeAll(...open.splice(0));
});

describe('order fees and cash flow on a REAL HK account', () => {
  let sim: Simulator;
  beforeEach(async () => {
    sim = await startTestSimulator();
    sim.advance(1_000);
  });
  afterEach(async () => {
    await sim.close();
  });

  it('charges a filled buy the HK schedule, reports the items with Trd_GetOrderFee, and the cash pays trade plus fees', async () => {
    const { t, r } = await reportsClient(sim);
    await t.unlock('123456');
    const cashBefore = (await t.funds(ACC.REAL_HK)).cash;
    const ask = sim.market.top('HK.00700')!.ask;
    const { orderIdEx } = await t.placeOrder(ACC.REAL_HK, { code: 'HK.00700', side: 'BUY', qty: 100, price: ask });
    const [order] = await t.orders(ACC.REAL_HK);
    expect(order!.status).toBe('FILLED_ALL');
    const amount = order!.fillQty * order!.fillAvgPrice;

    const [fee] = await r.orderFees(ACC.REAL_HK, [orderIdEx!]);
    const expected = expectedHkFees(amount);
    expect(Object.fromEntries(fee!.items.map((i) => [i.title, i.value]))).toEqual(expected);
    const total = Object.values(expected).reduce((s, v) => s + cents(v), 0);
    expect(cents(fee!.total)).toBe(total);
    expect(cents((await t.funds(ACC.REAL_HK)).cash)).toBe(cents(cashBefore) - cents(amount) - total);
  });

  it('an unfilled order has no fees yet; unknown orders, paper accounts and over 400 orders are refused', async () => {
    const { t, r } = await reportsClient(sim);
    await t.unlock('123456');
    const { orderIdEx } = await t.placeOrder(ACC.REAL_HK, { code: 'HK.00700', side: 'BUY', qty: 100, price: 300 });
    expect(await r.orderFees(ACC.REAL_HK, [orderIdEx!])).toEqual([{ orderIdEx, total: 0, items: [] }]);
    await expectOpenDError(r.orderFees(ACC.REAL_HK, ['FTR20250115_1']), /order\(s\) FTR20250115_1 not found in account 281756478396547854/);
    await expectOpenDError(r.orderFees(ACC.SIM_HK, ['FTS20250115_1']), /simulated trading does not support order fee queries/);
    await expect(r.orderFees(ACC.REAL_HK, Array.from({ length: 401 }, (_, i) => `x${i}`))).rejects.toThrow(ValidationError);
  });

  it('lists the day’s cash flow: the starting-cash deposit, the trade and its fees, filtered by direction', async () => {
    const { t, r } = await reportsClient(sim);
    await t.unlock('123456');
    const ask = sim.market.top('HK.00700')!.ask;
    const { orderIdEx } = await t.placeOrder(ACC.REAL_HK, { code: 'HK.00700', side: 'BUY', qty: 100, price: ask });
    const [fee] = await r.orderFees(ACC.REAL_HK, [orderIdEx!]);
    const [order] = await t.orders(ACC.REAL_HK);

    const flows = await r.cashFlow(ACC.REAL_HK, '2025-01-15');
    expect(flows.map((f) => [f.type, f.direction, f.currency, f.amount])).toEqual([
      ['Deposit', 'IN', 'HKD', 1_000_000],
      ['Stock Trade', 'OUT', 'HKD', -(order!.fillQty * order!.fillAvgPrice)],
      ['Fees', 'OUT', 'HKD', -fee!.total],
    ]);
    expect(flows[1]!.settlementDate).toBe('2025-01-17'); // HK settles T+2
    expect(flows[2]!.remark).toContain('Stamp Duty');
    expect(new Set(flows.map((f) => f.cashFlowId)).size).toBe(3);
    expect((await r.cashFlow(ACC.REAL_HK, '2025-01-15', { direction: 'IN' })).map((f) => f.type)).toEqual(['Deposit']);
    expect(await r.cashFlow(ACC.REAL_HK, '2025-01-14')).toEqual([]);
    await expectOpenDError(r.cashFlow(ACC.SIM_HK, '2025-01-15'), /simulated trading does not support cash flow queries/);
    await expect(r.cashFlow(ACC.REAL_HK, '2025-02-30')).rejects.toThrow(/clearingDate/);
  });

  it('a paper fill pays no fees: cash moves by the trade amount only', async () => {
    const { t } = await reportsClient(sim);
    const cashBefore = (await t.funds(ACC.SIM_HK)).cash;
    const ask = sim.market.top('HK.00700')!.ask;
    await t.placeOrder(ACC.SIM_HK, { code: 'HK.00700', side: 'BUY', qty: 100, price: ask });
    const [order] = await t.orders(ACC.SIM_HK);
    expect(order!.status).toBe('FILLED_ALL');
    expect(cents((await t.funds(ACC.SIM_HK)).cash)).toBe(cents(cashBefore) - cents(order!.fillQty * order!.fillAvgPrice));
  });
});

describe('US fees', () => {
  let sim: Simulator;
  beforeEach(async () => {
    // 10:00 in New York: the US market trades.
    sim = await startTestSimulator({ clock: { manual: true, start: Date.UTC(2025, 0, 15, 15, 0, 0) } });
    sim.advance(1_000);
  });
  afterEach(async () => {
    await sim.close();
  });

  it('charges per-share commission and platform minimums on a buy, and SEC fee and FINRA TAF on the sell', async () => {
    const { t, r } = await reportsClient(sim);
    await t.unlock('123456');
    const buy = await t.placeOrder(ACC.REAL_US, { code: 'US.AAPL', side: 'BUY', qty: 10, price: sim.market.top('US.AAPL')!.ask });
    sim.advance(100);
    const sell = await t.placeOrder(ACC.REAL_US, { code: 'US.AAPL', side: 'SELL', qty: 10, price: sim.market.top('US.AAPL')!.bid });
    const orders = await t.orders(ACC.REAL_US);
    expect(orders.map((o) => o.status)).toEqual(['FILLED_ALL', 'FILLED_ALL']);
    const sold = orders.find((o) => o.orderIdEx === sell.orderIdEx)!;
    const [b, s] = await r.orderFees(ACC.REAL_US, [buy.orderIdEx!, sell.orderIdEx!]);
    expect(Object.fromEntries(b!.items.map((i) => [i.title, i.value]))).toEqual({ Commission: 0.99, 'Platform Fees': 1, 'Settlement Fees': 0.03 });
    expect(Object.fromEntries(s!.items.map((i) => [i.title, i.value]))).toEqual({
      Commission: 0.99,
      'Platform Fees': 1,
      'Settlement Fees': 0.03,
      'SEC Fee': Math.max(0.01, toCent(sold.fillQty * sold.fillAvgPrice * 0.0000278)),
      'Trading Activity Fee': 0.01,
    });
    const flows = await r.cashFlow(ACC.REAL_US, '2025-01-15');
    expect(flows.find((f) => f.type === 'Stock Trade' && f.direction === 'IN')!.settlementDate).toBe('2025-01-16'); // US settles T+1
  });
});

describe('margin ratios', () => {
  let sim: Simulator;
  beforeEach(async () => {
    sim = await startTestSimulator();
  });
  afterEach(async () => {
    await sim.close();
  });

  it('derives each security’s margin data from its volatility and size: marginable HK, marginable and shortable US', async () => {
    const { r } = await reportsClient(sim);
    const [tencent] = await r.marginRatios(ACC.REAL_HK, ['HK.00700']);
    // Volatility 32 % → 0.8 × 32 = 25.6, mega cap, rounded up to 5: 30 % initial; maintenance 80 % of it.
    expect(tencent).toMatchObject({ code: 'HK.00700', longPermit: true, shortPermit: false, long: { initialPct: 30, alertPct: 28.5, marginCallPct: 27, maintenancePct: 24 }, short: {} });

    const [tsla, spy] = await r.marginRatios(ACC.REAL_US, ['US.TSLA', 'US.SPY']);
    expect(tsla).toMatchObject({ code: 'US.TSLA', longPermit: true, shortPermit: true, long: { initialPct: 45 }, short: { initialPct: 55 }, shortFeeRatePct: 3.5 });
    expect(tsla!.shortPoolRemain).toBeGreaterThan(0);
    expect(spy).toMatchObject({ long: { initialPct: 25 }, short: { initialPct: 30 }, shortFeeRatePct: 0.25 });
    for (const m of [tencent!, tsla!, spy!]) {
      for (const side of [m.long, m.short]) {
        if (side.initialPct === undefined) continue;
        expect(side.initialPct).toBeGreaterThanOrEqual(side.alertPct!);
        expect(side.alertPct).toBeGreaterThanOrEqual(side.marginCallPct!);
        expect(side.marginCallPct).toBeGreaterThanOrEqual(side.maintenancePct!);
      }
    }
    // A cash account may neither borrow nor short; the same ratios are reported.
    const [cashTencent] = await r.marginRatios(ACC.SIM_HK, ['HK.00700']);
    expect(cashTencent).toMatchObject({ longPermit: false, shortPermit: false, long: tencent!.long });
  });

  it('refuses indexes, A-shares, unknown securities and more than 100 per request (Futu: HK and US stocks only)', async () => {
    const { r } = await reportsClient(sim);
    await expectOpenDError(r.marginRatios(ACC.REAL_HK, ['HK.00700', 'HK.800000']), /HK.800000 is an index: margin data covers HK and US stocks only/);
    await expectOpenDError(r.marginRatios(ACC.REAL_HK, ['SH.600519']), /SH.600519: margin data covers HK and US stocks only/);
    await expectOpenDError(r.marginRatios(ACC.REAL_HK, ['HK.99999']), /Unknown stock HK.99999/);
    await expect(r.marginRatios(ACC.REAL_HK, Array.from({ length: 101 }, () => 'HK.00700'))).rejects.toThrow(/1 to 100/);
  });
});

describe('restart', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'sim-reports-'));
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('keeps the cash-flow log and order fees beside the state file across a restart', async () => {
    const stateFile = join(dir, 'state.json');
    let sim = await startTestSimulator({ stateFile });
    sim.advance(1_000);
    let x = await reportsClient(sim);
    await x.t.unlock('123456');
    const { orderIdEx } = await x.t.placeOrder(ACC.REAL_HK, { code: 'HK.00700', side: 'BUY', qty: 200, price: sim.market.top('HK.00700')!.ask });
    const fees = await x.r.orderFees(ACC.REAL_HK, [orderIdEx!]);
    const flows = await x.r.cashFlow(ACC.REAL_HK, '2025-01-15');
    const cash = (await x.t.funds(ACC.REAL_HK)).cash;
    expect(flows).toHaveLength(3);
    await closeAll(...open.splice(0));
    await sim.close();

    sim = await startTestSimulator({ stateFile });
    try {
      x = await reportsClient(sim);
      expect(await x.r.orderFees(ACC.REAL_HK, [orderIdEx!])).toEqual(fees);
      expect(await x.r.cashFlow(ACC.REAL_HK, '2025-01-15')).toEqual(flows);
      expect((await x.t.funds(ACC.REAL_HK)).cash).toBe(cash);
    } finally {
      await closeAll(...open.splice(0));
      await sim.close();
    }
  });

  it('refuses to start on a corrupt cash-flow file, naming it, rather than forgetting the log', async () => {
    const stateFile = join(dir, 'state.json');
    writeFileSync(`${stateFile}.cash-flow.json`, '{"format":"opend-simulator-cash-flow","lastId":"7000000000000000003","entr');
    await expect(startTestSimulator({ stateFile })).rejects.toThrow(/cash-flow file .*state\.json\.cash-flow\.json: not valid JSON/);
  });
});
