// Drives a relay through a push-replay proxy for bench:relay: as fast as the relay keeps up (saturation), or at
// a steady rate (latency). Every figure comes from the relay's own counters over the measured window, with the
// process's CPU time so that a figure from a loaded machine can be read as a cost per push too.
import type { PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import { PutEventsCommand, type EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { entryJson, jsonString, preparedPutEventsCommand, putEventsBody } from '../../../gateway-container/relay/put-events-body.js';
import { putEventsCall } from '../../../gateway-container/relay/put-events-call.js';
import type { Relay } from '../../../gateway-container/relay/relay.js';
import { sleep } from '../../../proto/timers.js';
import type { PushReplayProxy } from './push-replay.js';

export interface Window {
  seconds: number;
  pushes: number;
  events: number;
  /** Process CPU time (user + system) in the window, µs. */
  cpuUs: number;
  /** PutEvents calls the relay made in the window (saturate only). */
  calls?: number;
  /** Of cpuUs, the replay proxy's writes (the load source, in this process; saturate only). */
  replayCpuUs?: number;
}

export const perSecond = (n: number, w: Window) => n / w.seconds;

/**
 * Replays pushes as fast as the relay takes them: at most `backlog` frames written but not yet decoded, and no
 * more while the publisher holds `maxQueued` events (so what is measured is what reaches PutEvents).
 */
export async function saturate(relay: Relay, proxy: PushReplayProxy, seconds: number, opts: { backlog?: number; maxQueued?: number } = {}): Promise<Window> {
  const backlog = opts.backlog ?? 2_000;
  const maxQueued = opts.maxQueued ?? 5_000;
  const start = { pushes: relay.metrics.pushesIn, events: relay.publisher.metrics.eventsOut, calls: relay.publisher.metrics.batches, replayed: proxy.replayed, replayCpu: proxy.replayCpuUs, cpu: process.cpuUsage(), t: performance.now() };
  const end = start.t + seconds * 1000;
  while (performance.now() < end) {
    const waiting = proxy.replayed - start.replayed - (relay.metrics.pushesIn - start.pushes);
    if (waiting < backlog / 2 && relay.publisher.metrics.queueDepth < maxQueued) proxy.replay(backlog - waiting);
    await sleep(1);
  }
  const cpu = process.cpuUsage(start.cpu);
  return { seconds: (performance.now() - start.t) / 1000, pushes: relay.metrics.pushesIn - start.pushes, events: relay.publisher.metrics.eventsOut - start.events, cpuUs: cpu.user + cpu.system, calls: relay.publisher.metrics.batches - start.calls, replayCpuUs: proxy.replayCpuUs - start.replayCpu };
}

/** Replays `rate` pushes per second for `seconds` (written every few ms, as OpenD's pushes arrive in bursts), then flushes. */
export async function steady(relay: Relay, proxy: PushReplayProxy, rate: number, seconds: number): Promise<Window & { p50: number; p99: number; latencyCount: number }> {
  await relay.flush(30_000);
  relay.publisher.resetLatency();
  const start = { pushes: relay.metrics.pushesIn, events: relay.publisher.metrics.eventsOut, replayed: proxy.replayed, cpu: process.cpuUsage(), t: performance.now() };
  const end = start.t + seconds * 1000;
  for (let now = performance.now(); now < end; now = performance.now()) {
    const due = Math.floor(((now - start.t) / 1000) * rate) - (proxy.replayed - start.replayed);
    if (due > 0) proxy.replay(due);
    await sleep(2);
  }
  const elapsed = (performance.now() - start.t) / 1000;
  await relay.flush(30_000);
  const cpu = process.cpuUsage(start.cpu);
  const lat = relay.publisher.latencyPercentiles();
  return { seconds: elapsed, pushes: relay.metrics.pushesIn - start.pushes, events: relay.publisher.metrics.eventsOut - start.events, cpuUs: cpu.user + cpu.system, p50: lat.p50, p99: lat.p99, latencyCount: lat.count };
}

/**
 * How a direct baseline makes its calls: 'sdk' hands the SDK the entries to serialize and calls `client.send` (what any
 * caller of the AWS SDK does); 'sdkPrepared' sends one body prepared up front (put-events-body.ts) through
 * `client.send` (the SDK's whole middleware stack on every call: the relay's path before it had a call of its own);
 * 'relayCall' sends that body through the relay's own call path (put-events-call.ts: the client's signer and
 * request handler; its first call goes through client.send), i.e. the relay's path minus the relay's own per-push
 * work: the most this client and endpoint can do.
 */
export type DirectKind = 'sdk' | 'sdkPrepared' | 'relayCall';

/**
 * A baseline: 10-entry PutEvents calls made directly, `concurrency` at a time, for `seconds`, made as `kind` says.
 * A prepared body is joined per call from entries serialized once, as the publisher joins a batch.
 */
export async function directPutEvents(client: EventBridgeClient, concurrency: number, seconds: number, kind: DirectKind = 'sdk'): Promise<Window> {
  const entries: PutEventsRequestEntry[] = Array.from({ length: 10 }, (_, i) => ({
    EventBusName: 'bench',
    Source: 'opend',
    DetailType: 'Quote',
    Time: new Date(),
    Detail: JSON.stringify({ security: 'HK.00700', market: 'HK', code: '00700', name: 'TENCENT', price: 380 + i, open: 379.2, high: 390.4, low: 377, lastClose: 378, volume: 12_345_678, turnover: 4_567_890_123.5, turnoverRate: 0.12, amplitude: 1.23, changeRate: 0.53, isSuspended: false, updateTime: '2026-12-01 10:00:00', updateTimestamp: 1_764_554_400, gatewayTime: new Date().toISOString() }),
  }));
  const prepared = entries.map((e) => entryJson(e.Time!.getTime(), jsonString(e.Source!), jsonString(e.DetailType!), e.Detail!, jsonString(e.EventBusName!)));
  const call = putEventsCall(client);
  const send =
    kind === 'relayCall'
      ? () => call.send(putEventsBody(prepared))
      : kind === 'sdkPrepared'
        ? () => client.send(preparedPutEventsCommand(putEventsBody(prepared)))
        : () => client.send(new PutEventsCommand({ Entries: entries }));
  let sent = 0;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const end = t0 + seconds * 1000;
  const worker = async () => {
    while (performance.now() < end) {
      await send();
      sent += entries.length;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const cpu = process.cpuUsage(cpu0);
  return { seconds: (performance.now() - t0) / 1000, pushes: 0, events: sent, cpuUs: cpu.user + cpu.system };
}

export type Rounds = Record<DirectKind | 'relay', Window[]>;

/** The direct baselines, in the order interleavedRounds runs them. */
export const DIRECT_KINDS: readonly DirectKind[] = ['sdk', 'sdkPrepared', 'relayCall'];

/**
 * The relay and the direct baselines in `rounds` interleaved rounds of `seconds` each (the order reverses every
 * other round), so that a machine whose load changes during the run shifts all of them alike; figures are then read as
 * medians per kind (`median`). The relay is idle between its rounds: nothing is replayed to it.
 */
export async function interleavedRounds(client: EventBridgeClient, concurrency: number, relay: Relay, proxy: PushReplayProxy, rounds: number, seconds: number): Promise<Rounds> {
  const out: Rounds = { sdk: [], sdkPrepared: [], relayCall: [], relay: [] };
  for (let i = 0; i < rounds; i++) {
    const steps: (() => Promise<void>)[] = [
      ...DIRECT_KINDS.map((kind) => async () => void out[kind].push(await directPutEvents(client, concurrency, seconds, kind))),
      async () => {
        // An unmeasured ramp first: the window then starts and ends with the queue as full as saturation keeps it,
        // so the events accepted in it are the relay's rate, not its rate minus a queue filled from empty.
        await saturate(relay, proxy, Math.min(0.5, seconds / 3));
        out.relay.push(await saturate(relay, proxy, seconds));
        await relay.flush(30_000); // idle (nothing queued) while the baselines run
      },
    ];
    if (i % 2 === 1) steps.reverse();
    for (const step of steps) await step();
  }
  return out;
}

/** The median of `f` over windows (the upper middle one of an even count), with the lowest and highest. */
export function median(ws: Window[], f: (w: Window) => number): { median: number; min: number; max: number } {
  const v = ws.map(f).sort((a, b) => a - b);
  return { median: v[Math.floor(v.length / 2)] ?? 0, min: v[0] ?? 0, max: v[v.length - 1] ?? 0 };
}
