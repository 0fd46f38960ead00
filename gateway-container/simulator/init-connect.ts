// The RSA stage of InitConnect on the simulator. With a key configured, InitConnect must arrive as whole RSA
// blocks (Futu's "Protocol Introduction": InitConnect is the one packet encrypted with RSA, and the header's
// SHA-1 covers the decrypted body). Decryption uses implicit rejection (RsaKey.decryptImplicit) and the digest
// is compared in constant time; every failure — another key, bad padding, c ≥ n, a wrong SHA-1 — only marks
// the connection, and the frame is then handled by `reject` after the same work a good InitConnect costs, so
// a peer learns nothing from how or how fast a bad ciphertext fails. A plaintext InitConnect is refused unless
// allowPlainInitConnect is set.
import { timingSafeEqual } from 'node:crypto';
import type { Logger } from '../../proto/client.js';
import { createPacketCipher, PacketEncAlgo, randomKeyString, type RsaKey } from '../../proto/crypto.js';
import { CryptoError } from '../../proto/errors.js';
import { encodeFrame, sha1, type Frame, type FrameHeader } from '../../proto/frame.js';
import * as InitConnect from '../../proto/generated/InitConnect.js';
import { requestCodec, responseCodec } from '../../proto/registry.js';
import '../../proto/all-codecs.js'; // the simulator speaks every protocol
import type { InitDecryptHooks, SimConnection } from './connection.js';

/** What the stage reads from the simulator. */
export interface InitStageHost {
  readonly rsa: RsaKey | null;
  readonly opts: { allowPlainInitConnect: boolean; serverVer: number; loginUserId: bigint; keepAliveIntervalSec: number; userAttribution: number };
  readonly log: Logger;
  readonly stats: { rejectedInitConnects: number; malformedFrames: number };
}

const EMPTY = Buffer.alloc(0);

/** Stands in for a request body when an InitConnect is rejected, so that the rejection does the same decoding work. */
const DECOY_INIT_BODY = Buffer.from(
  InitConnect.Request.encode({ c2s: { clientVer: 300, clientID: 'decoy-client-0000', recvNotify: false, packetEncAlgo: PacketEncAlgo.AES_CBC, pushProtoFmt: 0, programmingLanguage: 'TypeScript' } }).finish(),
);

/** Keeps work whose result is deliberately unused from being optimised away. */
let discardSink = 0;
function discard(n: number): void {
  discardSink = (discardSink + n) | 0;
}

export class InitConnectStage {
  constructor(private readonly sim: InitStageHost) {}

  readonly hooks: InitDecryptHooks = {
    decrypt: (h, wire, c) => this.decrypt(h, wire, c),
    // The RSA stage compares the digest itself (constant time) and folds the result into initRejected.
    verifySha1: (_h, c) => !c.rsaInit && !c.initRejected,
  };

  /**
   * The body of a frame before InitConnect succeeded. With a key, an InitConnect must be whole RSA blocks; it
   * is decrypted with implicit rejection and its SHA-1 compared in constant time, and any failure only sets
   * `initRejected`, which dispatch hands to `reject` (no padding oracle, no timing tell).
   */
  decrypt(h: FrameHeader, wire: Buffer, conn: SimConnection): Buffer {
    conn.rsaInit = false;
    conn.initRejected = false;
    const rsa = this.sim.rsa;
    if (h.protoId !== 1001 || !rsa) return wire;
    const k = rsa.modulusBytes;
    if (wire.length === 0 || wire.length % k !== 0) {
      if (this.sim.opts.allowPlainInitConnect) return wire;
      throw new CryptoError(
        `InitConnect must be RSA-encrypted with the simulator's key (its ${wire.length}-byte body is not a whole number of ${k}-byte RSA blocks); plaintext clients need --allow-plaintext`,
      );
    }
    const { plain, ok } = rsa.decryptImplicit(wire);
    const digestOk = timingSafeEqual(sha1(plain), h.bodySha1);
    const accepted = ok && digestOk;
    // With plaintext allowed, an RSA-sized body that fails is tried as plaintext (this gives up the uniform
    // rejection for such bodies, which is why it is off by default).
    if (!accepted && this.sim.opts.allowPlainInitConnect && sha1(wire).equals(h.bodySha1)) return wire;
    conn.rsaInit = accepted;
    conn.initRejected = !accepted;
    return plain;
  }

  /**
   * An RSA-sized InitConnect that did not decrypt to a request under the configured key. Every such case is
   * handled the same way, after the same work a good InitConnect costs (decoding a request, building and
   * RSA-encrypting a reply frame, setting up AES, a write): the connection is closed, nothing is answered.
   */
  reject(conn: SimConnection, f: Frame): void {
    const sim = this.sim;
    sim.stats.rejectedInitConnects++;
    sim.stats.malformedFrames++; // a frame that did not decode, as far as the simulator's other counters are concerned
    const rsa = sim.rsa!;
    const c2s = requestCodec(1001).decode(DECOY_INIT_BODY).c2s as InitConnect.C2S;
    const s2c = this.s2c(conn);
    const reply = encodeFrame({ protoId: 1001, serialNo: f.serialNo }, responseCodec(1001).encode({ retType: 0, retMsg: '', errCode: 0, s2c }).finish(), (b) => rsa.encrypt(b));
    const cipher = createPacketCipher(c2s.packetEncAlgo ?? PacketEncAlgo.AES_CBC, s2c.connAESKey, s2c.aesCBCiv);
    discard(reply.length + (cipher ? cipher.algo : 0));
    sim.log.warn('InitConnect did not decrypt with the configured RSA key (another key, not RSA-encrypted, or corrupt); closing', {
      connId: conn.id.toString(),
      remote: conn.remote,
      serialNo: f.serialNo,
    });
    // A write of nothing takes the reply's way through the socket (the same stream work) and sends no byte.
    conn.socket.write(EMPTY);
    conn.close('InitConnect did not decrypt with the configured RSA key');
  }

  /** The InitConnect reply's S2C for this connection, with a fresh AES key and IV. */
  s2c(conn: SimConnection): InitConnect.S2C {
    const o = this.sim.opts;
    return {
      serverVer: o.serverVer,
      loginUserID: o.loginUserId,
      connID: conn.id,
      connAESKey: randomKeyString(),
      keepAliveInterval: o.keepAliveIntervalSec,
      aesCBCiv: randomKeyString(),
      userAttribution: o.userAttribution,
    };
  }
}
