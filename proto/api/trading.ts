// The typed trading layer over OpenDClient: names instead of numbers, "HK.00700" instead of code + market,
// bigint account and order IDs.
import { createHash } from 'node:crypto';
import type { OpenDClient } from '../client.js';
import { enumName, enumValue } from '../enums.js';
import { ValidationError } from '../errors.js';
import * as Common from '../generated/Common.js';
import * as Trd_Common from '../generated/Trd_Common.js';
import { parseSecurity, prefixOfTrdSecMarket, TRD_SEC_MARKET_BY_PREFIX } from '../securities.js';
import { registerCodecs, PROTO_ID } from '../registry.js';
import * as Trd_GetAccList from '../generated/Trd_GetAccList.js';
import * as Trd_GetFunds from '../generated/Trd_GetFunds.js';
import * as Trd_GetHistoryOrderFillList from '../generated/Trd_GetHistoryOrderFillList.js';
import * as Trd_GetHistoryOrderList from '../generated/Trd_GetHistoryOrderList.js';
import * as Trd_GetMaxTrdQtys from '../generated/Trd_GetMaxTrdQtys.js';
import * as Trd_GetOrderFillList from '../generated/Trd_GetOrderFillList.js';
import * as Trd_GetOrderList from '../generated/Trd_GetOrderList.js';
import * as Trd_GetPositionList from '../generated/Trd_GetPositionList.js';
import * as Trd_ModifyOrder from '../generated/Trd_ModifyOrder.js';
import * as Trd_PlaceOrder from '../generated/Trd_PlaceOrder.js';
import * as Trd_SubAccPush from '../generated/Trd_SubAccPush.js';
import * as Trd_UnlockTrade from '../generated/Trd_UnlockTrade.js';

// The client side (encode the Request, decode the Response) of the protocols this module sends: a bundle carries
// only those functions (proto/registry.ts).
registerCodecs(Trd_GetAccList.clientCodec, Trd_GetFunds.clientCodec, Trd_GetHistoryOrderFillList.clientCodec, Trd_GetHistoryOrderList.clientCodec, Trd_GetMaxTrdQtys.clientCodec, Trd_GetOrderFillList.clientCodec, Trd_GetOrderList.clientCodec, Trd_GetPositionList.clientCodec, Trd_ModifyOrder.clientCodec, Trd_PlaceOrder.clientCodec, Trd_SubAccPush.clientCodec, Trd_UnlockTrade.clientCodec);

export type TrdEnvName = Trd_Common.TrdEnvName;
export type TrdMarketName = Trd_Common.TrdMarketName;
export type TrdSideName = Trd_Common.TrdSideName;
export type OrderTypeName = Trd_Common.OrderTypeName;
export type OrderStatusName = Trd_Common.OrderStatusName;
export type TimeInForceName = Trd_Common.TimeInForceName;
export type TrailTypeName = Trd_Common.TrailTypeName;

export interface AccountRef {
  accId: bigint;
  env: TrdEnvName;
  market: TrdMarketName;
}

export interface Account extends AccountRef {
  markets: TrdMarketName[];
  accType: Trd_Common.TrdAccTypeName;
  cardNum?: string;
  simAccType?: string;
  status?: string;
}

export interface Order {
  accId: bigint;
  env: TrdEnvName;
  trdMarket: TrdMarketName;
  orderId: bigint;
  orderIdEx: string;
  /** "HK.00700" */
  code: string;
  name: string;
  side: TrdSideName;
  type: OrderTypeName;
  status: OrderStatusName;
  qty: number;
  price?: number;
  fillQty: number;
  fillAvgPrice: number;
  timeInForce?: TimeInForceName;
  /** Trigger price of STOP / STOP_LIMIT / MARKETIF_TOUCHED / LIMITIF_TOUCHED orders. */
  auxPrice?: number;
  /** Trailing orders: RATIO (trailValue in percent, 5 = 5 %) or AMOUNT (a price distance). */
  trailType?: TrailTypeName;
  trailValue?: number;
  /** TRAILING_STOP_LIMIT: the limit's distance from the trigger price. */
  trailSpread?: number;
  remark?: string;
  lastErrMsg?: string;
  currency?: string;
  createTime: string;
  updateTime: string;
  createTimestamp?: number;
  updateTimestamp?: number;
}

export interface Fill {
  accId: bigint;
  env: TrdEnvName;
  fillId: bigint;
  fillIdEx: string;
  orderId?: bigint;
  code: string;
  name: string;
  side: TrdSideName;
  qty: number;
  price: number;
  createTime: string;
  createTimestamp?: number;
  status: string;
}

export interface Position {
  positionId: bigint;
  code: string;
  name: string;
  side: string;
  qty: number;
  canSellQty: number;
  price: number;
  costPrice?: number;
  value: number;
  plVal: number;
  plRatio?: number;
  currency?: string;
}

export interface Funds {
  currency?: string;
  power: number;
  totalAssets: number;
  cash: number;
  marketValue: number;
  frozenCash: number;
  debtCash: number;
  availableWithdrawalCash: number;
}

export interface PlaceOrderInput {
  code: string;
  side: TrdSideName;
  type?: OrderTypeName;
  qty: number;
  price?: number;
  timeInForce?: TimeInForceName;
  remark?: string;
  /** Snap an off-tick price: positive = up to that fraction (0.015 = 1.5 %), negative = down. */
  adjustPriceLimit?: number;
  fillOutsideRTH?: boolean;
  /** US orders: the sessions it may trade in (Common.Session): RTH, ETH (pre + regular + after), OVERNIGHT, ALL. */
  session?: Exclude<Common.SessionName, 'NONE'>;
  /** Trigger price (STOP, STOP_LIMIT, MARKETIF_TOUCHED, LIMITIF_TOUCHED). */
  auxPrice?: number;
  /** TRAILING_STOP / TRAILING_STOP_LIMIT: RATIO (trailValue in percent) or AMOUNT. */
  trailType?: TrailTypeName;
  trailValue?: number;
  /** TRAILING_STOP_LIMIT only. */
  trailSpread?: number;
}

/** Order types that carry a limit price when placed (a trailing stop limit's price comes from its trigger). */
export const PRICED_ORDER_TYPES: ReadonlySet<OrderTypeName> = new Set<OrderTypeName>([
  'NORMAL',
  'ABSOLUTE_LIMIT',
  'AUCTION_LIMIT',
  'SPECIAL_LIMIT',
  'SPECIAL_LIMIT_ALL',
  'STOP_LIMIT',
  'LIMITIF_TOUCHED',
  'TWAP_LIMIT',
  'VWAP_LIMIT',
]);

/** A change to a working order: fields left out keep their value. */
export interface ModifyOrderInput {
  qty?: number;
  price?: number;
  adjustPriceLimit?: number;
  /** Untriggered STOP / STOP_LIMIT / MARKETIF_TOUCHED / LIMITIF_TOUCHED: a new trigger price. */
  auxPrice?: number;
  /** Untriggered trailing orders: a new trail. */
  trailType?: TrailTypeName;
  trailValue?: number;
  trailSpread?: number;
}

const FUTURES_MARKETS: readonly TrdMarketName[] = ['FUTURES', 'FUTURES_SIMULATE_HK', 'FUTURES_SIMULATE_US', 'FUTURES_SIMULATE_SG', 'FUTURES_SIMULATE_JP'];

/**
 * The TrdHeader trdMarket to use for `security` on `account`: a universal (综合) account holds several trade
 * markets (it trades HK and US stocks and A shares through Stock Connect in several currencies, per Futu's
 * introduction, https://openapi.futunn.com/futu-api-doc/en/intro/intro.html), and every request names the one of
 * its security;
 * the Python SDK's filter_trdmarket "is only used to filter accounts and will not affect transaction connections"
 * (https://openapi.futunn.com/futu-api-doc/en/trade/base.html). HK.* trades under HK, US.* under US, SH.* / SZ.*
 * under HKCC (Stock Connect, a Hong Kong account) or CN (a mainland account); HK.* / US.* futures under the
 * account's futures market. Throws a ValidationError naming the account's markets when none can trade it.
 */
export function tradeMarketFor(account: { accId: bigint; markets: readonly string[] }, security: string): TrdMarketName {
  const ref = parseSecurity(security);
  const futures = FUTURES_MARKETS.filter((m) => account.markets.includes(m));
  const candidates: readonly TrdMarketName[] =
    ref.prefix === 'HK' ? ['HK', ...futures] : ref.prefix === 'US' ? ['US', ...futures] : ref.prefix === 'SH' || ref.prefix === 'SZ' ? ['HKCC', 'CN'] : [];
  const market = candidates.find((m) => account.markets.includes(m));
  if (!market) {
    throw new ValidationError('code', `${ref.key} cannot be traded by account ${account.accId}: it trades ${account.markets.join(', ') || 'no market'}`);
  }
  return market;
}

function secCode(code: string, field = 'code'): { code: string; secMarket: number } {
  const ref = parseSecurity(code, field);
  const secMarket = TRD_SEC_MARKET_BY_PREFIX[ref.prefix];
  if (secMarket === undefined) throw new ValidationError(field, `${ref.prefix} securities cannot be traded through this API`);
  return { code: ref.code, secMarket };
}

function fullCode(code: string, secMarket: number | undefined, trdMarket: number | undefined): string {
  const p = prefixOfTrdSecMarket(secMarket) ?? (trdMarket === 2 ? 'US' : trdMarket === 1 ? 'HK' : undefined);
  return p ? `${p}.${code}` : code;
}

export function headerOf(acc: AccountRef): Trd_Common.TrdHeader {
  return {
    trdEnv: enumValue(Trd_Common.TrdEnv, acc.env, 'env'),
    accID: acc.accId,
    trdMarket: enumValue(Trd_Common.TrdMarket, acc.market, 'market'),
  };
}

export function toOrder(header: Trd_Common.TrdHeader, o: Trd_Common.Order): Order {
  return {
    accId: header.accID,
    env: enumName(Trd_Common.TrdEnv, header.trdEnv),
    trdMarket: enumName(Trd_Common.TrdMarket, o.trdMarket ?? header.trdMarket),
    orderId: o.orderID,
    orderIdEx: o.orderIDEx,
    code: fullCode(o.code, o.secMarket, o.trdMarket ?? header.trdMarket),
    name: o.name,
    side: enumName(Trd_Common.TrdSide, o.trdSide),
    type: enumName(Trd_Common.OrderType, o.orderType),
    status: enumName(Trd_Common.OrderStatus, o.orderStatus),
    qty: o.qty,
    price: o.price,
    fillQty: o.fillQty ?? 0,
    fillAvgPrice: o.fillAvgPrice ?? 0,
    timeInForce: o.timeInForce === undefined ? undefined : enumName(Trd_Common.TimeInForce, o.timeInForce),
    auxPrice: o.auxPrice,
    trailType: o.trailType === undefined ? undefined : enumName(Trd_Common.TrailType, o.trailType),
    trailValue: o.trailValue,
    trailSpread: o.trailSpread,
    remark: o.remark,
    lastErrMsg: o.lastErrMsg,
    currency: o.currency === undefined ? undefined : enumName(Trd_Common.Currency, o.currency),
    createTime: o.createTime,
    updateTime: o.updateTime,
    createTimestamp: o.createTimestamp,
    updateTimestamp: o.updateTimestamp,
  };
}

export function toFill(header: Trd_Common.TrdHeader, f: Trd_Common.OrderFill): Fill {
  return {
    accId: header.accID,
    env: enumName(Trd_Common.TrdEnv, header.trdEnv),
    fillId: f.fillID,
    fillIdEx: f.fillIDEx,
    orderId: f.orderID,
    code: fullCode(f.code, f.secMarket, f.trdMarket ?? header.trdMarket),
    name: f.name,
    side: enumName(Trd_Common.TrdSide, f.trdSide),
    qty: f.qty,
    price: f.price,
    createTime: f.createTime,
    createTimestamp: f.createTimestamp,
    status: enumName(Trd_Common.OrderFillStatus, f.status ?? 0),
  };
}

export function md5Hex(s: string): string {
  return createHash('md5').update(s, 'utf8').digest('hex');
}

/** One Trd_GetAccList entry in names: its first trade market, all of them, and the account's kind and state. */
export function accountOf(a: Trd_Common.TrdAcc): Account {
  const markets = (a.trdMarketAuthList ?? []).map((m) => enumName(Trd_Common.TrdMarket, m));
  return {
    accId: a.accID,
    env: enumName(Trd_Common.TrdEnv, a.trdEnv),
    market: markets[0] ?? 'UNKNOWN',
    markets,
    accType: enumName(Trd_Common.TrdAccType, a.accType),
    cardNum: a.cardNum,
    simAccType: a.simAccType === undefined ? undefined : enumName(Trd_Common.SimAccType, a.simAccType),
    status: a.accStatus === undefined ? undefined : enumName(Trd_Common.TrdAccStatus, a.accStatus),
  };
}

export class TradeApi {
  constructor(private readonly client: OpenDClient) {}

  async accounts(): Promise<Account[]> {
    const s2c = await this.client.request(PROTO_ID.Trd_GetAccList, { userID: 0n, needGeneralSecAccount: true });
    return (s2c.accList ?? []).map(accountOf);
  }

  /** Unlocks trading OpenD-wide; pass the plain password (hashed here) or `{ md5 }`. */
  async unlock(password: string | { md5: string }): Promise<void> {
    const pwdMD5 = typeof password === 'string' ? md5Hex(password) : password.md5.toLowerCase();
    await this.client.request(PROTO_ID.Trd_UnlockTrade, { unlock: true, pwdMD5 });
  }

  async lock(): Promise<void> {
    await this.client.request(PROTO_ID.Trd_UnlockTrade, { unlock: false });
  }

  /** Order and fill pushes for these accounts go to this connection (replaces the previous list). */
  async subscribeAccountPushes(accIds: bigint[]): Promise<void> {
    await this.client.request(PROTO_ID.Trd_SubAccPush, { accIDList: accIds });
  }

  async funds(acc: AccountRef, opts: { refresh?: boolean; currency?: Trd_Common.CurrencyName } = {}): Promise<Funds> {
    const s2c = await this.client.request(PROTO_ID.Trd_GetFunds, {
      header: headerOf(acc),
      refreshCache: opts.refresh ?? false,
      currency: opts.currency ? enumValue(Trd_Common.Currency, opts.currency, 'currency') : undefined,
    });
    const f = s2c.funds;
    if (!f) throw new ValidationError('funds', 'OpenD returned no funds for this account');
    return {
      currency: f.currency === undefined ? undefined : enumName(Trd_Common.Currency, f.currency),
      power: f.power,
      totalAssets: f.totalAssets,
      cash: f.cash,
      marketValue: f.marketVal,
      frozenCash: f.frozenCash,
      debtCash: f.debtCash,
      availableWithdrawalCash: f.avlWithdrawalCash,
    };
  }

  async positions(acc: AccountRef, opts: { refresh?: boolean; codes?: string[] } = {}): Promise<Position[]> {
    const s2c = await this.client.request(PROTO_ID.Trd_GetPositionList, {
      header: headerOf(acc),
      refreshCache: opts.refresh ?? false,
      filterConditions: opts.codes ? { codeList: opts.codes.map((c) => secCode(c).code) } : undefined,
    });
    return (s2c.positionList ?? []).map((p) => ({
      positionId: p.positionID,
      code: fullCode(p.code, p.secMarket, p.trdMarket ?? headerOf(acc).trdMarket),
      name: p.name,
      side: enumName(Trd_Common.PositionSide, p.positionSide),
      qty: p.qty,
      canSellQty: p.canSellQty,
      price: p.price,
      costPrice: p.costPrice,
      value: p.val,
      plVal: p.plVal,
      plRatio: p.plRatio,
      currency: p.currency === undefined ? undefined : enumName(Trd_Common.Currency, p.currency),
    }));
  }

  async maxQuantities(acc: AccountRef, input: { code: string; type?: OrderTypeName; price: number }): Promise<Trd_Common.MaxTrdQtys> {
    const { code, secMarket } = secCode(input.code);
    const s2c = await this.client.request(PROTO_ID.Trd_GetMaxTrdQtys, {
      header: headerOf(acc),
      orderType: enumValue(Trd_Common.OrderType, input.type ?? 'NORMAL', 'type'),
      code,
      secMarket,
      price: input.price,
    });
    if (!s2c.maxTrdQtys) throw new ValidationError('maxTrdQtys', 'OpenD returned no maximum quantities');
    return s2c.maxTrdQtys;
  }

  async orders(acc: AccountRef, opts: { refresh?: boolean; codes?: string[]; orderIds?: bigint[]; statuses?: OrderStatusName[] } = {}): Promise<Order[]> {
    const header = headerOf(acc);
    const s2c = await this.client.request(PROTO_ID.Trd_GetOrderList, {
      header,
      refreshCache: opts.refresh ?? false,
      filterConditions: opts.codes || opts.orderIds ? { codeList: opts.codes?.map((c) => secCode(c).code), idList: opts.orderIds } : undefined,
      filterStatusList: opts.statuses?.map((s, i) => enumValue(Trd_Common.OrderStatus, s, `statuses[${i}]`)),
    });
    return (s2c.orderList ?? []).map((o) => toOrder(s2c.header, o));
  }

  async fills(acc: AccountRef, opts: { refresh?: boolean } = {}): Promise<Fill[]> {
    const s2c = await this.client.request(PROTO_ID.Trd_GetOrderFillList, { header: headerOf(acc), refreshCache: opts.refresh ?? false });
    return (s2c.orderFillList ?? []).map((f) => toFill(s2c.header, f));
  }

  async historyOrders(acc: AccountRef, range: { from: string; to: string; codes?: string[]; statuses?: OrderStatusName[] }): Promise<Order[]> {
    const s2c = await this.client.request(PROTO_ID.Trd_GetHistoryOrderList, {
      header: headerOf(acc),
      filterConditions: { beginTime: range.from, endTime: range.to, codeList: range.codes?.map((c) => secCode(c).code) },
      filterStatusList: range.statuses?.map((s, i) => enumValue(Trd_Common.OrderStatus, s, `statuses[${i}]`)),
    });
    return (s2c.orderList ?? []).map((o) => toOrder(s2c.header, o));
  }

  async historyFills(acc: AccountRef, range: { from: string; to: string }): Promise<Fill[]> {
    const s2c = await this.client.request(PROTO_ID.Trd_GetHistoryOrderFillList, { header: headerOf(acc), filterConditions: { beginTime: range.from, endTime: range.to } });
    return (s2c.orderFillList ?? []).map((f) => toFill(s2c.header, f));
  }

  async placeOrder(acc: AccountRef, input: PlaceOrderInput): Promise<{ orderId: bigint; orderIdEx?: string }> {
    const { code, secMarket } = secCode(input.code);
    const type = enumValue(Trd_Common.OrderType, input.type ?? 'NORMAL', 'type');
    if (!(typeof input.qty === 'number' && Number.isFinite(input.qty) && input.qty > 0)) throw new ValidationError('qty', 'must be a positive number');
    if (PRICED_ORDER_TYPES.has(input.type ?? 'NORMAL') && !(typeof input.price === 'number' && Number.isFinite(input.price) && input.price > 0)) {
      throw new ValidationError('price', `a positive limit price is required for ${input.type ?? 'NORMAL'} orders`);
    }
    if (input.remark !== undefined && Buffer.byteLength(input.remark, 'utf8') > 64) throw new ValidationError('remark', 'at most 64 bytes (UTF-8)');
    const s2c = await this.client.request(PROTO_ID.Trd_PlaceOrder, {
      header: headerOf(acc),
      trdSide: enumValue(Trd_Common.TrdSide, input.side, 'side'),
      orderType: type,
      code,
      secMarket,
      qty: input.qty,
      price: input.price ?? 0,
      remark: input.remark,
      timeInForce: input.timeInForce ? enumValue(Trd_Common.TimeInForce, input.timeInForce, 'timeInForce') : undefined,
      adjustPrice: input.adjustPriceLimit !== undefined ? true : undefined,
      adjustSideAndLimit: input.adjustPriceLimit,
      fillOutsideRTH: input.fillOutsideRTH,
      session: input.session ? enumValue(Common.Session, input.session, 'session', ['RTH', 'ETH', 'OVERNIGHT', 'ALL']) : undefined,
      auxPrice: input.auxPrice,
      trailType: input.trailType === undefined ? undefined : enumValue(Trd_Common.TrailType, input.trailType, 'trailType'),
      trailValue: input.trailValue,
      trailSpread: input.trailSpread,
    });
    if (s2c.orderID === undefined) throw new ValidationError('orderID', 'OpenD accepted the order but returned no orderID');
    return { orderId: s2c.orderID, orderIdEx: s2c.orderIDEx };
  }

  async modifyOrder(acc: AccountRef, orderId: bigint, change: ModifyOrderInput): Promise<void> {
    await this.client.request(PROTO_ID.Trd_ModifyOrder, {
      header: headerOf(acc),
      orderID: orderId,
      modifyOrderOp: Trd_Common.ModifyOrderOp.NORMAL,
      qty: change.qty,
      price: change.price,
      adjustPrice: change.adjustPriceLimit !== undefined ? true : undefined,
      adjustSideAndLimit: change.adjustPriceLimit,
      auxPrice: change.auxPrice,
      trailType: change.trailType === undefined ? undefined : enumValue(Trd_Common.TrailType, change.trailType, 'trailType'),
      trailValue: change.trailValue,
      trailSpread: change.trailSpread,
    });
  }

  async cancelOrder(acc: AccountRef, orderId: bigint): Promise<void> {
    await this.client.request(PROTO_ID.Trd_ModifyOrder, { header: headerOf(acc), orderID: orderId, modifyOrderOp: Trd_Common.ModifyOrderOp.CANCEL });
  }
}
