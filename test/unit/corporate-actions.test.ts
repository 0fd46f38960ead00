// The corporate-action rules of the simulator's reference file: what a malformed entry is told, and that the
// forward and backward factors of every kind of action are exact inverses (Futu's A·p + B form).
import { describe, expect, it } from 'vitest';
import { CorporateActions, factorsOf, parseCorporateActions } from '../../gateway-container/simulator/market/corporate-actions.js';
import { parseDay } from '../../gateway-container/simulator/market/calendars.js';

const fail = (where: string, msg: string): never => {
  throw new Error(`${where}: ${msg}`);
};
const all = () => true;

describe('corporate actions', () => {
  it('names the entry and field of a malformed action and what is allowed', () => {
    expect(() => parseCorporateActions({}, all, fail)).toThrow('corporateActions: expected an array');
    expect(() => parseCorporateActions([{ security: 'HK.00700', exDate: '2024-02-30', dividend: 1 }], all, fail)).toThrow(/corporateActions\[0\]\.exDate: expected a date "yyyy-MM-dd"/);
    expect(() => parseCorporateActions([{ security: 'HK.00700', exDate: '2024-02-01', split: { base: 1, ert: 0 } }], all, fail)).toThrow(/split: expected \{ "base": integer > 0/);
    expect(() => parseCorporateActions([{ security: 'HK.00700', exDate: '2024-02-01', dividend: -1 }], all, fail)).toThrow(/dividend: expected a cash amount per share > 0/);
    expect(() => parseCorporateActions([{ security: 'HK.00700', exDate: '2024-02-01' }], all, fail)).toThrow(/needs at least one of split, join/);
    expect(() => parseCorporateActions([{ security: 'XX.1', exDate: '2024-02-01', dividend: 1 }], all, fail)).toThrow(/corporateActions\[0\]\.security/);
    const twice = [{ security: 'HK.00700', exDate: '2024-02-01', dividend: 1 }, { security: 'HK.00700', exDate: '2024-02-01', split: { base: 1, ert: 2 } }];
    expect(() => parseCorporateActions(twice, all, fail)).toThrow(/already has an action on 2024-02-01/);
  });

  it('drops actions of securities the universe lacks and sorts the rest by ex-date', () => {
    const m = parseCorporateActions(
      [
        { security: 'HK.00700', exDate: '2025-05-16', dividend: 4.5 },
        { security: 'HK.00700', exDate: '2024-05-17', dividend: 3.4 },
        { security: 'US.NVDA', exDate: '2024-06-10', split: { base: 1, ert: 10 } },
      ],
      (k) => k !== 'US.NVDA',
      fail,
    );
    expect([...m.keys()]).toEqual(['HK.00700']);
    expect(m.get('HK.00700')!.map((a) => a.exDate)).toEqual(['2024-05-17', '2025-05-16']);
    const actions = new CorporateActions(m);
    expect(actions.happened('HK.00700', parseDay('2025-05-15')!).length).toBe(1);
    expect(actions.happened('HK.00700', parseDay('2025-05-16')!).length).toBe(2);
  });

  it('gives each kind of action forward and backward factors that undo each other', () => {
    const base = { key: 'HK.00700', exDate: '2024-01-02', exDay: parseDay('2024-01-02')! };
    for (const a of [
      { ...base, split: { base: 1, ert: 5 } },
      { ...base, join: { base: 50, ert: 1 } },
      { ...base, bonus: { base: 10, ert: 3 } },
      { ...base, transfer: { base: 10, ert: 2 } },
      { ...base, dividend: 0.7 },
      { ...base, dividend: 0.3, spDividend: 0.2, bonus: { base: 10, ert: 1 } },
    ]) {
      const f = factorsOf(a);
      for (const p of [1, 12.34, 400]) expect((p * f.fwdA + f.fwdB) * f.bwdA + f.bwdB).toBeCloseTo(p, 10);
    }
    expect(factorsOf({ ...base, split: { base: 1, ert: 5 } }).fwdA).toBeCloseTo(0.2, 12);
    expect(factorsOf({ ...base, bonus: { base: 10, ert: 3 } }).bwdA).toBeCloseTo(1.3, 12);
    expect(factorsOf({ ...base, dividend: 0.7 })).toEqual({ fwdA: 1, fwdB: -0.7, bwdA: 1, bwdB: 0.7 });
  });
});
