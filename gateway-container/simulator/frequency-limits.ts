// Futu's frequency limits: "at most n in 30 s" is a sliding window (request #1 and #n+1 must be more than
// 30 s apart), some with a minimum gap between consecutive requests. Time comes from the virtual clock.
export interface FrequencyRule {
  limit: number;
  windowMs: number;
  minGapMs?: number;
}

/** Per-protoID limits (docs/opend-protocol.md §7). Trade limits are per account, quote limits per OpenD. */
export const OPEND_LIMITS: Readonly<Record<number, FrequencyRule & { scope: 'account' | 'opend'; refreshOnly?: boolean; firstPageOnly?: boolean }>> = {
  2005: { limit: 10, windowMs: 30_000, scope: 'opend' },
  2202: { limit: 15, windowMs: 30_000, minGapMs: 20, scope: 'account' },
  2227: { limit: 15, windowMs: 30_000, minGapMs: 20, scope: 'account' },
  2205: { limit: 20, windowMs: 30_000, minGapMs: 20, scope: 'account' },
  2201: { limit: 10, windowMs: 30_000, scope: 'account', refreshOnly: true },
  2211: { limit: 10, windowMs: 30_000, scope: 'account', refreshOnly: true },
  2101: { limit: 10, windowMs: 30_000, scope: 'account', refreshOnly: true },
  2102: { limit: 10, windowMs: 30_000, scope: 'account', refreshOnly: true },
  2111: { limit: 10, windowMs: 30_000, scope: 'account' },
  2221: { limit: 10, windowMs: 30_000, scope: 'account' },
  2222: { limit: 10, windowMs: 30_000, scope: 'account' },
  3103: { limit: 60, windowMs: 30_000, scope: 'opend', firstPageOnly: true },
  3105: { limit: 60, windowMs: 30_000, scope: 'opend' },
  3203: { limit: 60, windowMs: 30_000, scope: 'opend' },
  3204: { limit: 10, windowMs: 30_000, scope: 'opend' },
  3205: { limit: 10, windowMs: 30_000, scope: 'opend' },
  3206: { limit: 10, windowMs: 30_000, scope: 'opend' },
  3207: { limit: 10, windowMs: 30_000, scope: 'opend' },
  3208: { limit: 10, windowMs: 30_000, scope: 'opend' },
  3209: { limit: 10, windowMs: 30_000, scope: 'opend' },
  3210: { limit: 60, windowMs: 30_000, scope: 'opend' },
  3211: { limit: 30, windowMs: 30_000, scope: 'opend' },
  3212: { limit: 30, windowMs: 30_000, scope: 'opend' },
  3219: { limit: 30, windowMs: 30_000, scope: 'opend' },
  3223: { limit: 10, windowMs: 30_000, scope: 'opend' },
};

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
