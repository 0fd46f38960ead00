// Generates typed message codecs from the official futu-api .proto files.
// Input: node_modules/futu-api/proto/*.proto (the pinned dependency; never copied into this repo).
// and the ftCmdID table of node_modules/futu-api/main.js (see protocol-table.ts).
// Output: proto/generated/<Package>.ts, one module per proto package, plus index.ts, protocols.ts (the ProtoID table:
// names and push flags only, no codecs) and all-codecs.ts (every package by ID, for the simulator, relay and tests).
// The output depends only on the input files: same input, same bytes (sorted walk, no timestamps).
// Each message X becomes standalone top-level functions encode_X / decode_X (nested messages call each other's
// functions directly), a field table for the decoders' rare path and the `X` object built from the functions
// under a pure annotation; each protocol package also exports `clientCodec` (encode its Request, decode its
// Response). Invariant: nothing at a module's top level has side effects, so a bundler keeps only what is reached
// from what a process registers or calls (test/unit/codec-tree-shaking.test.ts checks it with esbuild).
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';
import { SCALAR_KINDS } from '../wire.js';
import { emitProtocolTable, readSdkProtocols, sdkMainFile, type PackageShape } from './protocol-table.js';

const here = dirname(fileURLToPath(import.meta.url));
const outDir = resolve(here, '..', 'generated');
const GENERATOR_VERSION = '8';
/** Generated files that are tables over the packages, not packages themselves. */
const GENERATED_TABLES: ReadonlySet<string> = new Set(['index.ts', 'protocols.ts', 'all-codecs.ts']);

export function protoSourceDir(): string {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve('futu-api/package.json')), 'proto');
}

type Scalar =
  | 'double' | 'float' | 'int32' | 'uint32' | 'sint32' | 'fixed32' | 'sfixed32'
  | 'int64' | 'uint64' | 'sint64' | 'fixed64' | 'sfixed64' | 'bool' | 'string' | 'bytes';

const TS_TYPE: Record<Scalar, string> = {
  double: 'number', float: 'number', int32: 'number', uint32: 'number', sint32: 'number',
  fixed32: 'number', sfixed32: 'number', int64: 'bigint', uint64: 'bigint', sint64: 'bigint',
  fixed64: 'bigint', sfixed64: 'bigint', bool: 'boolean', string: 'string', bytes: 'Uint8Array',
};

const WIRE_TYPE: Record<Scalar, number> = {
  double: 1, float: 5, int32: 0, uint32: 0, sint32: 0, fixed32: 5, sfixed32: 5, int64: 0, uint64: 0,
  sint64: 0, fixed64: 1, sfixed64: 1, bool: 0, string: 2, bytes: 2,
};

function writeExpr(t: Scalar, v: string, path: string): string {
  switch (t) {
    case 'int64': return `writeI64(w, ${v}, '${path}')`;
    case 'uint64': return `writeU64(w, ${v}, '${path}')`;
    case 'sint64': return `writeS64(w, ${v}, '${path}')`;
    case 'fixed64': case 'sfixed64': return `writeFixedU64(w, ${v}, '${path}')`;
    default: return `w.${t}(${v})`;
  }
}

function readExpr(t: Scalar): string {
  switch (t) {
    case 'int64': return 'readI64(r)';
    case 'uint64': return 'readU64(r)';
    case 'sint64': return 'readS64(r)';
    case 'fixed64': return 'readFixedU64(r)';
    case 'sfixed64': return 'readFixedI64(r)';
    default: return `r.${t}()`;
  }
}

/** The module-local constructor of decoded `localName` messages (not exported). */
function shapeName(localName: string): string {
  return `${localName}$Shape`;
}

/** The module-local field table of `localName` for the decoders' rare path (not exported). */
function slowName(localName: string): string {
  return `${localName}$Fields`;
}

/** The decoder's local word holding the bit of required field number `i` (in field order). */
function seenVar(i: number): string {
  return `seen${i >> 5}`;
}

/** That field's bit in its word, as an int32 literal. */
function seenBit(i: number): string {
  return String((1 << (i & 31)) | 0);
}

/** A scalar's number in the rare path's field tables (wire.ts SCALAR_KINDS). */
function scalarKind(t: Scalar): number {
  const k = (SCALAR_KINDS as readonly string[]).indexOf(t);
  if (k < 0) throw new Error(`scalar ${t} has no kind in wire.ts SCALAR_KINDS`);
  return k;
}

/** `Trd_Common.Order` seen from `fromPkg` → the standalone encoder/decoder function names of that message. */
function fnRef(kind: 'encode' | 'decode', type: protobuf.ReflectionObject, fromPkg: string): string {
  const ref = tsRef(type, fromPkg);
  const dot = ref.indexOf('.');
  return dot < 0 ? `${kind}_${ref}` : `${ref.slice(0, dot)}.${kind}_${ref.slice(dot + 1)}`;
}

/**
 * Decoder statements that leave one value of a field in `v`, reading from the locals `buf`/`pos`/`len`; the
 * Reader `r` is synchronised around any call that needs it. `decodeFn` names the decoder of a nested message.
 */
function fastRead(decodeFn: string | null, t: Scalar): string {
  const viaReader = (expr: string) => `r.pos = pos; const v = ${expr}; pos = r.pos;`;
  if (decodeFn) {
    return (
      `let n = buf[pos]!; if (n < 128) pos++; else { r.pos = pos; n = r.uint32(); pos = r.pos; } ` +
      `if (pos + n > len) pastEnd(n); r.pos = pos; const v = ${decodeFn}(r, buf, pos + n); pos += n;`
    );
  }
  switch (t) {
    case 'int32': case 'uint32': case 'bool': {
      const small = t === 'bool' ? 'b !== 0' : 'b';
      return `const b = buf[pos]!; let v: ${TS_TYPE[t]}; if (b < 128) { pos++; v = ${small}; } else { r.pos = pos; v = r.${t}(); pos = r.pos; }`;
    }
    case 'double': return `if (pos + 8 > len) outOfRange(pos, 8, len); const v = readF64(buf, pos); pos += 8;`;
    case 'float': return `if (pos + 4 > len) outOfRange(pos, 4, len); const v = readF32(buf, pos); pos += 4;`;
    case 'string':
      return `const n = buf[pos]!; let v: string; if (n < 128) { const s = pos + 1; pos = s + n; if (pos > len) outOfRange(s, n, len); v = utf8(buf, s, pos); } else { r.pos = pos; v = r.string(); pos = r.pos; }`;
    default: return viaReader(readExpr(t));
  }
}

/** `OrderStatus_Filled_All` in enum `OrderStatus` → `FILLED_ALL`; `KLType_1Min` → `1MIN`. */
export function enumValueName(enumName: string, valueName: string): string {
  const bare = valueName.startsWith(enumName + '_') ? valueName.slice(enumName.length + 1) : valueName;
  return bare
    .replace(/([a-z])([A-Z])/g, '$1_$2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1_$2')
    .toUpperCase()
    .replace(/_+/g, '_');
}

function loadRoot(dir: string): protobuf.Root {
  const files = readdirSync(dir).filter((f) => f.endsWith('.proto')).sort();
  const root = new protobuf.Root();
  root.resolvePath = (_origin, target) => join(dir, target.replace(/^.*[\\/]/, ''));
  root.loadSync(files.map((f) => join(dir, f)), { keepCase: true });
  root.resolveAll();
  return root;
}

function sourceHash(dir: string): string {
  const h = createHash('sha256');
  h.update(GENERATOR_VERSION);
  h.update(readFileSync(fileURLToPath(import.meta.url)));
  h.update(readFileSync(fileURLToPath(new URL('./protocol-table.ts', import.meta.url))));
  h.update(readFileSync(fileURLToPath(new URL('../wire.ts', import.meta.url)))); // SCALAR_KINDS numbers the field tables
  h.update(readFileSync(sdkMainFile()));
  for (const f of readdirSync(dir).filter((x) => x.endsWith('.proto')).sort()) {
    h.update(f);
    h.update(readFileSync(join(dir, f)));
  }
  return h.digest('hex');
}

/** The generated TS name of a type as seen from module `fromPkg`. */
function tsRef(type: protobuf.ReflectionObject, fromPkg: string): string {
  const parts = type.fullName.replace(/^\./, '').split('.');
  const pkg = parts[0]!;
  const local = parts.slice(1).join('_');
  return pkg === fromPkg ? local : `${pkg}.${local}`;
}

function packageOf(type: protobuf.ReflectionObject): string {
  return type.fullName.replace(/^\./, '').split('.')[0]!;
}

interface Emitted {
  code: string;
  imports: Set<string>;
}

function emitEnum(e: protobuf.Enum, localName: string, out: Emitted): void {
  const entries = Object.entries(e.values);
  const names: string[] = [];
  const lines = entries.map(([k, v]) => {
    const n = enumValueName(e.name, k);
    names.push(n);
    return `  ${JSON.stringify(n)}: ${v},`;
  });
  out.code += `/** Enum ${e.fullName.replace(/^\./, '')}: names as used on public surfaces, numbers as on the wire. */\n`;
  out.code += `export const ${localName} = {\n${lines.join('\n')}\n} as const;\n`;
  out.code += `export type ${localName} = (typeof ${localName})[keyof typeof ${localName}];\n`;
  out.code += `export type ${localName}Name = keyof typeof ${localName};\n\n`;
}

function emitMessage(t: protobuf.Type, localName: string, pkg: string, out: Emitted): void {
  const full = t.fullName.replace(/^\./, '');
  const fields = [...t.fieldsArray].sort((a, b) => a.id - b.id);
  // Interface
  out.code += `export interface ${localName} {\n`;
  for (const f of fields) {
    let ty: string;
    if (f.resolvedType instanceof protobuf.Type) {
      ty = tsRef(f.resolvedType, pkg);
      const p = packageOf(f.resolvedType);
      if (p !== pkg) out.imports.add(p);
    } else if (f.resolvedType instanceof protobuf.Enum) {
      ty = 'number';
    } else {
      ty = TS_TYPE[f.type as Scalar];
      if (!ty) throw new Error(`unsupported field type ${f.type} in ${full}.${f.name}`);
    }
    const opt = f.required ? '' : '?';
    out.code += `  ${f.name}${opt}: ${f.repeated ? `${ty}[]` : ty};\n`;
  }
  out.code += `}\n\n`;

  // Codec: two standalone top-level functions per message, then the message object built from them. Nested
  // messages call each other's functions directly (no object property lookup on the hot path), so a bundler keeps
  // exactly the functions reachable from what a process uses: a Lambda's client encodes requests and decodes
  // responses (proto/registry.ts, `clientCodec` below), never the other way round. The object and the shape are
  // marked pure and drop out of a bundle that does not use them. Decoded messages are plain objects made by a
  // per-type constructor (see plainShape in wire.ts).
  const encodeFn = `encode_${localName}`;
  const decodeFn = `decode_${localName}`;
  out.code += `const ${shapeName(localName)} = /* @__PURE__ */ plainShape<${localName}>();\n`;
  out.code += `/** Appends the fields of a ${full} to w (a nested message's caller forks and ldelims around it). */\n`;
  out.code += `export function ${encodeFn}(m: ${localName}, w: Writer): Writer {\n`;
  for (const f of fields) {
    const path = `${full}.${f.name}`;
    const acc = `m.${f.name}`;
    const isMsg = f.resolvedType instanceof protobuf.Type;
    const scalar: Scalar = f.resolvedType instanceof protobuf.Enum ? 'int32' : (f.type as Scalar);
    const wt = isMsg ? 2 : WIRE_TYPE[scalar];
    const tag = (f.id << 3) | wt;
    const writeOne = (v: string) =>
      isMsg
        ? `${fnRef('encode', f.resolvedType!, pkg)}(${v}, w.uint32(${tag}).fork()).ldelim();`
        : `${writeExpr(scalar, v, path).replace(/^w\./, `w.uint32(${tag}).`).replace(/^(write\w+)\(w,/, `w.uint32(${tag}); $1(w,`)};`;
    if (f.repeated) {
      out.code += `  if (${acc} != null) for (const v of ${acc}) { ${writeOne('v')} }\n`;
    } else if (f.required) {
      out.code += `  if (${acc} == null) missingField('${path}');\n  ${writeOne(acc)}\n`;
    } else {
      out.code += `  if (${acc} != null) { ${writeOne(acc)} }\n`;
    }
  }
  out.code += `  return w;\n}\n`;

  // Decoder. The fast switch covers each field in the wire type its writer uses (what OpenD and the SDKs send):
  // bytes are read straight from the Buffer with the position in a local, 1-byte varints, short string lengths
  // and 1-2 byte tags inline, with no Reader method call. Anything else (long varints, packed repeated scalars,
  // a field in an unexpected wire type, unknown fields) falls through to the general per-field path, which goes
  // through the Reader as before; reads past the buffer throw protobufjs' RangeError on both paths.
  // The rare path's view of the fields (wire.ts slowField): number → name, scalar kind or decoder, repeated.
  const slowEntries = fields.map((f) => {
    const isMsg = f.resolvedType instanceof protobuf.Type;
    const scalar: Scalar = f.resolvedType instanceof protobuf.Enum ? 'int32' : (f.type as Scalar);
    const kind = isMsg ? fnRef('decode', f.resolvedType!, pkg) : String(scalarKind(scalar));
    return `${f.id}: [${JSON.stringify(f.name)}, ${kind}${f.repeated ? ', 1' : ''}]`;
  });
  out.code += `const ${slowName(localName)}: SlowFields = { ${slowEntries.join(', ')} };\n`;
  out.code += `/** Decodes a ${full} from r.buf[r.pos, end) (buf is r.buf as a Buffer) and leaves r.pos at end. */\n`;
  out.code += `export function ${decodeFn}(r: Reader, buf: Buffer, end: number): ${localName} {\n  const len = r.len;\n  let pos = r.pos;\n`;
  out.code += `  const m = new ${shapeName(localName)}();\n`;
  for (const f of fields.filter((x) => x.repeated)) out.code += `  m.${f.name} = [];\n`;
  // Required fields without a default, each a bit in one of ceil(n / 32) int32 words.
  const seen = new Map(fields.filter((f) => f.required && f.options?.['default'] === undefined).map((f, i) => [f, i] as const));
  for (let k = 0; k * 32 < seen.size; k++) out.code += `  let ${seenVar(k * 32)} = 0;\n`;
  out.code += `  while (pos < end) {\n    let tag = buf[pos++]!;\n`;
  out.code += `    if (tag > 127) { const b2 = buf[pos]!; if (b2 < 128) { tag = (tag & 127) | (b2 << 7); pos++; } else { r.pos = pos - 1; tag = r.uint32(); pos = r.pos; } }\n`;
  out.code += `    switch (tag) {\n`;
  for (const f of fields) {
    const isMsg = f.resolvedType instanceof protobuf.Type;
    const scalar: Scalar = f.resolvedType instanceof protobuf.Enum ? 'int32' : (f.type as Scalar);
    const wt = isMsg ? 2 : WIRE_TYPE[scalar];
    const bit = seen.get(f);
    const mark = bit === undefined ? '' : ` ${seenVar(bit)} |= ${seenBit(bit)};`;
    const assign = f.repeated ? `m.${f.name}!.push(v);` : `m.${f.name} = v;${mark}`;
    out.code += `      case ${(f.id << 3) | wt}: { ${fastRead(isMsg ? fnRef('decode', f.resolvedType!, pkg) : null, scalar)} ${assign} break; }\n`;
  }
  out.code += `      default: r.pos = pos; slowField(r, buf, tag, m, ${slowName(localName)}); pos = r.pos;\n    }\n  }\n  r.pos = pos;\n`;
  out.code += `  if (pos !== end) runsPast('${full}');\n`;
  for (const f of fields.filter((x) => x.required && x.options?.['default'] !== undefined)) {
    out.code += `  if (m.${f.name} === undefined) m.${f.name} = ${JSON.stringify(f.options!['default'])};\n`;
  }
  if (seen.size > 0) {
    // Every required field the inline switch stored set its bit; anything else (one read by the rare path, or
    // truly missing) is settled by checking the fields by name, in field order, as before.
    const masks: string[] = [];
    for (let k = 0; k * 32 < seen.size; k++) {
      const n = Math.min(32, seen.size - k * 32);
      masks.push(`${seenVar(k * 32)} !== ${n === 32 ? -1 : (2 ** n - 1)}`);
    }
    const names = [...seen.keys()].map((f) => JSON.stringify(f.name)).join(', ');
    out.code += `  if (${masks.join(' || ')}) requireFields(m, '${full}', [${names}]);\n`;
  }
  out.code += `  return m;\n}\n`;
  out.code += `/** ${full}: encode (into a new Writer unless given one) and decode (a whole buffer, or \`length\` bytes of a Reader). */\n`;
  out.code += `export const ${localName} = /* @__PURE__ */ messageCodec<${localName}>(${JSON.stringify(full)}, ${encodeFn}, ${decodeFn});\n\n`;
}

function walk(ns: protobuf.Namespace, pkg: string, prefix: string, out: Emitted): void {
  const nested = [...ns.nestedArray].sort((a, b) => a.name.localeCompare(b.name));
  for (const n of nested) {
    const local = prefix ? `${prefix}_${n.name}` : n.name;
    if (n instanceof protobuf.Enum) emitEnum(n, local, out);
  }
  for (const n of nested) {
    const local = prefix ? `${prefix}_${n.name}` : n.name;
    if (n instanceof protobuf.Type) {
      emitMessage(n, local, pkg, out);
      walk(n, pkg, local, out);
    }
  }
}

export function generate(dir = protoSourceDir(), target = outDir): { packages: string[]; changed: boolean } {
  const hash = sourceHash(dir);
  const stamp = join(target, '.source-hash');
  if (existsSync(stamp) && readFileSync(stamp, 'utf8') === hash) {
    const packages = readdirSync(target).filter((f) => f.endsWith('.ts') && !GENERATED_TABLES.has(f)).map((f) => f.slice(0, -3));
    return { packages, changed: false };
  }
  const root = loadRoot(dir);
  rmSync(target, { recursive: true, force: true });
  mkdirSync(target, { recursive: true });
  const packages = root.nestedArray
    .filter((n): n is protobuf.Namespace => n instanceof protobuf.Namespace && !(n instanceof protobuf.Type))
    .sort((a, b) => a.name.localeCompare(b.name));
  for (const ns of packages) {
    const out: Emitted = { code: '', imports: new Set() };
    walk(ns, ns.name, '', out);
    if (ns.get('Response') instanceof protobuf.Type) {
      // What a client of this protocol needs and nothing more: encode its Request (none for a push), decode its
      // Response. proto/api/*.ts and proto/client.ts register these, so a Lambda bundle never carries the other
      // direction (the simulator and relay register the whole package through all-codecs.ts).
      const hasRequest = ns.get('Request') instanceof protobuf.Type;
      out.code += `/** The client side of ${ns.name}: ${hasRequest ? 'encode a Request, ' : ''}decode a Response (register with proto/registry.ts). */\n`;
      out.code += `export const clientCodec = /* @__PURE__ */ makeClientCodec<${hasRequest ? 'Request' : 'never'}, Response>(${JSON.stringify(ns.name)}, ${hasRequest ? 'encode_Request' : 'undefined'}, decode_Response);\n`;
    }
    const header =
      `// Generated by proto/codegen/generate.ts from futu-api's ${ns.name}.proto. Do not edit; run \`npm run proto\`.\n` +
      `/* eslint-disable */\n` +
      `import { Reader, Writer, ProtoCodecError, missingField, requireFields, runsPast, pastEnd, plainShape, messageCodec, makeClientCodec, slowField, type SlowFields, outOfRange, utf8, readF64, readF32, readU64, readI64, readS64, readFixedU64, readFixedI64, writeU64, writeI64, writeS64, writeFixedU64 } from '../wire.js';\n` +
      [...out.imports].sort().map((p) => `import * as ${p} from './${p}.js';\n`).join('') +
      `void ProtoCodecError; void requireFields; void runsPast; void Writer; void makeClientCodec; void pastEnd; void outOfRange; void utf8; void readF64; void readF32; void readU64; void readI64; void readS64; void readFixedU64; void readFixedI64; void writeU64; void writeI64; void writeS64; void writeFixedU64; void Reader;\n\n`;
    writeFileSync(join(target, `${ns.name}.ts`), header + out.code);
  }
  const index =
    `// Generated by proto/codegen/generate.ts. Do not edit; run \`npm run proto\`.\n` +
    packages.map((p) => `export * as ${p.name} from './${p.name}.js';\n`).join('');
  writeFileSync(join(target, 'index.ts'), index);
  const shapes = new Map<string, PackageShape>(
    packages.map((ns) => [ns.name, { hasRequest: ns.get('Request') instanceof protobuf.Type, hasResponse: ns.get('Response') instanceof protobuf.Type }]),
  );
  const tables = emitProtocolTable(readSdkProtocols(), shapes);
  writeFileSync(join(target, 'protocols.ts'), tables.protocols);
  writeFileSync(join(target, 'all-codecs.ts'), tables.codecs);
  writeFileSync(stamp, hash);
  return { packages: packages.map((p) => p.name), changed: true };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const t0 = Date.now();
  const { packages, changed } = generate();
  console.log(
    changed
      ? `proto: generated ${packages.length} packages into proto/generated in ${Date.now() - t0} ms`
      : `proto: proto/generated is up to date (${packages.length} packages)`,
  );
}
