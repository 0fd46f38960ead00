// A dollar-cost-averaging strategy: on each scheduled run, buy a fixed quantity (or as many whole lots as a
// budget buys) of one security, with a limit at the ask. The clientOrderId is derived from the run's date,
// so a re-delivered schedule invocation can never buy twice on the same day. A run on a day the security's
// exchange does not trade (weekend or holiday, from OpenD's trading calendar, Qot_RequestTradeDate) buys nothing.
// A strategy is a caller like any HTTP client: before it places, `guard` runs the same authorization and
// pre-trade risk checks as POST /v1/accounts/{accId}/orders (see functions/handlers/strategy-dca.ts), and a
// refusal ends the run as 'refused' with nothing sent to OpenD.
import { ReferenceApi } from '../../proto/api/reference.js';
import { tradeMarketFor, type AccountRef, type TrdMarketName } from '../../proto/api/trading.js';
import { parseSecurity, type SecurityRef } from '../../proto/securities.js';
import { snapToTick } from '../../proto/ticks.js';
import { ApiError, invalid } from './api-error.js';
import type { AccountDirectory } from './accounts.js';
import type { OpenDSession } from './opend-connection.js';
import { checkMarketRules, type OrderRequest } from './order-input.js';
import { placeOrderIdempotently, type PlaceOrderDeps, type PlacementResponse } from './place-order.js';

export interface DcaInput {
  security: string;
  /** Shares per run (whole lots). */
  quantity?: number;
  /** Or: spend at most this much (account currency) per run, in whole lots. */
  budget?: number;
  trdEnv?: 'REAL' | 'SIMULATE';
  /** Default: the first account of that environment trading the security's market. */
  accId?: string;
  /** Only report what would be done (default true). */
  dryRun?: boolean;
  /** ISO date of the run; default today (UTC). */
  runDate?: string;
}

export interface DcaResult {
  action: 'placed' | 'planned' | 'skipped' | 'refused';
  reason?: string;
  accId?: string;
  security: string;
  qty?: number;
  limitPrice?: number;
  clientOrderId?: string;
  response?: PlacementResponse;
  /** When refused: the API error code (FORBIDDEN, RISK_REJECTED) and its details. */
  error?: { code: string; details?: unknown };
}

/** Throws an ApiError (403 FORBIDDEN, 422 RISK_REJECTED, 429) when the strategy may not place `order` on `acc`. */
export type PlacementGuard = (acc: AccountRef, order: OrderRequest) => Promise<void>;

export function parseDcaInput(raw: unknown): DcaInput & { ref: SecurityRef } {
  if (typeof raw !== 'object' || raw === null) throw invalid('input', 'must be an object like {"security":"HK.02800","quantity":500}');
  const i = raw as DcaInput;
  const ref = parseSecurity(i.security, 'security');
  if (i.quantity === undefined && i.budget === undefined) throw invalid('quantity', 'give quantity (shares per run) or budget');
  if (i.quantity !== undefined && !(Number.isInteger(i.quantity) && i.quantity > 0)) throw invalid('quantity', 'must be a positive whole number');
  if (i.budget !== undefined && !(typeof i.budget === 'number' && i.budget > 0 && Number.isFinite(i.budget))) throw invalid('budget', 'must be a positive number');
  if (i.trdEnv !== undefined && i.trdEnv !== 'REAL' && i.trdEnv !== 'SIMULATE') throw invalid('trdEnv', 'must be REAL or SIMULATE');
  if (i.runDate !== undefined && (typeof i.runDate !== 'string' || !/^\d{4}-\d{2}-\d{2}/.test(i.runDate))) throw invalid('runDate', 'must be an ISO date like "2025-01-15"');
  return { ...i, ref };
}

export async function runDca(
  input: unknown,
  deps: PlaceOrderDeps & { directory: AccountDirectory; session: OpenDSession; guard: PlacementGuard },
): Promise<DcaResult> {
  const i = parseDcaInput(input);
  const s = deps.session;
  const env = i.trdEnv ?? 'SIMULATE';
  const accounts = await deps.directory.list(s);
  const marketOf = (a: (typeof accounts)[number]): TrdMarketName | undefined => {
    try {
      return tradeMarketFor(a, i.ref.key);
    } catch {
      return undefined;
    }
  };
  const found = i.accId ? accounts.find((a) => a.accId.toString() === i.accId) : accounts.find((a) => a.env === env && marketOf(a) !== undefined);
  // The header's trdMarket is the security's: a universal account trades HK, US and A shares (HKCC) under one ID.
  const acc: AccountRef | undefined = found && { accId: found.accId, env: found.env, market: marketOf(found) ?? found.market };
  if (!acc) return { action: 'skipped', reason: `no ${env} account trades ${i.ref.prefix}`, security: i.ref.key };
  const runDay = (i.runDate ?? new Date().toISOString()).slice(0, 10);
  const tradingDays = await new ReferenceApi(s.client).tradingDays({ code: i.ref.key }, runDay, runDay);
  if (tradingDays.length === 0) return { action: 'skipped', reason: `${runDay} is not a trading day for ${i.ref.key} (weekend or exchange holiday)`, accId: acc.accId.toString(), security: i.ref.key };
  const [snap] = await s.quotes.snapshot([i.ref.key]);
  if (!snap || snap.isSuspended) return { action: 'skipped', reason: `${i.ref.key} is suspended or unknown`, security: i.ref.key };
  const rules = await deps.directory.securityRules(s, i.ref);
  const ask = snap.ask && snap.ask > 0 ? snap.ask : snap.price;
  const limitPrice = snapToTick(rules.tickRule, ask, 'up');
  const lots = i.quantity !== undefined ? Math.floor(i.quantity / rules.lotSize) : Math.floor(i.budget! / (limitPrice * rules.lotSize));
  const qty = lots * rules.lotSize;
  if (qty <= 0) return { action: 'skipped', reason: `budget buys less than one lot of ${rules.lotSize} at ${limitPrice}`, accId: acc.accId.toString(), security: i.ref.key };
  const day = (i.runDate ?? new Date().toISOString()).slice(0, 10).replace(/-/g, '');
  const clientOrderId = `dca-${i.ref.key}-${day}`;
  const order: OrderRequest = { clientOrderId, security: i.ref, side: 'BUY', type: 'NORMAL', qty, price: limitPrice, timeInForce: 'DAY' };
  checkMarketRules(order, rules);
  const base = { accId: acc.accId.toString(), security: i.ref.key, qty, limitPrice, clientOrderId };
  if (i.dryRun !== false) return { action: 'planned', ...base };
  // Only a real run is checked: the daily-notional check reserves the order's notional, which a plan must not.
  try {
    await deps.guard(acc, order);
  } catch (err) {
    // A refusal is final for this run; anything else (rate limit, lost connection) fails the invocation so the
    // scheduler's retry tries again under the same clientOrderId.
    if (!(err instanceof ApiError) || (err.code !== 'FORBIDDEN' && err.code !== 'RISK_REJECTED')) throw err;
    return { action: 'refused', reason: err.message, error: { code: err.code, details: err.details }, ...base };
  }
  const response = await placeOrderIdempotently(deps, acc, order);
  return { action: response.status === 201 ? 'placed' : 'skipped', reason: response.status === 201 ? undefined : `placement answered ${response.status}`, ...base, response };
}
