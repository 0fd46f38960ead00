// A universal (综合) account in the simulator over real TCP: one account ID trades HK stocks, US stocks and A
// shares (through Stock Connect, HKCC) on one connection, each request's TrdHeader naming the security's trade
// market (tradeMarketFor), with cash and positions per currency; a header market that does not fit the
// security, or that the account lacks, is refused with a message that names the markets.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Simulator } from '../../gateway-container/simulator/index.js';
import { headerOf, tradeMarketFor, type AccountRef } from '../../proto/api/trading.js';
import { ValidationError } from '../../proto/errors.js';
import * as Trd_Common from '../../proto/generated/Trd_Common.js';
import { PROTO_ID } from '../../proto/registry.js';
import { ACC, closeAll, expectOpenDError, startTestSimulator } from './sim-helpers.js';
import { client, open } from './sim-trading-support.js';

let sim: Simulator;

beforeAll(async () => {
  sim = await startTestSimulator(); // always-open: HK, US and A shares all trade at the start time
  sim.advance(1_000);
});
afterAll(async () => {
  await sim.close();
});
afterEach(async () => {
  await closeAll(...open.splice(0));
});

describe('universal account', () => {
  it('trades HK, US and SH securities under one account on one connection, each under its own trade market', async () => {
    const { c, t } = await client(sim);
    const account = (await t.accounts()).find((a) => a.accId === ACC.SIM_UNI.accId)!;
    expect(account.markets).toEqual(['HK', 'US', 'HKCC']);

    const orders = [
      { code: 'HK.00700', qty: 100, market: 'HK', currency: 'HKD' },
      { code: 'US.AAPL', qty: 10, market: 'US', currency: 'USD' },
      { code: 'SH.600519', qty: 100, market: 'HKCC', currency: 'CNH' },
    ] as const;
    const placed: bigint[] = [];
    for (const o of orders) {
      const acc: AccountRef = { ...ACC.SIM_UNI, market: tradeMarketFor(account, o.code) };
      expect(acc.market).toBe(o.market);
      sim.advance(50); // trade writes of one account at least 20 ms apart
      // Market orders for HK and US; Stock Connect takes limit orders only, so SH buys 2 % above the ask.
      const order = o.market === 'HKCC' ? { type: 'NORMAL' as const, price: Math.round(sim.market.top(o.code)!.ask * 102) / 100 } : { type: 'MARKET' as const };
      placed.push((await t.placeOrder(acc, { code: o.code, side: 'BUY', qty: o.qty, ...order })).orderId);
    }

    const list = await t.orders(ACC.SIM_UNI);
    for (const [i, o] of orders.entries()) {
      const order = list.find((x) => x.orderId === placed[i])!;
      expect(order.status).toBe('FILLED_ALL');
      expect(order.code).toBe(o.code);
      expect(order.trdMarket).toBe(o.market);
      expect(order.fillQty).toBe(o.qty);
    }
    const positions = await t.positions(ACC.SIM_UNI);
    expect(positions.map((p) => [p.code, p.qty, p.currency]).sort()).toEqual([
      ['HK.00700', 100, 'HKD'],
      ['SH.600519', 100, 'CNH'],
      ['US.AAPL', 10, 'USD'],
    ]);

    // Cash moved in each security's own currency: the starting 1,000,000 HKD / 100,000 USD / 1,000,000 CNH went down.
    const funds = await c.request(PROTO_ID.Trd_GetFunds, { header: headerOf(ACC.SIM_UNI), refreshCache: false });
    const cash = new Map((funds.funds?.cashInfoList ?? []).map((x) => [x.currency, x.cash]));
    expect(cash.get(Trd_Common.Currency.HKD)).toBeLessThan(1_000_000);
    expect(cash.get(Trd_Common.Currency.USD)).toBeLessThan(100_000);
    expect(cash.get(Trd_Common.Currency.CNH)).toBeLessThan(1_000_000);
  });

  it('refuses a header market that does not fit the security or that the account lacks, naming the markets', async () => {
    const { t } = await client(sim);
    sim.advance(50);
    await expectOpenDError(
      t.placeOrder({ ...ACC.SIM_UNI, market: 'HK' }, { code: 'US.AAPL', side: 'BUY', type: 'MARKET', qty: 1 }),
      /security US\.AAPL cannot be traded under trdMarket HK/,
    );
    sim.advance(50);
    await expectOpenDError(
      t.placeOrder({ ...ACC.SIM_UNI, market: 'CN' }, { code: 'SH.600519', side: 'BUY', type: 'MARKET', qty: 100 }),
      /has no permission for trdMarket CN; it trades HK, US, HKCC/,
    );
    // The typed client refuses before sending when no market of the account can trade the security.
    const hkOnly = (await t.accounts()).find((a) => a.accId === ACC.SIM_HK.accId)!;
    expect(() => tradeMarketFor(hkOnly, 'US.AAPL')).toThrow(ValidationError);
    expect(() => tradeMarketFor(hkOnly, 'US.AAPL')).toThrow(`US.AAPL cannot be traded by account ${ACC.SIM_HK.accId}: it trades HK`);
    expect(tradeMarketFor({ accId: 1n, markets: ['CN'] }, 'SZ.000001')).toBe('CN');
  });
});
