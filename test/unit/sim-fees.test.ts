// The simulator's fee schedule (gateway-container/simulator/trading/fees.ts): Futu's HK and US stock fees, per
// order where Futu charges per order (so split fills pay a minimum once) and per fill where it charges per trade.
import { describe, expect, it } from 'vitest';
import { feesForFill, type FeeItem } from '../../gateway-container/simulator/trading/fees.js';

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
