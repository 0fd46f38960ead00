// The checks the local HTTP API makes before a request reaches a Lambda handler. In AWS, API Gateway with IAM
// authorization stands in front of the handlers; locally nothing does, and the API can place (simulated)
// orders. A web page the developer opens could otherwise reach it: with a "simple" cross-origin POST (no
// preflight: text/plain or form content types), or by DNS rebinding (the page's own host name pointed at
// 127.0.0.1, so the browser even lets it read the answers). Hence:
//   - Host must name this server: 127.0.0.1, localhost or [::1] with its port (else 421): a rebound name fails.
//   - A request with a body must say `content-type: application/json` (else 415): a browser cannot send that
//     cross-origin without a CORS preflight, which this server never approves (it sends no CORS headers).
//   - Bodies over the limit get 413 with `Connection: close`. The body is still read (and dropped, up to a
//     bound) before the answer, so the client reads the 413 instead of a reset connection, and its next
//     request goes out on a new connection.
import type { IncomingMessage, ServerResponse } from 'node:http';

export interface ApiGuardOptions {
  /** The port the API listens on: the Host header must carry it. */
  port: number;
  /** The listen address, accepted as a host name besides the loopback names. */
  host?: string;
  /** Largest request body handed to a handler (default 1 MiB). */
  maxBodyBytes?: number;
  /** Most bytes read and dropped after a refusal before the connection is cut (default 16 MiB). */
  drainLimitBytes?: number;
}

export const LOCAL_API_MAX_BODY_BYTES = 1024 * 1024;
const DRAIN_LIMIT_BYTES = 16 * 1024 * 1024;

export interface Refusal {
  status: number;
  code: string;
  message: string;
  details?: Record<string, unknown>;
}

/** Why a Host header does not name this server (a DNS-rebound name, another port), or undefined when it does. */
export function hostRefusal(hostHeader: string | undefined, o: { port: number; host?: string }): Refusal | undefined {
  const allowed = new Set([`127.0.0.1:${o.port}`, `localhost:${o.port}`, `[::1]:${o.port}`]);
  if (o.host) allowed.add(`${o.host.includes(':') ? `[${o.host}]` : o.host}:${o.port}`);
  const host = (hostHeader ?? '').trim().toLowerCase();
  if (allowed.has(host)) return undefined;
  return {
    status: 421,
    code: 'MISDIRECTED_REQUEST',
    message: `Host ${JSON.stringify(hostHeader ?? '')} is not this local API; send requests to http://127.0.0.1:${o.port} (allowed Host values: ${[...allowed].join(', ')})`,
    details: { host: hostHeader ?? null, allowed: [...allowed] },
  };
}

function hasBody(req: IncomingMessage): boolean {
  const length = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (length !== undefined && Number(length) > 0);
}

function contentTypeRefusal(req: IncomingMessage): Refusal | undefined {
  if (!hasBody(req)) return undefined;
  const type = req.headers['content-type'];
  const media = (type ?? '').split(';')[0]!.trim().toLowerCase();
  if (media === 'application/json') return undefined;
  return {
    status: 415,
    code: 'UNSUPPORTED_MEDIA_TYPE',
    message: `a request body must be sent with content-type: application/json (got ${type === undefined ? 'no content-type' : JSON.stringify(type)})`,
    details: { contentType: type ?? null, allowed: ['application/json'] },
  };
}

interface ReadBody {
  text: string;
  /** Bytes received in total (including dropped ones). */
  bytes: number;
  tooLarge: boolean;
  /** The body was not read to its end (over the drain limit, or the client went away). */
  incomplete: boolean;
}

/** Reads up to `keep` bytes, drops the rest up to `drain` bytes in total, and stops there. */
function readBody(req: IncomingMessage, keep: number, drain: number): Promise<ReadBody> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let bytes = 0;
    let done = false;
    const finish = (incomplete: boolean) => {
      if (done) return;
      done = true;
      req.off('data', onData);
      resolve({ text: bytes > keep ? '' : Buffer.concat(chunks).toString('utf8'), bytes, tooLarge: bytes > keep, incomplete });
    };
    const onData = (c: Buffer) => {
      bytes += c.length;
      if (bytes <= keep) chunks.push(c);
      else chunks.length = 0;
      if (bytes > drain) {
        req.pause();
        finish(true);
      }
    };
    req.on('data', onData);
    req.once('end', () => finish(false));
    req.once('error', () => finish(true));
    req.once('close', () => finish(!req.complete));
  });
}

function refuse(res: ServerResponse, r: Refusal, close: boolean): void {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (close) headers['connection'] = 'close';
  res.writeHead(r.status, headers);
  res.end(JSON.stringify({ error: { code: r.code, message: r.message, details: r.details ?? {} } }));
  if (close) res.once('finish', () => res.socket?.destroySoon());
}

/**
 * Checks a request and reads its body. Returns the body ('' when there is none), or undefined when the request
 * was refused: the answer has then been sent.
 */
export async function guardedBody(req: IncomingMessage, res: ServerResponse, o: ApiGuardOptions): Promise<string | undefined> {
  const maxBody = o.maxBodyBytes ?? LOCAL_API_MAX_BODY_BYTES;
  const drain = Math.max(o.drainLimitBytes ?? DRAIN_LIMIT_BYTES, maxBody);
  const early = hostRefusal(req.headers.host, o) ?? contentTypeRefusal(req);
  const announced = Number(req.headers['content-length'] ?? 0);
  // Nothing of a refused request's body is kept; a body announced beyond the drain limit is not read at all.
  if (announced > drain) {
    refuse(res, early ?? tooLarge(maxBody, announced), true);
    return undefined;
  }
  const body = await readBody(req, early ? 0 : maxBody, drain);
  if (early) {
    refuse(res, early, body.incomplete);
    return undefined;
  }
  if (body.tooLarge) {
    refuse(res, tooLarge(maxBody, body.bytes), true);
    return undefined;
  }
  return body.text;
}

function tooLarge(maxBody: number, bytes: number): Refusal {
  return {
    status: 413,
    code: 'PAYLOAD_TOO_LARGE',
    message: `the request body of ${bytes} bytes is over the local API's limit of ${maxBody} bytes`,
    details: { bytes, limit: maxBody },
  };
}
