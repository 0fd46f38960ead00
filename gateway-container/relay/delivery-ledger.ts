// Which trade events the bus has accepted, and the durable checkpoint written from that (checkpoint.ts).
//
// Invariants:
// - Every trade event gets a sequence number when it is handed to the publisher; a horizon candidate (an OpenD
//   time T taken when every change before T had been handed over, with the sequence number reached then) becomes
//   the horizon only once every event up to that number has been accepted. So the checkpoint never claims
//   more than the bus has: events still queued at a crash are re-derived by the next relay.
// - The checkpoint is rewritten at most every `intervalMs`, and once more when the relay stops.
import type { Logger } from '../../proto/client.js';
import { CheckpointFile, CHECKPOINT_VERSION, type LoadResult } from './checkpoint.js';
import type { OrderTracker } from './order-tracker.js';
import type { EventPublisher } from './publisher.js';

const DAY_S = 86_400;

export class DeliveryLedger {
  private readonly file: CheckpointFile | null;
  readonly loaded: LoadResult;
  private horizonS: number | undefined;
  private seq = 0;
  private readonly undelivered = new Set<number>();
  private candidates: { seq: number; time: number }[] = [];
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;

  constructor(private readonly o: { file?: string; intervalMs: number; tracker: OrderTracker; publisher: EventPublisher; logger: Logger }) {
    this.file = o.file ? new CheckpointFile(o.file, o.logger) : null;
    this.loaded = this.file ? this.file.load() : { kind: 'absent' };
    if (this.loaded.kind === 'loaded') {
      this.horizonS = this.loaded.data.horizon;
      o.tracker.restore(this.loaded.data.accounts);
      o.logger.info('relay checkpoint loaded', { path: o.file, horizon: this.horizonS });
    } else if (this.loaded.kind === 'unreadable') {
      o.logger.error('relay checkpoint unreadable; reconciling the last days of history instead', { path: o.file, error: this.loaded.error });
    }
  }

  get durable(): boolean {
    return this.file !== null;
  }

  /** OpenD time (seconds) before which every change has been accepted by the bus, if known. */
  get horizon(): number | undefined {
    return this.horizonS;
  }

  get writes(): number {
    return this.file?.writes ?? 0;
  }

  /** Hands a trade event to the publisher; `delivered` runs once the bus accepted it. */
  publish(detailType: string, detail: unknown, orderingKey: string | undefined, delivered: () => void): void {
    const seq = ++this.seq;
    this.undelivered.add(seq);
    this.o.publisher.publish({
      detailType,
      detail,
      orderingKey,
      onDelivered: () => {
        delivered();
        this.undelivered.delete(seq);
        this.advance();
        this.schedule();
      },
    });
  }

  /** Every change before OpenD time `time` has been handed to the publisher (or published earlier). */
  addCandidate(time: number): void {
    this.candidates.push({ seq: this.seq, time });
    this.advance();
  }

  private advance(): void {
    if (this.candidates.length === 0) return;
    let lowest = Infinity;
    for (const s of this.undelivered) {
      lowest = s; // a Set iterates in insertion order: the first one is the oldest event not yet accepted
      break;
    }
    let moved = false;
    this.candidates = this.candidates.filter((c) => {
      if (c.seq >= lowest) return true;
      if (this.horizonS === undefined || c.time > this.horizonS) {
        this.horizonS = c.time;
        moved = true;
      }
      return false;
    });
    if (moved) {
      // Terminal orders and fills this old can be listed again by no reconciliation: forget them.
      this.o.tracker.forgetOlderThan(this.horizonS! - 3 * DAY_S);
      this.schedule();
    }
  }

  private schedule(): void {
    if (!this.file || this.timer || this.stopped) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.write();
    }, this.o.intervalMs);
  }

  private async write(): Promise<void> {
    if (!this.file) return;
    await this.file.save({ version: CHECKPOINT_VERSION, horizon: this.horizonS, accounts: this.o.tracker.deliveredSnapshot(), writtenAt: new Date().toISOString() });
  }

  /** Writes the final checkpoint (call after the publisher closed: it then knows every call's outcome). */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.write();
  }
}
