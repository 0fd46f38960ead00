// The Lambda layer as it runs locally: the real simulator over TCP (RSA + AES), the official DynamoDB Local
// with the tables under a random prefix, the runtime built from environment variables exactly as in a
// Lambda, and HTTP requests turned into API Gateway v2 events by the local HTTP API adapter.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { Context } from 'aws-lambda';
import { LOCAL_CREDENTIALS, LOCAL_REGION, type DynamoDbLocal } from '../../bin/local/dynamodb-local.js';
import { testDynamoDbLocal } from './shared-dynamodb.js';
import { compileRoute, dispatchHttp, lambdaContext, type LambdaHttpHandler } from '../../bin/local/http-api.js';
import { ROUTES } from '../../cdk/definitions.js';
import type { DcaResult } from '../../functions/lib/dca-strategy.js';
import type { SettlementResult } from '../../functions/lib/settlement.js';
import { createRuntime, loadRuntimeConfig, runtime, setRuntime, type Runtime } from '../../functions/lib/runtime.js';
import type { TableNames } from '../../functions/lib/tables.js';
import { createTables } from '../../bin/local/create-tables.js';
import { startSimulator, type Simulator, type SimulatorOptions } from '../../gateway-container/simulator/index.js';
import { DEFAULT_ACCOUNTS, type AccountConfig } from '../../gateway-container/simulator/trading/engine.js';
import type * as Trd_Common from '../../proto/generated/Trd_Common.js';
import { generateRsaKeyPem } from '../../proto/crypto.js';
import { silentLogger } from '../../proto/log.js';

/** Wednesday 2025-01-15 10:00:00 in Hong Kong (02:00 UTC): a normal trading day. */
export const SIM_START = Date.UTC(2025, 0, 15, 2, 0, 0);

export const ACCOUNTS = {
  SIM_HK: '281756480572583411',
  SIM_US: '281756455983234027',
  REAL_HK: '281756478396547854',
  REAL_US: '281756460288713516',
} as const;

/** The simulator's default accounts with deep pockets, so that many open buy orders never run out of cash. */
export const RICH_ACCOUNTS: AccountConfig[] = DEFAULT_ACCOUNTS.map((a) => ({ ...a, cash: { HKD: 1e10, USD: 1e9 } }));

/** Extra paper HK accounts (IDs above 2^53), for tests that need an account of their own. */
export function extraHkAccounts(n: number, firstId = 281756480572600000n): AccountConfig[] {
  return Array.from({ length: n }, (_, i) => ({
    accID: firstId + BigInt(i),
    trdEnv: 'SIMULATE' as const,
    markets: ['HK' as const],
    accType: 'CASH' as const,
    simAccType: 'STOCK' as const,
    cardNum: String(1001100520500000 + i),
    cash: { HKD: 1e10 },
  }));
}

type HttpFunctionId = (typeof ROUTES)[keyof typeof ROUTES];

/**
 * The handler modules are loaded after the environment is set (as in a Lambda, whose environment exists
 * before its code loads), so that module-level loggers see LOG_LEVEL.
 */
async function loadHttpHandlers(): Promise<Record<string, LambdaHttpHandler>> {
  const modules: Record<HttpFunctionId, Promise<{ handler: unknown }>> = {
    quotes: import('../../functions/handlers/quotes.js'),
    accounts: import('../../functions/handlers/accounts.js'),
    orders: import('../../functions/handlers/orders.js'),
    gateway: import('../../functions/handlers/gateway.js'),
    subscriptions: import('../../functions/handlers/subscriptions.js'),
  };
  const byRoute: Record<string, LambdaHttpHandler> = {};
  for (const [routeKey, fn] of Object.entries(ROUTES) as [string, HttpFunctionId][]) {
    byRoute[routeKey] = (await modules[fn]).handler as LambdaHttpHandler;
  }
  return byRoute;
}

const COMPILED_ROUTES = Object.keys(ROUTES).map(compileRoute);

export interface HttpCall {
  headers?: Record<string, string>;
  /** An object is sent as JSON; a string is sent as it is. */
  body?: unknown;
  /** The invoked function's timeout (default 30 s); its context's remaining time counts down from it. */
  timeoutMs?: number;
}

export interface HttpReply<T = any> {
  status: number;
  headers: Record<string, string>;
  /** The parsed JSON body (undefined when empty). */
  body: T;
  text: string;
}

export interface HarnessOptions {
  /** Passed to the simulator (defaults: manual clock at SIM_START, seed 7, RICH_ACCOUNTS). */
  simulator?: Partial<SimulatorOptions>;
  /** Extra environment variables of the runtime. */
  env?: Record<string, string>;
}

export interface FunctionsHarness {
  sim: Simulator;
  ddb: DynamoDbLocal;
  /** A client of DynamoDB Local for assertions. */
  dynamo: DynamoDBClient;
  prefix: string;
  tables: TableNames;
  rsaKeyPem: string;
  rsaKeyFile: string;
  /** The runtime the handlers use now. */
  readonly rt: Runtime;
  /** An HTTP request as API Gateway would deliver it to the handler of its route. */
  http<T = any>(method: string, url: string, call?: HttpCall): Promise<HttpReply<T>>;
  /** Invokes the order-events function as an EventBridge rule target would. */
  orderEvents(event: unknown): Promise<{ outcome: string }>;
  /** Invokes the DCA strategy function as EventBridge Scheduler would. */
  strategyDca(input: unknown): Promise<DcaResult>;
  /** Invokes the settlement function as EventBridge Scheduler would. */
  settleOrders(input: unknown): Promise<SettlementResult>;
  /** Replaces the handlers' runtime by one built from the environment plus `env` (e.g. a fresh table prefix). */
  restartRuntime(env?: Record<string, string>): Promise<Runtime>;
  /** Creates the tables under a fresh prefix and points a new runtime at them (fresh limiter windows). */
  freshTables(): Promise<TableNames>;
  /**
   * Moves past Futu's 20 ms minimum gap between trade writes on one account, on both clocks that enforce it:
   * the simulator's virtual one and the wall clock of our DynamoDB limiter.
   */
  nextTradeSlot(): Promise<void>;
  /** The simulator's trade header of an account. */
  header(accId: string): Trd_Common.TrdHeader;
  stop(): Promise<void>;
}

function newPrefix(): string {
  return `fn${randomUUID().slice(0, 8)}`;
}

export async function startFunctionsHarness(options: HarnessOptions = {}): Promise<FunctionsHarness> {
  const cleanups: (() => Promise<void> | void)[] = [];
  const stopAll = async () => {
    for (const c of cleanups.reverse()) await Promise.resolve().then(c).catch(() => undefined);
    cleanups.length = 0;
  };
  try {
    const dir = mkdtempSync(join(tmpdir(), 'opend-fn-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const rsaKeyPem = generateRsaKeyPem();
    const rsaKeyFile = join(dir, 'opend-rsa.pem');
    writeFileSync(rsaKeyFile, rsaKeyPem, { mode: 0o600 });

    const ddb = await testDynamoDbLocal();
    cleanups.push(() => ddb.stop());
    const dynamo = new DynamoDBClient({ endpoint: ddb.endpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS });
    cleanups.push(() => dynamo.destroy());
    let prefix = newPrefix();
    let tables = await createTables(dynamo, prefix);

    const sim = await startSimulator({
      host: '127.0.0.1',
      port: 0,
      seed: 7,
      clock: { manual: true, start: SIM_START },
      rsaPrivateKey: rsaKeyPem,
      accounts: RICH_ACCOUNTS,
      ...options.simulator,
    });
    cleanups.push(() => sim.close());

    const env: Record<string, string> = {
      OPEND_HOST: sim.host,
      OPEND_PORT: String(sim.port),
      OPEND_RSA_KEY_FILE: rsaKeyFile,
      TABLE_PREFIX: prefix,
      AWS_ENDPOINT_URL_DYNAMODB: ddb.endpoint,
      AWS_REGION: LOCAL_REGION,
      AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
      LOG_LEVEL: process.env['LOG_LEVEL'] ?? 'silent',
      ...options.env,
    };
    const saved = new Map<string, string | undefined>();
    const setEnv = (vars: Record<string, string>) => {
      for (const [k, v] of Object.entries(vars)) {
        if (!saved.has(k)) saved.set(k, process.env[k]);
        process.env[k] = v;
      }
    };
    cleanups.push(() => {
      for (const [k, v] of saved) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    });
    setEnv(env);

    let current: Runtime | undefined;
    const restartRuntime = async (extra: Record<string, string> = {}) => {
      setEnv(extra);
      const old = current;
      current = createRuntime(loadRuntimeConfig(process.env), silentLogger);
      setRuntime(current);
      await old?.openD.close();
      return current;
    };
    await restartRuntime();
    const routeHandlers = await loadHttpHandlers();
    const orderEvents = (await import('../../functions/handlers/order-events.js')).handler as unknown as (e: unknown, c: Context) => Promise<{ outcome: string }>;
    const strategyDca = (await import('../../functions/handlers/strategy-dca.js')).handler as unknown as (e: unknown, c: Context) => Promise<DcaResult>;
    const settleOrders = (await import('../../functions/handlers/settle-orders.js')).handler as unknown as (e: unknown, c: Context) => Promise<SettlementResult>;
    cleanups.push(async () => {
      await current?.openD.close();
      setRuntime(undefined);
    });

    const accounts = new Map(sim.trading.accounts().map((a) => [a.accID.toString(), a]));
    return {
      sim,
      ddb,
      dynamo,
      get prefix() {
        return prefix;
      },
      get tables() {
        return tables;
      },
      rsaKeyPem,
      rsaKeyFile,
      get rt() {
        return runtime();
      },
      async http(method, url, call = {}) {
        const headers: Record<string, string> = { ...call.headers };
        let body: string | undefined;
        if (call.body !== undefined) {
          body = typeof call.body === 'string' ? call.body : JSON.stringify(call.body);
          if (!Object.keys(headers).some((k) => k.toLowerCase() === 'content-type')) headers['content-type'] = 'application/json';
        }
        const r = await dispatchHttp(COMPILED_ROUTES, routeHandlers, { method, url, headers, body, timeoutMs: call.timeoutMs });
        return { status: r.status, headers: r.headers, text: r.body, body: r.body === '' ? undefined : JSON.parse(r.body) };
      },
      orderEvents: (event) => orderEvents(event, lambdaContext('orderEvents')),
      strategyDca: (input) => strategyDca(input, lambdaContext('strategyDca')),
      settleOrders: (input) => settleOrders(input, lambdaContext('settleOrders')),
      restartRuntime,
      async freshTables() {
        prefix = newPrefix();
        tables = await createTables(dynamo, prefix);
        await restartRuntime({ TABLE_PREFIX: prefix });
        return tables;
      },
      async nextTradeSlot() {
        sim.advance(100);
        await new Promise((r) => setTimeout(r, 25));
      },
      header(accId) {
        const a = accounts.get(accId);
        if (!a) throw new Error(`the simulator has no account ${accId}`);
        return { trdEnv: a.trdEnv, accID: a.accID, trdMarket: a.trdMarketAuthList?.[0] ?? 0 };
      },
      stop: stopAll,
    };
  } catch (err) {
    await stopAll();
    throw err;
  }
}
