import { createCipheriv, randomBytes } from 'node:crypto';
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
