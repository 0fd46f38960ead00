/**
 * What a deployment can be configured with: one zod schema (`CONFIG_SCHEMA`) holds every key's rule, wording
 * and default; the types are inferred from it. `loadConfig` layers defaults ← `cdk/config.ts` ← CDK context
 * (`-c key=value`) and says exactly which value is wrong, where it came from and what is allowed.
 *
 * Invariants: a value the schema accepts deploys (the Fargate size pair is checked on the merged result, since
 * the two halves may come from different layers); `subscriptions` follow the relay's own schema
 * (gateway-container/subscription-schema.ts), so the relay never refuses what the CDK app passed it.
 * Imports nothing from aws-cdk-lib: the local stack loads the same configuration.
 */
import { z } from 'zod';
import { MARKETS, type ScheduleDefinition } from './config-types.js';
import { DEFAULT_CALLERS, DEFAULT_RISK_LIMITS, parseCallers, parseRiskLimits, SecurityConfigError } from '../functions/lib/security-config.js';
import { FARGATE_CPUS, fargateSizeProblem } from './fargate-sizes.js';
import { scheduleExpressionProblem } from './schedule-expression.js';
import { expected, pathText, securityCode, show, strictFields, subscriptionsSchema } from '../gateway-container/subscription-schema.js';
import { publishPolicySchema } from '../gateway-container/publish-policy-schema.js';

export { SUB_TYPES, type Subscription, type SubTypeName } from '../gateway-container/subscription-schema.js';

export const BRANDS = ['futu', 'moomoo'] as const;
export type Brand = (typeof BRANDS)[number];

/** `opend` runs the real OpenD (needs a Futu/moomoo login); `simulator` runs the wire-compatible simulator. */
export const OPEND_MODES = ['opend', 'simulator'] as const;
export type OpenDMode = (typeof OPEND_MODES)[number];

export { MARKETS, type Market } from './config-types.js';

/** CloudWatch Logs' allowed retention periods, in days. */
export const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
] as const;

/** The CPU sizes of cdk/fargate-sizes.ts as a type (the schema checks values against that table). */
export type GatewayCpu = 256 | 512 | 1024 | 2048 | 4096 | 8192 | 16384;

/** Thrown for a configuration value that cannot work; the message names the key, the source and the fix. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/**
 * `schema`, but any failure inside it is one issue on the whole value ("expected <what>, got <value>"): for
 * lists, where "a non-empty list of HK, US, …" says more than the position of the one bad element.
 */
function whole<T extends z.ZodType>(schema: T, what: string) {
  return z.unknown().transform((value, ctx): z.output<T> => {
    const result = schema.safeParse(value);
    if (result.success) return result.data;
    ctx.issues.push({ code: 'custom', input: value, message: `expected ${what}, got ${show(value)}` });
    return z.NEVER;
  });
}

/** Issues whose message already carries its own path below the key (`[0].rights: …`, `.default.maxQty: …`). */
const RELATIVE = 'relative-message';

/** callers / riskLimits keep the security module's parsers and wording (functions/ reads the same values). */
function securityValue<T>(parse: (value: unknown, where: string) => T) {
  return z.unknown().transform((value, ctx): T => {
    try {
      return parse(value, '');
    } catch (err) {
      if (!(err instanceof SecurityConfigError)) throw err;
      ctx.issues.push({ code: 'custom', input: value, message: err.message, params: { [RELATIVE]: true } });
      return z.NEVER;
    }
  });
}

const ALERT_EXAMPLE = '[{"security":"HK.00700","above":400}]';

/**
 * An alert when a security's price reaches `above` (or more) or `below` (or less), kept as Futu price reminders in
 * OpenD (the relay's price-alerts-sync.ts): it fires once per crossing, at most as often as `frequency`.
 */
const priceAlertSchema = strictFields(
  {
    /** `"HK.00700"`. */
    security: securityCode,
    // Futu's reminder values are above 0 (a PRICE_UP / PRICE_DOWN reminder at a price).
    above: z.number(expected('a number')).finite(expected('a finite number')).positive(expected('a price above 0')).optional(),
    below: z.number(expected('a number')).finite(expected('a finite number')).positive(expected('a price above 0')).optional(),
    /** Futu's PriceReminderFreq: ONCE_A_DAY (default) at most once a day, ALWAYS every crossing, ONLY_ONCE once ever. */
    frequency: z.enum(['ONCE_A_DAY', 'ALWAYS', 'ONLY_ONCE'], expected('one of ONCE_A_DAY, ALWAYS, ONLY_ONCE')).optional(),
  },
  `an object like ${ALERT_EXAMPLE.slice(1, -1)}`,
).superRefine((alert, ctx) => {
  if (alert.above === undefined && alert.below === undefined) ctx.addIssue({ code: 'custom', message: `${alert.security} needs "above", "below" or both` });
});
export type PriceAlert = z.output<typeof priceAlertSchema>;

const priceAlertsSchema = z.array(priceAlertSchema, expected(`a list like ${ALERT_EXAMPLE}`)).superRefine((alerts, ctx) => {
  const seen = new Set<string>();
  alerts.forEach((alert, i) => {
    if (seen.has(alert.security)) ctx.addIssue({ code: 'custom', path: [i], message: `a second alert for ${alert.security}; put both bounds in one alert` });
    seen.add(alert.security);
  });
});

function isTimeZone(name: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

/** Fields of one entry of `schedules`, merged over the schedule of that name in `SCHEDULES`. */
const scheduleOverrideSchema = strictFields(
  {
    function: z.string(expected('a function ID from FUNCTIONS')).optional(),
    description: z.string(expected('text')).optional(),
    market: z.enum(MARKETS, expected(`one of ${MARKETS.join(', ')}`)).optional(),
    expression: z
      .string(expected('an EventBridge Scheduler expression'))
      .superRefine((expression, ctx) => {
        const problem = scheduleExpressionProblem(expression);
        if (problem !== undefined) ctx.addIssue({ code: 'custom', message: `expected an EventBridge Scheduler expression (${problem}), got ${show(expression)}` });
      })
      .optional(),
    // Checked here: EventBridge Scheduler would only refuse an unknown zone in the middle of a deploy.
    timeZone: z.string(expected('an IANA time zone like "Asia/Hong_Kong"')).refine(isTimeZone, expected('an IANA time zone like "Asia/Hong_Kong"')).optional(),
    input: z.record(z.string(), z.unknown(), expected('a JSON object')).optional(),
    enabled: z.boolean(expected('true or false')).optional(),
  },
  'an object like {"enabled": false}',
  // `function` is checked against FUNCTIONS where the schedules are merged (definitions.ts `schedules`).
).transform((override) => override as Partial<ScheduleDefinition>);

/** Every key: its rule, its wording and, unless it is optional, its default. */
export const CONFIG_SCHEMA = z.strictObject({
  /** CloudFormation stack name; also names the event bus and the HTTP API. */
  stackName: z
    .string(expected('a CloudFormation stack name'))
    .regex(/^[A-Za-z][A-Za-z0-9-]{0,127}$/, expected('a CloudFormation stack name (letters, digits, hyphens; starting with a letter)'))
    .default('OpenDCloud'),
  brand: z.enum(BRANDS, expected(`one of ${BRANDS.join(', ')}`)).default('futu'),
  openDMode: z.enum(OPEND_MODES, expected(`one of ${OPEND_MODES.join(', ')}`)).default('opend'),
  /** The OpenD build the gateway image downloads (a Docker build argument). */
  openDVersion: z.string(expected('a version like 10.9.6918')).regex(/^\d+\.\d+\.\d+$/, expected('a version like 10.9.6918')).default('10.9.6918'),
  /**
   * SHA-256 of that OpenD tarball. The image build refuses an unverified download, so `openDMode: 'opend'`
   * needs it at deploy time (`sha256sum` of the tarball, downloaded once on a trusted machine).
   */
  openDSha256: z.string(expected('the 64 hex digits sha256sum prints')).regex(/^[0-9a-fA-F]{64}$/, expected('the 64 hex digits sha256sum prints')).optional(),
  /** Tarball URL, when not the versioned Futu Ubuntu build (moomoo accounts need the moomoo build). */
  openDUrl: z.string(expected('an https:// URL of the OpenD tarball')).regex(/^https:\/\/\S+$/, expected('an https:// URL of the OpenD tarball')).optional(),
  /** Markets traded; schedules for other markets are not deployed. */
  markets: whole(z.array(z.enum(MARKETS)).min(1), `a non-empty list of ${MARKETS.join(', ')}`).default(['HK', 'US']),
  /** What the relay keeps subscribed (and pushes to the bus): every code × every type. */
  subscriptions: subscriptionsSchema.default([]),
  /**
   * Market-data events the relay may put on the bus, per DetailType: `{ Quote: { enabled, maxPerSecurityPerSecond } }`;
   * the types given replace the defaults (≤ 1 event/s per security each). Order, fill and gateway events are
   * always on and never throttled. README "Cost control".
   */
  publishPolicy: publishPolicySchema.prefault({}),
  priceAlerts: priceAlertsSchema.default([]),
  /** Merged over `SCHEDULES` by name; a new name adds a schedule (then every field is needed). */
  schedules: z.record(z.string(), scheduleOverrideSchema, expected('an object of schedule name → fields to override (see SCHEDULES)')).default({}),
  /** Subscribed to the alerts and login-challenge topics when set (AWS emails a confirmation link). */
  alarmEmail: z.string(expected('an email address')).regex(/^[^@\s]+@[^@\s]+\.[^@\s]+$/, expected('an email address')).optional(),
  /**
   * Physical names of the tables deleted with the stack are `<tablePrefix>-<name>`; the retained ones (orders,
   * fills, idempotency) get generated names so that a retried first deploy cannot collide with them. Follows
   * `stackName` unless set (see `loadConfig`).
   */
  tablePrefix: z
    .string(expected('a DynamoDB table name prefix'))
    .regex(/^[A-Za-z0-9_.-]{0,200}$/, expected('letters, digits, "_", "-" or "." (a DynamoDB table name prefix)'))
    .default('OpenDCloud'),
  /** How long the event archive keeps events for replay; 0 keeps them forever. */
  archiveRetentionDays: z.int(expected('a whole number of days ≥ 0 (0 = forever)')).min(0, expected('a whole number of days ≥ 0 (0 = forever)')).default(90),
  /** Which detail-types the archive keeps. Market data is high volume, so by default only the rest. */
  archiveDetailTypes: whole(z.array(z.string().min(1)), 'a list of detail-types').default([
    'Order Update',
    'Order Fill',
    'Gateway Notice',
    'Login Challenge',
    'Gateway State',
  ]),
  // A year: the access and audit logs are the record of who traded what.
  logRetentionDays: z.literal(LOG_RETENTION_DAYS, expected(`one of ${LOG_RETENTION_DAYS.join(', ')}`)).default(365),
  /**
   * Apply each function's reserved concurrency (28 in all), which caps the connections the Lambdas can open to
   * OpenD. Off by default: AWS refuses a reservation that would leave the account fewer than 100 unreserved
   * executions, so in a new account (concurrency quota 10 or 50) the first function would fail the deploy.
   * Turn it on once `aws lambda get-account-settings` shows a ConcurrentExecutions limit of at least 128.
   */
  reservedConcurrency: z.boolean(expected('true or false')).default(false),
  /**
   * Give the gateway the trade password (MD5) so the relay unlocks trading OpenD-wide. The secret exists in
   * every `opend` deployment; fill it in first, then deploy with this on.
   */
  unlockTrading: z.boolean(expected('true or false')).default(false),
  /** Fargate task size of the gateway (OpenD + relay): CPU units (1024 = 1 vCPU), checked against FARGATE_SIZES. */
  gatewayCpu: z.custom<GatewayCpu>((v) => FARGATE_CPUS.includes(v as number), expected(`a Fargate CPU size: ${FARGATE_CPUS.join(', ')}`)).default(1024),
  /** MiB; must be one Fargate allows with `gatewayCpu` (cdk/fargate-sizes.ts). */
  gatewayMemoryMiB: z.int(expected('MiB as a whole number ≥ 512')).min(512, expected('MiB as a whole number ≥ 512')).default(2048),
  /**
   * Who may call the HTTP API for which accounts with which rights (read, trade, tradeReal, gateway), by IAM
   * principal ARN pattern. Default: every signed caller may read and trade paper (SIMULATE) accounts; REAL
   * trading needs an entry with `tradeReal`. See README "Security".
   */
  callers: securityValue(parseCallers).default(() => [...DEFAULT_CALLERS]),
  /** Pre-trade limits: a default for every account and overrides per account ID. See README "Security". */
  riskLimits: securityValue(parseRiskLimits).default({ default: DEFAULT_RISK_LIMITS, accounts: {} }),
  /**
   * The relay writes the latest quote of each subscribed security to the latest-quote store (GET /v1/quotes
   * reads it) at most once per this many ms; pushes in between are conflated into that one write.
   */
  quoteStoreIntervalMs: z.int(expected('milliseconds as a whole number from 100 to 60000')).min(100, expected('milliseconds as a whole number from 100 to 60000')).max(60_000, expected('milliseconds as a whole number from 100 to 60000')).default(1_000),
  /**
   * GET /v1/quotes treats stored quotes as current while the relay's heartbeat is younger than this; older, they
   * are replaced by a snapshot (or served marked stale when Futu's Snapshot limit is used up). README "Where quotes come from".
   */
  quoteStaleAfterMs: z.int(expected('milliseconds as a whole number from 3000 to 300000')).min(3_000, expected('milliseconds as a whole number from 3000 to 300000')).max(300_000, expected('milliseconds as a whole number from 3000 to 300000')).default(10_000),
});

type Parsed = z.output<typeof CONFIG_SCHEMA>;

/** The loaded configuration (read-only, lists included). */
export type OpenDCloudConfig = { readonly [K in keyof Parsed]: Parsed[K] extends (infer E)[] ? readonly E[] : Parsed[K] };

/** What `cdk/config.ts` and context may set: any subset. */
export type OpenDCloudConfigInput = { -readonly [K in keyof OpenDCloudConfig]?: OpenDCloudConfig[K] };

export const DEFAULT_CONFIG: OpenDCloudConfig = CONFIG_SCHEMA.parse({});

/** Every key, including the optional ones that have no default. */
export const CONFIG_KEYS = Object.keys(CONFIG_SCHEMA.shape) as (keyof OpenDCloudConfig)[];

/**
 * The deployment's configuration: defaults, then `file` (the `config` of `cdk/config.ts`, which the CDK app and the
 * local stack pass in, so this file does not import the file that imports its types; omitted, there is no file
 * layer), then `context` (CDK context,
 * e.g. `cdk deploy -c openDMode=simulator -c markets=HK`). A key set in a later layer replaces the whole value.
 * Context values may be strings: numbers, booleans and JSON (arrays, objects) are parsed; `markets` also takes
 * `HK,US`. When `file` sets `stackName` but not `tablePrefix`, the prefix follows the stack name.
 */
export function loadConfig(context: Readonly<Record<string, unknown>> = {}, file: OpenDCloudConfigInput = {}): OpenDCloudConfig {
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

/** Keys whose context string is the value itself (everything else is JSON, or a comma list for two lists). */
const STRING_KEYS: readonly string[] = ['stackName', 'brand', 'openDMode', 'openDVersion', 'openDSha256', 'openDUrl', 'alarmEmail', 'tablePrefix'];

function parseContextString(key: string, raw: string): unknown {
  if (STRING_KEYS.includes(key)) return raw;
  if ((key === 'markets' || key === 'archiveDetailTypes') && !raw.trim().startsWith('[')) return raw.split(',').map((m) => m.trim());
  try {
    return JSON.parse(raw);
  } catch {
    throw new ConfigError(`context "${key}": cannot parse ${JSON.stringify(raw)}; give a number, true/false or JSON`);
  }
}

/** One layer, checked on its own (so the error names its source); only the keys it sets are returned. */
function validate(input: Readonly<Record<string, unknown>>, source: string): OpenDCloudConfigInput {
  const given = Object.fromEntries(Object.entries(input).filter(([, value]) => value !== undefined));
  const result = CONFIG_SCHEMA.safeParse(given);
  if (!result.success) throw new ConfigError(describe(result.error.issues[0]!, source));
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(given)) out[key] = result.data[key as keyof Parsed];
  return out as OpenDCloudConfigInput;
}

/** `cdk/config.ts "schedules.dcaHk.expression": expected …, got …`. */
function describe(issue: z.core.$ZodIssue, source: string): string {
  if (issue.code === 'unrecognized_keys' && issue.path.length === 0) {
    return `${source}: unknown key ${issue.keys.map((k) => `"${k}"`).join(', ')}; known keys: ${CONFIG_KEYS.join(', ')}`;
  }
  const [key, ...below] = issue.path;
  if (issue.code === 'custom' && issue.params?.[RELATIVE] === true) return `${source} "${String(key)}"${issue.message}`;
  return `${source} "${String(key)}${pathText(below)}": ${issue.message}`;
}
