// The configuration every Lambda execution environment reads from its environment once: where OpenD listens,
// the table names, where the RSA key comes from and the timing knobs. Plain data and parsing only (no AWS client,
// no OpenD code), so that both runtimes (runtime.ts for the OpenD functions, store-runtime.ts for the ones that
// only keep DynamoDB in step) and the CDK tests can import it cheaply. A malformed value throws at cold start.
import { FUNCTION_ENV } from './function-env.js';
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
