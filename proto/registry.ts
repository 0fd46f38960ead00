// The OpenD ProtoID registry: every system, trade and quote protocol of the official SDK's ProtoID table, with the
// generated Request/Response codecs for each. Push protocols have only a Response (OpenD never receives them).
// Each package is imported on its own so that bundles carry only the protocols listed here.
import * as GetDelayStatistics from './generated/GetDelayStatistics.js';
import * as GetGlobalState from './generated/GetGlobalState.js';
import * as GetUserInfo from './generated/GetUserInfo.js';
import * as InitConnect from './generated/InitConnect.js';
import * as KeepAlive from './generated/KeepAlive.js';
import * as Notify from './generated/Notify.js';
import * as Qot_GetBasicQot from './generated/Qot_GetBasicQot.js';
import * as Qot_GetBroker from './generated/Qot_GetBroker.js';
import * as Qot_GetCapitalDistribution from './generated/Qot_GetCapitalDistribution.js';
import * as Qot_GetCapitalFlow from './generated/Qot_GetCapitalFlow.js';
import * as Qot_GetCodeChange from './generated/Qot_GetCodeChange.js';
import * as Qot_GetFutureInfo from './generated/Qot_GetFutureInfo.js';
import * as Qot_GetHoldingChangeList from './generated/Qot_GetHoldingChangeList.js';
import * as Qot_GetIpoList from './generated/Qot_GetIpoList.js';
import * as Qot_GetKL from './generated/Qot_GetKL.js';
import * as Qot_GetMarketState from './generated/Qot_GetMarketState.js';
import * as Qot_GetOptionChain from './generated/Qot_GetOptionChain.js';
import * as Qot_GetOptionExpirationDate from './generated/Qot_GetOptionExpirationDate.js';
import * as Qot_GetOrderBook from './generated/Qot_GetOrderBook.js';
import * as Qot_GetOwnerPlate from './generated/Qot_GetOwnerPlate.js';
import * as Qot_GetPlateSecurity from './generated/Qot_GetPlateSecurity.js';
import * as Qot_GetPlateSet from './generated/Qot_GetPlateSet.js';
import * as Qot_GetPriceReminder from './generated/Qot_GetPriceReminder.js';
import * as Qot_GetRT from './generated/Qot_GetRT.js';
import * as Qot_GetReference from './generated/Qot_GetReference.js';
import * as Qot_GetSecuritySnapshot from './generated/Qot_GetSecuritySnapshot.js';
import * as Qot_GetStaticInfo from './generated/Qot_GetStaticInfo.js';
import * as Qot_GetSubInfo from './generated/Qot_GetSubInfo.js';
import * as Qot_GetSuspend from './generated/Qot_GetSuspend.js';
import * as Qot_GetTicker from './generated/Qot_GetTicker.js';
import * as Qot_GetUserSecurity from './generated/Qot_GetUserSecurity.js';
import * as Qot_GetUserSecurityGroup from './generated/Qot_GetUserSecurityGroup.js';
import * as Qot_GetWarrant from './generated/Qot_GetWarrant.js';
import * as Qot_ModifyUserSecurity from './generated/Qot_ModifyUserSecurity.js';
import * as Qot_RegQotPush from './generated/Qot_RegQotPush.js';
import * as Qot_RequestHistoryKL from './generated/Qot_RequestHistoryKL.js';
import * as Qot_RequestHistoryKLQuota from './generated/Qot_RequestHistoryKLQuota.js';
import * as Qot_RequestRehab from './generated/Qot_RequestRehab.js';
import * as Qot_RequestTradeDate from './generated/Qot_RequestTradeDate.js';
import * as Qot_SetPriceReminder from './generated/Qot_SetPriceReminder.js';
import * as Qot_StockFilter from './generated/Qot_StockFilter.js';
import * as Qot_Sub from './generated/Qot_Sub.js';
import * as Qot_UpdateBasicQot from './generated/Qot_UpdateBasicQot.js';
import * as Qot_UpdateBroker from './generated/Qot_UpdateBroker.js';
import * as Qot_UpdateKL from './generated/Qot_UpdateKL.js';
import * as Qot_UpdateOrderBook from './generated/Qot_UpdateOrderBook.js';
import * as Qot_UpdatePriceReminder from './generated/Qot_UpdatePriceReminder.js';
import * as Qot_UpdateRT from './generated/Qot_UpdateRT.js';
import * as Qot_UpdateTicker from './generated/Qot_UpdateTicker.js';
import * as TestCmd from './generated/TestCmd.js';
import * as Trd_FlowSummary from './generated/Trd_FlowSummary.js';
import * as Trd_GetAccList from './generated/Trd_GetAccList.js';
import * as Trd_GetComboMaxTrdQtys from './generated/Trd_GetComboMaxTrdQtys.js';
import * as Trd_GetFunds from './generated/Trd_GetFunds.js';
import * as Trd_GetHistoryOrderFillList from './generated/Trd_GetHistoryOrderFillList.js';
import * as Trd_GetHistoryOrderList from './generated/Trd_GetHistoryOrderList.js';
import * as Trd_GetMarginRatio from './generated/Trd_GetMarginRatio.js';
import * as Trd_GetMaxTrdQtys from './generated/Trd_GetMaxTrdQtys.js';
import * as Trd_GetOrderFee from './generated/Trd_GetOrderFee.js';
import * as Trd_GetOrderFillList from './generated/Trd_GetOrderFillList.js';
import * as Trd_GetOrderList from './generated/Trd_GetOrderList.js';
import * as Trd_GetPositionList from './generated/Trd_GetPositionList.js';
import * as Trd_ModifyOrder from './generated/Trd_ModifyOrder.js';
import * as Trd_PlaceComboOrder from './generated/Trd_PlaceComboOrder.js';
import * as Trd_PlaceOrder from './generated/Trd_PlaceOrder.js';
import * as Trd_SubAccPush from './generated/Trd_SubAccPush.js';
import * as Trd_UnlockTrade from './generated/Trd_UnlockTrade.js';
import * as Trd_UpdateOrder from './generated/Trd_UpdateOrder.js';
import * as Trd_UpdateOrderFill from './generated/Trd_UpdateOrderFill.js';
import * as Verification from './generated/Verification.js';
const pb = { GetDelayStatistics, GetGlobalState, GetUserInfo, InitConnect, KeepAlive, Notify, Qot_GetBasicQot, Qot_GetBroker, Qot_GetCapitalDistribution, Qot_GetCapitalFlow, Qot_GetCodeChange, Qot_GetFutureInfo, Qot_GetHoldingChangeList, Qot_GetIpoList, Qot_GetKL, Qot_GetMarketState, Qot_GetOptionChain, Qot_GetOptionExpirationDate, Qot_GetOrderBook, Qot_GetOwnerPlate, Qot_GetPlateSecurity, Qot_GetPlateSet, Qot_GetPriceReminder, Qot_GetRT, Qot_GetReference, Qot_GetSecuritySnapshot, Qot_GetStaticInfo, Qot_GetSubInfo, Qot_GetSuspend, Qot_GetTicker, Qot_GetUserSecurity, Qot_GetUserSecurityGroup, Qot_GetWarrant, Qot_ModifyUserSecurity, Qot_RegQotPush, Qot_RequestHistoryKL, Qot_RequestHistoryKLQuota, Qot_RequestRehab, Qot_RequestTradeDate, Qot_SetPriceReminder, Qot_StockFilter, Qot_Sub, Qot_UpdateBasicQot, Qot_UpdateBroker, Qot_UpdateKL, Qot_UpdateOrderBook, Qot_UpdatePriceReminder, Qot_UpdateRT, Qot_UpdateTicker, TestCmd, Trd_FlowSummary, Trd_GetAccList, Trd_GetComboMaxTrdQtys, Trd_GetFunds, Trd_GetHistoryOrderFillList, Trd_GetHistoryOrderList, Trd_GetMarginRatio, Trd_GetMaxTrdQtys, Trd_GetOrderFee, Trd_GetOrderFillList, Trd_GetOrderList, Trd_GetPositionList, Trd_ModifyOrder, Trd_PlaceComboOrder, Trd_PlaceOrder, Trd_SubAccPush, Trd_UnlockTrade, Trd_UpdateOrder, Trd_UpdateOrderFill, Verification };
import type { Reader, Writer } from './wire.js';

interface Codec<T> {
  readonly typeName: string;
  encode(m: T, w?: Writer): Writer;
  decode(input: Reader | Uint8Array, length?: number): T;
}
interface RequestPkg { Request: Codec<any>; Response: Codec<any> }
interface PushPkg { Response: Codec<any> }

function req<N extends string, P extends RequestPkg>(name: N, pkg: P) {
  return { name, push: false as const, pkg };
}
function push<N extends string, P extends PushPkg>(name: N, pkg: P) {
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
 * IDs in the official SDK's ProtoID table for which futu-api 10.11.7108 ships no message definition:
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
