// A small run of the fault soak (npm run soak): 60 orders with every kind of fault, through the HTTP handlers,
// the relay as a child process, the local PutEvents endpoint with 30 % failed entries, DynamoDB Local and the
// simulator over TCP. The same seed makes the same plan; the checks are the soak's own.
import { describe, expect, it } from 'vitest';
import { makePlan, parseSoakArgs } from '../soak/plan.js';
import { runSoak } from '../soak/soak.js';

describe('fault soak (small)', () => {
  it('the same seed makes the same plan, and flags are checked with a clear error', () => {
    const a = makePlan({ orders: 60, seed: 3, minutes: 1, verbose: false });
    const b = makePlan({ orders: 60, seed: 3, minutes: 1, verbose: false });
    expect(JSON.stringify(a, (_k, v) => (typeof v === 'bigint' ? v.toString() : v))).toBe(JSON.stringify(b, (_k, v) => (typeof v === 'bigint' ? v.toString() : v)));
    expect(new Set(a.accounts.map((x) => `${x.env} ${x.market}`))).toEqual(new Set(['SIMULATE HK', 'SIMULATE US', 'REAL HK', 'REAL US']));
    expect(new Set(a.faults.map((f) => f.kind))).toEqual(new Set(['dropConnections', 'stallReplies', 'relaySigkill', 'simulatorRestart', 'tradingDayJump', 'wrongTradePassword']));
    expect(parseSoakArgs(['--orders', '100', '--seed=9', '--minutes', '2'])).toMatchObject({ orders: 100, seed: 9, minutes: 2 });
    expect(() => parseSoakArgs(['--orders', 'many'])).toThrow('--orders must be a whole number from 1 to 20000, got "many"');
    expect(() => parseSoakArgs(['--fast'])).toThrow('unknown option --fast; allowed: --orders, --seed, --minutes, --verbose, --help');
  });

  it('places exactly one order per accepted clientOrderId and stores every update and fill once, under faults', async () => {
    const lines: string[] = [];
    // A 3-minute bound for 60 orders: the plan paces them over the first half (Futu's 15 per 30 s per account), which
    // leaves a busy 2-core CI machine a minute and more of slack; one minute proved too tight at load average 5-7.
    const r = await runSoak({ orders: 60, seed: 3, minutes: 3, verbose: false }, (s) => lines.push(s));
    const context = [...r.verdict.details, ...lines].join('\n');
    expect(r.verdict.orders, context).toBe(60);
    expect({ duplicates: r.verdict.duplicates, lost: r.verdict.lost, mismatches: r.verdict.mismatches, stuck: r.verdict.stuck }, context).toEqual({ duplicates: 0, lost: 0, mismatches: 0, stuck: 0 });
    expect(r.summary).toBe('soak: 60 orders, 0 duplicates, 0 lost updates, 0 mismatches, 0 stuck records');
    // Every fault kind fired, and the duplicates were really sent.
    for (const kind of ['dropConnections', 'stallReplies', 'relaySigkill', 'tradingDayJump', 'wrongTradePassword']) expect(r.stats.faults[kind], kind).toBeGreaterThanOrEqual(1);
    expect(r.stats.duplicatesSent).toBeGreaterThan(0);
    expect(r.putEventsCalls).toBeGreaterThan(0);
    expect(r.records.filter((x) => x.told.kind === 'accepted').length).toBeGreaterThan(0);
  }, 330_000);
});
