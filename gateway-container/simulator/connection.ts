// One client connection to the simulator: frame I/O, per-connection encryption and per-connection state
// (push registrations, trade-push accounts, the packetID replay counter), and the limits that keep one peer
// from holding much memory: a small body limit until InitConnect has succeeded, a larger one afterwards, and
// a budget of received bytes per time window.
import type { Socket } from 'node:net';
import type { PacketCipher } from '../../proto/crypto.js';
import { encodeFrame, FrameDecoder, type FrameHeader } from '../../proto/frame.js';
import { responseCodec, type ProtoId } from '../../proto/registry.js';
import '../../proto/all-codecs.js'; // the simulator speaks every protocol

export interface PushRegistration {
  rehabTypes: number[];
}

export interface ConnectionLimits {
  /** Largest request body accepted before InitConnect has succeeded (an InitConnect is a few hundred bytes). */
  preInitMaxBodyBytes: number;
  /** Largest request body accepted afterwards. */
  maxBodyBytes: number;
  /** At most this many bytes received per `byteBudgetWindowMs`; more closes the connection. */
  byteBudget: number;
  byteBudgetWindowMs: number;
}

export interface InitDecryptHooks {
  /** Turns the body of a frame that arrives before InitConnect has succeeded into plaintext. */
  decrypt: (header: FrameHeader, wire: Buffer, conn: SimConnection) => Buffer;
  /** Whether the decoder checks that frame's SHA-1 (the RSA stage checks it itself, in constant time). */
  verifySha1: (header: FrameHeader, conn: SimConnection) => boolean;
}

export class SimConnection {
  initialized = false;
  clientId = '';
  recvNotify = false;
  /** The InitConnect request arrived RSA-encrypted. */
  rsaInit = false;
  /**
   * The RSA-sized InitConnect did not decrypt to a request with a matching SHA-1 under the configured key. Read
   * only once the frame is dispatched: every such failure is then handled the same way.
   */
  initRejected = false;
  /** Packets after InitConnect are AES-encrypted. */
  encrypted = false;
  cipher: PacketCipher | null = null;
  lastKeepAliveAt: number;
  keepAlives = 0;
  lastPacketSerial = 0;
  /** `${key}#${subType}` → registration */
  readonly pushReg = new Map<string, PushRegistration>();
  readonly subAccPush = new Set<bigint>();
  private pushSerial = 0;
  closed = false;
  closeReason = '';
  readonly decoder: FrameDecoder;
  private windowStart = 0;
  private windowBytes = 0;

  /** The peer's address:port, read once when the connection is accepted (not on the InitConnect path). */
  readonly remote: string;

  constructor(
    readonly id: bigint,
    readonly socket: Socket,
    readonly limits: ConnectionLimits,
    init: InitDecryptHooks,
  ) {
    this.remote = `${socket.remoteAddress}:${socket.remotePort}`;
    this.lastKeepAliveAt = Date.now();
    this.decoder = new FrameDecoder({
      maxBodyBytes: limits.preInitMaxBodyBytes,
      decrypt: (h, wire) => (this.cipher ? this.cipher.decrypt(wire) : this.initialized ? wire : init.decrypt(h, wire, this)),
      verifySha1: (h) => this.cipher !== null || this.initialized || init.verifySha1(h, this),
    });
  }


  /** InitConnect succeeded: requests up to the full body limit are accepted from now on. */
  markInitialized(): void {
    this.initialized = true;
    this.decoder.maxBodyBytes = this.limits.maxBodyBytes;
  }

  /**
   * Counts `n` received bytes against the budget of the current window (a fixed window starting with the first
   * byte after the previous one ended). Returns a reason when the budget is exceeded, else undefined.
   */
  chargeBytes(n: number, now = Date.now()): string | undefined {
    if (now - this.windowStart >= this.limits.byteBudgetWindowMs) {
      this.windowStart = now;
      this.windowBytes = 0;
    }
    this.windowBytes += n;
    if (this.windowBytes <= this.limits.byteBudget) return undefined;
    return `received more than ${this.limits.byteBudget} bytes within ${this.limits.byteBudgetWindowMs} ms (the per-connection byte budget)`;
  }

  sendFrame(protoId: number, serialNo: number, body: Uint8Array, encrypt?: (b: Buffer) => Buffer): void {
    if (this.closed || this.socket.destroyed) return;
    const enc = encrypt ?? (this.cipher ? (b: Buffer) => this.cipher!.encrypt(b) : undefined);
    this.socket.write(encodeFrame({ protoId, serialNo }, body, enc));
  }

  sendResponse(protoId: ProtoId, serialNo: number, rsp: { retType: number; retMsg?: string; errCode?: number; s2c?: unknown }, encrypt?: (b: Buffer) => Buffer): void {
    this.sendFrame(protoId, serialNo, responseCodec(protoId).encode(rsp).finish(), encrypt);
  }

  sendPush(protoId: ProtoId, s2c: unknown): void {
    this.pushSerial = (this.pushSerial + 1) >>> 0;
    this.sendResponse(protoId, this.pushSerial, { retType: 0, retMsg: '', errCode: 0, s2c });
  }

  close(reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.closeReason = reason;
    this.socket.destroy();
  }

}
