// Remembers the last published state of every order and fill, so that a push and a reconciliation listing
// of the same state publish it once, and a stale state never follows a newer one.
import type { FillDetail, OrderDetail } from '../../proto/events.js';

const TERMINAL = new Set(['SUBMIT_FAILED', 'FILLED_ALL', 'CANCELLED_PART', 'CANCELLED_ALL', 'FAILED', 'DELETED', 'FILL_CANCELLED']);

interface OrderState {
  status: string;
  fillQty: number;
  qty: number;
  price: number | undefined;
  updateTimestamp: number;
  lastErrMsg: string | undefined;
}

function stateOf(o: OrderDetail): OrderState {
  return { status: o.status, fillQty: o.fillQty, qty: o.qty, price: o.price, updateTimestamp: o.updateTimestamp ?? 0, lastErrMsg: o.lastErrMsg };
}

export type OrderDecision = 'publish' | 'duplicate' | 'stale';

export class OrderTracker {
  private readonly orders = new Map<string, OrderState>();
  private readonly fills = new Set<string>();

  /** Decides and, for 'publish', records the new state. */
  offerOrder(o: OrderDetail): OrderDecision {
    const key = `${o.accId}:${o.orderId}`;
    const prev = this.orders.get(key);
    const next = stateOf(o);
    if (prev) {
      if (
        prev.status === next.status && prev.fillQty === next.fillQty && prev.qty === next.qty && prev.price === next.price &&
        prev.lastErrMsg === next.lastErrMsg
      ) {
        return 'duplicate';
      }
      if (next.updateTimestamp < prev.updateTimestamp) return 'stale';
      if (next.fillQty < prev.fillQty) return 'stale';
      if (TERMINAL.has(prev.status) && !TERMINAL.has(next.status)) return 'stale';
    }
    this.orders.set(key, next);
    return 'publish';
  }

  offerFill(f: FillDetail): boolean {
    const key = `${f.accId}:${f.fillId}`;
    if (this.fills.has(key)) return false;
    this.fills.add(key);
    return true;
  }

  get size(): { orders: number; fills: number } {
    return { orders: this.orders.size, fills: this.fills.size };
  }
}
