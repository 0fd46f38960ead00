// The relay's checkpoint file (real file system) and the reconciliation window computed from it.
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CheckpointFile, CHECKPOINT_VERSION, defaultCheckpointPath, type CheckpointData } from '../../gateway-container/relay/checkpoint.js';
import { OrderTracker } from '../../gateway-container/relay/order-tracker.js';
import { historyNeeded, historyRange } from '../../gateway-container/relay/reconcile.js';
import type { OrderDetail } from '../../proto/events.js';
import { silentLogger } from '../../proto/log.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'relay-cp-unit-'));
  dirs.push(d);
  return d;
}

const order = (orderId: string, status: string, updateTimestamp: number, createTimestamp = updateTimestamp): OrderDetail => ({
  accId: '281756480572583411', trdEnv: 'SIMULATE', trdMarket: 'HK', orderId, orderIdEx: '', security: 'HK.00700', market: 'HK', code: '00700', name: 'Tencent',
  side: 'BUY', orderType: 'NORMAL', status, qty: 100, price: 300, fillQty: 0, fillAvgPrice: 0, createTime: '', updateTime: '', createTimestamp, updateTimestamp, gatewayTime: '',
});

describe('relay checkpoint file', () => {
  it('round-trips what the bus accepted, in a folder it creates, leaving no temporary file', async () => {
    const dir = tempDir();
    const path = join(dir, 'nested', 'cp.json');
    const tracker = new OrderTracker();
    const o = order('5000000000000000001', 'SUBMITTED', 1_700_000_000);
    expect(tracker.offerOrder(o)).toBe('publish');
    tracker.markOrderDelivered(o);
    const file = new CheckpointFile(path, silentLogger);
    const data: CheckpointData = { version: CHECKPOINT_VERSION, horizon: 1_700_000_100, accounts: tracker.deliveredSnapshot(), writtenAt: new Date().toISOString() };
    await file.save(data);
    expect(readdirSync(join(dir, 'nested'))).toEqual(['cp.json']);
    const loaded = file.load();
    expect(loaded).toEqual({ kind: 'loaded', data });

    // A new tracker from the checkpoint treats the accepted state as published, and a newer one as new.
    const after = new OrderTracker();
    after.restore((loaded as { data: CheckpointData }).data.accounts);
    expect(after.offerOrder(o)).toBe('duplicate');
    expect(after.offerOrder(order('5000000000000000001', 'CANCELLED_ALL', 1_700_000_200, 1_700_000_000))).toBe('publish');
  });

  it('reports a missing file as absent and a torn or foreign one as unreadable, with the reason', () => {
    const dir = tempDir();
    expect(new CheckpointFile(join(dir, 'none.json'), silentLogger).load()).toEqual({ kind: 'absent' });
    writeFileSync(join(dir, 'torn.json'), '{"version":1,"accounts":{"28175');
    expect(new CheckpointFile(join(dir, 'torn.json'), silentLogger).load()).toMatchObject({ kind: 'unreadable', error: expect.stringMatching(/JSON/) });
    writeFileSync(join(dir, 'v9.json'), JSON.stringify({ version: 9, accounts: {} }));
    expect(new CheckpointFile(join(dir, 'v9.json'), silentLogger).load()).toMatchObject({ kind: 'unreadable', error: 'unknown checkpoint version 9; expected 1' });
    writeFileSync(join(dir, 'bad-id.json'), JSON.stringify({ version: 1, accounts: { 'acc-1': { orders: {}, fills: {} } } }));
    expect(new CheckpointFile(join(dir, 'bad-id.json'), silentLogger).load()).toMatchObject({ kind: 'unreadable', error: expect.stringMatching(/"acc-1" is not a decimal ID/) });
  });

  it('lives on OpenD\'s state folder by default', () => {
    expect(defaultCheckpointPath('/home/opend', undefined)).toBe('/home/opend/.com.futunn.FutuOpenD/opend-cloud-relay-checkpoint.json');
    expect(defaultCheckpointPath('/home/opend', 'moomoo')).toBe('/home/opend/.com.moomoo.OpenD/opend-cloud-relay-checkpoint.json');
  });
});

describe('order tracker memory', () => {
  it('forgets terminal orders older than the window and keeps open ones however old', () => {
    const t = new OrderTracker();
    const old = order('1', 'CANCELLED_ALL', 1_000);
    const open = order('2', 'SUBMITTED', 1_000);
    for (const o of [old, open]) {
      t.offerOrder(o);
      t.markOrderDelivered(o);
    }
    t.forgetOlderThan(5_000);
    expect(t.size.orders).toBe(1);
    expect(t.oldestOpenCreate('281756480572583411')).toBe(1_000);
    expect(Object.keys(t.deliveredSnapshot()['281756480572583411']!.orders)).toEqual(['2']);
  });
});

describe('reconciliation window', () => {
  const noon = Date.parse('2026-12-01T06:00:00Z') / 1000; // 14:00 in Hong Kong, 01:00 in New York: no market's midnight near

  it('reads history after a restart, a long outage, or when a market\'s trading day changed', () => {
    expect(historyNeeded(undefined, noon, true, 300)).toBe(false); // no checkpoint yet: nothing to compare with
    expect(historyNeeded(noon - 10, noon, true, 300)).toBe(true);
    expect(historyNeeded(noon - 10, noon, false, 300)).toBe(false);
    expect(historyNeeded(noon - 400, noon, false, 300)).toBe(true);
    // 23:59:30 → 00:00:30 in New York (UTC-5): a 60 s outage across the US day boundary; the next one is not.
    const usMidnight = Date.parse('2026-12-01T05:00:00Z') / 1000;
    expect(historyNeeded(usMidnight - 30, usMidnight + 30, false, 300)).toBe(true);
    expect(historyNeeded(usMidnight + 30, usMidnight + 90, false, 300)).toBe(false);
  });

  it('starts before the horizon and the oldest open order, with a time-zone margin, and never beyond 90 days', () => {
    expect(historyRange(noon, undefined, noon + 60)).toEqual({ from: '2026-11-29 05:59:00', to: '2026-12-03 06:01:00' });
    expect(historyRange(noon, noon - 5 * 86_400, noon)).toEqual({ from: '2026-11-24 06:00:00', to: '2026-12-03 06:00:00' });
    expect(historyRange(noon - 400 * 86_400, undefined, noon).from).toBe('2026-09-03 06:00:00');
  });
});
