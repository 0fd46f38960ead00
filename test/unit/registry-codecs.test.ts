// Codecs are opt-in per protocol (proto/registry.ts): a process holds only the codecs some module registered,
// an unregistered protocol fails with an error naming it, and a package is filed under the ID its own Response
// names. This file imports no API module up front, so the registry starts with none of the protocols used here.
import { describe, expect, it } from 'vitest';
import * as Qot_Common from '../../proto/generated/Qot_Common.js';
import * as Qot_GetKL from '../../proto/generated/Qot_GetKL.js';
import * as Qot_UpdateBasicQot from '../../proto/generated/Qot_UpdateBasicQot.js';
import * as Qot_UpdateKL from '../../proto/generated/Qot_UpdateKL.js';
import * as Trd_PlaceOrder from '../../proto/generated/Trd_PlaceOrder.js';
import { hasCodecs, PROTO_ID, registerCodecs, requestCodec, requestEncoder, responseCodec, responseDecoder } from '../../proto/registry.js';

describe('codec registration', () => {
  it('refuses a protocol whose codecs nobody registered, naming it and how to register it', () => {
    expect(hasCodecs(PROTO_ID.Qot_GetKL)).toBe(false);
    expect(() => requestCodec(PROTO_ID.Qot_GetKL)).toThrow(/no codecs registered for Qot_GetKL \(3006\).*registerCodecs.*all-codecs/);
    expect(() => responseCodec(PROTO_ID.Qot_GetKL)).toThrow(/Qot_GetKL/);
  });

  it('files a package under the ID its Response names, so the codecs round-trip', () => {
    registerCodecs(Qot_GetKL);
    expect(hasCodecs(3006)).toBe(true);
    const c2s = { rehabType: 1, klType: 2, security: { market: 1, code: '00700' }, reqNum: 3 };
    const bytes = requestCodec(PROTO_ID.Qot_GetKL).encode({ c2s }).finish();
    expect(requestCodec(PROTO_ID.Qot_GetKL).decode(bytes)).toEqual({ c2s });
    expect(responseCodec(PROTO_ID.Qot_GetKL).typeName).toBe('Qot_GetKL.Response');
  });

  it('rejects a package that is not a protocol of the ProtoID table', () => {
    expect(() => registerCodecs({ Response: Qot_Common.Security })).toThrow(/Qot_Common\.Security is not the Response of a protocol/);
  });

  it('gives a push a Response codec but no Request', () => {
    registerCodecs(Qot_UpdateKL);
    expect(responseCodec(PROTO_ID.Qot_UpdateKL).typeName).toBe('Qot_UpdateKL.Response');
    expect(() => requestCodec(PROTO_ID.Qot_UpdateKL as never)).toThrow(/Qot_UpdateKL \(3007\) is a push/);
  });

  it('registers the protocols an API module sends when the module is imported', async () => {
    expect(hasCodecs(PROTO_ID.Trd_PlaceOrder)).toBe(false);
    await import('../../proto/api/trading.js');
    expect(hasCodecs(PROTO_ID.Trd_PlaceOrder)).toBe(true);
    // Only the client side: what a Lambda's client sends and receives, so its bundle keeps one direction only.
    const c2s = {
      packetID: { connID: 2n ** 63n + 5n, serialNo: 7 }, header: { trdEnv: 1, accID: 281756480572583411n, trdMarket: 1 },
      trdSide: 1, orderType: 1, code: '00700', qty: 100, price: 384.6,
    };
    const body = requestEncoder(PROTO_ID.Trd_PlaceOrder)({ c2s });
    expect(Trd_PlaceOrder.Request.decode(body)).toEqual({ c2s });
    const rsp = { retType: 0, s2c: { header: c2s.header, orderID: 7613829410364872911n, orderIDEx: 'x-1' } };
    expect(responseDecoder(PROTO_ID.Trd_PlaceOrder)(Trd_PlaceOrder.Response.encode(rsp).finish())).toEqual(rsp);
    expect(() => requestCodec(PROTO_ID.Trd_PlaceOrder)).toThrow(/only the client side of Trd_PlaceOrder \(2202\) is registered.*all-codecs/);
    registerCodecs(Trd_PlaceOrder);
    expect(requestCodec(PROTO_ID.Trd_PlaceOrder).typeName).toBe('Trd_PlaceOrder.Request');
  });

  it('gives a push\'s client side a Response decoder but no Request encoder', () => {
    registerCodecs(Qot_UpdateBasicQot.clientCodec);
    expect(hasCodecs(PROTO_ID.Qot_UpdateBasicQot)).toBe(true);
    expect(() => requestEncoder(PROTO_ID.Qot_UpdateBasicQot as never)).toThrow(/Qot_UpdateBasicQot \(3005\) is a push/);
    const rsp = { retType: 0, s2c: { basicQotList: [] } };
    expect(responseDecoder(PROTO_ID.Qot_UpdateBasicQot)(Qot_UpdateBasicQot.Response.encode(rsp).finish())).toEqual(rsp);
  });
});
