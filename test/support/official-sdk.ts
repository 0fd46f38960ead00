// Runs the official JavaScript SDK (npm futu-api, unchanged) in a child process against the simulator's
// WebSocket listener: the simulator in the test process must keep serving meanwhile. A fixture under
// test/fixtures/ prints what it got as one JSON line (its last line) and exits 0, or 1 with `error` set.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { join, resolve } from 'node:path';
import { freePort } from './processes.js';

const ROOT = resolve(import.meta.dirname, '../..');

/** The WebSocket key the simulator is started with and the fixtures log in with. */
export const SDK_KEY = 'local-websocket-key';

/** The simulator's `websocket` option for these tests: a free port and the key's MD5. */
export async function sdkWebsocket(): Promise<{ port: number; keyMd5: string }> {
  return { port: await freePort(), keyMd5: createHash('md5').update(SDK_KEY).digest('hex') };
}

/** Runs test/fixtures/<fixture> under Node with a global WebSocket and returns its exit status and JSON line. */
export async function runOfficialSdk(fixture: string, args: readonly string[]): Promise<{ status: number | null; result: Record<string, unknown>; stderr: string }> {
  const child = spawn(process.execPath, ['--experimental-websocket', '--no-warnings', '--import', 'tsx', join(ROOT, 'test/fixtures', fixture), ...args], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d));
  child.stderr.on('data', (d: Buffer) => (stderr += d));
  const status = await new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  return { status, result: JSON.parse(stdout.trim().split('\n').at(-1) || '{}') as Record<string, unknown>, stderr };
}
