// What a Lambda execution environment that talks to OpenD creates once and reuses while warm: configuration,
// AWS clients, stores, the rate limiter and the OpenD connection. In AWS the RSA key comes from Secrets Manager;
// locally from a file. The AWS SDK reaches local endpoints through AWS_ENDPOINT_URL_DYNAMODB / _EVENTBRIDGE.
// A function that never talks to OpenD (orderEvents) takes store-runtime.ts instead, so its bundle carries no
// OpenD client, codec or Secrets Manager client. Invariant: setRuntime installs one runtime for every handler in
// the process, those on store-runtime.ts included (tests and bin/local/stack.ts rely on it).
import { readFileSync } from 'node:fs';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { Logger } from '../../proto/client.js';
import { toPkcs1Pem } from '../../proto/rsa-key.js';
import { AccountDirectory } from './accounts.js';
import { asLogger, lambdaLogger } from './lambda-logger.js';
import { DynamoIdempotencyStore, type IdempotencyStore } from './idempotency-store.js';
import { OpenDConnection } from './opend-connection.js';
import { DynamoRateLimiter, type RateLimiter } from './rate-limiter.js';
import { loadRuntimeConfig, type RuntimeConfig } from './runtime-config.js';
import { documentClient, setStoreRuntime, storesOn, type StoreRuntime } from './store-runtime.js';

export {
  DEFAULT_PENDING_STALE_MS,
  DEFAULT_RATE_LIMIT_MARGIN_PERCENT,
  loadRuntimeConfig,
  pendingStaleMs,
  type RuntimeConfig,
} from './runtime-config.js';

async function readRsaKey(src: RuntimeConfig['rsaKey']): Promise<string | undefined> {
  if (!src) return undefined;
  if ('file' in src) return readFileSync(src.file, 'utf8');
  const out = await new SecretsManagerClient({}).send(new GetSecretValueCommand({ SecretId: src.secretArn }));
  const pem = out.SecretString?.trim();
  if (!pem || !pem.includes('PRIVATE KEY')) throw new Error(`secret ${src.secretArn} does not hold a PEM private key yet; store the output of "openssl genrsa 1024" in it`);
  return toPkcs1Pem(pem, `secret ${src.secretArn}`); // PKCS#8 (OpenSSL 3's genrsa) too; a clear error for other keys
}

/** The store runtime (config, logger, order/fill/gateway-state stores) plus placement's stores and OpenD. */
export interface Runtime extends StoreRuntime {
  idempotency: IdempotencyStore;
  limiter: RateLimiter;
  openD: OpenDConnection;
  directory: AccountDirectory;
}

// The default logger is Powertools' (lambda-logger.ts): the handlers' injectLambdaContext adds the Lambda context.
export function createRuntime(config: RuntimeConfig = loadRuntimeConfig(), log: Logger = asLogger(lambdaLogger())): Runtime {
  const doc = documentClient();
  return {
    ...storesOn(doc, config, log),
    idempotency: new DynamoIdempotencyStore(doc, config.tables.idempotency),
    limiter: new DynamoRateLimiter(doc, config.tables.rateLimits, { marginRatio: config.rateLimitMarginRatio }),
    openD: new OpenDConnection({ host: config.openDHost, port: config.openDPort, rsaPrivateKey: () => readRsaKey(config.rsaKey), log, requestTimeoutMs: config.openDRequestTimeoutMs }),
    directory: new AccountDirectory(),
  };
}

let shared: Runtime | undefined;

/** The execution environment's runtime, created on first use; it also serves store-runtime.ts's handlers. */
export function runtime(): Runtime {
  if (!shared) setRuntime(createRuntime());
  return shared!;
}

/** For tests and the local stack: replace (or drop) the shared runtime, for every handler in the process. */
export function setRuntime(r: Runtime | undefined): void {
  shared = r;
  setStoreRuntime(r);
}
