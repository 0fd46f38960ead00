// The OpenD ProtoID registry: every protocol ID the pinned futu-api publishes in its ftCmdID table (derived at build
// time by proto/codegen/protocol-table.ts into proto/generated/protocols.ts, so nothing here is hand-typed), plus
// Verification (1006) and TestCmd (1008), which futu-api ships as .proto files but leaves out of its JS table.
// Each ID carries the generated Request/Response codecs; push protocols have only a Response (OpenD never receives them).
import { SDK_IDS_WITHOUT_DEFINITION, SDK_PROTOCOLS } from './generated/protocols.js';
import * as TestCmd from './generated/TestCmd.js';
import * as Verification from './generated/Verification.js';
import type { Reader, Writer } from './wire.js';

interface Codec<T> {
  readonly typeName: string;
  encode(m: T, w?: Writer): Writer;
  decode(input: Reader | Uint8Array, length?: number): T;
}
interface RequestPkg { Request: Codec<any>; Response: Codec<any> }

function req<N extends string, P extends RequestPkg>(name: N, pkg: P) {
  return { name, push: false as const, pkg };
}

export const PROTOCOLS = {
  ...SDK_PROTOCOLS,
  // In the official Python SDK's ProtoID table, not in futu-api's ftCmdID table; futu-api ships their .proto files.
  1006: req('Verification', Verification),
  1008: req('TestCmd', TestCmd),
} as const;

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

type PkgOf<Id extends ProtoId> = Entry<Id>['pkg'];
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

export function requestCodec(id: RequestProtoId): Codec<any> {
  return (PROTOCOLS[id].pkg as RequestPkg).Request;
}

export function responseCodec(id: ProtoId): Codec<any> {
  return PROTOCOLS[id].pkg.Response;
}

/** Trade writes whose C2S carries a `packetID` (replay protection). */
export const TRADE_WRITE_IDS: ReadonlySet<number> = new Set([PROTO_ID.Trd_PlaceOrder, PROTO_ID.Trd_ModifyOrder, PROTO_ID.Trd_PlaceComboOrder]);

/** What callers pass to OpenDClient.request: trade writes may omit packetID (the client fills it in). */
export type C2SInput<Id extends RequestProtoId> = C2SOf<Id> extends { packetID: infer P } ? Omit<C2SOf<Id>, 'packetID'> & { packetID?: P } : C2SOf<Id>;
