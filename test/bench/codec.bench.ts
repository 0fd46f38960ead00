// npm run bench:codec — frames/s for encode + decode (body + 44-byte frame, plain and AES-CBC) of a
// Qot_UpdateBasicQot push and a Trd_PlaceOrder request, ours vs the official futu-api package's own
// protobuf definitions (protobufjs 6 reflection, as its SDK uses them), in the same process.
import { createRequire } from 'node:module';
import { createPacketCipher, PacketEncAlgo, type PacketCipher } from '../../proto/crypto.js';
import { encodeFrame, FrameDecoder } from '../../proto/frame.js';
import { Qot_UpdateBasicQot, Trd_PlaceOrder } from '../../proto/generated/index.js';
import { PROTO_ID } from '../../proto/registry.js';

const require = createRequire(import.meta.url);
// futu-api/proto.js registers its JSON descriptors on protobufjs 6's default root.
require('futu-api/proto.js');
const pb6 = require('futu-api/node_modules/protobufjs/light.js');
const Long = require('long');
const officialRoot = pb6.roots['default'];
const OfficialBasicQot = officialRoot.lookupType('Qot_UpdateBasicQot.Response');
const OfficialPlaceOrder = officialRoot.lookupType('Trd_PlaceOrder.Request');

const basicQot = {
  security: { market: 1, code: '00700' },
  name: 'TENCENT',
  isSuspended: false,
  listTime: '2004-06-16',
  priceSpread: 0.2,
  updateTime: '2026-11-25 10:15:03',
  highPrice: 386.4,
  openPrice: 380,
  lowPrice: 379.2,
  curPrice: 384.6,
  lastClosePrice: 381,
  turnover: 5_412_345_678.5,
  turnoverRate: 0.161,
  amplitude: 1.89,
  listTimestamp: 1087315200,
  updateTimestamp: 1795601703.123,
};
const ours = {
  push: { retType: 0, retMsg: '', errCode: 0, s2c: { basicQotList: [{ ...basicQot, volume: 14_073_210n }] } },
  order: {
    c2s: {
      packetID: { connID: 2233785415175766017n, serialNo: 42 },
      header: { trdEnv: 1, accID: 281756480572583411n, trdMarket: 1 },
      trdSide: 1, orderType: 1, code: '00700', qty: 100, price: 384.6, secMarket: 1, remark: 'coid-7f9a2c', timeInForce: 0,
    },
  },
};
const official = {
  push: { retType: 0, retMsg: '', errCode: 0, s2c: { basicQotList: [{ ...basicQot, volume: Long.fromNumber(14_073_210) }] } },
  order: {
    c2s: {
      packetID: { connID: Long.fromString('2233785415175766017', true), serialNo: 42 },
      header: { trdEnv: 1, accID: Long.fromString('281756480572583411', true), trdMarket: 1 },
      trdSide: 1, orderType: 1, code: '00700', qty: 100, price: 384.6, secMarket: 1, remark: 'coid-7f9a2c', timeInForce: 0,
    },
  },
};

interface Codec {
  encode(m: unknown): Uint8Array;
  decode(b: Uint8Array): unknown;
}
const codecs = {
  ours: {
    push: { encode: (m: any) => Qot_UpdateBasicQot.Response.encode(m).finish(), decode: (b: Uint8Array) => Qot_UpdateBasicQot.Response.decode(b) },
    order: { encode: (m: any) => Trd_PlaceOrder.Request.encode(m).finish(), decode: (b: Uint8Array) => Trd_PlaceOrder.Request.decode(b) },
  },
  official: {
    push: { encode: (m: any) => OfficialBasicQot.encode(m).finish(), decode: (b: Uint8Array) => OfficialBasicQot.decode(b) },
    order: { encode: (m: any) => OfficialPlaceOrder.encode(m).finish(), decode: (b: Uint8Array) => OfficialPlaceOrder.decode(b) },
  },
} satisfies Record<string, Record<string, Codec>>;

function roundTrip(codec: Codec, msg: unknown, protoId: number, cipher: PacketCipher | null, decoder: FrameDecoder): void {
  const frame = encodeFrame({ protoId, serialNo: 1 }, codec.encode(msg), cipher ? (b) => cipher.encrypt(b) : undefined);
  const [f] = decoder.push(frame);
  codec.decode(f!.body);
}

function measure(fn: () => void, minMs = 400): number {
  for (let i = 0; i < 2000; i++) fn(); // warm up
  let n = 0;
  const t0 = process.hrtime.bigint();
  let elapsed = 0;
  while (elapsed < minMs && n < 5_000_000) {
    for (let i = 0; i < 500; i++) fn();
    n += 500;
    elapsed = Number(process.hrtime.bigint() - t0) / 1e6;
  }
  return (n / elapsed) * 1000;
}

const cbc = createPacketCipher(PacketEncAlgo.AES_CBC, 'K3yForAESPacket!', 'IV0123456789abcd');
// Sanity: both sides produce bytes the other can read.
const crossDecoded = Trd_PlaceOrder.Request.decode(codecs.official.order.encode(official.order));
if (crossDecoded.c2s.header.accID !== 281756480572583411n) throw new Error('official encoding did not decode to the same accID');

console.log('bench:codec — encode + frame + decode round trips per second (higher is better)\n');
console.log('message                  mode       ours/s     futu-api/s   ratio (ours ÷ futu-api)');
const rows: { name: string; ratio: number }[] = [];
for (const [name, protoId] of [['Qot_UpdateBasicQot push', PROTO_ID.Qot_UpdateBasicQot], ['Trd_PlaceOrder request', PROTO_ID.Trd_PlaceOrder]] as const) {
  const key = protoId === PROTO_ID.Qot_UpdateBasicQot ? 'push' : 'order';
  for (const mode of ['plain', 'AES-CBC'] as const) {
    const cipher = mode === 'plain' ? null : cbc;
    const mk = () => new FrameDecoder({ decrypt: cipher ? (_h, w) => cipher.decrypt(w) : undefined });
    const d1 = mk();
    const d2 = mk();
    // Interleave five rounds and keep each side's median, so neither side profits from running first.
    const as: number[] = [];
    const bs: number[] = [];
    for (let round = 0; round < 5; round++) {
      as.push(measure(() => roundTrip(codecs.ours[key], ours[key], protoId, cipher, d1)));
      bs.push(measure(() => roundTrip(codecs.official[key], official[key], protoId, cipher, d2)));
    }
    const median = (xs: number[]) => xs.sort((x, y) => x - y)[2]!;
    const a = median(as);
    const b = median(bs);
    rows.push({ name: `${name} ${mode}`, ratio: a / b });
    console.log(`${name.padEnd(24)} ${mode.padEnd(9)} ${Math.round(a).toString().padStart(9)} ${Math.round(b).toString().padStart(12)}   ${(a / b).toFixed(2)}x`);
  }
}
console.log('\nprotobuf only (encode + decode, no frame, no encryption):');
for (const key of ['push', 'order'] as const) {
  const as: number[] = [];
  const bs: number[] = [];
  for (let round = 0; round < 5; round++) {
    as.push(measure(() => codecs.ours[key].decode(codecs.ours[key].encode(ours[key]))));
    bs.push(measure(() => codecs.official[key].decode(codecs.official[key].encode(official[key]))));
  }
  const a = as.sort((x, y) => x - y)[2]!;
  const b = bs.sort((x, y) => x - y)[2]!;
  console.log(`${(key === 'push' ? 'Qot_UpdateBasicQot push' : 'Trd_PlaceOrder request').padEnd(24)} codec     ${Math.round(a).toString().padStart(9)} ${Math.round(b).toString().padStart(12)}   ${(a / b).toFixed(2)}x`);
}
const worst = Math.min(...rows.map((r) => r.ratio));
console.log(`\nslowest ratio: ${worst.toFixed(2)}x ${worst >= 1 ? '(ours is not slower)' : '(ours is SLOWER on at least one case)'}`);
