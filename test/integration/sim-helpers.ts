// Shared pieces of the simulator integration tests: a simulator on a random loopback port with a manual
// virtual clock, real OpenDClient connections, a wire-order barrier, and a raw TCP client that sees frames
// exactly in the order they arrive on the socket.
import { connect as netConnect, type Socket } from 'node:net';
import { expect } from 'vitest';
import { startSimulator, type Simulator, type SimulatorOptions } from '../../gateway-container/simulator/index.js';
import { OpenDClient, type OpenDClientOptions, type PushEvent } from '../../proto/client.js';
import { OpenDError } from '../../proto/errors.js';
import { encodeFrame, FrameDecoder, type Frame } from '../../proto/frame.js';
import * as GetGlobalState from '../../proto/generated/GetGlobalState.js';
import { isKnownProtoId, requestCodec, responseCodec, type RequestProtoId, PROTO_ID } from '../../proto/registry.js';

/** Wednesday 2025-01-15 10:00:00 in Hong Kong (02:00 UTC): a normal trading day. */
export const SIM_START = Date.UTC(2025, 0, 15, 2, 0, 0);

export const ACC = {
  SIM_HK: { accId: 281756480572583411n, env: 'SIMULATE', market: 'HK' },
  SIM_US: { accId: 281756455983234027n, env: 'SIMULATE', market: 'US' },
  REAL_HK: { accId: 281756478396547854n, env: 'REAL', market: 'HK' },
  REAL_US: { accId: 281756460288713516n, env: 'REAL', market: 'US' },
  /** Universal accounts (HK + US + HKCC): `market` is the first one; tradeMarketFor picks one per security. */
  SIM_UNI: { accId: 281756491128374601n, env: 'SIMULATE', market: 'HK' },
  REAL_UNI: { accId: 281756492837465502n, env: 'REAL', market: 'HK' },
} as const;

/** A simulator on 127.0.0.1, random port, virtual time that moves only through sim.advance(ms). */
export function startTestSimulator(options: SimulatorOptions = {}): Promise<Simulator> {
  return startSimulator({ host: '127.0.0.1', port: 0, seed: 7, clock: { manual: true, start: SIM_START }, ...options });
}

let clientSeq = 0;

/** A real OpenDClient over TCP (InitConnect done). Pushes are recorded from the very first frame on. */
export async function connectClient(sim: Simulator, options: Partial<OpenDClientOptions> = {}): Promise<RecordingClient> {
  const client = new OpenDClient({ host: sim.host, port: sim.port, clientId: `itest-${++clientSeq}`, requestTimeoutMs: 5000, ...options });
  const pushes: PushEvent[] = [];
  client.on('push', (ev) => pushes.push(ev));
  await client.open();
  return Object.assign(client, { recorded: pushes });
}

export type RecordingClient = OpenDClient & { recorded: PushEvent[] };

/**
 * Round trip on this connection. The server writes every push it produced before this request's reply,
 * and TCP keeps that order, so once this resolves every such push has been received and emitted.
 */
export async function barrier(client: OpenDClient): Promise<void> {
  await client.request(PROTO_ID.KeepAlive, { time: 0n });
}

/** Pushes of the given protoIDs recorded so far. */
export function pushesOf<Id extends number>(client: RecordingClient, ...ids: Id[]): PushEvent[] {
  return client.recorded.filter((p) => (ids as number[]).includes(p.protoId));
}

/** Asserts that the promise rejects with an OpenDError of this retType whose retMsg matches. */
export async function expectOpenDError(p: Promise<unknown>, retMsg: RegExp, retType = -1): Promise<OpenDError> {
  let caught: unknown;
  try {
    await p;
  } catch (err) {
    caught = err;
  }
  expect(caught, 'the request should have failed').toBeInstanceOf(OpenDError);
  const e = caught as OpenDError;
  expect(e.retType).toBe(retType);
  expect(e.retMsg).toMatch(retMsg);
  return e;
}

/** Resolves when the simulator has processed the close of this connection (bounded by `timeoutMs`). */
export function serverSideClose(sim: Simulator, connId: bigint, timeoutMs = 5000): Promise<void> {
  if (!sim.core.connections.has(connId)) return Promise.resolve();
  return new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the simulator did not see connection ${connId} close within ${timeoutMs} ms`)), timeoutMs);
    sim.core.onConnectionClosed((c) => {
      if (c.id === connId) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
}

/** Waits (bounded) until the event fires; rejects with a clear message otherwise. */
export function nextEvent<T>(subscribe: (cb: (v: T) => void) => void, what: string, timeoutMs = 5000): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${what} did not happen within ${timeoutMs} ms`)), timeoutMs);
    subscribe((v) => {
      clearTimeout(timer);
      resolve(v);
    });
  });
}

export { sleep } from '../../proto/timers.js';

/** Closes clients, ignoring ones already gone. */
export async function closeAll(...clients: (OpenDClient | undefined)[]): Promise<void> {
  await Promise.all(clients.map((c) => c?.close().catch(() => undefined)));
}

// ------------------------------------------------------------------------------------------ raw TCP

export interface RawFrame extends Frame {
  /** Decoded Response envelope (retType, retMsg, s2c) when the protoID is known. */
  rsp?: { retType: number; retMsg?: string; errCode?: number; s2c?: any };
}

/**
 * A plaintext OpenD client built from encodeFrame / FrameDecoder only: it records frames in the exact order
 * they arrive on the socket (replies and pushes alike), which OpenDClient's promise API cannot show.
 */
export class RawClient {
  readonly frames: RawFrame[] = [];
  closed = false;
  error: Error | undefined;
  private readonly decoder = new FrameDecoder();
  private waiters: (() => void)[] = [];
  private closeWaiters: (() => void)[] = [];
  private serial = 0;
  connId = 0n;

  private constructor(readonly socket: Socket) {
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => {
      let frames: Frame[];
      try {
        frames = this.decoder.push(chunk);
      } catch (err) {
        this.error = err as Error;
        socket.destroy();
        return;
      }
      for (const f of frames) {
        let rsp: RawFrame['rsp'];
        try {
          // Unknown protoIDs are answered with the common Response envelope (retType, retMsg, errCode).
          rsp = (isKnownProtoId(f.protoId) ? responseCodec(f.protoId) : GetGlobalState.Response).decode(f.body);
        } catch {
          rsp = undefined;
        }
        this.frames.push({ ...f, rsp });
      }
      this.wake();
    });
    socket.on('error', (err) => {
      this.error = err;
    });
    socket.on('close', () => {
      this.closed = true;
      this.wake();
      for (const w of this.closeWaiters.splice(0)) w();
    });
  }

  static open(host: string, port: number): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const s = netConnect({ host, port });
      s.once('connect', () => resolve(new RawClient(s)));
      s.once('error', reject);
    });
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }

  nextSerial(): number {
    return ++this.serial;
  }

  write(bytes: Buffer): void {
    if (!this.socket.destroyed) this.socket.write(bytes);
  }

  /** Sends a request encoded with the generated codec; returns its serial number. */
  send<Id extends RequestProtoId>(protoId: Id, c2s: unknown, serialNo = this.nextSerial()): number {
    const body = requestCodec(protoId).encode({ c2s } as never).finish();
    this.write(encodeFrame({ protoId, serialNo }, body));
    return serialNo;
  }

  /** Waits until `count` frames have arrived in total (or the socket closes, or the bound passes). */
  async waitForFrames(count: number, timeoutMs = 5000): Promise<RawFrame[]> {
    const deadline = Date.now() + timeoutMs;
    while (this.frames.length < count && !this.closed) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`expected ${count} frames, got ${this.frames.length} within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
    return this.frames;
  }

  /** Resolves true once the peer closed the socket, false if it is still open after `timeoutMs`. */
  waitForClose(timeoutMs = 5000): Promise<boolean> {
    if (this.closed) return Promise.resolve(true);
    return new Promise((resolve) => {
      const t = setTimeout(() => resolve(false), timeoutMs);
      this.closeWaiters.push(() => {
        clearTimeout(t);
        resolve(true);
      });
    });
  }

  /** Plaintext InitConnect; afterwards trade writes may use `connId` in their packetID. */
  async initConnect(): Promise<void> {
    const before = this.frames.length;
    this.send(PROTO_ID.InitConnect, { clientVer: 300, clientID: 'raw', recvNotify: false, packetEncAlgo: -1, pushProtoFmt: 0, programmingLanguage: 'TypeScript' });
    const frames = await this.waitForFrames(before + 1);
    const f = frames[before]!;
    if (f.protoId !== PROTO_ID.InitConnect || f.rsp?.retType !== 0) throw new Error(`InitConnect failed: ${f.rsp?.retMsg}`);
    this.connId = f.rsp.s2c.connID as bigint;
  }

  destroy(): void {
    this.socket.destroy();
  }
}
