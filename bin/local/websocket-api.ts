// The local stand-in for the API Gateway WebSocket API of cdk/constructs/stream.ts: a `ws` server on 127.0.0.1
// that builds the same Lambda proxy events (`$connect`, the `$request.body.action` routes, `$disconnect`) for
// the same connection function, sends a route's reply body back as API Gateway's route response does, and is
// the fan-out's ConnectionPoster (a registry of open sockets; a closed or unknown connection is "gone", like
// API Gateway's 410). The caller identity comes from the `x-opend-cloud-caller` header, as on the local HTTP API.
//
// A web page must not reach it: browsers send `Origin` on every WebSocket handshake (and WebSockets have no CORS),
// so a handshake with an Origin is refused, as is a Host that does not name this server (DNS rebinding).
// API Gateway's limits are kept: 128 KB messages, 10 minutes idle, 2 hours per connection.
import { randomBytes, randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import { GoneConnectionError, type ConnectionPoster } from '../../functions/lib/stream-poster.js';
import { STREAM_ACTIONS } from '../../functions/lib/stream-protocol.js';
import { hostRefusal } from './api-guard.js';
import { LOCAL_CALLER_ARN, LOCAL_CALLER_HEADER, lambdaContext } from './http-api.js';

/** The connection function's handler, as Lambda calls it. */
export type WebSocketHandler = (event: unknown, context: unknown) => Promise<{ statusCode?: number; body?: string } | void | unknown>;

export interface LocalWebSocketApiOptions {
  handler: WebSocketHandler;
  /** Serve upgrades on this (listening) HTTP server instead of a new one: the local stack shares the API's port. */
  server?: Server;
  /** The only path a handshake may ask for (default "/"). */
  path?: string;
  port?: number;
  host?: string;
  /** API Gateway: 10 minutes without a message either way. */
  idleTimeoutMs?: number;
  /** API Gateway: 2 hours. */
  maxConnectionMs?: number;
  log?: { warn(msg: string, fields?: Record<string, unknown>): void };
}

export interface LocalWebSocketApi extends ConnectionPoster {
  url: string;
  port: number;
  /** Open connections, by API Gateway-style connection ID. */
  connections(): string[];
  close(): Promise<void>;
}

/** API Gateway WebSocket quotas (Amazon API Gateway quotas for WebSocket APIs). */
export const WEBSOCKET_LIMITS = { maxMessageBytes: 128 * 1024, idleTimeoutMs: 10 * 60_000, maxConnectionMs: 2 * 60 * 60_000 } as const;
const CLOSE_GOING_AWAY = 1001;

function status(out: unknown): number {
  const code = (out as { statusCode?: unknown } | undefined)?.statusCode;
  return typeof code === 'number' ? code : 200;
}

function bodyOf(out: unknown): string | undefined {
  const body = (out as { body?: unknown } | undefined)?.body;
  return typeof body === 'string' && body !== '' ? body : undefined;
}

/** API Gateway's route selection on `$request.body.action`: a known action, else `$default`. */
export function selectRoute(text: string): string {
  try {
    const action = (JSON.parse(text) as { action?: unknown })?.action;
    return typeof action === 'string' && (STREAM_ACTIONS as readonly string[]).includes(action) ? action : '$default';
  } catch {
    return '$default';
  }
}

export async function startLocalWebSocketApi(o: LocalWebSocketApiOptions): Promise<LocalWebSocketApi> {
  const host = o.host ?? '127.0.0.1';
  const idleMs = o.idleTimeoutMs ?? WEBSOCKET_LIMITS.idleTimeoutMs;
  const maxMs = o.maxConnectionMs ?? WEBSOCKET_LIMITS.maxConnectionMs;
  const sockets = new Map<string, WebSocket>();
  /** $disconnect invocations still running: close() waits for them, so none runs after the stack's tables are gone. */
  const disconnecting = new Set<Promise<void>>();
  const wss = new WebSocketServer({ noServer: true, maxPayload: WEBSOCKET_LIMITS.maxMessageBytes, perMessageDeflate: false });
  let port = o.port ?? 0;

  const event = (routeKey: string, eventType: string, connectionId: string, extra: Record<string, unknown> = {}) => ({
    requestContext: {
      routeKey,
      eventType,
      connectionId,
      requestId: randomUUID(),
      apiId: 'local',
      stage: 'local',
      domainName: `${host}:${port}`,
      connectedAt: Date.now(),
      requestTimeEpoch: Date.now(),
      ...extra,
    },
    isBase64Encoded: false,
  });
  const invoke = (ev: unknown) => o.handler(ev, lambdaContext('streamConnections', 10_000));

  const refuse = (socket: Socket, code: number, reason: string, body: string) => {
    socket.end(`HTTP/1.1 ${code} ${reason}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
  };

  const path = o.path ?? '/';
  const own = o.server === undefined;
  const server: Server =
    o.server ??
    createServer((_req, res) => {
      res.writeHead(426, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ message: 'this is the WebSocket stream; connect with a WebSocket client (see docs/streaming.md)' }));
    });

  server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => {
    void (async () => {
      const wrongHost = hostRefusal(req.headers.host, { port, host });
      if (wrongHost) return refuse(socket, 421, 'Misdirected Request', JSON.stringify({ message: wrongHost.message }));
      if (new URL(req.url ?? '/', 'ws://local').pathname !== path) {
        return refuse(socket, 404, 'Not Found', JSON.stringify({ message: `the stream is at ${path}` }));
      }
      if (req.headers.origin !== undefined) {
        return refuse(socket, 403, 'Forbidden', JSON.stringify({ message: `a browser page (Origin ${req.headers.origin}) may not open the local stream; use a WebSocket client outside the browser` }));
      }
      // API Gateway's connection IDs look like "L0SM9cOFvHcCIhw=": 12 random bytes, base64.
      const connectionId = randomBytes(12).toString('base64');
      const caller = typeof req.headers[LOCAL_CALLER_HEADER] === 'string' ? (req.headers[LOCAL_CALLER_HEADER] as string) : LOCAL_CALLER_ARN;
      let out: unknown;
      try {
        out = await invoke({ ...event('$connect', 'CONNECT', connectionId, { identity: { sourceIp: '127.0.0.1', userArn: caller } }), headers: { host: req.headers.host } });
      } catch (err) {
        o.log?.warn('local stream $connect failed', { error: (err as Error).message });
        return refuse(socket, 500, 'Internal Server Error', JSON.stringify({ message: 'the connection function failed; see the log' }));
      }
      if (status(out) !== 200) return refuse(socket, status(out), status(out) === 403 ? 'Forbidden' : 'Refused', bodyOf(out) ?? '{}');
      wss.handleUpgrade(req, socket, head, (ws) => attach(ws, connectionId));
    })();
  });

  function attach(ws: WebSocket, connectionId: string): void {
    sockets.set(connectionId, ws);
    let idle = setTimeout(() => ws.close(CLOSE_GOING_AWAY, 'idle timeout'), idleMs);
    const lifetime = setTimeout(() => ws.close(CLOSE_GOING_AWAY, 'maximum connection duration'), maxMs);
    const touch = () => {
      clearTimeout(idle);
      idle = setTimeout(() => ws.close(CLOSE_GOING_AWAY, 'idle timeout'), idleMs);
    };
    // Messages of one connection are handled in order, as a client reading the replies expects.
    let queue = Promise.resolve();
    ws.on('message', (data: RawData, isBinary: boolean) => {
      touch();
      const text = isBinary ? '' : Buffer.isBuffer(data) ? data.toString('utf8') : Buffer.concat(data as Buffer[]).toString('utf8');
      queue = queue.then(async () => {
        try {
          const out = await invoke({ ...event(selectRoute(text), 'MESSAGE', connectionId), body: text });
          const reply = bodyOf(out);
          if (reply !== undefined && ws.readyState === ws.OPEN) ws.send(reply);
        } catch (err) {
          o.log?.warn('local stream message failed', { error: (err as Error).message });
          if (ws.readyState === ws.OPEN) ws.send(JSON.stringify({ message: 'Internal server error', connectionId, requestId: randomUUID() }));
        }
      });
    });
    ws.once('close', () => {
      clearTimeout(idle);
      clearTimeout(lifetime);
      sockets.delete(connectionId);
      const done: Promise<void> = queue
        .then(() => invoke(event('$disconnect', 'DISCONNECT', connectionId)))
        .then(() => undefined)
        .catch((err: Error) => o.log?.warn('local stream $disconnect failed', { error: err.message }))
        .finally(() => disconnecting.delete(done));
      disconnecting.add(done);
    });
  }

  if (own) {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => resolve());
    });
  }
  port = (server.address() as AddressInfo).port;

  return {
    url: `ws://${host}:${port}${path === '/' ? '' : path}`,
    port,
    connections: () => [...sockets.keys()],
    async post(connectionId: string, data: string): Promise<void> {
      const ws = sockets.get(connectionId);
      if (!ws || ws.readyState !== ws.OPEN) throw new GoneConnectionError(connectionId);
      await new Promise<void>((resolve, reject) => ws.send(data, (err) => (err ? reject(err) : resolve())));
      // Pushes do not reset the local idle timer, only client messages do: AWS's quota does not say that pushes
      // count, so a client that pings (docs/streaming.md) behaves the same here and there.
    },
    async close() {
      const closing = [...sockets.values()].map((ws) => once(ws, 'close'));
      for (const ws of sockets.values()) ws.terminate();
      await Promise.all(closing);
      await Promise.all([...disconnecting]);
      wss.close();
      if (!own) return;
      await new Promise<void>((resolve) => {
        server.closeAllConnections?.();
        server.close(() => resolve());
      });
    },
  };
}
