import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, describe, expect, it } from 'vitest';
import {
  DynamoDbLocalStartError,
  JAVA_MISSING_MESSAGE,
  LOCAL_CREDENTIALS,
  LOCAL_REGION,
  startDynamoDbLocal,
  type DynamoDbLocal,
} from '../../bin/local/dynamodb-local.js';
import { tableNames } from '../../functions/lib/tables.js';
import { createTables } from '../../bin/local/create-tables.js';

const started: DynamoDbLocal[] = [];
const tempDirs: string[] = [];

afterAll(async () => {
  await Promise.all(started.map((instance) => instance.stop()));
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
});

async function start(options: Parameters<typeof startDynamoDbLocal>[0] = {}): Promise<DynamoDbLocal> {
  const instance = await startDynamoDbLocal(options);
  started.push(instance);
  return instance;
}

function clientFor(instance: DynamoDbLocal): DynamoDBClient {
  return new DynamoDBClient({ endpoint: instance.endpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS });
}

/** Running, that is: a zombie (exited, not yet reaped by whoever adopted it) counts as gone. */
function isAlive(pid: number): boolean {
  try {
    const state = execFileSync('ps', ['-o', 'stat=', '-p', String(pid)], { encoding: 'utf8' }).trim();
    return state !== '' && !state.startsWith('Z');
  } catch {
    return false; // ps exits non-zero when there is no such process
  }
}

async function waitUntilGone(pid: number): Promise<boolean> {
  for (let i = 0; i < 100; i++) {
    if (!isAlive(pid)) return true;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return !isAlive(pid);
}

/** Java processes whose parent is this test process. */
function javaChildPids(): number[] {
  const out = execFileSync('ps', ['-A', '-o', 'pid=,ppid=,comm='], { encoding: 'utf8' });
  return out
    .split('\n')
    .map((line) => line.trim().split(/\s+/))
    .filter(([, ppid, comm]) => Number(ppid) === process.pid && comm === 'java')
    .map(([pid]) => Number(pid))
    .sort((a, b) => a - b);
}

describe('startDynamoDbLocal', () => {
  it('answers DynamoDB requests once started, and leaves no Java process behind after stop', async () => {
    const instance = await start();
    expect(instance.endpoint).toBe(`http://127.0.0.1:${instance.port}`);
    const client = clientFor(instance);
    const { TableNames } = await client.send(new ListTablesCommand({}));
    expect(TableNames).toEqual([]);
    client.destroy();

    expect(isAlive(instance.pid)).toBe(true);
    await instance.stop();
    expect(isAlive(instance.pid)).toBe(false);
    expect(javaChildPids()).not.toContain(instance.pid);
    await expect(instance.stop()).resolves.toBeUndefined();
  });

  it('gives two instances started together different ports', async () => {
    const [a, b] = await Promise.all([start(), start()]);
    expect(a.port).not.toBe(b.port);
    await Promise.all([a.stop(), b.stop()]);
    expect(isAlive(a.pid)).toBe(false);
    expect(isAlive(b.pid)).toBe(false);
  });

  it('keeps tables across a restart when given a dbPath', async () => {
    const dbPath = mkdtempSync(join(tmpdir(), 'ddb-local-'));
    tempDirs.push(dbPath);
    const first = await start({ dbPath });
    let client = clientFor(first);
    await createTables(client, 'persist');
    client.destroy();
    await first.stop();

    const second = await start({ dbPath });
    client = clientFor(second);
    const { TableNames } = await client.send(new ListTablesCommand({}));
    client.destroy();
    await second.stop();
    expect(TableNames).toEqual(expect.arrayContaining(Object.values(tableNames('persist'))));
  });

  it('fails with a clear message when the requested port is taken, leaving no process behind', async () => {
    const holder = await start();
    const before = javaChildPids();
    const failure = await startDynamoDbLocal({ port: holder.port }).catch((err: unknown) => err);
    expect(failure).toBeInstanceOf(DynamoDbLocalStartError);
    expect((failure as Error).message).toContain(`port ${holder.port}`);
    expect(javaChildPids()).toEqual(before);
    await holder.stop();
  });

  it('kills the Java process it started when DynamoDB Local does not answer in time', async () => {
    const before = javaChildPids();
    const failure = await startDynamoDbLocal({ readyTimeoutMs: 1 }).catch((err: unknown) => err);
    expect(failure).toBeInstanceOf(DynamoDbLocalStartError);
    expect((failure as Error).message).toContain('did not answer');
    expect(javaChildPids()).toEqual(before);
  });

  it('takes the Java process down when the Node process that started it is killed', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ddb-owner-'));
    tempDirs.push(dir);
    const script = join(dir, 'owner.mts'); // .mts: ESM (top-level await) outside this package
    const harness = fileURLToPath(new URL('../../bin/local/dynamodb-local.ts', import.meta.url));
    writeFileSync(
      script,
      `import { startDynamoDbLocal } from ${JSON.stringify(harness)};\n` +
        `const ddb = await startDynamoDbLocal();\n` +
        `process.stdout.write('pid=' + ddb.pid + '\\n');\n` +
        `setInterval(() => {}, 1000);\n`,
    );
    const owner = spawn(process.execPath, ['--import', 'tsx', script], {
      cwd: fileURLToPath(new URL('../..', import.meta.url)),
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const ownerExited = new Promise((resolve) => owner.once('exit', resolve));
    try {
      const javaPid = await new Promise<number>((resolve, reject) => {
        let out = '';
        owner.stdout.on('data', (chunk: Buffer) => {
          out += chunk.toString();
          const match = /pid=(\d+)/.exec(out);
          if (match) resolve(Number(match[1]));
        });
        owner.once('exit', (code) => reject(new Error(`owner exited (${code}) before starting DynamoDB Local`)));
      });
      expect(isAlive(javaPid)).toBe(true);

      owner.kill('SIGKILL');
      await ownerExited;
      expect(await waitUntilGone(javaPid)).toBe(true);
    } finally {
      owner.kill('SIGKILL');
    }
  });

  it('says to install Java 17 when java is not on the PATH', async () => {
    const emptyDir = mkdtempSync(join(tmpdir(), 'no-java-'));
    tempDirs.push(emptyDir);
    const before = javaChildPids();
    const savedPath = process.env.PATH;
    process.env.PATH = emptyDir;
    let failure: unknown;
    try {
      failure = await startDynamoDbLocal().catch((err: unknown) => err);
    } finally {
      process.env.PATH = savedPath;
    }
    expect(failure).toBeInstanceOf(DynamoDbLocalStartError);
    expect((failure as Error).message).toBe(JAVA_MISSING_MESSAGE);
    expect(javaChildPids()).toEqual(before);
  });
});
