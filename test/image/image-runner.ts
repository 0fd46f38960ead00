// Builds and runs the gateway image without a container engine, for the image test (npm run test:image).
//
// Building goes through bin/image/build.sh (buildah, chroot isolation, vfs storage, local base images). Running
// does what a container runtime does with the parts this test relies on, read from the built image's own
// config (`buildah inspect`): its ENTRYPOINT + CMD, as its USER (uid and gid from the image's /etc/passwd), in
// its WORKDIR, with exactly its ENV plus what the test passes (as `docker run -e` would). The root filesystem
// is a buildah working container of the image, entered with chroot; /proc and /dev are mounted inside a
// private mount namespace (`unshare --mount`), so those mounts vanish with the last process in it. The network
// is the host's, so the test's local endpoints on 127.0.0.1 are reachable, as with `--network host`.
//
// Invariants: every buildah call shares bin/image/lib.sh's storage; every child command is bounded in time
// (killed with its descendants on timeout); `cleanup()` kills every process whose root is the container's
// filesystem, then removes the working container, on success and on failure alike.
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync, readlinkSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { descendants } from '../support/processes.js';

export const ROOT = resolve(import.meta.dirname, '../..');

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  output: string;
  ms: number;
}

/**
 * Runs a command to completion, output captured; on timeout it and every process below it are killed. It stays
 * in this process group, so a supervisor that signals the group (CI's `timeout`) reaches a build in progress too.
 */
export function run(cmd: string, args: string[], opts: { timeoutMs: number; env?: NodeJS.ProcessEnv; cwd?: string }): Promise<RunResult> {
  const t0 = Date.now();
  return new Promise((done, fail) => {
    const p = spawn(cmd, args, { cwd: opts.cwd ?? ROOT, env: opts.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    p.stdout!.on('data', (d: Buffer) => (output += d));
    p.stderr!.on('data', (d: Buffer) => (output += d));
    const timer = setTimeout(() => {
      output += `\n[image-runner] ${cmd} timed out after ${opts.timeoutMs} ms; killing it and its descendants\n`;
      for (const pid of [...descendants(p.pid!), p.pid!]) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
    }, opts.timeoutMs);
    p.once('error', (e) => {
      clearTimeout(timer);
      fail(e);
    });
    p.once('close', (code, signal) => {
      clearTimeout(timer);
      done({ code, signal, output, ms: Date.now() - t0 });
    });
  });
}

/** A buildah command against this project's image storage (bin/image/lib.sh), synchronous, bounded. */
export function bh(args: string[], timeoutMs = 120_000): string {
  const r = spawnSync('bash', ['-c', '. bin/image/lib.sh && bh "$@"', 'bh', ...args], { cwd: ROOT, encoding: 'utf8', timeout: timeoutMs, maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`buildah ${args.join(' ')} failed (${r.status ?? r.signal}): ${r.stderr.trim()}`);
  return r.stdout.trim();
}

/** bin/image/build.sh with these buildah arguments (makes the local base images first when missing). */
export function buildImage(args: string[], timeoutMs = 15 * 60_000): Promise<RunResult> {
  return run('bash', ['bin/image/build.sh', ...args], { timeoutMs });
}

/** The parts of an image's config that a runtime acts on (Docker schema: HEALTHCHECK survives only there). */
export interface ImageConfig {
  User?: string;
  Env?: string[];
  Entrypoint?: string[] | null;
  Cmd?: string[] | null;
  WorkingDir?: string;
  StopSignal?: string;
  Healthcheck?: { Test?: string[]; Interval?: number; Timeout?: number; StartPeriod?: number; Retries?: number };
  Labels?: Record<string, string>;
  ExposedPorts?: Record<string, unknown>;
}

export function imageConfig(image: string): ImageConfig {
  const j = JSON.parse(bh(['inspect', '--type', 'image', image])) as { Docker?: { config?: ImageConfig } };
  const c = j.Docker?.config;
  if (!c) throw new Error(`${image} has no Docker-format config (build with --format docker)`);
  return c;
}

export function imageExists(image: string): boolean {
  return spawnSync('bash', ['-c', '. bin/image/lib.sh && bh inspect --type image "$1" >/dev/null 2>&1', 'bh', image], { cwd: ROOT, timeout: 60_000 }).status === 0;
}

export function removeImage(image: string): void {
  spawnSync('bash', ['-c', '. bin/image/lib.sh && bh rmi -f "$1" >/dev/null 2>&1', 'bh', image], { cwd: ROOT, timeout: 120_000 });
}

/** A working container of an image with its root filesystem reachable from here. */
export interface MountedImage {
  container: string;
  rootfs: string;
  config: ImageConfig;
  /** Absolute path of a file inside the image. */
  path(p: string): string;
  /** The numeric uid and gid of the image's USER, from the image's own /etc/passwd (as a runtime resolves it). */
  user(): { uid: number; gid: number; home: string };
  /** Kills whatever still runs inside, removes the working container. Idempotent. */
  cleanup(): void;
}

export function mountImage(image: string): MountedImage {
  const config = imageConfig(image);
  const container = bh(['from', '--pull=never', '--name', `opend-image-test-${randomBytes(4).toString('hex')}`, image]);
  let rootfs: string;
  try {
    rootfs = bh(['mount', container]);
  } catch (e) {
    bh(['rm', container]);
    throw e;
  }
  let cleaned = false;
  return {
    container,
    rootfs,
    config,
    path: (p) => join(rootfs, p),
    user: () => resolveUser(rootfs, config.User ?? 'root'),
    cleanup() {
      if (cleaned) return;
      cleaned = true;
      for (const pid of processesRootedAt(rootfs)) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
      try {
        bh(['umount', container]);
      } finally {
        bh(['rm', container]);
      }
    },
  };
}

function resolveUser(rootfs: string, spec: string): { uid: number; gid: number; home: string } {
  const [name, group] = spec.split(':') as [string, string | undefined];
  const passwd = readFileSync(join(rootfs, 'etc/passwd'), 'utf8').split('\n').map((l) => l.split(':'));
  const entry = passwd.find((f) => f[0] === name || f[2] === name);
  if (!entry && !/^\d+$/.test(name)) throw new Error(`USER ${spec}: no such user in the image's /etc/passwd`);
  const uid = entry ? Number(entry[2]) : Number(name);
  let gid = entry ? Number(entry[3]) : uid;
  if (group !== undefined) {
    const groups = readFileSync(join(rootfs, 'etc/group'), 'utf8').split('\n').map((l) => l.split(':'));
    const g = groups.find((f) => f[0] === group || f[2] === group);
    gid = g ? Number(g[2]) : Number(group);
  }
  return { uid, gid, home: entry?.[5] ?? '/' };
}

/** Every process whose root directory is `rootfs` (i.e. running inside that container). */
export function processesRootedAt(rootfs: string): number[] {
  const out: number[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      if (readlinkSync(`/proc/${d}/root`) === rootfs) out.push(Number(d));
    } catch {
      // gone, or not ours to read
    }
  }
  return out;
}

export interface RunningContainer {
  /** PID of the image's ENTRYPOINT (after the exec chain unshare → sh → chroot → env → entrypoint). */
  pid: number;
  output(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>;
}

/**
 * Starts the image's ENTRYPOINT + CMD as a runtime would. `env` is added to the image's ENV (and wins); HOME
 * comes from the user's passwd entry when the image sets none, as Docker does.
 */
export function startContainer(m: MountedImage, env: Record<string, string>): RunningContainer {
  const { uid, gid, home } = m.user();
  const cmd = [...(m.config.Entrypoint ?? []), ...(m.config.Cmd ?? [])];
  if (cmd.length === 0) throw new Error('the image has neither ENTRYPOINT nor CMD');
  const childEnv: Record<string, string> = {};
  for (const kv of m.config.Env ?? []) {
    const i = kv.indexOf('=');
    childEnv[kv.slice(0, i)] = kv.slice(i + 1);
  }
  childEnv['HOME'] ??= home;
  Object.assign(childEnv, env);
  // The environment reaches the entrypoint through the exec chain unchanged (never argv: it holds the key);
  // `env -u` drops what the shell in between may add.
  const script = [
    'set -eu',
    'root="$1"; uid="$2"; gid="$3"; wd="$4"; shift 4',
    '/bin/mount -t proc proc "$root/proc"',
    '/bin/mount --rbind /dev "$root/dev"',
    'exec /usr/sbin/chroot --userspec="$uid:$gid" --groups="$gid" "$root" /usr/bin/env -u PWD -u OLDPWD -u SHLVL -u _ -C "$wd" "$@"',
  ].join('\n');
  const p = spawn('/usr/bin/unshare', ['--mount', '--propagation', 'private', '--', '/bin/sh', '-c', script, 'sh', m.rootfs, String(uid), String(gid), m.config.WorkingDir || '/', ...cmd], {
    env: childEnv,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  p.stdout!.on('data', (d: Buffer) => (out += d));
  p.stderr!.on('data', (d: Buffer) => (out += d));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>((r) => p.once('exit', (code, signal) => r({ code, signal, at: Date.now() })));
  return { pid: p.pid!, output: () => out, exited };
}

/** Runs one command inside the image (not its entrypoint) as the image's user, bounded; like `docker exec`. */
export function execIn(m: MountedImage, cmd: string[], env: Record<string, string> = {}, timeoutMs = 30_000): Promise<RunResult> {
  const { uid, gid } = m.user();
  const base: Record<string, string> = {};
  for (const kv of m.config.Env ?? []) base[kv.slice(0, kv.indexOf('='))] = kv.slice(kv.indexOf('=') + 1);
  return run('/usr/sbin/chroot', [`--userspec=${uid}:${gid}`, `--groups=${gid}`, m.rootfs, '/usr/bin/env', '-i', ...Object.entries({ ...base, ...env }).map(([k, v]) => `${k}=${v}`), ...cmd], { timeoutMs });
}

/** uid of a running process (real, effective, saved, fs), from /proc. */
export function uidsOf(pid: number): number[] {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith('Uid:'));
  return (line ?? '').split(/\s+/).slice(1).filter(Boolean).map(Number);
}
