import { describe, expect, it } from 'vitest';
import { backoffDelay } from '../../proto/backoff.js';
import { PushQueue } from '../../proto/push-queue.js';
import { PROTO_ID } from '../../proto/registry.js';

describe('reconnect backoff', () => {
  const noJitter = () => 0;

  it('starts at the first delay, grows by the factor and stops at the cap', () => {
    const p = { initialDelayMs: 500, maxDelayMs: 15_000, factor: 2 };
    expect([1, 2, 3, 4, 5, 6, 7].map((a) => backoffDelay(p, a, noJitter))).toEqual([500, 1000, 2000, 4000, 8000, 15_000, 15_000]);
  });

  it('uses 500 ms, ×2, 30 s and 30 % jitter when the policy says nothing', () => {
    expect(backoffDelay({}, 1, noJitter)).toBe(500);
    expect(backoffDelay({}, 20, noJitter)).toBe(30_000);
    // The largest random draw takes 30 % off.
    expect(backoffDelay({}, 1, () => 0.999999)).toBe(350);
  });

  it('only shortens a delay by the jitter fraction, so reconnects spread out but never exceed the cap', () => {
    const p = { initialDelayMs: 1000, maxDelayMs: 1000, jitter: 0.5 };
    for (const r of [0, 0.25, 0.5, 0.75, 0.999]) {
      const d = backoffDelay(p, 3, () => r);
      expect(d).toBeGreaterThanOrEqual(500);
      expect(d).toBeLessThanOrEqual(1000);
    }
    // Jitter outside 0..1 is clamped.
    expect(backoffDelay({ initialDelayMs: 1000, jitter: 7 }, 1, () => 0.5)).toBe(500);
    expect(backoffDelay({ initialDelayMs: 1000, jitter: -1 }, 1, () => 0.5)).toBe(1000);
  });
});

describe('push queue', () => {
  const ev = (protoId: number, n: number) => ({ protoId, n });

  it('delivers buffered pushes in order, then waits for the next one', async () => {
    const q = new PushQueue<{ protoId: number; n: number }>(null, Infinity, () => {});
    q.offer(ev(PROTO_ID.Qot_UpdateBasicQot, 1));
    q.offer(ev(PROTO_ID.Trd_UpdateOrder, 2));
    expect((await q.next()).value).toEqual(ev(PROTO_ID.Qot_UpdateBasicQot, 1));
    expect((await q.next()).value).toEqual(ev(PROTO_ID.Trd_UpdateOrder, 2));
    const pending = q.next();
    q.offer(ev(PROTO_ID.Qot_UpdateBasicQot, 3));
    expect((await pending).value).toEqual(ev(PROTO_ID.Qot_UpdateBasicQot, 3));
  });

  it('keeps only the protoIDs it was asked for', async () => {
    const q = new PushQueue<{ protoId: number; n: number }>(new Set([PROTO_ID.Trd_UpdateOrder]), Infinity, () => {});
    q.offer(ev(PROTO_ID.Qot_UpdateBasicQot, 1));
    q.offer(ev(PROTO_ID.Trd_UpdateOrder, 2));
    expect((await q.next()).value).toEqual(ev(PROTO_ID.Trd_UpdateOrder, 2));
  });

  it('drops the oldest push beyond its bound and counts it', async () => {
    const q = new PushQueue<{ protoId: number; n: number }>(null, 2, () => {});
    for (let n = 1; n <= 4; n++) q.offer(ev(PROTO_ID.Qot_UpdateBasicQot, n));
    expect(q.dropped).toBe(2);
    expect((await q.next()).value).toEqual(ev(PROTO_ID.Qot_UpdateBasicQot, 3));
    expect((await q.next()).value).toEqual(ev(PROTO_ID.Qot_UpdateBasicQot, 4));
  });

  it('ends waiting consumers when the client closes, and unregisters itself when the consumer stops early', async () => {
    let unregistered = 0;
    const q = new PushQueue<{ protoId: number; n: number }>(null, Infinity, () => unregistered++);
    const waiting = q.next();
    q.end();
    expect(await waiting).toEqual({ value: undefined, done: true });
    q.offer(ev(PROTO_ID.Qot_UpdateBasicQot, 1));
    expect(await q.next()).toEqual({ value: undefined, done: true });

    const r = new PushQueue<{ protoId: number; n: number }>(null, Infinity, () => unregistered++);
    r.offer(ev(PROTO_ID.Qot_UpdateBasicQot, 1));
    for await (const p of r) {
      expect(p).toEqual(ev(PROTO_ID.Qot_UpdateBasicQot, 1));
      break; // calls return()
    }
    expect(unregistered).toBe(1);
    expect(await r.next()).toEqual({ value: undefined, done: true });
  });
});
