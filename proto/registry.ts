// The OpenD ProtoID registry: every protocol ID the pinned futu-api publishes in its ftCmdID table (derived at build
// time by proto/codegen/protocol-table.ts into proto/generated/protocols.ts, so nothing here is hand-typed), plus
// Verification (1006) and TestCmd (1008), which futu-api ships as .proto files but leaves out of its JS table.
//
// Names, push flags and types live here and cost a few KB; the codecs do not. A protocol's codec package is looked
// up in a table that the modules speaking it fill (`registerCodecs`): each proto/api/*.ts module registers the
// protocols it sends or receives, the client its connection-lifecycle ones, and proto/all-codecs.ts every one (the
// simulator, the relay, tests). So a Lambda bundle carries only the codecs of the protocols it uses.
// Invariants: an ID is registered only with the package whose Response type name is that ID's protocol name;
// looking up an unregistered protocol fails with an error naming it and the way to register it.
import { SDK_IDS_WITHOUT_DEFINITION, SDK_PROTOCOLS, type SdkPackages } from './generated/protocols.js';
import type * as TestCmd from './generated/TestCmd.js';
import type * as Verification from './generated/Verification.js';
import type { Reader, Writer } from './wire.js';

export interface Codec<T> {
  readonly typeName: string;
  encode(m: T, w?: Writer): Writer;
  decode(input: Reader | Uint8Array, length?: number): T;
}
/** A generated protocol package: push protocols have only a Response (OpenD never receives them). */
export interface CodecPackage { Request?: Codec<any>; Response: Codec<any> }

export const PROTOCOLS = {
  ...SDK_PROTOCOLS,
  // In the official Python SDK's ProtoID table, not in futu-api's ftCmdID table; futu-api ships their .proto files.
  1006: { name: 'Verification', push: false as const },
  1008: { name: 'TestCmd', push: false as const },
} as const;

/** The codec package type of each ID (types only: nothing here pulls a codec into a bundle). */
type Packages = SdkPackages & { 1006: typeof Verification; 1008: typeof TestCmd };

/**
 * IDs in an official SDK's ProtoID table for which futu-api 10.11.7108 ships no message definition:
 * 1009 InitQuantMode (Python SDK) and 3200 Qot_GetTradeDate (ftCmdID; superseded by 3219 Qot_RequestTradeDate).
 * Sending one fails with a clear error instead of bytes nobody can decode.
 */
export const KNOWN_WITHOUT_DEFINITION: Readonly<Record<number, string>> = { 1009: 'InitQuantMode', ...SDK_IDS_WITHOUT_DEFINITION };

export type ProtoId = keyof typeof PROTOCOLS;
type Entry<Id extends ProtoId> = (typeof PROTOCOLS)[Id];
export type RequestProtoId = { [K in ProtoId]: Entry<K>['push'] extends false ? K : never }[ProtoId];
export type PushProtoId = { [K in ProtoId]: Entry<K>['push'] extends true ? K : never }[ProtoId];

type PkgOf<Id extends ProtoId> = Packages[Id];
export type RequestOf<Id extends RequestProtoId> = ReturnType<PkgOf<Id> extends { Request: { decode: (...a: any[]) => infer R } } ? () => R : never>;
export type ResponseOf<Id extends ProtoId> = ReturnType<PkgOf<Id>['Response']['decode']>;
export type C2SOf<Id extends RequestProtoId> = RequestOf<Id> extends { c2s: infer C } ? C : never;
export type S2COf<Id extends ProtoId> = NonNullable<ResponseOf<Id> extends { s2c?: infer S } ? S : never>;

/** Protocol name → its ID (the official SDK's ProtoID names). */
export type ProtoIdTable = { readonly [K in ProtoId as Entry<K>['name']]: K };

/**
 * Every protocol's ID by name, derived from PROTOCOLS so the two cannot disagree:
 * `PROTO_ID.Trd_PlaceOrder === 2202`. Each value has its literal type, so
 * `client.request(PROTO_ID.Trd_PlaceOrder, …)` is typed exactly as `client.request(2202, …)`.
 */
export const PROTO_ID: ProtoIdTable = Object.freeze(
  Object.fromEntries(Object.entries(PROTOCOLS).map(([id, entry]) => [entry.name, Number(id)])),
) as ProtoIdTable;

export function isKnownProtoId(id: number): id is ProtoId {
  return Object.prototype.hasOwnProperty.call(PROTOCOLS, id);
}

export function protocolName(id: number): string {
  if (isKnownProtoId(id)) return PROTOCOLS[id].name;
  return KNOWN_WITHOUT_DEFINITION[id] ?? `proto ${id}`;
}

export function isPushProtoId(id: number): id is PushProtoId {
  return isKnownProtoId(id) && PROTOCOLS[id].push;
}

/** The registered codec packages by ID (module state shared by every importer in the process). */
const codecs = new Map<number, CodecPackage>();

/**
 * Makes the codecs of these generated packages available to `requestCodec` / `responseCodec` (and so to
 * OpenDClient). The ID comes from the package's own Response type name (`Trd_PlaceOrder.Response` → 2202), so a
 * package cannot be filed under the wrong ID. Registering a package twice is harmless.
 */
export function registerCodecs(...packages: CodecPackage[]): void {
  for (const pkg of packages) {
    const name = pkg.Response.typeName.replace(/\.Response$/, '');
    const id = (PROTO_ID as Readonly<Record<string, number>>)[name];
    if (id === undefined) throw new TypeError(`registerCodecs: ${pkg.Response.typeName} is not the Response of a protocol in the ProtoID table`);
    codecs.set(id, pkg);
  }
}

/** Whether the codecs of `id` are registered in this process. */
export function hasCodecs(id: number): boolean {
  return codecs.has(id);
}

function packageOf(id: number): CodecPackage {
  const pkg = codecs.get(id);
  if (pkg) return pkg;
  if (!isKnownProtoId(id)) throw new TypeError(`${protocolName(id)} is not a protocol in the ProtoID table (futu-api 10.11.7108)`);
  throw new TypeError(
    `no codecs registered for ${protocolName(id)} (${id}): import the proto/api module that speaks it, ` +
      `call registerCodecs with its proto/generated package, or import proto/all-codecs.js for every protocol`,
  );
}

export function requestCodec(id: RequestProtoId): Codec<any> {
  const request = packageOf(id).Request;
  if (!request) throw new TypeError(`${protocolName(id)} (${id}) is a push: it has no Request to encode`);
  return request;
}

export function responseCodec(id: ProtoId): Codec<any> {
  return packageOf(id).Response;
}

/** Trade writes whose C2S carries a `packetID` (replay protection). */
export const TRADE_WRITE_IDS: ReadonlySet<number> = new Set([PROTO_ID.Trd_PlaceOrder, PROTO_ID.Trd_ModifyOrder, PROTO_ID.Trd_PlaceComboOrder]);

/** What callers pass to OpenDClient.request: trade writes may omit packetID (the client fills it in). */
export type C2SInput<Id extends RequestProtoId> = C2SOf<Id> extends { packetID: infer P } ? Omit<C2SOf<Id>, 'packetID'> & { packetID?: P } : C2SOf<Id>;
