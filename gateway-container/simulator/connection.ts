// One client connection to the simulator: frame I/O, per-connection encryption and per-connection state
// (push registrations, trade-push accounts, the packetID replay counter).
import type { Socket } from 'node:net';
import type { PacketCipher } from '../../proto/crypto.js';
import { encodeFrame, FrameDecoder, type FrameHeader } from '../../proto/frame.js';
import { responseCodec, type ProtoId } from '../../proto/registry.js';

export interface PushRegistration {
  rehabTypes: number[];
}

export class SimConnection {
  initialized = false;
  clientId = '';
  recvNotify = false;
  /** The InitConnect request arrived RSA-encrypted. */
  rsaInit = false;
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

  constructor(
    readonly id: bigint,
    readonly socket: Socket,
    maxBodyBytes: number,
    decryptInit: (header: FrameHeader, wire: Buffer, conn: SimConnection) => Buffer,
  ) {
    this.lastKeepAliveAt = Date.now();
    this.decoder = new FrameDecoder({
      maxBodyBytes,
      decrypt: (h, wire) => (this.cipher ? this.cipher.decrypt(wire) : this.initialized ? wire : decryptInit(h, wire, this)),
    });
  }

  get remote(): string {
    return `${this.socket.remoteAddress}:${this.socket.remotePort}`;
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
