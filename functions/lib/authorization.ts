/**
 * Account-level authorization of the HTTP API. API Gateway's IAM authorizer proves WHO signed the request (its
 * principal ARN arrives as `requestContext.authorizer.iam.userArn`); `callers` (see security-config.ts) says
 * WHAT that principal may do on WHICH account. Every route is checked here before its handler runs, so a caller
 * without the right gets 403 FORBIDDEN before anything reaches OpenD — with one exception: a caller holding only
 * one of `trade` / `tradeReal` on an account makes us look the account's environment up (the account list, a
 * read), never the order itself.
 *
 * Deny by default: a route missing from ROUTE_RIGHTS is refused, so a new route cannot ship unprotected.
 */
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { ApiError } from './api-error.js';
import type { CallerGrant, Right } from './security-config.js';

/** What a route needs: a right on the account of its `{accId}`, or — for routes without one — on any account. */
export interface RouteRule {
  readonly right: 'read' | 'trade' | 'gateway' | 'subscriptions';
  readonly perAccount: boolean;
}

export const ROUTE_RIGHTS: Readonly<Record<string, RouteRule>> = {
  'GET /v1/quotes': { right: 'read', perAccount: false },
  'GET /v1/quotes/{code}/klines': { right: 'read', perAccount: false },
  'GET /v1/quotes/{code}/orderbook': { right: 'read', perAccount: false },
  'GET /v1/quotes/{code}/ticker': { right: 'read', perAccount: false },
  // Current market data (functions/handlers/quote-routes.ts): market-wide reads.
  'GET /v1/quotes/{code}/klines/current': { right: 'read', perAccount: false },
  'GET /v1/quotes/{code}/time-share': { right: 'read', perAccount: false },
  'GET /v1/quotes/{code}/broker-queue': { right: 'read', perAccount: false },
  'GET /v1/market-state': { right: 'read', perAccount: false },
  // Reference and screening data (functions/handlers/reference-routes.ts): market-wide reads.
  'GET /v1/trading-days': { right: 'read', perAccount: false },
  'GET /v1/plates': { right: 'read', perAccount: false },
  'GET /v1/plates/{code}/members': { right: 'read', perAccount: false },
  'GET /v1/screener': { right: 'read', perAccount: false },
  'GET /v1/quotes/{code}/capital-flow': { right: 'read', perAccount: false },
  'GET /v1/quotes/{code}/capital-distribution': { right: 'read', perAccount: false },
  'GET /v1/warrants': { right: 'read', perAccount: false },
  'GET /v1/watchlists': { right: 'read', perAccount: false },
  'GET /v1/watchlists/{group}': { right: 'read', perAccount: false },
  'GET /v1/suspensions': { right: 'read', perAccount: false },
  'GET /v1/ipos': { right: 'read', perAccount: false },
  'GET /v1/quotes/{code}/corporate-actions': { right: 'read', perAccount: false },
  'GET /v1/rankings/top-movers': { right: 'read', perAccount: false },
  'GET /v1/delay-statistics': { right: 'read', perAccount: false },
  // Futures and options reference data (functions/handlers/derivative-routes.ts): market-wide reads.
  'GET /v1/options/{underlying}/expirations': { right: 'read', perAccount: false },
  'GET /v1/options/{underlying}/chain': { right: 'read', perAccount: false },
  'GET /v1/futures/{code}': { right: 'read', perAccount: false },
  // Price reminders are the OpenD login's, not an account's; a change alters what OpenD pushes to the bus (Price Reminder events).
  'GET /v1/price-reminders': { right: 'read', perAccount: false },
  'POST /v1/price-reminders': { right: 'subscriptions', perAccount: false },
  'PATCH /v1/price-reminders/{key}': { right: 'subscriptions', perAccount: false },
  'DELETE /v1/price-reminders/{key}': { right: 'subscriptions', perAccount: false },
  'DELETE /v1/price-reminders': { right: 'subscriptions', perAccount: false },
  'GET /v1/accounts': { right: 'read', perAccount: false },
  'GET /v1/accounts/{accId}/funds': { right: 'read', perAccount: true },
  'GET /v1/accounts/{accId}/positions': { right: 'read', perAccount: true },
  'GET /v1/accounts/{accId}/fills': { right: 'read', perAccount: true },
  'GET /v1/accounts/{accId}/orders': { right: 'read', perAccount: true },
  'GET /v1/accounts/{accId}/orders/{orderId}': { right: 'read', perAccount: true },
  // Account reports (functions/handlers/accounts.ts): reads of one account.
  'GET /v1/accounts/{accId}/fees': { right: 'read', perAccount: true },
  'GET /v1/accounts/{accId}/margin-ratios': { right: 'read', perAccount: true },
  'GET /v1/accounts/{accId}/cash-flow': { right: 'read', perAccount: true },
  'GET /v1/accounts/{accId}/max-quantities': { right: 'read', perAccount: true },
  'GET /v1/accounts/{accId}/history/orders': { right: 'read', perAccount: true },
  'GET /v1/accounts/{accId}/history/fills': { right: 'read', perAccount: true },
  'POST /v1/accounts/{accId}/orders': { right: 'trade', perAccount: true },
  'PATCH /v1/accounts/{accId}/orders/{orderId}': { right: 'trade', perAccount: true },
  'DELETE /v1/accounts/{accId}/orders/{orderId}': { right: 'trade', perAccount: true },
  'GET /v1/gateway': { right: 'read', perAccount: false },
  'POST /v1/gateway/verification': { right: 'gateway', perAccount: false },
  // Runtime quote subscriptions change what OpenD's quota holds and what the bus is billed for: a right of its own.
  'GET /v1/subscriptions': { right: 'read', perAccount: false },
  'PUT /v1/subscriptions': { right: 'subscriptions', perAccount: false },
  'DELETE /v1/subscriptions': { right: 'subscriptions', perAccount: false },
};

/** The signed caller's principal ARN, as API Gateway v2's IAM authorizer reports it; undefined when unsigned. */
export function callerOf(event: APIGatewayProxyEventV2): string | undefined {
  const ctx = event.requestContext as { authorizer?: { iam?: { userArn?: unknown } } } | undefined;
  const arn = ctx?.authorizer?.iam?.userArn;
  return typeof arn === 'string' && arn !== '' ? arn : undefined;
}

const patternCache = new Map<string, RegExp>();

/** `*` matches any run of characters (including `/` and `:`); everything else literally. */
export function principalMatches(pattern: string, arn: string): boolean {
  let re = patternCache.get(pattern);
  if (!re) {
    re = new RegExp('^' + pattern.split('*').map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('.*') + '$');
    patternCache.set(pattern, re);
  }
  return re.test(arn);
}

/** The rights `caller` holds on `accId` (or, without one, on any account), from every grant that matches. */
export function rightsOf(callers: readonly CallerGrant[], caller: string, accId?: string): Set<Right> {
  const rights = new Set<Right>();
  for (const g of callers) {
    if (!principalMatches(g.principal, caller)) continue;
    if (accId !== undefined && g.accounts !== '*' && !g.accounts.includes(accId)) continue;
    for (const r of g.rights) rights.add(r);
  }
  return rights;
}

/** May `caller` read `accId`? Used to narrow GET /v1/accounts to what the caller may see. */
export function mayRead(callers: readonly CallerGrant[], caller: string, accId: string): boolean {
  return rightsOf(callers, caller, accId).has('read');
}

function forbidden(caller: string | undefined, missing: string, message: string, accId?: string): ApiError {
  return new ApiError(403, 'FORBIDDEN', message, { caller: caller ?? null, missing, ...(accId !== undefined ? { accId } : {}) });
}

export interface AuthorizationInput {
  routeKey: string;
  caller: string | undefined;
  /** The route's `{accId}` path parameter, already decoded. */
  accId?: string;
  /** Looks the account's environment up; only called when the caller's rights depend on it. */
  accountEnv: (accId: string) => Promise<'REAL' | 'SIMULATE'>;
}

/** Resolves when the caller may call the route; otherwise throws 403 FORBIDDEN naming the missing right. */
export async function authorize(callers: readonly CallerGrant[], input: AuthorizationInput): Promise<void> {
  const { routeKey, caller, accId } = input;
  const rule = ROUTE_RIGHTS[routeKey];
  if (!rule) throw forbidden(caller, 'route rule', `${routeKey} has no authorization rule; nobody may call it`);
  if (caller === undefined) throw forbidden(caller, 'caller identity', 'the request carries no IAM caller identity; sign it with SigV4');
  if (!rule.perAccount || accId === undefined) {
    const any = rightsOf(callers, caller);
    const ok = rule.right === 'trade' ? any.has('trade') || any.has('tradeReal') : any.has(rule.right);
    if (!ok) throw forbidden(caller, rule.right, `${caller} has no "${rule.right}" right on any account (see callers in cdk/config.ts)`);
    return;
  }
  const rights = rightsOf(callers, caller, accId);
  if (rule.right !== 'trade') {
    if (!rights.has(rule.right)) throw forbidden(caller, rule.right, `${caller} lacks the "${rule.right}" right on account ${accId}`, accId);
    return;
  }
  const paper = rights.has('trade');
  const real = rights.has('tradeReal');
  if (!paper && !real) throw forbidden(caller, 'trade', `${caller} lacks the "trade" right on account ${accId}`, accId);
  if (paper && real) return;
  const env = await input.accountEnv(accId);
  if (env === 'REAL' && !real) {
    throw forbidden(caller, 'tradeReal', `${caller} may trade paper accounts only: account ${accId} is REAL and needs the "tradeReal" right, granted explicitly`, accId);
  }
  if (env === 'SIMULATE' && !paper) throw forbidden(caller, 'trade', `${caller} lacks the "trade" right on paper account ${accId}`, accId);
}
