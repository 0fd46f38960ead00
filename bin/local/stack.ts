// The whole system on one machine: the simulator (encrypted with a generated key), DynamoDB Local, a local
// EventBridge with the CDK app's rules, the relay, the Lambda handlers behind a local HTTP API, and the
// configured schedules. The handler code is the same code that runs in Lambda.
import { mkdirSync, rmSync } from 'node:fs';
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createTcpServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { config as fileConfig } from '../../cdk/config.js';
import { eventRules, FUNCTIONS, loadConfig, routeList, schedules as configuredSchedules, type FunctionId, type Subscription } from '../../cdk/definitions.js';
import { runtime, setRuntime } from '../../functions/lib/runtime.js';
import { createTables } from './create-tables.js';
import { Relay } from '../../gateway-container/relay/relay.js';
import { tableReader } from '../../gateway-container/relay/runtime-subscriptions.js';
import { relayEventBridgeClient } from '../../gateway-container/relay/publisher.js';
import { startSimulator, type Simulator } from '../../gateway-container/simulator/index.js';
import type { Logger } from '../../proto/client.js';
import { ensureRsaKeyFile } from '../../proto/crypto.js';
import { guardedBody } from './api-guard.js';
import { startDynamoDbLocal, type DynamoDbLocal } from './dynamodb-local.js';
import { startLocalEventBridge, type BusEvent, type LocalEventBridge } from './eventbridge-local.js';
import { compileRoute, dispatchHttp, type LambdaHttpHandler } from './http-api.js';
import { startScheduler, type SchedulerHandle } from './scheduler.js';
import { setConnectionPoster } from '../../functions/lib/stream-poster.js';
import { startLocalWebSocketApi, type WebSocketHandler } from './websocket-api.js';

export interface LocalStackOptions {
  root: string;
  dataDir: string;
  fresh: boolean;
  ports: { api: number; openD: number; dynamodb: number; eventBridge: number; relayHealth: number };
  host?: string;
  log: Logger;
  /** Told the name of each part as it starts (`npm start` prints a line per part). */
  progress?: (part: string) => void;
  /** Securities the relay subscribes to when the config has none. */
  defaultSubscriptions?: Subscription[];
}

export interface RuleDelivery {
  rule: string;
  eventId: string;
  detailType: string;
  outcome: string;
  at: string;
}

export interface LocalStack {
  apiUrl: string;
  /** The WebSocket stream (docs/streaming.md), on the HTTP API's port. */
  streamUrl: string;
  sim: Simulator;
  relay: Relay;
  bus: LocalEventBridge;
  deliveries: RuleDelivery[];
  notifications: { topic: string; event: BusEvent }[];
  scheduler: SchedulerHandle;
  stop(): Promise<void>;
}

export class LocalStackError extends Error {}

async function portFree(port: number, host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createTcpServer();
    s.once('error', () => resolve(false));
    s.listen(port, host, () => s.close(() => resolve(true)));
  });
}

export async function checkPorts(ports: LocalStackOptions['ports'], host: string): Promise<void> {
  const names: Record<keyof LocalStackOptions['ports'], string> = {
    api: 'LOCAL_API_PORT (local HTTP API)',
    openD: 'LOCAL_OPEND_PORT (OpenD simulator)',
    dynamodb: 'LOCAL_DYNAMODB_PORT (DynamoDB Local)',
    eventBridge: 'LOCAL_EVENTBRIDGE_PORT (local EventBridge)',
    relayHealth: 'LOCAL_RELAY_HEALTH_PORT (relay /readyz)',
  };
  for (const [k, port] of Object.entries(ports) as [keyof LocalStackOptions['ports'], number][]) {
    if (!(await portFree(port, host))) {
      throw new LocalStackError(`port ${port} is already in use (${names[k]}): stop whatever uses it, or choose another port with that variable`);
    }
  }
}

export async function startLocalStack(o: LocalStackOptions): Promise<LocalStack> {
  const host = o.host ?? '127.0.0.1';
  const { log } = o;
  if (o.fresh) rmSync(o.dataDir, { recursive: true, force: true });
  mkdirSync(o.dataDir, { recursive: true, mode: 0o700 });
  await checkPorts(o.ports, host);
  const keyFile = join(o.dataDir, 'opend-rsa.pem');
  const keyPem = ensureRsaKeyFile(keyFile).pem;
  const config = loadConfig({}, fileConfig);
  const stoppers: (() => Promise<void>)[] = [];
  const stop = async () => {
    for (const s of stoppers.splice(0).reverse()) await s().catch((err: Error) => log.warn('stop step failed', { error: err.message }));
  };
  try {
    o.progress?.(`DynamoDB Local on port ${o.ports.dynamodb} (Java)`);
    const ddb: DynamoDbLocal = await startDynamoDbLocal({ port: o.ports.dynamodb, dbPath: join(o.dataDir, 'dynamodb') });
    stoppers.push(() => ddb.stop());
    o.progress?.(`local EventBridge on port ${o.ports.eventBridge}`);
    const bus = await startLocalEventBridge({ port: o.ports.eventBridge, host, maxStoredEvents: 5_000 });
    stoppers.push(() => bus.close());

    // The AWS SDK in the handlers and the relay finds the local endpoints through the standard variables.
    Object.assign(process.env, {
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'local',
      AWS_SECRET_ACCESS_KEY: 'local',
      AWS_ENDPOINT_URL_DYNAMODB: ddb.endpoint,
      AWS_ENDPOINT_URL_EVENTBRIDGE: bus.endpoint,
      TABLE_PREFIX: 'local',
      OPEND_HOST: host,
      OPEND_PORT: String(o.ports.openD),
      OPEND_RSA_KEY_FILE: keyFile,
    });
    o.progress?.('DynamoDB tables');
    const tables = await createTables(new DynamoDBClient({}), 'local');

    o.progress?.(`OpenD simulator on port ${o.ports.openD}`);
    // With the futures accounts (a paper HK, a paper US and a real one), as a Futu login has them.
    const sim = await startSimulator({ host, port: o.ports.openD, rsaPrivateKey: keyPem, logger: log, futuresAccounts: true });
    stoppers.push(() => sim.close());

    // Handlers, loaded exactly as Lambda would load the entry files.
    o.progress?.('Lambda handlers');
    const modules = new Map<FunctionId, { handler: (...a: unknown[]) => Promise<unknown> }>();
    for (const [id, def] of Object.entries(FUNCTIONS) as [FunctionId, (typeof FUNCTIONS)[FunctionId]][]) {
      modules.set(id, (await import(pathToFileURL(join(o.root, def.entry)).href)) as { handler: (...a: unknown[]) => Promise<unknown> });
    }
    stoppers.push(async () => {
      await runtime().openD.close();
      setRuntime(undefined);
    });

    const deliveries: RuleDelivery[] = [];
    const notifications: { topic: string; event: BusEvent }[] = [];
    for (const [name, rule] of Object.entries(eventRules(config))) {
      bus.addRule({
        name,
        eventBusName: 'opend-local',
        pattern: rule.eventPattern,
        target: async (ev) => {
          let outcome: string;
          if (rule.target.kind === 'function') {
            const fn = modules.get(rule.target.function as FunctionId)!;
            const r = (await fn.handler({ ...ev, eventBusName: undefined }, { awsRequestId: ev.id })) as { outcome?: string } | undefined;
            outcome = r?.outcome ?? 'ok';
          } else {
            notifications.push({ topic: rule.target.topic, event: ev });
            if (notifications.length > 500) notifications.shift();
            log.info(`[${rule.target.topic}] ${ev['detail-type']}`, { detail: ev.detail });
            outcome = 'notified';
          }
          deliveries.push({ rule: name, eventId: ev.id, detailType: ev['detail-type'], outcome, at: new Date().toISOString() });
          if (deliveries.length > 5_000) deliveries.shift();
        },
      });
    }

    const subscriptions = (config.subscriptions.length ? config.subscriptions : o.defaultSubscriptions ?? [{ codes: ['HK.00700', 'US.AAPL'], types: ['BASIC'] }]).map((sub) => ({ codes: [...sub.codes], types: [...sub.types] }));
    // The subscriptions function reports the deploy-time set and never deletes it, as in AWS.
    process.env['RELAY_SUBSCRIPTIONS'] = JSON.stringify(subscriptions);
    o.progress?.(`relay (health on port ${o.ports.relayHealth})`);
    const relay = new Relay({
      openD: { host, port: o.ports.openD, rsaPrivateKey: keyPem, clientId: 'local-relay' },
      subscriptions,
      // Kept as Futu price reminders in the simulator; the alert rules match their Price Reminder events.
      priceAlerts: config.priceAlerts,
      eventBridge: relayEventBridgeClient({ endpoint: bus.endpoint }),
      eventBusName: 'opend-local',
      // The latest-quote store GET /v1/quotes reads, as the gateway task keeps it in AWS.
      latestQuotes: { tableName: tables.latestQuotes, intervalMs: config.quoteStoreIntervalMs },
      // PUT /v1/subscriptions is applied within 2 s; the configured publish policy caps market-data events.
      runtimeSubscriptions: { read: tableReader(tables.subscriptions), pollMs: 2_000 },
      publishPolicy: config.publishPolicy,
      logger: log,
    });
    stoppers.push(() => relay.stop());
    const { startHealthServer } = await import('../../gateway-container/relay/http.js');
    const health = await startHealthServer(relay, o.ports.relayHealth, host);
    stoppers.push(() => new Promise<void>((r) => health.close(() => r())));
    await relay.start();

    o.progress?.(`HTTP API on port ${o.ports.api}`);
    const routes = routeList().map((r) => compileRoute(r.routeKey));
    const handlers: Record<string, LambdaHttpHandler> = {};
    for (const r of routeList()) handlers[r.routeKey] = modules.get(r.function)!.handler as LambdaHttpHandler;
    let apiPort = o.ports.api;
    const api: Server = createHttpServer((req, res) => {
      void (async () => {
        const url = req.url ?? '/';
        try {
          // Host, content type and size are checked first (see api-guard.ts): a web page must not reach this.
          const text = await guardedBody(req, res, { port: apiPort, host });
          if (text === undefined) return;
          if (url.startsWith('/_local/')) {
            const u = new URL(url, 'http://local');
            const payload =
              u.pathname === '/_local/events'
                ? { events: bus.events.filter((e) => !u.searchParams.get('detailType') || e['detail-type'] === u.searchParams.get('detailType')).slice(-200), deliveries: deliveries.slice(-500) }
                : u.pathname === '/_local/status'
                  ? { relay: relay.health(), publisher: relay.publisher.metrics, events: bus.events.length, deliveries: deliveries.length, schedules: scheduler.runs.slice(-20) }
                  : undefined;
            res.writeHead(payload ? 200 : 404, { 'content-type': 'application/json' });
            res.end(JSON.stringify(payload ?? { message: 'try /_local/events or /_local/status' }));
            return;
          }
          const headers: Record<string, string> = {};
          for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string') headers[k] = v;
          const out = await dispatchHttp(routes, handlers, { method: req.method ?? 'GET', url, headers, body: text === '' ? undefined : text });
          res.writeHead(out.status, out.headers);
          res.end(out.body);
        } catch (err) {
          log.error('local API failed', { error: (err as Error).stack });
          res.writeHead(500, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ error: { code: 'INTERNAL', message: 'local API failure; see the log' } }));
        }
      })();
    });
    await new Promise<void>((r) => api.listen(o.ports.api, host, () => r()));
    apiPort = (api.address() as AddressInfo).port;
    stoppers.push(
      () =>
        new Promise<void>((r) => {
          api.closeAllConnections();
          api.close(() => r());
        }),
    );

    // The WebSocket stream on the API's port; the bus's streamFanout rule posts to its open sockets.
    const stream = await startLocalWebSocketApi({ server: api, path: '/stream', host, handler: modules.get('streamConnections')!.handler as WebSocketHandler, log });
    setConnectionPoster(stream);
    stoppers.push(async () => {
      setConnectionPoster(undefined);
      await stream.close();
    });

    o.progress?.('scheduler');
    const scheduler = startScheduler(
      Object.entries(configuredSchedules(config)).map(([name, s]) => ({
        name,
        expression: s.expression,
        timeZone: s.timeZone,
        enabled: s.enabled,
        input: s.input,
        invoke: (input) => modules.get(s.function)!.handler(input, { awsRequestId: `schedule-${name}` }),
      })),
      (m) => log.info(m),
    );
    stoppers.push(async () => scheduler.stop());

    return { apiUrl: `http://${host}:${o.ports.api}`, streamUrl: stream.url, sim, relay, bus, deliveries, notifications, scheduler, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
