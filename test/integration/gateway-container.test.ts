// The gateway container's processes for real: the entrypoint in simulator mode starts the real simulator and
// the real relay (from source, as the image does from its bundles), becomes ready, publishes to a local
// PutEvents endpoint, and stops cleanly on SIGTERM with no process left.
import { spawn } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { startLocalEventBridge } from '../../bin/local/eventbridge-local.js';
import { until } from '../support/local-aws.js';
import { alive, descendants, freePort } from '../support/processes.js';

const ROOT = resolve(import.meta.dirname, '../..');
const KEY = generateKeyPairSync('rsa', { modulusLength: 1024, privateKeyEncoding: { type: 'pkcs1', format: 'pem' }, publicKeyEncoding: { type: 'spki', format: 'pem' } }).privateKey;
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

it('runs the real simulator and relay under the entrypoint, becomes ready, and stops cleanly', async () => {
  const bus = await startLocalEventBridge();
  cleanups.push(() => bus.close());
  const [apiPort, healthPort] = [await freePort(), await freePort()];
  const runDir = mkdtempSync(join(tmpdir(), 'gw-run-'));
  cleanups.push(() => rmSync(runDir, { recursive: true, force: true }));
  // The relay keeps its checkpoint under $HOME (as OpenD keeps its files there): a HOME of its own keeps the
  // test from writing into the real ~/.com.futunn.FutuOpenD/.
  const home = mkdtempSync(join(tmpdir(), 'gw-home-'));
  cleanups.push(() => rmSync(home, { recursive: true, force: true }));
  const proc = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'gateway-container/entrypoint.ts')], {
    cwd: ROOT,
    env: {
      PATH: process.env['PATH'] ?? '',
      HOME: home,
      OPEND_MODE: 'simulator',
      OPEND_API_IP: '127.0.0.1',
      OPEND_API_PORT: String(apiPort),
      OPEND_RUNTIME_DIR: runDir,
      OPEND_RSA_PRIVATE_KEY: KEY,
      RELAY_HTTP_PORT: String(healthPort),
      RELAY_HTTP_HOST: '127.0.0.1',
      RELAY_SUBSCRIPTIONS: JSON.stringify([{ codes: ['HK.00700'], types: ['BASIC'] }]),
      EVENT_BUS_NAME: 'gateway-test',
      AWS_ENDPOINT_URL_EVENTBRIDGE: bus.endpoint,
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'local',
      AWS_SECRET_ACCESS_KEY: 'local',
      RELAY_EMF_INTERVAL_MS: '0',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  proc.stdout!.on('data', (d: Buffer) => (out += d));
  proc.stderr!.on('data', (d: Buffer) => (out += d));
  const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
  cleanups.push(() => {
    // On a failed run, take the simulator and relay down too, not only the entrypoint.
    if (proc.exitCode === null) for (const pid of [...descendants(proc.pid!), proc.pid!]) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  });

  await until(async () => {
    try {
      return (await fetch(`http://127.0.0.1:${healthPort}/readyz`)).status === 200;
    } catch {
      return false;
    }
  }, 60_000, 'the relay to report ready');
  await until(() => bus.events.some((e) => e['detail-type'] === 'Quote'), 30_000, 'a Quote event from the simulator through the relay');
  // /readyz turns 200 before the relay's own "ready" event has gone through the publisher's batch linger.
  await until(() => bus.events.some((e) => e['detail-type'] === 'Gateway State' && (e.detail as { ready: boolean }).ready), 10_000, 'the ready Gateway State event');
  const kids = descendants(proc.pid!);
  expect(kids.length).toBeGreaterThanOrEqual(2);
  expect(out).not.toContain(KEY.split('\n')[1]!);

  proc.kill('SIGTERM');
  expect(await exited).toBe(0);
  await until(() => kids.every((k) => !alive(k)), 10_000, 'every child to exit');
  expect(existsSync(join(home, '.com.futunn.FutuOpenD', 'opend-cloud-relay-checkpoint.json'))).toBe(true);
});
