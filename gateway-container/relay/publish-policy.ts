// The publish policy, enforced before an event is queued for PutEvents (config `publishPolicy`, env
// RELAY_PUBLISH_POLICY, schema in ../publish-policy-schema.ts), and the per-DetailType rate meter /metrics shows.
//
// Why here and not in EventBridge: EventBridge bills every entry PutEvents accepts ($1.00 per million custom
// events), so an event must be dropped or merged before it is sent to save anything.
//
// Invariants:
// - Only market-data types pass through the gate; the publisher never offers it an order, fill or gateway event
//   (isCriticalDetailType), so those are never delayed, merged or dropped here.
// - Per rate key (DetailType + security, + K-line type for KLine) at most one event leaves per window
//   (1 / maxPerSecurityPerSecond seconds). The first event of a quiet key leaves at once; events arriving inside
//   the window are conflated: the latest one is held and leaves when the window ends, the ones it replaced are
//   counted (conflated). A held event is never older than one window when it leaves.
// - A disabled type is dropped at the gate and counted (suppressed).
import type { PolicyDetailType, PublishPolicy } from '../publish-policy-schema.js';
import { POLICY_DETAIL_TYPES } from '../publish-policy-schema.js';

export interface GateInput {
  detailType: string;
  detail: unknown;
}

interface KeyState<T> {
  lastSentAt: number;
  held?: T;
  timer?: NodeJS.Timeout;
}

export interface GateMetrics {
  /** Events replaced by a later one of the same key inside its window, by DetailType. */
  conflated: Record<string, number>;
  /** Events of a disabled type, by DetailType. */
  suppressed: Record<string, number>;
}

/** The key a rate applies to, or undefined for an event without a security (never limited). */
export function rateKey(detailType: string, detail: unknown): string | undefined {
  const d = detail as { security?: unknown; klType?: unknown } | null;
  if (!d || typeof d.security !== 'string') return undefined;
  return detailType === 'KLine' ? `${detailType}|${d.security}|${String(d.klType)}` : `${detailType}|${d.security}`;
}

export class PublishGate<T extends GateInput> {
  private readonly keys = new Map<string, KeyState<T>>();
  private closed = false;
  readonly metrics: GateMetrics = { conflated: {}, suppressed: {} };

  constructor(
    private readonly o: {
      policy: PublishPolicy;
      /** Called with a held event when its window ends. */
      release: (input: T) => void;
      now?: () => number;
    },
  ) {}

  private now(): number {
    return (this.o.now ?? Date.now)();
  }

  private policyOf(detailType: string) {
    return (POLICY_DETAIL_TYPES as readonly string[]).includes(detailType) ? this.o.policy[detailType as PolicyDetailType] : undefined;
  }

  /** True: publish it now. False: it was dropped (disabled type) or is held to leave at the end of its window. */
  admit(input: T): boolean {
    const policy = this.policyOf(input.detailType);
    if (!policy) return true;
    if (!policy.enabled) {
      this.metrics.suppressed[input.detailType] = (this.metrics.suppressed[input.detailType] ?? 0) + 1;
      return false;
    }
    const key = rateKey(input.detailType, input.detail);
    if (key === undefined) return true;
    const windowMs = 1000 / policy.maxPerSecurityPerSecond;
    const now = this.now();
    let s = this.keys.get(key);
    if (!s) this.keys.set(key, (s = { lastSentAt: -Infinity }));
    if (s.held === undefined && now - s.lastSentAt >= windowMs) {
      s.lastSentAt = now;
      return true;
    }
    if (s.held !== undefined) this.metrics.conflated[input.detailType] = (this.metrics.conflated[input.detailType] ?? 0) + 1;
    s.held = input;
    if (!s.timer && !this.closed) {
      const state = s;
      state.timer = setTimeout(() => {
        state.timer = undefined;
        const held = state.held;
        state.held = undefined;
        if (held === undefined || this.closed) return;
        state.lastSentAt = this.now();
        this.o.release(held);
      }, Math.max(0, s.lastSentAt + windowMs - now));
      state.timer.unref?.();
    }
    return false;
  }

  /** Events waiting for their window. */
  get held(): number {
    let n = 0;
    for (const s of this.keys.values()) if (s.held !== undefined) n++;
    return n;
  }

  /** Held events are dropped: they are market data, stale by the time a next relay runs. */
  close(): void {
    this.closed = true;
    for (const s of this.keys.values()) {
      if (s.timer) clearTimeout(s.timer);
      s.timer = undefined;
      s.held = undefined;
    }
  }
}

/** Events per second by DetailType over the last `windowS` whole seconds (1 s buckets). */
export class TypeRateMeter {
  private readonly buckets = new Map<number, Map<string, number>>();

  constructor(private readonly o: { windowS?: number; now?: () => number } = {}) {}

  private get windowS(): number {
    return this.o.windowS ?? 10;
  }

  add(detailType: string, n = 1): void {
    const sec = Math.floor((this.o.now ?? Date.now)() / 1000);
    let b = this.buckets.get(sec);
    if (!b) {
      this.buckets.set(sec, (b = new Map()));
      for (const k of this.buckets.keys()) if (k <= sec - this.windowS - 1) this.buckets.delete(k);
    }
    b.set(detailType, (b.get(detailType) ?? 0) + n);
  }

  /** Average events/s per DetailType over the last full `windowS` seconds (the current second excluded). */
  perSecond(): Record<string, number> {
    const now = Math.floor((this.o.now ?? Date.now)() / 1000);
    const sums: Record<string, number> = {};
    for (const [sec, b] of this.buckets) {
      if (sec >= now || sec < now - this.windowS) continue;
      for (const [t, n] of b) sums[t] = (sums[t] ?? 0) + n;
    }
    const out: Record<string, number> = {};
    for (const [t, n] of Object.entries(sums)) out[t] = Math.round((n / this.windowS) * 100) / 100;
    return out;
  }
}
