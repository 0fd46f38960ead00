// The local stand-in for API Gateway HTTP API (payload format 2.0): matches a request against the route
// keys of the CDK definitions, builds the same event API Gateway would, and calls the Lambda handler.
import { randomUUID } from 'node:crypto';
import type { APIGatewayProxyEventV2, APIGatewayProxyEventV2WithIAMAuthorizer, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';

export type LambdaHttpHandler = (event: APIGatewayProxyEventV2, context: Context) => Promise<APIGatewayProxyStructuredResultV2 | void>;

export interface CompiledRoute {
  routeKey: string;
  method: string;
  regex: RegExp;
  params: string[];
}

export function compileRoute(routeKey: string): CompiledRoute {
  const [method, path] = routeKey.split(' ') as [string, string];
  const params: string[] = [];
  const regex = new RegExp(
    '^' +
      path
        .split('/')
        .map((seg) => {
          const m = /^\{([A-Za-z0-9_]+)\+?\}$/.exec(seg);
          if (!m) return seg.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
          params.push(m[1]!);
          return '([^/]+)';
        })
        .join('/') +
      '$',
  );
  return { routeKey, method, regex, params };
}

export function matchRoute(routes: CompiledRoute[], method: string, path: string): { route: CompiledRoute; pathParameters: Record<string, string> } | undefined {
  for (const r of routes) {
    if (r.method !== method) continue;
    const m = r.regex.exec(path);
    if (!m) continue;
    const pathParameters: Record<string, string> = {};
    r.params.forEach((p, i) => (pathParameters[p] = m[i + 1]!));
    return { route: r, pathParameters };
  }
  return undefined;
}

export interface HttpRequestInput {
  method: string;
  /** Path with query string, e.g. "/v1/quotes?codes=HK.00700". */
  url: string;
  headers?: Record<string, string>;
  body?: string;
  /** The function's timeout for this invocation (default 30 s, API Gateway's own limit). */
  timeoutMs?: number;
}

/**
 * Locally this header stands in for the SigV4 signature: its value becomes the IAM caller identity
 * (`requestContext.authorizer.iam.userArn`) that API Gateway's IAM authorizer reports in AWS, where the header
 * means nothing. Without it the caller is LOCAL_CALLER_ARN.
 */
export const LOCAL_CALLER_HEADER = 'x-opend-cloud-caller';
export const LOCAL_CALLER_ARN = 'arn:aws:iam::000000000000:user/local';

export function buildEvent(routeKey: string, pathParameters: Record<string, string>, req: HttpRequestInput): APIGatewayProxyEventV2WithIAMAuthorizer {
  const u = new URL(req.url, 'http://localhost');
  const query: Record<string, string> = {};
  for (const [k, v] of u.searchParams) query[k] = query[k] === undefined ? v : `${query[k]},${v}`;
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers ?? {})) headers[k.toLowerCase()] = v;
  const now = new Date();
  return {
    version: '2.0',
    routeKey,
    rawPath: u.pathname,
    rawQueryString: u.search.slice(1),
    headers,
    queryStringParameters: Object.keys(query).length ? query : undefined,
    pathParameters: Object.keys(pathParameters).length ? pathParameters : undefined,
    body: req.body,
    isBase64Encoded: false,
    requestContext: {
      accountId: '000000000000',
      apiId: 'local',
      domainName: 'localhost',
      domainPrefix: 'localhost',
      http: { method: req.method, path: u.pathname, protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: headers['user-agent'] ?? '' },
      requestId: randomUUID(),
      authorizer: { iam: { accessKey: 'LOCAL', accountId: '000000000000', callerId: 'LOCAL', cognitoIdentity: null, principalOrgId: '', userArn: headers[LOCAL_CALLER_HEADER] ?? LOCAL_CALLER_ARN, userId: 'LOCAL' } },
      routeKey,
      stage: '$default',
      time: now.toUTCString(),
      timeEpoch: now.getTime(),
    },
  };
}

/** A Lambda context whose remaining time counts down from `timeoutMs` (default 30 s), as Lambda's does. */
export function lambdaContext(functionName: string, timeoutMs = 30_000): Context {
  const id = randomUUID();
  const deadline = Date.now() + timeoutMs;
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:local:000000000000:function:${functionName}`,
    memoryLimitInMB: '512',
    awsRequestId: id,
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

export interface HttpResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** Routes one request to its handler; 404 JSON when no route matches (as API Gateway does). */
export async function dispatchHttp(routes: CompiledRoute[], handlers: Record<string, LambdaHttpHandler>, req: HttpRequestInput): Promise<HttpResponse> {
  const path = new URL(req.url, 'http://localhost').pathname;
  const m = matchRoute(routes, req.method.toUpperCase(), path);
  if (!m) return { status: 404, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ message: 'Not Found' }) };
  const handler = handlers[m.route.routeKey];
  if (!handler) return { status: 500, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ message: `no handler for ${m.route.routeKey}` }) };
  const out = (await handler(buildEvent(m.route.routeKey, m.pathParameters, req), lambdaContext(m.route.routeKey, req.timeoutMs))) ?? {};
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(out.headers ?? {})) headers[k.toLowerCase()] = String(v);
  return { status: out.statusCode ?? 200, headers, body: typeof out.body === 'string' ? out.body : '' };
}
