// What a Lambda execution environment creates once and reuses while warm: configuration, AWS clients,
// stores, the rate limiter and the OpenD connection. In AWS the RSA key comes from Secrets Manager; locally
// from a file. The AWS SDK reaches local endpoints through AWS_ENDPOINT_URL_DYNAMODB / _EVENTBRIDGE.
import { readFileSync } from 'node:fs';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Logger } from '../../proto/client.js';
import { toPkcs1Pem } from '../../proto/rsa-key.js';
import { AccountDirectory } from './accounts.js';
import { FUNCTION_ENV } from './function-env.js';
import { asLogger, lambdaLogger } from './lambda-logger.js';
import { DynamoGatewayStateStore, type GatewayStateStore } from './gateway-state-store.js';
import { DynamoIdempotencyStore, type IdempotencyStore } from './idempotency-store.js';
import { OpenDConnection } from './opend-connection.js';
import { DynamoFillStore, DynamoOrderStore, type FillStore, type OrderStore } from './order-store.js';
import { DynamoRateLimiter, type RateLimiter } from './rate-limiter.js';
import { TABLE_ENV, tableNames, type TableId } from './tables.js';

export interface RuntimeConfig {
  openDHost: string;
  openDPort: number;
  tables: Record<TableId, string>;
  /** Where the RSA key comes from, if encryption is on. */
  rsaKey: { file: string } | { secretArn: string } | undefined;
  /** A PENDING idempotency record older than this is presumed abandoned and may be taken over. */
  pendingStaleMs: number;
  /** How long a request to OpenD may go unanswered (env OPEND_REQUEST_TIMEOUT_MS, default 10 s). */
  openDRequestTimeoutMs: number;
  /** Share of each Futu limit the rate limiter keeps in reserve (env RATE_LIMIT_MARGIN_PERCENT, default 10 %). */
  rateLimitMarginRatio: number;
}

export const DEFAULT_RATE_LIMIT_MARGIN_PERCENT = 10;

function marginPercent(env: NodeJS.ProcessEnv, name: string, dflt: number): number {
  const v = env[name];
  if (v === undefined || v === '') return dflt;
  if (!/^\d{1,2}$/.test(v)) throw new Error(`${name} must be a whole percentage from 0 to 99, got ${JSON.stringify(v)}`);
  return Number(v);
}

/**
 * Longer than any function that places orders may run (orders 20 s, the strategy 60 s; see cdk/definitions.ts):
 * by then the first attempt has certainly ended, so a takeover that finds no order in OpenD's list can place
 * it without racing a PlaceOrder still in flight.
 */
export const DEFAULT_PENDING_STALE_MS = 65_000;

function positiveInt(env: NodeJS.ProcessEnv, name: string, dflt: number): number {
  const v = env[name];
  if (v === undefined || v === '') return dflt;
  if (!/^\d+$/.test(v) || Number(v) <= 0) throw new Error(`${name} must be a positive whole number of milliseconds, got ${JSON.stringify(v)}`);
  return Number(v);
}

/** IDEMPOTENCY_PENDING_STALE_MS: after how long a PENDING placement record may be taken over and reconciled. */
export function pendingStaleMs(env: NodeJS.ProcessEnv = process.env): number {
  return positiveInt(env, 'IDEMPOTENCY_PENDING_STALE_MS', DEFAULT_PENDING_STALE_MS);
}

export function loadRuntimeConfig(env: NodeJS.ProcessEnv = process.env): RuntimeConfig {
  const prefixed = tableNames(env['TABLE_PREFIX'] ?? 'opend-cloud');
  const tables = {} as Record<TableId, string>;
  for (const [id, name] of Object.entries(TABLE_ENV) as [TableId, string][]) tables[id] = env[name] ?? prefixed[id];
  const file = env['OPEND_RSA_KEY_FILE'];
  const secretArn = env[FUNCTION_ENV.rsaKeySecretArn];
  return {
    openDHost: env[FUNCTION_ENV.openDHost] ?? '127.0.0.1',
    openDPort: Number(env[FUNCTION_ENV.openDPort] ?? 11111),
    tables,
    rsaKey: file ? { file } : secretArn ? { secretArn } : undefined,
    pendingStaleMs: pendingStaleMs(env),
    openDRequestTimeoutMs: positiveInt(env, 'OPEND_REQUEST_TIMEOUT_MS', 10_000),
    rateLimitMarginRatio: marginPercent(env, 'RATE_LIMIT_MARGIN_PERCENT', DEFAULT_RATE_LIMIT_MARGIN_PERCENT) / 100,
  };
}

async function readRsaKey(src: RuntimeConfig['rsaKey']): Promise<string | undefined> {
  if (!src) return undefined;
  if ('file' in src) return readFileSync(src.file, 'utf8');
  const out = await new SecretsManagerClient({}).send(new GetSecretValueCommand({ SecretId: src.secretArn }));
  const pem = out.SecretString?.trim();
  if (!pem || !pem.includes('PRIVATE KEY')) throw new Error(`secret ${src.secretArn} does not hold a PEM private key yet; store the output of "openssl genrsa 1024" in it`);
  return toPkcs1Pem(pem, `secret ${src.secretArn}`); // PKCS#8 (OpenSSL 3's genrsa) too; a clear error for other keys
}

export interface Runtime {
  config: RuntimeConfig;
  log: Logger;
  orders: OrderStore;
  fills: FillStore;
  idempotency: IdempotencyStore;
  limiter: RateLimiter;
  gatewayState: GatewayStateStore;
  openD: OpenDConnection;
  directory: AccountDirectory;
}

// The default logger is Powertools' (lambda-logger.ts): the handlers' injectLambdaContext adds the Lambda context.
export function createRuntime(config: RuntimeConfig = loadRuntimeConfig(), log: Logger = asLogger(lambdaLogger())): Runtime {
  const doc = DynamoDBDocumentClient.from(new DynamoDBClient({}), { marshallOptions: { removeUndefinedValues: true } });
  return {
    config,
    log,
    orders: new DynamoOrderStore(doc, config.tables.orders),
    fills: new DynamoFillStore(doc, config.tables.fills),
    idempotency: new DynamoIdempotencyStore(doc, config.tables.idempotency),
    limiter: new DynamoRateLimiter(doc, config.tables.rateLimits, { marginRatio: config.rateLimitMarginRatio }),
    gatewayState: new DynamoGatewayStateStore(doc, config.tables.gatewayState),
    openD: new OpenDConnection({ host: config.openDHost, port: config.openDPort, rsaPrivateKey: () => readRsaKey(config.rsaKey), log, requestTimeoutMs: config.openDRequestTimeoutMs }),
    directory: new AccountDirectory(),
  };
}

let shared: Runtime | undefined;

/** The execution environment's runtime, created on first use. */
export function runtime(): Runtime {
  shared ??= createRuntime();
  return shared;
}

/** For tests and the local stack: replace (or drop) the shared runtime. */
export function setRuntime(r: Runtime | undefined): void {
  shared = r;
}
