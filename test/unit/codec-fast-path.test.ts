// The generated decoders read the common cases inline from the Buffer and fall back to the Reader for the rest.
// These tests pin both paths to the official futu-api definitions (protobufjs 6, the SDK's own decoder): same
// values, same accept/reject decisions on truncated input, and plain-object results.
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { encodeFrame, FrameDecoder, sha1Matches, sha1 } from '../../proto/frame.js';
import { Qot_GetWarrant, Qot_UpdateBasicQot, Qot_UpdateOrderBook, Trd_PlaceOrder, Trd_UpdateOrder } from '../../proto/generated/index.js';
import { ProtoCodecError, Reader, Writer } from '../../proto/wire.js';

const require = createRequire(import.meta.url);
require('futu-api/proto.js');
const pb6 = require('futu-api/node_modules/protobufjs/light.js');
const officialRoot = pb6.roots['default'];
const official = (name: string) => officialRoot.lookupType(name) as { decode(b: Uint8Array): any; toObject(m: unknown, o: object): any };
const asOfficialObject = (name: string, body: Uint8Array) => official(name).toObject(official(name).decode(body), { longs: String, arrays: true });
/** `body` with every occurrence of field `id` cut out (the rest byte for byte). */
function withoutField(body: Uint8Array, id: number): Buffer {
  const r = Reader.create(body);
  const kept: Uint8Array[] = [];
  while (r.pos < r.len) {
    const start = r.pos;
    const tag = r.uint32();
    r.skipType(tag & 7);
    if (tag >>> 3 !== id) kept.push(body.subarray(start, r.pos));
  }
  return Buffer.concat(kept);
}

// Repeated fields always come back as arrays, empty when absent from the wire.
const updateOrder = {
  retType: 0, retMsg: '', errCode: 0,
  s2c: {
    header: { trdEnv: 1, accID: 281756480572583411n, trdMarket: 1 },
    order: {
      trdSide: 1, orderType: 1, orderStatus: 11, orderID: 7613829410364872911n, orderIDEx: '20261125_5503301_7613829410364872911',
      code: '00700', name: '騰訊控股', qty: 100, price: 384.6, createTime: '2026-11-25 10:15:03.512', updateTime: '2026-11-25 10:15:04.027',
      fillQty: 100, fillAvgPrice: 384.6, lastErrMsg: 'x'.repeat(300), secMarket: 1, remark: 'coid-7f9a2c', timeInForce: 0, currency: 1,
      comboLegs: [],
    },
  },
};

describe('generated decoders: inline fast path and Reader fallback', () => {
  it('decode what they encode, including 2-byte string lengths, non-ASCII text, 64-bit IDs and negative int32', () => {
    const body = Trd_UpdateOrder.Response.encode(updateOrder as any).finish();
    expect(Trd_UpdateOrder.Response.decode(body)).toStrictEqual(updateOrder);
    const failed = { retType: -400, retMsg: 'bad request: 参数错误', errCode: 1_000_123 };
    expect(Trd_UpdateOrder.Response.decode(Trd_UpdateOrder.Response.encode(failed).finish())).toStrictEqual(failed);
  });

  it('read every string length from 0 to 140, ASCII and not, as the official decoder does', () => {
    for (let n = 0; n <= 140; n++) {
      for (const text of ['a1-:. '.repeat(30).slice(0, n), 'é'.repeat(n >> 1) + 'z'.repeat(n & 1)]) {
        const body = Trd_PlaceOrder.Response.encode({ retType: 0, retMsg: text }).finish();
        expect(Trd_PlaceOrder.Response.decode(body).retMsg).toBe(text);
        expect(asOfficialObject('Trd_PlaceOrder.Response', body).retMsg).toBe(text);
      }
    }
  });

  it('agree with the official definitions on nested messages with long lengths and repeated fields', () => {
    const book = (n: number) => Array.from({ length: n }, (_, i) => ({ price: 100 + i / 8, volume: 2n ** 40n + BigInt(i), orederCount: 200 + i, detailList: [] }));
    const msg = {
      retType: 0,
      s2c: { security: { market: 1, code: '00700' }, name: 'N'.repeat(200), orderBookAskList: book(20), orderBookBidList: book(3), svrRecvTimeBidTimestamp: 1795601703.21 },
    };
    const body = Qot_UpdateOrderBook.Response.encode(msg).finish();
    const ours = Qot_UpdateOrderBook.Response.decode(body);
    expect(ours).toStrictEqual(msg);
    const theirs = asOfficialObject('Qot_UpdateOrderBook.Response', body);
    expect(theirs.s2c.orderBookAskList.map((l: { volume: string }) => l.volume)).toEqual(ours.s2c!.orderBookAskList!.map((l) => l.volume.toString()));
    expect(theirs.s2c.name).toBe(ours.s2c!.name);
  });

  it('skip unknown fields with 1-, 2- and 3-byte tags in every wire type', () => {
    const known = Trd_PlaceOrder.Response.encode({ retType: -1, retMsg: 'm' }).finish();
    const w = Writer.create();
    w.uint32((9 << 3) | 0).uint32(300); // field 9, varint
    w.uint32((20 << 3) | 1).double(1.5); // 2-byte tag, fixed64
    w.uint32((3000 << 3) | 2).string('ignored'); // 3-byte tag, length-delimited
    w.uint32((21 << 3) | 5).fixed32(7); // fixed32
    const decoded = Trd_PlaceOrder.Response.decode(Buffer.concat([w.finish(), known]));
    expect(decoded).toStrictEqual({ retType: -1, retMsg: 'm' });
  });

  it('read a known field sent in another wire type with its own reader, as the official decoder does', () => {
    // Field 1 (retType, int32) tagged as fixed32 and field 3 (errCode) tagged as length-delimited: both decoders
    // read a varint for each all the same; the required retType still counts as present.
    const odd = Buffer.from([(1 << 3) | 5, 0x07, (3 << 3) | 2, 0x2a, (2 << 3) | 2, 0x01, 0x78]);
    const theirs = asOfficialObject('Trd_PlaceOrder.Response', odd);
    expect(Trd_PlaceOrder.Response.decode(odd)).toStrictEqual({ retType: theirs.retType, errCode: theirs.errCode, retMsg: theirs.retMsg });
    expect(theirs).toMatchObject({ retType: 7, errCode: 42, retMsg: 'x' });
    // A required message field (S2C.header) in another wire type is read as a nested message too.
    const header = Buffer.from([8, 1, 16, 5, 24, 1]);
    const s2c = Buffer.from([(1 << 3) | 2, header.length, ...header]);
    const oddS2c = Buffer.from([8, 0, (4 << 3) | 2, s2c.length, ...s2c]);
    expect(Trd_PlaceOrder.Response.decode(oddS2c)).toStrictEqual({ retType: 0, s2c: { header: { trdEnv: 1, accID: 5n, trdMarket: 1 } } });
    const missing = Buffer.from([8, 0, (4 << 3) | 2, 2, (2 << 3) | 0, 0x05]); // S2C with an orderID, no header
    expect(() => Trd_PlaceOrder.Response.decode(missing)).toThrow(/Trd_PlaceOrder\.S2C\.header/);
  });

  it('check messages with more than 32 required fields (two bit words) field by field, as before', () => {
    // Qot_GetWarrant.WarrantData has 35 required fields: the last 3 are counted in a second word.
    const sec = { market: 1, code: '12345' };
    const full = {
      stock: sec, owner: { market: 1, code: '00700' }, type: 1, issuer: 2, maturityTime: '2027-06-30', listTime: '2026-01-02',
      lastTradeTime: '2027-06-23', conversionRatio: 10, lotSize: 5000, strikePrice: 400.2, lastClosePrice: 0.21, name: 'TC#X',
      curPrice: 0.22, priceChangeVal: 0.01, changeRate: 4.7, status: 1, bidPrice: 0.215, askPrice: 0.22, bidVol: 1_000_000n,
      askVol: 2_000_000n, volume: 2n ** 40n, turnover: 123456.5, score: 71.5, premium: 12.1, breakEvenPoint: 420.5, leverage: 8.1,
      ipop: -3.2, conversionPrice: 2.1, streetRate: 15.5, streetVol: 3n ** 30n, amplitude: 2.2, issueSize: 100_000_000n,
      highPrice: 0.23, lowPrice: 0.2, effectiveLeverage: 4.4,
    };
    const W = Qot_GetWarrant.WarrantData;
    const body = W.encode(full).finish();
    expect(W.decode(body)).toStrictEqual(full);
    expect(asOfficialObject('Qot_GetWarrant.WarrantData', body).effectiveLeverage).toBe(4.4);
    const fieldIds = (officialRoot.lookupType('Qot_GetWarrant.WarrantData') as { fields: Record<string, { id: number }> }).fields;
    for (const dropped of ['stock', 'leverage', 'amplitude', 'highPrice', 'effectiveLeverage'] as const) {
      const without = withoutField(body, fieldIds[dropped]!.id);
      expect(without.length).toBeLessThan(body.length);
      expect(() => W.decode(without), dropped).toThrow(new RegExp(`Qot_GetWarrant\\.WarrantData\\.${dropped} is missing`));
    }
  });

  it('accept a plain Uint8Array view at an offset, not only a Buffer', () => {
    const body = Trd_UpdateOrder.Response.encode(updateOrder as any).finish();
    const backing = new Uint8Array(body.length + 7);
    backing.set(body, 5);
    expect(Trd_UpdateOrder.Response.decode(new Uint8Array(backing.buffer, 5, body.length))).toStrictEqual(updateOrder);
  });

  it('reject exactly the truncations the official decoder rejects, and decode the others to the same values', () => {
    const bodies: [string, { decode(b: Uint8Array): unknown }, Uint8Array][] = [
      ['Trd_UpdateOrder.Response', Trd_UpdateOrder.Response, Trd_UpdateOrder.Response.encode(updateOrder as any).finish()],
      [
        'Qot_UpdateBasicQot.Response',
        Qot_UpdateBasicQot.Response,
        Qot_UpdateBasicQot.Response.encode({
          retType: 0,
          s2c: { basicQotList: [{ security: { market: 1, code: '00700' }, isSuspended: false, listTime: '2004-06-16', priceSpread: 0.2, updateTime: '2026-11-25 10:15:03', highPrice: 1, openPrice: 2, lowPrice: 3, curPrice: 4, lastClosePrice: 5, volume: 6n, turnover: 7, turnoverRate: 8, amplitude: 9, name: 'TENCENT' }] },
        }).finish(),
      ],
      [
        'Trd_PlaceOrder.Response',
        Trd_PlaceOrder.Response,
        Trd_PlaceOrder.Response.encode({ retType: 0, retMsg: 'ok', errCode: 0, s2c: { header: { trdEnv: 1, accID: 281756480572583411n, trdMarket: 1 }, orderID: 7613829410364872911n, orderIDEx: 'FT7613829410364872911' } }).finish(),
      ],
    ];
    let agreed = 0;
    for (const [name, codec, body] of bodies) {
      for (let cut = 0; cut < body.length; cut++) {
        const part = body.subarray(0, cut);
        let theirs: unknown;
        let theirError = false;
        try {
          theirs = asOfficialObject(name, part);
        } catch {
          theirError = true;
        }
        let ours: unknown;
        try {
          ours = codec.decode(part);
        } catch (err) {
          expect(err instanceof RangeError || err instanceof ProtoCodecError, `${name} cut at ${cut}: ${String(err)}`).toBe(true);
          // protobufjs 6 clips a string or bytes field cut short and carries on; we (like protobufjs 8's Reader,
          // which the fallback path uses) reject it, so that is the one case where only ours throws.
          if (!theirError) expect(String(err), `${name} cut at ${cut}`).toMatch(/^RangeError: index out of range/);
          continue;
        }
        // We accept what the official decoder accepts, and more only where a missing required field has a
        // declared default (retType's -400), which this project fills in rather than rejecting.
        if (theirError) expect((ours as { retType?: number }).retType, `${name} cut at ${cut}`).toBe(-400);
        else {
          expect(JSON.stringify(ours, (_k, v) => (typeof v === 'bigint' ? v.toString() : v))).toBe(JSON.stringify(theirs));
          agreed++;
        }
      }
    }
    expect(agreed).toBeGreaterThan(3); // cuts between the optional trailing fields decode on both sides
  });

  it('name the message and field when a required field is missing, on the fast path too', () => {
    const body = Trd_UpdateOrder.Response.encode({ retType: 0, s2c: { header: { trdEnv: 1, accID: 1n, trdMarket: 1 }, order: updateOrder.s2c.order } } as any).finish();
    // The same response with an S2C (field 4) that carries only the header (field 1), not the order (field 2).
    const w = Writer.create();
    w.uint32(8).int32(0);
    w.uint32(34).fork().uint32(10).fork().uint32(8).int32(1).uint32(16).uint32(1).uint32(24).int32(1).ldelim().ldelim();
    expect(Trd_UpdateOrder.Response.decode(body).s2c!.order.code).toBe('00700');
    expect(() => Trd_UpdateOrder.Response.decode(w.finish())).toThrow(/Trd_UpdateOrder\.S2C\.order/);
  });

  it('return ordinary objects: Object.prototype, only the fields on the wire, in wire order', () => {
    const m = Trd_PlaceOrder.Response.decode(Trd_PlaceOrder.Response.encode({ retType: 0, errCode: 5 }).finish());
    expect(Object.getPrototypeOf(m)).toBe(Object.prototype);
    expect(m.constructor).toBe(Object);
    expect(Object.keys(m)).toEqual(['retType', 'errCode']);
    expect(JSON.stringify(m)).toBe('{"retType":0,"errCode":5}');
  });
});

describe('frame SHA-1 check', () => {
  it('compares the digest of the body with the 20 header bytes', () => {
    const body = Buffer.from('some body bytes');
    const frame = encodeFrame({ protoId: 3005, serialNo: 1 }, body);
    expect(sha1Matches(body, frame, 16)).toBe(true);
    for (let i = 0; i < 20; i++) {
      const bad = Buffer.from(frame);
      bad[16 + i] = bad[16 + i]! ^ 0x80;
      expect(sha1Matches(body, bad, 16)).toBe(false);
      expect(() => new FrameDecoder().push(bad)).toThrow(/SHA-1|sha1|hash/i);
    }
    expect(sha1Matches(Buffer.alloc(0), sha1(Buffer.alloc(0)), 0)).toBe(true);
  });
});
