// The HTTP handlers' middy chain: Powertools' Lambda context on every log line, header normalisation, request
// parsing (a JSON body parser with a size limit and errors that name the field), authorization before any
// route code, a router by API Gateway route key, one error handler rendering ApiError, and the access and
// audit lines. Invariant: every reply, success or error, passes through the same renderer.
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import httpHeaderNormalizer from '@middy/http-header-normalizer';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import type { Logger } from '../../proto/client.js';
import { ApiError, invalid, isFunctionTimeout, outOfTime, toApiError } from './api-error.js';
import { isAudited, writeAudit } from './audit.js';
import { authorize, callerOf } from './authorization.js';
import { asLogger, lambdaLogger } from './lambda-logger.js';
import { pendingStaleMs, runtime } from './runtime.js';
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

/** The account's environment, for a caller whose right depends on it (trade vs tradeReal). */
async function accountEnv(accId: string): Promise<'REAL' | 'SIMULATE'> {
  const rt = runtime();
  return (await rt.directory.resolve(await rt.openD.get(), accId)).env;
}

/** What the middlewares of one request share; kept per event object, so concurrent invocations stay apart. */
interface RequestState {
  started: number;
  requestId: string;
  caller: string | undefined;
  log: Logger;
  path: Record<string, string>;
  query: Record<string, string>;
  headers: Record<string, string>;
  body: unknown;
  /** A body that failed to parse: reported only after the caller is authorized for the route. */
  bodyError?: unknown;
  route?: Route;
}

type ApiRequest = middy.Request<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 | HttpResult, Error, Context>;
type ApiMiddleware = middy.MiddlewareObj<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 | HttpResult, Error, Context>;
const states = new WeakMap<object, RequestState>();

function stateOf(request: ApiRequest): RequestState {
  const st = states.get(request.event);
  if (!st) throw new Error('the request was not prepared by requestParts (middleware order)');
  return st;
}

/**
 * Route lookup, path/query/headers (headers already lower-cased by http-header-normalizer), the per-request
 * logger and the JSON body. The body is parsed first so that the audit line of a refused request still names
 * its clientOrderId; its error is held back until the caller is authorized.
 */
function requestParts(routes: Record<string, Route>): ApiMiddleware {
  return {
    before: (request) => {
      const event = request.event;
      const requestId = event.requestContext?.requestId ?? request.context?.awsRequestId ?? 'local';
      const caller = callerOf(event);
      const st: RequestState = {
        started: Date.now(),
        requestId,
        caller,
        // requestId/route/caller on every line: the Lambda context Powertools adds is per execution environment,
        // and the local stack serves concurrent requests from one process.
        log: asLogger(lambdaLogger(), { requestId, route: event.routeKey, caller }),
        path: {},
        query: {},
        headers: {},
        body: undefined,
      };
      states.set(event, st);
      st.route = routes[event.routeKey];
      if (!st.route) throw new ApiError(404, 'NOT_FOUND', `no route ${event.routeKey}`);
      for (const [k, v] of Object.entries(event.headers ?? {})) if (v !== undefined) st.headers[k] = v;
      for (const [k, v] of Object.entries(event.queryStringParameters ?? {})) if (v !== undefined) st.query[k] = v;
      for (const [k, v] of Object.entries(event.pathParameters ?? {})) if (v !== undefined) st.path[k] = decodePathParameter(k, v);
      try {
        st.body = parseBody(event);
      } catch (err) {
        st.bodyError = err;
      }
    },
  };
}

/** Authorization runs before the route's code, so nothing reaches OpenD for a caller without the right. */
function authorizeCaller(): ApiMiddleware {
  return {
    before: async (request) => {
      const st = stateOf(request);
      await authorize(security().config.callers, { routeKey: request.event.routeKey, caller: st.caller, accId: st.path['accId'], accountEnv });
      if (st.bodyError !== undefined) throw st.bodyError;
    },
  };
}

/**
 * The one error handler: any error (ApiError, ValidationError, OpenD's errors, anything else) becomes the
 * `{"error": {code, message, details}}` body through toApiError. The reply may be generic (no internal
 * addresses); the log keeps what really happened.
 */
function apiErrors(): ApiMiddleware {
  return {
    onError: (request) => {
      const err = request.error;
      const log = states.get(request.event)?.log ?? asLogger(lambdaLogger(), { route: request.event.routeKey });
      const api = isFunctionTimeout(err) ? outOfTime(request.event.routeKey, pendingStaleMs(process.env)) : toApiError(err);
      if (api.statusCode >= 500 && api.code === 'INTERNAL') log.error('request failed', { error: (err as Error)?.stack ?? String(err) });
      else log.warn('request rejected', { status: api.statusCode, code: api.code, reason: api.message, cause: err instanceof ApiError ? undefined : (err as Error)?.message });
      request.response = { status: api.statusCode, headers: api.headers, body: { error: { code: api.code, message: api.message, details: api.details ?? {} } } };
    },
  };
}

/** After success or error: the access log line, the audit line of trading routes, then the HTTP reply. */
function apiResponse(): ApiMiddleware {
  const finish = (request: ApiRequest): void => {
    const result = request.response as HttpResult;
    const event = request.event;
    const st = states.get(request.event);
    const path = st?.path ?? {};
    st?.log.info('request', { status: result.status, ms: st ? Date.now() - st.started : undefined, accId: path['accId'], orderId: path['orderId'] });
    if (isAudited(event.routeKey)) {
      writeAudit({ requestId: st?.requestId ?? 'local', routeKey: event.routeKey, caller: st?.caller ?? callerOf(event), path, headers: st?.headers ?? {}, body: st?.body, result });
    }
    request.response = respond(result);
  };
  return { after: finish, onError: (request) => (request.response === undefined ? undefined : finish(request)) };
}

export type LambdaHttp = (event: APIGatewayProxyEventV2, context: Context) => Promise<APIGatewayProxyStructuredResultV2>;

/**
 * A middy handler that routes by API Gateway route key. The chain (before: top to bottom; after and onError:
 * bottom to top): Powertools' injectLambdaContext (function name, cold start, request ID on every log line),
 * header normalisation, the reply renderer with access and audit log, the error handler, request parsing,
 * authorization; then the route, which only parses its input, calls one domain function and shapes the reply.
 */
export function httpHandler(routes: Record<string, Route>): LambdaHttp {
  // Cold start: a malformed callers / riskLimits configuration stops the function here, with the reason.
  loadSecurityConfig();
  const handler = middy<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 | HttpResult, Error, Context>()
    .use(injectLambdaContext(lambdaLogger(), { resetKeys: true }))
    .use(httpHeaderNormalizer())
    .use(apiResponse())
    .use(apiErrors())
    .use(requestParts(routes))
    .use(authorizeCaller())
    .handler(async (event) => {
      const st = states.get(event)!;
      return st.route!({ routeKey: event.routeKey, path: st.path, query: st.query, headers: st.headers, body: st.body, requestId: st.requestId, caller: st.caller, log: st.log });
    });
  return handler as unknown as LambdaHttp;
}
