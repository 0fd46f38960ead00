// Encryption of OpenD traffic, node:crypto only.
// - RSA (InitConnect request and reply): PKCS#1 v1.5, plaintext in chunks of at most 100 bytes, each
//   encrypted with the public half into one modulus-sized block (128 bytes for the 1024-bit keys OpenD uses).
//   Both sides hold the same private key file.
// - Per-packet AES after InitConnect: AES-128-CBC with the fixed IV from InitConnect and PKCS#7 padding, every
//   packet independently; or Futu's modified ECB (FTAES_ECB): zero padding plus a plaintext 16-byte trailer
//   whose last byte is len % 16.
import { constants, createCipheriv, createDecipheriv, createHash, createHmac, createPrivateKey, createPublicKey, generateKeyPairSync, privateDecrypt, publicEncrypt, randomBytes, type Cipher, type Decipher, type KeyObject } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { CryptoError } from './errors.js';

/** Common.PacketEncAlgo */
export const PacketEncAlgo = { FTAES_ECB: 0, NONE: -1, AES_ECB: 1, AES_CBC: 2 } as const;
export type PacketEncAlgo = (typeof PacketEncAlgo)[keyof typeof PacketEncAlgo];

const RSA_PLAIN_CHUNK = 100;

export class RsaKey {
  readonly modulusBytes: number;
  /** n, big-endian, exactly modulusBytes long (its top byte is non-zero: the bit length is a multiple of 8). */
  private readonly modulus: Buffer;
  /** Key of the implicit-rejection PRF: derived from the private exponent, so only the key holder knows it. */
  private readonly rejectionKey: Buffer;
  private constructor(
    private readonly privateKey: KeyObject,
    private readonly publicKey: KeyObject,
  ) {
    const bits = privateKey.asymmetricKeyDetails?.modulusLength ?? 0;
    this.modulusBytes = bits / 8;
    const jwk = privateKey.export({ format: 'jwk' });
    this.modulus = Buffer.from(jwk.n!, 'base64url');
    this.rejectionKey = createHash('sha256').update('opend-rsa-implicit-rejection').update(Buffer.from(jwk.d!, 'base64url')).digest();
  }

  /** Accepts PKCS#1 ("BEGIN RSA PRIVATE KEY") or PKCS#8 PEM, unencrypted. */
  static fromPem(pem: string | Buffer): RsaKey {
    let key: KeyObject;
    try {
      key = createPrivateKey({ key: pem, format: 'pem' });
    } catch (err) {
      throw new CryptoError(`not a readable RSA private key (PEM, no passphrase): ${(err as Error).message}`);
    }
    if (key.asymmetricKeyType !== 'rsa') throw new CryptoError(`expected an RSA private key, got ${key.asymmetricKeyType}`);
    const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
    if (bits < 1024 || bits % 8 !== 0) throw new CryptoError(`RSA key must be at least 1024 bits (OpenD uses 1024), got ${bits}`);
    return new RsaKey(key, createPublicKey(key));
  }

  /** Encrypts with the public half, 100-byte chunks → modulus-sized blocks. */
  encrypt(plain: Buffer): Buffer {
    const count = Math.max(1, Math.ceil(plain.length / RSA_PLAIN_CHUNK));
    const blocks: Buffer[] = [];
    for (let i = 0; i < count; i++) {
      const chunk = plain.subarray(i * RSA_PLAIN_CHUNK, (i + 1) * RSA_PLAIN_CHUNK);
      blocks.push(publicEncrypt({ key: this.publicKey, padding: constants.RSA_PKCS1_PADDING }, chunk));
    }
    return Buffer.concat(blocks);
  }

  /**
   * Decrypts modulus-sized blocks with the private half and strips PKCS#1 v1.5 type-2 padding; throws on any
   * failure. For the client (it decrypts OpenD's reply, which no attacker can probe through it); a server that
   * answers arbitrary peers uses decryptImplicit.
   */
  decrypt(wire: Buffer): Buffer {
    const k = this.modulusBytes;
    if (wire.length === 0 || wire.length % k !== 0) throw new CryptoError(`RSA body of ${wire.length} bytes is not a whole number of ${k}-byte blocks`);
    const parts: Buffer[] = [];
    for (let off = 0; off < wire.length; off += k) {
      // Node 20 refuses RSA_PKCS1_PADDING for private decryption (CVE-2023-46809), so the raw RSA
      // operation is done here and the padding is checked by hand.
      let raw: Buffer;
      try {
        raw = privateDecrypt({ key: this.privateKey, padding: constants.RSA_NO_PADDING }, wire.subarray(off, off + k));
      } catch {
        throw new CryptoError('RSA block could not be decrypted with this key');
      }
      parts.push(stripPkcs1Type2(raw));
    }
    return Buffer.concat(parts);
  }

  /**
   * Server-side decryption with implicit rejection: every ciphertext costs the same work and yields a message.
   * `ok` is false when any block was not a PKCS#1 v1.5 type-2 block under this key (including c ≥ n); the
   * message is then a pseudo-random one derived from the ciphertext and a secret only this key holds, so a
   * peer learns nothing about why a ciphertext failed (no Bleichenbacher padding oracle, no timing tell: the
   * raw RSA operation always runs, c ≥ n included, and the padding is checked without data-dependent branches).
   * The caller must treat `ok === false` exactly like any later failure of the message (wrong SHA-1, bad
   * protobuf) and must not branch on it before that point.
   */
  decryptImplicit(wire: Buffer): { plain: Buffer; ok: boolean } {
    const k = this.modulusBytes;
    // The length of the ciphertext is public: a body that is no whole number of blocks needs no secrecy.
    if (wire.length === 0 || wire.length % k !== 0) return { plain: this.syntheticMessage(wire).subarray(0, 0), ok: false };
    const parts: Buffer[] = [];
    let ok = 1;
    for (let off = 0; off < wire.length; off += k) {
      const r = this.decryptBlockImplicit(wire.subarray(off, off + k));
      ok &= r.ok;
      parts.push(r.plain);
    }
    return { plain: parts.length === 1 ? parts[0]! : Buffer.concat(parts), ok: ok === 1 };
  }

  private decryptBlockImplicit(block: Buffer): { plain: Buffer; ok: number } {
    const k = this.modulusBytes;
    const n = this.modulus;
    // c < n, compared from the most significant byte without early exit.
    let lt = 0;
    let eq = 1;
    for (let i = 0; i < k; i++) {
      const a = block[i]!;
      const b = n[i]!;
      lt |= eq & (((a - b) >>> 31) & 1);
      eq &= (((a ^ b) - 1) >>> 31) & 1;
    }
    // OpenSSL refuses c ≥ n at once (measurably faster); such a block is replaced by itself with its top byte
    // cleared, which is < n, so the private-key operation runs for every block.
    const ltMask = -lt & 0xff;
    const input = Buffer.allocUnsafe(k);
    input[0] = block[0]! & ltMask;
    block.copy(input, 1, 1);
    const raw = privateDecrypt({ key: this.privateKey, padding: constants.RSA_NO_PADDING }, input);
    // 00 02 PS(≥ 8 non-zero bytes) 00 M, checked branch-free: sep is the index of the first zero after byte 1.
    let sep = 0;
    let found = 0;
    for (let i = 2; i < k; i++) {
      const isZero = ((raw[i]! - 1) >>> 31) & 1;
      const take = isZero & (found ^ 1);
      sep |= -take & i;
      found |= isZero;
    }
    const good =
      lt &
      ((((raw[0]! ^ 0) - 1) >>> 31) & 1) &
      ((((raw[1]! ^ 2) - 1) >>> 31) & 1) &
      found &
      (((9 - sep) >>> 31) & 1);
    const synthetic = this.syntheticMessage(block);
    const synLen = ((synthetic[0]! << 8) | synthetic[1]!) % (k - 10); // 0 .. k - 11, like a real message
    const m = -good;
    // Both candidates sit right-aligned in a k-byte buffer; the message is its last `len` bytes.
    const out = Buffer.allocUnsafe(k);
    for (let i = 0; i < k; i++) out[i] = (raw[i]! & m) | (synthetic[i]! & ~m);
    const len = ((k - 1 - sep) & m) | (synLen & ~m);
    return { plain: out.subarray(k - len), ok: good };
  }

  /** k pseudo-random bytes determined by the ciphertext and the rejection key (HMAC-SHA256 in counter mode). */
  private syntheticMessage(ciphertext: Buffer): Buffer {
    const k = this.modulusBytes;
    const out = Buffer.allocUnsafe(Math.ceil(k / 32) * 32);
    for (let i = 0; i * 32 < k; i++) createHmac('sha256', this.rejectionKey).update(Buffer.of(i)).update(ciphertext).digest().copy(out, i * 32);
    return out.subarray(0, k);
  }
}

function stripPkcs1Type2(block: Buffer): Buffer {
  let sep = -1;
  for (let i = 2; i < block.length; i++) {
    if (block[i] === 0 && sep < 0) sep = i;
  }
  if (block[0] !== 0 || block[1] !== 2 || sep < 10) throw new CryptoError('RSA block could not be decrypted with this key');
  return block.subarray(sep + 1);
}

/** A fresh 1024-bit RSA key as PKCS#1 PEM, for local runs and tests (never committed). */
export function generateRsaKeyPem(): string {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 1024 });
  return privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
}

/**
 * The PEM in `path`, generated there first (folder 0700, file 0600) when the file does not exist yet; the
 * file is kept at 0600 either way, since the same key lets anyone talk to OpenD.
 */
export function ensureRsaKeyFile(path: string): { pem: string; created: boolean } {
  const created = !existsSync(path);
  if (created) {
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    writeFileSync(path, generateRsaKeyPem(), { mode: 0o600 });
  }
  chmodSync(path, 0o600);
  return { pem: readFileSync(path, 'utf8'), created };
}

export interface PacketCipher {
  readonly algo: PacketEncAlgo;
  encrypt(plain: Buffer): Buffer;
  decrypt(wire: Buffer): Buffer;
}

function keyBytes(key: string | Buffer, what: string): Buffer {
  const b = typeof key === 'string' ? Buffer.from(key, 'latin1') : key;
  if (b.length !== 16) throw new CryptoError(`${what} must be 16 bytes, got ${b.length}`);
  return b;
}

/** Bodies up to this size are decrypted through the shared ECB decipher (see AesCbcCipher.decrypt). */
const SMALL_CBC_BODY = 512;

/** AES-128-CBC with PKCS#7, every packet on its own with the same IV. */
class AesCbcCipher implements PacketCipher {
  readonly algo = PacketEncAlgo.AES_CBC;
  private readonly ecb: Decipher;
  /**
   * One long-lived CBC encryptor instead of a createCipheriv per packet (which costs more than encrypting a
   * typical request). Its chaining state runs on from packet to packet, so every packet is preceded by a reset
   * block R = D(IV) xor chain: the cipher turns it into E(R xor chain) = IV, which it then chains on exactly
   * as a fresh cipher with the fixed IV would. The reset block's output is dropped; the bytes sent are those
   * of standard AES-128-CBC with the fixed IV and PKCS#7 (the unit tests compare them).
   */
  private readonly cbc: Cipher;
  /** D_K(IV), the block that AES encrypts to the IV. */
  private readonly ivPreimage: Buffer;
  /** The chaining value of `cbc`: the last ciphertext block it produced (the IV before the first packet). */
  private readonly chain: Buffer;
  constructor(
    private readonly key: Buffer,
    private readonly iv: Buffer,
  ) {
    this.ecb = createDecipheriv('aes-128-ecb', key, null).setAutoPadding(false);
    this.ivPreimage = this.ecb.update(iv);
    this.cbc = createCipheriv('aes-128-cbc', key, iv).setAutoPadding(false);
    this.chain = Buffer.from(iv);
  }
  encrypt(plain: Buffer): Buffer {
    const pad = 16 - (plain.length % 16);
    const input = Buffer.allocUnsafe(16 + plain.length + pad);
    const pre = this.ivPreimage;
    const chain = this.chain;
    for (let i = 0; i < 16; i++) input[i] = pre[i]! ^ chain[i]!;
    plain.copy(input, 16);
    input.fill(pad, 16 + plain.length);
    const out = this.cbc.update(input);
    out.copy(chain, 0, out.length - 16);
    return out.subarray(16);
  }
  decrypt(wire: Buffer): Buffer {
    if (wire.length === 0 || wire.length % 16 !== 0) throw new CryptoError(`AES-CBC body of ${wire.length} bytes is not a non-empty multiple of 16`);
    if (wire.length > SMALL_CBC_BODY) return this.decryptLarge(wire);
    // Small packets (most of them): CBC decryption is ECB plus an XOR with the previous ciphertext block, and
    // one long-lived ECB decipher (stateless per block without padding) is cheaper than a createDecipheriv.
    const out = this.ecb.update(wire);
    // The XOR reads the previous ciphertext block in place (a subarray per block would cost more than the XOR).
    const iv = this.iv;
    for (let i = 0; i < 16; i++) out[i] = out[i]! ^ iv[i]!;
    for (let i = 16; i < out.length; i++) out[i] = out[i]! ^ wire[i - 16]!;
    const pad = out[out.length - 1]!;
    let bad = pad < 1 || pad > 16;
    for (let i = out.length - Math.min(Math.max(pad, 1), 16); i < out.length; i++) bad ||= out[i] !== pad;
    if (bad) throw new CryptoError('AES-CBC body could not be decrypted (wrong key or bad padding)');
    return out.subarray(0, out.length - pad);
  }
  private decryptLarge(wire: Buffer): Buffer {
    try {
      const d = createDecipheriv('aes-128-cbc', this.key, this.iv);
      return Buffer.concat([d.update(wire), d.final()]);
    } catch {
      throw new CryptoError('AES-CBC body could not be decrypted (wrong key or bad padding)');
    }
  }
}

class FtAesEcbCipher implements PacketCipher {
  readonly algo = PacketEncAlgo.FTAES_ECB;
  constructor(private readonly key: Buffer) {}
  encrypt(plain: Buffer): Buffer {
    const mod = plain.length % 16;
    const padded = mod === 0 ? plain : Buffer.concat([plain, Buffer.alloc(16 - mod)]);
    const c = createCipheriv('aes-128-ecb', this.key, null).setAutoPadding(false);
    const trailer = Buffer.alloc(16);
    trailer[15] = mod;
    return Buffer.concat([c.update(padded), c.final(), trailer]);
  }
  decrypt(wire: Buffer): Buffer {
    if (wire.length < 16 || wire.length % 16 !== 0) throw new CryptoError(`FTAES_ECB body of ${wire.length} bytes is not a multiple of 16 with a trailer`);
    const mod = wire[wire.length - 1]!;
    if (mod > 15) throw new CryptoError(`FTAES_ECB trailer says ${mod} bytes in the last block; must be 0..15`);
    const d = createDecipheriv('aes-128-ecb', this.key, null).setAutoPadding(false);
    const plain = Buffer.concat([d.update(wire.subarray(0, wire.length - 16)), d.final()]);
    if (mod === 0) return plain;
    if (plain.length < 16) throw new CryptoError('FTAES_ECB trailer announces a partial block but the body is empty');
    return plain.subarray(0, plain.length - (16 - mod));
  }
}

/** Standard AES-ECB with PKCS#7 (algo 1; no SDK uses it and its padding is undocumented). */
class AesEcbCipher implements PacketCipher {
  readonly algo = PacketEncAlgo.AES_ECB;
  constructor(private readonly key: Buffer) {}
  encrypt(plain: Buffer): Buffer {
    const c = createCipheriv('aes-128-ecb', this.key, null);
    return Buffer.concat([c.update(plain), c.final()]);
  }
  decrypt(wire: Buffer): Buffer {
    try {
      const d = createDecipheriv('aes-128-ecb', this.key, null);
      return Buffer.concat([d.update(wire), d.final()]);
    } catch {
      throw new CryptoError('AES-ECB body could not be decrypted (wrong key or bad padding)');
    }
  }
}

export function createPacketCipher(algo: number, key: string | Buffer, iv?: string | Buffer): PacketCipher | null {
  switch (algo) {
    case PacketEncAlgo.NONE:
      return null;
    case PacketEncAlgo.AES_CBC:
      if (iv === undefined) throw new CryptoError('AES-CBC needs the aesCBCiv from InitConnect');
      return new AesCbcCipher(keyBytes(key, 'connAESKey'), keyBytes(iv, 'aesCBCiv'));
    case PacketEncAlgo.FTAES_ECB:
      return new FtAesEcbCipher(keyBytes(key, 'connAESKey'));
    case PacketEncAlgo.AES_ECB:
      return new AesEcbCipher(keyBytes(key, 'connAESKey'));
    default:
      throw new CryptoError(`unknown packetEncAlgo ${algo}; allowed: -1 (none), 0 (FTAES_ECB), 1 (AES_ECB), 2 (AES_CBC)`);
  }
}

const KEY_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** A random 16-character ASCII string, as OpenD issues for connAESKey and aesCBCiv. */
export function randomKeyString(): string {
  const bytes = randomBytes(16);
  let s = '';
  for (const b of bytes) s += KEY_ALPHABET[b % KEY_ALPHABET.length];
  return s;
}
