import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { DynamoIdempotencyStore, idempotencyKey } from '../../functions/lib/idempotency-store.js';
import { useDynamoDbLocal } from '../support/dynamo.js';

const db = useDynamoDbLocal();

const ACC_ID = '281756479345015383';

function newClientOrderId(): string {
  return `bot-${randomUUID()}`;
}

describe('DynamoIdempotencyStore', () => {
  it('lets exactly one of 50 concurrent placements with the same clientOrderId start', async () => {
    const store = new DynamoIdempotencyStore(db.docClient, db.tables.idempotency);
    const clientOrderId = newClientOrderId();
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        store.begin({ accId: ACC_ID, clientOrderId, requestHash: `hash-${i}`, ttlSeconds: 86_400 }),
      ),
    );
    const started = results.filter((r) => r.outcome === 'started');
    const existing = results.filter((r) => r.outcome === 'existing');
    expect(started).toHaveLength(1);
    expect(existing).toHaveLength(49);
    // Everyone else sees the winner's request, so a caller with a different order can answer 409.
    const winnerHash = started[0]?.record.requestHash;
    for (const r of existing) {
      expect(r.record.requestHash).toBe(winnerHash);
      expect(r.record.state).toBe('PENDING');
      expect(r.record.attempt).toBe(1);
    }
  });

  it('returns the stored outcome to a retry after the placement completed', async () => {
    const store = new DynamoIdempotencyStore(db.docClient, db.tables.idempotency);
    const clientOrderId = newClientOrderId();
    const key = idempotencyKey(ACC_ID, clientOrderId);
    expect(key).toBe(`${ACC_ID}#${clientOrderId}`);
    await store.begin({ accId: ACC_ID, clientOrderId, requestHash: 'h1', ttlSeconds: 3_600 });

    const response = JSON.stringify({ orderId: '9223372036854775809', status: 'SUBMITTED' });
    const done = await store.complete(key, { state: 'PLACED', orderId: '9223372036854775809', response });
    expect(done.outcome).toBe('completed');

    const record = await store.get(key);
    expect(record).toMatchObject({ state: 'PLACED', orderId: '9223372036854775809', response, requestHash: 'h1' });
    const retry = await store.begin({ accId: ACC_ID, clientOrderId, requestHash: 'h1', ttlSeconds: 3_600 });
    expect(retry).toEqual({ outcome: 'existing', record });
  });

  it('completes a record only once', async () => {
    const store = new DynamoIdempotencyStore(db.docClient, db.tables.idempotency);
    const clientOrderId = newClientOrderId();
    const key = idempotencyKey(ACC_ID, clientOrderId);
    await store.begin({ accId: ACC_ID, clientOrderId, requestHash: 'h', ttlSeconds: 3_600 });
    await store.complete(key, { state: 'REJECTED', response: '{"error":"insufficient buying power"}' });

    const second = await store.complete(key, { state: 'PLACED', orderId: '1', response: '{}' });
    expect(second).toMatchObject({ outcome: 'conflict', record: { state: 'REJECTED' } });
    expect(await store.complete(idempotencyKey(ACC_ID, 'never-begun'), { state: 'PLACED', response: '{}' })).toEqual({
      outcome: 'conflict',
      record: undefined,
    });
  });

  it('lets exactly one of two retriers take over an attempt whose outcome is unknown', async () => {
    const store = new DynamoIdempotencyStore(db.docClient, db.tables.idempotency);
    const clientOrderId = newClientOrderId();
    const key = idempotencyKey(ACC_ID, clientOrderId);
    await store.begin({ accId: ACC_ID, clientOrderId, requestHash: 'h', ttlSeconds: 3_600 });

    const [a, b] = await Promise.all([store.takeOver(key, 1), store.takeOver(key, 1)]);
    const outcomes = [a?.outcome, b?.outcome].sort();
    expect(outcomes).toEqual(['lost', 'taken']);
    const winner = a?.outcome === 'taken' ? a : b;
    expect(winner?.record?.attempt).toBe(2);
    expect((await store.get(key))?.attempt).toBe(2);
  });

  it('shuts out the original attempt once a retrier has taken over', async () => {
    const store = new DynamoIdempotencyStore(db.docClient, db.tables.idempotency);
    const clientOrderId = newClientOrderId();
    const key = idempotencyKey(ACC_ID, clientOrderId);
    await store.begin({ accId: ACC_ID, clientOrderId, requestHash: 'h', ttlSeconds: 3_600 });
    expect((await store.takeOver(key, 1)).outcome).toBe('taken');

    const late = await store.complete(key, { state: 'PLACED', orderId: '5', response: '{}', attempt: 1 });
    expect(late.outcome).toBe('conflict');
    const reconciled = await store.complete(key, { state: 'PLACED', orderId: '5', response: '{}', attempt: 2 });
    expect(reconciled.outcome).toBe('completed');
    expect((await store.takeOver(key, 2)).outcome).toBe('lost');
  });

  it('treats an expired record as absent even before DynamoDB deletes it', async () => {
    let now = Date.UTC(2030, 0, 1);
    const store = new DynamoIdempotencyStore(db.docClient, db.tables.idempotency, { now: () => now });
    const clientOrderId = newClientOrderId();
    const key = idempotencyKey(ACC_ID, clientOrderId);
    await store.begin({ accId: ACC_ID, clientOrderId, requestHash: 'old', ttlSeconds: 60 });

    now += 61_000;
    expect(await store.get(key)).toBeUndefined();
    const again = await store.begin({ accId: ACC_ID, clientOrderId, requestHash: 'new', ttlSeconds: 60 });
    expect(again.outcome).toBe('started');
    expect((await store.get(key))?.requestHash).toBe('new');
  });
  it('keeps when, on which trading day and in which market a placement started, for the reconciliation of an unknown outcome', async () => {
    const store = new DynamoIdempotencyStore(db.docClient, db.tables.idempotency);
    const clientOrderId = newClientOrderId();
    const begun = await store.begin({
      accId: ACC_ID,
      clientOrderId,
      requestHash: 'h',
      ttlSeconds: 86_400,
      gatewayStartedAt: '2025-01-15T02:00:00.000Z',
      tradeDate: '2025-01-15',
      market: 'HK',
    });
    expect(begun.outcome).toBe('started');
    expect(await store.get(idempotencyKey(ACC_ID, clientOrderId))).toMatchObject({
      state: 'PENDING',
      gatewayStartedAt: '2025-01-15T02:00:00.000Z',
      tradeDate: '2025-01-15',
      market: 'HK',
      startedAt: begun.record.startedAt,
    });
  });

  it('releases a PENDING attempt for an immediate takeover, but only the holder of that attempt and never a completed record', async () => {
    const store = new DynamoIdempotencyStore(db.docClient, db.tables.idempotency);
    const clientOrderId = newClientOrderId();
    const key = idempotencyKey(ACC_ID, clientOrderId);
    await store.begin({ accId: ACC_ID, clientOrderId, requestHash: 'h', ttlSeconds: 86_400 });
    expect((await store.takeOver(key, 1)).outcome).toBe('taken');
    expect(await store.release(key, 1)).toBe(false);
    expect(await store.release(key, 2)).toBe(true);
    const released = await store.get(key);
    expect(released).toMatchObject({ state: 'PENDING', attempt: 2, updatedAt: new Date(0).toISOString() });
    expect(Date.now() - Date.parse(released!.updatedAt)).toBeGreaterThan(86_400_000);
    expect((await store.takeOver(key, 2)).outcome).toBe('taken');
    await store.complete(key, { state: 'PLACED', orderId: '1', response: '{}', attempt: 3 });
    expect(await store.release(key, 3)).toBe(false);
    expect(await store.get(key)).toMatchObject({ state: 'PLACED' });
  });
});
