// npm run bench:functions — end-to-end latency of the place-order and snapshot handlers (API Gateway v2 event
// → middy handler → DynamoDB Local + the simulator over encrypted TCP), with baselines measured in the same
// process on the same connections: a bare OpenD KeepAlive, a bare Snapshot request and a bare DynamoDB
// GetItem. The placement rows also count DynamoDB calls per order (a middleware on the runtime's real DynamoDB
// client) and OpenD requests per order (a pass-through wrapper on the real client), and interleave the same
// handler on the sequential path (record, bucket read, bucket write) for comparison; BENCH_ONLY=placement runs
// only those rows and their baselines. Then GET /v1/quotes for subscribed codes served from the latest-quote store (a real relay writing
// it), 8 concurrent callers with Futu's real Snapshot limit in place, against the Snapshot path under the same
// load and limit. Then each Lambda function's minified bundle against its budget and its cold init in fresh Node
// processes (test/bench/support/cold-start.ts; BENCH_ONLY=cold runs only those rows).
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { coldOnly, coldStarts, printColdStarts } from './support/cold-start.js';
import type { RateLimiter } from '../../functions/lib/rate-limiter.js';
import type { DynamoIdempotencyStore } from '../../functions/lib/idempotency-store.js';
import { stepTicks } from '../../proto/ticks.js';
import { extraHkAccounts, RICH_ACCOUNTS, startFunctionsHarness, type FunctionsHarness } from '../support/functions-harness.js';
import { PROTO_ID, protocolName } from '../../proto/registry.js';
import { OpenDClient } from '../../proto/client.js';
import { loadavg } from 'node:os';
import { startLocalEventBridge } from '../../bin/local/eventbridge-local.js';
import { Relay } from '../../gateway-container/relay/relay.js';
import { HEARTBEAT_KEY } from '../../proto/latest-quote-item.js';
import { LatestQuoteStore } from '../../functions/lib/latest-quote-store.js';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { testRelayOptions } from '../support/test-relay.js';

const ORDER_ACCOUNTS = 40;
const ORDERS_PER_ACCOUNT = 12; // below Futu's 15 per 30 s, so the real limiter never refuses
const SEQUENTIAL_ACCOUNTS = 20;
const SNAPSHOTS = 400;
const BASELINE_ROUNDS = 400;
const WARMUP = 10;
const CALLERS = 8;
const LOAD_SECONDS = 10;

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

function summary(samples: number[]): string {
  const s = [...samples].sort((a, b) => a - b);
  const f = (v: number) => v.toFixed(2).padStart(7);
  return `p50 ${f(percentile(s, 50))} ms   p99 ${f(percentile(s, 99))} ms   (n=${s.length})`;
}

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
}

/**
 * Counts the DynamoDB calls the handlers make, by command: a middleware on the runtime's real DynamoDB client
 * (every store of the runtime shares it), not an assumption about the code path.
 */
function countDynamoCalls(h: FunctionsHarness): { calls: Record<string, number>; ms: Record<string, number>; reset: () => void } {
  const calls: Record<string, number> = {};
  const ms: Record<string, number> = {};
  const doc = (h.rt.idempotency as DynamoIdempotencyStore).docClient;
  doc.middlewareStack.add(
    (next, context) => async (args) => {
      const name = String(context.commandName ?? 'unknown').replace(/Command$/, '');
      calls[name] = (calls[name] ?? 0) + 1;
      return next(args);
    },
    { step: 'finalizeRequest', name: 'benchDynamoCallCounter' },
  );
  // The time of each call from the document client's first step (marshalling) to its result.
  doc.middlewareStack.add(
    (next, context) => async (args) => {
      const name = String(context.commandName ?? 'unknown').replace(/Command$/, '');
      const t0 = performance.now();
      try {
        return await next(args);
      } finally {
        ms[name] = (ms[name] ?? 0) + performance.now() - t0;
      }
    },
    { step: 'initialize', priority: 'high', name: 'benchDynamoCallTimer' },
  );
  const reset = () => [calls, ms].forEach((m) => Object.keys(m).forEach((k) => delete m[k]));
  return { calls, ms, reset };
}

/**
 * Counts the OpenD requests the handlers send, by protocol: a pass-through wrapper on the real client's
 * `request` (every connection of the process, so also one the runtime opens meanwhile), removed after the rows.
 */
function countOpenDRequests(): { calls: Record<string, number>; ms: Record<string, number>; reset: () => void; remove: () => void } {
  const calls: Record<string, number> = {};
  const ms: Record<string, number> = {};
  const proto = OpenDClient.prototype;
  const original = proto.request;
  proto.request = function (this: OpenDClient, ...args: Parameters<OpenDClient['request']>) {
    const name = protocolName(args[0]);
    calls[name] = (calls[name] ?? 0) + 1;
    const t0 = performance.now();
    const reply = original.apply(this, args);
    const done = () => void (ms[name] = (ms[name] ?? 0) + performance.now() - t0);
    reply.then(done, done);
    return reply;
  } as OpenDClient['request'];
  const reset = () => [calls, ms].forEach((m) => Object.keys(m).forEach((k) => delete m[k]));
  return { calls, ms, reset, remove: () => void (proto.request = original) };
}

/**
 * What one placement path cost: per-order latency, DynamoDB calls and OpenD requests of the sampled orders, and
 * per order the time inside each kind of call (`stages`, one sample per order; an OpenD request that runs in
 * parallel with a DynamoDB call is counted in both).
 */
interface OrderRun {
  samples: number[];
  calls: Record<string, number>;
  openD: Record<string, number>;
  stages: Record<string, number[]>;
}

/**
 * Orders on the placement transaction (accounts `txAccounts`) and on the sequential path (accounts
 * `seqAccounts`; a limiter the transaction cannot join, a plain wrapper, makes the handler write the record,
 * then read and write the bucket, as before), interleaved one by one so that both see the same machine load.
 */
async function benchPlaceOrder(h: FunctionsHarness, txAccounts: string[], seqAccounts: string[]): Promise<{ tx: OrderRun; seq: OrderRun }> {
  const tx: OrderRun = { samples: [], calls: {}, openD: {}, stages: {} };
  const seq: OrderRun = { samples: [], calls: {}, openD: {}, stages: {} };
  const price = stepTicks('HK', h.sim.market.top('HK.00700')!.bid, -30);
  const counter = countDynamoCalls(h);
  const requests = countOpenDRequests();
  const txLimiter = h.rt.limiter;
  const sequential: RateLimiter = { acquire: (bucket, rule) => txLimiter.acquire(bucket, rule) };
  let n = 0;
  try {
    for (let round = 0; round < ORDERS_PER_ACCOUNT; round++) {
      for (let i = 0; i < txAccounts.length; i++) {
        const pair = [[tx, txAccounts[i], txLimiter] as const, [seq, seqAccounts[i], sequential] as const];
        // Which path goes first alternates, so neither always follows the other's DynamoDB writes.
        for (const [run, accId, limiter] of i % 2 === 0 ? pair : pair.reverse()) {
          if (accId === undefined) continue;
          n++;
          // Futu's 20 ms gap per account on the simulator's virtual clock (untimed); accounts rotate, so the
          // wall-clock gap of our limiter is always met.
          h.sim.advance(50);
          h.rt.limiter = limiter;
          counter.reset();
          requests.reset();
          const body = { clientOrderId: `bench-${n}`, code: 'HK.00700', side: 'BUY', qty: 100, price };
          let status = 0;
          const ms = await timed(async () => {
            status = (await h.http('POST', `/v1/accounts/${accId}/orders`, { body })).status;
          });
          if (status !== 201) throw new Error(`order ${n} on ${accId} answered ${status}`);
          if (round === 0 && i < WARMUP) continue;
          run.samples.push(ms);
          for (const [k, v] of Object.entries(counter.calls)) run.calls[k] = (run.calls[k] ?? 0) + v;
          for (const [k, v] of Object.entries(requests.calls)) run.openD[k] = (run.openD[k] ?? 0) + v;
          let inCalls = 0;
          for (const [k, v] of Object.entries(counter.ms)) {
            (run.stages[`DynamoDB ${k}`] ??= []).push(v);
            inCalls += v;
          }
          for (const [k, v] of Object.entries(requests.ms)) {
            (run.stages[`OpenD ${k}`] ??= []).push(v);
            if (k === 'Trd_PlaceOrder') inCalls += v;
          }
          (run.stages['rest (handler, HTTP event, waits between calls)'] ??= []).push(ms - inCalls);
        }
      }
    }
  } finally {
    requests.remove();
    h.rt.limiter = txLimiter;
    // Removed, so the rows below are not counted.
    (h.rt.idempotency as DynamoIdempotencyStore).docClient.middlewareStack.remove('benchDynamoCallCounter');
    (h.rt.idempotency as DynamoIdempotencyStore).docClient.middlewareStack.remove('benchDynamoCallTimer');
  }
  return { tx, seq };
}

function perOrder(run: OrderRun, counts: Record<string, number>): string {
  const per = (v: number) => (v / run.samples.length).toFixed(2);
  const total = Object.values(counts).reduce((a, b) => a + b, 0);
  const by = Object.entries(counts).sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => `${k} ${per(v)}`).join(', ');
  return `${per(total)} (${by})`;
}

/** Whether the placement rows are measured on a second pass (BENCH_WARM_PASS=0: on the first, as before). */
const WARM_PASS = process.env['BENCH_WARM_PASS'] !== '0';
/** Accounts of the placement rows, and of the warm-up pass before them (the same orders on other accounts). */
const PLACEMENT_ACCOUNTS = (ORDER_ACCOUNTS + SEQUENTIAL_ACCOUNTS) * 2;

/**
 * The placement rows. DynamoDB Local is a JVM started fresh for each run, and its first thousand or so
 * requests run before its JIT has compiled the transaction path (orders 1–500 measured 2–3× the p50 of orders
 * 500–1,500 in one run), which AWS's DynamoDB does not have; so by default the same rows first run once,
 * unmeasured, on other accounts, and the figures come from the second pass. The request shape, the stores and
 * the simulator are the same in both passes.
 */
async function placementRows(h: FunctionsHarness, accounts: { accID: bigint }[]): Promise<{ tx: OrderRun; seq: OrderRun }> {
  const ids = accounts.map((a) => a.accID.toString());
  const half = ORDER_ACCOUNTS + SEQUENTIAL_ACCOUNTS;
  const pass = (from: number) => benchPlaceOrder(h, ids.slice(from, from + ORDER_ACCOUNTS), ids.slice(from + ORDER_ACCOUNTS, from + half));
  if (WARM_PASS) await pass(half);
  return pass(0);
}

function callsLine(run: OrderRun): string {
  return `DynamoDB calls per order ${perOrder(run, run.calls)}; OpenD requests per order ${perOrder(run, run.openD)}`;
}

async function benchSnapshot(h: FunctionsHarness): Promise<number[]> {
  const samples: number[] = [];
  for (let i = 0; i < SNAPSHOTS + WARMUP; i++) {
    // The simulator allows 60 snapshots per 30 s of its virtual time (untimed).
    h.sim.advance(600);
    let status = 0;
    const ms = await timed(async () => {
      status = (await h.http('GET', '/v1/quotes?codes=HK.00700,US.AAPL')).status;
    });
    if (status !== 200) throw new Error(`snapshot ${i} answered ${status}`);
    if (i >= WARMUP) samples.push(ms);
  }
  return samples;
}

async function baselines(h: FunctionsHarness) {
  const s = await h.rt.openD.get();
  const keepAlive: number[] = [];
  const snapshot: number[] = [];
  const getItem: number[] = [];
  for (let i = 0; i < BASELINE_ROUNDS + WARMUP; i++) {
    const k = await timed(() => s.client.request(PROTO_ID.KeepAlive, { time: BigInt(Math.floor(Date.now() / 1000)) }));
    h.sim.advance(600);
    const q = await timed(() => s.quotes.snapshot(['HK.00700', 'US.AAPL']));
    const g = await timed(() => h.dynamo.send(new GetItemCommand({ TableName: h.tables.rateLimits, Key: { bucket: { S: 'PlaceOrder#none' } }, ConsistentRead: true })));
    if (i >= WARMUP) {
      keepAlive.push(k);
      snapshot.push(q);
      getItem.push(g);
    }
  }
  return { keepAlive, snapshot, getItem };
}

interface LoadResult {
  ok: number[];
  refused: number;
  other: number;
  sources: Record<string, number>;
  seconds: number;
}

/** `CALLERS` callers, each sending its next request as soon as the last is answered, for `LOAD_SECONDS`. */
async function load(h: FunctionsHarness, url: string, call: () => Promise<{ status: number; body: any }> = () => h.http('GET', url)): Promise<LoadResult> {
  const r: LoadResult = { ok: [], refused: 0, other: 0, sources: {}, seconds: 0 };
  const t0 = performance.now();
  const end = t0 + LOAD_SECONDS * 1000;
  await Promise.all(
    Array.from({ length: CALLERS }, async () => {
      while (performance.now() < end) {
        const s = performance.now();
        const reply = await call();
        const ms = performance.now() - s;
        if (reply.status === 200) {
          r.ok.push(ms);
          for (const q of reply.body.quotes as { source: string }[]) r.sources[q.source] = (r.sources[q.source] ?? 0) + 1;
        } else if (reply.status === 429) r.refused++;
        else r.other++;
      }
    }),
  );
  r.seconds = (performance.now() - t0) / 1000;
  return r;
}

/** A relay keeping HK.00700 and US.AAPL in the latest-quote store, then both paths under the real Snapshot limit. */
async function benchStore(h: FunctionsHarness): Promise<{ store: LoadResult; snapshot: LoadResult; bare: LoadResult }> {
  await h.freshTables(); // a fresh Snapshot window: the runs above used the raised rule
  h.sim.advance(31_000); // and the simulator's own Snapshot window (virtual time) past the baselines' requests
  const bus = await startLocalEventBridge();
  const relay = new Relay({
    ...testRelayOptions({ host: h.sim.host, port: h.sim.port, rsaPrivateKey: h.rsaKeyPem, clientId: 'bench-relay' }, bus.endpoint),
    subscriptions: [{ codes: ['HK.00700', 'US.AAPL'], types: ['BASIC'] }],
    latestQuotes: { tableName: h.tables.latestQuotes },
  });
  try {
    await relay.start();
    const deadline = Date.now() + 60_000;
    for (;;) {
      h.sim.advance(1_000);
      const probe = await h.http('GET', '/v1/quotes?codes=HK.00700,US.AAPL');
      const stored = probe.status === 200 && (probe.body.quotes as { source: string }[]).every((q) => q.source === 'store');
      if (stored) break;
      if (Date.now() > deadline) throw new Error(`the store did not serve both codes within 60 s (last answer ${probe.status}; heartbeat key ${HEARTBEAT_KEY})`);
      await new Promise((r) => setTimeout(r, 200));
    }
    const store = await load(h, '/v1/quotes?codes=HK.00700,US.AAPL');
    // The same store read without the handler: what DynamoDB Local alone costs under this load.
    const reader = new LatestQuoteStore(DynamoDBDocumentClient.from(h.dynamo), h.tables.latestQuotes);
    const bare = await load(h, '', async () => {
      const r = await reader.read(['HK.00700', 'US.AAPL']);
      return { status: 200, body: { quotes: [...r.rows.values()].map(() => ({ source: 'store' })) } };
    });
    // Codes the relay does not subscribe: every request needs Snapshot, under Futu's 60 per 30 s (less our margin).
    const snapshot = await load(h, '/v1/quotes?codes=HK.09988,US.MSFT');
    return { store, snapshot, bare };
  } finally {
    await relay.stop({ drainTimeoutMs: 2_000 });
    await bus.close();
  }
}

function loadLine(r: LoadResult): string {
  return `${(r.ok.length / r.seconds).toFixed(1).padStart(8)} requests/s answered   ${summary(r.ok)}   429: ${r.refused}   other: ${r.other}   sources ${JSON.stringify(r.sources)}`;
}

/** `BENCH_ONLY=store`: only the latest-quote store rows (the store against the Snapshot path). */
async function storeOnly(): Promise<void> {
  const h = await startFunctionsHarness();
  try {
    printStore(await benchStore(h));
  } finally {
    await h.stop();
  }
}

function printStore(stored: { store: LoadResult; snapshot: LoadResult; bare: LoadResult }): void {
  console.log(`GET /v1/quotes (subscribed, store)      ${loadLine(stored.store)}`);
  console.log(`GET /v1/quotes (Snapshot path)         ${loadLine(stored.snapshot)}`);
  console.log(`  baseline: the store's BatchGetItem alone ${loadLine(stored.bare)}`);
  const ratio = stored.store.ok.length / stored.store.seconds / Math.max(1e-9, stored.snapshot.ok.length / stored.snapshot.seconds);
  console.log(`  ${CALLERS} concurrent callers × ${LOAD_SECONDS} s each, Futu's real Snapshot limit (60 / 30 s per OpenD, less the 10 % margin) in our limiter;`);
  console.log(`  a relay keeps HK.00700 and US.AAPL in the latest-quote store (one BatchGetItem per request). Store / Snapshot answered requests: ${ratio.toFixed(0)}×`);
  console.log(`  (the Snapshot path's ${LOAD_SECONDS} s includes the window's whole burst; sustained, Futu's limit allows it 54 / 30 s = 1.8 requests/s)`);
}

function printPlacement(orders: OrderRun, sequential: OrderRun, base: Awaited<ReturnType<typeof baselines>>): void {
  const getItemP50 = percentile([...base.getItem].sort((a, b) => a - b), 50);
  const p50Ratio = (r: OrderRun) => `${(percentile([...r.samples].sort((a, b) => a - b), 50) / getItemP50).toFixed(1)}× the GetItem p50`;
  console.log(`POST /v1/accounts/{accId}/orders   ${summary(orders.samples)}   ${p50Ratio(orders)}`);
  console.log(`  ${callsLine(orders)}`);
  console.log(`  ${ORDER_ACCOUNTS} paper accounts × ${ORDERS_PER_ACCOUNT} orders, sequential, each a new clientOrderId; Futu's real rule (15 / 30 s per account) in our limiter.`);
  console.log(
    WARM_PASS
      ? '  Measured on the second pass: the same rows ran once before on other accounts, unmeasured (DynamoDB Local\'s JVM warm-up; BENCH_WARM_PASS=0 measures the first).'
      : '  Measured on the first pass, while DynamoDB Local\'s JVM is still warming up (BENCH_WARM_PASS=0).',
  );
  console.log('  Each order: ONE TransactWriteItems (idempotency record + PlaceOrder slot, decided on the bucket state this Lambda last saw,');
  console.log("  which the transaction's condition checks) → PlaceOrder → idempotency complete; OpenD's clock is the connection's reading");
  console.log('  of the last 10 s (read again in parallel with the write when older, or across the market\'s local midnight).');
  console.log(`  same handler, sequential path (record Put, bucket GetItem + Put, complete)   ${summary(sequential.samples)}   ${p50Ratio(sequential)}`);
  console.log(`    ${callsLine(sequential)}   (${SEQUENTIAL_ACCOUNTS} other accounts × ${ORDERS_PER_ACCOUNT} orders, interleaved with the rows above)`);
  const p50 = (r: OrderRun) => percentile([...r.samples].sort((x, y) => x - y), 50);
  const p99 = (r: OrderRun) => percentile([...r.samples].sort((x, y) => x - y), 99);
  console.log(`  transaction / sequential path: p50 ${(p50(orders) / p50(sequential)).toFixed(2)}×, p99 ${(p99(orders) / p99(sequential)).toFixed(2)}×`);
  console.log('  where an order of the transaction row spends its time (p50 of the orders that made the call; GetGlobalState runs beside the write):');
  for (const [stage, v] of Object.entries(orders.stages)) {
    const sorted = [...v].sort((a, b) => a - b);
    console.log(`    ${stage.padEnd(50)} p50 ${percentile(sorted, 50).toFixed(2).padStart(6)} ms   (${v.length} of ${orders.samples.length} orders)`);
  }
}

/** `BENCH_ONLY=placement`: only the placement rows, then the OpenD and DynamoDB baselines, with the load average. */
async function placementOnly(): Promise<void> {
  const extra = extraHkAccounts(PLACEMENT_ACCOUNTS);
  const h = await startFunctionsHarness({ simulator: { accounts: [...RICH_ACCOUNTS, ...extra] } });
  try {
    const load0 = loadavg();
    const placed = await placementRows(h, extra);
    const base = await baselines(h);
    const load1 = loadavg();
    console.log('bench:functions (placement) — the orders handler end to end: API Gateway v2 event → middy → DynamoDB Local + simulator (RSA/AES TCP, loopback)');
    console.log(`load average ${load0.map((l) => l.toFixed(2)).join(' ')} before, ${load1.map((l) => l.toFixed(2)).join(' ')} after\n`);
    printPlacement(placed.tx, placed.seq, base);
    console.log('\nbaselines (same process, same connections):');
    console.log(`  OpenD KeepAlive round trip (encrypted)   ${summary(base.keepAlive)}`);
    console.log(`  DynamoDB GetItem (consistent read)      ${summary(base.getItem)}`);
  } finally {
    await h.stop();
  }
}

async function main(): Promise<void> {
  if (process.env['BENCH_ONLY'] === 'store') return storeOnly();
  if (process.env['BENCH_ONLY'] === 'placement') return placementOnly();
  if (process.env['BENCH_ONLY'] === 'cold') return coldOnly(() => startFunctionsHarness(), RICH_ACCOUNTS[0]!.accID.toString());
  const extra = extraHkAccounts(PLACEMENT_ACCOUNTS);
  const h = await startFunctionsHarness({ simulator: { accounts: [...RICH_ACCOUNTS, ...extra] } });
  try {
    const placed = await placementRows(h, extra);
    const orders = placed.tx;
    const sequential = placed.seq;

    // Snapshot: our limiter allows 60 per 30 s for the whole OpenD login; for this many requests its rule is
    // raised (same DynamoDB read-decide-write per request, only the limit differs).
    const real = h.rt.limiter;
    const generous: RateLimiter = { acquire: (bucket, rule) => real.acquire(bucket, bucket.startsWith('Snapshot#') ? { ...rule, limit: 1_000_000 } : rule) };
    h.rt.limiter = generous;
    const snapshots = await benchSnapshot(h);
    h.rt.limiter = real;

    const base = await baselines(h);
    const stored = await benchStore(h);
    const cold = await coldStarts(h, RICH_ACCOUNTS[0]!.accID.toString());

    console.log('bench:functions — handlers end to end: API Gateway v2 event → middy → DynamoDB Local + simulator (RSA/AES TCP, loopback)');
    console.log('The simulator, DynamoDB Local client and handlers share this process; DynamoDB Local is a local Java process.\n');
    printPlacement(orders, sequential, base);
    console.log(`GET /v1/quotes?codes=HK.00700,US.AAPL   ${summary(snapshots)}`);
    console.log(`  ${SNAPSHOTS} sequential requests; limiter rule raised from 60 to 1,000,000 per 30 s for this run (one DynamoDB read + conditional write each).`);
    console.log('');
    printStore(stored);
    console.log('\nbaselines (same process, same connections):');
    console.log(`  OpenD KeepAlive round trip (encrypted)   ${summary(base.keepAlive)}`);
    console.log(`  OpenD Snapshot request, no handler      ${summary(base.snapshot)}`);
    console.log(`  DynamoDB GetItem (consistent read)      ${summary(base.getItem)}`);
    printColdStarts(cold);
  } finally {
    await h.stop();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
