// Futu's frequency limits: "at most n in 30 s" is a sliding window (request #1 and #n+1 must be more than
// 30 s apart), some with a minimum gap between consecutive requests. Time comes from the virtual clock.
import { FUTU_LIMITS_BY_PROTO, type FutuLimit } from '../../proto/futu-limits.js';

export interface FrequencyRule {
  limit: number;
  windowMs: number;
  minGapMs?: number;
}

/** Futu's per-protoID limits (one table, in proto/). Trade limits are per account, quote limits per OpenD. */
export const OPEND_LIMITS: Readonly<Record<number, FutuLimit>> = FUTU_LIMITS_BY_PROTO;

export type LimitDecision = { allowed: true } | { allowed: false; retryAfterMs: number; reason: string };

export class FrequencyLimiter {
  private readonly windows = new Map<string, number[]>();
  constructor(private readonly now: () => number) {}

  /** Records the request if allowed. */
  acquire(bucket: string, rule: FrequencyRule): LimitDecision {
    const t = this.now();
    let w = this.windows.get(bucket);
    if (!w) this.windows.set(bucket, (w = []));
    while (w.length > 0 && t - w[0]! >= rule.windowMs) w.shift();
    const last = w[w.length - 1];
    if (rule.minGapMs !== undefined && last !== undefined && t - last < rule.minGapMs) {
      return { allowed: false, retryAfterMs: rule.minGapMs - (t - last), reason: `requests must be at least ${rule.minGapMs} ms apart` };
    }
    if (w.length >= rule.limit) {
      return {
        allowed: false,
        retryAfterMs: w[0]! + rule.windowMs - t,
        reason: `at most ${rule.limit} requests per ${rule.windowMs / 1000} s`,
      };
    }
    w.push(t);
    return { allowed: true };
  }

  reset(): void {
    this.windows.clear();
  }
}
