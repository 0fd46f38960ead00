import { constants, createCipheriv, createPublicKey, publicEncrypt, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createPacketCipher, generateRsaKeyPem, PacketEncAlgo, RsaKey } from '../../proto/crypto.js';
import { CryptoError } from '../../proto/errors.js';

const KEY = 'K3yForAESPacket!';
const IV = 'IV0123456789abcd';

describe('AES-CBC per packet', () => {
  const c = createPacketCipher(PacketEncAlgo.AES_CBC, KEY, IV)!;
  it('round-trips every body length from 0 to 100 with PKCS#7 length rounding', () => {
    for (let n = 0; n <= 100; n++) {
      const plain = randomBytes(n);
      const wire = c.encrypt(plain);
      expect(wire.length).toBe((Math.floor(n / 16) + 1) * 16);
      expect(c.decrypt(wire).equals(plain)).toBe(true);
    }
  });
  it('decrypts large bodies too (the path above 512 bytes)', () => {
    for (const n of [511, 512, 513, 4096, 70_000]) {
      const plain = randomBytes(n);
      expect(c.decrypt(c.encrypt(plain)).equals(plain)).toBe(true);
    }
  });
  it('produces exactly the bytes of standard aes-128-cbc with PKCS#7, for every length 0..100', () => {
    for (let n = 0; n <= 100; n++) {
      const plain = randomBytes(n);
      const std = createCipheriv('aes-128-cbc', Buffer.from(KEY), Buffer.from(IV));
      expect(c.encrypt(plain).equals(Buffer.concat([std.update(plain), std.final()]))).toBe(true);
    }
  });
  it('encrypts each packet independently with the fixed IV', () => {
    const p = Buffer.from('same body');
    expect(c.encrypt(p).equals(c.encrypt(p))).toBe(true);
  });
  it('rejects a body that is not a multiple of 16 or has a wrong key', () => {
    expect(() => c.decrypt(Buffer.alloc(15))).toThrow(CryptoError);
    const other = createPacketCipher(PacketEncAlgo.AES_CBC, 'another16charkey', IV)!;
    let failures = 0;
    for (let i = 0; i < 20; i++) {
      try {
        const out = other.decrypt(c.encrypt(Buffer.from(`payload ${i}`)));
        expect(out.toString()).not.toBe(`payload ${i}`);
      } catch (e) {
        expect(e).toBeInstanceOf(CryptoError);
        failures++;
      }
    }
    expect(failures).toBeGreaterThan(0);
  });
});

describe('FTAES_ECB (Futu modified ECB)', () => {
  const c = createPacketCipher(PacketEncAlgo.FTAES_ECB, KEY)!;
  it('round-trips every body length from 0 to 100', () => {
    for (let n = 0; n <= 100; n++) {
      const plain = randomBytes(n);
      const wire = c.encrypt(plain);
      expect(wire.length).toBe(Math.ceil(n / 16) * 16 + 16);
      expect(c.decrypt(wire).equals(plain)).toBe(true);
    }
  });
  it('appends a plaintext trailer of 15 zero bytes and len % 16', () => {
    const wire = c.encrypt(Buffer.alloc(21, 7));
    const trailer = wire.subarray(wire.length - 16);
    expect([...trailer.subarray(0, 15)]).toEqual(new Array(15).fill(0));
    expect(trailer[15]).toBe(5);
  });
  it('rejects a trailer that announces more than 15 bytes', () => {
    const wire = c.encrypt(Buffer.alloc(5));
    wire[wire.length - 1] = 16;
    expect(() => c.decrypt(wire)).toThrow(CryptoError);
  });
});

describe('RSA for InitConnect', () => {
  const key = RsaKey.fromPem(generateRsaKeyPem());
  it('uses a 1024-bit key: 100-byte chunks become 128-byte blocks', () => {
    expect(key.modulusBytes).toBe(128);
    for (const n of [1, 29, 99, 100, 101, 200, 250]) {
      const plain = randomBytes(n);
      const wire = key.encrypt(plain);
      expect(wire.length).toBe(Math.ceil(n / 100) * 128);
      expect(key.decrypt(wire).equals(plain)).toBe(true);
    }
  });
  it('generates a PKCS#1 PEM at run time', () => {
    expect(generateRsaKeyPem()).toMatch(/^-----BEGIN RSA PRIVATE KEY-----/);
  });
  it('fails with CryptoError for another key, a truncated body, or a non-key', () => {
    const other = RsaKey.fromPem(generateRsaKeyPem());
    expect(() => other.decrypt(key.encrypt(Buffer.from('secret')))).toThrow(CryptoError);
    expect(() => key.decrypt(Buffer.alloc(100))).toThrow(CryptoError);
    expect(() => RsaKey.fromPem('not a key')).toThrow(CryptoError);
  });
});

describe('RSA decryption with implicit rejection (the simulator side of InitConnect)', () => {
  const pem = generateRsaKeyPem();
  const key = RsaKey.fromPem(pem);
  const k = key.modulusBytes;
  const rawBlock = (block: Buffer) => publicEncrypt({ key: createPublicKey(pem), padding: constants.RSA_NO_PADDING }, block);
  const modulus = Buffer.from(createPublicKey(pem).export({ format: 'jwk' }).n!, 'base64url');

  it('returns the plaintext and ok for every length a client sends', () => {
    for (const n of [0, 1, 29, 100, 101, 250]) {
      const plain = randomBytes(n);
      const r = key.decryptImplicit(key.encrypt(plain));
      expect(r.ok).toBe(true);
      expect(r.plain.equals(plain)).toBe(true);
    }
  });

  it('never throws: bad padding, c = n, c > n, another key, a short separator and random bytes all give ok = false', () => {
    const sevenPad = Buffer.concat([Buffer.from([0, 2]), Buffer.alloc(7, 0x55), Buffer.from([0]), Buffer.alloc(k - 10, 0x41)]);
    const noSeparator = Buffer.concat([Buffer.from([0, 2]), Buffer.alloc(k - 2, 0x55)]);
    const type1 = Buffer.concat([Buffer.from([0, 1]), Buffer.alloc(k - 12, 0xff), Buffer.from([0]), Buffer.alloc(9, 0x41)]);
    const bad: Record<string, Buffer> = {
      'type 1 padding': rawBlock(type1),
      'padding string of 7 bytes': rawBlock(sevenPad),
      'no separator': rawBlock(noSeparator),
      'c = n': modulus,
      'c > n': Buffer.alloc(k, 0xff),
      'another key': RsaKey.fromPem(generateRsaKeyPem()).encrypt(Buffer.from('InitConnect')),
      random: randomBytes(k),
    };
    for (const [name, wire] of Object.entries(bad)) {
      const r = key.decryptImplicit(wire);
      expect(r.ok, name).toBe(false);
      expect(r.plain.length, name).toBeLessThanOrEqual(k - 11);
    }
  });

  it('answers a rejected ciphertext with a message that depends only on the ciphertext and the key', () => {
    const c = Buffer.alloc(k, 0xff);
    const a = key.decryptImplicit(c).plain;
    expect(key.decryptImplicit(Buffer.from(c)).plain.equals(a)).toBe(true);
    expect(RsaKey.fromPem(pem).decryptImplicit(c).plain.equals(a)).toBe(true);
    const c2 = Buffer.from(c);
    c2[k - 1] = 0xfe;
    expect(key.decryptImplicit(c2).plain.equals(a)).toBe(false);
    expect(RsaKey.fromPem(generateRsaKeyPem()).decryptImplicit(c).plain.equals(a)).toBe(false);
  });

  it('rejects a multi-block body when any block is bad, and a body that is not whole blocks', () => {
    const good = key.encrypt(randomBytes(150));
    expect(key.decryptImplicit(good).ok).toBe(true);
    expect(key.decryptImplicit(Buffer.concat([good.subarray(0, k), Buffer.alloc(k, 0xff)])).ok).toBe(false);
    expect(key.decryptImplicit(good.subarray(0, k + 1)).ok).toBe(false);
    expect(key.decryptImplicit(Buffer.alloc(0)).ok).toBe(false);
  });
});

describe('createPacketCipher', () => {
  it('returns null for NONE and explains unknown algorithms and bad key sizes', () => {
    expect(createPacketCipher(PacketEncAlgo.NONE, KEY)).toBeNull();
    expect(() => createPacketCipher(9, KEY)).toThrow(/allowed: -1/);
    expect(() => createPacketCipher(PacketEncAlgo.AES_CBC, 'short', IV)).toThrow(/16 bytes/);
  });
  it('round-trips standard AES-ECB', () => {
    const c = createPacketCipher(PacketEncAlgo.AES_ECB, KEY)!;
    for (let n = 0; n <= 40; n++) {
      const p = randomBytes(n);
      expect(c.decrypt(c.encrypt(p)).equals(p)).toBe(true);
    }
  });
});
