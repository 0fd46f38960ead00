// Turns bus events into stored state: orders only move forward (events may be late, repeated or out of
// order), fills are kept once per fillID, and gateway state / login challenges are remembered for GET /v1/gateway.
// Every consumed detail is first checked against the event contract (event-validation.ts); one that does not fit
// is 'rejected' and nothing is stored.
import { validateBusEvent } from './event-validation.js';
import type { FillDetail, OrderDetail } from '../../proto/events.js';
import type { GatewayStateStore } from './gateway-state-store.js';
import type { FillRecord, OrderRecord, TrdEnv } from './model.js';
import type { FillStore, OrderStore } from './order-store.js';

export interface BusEventLike {
  'detail-type': string;
  detail: unknown;
  id?: string;
}

export function orderRecordOf(d: OrderDetail): OrderRecord {
  return {
    accId: d.accId,
    orderId: d.orderId,
    orderIdEx: d.orderIdEx,
    clientOrderId: d.clientOrderId,
    code: d.security,
    market: d.market,
    side: d.side,
    orderType: d.orderType,
    status: d.status,
    qty: d.qty,
    price: d.price ?? 0,
    fillQty: d.fillQty,
    fillAvgPrice: d.fillAvgPrice,
    trdEnv: d.trdEnv as TrdEnv,
    trdMarket: d.trdMarket,
    ...(d.auxPrice ? { auxPrice: d.auxPrice } : {}),
    ...(d.trailType && d.trailType !== 'UNKNOWN' ? { trailType: d.trailType, trailValue: d.trailValue, trailSpread: d.trailSpread } : {}),
    remark: d.remark,
    lastErrMsg: d.lastErrMsg,
    createTime: d.createTime,
    updateTime: d.updateTime,
    updateTimestamp: d.updateTimestamp ?? 0,
  };
}

export function fillRecordOf(d: FillDetail): FillRecord {
  if (!d.orderId) throw new Error(`fill ${d.fillId} has no orderId`);
  return {
    accId: d.accId,
    fillId: d.fillId,
    orderId: d.orderId,
    code: d.security,
    side: d.side,
    qty: d.qty,
    price: d.price,
    createTimestamp: d.createTimestamp ?? 0,
    status: d.status,
    trdEnv: d.trdEnv as TrdEnv,
  };
}

const ID = /^\d{1,20}$/;

function isOrderDetail(d: unknown): d is OrderDetail {
  const o = d as Partial<OrderDetail>;
  return !!o && typeof o.accId === 'string' && ID.test(o.accId) && typeof o.orderId === 'string' && ID.test(o.orderId) && typeof o.status === 'string' && typeof o.security === 'string';
}

function isFillDetail(d: unknown): d is FillDetail {
  const f = d as Partial<FillDetail>;
  return !!f && typeof f.accId === 'string' && ID.test(f.accId) && typeof f.fillId === 'string' && ID.test(f.fillId) && typeof f.security === 'string';
}

export interface OrderEventStores {
  orders: OrderStore;
  fills: FillStore;
  gatewayState: GatewayStateStore;
}

export type ApplyOutcome = 'applied' | 'stale' | 'inserted' | 'duplicate' | 'stored' | 'ignored' | 'rejected';

export interface ApplyOptions {
  /** Epoch ms; a gatewayTime more than a minute past it is refused. */
  now?: number;
  /** Told why an event was rejected (the handler logs it and counts it as a metric). */
  onRejected?: (reason: string) => void;
}

/** The relay's gatewayTime orders gateway events; without one the event is stored unconditionally. */
function gatewayTimeOf(detail: unknown): string | undefined {
  const t = (detail as { gatewayTime?: unknown } | null)?.gatewayTime;
  return typeof t === 'string' && !Number.isNaN(Date.parse(t)) ? t : undefined;
}

export async function applyBusEvent(stores: OrderEventStores, ev: BusEventLike, opts: ApplyOptions = {}): Promise<ApplyOutcome> {
  const v = validateBusEvent(ev['detail-type'], ev.detail, opts.now);
  if (!v.ok) {
    opts.onRejected?.(v.reason);
    return 'rejected';
  }
  switch (ev['detail-type']) {
    case 'Order Update':
      if (!isOrderDetail(ev.detail)) throw new Error(`Order Update event ${ev.id ?? ''} has no valid accId/orderId/status`);
      return stores.orders.applyUpdate(orderRecordOf(ev.detail));
    case 'Order Fill':
      if (!isFillDetail(ev.detail)) throw new Error(`Order Fill event ${ev.id ?? ''} has no valid accId/fillId`);
      return stores.fills.put(fillRecordOf(ev.detail));
    case 'Gateway State':
      return stores.gatewayState.put('relay', ev.detail as object, { version: gatewayTimeOf(ev.detail) });
    case 'Login Challenge':
      return stores.gatewayState.put('loginChallenge', ev.detail as object, { version: gatewayTimeOf(ev.detail) });
    default:
      return 'ignored';
  }
}
