/**
 * What a deployment can be configured with, the defaults, and `loadConfig`, which layers
 * defaults ← `cdk/config.ts` ← CDK context (`-c key=value`) and says exactly which value is wrong and why.
 *
 * Imports nothing from aws-cdk-lib: the local stack loads the same configuration.
 */
import type { ScheduleDefinition } from './definitions.js';
import { config as fileConfig } from './config.js';
import { DEFAULT_CALLERS, DEFAULT_RISK_LIMITS, parseCallers, parseRiskLimits, SecurityConfigError, type CallerGrant, type RiskLimitsConfig } from '../functions/lib/security-config.js';
import { FARGATE_CPUS, fargateSizeProblem } from './fargate-sizes.js';
import { scheduleExpressionProblem } from './schedule-expression.js';

export const BRANDS = ['futu', 'moomoo'] as const;
export type Brand = (typeof BRANDS)[number];

/** `opend` runs the real OpenD (needs a Futu/moomoo login); `simulator` runs the wire-compatible simulator. */
export const OPEND_MODES = ['opend', 'simulator'] as const;
export type OpenDMode = (typeof OPEND_MODES)[number];

/** Futu's market prefixes, as in `"HK.00700"`. */
export const MARKETS = ['HK', 'US', 'SH', 'SZ', 'SG', 'JP', 'AU', 'MY', 'CA'] as const;
export type Market = (typeof MARKETS)[number];

/** Qot_Common.SubType names (without NONE), as the relay accepts them. */
export const SUB_TYPES = [
  'BASIC',
  'ORDER_BOOK',
  'TICKER',
  'RT',
  'KL_DAY',
  'KL_5MIN',
  'KL_15MIN',
  'KL_30MIN',
  'KL_60MIN',
  'KL_1MIN',
  'KL_WEEK',
  'KL_MONTH',
  'BROKER',
  'KL_QURATER',
  'KL_YEAR',
  'KL_3MIN',
  'KL_10MIN',
  'KL_120MIN',
  'KL_180MIN',
  'KL_240MIN',
  'ORDER_BOOK_ODD',
] as const;
export type SubTypeName = (typeof SUB_TYPES)[number];

/** What the relay keeps subscribed (and pushes to the bus): every code × every type. */
export interface Subscription {
  readonly codes: readonly string[];
  readonly types: readonly SubTypeName[];
}

/** An alert when a security's price is at or above `above`, or at or below `below`. */
export interface PriceAlert {
  /** `"HK.00700"`. */
  readonly security: string;
  readonly above?: number;
  readonly below?: number;
}

/** CloudWatch Logs' allowed retention periods, in days. */
export const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
] as const;

export interface OpenDCloudConfig {
  /** CloudFormation stack name; also names the event bus and the HTTP API. */
  readonly stackName: string;
  readonly brand: Brand;
  readonly openDMode: OpenDMode;
  /** The OpenD build the gateway image downloads (a Docker build argument). */
  readonly openDVersion: string;
  /**
   * SHA-256 of that OpenD tarball. The image build refuses an unverified download, so `openDMode: 'opend'`
   * needs it at deploy time (`sha256sum` of the tarball, downloaded once on a trusted machine).
   */
  readonly openDSha256?: string;
  /** Tarball URL, when not the versioned Futu Ubuntu build (moomoo accounts need the moomoo build). */
  readonly openDUrl?: string;
  /** Markets traded; schedules for other markets are not deployed. */
  readonly markets: readonly Market[];
  readonly subscriptions: readonly Subscription[];
  readonly priceAlerts: readonly PriceAlert[];
  /** Merged over `SCHEDULES` by name; a new name adds a schedule (then every field is needed). */
  readonly schedules: Readonly<Record<string, Partial<ScheduleDefinition>>>;
  /** Subscribed to the alerts and login-challenge topics when set (AWS emails a confirmation link). */
  readonly alarmEmail?: string;
  /**
   * Physical names of the tables deleted with the stack are `<tablePrefix>-<name>`; the retained ones (orders,
   * fills, idempotency) get generated names so that a retried first deploy cannot collide with them.
   */
  readonly tablePrefix: string;
  /** How long the event archive keeps events for replay; 0 keeps them forever. */
  readonly archiveRetentionDays: number;
  /** Which detail-types the archive keeps. Market data is high volume, so by default only the rest. */
  readonly archiveDetailTypes: readonly string[];
  readonly logRetentionDays: (typeof LOG_RETENTION_DAYS)[number];
  /**
   * Apply each function's reserved concurrency (28 in all), which caps the connections the Lambdas can open to
   * OpenD. Off by default: AWS refuses a reservation that would leave the account fewer than 100 unreserved
   * executions, so in a new account (concurrency quota 10 or 50) the first function would fail the deploy.
   * Turn it on once `aws lambda get-account-settings` shows a ConcurrentExecutions limit of at least 128.
   */
  readonly reservedConcurrency: boolean;
  /**
   * Give the gateway the trade password (MD5) so the relay unlocks trading OpenD-wide. The secret exists in
   * every `opend` deployment; fill it in first, then deploy with this on.
   */
  readonly unlockTrading: boolean;
  /** Fargate task size of the gateway (OpenD + relay): CPU units (1024 = 1 vCPU), checked against FARGATE_SIZES. */
  readonly gatewayCpu: 256 | 512 | 1024 | 2048 | 4096 | 8192 | 16384;
  /** MiB; must be one Fargate allows with `gatewayCpu` (cdk/fargate-sizes.ts). */
  readonly gatewayMemoryMiB: number;
  /**
   * Who may call the HTTP API for which accounts with which rights (read, trade, tradeReal, gateway), by IAM
   * principal ARN pattern. Default: every signed caller may read and trade paper (SIMULATE) accounts; REAL
   * trading needs an entry with `tradeReal`. See README "Security".
   */
  readonly callers: readonly CallerGrant[];
  /** Pre-trade limits: a default for every account and overrides per account ID. See README "Security". */
  readonly riskLimits: RiskLimitsConfig;
}

/** What `cdk/config.ts` and context may set: any subset. */
export type OpenDCloudConfigInput = { -readonly [K in keyof OpenDCloudConfig]?: OpenDCloudConfig[K] };

export const DEFAULT_CONFIG: OpenDCloudConfig = {
  stackName: 'OpenDCloud',
  brand: 'futu',
  openDMode: 'opend',
  openDVersion: '10.9.6918',
  markets: ['HK', 'US'],
  subscriptions: [],
  priceAlerts: [],
  schedules: {},
  tablePrefix: 'OpenDCloud',
  archiveRetentionDays: 90,
  archiveDetailTypes: ['Order Update', 'Order Fill', 'Gateway Notice', 'Login Challenge', 'Gateway State'],
  // A year: the access and audit logs are the record of who traded what.
  logRetentionDays: 365,
  reservedConcurrency: false,
  unlockTrading: false,
  gatewayCpu: 1024,
  gatewayMemoryMiB: 2048,
  callers: DEFAULT_CALLERS,
  riskLimits: { default: DEFAULT_RISK_LIMITS, accounts: {} },
};

/** Every key, including the optional ones that have no default. */
export const CONFIG_KEYS = Object.keys(DEFAULT_CONFIG).concat('alarmEmail', 'openDSha256', 'openDUrl') as (keyof OpenDCloudConfig)[];

/** Thrown for a configuration value that cannot work; the message names the key, the source and the fix. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/**
 * The deployment's configuration: defaults, then `file` (normally `cdk/config.ts`), then `context` (CDK context,
 * e.g. `cdk deploy -c openDMode=simulator -c markets=HK`). A key set in a later layer replaces the whole value.
 * Context values may be strings: numbers, booleans and JSON (arrays, objects) are parsed; `markets` also takes
 * `HK,US`. When `file` sets `stackName` but not `tablePrefix`, the prefix follows the stack name.
 */
export function loadConfig(
  context: Readonly<Record<string, unknown>> = {},
  file: OpenDCloudConfigInput = fileConfig,
): OpenDCloudConfig {
  const fromFile = validate(file, 'cdk/config.ts');
  const fromContext = validate(parseContext(context), 'context');
  const merged = { ...DEFAULT_CONFIG, ...fromFile, ...fromContext };
  const prefixGiven = fromFile.tablePrefix !== undefined || fromContext.tablePrefix !== undefined;
  // Checked on the merged result: cdk/config.ts may set the CPU and context only the memory, or the other way.
  const sizeProblem = fargateSizeProblem(merged.gatewayCpu, merged.gatewayMemoryMiB);
  if (sizeProblem !== undefined) throw new ConfigError(`${sizeProblem} (cdk.json context, cdk/config.ts or -c)`);
  return { ...merged, tablePrefix: prefixGiven ? merged.tablePrefix : merged.stackName };
}

function parseContext(context: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const parsed: Record<string, unknown> = {};
  for (const key of CONFIG_KEYS) {
    const raw = context[key];
    if (raw === undefined) continue;
    parsed[key] = typeof raw === 'string' ? parseContextString(key, raw) : raw;
  }
  return parsed;
}

const STRING_KEYS: readonly string[] = ['stackName', 'brand', 'openDMode', 'openDVersion', 'openDSha256', 'openDUrl', 'alarmEmail', 'tablePrefix'];

function parseContextString(key: string, raw: string): unknown {
  if (STRING_KEYS.includes(key)) return raw;
  if (key === 'markets' && !raw.trim().startsWith('[')) return raw.split(',').map((m) => m.trim());
  if (key === 'archiveDetailTypes' && !raw.trim().startsWith('[')) return raw.split(',').map((m) => m.trim());
  try {
    return JSON.parse(raw);
  } catch {
    throw new ConfigError(`context "${key}": cannot parse ${JSON.stringify(raw)}; give a number, true/false or JSON`);
  }
}

function validate(input: Readonly<Record<string, unknown>>, source: string): OpenDCloudConfigInput {
  const out: Record<string, unknown> = {};
  const fail = (key: string, expected: string, value: unknown): never => {
    throw new ConfigError(`${source} "${key}": expected ${expected}, got ${JSON.stringify(value)}`);
  };
  for (const [key, value] of Object.entries(input)) {
    if (value === undefined) continue;
    switch (key) {
      case 'stackName':
        if (typeof value !== 'string' || !/^[A-Za-z][A-Za-z0-9-]{0,127}$/.test(value)) {
          fail(key, 'a CloudFormation stack name (letters, digits, hyphens; starting with a letter)', value);
        }
        break;
      case 'brand':
        if (!(BRANDS as readonly unknown[]).includes(value)) fail(key, `one of ${BRANDS.join(', ')}`, value);
        break;
      case 'openDMode':
        if (!(OPEND_MODES as readonly unknown[]).includes(value)) fail(key, `one of ${OPEND_MODES.join(', ')}`, value);
        break;
      case 'openDVersion':
        if (typeof value !== 'string' || !/^\d+\.\d+\.\d+$/.test(value)) fail(key, 'a version like 10.9.6918', value);
        break;
      case 'openDSha256':
        if (typeof value !== 'string' || !/^[0-9a-fA-F]{64}$/.test(value)) fail(key, 'the 64 hex digits sha256sum prints', value);
        break;
      case 'openDUrl':
        if (typeof value !== 'string' || !/^https:\/\/\S+$/.test(value)) fail(key, 'an https:// URL of the OpenD tarball', value);
        break;
      case 'markets':
        if (!Array.isArray(value) || value.length === 0 || !value.every((m) => (MARKETS as readonly unknown[]).includes(m))) {
          fail(key, `a non-empty list of ${MARKETS.join(', ')}`, value);
        }
        break;
      case 'subscriptions':
        validateSubscriptions(value, `${source} "${key}"`);
        break;
      case 'priceAlerts':
        validatePriceAlerts(value, `${source} "${key}"`);
        break;
      case 'schedules':
        if (typeof value !== 'object' || value === null || Array.isArray(value)) {
          fail(key, 'an object of schedule name → fields to override (see SCHEDULES)', value);
        }
        for (const [name, override] of Object.entries(value as object)) {
          if (typeof override !== 'object' || override === null || Array.isArray(override)) {
            fail(`${key}.${name}`, 'an object like {"enabled": false}', override);
          }
          const o = override as Record<string, unknown>;
          if (o['enabled'] !== undefined && typeof o['enabled'] !== 'boolean') fail(`${key}.${name}.enabled`, 'true or false', o['enabled']);
          const expressionProblem = o['expression'] === undefined ? undefined : scheduleExpressionProblem(o['expression']);
          if (expressionProblem !== undefined) fail(`${key}.${name}.expression`, `an EventBridge Scheduler expression (${expressionProblem})`, o['expression']);
          if (o['market'] !== undefined && !(MARKETS as readonly unknown[]).includes(o['market'])) {
            fail(`${key}.${name}.market`, `one of ${MARKETS.join(', ')}`, o['market']);
          }
          if (o['input'] !== undefined && (typeof o['input'] !== 'object' || o['input'] === null || Array.isArray(o['input']))) {
            fail(`${key}.${name}.input`, 'a JSON object', o['input']);
          }
        }
        break;
      case 'alarmEmail':
        if (typeof value !== 'string' || !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(value)) fail(key, 'an email address', value);
        break;
      case 'tablePrefix':
        if (typeof value !== 'string' || !/^[A-Za-z0-9_.-]{0,200}$/.test(value)) {
          fail(key, 'letters, digits, "_", "-" or "." (a DynamoDB table name prefix)', value);
        }
        break;
      case 'archiveRetentionDays':
        if (!Number.isInteger(value) || (value as number) < 0) fail(key, 'a whole number of days ≥ 0 (0 = forever)', value);
        break;
      case 'archiveDetailTypes':
        if (!Array.isArray(value) || !value.every((t) => typeof t === 'string' && t !== '')) fail(key, 'a list of detail-types', value);
        break;
      case 'logRetentionDays':
        if (!(LOG_RETENTION_DAYS as readonly unknown[]).includes(value)) fail(key, `one of ${LOG_RETENTION_DAYS.join(', ')}`, value);
        break;
      case 'reservedConcurrency':
      case 'unlockTrading':
        if (typeof value !== 'boolean') fail(key, 'true or false', value);
        break;
      case 'gatewayCpu':
        if (!FARGATE_CPUS.includes(value as number)) fail(key, `a Fargate CPU size: ${FARGATE_CPUS.join(', ')}`, value);
        break;
      case 'gatewayMemoryMiB':
        if (!Number.isInteger(value) || (value as number) < 512) fail(key, 'MiB as a whole number ≥ 512', value);
        break;
      case 'callers':
      case 'riskLimits':
        try {
          out[key] = key === 'callers' ? parseCallers(value, `${source} "${key}"`) : parseRiskLimits(value, `${source} "${key}"`);
        } catch (err) {
          if (err instanceof SecurityConfigError) throw new ConfigError(err.message);
          throw err;
        }
        continue;
      default:
        throw new ConfigError(`${source}: unknown key "${key}"; known keys: ${CONFIG_KEYS.join(', ')}`);
    }
    out[key] = value;
  }
  return out as OpenDCloudConfigInput;
}

const SECURITY_PATTERN = /^[A-Z]{2}\.[A-Za-z0-9.^-]+$/;

function validateSubscriptions(value: unknown, where: string): void {
  const example = '[{"codes":["HK.00700"],"types":["BASIC","TICKER"]}]';
  if (!Array.isArray(value)) throw new ConfigError(`${where}: expected a list like ${example}, got ${JSON.stringify(value)}`);
  value.forEach((s: unknown, i) => {
    const codes = (s as { codes?: unknown } | null)?.codes;
    const types = (s as { types?: unknown } | null)?.types;
    if (!Array.isArray(codes) || codes.length === 0 || !Array.isArray(types) || types.length === 0) {
      throw new ConfigError(`${where}[${i}]: needs non-empty "codes" and "types" lists, like ${example}`);
    }
    for (const code of codes) {
      if (typeof code !== 'string' || !SECURITY_PATTERN.test(code)) {
        throw new ConfigError(`${where}[${i}].codes: ${JSON.stringify(code)} is not a security like "HK.00700" or "US.AAPL"`);
      }
    }
    for (const type of types) {
      if (!(SUB_TYPES as readonly unknown[]).includes(type)) {
        throw new ConfigError(`${where}[${i}].types: unknown ${JSON.stringify(type)}; one of ${SUB_TYPES.join(', ')}`);
      }
    }
  });
}

function validatePriceAlerts(value: unknown, where: string): void {
  if (!Array.isArray(value)) {
    throw new ConfigError(`${where}: expected a list like [{"security":"HK.00700","above":400}], got ${JSON.stringify(value)}`);
  }
  const seen = new Set<string>();
  value.forEach((a: unknown, i) => {
    const alert = (a ?? {}) as Record<string, unknown>;
    const security = alert['security'];
    if (typeof security !== 'string' || !SECURITY_PATTERN.test(security)) {
      throw new ConfigError(`${where}[${i}].security: ${JSON.stringify(security)} is not a security like "HK.00700"`);
    }
    if (seen.has(security)) throw new ConfigError(`${where}[${i}]: a second alert for ${security}; put both bounds in one alert`);
    seen.add(security);
    for (const bound of ['above', 'below']) {
      const v = alert[bound];
      if (v !== undefined && (typeof v !== 'number' || !Number.isFinite(v))) {
        throw new ConfigError(`${where}[${i}].${bound}: expected a number, got ${JSON.stringify(v)}`);
      }
    }
    if (alert['above'] === undefined && alert['below'] === undefined) {
      throw new ConfigError(`${where}[${i}]: ${security} needs "above", "below" or both`);
    }
    const unknown = Object.keys(alert).filter((k) => !['security', 'above', 'below'].includes(k));
    if (unknown.length > 0) throw new ConfigError(`${where}[${i}]: unknown field(s) ${unknown.join(', ')}`);
  });
}
