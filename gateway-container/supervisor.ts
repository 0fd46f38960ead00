// The gateway's process supervision: each child (OpenD or the simulator, and the relay) runs in its own process
// group, is restarted with bounded exponential backoff after a crash (the delay resets once it stayed up long
// enough), and on stop gets SIGTERM, then SIGKILL after the grace period. Every line a child prints is forwarded
// as one JSON log line with known secret values replaced by "[redacted]".
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { Logger } from '../proto/client.js';
import { sleep } from '../proto/timers.js';

type Env = Record<string, string | undefined>;

/** Process groups of live children, for the last-resort kill when the gateway process itself fails. */
const liveGroups = new Set<number>();

/** SIGKILL every child group still alive: the gateway's exit hook, since nothing else would stop them. */
export function killLiveChildGroups(): void {
  for (const pgid of liveGroups) signalGroup(pgid, 'SIGKILL');
}

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
