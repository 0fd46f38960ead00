// Runs gateway-container/entrypoint.ts as a real process with fake children (test/fixtures/*.mjs) standing in
// for OpenD, the simulator and the relay. Every wait is bounded; nothing asserts on timing.
import { spawn, type ChildProcess } from 'node:child_process';
import { createPrivateKey, generateKeyPairSync } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startLocalSecretsManager } from '../support/local-secrets-manager.js';
import { SECRET_PLACEHOLDER } from '../../gateway-container/secret-placeholder.js';

const ROOT = resolve(import.meta.dirname, '../..');
const ENTRYPOINT = join(ROOT, 'gateway-container/entrypoint.ts');
const FAKE_CHILD = join(ROOT, 'test/fixtures/fake-child.mjs');
const FAKE_OPEND = join(ROOT, 'test/fixtures/fake-opend.mjs');

const MD5 = '5f4dcc3b5aa765d61d8327deb882cf99';
const TRADE_MD5 = 'e10adc3949ba59abbe56e057f20f883e';
const KEY = generateKeyPairSync('rsa', { modulusLength: 1024, privateKeyEncoding: { type: 'pkcs1', format: 'pem' }, publicKeyEncoding: { type: 'spki', format: 'pem' } }).privateKey;
const KEY_LINES = KEY.split('\n').filter((l) => l && !l.startsWith('-----'));
const SECRETS = [MD5, TRADE_MD5, ...KEY_LINES];

interface Gateway {
  proc: ChildProcess;
  output: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const cleanups: (() => void)[] = [];
/** Every child pid a test saw: whatever is still running afterwards is killed, even when an assertion failed first. */
const seenPids = new Set<number>();
afterEach(() => {
  for (const pid of seenPids) if (alive(pid)) process.kill(pid, 'SIGKILL');
  seenPids.clear();
  for (const c of cleanups.splice(0).reverse()) c();
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'entrypoint-test-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function startGateway(env: Record<string, string>): Gateway {
  const proc = spawn(process.execPath, ['--import', 'tsx', ENTRYPOINT], {
    cwd: ROOT,
    env: { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '/tmp', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => proc.once('exit', (code, signal) => r({ code, signal })));
  cleanups.push(() => {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
  });
  return { proc, output: () => out, exited };
}

async function waitFor<T>(what: string, probe: () => T | undefined | false, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = probe();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function exitOf(gw: Gateway, timeoutMs = 20_000) {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, rej) => (timer = setTimeout(() => rej(new Error(`gateway did not exit; output:\n${gw.output()}`)), timeoutMs)));
  try {
    return await Promise.race([gw.exited, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

interface StartRecord {
  pid: number;
  argv: string[];
  env: Record<string, string>;
  cwd?: string;
  configPath?: string;
  configMode?: number;
  config?: string;
  keyPath?: string;
  keyMode?: number;
  key?: string;
}

function records(dir: string, name: string): StartRecord[] {
  const file = join(dir, `${name}.jsonl`);
  if (!existsSync(file)) return [];
  const recs = readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as StartRecord);
  for (const r of recs) seenPids.add(r.pid);
  return recs;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function logLines(output: string): Record<string, unknown>[] {
  return output
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

function cmdline(pid: number): string {
  const path = `/proc/${pid}/cmdline`;
  return existsSync(path) ? readFileSync(path, 'utf8').replace(/\0/g, ' ') : '';
}

function expectNoSecret(text: string, where: string): void {
  for (const s of SECRETS) expect(text.includes(s), `${where} contains a secret`).toBe(false);
}

function fakeChildCmd(name: string, ...flags: string[]): string {
  return JSON.stringify([process.execPath, FAKE_CHILD, `--name=${name}`, ...flags]);
}

/** OPENDBIN must be an executable file: a shell wrapper around the fake, carrying the record dir (OpenD gets a minimal env). */
function fakeOpenDBin(dir: string, recordDir: string): string {
  const bin = join(dir, 'FutuOpenD');
  writeFileSync(bin, `#!/bin/sh\nFAKE_RECORD_DIR='${recordDir}' exec '${process.execPath}' '${FAKE_OPEND}' "$@"\n`);
  chmodSync(bin, 0o755);
  return bin;
}

describe('gateway entrypoint', () => {
  it('renders a 0600 OpenD config from secrets staged into files, and no secret reaches argv, child env or logs', async () => {
    const tmp = tempDir();
    const rec = join(tmp, 'records');
    const run = join(tmp, 'run');
    const binDir = join(tmp, 'opend');
    mkdirSync(rec);
    mkdirSync(binDir);
    const opendBin = fakeOpenDBin(binDir, rec);

    const gw = startGateway({
      OPENDBIN: opendBin,
      OPEND_RUNTIME_DIR: run,
      // What ECS injects from Secrets Manager:
      OPEND_LOGIN_SECRET: JSON.stringify({ account: 'trader@example.com', passwordMd5: MD5 }),
      OPEND_RSA_PRIVATE_KEY: KEY,
      OPEND_TRADE_PASSWORD_MD5: TRADE_MD5,
      RELAY_CMD: fakeChildCmd('relay'),
      FAKE_RECORD_DIR: rec,
    });

    const opend = await waitFor('OpenD to start', () => records(rec, 'opend')[0]);
    const relay = await waitFor('the relay to start', () => records(rec, 'relay')[0]);
    await waitFor('the OpenD banner to be forwarded', () => gw.output().includes('FutuOpenD (fake) starting'));

    // The config: where the secrets go, private, with the staged key path.
    const cfgPath = join(run, 'FutuOpenD.xml');
    expect(opend.argv.slice(2)).toEqual([`-cfg_file=${cfgPath}`, '-console=0', '-no_monitor=1']);
    expect(opend.configMode).toBe(0o600);
    expect(statSync(cfgPath).mode & 0o777).toBe(0o600);
    expect(statSync(run).mode & 0o777).toBe(0o700);
    expect(opend.config).toContain('<login_account>trader@example.com</login_account>');
    expect(opend.config).toContain(`<login_pwd_md5>${MD5}</login_pwd_md5>`);
    expect(opend.config).toContain(`<rsa_private_key>${join(run, 'opend-rsa.pem')}</rsa_private_key>`);
    expect(opend.config).toContain('<telnet_ip>127.0.0.1</telnet_ip>');
    expect(opend.keyMode).toBe(0o600);
    expect(opend.key?.trim()).toBe(KEY.trim());
    expect(opend.cwd).toBe(binDir);

    // OpenD gets a minimal environment: no OPEND_* variable, no secret.
    expect(Object.keys(opend.env).filter((k) => k.startsWith('OPEND_'))).toEqual([]);
    expect(opend.env['LD_LIBRARY_PATH']?.split(':')[0]).toBe(binDir);
    expectNoSecret(JSON.stringify(opend.env), 'OpenD env');

    // The relay gets file paths, never values, and not the login.
    expect(relay.env['OPEND_RSA_KEY_FILE']).toBe(join(run, 'opend-rsa.pem'));
    expect(relay.env['OPEND_TRADE_PASSWORD_MD5_FILE']).toBe(join(run, 'trade-password.md5'));
    expect(readFileSync(relay.env['OPEND_TRADE_PASSWORD_MD5_FILE']!, 'utf8').trim()).toBe(TRADE_MD5);
    expect(statSync(relay.env['OPEND_TRADE_PASSWORD_MD5_FILE']!).mode & 0o777).toBe(0o600);
    for (const v of ['OPEND_LOGIN_SECRET', 'OPEND_RSA_PRIVATE_KEY', 'OPEND_TRADE_PASSWORD_MD5', 'OPEND_LOGIN_SECRET_FILE']) expect(relay.env[v]).toBeUndefined();
    expect(relay.env).toMatchObject({ OPEND_HOST: '127.0.0.1', OPEND_PORT: '11111', OPEND_API_IP: '0.0.0.0', OPEND_API_PORT: '11111', OPEND_MODE: 'opend' });
    expectNoSecret(JSON.stringify(relay.env), 'relay env');

    // Nothing secret on any command line.
    for (const r of [opend, relay]) {
      expectNoSecret(r.argv.join(' '), 'child argv');
      expectNoSecret(cmdline(r.pid), 'child /proc cmdline');
    }

    gw.proc.kill('SIGTERM');
    expect((await exitOf(gw)).code).toBe(0);
    const out = gw.output();
    expectNoSecret(out, 'entrypoint output');
    // The fake OpenD echoed the password MD5; the supervisor scrubbed it.
    expect(out).toMatch(/FutuOpenD \(fake\) starting; login_pwd_md5=\[redacted\]/);
    // Staged secrets and the config do not outlive the gateway.
    expect(readdirSync(run)).toEqual([]);
    await waitFor('children to be gone', () => !alive(opend.pid) && !alive(relay.pid), 5_000);
  });

  it('gives the simulator the listen address, key file and trade password file, and the relay where to connect', async () => {
    const rec = tempDir();
    const keyFile = join(rec, 'mounted-key.pem');
    writeFileSync(keyFile, KEY, { mode: 0o600 });
    const gw = startGateway({
      OPEND_MODE: 'simulator',
      OPEND_API_IP: '127.0.0.1',
      OPEND_API_PORT: '31111',
      OPEND_RSA_KEY_FILE: keyFile,
      OPEND_TRADE_PASSWORD_MD5: TRADE_MD5,
      OPEND_RUNTIME_DIR: join(rec, 'run'),
      SIMULATOR_CMD: fakeChildCmd('simulator'),
      RELAY_CMD: fakeChildCmd('relay'),
      FAKE_RECORD_DIR: rec,
    });
    const sim = await waitFor('the simulator to start', () => records(rec, 'simulator')[0]);
    const relay = await waitFor('the relay to start', () => records(rec, 'relay')[0]);
    const stagedTrade = join(rec, 'run', 'trade-password.md5');
    expect(sim.env).toMatchObject({ SIM_HOST: '127.0.0.1', SIM_PORT: '31111', OPEND_RSA_KEY_FILE: keyFile, SIM_TRADE_PASSWORD_MD5_FILE: stagedTrade, OPEND_MODE: 'simulator' });
    expect(relay.env).toMatchObject({ OPEND_HOST: '127.0.0.1', OPEND_PORT: '31111', OPEND_RSA_KEY_FILE: keyFile, OPEND_TRADE_PASSWORD_MD5_FILE: stagedTrade });
    for (const r of [sim, relay]) expectNoSecret(JSON.stringify(r.env) + r.argv.join(' '), `${r.argv[2]} env/argv`);
    gw.proc.kill('SIGTERM');
    expect((await exitOf(gw)).code).toBe(0);
    // A key the operator mounted is theirs: only what the entrypoint staged is removed.
    expect(existsSync(keyFile)).toBe(true);
    expect(existsSync(stagedTrade)).toBe(false);
  });

  it('forwards child output as one JSON object per line', async () => {
    const rec = tempDir();
    const gw = startGateway({ OPEND_MODE: 'simulator', OPEND_RUNTIME_DIR: join(rec, 'run'), SIMULATOR_CMD: fakeChildCmd('simulator'), RELAY_CMD: fakeChildCmd('relay'), FAKE_RECORD_DIR: rec });
    await waitFor('both children to log', () => gw.output().includes('relay: plain text on stderr') && gw.output().includes('simulator: plain text on stderr'));
    gw.proc.kill('SIGTERM');
    expect((await exitOf(gw)).code).toBe(0);
    const lines = gw.output().split('\n').filter(Boolean);
    for (const line of lines) {
      const obj = JSON.parse(line) as Record<string, unknown>;
      expect(obj).toHaveProperty('time');
      expect(obj).toHaveProperty('level');
      expect(obj).toHaveProperty('component');
      expect(obj).toHaveProperty('msg');
    }
    expect(logLines(gw.output())).toContainEqual(expect.objectContaining({ level: 'warn', component: 'relay', msg: 'relay: plain text on stderr' }));
  });

  it('restarts a crashed child with exponential backoff, bounded by the maximum', async () => {
    const rec = tempDir();
    const gw = startGateway({
      OPEND_MODE: 'simulator',
      OPEND_RUNTIME_DIR: join(rec, 'run'),
      SIMULATOR_CMD: fakeChildCmd('simulator'),
      RELAY_CMD: fakeChildCmd('relay', '--crash-times=3'),
      RESTART_BACKOFF_INITIAL_MS: '100',
      RESTART_BACKOFF_MAX_MS: '250',
      FAKE_RECORD_DIR: rec,
    });
    const relayRestarts = () => logLines(gw.output()).filter((l) => l['msg'] === 'restarting child' && l['child'] === 'relay');
    await waitFor('three restarts', () => relayRestarts().length >= 3);
    const starts = await waitFor('the relay to start a fourth time', () => {
      const r = records(rec, 'relay');
      return r.length >= 4 ? r : undefined;
    });
    const restarts = relayRestarts();
    expect(restarts.map((l) => l['delayMs'])).toEqual([100, 200, 250]);
    expect(logLines(gw.output()).filter((l) => l['msg'] === 'child exited unexpectedly').map((l) => l['code'])).toEqual([3, 3, 3]);
    // The other child is left alone.
    expect(records(rec, 'simulator')).toHaveLength(1);
    expect(new Set(starts.map((s) => s.pid)).size).toBe(4);

    gw.proc.kill('SIGTERM');
    expect((await exitOf(gw)).code).toBe(0);
  });

  it('resets the backoff once a child has stayed up long enough', async () => {
    const rec = tempDir();
    const gw = startGateway({
      OPEND_MODE: 'simulator',
      OPEND_RUNTIME_DIR: join(rec, 'run'),
      SIMULATOR_CMD: fakeChildCmd('simulator'),
      // Each run lasts at least 600 ms, longer than RESTART_RESET_AFTER_MS.
      RELAY_CMD: fakeChildCmd('relay', '--crash-times=2', '--exit-after-ms=600'),
      RESTART_BACKOFF_INITIAL_MS: '100',
      RESTART_RESET_AFTER_MS: '300',
      FAKE_RECORD_DIR: rec,
    });
    const restartLines = () => logLines(gw.output()).filter((l) => l['msg'] === 'restarting child');
    await waitFor('two restarts', () => restartLines().length >= 2);
    await waitFor('the relay to start a third time', () => records(rec, 'relay').length >= 3);
    const restarts = restartLines();
    expect(restarts.map((l) => l['delayMs'])).toEqual([100, 100]);
    gw.proc.kill('SIGTERM');
    expect((await exitOf(gw)).code).toBe(0);
  });

  it('stops every child on SIGTERM and exits 0 with none left', async () => {
    const rec = tempDir();
    const gw = startGateway({ OPEND_MODE: 'simulator', OPEND_RUNTIME_DIR: join(rec, 'run'), SIMULATOR_CMD: fakeChildCmd('simulator'), RELAY_CMD: fakeChildCmd('relay'), FAKE_RECORD_DIR: rec });
    const sim = await waitFor('the simulator to start', () => records(rec, 'simulator')[0]);
    const relay = await waitFor('the relay to start', () => records(rec, 'relay')[0]);
    expect(alive(sim.pid) && alive(relay.pid)).toBe(true);

    gw.proc.kill('SIGTERM');
    expect(await exitOf(gw)).toEqual({ code: 0, signal: null });
    expect(alive(sim.pid)).toBe(false);
    expect(alive(relay.pid)).toBe(false);
    const out = gw.output();
    expect(out).toContain('simulator: SIGTERM, exiting');
    expect(out).toContain('relay: SIGTERM, exiting');
    expect(logLines(out).at(-1)).toMatchObject({ component: 'entrypoint', msg: 'gateway stopped' });
  });

  it('stays up with only the relay while the deployed secrets are still placeholders, and says which to fill in', async () => {
    const rec = tempDir();
    const gw = startGateway({
      OPEND_MODE: 'opend',
      OPEND_RUNTIME_DIR: join(rec, 'run'),
      OPEND_LOGIN_SECRET: JSON.stringify({ account: SECRET_PLACEHOLDER, passwordMd5: SECRET_PLACEHOLDER }),
      OPEND_RSA_PRIVATE_KEY: SECRET_PLACEHOLDER,
      RELAY_CMD: fakeChildCmd('relay'),
      FAKE_RECORD_DIR: rec,
    });
    const relay = await waitFor('the relay to start', () => records(rec, 'relay')[0]);
    expect(records(rec, 'opend')).toHaveLength(0);
    const err = logLines(gw.output()).find((l) => l['level'] === 'error');
    expect(String(err?.['msg'])).toMatch(/secrets not filled in yet: OPEND_LOGIN_SECRET, OPEND_RSA_PRIVATE_KEY/);
    gw.proc.kill('SIGTERM');
    expect((await exitOf(gw)).code).toBe(0);
    expect(alive(relay.pid)).toBe(false);
  });

  it('stops on SIGINT as well', async () => {
    const rec = tempDir();
    const gw = startGateway({ OPEND_MODE: 'simulator', OPEND_RUNTIME_DIR: join(rec, 'run'), SIMULATOR_CMD: fakeChildCmd('simulator'), RELAY_CMD: fakeChildCmd('relay'), FAKE_RECORD_DIR: rec });
    const relay = await waitFor('the relay to start', () => records(rec, 'relay')[0]);
    gw.proc.kill('SIGINT');
    expect((await exitOf(gw)).code).toBe(0);
    expect(alive(relay.pid)).toBe(false);
  });

  it('SIGKILLs a child that ignores SIGTERM once the grace period is over', async () => {
    const rec = tempDir();
    const gw = startGateway({
      OPEND_MODE: 'simulator',
      OPEND_RUNTIME_DIR: join(rec, 'run'),
      SIMULATOR_CMD: fakeChildCmd('simulator'),
      RELAY_CMD: fakeChildCmd('relay', '--ignore-sigterm'),
      SHUTDOWN_GRACE_MS: '500',
      FAKE_RECORD_DIR: rec,
    });
    const relay = await waitFor('the relay to start', () => records(rec, 'relay')[0]);
    await waitFor('the relay to be up', () => gw.output().includes('"component":"relay"'));

    gw.proc.kill('SIGTERM');
    expect((await exitOf(gw)).code).toBe(0);
    expect(alive(relay.pid)).toBe(false);
    const out = gw.output();
    expect(out).toContain('relay: ignoring SIGTERM');
    expect(logLines(out)).toContainEqual(expect.objectContaining({ msg: 'child did not stop within the grace period: SIGKILL', child: 'relay' }));
    expect(logLines(out)).toContainEqual(expect.objectContaining({ msg: 'child exited', child: 'relay', signal: 'SIGKILL' }));
    expect(logLines(out)).not.toContainEqual(expect.objectContaining({ msg: 'child did not stop within the grace period: SIGKILL', child: 'simulator' }));
  });

  it('refuses a plaintext password variable before starting anything', async () => {
    const rec = tempDir();
    const gw = startGateway({
      OPEND_LOGIN_PASSWORD: 'correct-horse-battery',
      OPEND_LOGIN_SECRET: JSON.stringify({ account: 'a', passwordMd5: MD5 }),
      OPEND_RUNTIME_DIR: join(rec, 'run'),
      RELAY_CMD: fakeChildCmd('relay'),
      FAKE_RECORD_DIR: rec,
    });
    expect((await exitOf(gw)).code).toBe(78);
    const out = gw.output();
    expect(logLines(out)).toContainEqual(expect.objectContaining({ level: 'error', variable: 'OPEND_LOGIN_PASSWORD' }));
    expect(out).toMatch(/plaintext password is refused/);
    expect(out).not.toContain('correct-horse-battery');
    expectNoSecret(out, 'entrypoint output');
    expect(records(rec, 'relay')).toEqual([]);
    // The login secret had already been staged; it is removed again.
    expect(readdirSync(join(rec, 'run'))).toEqual([]);
  });

  it('explains a missing OpenD binary (a simulator-only image) and exits 78', async () => {
    const rec = tempDir();
    const gw = startGateway({
      OPENDBIN: join(rec, 'no-such-FutuOpenD'),
      OPEND_LOGIN_SECRET: JSON.stringify({ account: 'a', passwordMd5: MD5 }),
      OPEND_RSA_PRIVATE_KEY: KEY,
      OPEND_RUNTIME_DIR: join(rec, 'run'),
      RELAY_CMD: fakeChildCmd('relay'),
      FAKE_RECORD_DIR: rec,
    });
    expect((await exitOf(gw)).code).toBe(78);
    expect(gw.output()).toMatch(/OPENDBIN=.*missing or not executable.*OPEND_MODE=simulator/);
    expectNoSecret(gw.output(), 'entrypoint output');
    expect(readdirSync(join(rec, 'run'))).toEqual([]);
  });
});

describe('gateway entrypoint: the RSA key', () => {
  const PKCS8 = createPrivateKey(KEY).export({ type: 'pkcs8', format: 'pem' }).toString();

  it('gives OpenD a PKCS#1 key when the secret holds PKCS#8 (what `openssl genrsa` writes on OpenSSL 3)', async () => {
    const tmp = tempDir();
    const rec = join(tmp, 'records');
    const binDir = join(tmp, 'opend');
    mkdirSync(rec);
    mkdirSync(binDir);
    const gw = startGateway({
      OPENDBIN: fakeOpenDBin(binDir, rec),
      OPEND_RUNTIME_DIR: join(tmp, 'run'),
      OPEND_LOGIN_SECRET: JSON.stringify({ account: 'trader@example.com', passwordMd5: MD5 }),
      OPEND_RSA_PRIVATE_KEY: PKCS8,
      RELAY_CMD: fakeChildCmd('relay'),
      FAKE_RECORD_DIR: rec,
    });
    const opend = await waitFor('OpenD to start', () => records(rec, 'opend')[0]);
    expect(opend.config).toContain(`<rsa_private_key>${join(tmp, 'run', 'opend-rsa.pem')}</rsa_private_key>`);
    expect(opend.key?.trim()).toBe(KEY.trim());
    expect(opend.keyMode).toBe(0o600);
    gw.proc.kill('SIGTERM');
    expect((await exitOf(gw)).code).toBe(0);
    expectNoSecret(gw.output(), 'entrypoint output');
  });

  it('converts a mounted PKCS#8 key file into the runtime directory and leaves the mounted file alone', async () => {
    const rec = tempDir();
    const mounted = join(rec, 'mounted-key.pem');
    writeFileSync(mounted, PKCS8, { mode: 0o600 });
    const gw = startGateway({
      OPEND_MODE: 'simulator',
      OPEND_RSA_KEY_FILE: mounted,
      OPEND_RUNTIME_DIR: join(rec, 'run'),
      SIMULATOR_CMD: fakeChildCmd('simulator'),
      RELAY_CMD: fakeChildCmd('relay'),
      FAKE_RECORD_DIR: rec,
    });
    const sim = await waitFor('the simulator to start', () => records(rec, 'simulator')[0]);
    const relay = await waitFor('the relay to start', () => records(rec, 'relay')[0]);
    const converted = join(rec, 'run', 'opend-rsa.pem');
    expect(sim.env['OPEND_RSA_KEY_FILE']).toBe(converted);
    expect(relay.env['OPEND_RSA_KEY_FILE']).toBe(converted);
    expect(readFileSync(converted, 'utf8').trim()).toBe(KEY.trim());
    expect(statSync(converted).mode & 0o777).toBe(0o600);
    gw.proc.kill('SIGTERM');
    expect((await exitOf(gw)).code).toBe(0);
    expect(readFileSync(mounted, 'utf8')).toBe(PKCS8);
    expect(existsSync(converted)).toBe(false);
  });

  it('refuses an EC key with exit 78, saying what is accepted, before starting anything', async () => {
    const rec = tempDir();
    const ec = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const gw = startGateway({
      OPEND_MODE: 'simulator',
      OPEND_RSA_PRIVATE_KEY: ec,
      OPEND_RUNTIME_DIR: join(rec, 'run'),
      SIMULATOR_CMD: fakeChildCmd('simulator'),
      RELAY_CMD: fakeChildCmd('relay'),
      FAKE_RECORD_DIR: rec,
    });
    expect((await exitOf(gw)).code).toBe(78);
    expect(gw.output()).toMatch(/the RSA key secret \(OPEND_RSA_PRIVATE_KEY\) is a PKCS#8 EC key, not RSA; expected an unencrypted RSA private key in PEM, PKCS#1/);
    for (const line of ec.split('\n').filter((l) => l && !l.startsWith('-----'))) expect(gw.output().includes(line)).toBe(false);
    expect(records(rec, 'simulator')).toHaveLength(0);
    expect(records(rec, 'relay')).toHaveLength(0);
  });

  it('in simulator mode generates the key while the secret holds the placeholder, stores it there, then starts the simulator with it', async () => {
    const secrets = await startLocalSecretsManager();
    cleanups.push(() => void secrets.close());
    const arn = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:OpenDCloud-RsaPrivateKey-AbCdEf';
    secrets.put(arn, SECRET_PLACEHOLDER);
    const rec = tempDir();
    const gw = startGateway({
      OPEND_MODE: 'simulator',
      OPEND_RSA_PRIVATE_KEY: SECRET_PLACEHOLDER,
      OPEND_RSA_KEY_SECRET_ARN: arn,
      AWS_ENDPOINT_URL_SECRETS_MANAGER: secrets.endpoint,
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'local',
      AWS_SECRET_ACCESS_KEY: 'local',
      OPEND_RUNTIME_DIR: join(rec, 'run'),
      SIMULATOR_CMD: fakeChildCmd('simulator'),
      RELAY_CMD: fakeChildCmd('relay'),
      FAKE_RECORD_DIR: rec,
    });
    const sim = await waitFor('the simulator to start', () => records(rec, 'simulator')[0], 30_000);
    const relay = await waitFor('the relay to start', () => records(rec, 'relay')[0]);
    const stored = secrets.current(arn)!;
    expect(stored).toMatch(/^-----BEGIN RSA PRIVATE KEY-----/);
    expect(createPrivateKey(stored).asymmetricKeyDetails?.modulusLength).toBe(1024);
    expect(secrets.calls).toEqual(['PutSecretValue']);
    // The simulator and the relay use exactly the key the Lambdas will read from the secret, and encrypt.
    expect(readFileSync(sim.env['OPEND_RSA_KEY_FILE']!, 'utf8').trim()).toBe(stored.trim());
    expect(relay.env['OPEND_RSA_KEY_FILE']).toBe(sim.env['OPEND_RSA_KEY_FILE']);
    expect(sim.env['SIM_NO_ENCRYPTION']).toBeUndefined();
    expect(gw.output()).not.toContain(stored.split('\n')[1]!);
    gw.proc.kill('SIGTERM');
    expect((await exitOf(gw)).code).toBe(0);
  });

  it('in simulator mode stops (exit 1) rather than run with a key it could not store for the Lambdas', async () => {
    const secrets = await startLocalSecretsManager();
    cleanups.push(() => void secrets.close());
    const rec = tempDir();
    const gw = startGateway({
      OPEND_MODE: 'simulator',
      OPEND_RSA_PRIVATE_KEY: SECRET_PLACEHOLDER,
      // No such secret at the endpoint: PutSecretValue answers ResourceNotFoundException.
      OPEND_RSA_KEY_SECRET_ARN: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:missing',
      AWS_ENDPOINT_URL_SECRETS_MANAGER: secrets.endpoint,
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'local',
      AWS_SECRET_ACCESS_KEY: 'local',
      OPEND_RUNTIME_DIR: join(rec, 'run'),
      SIMULATOR_CMD: fakeChildCmd('simulator'),
      RELAY_CMD: fakeChildCmd('relay'),
      FAKE_RECORD_DIR: rec,
    });
    expect((await exitOf(gw, 30_000)).code).toBe(1);
    expect(gw.output()).toMatch(/could not store the generated RSA key in arn:aws:secretsmanager:.*:missing \(ResourceNotFoundException.*secretsmanager:PutSecretValue/);
    expect(records(rec, 'simulator')).toHaveLength(0);
    const run = join(rec, 'run');
    expect(existsSync(run) ? readdirSync(run) : [], 'no generated key left behind').toEqual([]);
  });
});
