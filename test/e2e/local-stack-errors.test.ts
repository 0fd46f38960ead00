// What a new user sees when the machine is not ready: one clear sentence, no stack trace.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function runStack(env: Record<string, string>) {
  const dataDir = mkdtempSync(join(tmpdir(), 'ls-err-'));
  dirs.push(dataDir);
  return spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'bin/local-stack.ts'), '--data-dir', dataDir], {
    cwd: ROOT,
    env: { HOME: process.env['HOME'] ?? '/tmp', ...env },
    encoding: 'utf8',
    timeout: 60_000,
  });
}

it('explains that Java is missing instead of failing with a stack trace', () => {
  const bin = mkdtempSync(join(tmpdir(), 'no-java-'));
  dirs.push(bin);
  symlinkSync(process.execPath, join(bin, 'node'));
  const r = runStack({ PATH: bin });
  expect(r.status).toBe(1);
  expect(r.stderr).toMatch(/Java was not found, and DynamoDB Local needs it\. Install Java 17/);
  expect(r.stderr).not.toMatch(/\n\s+at /);
});

it('names the port that is taken and the variable that moves it', async () => {
  const busy: Server = createServer();
  const port = await new Promise<number>((r) => busy.listen(0, '127.0.0.1', () => r((busy.address() as { port: number }).port)));
  try {
    const r = runStack({ PATH: process.env['PATH'] ?? '', LOCAL_API_PORT: String(port) });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`port ${port} is already in use (LOCAL_API_PORT (local HTTP API))`);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  } finally {
    busy.close();
  }
});
