// Futu's request-frequency limits, defined once, keyed by protocol ID. The simulator enforces them as OpenD does
// (gateway-container/simulator/frequency-limits.ts) and the functions' shared DynamoDB limiter reads them (with
// its margin) before OpenD sees a call (functions/lib/rate-limiter.ts).
//
// Futu's rules (each protocol's "Interface Limitations" in the Futu OpenAPI docs, e.g.
// https://openapi.futunn.com/futu-api-doc/en/trade/place-order.html): "at most n requests per 30 seconds",
// counted by Futu's servers over a sliding window, so request #1 and request #n+1 must be more than 30 s apart.
//   - Trading limits count per trading account (every client of the account, including the desktop app);
//     UnlockTrade counts per OpenD login, since unlocking is OpenD-wide.
//   - Quote limits count per OpenD login (the user), whatever the connection.
//   - PlaceOrder / PlaceComboOrder and ModifyOrder also need at least 0.02 s between consecutive requests.
//   - Order list, fill list, funds and positions are limited only with refreshCache = true; without it OpenD
//     answers from its cache without a server call.
//   - RequestHistoryKL: only the first page of a query is limited; pages fetched with nextReqKey are not.
// Invariant: every entry's key is a registered protocol (PROTO_ID), and its values are Futu's published figures
// (no margin here; the margin is the functions' business).
import { PROTO_ID } from './registry.js';

/** Whose requests share one window: a trading account's, or the whole OpenD login's. */
export type LimitScope = 'account' | 'opend';

export interface FutuLimit {
  /** At most this many requests in any window of `windowMs`. */
  readonly limit: number;
  readonly windowMs: number;
  /** Consecutive requests at least this far apart. */
  readonly minGapMs?: number;
  readonly scope: LimitScope;
  /** Only requests with refreshCache = true count. */
  readonly refreshOnly?: boolean;
  /** Only the first page of a paged query counts. */
  readonly firstPageOnly?: boolean;
}

const W30 = 30_000;

/** Futu's published limits by protocol ID. Protocols not listed are not frequency-limited by Futu. */
export const FUTU_LIMITS_BY_PROTO: Readonly<Record<number, FutuLimit>> = Object.freeze({
  [PROTO_ID.Trd_UnlockTrade]: { limit: 10, windowMs: W30, scope: 'opend' },
  [PROTO_ID.Trd_PlaceOrder]: { limit: 15, windowMs: W30, minGapMs: 20, scope: 'account' },
  [PROTO_ID.Trd_PlaceComboOrder]: { limit: 15, windowMs: W30, minGapMs: 20, scope: 'account' },
  [PROTO_ID.Trd_ModifyOrder]: { limit: 20, windowMs: W30, minGapMs: 20, scope: 'account' },
  [PROTO_ID.Trd_GetOrderList]: { limit: 10, windowMs: W30, scope: 'account', refreshOnly: true },
  [PROTO_ID.Trd_GetOrderFillList]: { limit: 10, windowMs: W30, scope: 'account', refreshOnly: true },
  [PROTO_ID.Trd_GetFunds]: { limit: 10, windowMs: W30, scope: 'account', refreshOnly: true },
  [PROTO_ID.Trd_GetPositionList]: { limit: 10, windowMs: W30, scope: 'account', refreshOnly: true },
  [PROTO_ID.Trd_GetMaxTrdQtys]: { limit: 10, windowMs: W30, scope: 'account' },
  [PROTO_ID.Trd_GetHistoryOrderList]: { limit: 10, windowMs: W30, scope: 'account' },
  [PROTO_ID.Trd_GetHistoryOrderFillList]: { limit: 10, windowMs: W30, scope: 'account' },
  // Account reports: margin data "10 per 30 s per user ID" (get-margin-ratio, Interface Limitations); order fees
  // "10 per 30 s per account ID" (order-fee-query); cash flow "20 per 30 s per account ID" (get-acc-cash-flow).
  [PROTO_ID.Trd_GetMarginRatio]: { limit: 10, windowMs: W30, scope: 'opend' },
  [PROTO_ID.Trd_GetOrderFee]: { limit: 10, windowMs: W30, scope: 'account' },
  [PROTO_ID.Trd_FlowSummary]: { limit: 20, windowMs: W30, scope: 'account' },
  [PROTO_ID.Qot_RequestHistoryKL]: { limit: 60, windowMs: W30, scope: 'opend', firstPageOnly: true },
  [PROTO_ID.Qot_RequestRehab]: { limit: 60, windowMs: W30, scope: 'opend' },
  [PROTO_ID.Qot_GetSecuritySnapshot]: { limit: 60, windowMs: W30, scope: 'opend' },
  [PROTO_ID.Qot_GetPlateSet]: { limit: 10, windowMs: W30, scope: 'opend' },
  [PROTO_ID.Qot_GetPlateSecurity]: { limit: 10, windowMs: W30, scope: 'opend' },
  [PROTO_ID.Qot_GetReference]: { limit: 10, windowMs: W30, scope: 'opend' },
  [PROTO_ID.Qot_GetOwnerPlate]: { limit: 10, windowMs: W30, scope: 'opend' },
  [PROTO_ID.Qot_GetHoldingChangeList]: { limit: 10, windowMs: W30, scope: 'opend' },
  [PROTO_ID.Qot_GetOptionChain]: { limit: 10, windowMs: W30, scope: 'opend' },
  [PROTO_ID.Qot_GetFutureInfo]: { limit: 30, windowMs: W30, scope: 'opend' },
  [PROTO_ID.Qot_GetWarrant]: { limit: 60, windowMs: W30, scope: 'opend' },
  [PROTO_ID.Qot_GetCapitalFlow]: { limit: 30, windowMs: W30, scope: 'opend' },
  [PROTO_ID.Qot_GetCapitalDistribution]: { limit: 30, windowMs: W30, scope: 'opend' },
  [PROTO_ID.Qot_RequestTradeDate]: { limit: 30, windowMs: W30, scope: 'opend' },
  [PROTO_ID.Qot_GetMarketState]: { limit: 10, windowMs: W30, scope: 'opend' },
  // "A maximum of 60 requests per 30 seconds" (Futu OpenAPI docs, Set Price Reminder, Interface Limitations).
  [PROTO_ID.Qot_SetPriceReminder]: { limit: 60, windowMs: W30, scope: 'opend' },
});

/** The limit of one protocol; throws for a protocol Futu does not limit (a wiring mistake, not input). */
export function futuLimit(protoId: number): FutuLimit {
  const rule = FUTU_LIMITS_BY_PROTO[protoId];
  if (!rule) throw new Error(`protocol ${protoId} has no Futu frequency limit; limited protocols: ${Object.keys(FUTU_LIMITS_BY_PROTO).join(', ')}`);
  return rule;
}
