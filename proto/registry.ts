// The OpenD ProtoID registry: every system, trade and quote protocol of opend-protocol.md §4, with the
// generated Request/Response codecs for each. Push protocols have only a Response (OpenD never receives them).
import * as pb from './generated/index.js';
import type { Reader, Writer } from './wire.js';

interface Codec<T> {
  readonly typeName: string;
  encode(m: T, w?: Writer): Writer;
  decode(input: Reader | Uint8Array, length?: number): T;
}
interface RequestPkg { Request: Codec<any>; Response: Codec<any> }
interface PushPkg { Response: Codec<any> }

function req<P extends RequestPkg>(name: string, pkg: P) {
  return { name, push: false as const, pkg };
}
function push<P extends PushPkg>(name: string, pkg: P) {
  return { name, push: true as const, pkg };
}

export const PROTOCOLS = {
  // System
  1001: req('InitConnect', pb.InitConnect),
  1002: req('GetGlobalState', pb.GetGlobalState),
  1003: push('Notify', pb.Notify),
  1004: req('KeepAlive', pb.KeepAlive),
  1005: req('GetUserInfo', pb.GetUserInfo),
  1006: req('Verification', pb.Verification),
  1007: req('GetDelayStatistics', pb.GetDelayStatistics),
  1008: req('TestCmd', pb.TestCmd),
  // Trade
  2001: req('Trd_GetAccList', pb.Trd_GetAccList),
  2005: req('Trd_UnlockTrade', pb.Trd_UnlockTrade),
  2008: req('Trd_SubAccPush', pb.Trd_SubAccPush),
  2101: req('Trd_GetFunds', pb.Trd_GetFunds),
  2102: req('Trd_GetPositionList', pb.Trd_GetPositionList),
  2111: req('Trd_GetMaxTrdQtys', pb.Trd_GetMaxTrdQtys),
  2112: req('Trd_GetComboMaxTrdQtys', pb.Trd_GetComboMaxTrdQtys),
  2201: req('Trd_GetOrderList', pb.Trd_GetOrderList),
  2202: req('Trd_PlaceOrder', pb.Trd_PlaceOrder),
  2205: req('Trd_ModifyOrder', pb.Trd_ModifyOrder),
  2208: push('Trd_UpdateOrder', pb.Trd_UpdateOrder),
  2211: req('Trd_GetOrderFillList', pb.Trd_GetOrderFillList),
  2218: push('Trd_UpdateOrderFill', pb.Trd_UpdateOrderFill),
  2221: req('Trd_GetHistoryOrderList', pb.Trd_GetHistoryOrderList),
  2222: req('Trd_GetHistoryOrderFillList', pb.Trd_GetHistoryOrderFillList),
  2223: req('Trd_GetMarginRatio', pb.Trd_GetMarginRatio),
  2225: req('Trd_GetOrderFee', pb.Trd_GetOrderFee),
  2226: req('Trd_FlowSummary', pb.Trd_FlowSummary),
  2227: req('Trd_PlaceComboOrder', pb.Trd_PlaceComboOrder),
  // Quote
  3001: req('Qot_Sub', pb.Qot_Sub),
  3002: req('Qot_RegQotPush', pb.Qot_RegQotPush),
  3003: req('Qot_GetSubInfo', pb.Qot_GetSubInfo),
  3004: req('Qot_GetBasicQot', pb.Qot_GetBasicQot),
  3005: push('Qot_UpdateBasicQot', pb.Qot_UpdateBasicQot),
  3006: req('Qot_GetKL', pb.Qot_GetKL),
  3007: push('Qot_UpdateKL', pb.Qot_UpdateKL),
  3008: req('Qot_GetRT', pb.Qot_GetRT),
  3009: push('Qot_UpdateRT', pb.Qot_UpdateRT),
  3010: req('Qot_GetTicker', pb.Qot_GetTicker),
  3011: push('Qot_UpdateTicker', pb.Qot_UpdateTicker),
  3012: req('Qot_GetOrderBook', pb.Qot_GetOrderBook),
  3013: push('Qot_UpdateOrderBook', pb.Qot_UpdateOrderBook),
  3014: req('Qot_GetBroker', pb.Qot_GetBroker),
  3015: push('Qot_UpdateBroker', pb.Qot_UpdateBroker),
  3019: push('Qot_UpdatePriceReminder', pb.Qot_UpdatePriceReminder),
  3103: req('Qot_RequestHistoryKL', pb.Qot_RequestHistoryKL),
  3104: req('Qot_RequestHistoryKLQuota', pb.Qot_RequestHistoryKLQuota),
  3105: req('Qot_RequestRehab', pb.Qot_RequestRehab),
  3201: req('Qot_GetSuspend', pb.Qot_GetSuspend),
  3202: req('Qot_GetStaticInfo', pb.Qot_GetStaticInfo),
  3203: req('Qot_GetSecuritySnapshot', pb.Qot_GetSecuritySnapshot),
  3204: req('Qot_GetPlateSet', pb.Qot_GetPlateSet),
  3205: req('Qot_GetPlateSecurity', pb.Qot_GetPlateSecurity),
  3206: req('Qot_GetReference', pb.Qot_GetReference),
  3207: req('Qot_GetOwnerPlate', pb.Qot_GetOwnerPlate),
  3208: req('Qot_GetHoldingChangeList', pb.Qot_GetHoldingChangeList),
  3209: req('Qot_GetOptionChain', pb.Qot_GetOptionChain),
  3210: req('Qot_GetWarrant', pb.Qot_GetWarrant),
  3211: req('Qot_GetCapitalFlow', pb.Qot_GetCapitalFlow),
  3212: req('Qot_GetCapitalDistribution', pb.Qot_GetCapitalDistribution),
  3213: req('Qot_GetUserSecurity', pb.Qot_GetUserSecurity),
  3214: req('Qot_ModifyUserSecurity', pb.Qot_ModifyUserSecurity),
  3215: req('Qot_StockFilter', pb.Qot_StockFilter),
  3216: req('Qot_GetCodeChange', pb.Qot_GetCodeChange),
  3217: req('Qot_GetIpoList', pb.Qot_GetIpoList),
  3218: req('Qot_GetFutureInfo', pb.Qot_GetFutureInfo),
  3219: req('Qot_RequestTradeDate', pb.Qot_RequestTradeDate),
  3220: req('Qot_SetPriceReminder', pb.Qot_SetPriceReminder),
  3221: req('Qot_GetPriceReminder', pb.Qot_GetPriceReminder),
  3222: req('Qot_GetUserSecurityGroup', pb.Qot_GetUserSecurityGroup),
  3223: req('Qot_GetMarketState', pb.Qot_GetMarketState),
  3224: req('Qot_GetOptionExpirationDate', pb.Qot_GetOptionExpirationDate),
} as const;

/**
 * IDs listed in opend-protocol.md §4 for which futu-api 10.11.7108 ships no message definition:
 * 1009 InitQuantMode. Sending one fails with a clear error instead of bytes nobody can decode.
 */
export const KNOWN_WITHOUT_DEFINITION: Readonly<Record<number, string>> = { 1009: 'InitQuantMode' };

export type ProtoId = keyof typeof PROTOCOLS;
type Entry<Id extends ProtoId> = (typeof PROTOCOLS)[Id];
export type RequestProtoId = { [K in ProtoId]: Entry<K>['push'] extends false ? K : never }[ProtoId];
export type PushProtoId = { [K in ProtoId]: Entry<K>['push'] extends true ? K : never }[ProtoId];

type PkgOf<Id extends ProtoId> = Entry<Id>['pkg'];
export type RequestOf<Id extends RequestProtoId> = ReturnType<PkgOf<Id> extends { Request: { decode: (...a: any[]) => infer R } } ? () => R : never>;
export type ResponseOf<Id extends ProtoId> = ReturnType<PkgOf<Id>['Response']['decode']>;
export type C2SOf<Id extends RequestProtoId> = RequestOf<Id> extends { c2s: infer C } ? C : never;
export type S2COf<Id extends ProtoId> = NonNullable<ResponseOf<Id> extends { s2c?: infer S } ? S : never>;

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
export const TRADE_WRITE_IDS: ReadonlySet<number> = new Set([2202, 2205, 2227]);

/** What callers pass to OpenDClient.request: trade writes may omit packetID (the client fills it in). */
export type C2SInput<Id extends RequestProtoId> = C2SOf<Id> extends { packetID: infer P } ? Omit<C2SOf<Id>, 'packetID'> & { packetID?: P } : C2SOf<Id>;
