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
  return input instanceof Reader ? input : Reader.create(input);
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
