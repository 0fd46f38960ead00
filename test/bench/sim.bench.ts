// npm run bench:sim — round trips per second and p50 / p99 latency of GetBasicQot and PlaceOrder over
// loopback TCP with our OpenDClient against the simulator, plaintext and AES-CBC, with KeepAlive (the
// cheapest request there is) as the floor in the same process. Client and simulator share one event loop,
// so every number includes both sides' work.
//
// InitConnect timing: the median time from writing an RSA InitConnect to the simulator's first reaction (its
// reply, or its closing the connection) for a valid ciphertext and for invalid ones (bad padding, c ≥ n,
// random bytes), interleaved sample by sample. The simulator rejects with implicit rejection, so the invalid
// kinds must not differ from the valid one by 5 % or more (a timing difference would be a padding oracle).
// `npm run bench:sim -- --initconnect-only` runs just this part.
//
// PlaceOrder is limited to 15 per 30 s per account (and ≥ 20 ms apart) on the simulator's virtual clock.
// The bench keeps the limiter in the path but clears its windows before each order, outside the timed
// section; moving the virtual clock instead would also generate the market between orders.
import { startSimulator, type Simulator } from '../../gateway-container/simulator/index.js';
import { headerOf, type AccountRef } from '../../proto/api/trading.js';
import { connect as netConnect } from 'node:net';
import { constants, createPublicKey, publicEncrypt, randomBytes } from 'node:crypto';
import { OpenDClient } from '../../proto/client.js';
import { generateRsaKeyPem, PacketEncAlgo, RsaKey } from '../../proto/crypto.js';
import { encodeFrame } from '../../proto/frame.js';
import { requestCodec, PROTO_ID } from '../../proto/registry.js';
import * as Trd_Common from '../../proto/generated/Trd_Common.js';

const SAMPLES = Number(process.env['BENCH_SAMPLES'] ?? 2000);
const WARMUP = 300;
const IN_FLIGHT = 32;
const ROUNDS = 3;
const SIM_US: AccountRef = { accId: 281756455983234027n, env: 'SIMULATE', market: 'US' };

interface Row {
  op: string;
  mode: 'plain' | 'AES-CBC';
  n: number;
  perSec: number;
  p50: number;
  p99: number;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/** Sequential round trips: one request in flight at a time. `before` runs outside the timed section. */
async function sequential(op: () => Promise<unknown>, n: number, before?: (i: number) => void): Promise<{ perSec: number; p50: number; p99: number }> {
  for (let i = 0; i < WARMUP; i++) {
    before?.(i);
    await op();
  }
  const lat: number[] = [];
  let busy = 0;
  for (let i = 0; i < n; i++) {
    before?.(i);
    const t0 = process.hrtime.bigint();
    await op();
    const us = Number(process.hrtime.bigint() - t0) / 1000;
    lat.push(us);
    busy += us;
  }
  lat.sort((a, b) => a - b);
  return { perSec: (n / busy) * 1e6, p50: percentile(lat, 50), p99: percentile(lat, 99) };
}

/** `inFlight` requests outstanding at all times; latency per request, throughput over the wall clock. */
async function pipelined(op: () => Promise<unknown>, n: number, inFlight: number): Promise<{ perSec: number; p50: number; p99: number }> {
  const lat: number[] = [];
  let started = 0;
  const lane = async () => {
    while (started < n) {
      started++;
      const t0 = process.hrtime.bigint();
      await op();
      lat.push(Number(process.hrtime.bigint() - t0) / 1000);
    }
  };
  await Promise.all(Array.from({ length: inFlight }, lane)); // warm up
  lat.length = 0;
  started = 0;
  const t0 = process.hrtime.bigint();
  await Promise.all(Array.from({ length: inFlight }, lane));
  const wallUs = Number(process.hrtime.bigint() - t0) / 1000;
  lat.sort((a, b) => a - b);
  return { perSec: (n / wallUs) * 1e6, p50: percentile(lat, 50), p99: percentile(lat, 99) };
}

interface Op {
  name: string;
  n: number;
  run(client: OpenDClient): Promise<{ perSec: number; p50: number; p99: number }>;
}

function ops(sim: Simulator): Op[] {
  const book = sim.market.top('US.AAPL')!;
  const header = headerOf(SIM_US);
  // Alternate a marketable buy and sell of one share: every order fills at once and the position stays flat.
  let orderNo = 0;
  const order = () => {
    const buy = orderNo++ % 2 === 0;
    return {
      header,
      trdSide: buy ? Trd_Common.TrdSide.BUY : Trd_Common.TrdSide.SELL,
      orderType: Trd_Common.OrderType.NORMAL,
      code: 'AAPL',
      secMarket: Trd_Common.TrdSecMarket.US,
      qty: 1,
      price: buy ? Math.round((book.ask + 1) * 100) / 100 : Math.round((book.bid - 1) * 100) / 100,
    };
  };
  const basic = (c: OpenDClient) => c.request(PROTO_ID.Qot_GetBasicQot, { securityList: [{ market: 1, code: '00700' }] });
  return [
    { name: 'KeepAlive', n: SAMPLES, run: (c) => sequential(() => c.request(PROTO_ID.KeepAlive, { time: 0n }), SAMPLES) },
    { name: 'GetBasicQot', n: SAMPLES, run: (c) => sequential(() => basic(c), SAMPLES) },
    { name: 'PlaceOrder', n: SAMPLES, run: (c) => sequential(() => c.request(PROTO_ID.Trd_PlaceOrder, order()), SAMPLES, () => sim.core.limiter.reset()) },
    { name: `GetBasicQot ×${IN_FLIGHT}`, n: SAMPLES * 4, run: (c) => pipelined(() => basic(c), SAMPLES * 4, IN_FLIGHT) },
  ];
}

async function connectBench(sim: Simulator, mode: Row['mode'], key: string): Promise<OpenDClient> {
  const client = await OpenDClient.connect({
    host: sim.host,
    port: sim.port,
    clientId: `bench-${mode}`,
    keepAlive: false,
    ...(mode === 'AES-CBC' ? { rsaPrivateKey: key, packetEncAlgo: PacketEncAlgo.AES_CBC } : {}),
  });
  await client.request(PROTO_ID.Qot_Sub, { securityList: [{ market: 1, code: '00700' }], subTypeList: [1], isSubOrUnSub: true, isRegOrUnRegPush: false });
  return client;
}

const INIT_SAMPLES = Number(process.env['BENCH_INIT_SAMPLES'] ?? 600);
const INIT_ROUNDS = 3;
type InitKind = 'valid' | 'bad padding' | 'c ≥ n' | 'random';

/** Microseconds from writing `frame` on a fresh connection to the first byte back or the server's close. */
function timeInitConnect(port: number, frame: Buffer): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = netConnect({ host: '127.0.0.1', port });
    s.setNoDelay(true);
    let t0 = 0n;
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      const us = Number(process.hrtime.bigint() - t0) / 1000;
      s.destroy();
      resolve(us);
    };
    s.once('connect', () => {
      t0 = process.hrtime.bigint();
      s.write(frame);
    });
    s.once('data', finish);
    s.once('end', finish);
    s.once('close', finish);
    s.once('error', (err) => (done ? undefined : reject(err)));
  });
}

async function initConnectTiming(key: string): Promise<void> {
  // A simulator of its own: nothing else runs on it while it is timed.
  const sim = await startSimulator({ host: '127.0.0.1', port: 0, seed: 7, clock: { manual: true, start: Date.UTC(2025, 0, 15, 2, 0, 0) }, rsaPrivateKey: key });
  try {
    const rsa = RsaKey.fromPem(key);
    const k = rsa.modulusBytes;
    const body = Buffer.from(
      requestCodec(PROTO_ID.InitConnect).encode({ c2s: { clientVer: 300, clientID: 'bench', recvNotify: false, packetEncAlgo: PacketEncAlgo.AES_CBC, pushProtoFmt: 0, programmingLanguage: 'TypeScript' } }).finish(),
    );
    const type1 = Buffer.concat([Buffer.from([0, 1]), Buffer.alloc(k - 3 - body.length, 0xff), Buffer.from([0]), body]);
    const badPadding = publicEncrypt({ key: createPublicKey(key), padding: constants.RSA_NO_PADDING }, type1);
    // The header carries the SHA-1 of the real request in every case: only the ciphertext differs.
    const frameOf = (wire: Buffer) => encodeFrame({ protoId: PROTO_ID.InitConnect, serialNo: 1 }, body, () => wire);
    const make: Record<InitKind, () => Buffer> = {
      valid: () => frameOf(rsa.encrypt(body)),
      'bad padding': () => frameOf(badPadding),
      'c ≥ n': () => frameOf(Buffer.alloc(k, 0xff)),
      random: () => frameOf(randomBytes(k)),
    };
    const kinds = Object.keys(make) as InitKind[];
    const port = sim.port;
    // Outside the timed section: the simulator has finished with the previous connection (a valid one is
    // torn down only after the client closes it, and that work must not land in the next sample).
    const settled = async () => {
      for (let i = 0; i < 10_000 && sim.core.connections.size > 0; i++) await new Promise((r) => setImmediate(r));
    };
    const sample = async (kind: InitKind) => {
      const frame = make[kind]();
      await settled();
      const us = await timeInitConnect(port, frame);
      return us;
    };
    for (let i = 0; i < 200; i++) await sample(kinds[i % kinds.length]!); // warm-up
    const medians: Record<InitKind, number[]> = { valid: [], 'bad padding': [], 'c ≥ n': [], random: [] };
    const all: Record<InitKind, number[]> = { valid: [], 'bad padding': [], 'c ≥ n': [], random: [] };
    for (let round = 0; round < INIT_ROUNDS; round++) {
      const samples: Record<InitKind, number[]> = { valid: [], 'bad padding': [], 'c ≥ n': [], random: [] };
      for (let i = 0; i < INIT_SAMPLES; i++) {
        // Interleaved, in a shuffled order, so that no kind always follows the same one.
        const order = [...kinds];
        for (let j = order.length - 1; j > 0; j--) {
          const x = Math.floor(Math.random() * (j + 1));
          [order[j], order[x]] = [order[x]!, order[j]!];
        }
        for (const kind of order) samples[kind].push(await sample(kind));
      }
      for (const kind of kinds) {
        medians[kind].push(percentile([...samples[kind]].sort((a, b) => a - b), 50));
        all[kind].push(...samples[kind]);
      }
    }
    // The median of every sample of a kind: all kinds were measured side by side, so load that changes between
    // rounds (other processes on the machine) affects them alike.
    const med = (kind: InitKind) => percentile([...all[kind]].sort((a, b) => a - b), 50);
    const valid = med('valid');
    console.log(`InitConnect with a 1024-bit RSA key: µs from the request to the simulator's reply or close (median of ${INIT_ROUNDS} × ${INIT_SAMPLES} interleaved samples per kind)`);
    console.log('ciphertext      outcome     median µs   ÷ valid   medians of the rounds');
    let worst = 0;
    for (const kind of kinds) {
      const m = med(kind);
      worst = Math.max(worst, Math.abs(m / valid - 1));
      console.log(`${kind.padEnd(15)} ${(kind === 'valid' ? 'reply' : 'closed').padEnd(10)} ${m.toFixed(1).padStart(10)} ${(m / valid).toFixed(3).padStart(9)}   ${medians[kind].map((x) => x.toFixed(1)).join(' / ')}`);
    }
    console.log(`largest difference from valid: ${(worst * 100).toFixed(1)} % (${worst < 0.05 ? 'within' : 'NOT within'} 5 %); rejected InitConnects: ${sim.core.stats.rejectedInitConnects}\n`);
  } finally {
    await sim.close();
  }
}

async function main(): Promise<void> {
  const key = generateRsaKeyPem();
  await initConnectTiming(key);
  if (process.argv.includes('--initconnect-only')) return;
  // Plaintext InitConnect is allowed deliberately: the plain rows measure an unencrypted session.
  const sim = await startSimulator({ host: '127.0.0.1', port: 0, seed: 7, clock: { manual: true, start: Date.UTC(2025, 0, 15, 2, 0, 0) }, rsaPrivateKey: key, allowPlainInitConnect: true });
  try {
    sim.advance(1_000); // a live book to trade against
    const clients = { plain: await connectBench(sim, 'plain', key), 'AES-CBC': await connectBench(sim, 'AES-CBC', key) };
    const rows: Row[] = [];
    try {
      // Three interleaved rounds per request type; each row keeps its median round, so neither mode
      // profits from running first (JIT warm-up, socket buffers).
      const all = ops(sim);
      // One discarded pass over everything first, so the first request type measured is not the one paying for JIT warm-up.
      for (const op of all) for (const mode of ['plain', 'AES-CBC'] as const) await op.run(clients[mode]);
      for (const op of all) {
        const rounds: Record<Row['mode'], { perSec: number; p50: number; p99: number }[]> = { plain: [], 'AES-CBC': [] };
        for (let round = 0; round < ROUNDS; round++) {
          for (const mode of ['plain', 'AES-CBC'] as const) rounds[mode].push(await op.run(clients[mode]));
        }
        for (const mode of ['plain', 'AES-CBC'] as const) {
          const sorted = rounds[mode].sort((a, b) => a.perSec - b.perSec);
          rows.push({ op: op.name, mode, n: op.n, ...sorted[Math.floor(sorted.length / 2)]! });
        }
      }
    } finally {
      await Promise.all(Object.values(clients).map((c) => c.close()));
    }
    const floor = (mode: string) => rows.find((r) => r.op === 'KeepAlive' && r.mode === mode)!;
    const plainOf = (op: string) => rows.find((r) => r.op === op && r.mode === 'plain')!;

    console.log(`bench:sim — OpenDClient ↔ simulator over loopback TCP, same process (node ${process.version})`);
    console.log(`rt/s: round trips per second (sequential: 1 in flight; ×N: N in flight). Latency in µs. Median of ${ROUNDS} interleaved rounds.\n`);
    console.log('request            mode      samples      rt/s     p50 µs    p99 µs   p50 ÷ KeepAlive p50   rt/s ÷ plain rt/s');
    for (const r of rows) {
      const base = floor(r.mode);
      const vsFloor = r.op.includes('×') ? '' : (r.p50 / base.p50).toFixed(2) + 'x';
      const vsPlain = r.mode === 'plain' ? '' : (r.perSec / plainOf(r.op).perSec).toFixed(2) + 'x';
      console.log(
        `${r.op.padEnd(18)} ${r.mode.padEnd(8)} ${String(r.n).padStart(8)} ${Math.round(r.perSec).toString().padStart(9)} ${r.p50.toFixed(0).padStart(10)} ${r.p99.toFixed(0).padStart(9)} ${vsFloor.padStart(21)} ${vsPlain.padStart(19)}`,
      );
    }
    const placed = sim.trading.orders(headerOf(SIM_US)).length;
    console.log(`\n${placed} PlaceOrder requests executed, warm-up included (each filled at once; the limiter's windows were cleared before each).`);
  } finally {
    await sim.close();
  }
}

main().catch((err: Error) => {
  console.error(err.stack ?? err.message);
  process.exit(1);
});
