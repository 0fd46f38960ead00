// Connection IDs across a simulator restart from its trading state file, over real TCP with the real OpenDClient.
// Futu: a trade write carries packetID = connID + serialNo so OpenD can refuse a replay; if the first connection
// after a restart got the ID an earlier connection had, a PlaceOrder captured before the restart would pass as new
// there (its serial is above the fresh connection's 0) and place a second order.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Simulator } from '../../gateway-container/simulator/index.js';
import { CONN_IDS_PER_MS, firstConnId } from '../../gateway-container/simulator/server.js';
import { headerOf, TradeApi } from '../../proto/api/trading.js';
import type { OpenDClient } from '../../proto/client.js';
import * as Trd_Common from '../../proto/generated/Trd_Common.js';
import { PROTO_ID } from '../../proto/registry.js';
import { ACC, closeAll, connectClient, expectOpenDError, startTestSimulator } from './sim-helpers.js';

let dir: string;
const sims: Simulator[] = [];
const clients: OpenDClient[] = [];

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'sim-restart-connid-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(async () => {
  await closeAll(...clients.splice(0));
  await Promise.all(sims.splice(0).map((s) => s.close().catch(() => undefined)));
});

async function start(stateFile: string): Promise<Simulator> {
  const sim = await startTestSimulator({ stateFile });
  sims.push(sim);
  return sim;
}

async function connect(sim: Simulator): Promise<OpenDClient> {
  const c = await connectClient(sim);
  clients.push(c);
  return c;
}

/** A resting SIMULATE buy with the packetID given explicitly, exactly as it went over the wire. */
function restingBuy(packetID: { connID: bigint; serialNo: number }) {
  return {
    header: headerOf(ACC.SIM_HK),
    packetID,
    trdSide: Trd_Common.TrdSide.BUY,
    orderType: Trd_Common.OrderType.NORMAL,
    code: '00700',
    secMarket: Trd_Common.TrdSecMarket.HK,
    qty: 100,
    price: 300,
    remark: 'captured',
  };
}

describe('simulator connection IDs after a restart from its state file', () => {
  it('never repeats a connection ID of the run before, so a captured trade write is refused after the restart', async () => {
    const file = join(dir, 'replay.json');
    const first = await start(file);
    const before: bigint[] = [];
    const c1 = await connect(first);
    before.push(c1.info.connId);
    const captured = restingBuy({ connID: c1.info.connId, serialNo: 50 });
    const placed = await c1.request(PROTO_ID.Trd_PlaceOrder, captured);
    expect(placed.orderID).toBeDefined();
    before.push((await connect(first)).info.connId, (await connect(first)).info.connId);
    await closeAll(...clients.splice(0));
    await sims.pop()!.close();

    const second = await start(file);
    const t = new TradeApi(await connect(second));
    expect((await t.orders(ACC.SIM_HK)).filter((o) => o.remark === 'captured')).toHaveLength(1);
    const c2 = await connect(second);
    for (const id of before) expect(c2.info.connId, `connID ${c2.info.connId} vs an earlier ${id}`).toBeGreaterThan(id);

    // The same bytes' worth of request, replayed on the restarted simulator: refused, nothing placed.
    await expectOpenDError(c2.request(PROTO_ID.Trd_PlaceOrder, captured), /packetID\.connID .* does not match this connection/);
    expect((await t.orders(ACC.SIM_HK)).filter((o) => o.remark === 'captured')).toHaveLength(1);
  });

  it('starts each run at its wall-clock millisecond times 2^20', () => {
    expect(firstConnId(1_000)).toBe(1_000n * CONN_IDS_PER_MS);
    // A later start is always above everything an earlier run issued at under 2^20 connections per millisecond.
    expect(firstConnId(1_001)).toBeGreaterThan(firstConnId(1_000) + CONN_IDS_PER_MS - 1n);
    // Within u64 (connID is a uint64 on the wire) for centuries.
    expect(firstConnId(Date.UTC(2500, 0, 1))).toBeLessThan(1n << 64n);
  });
});
