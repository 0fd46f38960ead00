/**
 * Orders and fills as they are stored in DynamoDB and sent on the bus: enums as names, 64-bit IDs as decimal
 * strings.
 */
import { isTerminalOrderStatus } from '../../proto/order-status.js';

export type TrdEnv = 'REAL' | 'SIMULATE';

export interface OrderRecord {
  accId: string;
  /** Decimal uint64. */
  orderId: string;
  orderIdEx?: string;
  clientOrderId?: string;
  /** "HK.00700" */
  code: string;
  /** "HK" */
  market: string;
  /** "BUY" | "SELL" | "SELL_SHORT" | "BUY_BACK" */
  side: string;
  /** e.g. "NORMAL", "MARKET" */
  orderType: string;
  /** An `OrderStatus` name; unknown names are kept as they are. */
  status: string;
  qty: number;
  price: number;
  fillQty: number;
  fillAvgPrice: number;
  trdEnv: TrdEnv;
  trdMarket: string;
  /** Conditional orders: trigger price (stop / if-touched), trail (trailing stops); see order-view.ts. */
  auxPrice?: number;
  trailType?: string;
  trailValue?: number;
  trailSpread?: number;
  remark?: string;
  lastErrMsg?: string;
  createTime?: string;
  updateTime?: string;
  /** Seconds (with fraction) from OpenD. */
  updateTimestamp: number;
}

export interface FillRecord {
  accId: string;
  /** Decimal uint64. */
  fillId: string;
  orderId: string;
  code: string;
  side: string;
  qty: number;
  price: number;
  /** Seconds (with fraction) from OpenD. */
  createTimestamp: number;
  status?: string;
  trdEnv: TrdEnv;
}

/** OpenD's OrderStatus enum: name → wire value. */
export const ORDER_STATUS = {
  UNKNOWN: -1,
  UNSUBMITTED: 0,
  WAITING_SUBMIT: 1,
  SUBMITTING: 2,
  SUBMIT_FAILED: 3,
  TIMEOUT: 4,
  SUBMITTED: 5,
  FILLED_PART: 10,
  FILLED_ALL: 11,
  CANCELLING_PART: 12,
  CANCELLING_ALL: 13,
  CANCELLED_PART: 14,
  CANCELLED_ALL: 15,
  FAILED: 21,
  DISABLED: 22,
  DELETED: 23,
  FILL_CANCELLED: 24,
} as const;

export type OrderStatus = keyof typeof ORDER_STATUS;

/** An order in a terminal state never changes again (except that a fill can still be cancelled); one list, in proto/. */
export function isTerminalStatus(status: string): boolean {
  return isTerminalOrderStatus(status);
}

/**
 * How far along its lifecycle a status is; only breaks ties between two updates with the same phase,
 * fillQty and timestamp. Unknown names rank lowest.
 */
export const ORDER_STATUS_RANK: Readonly<Record<OrderStatus, number>> = {
  UNKNOWN: 0,
  UNSUBMITTED: 1,
  WAITING_SUBMIT: 2,
  SUBMITTING: 3,
  TIMEOUT: 4,
  SUBMITTED: 5,
  FILLED_PART: 6,
  CANCELLING_PART: 7,
  CANCELLING_ALL: 8,
  DISABLED: 9,
  SUBMIT_FAILED: 10,
  FAILED: 11,
  CANCELLED_PART: 12,
  CANCELLED_ALL: 13,
  FILLED_ALL: 14,
  DELETED: 15,
  FILL_CANCELLED: 16,
};

export function orderStatusRank(status: string): number {
  return Object.hasOwn(ORDER_STATUS_RANK, status) ? ORDER_STATUS_RANK[status as OrderStatus] : 0;
}

/**
 * 0 = open, 1 = terminal, 2 = a fill was cancelled after the order ended (the only change a terminal order
 * can still see, and one that may lower fillQty).
 */
function phase(status: string): number {
  if (status === 'FILL_CANCELLED') return 2;
  return isTerminalStatus(status) ? 1 : 0;
}

/**
 * A version that only grows as an order moves along its lifecycle, so a store can keep the newest state by
 * comparing versions: first the phase (a terminal state beats any open one), then fillQty (fills never go
 * backwards), then OpenD's updateTimestamp, then the status rank. Two updates of the same order compare
 * correctly as plain strings (fixed-width, zero-padded), which is how DynamoDB compares them in a condition.
 */
export function orderVersion(order: Pick<OrderRecord, 'status' | 'fillQty' | 'updateTimestamp'>): string {
  return [
    String(phase(order.status)),
    fixedWidth(order.fillQty),
    fixedWidth(order.updateTimestamp),
    String(orderStatusRank(order.status)).padStart(2, '0'),
  ].join('|');
}

/** Negative when `a` is older than `b`, 0 when equally new, positive when newer. */
export function compareOrderProgress(
  a: Pick<OrderRecord, 'status' | 'fillQty' | 'updateTimestamp'>,
  b: Pick<OrderRecord, 'status' | 'fillQty' | 'updateTimestamp'>,
): number {
  const va = orderVersion(a);
  const vb = orderVersion(b);
  return va < vb ? -1 : va > vb ? 1 : 0;
}

/** 6 decimals (microseconds / fractional shares), 24 characters: sorts as a string for values below 1e17. */
function fixedWidth(value: number): string {
  if (!Number.isFinite(value) || value < 0) {
    throw new RangeError(`expected a finite, non-negative number, got ${value}`);
  }
  return value.toFixed(6).padStart(24, '0');
}
