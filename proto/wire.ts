// Runtime support for the generated message codecs in proto/generated/.
// protobufjs' Reader/Writer do the byte work; 64-bit integers are read and written here as bigint,
// because OpenD's accID/orderID/connID values exceed 2^53 and must never pass through a JS number.
// The generated decoders read the common cases inline and call in here for the rest: short strings, doubles,
// 64-bit varints, the table-driven rare path (slowField), the required-field check. Hand-written rather than
// protobufjs' generated static code because that code cannot carry 64-bit values as bigint and reads every field
// through Reader method calls. Nothing here has top-level side effects beyond small scratch buffers.
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

/**
 * The generated decoders' check of required fields when the inline count says one was not seen: the first
 * missing one in field order fails, as a per-field check would.
 */
export function requireFields(m: object, typeName: string, names: readonly string[]): void {
  for (const name of names) if ((m as Record<string, unknown>)[name] === undefined) missingField(`${typeName}.${name}`);
}

/** A nested message whose last field ran past its announced length. */
export function runsPast(typeName: string): never {
  throw new ProtoCodecError(`${typeName}: field runs past the end of the message`, typeName);
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
// Typed to take indexed bytes as they are; every index passed is inside [s, e), checked by the caller.
const fcc = String.fromCharCode as (...codes: (number | undefined)[]) => string;

/**
 * UTF-8 text of b[s, e). Many strings OpenD sends are short ASCII (codes, names, dates, remarks): up to 16 such
 * bytes become one flat string with a single String.fromCharCode call, two to three times cheaper than a call
 * into Buffer#utf8Slice for 5-12 bytes (measured; from about 20 bytes on the two cost the same); anything longer
 * or non-ASCII goes to utf8Slice.
 */
export function utf8(b: Buffer, s: number, e: number): string {
  const n = e - s;
  if (n > 16) return (b as unknown as Utf8Sliceable).utf8Slice(s, e);
  let high = 0;
  for (let i = s; i < e; i++) high |= b[i]!;
  if (high > 127) return (b as unknown as Utf8Sliceable).utf8Slice(s, e);
  switch (n) {
    case 0: return '';
    case 1: return fcc(b[s]);
    case 2: return fcc(b[s], b[s + 1]);
    case 3: return fcc(b[s], b[s + 1], b[s + 2]);
    case 4: return fcc(b[s], b[s + 1], b[s + 2], b[s + 3]);
    case 5: return fcc(b[s], b[s + 1], b[s + 2], b[s + 3], b[s + 4]);
    case 6: return fcc(b[s], b[s + 1], b[s + 2], b[s + 3], b[s + 4], b[s + 5]);
    case 7: return fcc(b[s], b[s + 1], b[s + 2], b[s + 3], b[s + 4], b[s + 5], b[s + 6]);
    case 8: return fcc(b[s], b[s + 1], b[s + 2], b[s + 3], b[s + 4], b[s + 5], b[s + 6], b[s + 7]);
    case 9:
      return fcc(
        b[s], b[s + 1], b[s + 2], b[s + 3], b[s + 4], b[s + 5], b[s + 6], b[s + 7],
        b[s + 8],
      );
    case 10:
      return fcc(
        b[s], b[s + 1], b[s + 2], b[s + 3], b[s + 4], b[s + 5], b[s + 6], b[s + 7],
        b[s + 8], b[s + 9],
      );
    case 11:
      return fcc(
        b[s], b[s + 1], b[s + 2], b[s + 3], b[s + 4], b[s + 5], b[s + 6], b[s + 7],
        b[s + 8], b[s + 9], b[s + 10],
      );
    case 12:
      return fcc(
        b[s], b[s + 1], b[s + 2], b[s + 3], b[s + 4], b[s + 5], b[s + 6], b[s + 7],
        b[s + 8], b[s + 9], b[s + 10], b[s + 11],
      );
    case 13:
      return fcc(
        b[s], b[s + 1], b[s + 2], b[s + 3], b[s + 4], b[s + 5], b[s + 6], b[s + 7],
        b[s + 8], b[s + 9], b[s + 10], b[s + 11], b[s + 12],
      );
    case 14:
      return fcc(
        b[s], b[s + 1], b[s + 2], b[s + 3], b[s + 4], b[s + 5], b[s + 6], b[s + 7],
        b[s + 8], b[s + 9], b[s + 10], b[s + 11], b[s + 12], b[s + 13],
      );
    case 15:
      return fcc(
        b[s], b[s + 1], b[s + 2], b[s + 3], b[s + 4], b[s + 5], b[s + 6], b[s + 7],
        b[s + 8], b[s + 9], b[s + 10], b[s + 11], b[s + 12], b[s + 13], b[s + 14],
      );
    case 16:
      return fcc(
        b[s], b[s + 1], b[s + 2], b[s + 3], b[s + 4], b[s + 5], b[s + 6], b[s + 7],
        b[s + 8], b[s + 9], b[s + 10], b[s + 11], b[s + 12], b[s + 13], b[s + 14], b[s + 15],
      );
    default: return (b as unknown as Utf8Sliceable).utf8Slice(s, e);
  }
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

/** The error endOf throws, for the generated decoders that check a nested message's length inline. */
export function pastEnd(length: number): never {
  throw new ProtoCodecError(`length ${length} runs past the end of the buffer`, 'length');
}

/**
 * A constructor of plain objects, one per message type. V8 counts the properties the first instances of a
 * constructor receive and then allocates that many slots inside each object; an object literal keeps only 4 and
 * moves the rest of a large message (BasicQot has 17 or more) to a separately grown property array. The
 * prototype is Object.prototype, so the instances are ordinary objects: same prototype, constructor, keys
 * (only the fields present on the wire) and JSON as a literal would have.
 */
export function plainShape<T>(): new () => T {
  function Plain(): void {}
  Plain.prototype = Object.prototype;
  return Plain as unknown as new () => T;
}

/** A generated message's codec object (proto/generated/*: `Trd_Common.Order.encode(…)`, `….decode(bytes)`). */
export interface MessageCodec<T> {
  readonly typeName: string;
  /** Encodes m into w (a new Writer unless given). */
  encode(m: T, w?: Writer): Writer;
  /** Decodes the whole buffer, or the next `length` bytes of a Reader. */
  decode(input: Reader | Uint8Array, length?: number): T;
}

/**
 * The message object of the generated packages, built from its standalone encode_X / decode_X functions. Called
 * under a pure annotation, so a bundle that only reaches the functions (a Lambda's client) drops the object.
 */
export function messageCodec<T>(
  typeName: string,
  encodeTo: (m: T, w: Writer) => Writer,
  decodeFrom: (r: Reader, buf: Buffer, end: number) => T,
): MessageCodec<T> {
  return {
    typeName,
    encode: (m, w = Writer.create()) => encodeTo(m, w),
    decode(input, length) {
      const r = toReader(input);
      return decodeFrom(r, bufOf(r), endOf(r, length));
    },
  };
}

/**
 * The side of one protocol a client needs: encode a Request (none for a push) and decode a Response. The generated
 * packages export one as `clientCodec`; proto/registry.ts files it under the protocol's ID.
 */
export interface ClientCodec<Q, S> {
  /** The protocol's name, e.g. `Trd_PlaceOrder`. */
  readonly protocol: string;
  readonly encodeRequest: ((m: Q) => Uint8Array) | undefined;
  readonly decodeResponse: (body: Uint8Array) => S;
}

export function makeClientCodec<Q, S>(
  protocol: string,
  encodeRequest: ((m: Q, w: Writer) => Writer) | undefined,
  decodeResponse: (r: Reader, buf: Buffer, end: number) => S,
): ClientCodec<Q, S> {
  return {
    protocol,
    encodeRequest: encodeRequest && ((m) => encodeRequest(m, Writer.create()).finish()),
    decodeResponse(body) {
      const r = toReader(body);
      return decodeResponse(r, bufOf(r), r.len);
    },
  };
}

/**
 * The scalar types in the order of their numbers in the generated decoders' field tables (`SlowFields`): the
 * generator numbers them from this list, readScalar switches on the same numbers. The packable ones (every scalar
 * but string and bytes) come first.
 */
export const SCALAR_KINDS = [
  'double', 'float', 'int32', 'uint32', 'sint32', 'fixed32', 'sfixed32',
  'int64', 'uint64', 'sint64', 'fixed64', 'sfixed64', 'bool', 'string', 'bytes',
] as const;
const FIRST_UNPACKABLE = SCALAR_KINDS.indexOf('string');

/** A field as the rare path sees it: its name, its scalar kind (index in SCALAR_KINDS) or message decoder, 1 if repeated. */
export type SlowField = readonly [name: string, kind: number | ((r: Reader, buf: Buffer, end: number) => unknown), repeated?: 1];
/** Field number → field, for one message type. */
export type SlowFields = Readonly<Record<number, SlowField>>;

function readScalar(r: Reader, kind: number): unknown {
  switch (kind) {
    case 0: return r.double();
    case 1: return r.float();
    case 2: return r.int32();
    case 3: return r.uint32();
    case 4: return r.sint32();
    case 5: return r.fixed32();
    case 6: return r.sfixed32();
    case 7: return readI64(r);
    case 8: return readU64(r);
    case 9: return readS64(r);
    case 10: return readFixedU64(r);
    case 11: return readFixedI64(r);
    case 12: return r.bool();
    case 13: return r.string();
    case 14: return r.bytes();
    default: throw new TypeError(`unknown scalar kind ${kind}`);
  }
}

function readOne(r: Reader, buf: Buffer, kind: SlowField[1]): unknown {
  if (typeof kind === 'number') return readScalar(r, kind);
  return kind(r, buf, endOf(r, r.uint32()));
}

/**
 * The generated decoders' rare path, one table-driven function for every message instead of a second switch per
 * message (which was about a tenth of a function bundle's codec code): a field whose tag the inline switch does not
 * know. That is an unknown field (skipped), a packed repeated scalar, or a known field number in another wire type,
 * read with its own type's reader as protobufjs' decoders do (so malformed input is accepted or rejected alike).
 * Reads at r.pos and leaves r.pos after the field.
 */
export function slowField(r: Reader, buf: Buffer, tag: number, m: object, fields: SlowFields): void {
  const f = fields[tag >>> 3];
  if (f === undefined) {
    r.skipType(tag & 7);
    return;
  }
  const [name, kind, repeated] = f;
  const target = m as Record<string, unknown>;
  if (repeated === undefined) {
    target[name] = readOne(r, buf, kind);
    return;
  }
  const list = target[name] as unknown[];
  if ((tag & 7) === 2 && typeof kind === 'number' && kind < FIRST_UNPACKABLE) {
    const e2 = endOf(r, r.uint32());
    while (r.pos < e2) list.push(readScalar(r, kind));
  } else {
    list.push(readOne(r, buf, kind));
  }
}

// One 64-bit scratch word seen as two u32 halves and as a u64: the halves become one BigInt with a single
// allocation (shift-and-or would allocate four), and a store of a BigInt splits it (modulo 2^64) without BigInt
// arithmetic.
const w64 = new BigUint64Array(1);
const w32 = new Uint32Array(w64.buffer);
const LO = LITTLE_ENDIAN ? 0 : 1;
const HI = 1 - LO;

function combine(lo: number, hi: number): bigint {
  // Below 2^53 one exact double → one BigInt; above, through the scratch word.
  if (hi < 0x200000) return BigInt(hi * 4294967296 + lo);
  w32[LO] = lo;
  w32[HI] = hi;
  return w64[0]!;
}

/**
 * Reads a varint of up to 64 bits (little-endian groups of 7 bits, as in protobuf), as unsigned or as two's
 * complement signed: the sign is applied while the halves become a BigInt, not by a second BigInt operation.
 */
function readVarint64(r: Reader, signed: boolean): bigint {
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
      return signed ? combineSigned(lo, hi) : combine(lo, hi);
    }
  }
  throw new RangeError('invalid varint64 encoding');
}

const s64 = new BigInt64Array(w64.buffer);

/** The halves as a two's complement int64. */
function combineSigned(lo: number, hi: number): bigint {
  if (hi < 0x80000000) return combine(lo, hi);
  // Negative; from -2^53 up its magnitude is an exact double.
  if (hi >= 0xffe00000) return BigInt(-((4294967295 - hi) * 4294967296 + (4294967296 - lo)));
  w32[LO] = lo;
  w32[HI] = hi;
  return s64[0]!;
}

export function readU64(r: Reader): bigint {
  return readVarint64(r, false);
}

export function readI64(r: Reader): bigint {
  return readVarint64(r, true);
}

export function readS64(r: Reader): bigint {
  const u = readU64(r);
  return (u >> 1n) ^ -(u & 1n);
}

export function readFixedU64(r: Reader): bigint {
  const lo = r.fixed32();
  const hi = r.fixed32();
  return combine(lo, hi);
}

export function readFixedI64(r: Reader): bigint {
  return BigInt.asIntN(64, readFixedU64(r));
}

interface LongBitsLike {
  low: number;
  high: number;
}

// Bounds as constants: a BigInt expression here would allocate on every call.
const MIN_I64 = -(2n ** 63n);
const LIMIT_U64 = 2n ** 64n;

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
  if (v < MIN_I64 || v >= LIMIT_U64) throw new ProtoCodecError(`${field} does not fit in 64 bits`, field);
  w64[0] = v; // stored modulo 2^64: a negative int64 becomes its two's complement
  return { low: w32[LO]! | 0, high: w32[HI]! | 0 };
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
