/**
 * The single definition of what opend-cloud deploys: functions, HTTP routes, the event contract, event rules,
 * schedules and the gateway's runtime contract. The CDK app turns it into AWS resources; the local stack reads
 * the same values, so a route or rule changed here changes in AWS and locally alike.
 *
 * Plain data only: nothing here imports aws-cdk-lib, so the local stack can load it cheaply. Configuration
 * (`OpenDCloudConfig`, `loadConfig`) lives in `config-schema.ts` and is re-exported from here.
 */
import type { TableId } from '../functions/lib/tables.js';
import { MARKET_TIME_ZONES as SECURITY_MARKET_TIME_ZONES } from '../proto/market-time-zones.js';
import { SECRET_PLACEHOLDER } from '../gateway-container/secret-placeholder.js';
import type { ScheduleDefinition as ScheduleFields } from './config-types.js';

export * from './config-schema.js';
import type { Market, OpenDCloudConfig, PriceAlert } from './config-schema.js';

// ---------------------------------------------------------------------------------------------------------------
// Lambda functions

export type TableAccess = 'read' | 'readWrite';

export interface FunctionDefinition {
  /** Handler source, relative to the repository root. */
  readonly entry: string;
  /** Exported name of the handler in `entry`. */
  readonly handler: 'handler';
  readonly description: string;
  readonly memoryMb: number;
  readonly timeoutSec: number;
  /**
   * Upper bound on concurrent executions. For functions that talk to OpenD each execution holds one TCP
   * connection, and OpenD accepts at most 128, so the total over all functions stays far below that.
   */
  readonly reservedConcurrency: number;
  /** Talks to OpenD on port 11111: runs in the VPC, gets OPEND_HOST/PORT and read access to the RSA key. */
  readonly needsOpenD: boolean;
  /** DynamoDB tables the function touches, and how; everything else is denied. The exact actions per table are in cdk/table-permissions.ts. */
  readonly tables: Readonly<Partial<Record<TableId, TableAccess>>>;
  /**
   * Retries of a failed asynchronous invocation (EventBridge rules, Scheduler). Absent for functions only
   * invoked synchronously through the HTTP API. 0 for anything that trades: an order is never retried blindly.
   */
  readonly asyncRetryAttempts?: number;
  /**
   * How long Lambda keeps an asynchronous invocation queued (throttled or retrying) before sending it to the
   * dead-letter queue; Lambda's default is 6 hours. Set for scheduled strategies: Scheduler's own maximum age
   * covers only the hand-off to Lambda, and a strategy run hours late would trade at another price.
   */
  readonly asyncMaxEventAgeSec?: number;
}

export const FUNCTIONS = {
  quotes: {
    entry: 'functions/handlers/quotes.ts',
    handler: 'handler',
    description: 'GET /v1/quotes…: snapshots, candlesticks, order books and tickers from OpenD',
    memoryMb: 512,
    timeoutSec: 15,
    reservedConcurrency: 10,
    needsOpenD: true,
    tables: { rateLimits: 'readWrite', latestQuotes: 'read' },
  },
  accounts: {
    entry: 'functions/handlers/accounts.ts',
    handler: 'handler',
    description: 'GET /v1/accounts…: accounts, funds, positions, fills and reports (fees, margin ratios, cash flow, max quantities, history)',
    memoryMb: 512,
    timeoutSec: 15,
    reservedConcurrency: 5,
    needsOpenD: true,
    tables: { rateLimits: 'readWrite' },
  },
  orders: {
    entry: 'functions/handlers/orders.ts',
    handler: 'handler',
    description: '/v1/accounts/{accId}/orders…: idempotent place, modify, cancel and list',
    memoryMb: 512,
    timeoutSec: 20,
    reservedConcurrency: 5,
    needsOpenD: true,
    tables: { orders: 'read', idempotency: 'readWrite', rateLimits: 'readWrite' },
  },
  gateway: {
    entry: 'functions/handlers/gateway.ts',
    handler: 'handler',
    description: '/v1/gateway…: gateway state and answers to login challenges (SMS / picture codes)',
    memoryMb: 256,
    timeoutSec: 15,
    reservedConcurrency: 2,
    needsOpenD: true,
    tables: { gatewayState: 'read', rateLimits: 'readWrite' },
  },
  orderEvents: {
    entry: 'functions/handlers/order-events.ts',
    handler: 'handler',
    description: 'Order, fill, gateway-state and login-challenge events from the bus into DynamoDB',
    memoryMb: 256,
    timeoutSec: 30,
    reservedConcurrency: 5,
    needsOpenD: false,
    tables: { orders: 'readWrite', fills: 'readWrite', gatewayState: 'readWrite' },
    // Writes are idempotent upserts keyed by order / fill ID, so retrying is safe.
    asyncRetryAttempts: 2,
  },
  strategyDca: {
    entry: 'functions/handlers/strategy-dca.ts',
    handler: 'handler',
    description: 'Scheduled dollar-cost-averaging strategy (dryRun by default)',
    memoryMb: 512,
    timeoutSec: 60,
    reservedConcurrency: 1,
    needsOpenD: true,
    tables: { idempotency: 'readWrite', rateLimits: 'readWrite' },
    asyncRetryAttempts: 0,
    asyncMaxEventAgeSec: 900,
  },
  settleOrders: {
    entry: 'functions/handlers/settle-orders.ts',
    handler: 'handler',
    description: 'Scheduled after the close: orders still non-terminal after their trading day, settled from OpenD history',
    memoryMb: 256,
    timeoutSec: 120,
    reservedConcurrency: 1,
    needsOpenD: true,
    tables: { orders: 'readWrite', rateLimits: 'readWrite' },
    // Reads OpenD and writes through the versioned order write (never older over newer): retrying is safe.
    asyncRetryAttempts: 2,
  },
  streamConnections: {
    entry: 'functions/handlers/stream-connections.ts',
    handler: 'handler',
    description: 'WebSocket stream API: $connect (caller check), subscribe / unsubscribe / ping, $disconnect',
    memoryMb: 256,
    timeoutSec: 10,
    reservedConcurrency: 5,
    needsOpenD: false,
    tables: { streamConnections: 'readWrite' },
  },
  streamFanout: {
    entry: 'functions/handlers/stream-fanout.ts',
    handler: 'handler',
    description: 'Quote and order events from the bus to the WebSocket connections subscribed to them',
    memoryMb: 256,
    timeoutSec: 30,
    reservedConcurrency: 10,
    needsOpenD: false,
    tables: { streamConnections: 'readWrite' },
    // It fails only when reading the subscribers fails, before anything was sent: a retry duplicates nothing.
    asyncRetryAttempts: 2,
  },
  subscriptions: {
    entry: 'functions/handlers/subscriptions.ts',
    handler: 'handler',
    description: '/v1/subscriptions: the relay\'s runtime quote subscriptions (stored; OpenD read for the quota only)',
    memoryMb: 256,
    timeoutSec: 15,
    reservedConcurrency: 2,
    needsOpenD: true,
    tables: { subscriptions: 'readWrite' },
  },
} as const satisfies Record<string, FunctionDefinition>;

export type FunctionId = keyof typeof FUNCTIONS;
export const FUNCTION_IDS = Object.keys(FUNCTIONS) as FunctionId[];

// ---------------------------------------------------------------------------------------------------------------
// HTTP API (API Gateway HTTP API, IAM authorization on every route)

export type HttpMethodName = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
/** API Gateway's route key: `METHOD /path/{param}`. */
export type RouteKey = `${HttpMethodName} /${string}`;

export const ROUTES = {
  'GET /v1/quotes': 'quotes',
  'GET /v1/quotes/{code}/klines': 'quotes',
  'GET /v1/quotes/{code}/orderbook': 'quotes',
  'GET /v1/quotes/{code}/ticker': 'quotes',
  'GET /v1/quotes/{code}/klines/current': 'quotes',
  'GET /v1/quotes/{code}/time-share': 'quotes',
  'GET /v1/quotes/{code}/broker-queue': 'quotes',
  'GET /v1/market-state': 'quotes',
  'GET /v1/trading-days': 'quotes',
  'GET /v1/plates': 'quotes',
  'GET /v1/plates/{code}/members': 'quotes',
  'GET /v1/screener': 'quotes',
  'GET /v1/quotes/{code}/capital-flow': 'quotes',
  'GET /v1/quotes/{code}/capital-distribution': 'quotes',
  'GET /v1/warrants': 'quotes',
  'GET /v1/watchlists': 'quotes',
  'GET /v1/watchlists/{group}': 'quotes',
  'GET /v1/suspensions': 'quotes',
  'GET /v1/ipos': 'quotes',
  'GET /v1/quotes/{code}/corporate-actions': 'quotes',
  'GET /v1/rankings/top-movers': 'quotes',
  'GET /v1/delay-statistics': 'quotes',
  'GET /v1/options/{underlying}/expirations': 'quotes',
  'GET /v1/options/{underlying}/chain': 'quotes',
  'GET /v1/futures/{code}': 'quotes',
  'GET /v1/price-reminders': 'quotes',
  'POST /v1/price-reminders': 'quotes',
  'PATCH /v1/price-reminders/{key}': 'quotes',
  'DELETE /v1/price-reminders/{key}': 'quotes',
  'DELETE /v1/price-reminders': 'quotes',
  'GET /v1/accounts': 'accounts',
  'GET /v1/accounts/{accId}/funds': 'accounts',
  'GET /v1/accounts/{accId}/positions': 'accounts',
  'GET /v1/accounts/{accId}/fills': 'accounts',
  'GET /v1/accounts/{accId}/fees': 'accounts',
  'GET /v1/accounts/{accId}/margin-ratios': 'accounts',
  'GET /v1/accounts/{accId}/cash-flow': 'accounts',
  'GET /v1/accounts/{accId}/max-quantities': 'accounts',
  'GET /v1/accounts/{accId}/history/orders': 'accounts',
  'GET /v1/accounts/{accId}/history/fills': 'accounts',
  'GET /v1/accounts/{accId}/orders': 'orders',
  'POST /v1/accounts/{accId}/orders': 'orders',
  'GET /v1/accounts/{accId}/orders/{orderId}': 'orders',
  'PATCH /v1/accounts/{accId}/orders/{orderId}': 'orders',
  'DELETE /v1/accounts/{accId}/orders/{orderId}': 'orders',
  'GET /v1/gateway': 'gateway',
  'POST /v1/gateway/verification': 'gateway',
  'GET /v1/subscriptions': 'subscriptions',
  'PUT /v1/subscriptions': 'subscriptions',
  'DELETE /v1/subscriptions': 'subscriptions',
} as const satisfies Record<RouteKey, FunctionId>;

export interface RouteDefinition {
  readonly routeKey: RouteKey;
  readonly method: HttpMethodName;
  /** With `{param}` placeholders, as API Gateway writes them. */
  readonly path: string;
  readonly function: FunctionId;
}

/** `ROUTES` as a list with the method and path split out. */
export function routeList(): RouteDefinition[] {
  return (Object.entries(ROUTES) as [RouteKey, FunctionId][]).map(([routeKey, fn]) => {
    const space = routeKey.indexOf(' ');
    return {
      routeKey,
      method: routeKey.slice(0, space) as HttpMethodName,
      path: routeKey.slice(space + 1),
      function: fn,
    };
  });
}

// ---------------------------------------------------------------------------------------------------------------
// Event contract (EventBridge)

export const EVENT_SOURCE = 'opend';

export const DETAIL_TYPES = [
  'Quote',
  'KLine',
  'Ticker',
  'OrderBook',
  'TimeShare',
  'Broker',
  'Order Update',
  'Order Fill',
  'Gateway Notice',
  'Login Challenge',
  'Gateway State',
  'Price Reminder',
] as const;
export type DetailType = (typeof DETAIL_TYPES)[number];

/** Everything that is not market data: what the archive keeps by default so order state can be replayed. */
export const NON_MARKET_DATA_DETAIL_TYPES: readonly DetailType[] = [
  'Order Update',
  'Order Fill',
  'Gateway Notice',
  'Login Challenge',
  'Gateway State',
];

/** An EventBridge event pattern as JSON, in EventBridge's own syntax (`detail-type`, operators, `$or`). */
export type EventPatternJson = Readonly<Record<string, unknown>>;

export type TopicId = 'alerts' | 'loginChallenges';
export const TOPIC_IDS: readonly TopicId[] = ['alerts', 'loginChallenges'];

export type EventRuleTarget =
  | { readonly kind: 'function'; readonly function: FunctionId }
  | { readonly kind: 'topic'; readonly topic: TopicId };

export interface EventRuleDefinition {
  readonly description: string;
  readonly eventPattern: EventPatternJson;
  readonly target: EventRuleTarget;
}

/** The rules every deployment has. Price alerts come from configuration: see `eventRules(config)`. */
export const EVENT_RULES = {
  orderEvents: {
    description: 'Order updates and fills into DynamoDB',
    eventPattern: { source: [EVENT_SOURCE], 'detail-type': ['Order Update', 'Order Fill'] },
    target: { kind: 'function', function: 'orderEvents' },
  },
  gatewayStatus: {
    description: 'Gateway State and Login Challenge into the gateway-state table (GET /v1/gateway reads it)',
    eventPattern: { source: [EVENT_SOURCE], 'detail-type': ['Gateway State', 'Login Challenge'] },
    target: { kind: 'function', function: 'orderEvents' },
  },
  loginChallenges: {
    description: 'OpenD asks for an SMS or picture verification code: tell a human',
    eventPattern: { source: [EVENT_SOURCE], 'detail-type': ['Login Challenge'] },
    target: { kind: 'topic', topic: 'loginChallenges' },
  },
  gatewayNotReady: {
    description: 'The gateway reports it is not logged in / not serving',
    eventPattern: { source: [EVENT_SOURCE], 'detail-type': ['Gateway State'], detail: { ready: [false] } },
    target: { kind: 'topic', topic: 'alerts' },
  },
  streamFanout: {
    description: 'Market data and order events to the WebSocket stream clients subscribed to them (functions/lib/stream-fanout.ts)',
    eventPattern: {
      source: [EVENT_SOURCE],
      'detail-type': ['Quote', 'KLine', 'Ticker', 'OrderBook', 'TimeShare', 'Broker', 'Price Reminder', 'Order Update', 'Order Fill'],
    },
    target: { kind: 'function', function: 'streamFanout' },
  },
} as const satisfies Record<string, EventRuleDefinition>;

/**
 * One rule per configured price alert, matching the `Price Reminder` events of the Futu price reminders the relay
 * keeps for it (gateway-container/relay/price-alerts-sync.ts): `above` is a PRICE_UP reminder at that value,
 * `below` a PRICE_DOWN one. OpenD pushes a reminder once per crossing (ONCE_A_DAY by default: at most once a
 * day), so the alert fires once, not on every Quote while the price stays beyond the bound. A reminder a person
 * set on the same security with another type or value does not match. Price Reminder details carry the security
 * as `"HK.00700"` in `detail.security`, the type in `detail.reminderType` and the value in `detail.setValue`.
 */
export function priceAlertRules(alerts: readonly PriceAlert[]): Record<string, EventRuleDefinition> {
  const rules: Record<string, EventRuleDefinition> = {};
  for (const alert of alerts) {
    // Futu keeps 3 decimals of a reminder value and discards the rest: the event carries the kept value.
    const kept = (v: number) => Math.trunc(v * 1000 + 1e-9 * Math.sign(v)) / 1000;
    const bounds: Record<string, unknown>[] = [];
    if (alert.above !== undefined) bounds.push({ reminderType: ['PRICE_UP'], setValue: [{ numeric: ['=', kept(alert.above)] }] });
    if (alert.below !== undefined) bounds.push({ reminderType: ['PRICE_DOWN'], setValue: [{ numeric: ['=', kept(alert.below)] }] });
    const words = [
      alert.above !== undefined ? `≥ ${alert.above}` : undefined,
      alert.below !== undefined ? `≤ ${alert.below}` : undefined,
    ].filter((w) => w !== undefined);
    rules[`priceAlert-${alert.security}`] = {
      description: `Price alert: ${alert.security} ${words.join(' or ')} (${alert.frequency ?? 'ONCE_A_DAY'})`,
      eventPattern: {
        source: [EVENT_SOURCE],
        'detail-type': ['Price Reminder'],
        detail: bounds.length === 1 ? { security: [alert.security], ...bounds[0] } : { security: [alert.security], $or: bounds },
      },
      target: { kind: 'topic', topic: 'alerts' },
    };
  }
  return rules;
}

/** Every rule of a deployment: `EVENT_RULES` plus the configured price alerts. */
export function eventRules(config: Pick<OpenDCloudConfig, 'priceAlerts'>): Record<string, EventRuleDefinition> {
  return { ...EVENT_RULES, ...priceAlertRules(config.priceAlerts) };
}

// ---------------------------------------------------------------------------------------------------------------
// Schedules (EventBridge Scheduler, in the market's own time zone)

/** The market's trading-day zone (the table settlement uses too); typed so that a market without one fails tsc. */
export const MARKET_TIME_ZONES: Readonly<Record<Market, string>> = SECURITY_MARKET_TIME_ZONES;

/** A schedule of one of this app's functions (the fields are in config-types.ts, shared with the configuration). */
export type ScheduleDefinition = ScheduleFields<FunctionId>;

export const SCHEDULES = {
  dcaHk: {
    function: 'strategyDca',
    description: 'Buy a fixed quantity of the Tracker Fund every weekday at 10:00 Hong Kong time',
    market: 'HK',
    expression: 'cron(0 10 ? * MON-FRI *)',
    timeZone: MARKET_TIME_ZONES.HK,
    input: { strategy: 'dca', security: 'HK.02800', quantity: 500, trdEnv: 'SIMULATE', dryRun: true },
    enabled: true,
  },
  dcaUs: {
    function: 'strategyDca',
    description: 'Buy a fixed quantity of SPY every weekday at 10:00 New York time',
    market: 'US',
    expression: 'cron(0 10 ? * MON-FRI *)',
    timeZone: MARKET_TIME_ZONES.US,
    input: { strategy: 'dca', security: 'US.SPY', quantity: 1, trdEnv: 'SIMULATE', dryRun: true },
    enabled: false,
  },
  // Settlement treats a trading day as over once the market's local date has moved on, so it runs just after
  // local midnight, Tuesday to Saturday, for the sessions of Monday to Friday.
  settleHk: {
    function: 'settleOrders',
    description: 'Settle HK orders still open in DynamoDB after their trading day, from OpenD history',
    market: 'HK',
    expression: 'cron(30 0 ? * TUE-SAT *)',
    timeZone: MARKET_TIME_ZONES.HK,
    input: { trdMarket: 'HK' },
    enabled: true,
  },
  settleUs: {
    function: 'settleOrders',
    description: 'Settle US orders still open in DynamoDB after their trading day, from OpenD history',
    market: 'US',
    expression: 'cron(30 0 ? * TUE-SAT *)',
    timeZone: MARKET_TIME_ZONES.US,
    input: { trdMarket: 'US' },
    enabled: true,
  },
} as const satisfies Record<string, ScheduleDefinition>;

/**
 * The schedules of a deployment: `SCHEDULES` with `config.schedules` merged over them (a key not in
 * `SCHEDULES` adds a schedule and must then be complete), limited to the configured markets.
 */
export function schedules(config: Pick<OpenDCloudConfig, 'schedules' | 'markets'>): Record<string, ScheduleDefinition> {
  const merged: Record<string, ScheduleDefinition> = {};
  const names = new Set([...Object.keys(SCHEDULES), ...Object.keys(config.schedules)]);
  for (const name of names) {
    const base: Partial<ScheduleDefinition> = (SCHEDULES as Record<string, ScheduleDefinition>)[name] ?? {};
    const override = config.schedules[name] ?? {};
    const market = override.market ?? base.market;
    const candidate = {
      ...base,
      ...override,
      // A schedule moved to another market follows that market's clock unless a time zone is given.
      timeZone: override.timeZone ?? (override.market !== undefined ? MARKET_TIME_ZONES[override.market] : base.timeZone),
    };
    const missing = (['function', 'description', 'market', 'expression', 'timeZone', 'input', 'enabled'] as const).filter(
      (key) => candidate[key] === undefined,
    );
    if (missing.length > 0) {
      throw new Error(`Schedule "${name}" is new and needs ${missing.join(', ')} (see SCHEDULES in cdk/definitions.ts)`);
    }
    if (!(candidate.function! in FUNCTIONS)) {
      throw new Error(`Schedule "${name}": unknown function "${candidate.function}"; one of ${FUNCTION_IDS.join(', ')}`);
    }
    if (market !== undefined && config.markets.includes(market)) merged[name] = candidate as ScheduleDefinition;
  }
  return merged;
}

// ---------------------------------------------------------------------------------------------------------------
// Runtime contract between the CDK app, the gateway container and the Lambdas

/** Custom metrics the relay publishes as CloudWatch EMF; the alarms in the CDK app watch them. */
export const METRICS = {
  namespace: 'OpenDCloud',
  /** 1 while OpenD is logged in and the relay is serving, else 0; missing data means the relay is down. */
  gatewayReady: 'GatewayReady',
  /** Counter since the relay process started (cumulative); the alarm watches its increase. */
  relayReconnects: 'RelayReconnects',
  /** Counter since the relay process started (cumulative) of PutEvents entries EventBridge rejected. */
  putEventsFailedEntries: 'PutEventsFailedEntries',
} as const;

export const GATEWAY = {
  /** OpenD's TCP API: the only port the Lambdas may reach. */
  apiPort: 11111,
  /** The relay's HTTP health server inside the task (not reachable from outside it). */
  healthPort: 8080,
  /**
   * The ECS container health check. Liveness, not readiness: a task waiting for a human to send an SMS code is
   * not logged in (`/readyz` is 503) but must not be killed, or the challenge would start over forever.
   * Readiness is watched by the GatewayReady alarm instead.
   */
  healthCheckPath: '/livez',
  readinessPath: '/readyz',
  /**
   * OpenD's state folder (device whitelist, login cache) per brand, as the gateway image creates it; kept on EFS
   * so a restart does not ask for an SMS code again.
   */
  stateDirs: {
    futu: '/home/opend/.com.futunn.FutuOpenD',
    moomoo: '/home/opend/.com.moomoo.OpenD',
  },
  /** The image's `opend` user; the EFS access point writes as this identity. */
  uid: 10001,
  gid: 10001,
  /** Cloud Map: Lambdas reach OpenD at `${serviceName}.${namespace}:${apiPort}`. */
  serviceName: 'opend',
  namespace: 'opend-cloud.local',
} as const;

/**
 * Environment variables of the gateway container, as gateway-container/entrypoint.ts and the relay read them.
 * The `secret…` ones are injected by ECS from Secrets Manager (never plain environment); the entrypoint moves
 * them into 0600 files before starting OpenD and the relay.
 */
export const GATEWAY_ENV = {
  mode: 'OPEND_MODE',
  brand: 'OPEND_BRAND',
  apiPort: 'OPEND_API_PORT',
  /** JSON `[{"codes":["HK.00700"],"types":["BASIC","TICKER"]}]`. */
  subscriptions: 'RELAY_SUBSCRIPTIONS',
  healthPort: 'RELAY_HTTP_PORT',
  eventBusName: 'EVENT_BUS_NAME',
  eventSource: 'EVENT_SOURCE',
  gatewayStateTable: 'GATEWAY_STATE_TABLE',
  metricsNamespace: 'METRICS_NAMESPACE',
  /** The whole login secret: JSON `{"account": …, "passwordMd5": …}` (see LOGIN_SECRET_FIELDS). */
  secretLogin: 'OPEND_LOGIN_SECRET',
  secretRsaPrivateKey: 'OPEND_RSA_PRIVATE_KEY',
  secretTradePasswordMd5: 'OPEND_TRADE_PASSWORD_MD5',
  /**
   * Simulator mode only: ARN of the RSA key secret. While it holds the placeholder the gateway generates a key
   * and stores it there (secretsmanager:PutSecretValue on that one secret), so the Lambdas can read it.
   */
  rsaKeySecretArn: 'OPEND_RSA_KEY_SECRET_ARN',
  /** OpenD's state folder (the EFS mount): where OpenD, and the simulator, save the picture challenge. */
  stateDir: 'OPEND_STATE_DIR',
} as const;

/** Build arguments of gateway-container/Dockerfile. */
export const GATEWAY_BUILD_ARGS = {
  version: 'OPEND_VERSION',
  brand: 'OPEND_BRAND',
  /** SHA-256 of the OpenD tarball; the build refuses an unverified download. */
  sha256: 'OPEND_SHA256',
  url: 'OPEND_URL',
  /** `1` leaves OpenD out of the image (simulator deployments). */
  simulatorOnly: 'OPEND_SIMULATOR_ONLY',
} as const;

/** Environment variables the CDK app gives every Lambda. */
export { FUNCTION_ENV } from '../functions/lib/function-env.js';

/** Environment variable carrying each table's physical name, for the functions granted that table. */
export { TABLE_ENV } from '../functions/lib/tables.js';

/**
 * Value of a secret (or JSON field of one) the user has not filled in yet. Deployed secrets start with it so
 * the stack deploys before the user has credentials; the gateway treats it as "not configured".
 */
export { SECRET_PLACEHOLDER };

export function isSecretPlaceholder(value: string | undefined): boolean {
  return value === undefined || value.trim() === '' || value.trim() === SECRET_PLACEHOLDER;
}

/** JSON fields of the login secret, as the gateway entrypoint reads them. */
export const LOGIN_SECRET_FIELDS = {
  /** Futu/moomoo account ID, phone number or email. */
  account: 'account',
  /** Lowercase hex MD5 of the login password (the plaintext password is never accepted). */
  passwordMd5: 'passwordMd5',
} as const;
