// The one order shape of the HTTP API: POST, GET one, GET list, PATCH and DELETE all answer with it, whether
// the order came from OpenD's order list, from the DynamoDB copy (an order no longer in today's list) or from
// a placement that OpenD has just accepted. Invariants: 64-bit IDs are decimal strings; every field has the
// same name and meaning in every source; a field a source does not know is absent (never guessed), and
// `source` says where the answer came from, so that a caller can tell a live state from a stored copy.
import type { AccountRef, Order } from '../../proto/api/trading.js';
import type { OrderRecord } from './model.js';
import type { OrderRequest } from './order-input.js';

export type OrderViewSource = 'opend' | 'store' | 'placement';

export interface OrderView {
  accId: string;
  /** Decimal uint64. */
  orderId: string;
  orderIdEx?: string;
  clientOrderId?: string;
  trdEnv?: 'REAL' | 'SIMULATE';
  trdMarket?: string;
  /** "HK.00700" */
  code: string;
  name?: string;
  side: string;
  /** OpenD's OrderType name, e.g. NORMAL or MARKET. */
  type: string;
  /** OpenD's OrderStatus name; absent right after placement (OpenD's answer to PlaceOrder carries none). */
  status?: string;
  qty: number;
  price?: number;
  fillQty?: number;
  fillAvgPrice?: number;
  timeInForce?: string;
  /** Trigger price of STOP / STOP_LIMIT / MARKETIF_TOUCHED / LIMITIF_TOUCHED orders. */
  auxPrice?: number;
  /** Trailing orders: RATIO (trailValue in percent, 5 = 5 %) or AMOUNT (a price distance). */
  trailType?: string;
  trailValue?: number;
  /** TRAILING_STOP_LIMIT: the limit's distance from the trigger price. */
  trailSpread?: number;
  lastErrMsg?: string;
  createTime?: string;
  updateTime?: string;
  source: OrderViewSource;
}

export type OrderViewInput =
  | { from: 'opend'; order: Order; clientOrderId?: string }
  | { from: 'store'; record: OrderRecord }
  | { from: 'placement'; acc: AccountRef; request: OrderRequest; orderId: string; orderIdEx?: string };

/** Builds the API's order view from any of its three sources. */
export function orderView(input: OrderViewInput): OrderView {
  switch (input.from) {
    case 'opend': {
      const o = input.order;
      return {
        accId: o.accId.toString(),
        orderId: o.orderId.toString(),
        orderIdEx: o.orderIdEx || undefined,
        clientOrderId: input.clientOrderId,
        trdEnv: o.env,
        trdMarket: o.trdMarket,
        code: o.code,
        name: o.name || undefined,
        side: o.side,
        type: o.type,
        status: o.status,
        qty: o.qty,
        // A stop / if-touched / trailing order without a limit has no price: OpenD's 0 is left out.
        price: o.price === 0 && o.type !== 'MARKET' ? undefined : o.price,
        fillQty: o.fillQty,
        fillAvgPrice: o.fillAvgPrice,
        timeInForce: o.timeInForce,
        // OpenD reports 0 / absent for fields a type does not have; absent here, never guessed.
        auxPrice: o.auxPrice || undefined,
        trailType: o.trailType && o.trailType !== 'UNKNOWN' ? o.trailType : undefined,
        trailValue: o.trailValue || undefined,
        trailSpread: o.trailType && o.trailType !== 'UNKNOWN' ? o.trailSpread : undefined,
        lastErrMsg: o.lastErrMsg || undefined,
        createTime: o.createTime || undefined,
        updateTime: o.updateTime || undefined,
        source: 'opend',
      };
    }
    case 'store': {
      const r = input.record;
      return {
        accId: r.accId,
        orderId: r.orderId,
        orderIdEx: r.orderIdEx || undefined,
        clientOrderId: r.clientOrderId,
        trdEnv: r.trdEnv,
        trdMarket: r.trdMarket,
        code: r.code,
        side: r.side,
        type: r.orderType,
        status: r.status,
        qty: r.qty,
        price: r.price,
        fillQty: r.fillQty,
        fillAvgPrice: r.fillAvgPrice,
        auxPrice: r.auxPrice,
        trailType: r.trailType,
        trailValue: r.trailValue,
        trailSpread: r.trailSpread,
        lastErrMsg: r.lastErrMsg || undefined,
        createTime: r.createTime || undefined,
        updateTime: r.updateTime || undefined,
        source: 'store',
      };
    }
    case 'placement': {
      const { acc, request: q } = input;
      return {
        accId: acc.accId.toString(),
        orderId: input.orderId,
        orderIdEx: input.orderIdEx || undefined,
        clientOrderId: q.clientOrderId,
        trdEnv: acc.env,
        trdMarket: acc.market,
        code: q.security.key,
        side: q.side,
        type: q.type,
        qty: q.qty,
        price: q.price,
        timeInForce: q.timeInForce,
        auxPrice: q.auxPrice,
        trailType: q.trailType,
        trailValue: q.trailValue,
        trailSpread: q.trailSpread,
        source: 'placement',
      };
    }
  }
}
