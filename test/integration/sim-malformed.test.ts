// 1,000 malformed frames over raw TCP while a well-behaved (encrypted) client keeps working. Frames the
// decoder cannot accept (bad flag, bad SHA-1, truncated-then-garbage, a body length over the limit, random
// bytes) make the simulator close that socket and count a malformed frame. Frames that are well formed but
// carry a body that is not a valid request, or an unknown protoID, get an error reply and the socket stays open.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Simulator } from '../../gateway-container/simulator/index.js';
import { QuoteApi } from '../../proto/api/quotes.js';
import { generateRsaKeyPem } from '../../proto/crypto.js';
import { encodeFrame, HEADER_SIZE } from '../../proto/frame.js';
import * as Common from '../../proto/generated/Common.js';
import { requestCodec, PROTO_ID } from '../../proto/registry.js';
import { Rng } from '../../proto/seeded-random.js';
import { SIM_MAX_BODY_BYTES } from '../../gateway-container/simulator/server.js';
import { barrier, connectClient, RawClient, sleep, startTestSimulator, type RecordingClient } from './sim-helpers.js';

const TOTAL = 1000;
const WORKERS = 8;

/** Deterministic PRNG (the simulator's mulberry32), so a failure can be replayed. */
function prng(seed: number) {
  const rng = new Rng(seed);
  const next = () => rng.next();
  const int = (lo: number, hi: number) => lo + Math.floor(next() * (hi - lo + 1)); // inclusive
  const bytes = (n: number) => Buffer.from(Array.from({ length: n }, () => int(0, 255)));
  const pick = <T>(xs: readonly T[]): T => xs[int(0, xs.length - 1)]!;
  return { int, bytes, pick };
}

type Kind = 'bad-flag' | 'bad-sha1' | 'truncated-then-garbage' | 'huge-body-len' | 'random-bytes' | 'not-protobuf' | 'unknown-proto';
const CLOSING: readonly Kind[] = ['bad-flag', 'bad-sha1', 'truncated-then-garbage', 'huge-body-len', 'random-bytes'];
const KINDS: readonly Kind[] = [...CLOSING, 'not-protobuf', 'unknown-proto'];

interface Case {
  kind: Kind;
  /** Written one after another (a macrotask apart). */
  parts: Buffer[];
  serialNo?: number;
  protoId?: number;
}

const REQUEST_IDS = [PROTO_ID.GetGlobalState, PROTO_ID.KeepAlive, PROTO_ID.GetUserInfo, PROTO_ID.Trd_GetAccList, PROTO_ID.Trd_GetFunds, PROTO_ID.Trd_PlaceOrder, PROTO_ID.Qot_Sub, PROTO_ID.Qot_GetSubInfo, PROTO_ID.Qot_GetBasicQot, PROTO_ID.Qot_RequestHistoryKL, PROTO_ID.Qot_GetStaticInfo, PROTO_ID.Qot_GetSecuritySnapshot] as const;
/** IDs OpenD never accepts as requests: unassigned numbers, a push, and InitQuantMode (no definition). */
const UNKNOWN_IDS = [0, 999, 1009, 1999, 2208, 3005, 4000, 9999, 65_535, 0x7fffffff];

function validFrame(r: ReturnType<typeof prng>): Buffer {
  const body = requestCodec(PROTO_ID.KeepAlive).encode({ c2s: { time: BigInt(r.int(0, 2_000_000_000)) } }).finish();
  return encodeFrame({ protoId: PROTO_ID.KeepAlive, serialNo: r.int(1, 0xffffffff) }, body);
}

function makeCase(kind: Kind, r: ReturnType<typeof prng>): Case {
  switch (kind) {
    case 'bad-flag': {
      const f = validFrame(r);
      do {
        f[0] = r.int(0, 255);
        f[1] = r.int(0, 255);
      } while (f[0] === 0x46 && f[1] === 0x54);
      return { kind, parts: [f] };
    }
    case 'bad-sha1': {
      const f = validFrame(r);
      // Corrupt either the digest or the body it covers.
      const at = r.int(0, 1) === 0 ? r.int(16, 35) : r.int(HEADER_SIZE, f.length - 1);
      f[at] = f[at]! ^ r.int(1, 255);
      return { kind, parts: [f] };
    }
    case 'truncated-then-garbage': {
      const f = validFrame(r);
      // Keep the body length intact (offset ≥ 16) so that the garbage completes the frame; every byte of it
      // differs from the byte it replaces, so the body can never match its SHA-1 by chance.
      const cut = r.int(16, f.length - 1);
      const rest = Buffer.from(f.subarray(cut).map((b) => b ^ r.int(1, 255)));
      return { kind, parts: [f.subarray(0, cut), Buffer.concat([rest, r.bytes(r.int(0, 64))])] };
    }
    case 'huge-body-len': {
      const h = Buffer.alloc(HEADER_SIZE);
      h.write('FT', 0, 'latin1');
      h.writeUInt32LE(r.pick(REQUEST_IDS), 2);
      h.writeUInt32LE(r.int(1, 0xffffffff), 8);
      h.writeUInt32LE(r.int(SIM_MAX_BODY_BYTES + 1, 0xffffffff), 12);
      r.bytes(20).copy(h, 16);
      return { kind, parts: [h] };
    }
    case 'random-bytes': {
      const b = r.bytes(r.int(2, 300));
      if (b[0] === 0x46) b[0] = 0x47; // never a valid "FT" start
      return { kind, parts: [b] };
    }
    case 'not-protobuf': {
      const protoId = r.pick(REQUEST_IDS);
      const serialNo = r.int(1, 0xffffffff);
      let body: Buffer;
      switch (r.int(0, 2)) {
        case 0: {
          // Field 1 (c2s) announces more bytes than the body holds.
          const tail = r.bytes(r.int(0, 64));
          const len = tail.length + r.int(1, 1_000_000);
          const varint: number[] = [];
          for (let v = len; ; v >>>= 7) {
            if (v < 0x80) {
              varint.push(v);
              break;
            }
            varint.push((v & 0x7f) | 0x80);
          }
          body = Buffer.concat([Buffer.from([0x0a, ...varint]), tail]);
          break;
        }
        case 1:
          body = Buffer.from([0x0a, ...Array.from({ length: r.int(1, 9) }, () => 0x80 | r.int(0, 127))]); // unterminated varint
          break;
        default:
          body = Buffer.alloc(0); // no c2s at all (it is required)
      }
      return { kind, parts: [encodeFrame({ protoId, serialNo }, body)], protoId, serialNo };
    }
    case 'unknown-proto': {
      const protoId = r.pick(UNKNOWN_IDS);
      const serialNo = r.int(1, 0xffffffff);
      return { kind, parts: [encodeFrame({ protoId, serialNo }, r.bytes(r.int(0, 100)))], protoId, serialNo };
    }
  }
}

describe('malformed frames', () => {
  let sim: Simulator;
  const key = generateRsaKeyPem();
  beforeAll(async () => {
    // Plaintext clients are allowed deliberately: the storm's reply sockets and one client after it are plaintext.
    sim = await startTestSimulator({ rsaPrivateKey: key, allowPlainInitConnect: true });
    sim.advance(1_000);
  });
  afterAll(async () => {
    await sim.close();
  });

  it('closes the sockets that send undecodable frames, answers bad requests with errors, and keeps serving everyone else', async () => {
    const r = prng(20250115);
    const cases = Array.from({ length: TOTAL }, (_, i) => makeCase(KINDS[i % KINDS.length]!, r));
    const closingCount = cases.filter((c) => CLOSING.includes(c.kind)).length;

    // A well-behaved encrypted client with a quote subscription and pushes, busy for the whole run.
    const good: RecordingClient = await connectClient(sim, { rsaPrivateKey: key });
    const quotes = new QuoteApi(good);
    await quotes.subscribe(['HK.00700'], ['BASIC'], { push: true, firstPush: false });
    let storming = true;
    let goodRequests = 0;
    const goodLoop: Promise<void> = (async () => {
      for (let i = 0; i < 100_000 && storming; i++) {
        switch (i % 4) {
          case 0:
            await barrier(good);
            break;
          case 1:
            expect((await quotes.basicQuotes('HK.00700'))[0]!.codeKey).toBe('HK.00700');
            break;
          case 2:
            expect((await good.request(PROTO_ID.GetGlobalState, { userID: 0n })).connID).toBe(good.info.connId);
            break;
          default:
            sim.advance(1_000); // market moves: pushes flow while the storm goes on
            expect((await quotes.subInfo()).usedQuota).toBe(1);
        }
        goodRequests++;
        if (i % 16 === 15) await sleep(1); // let the workers' I/O interleave
      }
    })();
    goodLoop.catch(() => undefined); // its failure is reported where it is awaited below

    const stats = { closed: 0, replied: 0 };
    let next = 0;
    const worker = async () => {
      let replySocket: RawClient | undefined;
      try {
        for (let guard = 0; guard < TOTAL && next < cases.length; guard++) {
          const c = cases[next++]!;
          if (CLOSING.includes(c.kind)) {
            const raw = await RawClient.open(sim.host, sim.port);
            for (const [i, part] of c.parts.entries()) {
              if (i > 0) await new Promise((res) => setImmediate(res));
              raw.write(part);
            }
            const closed = await raw.waitForClose(5000);
            raw.destroy();
            expect(closed, `${c.kind}: the simulator should close the socket`).toBe(true);
            expect(raw.frames, `${c.kind}: nothing is answered`).toHaveLength(0);
            stats.closed++;
          } else {
            if (!replySocket || replySocket.closed) {
              replySocket = await RawClient.open(sim.host, sim.port);
              await replySocket.initConnect();
            }
            const before = replySocket.frames.length;
            replySocket.write(c.parts[0]!);
            const frames = await replySocket.waitForFrames(before + 1);
            const reply = frames[before]!;
            expect(replySocket.closed, `${c.kind}: the socket stays open`).toBe(false);
            expect(reply.protoId).toBe(c.protoId);
            expect(reply.serialNo).toBe(c.serialNo);
            if (c.kind === 'not-protobuf') {
              expect(reply.rsp?.retType).toBe(Common.RetType.INVALID);
              expect(reply.rsp?.retMsg).toMatch(/missing|runs past|out of range|undecodable/);
            } else {
              expect(reply.rsp?.retType).toBe(Common.RetType.FAILED);
              expect(reply.rsp?.retMsg).toMatch(/^unknown protocol /);
            }
            stats.replied++;
          }
        }
      } finally {
        replySocket?.destroy();
      }
    };
    try {
      await Promise.all(Array.from({ length: WORKERS }, worker));
    } finally {
      storming = false;
      await goodLoop;
    }

    expect(stats.closed + stats.replied).toBe(TOTAL);
    expect(stats.closed).toBe(closingCount);
    expect(sim.core.stats.malformedFrames).toBe(closingCount);
    expect(goodRequests).toBeGreaterThan(0);
    expect(good.connected).toBe(true);
    expect(good.recorded.filter((p) => p.protoId === PROTO_ID.Qot_UpdateBasicQot).length).toBeGreaterThan(0);

    // A new client after the storm is served normally, encrypted or not.
    const fresh = await connectClient(sim, { rsaPrivateKey: key });
    const plain = await connectClient(sim);
    try {
      expect((await new QuoteApi(fresh).snapshot(['HK.00700', 'US.AAPL'])).map((s) => s.code)).toEqual(['HK.00700', 'US.AAPL']);
      expect((await plain.request(PROTO_ID.GetGlobalState, { userID: 0n })).qotLogined).toBe(true);
      await barrier(good);
    } finally {
      await Promise.all([fresh.close(), plain.close(), good.close()]);
    }
    // Every raw socket is gone on the server side too (bounded wait for the last close events).
    for (let i = 0; i < 100 && sim.core.connections.size > 0; i++) await sleep(20);
    expect(sim.core.connections.size).toBe(0);
  });
});
