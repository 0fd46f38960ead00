// OpenDSimulator: a wire-compatible stand-in for Futu's OpenD gateway over real TCP.
// Connection rules follow OpenD's: InitConnect first (RSA-encrypted when a key is configured, then AES per
// packet), KeepAlive or be dropped after 30 s, at most 128 connections, Notify only to connections that asked.
// Futu's "Protocol Introduction" (openapi.futunn.com/futu-api-doc/en/ftapi/protocol.html): the header's SHA-1
// covers the body after decryption, and InitConnect is the one packet encrypted with RSA; "Command Line
// OpenD" (…/en/opend/opend-cmd.html): with a non-local listen address, trading needs the private key.
// Hardening beyond OpenD's documented behaviour: small bodies until InitConnect succeeds, a byte budget per
// connection, plaintext InitConnect refused while a key is configured (unless allowed), and RSA decryption
// with implicit rejection (init-connect.ts).
import { createServer, type Server, type Socket } from 'node:net';
import { FrameError } from '../../proto/errors.js';
import { createPacketCipher, PacketEncAlgo, RsaKey } from '../../proto/crypto.js';
import type { Frame } from '../../proto/frame.js';
import { PROTO_FMT_PROTOBUF } from '../../proto/frame.js';
import { isKnownProtoId, isPushProtoId, protocolName, requestCodec, TRADE_WRITE_IDS, type ProtoId, type RequestProtoId, PROTO_ID } from '../../proto/registry.js';
import '../../proto/all-codecs.js'; // the simulator speaks every protocol
import { ProtoCodecError } from '../../proto/wire.js';
import type { Logger } from '../../proto/client.js';
import { silentLogger } from '../../proto/log.js';
import * as Common from '../../proto/generated/Common.js';
import * as GetGlobalState from '../../proto/generated/GetGlobalState.js';
import * as InitConnect from '../../proto/generated/InitConnect.js';
import * as Notify from '../../proto/generated/Notify.js';
import { SimConnection, type ConnectionLimits } from './connection.js';
import { InitConnectStage } from './init-connect.js';
import { FrequencyLimiter, OPEND_LIMITS } from './frequency-limits.js';
import { DelayRecorder, recordReply } from './delay-statistics.js';

/** A request the simulator refuses: becomes retType -1 (or the given retType) with this text as retMsg. */
export class SimError extends Error {
  constructor(
    message: string,
    readonly retType = -1,
    readonly errCode?: number,
  ) {
    super(message);
  }
}

export interface HandlerContext {
  sim: OpenDSimulator;
  conn: SimConnection;
  protoId: number;
  serialNo: number;
}

export type Handler = (ctx: HandlerContext, c2s: any) => unknown | Promise<unknown>;

export interface LoginChallengeOptions {
  type: 'phone' | 'picture';
  /** The code that completes the login. */
  code: string;
}

export interface SimulatorCoreOptions {
  host?: string;
  port?: number;
  rsaPrivateKey?: string | Buffer;
  keepAliveIntervalSec?: number;
  /** Drop a connection that sent no KeepAlive for this long (default 30 s). */
  idleTimeoutMs?: number;
  maxConnections?: number;
  /** Largest request body once InitConnect has succeeded (default 1 MiB). */
  maxBodyBytes?: number;
  /** Largest request body before that (default 4 KiB: an InitConnect is a few hundred bytes). */
  preInitMaxBodyBytes?: number;
  /** Bytes a connection may send per `byteBudgetWindowMs` before it is closed (default 16 MiB per 10 s). */
  byteBudget?: number;
  byteBudgetWindowMs?: number;
  /**
   * Accept a plaintext InitConnect while a key is configured (default false). Whether OpenD does is not
   * documented; refusing is the safe reading of "if OpenD is configured with encryption, InitConnect must be
   * RSA-encrypted". With it on, an RSA-sized body that fails decryption is retried as plaintext, which gives up
   * the uniform rejection below for such bodies.
   */
  allowPlainInitConnect?: boolean;
  /** Trade pushes caused by a request go out before its reply (default false: after). */
  pushBeforeReply?: boolean;
  /** Reject (default) or silently ignore a trade write whose packetID serial does not increase. */
  replayedPacketId?: 'reject' | 'ignore';
  loginChallenge?: LoginChallengeOptions;
  loginUserId?: bigint;
  serverVer?: number;
  userAttribution?: number;
  /** Virtual clock for frequency limits and quotas. */
  now?: () => number;
  logger?: Logger;
}

const LOOPBACK = /^(127\.|::1$|localhost$|::ffff:127\.)/;

export const SIM_MAX_BODY_BYTES = 1024 * 1024;
export const SIM_PRE_INIT_MAX_BODY_BYTES = 4 * 1024;
export const SIM_BYTE_BUDGET = 16 * 1024 * 1024;
export const SIM_BYTE_BUDGET_WINDOW_MS = 10_000;

/**
 * Connection IDs are 2^20 per wall-clock millisecond of the process's start. Futu's packetID (connID + serialNo)
 * is how OpenD refuses a replayed trade write: a serial must grow on its connection, and a packetID naming another
 * connection is refused. A simulator restarted (from its state file) must therefore never hand out a connection ID
 * an earlier run used, or a trade write captured before the restart would pass as new on the first connection
 * after it. Starting from (start time in ms) × 2^20 guarantees that as long as a run opens fewer than 2^20 (about a
 * million) connections per millisecond it lived and the wall clock does not step back; the virtual market clock is
 * not used, since a restart may reuse the same one. IDs stay within u64 until the year 2527.
 */
export const CONN_IDS_PER_MS = 1n << 20n;

export function firstConnId(wallClockMs: number = Date.now()): bigint {
  return BigInt(Math.floor(wallClockMs)) * CONN_IDS_PER_MS;
}

export class OpenDSimulator {
  readonly opts: Required<Omit<SimulatorCoreOptions, 'rsaPrivateKey' | 'loginChallenge' | 'now' | 'logger'>> & SimulatorCoreOptions;
  readonly log: Logger;
  readonly now: () => number;
  readonly limiter: FrequencyLimiter;
  readonly rsa: RsaKey | null;
  private server: Server | null = null;
  private readonly handlers = new Map<number, Handler>();
  readonly connections = new Map<bigint, SimConnection>();
  /** Seeded from the wall clock: see firstConnId. */
  private nextConnId = firstConnId();
  private idleTimer: NodeJS.Timeout | null = null;
  private lastIdleCheck = 0;
  programStatus: number;
  private challengeRequestedAt = -Infinity;
  /** Pushes held back while a request's reply is pending (pushBeforeReply = false). */
  private deferred: (() => void)[] | null = null;
  /** Fault switches for tests of the relay and the Lambdas. */
  readonly faults = { stallMs: 0, failNext: 0, failProtoIds: null as Set<number> | null, failMessage: 'injected failure (simulator fault switch)' };
  /** Measured reply and push times, reported by GetDelayStatistics (1007). */
  readonly delays = new DelayRecorder();
  readonly stats = { connectionsAccepted: 0, connectionsRefused: 0, malformedFrames: 0, requests: 0, pushes: 0, idleDrops: 0, rejectedInitConnects: 0, overBudget: 0 };
  private closedListeners: ((conn: SimConnection) => void)[] = [];

  constructor(options: SimulatorCoreOptions = {}) {
    this.opts = {
      host: '127.0.0.1',
      port: 11111,
      keepAliveIntervalSec: 10,
      idleTimeoutMs: 30_000,
      maxConnections: 128,
      maxBodyBytes: SIM_MAX_BODY_BYTES,
      preInitMaxBodyBytes: SIM_PRE_INIT_MAX_BODY_BYTES,
      byteBudget: SIM_BYTE_BUDGET,
      byteBudgetWindowMs: SIM_BYTE_BUDGET_WINDOW_MS,
      allowPlainInitConnect: false,
      pushBeforeReply: false,
      replayedPacketId: 'reject',
      loginUserId: 10_203_040n,
      serverVer: 1009,
      userAttribution: 1,
      ...options,
    };
    this.log = options.logger ?? silentLogger;
    this.now = options.now ?? Date.now;
    this.limiter = new FrequencyLimiter(this.now);
    const flags = { maxBodyBytes: ' (--max-body-bytes)', preInitMaxBodyBytes: '', byteBudget: ' (--byte-budget)', byteBudgetWindowMs: '' } as const;
    for (const name of Object.keys(flags) as (keyof typeof flags)[]) {
      const v = this.opts[name];
      if (!Number.isSafeInteger(v) || v < 1) throw new RangeError(`simulator option ${name}${flags[name]} must be a positive whole number of bytes or ms, got ${v}`);
    }
    this.rsa = options.rsaPrivateKey ? RsaKey.fromPem(options.rsaPrivateKey) : null;
    this.programStatus = options.loginChallenge
      ? options.loginChallenge.type === 'phone'
        ? Common.ProgramStatusType.NEED_PHONE_VERIFY_CODE
        : Common.ProgramStatusType.NEED_PIC_VERIFY_CODE
      : Common.ProgramStatusType.READY;
  }

  get ready(): boolean {
    return this.programStatus === Common.ProgramStatusType.READY;
  }

  get listeningOnLoopback(): boolean {
    return LOOPBACK.test(this.opts.host);
  }

  get address(): { host: string; port: number } {
    const a = this.server?.address();
    if (!a || typeof a === 'string') throw new Error('simulator is not listening');
    return { host: this.opts.host, port: a.port };
  }

  handle(protoId: RequestProtoId, handler: Handler): void {
    this.handlers.set(protoId, handler);
  }

  onConnectionClosed(listener: (conn: SimConnection) => void): void {
    this.closedListeners.push(listener);
  }

  async listen(): Promise<{ host: string; port: number }> {
    const server = createServer((socket) => this.accept(socket));
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.opts.port, this.opts.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    server.on('error', (err) => this.log.error('simulator listener error', { error: err.message }));
    const idleCheckMs = Math.min(1000, Math.max(50, this.opts.idleTimeoutMs / 4));
    this.lastIdleCheck = Date.now();
    this.idleTimer = setInterval(() => this.dropIdle(idleCheckMs), idleCheckMs);
    this.idleTimer.unref();
    this.log.info('OpenD simulator listening', { ...this.address, encrypted: !!this.rsa, programStatus: this.programStatus });
    return this.address;
  }

  async close(): Promise<void> {
    if (this.idleTimer) clearInterval(this.idleTimer);
    this.idleTimer = null;
    for (const c of this.connections.values()) c.close('simulator stopping');
    const s = this.server;
    this.server = null;
    if (s) await new Promise<void>((r) => s.close(() => r()));
  }

  /** Closes every client connection (tests use this to simulate OpenD going away). */
  dropAllConnections(reason = 'dropped by the simulator'): number {
    const n = this.connections.size;
    for (const c of [...this.connections.values()]) c.close(reason);
    return n;
  }

  /**
   * Closes connections that sent no KeepAlive for idleTimeoutMs. Time this process could not run does not count
   * against a client: after an event-loop stall (a long synchronous step, a busy machine) timers fire before
   * sockets are read, so a KeepAlive the client sent on time would still be waiting in the socket buffer. The
   * stalled time is credited to every connection and the check waits for the next tick, after the reads.
   */
  private dropIdle(intervalMs: number): void {
    const t = Date.now();
    const gap = t - this.lastIdleCheck;
    this.lastIdleCheck = t;
    if (gap > 2 * intervalMs) {
      for (const c of this.connections.values()) c.lastKeepAliveAt += gap - intervalMs;
      return;
    }
    for (const c of this.connections.values()) {
      if (t - c.lastKeepAliveAt > this.opts.idleTimeoutMs) {
        this.stats.idleDrops++;
        this.log.info('closing a connection that sent no KeepAlive', { connId: c.id.toString(), idleTimeoutMs: this.opts.idleTimeoutMs });
        c.close('no KeepAlive');
      }
    }
  }

  private accept(socket: Socket): void {
    socket.setNoDelay(true);
    const conn = this.attach((connId) => new SimConnection(connId, socket, this.connectionLimits, this.initStage.hooks));
    if (!conn) {
      this.log.warn('connection refused: limit reached', { maxConnections: this.opts.maxConnections, remote: socket.remoteAddress });
      socket.destroy();
      return;
    }
    socket.on('data', (chunk: Buffer) => {
      if (conn.closed) return;
      const over = conn.chargeBytes(chunk.length);
      if (over) {
        this.stats.overBudget++;
        this.log.warn('closing a connection over its byte budget', { connId: conn.id.toString(), remote: conn.remote, reason: over });
        conn.close(over);
        return;
      }
      try {
        // Frame by frame, so that InitConnect switches on AES before the next frame in the same chunk is read.
        conn.decoder.push(chunk, (f) => this.dispatch(conn, f));
      } catch (err) {
        this.stats.malformedFrames++;
        const reason = err instanceof FrameError ? err.message : `bad frame: ${(err as Error).message}`;
        this.log.warn('malformed frame; closing the connection', { connId: conn.id.toString(), remote: conn.remote, reason });
        conn.close(reason);
      }
    });
    socket.on('error', (err) => this.log.debug('client socket error', { connId: conn.id.toString(), error: err.message }));
    socket.on('close', () => this.detach(conn));
  }

  /** Limits every transport applies to a connection. */
  get connectionLimits(): ConnectionLimits {
    const o = this.opts;
    return { maxBodyBytes: o.maxBodyBytes, preInitMaxBodyBytes: o.preInitMaxBodyBytes, byteBudget: o.byteBudget, byteBudgetWindowMs: o.byteBudgetWindowMs };
  }

  /** The RSA stage of InitConnect (decryption with implicit rejection, the uniform rejection). */
  private readonly initStage = new InitConnectStage(this);

  /**
   * Registers a new connection of any transport (TCP here, the WebSocket bridge): counted, capped at
   * maxConnections, and given the next connection ID. null when the cap is reached (the caller refuses it).
   */
  attach(makeConn: (connId: bigint) => SimConnection): SimConnection | null {
    if (this.connections.size >= this.opts.maxConnections) {
      this.stats.connectionsRefused++;
      return null;
    }
    this.stats.connectionsAccepted++;
    const conn = makeConn(this.nextConnId++);
    this.connections.set(conn.id, conn);
    return conn;
  }

  /** Called by every transport when its connection ends: unregisters it and tells the closed-listeners once. */
  detach(conn: SimConnection): void {
    conn.closed = true;
    if (!this.connections.delete(conn.id)) return;
    for (const l of this.closedListeners) {
      try {
        l(conn);
      } catch (err) {
        this.log.error('connection-closed listener failed', { error: (err as Error).message });
      }
    }
  }

  /** Handles one request frame from any transport. */
  handleFrame(conn: SimConnection, f: Frame): void {
    this.dispatch(conn, f);
  }

  private dispatch(conn: SimConnection, f: Frame): void {
    if (conn.closed) return;
    if (conn.initRejected) return this.initStage.reject(conn, f);
    this.stats.requests++;
    const id = f.protoId;
    const stall = this.faults.stallMs;
    const startedAt = performance.now();
    const reply = (rsp: { retType: number; retMsg?: string; errCode?: number; s2c?: unknown }) => {
      if (!isKnownProtoId(id)) return;
      const send = () => {
        conn.sendResponse(id, f.serialNo, { retMsg: '', errCode: 0, ...rsp });
        recordReply(this.delays, id, rsp, startedAt, stall);
      };
      if (stall > 0 && id !== PROTO_ID.InitConnect) setTimeout(send, stall).unref();
      else send();
    };
    if (f.protoFmtType !== PROTO_FMT_PROTOBUF) {
      return this.replyRaw(conn, f, `proto format ${f.protoFmtType} is not supported by the simulator; use protobuf (0)`);
    }
    if (!isKnownProtoId(id) || isPushProtoId(id)) {
      return this.replyRaw(conn, f, `unknown protocol ${protocolName(id)}`);
    }
    let c2s: any;
    try {
      c2s = requestCodec(id as RequestProtoId).decode(f.body).c2s;
    } catch (err) {
      const msg = err instanceof ProtoCodecError ? err.message : `undecodable ${protocolName(id)} request: ${(err as Error).message}`;
      this.log.warn('invalid request body', { connId: conn.id.toString(), protoId: id, reason: msg });
      if (id === PROTO_ID.InitConnect && !conn.initialized) {
        conn.close(msg);
        return;
      }
      return reply({ retType: Common.RetType.INVALID, retMsg: msg });
    }
    if (id === PROTO_ID.InitConnect) return this.initConnect(conn, f, c2s);
    if (!conn.initialized) return reply({ retType: -1, retMsg: 'send InitConnect (1001) first and wait for its reply' });
    const handler = this.handlers.get(id);
    if (!handler) return reply({ retType: -1, retMsg: `${protocolName(id)} is not supported by the simulator` });
    if (this.faults.failNext > 0 && id !== PROTO_ID.KeepAlive && (!this.faults.failProtoIds || this.faults.failProtoIds.has(id))) {
      this.faults.failNext--;
      return reply({ retType: -1, retMsg: this.faults.failMessage });
    }
    try {
      this.gate(conn, id, c2s);
    } catch (err) {
      if (err instanceof IgnoredRequest) return;
      return reply(this.errorReply(err));
    }
    const ctx: HandlerContext = { sim: this, conn, protoId: id, serialNo: f.serialNo };
    const defer = !this.opts.pushBeforeReply && TRADE_WRITE_IDS.has(id);
    if (defer) this.deferred = [];
    const flush = () => {
      const d = this.deferred;
      this.deferred = null;
      if (d) for (const send of d) send();
    };
    let result: unknown;
    try {
      result = handler(ctx, c2s);
    } catch (err) {
      // Answered at once, like a synchronous success, so that replies keep the order of the requests.
      reply(this.errorReply(err));
      if (defer) flush();
      return;
    }
    if (result instanceof Promise) {
      // Async handlers cannot hold pushes back reliably; release the buffer now.
      if (defer) flush();
      result.then(
        (s2c) => reply({ retType: 0, s2c }),
        (err) => reply(this.errorReply(err)),
      );
      return;
    }
    reply({ retType: 0, s2c: result });
    if (defer) flush();
  }

  private replyRaw(conn: SimConnection, f: Frame, retMsg: string): void {
    // The Response envelope (retType, retMsg, errCode) is the same in every protocol.
    conn.sendFrame(f.protoId, f.serialNo, GetGlobalState.Response.encode({ retType: -1, retMsg, errCode: 0 }).finish());
  }

  private errorReply(err: unknown): { retType: number; retMsg: string; errCode?: number } {
    if (err instanceof SimError) return { retType: err.retType, retMsg: err.message, errCode: err.errCode };
    const e = err as Error;
    if (e && (e.name === 'TradingError' || e.name === 'SubscriptionError' || e.name === 'MarketError')) return { retType: -1, retMsg: e.message };
    this.log.error('handler failed', { error: e?.stack ?? String(err) });
    return { retType: -1, retMsg: `internal simulator error: ${e?.message ?? String(err)}` };
  }

  /** Login state, encryption rule for trading, replay protection and frequency limits. */
  private gate(conn: SimConnection, id: number, c2s: any): void {
    const isTrade = id >= 2000 && id < 3000;
    const isQuote = id >= 3000 && id < 4000;
    if ((isTrade || isQuote) && !this.ready) {
      throw new SimError(`OpenD is not logged in (program status ${programStatusName(this.programStatus)}); complete the login verification first`);
    }
    if (isTrade && this.rsa && !this.listeningOnLoopback && !conn.encrypted) {
      throw new SimError('trading needs an encrypted connection: OpenD listens on a non-local address, so connect with the RSA private key');
    }
    if (TRADE_WRITE_IDS.has(id)) {
      const pid = c2s.packetID as { connID: bigint; serialNo: number } | undefined;
      if (!pid) throw new SimError('packetID is required for trade writes');
      if (pid.connID !== conn.id) throw new SimError(`packetID.connID ${pid.connID} does not match this connection (${conn.id})`);
      if (pid.serialNo <= conn.lastPacketSerial) {
        const msg = `packetID serial ${pid.serialNo} is not greater than the last one on this connection (${conn.lastPacketSerial}); request rejected as a replay`;
        if (this.opts.replayedPacketId === 'ignore') {
          this.log.warn('replayed packetID ignored', { connId: conn.id.toString(), serialNo: pid.serialNo });
          throw new IgnoredRequest();
        }
        throw new SimError(msg);
      }
      conn.lastPacketSerial = pid.serialNo;
    }
    const rule = OPEND_LIMITS[id];
    if (rule) {
      if (rule.refreshOnly && !c2s.refreshCache) return;
      if (rule.firstPageOnly && c2s.nextReqKey && c2s.nextReqKey.length > 0) return;
      const scope = rule.scope === 'account' ? String(c2s.header?.accID ?? 'none') : 'opend';
      const d = this.limiter.acquire(`${id}:${scope}`, rule);
      if (!d.allowed) {
        throw new SimError(
          `frequency limit of ${protocolName(id)} reached (${d.reason}${rule.scope === 'account' ? ` per account ${scope}` : ''}); retry in ${Math.ceil(d.retryAfterMs)} ms`,
        );
      }
    }
  }

  private initConnect(conn: SimConnection, f: Frame, c2s: InitConnect.C2S): void {
    if (conn.initialized) {
      conn.sendResponse(PROTO_ID.InitConnect, f.serialNo, { retType: -1, retMsg: 'InitConnect was already done on this connection' });
      return;
    }
    const requested = c2s.packetEncAlgo ?? (this.rsa ? PacketEncAlgo.FTAES_ECB : PacketEncAlgo.NONE);
    const encrypt = !!this.rsa && conn.rsaInit && requested !== PacketEncAlgo.NONE;
    if (this.rsa && !conn.rsaInit && requested !== PacketEncAlgo.NONE) {
      conn.sendResponse(PROTO_ID.InitConnect, f.serialNo, { retType: -1, retMsg: 'encryption was requested but InitConnect was not RSA-encrypted with the configured key' });
      return;
    }
    if (!this.rsa && requested !== PacketEncAlgo.NONE && c2s.packetEncAlgo !== undefined) {
      this.log.info('client asked for encryption but the simulator has no RSA key; continuing unencrypted', { connId: conn.id.toString() });
    }
    const s2c = this.initStage.s2c(conn);
    const aesKey = s2c.connAESKey;
    const iv = s2c.aesCBCiv!;
    const rsa = this.rsa;
    conn.sendResponse(PROTO_ID.InitConnect, f.serialNo, { retType: 0, retMsg: '', errCode: 0, s2c }, encrypt && rsa ? (b) => rsa.encrypt(b) : undefined);
    conn.markInitialized();
    conn.clientId = c2s.clientID;
    conn.recvNotify = c2s.recvNotify ?? false;
    conn.lastKeepAliveAt = Date.now();
    if (encrypt) {
      conn.cipher = createPacketCipher(requested, aesKey, iv);
      conn.encrypted = true;
    }
    this.log.info('client connected', { connId: conn.id.toString(), remote: conn.remote, clientId: conn.clientId, encrypted: conn.encrypted, recvNotify: conn.recvNotify });
    if (conn.recvNotify && !this.ready) this.sendLoginChallenge(conn);
  }

  // ---- pushes -------------------------------------------------------------------------------------

  /** Sends a push now, or after the pending reply when replies go first. */
  push(conn: SimConnection, protoId: ProtoId, s2c: unknown): void {
    const send = () => {
      this.stats.pushes++;
      const t = performance.now();
      conn.sendPush(protoId, s2c);
      this.delays.recordPush(protoId, performance.now() - t);
    };
    if (this.deferred) this.deferred.push(send);
    else send();
  }

  notifyAll(s2c: Notify.S2C): void {
    for (const c of this.connections.values()) if (c.initialized && c.recvNotify) this.push(c, PROTO_ID.Notify, s2c);
  }

  private sendLoginChallenge(conn: SimConnection): void {
    const phone = this.programStatus === Common.ProgramStatusType.NEED_PHONE_VERIFY_CODE;
    this.push(conn, PROTO_ID.Notify, {
      type: Notify.NotifyType.GTW_EVENT,
      event: {
        eventType: phone ? Notify.GtwEventType.NEED_PHONE_VERIFY_CODE : Notify.GtwEventType.NEED_PIC_VERIFY_CODE,
        desc: phone ? 'a verification code was sent to the phone of the account; submit it with Verification (1006)' : 'enter the picture verification code with Verification (1006)',
      },
    });
  }

  /** Fault switch: delay every reply (not pushes, not InitConnect) by `ms`; 0 turns it off. */
  stallReplies(ms: number): void {
    this.faults.stallMs = Math.max(0, ms);
  }

  /** Fault switch: answer the next `n` requests (optionally only these protoIDs) with retType -1, unexecuted. */
  failNextRequests(n: number, opts: { protoIds?: number[]; message?: string } = {}): void {
    this.faults.failNext = n;
    this.faults.failProtoIds = opts.protoIds ? new Set(opts.protoIds) : null;
    if (opts.message) this.faults.failMessage = opts.message;
  }

  /**
   * Fault switch: changes OpenD's program status and tells recvNotify connections. FORCE_LOGOUT also drops
   * every connection, as OpenD does; quote and trade requests fail until the status is READY again.
   */
  setProgramStatus(type: number, desc = ''): void {
    this.programStatus = type;
    this.notifyAll({ type: Notify.NotifyType.PROGRAM_STATUS, programStatus: { programStatus: { type, strExtDesc: desc } } });
    const ready = type === Common.ProgramStatusType.READY;
    this.notifyAll({ type: Notify.NotifyType.CONN_STATUS, connectStatus: { qotLogined: ready, trdLogined: ready } });
    if (type === Common.ProgramStatusType.FORCE_LOGOUT) setImmediate(() => this.dropAllConnections('forced logout'));
  }

  /** Puts the simulator into a login challenge (as after a restart on a new device). */
  requireVerification(type: 'phone' | 'picture', code: string): void {
    this.opts.loginChallenge = { type, code };
    this.programStatus = type === 'phone' ? Common.ProgramStatusType.NEED_PHONE_VERIFY_CODE : Common.ProgramStatusType.NEED_PIC_VERIFY_CODE;
    this.notifyAll({ type: Notify.NotifyType.PROGRAM_STATUS, programStatus: { programStatus: { type: this.programStatus } } });
    for (const c of this.connections.values()) if (c.initialized && c.recvNotify) this.sendLoginChallenge(c);
  }

  /** Verification (1006). */
  verify(type: number, op: number, code: string | undefined): void {
    const challenge = this.opts.loginChallenge;
    if (this.ready || !challenge) throw new SimError('no verification is pending: OpenD is already logged in');
    const wantType = challenge.type === 'phone' ? 2 : 1;
    if (type !== wantType) throw new SimError(`the pending verification is by ${challenge.type}; type must be ${wantType}`);
    if (op === 1) {
      const t = this.now();
      if (challenge.type === 'phone' && t - this.challengeRequestedAt < 60_000) {
        throw new SimError('a phone code can be requested at most once per 60 s');
      }
      this.challengeRequestedAt = t;
      return;
    }
    if (op !== 2) throw new SimError(`unknown verification op ${op}; allowed: 1 (request a code), 2 (input the code and log in)`);
    if (!code || code !== challenge.code) throw new SimError('verification code is wrong');
    this.programStatus = Common.ProgramStatusType.READY;
    this.opts.loginChallenge = undefined;
    this.log.info('login verification accepted; OpenD is ready');
    this.notifyAll({ type: Notify.NotifyType.PROGRAM_STATUS, programStatus: { programStatus: { type: Common.ProgramStatusType.READY } } });
    this.notifyAll({ type: Notify.NotifyType.CONN_STATUS, connectStatus: { qotLogined: true, trdLogined: true } });
  }
}

/** Thrown by the gate for a request OpenD drops without answering. */
export class IgnoredRequest extends Error {}

export function programStatusName(v: number): string {
  return Object.entries(Common.ProgramStatusType).find(([, n]) => n === v)?.[0] ?? String(v);
}
