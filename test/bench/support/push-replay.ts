// A load source for the relay benchmark that costs the benchmark process almost nothing: a TCP proxy between
// the relay and the simulator that records the quote pushes the simulator sends (real frames, already encrypted
// with the connection's AES key, since every OpenD frame is encrypted on its own), and later writes copies of
// them to the relay as fast or as steadily as asked. The relay decrypts, checks and decodes every copy as it
// would a fresh push; only the simulator's market model is taken out of the measurement.
//
// Invariants: frames are forwarded and replayed whole (a replayed block never splits a forwarded frame), and
// only push frames (OpenD's push protocol IDs) are recorded, so replies to the relay's requests are never
// repeated. The proxy runs in the benchmark's process, so its CPU time is in the process's figures; replayCpuUs
// reports that share so that it can be read out of the relay's CPU per push.
import { createServer, connect, type Server, type Socket } from 'node:net';
import { isPushProtoId } from '../../../proto/registry.js';

const HEADER_BYTES = 44;

export interface PushReplayProxy {
  host: string;
  port: number;
  /** Push frames recorded so far (from the simulator to the relay). */
  readonly recorded: number;
  /** Push frames written by `replay` so far. */
  readonly replayed: number;
  /**
   * CPU time (user + system, µs) spent inside `replay` so far: the load source's share of this process's CPU (the
   * copy of the frames and the socket write; on loopback the write also carries part of the kernel's delivery).
   */
  readonly replayCpuUs: number;
  /** Stops recording; later pushes are forwarded only. */
  stopRecording(): void;
  /** Writes `frames` recorded push frames (cycling through the recording) to the relay in one write. */
  replay(frames: number): void;
  close(): Promise<void>;
}

export async function startPushReplayProxy(target: { host: string; port: number }): Promise<PushReplayProxy> {
  const recording: Buffer[] = [];
  let recordOn = true;
  let replayed = 0;
  let replayCpuUs = 0;
  let cursor = 0;
  let downstream: Socket | null = null;
  const sockets = new Set<Socket>();

  const server: Server = createServer((relaySide) => {
    const sim = connect(target.port, target.host);
    sockets.add(relaySide).add(sim);
    downstream = relaySide;
    relaySide.setNoDelay(true);
    sim.setNoDelay(true);
    relaySide.pipe(sim);
    let pending: Buffer = Buffer.alloc(0);
    sim.on('data', (chunk: Buffer) => {
      pending = pending.length ? Buffer.concat([pending, chunk]) : chunk;
      let off = 0;
      while (pending.length - off >= HEADER_BYTES) {
        const len = HEADER_BYTES + pending.readUInt32LE(off + 12);
        if (pending.length - off < len) break;
        const frame = pending.subarray(off, off + len);
        if (recordOn && isPushProtoId(frame.readUInt32LE(2))) recording.push(Buffer.from(frame));
        off += len;
      }
      if (off > 0) relaySide.write(pending.subarray(0, off));
      pending = pending.subarray(off);
    });
    const end = () => {
      relaySide.destroy();
      sim.destroy();
      sockets.delete(relaySide);
      sockets.delete(sim);
      if (downstream === relaySide) downstream = null;
    };
    relaySide.on('close', end).on('error', end);
    sim.on('close', end).on('error', end);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as { port: number }).port;

  return {
    host: '127.0.0.1',
    port,
    get recorded() {
      return recording.length;
    },
    get replayed() {
      return replayed;
    },
    get replayCpuUs() {
      return replayCpuUs;
    },
    stopRecording() {
      recordOn = false;
    },
    replay(frames: number) {
      if (!downstream) throw new Error('the relay is not connected to the replay proxy');
      if (recording.length === 0) throw new Error('no push frames recorded yet: advance the simulator first');
      if (frames <= 0) return;
      const cpu0 = process.cpuUsage();
      const parts: Buffer[] = [];
      for (let i = 0; i < frames; i++) {
        parts.push(recording[cursor]!);
        cursor = (cursor + 1) % recording.length;
      }
      downstream.write(Buffer.concat(parts));
      replayed += frames;
      const cpu = process.cpuUsage(cpu0);
      replayCpuUs += cpu.user + cpu.system;
    },
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}
