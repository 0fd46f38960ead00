// The one module of seeded randomness, for every layer (simulator, local tools, soak, tests): a string hash for
// per-security, per-day seeds and two small generators that give the same sequence on every platform.
// Invariant: for a given seed each generator's sequence never changes — the simulated market replays from its
// seed (mulberry32, `Rng`), and the local EventBridge's fault positions and the soak's plan are fixed by theirs
// (xorshift32); changing either algorithm would change recorded runs, which is why both are kept.

export function hash32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** mulberry32: small, fast, and identical on every platform. */
export class Rng {
  private state: number;
  constructor(seed: number) {
    this.state = seed >>> 0;
  }
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  private spare: number | undefined;
  /** Standard normal (Box-Muller; the second value of each pair is kept for the next call). */
  normal(): number {
    const spare = this.spare;
    if (spare !== undefined) {
      this.spare = undefined;
      return spare;
    }
    const radius = Math.sqrt(-2 * Math.log(1 - this.next()));
    const angle = 2 * Math.PI * this.next();
    this.spare = radius * Math.sin(angle);
    return radius * Math.cos(angle);
  }
  /** 1 + exponential, so the mean is `mean` (at least 1). */
  lots(mean: number): number {
    return 1 + Math.floor(-Math.log(1 - this.next()) * Math.max(0, mean - 1));
  }
}

/**
 * xorshift32 (Marsaglia): a function returning numbers in [0, 1). A seed of 0 (which would stick at 0) counts
 * as 1.
 */
export function xorshift32(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 4294967296;
  };
}
