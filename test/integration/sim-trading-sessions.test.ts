// The simulator's connection-level trading rules over real TCP with the real OpenDClient / TradeApi:
// plaintext and both AES modes (and trading refused without encryption off loopback), packetID replay
// protection of trade writes, and the login challenge. (Orders and pushes: sim-trading-orders.test.ts;
// frequency and connection limits: sim-trading-limits.test.ts.)
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Simulator } from '../../gateway-container/simulator/index.js';
import type { OpenDClient } from '../../proto/client.js';
import { generateRsaKeyPem, PacketEncAlgo } from '../../proto/crypto.js';
import { DisconnectedError, RequestTimeoutError } from '../../proto/errors.js';
import * as Common from '../../proto/generated/Common.js';
import * as Notify from '../../proto/generated/Notify.js';
import * as Trd_Common from '../../proto/generated/Trd_Common.js';
import { PROTO_ID } from '../../proto/registry.js';
import { ACC, barrier, closeAll, connectClient, expectOpenDError, pushesOf, startTestSimulator } from './sim-helpers.js';
import { client, open, orderPushes, placeC2S, restingBuy } from './sim-trading-support.js';

const { TrdSecMarket } = Trd_Common;

afterEach(async () => {
  await closeAll(...open.splice(0));
});

// ------------------------------------------------------------------------------------------- encryption

describe('encryption', () => {
  let sim: Simulator;
  const key = generateRsaKeyPem();
  beforeAll(async () => {
    sim = await startTestSimulator({ rsaPrivateKey: key, allowPlainInitConnect: true }); // the plaintext case below
    sim.advance(1_000);
  });
  afterAll(async () => {
    await sim.close();
  });

  it.each([
    ['plaintext', undefined, PacketEncAlgo.NONE],
    ['AES-CBC', PacketEncAlgo.AES_CBC, PacketEncAlgo.AES_CBC],
    ['FTAES-ECB', PacketEncAlgo.FTAES_ECB, PacketEncAlgo.FTAES_ECB],
  ] as const)('serves quotes, trading and pushes over a %s connection', async (name, algo, expected) => {
    const { c, t, q } = await client(sim, algo === undefined ? {} : { rsaPrivateKey: key, packetEncAlgo: algo });
    expect(c.info.packetEncAlgo).toBe(expected);
    expect(sim.core.connections.get(c.info.connId)!.encrypted).toBe(expected !== PacketEncAlgo.NONE);

    expect((await t.accounts()).map((a) => a.accId)).toEqual([ACC.SIM_HK.accId, ACC.SIM_US.accId, ACC.REAL_HK.accId, ACC.REAL_US.accId, ACC.SIM_UNI.accId, ACC.REAL_UNI.accId]);
    expect((await q.snapshot(['HK.00700', 'US.AAPL'])).map((s) => s.code)).toEqual(['HK.00700', 'US.AAPL']);
    await q.subscribe(['HK.00700'], ['BASIC'], { push: true, firstPush: true });
    await t.subscribeAccountPushes([ACC.SIM_HK.accId]);
    sim.advance(1_000); // also keeps PlaceOrder ≥ 20 ms apart across the three cases
    const { orderId } = await t.placeOrder(ACC.SIM_HK, { ...restingBuy, remark: `over ${name}` });
    await barrier(c);
    expect(pushesOf(c, PROTO_ID.Qot_UpdateBasicQot).length).toBeGreaterThan(0);
    const mine = orderPushes(c).filter((o) => o.orderId === orderId);
    expect(mine.map((o) => o.status)).toEqual(['SUBMITTING', 'SUBMITTED']);
    expect(mine[1]!.remark).toBe(`over ${name}`);
  });

  it('refuses a client that holds a different RSA key', async () => {
    const refused = await connectClient(sim, { rsaPrivateKey: generateRsaKeyPem(), packetEncAlgo: PacketEncAlgo.AES_CBC }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(DisconnectedError);
    expect((refused as Error).message).toMatch(/closed the connection during InitConnect/);
  });

  it('refuses trading on an unencrypted connection when OpenD listens on a non-local address; quotes stay open', async () => {
    // The listener stays on 127.0.0.1 (tests use loopback only); only the host the simulator believes it
    // serves is relabelled, which is what its encryption rule reads.
    const s = await startTestSimulator({ rsaPrivateKey: key, allowPlainInitConnect: true });
    s.core.opts.host = '192.0.2.10';
    try {
      expect(s.core.listeningOnLoopback).toBe(false);
      const plain = await client(s);
      await expectOpenDError(plain.t.accounts(), /trading needs an encrypted connection/);
      await expectOpenDError(plain.t.placeOrder(ACC.SIM_HK, restingBuy), /trading needs an encrypted connection/);
      expect((await plain.q.snapshot('HK.00700'))[0]!.code).toBe('HK.00700');
      const secure = await client(s, { rsaPrivateKey: key });
      expect(await secure.t.accounts()).toHaveLength(6);
      await secure.t.placeOrder(ACC.SIM_HK, restingBuy);
    } finally {
      await closeAll(...open.splice(0));
      await s.close();
    }
  });
});

// ------------------------------------------------------------------------------------- replay protection

describe('packetID replay protection', () => {
  const place = (c: OpenDClient, serialNo: number, connID = c.info.connId) =>
    c.request(PROTO_ID.Trd_PlaceOrder, placeC2S(ACC.SIM_HK, { code: '00700', secMarket: TrdSecMarket.HK, qty: 100, price: 300, packetID: { connID, serialNo } }));

  it('rejects a trade write whose packetID serial does not increase on the connection', async () => {
    const sim = await startTestSimulator();
    try {
      const { c, t } = await client(sim);
      const first = await place(c, 1000);
      sim.advance(100);
      await expectOpenDError(place(c, 1000), /packetID serial 1000 is not greater than the last one on this connection \(1000\); request rejected as a replay/);
      await expectOpenDError(place(c, 999), /not greater than the last one/);
      await expectOpenDError(place(c, 2000, c.info.connId + 1n), /packetID\.connID .* does not match this connection/);
      const next = await place(c, 1001);
      expect(next.orderID).not.toBe(first.orderID);
      expect((await t.orders(ACC.SIM_HK)).map((o) => o.orderId)).toEqual([first.orderID, next.orderID]);
      // Each connection counts its own serials: a fresh connection may start low again.
      const other = await client(sim);
      sim.advance(100);
      await place(other.c, 1);
    } finally {
      await closeAll(...open.splice(0));
      await sim.close();
    }
  });

  it("sends no reply at all to a replayed packetID with replayedPacketId: 'ignore'", async () => {
    const sim = await startTestSimulator({ replayedPacketId: 'ignore' });
    try {
      const { c, t } = await client(sim);
      await place(c, 50);
      sim.advance(100);
      const replay = await c
        .request(PROTO_ID.Trd_PlaceOrder, placeC2S(ACC.SIM_HK, { code: '00700', secMarket: TrdSecMarket.HK, qty: 100, price: 300, packetID: { connID: c.info.connId, serialNo: 50 } }), { timeoutMs: 300 })
        .catch((e: unknown) => e);
      expect(replay).toBeInstanceOf(RequestTimeoutError);
      // The connection is fine and the order exists once.
      await barrier(c);
      expect(await t.orders(ACC.SIM_HK)).toHaveLength(1);
    } finally {
      await closeAll(...open.splice(0));
      await sim.close();
    }
  });
});

// ----------------------------------------------------------------------------------- login challenge

describe('login challenge', () => {
  it('announces NeedPhoneVerifyCode, refuses quotes and trading, and becomes Ready after Verification with the right code', async () => {
    const sim = await startTestSimulator({ loginChallenge: { type: 'phone', code: '246810' } });
    try {
      const watcher = await client(sim, { recvNotify: true });
      const quiet = await client(sim);
      await Promise.all([barrier(watcher.c), barrier(quiet.c)]);
      const notices = () => pushesOf(watcher.c, PROTO_ID.Notify).map((p) => p.s2c as Notify.S2C);
      expect(notices()).toEqual([{ type: Notify.NotifyType.GTW_EVENT, event: { eventType: Notify.GtwEventType.NEED_PHONE_VERIFY_CODE, desc: expect.stringMatching(/Verification \(1006\)/) } }]);
      expect(quiet.c.recorded).toHaveLength(0); // no recvNotify, no Notify

      const state = await quiet.c.request(PROTO_ID.GetGlobalState, { userID: 0n });
      expect(state.programStatus?.type).toBe(Common.ProgramStatusType.NEED_PHONE_VERIFY_CODE);
      expect(state.qotLogined).toBe(false);
      await expectOpenDError(quiet.q.snapshot('HK.00700'), /OpenD is not logged in \(program status NEED_PHONE_VERIFY_CODE\)/);
      await expectOpenDError(quiet.t.accounts(), /OpenD is not logged in/);

      await expectOpenDError(quiet.c.request(PROTO_ID.Verification, { type: 1, op: 2, code: '246810' }), /pending verification is by phone; type must be 2/);
      await quiet.c.request(PROTO_ID.Verification, { type: 2, op: 1 }); // ask for a code
      await expectOpenDError(quiet.c.request(PROTO_ID.Verification, { type: 2, op: 1 }), /at most once per 60 s/);
      await expectOpenDError(quiet.c.request(PROTO_ID.Verification, { type: 2, op: 2, code: '000000' }), /verification code is wrong/);
      await expectOpenDError(quiet.q.snapshot('HK.00700'), /not logged in/);

      await quiet.c.request(PROTO_ID.Verification, { type: 2, op: 2, code: '246810' });
      await barrier(watcher.c);
      expect(notices().slice(1)).toEqual([
        { type: Notify.NotifyType.PROGRAM_STATUS, programStatus: { programStatus: { type: Common.ProgramStatusType.READY } } },
        { type: Notify.NotifyType.CONN_STATUS, connectStatus: { qotLogined: true, trdLogined: true } },
      ]);
      expect((await quiet.c.request(PROTO_ID.GetGlobalState, { userID: 0n })).programStatus?.type).toBe(Common.ProgramStatusType.READY);
      expect((await quiet.q.snapshot('HK.00700'))[0]!.code).toBe('HK.00700');
      expect(await quiet.t.accounts()).toHaveLength(6);
      await expectOpenDError(quiet.c.request(PROTO_ID.Verification, { type: 2, op: 2, code: '246810' }), /no verification is pending/);
      // A connection made after the login gets no challenge.
      const late = await client(sim, { recvNotify: true });
      await barrier(late.c);
      expect(late.c.recorded).toHaveLength(0);
    } finally {
      await closeAll(...open.splice(0));
      await sim.close();
    }
  });
});
