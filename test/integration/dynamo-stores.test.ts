import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { DynamoGatewayStateStore } from '../../functions/lib/gateway-state-store.js';
import type { FillRecord, OrderRecord } from '../../functions/lib/model.js';
import { DynamoFillStore, DynamoOrderStore, InvalidCursorError } from '../../functions/lib/order-store.js';
import { useDynamoDbLocal } from '../support/dynamo.js';

const db = useDynamoDbLocal();

let nextId = 1_000_000_000_000_000_000n;
/** A fresh 64-bit decimal ID (above 2^53, as OpenD's are). */
function newId(): string {
  nextId += 1n;
  return nextId.toString();
}

function order(overrides: Partial<OrderRecord> & Pick<OrderRecord, 'accId' | 'orderId'>): OrderRecord {
  return {
    code: 'HK.00700',
    market: 'HK',
    side: 'BUY',
    orderType: 'NORMAL',
    status: 'SUBMITTED',
    qty: 500,
    price: 320.2,
    fillQty: 0,
    fillAvgPrice: 0,
    trdEnv: 'SIMULATE',
    trdMarket: 'HK',
    updateTimestamp: 1_700_000_000.5,
    ...overrides,
  };
}

/** One order's life: submitted, two partial fills, filled; each step a second after the previous. */
function lifecycle(accId: string, orderId: string): OrderRecord[] {
  const at = (seconds: number): number => 1_700_000_000.25 + seconds;
  const base = { accId, orderId, clientOrderId: 'cid-life', remark: 'cid-life' };
  return [
    order({ ...base, status: 'WAITING_SUBMIT', updateTimestamp: at(0) }),
    order({ ...base, status: 'SUBMITTING', updateTimestamp: at(0) }),
    order({ ...base, status: 'SUBMITTED', updateTimestamp: at(1) }),
    order({ ...base, status: 'FILLED_PART', fillQty: 100, fillAvgPrice: 320, updateTimestamp: at(2) }),
    order({ ...base, status: 'FILLED_PART', fillQty: 300, fillAvgPrice: 320.1, updateTimestamp: at(3) }),
    order({ ...base, status: 'FILLED_ALL', fillQty: 500, fillAvgPrice: 320.15, updateTimestamp: at(4) }),
  ];
}

/** Deterministic shuffle (mulberry32) so a failure can be replayed from its seed. */
function shuffled<T>(items: readonly T[], seed: number): T[] {
  let state = seed >>> 0;
  const random = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [copy[i], copy[j]] = [copy[j] as T, copy[i] as T];
  }
  return copy;
}

describe('DynamoOrderStore', () => {
  it('ends on the newest state of an order whatever order its updates arrive in, duplicates included', async () => {
    const store = new DynamoOrderStore(db.docClient, db.tables.orders);
    const accId = newId();
    for (let seed = 1; seed <= 12; seed++) {
      const orderId = newId();
      const events = lifecycle(accId, orderId);
      const results: string[] = [];
      for (const event of shuffled([...events, ...events], seed)) results.push(await store.applyUpdate(event));
      expect(await store.get(accId, orderId), `seed ${seed}`).toEqual(events[events.length - 1]);
      // Every duplicate is stale, and so is anything arriving after a newer state.
      expect(results.filter((r) => r === 'stale').length, `seed ${seed}`).toBeGreaterThanOrEqual(events.length);
    }
  });

  it('ends on the newest state when the updates race each other', async () => {
    const store = new DynamoOrderStore(db.docClient, db.tables.orders);
    const accId = newId();
    const orderId = newId();
    const events = lifecycle(accId, orderId);
    const results = await Promise.all(shuffled([...events, ...events, ...events], 7).map((e) => store.applyUpdate(e)));
    expect(results).toContain('applied');
    const stored = await store.get(accId, orderId);
    expect(stored?.status).toBe('FILLED_ALL');
    expect(stored?.fillQty).toBe(500);
    expect(stored?.fillAvgPrice).toBe(320.15);
  });

  it('reports a repeated update as stale', async () => {
    const store = new DynamoOrderStore(db.docClient, db.tables.orders);
    const update = order({ accId: newId(), orderId: newId() });
    expect(await store.applyUpdate(update)).toBe('applied');
    expect(await store.applyUpdate(update)).toBe('stale');
  });

  it('never lets an open state overwrite a terminal one, even with a newer timestamp', async () => {
    const store = new DynamoOrderStore(db.docClient, db.tables.orders);
    const accId = newId();
    const orderId = newId();
    const cancelled = order({ accId, orderId, status: 'CANCELLED_ALL', updateTimestamp: 1_700_000_010 });
    expect(await store.applyUpdate(cancelled)).toBe('applied');
    const lateOpen = order({ accId, orderId, status: 'SUBMITTED', updateTimestamp: 1_700_000_020 });
    expect(await store.applyUpdate(lateOpen)).toBe('stale');
    expect((await store.get(accId, orderId))?.status).toBe('CANCELLED_ALL');
  });

  it('never lowers fillQty', async () => {
    const store = new DynamoOrderStore(db.docClient, db.tables.orders);
    const accId = newId();
    const orderId = newId();
    await store.applyUpdate(order({ accId, orderId, status: 'FILLED_PART', fillQty: 300, updateTimestamp: 1_700_000_005 }));
    const lower = order({ accId, orderId, status: 'FILLED_PART', fillQty: 200, updateTimestamp: 1_700_000_006 });
    expect(await store.applyUpdate(lower)).toBe('stale');
    expect((await store.get(accId, orderId))?.fillQty).toBe(300);
  });

  it('records a fill cancelled after the order was filled', async () => {
    const store = new DynamoOrderStore(db.docClient, db.tables.orders);
    const accId = newId();
    const orderId = newId();
    await store.applyUpdate(order({ accId, orderId, status: 'FILLED_ALL', fillQty: 500, updateTimestamp: 1_700_000_005 }));
    const reversed = order({ accId, orderId, status: 'FILL_CANCELLED', fillQty: 0, updateTimestamp: 1_700_000_100 });
    expect(await store.applyUpdate(reversed)).toBe('applied');
    expect((await store.get(accId, orderId))?.status).toBe('FILL_CANCELLED');
  });

  it('keeps fields a later update leaves out', async () => {
    const store = new DynamoOrderStore(db.docClient, db.tables.orders);
    const accId = newId();
    const orderId = newId();
    await store.applyUpdate(order({ accId, orderId, status: 'SUBMITTING', clientOrderId: 'keep-me', updateTimestamp: 1 }));
    await store.applyUpdate(order({ accId, orderId, status: 'SUBMITTED', updateTimestamp: 2 }));
    const stored = await store.get(accId, orderId);
    expect(stored?.status).toBe('SUBMITTED');
    expect(stored?.clientOrderId).toBe('keep-me');
    expect(stored).not.toHaveProperty('version');
  });

  it('finds an order by its clientOrderId within its account only', async () => {
    const store = new DynamoOrderStore(db.docClient, db.tables.orders);
    const accId = newId();
    const otherAcc = newId();
    const orderId = newId();
    await store.applyUpdate(order({ accId, orderId, clientOrderId: 'bot-42' }));
    await store.applyUpdate(order({ accId: otherAcc, orderId: newId(), clientOrderId: 'bot-43' }));

    expect((await store.findByClientOrderId(accId, 'bot-42'))?.orderId).toBe(orderId);
    expect(await store.findByClientOrderId(accId, 'bot-43')).toBeUndefined();
    expect(await store.findByClientOrderId(otherAcc, 'bot-42')).toBeUndefined();
  });

  it('returns unknown orders as undefined', async () => {
    const store = new DynamoOrderStore(db.docClient, db.tables.orders);
    expect(await store.get(newId(), newId())).toBeUndefined();
  });

  it('pages through an account with an opaque cursor, every order exactly once', async () => {
    const store = new DynamoOrderStore(db.docClient, db.tables.orders);
    const accId = newId();
    const orderIds = Array.from({ length: 7 }, () => newId());
    await Promise.all(orderIds.map((orderId) => store.applyUpdate(order({ accId, orderId }))));
    await store.applyUpdate(order({ accId: newId(), orderId: newId() }));

    const seen: string[] = [];
    const pageSizes: number[] = [];
    let cursor: string | undefined;
    for (let page = 0; page < 10; page++) {
      const result = await store.list(accId, { limit: 3, ...(cursor === undefined ? {} : { cursor }) });
      pageSizes.push(result.items.length);
      seen.push(...result.items.map((o) => o.orderId));
      cursor = result.cursor;
      if (cursor === undefined) break;
    }
    expect(cursor).toBeUndefined();
    expect(pageSizes.slice(0, 3)).toEqual([3, 3, 1]);
    expect(seen).toEqual([...orderIds].sort());
  });

  it('refuses a cursor from another account or not made by the store', async () => {
    const store = new DynamoOrderStore(db.docClient, db.tables.orders);
    const accId = newId();
    await store.applyUpdate(order({ accId, orderId: newId() }));
    await store.applyUpdate(order({ accId, orderId: newId() }));
    const { cursor } = await store.list(accId, { limit: 1 });
    expect(cursor).toBeDefined();

    await expect(store.list(newId(), { cursor: cursor as string })).rejects.toBeInstanceOf(InvalidCursorError);
    await expect(store.list(accId, { cursor: 'not-a-cursor' })).rejects.toBeInstanceOf(InvalidCursorError);
  });

  it('rejects an orderId that is not a decimal ID', async () => {
    const store = new DynamoOrderStore(db.docClient, db.tables.orders);
    await expect(store.applyUpdate(order({ accId: newId(), orderId: '12ab' }))).rejects.toThrow(/orderId/);
  });
});

describe('DynamoFillStore', () => {
  function fill(overrides: Partial<FillRecord> & Pick<FillRecord, 'accId' | 'fillId' | 'orderId'>): FillRecord {
    return {
      code: 'HK.00700',
      side: 'BUY',
      qty: 100,
      price: 320,
      createTimestamp: 1_700_000_001.5,
      trdEnv: 'SIMULATE',
      ...overrides,
    };
  }

  it('stores a fill once and reports its copies as duplicates', async () => {
    const store = new DynamoFillStore(db.docClient, db.tables.fills);
    const first = fill({ accId: newId(), fillId: newId(), orderId: newId() });
    expect(await store.put(first)).toBe('inserted');
    expect(await store.put(first)).toBe('duplicate');
    expect(await store.put({ ...first, qty: 999 })).toBe('duplicate');
    const { items } = await store.list(first.accId);
    expect(items).toEqual([first]);
  });

  it('stores each of many concurrent copies of a fill exactly once', async () => {
    const store = new DynamoFillStore(db.docClient, db.tables.fills);
    const copy = fill({ accId: newId(), fillId: newId(), orderId: newId() });
    const results = await Promise.all(Array.from({ length: 10 }, () => store.put(copy)));
    expect(results.filter((r) => r === 'inserted')).toHaveLength(1);
    expect(results.filter((r) => r === 'duplicate')).toHaveLength(9);
  });

  it("lists an order's fills and nothing from its other orders", async () => {
    const store = new DynamoFillStore(db.docClient, db.tables.fills);
    const accId = newId();
    const orderId = newId();
    const mine = [fill({ accId, orderId, fillId: newId(), qty: 100 }), fill({ accId, orderId, fillId: newId(), qty: 400 })];
    const other = fill({ accId, orderId: newId(), fillId: newId() });
    for (const f of [...mine, other, ...mine]) await store.put(f);

    const byOrder = await store.listByOrder(accId, orderId);
    expect(byOrder).toEqual(mine);
    expect(byOrder[0]).not.toHaveProperty('orderKey');
    expect((await store.list(accId)).items).toHaveLength(3);
  });
});

describe('DynamoGatewayStateStore', () => {
  it('returns the latest value put under a name, with when it was written', async () => {
    const store = new DynamoGatewayStateStore(db.docClient, db.tables.gatewayState, { now: () => Date.UTC(2030, 0, 2) });
    await store.put('relay-health', { loggedIn: false, since: 'a' });
    await store.put('relay-health', { loggedIn: true, connections: 3, note: undefined });
    const entry = await store.get<{ loggedIn: boolean; connections: number }>('relay-health');
    expect(entry).toEqual({
      name: 'relay-health',
      value: { loggedIn: true, connections: 3 },
      updatedAt: '2030-01-02T00:00:00.000Z',
    });
    expect(await store.get('never-written')).toBeUndefined();
  });

  it('never lets an older version replace a newer one, whatever order they arrive in', async () => {
    // The store's clock is set beside the versions: a version over a minute ahead of the clock counts as forged.
    const store = new DynamoGatewayStateStore(db.docClient, db.tables.gatewayState, { now: () => Date.parse('2030-01-02T00:00:00.000Z') });
    expect(await store.put('relay', { ready: true }, { version: '2030-01-02T00:00:01.000Z' })).toBe('stored');
    expect(await store.put('relay', { ready: false }, { version: '2030-01-02T00:00:00.500Z' })).toBe('stale');
    expect((await store.get<{ ready: boolean }>('relay'))?.value).toEqual({ ready: true });
    expect(await store.put('relay', { ready: false }, { version: '2030-01-02T00:00:02.000Z' })).toBe('stored');
    expect((await store.get<{ ready: boolean }>('relay'))?.value).toEqual({ ready: false });
  });
});
