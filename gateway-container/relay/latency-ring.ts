// A fixed ring of the publisher's latest push-to-PutEvents latencies: recording one costs the same whatever the
// history (the publisher records one per accepted entry). Invariant: at most `size` values are kept, the oldest
// overwritten first.

/** The last `size` latencies (ms), overwritten in a ring: recording one costs the same whatever the history. */
export class LatencyRing {
  private readonly values: Float64Array;
  private next = 0;
  private count = 0;
  constructor(size: number) {
    this.values = new Float64Array(size);
  }
  add(ms: number): void {
    this.values[this.next] = ms;
    this.next = (this.next + 1) % this.values.length;
    if (this.count < this.values.length) this.count++;
  }
  clear(): void {
    this.next = 0;
    this.count = 0;
  }
  sorted(): Float64Array {
    return this.values.slice(0, this.count).sort();
  }
}
