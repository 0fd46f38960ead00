// OpenDClient: one TCP connection to OpenD (or the simulator), promise-based requests correlated by serial
// number, typed pushes, keepalive, and an explicit reconnect policy. A request in flight when the socket
// drops rejects at once with DisconnectedError and is never retried by this class.
import { EventEmitter } from 'node:events';
import { connect as netConnect, type Socket } from 'node:net';
import { createPacketCipher, PacketEncAlgo, RsaKey, type PacketCipher } from './crypto.js';
import { DisconnectedError, OpenDError, RequestTimeoutError } from './errors.js';
import { encodeFrame, FrameDecoder, type Frame, type FrameHeader } from './frame.js';
import * as GetGlobalState from './generated/GetGlobalState.js';
import * as InitConnect from './generated/InitConnect.js';
import * as KeepAlive from './generated/KeepAlive.js';
import * as Verification from './generated/Verification.js';
import { backoffDelay, type ReconnectPolicy } from './backoff.js';
import { silentLogger, type Logger } from './log.js';
import { PushQueue } from './push-queue.js';
import {
  hasCodecs, isKnownProtoId, isPushProtoId, protocolName, registerCodecs, requestEncoder, responseDecoder, KNOWN_WITHOUT_DEFINITION, TRADE_WRITE_IDS,
  type C2SInput, type PushProtoId, type RequestProtoId, type S2COf,
  PROTO_ID,
} from './registry.js';

// The connection lifecycle's own requests (login, keepalive, global state, login verification); every other
// protocol's codecs are registered by the proto/api module that speaks it (see proto/registry.ts). OpenD's Notify
// pushes are the relay's business (it registers every protocol): a Lambda's client drops them unread.
registerCodecs(InitConnect.clientCodec, KeepAlive.clientCodec, GetGlobalState.clientCodec, Verification.clientCodec);

export type { ReconnectPolicy } from './backoff.js';
export type { Logger } from './log.js';

export interface OpenDClientOptions {
  host: string;
  port: number;
  /** PEM of the RSA private key shared with OpenD; enables RSA InitConnect + per-packet AES. */
  rsaPrivateKey?: string | Buffer;
  /** Default: AES_CBC with a key, NONE without. */
  packetEncAlgo?: PacketEncAlgo;
  clientId: string;
  clientVer?: number;
  recvNotify?: boolean;
  programmingLanguage?: string;
  requestTimeoutMs?: number;
  connectTimeoutMs?: number;
  maxBodyBytes?: number;
  /** Send KeepAlive at 4/5 of OpenD's keepAliveInterval (default true). */
  keepAlive?: boolean;
  /** Declare the link dead when nothing arrives for this long (default max(33 s, 3 × interval)). */
  deadAfterMs?: number;
  /** false (default) = no reconnect; an object enables it. */
  reconnect?: false | ReconnectPolicy;
  logger?: Logger;
}

export interface ConnectionInfo {
  connId: bigint;
  loginUserId: bigint;
  serverVer: number;
  keepAliveIntervalSec: number;
  userAttribution: number | undefined;
  packetEncAlgo: PacketEncAlgo;
}

export interface PushEvent<Id extends PushProtoId = PushProtoId> {
  protoId: Id;
  serialNo: number;
  s2c: S2COf<Id>;
}

export type ClientState = 'idle' | 'connecting' | 'ready' | 'reconnecting' | 'closed';

interface Pending {
  protoId: number;
  serialNo: number;
  /** Runs synchronously with the decoded reply, before the next frame is decrypted. */
  onReply?: (rsp: { retType: number; s2c?: unknown }) => void;
  resolve(v: unknown): void;
  reject(e: Error): void;
  timer: NodeJS.Timeout;
}

interface ClientEvents {
  push: [PushEvent];
  ready: [ConnectionInfo];
  disconnected: [{ reason: string; willReconnect: boolean }];
  reconnected: [ConnectionInfo];
  reconnectFailed: [{ attempt: number; error: Error; nextDelayMs: number | null }];
  closed: [];
  error: [Error];
}

export type ReconnectHook = (client: OpenDClient, info: ConnectionInfo) => Promise<void> | void;

export class OpenDClient extends EventEmitter<ClientEvents> {
  readonly options: Readonly<OpenDClientOptions>;
  private readonly log: Logger;
  private readonly rsa: RsaKey | null;
  private readonly algo: PacketEncAlgo;
  private socket: Socket | null = null;
  private cipher: PacketCipher | null = null;
  private serial = 0;
  private pending = new Map<number, Pending>();
  private keepAliveTimer: NodeJS.Timeout | null = null;
  private deadTimer: NodeJS.Timeout | null = null;
  private reconnectTimer: NodeJS.Timeout | null = null;
  private reconnectAttempt = 0;
  private hooks: ReconnectHook[] = [];
  private iterators = new Set<PushQueue<PushEvent>>();
  private _state: ClientState = 'idle';
  private _info: ConnectionInfo | null = null;
  private lastReceiveAt = 0;
  /** Callers of open() waiting for the next successful connection (or for giving up). */
  private openWaiters: { resolve(i: ConnectionInfo): void; reject(e: Error): void }[] = [];

  constructor(options: OpenDClientOptions) {
    super();
    this.options = options;
    this.log = options.logger ?? silentLogger;
    this.rsa = options.rsaPrivateKey ? RsaKey.fromPem(options.rsaPrivateKey) : null;
    this.algo = options.packetEncAlgo ?? (this.rsa ? PacketEncAlgo.AES_CBC : PacketEncAlgo.NONE);
    if (this.algo !== PacketEncAlgo.NONE && !this.rsa) {
      throw new TypeError(`packetEncAlgo ${this.algo} needs rsaPrivateKey: OpenD only encrypts when both sides hold the RSA key`);
    }
  }

  /** Connects and performs InitConnect. */
  static async connect(options: OpenDClientOptions): Promise<OpenDClient> {
    const c = new OpenDClient(options);
    await c.open();
    return c;
  }

  get state(): ClientState {
    return this._state;
  }

  /** Details from the current connection's InitConnect reply; throws when not connected. */
  get info(): ConnectionInfo {
    if (!this._info) throw new DisconnectedError('not connected to OpenD');
    return this._info;
  }

  get connected(): boolean {
    return this._state === 'ready';
  }

  /** Registers a hook run after every successful reconnect (before the `reconnected` event): resubscribe here. */
  onReconnected(hook: ReconnectHook): () => void {
    this.hooks.push(hook);
    return () => {
      this.hooks = this.hooks.filter((h) => h !== hook);
    };
  }

  open(): Promise<ConnectionInfo> {
    if (this._state === 'closed') return Promise.reject(new DisconnectedError('client was closed'));
    if (this._state === 'ready' && this._info) return Promise.resolve(this._info);
    return new Promise<ConnectionInfo>((resolve, reject) => {
      this.openWaiters.push({ resolve, reject });
      if (this._state === 'idle') this.attempt(false);
    });
  }

  private attempt(isReconnect: boolean): void {
    this._state = isReconnect ? 'reconnecting' : 'connecting';
    this.establish().then(
      async (info) => {
        if (this._state === 'closed') return;
        this.reconnectAttempt = 0;
        this._state = 'ready';
        if (isReconnect) {
          for (const hook of this.hooks) {
            try {
              await hook(this, info);
            } catch (err) {
              this.log.warn('reconnect hook failed', { error: (err as Error).message });
              this.emit('error', err as Error);
            }
          }
          this.log.info('reconnected to OpenD', { connId: String(info.connId) });
          this.emit('reconnected', info);
        }
        this.emit('ready', info);
        for (const w of this.openWaiters.splice(0)) w.resolve(info);
      },
      (err: Error) => {
        if (this._state === 'closed') return;
        this.teardown(err.message);
        const policy = this.options.reconnect;
        const canRetry = policy && (isReconnect || policy.retryInitialConnect);
        const attempt = ++this.reconnectAttempt;
        if (!canRetry || (policy.maxAttempts !== undefined && attempt > policy.maxAttempts)) {
          this._state = 'closed';
          this.emit('reconnectFailed', { attempt, error: err, nextDelayMs: null });
          for (const w of this.openWaiters.splice(0)) w.reject(err);
          this.finish();
          return;
        }
        const delay = this.backoffDelay(attempt);
        this.emit('reconnectFailed', { attempt, error: err, nextDelayMs: delay });
        this.scheduleReconnect(delay);
      },
    );
  }

  private backoffDelay(attempt: number): number {
    return backoffDelay(this.options.reconnect || {}, attempt);
  }

  private scheduleReconnect(delay: number): void {
    this._state = 'reconnecting';
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = null;
      if (this._state !== 'closed') this.attempt(true);
    }, delay);
  }

  private establish(): Promise<ConnectionInfo> {
    const { host, port } = this.options;
    const connectTimeoutMs = this.options.connectTimeoutMs ?? 10_000;
    return new Promise<ConnectionInfo>((resolve, reject) => {
      const socket = netConnect({ host, port });
      socket.setNoDelay(true);
      this.socket = socket;
      this.cipher = null;
      this.serial = 0;
      const rsa = this.rsa;
      const encrypted = this.algo !== PacketEncAlgo.NONE;
      const decoder = new FrameDecoder({
        maxBodyBytes: this.options.maxBodyBytes,
        decrypt: (h: FrameHeader, wire: Buffer) => {
          if (this.cipher) return this.cipher.decrypt(wire);
          if (h.protoId === PROTO_ID.InitConnect && rsa && encrypted) return rsa.decrypt(wire);
          return wire;
        },
      });
      let settled = false;
      const fail = (err: Error) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        socket.destroy();
        reject(err);
      };
      const timer = setTimeout(() => fail(new DisconnectedError(`connecting to OpenD at ${host}:${port} timed out after ${connectTimeoutMs} ms`)), connectTimeoutMs);

      socket.on('data', (chunk: Buffer) => {
        this.lastReceiveAt = Date.now();
        try {
          decoder.push(chunk, (f) => this.onFrame(f));
        } catch (err) {
          this.log.error('malformed frame from OpenD; closing the connection', { error: (err as Error).message });
          socket.destroy(err as Error);
        }
      });
      socket.on('error', (err) => {
        if (!settled) fail(new DisconnectedError(`cannot reach OpenD at ${host}:${port}: ${err.message}`));
      });
      socket.on('close', () => {
        if (!settled) {
          fail(new DisconnectedError(`OpenD at ${host}:${port} closed the connection during InitConnect`));
          return;
        }
        if (this.socket === socket) this.onSocketLost('connection closed by OpenD');
      });
      socket.once('connect', () => {
        const c2s: InitConnect.C2S = {
          clientVer: this.options.clientVer ?? 300,
          clientID: this.options.clientId,
          recvNotify: this.options.recvNotify ?? false,
          packetEncAlgo: this.algo,
          pushProtoFmt: 0,
          programmingLanguage: this.options.programmingLanguage ?? 'TypeScript',
        };
        // The AES cipher must be in place before the frame after the reply is decrypted (a Notify can
        // arrive in the same TCP chunk), so it is set synchronously from the reply.
        const onReply = (rsp: { s2c?: unknown }) => {
          const s2c = rsp.s2c as InitConnect.S2C;
          if (encrypted) this.cipher = createPacketCipher(this.algo, s2c.connAESKey, s2c.aesCBCiv);
          this._info = {
            connId: s2c.connID,
            loginUserId: s2c.loginUserID,
            serverVer: s2c.serverVer,
            keepAliveIntervalSec: s2c.keepAliveInterval,
            userAttribution: s2c.userAttribution,
            packetEncAlgo: this.algo,
          };
        };
        this.sendRequest(PROTO_ID.InitConnect, c2s, { timeoutMs: this.options.requestTimeoutMs ?? 12_000 }, (plain) => (rsa ? rsa.encrypt(plain) : plain), onReply).then(
          () => {
            if (settled) return;
            settled = true;
            clearTimeout(timer);
            const info = this._info!;
            this.startKeepAlive(info.keepAliveIntervalSec);
            resolve(info);
          },
          (err: Error) => fail(err),
        );
      });
    });
  }

  private startKeepAlive(intervalSec: number): void {
    this.stopTimers();
    const intervalMs = Math.max(1, intervalSec) * 1000;
    if (this.options.keepAlive !== false) {
      this.keepAliveTimer = setInterval(() => {
        this.request(PROTO_ID.KeepAlive, { time: BigInt(Math.floor(Date.now() / 1000)) }).catch((err: Error) => {
          this.log.debug('keepalive failed', { error: err.message });
        });
      }, Math.floor((intervalMs * 4) / 5));
      this.keepAliveTimer.unref();
    }
    const deadAfter = this.options.deadAfterMs ?? Math.max(33_000, intervalMs * 3);
    this.lastReceiveAt = Date.now();
    this.deadTimer = setInterval(() => {
      if (Date.now() - this.lastReceiveAt > deadAfter) {
        this.log.warn('nothing received from OpenD; declaring the connection dead', { deadAfterMs: deadAfter });
        this.socket?.destroy();
      }
    }, Math.min(1000, deadAfter));
    this.deadTimer.unref();
  }

  private stopTimers(): void {
    if (this.keepAliveTimer) clearInterval(this.keepAliveTimer);
    if (this.deadTimer) clearInterval(this.deadTimer);
    this.keepAliveTimer = null;
    this.deadTimer = null;
  }

  private onSocketLost(reason: string): void {
    if (this._state === 'closed') return;
    const policy = this.options.reconnect;
    const willReconnect = !!policy;
    this._state = willReconnect ? 'reconnecting' : 'closed';
    this.teardown(reason);
    this.log.warn('lost the connection to OpenD', { reason, willReconnect });
    this.emit('disconnected', { reason, willReconnect });
    if (policy) {
      this.reconnectAttempt = 0;
      this.scheduleReconnect(this.backoffDelay(1));
    } else {
      this._state = 'closed';
      this.finish();
    }
  }

  /** Drops the socket and fails every request in flight. */
  private teardown(reason: string): void {
    this.stopTimers();
    const s = this.socket;
    this.socket = null;
    this.cipher = null;
    this._info = null;
    if (s && !s.destroyed) s.destroy();
    const pend = [...this.pending.values()];
    this.pending.clear();
    for (const p of pend) {
      clearTimeout(p.timer);
      p.reject(new DisconnectedError(`connection to OpenD lost while ${protocolName(p.protoId)} (serial ${p.serialNo}) was in flight: ${reason}; it was not retried`, p.protoId));
    }
  }

  private finish(): void {
    for (const it of this.iterators) it.end();
    this.iterators.clear();
    this.emit('closed');
  }

  async close(): Promise<void> {
    if (this._state === 'closed') return;
    this._state = 'closed';
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.reconnectTimer = null;
    const s = this.socket;
    this.teardown('client closed');
    for (const w of this.openWaiters.splice(0)) w.reject(new DisconnectedError('client was closed before it connected'));
    if (s) await new Promise<void>((r) => (s.closed ? r() : s.once('close', () => r())));
    this.finish();
  }

  private onFrame(f: Frame): void {
    const id = f.protoId;
    if (isPushProtoId(id)) {
      this.onPush(f);
      return;
    }
    const p = this.pending.get(f.serialNo);
    if (!p || p.protoId !== id) {
      this.log.warn('reply matches no request in flight; ignored', { protoId: id, serialNo: f.serialNo });
      return;
    }
    this.pending.delete(f.serialNo);
    clearTimeout(p.timer);
    let rsp: { retType: number; retMsg?: string; errCode?: number; s2c?: unknown };
    try {
      rsp = isKnownProtoId(id) ? responseDecoder(id)(f.body) : { retType: -400 };
    } catch (err) {
      p.reject(err as Error);
      return;
    }
    if (rsp.retType !== 0) {
      p.reject(new OpenDError(id, rsp.retType, rsp.retMsg ?? '', rsp.errCode, protocolName(id)));
      return;
    }
    try {
      p.onReply?.(rsp);
    } catch (err) {
      p.reject(err as Error);
      return;
    }
    p.resolve(rsp.s2c ?? {});
  }

  private onPush(f: Frame): void {
    // A push nobody in this process registered codecs for has no consumer here either (functions import only what
    // they use): dropped, at debug level, instead of failing the connection.
    if (!hasCodecs(f.protoId)) {
      this.log.debug('push of a protocol without registered codecs ignored', { protoId: f.protoId, name: protocolName(f.protoId) });
      return;
    }
    let rsp: { retType: number; s2c?: unknown };
    try {
      rsp = responseDecoder(f.protoId as PushProtoId)(f.body);
    } catch (err) {
      this.log.warn('undecodable push ignored', { protoId: f.protoId, error: (err as Error).message });
      return;
    }
    if (rsp.retType !== 0 || rsp.s2c === undefined) return;
    const ev = { protoId: f.protoId, serialNo: f.serialNo, s2c: rsp.s2c } as PushEvent;
    this.emit('push', ev);
    for (const it of this.iterators) it.offer(ev);
  }

  /** Sends one request and resolves with its S2C; rejects with OpenDError when retType ≠ 0. */
  request<Id extends RequestProtoId>(protoId: Id, c2s: C2SInput<Id>, opts: { timeoutMs?: number } = {}): Promise<S2COf<Id>> {
    if (this._state !== 'ready' || !this.socket) {
      return Promise.reject(new DisconnectedError(`cannot send ${protocolName(protoId)}: connection is ${this._state}`, protoId));
    }
    return this.sendRequest(protoId, c2s, opts, this.cipher ? (b) => this.cipher!.encrypt(b) : undefined) as Promise<S2COf<Id>>;
  }

  private sendRequest(
    protoId: number,
    c2s: unknown,
    opts: { timeoutMs?: number },
    encrypt?: (b: Buffer) => Buffer,
    onReply?: (rsp: { retType: number; s2c?: unknown }) => void,
  ): Promise<unknown> {
    if (KNOWN_WITHOUT_DEFINITION[protoId] || !isKnownProtoId(protoId) || isPushProtoId(protoId)) {
      return Promise.reject(new TypeError(`${protocolName(protoId)} cannot be sent: no request definition in futu-api 10.11.7108`));
    }
    const socket = this.socket!;
    const serialNo = (this.serial = (this.serial + 1) >>> 0 || 1);
    let body: Uint8Array;
    try {
      let msg = c2s as Record<string, unknown>;
      if (TRADE_WRITE_IDS.has(protoId) && msg['packetID'] === undefined && this._info) {
        msg = { ...msg, packetID: { connID: this._info.connId, serialNo } };
      }
      body = requestEncoder(protoId as RequestProtoId)({ c2s: msg });
    } catch (err) {
      return Promise.reject(err);
    }
    const timeoutMs = opts.timeoutMs ?? this.options.requestTimeoutMs ?? 12_000;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(serialNo);
        reject(new RequestTimeoutError(protoId, serialNo, timeoutMs));
      }, timeoutMs);
      this.pending.set(serialNo, { protoId, serialNo, resolve, reject, timer, onReply });
      socket.write(encodeFrame({ protoId, serialNo }, body, encrypt));
    });
  }

  /**
   * Pushes as an async iterator (optionally only some protoIDs). Ends when the client closes.
   * Events are buffered while the consumer is busy; `maxBuffered` bounds that buffer (oldest dropped, counted).
   */
  pushes<Id extends PushProtoId>(filter?: Id[], opts: { maxBuffered?: number } = {}): AsyncIterableIterator<PushEvent<Id>> & { dropped: number } {
    const q = new PushQueue<PushEvent>(filter ? new Set<number>(filter) : null, opts.maxBuffered ?? Infinity, () => this.iterators.delete(q));
    if (this._state === 'closed') q.end();
    else this.iterators.add(q);
    return q as unknown as AsyncIterableIterator<PushEvent<Id>> & { dropped: number };
  }
}
