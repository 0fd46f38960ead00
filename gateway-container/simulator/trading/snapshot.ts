// The trading engine's state as plain JSON-ready data, and back: accounts' cash and positions (with today's
// buy/sell statistics), every order and fill ever made (so Trd_GetHistoryOrderList and
// Trd_GetHistoryOrderFillList still answer for earlier days after a restart), which orders are still open,
// and the ID counter.
// Invariants: 64-bit IDs travel as decimal strings, never as JSON numbers; every ID in the data is at or
// below the saved counter, so IDs handed out after a restore never collide with earlier ones; a restore
// either rebuilds the whole state or throws a StateFileError naming the first bad field — never a partial
// or silently empty state.
// Not saved, on purpose: the trade unlock (OpenD forgets it on restart too: Trd_UnlockTrade is needed again)
// and per-connection state (push registrations, packetID serials), which dies with the connections.
import * as Trd_Common from '../../../proto/generated/Trd_Common.js';
import type { MarketView, SecurityMarket } from '../market-view.js';
import type { AccountState, PositionState, TodayStats, TrdEnvName } from './accounts.js';
import { type FillRecord, type OrderState, type Role } from './records.js';
import { restoreWorked, workedData, type WorkedData } from './worked-orders.js';
import { CASH_CURRENCIES, formatLocalTime, MARKET_TIME_ZONE, secMarketEnum, securityMarketOf, type CashCurrency } from './util.js';

export interface TradingStateData {
  /** Virtual time of the save, ms since epoch: the clock never goes back across a restart. */
  clockMs: number;
  /** Last order / fill / position ID handed out. */
  lastId: string;
  accounts: AccountData[];
  orders: OrderData[];
  fills: FillData[];
}

export interface AccountData {
  accID: string;
  trdEnv: TrdEnvName;
  cash: Partial<Record<CashCurrency, number>>;
  positions: PositionData[];
}

export interface PositionData {
  positionID: string;
  key: string;
  currency: CashCurrency;
  qty: number;
  avgCost: number;
  costTotal: number;
  realizedPL: number;
  today: TodayStats;
}

export interface OrderData {
  accID: string;
  trdMarket: number;
  orderID: string;
  orderIDEx: string;
  key: string;
  tradeDate: string;
  trdSide: number;
  orderType: number;
  status: number;
  qty: number;
  price: number;
  auxPrice?: number;
  /** Trailing orders: Trd_Common.TrailType, value, limit spread, and the water mark so far. */
  trailType?: number;
  trailValue?: number;
  trailSpread?: number;
  trailMark?: number;
  triggered: boolean;
  fillQty: number;
  fillValue: number;
  createMs: number;
  updateMs: number;
  remark: string;
  timeInForce: number;
  fillOutsideRTH?: boolean;
  session?: number;
  lastErrMsg: string;
  role: Role;
  reservePrice: number;
  /** Still working or disabled (not final). */
  open: boolean;
  /** At-auction / TWAP / VWAP orders: their working state (worked-orders.ts). */
  worked?: WorkedData;
}

export interface FillData {
  accID: string;
  trdMarket: number;
  key: string;
  createMs: number;
  fillID: string;
  fillIDEx: string;
  orderID: string;
  orderIDEx: string;
  trdSide: number;
  qty: number;
  price: number;
  status: number;
}

/** A state file that cannot be used as it is: the message says what is wrong and where. */
export class StateFileError extends Error {
  override readonly name = 'StateFileError';
}

/** What the engine hands over to be saved. */
export interface EngineParts {
  lastId: bigint;
  accounts: readonly AccountState[];
  orders: readonly OrderState[];
  open: ReadonlySet<OrderState>;
  fills: readonly FillRecord[];
}

export function exportState(parts: EngineParts, clockMs: number): TradingStateData {
  return {
    clockMs,
    lastId: parts.lastId.toString(),
    accounts: parts.accounts.map((a) => ({
      accID: a.accID.toString(),
      trdEnv: a.envName,
      cash: Object.fromEntries(a.cash),
      positions: [...a.positions.values()].map((p) => ({
        positionID: p.positionID.toString(),
        key: p.key,
        currency: p.currency,
        qty: p.qty,
        avgCost: p.avgCost,
        costTotal: p.costTotal,
        realizedPL: p.realizedPL,
        today: { ...p.today },
      })),
    })),
    orders: parts.orders.map((o) => {
      const d: OrderData = {
        accID: o.acc.accID.toString(),
        trdMarket: o.header.trdMarket,
        orderID: o.orderID.toString(),
        orderIDEx: o.orderIDEx,
        key: o.sec.key,
        tradeDate: o.tradeDate,
        trdSide: o.trdSide,
        orderType: o.orderType,
        status: o.status,
        qty: o.qty,
        price: o.price,
        triggered: o.triggered,
        fillQty: o.fillQty,
        fillValue: o.fillValue,
        createMs: o.createMs,
        updateMs: o.updateMs,
        remark: o.remark,
        timeInForce: o.timeInForce,
        lastErrMsg: o.lastErrMsg,
        role: o.role,
        reservePrice: o.reservePrice,
        open: parts.open.has(o),
      };
      if (o.auxPrice !== undefined) d.auxPrice = o.auxPrice;
      if (o.trailType !== undefined) d.trailType = o.trailType;
      if (o.trailValue !== undefined) d.trailValue = o.trailValue;
      if (o.trailSpread !== undefined) d.trailSpread = o.trailSpread;
      if (o.trailMark !== undefined) d.trailMark = o.trailMark;
      if (o.fillOutsideRTH !== undefined) d.fillOutsideRTH = o.fillOutsideRTH;
      if (o.session !== undefined) d.session = o.session;
      const worked = workedData(o);
      if (worked) d.worked = worked;
      return d;
    }),
    fills: parts.fills.map((f) => ({
      accID: f.acc.accID.toString(),
      trdMarket: f.header.trdMarket,
      key: `${marketOfSecMarket(f.fill.secMarket)}.${f.fill.code}`,
      createMs: f.createMs,
      fillID: f.fill.fillID.toString(),
      fillIDEx: f.fill.fillIDEx,
      orderID: (f.fill.orderID ?? 0n).toString(),
      orderIDEx: f.fill.orderIDEx ?? '',
      trdSide: f.fill.trdSide,
      qty: f.fill.qty,
      price: f.fill.price,
      status: f.fill.status ?? Trd_Common.OrderFillStatus.OK,
    })),
  };
}

export interface RestoredState {
  lastId: bigint;
  orders: OrderState[];
  open: OrderState[];
  fills: FillRecord[];
  /** Accounts whose cash and positions came from the data (the others keep their configured start). */
  restoredAccounts: Set<bigint>;
}

/**
 * Rebuilds the engine's records from `data` (already shape-checked by state-file.ts), writing cash and
 * positions into the configured accounts. Throws StateFileError when the data does not fit this
 * simulator (an account it is not configured with, a security outside its universe, IDs above the counter).
 */
export function restoreState(data: TradingStateData, market: MarketView, accountsById: ReadonlyMap<bigint, AccountState>): RestoredState {
  const lastId = BigInt(data.lastId);
  const checkId = (id: bigint, what: string): bigint => {
    if (id > lastId) throw new StateFileError(`state file is inconsistent: ${what} ${id} is above the saved ID counter ${lastId}`);
    return id;
  };
  const account = (accID: string, where: string): AccountState => {
    const acc = accountsById.get(BigInt(accID));
    if (!acc) {
      throw new StateFileError(
        `${where}: account ${accID} is not configured in this simulator (configured: ${[...accountsById.keys()].join(', ')}); ` +
          'start with the accounts the state file was saved with, or with a new state file',
      );
    }
    return acc;
  };
  const security = (key: string, where: string) => {
    const sec = market.security(key);
    if (!sec) throw new StateFileError(`${where}: security ${key} is not in this simulator's universe`);
    return sec;
  };

  const restoredAccounts = new Set<bigint>();
  data.accounts.forEach((a, i) => {
    const acc = account(a.accID, `accounts[${i}]`);
    if (acc.envName !== a.trdEnv) throw new StateFileError(`accounts[${i}]: account ${a.accID} is ${acc.envName} here but ${a.trdEnv} in the state file`);
    if (restoredAccounts.has(acc.accID)) throw new StateFileError(`accounts[${i}]: account ${a.accID} appears twice`);
    restoredAccounts.add(acc.accID);
    acc.cash.clear();
    for (const c of CASH_CURRENCIES) {
      const v = a.cash[c];
      if (v !== undefined) acc.cash.set(c, v);
    }
    acc.positions.clear();
    a.positions.forEach((p, j) => {
      const dot = p.key.indexOf('.');
      const mkt = p.key.slice(0, dot);
      if (dot < 1 || !(mkt in MARKET_TIME_ZONE)) throw new StateFileError(`accounts[${i}].positions[${j}].key "${p.key}" must look like "HK.00700"`);
      const pos: PositionState = {
        positionID: checkId(BigInt(p.positionID), 'position ID'),
        key: p.key,
        market: mkt as SecurityMarket,
        code: p.key.slice(dot + 1),
        currency: p.currency,
        qty: p.qty,
        avgCost: p.avgCost,
        costTotal: p.costTotal,
        realizedPL: p.realizedPL,
        today: { ...p.today },
      };
      acc.positions.set(p.key, pos);
    });
  });

  const orders: OrderState[] = [];
  const open: OrderState[] = [];
  const seen = new Set<bigint>();
  data.orders.forEach((d, i) => {
    const where = `orders[${i}]`;
    const acc = account(d.accID, where);
    const sec = security(d.key, where);
    const orderID = checkId(BigInt(d.orderID), 'order ID');
    if (seen.has(orderID)) throw new StateFileError(`${where}: order ID ${orderID} appears twice`);
    seen.add(orderID);
    const o: OrderState = {
      acc,
      header: { trdEnv: acc.trdEnv, accID: acc.accID, trdMarket: d.trdMarket },
      orderID,
      orderIDEx: d.orderIDEx,
      sec,
      tz: MARKET_TIME_ZONE[sec.market],
      tradeDate: d.tradeDate,
      trdSide: d.trdSide,
      orderType: d.orderType,
      // The engine moves SUBMITTING to SUBMITTED within the same call; a save caught in between restores as
      // SUBMITTED, which is what the placing client was told.
      status: d.status === Trd_Common.OrderStatus.SUBMITTING ? Trd_Common.OrderStatus.SUBMITTED : d.status,
      qty: d.qty,
      price: d.price,
      triggered: d.triggered,
      fillQty: d.fillQty,
      fillValue: d.fillValue,
      createMs: d.createMs,
      updateMs: d.updateMs,
      remark: d.remark,
      timeInForce: d.timeInForce,
      lastErrMsg: d.lastErrMsg,
      role: d.role,
      reservePrice: d.reservePrice,
    };
    if (d.auxPrice !== undefined) o.auxPrice = d.auxPrice;
    if (d.trailType !== undefined) o.trailType = d.trailType;
    if (d.trailValue !== undefined) o.trailValue = d.trailValue;
    if (d.trailSpread !== undefined) o.trailSpread = d.trailSpread;
    if (d.trailMark !== undefined) o.trailMark = d.trailMark;
    if (d.fillOutsideRTH !== undefined) o.fillOutsideRTH = d.fillOutsideRTH;
    if (d.session !== undefined) o.session = d.session;
    restoreWorked(o, d.worked);
    orders.push(o);
    if (d.open) open.push(o);
  });

  const fills: FillRecord[] = data.fills.map((d, i) => {
    const where = `fills[${i}]`;
    const acc = account(d.accID, where);
    const sec = security(d.key, where);
    const fill: Trd_Common.OrderFill = {
      trdSide: d.trdSide,
      fillID: checkId(BigInt(d.fillID), 'fill ID'),
      fillIDEx: d.fillIDEx,
      orderID: BigInt(d.orderID),
      orderIDEx: d.orderIDEx,
      code: sec.code,
      name: sec.name,
      qty: d.qty,
      price: d.price,
      createTime: formatLocalTime(d.createMs, MARKET_TIME_ZONE[sec.market]),
      secMarket: secMarketEnum(sec.market),
      createTimestamp: d.createMs / 1000,
      updateTimestamp: d.createMs / 1000,
      status: d.status,
      trdMarket: d.trdMarket,
    };
    return { acc, header: { trdEnv: acc.trdEnv, accID: acc.accID, trdMarket: d.trdMarket }, fill, tz: MARKET_TIME_ZONE[sec.market], createMs: d.createMs };
  });
  return { lastId, orders, open, fills, restoredAccounts };
}

/** A saved fill's market; HK for a value the simulator has no market of (as before the shared helper). */
function marketOfSecMarket(secMarket: number | undefined): SecurityMarket {
  return securityMarketOf(secMarket) ?? 'HK';
}
