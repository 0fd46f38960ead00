/**
 * Who may do what (`callers`) and the pre-trade limits (`riskLimits`): their shapes, their defaults and one
 * validator used twice — by the CDK app when it loads the deployment's configuration, and by every Lambda at
 * cold start when it reads the same JSON back from its environment. A malformed value is refused with a message
 * naming the field, what was wrong and what is allowed; it never silently widens access.
 *
 * Plain data, no AWS imports: cdk/config-schema.ts imports it.
 */

/** What a caller may do on an account. REAL trading is never implied: it needs `tradeReal` explicitly. */
export const RIGHTS = ['read', 'trade', 'tradeReal', 'gateway', 'subscriptions'] as const;
export type Right = (typeof RIGHTS)[number];

export interface CallerGrant {
  /**
   * The caller's IAM principal ARN as API Gateway reports it (`requestContext.authorizer.iam.userArn`), with `*`
   * matching any run of characters: `arn:aws:iam::123456789012:user/alice`,
   * `arn:aws:sts::123456789012:assumed-role/trading-bot/*`, or `*` for every signed caller.
   */
  readonly principal: string;
  /** Account IDs (decimal strings) this grant covers, or `'*'` for every account of the login. */
  readonly accounts: readonly string[] | '*';
  readonly rights: readonly Right[];
}

export interface RiskLimits {
  /** Largest quantity of one order (shares / contracts). */
  readonly maxQty: number;
  /** Largest qty × price of one order, in the security's currency (MARKET orders: the far side of the book). */
  readonly maxOrderNotional: number;
  /** Sum of the notional of the orders placed on one account in one UTC day, in the securities' currencies. */
  readonly maxDailyNotional: number;
  /** How many orders of the account may be open (not in a final state) when a new one is placed. */
  readonly maxOpenOrders: number;
  /**
   * MARKET orders: refused when there is no quote, or when the price they would trade at (ask for a buy, bid for a
   * sell) is more than this percentage away from the last price. Limit orders: refused when their price is more
   * than this percentage on the paying side of the last price (a fat-finger guard).
   */
  readonly priceCollarPct: number;
}

export interface RiskLimitsConfig {
  /** For every account without an entry of its own. */
  readonly default: RiskLimits;
  /** Per account ID: the fields given replace the default's. */
  readonly accounts?: Readonly<Record<string, Partial<RiskLimits>>>;
}

/**
 * Conservative on purpose: a deployment trades small until its owner raises the limits in cdk/config.ts.
 * HK.00700 at ~400 HKD: one lot of 100 is ~40,000 HKD, so the defaults allow a couple of lots per order.
 */
export const DEFAULT_RISK_LIMITS: RiskLimits = {
  maxQty: 2_000,
  maxOrderNotional: 100_000,
  maxDailyNotional: 500_000,
  maxOpenOrders: 20,
  priceCollarPct: 5,
};

/** The deployed default: every signed caller of the account may read and trade paper (SIMULATE) accounts only. */
export const DEFAULT_CALLERS: readonly CallerGrant[] = [{ principal: '*', accounts: '*', rights: ['read', 'trade'] }];

/** `npm start` and the tests: one local caller that may do everything, so the README examples work unchanged. */
export const LOCAL_CALLERS: readonly CallerGrant[] = [{ principal: '*', accounts: '*', rights: [...RIGHTS] }];

/** Environment variables carrying the JSON of each, set by the CDK app on every HTTP function and on the strategy functions (a strategy is a caller too). */
export const SECURITY_ENV = {
  callers: 'OPEND_CALLERS',
  riskLimits: 'OPEND_RISK_LIMITS',
} as const;

export class SecurityConfigError extends Error {
  override readonly name = 'SecurityConfigError';
}

const ACC_ID = /^\d{1,20}$/;
const PRINCIPAL = /^(\*|arn:[A-Za-z0-9*:/_+=,.@-]+)$/;
const LIMIT_FIELDS = Object.keys(DEFAULT_RISK_LIMITS) as (keyof RiskLimits)[];

function fail(where: string, expected: string, got: unknown): never {
  throw new SecurityConfigError(`${where}: expected ${expected}, got ${JSON.stringify(got)}`);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function parseCallers(value: unknown, where = 'callers'): CallerGrant[] {
  const example = '[{"principal":"arn:aws:iam::123456789012:role/bot","accounts":["281756480572583411"],"rights":["read","trade"]}]';
  if (!Array.isArray(value)) fail(where, `a list like ${example}`, value);
  return value.map((entry: unknown, i): CallerGrant => {
    const at = `${where}[${i}]`;
    if (!isObject(entry)) fail(at, 'an object with principal, accounts and rights', entry);
    const unknown = Object.keys(entry).filter((k) => !['principal', 'accounts', 'rights'].includes(k));
    if (unknown.length > 0) throw new SecurityConfigError(`${at}: unknown field(s) ${unknown.join(', ')}; allowed: principal, accounts, rights`);
    const { principal, accounts, rights } = entry;
    if (typeof principal !== 'string' || !PRINCIPAL.test(principal)) fail(`${at}.principal`, 'an IAM principal ARN (may contain *) or "*"', principal);
    if (accounts !== '*' && (!Array.isArray(accounts) || accounts.length === 0 || !accounts.every((a) => typeof a === 'string' && ACC_ID.test(a)))) {
      fail(`${at}.accounts`, '"*" or a non-empty list of account IDs as decimal strings', accounts);
    }
    if (!Array.isArray(rights) || rights.length === 0 || !rights.every((r) => (RIGHTS as readonly unknown[]).includes(r))) {
      fail(`${at}.rights`, `a non-empty list of ${RIGHTS.join(', ')}`, rights);
    }
    return { principal, accounts: accounts === '*' ? '*' : [...(accounts as string[])], rights: [...(rights as Right[])] };
  });
}

function parseLimits(value: unknown, where: string, partial: boolean): Partial<RiskLimits> {
  if (!isObject(value)) fail(where, `an object with ${LIMIT_FIELDS.join(', ')}`, value);
  const out: Partial<Record<keyof RiskLimits, number>> = {};
  for (const [k, v] of Object.entries(value)) {
    if (!(LIMIT_FIELDS as string[]).includes(k)) throw new SecurityConfigError(`${where}: unknown limit "${k}"; allowed: ${LIMIT_FIELDS.join(', ')}`);
    const integer = k === 'maxQty' || k === 'maxOpenOrders';
    if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0 || (integer && !Number.isInteger(v))) {
      fail(`${where}.${k}`, integer ? 'a whole number above 0' : 'a number above 0', v);
    }
    out[k as keyof RiskLimits] = v;
  }
  if (!partial) {
    const missing = LIMIT_FIELDS.filter((k) => out[k] === undefined);
    if (missing.length > 0) throw new SecurityConfigError(`${where}: missing ${missing.join(', ')}`);
  }
  return out;
}

export function parseRiskLimits(value: unknown, where = 'riskLimits'): RiskLimitsConfig {
  if (!isObject(value)) fail(where, '{"default": {…limits}, "accounts": {"<accId>": {…some limits}}}', value);
  const unknown = Object.keys(value).filter((k) => k !== 'default' && k !== 'accounts');
  if (unknown.length > 0) throw new SecurityConfigError(`${where}: unknown field(s) ${unknown.join(', ')}; allowed: default, accounts`);
  const dflt = parseLimits(value['default'] ?? DEFAULT_RISK_LIMITS, `${where}.default`, false) as RiskLimits;
  const accounts: Record<string, Partial<RiskLimits>> = {};
  if (value['accounts'] !== undefined) {
    if (!isObject(value['accounts'])) fail(`${where}.accounts`, 'an object of account ID → limits', value['accounts']);
    for (const [accId, limits] of Object.entries(value['accounts'])) {
      if (!ACC_ID.test(accId)) fail(`${where}.accounts`, 'account IDs as decimal strings for keys', accId);
      accounts[accId] = parseLimits(limits, `${where}.accounts.${accId}`, true);
    }
  }
  return { default: dflt, accounts };
}

/** The limits that apply to one account. */
export function limitsFor(config: RiskLimitsConfig, accId: string): RiskLimits {
  return { ...config.default, ...config.accounts?.[accId] };
}

export interface SecurityConfig {
  callers: CallerGrant[];
  /** Undefined: no pre-trade limits (the local stack's default). */
  riskLimits: RiskLimitsConfig | undefined;
}

function parseJsonEnv(env: NodeJS.ProcessEnv, name: string): unknown {
  try {
    return JSON.parse(env[name]!);
  } catch (err) {
    throw new SecurityConfigError(`${name} is not valid JSON (${(err as Error).message})`);
  }
}

/**
 * Read at cold start. In Lambda both variables must be present (the CDK app always sets them): a function that
 * lost its configuration refuses to start rather than fall back to the permissive local defaults.
 */
export function loadSecurityConfig(env: NodeJS.ProcessEnv = process.env): SecurityConfig {
  const inLambda = env['AWS_LAMBDA_FUNCTION_NAME'] !== undefined;
  const callersSet = env[SECURITY_ENV.callers] !== undefined && env[SECURITY_ENV.callers] !== '';
  const limitsSet = env[SECURITY_ENV.riskLimits] !== undefined && env[SECURITY_ENV.riskLimits] !== '';
  if (inLambda && (!callersSet || !limitsSet)) {
    throw new SecurityConfigError(`${SECURITY_ENV.callers} and ${SECURITY_ENV.riskLimits} must be set on every HTTP and strategy function (the CDK app sets them from cdk/config.ts)`);
  }
  return {
    callers: callersSet ? parseCallers(parseJsonEnv(env, SECURITY_ENV.callers), SECURITY_ENV.callers) : [...LOCAL_CALLERS],
    riskLimits: limitsSet ? parseRiskLimits(parseJsonEnv(env, SECURITY_ENV.riskLimits), SECURITY_ENV.riskLimits) : undefined,
  };
}
