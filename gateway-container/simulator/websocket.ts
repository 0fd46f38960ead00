// The WebSocket listener that OpenD's FTWebSocket bridge provides, so that the official JavaScript SDK (npm
// futu-api) works against the simulator unchanged. Messages (binary, big-endian):
//   client → server: "ft-v1.0\0" | u32 cmd | u64 section | protobuf Request
//   server → client: "ft-v1.0\0" | u32 cmd | u64 section | i32 error | errmsg[20] | protobuf Response
// cmd 1 is Init (InitWebSocket); any other cmd is an OpenD protoID, served by the simulator's handlers.
// Replies carry the request's section; pushes carry section 0 (the SDK treats unknown sections as pushes).
//
// The WebSocket protocol itself (handshake, masking, fragmentation, ping/pong, control-frame rules, the
// message size limit) is the `ws` package's; no compression is offered. The simulator's connection limits
// apply on top: a message larger than the pre-Init limit before Init, or more bytes than the per-connection
// budget, closes the connection with a logged reason.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { Socket } from 'node:net';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import * as InitWebSocket from '../../proto/generated/InitWebSocket.js';
import type { Frame } from '../../proto/frame.js';
import { sha1 } from '../../proto/frame.js';
import { SimConnection } from './connection.js';
import type { OpenDSimulator } from './server.js';

const SIGN = Buffer.from('ft-v1.0\0', 'latin1');
const REQUEST_HEAD = 20;
/** RFC 6455 close codes used here. */
const CLOSE = { PROTOCOL_ERROR: 1002, POLICY_VIOLATION: 1008, TOO_BIG: 1009, TRY_AGAIN_LATER: 1013 } as const;

export interface WebSocketBridgeOptions {
  host?: string;
  port: number;
  /** MD5 (hex) of the key clients must present (`websocket_key_md5`); none = any key accepted. */
  keyMd5?: string;
}

function packResponse(cmd: number, section: bigint, error: number, errmsg: string, body?: Uint8Array): Buffer {
  const head = Buffer.alloc(44);
  SIGN.copy(head, 0);
  head.writeUInt32BE(cmd >>> 0, 8);
  head.writeBigUInt64BE(section, 12);
  head.writeInt32BE(error, 20);
  Buffer.from(errmsg, 'utf8').subarray(0, 20).copy(head, 24);
  return body && body.length ? Buffer.concat([head, Buffer.from(body)]) : head;
}

class WsConnection extends SimConnection {
  private pushing = false;
  /** section of a request, by the serial number it was given inside the simulator */
  readonly sections = new Map<number, bigint>();
  constructor(
    id: bigint,
    socket: Socket,
    private readonly ws: WebSocket,
    sim: OpenDSimulator,
  ) {
    // Frames arrive already parsed from WebSocket messages; the TCP frame decoder of the base class is unused.
    super(id, socket, sim.connectionLimits, { decrypt: (_h, wire) => wire, verifySha1: () => true });
  }

  send(payload: Buffer): void {
    if (!this.closed && this.ws.readyState === this.ws.OPEN) this.ws.send(payload, { binary: true });
  }

  override sendFrame(protoId: number, serialNo: number, body: Uint8Array): void {
    if (this.closed) return;
    let section = 0n;
    if (!this.pushing) {
      section = this.sections.get(serialNo) ?? BigInt(serialNo);
      this.sections.delete(serialNo);
    }
    this.send(packResponse(protoId, section, 0, '', body));
  }

  override sendPush(protoId: Parameters<SimConnection['sendPush']>[0], s2c: unknown): void {
    this.pushing = true;
    try {
      super.sendPush(protoId, s2c);
    } finally {
      this.pushing = false;
    }
  }

  /** Closes with a WebSocket close frame (code + reason), then the socket. */
  closeWith(code: number, reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.closeReason = reason;
    // A close reason is at most 123 bytes (RFC 6455 §5.5: control frames carry ≤ 125 bytes).
    this.ws.close(code, Buffer.from(reason, 'utf8').subarray(0, 123).toString('utf8'));
    setTimeout(() => this.ws.terminate(), 2_000).unref();
  }

  override close(reason: string): void {
    this.closeWith(CLOSE.POLICY_VIOLATION, reason);
  }
}

function asBuffer(data: RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data);
}

export async function startWebSocketBridge(sim: OpenDSimulator, o: WebSocketBridgeOptions): Promise<{ port: number; close(): Promise<void> }> {
  const server: Server = createServer((_req, res) => {
    res.writeHead(426, { 'content-type': 'text/plain', connection: 'close' });
    res.end('this port speaks WebSocket (OpenD FTWebSocket protocol)\n');
  });
  const limits = sim.connectionLimits;
  const wss = new WebSocketServer({ server, maxPayload: limits.maxBodyBytes + REQUEST_HEAD, perMessageDeflate: false });
  wss.on('error', (err) => sim.log.error('WebSocket listener error', { error: err.message }));

  wss.on('connection', (ws: WebSocket, req: IncomingMessage) => {
    const socket = req.socket;
    socket.setNoDelay(true);
    const conn = sim.attach((id) => new WsConnection(id, socket, ws, sim)) as WsConnection | null;
    if (!conn) {
      sim.log.warn('WebSocket connection refused: limit reached', { remote: socket.remoteAddress });
      ws.close(CLOSE.TRY_AGAIN_LATER, 'too many connections');
      return;
    }
    const fail = (code: number, reason: string) => {
      sim.log.warn('closing a WebSocket connection', { connId: conn.id.toString(), remote: conn.remote, reason });
      conn.closeWith(code, reason);
    };

    ws.on('message', (data: RawData, isBinary: boolean) => {
      if (conn.closed) return;
      const msg = asBuffer(data);
      const over = conn.chargeBytes(msg.length);
      if (over) {
        sim.stats.overBudget++;
        return fail(CLOSE.POLICY_VIOLATION, over);
      }
      if (!conn.initialized && msg.length > REQUEST_HEAD + limits.preInitMaxBodyBytes) {
        return fail(CLOSE.TOO_BIG, `a message of ${msg.length} bytes before Init; at most ${REQUEST_HEAD + limits.preInitMaxBodyBytes} until Init succeeds`);
      }
      if (!isBinary || msg.length < REQUEST_HEAD || !msg.subarray(0, 7).equals(SIGN.subarray(0, 7))) return fail(CLOSE.PROTOCOL_ERROR, 'not an ft-v1.0 binary message');
      // The bridge keeps the OpenD session alive on the client's behalf (the JS SDK sends no KeepAlive).
      conn.lastKeepAliveAt = Date.now();
      const cmd = msg.readUInt32BE(8);
      const section = msg.readBigUInt64BE(12);
      const body = msg.subarray(REQUEST_HEAD);
      if (cmd === 1) {
        let req: InitWebSocket.Request;
        try {
          req = InitWebSocket.Request.decode(body);
        } catch {
          return conn.send(packResponse(1, section, -1, 'bad Init'));
        }
        const given = req.c2s?.websocketKey ?? '';
        if (o.keyMd5 && given.toLowerCase() !== o.keyMd5.toLowerCase()) {
          sim.log.warn('WebSocket client presented a wrong key', { connId: conn.id.toString() });
          return conn.send(packResponse(1, section, -1, 'websocket key wrong'));
        }
        conn.markInitialized();
        conn.clientId = req.c2s?.clientID ?? 'websocket';
        const rsp = InitWebSocket.Response.encode({ retType: 0, retMsg: '', errCode: 0, s2c: { serverTime: BigInt(Math.floor(sim.now() / 1000)), connID: conn.id } }).finish();
        return conn.send(packResponse(1, section, 0, '', rsp));
      }
      if (!conn.initialized) return conn.send(packResponse(cmd, section, -1, 'send Init first'));
      // Inside the simulator the section becomes the serial number; packetIDs of trade writes from the SDK
      // carry the connID it got from Init and its own serial.
      const serialNo = Number(section & 0xffffffffn);
      conn.sections.set(serialNo, section);
      const frame: Frame = { protoId: cmd, protoFmtType: 0, protoVer: 0, serialNo, bodyLen: body.length, bodySha1: sha1(body), body };
      sim.handleFrame(conn, frame);
    });
    // ws reports protocol violations (unmasked frames, bad control frames, oversized messages) here and
    // closes the connection itself with the matching code.
    ws.on('error', (err) => sim.log.warn('WebSocket protocol error; connection closed', { connId: conn.id.toString(), remote: conn.remote, error: err.message }));
    ws.on('close', () => {
      conn.closed = true;
      sim.detach(conn);
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port, o.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as { port: number }).port;
  sim.log.info('WebSocket (FTWebSocket) listener ready', { port });
  return {
    port,
    close: () =>
      new Promise<void>((r) => {
        for (const c of wss.clients) c.terminate();
        wss.close();
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
