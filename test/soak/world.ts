// The parts the soak runs, all on loopback: DynamoDB Local (a Java child), the simulator in this process over
// real TCP (so the soak can restart it and read its books), the Lambda handlers behind API Gateway v2 events
// (the functions harness), a local PutEvents endpoint whose rules deliver to the order-events function as the
// local EventBridge does, and the relay as a child process (so it can be killed with SIGKILL).
// Invariant: every child process is tracked and killed on stop(), on a failure and on Ctrl-C.
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startLocalEventBridge, type LocalEventBridge } from '../../bin/local/eventbridge-local.js';
import { eventRules } from '../../cdk/definitions.js';
import { SimClock, startSimulator, type Simulator, type SimulatorOptions } from '../../gateway-container/simulator/index.js';
import { freePort } from '../support/processes.js';
import { SIM_START, startFunctionsHarness, type FunctionsHarness } from '../support/functions-harness.js';
import type { SoakPlan } from './plan.js';
import { sleep } from '../../proto/timers.js';

const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const BUS = 'opend-soak';

/** Longer than a PlaceOrder can take under the soak's longest stall (11 s) plus the client's 10 s timeout. */
export const PENDING_STALE_MS = 25_000;

export interface World {
  h: FunctionsHarness;
  /** The simulator serving now (replaced by a restart). */
  readonly sim: Simulator;
  bus: LocalEventBridge;
  /** Whether the simulator can restart from a state file (an option of newer simulators). */
  canRestartSimulator: boolean;
  /** Deliveries to the order-events function that failed on every attempt. */
  failedDeliveries: { detailType: string; error: string }[];
  deliveries: number;
  relay: RelayChild;
  restartSimulator(): Promise<void>;
  /** Stops virtual time (no more trades or fills); jumps of the clock still work. */
  freezeMarket(): void;
  stop(): Promise<void>;
}

export interface RelayChild {
  readonly pid: number | undefined;
  readonly restarts: number;
  /** Starts the relay with the right (or a wrong) trade password; waits until it is ready (or live, if wrong). */
  start(opts?: { wrongPassword?: boolean }): Promise<void>;
  sigkill(): Promise<void>;
  /** SIGTERM, bounded; SIGKILL after 10 s. */
  stop(): Promise<void>;
  readyz(): Promise<boolean>;
}

/** Children of this process, killed synchronously on exit whatever the path to it. */
const children = new Set<ChildProcess>();
process.on('exit', () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});

function exited(c: ChildProcess, ms: number): Promise<boolean> {
  if (c.exitCode !== null || c.signalCode !== null) return Promise.resolve(true);
  return new Promise((r) => {
    const t = setTimeout(() => r(false), ms);
    c.once('exit', () => {
      clearTimeout(t);
      r(true);
    });
  });
}

function startRelayChild(env: Record<string, string>, dir: string, healthPort: number, log: (s: string) => void): RelayChild {
  let child: ChildProcess | undefined;
  let restarts = 0;
  const right = join(dir, 'trade-password.md5');
  const wrong = join(dir, 'wrong-trade-password.md5');
  writeFileSync(right, createHash('md5').update('123456').digest('hex'), { mode: 0o600 });
  writeFileSync(wrong, createHash('md5').update('654321').digest('hex'), { mode: 0o600 });
  const get = async (path: string): Promise<number> => {
    try {
      const r = await fetch(`http://127.0.0.1:${healthPort}${path}`, { signal: AbortSignal.timeout(2000) });
      await r.arrayBuffer();
      return r.status;
    } catch {
      return 0;
    }
  };
  const relay: RelayChild = {
    get pid() {
      return child?.pid;
    },
    get restarts() {
      return restarts;
    },
    async start(opts = {}) {
      if (child && child.exitCode === null && child.signalCode === null) throw new Error('the relay is already running');
      const c = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'gateway-container/relay/main.ts')], {
        cwd: ROOT,
        env: { ...env, OPEND_TRADE_PASSWORD_MD5_FILE: opts.wrongPassword ? wrong : right },
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      child = c;
      children.add(c);
      c.once('exit', () => children.delete(c));
      let tail = '';
      c.stderr!.on('data', (d: Buffer) => {
        tail = (tail + d.toString('utf8')).slice(-2000);
      });
      restarts++;
      // tsx compiles the relay on start; on a busy machine that takes a while.
      const end = Date.now() + 90_000;
      for (;;) {
        if (c.exitCode !== null) throw new Error(`the relay exited with ${c.exitCode}: ${tail.trim().slice(-500)}`);
        const status = await get(opts.wrongPassword ? '/livez' : '/readyz');
        if (status === 200) return;
        if (Date.now() > end) throw new Error(`the relay was not ${opts.wrongPassword ? 'live' : 'ready'} within 90 s: ${tail.trim().slice(-500)}`);
        await sleep(200);
      }
    },
    async sigkill() {
      const c = child;
      if (!c) return;
      c.kill('SIGKILL');
      if (!(await exited(c, 10_000))) log(`relay ${c.pid} did not exit after SIGKILL within 10 s`);
    },
    async stop() {
      const c = child;
      if (!c || c.exitCode !== null || c.signalCode !== null) return;
      c.kill('SIGTERM');
      if (!(await exited(c, 10_000))) {
        c.kill('SIGKILL');
        await exited(c, 5000);
      }
    },
    readyz: async () => (await get('/readyz')) === 200,
  };
  return relay;
}

export async function startWorld(plan: SoakPlan, seed: number, log: (s: string) => void): Promise<World> {
  const cleanups: [string, () => Promise<void> | void][] = [];
  // Each step bounded: a step that hangs is reported and the rest still run.
  const stopAll = async () => {
    for (const [name, c] of cleanups.splice(0).reverse()) {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<void>((r) => {
        timer = setTimeout(() => {
          log(`cleanup: ${name} did not finish within 15 s; going on`);
          r();
        }, 15_000);
      });
      await Promise.race([Promise.resolve().then(c).catch((e: Error) => log(`cleanup: ${name} failed: ${e.message}`)), timeout]);
      clearTimeout(timer);
    }
  };
  try {
    const dir = mkdtempSync(join(tmpdir(), 'opend-soak-'));
    cleanups.push(['temporary folder', () => rmSync(dir, { recursive: true, force: true })]);
    const stateFile = join(dir, 'simulator-state.json');
    const canRestartSimulator = readFileSync(join(ROOT, 'gateway-container/simulator/index.ts'), 'utf8').includes('stateFile');
    // Real time from a normal trading morning; the trading-day fault moves it on by a day.
    // The clock can be frozen for the final comparison: like a market that has closed, nothing fills any more,
    // so the books the soak compares DynamoDB with cannot change under it.
    let frozenAt: number | undefined;
    const clock = new SimClock({ start: SIM_START, speed: 1, realNow: () => frozenAt ?? Date.now() });
    const simOptions: SimulatorOptions & { stateFile?: string } = {
      host: '127.0.0.1',
      seed,
      clock,
      accounts: plan.accountConfigs,
      driveIntervalMs: 100,
      ...(canRestartSimulator ? { stateFile } : {}),
    };
    const h = await startFunctionsHarness({ simulator: simOptions, env: { IDEMPOTENCY_PENDING_STALE_MS: String(PENDING_STALE_MS) } });
    cleanups.push(['functions harness', () => h.stop()]);
    let sim = h.sim;
    cleanups.push(['simulator', () => sim.close()]);

    const failedDeliveries: World['failedDeliveries'] = [];
    const bus = await startLocalEventBridge({ host: '127.0.0.1', maxStoredEvents: 1000 });
    cleanups.push(['local EventBridge', () => bus.close()]);
    const world = { deliveries: 0 } as World;
    for (const [name, rule] of Object.entries(eventRules({ priceAlerts: [] }))) {
      if (rule.target.kind !== 'function') continue;
      bus.addRule({
        name,
        eventBusName: BUS,
        pattern: rule.eventPattern,
        // EventBridge retries a failed Lambda target (with backoff, for up to 24 h); three tries stand in.
        target: async (ev) => {
          let last: Error | undefined;
          for (let attempt = 0; attempt < 3; attempt++) {
            try {
              await h.orderEvents({ ...ev, eventBusName: undefined });
              world.deliveries++;
              return;
            } catch (err) {
              last = err as Error;
              await sleep(200 * (attempt + 1));
            }
          }
          failedDeliveries.push({ detailType: ev['detail-type'], error: last?.message ?? 'unknown' });
        },
      });
    }

    const healthPort = await freePort();
    const relayEnv: Record<string, string> = {
      PATH: process.env['PATH'] ?? '',
      OPEND_HOST: sim.host,
      OPEND_PORT: String(sim.port),
      OPEND_RSA_KEY_FILE: h.rsaKeyFile,
      EVENT_BUS_NAME: BUS,
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'local',
      AWS_SECRET_ACCESS_KEY: 'local',
      AWS_ENDPOINT_URL_EVENTBRIDGE: bus.endpoint,
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      RELAY_HTTP_PORT: String(healthPort),
      RELAY_HTTP_HOST: '127.0.0.1',
      RELAY_EMF_INTERVAL_MS: '0',
      // The relay's durable checkpoint survives its SIGKILLs, in the soak's own folder.
      RELAY_CHECKPOINT_FILE: join(dir, 'relay-checkpoint.json'),
      LOG_LEVEL: 'error',
    };
    const relay = startRelayChild(relayEnv, dir, healthPort, log);
    cleanups.push(['relay', () => relay.stop()]);
    await relay.start();

    // A getter, not a copied value: a restart replaces the simulator every part of the soak must then see.
    Object.defineProperty(world, 'sim', { get: () => sim, enumerable: true });
    return Object.assign(world, {
      h,
      bus,
      canRestartSimulator,
      failedDeliveries,
      freezeMarket() {
        frozenAt ??= Date.now();
      },
      relay,
      async restartSimulator() {
        if (!canRestartSimulator) throw new Error('this simulator cannot restart from a state file');
        const port = sim.port;
        await sim.close();
        // The same port, clock and state file: to its clients this is OpenD going away and coming back.
        for (let attempt = 0; ; attempt++) {
          try {
            sim = await startSimulator({ ...simOptions, port, rsaPrivateKey: h.rsaKeyPem });
            return;
          } catch (err) {
            if (attempt >= 20) throw err;
            await sleep(250);
          }
        }
      },
      stop: stopAll,
    });
  } catch (err) {
    await stopAll();
    throw err;
  }
}
