// The gateway container's process supervisor: stages secrets, renders OpenD's config, runs OpenD (or the
// simulator) and the relay, restarts a crashed child with bounded exponential backoff, and on SIGTERM/SIGINT/SIGHUP
// stops every child (SIGKILL after a grace period) and exits 0.
//
// Secrets. ECS injects Secrets Manager values as env vars: OPEND_LOGIN_SECRET (JSON {"account","passwordMd5"}),
// OPEND_RSA_PRIVATE_KEY (PEM, PKCS#1 or PKCS#8: staged as PKCS#1, the only form OpenD reads) and
// OPEND_TRADE_PASSWORD_MD5. At start each one is written to a 0600 file (secret-staging.ts)
// in OPEND_RUNTIME_DIR (0700; Fargate has no tmpfs, so this is the task's ephemeral storage, never the EFS state
// volume), deleted from this process's environment, and replaced by OPEND_LOGIN_SECRET_FILE /
// OPEND_RSA_KEY_FILE / OPEND_TRADE_PASSWORD_MD5_FILE in the children's environment. Secrets reach OpenD only
// through its config file, and the relay/simulator only through those files: never argv (visible in `ps`),
// never a log line. Every line a child prints passes through here and known secret values are replaced by
// "[redacted]". The staged files and the rendered config are removed when the gateway stops.
//
// Configuration (environment):
//   OPEND_MODE            opend (default) | simulator (default when the image is OPEND_SIMULATOR_ONLY=1)
//   OPEND_BRAND           futu (default) | moomoo: config file FutuOpenD.xml vs OpenD.xml, binary name
//   OPENDBIN              OpenD binary (default /opt/opend/FutuOpenD, or /opt/opend/OpenD for moomoo)
//   OPEND_API_IP/_PORT    API listener, default 0.0.0.0:11111 (OpenD and the simulator)
//   OPEND_TELNET_PORT, OPEND_LOG_LEVEL, OPEND_LANG, OPEND_PRICE_REMINDER_PUSH, OPEND_AUTO_HOLD_QUOTE_RIGHT,
//   OPEND_FUTURE_TRADE_API_TIME_ZONE, OPEND_QOT_PUSH_FREQUENCY_MS   OpenD config (see opend-config.ts)
//   OPEND_RUNTIME_DIR     where staged secrets and the config go (default /run/opend)
//   OPEND_RSA_KEY_SECRET_ARN  simulator mode: where to store the key generated while the key secret holds the
//                         placeholder (rsa-key.ts)
//   OPEND_STATE_DIR       OpenD's state folder (the EFS mount); passed on to the relay and the simulator, which
//                         look for / write the picture challenge under F3CNN/ there
//   SIMULATOR_CMD, RELAY_CMD   JSON arrays of strings overriding the child commands
//   RESTART_BACKOFF_INITIAL_MS (1000), RESTART_BACKOFF_MAX_MS (60000), RESTART_RESET_AFTER_MS (60000),
//   SHUTDOWN_GRACE_MS (20000, keep under the ECS stopTimeout)
//   LOG_LEVEL             this process's own log threshold (debug | info | warn | error)
// Children also get OPEND_HOST/OPEND_PORT (where the relay connects) and the resolved OPEND_API_IP/_PORT; the
// simulator gets SIM_HOST/SIM_PORT (the API listener) and SIM_TRADE_PASSWORD_MD5_FILE (unless set).
// Exit codes: 0 after a signal-initiated stop, 78 for a configuration error, 1 for an internal failure.
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants as fsConstants, readFileSync, realpathSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { Logger } from '../proto/client.js';
import { createLogger } from '../proto/log.js';
import { sleep } from '../proto/timers.js';
import { openDConfigFileName, readSettingsFromEnv, renderOpenDConfig, SettingsError, type GatewaySettings } from './opend-config.js';
import { prepareGatewayRsaKey } from './rsa-key.js';
import { ensurePrivateDir, stageSecretsFromEnv, writePrivateFile } from './secret-staging.js';

export { SECRET_PLACEHOLDER, stageSecretsFromEnv, type StagedSecrets } from './secret-staging.js';

type Env = Record<string, string | undefined>;

export const EXIT_CONFIG = 78;
const DEFAULT_RUNTIME_DIR = '/run/opend';
/** Process groups of live children, for the last-resort kill when this process itself fails. */
const liveGroups = new Set<number>();

// ---------------------------------------------------------------------------------------------------------
// Output scrubbing

export function createScrubber(secrets: readonly string[]): (text: string) => string {
  const list = [...new Set(secrets.filter((s) => s.length >= 8))].sort((a, b) => b.length - a.length);
  if (list.length === 0) return (t) => t;
  return (text) => {
    let out = text;
    for (const s of list) if (out.includes(s)) out = out.split(s).join('[redacted]');
    return out;
  };
}

// ---------------------------------------------------------------------------------------------------------
// Supervision

export interface ChildSpec {
  name: string;
  command: string[];
  env: Env;
  cwd?: string;
}

export interface SupervisorOptions {
  initialBackoffMs: number;
  maxBackoffMs: number;
  /** A child that stayed up this long is healthy again: its next crash restarts after the initial delay. */
  resetAfterMs: number;
  graceMs: number;
  log: Logger;
  scrub: (text: string) => string;
}

/** One supervised program. Each runs in its own process group so signals reach its helpers too. */
class SupervisedChild {
  private proc: ChildProcess | undefined;
  private pgid: number | undefined;
  private startedAt = 0;
  private failures = 0;
  private restartTimer: NodeJS.Timeout | undefined;
  private goneWaiters: (() => void)[] = [];
  /** Resolves when the current child's stdout and stderr have been read to the end. */
  private outputDrained: Promise<void> = Promise.resolve();

  constructor(
    readonly spec: ChildSpec,
    private readonly opts: SupervisorOptions,
    private readonly isStopping: () => boolean,
  ) {}

  get running(): boolean {
    return this.proc !== undefined || this.pgid !== undefined;
  }

  start(): void {
    this.restartTimer = undefined;
    if (this.isStopping()) return;
    const [file, ...args] = this.spec.command;
    const log = this.opts.log;
    let proc: ChildProcess;
    try {
      proc = spawn(file!, args, { env: this.spec.env as NodeJS.ProcessEnv, cwd: this.spec.cwd, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    } catch (err) {
      log.error('child failed to spawn', { child: this.spec.name, error: this.opts.scrub((err as Error).message) });
      this.scheduleRestart(0);
      return;
    }
    this.proc = proc;
    this.startedAt = Date.now();
    let ended = false;
    const onEnd = (code: number | null, signal: NodeJS.Signals | null, error?: Error) => {
      if (ended) return;
      ended = true;
      this.onExit(proc, code, signal, error);
    };
    proc.on('error', (err) => {
      // A spawn failure (ENOENT, EACCES) emits only 'error'; a later error on a live child is followed by 'exit'.
      if (proc.pid === undefined) onEnd(null, null, err);
      else log.warn('child process error', { child: this.spec.name, error: this.opts.scrub(err.message) });
    });
    proc.once('exit', (code, signal) => onEnd(code, signal));
    const outputDrained = Promise.all([
      forwardLines(proc.stdout, process.stdout, this.spec.name, 'info', this.opts.scrub),
      forwardLines(proc.stderr, process.stderr, this.spec.name, 'warn', this.opts.scrub),
    ]).then(() => undefined);
    this.outputDrained = outputDrained;
    if (proc.pid !== undefined) {
      this.pgid = proc.pid;
      liveGroups.add(proc.pid);
      log.info('child started', { child: this.spec.name, pid: proc.pid, argv: this.spec.command.map(this.opts.scrub) });
    }
  }

  private onExit(proc: ChildProcess, code: number | null, signal: NodeJS.Signals | null, error?: Error): void {
    if (this.proc === proc) this.proc = undefined;
    const uptimeMs = Date.now() - this.startedAt;
    const pgid = this.pgid;
    const log = this.opts.log;
    if (this.isStopping()) {
      log.info('child exited', { child: this.spec.name, pid: proc.pid, code, signal });
      // Helpers in its group may still be finishing; the stop deadline SIGKILLs them if they do not. Then its
      // last lines (often the most useful ones) are read from the pipes before this process may exit.
      const drained = this.outputDrained;
      void this.waitGroupGone()
        .then(() => Promise.race([drained, sleep(1_000)]))
        .then(() => this.settle());
      return;
    }
    // A crashed unit is restarted whole: anything left in its group goes first.
    if (pgid !== undefined) {
      signalGroup(pgid, 'SIGKILL');
      liveGroups.delete(pgid);
    }
    this.pgid = undefined;
    if (uptimeMs >= this.opts.resetAfterMs) this.failures = 0;
    log.warn('child exited unexpectedly', { child: this.spec.name, pid: proc.pid, code, signal, uptimeMs, error: error ? this.opts.scrub(error.message) : undefined });
    this.scheduleRestart(uptimeMs);
  }

  private scheduleRestart(uptimeMs: number): void {
    if (this.isStopping()) return this.settle();
    const delayMs = Math.min(this.opts.initialBackoffMs * 2 ** this.failures, this.opts.maxBackoffMs);
    this.failures++;
    this.opts.log.info('restarting child', { child: this.spec.name, attempt: this.failures, delayMs, uptimeMs });
    this.restartTimer = setTimeout(() => this.start(), delayMs);
  }

  /** SIGTERM to the whole group; resolves once the child and its helpers are gone. */
  stop(): Promise<void> {
    if (this.restartTimer) clearTimeout(this.restartTimer);
    this.restartTimer = undefined;
    if (!this.running) return Promise.resolve();
    const done = new Promise<void>((resolve) => this.goneWaiters.push(resolve));
    if (this.pgid !== undefined) signalGroup(this.pgid, 'SIGTERM');
    return done;
  }

  kill(why = 'did not stop within the grace period'): void {
    if (this.pgid !== undefined && groupAlive(this.pgid)) {
      this.opts.log.warn(`child ${why}: SIGKILL`, { child: this.spec.name, pid: this.pgid, graceMs: this.opts.graceMs });
      signalGroup(this.pgid, 'SIGKILL');
    }
  }

  /** Bounded: SIGKILL normally empties the group at the grace deadline; a process stuck in the kernel must not hang the stop. */
  private async waitGroupGone(): Promise<void> {
    const pgid = this.pgid;
    if (pgid === undefined) return;
    const deadline = Date.now() + this.opts.graceMs + 5_000;
    while (groupAlive(pgid)) {
      if (Date.now() > deadline) {
        this.opts.log.error('child process group still present after SIGKILL; giving up on it', { child: this.spec.name, pid: pgid });
        return;
      }
      await sleep(50);
    }
  }

  private settle(): void {
    if (this.proc) return;
    if (this.pgid !== undefined) liveGroups.delete(this.pgid);
    this.pgid = undefined;
    for (const w of this.goneWaiters.splice(0)) w();
  }
}

export class Supervisor {
  private readonly children: SupervisedChild[];
  private stopping = false;
  private stopPromise: Promise<void> | undefined;

  constructor(specs: ChildSpec[], private readonly opts: SupervisorOptions) {
    this.children = specs.map((s) => new SupervisedChild(s, opts, () => this.stopping));
  }

  start(): void {
    for (const c of this.children) c.start();
  }

  /**
   * First call: SIGTERM everything, SIGKILL what is left after the grace period. Later calls wait for the same
   * stop, except a repeated SIGINT (Ctrl-C twice), which kills at once. A repeated SIGTERM is common (wrappers
   * that signal both the process and its group) and must not cut the grace period short.
   */
  stop(reason: string): Promise<void> {
    if (this.stopPromise) {
      if (reason === 'SIGINT') {
        this.opts.log.warn('second interrupt: killing children now', { reason });
        for (const c of this.children) c.kill('interrupted twice');
      }
      return this.stopPromise;
    }
    this.stopping = true;
    this.opts.log.info('stopping children', { reason, graceMs: this.opts.graceMs });
    const grace = setTimeout(() => {
      for (const c of this.children) c.kill();
    }, this.opts.graceMs);
    this.stopPromise = Promise.all(this.children.map((c) => c.stop())).then(() => {
      clearTimeout(grace);
    });
    return this.stopPromise;
  }
}

function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    // ESRCH: already gone.
  }
}

function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}


/** Child JSON log lines pass through (scrubbed); anything else is wrapped into one JSON object per line. */
function forwardLines(from: NodeJS.ReadableStream | null, to: NodeJS.WritableStream, component: string, level: 'info' | 'warn', scrub: (t: string) => string): Promise<void> {
  if (!from) return Promise.resolve();
  const rl = createInterface({ input: from, crlfDelay: Infinity });
  rl.on('line', (raw) => {
    const line = scrub(raw);
    if (line.trim() === '') return;
    to.write((isJsonObject(line) ? line : JSON.stringify({ time: new Date().toISOString(), level, component, msg: line })) + '\n');
  });
  return new Promise((resolve) => rl.once('close', () => resolve()));
}

function isJsonObject(line: string): boolean {
  if (!line.startsWith('{')) return false;
  try {
    const v: unknown = JSON.parse(line);
    return typeof v === 'object' && v !== null && !Array.isArray(v);
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------------------------------------------------
// Wiring

export function commandFromEnv(env: Env, name: string, fallback: string[]): string[] {
  const raw = env[name]?.trim();
  if (!raw) return fallback;
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new SettingsError(`${name} must be a JSON array of strings, e.g. ["node","dist/relay.mjs"]`, name);
  }
  if (!Array.isArray(parsed) || parsed.length === 0 || !parsed.every((p) => typeof p === 'string' && p !== '')) {
    throw new SettingsError(`${name} must be a non-empty JSON array of non-empty strings`, name);
  }
  return parsed as string[];
}

function msVar(env: Env, name: string, fallback: number): number {
  const v = env[name]?.trim();
  if (!v) return fallback;
  if (!/^\d+$/.test(v)) throw new SettingsError(`${name} must be a whole number of milliseconds, got "${v}"`, name);
  return Number(v);
}

/** Default commands: the esbuild bundles beside dist/entrypoint.mjs, or the TypeScript mains through tsx. */
function defaultCommand(program: 'relay' | 'simulator'): string[] {
  const self = fileURLToPath(import.meta.url);
  const here = dirname(self);
  if (self.endsWith('.mjs')) return [process.execPath, '--enable-source-maps', join(here, `${program}.mjs`)];
  return [process.execPath, '--import', 'tsx', join(here, program, 'main.ts')];
}

/** Only what OpenD needs: it gets its secrets from the config file, nothing else. */
function openDEnv(env: Env, binDir: string): Env {
  const out: Env = {};
  for (const k of ['PATH', 'HOME', 'LANG', 'LC_ALL', 'TZ']) if (env[k] !== undefined) out[k] = env[k];
  out['LD_LIBRARY_PATH'] = env['LD_LIBRARY_PATH'] ? `${binDir}:${env['LD_LIBRARY_PATH']}` : binDir;
  return out;
}

function nodeChildEnv(env: Env, settings: GatewaySettings): Env {
  const out: Env = { ...env };
  // The relay and the simulator never need the login password.
  delete out['OPEND_LOGIN_SECRET_FILE'];
  out['OPEND_MODE'] = settings.mode;
  out['OPEND_API_IP'] = settings.apiIp;
  out['OPEND_API_PORT'] = String(settings.apiPort);
  out['OPEND_HOST'] = settings.connectHost;
  out['OPEND_PORT'] = String(settings.apiPort);
  return out;
}

export function buildChildSpecs(env: Env, settings: GatewaySettings, runtimeDir: string): { specs: ChildSpec[]; files: string[] } {
  const specs: ChildSpec[] = [];
  const files: string[] = [];
  if (settings.mode === 'opend') {
    try {
      accessSync(settings.opendBin, fsConstants.X_OK);
    } catch {
      throw new SettingsError(
        `OPENDBIN=${settings.opendBin} is missing or not executable. Images built with OPEND_SIMULATOR_ONLY=1 contain no OpenD: use OPEND_MODE=simulator, or rebuild with OPEND_SHA256.`,
        'OPENDBIN',
      );
    }
    ensurePrivateDir(runtimeDir);
    const cfgPath = join(runtimeDir, openDConfigFileName(settings.brand));
    writePrivateFile(cfgPath, renderOpenDConfig(settings.opend!));
    files.push(cfgPath);
    const binDir = dirname(settings.opendBin);
    // -no_monitor=1: this supervisor is the watchdog; OpenD's own would restart behind our back.
    specs.push({ name: 'opend', command: [settings.opendBin, `-cfg_file=${cfgPath}`, '-console=0', '-no_monitor=1'], env: openDEnv(env, binDir), cwd: binDir });
  } else {
    // The simulator's own variables (simulator/main.ts): same listener and key as OpenD would have, and the
    // relay's trade password as the one that unlocks it.
    const simEnv = nodeChildEnv(env, settings);
    simEnv['SIM_HOST'] = settings.apiIp;
    simEnv['SIM_PORT'] = String(settings.apiPort);
    // Without a key the simulator must not invent one: the relay and the Lambdas would not have it.
    if (!simEnv['OPEND_RSA_KEY_FILE']) simEnv['SIM_NO_ENCRYPTION'] = '1';
    if (settings.tradePasswordMd5File && !simEnv['SIM_TRADE_PASSWORD_MD5_FILE']) simEnv['SIM_TRADE_PASSWORD_MD5_FILE'] = settings.tradePasswordMd5File;
    specs.push({ name: 'simulator', command: commandFromEnv(env, 'SIMULATOR_CMD', defaultCommand('simulator')), env: simEnv });
  }
  specs.push({ name: 'relay', command: commandFromEnv(env, 'RELAY_CMD', defaultCommand('relay')), env: nodeChildEnv(env, settings) });
  return { specs, files };
}

export async function main(): Promise<number> {
  process.umask(0o077);
  const log = createLogger('entrypoint');
  const runtimeDir = process.env['OPEND_RUNTIME_DIR']?.trim() || DEFAULT_RUNTIME_DIR;
  const cleanup: string[] = [];
  const removeFiles = () => {
    for (const f of cleanup.splice(0)) rmSync(f, { force: true });
  };

  let supervisor: Supervisor;
  let unconfigured: string[] = [];
  try {
    const staged = stageSecretsFromEnv(process.env, runtimeDir);
    cleanup.push(...staged.files);
    const stagedCount = staged.files.length;
    await prepareGatewayRsaKey(staged, runtimeDir, { log });
    cleanup.push(...staged.files.slice(stagedCount));
    unconfigured = staged.unconfigured;
    let settings: GatewaySettings;
    try {
      settings = readSettingsFromEnv(staged.env, (p) => readFileSync(p, 'utf8'));
    } catch (err) {
      if (!(err instanceof SettingsError) || unconfigured.length === 0) throw err;
      // A fresh deployment whose secrets are still placeholders: stay up (the health check sees /livez), run
      // only the relay so /readyz and the Gateway State event say "not ready", and say what to fill in.
      log.error(`secrets not filled in yet: ${unconfigured.join(', ')}; OpenD is not started until they are (then force a new deployment)`, { detail: err.message });
      supervisor = new Supervisor([{ name: 'relay', command: commandFromEnv(staged.env, 'RELAY_CMD', defaultCommand('relay')), env: { ...staged.env, OPEND_LOGIN_SECRET_FILE: undefined } }], {
        initialBackoffMs: msVar(staged.env, 'RESTART_BACKOFF_INITIAL_MS', 1_000),
        maxBackoffMs: msVar(staged.env, 'RESTART_BACKOFF_MAX_MS', 60_000),
        resetAfterMs: msVar(staged.env, 'RESTART_RESET_AFTER_MS', 60_000),
        graceMs: msVar(staged.env, 'SHUTDOWN_GRACE_MS', 20_000),
        log,
        scrub: createScrubber([]),
      });
      return await runSupervised(supervisor, log, removeFiles);
    }
    if (unconfigured.length > 0) log.warn(`secrets still holding the placeholder were ignored: ${unconfigured.join(', ')}`);
    const { specs, files } = buildChildSpecs(staged.env, settings, runtimeDir);
    cleanup.push(...files);
    supervisor = new Supervisor(specs, {
      initialBackoffMs: msVar(staged.env, 'RESTART_BACKOFF_INITIAL_MS', 1_000),
      maxBackoffMs: msVar(staged.env, 'RESTART_BACKOFF_MAX_MS', 60_000),
      resetAfterMs: msVar(staged.env, 'RESTART_RESET_AFTER_MS', 60_000),
      graceMs: msVar(staged.env, 'SHUTDOWN_GRACE_MS', 20_000),
      log,
      scrub: createScrubber(settings.secretValues),
    });
    log.info('gateway starting', { mode: settings.mode, brand: settings.brand, apiIp: settings.apiIp, apiPort: settings.apiPort, children: specs.map((s) => s.name) });
  } catch (err) {
    removeFiles();
    if (err instanceof SettingsError) {
      log.error(`configuration error: ${err.message}`, { variable: err.variable });
      return EXIT_CONFIG;
    }
    log.error('gateway failed to start', { error: (err as Error).message });
    return 1;
  }

  return runSupervised(supervisor, log, removeFiles);
}

async function runSupervised(supervisor: Supervisor, log: ReturnType<typeof createLogger>, removeFiles: () => void): Promise<number> {
  const stopped = new Promise<void>((resolve) => {
    const onSignal = (signal: NodeJS.Signals) => void supervisor.stop(signal).then(resolve);
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
    process.on('SIGHUP', onSignal);
  });
  supervisor.start();
  await stopped;
  removeFiles();
  log.info('gateway stopped');
  return 0;
}

function isMainModule(): boolean {
  const script = process.argv[1];
  if (!script) return false;
  try {
    return realpathSync(resolve(script)) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (isMainModule()) {
  // Children run in their own process groups, so nothing else would stop them if this process ended abruptly.
  process.on('exit', () => {
    for (const pgid of liveGroups) signalGroup(pgid, 'SIGKILL');
  });
  process.on('uncaughtException', (err) => {
    createLogger('entrypoint').error('uncaught exception', { error: err.message });
    process.exit(1);
  });
  main().then(
    (code) => process.exit(code),
    (err: unknown) => {
      createLogger('entrypoint').error('gateway failed', { error: (err as Error).message });
      process.exit(1);
    },
  );
}
