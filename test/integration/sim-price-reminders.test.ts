// Price reminders in the simulator over real TCP: Qot_SetPriceReminder (3220) with every operation through the
// typed client, Qot_GetPriceReminder (3221), Futu's limits, the Qot_UpdatePriceReminder (3019) push evaluated
// against the simulator's own trades, and the reminder file beside the state file across a restart.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { Simulator } from '../../gateway-container/simulator/index.js';
import { PriceReminderApi, priceReminderPush } from '../../proto/api/price-reminders.js';
import { ValidationError } from '../../proto/errors.js';
import type * as Qot_UpdatePriceReminder from '../../proto/generated/Qot_UpdatePriceReminder.js';
import { PROTO_ID } from '../../proto/registry.js';
import { barrier, connectClient, expectOpenDError, pushesOf, startTestSimulator, type RecordingClient } from './sim-helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'sim-reminders-'));
let cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => undefined);
  cleanups = [];
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function setup(options: Parameters<typeof startTestSimulator>[0] = {}) {
  const sim = await startTestSimulator(options);
  cleanups.push(() => sim.close());
  const client = await connectClient(sim, { recvNotify: true });
  cleanups.push(() => client.close());
  return { sim, client, api: new PriceReminderApi(client) };
}

/** Reminder pushes this client received, by key. */
function firedKeys(client: RecordingClient): bigint[] {
  return pushesOf(client, PROTO_ID.Qot_UpdatePriceReminder).map((p) => (p.s2c as Qot_UpdatePriceReminder.S2C).key!);
}

/** Advances the market `ms` in steps of 10 s, recording every price of `code` the simulator trades at. */
function tradeFor(sim: Simulator, code: string, ms: number): number[] {
  const prices: number[] = [];
  const off = sim.market.onUpdate((u) => {
    if (u.key === code) prices.push(u.basic.curPrice);
  });
  for (let t = 0; t < ms; t += 10_000) sim.advance(10_000);
  off();
  return prices;
}

describe('Qot_SetPriceReminder / Qot_GetPriceReminder', () => {
  it('adds, lists, modifies, disables, enables and deletes reminders, and deletes all of a stock’s', async () => {
    const { api } = await setup();
    const k1 = await api.setPriceReminder({ op: 'ADD', code: 'HK.00700', type: 'PRICE_UP', value: 400.12345, freq: 'ONCE_A_DAY', note: 'breakout' });
    const k2 = await api.setPriceReminder({ op: 'ADD', code: 'HK.00700', type: 'TURNOVER_UP', value: 102 });
    const k3 = await api.setPriceReminder({ op: 'ADD', code: 'US.AAPL', type: 'PRICE_DOWN', value: 150 });
    // Futu's keys are int64 beyond 2^53; they reach the client exactly.
    for (const k of [k1, k2, k3]) expect(k).toBeGreaterThan(BigInt(Number.MAX_SAFE_INTEGER));
    expect(new Set([k1, k2, k3]).size).toBe(3);

    // Futu: 3 decimals, the excess discarded; turnover rounded down to a multiple of 10; US default sessions.
    expect(await api.priceReminders({ code: 'HK.00700' })).toEqual([
      { code: 'HK.00700', name: 'Tencent Holdings', key: k1, type: 'PRICE_UP', value: 400.123, freq: 'ONCE_A_DAY', note: 'breakout', enabled: true, sessions: ['OPEN'] },
      { code: 'HK.00700', name: 'Tencent Holdings', key: k2, type: 'TURNOVER_UP', value: 100, freq: 'ALWAYS', note: '', enabled: true, sessions: ['OPEN'] },
    ]);
    const us = await api.priceReminders({ market: 'US' });
    expect(us).toMatchObject([{ code: 'US.AAPL', key: k3, type: 'PRICE_DOWN', value: 150, sessions: ['OPEN', 'US_PRE', 'US_AFTER'] }]);

    expect(await api.setPriceReminder({ op: 'MODIFY', code: 'HK.00700', key: k1, value: 420, freq: 'ONLY_ONCE' })).toBe(k1);
    expect(await api.setPriceReminder({ op: 'DISABLE', code: 'HK.00700', key: k2 })).toBe(k2);
    let hk = await api.priceReminders({ code: 'HK.00700' });
    expect(hk.map((r) => [r.key, r.type, r.value, r.freq, r.note, r.enabled])).toEqual([
      [k1, 'PRICE_UP', 420, 'ONLY_ONCE', 'breakout', true],
      [k2, 'TURNOVER_UP', 100, 'ALWAYS', '', false],
    ]);
    await api.setPriceReminder({ op: 'ENABLE', code: 'HK.00700', key: k2 });
    await api.setPriceReminder({ op: 'DEL', code: 'HK.00700', key: k1 });
    hk = await api.priceReminders({ code: 'HK.00700' });
    expect(hk.map((r) => [r.key, r.enabled])).toEqual([[k2, true]]);

    expect(await api.setPriceReminder({ op: 'DEL_ALL', code: 'HK.00700' })).toBe(0n);
    expect(await api.priceReminders({ market: 'HK' })).toEqual([]);
    // Another stock's reminders are untouched.
    expect((await api.priceReminders({ code: 'US.AAPL' })).map((r) => r.key)).toEqual([k3]);
  });

  it('refuses what Futu refuses, names what is allowed, and changes nothing', async () => {
    const { client, api } = await setup();
    // Futu: "The upper limit of reminders that can be set for each type of each stock is 10".
    for (let i = 0; i < 10; i++) await api.setPriceReminder({ op: 'ADD', code: 'HK.00700', type: 'PRICE_UP', value: 500 + i });
    await expectOpenDError(api.setPriceReminder({ op: 'ADD', code: 'HK.00700', type: 'PRICE_UP', value: 600 }), /already has 10 price reminders of type PRICE_UP: the upper limit of reminders for each type of each stock is 10/);
    // Another type, or another stock, still has room.
    await api.setPriceReminder({ op: 'ADD', code: 'HK.00700', type: 'PRICE_DOWN', value: 300 });
    expect((await api.priceReminders({ code: 'HK.00700' })).filter((r) => r.type === 'PRICE_UP')).toHaveLength(10);

    const raw = (c2s: object) => client.request(PROTO_ID.Qot_SetPriceReminder, { security: { market: 1, code: '00700' }, op: 1, ...c2s } as never);
    await expectOpenDError(raw({ type: 99, value: 1 }), /type 99 is not a PriceReminderType; allowed: PRICE_UP \(1\), PRICE_DOWN \(2\)/);
    await expectOpenDError(raw({ type: 1, value: 1, freq: 7 }), /freq 7 is not a PriceReminderFreq; allowed: ALWAYS \(1\), ONCE_A_DAY \(2\), ONLY_ONCE \(3\)/);
    await expectOpenDError(raw({ type: 2, value: -5 }), /value must be a number above 0 for PRICE_DOWN, got -5/);
    await expectOpenDError(raw({ type: 2, value: 5, note: 'x'.repeat(21) }), /note supports no more than 20 characters, got 21/);
    await expectOpenDError(raw({ type: 2, value: 5, reminderSessionList: [9] }), /reminderSessionList value 9 is not a PriceReminderMarketStatus/);
    await expectOpenDError(raw({ op: 9 }), /op 9 is not a SetPriceReminderOp; allowed: ADD \(1\), DEL \(2\)/);
    await expectOpenDError(raw({ op: 2, key: 12345n }), /no price reminder with key 12345 for HK\.00700/);
    await expectOpenDError(raw({ op: 3 }), /key is required for DEL, ENABLE, DISABLE and MODIFY/);
    await expectOpenDError(client.request(PROTO_ID.Qot_SetPriceReminder, { security: { market: 1, code: '99999' }, op: 1, type: 1, value: 1 }), /Unknown stock HK\.99999/);
    await expectOpenDError(client.request(PROTO_ID.Qot_GetPriceReminder, {}), /security or market is required/);
    expect(await api.priceReminders({ code: 'HK.00700' })).toHaveLength(11);

    // The typed client refuses bad input before sending anything.
    await expect(api.setPriceReminder({ op: 'ADD', code: 'HK.00700', type: 'PRICE_SIDEWAYS' as never, value: 1 })).rejects.toThrow(ValidationError);
    await expect(api.setPriceReminder({ op: 'ADD', code: 'HK.00700', type: 'PRICE_UP', value: Number.NaN })).rejects.toThrow(/value: expected a number above 0/);
    await expect(api.setPriceReminder({ op: 'DEL', code: 'HK.00700', key: 0n })).rejects.toThrow(/key: expected a reminder key/);
  });

  it('enforces Futu’s 60 SetPriceReminder requests per 30 s', async () => {
    const { sim, api } = await setup();
    let n = 0;
    let refused: Error | undefined;
    for (; n < 70 && !refused; n++) {
      try {
        await api.setPriceReminder({ op: 'DEL_ALL', code: 'HK.00700' });
      } catch (err) {
        refused = err as Error;
      }
    }
    expect(n).toBe(61);
    expect(refused?.message).toMatch(/frequency limit of Qot_SetPriceReminder reached \(at most 60 requests per 30 s\)/);
    sim.advance(30_000);
    await expect(api.setPriceReminder({ op: 'DEL_ALL', code: 'HK.00700' })).resolves.toBe(0n);
  });
});

describe('Qot_UpdatePriceReminder', () => {
  it('fires ALWAYS once per crossing, ONLY_ONCE once, ONCE_A_DAY once that day, however long the price stays beyond', async () => {
    // Seed 3: HK.00700 wanders around its start for the first hours (seed 7 drifts away below it).
    const { sim, client, api } = await setup({ seed: 3 });
    const start = sim.market.top('HK.00700')!.last;
    const bound = Math.round((start + 0.2) * 1000) / 1000; // one HKEX tick above: the market crosses it back and forth
    const always = await api.setPriceReminder({ op: 'ADD', code: 'HK.00700', type: 'PRICE_UP', value: bound, freq: 'ALWAYS' });
    const once = await api.setPriceReminder({ op: 'ADD', code: 'HK.00700', type: 'PRICE_UP', value: bound, freq: 'ONLY_ONCE' });
    const daily = await api.setPriceReminder({ op: 'ADD', code: 'HK.00700', type: 'PRICE_UP', value: bound, freq: 'ONCE_A_DAY' });
    // Trades minute by minute until the market has done what the test is about (a random walk started one tick
    // below the bound crosses it back and forth), at most an hour of virtual time.
    const prices: number[] = [];
    let crossings = 0;
    for (let minute = 0; minute < 60; minute++) {
      prices.push(...tradeFor(sim, 'HK.00700', 60_000));
      crossings = 0;
      let above = false;
      for (const p of prices) {
        if (p >= bound && !above) crossings++;
        above = p >= bound;
      }
      if (crossings >= 3 && prices.filter((p) => p >= bound).length >= 20) break;
    }
    await barrier(client);
    // The market did what the test is about: it crossed, went back, crossed again, and spent many trades beyond.
    expect(crossings).toBeGreaterThanOrEqual(3);
    expect(prices.filter((p) => p >= bound).length).toBeGreaterThanOrEqual(20);

    const fired = firedKeys(client);
    expect(fired.filter((k) => k === always)).toHaveLength(crossings);
    expect(fired.filter((k) => k === once)).toHaveLength(1);
    expect(fired.filter((k) => k === daily)).toHaveLength(1);
    const first = priceReminderPush(pushesOf(client, PROTO_ID.Qot_UpdatePriceReminder)[0]!.s2c as Qot_UpdatePriceReminder.S2C);
    expect(first).toMatchObject({ code: 'HK.00700', name: 'Tencent Holdings', type: 'PRICE_UP', setValue: bound, marketStatus: 'OPEN', content: `Price rose to ${bound.toFixed(3)}` });
    expect(first.price).toBeGreaterThanOrEqual(bound);
    expect(first.curValue).toBe(first.price);
    // ONLY_ONCE is spent: it stays listed, disabled.
    expect((await api.priceReminders({ code: 'HK.00700' })).find((r) => r.key === once)?.enabled).toBe(false);
  });

  it('evaluates each reminder type against its own quantity: price, book, volume, turnover, change rates', async () => {
    const { sim, client, api } = await setup();
    const add = (type: Parameters<typeof api.setPriceReminder>[0] & { op: 'ADD' }) => api.setPriceReminder(type);
    const holds = {
      bidUp: await add({ op: 'ADD', code: 'HK.00700', type: 'BID_PRICE_UP', value: 1, freq: 'ONLY_ONCE' }),
      askDown: await add({ op: 'ADD', code: 'HK.00700', type: 'ASK_PRICE_DOWN', value: 100_000, freq: 'ONLY_ONCE' }),
      bidVol: await add({ op: 'ADD', code: 'HK.00700', type: 'BID_VOL_UP', value: 1, freq: 'ONLY_ONCE' }),
      turnover: await add({ op: 'ADD', code: 'HK.00700', type: 'TURNOVER_UP', value: 10, freq: 'ONLY_ONCE' }),
      priceDown: await add({ op: 'ADD', code: 'HK.00700', type: 'PRICE_DOWN', value: 100_000, freq: 'ONLY_ONCE' }),
    };
    const never = [
      await add({ op: 'ADD', code: 'HK.00700', type: 'PRICE_UP', value: 100_000 }),
      await add({ op: 'ADD', code: 'HK.00700', type: 'CHANGE_RATE_UP', value: 50 }),
      await add({ op: 'ADD', code: 'HK.00700', type: '5MIN_CHANGE_RATE_DOWN', value: 50 }),
      await add({ op: 'ADD', code: 'HK.00700', type: '3MIN_CHANGE_RATE_UP', value: 50 }),
      await add({ op: 'ADD', code: 'HK.09988', type: 'VOLUME_UP', value: 10, freq: 'ONLY_ONCE' }).then(async (k) => {
        await api.setPriceReminder({ op: 'DISABLE', code: 'HK.09988', key: k });
        return k;
      }),
    ];
    const books: { bid: number; ask: number }[] = [];
    const off = sim.market.onUpdate((u) => {
      if (u.key === 'HK.00700') books.push({ bid: u.book.bids[0]!.price, ask: u.book.asks[0]!.price });
    });
    tradeFor(sim, 'HK.00700', 30_000);
    off();
    await barrier(client);
    const pushes = pushesOf(client, PROTO_ID.Qot_UpdatePriceReminder).map((p) => priceReminderPush(p.s2c as Qot_UpdatePriceReminder.S2C));
    for (const k of Object.values(holds)) expect(pushes.filter((p) => p.key === k), String(k)).toHaveLength(1);
    for (const k of never) expect(pushes.filter((p) => p.key === k), String(k)).toHaveLength(0);
    // Each carries the quantity its type watches: the first trade's best bid and ask.
    expect(pushes.find((p) => p.key === holds.bidUp)).toMatchObject({ type: 'BID_PRICE_UP', setValue: 1, curValue: books[0]!.bid, content: 'Bid price above 1.000' });
    expect(pushes.find((p) => p.key === holds.askDown)).toMatchObject({ type: 'ASK_PRICE_DOWN', curValue: books[0]!.ask });
    expect(pushes.find((p) => p.key === holds.priceDown)!.curValue).toBe(pushes.find((p) => p.key === holds.priceDown)!.price);
  });

  it('fires ONCE_A_DAY again on the next market day, ONLY_ONCE never again', async () => {
    // A trade a minute per security keeps a day of market cheap to generate.
    const { sim, client, api } = await setup({ tickIntervalMs: 60_000 });
    // The day's volume is above 10 shares from the first trade on: the condition holds all day, every day.
    const daily = await api.setPriceReminder({ op: 'ADD', code: 'HK.00700', type: 'VOLUME_UP', value: 10, freq: 'ONCE_A_DAY' });
    const once = await api.setPriceReminder({ op: 'ADD', code: 'HK.00700', type: 'VOLUME_UP', value: 10, freq: 'ONLY_ONCE' });
    expect(tradeFor(sim, 'HK.00700', 600_000).length).toBeGreaterThanOrEqual(5);
    await barrier(client);
    expect(firedKeys(client).filter((k) => k === daily)).toHaveLength(1);
    // To the next Hong Kong day (10:10 → 00:10 the day after), two hours at a time with a round trip in between,
    // so the connection never looks silent to the simulator's 30 s KeepAlive rule on a loaded machine.
    for (let h = 0; h < 14; h += 2) {
      sim.advance(2 * 3600_000);
      await barrier(client);
    }
    tradeFor(sim, 'HK.00700', 600_000);
    await barrier(client);
    expect(firedKeys(client).filter((k) => k === daily)).toHaveLength(2);
    expect(firedKeys(client).filter((k) => k === once)).toHaveLength(1);
  });

  it('is pushed to every connection that asked for notifications, with no subscription, and to no other', async () => {
    const { sim, client, api } = await setup();
    const quiet = await connectClient(sim, { recvNotify: false });
    cleanups.push(() => quiet.close());
    const other = await connectClient(sim, { recvNotify: true });
    cleanups.push(() => other.close());
    const key = await api.setPriceReminder({ op: 'ADD', code: 'HK.00700', type: 'VOLUME_UP', value: 10, freq: 'ONLY_ONCE' });
    tradeFor(sim, 'HK.00700', 30_000);
    await Promise.all([barrier(client), barrier(quiet), barrier(other)]);
    expect(firedKeys(client)).toEqual([key]);
    expect(firedKeys(other)).toEqual([key]);
    expect(firedKeys(quiet)).toEqual([]);
  });
});

describe('price reminders across a restart', () => {
  it('keeps reminders, their keys and what they fired', async () => {
    const stateFile = join(dir, 'state.json');
    const first = await setup({ stateFile });
    const daily = await first.api.setPriceReminder({ op: 'ADD', code: 'HK.00700', type: 'VOLUME_UP', value: 10, freq: 'ONCE_A_DAY', note: 'vol' });
    const once = await first.api.setPriceReminder({ op: 'ADD', code: 'HK.00700', type: 'VOLUME_UP', value: 10, freq: 'ONLY_ONCE' });
    const off = await first.api.setPriceReminder({ op: 'ADD', code: 'US.AAPL', type: 'PRICE_UP', value: 999 });
    await first.api.setPriceReminder({ op: 'DISABLE', code: 'US.AAPL', key: off });
    tradeFor(first.sim, 'HK.00700', 30_000);
    await barrier(first.client);
    expect(firedKeys(first.client).sort()).toEqual([daily, once].sort());
    const before = [...(await first.api.priceReminders({ market: 'HK' })), ...(await first.api.priceReminders({ market: 'US' }))];
    for (const c of cleanups.splice(0).reverse()) await c();

    const second = await setup({ stateFile });
    const after = [...(await second.api.priceReminders({ market: 'HK' })), ...(await second.api.priceReminders({ market: 'US' }))];
    expect(after).toEqual(before);
    // Later the same day neither fires again: the day it fired and the spent ONLY_ONCE were kept.
    tradeFor(second.sim, 'HK.00700', 30_000);
    await barrier(second.client);
    expect(firedKeys(second.client)).toEqual([]);
    // New keys keep growing past the restored ones.
    expect(await second.api.setPriceReminder({ op: 'ADD', code: 'HK.00700', type: 'PRICE_UP', value: 1 })).toBeGreaterThan(off > once ? off : once);
  });

  it('refuses to start on a corrupt reminder file, naming it', async () => {
    const stateFile = join(dir, 'broken.json');
    writeFileSync(`${stateFile}.price-reminders.json`, '{"format":"opend-simulator-price-reminders","reminders":[{"secu');
    await expect(startTestSimulator({ stateFile })).rejects.toThrow(/price reminder file .*broken\.json\.price-reminders\.json is not valid JSON/);
  });
});
