// The OpenD ProtoID registry: every protocol ID the pinned futu-api publishes in its ftCmdID table (derived at build
// time by proto/codegen/protocol-table.ts into proto/generated/protocols.ts, so nothing here is hand-typed), plus
// Verification (1006) and TestCmd (1008), which futu-api ships as .proto files but leaves out of its JS table.
//
// Names, push flags and types live here and cost a few KB; the codecs do not. A protocol's codecs are looked up in
// tables that the modules speaking it fill (`registerCodecs`): each proto/api/*.ts module registers the client side
// (`clientCodec`: encode the Request, decode the Response) of the protocols it sends or receives, the client its
// connection-lifecycle ones, and proto/all-codecs.ts every whole package (the simulator, the relay, tests). So a
// Lambda bundle carries only one direction of only the protocols it uses.
// Invariants: an ID is registered only with the package whose protocol name is that ID's; looking up an
// unregistered protocol fails with an error naming it and the way to register it.
import { SDK_IDS_WITHOUT_DEFINITION, SDK_PROTOCOLS, type SdkPackages } from './generated/protocols.js';
import type * as TestCmd from './generated/TestCmd.js';
import type * as Verification from './generated/Verification.js';
import type { ClientCodec, Reader, Writer } from './wire.js';

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
/** The registered client sides by ID: encode a Request, decode a Response (a whole package registers its own). */
const clientSides = new Map<number, ClientCodec<never, unknown>>();

function idOfProtocol(name: string, what: string): number {
  const id = (PROTO_ID as Readonly<Record<string, number>>)[name];
  if (id === undefined) throw new TypeError(`registerCodecs: ${what} is not the Response of a protocol in the ProtoID table`);
  return id;
}

function isClientCodec(x: CodecPackage | ClientCodec<never, unknown>): x is ClientCodec<never, unknown> {
  return typeof (x as ClientCodec<never, unknown>).decodeResponse === 'function';
}

/**
 * Makes codecs available under their protocol's ID. A package's `clientCodec` (what a Lambda's modules register)
 * gives `requestEncoder` / `responseDecoder`, and so OpenDClient, just the two directions a client uses; a whole
 * generated package (all-codecs.ts, tests) gives those and `requestCodec` / `responseCodec` too. The ID comes from
 * the codec's own protocol name (`Trd_PlaceOrder.Response` → 2202), so nothing can be filed under the wrong ID.
 * Registering twice is harmless.
 */
export function registerCodecs(...packages: (CodecPackage | ClientCodec<never, unknown>)[]): void {
  for (const pkg of packages) {
    if (isClientCodec(pkg)) {
      clientSides.set(idOfProtocol(pkg.protocol, pkg.protocol), pkg);
      continue;
    }
    const id = idOfProtocol(pkg.Response.typeName.replace(/\.Response$/, ''), pkg.Response.typeName);
    codecs.set(id, pkg);
    if (!clientSides.has(id)) {
      const { Request, Response } = pkg;
      clientSides.set(id, {
        protocol: protocolName(id),
        encodeRequest: Request && ((m: never) => Request.encode(m).finish()),
        decodeResponse: (body: Uint8Array) => Response.decode(body),
      });
    }
  }
}

/** Whether any codecs of `id` (its client side at least) are registered in this process. */
export function hasCodecs(id: number): boolean {
  return clientSides.has(id);
}

function notRegistered(id: number): never {
  if (!isKnownProtoId(id)) throw new TypeError(`${protocolName(id)} is not a protocol in the ProtoID table (futu-api 10.11.7108)`);
  throw new TypeError(
    `no codecs registered for ${protocolName(id)} (${id}): import the proto/api module that speaks it, ` +
      `call registerCodecs with its proto/generated package, or import proto/all-codecs.js for every protocol`,
  );
}

function packageOf(id: number): CodecPackage {
  const pkg = codecs.get(id);
  if (pkg) return pkg;
  if (clientSides.has(id)) {
    throw new TypeError(
      `only the client side of ${protocolName(id)} (${id}) is registered (requestEncoder / responseDecoder): ` +
        `call registerCodecs with its whole proto/generated package, or import proto/all-codecs.js, for its message codecs`,
    );
  }
  return notRegistered(id);
}

function clientSideOf(id: number): ClientCodec<never, unknown> {
  return clientSides.get(id) ?? notRegistered(id);
}

/** The full Request codec of `id` (encode and decode): registered through its whole package. */
export function requestCodec(id: RequestProtoId): Codec<any> {
  const request = packageOf(id).Request;
  if (!request) throw new TypeError(`${protocolName(id)} (${id}) is a push: it has no Request to encode`);
  return request;
}

/** The full Response codec of `id` (encode and decode): registered through its whole package. */
export function responseCodec(id: ProtoId): Codec<any> {
  return packageOf(id).Response;
}

/** Encodes a `{ c2s }` Request of `id` to its body bytes: what a client sends. */
export function requestEncoder(id: RequestProtoId): (request: { c2s: unknown }) => Uint8Array {
  const encode = clientSideOf(id).encodeRequest;
  if (!encode) throw new TypeError(`${protocolName(id)} (${id}) is a push: it has no Request to encode`);
  return encode as (request: { c2s: unknown }) => Uint8Array;
}

/** Decodes a Response (or push) body of `id`: what a client receives. */
export function responseDecoder(id: ProtoId): (body: Uint8Array) => any {
  return clientSideOf(id).decodeResponse;
}

/** Trade writes whose C2S carries a `packetID` (replay protection). */
export const TRADE_WRITE_IDS: ReadonlySet<number> = new Set([PROTO_ID.Trd_PlaceOrder, PROTO_ID.Trd_ModifyOrder, PROTO_ID.Trd_PlaceComboOrder]);

/** What callers pass to OpenDClient.request: trade writes may omit packetID (the client fills it in). */
export type C2SInput<Id extends RequestProtoId> = C2SOf<Id> extends { packetID: infer P } ? Omit<C2SOf<Id>, 'packetID'> & { packetID?: P } : C2SOf<Id>;
