// The reconnect policy of OpenDClient and its backoff: exponential growth from the first delay up to a cap,
// with part of each delay randomised so that many clients dropped together (an OpenD restart) do not all
// reconnect in the same instant.

export interface ReconnectPolicy {
  /** First delay after a drop (default 500 ms). */
  initialDelayMs?: number;
  /** Upper bound of the delay (default 30 s). */
  maxDelayMs?: number;
  /** Growth per failed attempt (default 2). */
  factor?: number;
  /** Fraction of the delay that is randomised, 0..1 (default 0.3). */
  jitter?: number;
  /** Give up after this many consecutive failed attempts (default: never). */
  maxAttempts?: number;
  /** Keep retrying when the very first connection fails (default false: open() rejects). */
  retryInitialConnect?: boolean;
}

/** The delay before reconnect attempt `attempt` (1 = the first after a drop), in ms. */
export function backoffDelay(policy: ReconnectPolicy, attempt: number, random: () => number = Math.random): number {
  const initial = policy.initialDelayMs ?? 500;
  const max = policy.maxDelayMs ?? 30_000;
  const factor = policy.factor ?? 2;
  const jitter = Math.min(1, Math.max(0, policy.jitter ?? 0.3));
  const base = Math.min(max, initial * factor ** Math.max(0, attempt - 1));
  return Math.round(base * (1 - jitter * random()));
}
