// The simulator's defences against a hostile peer, over real TCP: body limits before and after InitConnect,
// the per-connection byte budget, plaintext InitConnect refused while a key is set, and the uniform rejection
// of every InitConnect that does not decrypt under the key (bad padding, c ≥ n, random bytes, another key,
// valid padding with a wrong digest).
import { constants, createPublicKey, publicEncrypt, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Simulator } from '../../gateway-container/simulator/index.js';
import type { SimConnection } from '../../gateway-container/simulator/connection.js';
import { SIM_MAX_BODY_BYTES, SIM_PRE_INIT_MAX_BODY_BYTES } from '../../gateway-container/simulator/server.js';
import type { Logger } from '../../proto/client.js';
import { generateRsaKeyPem, PacketEncAlgo, RsaKey } from '../../proto/crypto.js';
import { encodeFrame, HEADER_SIZE } from '../../proto/frame.js';
import { requestCodec, PROTO_ID } from '../../proto/registry.js';
import { QuoteApi } from '../../proto/api/quotes.js';
import { connectClient, RawClient, startTestSimulator } from './sim-helpers.js';

const KEY = generateRsaKeyPem();

interface LogLine {
  level: string;
  msg: string;
  fields?: Record<string, unknown>;
}

function recordingLogger(): Logger & { lines: LogLine[] } {
  const lines: LogLine[] = [];
  const at = (level: string) => (msg: string, fields?: Record<string, unknown>) => void lines.push({ level, msg, fields });
  return { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

/** Resolves with the simulator's side of `raw`'s connection once the simulator has seen it close. */
function serverClose(sim: Simulator, raw: RawClient, timeoutMs = 10_000): Promise<SimConnection> {
  const port = raw.socket.localPort;
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`the connection from port ${port} was not closed within ${timeoutMs} ms`)), timeoutMs);
    sim.core.onConnectionClosed((c) => {
      if (c.socket.remotePort !== port) return;
      clearTimeout(t);
      resolve(c);
    });
  });
}

/** A header announcing `bodyLen` bytes, with no body after it. */
function headerOnly(protoId: number, bodyLen: number): Buffer {
  const h = Buffer.alloc(HEADER_SIZE);
  h.write('FT', 0, 'latin1');
  h.writeUInt32LE(protoId, 2);
  h.writeUInt32LE(1, 8);
  h.writeUInt32LE(bodyLen, 12);
  return h;
}

function initConnectBody(): Buffer {
  return Buffer.from(
    requestCodec(PROTO_ID.InitConnect)
      .encode({ c2s: { clientVer: 300, clientID: 'probe', recvNotify: false, packetEncAlgo: PacketEncAlgo.AES_CBC, pushProtoFmt: 0, programmingLanguage: 'TypeScript' } })
      .finish(),
  );
}

describe('body limits and the byte budget', () => {
  let sim: Simulator;
  const log = recordingLogger();
  beforeAll(async () => {
    // Plaintext on purpose: these tests are about sizes, and a raw plaintext client can send any frame.
    sim = await startTestSimulator({ logger: log, byteBudget: 300_000, byteBudgetWindowMs: 60_000 });
  });
  afterAll(async () => {
    await sim.close();
  });

  it('refuses limits that are not positive whole numbers, naming the option', async () => {
    await expect(startTestSimulator({ maxBodyBytes: 0 })).rejects.toThrow(/maxBodyBytes \(--max-body-bytes\) must be a positive whole number/);
    await expect(startTestSimulator({ byteBudget: -1 })).rejects.toThrow(/byteBudget \(--byte-budget\) must be a positive whole number/);
    await expect(startTestSimulator({ byteBudgetWindowMs: 1.5 })).rejects.toThrow(/byteBudgetWindowMs must be a positive whole number/);
  });

  it('closes a connection that announces a body over 4 KiB before InitConnect, without waiting for the body', async () => {
    const raw = await RawClient.open(sim.host, sim.port);
    const closed = serverClose(sim, raw);
    raw.write(headerOnly(PROTO_ID.InitConnect, SIM_PRE_INIT_MAX_BODY_BYTES + 1));
    const conn = await closed;
    expect(conn.closeReason).toMatch(/exceeds the limit of 4096 bytes/);
    expect(await raw.waitForClose(5000)).toBe(true);
    expect(raw.frames).toHaveLength(0);
  });

  it('accepts a 200 KB body after InitConnect and closes a connection that announces more than 1 MiB', async () => {
    const raw = await RawClient.open(sim.host, sim.port);
    await raw.initConnect();
    raw.write(encodeFrame({ protoId: 9999, serialNo: 77 }, randomBytes(200_000)));
    const [, reply] = await raw.waitForFrames(2);
    expect(reply!.serialNo).toBe(77);
    expect(reply!.rsp?.retMsg).toMatch(/unknown protocol/);
    expect(raw.closed).toBe(false);

    const closed = serverClose(sim, raw);
    raw.write(headerOnly(PROTO_ID.GetGlobalState, SIM_MAX_BODY_BYTES + 1));
    expect((await closed).closeReason).toMatch(/exceeds the limit of 1048576 bytes/);
    expect(await raw.waitForClose(5000)).toBe(true);
  });

  it('closes a connection that sends more than its byte budget in the window, logs why, and keeps serving others', async () => {
    const other = await connectClient(sim);
    const raw = await RawClient.open(sim.host, sim.port);
    await raw.initConnect();
    const closed = serverClose(sim, raw);
    // 4 × 100 KB > the 300,000-byte budget of this simulator: the fourth frame crosses it.
    for (let i = 0; i < 4; i++) raw.write(encodeFrame({ protoId: 9999, serialNo: 100 + i }, randomBytes(100_000)));
    const conn = await closed;
    expect(conn.closeReason).toMatch(/more than 300000 bytes within 60000 ms/);
    expect(await raw.waitForClose(5000)).toBe(true);
    expect(sim.core.stats.overBudget).toBe(1);
    expect(log.lines).toContainEqual(expect.objectContaining({ level: 'warn', msg: 'closing a connection over its byte budget', fields: expect.objectContaining({ reason: conn.closeReason }) }));
    expect((await new QuoteApi(other).snapshot('HK.00700'))[0]!.code).toBe('HK.00700');
    await other.close();
  });
});

describe('InitConnect when a key is configured', () => {
  let sim: Simulator;
  const log = recordingLogger();
  beforeAll(async () => {
    sim = await startTestSimulator({ rsaPrivateKey: KEY, logger: log });
  });
  afterAll(async () => {
    await sim.close();
  });

  it('refuses a plaintext InitConnect, saying how to allow it', async () => {
    const raw = await RawClient.open(sim.host, sim.port);
    const closed = serverClose(sim, raw);
    await expect(raw.initConnect()).rejects.toThrow();
    expect((await closed).closeReason).toMatch(/InitConnect must be RSA-encrypted.*--allow-plaintext/);
    expect(raw.frames).toHaveLength(0);
  });

  it('accepts the plaintext InitConnect when allowPlainInitConnect is set', async () => {
    const s = await startTestSimulator({ rsaPrivateKey: KEY, allowPlainInitConnect: true });
    try {
      const raw = await RawClient.open(s.host, s.port);
      await raw.initConnect();
      expect(raw.connId).toBeGreaterThan(0n);
      raw.destroy();
    } finally {
      await s.close();
    }
  });

  it('serves a client that holds the key and asks for no packet encryption (RSA InitConnect, plaintext session)', async () => {
    const c = await connectClient(sim, { rsaPrivateKey: KEY, packetEncAlgo: PacketEncAlgo.NONE });
    expect(c.info.packetEncAlgo).toBe(PacketEncAlgo.NONE);
    expect((await new QuoteApi(c).snapshot('HK.00700'))[0]!.code).toBe('HK.00700');
    await c.close();
  });

  it('handles every InitConnect that does not decrypt under the key the same way: closed, unanswered, one reason', async () => {
    const pub = createPublicKey(KEY);
    const body = initConnectBody();
    const k = RsaKey.fromPem(KEY).modulusBytes;
    // A block of type 1 (00 01 …) instead of type 2: wrong padding, everything else right.
    const type1 = Buffer.concat([Buffer.from([0, 1]), Buffer.alloc(k - 3 - body.length, 0xff), Buffer.from([0]), body]);
    const cases: Record<string, Buffer> = {
      'bad padding': publicEncrypt({ key: pub, padding: constants.RSA_NO_PADDING }, type1),
      'c ≥ n': Buffer.alloc(k, 0xff),
      random: randomBytes(k),
      'another key': RsaKey.fromPem(generateRsaKeyPem()).encrypt(body),
      'valid padding, wrong digest': RsaKey.fromPem(KEY).encrypt(Buffer.concat([body, Buffer.from([0x08, 0x01])])),
      'second block bad': Buffer.concat([RsaKey.fromPem(KEY).encrypt(body), randomBytes(k)]),
    };
    const before = sim.core.stats.rejectedInitConnects;
    const reasons = new Set<string>();
    for (const [name, wire] of Object.entries(cases)) {
      const raw = await RawClient.open(sim.host, sim.port);
      const closed = serverClose(sim, raw);
      // The header's SHA-1 is that of the real request: only the ciphertext is wrong.
      raw.write(encodeFrame({ protoId: PROTO_ID.InitConnect, serialNo: 1 }, body, () => wire));
      reasons.add((await closed).closeReason);
      expect(await raw.waitForClose(5000), name).toBe(true);
      expect(raw.frames, `${name}: nothing is answered`).toHaveLength(0);
    }
    expect([...reasons]).toEqual(['InitConnect did not decrypt with the configured RSA key']);
    expect(sim.core.stats.rejectedInitConnects - before).toBe(Object.keys(cases).length);
    expect(log.lines.filter((l) => l.msg.startsWith('InitConnect did not decrypt')).length).toBeGreaterThanOrEqual(Object.keys(cases).length);

    // The same simulator still serves a client with the key.
    const good = await connectClient(sim, { rsaPrivateKey: KEY });
    expect(good.info.packetEncAlgo).toBe(PacketEncAlgo.AES_CBC);
    await good.close();
  });
});
