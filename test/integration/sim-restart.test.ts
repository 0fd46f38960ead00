// A simulator restarted from its trading state file, over real TCP with the real OpenDClient / TradeApi:
// orders, fills, positions and funds are the same after the restart (also from a copy of the file taken
// while the first simulator was still running, as a crash would leave it), history lists still hold the
// earlier day, new IDs never collide with saved ones, and a truncated or corrupt file is refused clearly.
// The SIGKILL case (an acknowledged order survives an immediate kill) runs the simulator as a child process.
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Simulator } from '../../gateway-container/simulator/index.js';
import { encodeState, readStateFile, StateFileError } from '../../gateway-container/simulator/trading/state-file.js';
import { headerOf, TradeApi, type AccountRef } from '../../proto/api/trading.js';
import { OpenDClient } from '../../proto/client.js';
import { freePort } from '../support/processes.js';
import { ACC, closeAll, connectClient, expectOpenDError, SIM_START, startTestSimulator } from './sim-helpers.js';
import { PROTO_ID } from '../../proto/registry.js';

const DAY = 24 * 3600 * 1000;
let dir: string;
const sims: Simulator[] = [];
const clients: OpenDClient[] = [];

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'sim-restart-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(async () => {
  await closeAll(...clients.splice(0));
  await Promise.all(sims.splice(0).map((s) => s.close().catch(() => undefined)));
});

async function start(stateFile: string, extra: Parameters<typeof startTestSimulator>[0] = {}): Promise<{ sim: Simulator; c: OpenDClient; t: TradeApi }> {
  const sim = await startTestSimulator({ stateFile, ...extra });
  sims.push(sim);
  const c = await connectClient(sim);
  clients.push(c);
  return { sim, c, t: new TradeApi(c) };
}

const HISTORY = { from: '2025-01-01 00:00:00', to: '2025-02-01 00:00:00' };

/**
 * Everything a client can read about one account, on the wire. Mark-to-market fields (prices, market values,
 * unrealized P&L, buying power) are left out: the market is regenerated from the seed at the restored time,
 * so quotes go on from a new path; what trading changed (cash, quantities, costs, realized P&L, today's
 * buys and sells) must be identical.
 */
async function accountView(c: OpenDClient, t: TradeApi, acc: AccountRef, real: boolean) {
  const header = headerOf(acc);
  const positions = (await c.request(PROTO_ID.Trd_GetPositionList, { header })).positionList ?? [];
  const funds = (await c.request(PROTO_ID.Trd_GetFunds, { header })).funds;
  return {
    orders: await t.orders(acc),
    history: await t.historyOrders(acc, HISTORY),
    fills: real ? await t.fills(acc) : [],
    historyFills: real ? await t.historyFills(acc, HISTORY) : [],
    positions: positions.map((p) => {
      const { price, val, plVal, plRatio, unrealizedPL, averagePlRatio, ...held } = p;
      void [price, val, plVal, plRatio, unrealizedPL, averagePlRatio];
      return held;
    }),
    funds: funds && {
      cash: funds.cash,
      frozenCash: funds.frozenCash,
      debtCash: funds.debtCash,
      avlWithdrawalCash: funds.avlWithdrawalCash,
      realizedPL: funds.realizedPL,
      cashInfoList: funds.cashInfoList,
      netCashPower: funds.netCashPower,
    },
  };
}

function top(sim: Simulator, key: string) {
  const b = sim.market.top(key);
  if (!b) throw new Error(`no book for ${key}`);
  return b;
}

describe('simulator restart from its state file', () => {
  it('restores orders, fills, positions, funds and the history of earlier days; new IDs come after the saved ones', async () => {
    const file = join(dir, 'restart.json');
    const { sim, c, t } = await start(file);
    await t.unlock('123456');
    // Day 1: a filled and a resting order in a REAL and a paper account.
    const day1Filled = await t.placeOrder(ACC.REAL_HK, { code: 'HK.00700', side: 'BUY', qty: 200, price: top(sim, 'HK.00700').ask, remark: 'day1' });
    sim.advance(100);
    const day1Resting = await t.placeOrder(ACC.REAL_HK, { code: 'HK.00700', side: 'BUY', qty: 100, price: 300 });
    sim.advance(100);
    await t.placeOrder(ACC.SIM_HK, { code: 'HK.00700', side: 'BUY', qty: 100, price: top(sim, 'HK.00700').ask });
    sim.advance(100);
    await t.placeOrder(ACC.SIM_HK, { code: 'HK.00700', side: 'BUY', qty: 100, price: 300 });
    // Day 2: the DAY orders of day 1 expired overnight; a sell fills part of the position, one order rests.
    sim.advance(DAY);
    await t.placeOrder(ACC.REAL_HK, { code: 'HK.00700', side: 'SELL', qty: 100, price: top(sim, 'HK.00700').bid });
    sim.advance(100);
    const openAtSave = await t.placeOrder(ACC.REAL_HK, { code: 'HK.00700', side: 'BUY', qty: 100, price: 310 });

    const before = { real: await accountView(c, t, ACC.REAL_HK, true), paper: await accountView(c, t, ACC.SIM_HK, false) };
    expect(before.real.history.map((o) => o.orderId)).toContain(day1Filled.orderId);
    expect(before.real.history.find((o) => o.orderId === day1Resting.orderId)?.status).toBe('CANCELLED_ALL');
    expect(before.real.historyFills.length).toBe(2);
    expect(before.real.positions[0]).toMatchObject({ code: '00700', qty: 100, td_sellQty: 100 });

    // What a crash would leave: the file as it is while the simulator still runs (close() saves again).
    const crashCopy = join(dir, 'crash-copy.json');
    copyFileSync(file, crashCopy);
    const clockAtSave = sim.clock.now();
    const engineState = sim.trading.exportState();
    await closeAll(...clients.splice(0));
    await sims.pop()!.close();

    const again = await start(crashCopy, { clock: { manual: true, start: SIM_START } });
    expect(again.sim.clock.now()).toBe(clockAtSave); // the virtual clock carries on from the saved time
    expect(again.sim.trading.exportState()).toEqual(engineState); // the whole trading state, field by field
    const after = { real: await accountView(again.c, again.t, ACC.REAL_HK, true), paper: await accountView(again.c, again.t, ACC.SIM_HK, false) };
    expect(after).toEqual(before);

    // Trading goes on: the open order can be cancelled, REAL accounts need the unlock again (as after an
    // OpenD restart), and a new order gets an ID above every earlier order, fill and position ID.
    await expectOpenDError(again.t.placeOrder(ACC.REAL_HK, { code: 'HK.00700', side: 'BUY', qty: 100, price: 300 }), /trade is locked/);
    await again.t.unlock('123456');
    again.sim.advance(100);
    await again.t.cancelOrder(ACC.REAL_HK, openAtSave.orderId);
    again.sim.advance(100);
    const fresh = await again.t.placeOrder(ACC.REAL_HK, { code: 'HK.00700', side: 'BUY', qty: 100, price: 300 });
    const earlierIds = [
      ...after.real.history.map((o) => o.orderId),
      ...after.paper.history.map((o) => o.orderId),
      ...after.real.historyFills.map((f) => f.fillId),
      ...after.real.positions.map((p) => p.positionID),
    ];
    for (const id of earlierIds) expect(fresh.orderId > id, `new order ${fresh.orderId} vs earlier ID ${id}`).toBe(true);
    const [cancelled] = await again.t.orders(ACC.REAL_HK, { orderIds: [openAtSave.orderId] });
    expect(cancelled?.status).toBe('CANCELLED_ALL');
  });

  it('starts fresh when the file does not exist yet and writes it at once', async () => {
    const file = join(dir, 'sub', 'first-start.json');
    const { t } = await start(file);
    const saved = readStateFile(file);
    expect(saved?.orders).toEqual([]);
    expect(saved?.accounts.map((a) => a.accID)).toEqual((await t.accounts()).map((a) => a.accId.toString()));
  });

  it('refuses a truncated, corrupt, empty or inconsistent state file with an error saying what is wrong, and leaves the file alone', async () => {
    const file = join(dir, 'good.json');
    const { sim, t } = await start(file);
    await t.placeOrder(ACC.SIM_HK, { code: 'HK.00700', side: 'BUY', qty: 100, price: 300 });
    await closeAll(...clients.splice(0));
    await sims.pop()!.close();
    const good = readFileSync(file, 'utf8');
    const state = readStateFile(file)!;
    expect(state.orders).toHaveLength(1);
    void sim;

    const cases: [string, string, RegExp][] = [
      ['truncated', good.slice(0, Math.floor(good.length * 0.7)), /is truncated or corrupt: the header promises \d+ bytes of state, the file has \d+/],
      ['header only', good.slice(0, good.indexOf('\n')), /is truncated: it has no state after the header line/],
      ['empty', '', /is empty \(truncated\?\)/],
      ['corrupt', good.replace('"qty":100', '"qty":900'), /is corrupt: the state does not match the SHA-256 in its header/],
      ['not a state file', '{"hello":1}\n{}', /has format undefined, expected "opend-simulator-trading-state"/],
      ['bad ID', encodeState({ ...state, orders: [{ ...state.orders[0]!, orderID: 12 as unknown as string }] }), /orders\[0\]\.orderID must be a 64-bit unsigned ID as a decimal string, got 12/],
      ['ID above the counter', encodeState({ ...state, lastId: '1' }), /ID 5\d+ is above the saved ID counter 1/],
      ['unknown account', encodeState({ ...state, orders: [{ ...state.orders[0]!, accID: '42' }] }), /orders\[0\]: account 42 is not configured in this simulator/],
    ];
    for (const [name, text, message] of cases) {
      const bad = join(dir, `bad-${name.replaceAll(' ', '-')}.json`);
      writeFileSync(bad, text);
      const err = await start(bad).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err, name).toBeInstanceOf(StateFileError);
      expect((err as Error).message, name).toMatch(message);
      expect((err as Error).message, name).toContain(bad);
      expect(readFileSync(bad, 'utf8'), `${name}: the file is left as it was`).toBe(text);
    }
  });
});

// --------------------------------------------------------------------------------- SIGKILL (child process)

function startSimProcess(port: number, stateFile: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'gateway-container/simulator/main.ts', '--port', String(port), '--no-encryption', '--state-file', stateFile], {
    cwd: process.cwd(),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the simulator process did not start within 60 s; output: ${out}`));
    }, 60_000);
    const onData = (b: Buffer) => {
      out += b.toString();
      if (out.includes('trading state:')) {
        clearTimeout(timer);
        resolve(child);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (b: Buffer) => (out += b.toString()));
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the simulator process exited (${code}) before it was ready; output: ${out}`));
    });
  });
}

function killed(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}

describe('simulator process killed with SIGKILL', () => {
  const children: ChildProcess[] = [];
  afterEach(async () => {
    await Promise.all(children.splice(0).map(killed));
  });

  it('keeps every order it acknowledged: a restart from the state file lists them with their IDs', async () => {
    const file = join(dir, 'killed.json');
    const port = await freePort();
    children.push(await startSimProcess(port, file));
    const c = await OpenDClient.connect({ host: '127.0.0.1', port, clientId: 'sigkill-test', requestTimeoutMs: 10_000 });
    const t = new TradeApi(c);
    const ids: bigint[] = [];
    for (let i = 0; i < 3; i++) {
      // Futu: PlaceOrder at most 15 per 30 s per account and at least 20 ms apart; this clock is real time.
      if (i > 0) await new Promise((r) => setTimeout(r, 25));
      ids.push((await t.placeOrder(ACC.SIM_HK, { code: 'HK.00700', side: 'BUY', qty: 100, price: 300 + i })).orderId);
    }
    // Killed the moment the last reply arrived: no close(), no exit handler, no timer gets to run.
    await killed(children[0]!);
    await c.close().catch(() => undefined);

    const port2 = await freePort();
    children.push(await startSimProcess(port2, file));
    const c2 = await OpenDClient.connect({ host: '127.0.0.1', port: port2, clientId: 'sigkill-test-2', requestTimeoutMs: 10_000 });
    try {
      const listed = await new TradeApi(c2).orders(ACC.SIM_HK);
      expect(listed.map((o) => o.orderId)).toEqual(ids);
      expect(listed.map((o) => o.status)).toEqual(['SUBMITTED', 'SUBMITTED', 'SUBMITTED']);
    } finally {
      await c2.close().catch(() => undefined);
    }
  }, 120_000);
});
