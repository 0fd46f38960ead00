import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { enumValueName, generate, protoSourceDir } from '../../proto/codegen/generate.js';
import { Qot_Common, Trd_Common, Trd_PlaceOrder, Trd_UpdateOrder, InitConnect, KeepAlive } from '../../proto/generated/index.js';
import { PROTOCOLS, protocolName, isPushProtoId, KNOWN_WITHOUT_DEFINITION } from '../../proto/registry.js';
import { ProtoCodecError, Writer } from '../../proto/wire.js';

describe('code generation', () => {
  it('produces the same bytes from the same input', () => {
    const a = mkdtempSync(join(tmpdir(), 'gen-a-'));
    const b = mkdtempSync(join(tmpdir(), 'gen-b-'));
    generate(protoSourceDir(), a);
    generate(protoSourceDir(), b);
    const files = readdirSync(a).sort();
    expect(files.length).toBeGreaterThan(150);
    expect(readdirSync(b).sort()).toEqual(files);
    for (const f of files) expect(readFileSync(join(b, f)).equals(readFileSync(join(a, f)))).toBe(true);
  });

  it('names enum values in upper snake case without the enum prefix', () => {
    expect(enumValueName('OrderStatus', 'OrderStatus_Filled_All')).toBe('FILLED_ALL');
    expect(enumValueName('OrderStatus', 'OrderStatus_WaitingSubmit')).toBe('WAITING_SUBMIT');
    expect(enumValueName('TrdSide', 'TrdSide_SellShort')).toBe('SELL_SHORT');
    expect(enumValueName('KLType', 'KLType_1Min')).toBe('1MIN');
    expect(enumValueName('PacketEncAlgo', 'PacketEncAlgo_FTAES_ECB')).toBe('FTAES_ECB');
    expect(Trd_Common.OrderStatus.FILLED_ALL).toBe(11);
    expect(Qot_Common.QotMarket.HK_SECURITY).toBe(1);
  });
});

describe('generated codecs', () => {
  it('carries 64-bit IDs above 2^53 exactly as bigint', () => {
    const accID = 281756480572583411n;
    const orderID = 18446744073709551615n;
    const req: Trd_PlaceOrder.Request = {
      c2s: {
        packetID: { connID: 9007199254740993n, serialNo: 4 },
        header: { trdEnv: 1, accID, trdMarket: 1 },
        trdSide: 1, orderType: 1, code: '00700', qty: 100, price: 320.2, remark: 'coid-1',
      },
    };
    const back = Trd_PlaceOrder.Request.decode(Trd_PlaceOrder.Request.encode(req).finish());
    expect(back).toEqual(req);
    const rsp = Trd_PlaceOrder.Response.decode(
      Trd_PlaceOrder.Response.encode({ retType: 0, s2c: { header: { trdEnv: 1, accID, trdMarket: 1 }, orderID } }).finish(),
    );
    expect(rsp.s2c?.orderID).toBe(orderID);
    expect(typeof rsp.s2c?.header.accID).toBe('bigint');
  });

  it('round-trips negative int64 values', () => {
    const back = KeepAlive.Request.decode(KeepAlive.Request.encode({ c2s: { time: -5n } }).finish());
    expect(back.c2s.time).toBe(-5n);
  });

  it('reads int64 exactly on both sides of 2^32, 2^53 and 2^63, negative and not', () => {
    const edges = [0n, 1n, 127n, 128n, 2n ** 28n - 1n, 2n ** 28n, 2n ** 32n - 1n, 2n ** 32n, 2n ** 53n - 1n, 2n ** 53n, 2n ** 63n - 1n];
    const values = edges.flatMap((v) => [v, -v, -v - 1n]).concat([-(2n ** 63n), -4294967296n, -4294967297n, -281756480572583411n]);
    for (const time of values) {
      const body = KeepAlive.Request.encode({ c2s: { time } }).finish();
      expect(KeepAlive.Request.decode(body).c2s.time, String(time)).toBe(time);
    }
  });

  it('fills the retType default of -400 and reports missing required fields by path', () => {
    expect(Trd_PlaceOrder.Response.decode(new Uint8Array()).retType).toBe(-400);
    const w = Writer.create();
    w.uint32(10).fork().ldelim();
    expect(() => InitConnect.Request.decode(w.finish())).toThrow(ProtoCodecError);
    expect(() => InitConnect.Request.decode(w.finish())).toThrow(/InitConnect.C2S.clientVer/);
    expect(() => InitConnect.C2S.encode({ clientID: 'x' } as InitConnect.C2S)).toThrow(/InitConnect.C2S.clientVer is missing/);
  });

  it('decodes repeated scalars whether packed or not', () => {
    const secs = [1, 11, 21];
    const unpacked = Writer.create();
    for (const s of secs) unpacked.uint32((3 << 3) | 0).int32(s);
    const packed = Writer.create();
    packed.uint32((3 << 3) | 2).fork();
    for (const s of secs) packed.int32(s);
    packed.ldelim();
    // Trd_Common.TrdAcc field 3 is `repeated int32 trdMarketAuthList`
    const base = Writer.create().uint32(8).int32(0).uint32(16).uint64(1).finish();
    const a = Trd_Common.TrdAcc.decode(Buffer.concat([base, unpacked.finish()]));
    const b = Trd_Common.TrdAcc.decode(Buffer.concat([base, packed.finish()]));
    expect(a.trdMarketAuthList).toEqual(secs);
    expect(b.trdMarketAuthList).toEqual(secs);
  });

  it('skips unknown fields', () => {
    const body = Buffer.concat([
      Buffer.from(Trd_UpdateOrder.Response.encode({ retType: 0 }).finish()),
      Buffer.from(Writer.create().uint32((99 << 3) | 2).string('future field').finish()),
    ]);
    expect(Trd_UpdateOrder.Response.decode(body).retType).toBe(0);
  });
});

describe('ProtoID registry', () => {
  it('lists every system, trade and quote protocol with its messages', () => {
    const ids = Object.keys(PROTOCOLS).map(Number);
    for (const id of [1001, 1002, 1003, 1004, 1005, 1006, 1007, 1008]) expect(ids).toContain(id);
    for (const id of [2001, 2005, 2008, 2101, 2102, 2111, 2201, 2202, 2205, 2208, 2211, 2218, 2221, 2222, 2223, 2225, 2226, 2227]) expect(ids).toContain(id);
    for (const id of [3001, 3004, 3005, 3103, 3203, 3223, 3224]) expect(ids).toContain(id);
    expect(protocolName(2202)).toBe('Trd_PlaceOrder');
    expect(KNOWN_WITHOUT_DEFINITION[1009]).toBe('InitQuantMode');
  });
  it('marks exactly the Update*/Push* protocols and Notify as pushes', () => {
    const pushes = Object.keys(PROTOCOLS).map(Number).filter(isPushProtoId).sort();
    expect(pushes).toEqual([1003, 2208, 2218, 3005, 3007, 3009, 3011, 3013, 3015, 3019, 3261, 3310, 3450, 3451, 3452]);
  });
});
