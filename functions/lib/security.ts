/**
 * The security layer as a Lambda execution environment holds it: the `callers` and `riskLimits` configuration
 * (read and validated once, at cold start) and the daily-notional store — one per Runtime, so a test that
 * replaces the runtime with a new environment gets a new configuration too. Also the two calls the order
 * handlers make before placing or modifying: `riskCheckPlacement` and `riskCheckModification`.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { AccountRef, Order } from '../../proto/api/trading.js';
import { OpenDError } from '../../proto/errors.js';
import { rateLimited } from './api-error.js';
import { idempotencyKey } from './idempotency-store.js';
import { isTerminalStatus } from './model.js';
import type { OpenDSession } from './opend-connection.js';
import type { OrderRequest } from './order-input.js';
import { riskTerms } from './order-types.js';
import { bucketFor, FUTU_LIMITS } from './rate-limiter.js';
import { checkModification, checkNewOrder, type RiskDeps } from './risk-limits.js';
import { DynamoDailyNotionalStore, type DailyNotionalStore } from './risk-store.js';
import { runtime, type Runtime } from './runtime.js';
import { limitsFor, loadSecurityConfig, type SecurityConfig } from './security-config.js';

export interface Security {
  config: SecurityConfig;
  daily: DailyNotionalStore;
}

const perRuntime = new WeakMap<Runtime, Security>();

export function security(rt: Runtime = runtime()): Security {
  let sec = perRuntime.get(rt);
  if (!sec) {
    const doc = DynamoDBDocumentClient.from(new DynamoDBClient({}), { marshallOptions: { removeUndefinedValues: true } });
    sec = { config: loadSecurityConfig(), daily: new DynamoDailyNotionalStore(doc, rt.config.tables.rateLimits) };
    perRuntime.set(rt, sec);
  }
  return sec;
}

function riskDeps(rt: Runtime, sec: Security, s: OpenDSession, acc: AccountRef): RiskDeps | undefined {
  if (!sec.config.riskLimits) return undefined;
  return {
    limits: limitsFor(sec.config.riskLimits, acc.accId.toString()),
    async quote(code) {
      // A snapshot counts against Futu's snapshot limit like GET /v1/quotes does.
      const d = await rt.limiter.acquire(bucketFor('opend', 'Snapshot'), FUTU_LIMITS.Snapshot);
      if (!d.allowed) throw rateLimited('snapshot requests (the risk check needs the last price)', d.retryAfterMs, FUTU_LIMITS.Snapshot);
      try {
        const [q] = await s.quotes.snapshot([code]);
        return q;
      } catch (err) {
        // OpenD answered but has no snapshot (unknown, delisted, no quote right): "no quote", which refuses a
        // MARKET order and leaves a limit order bounded by its own price. A lost connection still fails the request.
        if (err instanceof OpenDError) return undefined;
        throw err;
      }
    },
    async openOrders() {
      return (await s.trade.orders(acc)).filter((o) => !isTerminalStatus(o.status)).length;
    },
    daily: sec.daily,
  };
}

/** Throws 422 RISK_REJECTED when the new order breaks a limit; a no-op when no limits are configured. */
export async function riskCheckPlacement(s: OpenDSession, acc: AccountRef, order: OrderRequest): Promise<void> {
  const rt = runtime();
  const deps = riskDeps(rt, security(rt), s, acc);
  if (!deps) return;
  // A retry of a clientOrderId already recorded was judged the first time: the placement returns that first
  // outcome, and judging it again (its own order now counts as open, the price has moved) would refuse a retry.
  if (await rt.idempotency.get(idempotencyKey(acc.accId.toString(), order.clientOrderId))) return;
  await checkNewOrder(
    deps,
    { accId: acc.accId.toString(), code: order.security.key, side: order.side, qty: order.qty, ...riskTerms(order) },
    order.clientOrderId,
  );
}

/** The same for a modification of `o` to `change` (fields not given keep the order's values). */
export async function riskCheckModification(s: OpenDSession, acc: AccountRef, o: Order, change: { qty?: number; price?: number; auxPrice?: number }): Promise<void> {
  const rt = runtime();
  const deps = riskDeps(rt, security(rt), s, acc);
  if (!deps) return;
  const before = { accId: acc.accId.toString(), code: o.code, side: o.side, qty: o.qty, ...riskTerms(o) };
  const after = riskTerms({ ...o, price: change.price ?? o.price, auxPrice: change.auxPrice ?? o.auxPrice });
  await checkModification(deps, before, { ...before, ...after, qty: change.qty ?? o.qty });
}
