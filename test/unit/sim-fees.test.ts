// The simulator's fee schedules (gateway-container/simulator/trading/fees.ts, derivative-fees.ts): Futu's HK and
// US stock fees, per order where Futu charges per order (so split fills pay a minimum once) and per fill where it
// charges per trade; futures and options per contract, with the contract multiplier in ad-valorem fees and no
// stamp duty; and buying power that sets the fees aside, so a cash account spending all it can is never overdrawn.
import { describe, expect, it } from 'vitest';
import type { SecurityFacts } from '../../gateway-container/simulator/market-view.js';
import { CashFlowBook } from '../../gateway-container/simulator/trading/cash-flow.js';
import { DEFAULT_TRADE_PASSWORD_MD5 } from '../../gateway-container/simulator/trading/engine.js';
import { feeSubjectOf, feesForFill, type FeeItem, type FeeSubject } from '../../gateway-container/simulator/trading/fees.js';
import * as Trd_Common from '../../proto/generated/Trd_Common.js';
import { expectTradingError, newEngine, placeReq } from './sim-trading-support.js';

const EQTY = 3;
const TRUST = 4;
const asMap = (items: FeeItem[]) => Object.fromEntries(items.map((i) => [i.title, i.cents]));

describe('HK stock fees', () => {
  it('charges a first fill the per-order minimums and each pass-through fee, in cents, stamp duty rounded up', () => {
    expect(asMap(feesForFill({ market: 'HK', secType: EQTY, buy: true }, { qty: 0, value: 0 }, 100, 380))).toEqual({
      Commission: 1140, // 0.03 % of 38,000
      'Platform Fees': 1500,
      'Settlement Fees': 200, // 0.002 % = 0.76, minimum 2
      'Stamp Duty': 3800, // 0.1 % = 38.00
      'Trading Fees': 215, // 0.00565 % = 2.147
      'SFC Transaction Levy': 103, // 0.0027 % = 1.026
      'FRC Transaction Levy': 6, // 0.00015 % = 0.057
    });
    // HK$2.01 of duty counts as HK$3.
    expect(asMap(feesForFill({ market: 'HK', secType: EQTY, buy: false }, { qty: 0, value: 0 }, 201, 10))['Stamp Duty']).toBe(300);
  });

  it('a later fill of the same order pays no second platform fee, and the commission only as it grows past the minimum', () => {
    const s = { market: 'HK' as const, secType: EQTY, buy: true };
    const first = asMap(feesForFill(s, { qty: 0, value: 0 }, 100, 5));
    expect(first['Commission']).toBe(300); // 0.03 % of 500 = 0.15 < HK$3
    const second = asMap(feesForFill(s, { qty: 100, value: 500 }, 100, 5));
    expect(second['Platform Fees']).toBeUndefined();
    expect(second['Commission']).toBeUndefined(); // 0.03 % of 1,000 = 0.30: still under the minimum already paid
    expect(second['Settlement Fees']).toBe(200); // per trade: its own minimum
  });

  it('charges no stamp duty on ETFs and caps the settlement fee at HK$100', () => {
    const m = asMap(feesForFill({ market: 'HK', secType: TRUST, buy: true }, { qty: 0, value: 0 }, 1_000_000, 18));
    expect(m['Stamp Duty']).toBeUndefined();
    expect(m['Settlement Fees']).toBe(10_000);
  });
});

describe('US stock fees', () => {
  it('charges per share with per-order minimums, SEC fee and FINRA TAF on sells only, TAF capped at US$8.30', () => {
    expect(asMap(feesForFill({ market: 'US', secType: EQTY, buy: true }, { qty: 0, value: 0 }, 10, 190))).toEqual({ Commission: 99, 'Platform Fees': 100, 'Settlement Fees': 3 });
    const sell = asMap(feesForFill({ market: 'US', secType: EQTY, buy: false }, { qty: 0, value: 0 }, 100_000, 20));
    expect(sell).toEqual({ Commission: 49_000, 'Platform Fees': 50_000, 'Settlement Fees': 30_000, 'SEC Fee': 5560, 'Trading Activity Fee': 830 });
  });

  it('keeps commission and platform fee within 0.5 % of a small order', () => {
    const m = asMap(feesForFill({ market: 'US', secType: EQTY, buy: true }, { qty: 0, value: 0 }, 1, 2));
    expect(m['Commission']).toBe(1); // 0.5 % of US$2 = 1 cent, under the US$0.99 minimum
    expect(m['Platform Fees']).toBe(1);
  });

  it('charges A-shares nothing (no schedule for Stock Connect here)', () => {
    expect(feesForFill({ market: 'SH', secType: EQTY, buy: true }, { qty: 0, value: 0 }, 100, 1700)).toEqual([]);
  });
});

const FIRST = { qty: 0, value: 0 };
const future = (market: 'HK' | 'US', root: string, multiplier: number, buy = true): FeeSubject => ({ market, secType: 0, buy, contract: { kind: 'future', multiplier, root } });
const option = (market: 'HK' | 'US', multiplier: number, buy = true): FeeSubject => ({ market, secType: 0, buy, contract: { kind: 'option', multiplier } });

describe('futures fees', () => {
  it('charges an HSI fill per contract: commission, platform fee, HKFE exchange fee and SFC levy; no stamp duty, no ad-valorem item', () => {
    // 2 contracts at 20,000 points are HK$2,000,000 of notional: a stock schedule would charge HK$2,000 of duty.
    expect(asMap(feesForFill(future('HK', 'HSI', 50), FIRST, 2, 20_000))).toEqual({
      Commission: 2000,
      'Platform Fees': 1000,
      'Exchange Fees': 2000, // HK$10 per contract
      'SFC Transaction Levy': 108, // HK$0.54 per contract
    });
  });

  it('charges MHI and HHI their own HKFE exchange fee and levy', () => {
    expect(asMap(feesForFill(future('HK', 'MHI', 10), FIRST, 3, 20_000))).toMatchObject({ 'Exchange Fees': 1050, 'SFC Transaction Levy': 30 });
    expect(asMap(feesForFill(future('HK', 'HHI', 50, false), FIRST, 1, 7_000))).toMatchObject({ 'Exchange Fees': 350, 'SFC Transaction Levy': 54 });
  });

  it('charges a CME E-mini fill commission, platform, exchange and NFA fees per contract, the same on both sides', () => {
    const buy = asMap(feesForFill(future('US', 'ES', 50), FIRST, 3, 5_000));
    expect(buy).toEqual({ Commission: 1200, 'Platform Fees': 300, 'Exchange Fees': 414, 'NFA Fee': 6 });
    expect(asMap(feesForFill(future('US', 'ES', 50, false), FIRST, 3, 5_000))).toEqual(buy);
  });

  it('reads the futures root of a security for the fee subject', () => {
    const hsi: SecurityFacts = { key: 'HK.HSImain', market: 'HK', code: 'HSImain', name: 'HSI', lotSize: 1, tickRule: 'HK_FUTURE', currency: 'HKD', secType: 0, tradable: true, derivative: { kind: 'future', multiplier: 50, underlying: 'HK.800000' } };
    expect(feeSubjectOf(hsi, true).contract).toEqual({ kind: 'future', multiplier: 50, root: 'HSI' });
    const mhi: SecurityFacts = { ...hsi, key: 'HK.MHI2612', code: 'MHI2612', derivative: { kind: 'future', multiplier: 10, underlying: 'HK.800000' } };
    expect(asMap(feesForFill(feeSubjectOf(mhi, true), FIRST, 1, 20_000))['Exchange Fees']).toBe(350);
  });
});

describe('option fees', () => {
  it('charges an HK stock option per contract with no stamp duty and no SFC levy', () => {
    const m = asMap(feesForFill(option('HK', 100), FIRST, 5, 3.5));
    expect(m).toEqual({ Commission: 1500, 'Platform Fees': 1500, 'Trading Fees': 500 });
  });

  it('charges a US option sell the SEC fee on the premium times the multiplier, and TAF, ORF and OCC per contract', () => {
    // 10 contracts at US$12.50 are US$12,500 of premium (× 100 shares), not US$125.
    expect(asMap(feesForFill(option('US', 100, false), FIRST, 10, 12.5))).toEqual({
      Commission: 650, // US$0.65 per contract
      'Platform Fees': 300,
      'Option Regulatory Fee': 21, // 10 × US$0.02135 = 0.2135
      'OCC Clearing Fee': 20,
      'Trading Activity Fee': 2,
      'SEC Fee': 35, // 0.0000278 × 12,500 = 0.3475
    });
    const buy = asMap(feesForFill(option('US', 100, true), FIRST, 10, 12.5));
    expect(buy['SEC Fee']).toBeUndefined();
    expect(buy['Trading Activity Fee']).toBeUndefined();
  });

  it('charges the US option commission minimum once per order across split fills', () => {
    const s = option('US', 100);
    expect(asMap(feesForFill(s, FIRST, 1, 2))['Commission']).toBe(199);
    expect(asMap(feesForFill(s, { qty: 1, value: 2 }, 2, 2))['Commission']).toBeUndefined(); // 3 × 0.65 = 1.95 < 1.99
    expect(asMap(feesForFill(s, { qty: 3, value: 6 }, 1, 2))['Commission']).toBe(61); // 4 × 0.65 = 2.60, 1.99 paid
  });
});

describe('buying power sets fees aside', () => {
  const ACC = 281756478396547999n;
  const HEADER: Trd_Common.TrdHeader = { trdEnv: Trd_Common.TrdEnv.REAL, accID: ACC, trdMarket: Trd_Common.TrdMarket.HK };
  // 100 × 00700 at HK$380 costs 38,000 plus HK$69.64 of fees (the first HK test above).
  function cashAccount(hkd: number) {
    const { market, engine } = newEngine([{ accID: ACC, trdEnv: 'REAL', markets: ['HK'], accType: 'CASH', cash: { HKD: hkd } }]);
    const book = new CashFlowBook();
    engine.fillBooking = (o, qty, price, now) => book.bookFill(o, qty, price, now);
    engine.unlock(true, DEFAULT_TRADE_PASSWORD_MD5);
    market.setTop('HK.00700', { ask: 380, askVol: 10_000 });
    const maxCashBuy = () => engine.maxTrdQtys({ header: HEADER, orderType: Trd_Common.OrderType.NORMAL, code: '00700', price: 380 }).maxCashBuy;
    return { engine, book, maxCashBuy };
  }

  it('a cash account that buys all it can pays its fees and ends at exactly zero, never below', () => {
    const { engine, book, maxCashBuy } = cashAccount(38_069.64);
    expect(maxCashBuy()).toBe(100);
    expect(engine.funds(HEADER).power).toBe(38_069.64);
    const { orderID } = engine.placeOrder(placeReq(HEADER, { qty: 100, price: 380 }));
    expect(book.orderFee(ACC, engine.orders(HEADER, { idList: [orderID] })[0]!.orderIDEx).feeAmount).toBe(69.64);
    expect(engine.funds(HEADER).cash).toBe(0);
  });

  it('one cent short of the fees, the maximum drops a lot and an order of that lot is refused with the fees named', () => {
    const { engine, maxCashBuy } = cashAccount(38_069.63);
    expect(maxCashBuy()).toBe(0);
    expectTradingError(() => engine.placeOrder(placeReq(HEADER, { qty: 100, price: 380 })), /insufficient cash: need 38,?069\.64 HKD, available 38,?069\.63 HKD/);
    expect(engine.funds(HEADER).cash).toBe(38_069.63);
  });

  it('an open buy holds its estimated fees, so a second order cannot spend them', () => {
    // A resting buy of 100 at 370 holds 37,000 + HK$68.25 of fees; the rest must cover 38,069.64 for another lot.
    for (const [cash, expected] of [[75_137.89, 100], [75_137.88, 0]] as const) {
      const { engine, maxCashBuy } = cashAccount(cash);
      engine.placeOrder(placeReq(HEADER, { qty: 100, price: 370 })); // rests below the ask
      expect(engine.funds(HEADER).frozenCash).toBe(37_000);
      expect(maxCashBuy()).toBe(expected);
    }
  });
});
