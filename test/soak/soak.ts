// `npm run soak` — the fault soak for "exactly one order and every update". Drives the planned orders through
// the HTTP handlers under faults (see plan.ts / driver.ts), settles, checks (verify.ts) and ends with
//   soak: N orders, D duplicates, L lost updates, M mismatches, P stuck records
// Exit code 0 only when D, L, M and P are all zero and every planned order was driven. Bounded by --minutes:
// 60 % of it to drive (callers may finish until 75 %), settling until 92 %, then the settlement function (when
// the tree has one) and the checks; a watchdog ends the run (and every child) a minute past the bound.
import { fileURLToPath } from 'node:url';
import { resolve } from 'node:path';
import { drive, FaultRunner, type CallerRecord, type DriveStats } from './driver.js';
import { makePlan, parseSoakArgs, USAGE, type SoakOptions } from './plan.js';
import { runSettlement, settle, verify, type Verdict } from './verify.js';
import { startWorld, type World } from './world.js';

export interface SoakResult {
  verdict: Verdict;
  stats: DriveStats;
  records: CallerRecord[];
  planned: number;
  wallMs: number;
  summary: string;
  ok: boolean;
  deliveryFailures: number;
  putEventsCalls: number;
  relayStarts: number;
}

export async function runSoak(o: SoakOptions, log: (s: string) => void = (s) => process.stderr.write(s + '\n')): Promise<SoakResult> {
  const t0 = Date.now();
  const bound = o.minutes * 60_000;
  const plan = makePlan(o);
  log(`soak: seed ${o.seed}, ${plan.orders.length} orders over ${plan.accounts.length} accounts, ${plan.faults.length} planned faults, ${o.minutes} min bound`);
  let world: World | undefined;
  const stats: DriveStats = { started: 0, duplicatesSent: 0, statuses: {}, faults: {}, crashes: {}, faultErrors: [] };
  try {
    world = await startWorld(plan, o.seed, log);
    log(`soak: stack up after ${((Date.now() - t0) / 1000).toFixed(1)} s (simulator restart ${world.canRestartSimulator ? 'from its state file' : 'not supported by this simulator: skipped'})`);
    world.bus.setFaults({ entryFailureRate: plan.putEventsFailureRate, seed: o.seed });
    const runner = new FaultRunner(world, plan.faults, stats, log, o.verbose);
    const driveDeadline = t0 + bound * 0.6;
    const progress = setInterval(() => log(`soak: ${stats.started}/${plan.orders.length} started, ${((Date.now() - t0) / 1000).toFixed(0)} s`), 30_000);
    progress.unref();
    let records;
    try {
      records = await drive(world, plan, runner, stats, driveDeadline, t0 + bound * 0.75);
    } finally {
      clearInterval(progress);
    }
    log(`soak: drive phase done after ${((Date.now() - t0) / 1000).toFixed(1)} s; settling`);
    await runner.stop();
    log(`soak: faults stopped after ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    await settle(world, records, stats, t0 + bound * 0.92, log);
    log(`soak: settled after ${((Date.now() - t0) / 1000).toFixed(1)} s; checking`);
    // What the relay and the consumer achieved alone, then after the end-of-day settlement function (if any).
    const before = await verify(world, plan, records);
    const settlement = await runSettlement().catch((err: Error) => `failed: ${err.message}`);
    const verdict = settlement === undefined ? before : await verify(world, plan, records);
    if (settlement !== undefined) {
      log(`soak: before the settlement function: ${before.duplicates} duplicates, ${before.lost} lost updates, ${before.mismatches} mismatches, ${before.stuck} stuck records`);
      for (const d of before.details.filter((x) => x.startsWith('lost')).slice(0, 10)) log(`  (before settlement) ${d}`);
      log(`soak: settlement function: ${settlement}`);
    }
    const summary = `soak: ${verdict.orders} orders, ${verdict.duplicates} duplicates, ${verdict.lost} lost updates, ${verdict.mismatches} mismatches, ${verdict.stuck} stuck records`;
    return {
      verdict,
      stats,
      records,
      planned: plan.orders.length,
      wallMs: Date.now() - t0,
      summary,
      ok: verdict.duplicates + verdict.lost + verdict.mismatches + verdict.stuck === 0 && verdict.orders === plan.orders.length,
      deliveryFailures: world.failedDeliveries.length,
      putEventsCalls: world.bus.calls.length,
      relayStarts: world.relay.restarts,
    };
  } finally {
    await world?.stop();
  }
}

function report(r: SoakResult): void {
  const out = (s: string) => process.stdout.write(s + '\n');
  for (const d of r.verdict.details) out(`  ${d}`);
  out(`faults exercised: ${Object.entries(r.stats.faults).map(([k, n]) => `${k} ×${n}`).join(', ') || 'none'}`);
  out(`  crashes: ${Object.entries(r.stats.crashes).map(([k, n]) => `${k} ×${n}`).join(', ') || 'none'}; concurrent duplicate posts: ${r.stats.duplicatesSent}; PutEvents calls (30 % of entries failed while driving): ${r.putEventsCalls}; relay starts: ${r.relayStarts}; deliveries failed after retries: ${r.deliveryFailures}`);
  out(`  replies: ${Object.entries(r.stats.statuses).sort().map(([k, n]) => `${k} ×${n}`).join(', ')}`);
  const told = new Map<string, number>();
  for (const rec of r.records) {
    const t = rec.told;
    const k = t.kind === 'accepted' ? 'accepted' : t.kind === 'rejected' ? `rejected: ${t.message.replace(/\d{6,}/g, '…').slice(0, 90)}` : `unknown: ${t.why.slice(0, 90)}`;
    told.set(k, (told.get(k) ?? 0) + 1);
  }
  out(`  callers were told: ${[...told].sort((a, b) => b[1] - a[1]).map(([k, n]) => `${k} ×${n}`).join('; ')}`);
  if (r.stats.faultErrors.length) out(`  faults that failed to fire: ${r.stats.faultErrors.slice(0, 5).join('; ')}`);
  if (r.verdict.orders < r.planned) out(`  only ${r.verdict.orders} of ${r.planned} planned orders were driven within the time bound`);
  out(`wall time ${(r.wallMs / 1000).toFixed(1)} s`);
  out(r.summary);
}

async function main(): Promise<void> {
  let o: SoakOptions | 'help';
  try {
    o = parseSoakArgs(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`soak: ${(err as Error).message}\n`);
    process.exit(2);
  }
  if (o === 'help') {
    process.stdout.write(USAGE + '\n');
    return;
  }
  const opts = o;
  // Ctrl-C / SIGTERM: the 'exit' handler in world.ts kills the children; DynamoDB Local is a child too.
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.once(sig, () => {
      process.stderr.write(`soak: ${sig}, stopping\n`);
      process.exit(130);
    });
  }
  // Watchdog: the run is bounded even if something inside hangs.
  const watchdog = setTimeout(() => {
    process.stderr.write(`soak: still running after ${opts.minutes} min + 60 s; giving up\n`);
    process.exit(3);
  }, opts.minutes * 60_000 + 60_000);
  watchdog.unref();
  const r = await runSoak(opts);
  report(r);
  process.exit(r.ok ? 0 : 1);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === resolve(process.argv[1])) {
  main().catch((err: Error) => {
    process.stderr.write(`soak failed: ${err.stack ?? err.message}\n`);
    process.exit(1);
  });
}
