// npm run bench:relay — pushes/s sustained from the simulator through the relay to a local PutEvents
// endpoint, events per PutEvents call, and push-to-PutEvents latency at a fixed rate. Baseline in the same
// process: the endpoint's own capacity with 10-entry PutEvents calls made directly (no OpenD, no relay).
// Cost rows: at the fixed rate, the events a day and EventBridge's bill a day ($1.00 per million custom events)
// without a publish policy and with the default one (a second relay on the same pushes), per security and
// scaled to 100 securities, around the clock and for one 6.5 h US session.
import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { startLocalEventBridge } from '../../bin/local/eventbridge-local.js';
import { Relay } from '../../gateway-container/relay/relay.js';
import { DEFAULT_PUBLISH_POLICY } from '../../gateway-container/publish-policy-schema.js';
import { startSimulator } from '../../gateway-container/simulator/index.js';
import { generateRsaKeyPem } from '../../proto/crypto.js';
import { silentLogger } from '../../proto/log.js';
import { localEventBridgeClient } from '../support/local-aws.js';
import { sleep } from '../../proto/timers.js';

const KEY = generateRsaKeyPem();
const CODES = ['HK.00700', 'HK.09988', 'HK.03690', 'HK.00005', 'HK.00939', 'HK.02800', 'US.AAPL', 'US.MSFT', 'US.TSLA', 'US.SPY', 'SH.600519', 'SZ.000001'];

async function baseline(endpoint: string, seconds: number): Promise<number> {
  const client = localEventBridgeClient(endpoint);
  const entries = Array.from({ length: 10 }, (_, i) => ({ EventBusName: 'bench', Source: 'opend', DetailType: 'Quote', Detail: JSON.stringify({ security: 'HK.00700', price: 380 + i, gatewayTime: new Date().toISOString() }) }));
  let sent = 0;
  const end = Date.now() + seconds * 1000;
  const worker = async () => {
    while (Date.now() < end) {
      await client.send(new PutEventsCommand({ Entries: entries }));
      sent += 10;
    }
  };
  await Promise.all([worker(), worker(), worker(), worker()]);
  return sent / seconds;
}

async function main(): Promise<void> {
  const bus = await startLocalEventBridge({ maxStoredEvents: 1000 });
  const sim = await startSimulator({ port: 0, clock: { manual: true }, rsaPrivateKey: KEY, seed: 11 });
  const relay = new Relay({
    openD: { host: sim.host, port: sim.port, rsaPrivateKey: KEY },
    subscriptions: [{ codes: CODES, types: ['BASIC', 'TICKER'] }],
    eventBridge: localEventBridgeClient(bus.endpoint),
    eventBusName: 'bench',
    logger: silentLogger,
    publisher: { lingerMs: 10, highWaterMark: 1_000_000, maxQueued: 2_000_000 },
  });
  // The same subscriptions and pushes through the default publish policy, for the cost rows.
  const relayPolicy = new Relay({
    openD: { host: sim.host, port: sim.port, rsaPrivateKey: KEY, clientId: 'bench-policy' },
    subscriptions: [{ codes: CODES, types: ['BASIC', 'TICKER'] }],
    eventBridge: localEventBridgeClient(bus.endpoint),
    eventBusName: 'bench',
    logger: silentLogger,
    publisher: { lingerMs: 10, highWaterMark: 1_000_000, maxQueued: 2_000_000 },
    publishPolicy: DEFAULT_PUBLISH_POLICY,
  });
  await relay.start();
  await relayPolicy.start();
  for (let i = 0; i < 400 && !(relay.health().ready && relayPolicy.health().ready); i++) await sleep(25);

  const base = await baseline(bus.endpoint, 3);

  // Saturation: drive the market as fast as the relay keeps up (bounded by a backlog of 2,000 events).
  const satSeconds = 5;
  const out0 = relay.publisher.metrics.eventsOut;
  const in0 = relay.metrics.pushesIn;
  const calls0 = bus.calls.length;
  const satEnd = Date.now() + satSeconds * 1000;
  while (Date.now() < satEnd) {
    if (relay.publisher.metrics.queueDepth < 2000) sim.advance(1000);
    await sleep(1);
  }
  await relay.flush(30_000);
  const satElapsed = satSeconds + 0; // events published after the window are included by flush; rate uses the window
  const published = relay.publisher.metrics.eventsOut - out0;
  const pushes = relay.metrics.pushesIn - in0;
  const calls = bus.calls.length - calls0;

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

  console.log('bench:relay — simulator → relay → local PutEvents endpoint (loopback, real EventBridge client)\n');
  console.log(`baseline: direct PutEvents, 10 entries/call, 4 concurrent      ${Math.round(base).toString().padStart(8)} events/s`);
  console.log(`relay saturated: pushes in                                     ${Math.round(pushes / satElapsed).toString().padStart(8)} pushes/s`);
  console.log(`relay saturated: events out                                    ${Math.round(published / satElapsed).toString().padStart(8)} events/s  (${((published / satElapsed / base) * 100).toFixed(0)} % of baseline)`);
  console.log(`events per PutEvents call (saturated)                          ${(published / Math.max(1, calls)).toFixed(2).padStart(8)}`);
  console.log(`fixed rate: ${steps} steps at ${1000 / stepEvery}/s → ${fixedEvents} events (${Math.round(fixedEvents / 5)} events/s)`);
  console.log(`fixed rate: push-to-PutEvents latency over ${lat.count} events: p50 ${lat.p50} ms, p99 ${lat.p99} ms`);
  console.log(`dropped ${relay.publisher.metrics.dropped}, coalesced ${relay.publisher.metrics.coalesced}, retries ${relay.publisher.metrics.retries}`);
  console.log('');
  console.log(`EventBridge cost at the fixed rate (${CODES.length} securities × BASIC + TICKER; $1.00 per million events):`);
  console.log('                                    events/s   events/day (24 h)    $/day (24 h)   $/day (6.5 h session)');
  const row = (label: string, perSec: number) => {
    const day = perSec * 86_400;
    const session = perSec * 23_400;
    console.log(`${label.padEnd(34)}${perSec.toFixed(1).padStart(10)}${Math.round(day).toLocaleString('en-US').padStart(21)}${('$' + (day / 1e6).toFixed(2)).padStart(16)}${('$' + (session / 1e6).toFixed(2)).padStart(24)}`);
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
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
