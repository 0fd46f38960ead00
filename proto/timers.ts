// The one wait helper, on Node's promise timers. Used for backoff between retries and for polling loops;
// tests wait on conditions (with a bounded timeout), never on a sleep alone.
import { setTimeout as wait } from 'node:timers/promises';

export interface SleepOptions {
  /** Do not keep the process alive for this wait (background loops, shutdown paths). */
  unref?: boolean;
  /** Rejects with an AbortError when aborted. */
  signal?: AbortSignal;
}

/** Resolves after `ms` milliseconds. */
export function sleep(ms: number, options: SleepOptions = {}): Promise<void> {
  return wait(ms, undefined, { ref: !options.unref, signal: options.signal });
}
