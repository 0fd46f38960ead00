import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createPacketCipher, PacketEncAlgo } from '../../proto/crypto.js';
import { BadHeaderFlagError, BodyHashMismatchError, BodyTooLargeError, FrameError } from '../../proto/errors.js';
import { decodeHeader, encodeFrame, FrameDecoder, HEADER_SIZE, sha1, type Frame } from '../../proto/frame.js';
import { PROTO_ID } from '../../proto/registry.js';

function seeded(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('frame header', () => {
  it('lays out the 44-byte little-endian header byte by byte', () => {
    const body = Buffer.from('hello opend');
    const f = encodeFrame({ protoId: 0x01020304, serialNo: 0xa1b2c3d4, protoFmtType: 0, protoVer: 0 }, body);
    expect(HEADER_SIZE).toBe(44);
    expect(f.length).toBe(44 + body.length);
    expect([...f.subarray(0, 2)]).toEqual([0x46, 0x54]);
    expect([...f.subarray(2, 6)]).toEqual([0x04, 0x03, 0x02, 0x01]);
    expect(f[6]).toBe(0);
    expect(f[7]).toBe(0);
    expect([...f.subarray(8, 12)]).toEqual([0xd4, 0xc3, 0xb2, 0xa1]);
    expect([...f.subarray(12, 16)]).toEqual([body.length, 0, 0, 0]);
    expect(f.subarray(16, 36).equals(sha1(body))).toBe(true);
    expect([...f.subarray(36, 44)]).toEqual([0, 0, 0, 0, 0, 0, 0, 0]);
    expect(f.subarray(44).equals(body)).toBe(true);
  });

  it('writes the JSON format byte and version byte', () => {
    const f = encodeFrame({ protoId: PROTO_ID.InitConnect, serialNo: 1, protoFmtType: 1, protoVer: 0 }, Buffer.from('{}'));
    expect(f[6]).toBe(1);
    expect(decodeHeader(f)).toMatchObject({ protoId: PROTO_ID.InitConnect, protoFmtType: 1, protoVer: 0, serialNo: 1, bodyLen: 2 });
  });

  it('hashes the plaintext while bodyLen counts the encrypted bytes', () => {
    const cipher = createPacketCipher(PacketEncAlgo.AES_CBC, '0123456789abcdef', 'fedcba9876543210')!;
    const plain = Buffer.from('GetGlobalState body');
    const f = encodeFrame({ protoId: PROTO_ID.GetGlobalState, serialNo: 7 }, plain, (b) => cipher.encrypt(b));
    const h = decodeHeader(f);
    expect(h.bodyLen).toBe(32);
    expect(h.bodyLen).not.toBe(plain.length);
    expect(h.bodySha1.equals(sha1(plain))).toBe(true);
    expect(h.bodySha1.equals(sha1(f.subarray(44)))).toBe(false);
    const dec = new FrameDecoder({ decrypt: (_h, wire) => cipher.decrypt(wire) });
    const [frame] = dec.push(f);
    expect(frame!.body.equals(plain)).toBe(true);
  });
});

describe('FrameDecoder', () => {
  const frames = [
    encodeFrame({ protoId: PROTO_ID.InitConnect, serialNo: 1 }, Buffer.from('a')),
    encodeFrame({ protoId: PROTO_ID.Qot_UpdateBasicQot, serialNo: 0 }, randomBytes(300)),
    encodeFrame({ protoId: PROTO_ID.KeepAlive, serialNo: 2 }, Buffer.alloc(0)),
    encodeFrame({ protoId: PROTO_ID.Trd_UpdateOrder, serialNo: 3 }, randomBytes(70)),
  ];
  const stream = Buffer.concat(frames);
  const simplify = (fs: Frame[]) => fs.map((f) => ({ id: f.protoId, serial: f.serialNo, body: f.body.toString('hex') }));
  const expected = simplify(new FrameDecoder().push(stream));

  it('decodes coalesced frames in one chunk', () => {
    expect(expected.map((f) => f.id)).toEqual([PROTO_ID.InitConnect, PROTO_ID.Qot_UpdateBasicQot, PROTO_ID.KeepAlive, PROTO_ID.Trd_UpdateOrder]);
  });

  it('gives identical results when the stream is split at every byte offset', () => {
    for (let cut = 0; cut <= stream.length; cut++) {
      const d = new FrameDecoder();
      const got = [...d.push(stream.subarray(0, cut)), ...d.push(stream.subarray(cut))];
      expect(simplify(got)).toEqual(expected);
      expect(d.bufferedBytes).toBe(0);
    }
  });

  it('assembles a 4 MiB body that arrives in 1,000-byte chunks, followed by another frame', () => {
    const big = randomBytes(4 * 1024 * 1024);
    const stream2 = Buffer.concat([encodeFrame({ protoId: PROTO_ID.Qot_GetStaticInfo, serialNo: 9 }, big), frames[0]!]);
    const d = new FrameDecoder();
    const got: Frame[] = [];
    for (let off = 0; off < stream2.length; off += 1000) {
      got.push(...d.push(stream2.subarray(off, off + 1000)));
      if (got.length === 0) expect(d.bufferedBytes).toBe(Math.min(off + 1000, stream2.length));
    }
    expect(got.map((f) => f.protoId)).toEqual([PROTO_ID.Qot_GetStaticInfo, PROTO_ID.InitConnect]);
    expect(got[0]!.body.equals(big)).toBe(true);
    expect(d.bufferedBytes).toBe(0);
  });

  it('gives identical results when fed one byte at a time', () => {
    const d = new FrameDecoder();
    const got: Frame[] = [];
    for (let i = 0; i < stream.length; i++) got.push(...d.push(stream.subarray(i, i + 1)));
    expect(simplify(got)).toEqual(expected);
  });

  it('rejects a bad header flag with BadHeaderFlagError', () => {
    const bad = Buffer.from(frames[0]!);
    bad[0] = 0x47;
    expect(() => new FrameDecoder().push(bad)).toThrow(BadHeaderFlagError);
  });

  it('rejects a body whose SHA-1 does not match with BodyHashMismatchError', () => {
    const bad = Buffer.from(frames[1]!);
    bad[50] = bad[50]! ^ 0xff;
    expect(() => new FrameDecoder().push(bad)).toThrow(BodyHashMismatchError);
  });

  it('rejects a body over the configured limit before buffering it', () => {
    const d = new FrameDecoder({ maxBodyBytes: 100 });
    const err = (() => {
      try {
        d.push(frames[1]!.subarray(0, 44));
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(BodyTooLargeError);
    expect((err as BodyTooLargeError).bodyLen).toBe(300);
    expect(new FrameDecoder().maxBodyBytes).toBe(64 * 1024 * 1024);
  });

  it('hands frames over one at a time so that a frame can switch on decryption for the next one in the same chunk', () => {
    const cipher = createPacketCipher(PacketEncAlgo.AES_CBC, '0123456789abcdef', 'fedcba9876543210')!;
    const reply = encodeFrame({ protoId: PROTO_ID.InitConnect, serialNo: 1 }, Buffer.from('init reply'));
    const notify = encodeFrame({ protoId: PROTO_ID.Notify, serialNo: 2 }, Buffer.from('encrypted notify'), (b) => cipher.encrypt(b));
    let aes = false;
    const d = new FrameDecoder({ decrypt: (_h, wire) => (aes ? cipher.decrypt(wire) : wire) });
    const seen: string[] = [];
    d.push(Buffer.concat([reply, notify]), (f) => {
      seen.push(f.body.toString());
      if (f.protoId === PROTO_ID.InitConnect) aes = true;
    });
    expect(seen).toEqual(['init reply', 'encrypted notify']);
  });

  it('stays failed after an error so the connection gets closed', () => {
    const d = new FrameDecoder();
    expect(() => d.push(Buffer.from('XXXX'))).toThrow(FrameError);
    expect(() => d.push(frames[0]!)).toThrow(FrameError);
  });

  it('turns 100,000 random byte strings into frames or typed errors only', () => {
    const rnd = seeded(42);
    let typed = 0;
    let ok = 0;
    for (let i = 0; i < 100_000; i++) {
      const len = Math.floor(rnd() * 120);
      const b = Buffer.allocUnsafe(len);
      for (let j = 0; j < len; j++) b[j] = Math.floor(rnd() * 256);
      // Half of them start with a valid flag so that the length and hash paths are reached too.
      if (i % 2 === 0 && len >= 2) {
        b[0] = 0x46;
        b[1] = 0x54;
        if (len >= 16 && i % 4 === 0) b.writeUInt32LE(len - 44 > 0 ? len - 44 : 0, 12);
      }
      const d = new FrameDecoder({ maxBodyBytes: 1 << 20 });
      try {
        d.push(b);
        ok++;
      } catch (e) {
        expect(e).toBeInstanceOf(FrameError);
        typed++;
      }
    }
    expect(typed + ok).toBe(100_000);
    expect(typed).toBeGreaterThan(50_000);
  });
});
