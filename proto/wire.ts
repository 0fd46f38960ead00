// Runtime support for the generated message codecs in proto/generated/.
// protobufjs' Reader/Writer do the byte work; 64-bit integers are read and written here as bigint,
// because OpenD's accID/orderID/connID values exceed 2^53 and must never pass through a JS number.
import protobuf from 'protobufjs/minimal.js';

export const Reader = protobuf.Reader;
export const Writer = protobuf.Writer;
export type Reader = protobuf.Reader;
export type Writer = protobuf.Writer;

/** A protobuf body that could not be decoded or encoded; `path` names the message and field. */
export class ProtoCodecError extends Error {
  override readonly name = 'ProtoCodecError';
  constructor(
    message: string,
    readonly path: string,
  ) {
    super(message);
  }
}

export function missingField(path: string): never {
  throw new ProtoCodecError(`required field ${path} is missing`, path);
}

export function toReader(input: Reader | Uint8Array): Reader {
  if (input instanceof Reader) return input;
  // Always a Buffer underneath (a view, not a copy): the generated decoders slice strings with utf8Slice.
  return Reader.create(Buffer.isBuffer(input) ? input : Buffer.from(input.buffer, input.byteOffset, input.byteLength));
}

/** The reader's bytes as a Buffer (a view over the same memory when the reader was built on a plain Uint8Array). */
export function bufOf(r: Reader): Buffer {
  const b = r.buf;
  return Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength);
}

/** protobufjs' own error for a read past the end of the buffer, so malformed input fails the same way on every path. */
export function outOfRange(pos: number, need: number, len: number): never {
  throw new RangeError(`index out of range: ${pos} + ${need} > ${len}`);
}

interface Utf8Sliceable {
  utf8Slice(start: number, end: number): string;
}
/** UTF-8 text of buf[start, end): Buffer#utf8Slice, the cheapest decoder Node has (no argument parsing, no copy). */
export function utf8(buf: Buffer, start: number, end: number): string {
  return (buf as unknown as Utf8Sliceable).utf8Slice(start, end);
}

// Little-endian IEEE 754 reads through one shared scratch word (the platform order is checked once).
const f64 = new Float64Array(1);
const f64b = new Uint8Array(f64.buffer);
const f32 = new Float32Array(1);
const f32b = new Uint8Array(f32.buffer);
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** The double at buf[pos, pos + 8); the caller has checked the bounds. */
export function readF64(buf: Uint8Array, pos: number): number {
  if (LITTLE_ENDIAN) {
    f64b[0] = buf[pos]!; f64b[1] = buf[pos + 1]!; f64b[2] = buf[pos + 2]!; f64b[3] = buf[pos + 3]!;
    f64b[4] = buf[pos + 4]!; f64b[5] = buf[pos + 5]!; f64b[6] = buf[pos + 6]!; f64b[7] = buf[pos + 7]!;
  } else {
    for (let i = 0; i < 8; i++) f64b[7 - i] = buf[pos + i]!;
  }
  return f64[0]!;
}

/** The float at buf[pos, pos + 4); the caller has checked the bounds. */
export function readF32(buf: Uint8Array, pos: number): number {
  if (LITTLE_ENDIAN) {
    f32b[0] = buf[pos]!; f32b[1] = buf[pos + 1]!; f32b[2] = buf[pos + 2]!; f32b[3] = buf[pos + 3]!;
  } else {
    for (let i = 0; i < 4; i++) f32b[3 - i] = buf[pos + i]!;
  }
  return f32[0]!;
}

export function endOf(r: Reader, length: number | undefined): number {
  if (length === undefined) return r.len;
  const end = r.pos + length;
  if (end > r.len) throw new ProtoCodecError(`length ${length} runs past the end of the buffer`, 'length');
  return end;
}

function combine(lo: number, hi: number): bigint {
  // Below 2^53 one exact double → one BigInt; above, two halves.
  return hi < 0x200000 ? BigInt(hi * 4294967296 + lo) : (BigInt(hi) << 32n) | BigInt(lo);
}

/** Reads an unsigned varint of up to 64 bits (little-endian groups of 7 bits, as in protobuf). */
export function readU64(r: Reader): bigint {
  const buf = r.buf;
  const len = r.len;
  let pos = r.pos;
  let lo = 0;
  let hi = 0;
  let b: number;
  for (let i = 0; i < 4; i++) {
    if (pos >= len) throw new RangeError('index out of range: varint64');
    b = buf[pos++]!;
    lo = (lo | ((b & 127) << (i * 7))) >>> 0;
    if (b < 128) {
      r.pos = pos;
      return BigInt(lo);
    }
  }
  if (pos >= len) throw new RangeError('index out of range: varint64');
  b = buf[pos++]!;
  lo = (lo | ((b & 127) << 28)) >>> 0;
  hi = (b & 127) >> 4;
  if (b < 128) {
    r.pos = pos;
    return combine(lo, hi);
  }
  for (let i = 0; i < 5; i++) {
    if (pos >= len) throw new RangeError('index out of range: varint64');
    b = buf[pos++]!;
    hi = (hi | ((b & 127) << (i * 7 + 3))) >>> 0;
    if (b < 128) {
      r.pos = pos;
      return combine(lo, hi);
    }
  }
  throw new RangeError('invalid varint64 encoding');
}

export function readI64(r: Reader): bigint {
  return BigInt.asIntN(64, readU64(r));
}

export function readS64(r: Reader): bigint {
  const u = readU64(r);
  return (u >> 1n) ^ -(u & 1n);
}

export function readFixedU64(r: Reader): bigint {
  const lo = r.fixed32();
  const hi = r.fixed32();
  return (BigInt(hi) << 32n) | BigInt(lo);
}

export function readFixedI64(r: Reader): bigint {
  return BigInt.asIntN(64, readFixedU64(r));
}

interface LongBitsLike {
  low: number;
  high: number;
}

function bits(v: bigint, field: string): LongBitsLike {
  if (typeof v !== 'bigint') {
    if (typeof v === 'number' && Number.isSafeInteger(v)) v = BigInt(v);
    else if (typeof v === 'string' && /^-?\d+$/.test(v)) v = BigInt(v);
    else throw new ProtoCodecError(`${field} must be a bigint, got ${typeof v}`, field);
  }
  if (v >= 0n && v <= 9007199254740991n) {
    // Exact in a double: split without BigInt arithmetic.
    const n = Number(v);
    return { low: n | 0, high: Math.floor(n / 4294967296) | 0 };
  }
  if (v < -(2n ** 63n) || v >= 2n ** 64n) throw new ProtoCodecError(`${field} does not fit in 64 bits`, field);
  const u = BigInt.asUintN(64, v);
  return { low: Number(u & 0xffffffffn) | 0, high: Number(u >> 32n) | 0 };
}

// Small non-negative values take the 32-bit path: no LongBits allocation.
export function writeU64(w: Writer, v: bigint, field: string): void {
  if (typeof v === 'bigint' && v >= 0n && v < 0x80000000n) {
    w.uint32(Number(v));
    return;
  }
  w.uint64(bits(v, field) as unknown as number);
}

export function writeI64(w: Writer, v: bigint, field: string): void {
  writeU64(w, v, field);
}

export function writeS64(w: Writer, v: bigint, field: string): void {
  w.sint64(bits(v, field) as unknown as number);
}

export function writeFixedU64(w: Writer, v: bigint, field: string): void {
  const b = bits(v, field);
  w.fixed32(b.low >>> 0).fixed32(b.high >>> 0);
}
