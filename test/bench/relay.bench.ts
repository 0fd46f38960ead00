// npm run bench:relay — how fast the relay turns OpenD pushes into PutEvents calls, each figure beside baselines
// measured in the same run:
// - the relay's own capacity: pushes replayed over TCP (frames the simulator sent, recorded by a proxy and
//   written again as fast as the relay takes them; support/push-replay.ts) into a relay whose EventBridge client
//   answers PutEvents in this process (support/in-process-eventbridge.ts: the endpoint removed, not the relay
//   mocked), against direct 10-entry PutEvents calls through the same client, made three ways
//   (support/relay-drive.ts DirectKind): `client.send` with entries the SDK serializes (what any caller of the AWS
//   SDK does), `client.send` with a prepared body (the SDK's whole stack per call), and the relay's own call path
//   with a prepared body (put-events-call.ts: the relay's path without its per-push work, the most the client can
//   do). A ratio is printed against the better of the two `client.send` baselines (direct PutEvents through the
//   SDK, the baseline the relay target is read against) and against the relay's own call path (the share of the
//   relay's per-push work);
// - how many PutEvents calls in flight it takes to carry market data when each call takes as long as a remote
//   endpoint's round trip (the in-process answer held 25 ms): the relay saturated at several publisher.maxInFlight;
// - the same against the local EventBridge endpoint (bin/local/eventbridge-local.ts, loopback HTTP), in this
//   process and in a process of its own, against the same three direct baselines with the relay's call concurrency;
// - push-to-PutEvents latency (publish → accepted) at a steady 5,000 pushes/s against the local endpoint.
// The relay and its baselines run as interleaved rounds (BENCH_ROUNDS, default 5, of BENCH_SECONDS, default 1.5 s;
// the order reverses every other round) and are read as medians, so a change of the machine's load during the run
// shifts all of them alike. CPU time per push is printed too: the machine may be shared, and µs of CPU per push is
// what a figure means on one free core (1e6 / µs per push).
// Cost rows (EventBridge's bill): at a fixed simulator rate, the events a day and EventBridge's bill a day
// ($1.00 per million custom events) without a publish policy and with the default one (a second relay on the
// same pushes), per security and scaled to 100 securities, around the clock and for one 6.5 h US session.
import { availableParallelism, loadavg } from 'node:os';
import { startLocalEventBridge } from '../../bin/local/eventbridge-local.js';
import { DEFAULT_MAX_IN_FLIGHT, relayEventBridgeClient } from '../../gateway-container/relay/publisher.js';
import { Relay, type RelayOptions } from '../../gateway-container/relay/relay.js';
import { DEFAULT_PUBLISH_POLICY } from '../../gateway-container/publish-policy-schema.js';
import { startSimulator, type Simulator } from '../../gateway-container/simulator/index.js';
import { generateRsaKeyPem } from '../../proto/crypto.js';
import { silentLogger } from '../../proto/log.js';
import { LOCAL_AWS } from '../support/local-aws.js';
import { sleep } from '../../proto/timers.js';
import { inProcessPutEvents } from './support/in-process-eventbridge.js';
import { startPushReplayProxy, type PushReplayProxy } from './support/push-replay.js';
import { DIRECT_KINDS, directPutEvents, interleavedRounds, median, perSecond, saturate, steady, type DirectKind, type Rounds, type Window } from './support/relay-drive.js';
import { startChildEventBridge } from './support/eventbridge-child.js';

const KEY = generateRsaKeyPem();
const CODES = ['HK.00700', 'HK.09988', 'HK.03690', 'HK.00005', 'HK.00939', 'HK.02800', 'US.AAPL', 'US.MSFT', 'US.TSLA', 'US.SPY', 'SH.600519', 'SZ.000001'];
/** The relay's default concurrent PutEvents calls; the direct baselines use as many. */
const IN_FLIGHT = DEFAULT_MAX_IN_FLIGHT;
/** The in-flight sweep: a remote PutEvents round trip of this long, and the concurrencies tried. */
const REMOTE_MS = 25;
const SWEEP = [4, 8, 16, 32, 64];
/** Interleaved rounds (relay, and both direct baselines) and each round's window in seconds. */
const ROUNDS = Number(process.env['BENCH_ROUNDS'] ?? 5);
const ROUND_S = Number(process.env['BENCH_SECONDS'] ?? 1.5);
/** The steady-rate windows. */
const STEADY_S = 5;
const STEADY_RATE = 5_000;

const num = (n: number) => Math.round(n).toLocaleString('en-US').padStart(9);
const usPer = (w: Window, n: number) => (n > 0 ? `${(w.cpuUs / n).toFixed(1)} µs CPU each` : '');

function relayOptions(sim: { host: string; port: number }, eventBridge: RelayOptions['eventBridge'], extra: Partial<RelayOptions> = {}, inFlight = IN_FLIGHT): RelayOptions {
  return {
    openD: { host: sim.host, port: sim.port, rsaPrivateKey: KEY },
    subscriptions: [{ codes: CODES, types: ['BASIC', 'TICKER'] }],
    eventBridge,
    eventBusName: 'bench',
    logger: silentLogger,
    // Queue bounds out of the way: the benchmark bounds the backlog itself, nothing may be coalesced or dropped.
    publisher: { highWaterMark: 1_000_000, maxQueued: 2_000_000, maxInFlight: inFlight },
    ...extra,
  };
}

async function ready(...relays: Relay[]): Promise<void> {
  for (let i = 0; i < 2_000 && !relays.every((r) => r.health().ready); i++) await sleep(25);
  if (!relays.every((r) => r.health().ready)) throw new Error('a relay did not become ready within 50 s');
}

/** A relay behind a replay proxy, with a recording of the pushes of 20 market steps. */
async function replayedRelay(sim: Simulator, eventBridge: RelayOptions['eventBridge'], inFlight = IN_FLIGHT): Promise<{ relay: Relay; proxy: PushReplayProxy }> {
  const proxy = await startPushReplayProxy({ host: sim.host, port: sim.port });
  const relay = new Relay(relayOptions(proxy, eventBridge, {}, inFlight));
  await relay.start();
  await ready(relay);
  for (let i = 0; i < 20; i++) sim.advance(1000);
  await relay.flush(30_000);
  proxy.stopRecording();
  if (proxy.recorded < 100) throw new Error(`only ${proxy.recorded} pushes recorded`);
  return { relay, proxy };
}

const DIRECT_LABELS: Record<DirectKind, string> = {
  sdk: 'direct PutEvents, client.send, SDK-serialized entries',
  sdkPrepared: 'direct PutEvents, client.send, one prepared body',
  relayCall: "direct PutEvents, the relay's call, one prepared body",
};

/**
 * Prints the rows of interleaved rounds: the direct baselines, the relay, and the relay's events/s against the better
 * `client.send` baseline (the target's) and against the relay's own call path. Returns those medians.
 */
function printRounds(line: (s?: string) => void, r: Rounds): { sdkBase: number; callBase: number; relay: number } {
  const rate = (w: Window) => perSecond(w.events, w);
  const pushRate = (w: Window) => perSecond(w.pushes, w);
  const cpu = (ws: Window[], n: (w: Window) => number) => `${median(ws, (w) => w.cpuUs / Math.max(1, n(w))).median.toFixed(1)} µs CPU each`;
  const range = (m: { min: number; max: number }) => `[${num(m.min).trim()}–${num(m.max).trim()}]`.padEnd(17);
  const direct = {} as Record<DirectKind, number>;
  for (const kind of DIRECT_KINDS) {
    const m = median(r[kind], rate);
    direct[kind] = m.median;
    line(`  ${DIRECT_LABELS[kind].padEnd(56)}${num(m.median)} events/s ${range(m)} ${cpu(r[kind], (w) => w.events)}`);
  }
  const relayPushes = median(r.relay, pushRate);
  const relayEvents = median(r.relay, rate).median;
  const sdkBase = Math.max(direct.sdk, direct.sdkPrepared);
  const pct = (b: number) => `${((relayEvents / b) * 100).toFixed(0)} %`;
  line(`  ${'relay saturated: pushes decoded'.padEnd(56)}${num(relayPushes.median)} pushes/s ${range(relayPushes)} ${cpu(r.relay, (w) => w.pushes)}`);
  line(`  ${'relay saturated: events accepted'.padEnd(56)}${num(relayEvents)} events/s`);
  line(`    = ${pct(sdkBase)} of direct PutEvents through client.send (the better of its two medians), ${pct(direct.relayCall)} of the relay's own call without its per-push work`);
  line(`    of which the replay proxy's writes (the load source, this process) ${median(r.relay, (w) => (w.replayCpuUs ?? 0) / Math.max(1, w.pushes)).median.toFixed(2).padStart(9)} µs CPU per push`);
  const calls = r.relay.reduce((n, w) => n + (w.calls ?? 0), 0);
  line(`  events per PutEvents call (relay)                       ${(r.relay.reduce((n, w) => n + w.events, 0) / Math.max(1, calls)).toFixed(2).padStart(9)}`);
  return { sdkBase, callBase: direct.relayCall, relay: relayEvents };
}

/** One call of each direct kind first: the JIT, the SDK's lazy parts, the relay call's first (recording) call. */
async function warmUp(client: Parameters<typeof directPutEvents>[0]): Promise<void> {
  for (const kind of DIRECT_KINDS) await directPutEvents(client, IN_FLIGHT, 1, kind);
}

/** Section 2: the relay and the direct baselines against a local endpoint (`where` it runs, for the heading). */
async function localEndpoint(sim: Simulator, line: (s?: string) => void, where: string, endpoint: string): Promise<void> {
  const localClient = relayEventBridgeClient({ ...LOCAL_AWS, endpoint });
  await warmUp(localClient);
  const b = await replayedRelay(sim, relayEventBridgeClient({ ...LOCAL_AWS, endpoint }));
  await saturate(b.relay, b.proxy, 1);
  await b.relay.flush(30_000);
  const rounds = await interleavedRounds(localClient, IN_FLIGHT, b.relay, b.proxy, ROUNDS, ROUND_S);
  const localSteady = await steady(b.relay, b.proxy, STEADY_RATE, STEADY_S);
  const m = b.relay.publisher.metrics;
  await b.relay.stop();
  await b.proxy.close();
  line(`local EventBridge endpoint (bin/local/eventbridge-local.ts, loopback HTTP, ${where}); ${ROUNDS} interleaved rounds of ${ROUND_S} s, medians [lowest–highest], 10 entries per direct call, ${IN_FLIGHT} in flight`);
  const r = printRounds(line, rounds);
  line(`  steady ${STEADY_RATE.toLocaleString('en-US')} pushes/s (${num(perSecond(localSteady.pushes, localSteady)).trim()} reached): push-to-PutEvents latency p50 ${localSteady.p50} ms, p99 ${localSteady.p99} ms over ${localSteady.latencyCount} events`);
  if (Math.max(r.sdkBase, r.callBase) < STEADY_RATE) line(`  (the endpoint's own baseline is below ${STEADY_RATE.toLocaleString('en-US')} events/s in this run: the steady row's latency is its queue)`);
  line(`  dropped ${m.dropped}, coalesced ${m.coalesced}, retries ${m.retries}`);
  line();
}

async function main(): Promise<void> {
  const loadBefore = loadavg();
  const sim = await startSimulator({ port: 0, clock: { manual: true }, rsaPrivateKey: KEY, seed: 11 });
  const bus = await startLocalEventBridge({ maxStoredEvents: 1000 });
  const out: string[] = [];
  const line = (s = '') => {
    out.push(s);
    console.log(s);
  };
  line('bench:relay — OpenD pushes → relay → PutEvents (real EventBridge client; ratios against a baseline of this run)');
  line();

  // 1. The relay's own capacity: the endpoint removed.
  const inProcess = inProcessPutEvents();
  const ipClient = relayEventBridgeClient(inProcess.config);
  await warmUp(ipClient);
  const a = await replayedRelay(sim, relayEventBridgeClient(inProcess.config));
  await saturate(a.relay, a.proxy, 1); // warm-up
  await a.relay.flush(30_000);
  const ipRounds = await interleavedRounds(ipClient, IN_FLIGHT, a.relay, a.proxy, ROUNDS, ROUND_S);
  const ipSteady = await steady(a.relay, a.proxy, STEADY_RATE, STEADY_S);
  await a.relay.stop();
  await a.proxy.close();
  line(`PutEvents answered in process (the endpoint removed: real client, serialized and signed, no network); ${ROUNDS} interleaved rounds of ${ROUND_S} s, medians [lowest–highest], 10 entries per direct call, ${IN_FLIGHT} in flight`);
  printRounds(line, ipRounds);
  const usPush = median(ipRounds.relay, (w) => w.cpuUs / Math.max(1, w.pushes)).median;
  line(`  relay capacity on one free core (1e6 / median µs per push) ${num(1e6 / usPush)} pushes/s`);
  line(`  steady ${STEADY_RATE.toLocaleString('en-US')} pushes/s: push-to-PutEvents latency p50 ${ipSteady.p50} ms, p99 ${ipSteady.p99} ms over ${ipSteady.latencyCount} events`);
  line();

  // 1b. Calls in flight against a remote round trip: the in-process answer held REMOTE_MS.
  line(`PutEvents answered in process after ${REMOTE_MS} ms (a remote round trip; no CPU while waiting): relay saturated by publisher.maxInFlight`);
  for (const n of SWEEP) {
    const r = await replayedRelay(sim, relayEventBridgeClient(inProcessPutEvents({ answerAfterMs: REMOTE_MS }).config), n);
    await saturate(r.relay, r.proxy, 1);
    const w = await saturate(r.relay, r.proxy, 3);
    await r.relay.stop();
    await r.proxy.close();
    const bound = (n * 10 * 1000) / REMOTE_MS;
    line(`  ${String(n).padStart(2)} in flight${n === IN_FLIGHT ? ' (default)' : '          '}  ${num(perSecond(w.events, w))} events/s   (${n} × 10 entries per ${REMOTE_MS} ms = ${num(bound).trim()}/s)   ${usPer(w, w.pushes)}`);
  }
  line();

  // 2. The local EventBridge endpoint (loopback HTTP): in this process (it shares the relay's thread), then in a
  // process of its own (as EventBridge runs apart from the relay in AWS; the target row).
  await localEndpoint(sim, line, 'same process', bus.endpoint);
  const child = await startChildEventBridge();
  await localEndpoint(sim, line, 'a process of its own', child.endpoint);
  await child.close();

  // 3. Cost rows: the simulator itself drives the market; one relay without and one with the default policy.
  const relay = new Relay(relayOptions(sim, relayEventBridgeClient({ ...LOCAL_AWS, endpoint: bus.endpoint }), { publisher: { lingerMs: 10, highWaterMark: 1_000_000, maxQueued: 2_000_000 } }));
  const relayPolicy = new Relay(
    relayOptions(sim, relayEventBridgeClient({ ...LOCAL_AWS, endpoint: bus.endpoint }), {
      openD: { host: sim.host, port: sim.port, rsaPrivateKey: KEY, clientId: 'bench-policy' },
      publisher: { lingerMs: 10, highWaterMark: 1_000_000, maxQueued: 2_000_000 },
      publishPolicy: DEFAULT_PUBLISH_POLICY,
    }),
  );
  await relay.start();
  await relayPolicy.start();
  await ready(relay, relayPolicy);

  // Fixed rate: one market step per 50 ms = 12 securities × 2 push kinds × 20/s = 480 pushes/s, for 5 s.
  await relayPolicy.flush(30_000);
  const lat0 = relay.publisher.metrics.eventsOut;
  const policy0 = relayPolicy.publisher.metrics.eventsOut;
  relay.publisher.resetLatency();
  const stepEvery = 50;
  const fixedEnd = Date.now() + 5000;
  let steps = 0;
  while (Date.now() < fixedEnd) {
    sim.advance(1000);
    steps++;
    await sleep(stepEvery);
  }
  await relay.flush(30_000);
  const lat = relay.publisher.latencyPercentiles();
  const fixedEvents = relay.publisher.metrics.eventsOut - lat0;
  // Whatever the policy still holds leaves within a second; it belongs to the window.
  await sleep(1_100);
  await relayPolicy.flush(30_000);
  const policyEvents = relayPolicy.publisher.metrics.eventsOut - policy0;

  line(`simulator-driven fixed rate: ${steps} steps at ${1000 / stepEvery}/s → ${fixedEvents} events (${Math.round(fixedEvents / 5)} events/s), latency p50 ${lat.p50} ms, p99 ${lat.p99} ms`);
  line();
  line(`EventBridge cost at the fixed rate (${CODES.length} securities × BASIC + TICKER; $1.00 per million events):`);
  line('                                    events/s   events/day (24 h)    $/day (24 h)   $/day (6.5 h session)');
  const row = (label: string, perSec: number) => {
    const day = perSec * 86_400;
    const session = perSec * 23_400;
    line(`${label.padEnd(34)}${perSec.toFixed(1).padStart(10)}${Math.round(day).toLocaleString('en-US').padStart(21)}${('$' + (day / 1e6).toFixed(2)).padStart(16)}${('$' + (session / 1e6).toFixed(2)).padStart(24)}`);
  };
  const noPolicy = fixedEvents / 5;
  const withPolicy = policyEvents / 5;
  row('no policy', noPolicy);
  row('default policy (1/s per security, type)', withPolicy);
  row('no policy, 100 securities', (noPolicy / CODES.length) * 100);
  row('default policy, 100 securities', (withPolicy / CODES.length) * 100);

  await relay.stop();
  await relayPolicy.stop();
  await sim.close();
  await bus.close();
  const loadAfter = loadavg();
  line();
  line(`load average (1 / 5 / 15 min) before ${loadBefore.map((x) => x.toFixed(2)).join(' / ')}, after ${loadAfter.map((x) => x.toFixed(2)).join(' / ')} on ${availableParallelism()} cores`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
