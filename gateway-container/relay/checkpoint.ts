// The relay's durable checkpoint: what the bus has accepted, kept on the gateway's state volume so that a relay
// restart (SIGKILL, OOM, a new task) re-derives every trade event that was still queued in memory.
//
// Invariants:
// - `horizon` is an OpenD time (seconds) such that every order and fill change before it has been accepted by
//   the bus; reconciliation after a restart or a long outage reads OpenD's history lists from there on.
// - `accounts` holds, per account, the last accepted state of orders (open ones always; terminal ones until
//   they fall out of the reconciliation window) and accepted fill IDs, so that a restart does not publish
//   them again.
// - The file is replaced atomically: write a temporary file, fsync it, rename it over the old one, fsync the
//   folder. A crash leaves either the old or the new checkpoint, never a torn one. Writes are serialised.
// - One checkpoint file belongs to one OpenD (hence the default on OpenD's own state volume): order IDs are
//   unique per broker login, so a file shared with another OpenD (or a simulator started afresh, which numbers
//   its orders from the start again) could make a state look already published.
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import type { Logger } from '../../proto/client.js';
import type { DeliveredSnapshot, OrderState } from './order-tracker.js';

export const CHECKPOINT_VERSION = 1;

export interface CheckpointData {
  version: typeof CHECKPOINT_VERSION;
  horizon?: number;
  accounts: Record<string, DeliveredSnapshot>;
  writtenAt: string;
}

/**
 * OpenD keeps its state (device whitelist, login) under ~/.com.futunn.FutuOpenD (moomoo's OpenD: ~/.com.moomoo.OpenD):
 * the volume that survives a restart (EFS in AWS).
 */
export function defaultCheckpointPath(home = process.env['HOME'] ?? homedir(), brand = process.env['OPEND_BRAND']): string {
  return join(home, brand === 'moomoo' ? '.com.moomoo.OpenD' : '.com.futunn.FutuOpenD', 'opend-cloud-relay-checkpoint.json');
}

export type LoadResult = { kind: 'absent' } | { kind: 'loaded'; data: CheckpointData } | { kind: 'unreadable'; error: string };

function isState(v: unknown): v is OrderState {
  const s = v as OrderState;
  return !!s && typeof s.status === 'string' && typeof s.fillQty === 'number' && typeof s.qty === 'number' && typeof s.updateTimestamp === 'number' && typeof s.createTimestamp === 'number';
}

function validate(v: unknown): CheckpointData {
  const d = v as CheckpointData;
  if (!d || typeof d !== 'object' || d.version !== CHECKPOINT_VERSION) throw new Error(`unknown checkpoint version ${JSON.stringify((d as { version?: unknown })?.version)}; expected ${CHECKPOINT_VERSION}`);
  if (d.horizon !== undefined && (typeof d.horizon !== 'number' || !Number.isFinite(d.horizon))) throw new Error('horizon must be a number of seconds');
  if (!d.accounts || typeof d.accounts !== 'object') throw new Error('accounts must be an object');
  for (const [acc, s] of Object.entries(d.accounts)) {
    if (!/^\d{1,20}$/.test(acc)) throw new Error(`account ID ${JSON.stringify(acc)} is not a decimal ID`);
    for (const [id, st] of Object.entries(s.orders ?? {})) if (!/^\d{1,20}$/.test(id) || !isState(st)) throw new Error(`order ${acc}:${id} is malformed`);
    for (const [id, t] of Object.entries(s.fills ?? {})) if (!/^\d{1,20}$/.test(id) || typeof t !== 'number') throw new Error(`fill ${acc}:${id} is malformed`);
    s.orders ??= {};
    s.fills ??= {};
  }
  return d;
}

export class CheckpointFile {
  private writing: Promise<void> = Promise.resolve();
  writes = 0;

  constructor(
    readonly path: string,
    private readonly logger: Logger,
  ) {}

  load(): LoadResult {
    let raw: string;
    try {
      raw = readFileSync(this.path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { kind: 'absent' };
      return { kind: 'unreadable', error: (err as Error).message };
    }
    try {
      return { kind: 'loaded', data: validate(JSON.parse(raw)) };
    } catch (err) {
      return { kind: 'unreadable', error: (err as Error).message };
    }
  }

  /** Queues an atomic replacement of the file; resolves when this version is on disk. */
  save(data: CheckpointData): Promise<void> {
    const text = JSON.stringify(data);
    const run = () => {
      this.writeAtomically(text);
      this.writes++;
    };
    this.writing = this.writing.then(run, run).catch((err: Error) => {
      this.logger.error('relay checkpoint could not be written; events would be re-derived from an older one', { path: this.path, error: err.message });
    });
    return this.writing;
  }

  private writeAtomically(text: string): void {
    const dir = dirname(this.path);
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const tmp = `${this.path}.${process.pid}.tmp`;
    const fd = openSync(tmp, 'w', 0o600);
    try {
      writeSync(fd, text);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, this.path);
    // The rename itself is durable only once the folder is synced (not possible on every file system).
    try {
      const dfd = openSync(dir, 'r');
      try {
        fsyncSync(dfd);
      } finally {
        closeSync(dfd);
      }
    } catch {
      /* folder fsync unsupported (e.g. some network file systems): the rename is still atomic */
    }
  }
}
