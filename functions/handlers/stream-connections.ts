// The WebSocket API's routes ($connect, $disconnect, subscribe, unsubscribe, ping, $default), one function: the
// routing is by API Gateway's route key; the logic is functions/lib/stream-connections.ts.
import type { APIGatewayProxyResultV2, Context } from 'aws-lambda';
import { lambdaFunction } from '../lib/lambda-logger.js';
import { loadSecurityConfig } from '../lib/security-config.js';
import { onConnect, onDisconnect, onMessage, webSocketCaller, type StreamDeps } from '../lib/stream-connections.js';
import { streamRuntime } from '../lib/stream-runtime.js';

/** The WebSocket Lambda proxy event, as far as this function reads it. */
export interface WebSocketEvent {
  requestContext: { routeKey: string; connectionId: string; identity?: { userArn?: string } };
  body?: string | null;
  isBase64Encoded?: boolean;
}

// Cold start: a malformed callers configuration stops the function here, with the reason.
const callers = loadSecurityConfig().callers;

async function route(event: WebSocketEvent, _context: Context): Promise<APIGatewayProxyResultV2> {
  const rt = streamRuntime();
  const deps: StreamDeps = { store: rt.store, callers, log: rt.log };
  const { routeKey, connectionId } = event.requestContext;
  if (routeKey === '$connect') return onConnect(deps, connectionId, webSocketCaller(event.requestContext));
  if (routeKey === '$disconnect') return onDisconnect(deps, connectionId);
  const body = event.isBase64Encoded && event.body ? Buffer.from(event.body, 'base64').toString('utf8') : event.body;
  return onMessage(deps, connectionId, body);
}

export const handler = lambdaFunction(route);
