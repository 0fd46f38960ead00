// The buffer behind OpenDClient.pushes(): an async iterator of pushes, optionally filtered by protoID.
// Events wait here while the consumer is busy; past `max` the oldest is dropped and counted in `dropped`, so a
// slow consumer costs memory up to a bound and never blocks the socket. Ends (done) when the client closes.

export class PushQueue<T extends { protoId: number }> implements AsyncIterableIterator<T> {
  private buf: T[] = [];
  private waiters: ((r: IteratorResult<T>) => void)[] = [];
  private done = false;
  dropped = 0;
  constructor(
    private readonly filter: Set<number> | null,
    private readonly max: number,
    private readonly onReturn: () => void,
  ) {}
  offer(ev: T): void {
    if (this.done || (this.filter && !this.filter.has(ev.protoId))) return;
    const w = this.waiters.shift();
    if (w) return w({ value: ev, done: false });
    this.buf.push(ev);
    if (this.buf.length > this.max) {
      this.buf.shift();
      this.dropped++;
    }
  }
  end(): void {
    this.done = true;
    for (const w of this.waiters.splice(0)) w({ value: undefined, done: true });
  }
  next(): Promise<IteratorResult<T>> {
    const v = this.buf.shift();
    if (v) return Promise.resolve({ value: v, done: false });
    if (this.done) return Promise.resolve({ value: undefined, done: true });
    return new Promise((r) => this.waiters.push(r));
  }
  return(): Promise<IteratorResult<T>> {
    this.end();
    this.buf = [];
    this.onReturn();
    return Promise.resolve({ value: undefined, done: true });
  }
  [Symbol.asyncIterator](): this {
    return this;
  }
}
