// middy pieces for the HTTP handlers: a request logger, a JSON body parser with a size limit, a router by
// API Gateway route key, and the error handler that renders ApiError.
import middy from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import type { Logger } from '../../proto/client.js';
import { createLogger } from '../../proto/log.js';
import { ApiError, invalid, toApiError } from './api-error.js';
import { isAudited, writeAudit } from './audit.js';
import { authorize, callerOf } from './authorization.js';
import { runtime } from './runtime.js';
import { loadSecurityConfig } from './security-config.js';
import { security } from './security.js';

export interface HttpRequest {
  routeKey: string;
  path: Record<string, string>;
  query: Record<string, string>;
  headers: Record<string, string>;
  /** Parsed JSON body (undefined when there is none). */
  body: unknown;
  requestId: string;
  /** The signed caller's IAM principal ARN (requestContext.authorizer.iam.userArn); authorized before the route runs. */
  caller: string | undefined;
  log: Logger;
}

export interface HttpResult {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export type Route = (req: HttpRequest) => Promise<HttpResult>;

export const MAX_BODY_BYTES = 16 * 1024;

export function jsonText(v: unknown): string {
  return JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? x.toString() : x));
}

function respond(r: HttpResult): APIGatewayProxyStructuredResultV2 {
  return {
    statusCode: r.status,
    headers: { 'content-type': 'application/json', ...r.headers },
    body: r.body === undefined ? '' : jsonText(r.body),
  };
}

function parseBody(event: APIGatewayProxyEventV2): unknown {
  if (event.body === undefined || event.body === null || event.body === '') return undefined;
  const raw = event.isBase64Encoded ? Buffer.from(event.body, 'base64') : Buffer.from(event.body, 'utf8');
  if (raw.length > MAX_BODY_BYTES) {
    throw invalid('body', `${raw.length} bytes is over the limit of ${MAX_BODY_BYTES} bytes`, { maxBytes: MAX_BODY_BYTES });
  }
  const type = Object.entries(event.headers ?? {}).find(([k]) => k.toLowerCase() === 'content-type')?.[1] ?? 'application/json';
  if (!/^application\/(.+\+)?json\b/i.test(type)) {
    throw invalid('body', `content-type must be application/json, got ${type}`);
  }
  try {
    return JSON.parse(raw.toString('utf8'));
  } catch (err) {
    throw invalid('body', `is not valid JSON (${(err as Error).message})`);
  }
}

function decodePathParameter(name: string, v: string): string {
  try {
    return decodeURIComponent(v);
  } catch {
    throw invalid(name, `is not valid percent-encoding: ${JSON.stringify(v.slice(0, 40))}`);
  }
}

const baseLogger = createLogger('api');

/** The account's environment, for a caller whose right depends on it (trade vs tradeReal). */
async function accountEnv(accId: string): Promise<'REAL' | 'SIMULATE'> {
  const rt = runtime();
  return (await rt.directory.resolve(await rt.openD.get(), accId)).env;
}

/**
 * A middy handler that routes by API Gateway route key, authorizes the caller for the route (before the route's
 * code runs, so nothing reaches OpenD for a caller without the right), writes the audit line of trading routes
 * and renders every error the same way.
 */
export function httpHandler(routes: Record<string, Route>) {
  // Cold start: a malformed callers / riskLimits configuration stops the function here, with the reason.
  loadSecurityConfig();
  const core = async (event: APIGatewayProxyEventV2, context: Context): Promise<APIGatewayProxyStructuredResultV2> => {
    const requestId = event.requestContext?.requestId ?? context?.awsRequestId ?? 'local';
    const caller = callerOf(event);
    const log = withFields(baseLogger, { requestId, route: event.routeKey, caller });
    const started = Date.now();
    const headers: Record<string, string> = {};
    const path: Record<string, string> = {};
    let body: unknown;
    let result: HttpResult;
    try {
      const route = routes[event.routeKey];
      if (!route) throw new ApiError(404, 'NOT_FOUND', `no route ${event.routeKey}`);
      for (const [k, v] of Object.entries(event.headers ?? {})) if (v !== undefined) headers[k.toLowerCase()] = v;
      const query: Record<string, string> = {};
      for (const [k, v] of Object.entries(event.queryStringParameters ?? {})) if (v !== undefined) query[k] = v;
      for (const [k, v] of Object.entries(event.pathParameters ?? {})) if (v !== undefined) path[k] = decodePathParameter(k, v);
      // Parsed first so that the audit line of a refused request still names its clientOrderId; a body error
      // is reported only to a caller who may call the route.
      let bodyError: unknown;
      try {
        body = parseBody(event);
      } catch (err) {
        bodyError = err;
      }
      await authorize(security().config.callers, { routeKey: event.routeKey, caller, accId: path['accId'], accountEnv });
      if (bodyError !== undefined) throw bodyError;
      result = await route({ routeKey: event.routeKey, path, query, headers, body, requestId, caller, log });
    } catch (err) {
      const api = toApiError(err);
      if (api.statusCode >= 500 && api.code === 'INTERNAL') log.error('request failed', { error: (err as Error)?.stack ?? String(err) });
      // The reply may be generic (no internal addresses); the log keeps what really happened.
      else log.warn('request rejected', { status: api.statusCode, code: api.code, message: api.message, cause: err instanceof ApiError ? undefined : (err as Error)?.message });
      result = { status: api.statusCode, headers: api.headers, body: { error: { code: api.code, message: api.message, details: api.details ?? {} } } };
    }
    log.info('request', { status: result.status, ms: Date.now() - started, accId: path['accId'], orderId: path['orderId'] });
    if (isAudited(event.routeKey)) writeAudit({ requestId, routeKey: event.routeKey, caller, path, headers, body, result });
    return respond(result);
  };
  return middy(core);
}

export function withFields(log: Logger, fields: Record<string, unknown>): Logger {
  return {
    debug: (m, f) => log.debug(m, { ...fields, ...f }),
    info: (m, f) => log.info(m, { ...fields, ...f }),
    warn: (m, f) => log.warn(m, { ...fields, ...f }),
    error: (m, f) => log.error(m, { ...fields, ...f }),
  };
}
