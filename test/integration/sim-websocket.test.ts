// The simulator's WebSocket bridge (the official JavaScript SDK's transport) against hostile or unusual
// peers, over real TCP: WebSocket frames written a byte at a time, ping/pong, control frames the protocol
// forbids (over 125 bytes, fragmented), unmasked client frames, messages over the size limit, large messages
// before Init, and the per-connection byte budget. The SDK itself is tested in official-js-sdk.test.ts.
import { createHash, randomBytes } from 'node:crypto';
import { connect as netConnect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { Simulator } from '../../gateway-container/simulator/index.js';
import { SIM_MAX_BODY_BYTES, SIM_PRE_INIT_MAX_BODY_BYTES } from '../../gateway-container/simulator/server.js';
import * as InitWebSocket from '../../proto/generated/InitWebSocket.js';
import * as GetGlobalState from '../../proto/generated/GetGlobalState.js';
import { freePort } from '../support/processes.js';
import { startTestSimulator } from './sim-helpers.js';
import { PROTO_ID } from '../../proto/registry.js';

const SIGN = Buffer.from('ft-v1.0\0', 'latin1');

function ftMessage(cmd: number, section: bigint, body: Uint8Array): Buffer {
  const head = Buffer.alloc(20);
  SIGN.copy(head, 0);
  head.writeUInt32BE(cmd, 8);
  head.writeBigUInt64BE(section, 12);
  return Buffer.concat([head, Buffer.from(body)]);
}

const initMessage = (section: bigint) => ftMessage(1, section, InitWebSocket.Request.encode({ c2s: { clientID: 'ws-test', websocketKey: '' } }).finish());

/** One client → server WebSocket frame (RFC 6455 §5.2), masked unless told otherwise. */
function clientFrame(opcode: number, payload: Buffer, o: { fin?: boolean; masked?: boolean } = {}): Buffer {
  const masked = o.masked ?? true;
  const len = payload.length;
  const ext = len < 126 ? Buffer.alloc(0) : len < 65536 ? Buffer.alloc(2) : Buffer.alloc(8);
  if (len >= 126 && len < 65536) ext.writeUInt16BE(len);
  if (len >= 65536) ext.writeBigUInt64BE(BigInt(len));
  const head = Buffer.from([((o.fin ?? true) ? 0x80 : 0) | opcode, (masked ? 0x80 : 0) | (len < 126 ? len : len < 65536 ? 126 : 127)]);
  if (!masked) return Buffer.concat([head, ext, payload]);
  const mask = randomBytes(4);
  const body = Buffer.from(payload.map((b, i) => b ^ mask[i & 3]!));
  return Buffer.concat([head, ext, mask, body]);
}

/** A raw TCP WebSocket client: the handshake by hand, then whatever bytes a test wants to send. */
class RawWs {
  private buf = Buffer.alloc(0);
  closed = false;
  private waiters: (() => void)[] = [];
  private constructor(readonly socket: Socket) {
    socket.on('data', (c: Buffer) => {
      this.buf = Buffer.concat([this.buf, c]);
      this.wake();
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      this.closed = true;
      this.wake();
    });
  }
  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }

  static async open(port: number): Promise<RawWs> {
    const socket = netConnect({ host: '127.0.0.1', port });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    const raw = new RawWs(socket);
    const key = randomBytes(16).toString('base64');
    socket.write(`GET / HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`);
    await raw.until(() => raw.buf.includes('\r\n\r\n'));
    const end = raw.buf.indexOf('\r\n\r\n') + 4;
    const head = raw.buf.subarray(0, end).toString('latin1');
    raw.buf = raw.buf.subarray(end);
    const accept = createHash('sha1').update(key + '258EAFA5-E914-47DA-95CA-C5AB0DC85B11').digest('base64');
    if (!head.startsWith('HTTP/1.1 101') || !head.includes(accept)) throw new Error(`handshake failed: ${head}`);
    return raw;
  }

  async until(cond: () => boolean, timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!cond()) {
      if (this.closed && !cond()) throw new Error('socket closed while waiting');
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`condition not met within ${timeoutMs} ms`);
      await new Promise<void>((r) => {
        const t = setTimeout(r, left);
        this.waiters.push(() => {
          clearTimeout(t);
          r();
        });
      });
    }
  }

  /** Server frames received so far (never masked): opcode and payload. */
  frames(): { opcode: number; payload: Buffer }[] {
    const out: { opcode: number; payload: Buffer }[] = [];
    let off = 0;
    while (this.buf.length - off >= 2) {
      let len = this.buf[off + 1]! & 0x7f;
      let p = off + 2;
      if (len === 126) {
        if (this.buf.length - off < 4) break;
        len = this.buf.readUInt16BE(off + 2);
        p = off + 4;
      } else if (len === 127) {
        if (this.buf.length - off < 10) break;
        len = Number(this.buf.readBigUInt64BE(off + 2));
        p = off + 10;
      }
      if (this.buf.length < p + len) break;
      out.push({ opcode: this.buf[off]! & 0x0f, payload: this.buf.subarray(p, p + len) });
      off = p + len;
    }
    return out;
  }

  /** Waits for the server's close frame and returns its code. */
  async closeCode(): Promise<number> {
    await this.until(() => this.frames().some((f) => f.opcode === 8) || this.closed);
    const close = this.frames().find((f) => f.opcode === 8);
    if (!close) throw new Error('the socket closed without a close frame');
    return close.payload.readUInt16BE(0);
  }

  write(b: Buffer): void {
    this.socket.write(b);
  }
}

describe('WebSocket bridge', () => {
  let sim: Simulator;
  let port: number;
  beforeAll(async () => {
    sim = await startTestSimulator({ websocket: { port: await freePort() }, byteBudget: 3 * 1024 * 1024, byteBudgetWindowMs: 60_000 });
    port = sim.websocketPort!;
  });
  afterAll(async () => {
    await sim.close();
  });

  it('serves Init and a request whose WebSocket frames arrive one byte per TCP write, and answers ping with pong', async () => {
    const raw = await RawWs.open(port);
    const bytes = Buffer.concat([
      clientFrame(2, initMessage(7n)),
      // GetGlobalState, fragmented: a first frame without FIN and a continuation with it.
      ...(() => {
        const msg = ftMessage(PROTO_ID.GetGlobalState, 8n, GetGlobalState.Request.encode({ c2s: { userID: 0n } }).finish());
        return [clientFrame(2, msg.subarray(0, 10), { fin: false }), clientFrame(0, msg.subarray(10))];
      })(),
      clientFrame(9, Buffer.from('are you there')),
    ]);
    for (const b of bytes) {
      raw.write(Buffer.of(b));
      await new Promise((r) => setImmediate(r));
    }
    await raw.until(() => raw.frames().length >= 3);
    const frames = raw.frames();
    const binary = frames.filter((f) => f.opcode === 2);
    expect(binary.map((f) => f.payload.readBigUInt64BE(12))).toEqual([7n, 8n]);
    expect(binary.map((f) => f.payload.readInt32BE(20))).toEqual([0, 0]);
    expect(GetGlobalState.Response.decode(binary[1]!.payload.subarray(44)).s2c?.qotLogined).toBe(true);
    expect(frames.find((f) => f.opcode === 10)?.payload.toString()).toBe('are you there');
    raw.socket.destroy();
  });

  it.each([
    ['a ping over 125 bytes', () => clientFrame(9, Buffer.alloc(126, 1))],
    ['a fragmented ping', () => clientFrame(9, Buffer.from('x'), { fin: false })],
    ['an unmasked frame', () => clientFrame(2, initMessage(1n), { masked: false })],
    ['an unknown opcode', () => clientFrame(3, Buffer.from('x'))],
  ])('closes the connection with 1002 (protocol error) on %s', async (_name, frame) => {
    const raw = await RawWs.open(port);
    raw.write(frame());
    expect(await raw.closeCode()).toBe(1002);
  });

  it('closes the connection with 1009 on a message over the 1 MiB limit', async () => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}`);
    await new Promise((r, j) => ws.once('open', r).once('error', j));
    ws.send(initMessage(1n));
    await new Promise((r) => ws.once('message', r));
    const closed = new Promise<number>((r) => ws.once('close', (code) => r(code)));
    ws.send(ftMessage(PROTO_ID.GetGlobalState, 2n, Buffer.alloc(SIM_MAX_BODY_BYTES + 1)));
    expect(await closed).toBe(1009);
  });

  it('closes the connection with 1009 on a message over 4 KiB before Init', async () => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}`);
    await new Promise((r, j) => ws.once('open', r).once('error', j));
    const closed = new Promise<{ code: number; reason: string }>((r) => ws.once('close', (code, reason) => r({ code, reason: reason.toString() })));
    ws.send(ftMessage(PROTO_ID.GetGlobalState, 2n, Buffer.alloc(SIM_PRE_INIT_MAX_BODY_BYTES + 1)));
    const { code, reason } = await closed;
    expect(code).toBe(1009);
    expect(reason).toMatch(/before Init/);
  });

  it('closes the connection with 1008 once it sends more than its byte budget', async () => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}`);
    await new Promise((r, j) => ws.once('open', r).once('error', j));
    ws.send(initMessage(1n));
    await new Promise((r) => ws.once('message', r));
    const closed = new Promise<{ code: number; reason: string }>((r) => ws.once('close', (code, reason) => r({ code, reason: reason.toString() })));
    // 4 × 1 MB > the 3 MiB budget of this simulator; unknown protoIDs are answered, so the socket stays busy.
    for (let i = 0; i < 4; i++) ws.send(ftMessage(9999, BigInt(10 + i), Buffer.alloc(1_000_000)));
    const { code, reason } = await closed;
    expect(code).toBe(1008);
    expect(reason).toMatch(/byte budget/);
  });
});
