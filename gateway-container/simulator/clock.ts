// Virtual time for the simulator. Everything the simulator produces (trades, bars, market states) is a
// function of this clock, never of Date.now() directly, so tests can move time by hand and a demo can run
// a trading day in minutes.

export interface SimClockOptions {
  /** Virtual start time, ms since epoch. Default: the real current time. */
  start?: number;
  /** Virtual ms per real ms. 1 = real time; 60 = one virtual minute per real second. */
  speed?: number;
  /** Time moves only through advance(). */
  manual?: boolean;
  /** Source of real time (ms); injectable so the real-time mode can be tested without waiting. */
  realNow?: () => number;
}

export class SimClock {
  readonly speed: number;
  readonly manual: boolean;
  private readonly realNow: () => number;
  private readonly realAtStart: number;
  private readonly virtualAtStart: number;
  private advancedMs = 0;

  constructor(options: SimClockOptions = {}) {
    const speed = options.speed ?? 1;
    if (!Number.isFinite(speed) || speed <= 0) throw new RangeError(`SimClock speed must be a positive number, got ${speed}`);
    const start = options.start ?? Date.now();
    if (!Number.isFinite(start)) throw new RangeError(`SimClock start must be ms since epoch, got ${start}`);
    this.speed = speed;
    this.manual = options.manual ?? false;
    this.realNow = options.realNow ?? (() => Date.now());
    this.realAtStart = this.realNow();
    this.virtualAtStart = start;
  }

  /** Current virtual time, ms since epoch. */
  now(): number {
    const elapsed = this.manual ? 0 : (this.realNow() - this.realAtStart) * this.speed;
    return Math.floor(this.virtualAtStart + elapsed + this.advancedMs);
  }

  /** Moves virtual time forward by `ms` (in every mode). */
  advance(ms: number): number {
    if (!Number.isFinite(ms) || ms < 0) throw new RangeError(`SimClock.advance needs a non-negative number of ms, got ${ms}`);
    this.advancedMs += ms;
    return this.now();
  }

  /**
   * Calls `callback(now)` every `realIntervalMs` of real time. The timer is unref'd so it never keeps a
   * process (or a test run) alive. Returns a function that stops it.
   */
  onTick(callback: (now: number) => void, realIntervalMs: number): () => void {
    if (!Number.isFinite(realIntervalMs) || realIntervalMs <= 0) {
      throw new RangeError(`SimClock.onTick needs a positive interval in ms, got ${realIntervalMs}`);
    }
    const timer = setInterval(() => callback(this.now()), realIntervalMs);
    timer.unref();
    return () => clearInterval(timer);
  }
}
