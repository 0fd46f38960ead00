// The session steps that must never hold up trade pushes and reconciliation: the OpenD-wide trade unlock and
// the relay's own quote subscriptions. Each runs on its own, retries with exponential backoff, and reports
// its state for /readyz.
//
// Invariants:
// - Unlock: at most `maxAttempts` rejected unlocks per relay process (Futu locks a trade password after repeated
//   wrong ones; UnlockTrade is also limited to 10 calls / 30 s per OpenD). After the last one the step gives up
//   for good and calls `onGiveUp` (the relay publishes a Gateway Notice UNLOCK_FAILED and counts a metric);
//   only a restart with a corrected secret tries again. A disconnect or timeout is not a rejection.
// - Subscriptions keep retrying (quota may be given back by other connections after their minute).
import type { Logger } from '../../proto/client.js';
import { OpenDError } from '../../proto/errors.js';

export type StepState = 'idle' | 'running' | 'waiting-retry' | 'done' | 'gave-up';

export interface StepOptions {
  name: string;
  run: () => Promise<void>;
  /** Failed attempts that end the step for good (default: never). Only rejections by OpenD count. */
  maxAttempts?: number;
  baseDelayMs: number;
  maxDelayMs: number;
  logger: Logger;
  onGiveUp?: (error: string, attempts: number) => void;
  onChange?: () => void;
}

export class RetryingStep {
  state: StepState = 'idle';
  /** Rejected attempts since the last success. */
  rejections = 0;
  /** Every call of `run`, for metrics and tests. */
  calls = 0;
  lastError: string | undefined;
  private timer: NodeJS.Timeout | null = null;
  private generation = 0;

  constructor(private readonly o: StepOptions) {}

  /** Starts the step for a new session (no-op once it gave up, or while it runs). */
  start(): void {
    if (this.state === 'gave-up' || this.state === 'running' || this.state === 'waiting-retry') return;
    void this.attempt(this.generation);
  }

  /** The session ended (disconnect): stop retrying; the next session starts again. */
  reset(): void {
    this.generation++;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.state !== 'gave-up') this.state = 'idle';
  }

  stop(): void {
    this.reset();
  }

  private async attempt(gen: number): Promise<void> {
    this.state = 'running';
    this.calls++;
    this.o.onChange?.();
    try {
      await this.o.run();
      if (gen !== this.generation) return;
      this.state = 'done';
      this.rejections = 0;
      this.lastError = undefined;
      this.o.onChange?.();
    } catch (err) {
      const rejected = err instanceof OpenDError;
      // A rejection counts even if the session ended meanwhile: the broker saw the attempt.
      if (rejected) this.rejections++;
      const givingUp = rejected && this.o.maxAttempts !== undefined && this.rejections >= this.o.maxAttempts;
      if (gen !== this.generation && !givingUp) return;
      this.lastError = (err as Error).message;
      if (givingUp) {
        this.state = 'gave-up';
        this.o.logger.error(`${this.o.name} failed ${this.rejections} times; giving up until the relay restarts`, { error: this.lastError });
        this.o.onGiveUp?.(this.lastError, this.rejections);
        this.o.onChange?.();
        return;
      }
      const delay = Math.min(this.o.maxDelayMs, this.o.baseDelayMs * 2 ** Math.max(0, (rejected ? this.rejections : 1) - 1));
      this.o.logger.warn(`${this.o.name} failed; retrying`, { error: this.lastError, inMs: delay, rejections: this.rejections });
      this.state = 'waiting-retry';
      this.o.onChange?.();
      this.timer = setTimeout(() => {
        this.timer = null;
        if (gen === this.generation) void this.attempt(gen);
      }, delay);
      this.timer.unref?.();
    }
  }
}
