// `npm start`'s command line: --help prints the usage and exits 0 without starting anything; a wrong argument
// gets one sentence naming it, the usage, and exit 1 — before Java or any port is looked at.
import { spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');

function runStack(args: string[]) {
  return spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'bin/local-stack.ts'), ...args], {
    cwd: ROOT,
    // No PATH: proves that nothing (java, npm) is started for these answers.
    env: { HOME: process.env['HOME'] ?? '/tmp' },
    encoding: 'utf8',
    timeout: 60_000,
  });
}

it('prints the usage for --help and -h and exits 0 without starting anything', () => {
  for (const flag of ['--help', '-h']) {
    const r = runStack([flag]);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^Usage: npm start/);
    expect(r.stdout).toContain('--data-dir <dir>');
    expect(r.stdout).toContain('LOCAL_API_PORT (3000)');
    expect(r.stdout).not.toContain('starting the local stack');
    expect(r.stderr).toBe('');
  }
});

it('names an unknown argument, lists the allowed ones and exits 1', () => {
  const r = runStack(['--fersh']);
  expect(r.status).toBe(1);
  expect(r.stderr).toContain('opend-cloud: unknown argument "--fersh"; the arguments are --fresh, --data-dir <dir> and --help');
  expect(r.stderr).toContain('Usage: npm start');
  expect(r.stderr).not.toMatch(/\n\s+at /);
  expect(r.stdout).toBe('');
});

it('refuses --data-dir without a folder instead of falling back to the default', () => {
  for (const args of [['--data-dir'], ['--data-dir', '--fresh'], ['--data-dir=']]) {
    const r = runStack(args);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('--data-dir needs a folder');
  }
});
