/**
 * The WebSocket API's connection routes: `$connect` (who is connecting, and may they read anything at all),
 * the messages `subscribe` / `unsubscribe` / `ping` (and `$default` for anything else), and `$disconnect`.
 *
 * Authorization follows the HTTP API's (authorization.ts, `callers`): market data needs the "read" right on some
 * account, as GET /v1/quotes does; an account's order events need "read" on that account, as GET
 * /v1/accounts/{accId}/orders does. The caller is the IAM principal API Gateway authenticated on $connect
 * (`requestContext.identity.userArn`); later messages carry no identity, so it is read from the connection's
 * record. A refused request subscribes nothing and leaves the connection open with an error message.
 */
import type { CallerGrant } from './security-config.js';
import { mayRead, rightsOf } from './authorization.js';
import {
  errorMessage,
  parseClientMessage,
  pongMessage,
  STREAM_LIMITS,
  StreamError,
  subscriptionMessage,
  topicsOf,
  type SubscriptionRequest,
} from './stream-protocol.js';
import type { DynamoStreamStore } from './stream-store.js';
import type { Logger } from '../../proto/client.js';

export interface StreamDeps {
  store: DynamoStreamStore;
  callers: readonly CallerGrant[];
  log: Logger;
  now?: () => Date;
}

/** What API Gateway does with a route's answer: $connect's status decides the handshake; `body` is sent back. */
export interface RouteReply {
  statusCode: number;
  body?: string;
}

/** The IAM principal of a WebSocket $connect event, or undefined when it carries none. */
export function webSocketCaller(requestContext: unknown): string | undefined {
  const arn = (requestContext as { identity?: { userArn?: unknown } } | undefined)?.identity?.userArn;
  return typeof arn === 'string' && arn !== '' ? arn : undefined;
}

/** $connect: refuses (403) an unsigned caller or one without "read" on any account; records the rest. */
export async function onConnect(deps: StreamDeps, connectionId: string, caller: string | undefined): Promise<RouteReply> {
  if (caller === undefined) {
    deps.log.warn('stream connect refused: no IAM caller', { connectionId });
    return { statusCode: 403, body: errorMessage(new StreamError('FORBIDDEN', 'the connection request carries no IAM caller identity; sign it with SigV4')) };
  }
  if (!rightsOf(deps.callers, caller).has('read')) {
    deps.log.warn('stream connect refused: no read right', { connectionId, caller });
    return { statusCode: 403, body: errorMessage(new StreamError('FORBIDDEN', `${caller} has no "read" right on any account (see callers in cdk/config.ts)`, { caller, missing: 'read' })) };
  }
  await deps.store.connect(connectionId, caller);
  deps.log.info('stream connected', { connectionId, caller });
  return { statusCode: 200 };
}

export async function onDisconnect(deps: StreamDeps, connectionId: string): Promise<RouteReply> {
  const topics = await deps.store.remove(connectionId);
  deps.log.info('stream disconnected', { connectionId, topics });
  return { statusCode: 200 };
}

/** Every account of the request the caller may not read, checked before anything is stored. */
function checkRights(deps: StreamDeps, caller: string, req: SubscriptionRequest): void {
  if (req.quotes.length > 0 && !rightsOf(deps.callers, caller).has('read')) {
    throw new StreamError('FORBIDDEN', `${caller} has no "read" right on any account, which market data needs`, { caller, missing: 'read' });
  }
  const refused = req.accounts.filter((accId) => !mayRead(deps.callers, caller, accId));
  if (refused.length > 0) {
    throw new StreamError('FORBIDDEN', `${caller} lacks the "read" right on account${refused.length > 1 ? 's' : ''} ${refused.join(', ')}; nothing was subscribed`, { caller, missing: 'read', accounts: refused });
  }
}

/** A message route: the reply text the client receives (a `subscribed` / `unsubscribed` / `pong` or an `error`). */
export async function onMessage(deps: StreamDeps, connectionId: string, body: string | undefined | null): Promise<RouteReply> {
  try {
    const req = parseClientMessage(body);
    if (req.action === 'ping') return { statusCode: 200, body: pongMessage(deps.now?.() ?? new Date()) };
    const conn = await deps.store.get(connectionId);
    if (!conn) throw new StreamError('NOT_CONNECTED', 'this connection is not registered (expired or disconnected); reconnect');
    const topics = topicsOf(req);
    if (req.action === 'unsubscribe') {
      const left = await deps.store.unsubscribe(conn, topics);
      return { statusCode: 200, body: subscriptionMessage('unsubscribed', left) };
    }
    checkRights(deps, conn.caller, req);
    const held = await deps.store.subscribe(conn, topics, STREAM_LIMITS.maxTopicsPerConnection);
    deps.log.info('stream subscribed', { connectionId, caller: conn.caller, added: topics.length, held: held.length });
    return { statusCode: 200, body: subscriptionMessage('subscribed', held) };
  } catch (err) {
    if (!(err instanceof StreamError)) throw err;
    deps.log.warn('stream message refused', { connectionId, code: err.code, reason: err.message });
    return { statusCode: 200, body: errorMessage(err) };
  }
}
