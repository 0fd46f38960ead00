// Typed account reports over OpenDClient: order fees (Trd_GetOrderFee 2225), margin data (Trd_GetMarginRatio
// 2223) and cash flow (Trd_FlowSummary 2226). Names in, plain objects out; bad input is a ValidationError naming
// the field and what is allowed, raised before anything is sent.
//
// Futu's rules (https://openapi.futunn.com/futu-api-doc/en/trade/order-fee-query.html, …/get-margin-ratio.html,
// …/get-acc-cash-flow.html): at most 400 orders per fee query, identified by the server order ID (orderIDEx);
// at most 100 securities per margin query, every ratio a percentage ("20 is equivalent to 20 %"); cash flow one
// clearing date ("yyyy-MM-dd") per request, amounts positive for inflows and negative for outflows. Paper
// trading (SIMULATE) has no fee or cash-flow query: OpenD refuses them.
import type { OpenDClient } from '../client.js';
import { enumName } from '../enums.js';
import { ValidationError } from '../errors.js';
import * as Trd_Common from '../generated/Trd_Common.js';
import * as Trd_GetMarginRatio from '../generated/Trd_GetMarginRatio.js';
import { registerCodecs, PROTO_ID } from '../registry.js';
import { parseSecurity, securityKey, toQotSecurity } from '../securities.js';
import { headerOf, type AccountRef } from './trading.js';
import * as Trd_FlowSummary from '../generated/Trd_FlowSummary.js';
import * as Trd_GetOrderFee from '../generated/Trd_GetOrderFee.js';

// The client side (encode the Request, decode the Response) of the protocols this module sends: a bundle carries
// only those functions (proto/registry.ts).
registerCodecs(Trd_FlowSummary.clientCodec, Trd_GetMarginRatio.clientCodec, Trd_GetOrderFee.clientCodec);

export const MAX_ORDER_FEE_ORDERS = 400;
export const MAX_MARGIN_RATIO_CODES = 100;

export interface OrderFee {
  orderIdEx: string;
  /** The sum of the items, in the security's currency. */
  total: number;
  items: { title: string; value: number }[];
}

/** One side's margin ratios, in percent. */
export interface MarginLadder {
  initialPct?: number;
  alertPct?: number;
  marginCallPct?: number;
  maintenancePct?: number;
}

export interface MarginRatio {
  /** "HK.00700" */
  code: string;
  longPermit: boolean;
  shortPermit: boolean;
  /** Shares left in the short pool. */
  shortPoolRemain?: number;
  /** Borrow rate, percent a year. */
  shortFeeRatePct?: number;
  long: MarginLadder;
  short: MarginLadder;
}

export type CashFlowDirectionName = 'IN' | 'OUT';

export interface CashFlowItem {
  cashFlowId: bigint;
  clearingDate: string;
  settlementDate?: string;
  currency?: string;
  type: string;
  direction: CashFlowDirectionName | 'UNKNOWN';
  /** Positive flows in, negative flows out. */
  amount: number;
  remark?: string;
}

const DATE_RE = /^\d{4}-\d{2}-\d{2}$/;

/** A calendar date "yyyy-MM-dd", or a ValidationError naming `field`. */
export function checkDate(v: unknown, field: string): string {
  const ok = typeof v === 'string' && DATE_RE.test(v) && new Date(`${v}T00:00:00Z`).toISOString().slice(0, 10) === v;
  if (!ok) throw new ValidationError(field, `must be a calendar date "yyyy-MM-dd", got ${JSON.stringify(v)}`);
  return v as string;
}

function ladder(im?: number, alert?: number, mcm?: number, mm?: number): MarginLadder {
  const l: MarginLadder = {};
  if (im !== undefined) l.initialPct = im;
  if (alert !== undefined) l.alertPct = alert;
  if (mcm !== undefined) l.marginCallPct = mcm;
  if (mm !== undefined) l.maintenancePct = mm;
  return l;
}

function toMarginRatio(m: Trd_GetMarginRatio.MarginRatioInfo): MarginRatio {
  const r: MarginRatio = {
    code: securityKey(m.security),
    longPermit: m.isLongPermit ?? false,
    shortPermit: m.isShortPermit ?? false,
    long: ladder(m.imLongRatio, m.alertLongRatio, m.mcmLongRatio, m.mmLongRatio),
    short: ladder(m.imShortRatio, m.alertShortRatio, m.mcmShortRatio, m.mmShortRatio),
  };
  if (m.shortPoolRemain !== undefined) r.shortPoolRemain = m.shortPoolRemain;
  if (m.shortFeeRate !== undefined) r.shortFeeRatePct = m.shortFeeRate;
  return r;
}

export class AccountReportsApi {
  constructor(private readonly client: OpenDClient) {}

  /** The fees of up to 400 orders, by server order ID (orderIdEx), in the order asked. */
  async orderFees(acc: AccountRef, orderIdExs: string[]): Promise<OrderFee[]> {
    if (!Array.isArray(orderIdExs) || orderIdExs.length === 0 || orderIdExs.length > MAX_ORDER_FEE_ORDERS) {
      throw new ValidationError('orderIdExs', `needs 1 to ${MAX_ORDER_FEE_ORDERS} server order IDs (orderIdEx), got ${Array.isArray(orderIdExs) ? orderIdExs.length : typeof orderIdExs}`);
    }
    orderIdExs.forEach((id, i) => {
      if (typeof id !== 'string' || id.trim() === '') throw new ValidationError(`orderIdExs[${i}]`, 'must be a non-empty orderIdEx string');
    });
    const s2c = await this.client.request(PROTO_ID.Trd_GetOrderFee, { header: headerOf(acc), orderIdExList: orderIdExs });
    return (s2c.orderFeeList ?? []).map((f) => ({
      orderIdEx: f.orderIDEx,
      total: f.feeAmount ?? 0,
      items: (f.feeList ?? []).map((i) => ({ title: i.title ?? '', value: i.value ?? 0 })),
    }));
  }

  /** Margin data of up to 100 securities ("HK.00700"). */
  async marginRatios(acc: AccountRef, codes: string[]): Promise<MarginRatio[]> {
    if (!Array.isArray(codes) || codes.length === 0 || codes.length > MAX_MARGIN_RATIO_CODES) {
      throw new ValidationError('codes', `needs 1 to ${MAX_MARGIN_RATIO_CODES} securities like "HK.00700", got ${Array.isArray(codes) ? codes.length : typeof codes}`);
    }
    const securityList = codes.map((c, i) => toQotSecurity(parseSecurity(c, `codes[${i}]`)));
    const s2c = await this.client.request(PROTO_ID.Trd_GetMarginRatio, { header: headerOf(acc), securityList });
    return (s2c.marginRatioInfoList ?? []).map(toMarginRatio);
  }

  /** The cash flow of one clearing date ("yyyy-MM-dd"), optionally only inflows or outflows. */
  async cashFlow(acc: AccountRef, clearingDate: string, opts: { direction?: CashFlowDirectionName } = {}): Promise<CashFlowItem[]> {
    checkDate(clearingDate, 'clearingDate');
    if (opts.direction !== undefined && opts.direction !== 'IN' && opts.direction !== 'OUT') {
      throw new ValidationError('direction', `must be IN or OUT, got ${JSON.stringify(opts.direction)}`);
    }
    const s2c = await this.client.request(PROTO_ID.Trd_FlowSummary, {
      header: headerOf(acc),
      clearingDate,
      ...(opts.direction ? { cashFlowDirection: opts.direction === 'IN' ? 1 : 2 } : {}),
    });
    return (s2c.flowSummaryInfoList ?? []).map((f) => {
      const item: CashFlowItem = {
        cashFlowId: f.cashFlowID ?? 0n,
        clearingDate: f.clearingDate ?? clearingDate,
        type: f.cashFlowType ?? '',
        direction: f.cashFlowDirection === 1 ? 'IN' : f.cashFlowDirection === 2 ? 'OUT' : 'UNKNOWN',
        amount: f.cashFlowAmount ?? 0,
      };
      if (f.settlementDate) item.settlementDate = f.settlementDate;
      if (f.currency !== undefined) item.currency = enumName(Trd_Common.Currency, f.currency);
      if (f.cashFlowRemark) item.remark = f.cashFlowRemark;
      return item;
    });
  }
}
