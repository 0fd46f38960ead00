// The settle phase and the checks. After the faults stop, callers whose outcome is unknown retry (as a
// careful client would), the relay reconnects and reconciles, the bus drains; then the simulator's books (the
// truth: what OpenD holds) are compared with what the callers were told and what DynamoDB holds.
//   duplicates  = extra orders at OpenD for one clientOrderId + fills stored more than once + 201s naming two orderIds
//   lost        = orders at OpenD whose state or fill quantity in DynamoDB differs (or is missing) + fills missing
//   mismatches  = OpenD's clientOrderIds ≠ the accepted ones (either way), accepted orderId ≠ OpenD's, unresolved callers
//   stuck       = PENDING idempotency records whose caller was not told the outcome is unknown
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { ScanCommand, DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { lambdaContext } from '../../bin/local/http-api.js';
import { idempotencyKey } from '../../functions/lib/idempotency-store.js';
import { enumName } from '../../proto/enums.js';
import * as Trd_Common from '../../proto/generated/Trd_Common.js';
import { clientOrderIdFromRemark } from '../../proto/events.js';
import { driveOne, type CallerRecord, type DriveStats } from './driver.js';
import type { SoakPlan } from './plan.js';
import type { World } from './world.js';
import { sleep } from '../../proto/timers.js';

const WIDE = { beginTime: '2000-01-01 00:00:00', endTime: '2100-01-01 00:00:00' };

export interface Verdict {
  orders: number;
  duplicates: number;
  lost: number;
  mismatches: number;
  stuck: number;
  /** One line per violation (the first ones), for the report. */
  details: string[];
}

/** Retries unresolved callers, forces a reconnect (the relay reconciles), waits until the bus is quiet. */
export async function settle(w: World, records: CallerRecord[], stats: DriveStats, deadline: number, log: (s: string) => void): Promise<void> {
  w.bus.setFaults({});
  const unresolved = records.filter((r) => r.told.kind === 'unknown' && !r.told.final);
  if (unresolved.length) log(`settle: ${unresolved.length} callers retry an unknown outcome`);
  await Promise.all(
    unresolved.map(async (r) => {
      const again = await driveOne(w, { ...r.order, crash: 'none', copies: 1 }, stats, deadline, r.body);
      r.told = again.told;
      r.attempts += again.attempts;
      r.conflictingOrderIds.push(...again.conflictingOrderIds);
      r.unexpected.push(...again.unexpected);
    }),
  );
  // The market closes: from here on OpenD's books do not change, so what DynamoDB holds can catch up with them.
  w.freezeMarket();
  // A dropped connection makes the relay reconnect and reconcile orders and fills against OpenD.
  w.sim.core.dropAllConnections('soak: settle');
  const readyBy = Math.min(deadline, Date.now() + 60_000);
  await sleep(500);
  while (!(await w.relay.readyz())) {
    if (Date.now() > readyBy) {
      log('settle: the relay was not ready again within 60 s');
      break;
    }
    await sleep(250);
  }
  // Quiet: no PutEvents call for 3 s and every delivery finished (bounded by the deadline).
  let calls = -1;
  let quietSince = Date.now();
  while (Date.now() < deadline) {
    await w.bus.idle();
    if (w.bus.calls.length !== calls) {
      calls = w.bus.calls.length;
      quietSince = Date.now();
    } else if (Date.now() - quietSince >= 3000) break;
    await sleep(250);
  }
}

/**
 * Runs the end-of-day settlement function (when this tree has one) as EventBridge Scheduler would, with {}.
 * Loaded by path so that the soak also runs on trees without it. Returns a one-line account of what it did.
 */
export async function runSettlement(): Promise<string | undefined> {
  const file = resolve(fileURLToPath(new URL('../../functions/handlers/settle-orders.ts', import.meta.url)));
  if (!existsSync(file)) return undefined;
  const mod = (await import(pathToFileURL(file).href)) as { handler: (e: unknown, c: unknown) => Promise<{ candidates: number; notDue: number; orders: { outcome: string }[] }> };
  const r = await mod.handler({}, lambdaContext('settleOrders'));
  const by = new Map<string, number>();
  for (const o of r.orders) by.set(o.outcome, (by.get(o.outcome) ?? 0) + 1);
  return `${r.candidates} non-terminal orders in DynamoDB, ${r.notDue} not due${[...by].map(([k, n]) => `, ${k} ${n}`).join('')}`;
}

async function scanAll(doc: DynamoDBDocumentClient, table: string): Promise<Record<string, any>[]> {
  const items: Record<string, any>[] = [];
  let key: Record<string, any> | undefined;
  for (let page = 0; page < 10_000; page++) {
    const out = await doc.send(new ScanCommand({ TableName: table, ExclusiveStartKey: key, ConsistentRead: true }));
    items.push(...(out.Items ?? []));
    key = out.LastEvaluatedKey;
    if (!key) return items;
  }
  throw new Error(`scan of ${table} did not end within 10,000 pages`);
}

function headerOf(a: SoakPlan['accounts'][number]): Trd_Common.TrdHeader {
  return { trdEnv: a.env === 'REAL' ? Trd_Common.TrdEnv.REAL : Trd_Common.TrdEnv.SIMULATE, accID: BigInt(a.accId), trdMarket: a.market === 'HK' ? Trd_Common.TrdMarket.HK : Trd_Common.TrdMarket.US };
}

export async function verify(w: World, plan: SoakPlan, records: CallerRecord[]): Promise<Verdict> {
  const v: Verdict = { orders: records.length, duplicates: 0, lost: 0, mismatches: 0, stuck: 0, details: [] };
  const note = (s: string) => {
    if (v.details.length < 40) v.details.push(s);
  };
  const doc = DynamoDBDocumentClient.from(w.h.dynamo);
  const tables = w.h.tables;
    const [ddbOrders, ddbFills, idem] = await Promise.all([scanAll(doc, tables.orders), scanAll(doc, tables.fills), scanAll(doc, tables.idempotency)]);

    const byCid = new Map(records.map((r) => [`${r.order.account.accId}/${r.order.clientOrderId}`, r]));
  const ddbOrderByKey = new Map(ddbOrders.map((o) => [`${o['accId']}/${o['orderId']}`, o]));

  for (const r of records) {
    if (r.conflictingOrderIds.length) {
      v.duplicates++;
      note(`duplicate: ${r.order.clientOrderId} got 201s naming orders ${r.conflictingOrderIds.join(', ')}`);
    }
    for (const u of r.unexpected) note(`unexpected reply for ${r.order.clientOrderId}: ${u}`);
  }

  const seenAtOpenD = new Set<string>();
  for (const a of plan.accounts) {
    const header = headerOf(a);
    const orders = w.sim.trading.historyOrders(header, WIDE);
    const perCid = new Map<string, Trd_Common.Order[]>();
    for (const o of orders) {
      const cid = clientOrderIdFromRemark(o.remark);
      if (cid === undefined) continue;
      perCid.set(cid, [...(perCid.get(cid) ?? []), o]);
    }
    for (const [cid, list] of perCid) {
      const key = `${a.accId}/${cid}`;
      seenAtOpenD.add(key);
      if (list.length > 1) {
        v.duplicates += list.length - 1;
        note(`duplicate: ${list.length} orders at OpenD for ${key}: ${list.map((o) => o.orderID).join(', ')}`);
      }
      const rec = byCid.get(key);
      if (!rec) {
        v.mismatches++;
        note(`mismatch: order at OpenD for ${key}, which no caller placed`);
      } else if (rec.told.kind !== 'accepted') {
        v.mismatches++;
        note(`mismatch: order ${list[0]!.orderID} at OpenD for ${key}, but its caller was told ${rec.told.kind}${rec.told.kind === 'unknown' ? ` (${rec.told.why})` : ` (${rec.told.message})`}`);
      } else if (!list.some((o) => o.orderID.toString() === (rec.told as { orderId: string }).orderId)) {
        v.mismatches++;
        note(`mismatch: ${key} was answered with order ${rec.told.orderId}, OpenD holds ${list.map((o) => o.orderID).join(', ')}`);
      }
      for (const o of list) {
        const d = ddbOrderByKey.get(`${a.accId}/${o.orderID}`);
        const status = enumName(Trd_Common.OrderStatus, o.orderStatus);
        if (!d) {
          v.lost++;
          note(`lost: order ${o.orderID} (${key}, ${status}) is not in DynamoDB`);
        } else if (d['status'] !== status || Number(d['fillQty'] ?? 0) !== Number(o.fillQty ?? 0)) {
          v.lost++;
          note(`lost: order ${o.orderID} (${key}) is ${status} filled ${o.fillQty ?? 0} at OpenD, ${d['status']} filled ${d['fillQty'] ?? 0} in DynamoDB`);
        }
      }
    }
    if (a.env === 'REAL') {
      const fills = w.sim.trading.historyFills(header, WIDE);
      const stored = new Map<string, number>();
      for (const f of ddbFills) if (f['accId'] === a.accId) stored.set(String(f['fillId']), (stored.get(String(f['fillId'])) ?? 0) + 1);
      for (const f of fills) {
        const n = stored.get(f.fillID.toString()) ?? 0;
        if (n === 0) {
          v.lost++;
          note(`lost: fill ${f.fillID} of order ${f.orderID} (account ${a.accId}) is not in DynamoDB`);
        } else if (n > 1) {
          v.duplicates += n - 1;
          note(`duplicate: fill ${f.fillID} stored ${n} times`);
        }
        stored.delete(f.fillID.toString());
      }
      for (const id of stored.keys()) {
        v.mismatches++;
        note(`mismatch: fill ${id} in DynamoDB is not a fill at OpenD (account ${a.accId})`);
      }
    }
  }

  for (const r of records) {
    const key = `${r.order.account.accId}/${r.order.clientOrderId}`;
    if (r.told.kind === 'accepted' && !seenAtOpenD.has(key)) {
      v.mismatches++;
      note(`mismatch: ${key} was accepted as order ${r.told.orderId}, which OpenD does not hold`);
    } else if (r.told.kind === 'unknown' && !r.told.final && !seenAtOpenD.has(key)) {
      // Not placed, but the settle phase could not get a definite answer: the caller is left guessing.
      v.mismatches++;
      note(`mismatch: ${key} still has an unknown outcome after the settle phase (${r.told.why})`);
    }
  }

  const byIdemKey = new Map(records.map((r) => [idempotencyKey(r.order.account.accId, r.order.clientOrderId), r]));
  for (const item of idem) {
    if (item['state'] !== 'PENDING') continue;
    const rec = byIdemKey.get(String(item['key']));
    if (!rec || rec.told.kind !== 'unknown') {
      v.stuck++;
      note(`stuck: idempotency record ${item['key']} is PENDING; its caller was told ${rec ? rec.told.kind : 'nothing (no caller)'}`);
    }
  }
  return v;
}
