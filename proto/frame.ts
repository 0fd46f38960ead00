// The OpenD TCP frame: a 44-byte little-endian header followed by the body.
//   0 "FT" | 2 u32 protoID | 6 u8 fmt | 7 u8 ver | 8 u32 serialNo | 12 u32 bodyLen | 16 sha1[20] | 36 reserved[8]
// bodyLen counts the bytes on the wire (after encryption); the SHA-1 covers the plaintext body.
import * as nodeCrypto from 'node:crypto';
import { createHash } from 'node:crypto';
import { BadHeaderFlagError, BodyHashMismatchError, BodyTooLargeError, FrameError } from './errors.js';

export const HEADER_SIZE = 44;
/** What a client accepts from OpenD (history replies can be large); the simulator takes far less from its peers. */
export const DEFAULT_MAX_BODY_BYTES = 64 * 1024 * 1024;
export const PROTO_FMT_PROTOBUF = 0;
export const PROTO_FMT_JSON = 1;

export interface FrameHeader {
  protoId: number;
  protoFmtType: number;
  protoVer: number;
  serialNo: number;
  bodyLen: number;
  /** SHA-1 of the plaintext body. */
  bodySha1: Buffer;
}

export interface Frame extends FrameHeader {
  /** The plaintext body (after the decoder's decrypt hook, if any). */
  body: Buffer;
}

// crypto.hash (Node ≥ 20.12) is a one-shot digest, much cheaper than a Hash object per frame.
const oneShot = (nodeCrypto as { hash?: (alg: string, data: Uint8Array, enc: 'buffer') => Buffer }).hash;

export function sha1(body: Uint8Array): Buffer {
  return oneShot ? oneShot('sha1', body, 'buffer') : createHash('sha1').update(body).digest();
}

const oneShotString = oneShot as unknown as ((alg: string, data: Uint8Array, enc: 'binary') => string) | undefined;

/** The SHA-1 of `body` as a 20-char latin1 ('binary') string. */
function sha1Latin1(body: Uint8Array): string {
  return oneShotString ? oneShotString('sha1', body, 'binary') : createHash('sha1').update(body).digest('binary');
}

/**
 * Whether the SHA-1 of `body` equals the 20 bytes at buf[at, at + 20). The digest is taken as a latin1 string
 * (one char per byte) and compared char by char: a Buffer result costs a native allocation per frame, which is
 * several times the cost of hashing a typical push body.
 */
export function sha1Matches(body: Uint8Array, buf: Uint8Array, at: number): boolean {
  const d = sha1Latin1(body);
  let diff = d.length ^ 20;
  for (let i = 0; i < 20; i++) diff |= d.charCodeAt(i) ^ buf[at + i]!;
  return diff === 0;
}

export interface EncodeFrameOptions {
  protoId: number;
  serialNo: number;
  protoFmtType?: number;
  protoVer?: number;
}

/** Builds header + wire body. `encrypt` (if given) turns the plaintext into the wire body. */
export function encodeFrame(opts: EncodeFrameOptions, plaintext: Uint8Array, encrypt?: (plain: Buffer) => Buffer): Buffer {
  const plain = Buffer.isBuffer(plaintext) ? plaintext : Buffer.from(plaintext.buffer, plaintext.byteOffset, plaintext.byteLength);
  const wire = encrypt ? encrypt(plain) : plain;
  const out = Buffer.allocUnsafe(HEADER_SIZE + wire.length);
  out[0] = 0x46;
  out[1] = 0x54;
  out.writeUInt32LE(opts.protoId >>> 0, 2);
  out[6] = opts.protoFmtType ?? PROTO_FMT_PROTOBUF;
  out[7] = opts.protoVer ?? 0;
  out.writeUInt32LE(opts.serialNo >>> 0, 8);
  out.writeUInt32LE(wire.length, 12);
  // The digest as latin1 (one char per byte) written straight into the header: no Buffer per frame.
  const digest = sha1Latin1(plain);
  for (let i = 0; i < 20; i++) out[16 + i] = digest.charCodeAt(i);
  out.fill(0, 36, 44);
  wire.copy(out, HEADER_SIZE);
  return out;
}

export function decodeHeader(buf: Buffer, offset = 0): FrameHeader {
  if (buf[offset] !== 0x46 || buf[offset + 1] !== 0x54) throw new BadHeaderFlagError(buf.subarray(offset, offset + 2));
  return {
    protoId: buf.readUInt32LE(offset + 2),
    protoFmtType: buf[offset + 6]!,
    protoVer: buf[offset + 7]!,
    serialNo: buf.readUInt32LE(offset + 8),
    bodyLen: buf.readUInt32LE(offset + 12),
    bodySha1: Buffer.from(buf.subarray(offset + 16, offset + 36)),
  };
}

/** Little-endian u32 at buf[at, at + 4), in bounds (checked by the caller); cheaper than readUInt32LE's validation. */
function u32(buf: Buffer, at: number): number {
  return (buf[at]! | (buf[at + 1]! << 8) | (buf[at + 2]! << 16)) + buf[at + 3]! * 0x1000000;
}

export interface FrameDecoderOptions {
  maxBodyBytes?: number;
  /** Turns a wire body into plaintext (decryption); identity when absent. May throw. */
  decrypt?: (header: FrameHeader, wire: Buffer) => Buffer;
  /**
   * Check the header SHA-1 against the plaintext (default true). A function decides per frame (called after
   * `decrypt`): the simulator checks an RSA InitConnect's digest itself, inside its implicit-rejection path.
   */
  verifySha1?: boolean | ((header: FrameHeader) => boolean);
}

/**
 * Streaming decoder: feed it TCP chunks in any split; it returns whole frames.
 * After it throws, it is poisoned: the connection must be closed (there is no way to resynchronise).
 */
export class FrameDecoder {
  /** Larger announced bodies fail the stream at once, before any of the body is buffered; may change between frames. */
  maxBodyBytes: number;
  decrypt: ((header: FrameHeader, wire: Buffer) => Buffer) | undefined;
  private readonly verify: boolean | ((header: FrameHeader) => boolean);
  // Bytes of an incomplete frame, kept as received: a multi-MB body arriving in small chunks is joined once,
  // when all of it is there, instead of being copied again with every chunk.
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  /** Bytes the incomplete frame needs in total (0: not known yet). */
  private need = 0;
  private failed: Error | null = null;

  constructor(opts: FrameDecoderOptions = {}) {
    this.maxBodyBytes = opts.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
    this.decrypt = opts.decrypt;
    this.verify = opts.verifySha1 ?? true;
  }

  /** Bytes received but not yet part of a whole frame. */
  get bufferedBytes(): number {
    return this.pendingBytes;
  }

  /**
   * Feeds a chunk. With `onFrame`, each frame is handed over before the next one is decrypted, so a frame
   * can change how the following ones are decrypted (the InitConnect reply switches on AES); the return
   * value is then empty. Without it, the frames are returned.
   */
  push(chunk: Buffer, onFrame?: (frame: Frame) => void): Frame[] {
    if (this.failed) throw this.failed;
    if (this.pendingBytes > 0 && this.pendingBytes + chunk.length < this.need) {
      this.pending.push(chunk);
      this.pendingBytes += chunk.length;
      return [];
    }
    const buf = this.pendingBytes > 0 ? Buffer.concat([...this.pending, chunk]) : chunk;
    if (this.pending.length > 0) this.pending = [];
    this.pendingBytes = 0;
    this.need = 0;
    const frames: Frame[] = [];
    let off = 0;
    let handlerError: unknown;
    try {
      while (buf.length - off >= 2) {
        if (buf[off] !== 0x46 || buf[off + 1] !== 0x54) throw new BadHeaderFlagError(buf.subarray(off, off + 2));
        if (buf.length - off < HEADER_SIZE) break;
        const bodyLen = u32(buf, off + 12);
        if (bodyLen > this.maxBodyBytes) throw new BodyTooLargeError(bodyLen, this.maxBodyBytes, u32(buf, off + 2));
        if (buf.length - off < HEADER_SIZE + bodyLen) {
          this.need = HEADER_SIZE + bodyLen;
          break;
        }
        const protoId = u32(buf, off + 2);
        const serialNo = u32(buf, off + 8);
        const bodySha1 = buf.subarray(off + 16, off + 36);
        const sha1At = off + 16;
        const wire = buf.subarray(off + HEADER_SIZE, off + HEADER_SIZE + bodyLen);
        const frame: Frame = { protoId, protoFmtType: buf[off + 6]!, protoVer: buf[off + 7]!, serialNo, bodyLen, bodySha1, body: wire };
        off += HEADER_SIZE + bodyLen;
        if (this.decrypt) frame.body = this.decrypt(frame, wire);
        const verify = typeof this.verify === 'function' ? this.verify(frame) : this.verify;
        if (verify && !sha1Matches(frame.body, buf, sha1At)) throw new BodyHashMismatchError(protoId, serialNo);
        if (onFrame) {
          try {
            onFrame(frame);
          } catch (err) {
            handlerError = err;
            break;
          }
        } else {
          frames.push(frame);
        }
      }
    } catch (err) {
      this.failed = err instanceof FrameError ? err : new FrameError(`undecodable frame: ${(err as Error).message}`, 'BAD_BODY');
      this.pending = [];
      this.pendingBytes = 0;
      throw this.failed;
    }
    if (off < buf.length) {
      // Copy so that the caller's chunk can be reused and we never pin a large socket buffer.
      this.pending = [Buffer.from(buf.subarray(off))];
      this.pendingBytes = buf.length - off;
    }
    if (handlerError !== undefined) throw handlerError;
    return frames;
  }
}
