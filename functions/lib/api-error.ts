// HTTP errors of the API: one shape, `{"error": {"code", "message", "details"}}`, created where the problem is
// found and turned into a response by one error handler at the end of the middleware chain.
import { DisconnectedError, OpenDError, RequestTimeoutError, ValidationError } from '../../proto/errors.js';
import { FUTU_LIMITS_BY_PROTO } from '../../proto/futu-limits.js';
import { protocolName } from '../../proto/registry.js';
import { frequencyRetryAfterMs, isBrokerFrequencyLimit } from './broker-frequency.js';

export type ErrorCode =
  | 'INVALID_INPUT'
  | 'FORBIDDEN'
  | 'RISK_REJECTED'
  | 'NOT_FOUND'
  | 'CONFLICT'
  | 'BROKER_REJECTED'
  | 'RATE_LIMITED'
  | 'GATEWAY_NOT_READY'
  | 'OUTCOME_UNKNOWN'
  | 'INTERNAL';

export class ApiError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: ErrorCode,
    message: string,
    readonly details?: Record<string, unknown>,
    readonly headers?: Record<string, string>,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export function invalid(field: string, message: string, extra: Record<string, unknown> = {}): ApiError {
  return new ApiError(400, 'INVALID_INPUT', `${field}: ${message}`, { field, ...extra });
}

export function notFound(message: string, details?: Record<string, unknown>): ApiError {
  return new ApiError(404, 'NOT_FOUND', message, details);
}

export function rateLimited(what: string, retryAfterMs: number, limit: { limit: number; windowMs: number }): ApiError {
  const seconds = Math.max(1, Math.ceil(retryAfterMs / 1000));
  return new ApiError(
    429,
    'RATE_LIMITED',
    `${what} is limited to ${limit.limit} per ${limit.windowMs / 1000} s by Futu; retry after ${seconds} s`,
    { retryAfterMs: Math.ceil(retryAfterMs), limit: limit.limit, windowSeconds: limit.windowMs / 1000 },
    { 'retry-after': String(seconds) },
  );
}

/**
 * Replies name internal addresses (OpenD's host:port in a connection error) only on the local stack; in Lambda
 * they are generic and the details stay in the function's log (http.ts logs the cause of every rejection).
 */
function detailedErrors(): boolean {
  return process.env['AWS_LAMBDA_FUNCTION_NAME'] === undefined;
}

/** An error's text for a reply: itself on the local stack, a generic sentence in Lambda (log the real one). */
export function publicErrorMessage(err: unknown): string {
  return detailedErrors() ? String((err as Error)?.message ?? err) : 'not reachable; the reason is in the function log under this request ID';
}

/**
 * The function ran out of time (middy answers just before Lambda's own timeout would cut the reply, and API
 * Gateway would then say only 504). A GET changed nothing: retry. A write may or may not have reached OpenD: the
 * caller is told the outcome is unknown and when a retry with the same clientOrderId is reconciled — the
 * placement's record stays PENDING until then, so the retry never places a second order.
 */
export function outOfTime(routeKey: string, pendingStaleMs: number): ApiError {
  if (routeKey.startsWith('GET ')) {
    return new ApiError(503, 'GATEWAY_NOT_READY', 'the gateway did not answer in time; retry in a few seconds', undefined, { 'retry-after': '5' });
  }
  const wait = Math.ceil(pendingStaleMs / 1000);
  return new ApiError(
    503,
    'OUTCOME_UNKNOWN',
    `the gateway did not answer before this function ran out of time, so the outcome is unknown; retry the same request (same clientOrderId) after ${wait} s: a placement is then reconciled, never placed twice (a modify or cancel: read the order first)`,
    undefined,
    { 'retry-after': String(wait) },
  );
}

/** middy's early-timeout error (core's timeoutEarlyInMillis), thrown when the invocation is about to time out. */
export function isFunctionTimeout(err: unknown): boolean {
  return err instanceof Error && err.name === 'TimeoutError';
}

/** Maps errors from the protocol layer to API errors; anything unknown becomes a 500 without internals. */
export function toApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  if (err instanceof ValidationError) return invalid(err.field, err.message.slice(err.field.length + 2));
  if (isBrokerFrequencyLimit(err)) {
    // Futu refused the call for its frequency limit (a refreshed read, say, when other clients of the account
    // used up the window): 429 with Retry-After like our own limiter, and nothing happened at the broker.
    const rule = FUTU_LIMITS_BY_PROTO[err.protoId] ?? { limit: 10, windowMs: 30_000 };
    const limited = rateLimited(`${protocolName(err.protoId)} (${err.protoId})`, frequencyRetryAfterMs(err), rule);
    return new ApiError(limited.statusCode, limited.code, `${limited.message} (OpenD: ${err.retMsg})`, { ...limited.details, protoId: err.protoId, retMsg: err.retMsg }, limited.headers);
  }
  if (err instanceof OpenDError) {
    return new ApiError(422, 'BROKER_REJECTED', `OpenD rejected the request: ${err.retMsg || 'no message'}`, {
      protoId: err.protoId,
      retType: err.retType,
      errCode: err.errCode,
      retMsg: err.retMsg,
    });
  }
  if (err instanceof DisconnectedError || err instanceof RequestTimeoutError) {
    const why = detailedErrors() ? `: ${err.message}` : '; retry in a few seconds (the reason is in the function log under this request ID)';
    return new ApiError(503, 'GATEWAY_NOT_READY', `the OpenD gateway is not reachable${why}`, undefined, { 'retry-after': '5' });
  }
  return new ApiError(500, 'INTERNAL', 'internal error; see the logs for the request ID');
}
