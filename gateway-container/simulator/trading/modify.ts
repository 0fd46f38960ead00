// Trd_ModifyOrder's operations on one order of the paper-trading engine: NORMAL (change qty / price /
// trigger), CANCEL, and the HK-only DISABLE / ENABLE / DELETE. Split out of engine.ts; the engine hands in
// the few parts of itself these need (EngineCore) and keeps ownership of all state.
// Invariants: an operation that throws has changed nothing; every change is emitted exactly once.
import * as Trd_Common from '../../../proto/generated/Trd_Common.js';
import type * as Trd_ModifyOrder from '../../../proto/generated/Trd_ModifyOrder.js';
import type { AccountState } from './accounts.js';
import { TradingError } from './errors.js';
import type { Ledger } from './ledger.js';
import { WORKING, type OrderState } from './records.js';
import { nameOf } from './util.js';
import { checkTrail, isConditional, TRAILING_TYPES } from './order-types.js';
import { trailReservePrice } from './triggers.js';
import { checkPrice, checkQty, IMMEDIATE_TYPES, LIMIT_TYPES, TRIGGER_TYPES } from './validation.js';

const { OrderStatus, OrderType, ModifyOrderOp } = Trd_Common;

/** The parts of the engine that order operations use. */
export interface EngineCore {
  readonly open: Set<OrderState>;
  readonly ledger: Ledger;
  cancel(o: OrderState, reason: string): void;
  touchAndEmit(o: OrderState): void;
  /** Matches a working, triggered order against the book if its market trades now. */
  matchNow(o: OrderState): void;
}

/** Checks that `op` is a known operation and allowed in the account's environment. */
export function checkModifyOp(acc: AccountState, op: number): void {
  const known: number[] = [ModifyOrderOp.NORMAL, ModifyOrderOp.CANCEL, ModifyOrderOp.DISABLE, ModifyOrderOp.ENABLE, ModifyOrderOp.DELETE];
  if (!known.includes(op)) {
    throw new TradingError(`modifyOrderOp ${nameOf(ModifyOrderOp, op)} is invalid: use NORMAL, CANCEL, DISABLE, ENABLE or DELETE`);
  }
  if (acc.envName === 'SIMULATE' && op !== ModifyOrderOp.NORMAL && op !== ModifyOrderOp.CANCEL) {
    throw new TradingError(`modifyOrderOp ${nameOf(ModifyOrderOp, op)} is not supported: paper trading supports only NORMAL (modify) and CANCEL`);
  }
}

/** Applies one (already checked) operation to one order of `acc`. */
export function applyModifyOp(core: EngineCore, acc: AccountState, o: OrderState, op: number, c2s: Trd_ModifyOrder.C2S): void {
  const opName = nameOf(ModifyOrderOp, op);
  if ((op === ModifyOrderOp.DISABLE || op === ModifyOrderOp.ENABLE || op === ModifyOrderOp.DELETE) && o.sec.market !== 'HK') {
    throw new TradingError(`modifyOrderOp ${opName} is only supported for HK orders; ${o.sec.key} supports NORMAL and CANCEL`);
  }
  const statusName = nameOf(OrderStatus, o.status);
  switch (op) {
    case ModifyOrderOp.NORMAL:
      modifyFields(core, o, c2s);
      break;
    case ModifyOrderOp.CANCEL:
      if (!core.open.has(o)) throw new TradingError(`order ${o.orderID} is already ${statusName} and cannot be cancelled`);
      core.cancel(o, '');
      break;
    case ModifyOrderOp.DISABLE:
      if (!WORKING.has(o.status)) throw new TradingError(`order ${o.orderID} is ${statusName}; only working orders can be disabled`);
      o.status = OrderStatus.DISABLED;
      core.touchAndEmit(o);
      break;
    case ModifyOrderOp.ENABLE: {
      if (o.status !== OrderStatus.DISABLED) throw new TradingError(`order ${o.orderID} is ${statusName}; only DISABLED orders can be enabled`);
      core.ledger.checkCapacity(acc, o.sec, o.role, o.qty - o.fillQty, o.reservePrice, o);
      o.status = o.fillQty > 0 ? OrderStatus.FILLED_PART : o.triggered ? OrderStatus.SUBMITTED : OrderStatus.WAITING_SUBMIT;
      core.touchAndEmit(o);
      core.matchNow(o);
      break;
    }
    case ModifyOrderOp.DELETE: {
      const deletable: number[] = [
        OrderStatus.WAITING_SUBMIT,
        OrderStatus.SUBMITTED,
        OrderStatus.DISABLED,
        OrderStatus.CANCELLED_ALL,
        OrderStatus.FAILED,
        OrderStatus.SUBMIT_FAILED,
      ];
      if (o.fillQty > 0 || !deletable.includes(o.status)) {
        throw new TradingError(`order ${o.orderID} is ${statusName} with ${o.fillQty} filled; only unfilled orders can be deleted`);
      }
      o.status = OrderStatus.DELETED;
      core.open.delete(o);
      core.touchAndEmit(o);
      break;
    }
  }
}

/**
 * ModifyOrderOp NORMAL: new qty / price, and for an untriggered conditional order a new auxPrice or trail
 * (trailType / trailValue / trailSpread); checks everything before changing anything.
 */
function modifyFields(core: EngineCore, o: OrderState, c2s: Trd_ModifyOrder.C2S): void {
  const statusName = nameOf(OrderStatus, o.status);
  if (!core.open.has(o)) throw new TradingError(`order ${o.orderID} is already ${statusName} and cannot be modified`);
  if (IMMEDIATE_TYPES.has(o.orderType)) {
    throw new TradingError(`${nameOf(OrderType, o.orderType)} orders cannot be modified; cancel and place a new order`);
  }
  const qty = c2s.qty === undefined ? o.qty : checkQty(c2s.qty, o.sec);
  if (qty <= o.fillQty) {
    throw new TradingError(`qty ${qty} must be more than the ${o.fillQty} already filled; cancel the order instead`);
  }
  const price = LIMIT_TYPES.has(o.orderType) && c2s.price !== undefined ? checkPrice(c2s.price, o.sec, c2s) : o.price;
  const changesTrigger = c2s.auxPrice !== undefined || c2s.trailType !== undefined || c2s.trailValue !== undefined || c2s.trailSpread !== undefined;
  if (changesTrigger && !isConditional(o.orderType)) {
    throw new TradingError(`${nameOf(OrderType, o.orderType)} orders have no trigger: auxPrice and trail fields cannot be changed`);
  }
  const typeName = nameOf(OrderType, o.orderType);
  if (c2s.auxPrice !== undefined && !TRIGGER_TYPES.has(o.orderType)) {
    throw new TradingError(`${typeName} orders have no auxPrice; change the trail (trailType / trailValue / trailSpread) instead`);
  }
  if ((c2s.trailType !== undefined || c2s.trailValue !== undefined) && !TRAILING_TYPES.has(o.orderType)) {
    throw new TradingError(`${typeName} orders have no trail: trailType / trailValue are only for TRAILING_STOP and TRAILING_STOP_LIMIT`);
  }
  if (c2s.trailSpread !== undefined && o.orderType !== OrderType.TRAILING_STOP_LIMIT) {
    throw new TradingError(`${typeName} orders have no trailSpread: it is only for TRAILING_STOP_LIMIT`);
  }
  if (changesTrigger && o.triggered) {
    throw new TradingError(`order ${o.orderID} has already triggered; its trigger price and trail can no longer change`);
  }
  const auxPrice =
    TRIGGER_TYPES.has(o.orderType) && c2s.auxPrice !== undefined ? checkPrice(c2s.auxPrice, o.sec, {}, 'auxPrice') : o.auxPrice;
  // Trailing orders: a new trail keeps the water mark; fields left out keep their value.
  const trail = TRAILING_TYPES.has(o.orderType)
    ? checkTrail(o.orderType, {
        trailType: c2s.trailType ?? o.trailType,
        trailValue: c2s.trailValue ?? o.trailValue,
        trailSpread: c2s.trailSpread ?? o.trailSpread,
      })
    : undefined;
  const reservePrice = trail
    ? trailReservePrice({ ...o, ...trail })
    : LIMIT_TYPES.has(o.orderType)
      ? price
      : (auxPrice ?? o.reservePrice);
  if (WORKING.has(o.status)) core.ledger.checkCapacity(o.acc, o.sec, o.role, qty - o.fillQty, reservePrice, o);
  o.qty = qty;
  o.price = price;
  if (auxPrice !== undefined) o.auxPrice = auxPrice;
  if (trail) Object.assign(o, trail);
  o.reservePrice = reservePrice;
  core.touchAndEmit(o);
  core.matchNow(o);
}
