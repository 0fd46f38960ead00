// Remembers the state of every order and fill the relay has published, so that a push and a reconciliation
// listing of the same state publish it once, and a stale state never follows a newer one.
//
// Two views are kept: what was handed to the publisher (decides duplicates within this process), and what the
// bus has accepted (the durable checkpoint is written from it, so an event still queued when the process is
// killed is published again after a restart). Memory is bounded: terminal orders and fills are forgotten once
// they are older than the reconciliation window (no listing can return them again).
import type { FillDetail, OrderDetail } from '../../proto/events.js';
import { TERMINAL_ORDER_STATUSES } from '../../proto/order-status.js';

/** Futu order statuses after which an order never changes again (the shared list; DISABLED is not one). */
const TERMINAL_STATUSES: ReadonlySet<string> = new Set(TERMINAL_ORDER_STATUSES);
const FILL_CANCELLED = 'FILL_CANCELLED';

export interface OrderState {
  status: string;
  fillQty: number;
  qty: number;
  price: number | undefined;
  updateTimestamp: number;
  /** Creation time (seconds): history listings are filtered by it. */
  createTimestamp: number;
  lastErrMsg: string | undefined;
}

export function stateOf(o: OrderDetail): OrderState {
  return {
    status: o.status,
    fillQty: o.fillQty,
    qty: o.qty,
    price: o.price,
    updateTimestamp: o.updateTimestamp ?? 0,
    createTimestamp: o.createTimestamp ?? 0,
    lastErrMsg: o.lastErrMsg,
  };
}

function sameState(a: OrderState, b: OrderState): boolean {
  return a.status === b.status && a.fillQty === b.fillQty && a.qty === b.qty && a.price === b.price && a.lastErrMsg === b.lastErrMsg;
}

export type OrderDecision = 'publish' | 'duplicate' | 'stale';

export const orderKey = (accId: string, orderId: string): string => `${accId}:${orderId}`;

/** What the checkpoint keeps per account. */
export interface DeliveredSnapshot {
  orders: Record<string, OrderState>;
  /** fillId → createTimestamp (seconds). */
  fills: Record<string, number>;
}

export class OrderTracker {
  private readonly orders = new Map<string, OrderState>();
  private readonly fills = new Map<string, number>();
  private readonly deliveredOrders = new Map<string, OrderState>();
  private readonly deliveredFills = new Map<string, number>();

  /** Decides and, for 'publish', records the new state. */
  offerOrder(o: OrderDetail): OrderDecision {
    const key = orderKey(o.accId, o.orderId);
    const prev = this.orders.get(key);
    const next = stateOf(o);
    if (prev) {
      if (sameState(prev, next)) return 'duplicate';
      if (next.updateTimestamp < prev.updateTimestamp) return 'stale';
      // Fills never go back, except Futu's FILL_CANCELLED: a fill rolled back after the order ended, the one
      // update that lowers fillQty (and the last an order sees), so it must reach the bus.
      if (next.fillQty < prev.fillQty && next.status !== FILL_CANCELLED) return 'stale';
      if (prev.status === FILL_CANCELLED) return 'stale';
      if (TERMINAL_STATUSES.has(prev.status) && !TERMINAL_STATUSES.has(next.status)) return 'stale';
    }
    this.orders.set(key, next);
    return 'publish';
  }

  /** The last state handed to the publisher, if any. */
  orderState(accId: string, orderId: string): OrderState | undefined {
    return this.orders.get(orderKey(accId, orderId));
  }

  /** Records that the bus accepted this state (a later state may already have been accepted: keep the newest). */
  markOrderDelivered(o: OrderDetail): void {
    const key = orderKey(o.accId, o.orderId);
    const prev = this.deliveredOrders.get(key);
    const next = stateOf(o);
    if (prev && prev.status === FILL_CANCELLED) return;
    if (prev && next.status !== FILL_CANCELLED && (TERMINAL_STATUSES.has(prev.status) || next.updateTimestamp < prev.updateTimestamp)) return;
    this.deliveredOrders.set(key, next);
  }

  offerFill(f: FillDetail): boolean {
    const key = orderKey(f.accId, f.fillId);
    if (this.fills.has(key)) return false;
    this.fills.set(key, f.createTimestamp ?? 0);
    return true;
  }

  markFillDelivered(f: FillDetail): void {
    this.deliveredFills.set(orderKey(f.accId, f.fillId), f.createTimestamp ?? 0);
  }

  /** Oldest creation time (seconds) of an order whose last delivered state is not terminal, per account. */
  oldestOpenCreate(accId: string): number | undefined {
    let min: number | undefined;
    for (const [k, s] of this.deliveredOrders) {
      if (!k.startsWith(accId + ':') || TERMINAL_STATUSES.has(s.status)) continue;
      if (min === undefined || s.createTimestamp < min) min = s.createTimestamp;
    }
    return min;
  }

  /**
   * Forgets terminal orders and fills last changed before `beforeSeconds`: no reconciliation window reaches
   * back that far, so they can never be listed (and published) again. Open orders are always kept.
   */
  forgetOlderThan(beforeSeconds: number): number {
    let n = 0;
    for (const map of [this.orders, this.deliveredOrders]) {
      for (const [k, s] of map) {
        if (TERMINAL_STATUSES.has(s.status) && Math.max(s.updateTimestamp, s.createTimestamp) < beforeSeconds) {
          map.delete(k);
          n++;
        }
      }
    }
    for (const map of [this.fills, this.deliveredFills]) {
      for (const [k, t] of map) {
        if (t < beforeSeconds) {
          map.delete(k);
          n++;
        }
      }
    }
    return n;
  }

  /** What the bus has accepted, per account, for the checkpoint. */
  deliveredSnapshot(): Record<string, DeliveredSnapshot> {
    const out: Record<string, DeliveredSnapshot> = {};
    const acc = (k: string) => (out[k.slice(0, k.indexOf(':'))] ??= { orders: {}, fills: {} });
    for (const [k, s] of this.deliveredOrders) acc(k).orders[k.slice(k.indexOf(':') + 1)] = s;
    for (const [k, t] of this.deliveredFills) acc(k).fills[k.slice(k.indexOf(':') + 1)] = t;
    return out;
  }

  /** Starts from a checkpoint: what the bus accepted before a restart counts as published. */
  restore(snapshot: Record<string, DeliveredSnapshot>): void {
    for (const [accId, s] of Object.entries(snapshot)) {
      for (const [orderId, st] of Object.entries(s.orders)) {
        this.orders.set(orderKey(accId, orderId), st);
        this.deliveredOrders.set(orderKey(accId, orderId), st);
      }
      for (const [fillId, t] of Object.entries(s.fills)) {
        this.fills.set(orderKey(accId, fillId), t);
        this.deliveredFills.set(orderKey(accId, fillId), t);
      }
    }
  }

  get size(): { orders: number; fills: number } {
    return { orders: this.orders.size, fills: this.fills.size };
  }
}
