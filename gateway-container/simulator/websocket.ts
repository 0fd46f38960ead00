// The WebSocket listener that OpenD's FTWebSocket bridge provides, so that the official JavaScript SDK (npm
// futu-api) works against the simulator unchanged. Framing (opend-protocol.md §9), big-endian:
//   client → server: "ft-v1.0\0" | u32 cmd | u64 section | protobuf Request
//   server → client: "ft-v1.0\0" | u32 cmd | u64 section | i32 error | errmsg[20] | protobuf Response
// cmd 1 is Init (InitWebSocket); any other cmd is an OpenD protoID, served by the simulator's handlers.
// Replies carry the request's section; pushes carry section 0 (the SDK treats unknown sections as pushes).
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { Socket } from 'node:net';
import * as InitWebSocket from '../../proto/generated/InitWebSocket.js';
import type { Frame } from '../../proto/frame.js';
import { sha1 } from '../../proto/frame.js';
import { SimConnection } from './connection.js';
import type { OpenDSimulator } from './server.js';

const SIGN = Buffer.from('ft-v1.0\0', 'latin1');
const REQUEST_HEAD = 20;
const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';
const MAX_MESSAGE = 16 * 1024 * 1024;

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

/** One WebSocket frame, server → client (never masked). */
function wsFrame(opcode: number, payload: Buffer): Buffer {
  const len = payload.length;
  const head = len < 126 ? Buffer.alloc(2) : len < 65536 ? Buffer.alloc(4) : Buffer.alloc(10);
  head[0] = 0x80 | opcode;
  if (len < 126) head[1] = len;
  else if (len < 65536) {
    head[1] = 126;
    head.writeUInt16BE(len, 2);
  } else {
    head[1] = 127;
    head.writeBigUInt64BE(BigInt(len), 2);
  }
  return Buffer.concat([head, payload]);
}

class WsConnection extends SimConnection {
  private pushing = false;
  /** section of a request, by the serial number it was given inside the simulator */
  readonly sections = new Map<number, bigint>();
  constructor(
    id: bigint,
    socket: Socket,
    private readonly sendMessage: (b: Buffer) => void,
  ) {
    super(id, socket, MAX_MESSAGE, (_h, wire) => wire);
    this.initialized = false;
  }

  override sendFrame(protoId: number, serialNo: number, body: Uint8Array): void {
    if (this.closed) return;
    let section = 0n;
    if (!this.pushing) {
      section = this.sections.get(serialNo) ?? BigInt(serialNo);
      this.sections.delete(serialNo);
    }
    this.sendMessage(packResponse(protoId, section, 0, '', body));
  }

  override sendPush(protoId: Parameters<SimConnection['sendPush']>[0], s2c: unknown): void {
    this.pushing = true;
    try {
      super.sendPush(protoId, s2c);
    } finally {
      this.pushing = false;
    }
  }
}

export async function startWebSocketBridge(sim: OpenDSimulator, o: WebSocketBridgeOptions): Promise<{ port: number; close(): Promise<void> }> {
  const server: Server = createServer((_req, res) => {
    res.writeHead(426, { 'content-type': 'text/plain' });
    res.end('this port speaks WebSocket (OpenD FTWebSocket protocol)\n');
  });
  const sockets = new Set<Socket>();

  server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => {
    const key = req.headers['sec-websocket-key'];
    if (String(req.headers['upgrade']).toLowerCase() !== 'websocket' || typeof key !== 'string' || req.headers['sec-websocket-version'] !== '13') {
      socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\n\r\n');
      return;
    }
    const accept = createHash('sha1').update(key + GUID).digest('base64');
    socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`);
    socket.setNoDelay(true);
    sockets.add(socket);
    const send = (payload: Buffer) => {
      if (!socket.destroyed) socket.write(wsFrame(2, payload));
    };
    const conn = sim.attach((id) => new WsConnection(id, socket, send));
    if (!conn) {
      socket.end(wsFrame(8, Buffer.from([0x03, 0xf0]))); // 1008: too many connections
      return;
    }
    const ws = conn as WsConnection;
    const fail = (code: number, reason: string) => {
      sim.log.warn('closing a WebSocket connection', { connId: conn.id.toString(), reason });
      const body = Buffer.alloc(2 + Buffer.byteLength(reason));
      body.writeUInt16BE(code, 0);
      body.write(reason, 2);
      socket.end(wsFrame(8, body));
    };
    let buf: Buffer = head.length ? Buffer.from(head) : Buffer.alloc(0);
    let fragments: Buffer[] = [];
    let fragmentBytes = 0;

    const onMessage = (msg: Buffer) => {
      // The bridge keeps the OpenD session alive on the client's behalf (the JS SDK sends no KeepAlive).
      conn.lastKeepAliveAt = Date.now();
      if (msg.length < REQUEST_HEAD || !msg.subarray(0, 7).equals(SIGN.subarray(0, 7))) return fail(1002, 'not an ft-v1.0 frame');
      const cmd = msg.readUInt32BE(8);
      const section = msg.readBigUInt64BE(12);
      const body = msg.subarray(REQUEST_HEAD);
      if (cmd === 1) {
        let req: InitWebSocket.Request;
        try {
          req = InitWebSocket.Request.decode(body);
        } catch (err) {
          return send(packResponse(1, section, -1, 'bad Init', undefined));
        }
        const given = req.c2s?.websocketKey ?? '';
        if (o.keyMd5 && given.toLowerCase() !== o.keyMd5.toLowerCase()) {
          sim.log.warn('WebSocket client presented a wrong key', { connId: conn.id.toString() });
          return send(packResponse(1, section, -1, 'websocket key wrong'));
        }
        conn.initialized = true;
        conn.clientId = req.c2s?.clientID ?? 'websocket';
        const rsp = InitWebSocket.Response.encode({ retType: 0, retMsg: '', errCode: 0, s2c: { serverTime: BigInt(Math.floor(sim.now() / 1000)), connID: conn.id } }).finish();
        return send(packResponse(1, section, 0, '', rsp));
      }
      if (!conn.initialized) return send(packResponse(cmd, section, -1, 'send Init first'));
      // Inside the simulator the section becomes the serial number; packetIDs of trade writes from the SDK
      // carry the connID it got from Init and its own serial.
      const serialNo = Number(section & 0xffffffffn);
      ws.sections.set(serialNo, section);
      const frame: Frame = { protoId: cmd, protoFmtType: 0, protoVer: 0, serialNo, bodyLen: body.length, bodySha1: sha1(body), body: Buffer.from(body) };
      sim.handleFrame(conn, frame);
    };

    socket.on('data', (chunk: Buffer) => {
      buf = buf.length ? Buffer.concat([buf, chunk]) : chunk;
      for (let guard = 0; guard < 10_000; guard++) {
        if (buf.length < 2) return;
        const fin = (buf[0]! & 0x80) !== 0;
        const opcode = buf[0]! & 0x0f;
        const masked = (buf[1]! & 0x80) !== 0;
        let len = buf[1]! & 0x7f;
        let off = 2;
        if (len === 126) {
          if (buf.length < 4) return;
          len = buf.readUInt16BE(2);
          off = 4;
        } else if (len === 127) {
          if (buf.length < 10) return;
          const big = buf.readBigUInt64BE(2);
          if (big > BigInt(MAX_MESSAGE)) return fail(1009, 'message too big');
          len = Number(big);
          off = 10;
        }
        if (!masked) return fail(1002, 'client frames must be masked');
        if (buf.length < off + 4 + len) return;
        const mask = buf.subarray(off, off + 4);
        const payload = Buffer.from(buf.subarray(off + 4, off + 4 + len));
        for (let i = 0; i < payload.length; i++) payload[i] = payload[i]! ^ mask[i & 3]!;
        buf = buf.subarray(off + 4 + len);
        if (opcode === 8) return void socket.end(wsFrame(8, payload.subarray(0, 2)));
        if (opcode === 9) {
          socket.write(wsFrame(10, payload));
          continue;
        }
        if (opcode === 10) continue;
        if (opcode !== 0 && opcode !== 1 && opcode !== 2) return fail(1002, `unknown opcode ${opcode}`);
        fragments.push(payload);
        fragmentBytes += payload.length;
        if (fragmentBytes > MAX_MESSAGE) return fail(1009, 'message too big');
        if (!fin) continue;
        const msg = fragments.length === 1 ? fragments[0]! : Buffer.concat(fragments);
        fragments = [];
        fragmentBytes = 0;
        onMessage(msg);
      }
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      sockets.delete(socket);
      sim.detach(conn);
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port, o.host ?? '127.0.0.1', () => resolve());
  });
  const port = (server.address() as { port: number }).port;
  sim.log.info('WebSocket (FTWebSocket) listener ready', { port });
  return {
    port,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}
