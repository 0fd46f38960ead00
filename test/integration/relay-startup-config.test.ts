// The real relay process refuses a bad configuration before it connects anywhere: exit code 2 and one line
// that names the variable, the element and what is allowed (RELAY_SUBSCRIPTIONS by the schema the CDK app
// uses for `subscriptions`), or the secret file that cannot be read or holds no MD5 (never its content).
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');
const dir = mkdtempSync(join(tmpdir(), 'relay-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs the relay with `env` until it exits (bounded); its exit code and everything it printed. */
function runRelay(env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  return new Promise((done, fail) => {
    const proc = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'gateway-container/relay/main.ts')], {
      cwd: ROOT,
      // Port 9 (discard) on loopback: were the configuration accepted, the relay would try to connect, not exit.
      env: { PATH: process.env['PATH'] ?? '', HOME: dir, OPEND_HOST: '127.0.0.1', OPEND_PORT: '9', RELAY_CHECKPOINT_FILE: 'off', RELAY_HTTP_PORT: '0', RELAY_HTTP_HOST: '127.0.0.1', AWS_REGION: 'us-east-1', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    proc.stdout!.on('data', (d: Buffer) => (output += d));
    proc.stderr!.on('data', (d: Buffer) => (output += d));
    const timer = setTimeout(() => {
      proc.kill('SIGKILL');
      fail(new Error(`the relay did not exit within 60 s; it printed: ${output}`));
    }, 60_000);
    proc.once('exit', (code) => {
      clearTimeout(timer);
      done({ code, output });
    });
  });
}

it('exits 2 naming the bad RELAY_SUBSCRIPTIONS element and what is allowed', async () => {
  const { code, output } = await runRelay({ RELAY_SUBSCRIPTIONS: JSON.stringify([{ codes: ['HK.00700'], types: ['BASIC'] }, { codes: ['HK.00700'], types: ['TICKS'] }]) });
  expect(code).toBe(2);
  expect(output).toContain('RELAY_SUBSCRIPTIONS[1].types[0]: expected one of BASIC, ORDER_BOOK, TICKER');
  expect(output).toContain('got \\"TICKS\\"');
});

it('exits 2 naming the secret file that cannot be read', async () => {
  const missing = join(dir, 'no-such-md5');
  const { code, output } = await runRelay({ OPEND_TRADE_PASSWORD_MD5_FILE: missing });
  expect(code).toBe(2);
  expect(output).toContain(`OPEND_TRADE_PASSWORD_MD5_FILE: ${missing} cannot be read: ENOENT`);
});

it('exits 2 for a trade password file that holds no MD5, without printing what it holds', async () => {
  const file = join(dir, 'plain-password');
  writeFileSync(file, 'hunter2-plain-password\n');
  const { code, output } = await runRelay({ OPEND_TRADE_PASSWORD_MD5_FILE: file });
  expect(code).toBe(2);
  expect(output).toContain('32-hex-digit MD5');
  expect(output).not.toContain('hunter2');
});
