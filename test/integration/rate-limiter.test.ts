import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { bucketFor, DynamoRateLimiter, effectiveLimit, FUTU_LIMITS } from '../../functions/lib/rate-limiter.js';
import { useDynamoDbLocal } from '../support/dynamo.js';

const db = useDynamoDbLocal();

/** A clock the test moves by hand; starts now so TTLs written by the limiter lie in the future. */
function manualClock(): { now: () => number; set(ms: number): void; start: number } {
  const start = Date.now();
  let current = start;
  return { now: () => current, set: (ms) => (current = ms), start };
}

function newAccount(): string {
  return `${Math.floor(Math.random() * 1e9)}${Date.now()}`;
}

describe('DynamoRateLimiter', () => {
  it('rejects the 16th order inside 30 s and says when to retry', async () => {
    const clock = manualClock();
    const limiter = new DynamoRateLimiter(db.docClient, db.tables.rateLimits, { now: clock.now });
    const bucket = bucketFor(newAccount(), 'PlaceOrder');

    for (let i = 0; i < 15; i++) {
      clock.set(clock.start + i * 100);
      expect(await limiter.acquire(bucket, FUTU_LIMITS.PlaceOrder), `order ${i + 1}`).toEqual({ allowed: true });
    }
    clock.set(clock.start + 1_500);
    // Order #16 may go only once more than 30 s have passed since order #1.
    expect(await limiter.acquire(bucket, FUTU_LIMITS.PlaceOrder)).toEqual({
      allowed: false,
      retryAfterMs: 30_000 + 1 - 1_500,
      limit: 15,
      windowMs: 30_000,
    });
  });

  it('allows again once the first request has left the window, and keeps sliding', async () => {
    const clock = manualClock();
    const limiter = new DynamoRateLimiter(db.docClient, db.tables.rateLimits, { now: clock.now });
    const bucket = bucketFor(newAccount(), 'PlaceOrder');
    for (let i = 0; i < 15; i++) {
      clock.set(clock.start + i * 100);
      await limiter.acquire(bucket, FUTU_LIMITS.PlaceOrder);
    }

    clock.set(clock.start + 30_000);
    expect(await limiter.acquire(bucket, FUTU_LIMITS.PlaceOrder)).toMatchObject({ allowed: false, retryAfterMs: 1 });
    clock.set(clock.start + 30_001);
    expect(await limiter.acquire(bucket, FUTU_LIMITS.PlaceOrder)).toEqual({ allowed: true });
    // Only the first slot has freed up: the second frees at start + 100 + 30 001.
    clock.set(clock.start + 30_050);
    expect(await limiter.acquire(bucket, FUTU_LIMITS.PlaceOrder)).toMatchObject({ allowed: false, retryAfterMs: 51 });
    clock.set(clock.start + 30_101);
    expect(await limiter.acquire(bucket, FUTU_LIMITS.PlaceOrder)).toEqual({ allowed: true });
  });

  it('keeps consecutive orders at least 20 ms apart', async () => {
    const clock = manualClock();
    const limiter = new DynamoRateLimiter(db.docClient, db.tables.rateLimits, { now: clock.now });
    const bucket = bucketFor(newAccount(), 'PlaceOrder');

    expect(await limiter.acquire(bucket, FUTU_LIMITS.PlaceOrder)).toEqual({ allowed: true });
    clock.set(clock.start + 5);
    expect(await limiter.acquire(bucket, FUTU_LIMITS.PlaceOrder)).toEqual({
      allowed: false,
      retryAfterMs: 15,
      limit: 15,
      windowMs: 30_000,
    });
    clock.set(clock.start + 20);
    expect(await limiter.acquire(bucket, FUTU_LIMITS.PlaceOrder)).toEqual({ allowed: true });
  });

  it('does not count a denied request against the limit', async () => {
    const clock = manualClock();
    const limiter = new DynamoRateLimiter(db.docClient, db.tables.rateLimits, { now: clock.now });
    const bucket = bucketFor(newAccount(), 'UnlockTrade');
    for (let i = 0; i < 10; i++) await limiter.acquire(bucket, FUTU_LIMITS.UnlockTrade);
    for (let i = 0; i < 5; i++) {
      clock.set(clock.start + 1_000 * i);
      expect((await limiter.acquire(bucket, FUTU_LIMITS.UnlockTrade)).allowed).toBe(false);
    }
    clock.set(clock.start + 30_001);
    expect(await limiter.acquire(bucket, FUTU_LIMITS.UnlockTrade)).toEqual({ allowed: true });
  });

  it('keeps separate counts per account and per protocol', async () => {
    const clock = manualClock();
    const limiter = new DynamoRateLimiter(db.docClient, db.tables.rateLimits, { now: clock.now });
    const account = newAccount();
    const rule = { limit: 1, windowMs: 30_000 };
    expect(await limiter.acquire(bucketFor(account, 'PlaceOrder'), rule)).toEqual({ allowed: true });
    expect((await limiter.acquire(bucketFor(account, 'PlaceOrder'), rule)).allowed).toBe(false);
    expect(await limiter.acquire(bucketFor(account, 'ModifyOrder'), rule)).toEqual({ allowed: true });
    expect(await limiter.acquire(bucketFor(newAccount(), 'PlaceOrder'), rule)).toEqual({ allowed: true });
  });

  it('allows exactly 15 of 20 concurrent orders', async () => {
    const limiter = new DynamoRateLimiter(db.docClient, db.tables.rateLimits);
    const bucket = bucketFor(newAccount(), 'PlaceOrder');
    // Same limit as PlaceOrder, without the 20 ms gap that would serialise the race.
    const rule = { limit: 15, windowMs: 30_000 };
    const decisions = await Promise.all(Array.from({ length: 20 }, () => limiter.acquire(bucket, rule)));

    expect(decisions.filter((d) => d.allowed)).toHaveLength(15);
    const denied = decisions.filter((d) => !d.allowed);
    expect(denied).toHaveLength(5);
    for (const d of denied) {
      expect(d).toMatchObject({ limit: 15, windowMs: 30_000 });
      if (!d.allowed) {
        expect(d.retryAfterMs).toBeGreaterThan(0);
        expect(d.retryAfterMs).toBeLessThanOrEqual(30_001);
      }
    }
  });

  it('keeps a margin below the limit: with 10 % it allows 13 of PlaceOrder\'s 15 and 9 of the refreshed queries\' 10, and says when the 14th may go', async () => {
    const clock = manualClock();
    const limiter = new DynamoRateLimiter(db.docClient, db.tables.rateLimits, { now: clock.now, marginRatio: 0.1 });
    const bucket = bucketFor(newAccount(), 'PlaceOrder');
    for (let i = 0; i < 13; i++) {
      clock.set(clock.start + i * 100);
      expect(await limiter.acquire(bucket, FUTU_LIMITS.PlaceOrder), `order ${i + 1}`).toEqual({ allowed: true });
    }
    clock.set(clock.start + 13 * 100);
    expect(await limiter.acquire(bucket, FUTU_LIMITS.PlaceOrder)).toEqual({ allowed: false, retryAfterMs: 30_000 + 1 - 1300, limit: 13, windowMs: 30_000 });
    clock.set(clock.start + 30_001);
    expect(await limiter.acquire(bucket, FUTU_LIMITS.PlaceOrder)).toEqual({ allowed: true });

    const refresh = bucketFor(newAccount(), 'RefreshQuery');
    for (let i = 0; i < 9; i++) expect((await limiter.acquire(refresh, FUTU_LIMITS.RefreshQuery)).allowed).toBe(true);
    expect((await limiter.acquire(refresh, FUTU_LIMITS.RefreshQuery)).allowed).toBe(false);
  });

  it('never lets a margin take a limit below one, and refuses a margin outside [0, 1)', () => {
    expect(effectiveLimit(15, 0.1)).toBe(13);
    expect(effectiveLimit(10, 0.1)).toBe(9);
    expect(effectiveLimit(60, 0.1)).toBe(54);
    expect(effectiveLimit(1, 0.5)).toBe(1);
    expect(effectiveLimit(15, 0)).toBe(15);
    expect(() => new DynamoRateLimiter(db.docClient, db.tables.rateLimits, { marginRatio: 1 })).toThrow(/marginRatio/);
    expect(() => new DynamoRateLimiter(db.docClient, db.tables.rateLimits, { marginRatio: -0.1 })).toThrow(/marginRatio/);
  });

  it("holds Futu's published limits", () => {
    expect(FUTU_LIMITS).toEqual({
      PlaceOrder: { limit: 15, windowMs: 30_000, minGapMs: 20 },
      ModifyOrder: { limit: 20, windowMs: 30_000, minGapMs: 20 },
      UnlockTrade: { limit: 10, windowMs: 30_000 },
      RefreshQuery: { limit: 10, windowMs: 30_000 },
      HistoryOrders: { limit: 10, windowMs: 30_000 },
      HistoryFills: { limit: 10, windowMs: 30_000 },
      MaxTrdQtys: { limit: 10, windowMs: 30_000 },
      OrderFee: { limit: 10, windowMs: 30_000 },
      CashFlow: { limit: 20, windowMs: 30_000 },
      MarginRatio: { limit: 10, windowMs: 30_000 },
      Snapshot: { limit: 60, windowMs: 30_000 },
      HistoryKLine: { limit: 60, windowMs: 30_000 },
    });
    expect(bucketFor('281756479345015383', 'PlaceOrder')).toBe('PlaceOrder#281756479345015383');
  });
});
