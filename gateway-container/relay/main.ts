// Relay process entry: configuration from environment variables and secret files (never from argv).
//   OPEND_HOST (127.0.0.1), OPEND_PORT (11111), OPEND_RSA_KEY_FILE (PEM path, optional)
//   OPEND_TRADE_PASSWORD_MD5_FILE (optional), RELAY_SUBSCRIPTIONS (JSON: [{"codes":["HK.00700"],"types":["BASIC"]}])
//   EVENT_BUS_NAME (default "default"), EVENT_SOURCE ("opend"), RELAY_HTTP_PORT (8080), RELAY_EMF_INTERVAL_MS (60000, 0 = off)
//   RELAY_CHECKPOINT_FILE (durable checkpoint of what the bus accepted; default
//     $HOME/.com.futunn.FutuOpenD/opend-cloud-relay-checkpoint.json, with OPEND_BRAND=moomoo under
//     $HOME/.com.moomoo.OpenD, i.e. on OpenD's state volume; "off" disables)
//   RELAY_CHECKPOINT_INTERVAL_MS (1000): the checkpoint is rewritten at most this often
//   RELAY_UNLOCK_MAX_ATTEMPTS (3): rejected trade unlocks before the relay gives up (Gateway Notice UNLOCK_FAILED)
//   RELAY_UNLOCK_BACKOFF_MS (5000): first delay between unlock attempts, doubling
//   RELAY_HISTORY_AFTER_GAP_S (300): an outage longer than this also reads OpenD's history order/fill lists
//   RELAY_PRICE_ALERTS (JSON, optional: [{"security":"HK.00700","above":400}]): kept as Futu price reminders in OpenD
//   LATEST_QUOTES_TABLE (optional): keep the latest quote / top of book of subscribed securities there
//   RELAY_QUOTE_STORE_INTERVAL_MS (1000): at most one store write per security per this many ms
//   SUBSCRIPTIONS_TABLE (optional): the runtime quote subscriptions, read every RELAY_SUBSCRIPTIONS_POLL_MS (5000)
//   RELAY_PUBLISH_POLICY (JSON, optional): market-data events per second per security by DetailType; unset = the
//     defaults of publish-policy-schema.ts (every market-data type ≤ 1 event/s per security)
//   RELAY_PUT_EVENTS_IN_FLIGHT (32, publisher.ts DEFAULT_MAX_IN_FLIGHT): concurrent PutEvents calls; each carries at
//     most 10 events, so this over EventBridge's round trip bounds the events/s (32 calls at 25 ms: 12,800/s)
//   AWS_REGION / AWS_ENDPOINT_URL_EVENTBRIDGE as usual for the AWS SDK.
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createLogger } from '../../proto/log.js';
import { parseSubscriptionsJson } from '../subscription-schema.js';
import { readSecretFile } from '../secret-file.js';
import { parsePriceAlertsJson, PRICE_ALERTS_ENV, type PriceAlertSpec } from './price-alerts-sync.js';
import { emfLine, startHealthServer } from './http.js';
import { defaultCheckpointPath } from './checkpoint.js';
import { Relay, type SubscriptionSpec } from './relay.js';
import { DEFAULT_MAX_IN_FLIGHT, relayEventBridgeClient } from './publisher.js';
import { parsePublishPolicyJson, type PublishPolicy } from '../publish-policy-schema.js';
import { RUNTIME_SUBSCRIPTIONS_ENV, tableReader } from './runtime-subscriptions.js';
import { LATEST_QUOTES_ENV } from './latest-quotes.js';

const log = createLogger('relay');

function fail(msg: string): never {
  log.error(msg);
  process.exit(2);
}

/** A positive integer environment variable, or its default; anything else is a configuration error. */
export function intEnv(env: NodeJS.ProcessEnv, name: string, dflt: number, min = 1): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return dflt;
  if (!/^\d+$/.test(raw) || Number(raw) < min) throw new Error(`${name} must be an integer ≥ ${min}, got ${JSON.stringify(raw)}`);
  return Number(raw);
}

async function main(): Promise<void> {
  const env = process.env;
  const readSecret = (name: string): string | undefined => readSecretFile(env[name], `${name}:`, fail);
  let subscriptions: SubscriptionSpec[];
  try {
    // The same schema the CDK app checks the configured `subscriptions` with.
    subscriptions = parseSubscriptionsJson(env['RELAY_SUBSCRIPTIONS'], 'RELAY_SUBSCRIPTIONS');
  } catch (err) {
    fail((err as Error).message);
  }
  let publishPolicy: PublishPolicy;
  let subscriptionsPollMs: number;
  try {
    publishPolicy = parsePublishPolicyJson(env['RELAY_PUBLISH_POLICY']);
    subscriptionsPollMs = intEnv(env, RUNTIME_SUBSCRIPTIONS_ENV.pollMs, 5_000, 200);
  } catch (err) {
    fail((err as Error).message);
  }
  const subscriptionsTable = env[RUNTIME_SUBSCRIPTIONS_ENV.table];
  const tradePasswordMd5 = readSecret('OPEND_TRADE_PASSWORD_MD5_FILE');
  if (tradePasswordMd5 !== undefined && !/^[0-9a-f]{32}$/i.test(tradePasswordMd5)) fail('the trade password file must hold the 32-hex-digit MD5 of the trade password');
  let numbers: { unlockMax: number; unlockBackoff: number; checkpointEvery: number; historyGap: number; quoteStoreEvery: number; putEventsInFlight: number };
  try {
    numbers = {
      unlockMax: intEnv(env, 'RELAY_UNLOCK_MAX_ATTEMPTS', 3),
      unlockBackoff: intEnv(env, 'RELAY_UNLOCK_BACKOFF_MS', 5_000),
      checkpointEvery: intEnv(env, 'RELAY_CHECKPOINT_INTERVAL_MS', 1_000, 10),
      historyGap: intEnv(env, 'RELAY_HISTORY_AFTER_GAP_S', 300),
      quoteStoreEvery: intEnv(env, LATEST_QUOTES_ENV.intervalMs, 1_000, 100),
      putEventsInFlight: intEnv(env, 'RELAY_PUT_EVENTS_IN_FLIGHT', DEFAULT_MAX_IN_FLIGHT),
    };
  } catch (err) {
    fail((err as Error).message);
  }
  let priceAlerts: PriceAlertSpec[];
  try {
    priceAlerts = parsePriceAlertsJson(env[PRICE_ALERTS_ENV]);
  } catch (err) {
    fail((err as Error).message);
  }
  const checkpointFile = env['RELAY_CHECKPOINT_FILE'] === 'off' ? undefined : env['RELAY_CHECKPOINT_FILE'] || defaultCheckpointPath();
  const relay = new Relay({
    openD: { host: env['OPEND_HOST'] ?? '127.0.0.1', port: Number(env['OPEND_PORT'] ?? 11111), rsaPrivateKey: readSecret('OPEND_RSA_KEY_FILE') },
    subscriptions,
    priceAlerts, // kept as Futu price reminders (price-alerts-sync.ts)
    tradePasswordMd5,
    eventBridge: relayEventBridgeClient(),
    eventBusName: env['EVENT_BUS_NAME'] ?? 'default',
    source: env['EVENT_SOURCE'] ?? 'opend',
    publisher: { maxInFlight: numbers.putEventsInFlight },
    unlock: { maxAttempts: numbers.unlockMax, backoffMs: numbers.unlockBackoff },
    checkpointFile,
    checkpointIntervalMs: numbers.checkpointEvery,
    historyAfterGapS: numbers.historyGap,
    publishPolicy,
    runtimeSubscriptions: subscriptionsTable ? { read: tableReader(subscriptionsTable), pollMs: subscriptionsPollMs } : undefined,
    latestQuotes: env[LATEST_QUOTES_ENV.table] ? { tableName: env[LATEST_QUOTES_ENV.table]!, intervalMs: numbers.quoteStoreEvery } : undefined,
    logger: log,
  });
  const server = await startHealthServer(relay, Number(env['RELAY_HTTP_PORT'] ?? 8080), env['RELAY_HTTP_HOST'] ?? '127.0.0.1');
  const emfEvery = Number(env['RELAY_EMF_INTERVAL_MS'] ?? 60_000);
  const emf = emfEvery > 0 ? setInterval(() => process.stdout.write(emfLine(relay) + '\n'), emfEvery) : null;
  emf?.unref();
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info('stopping relay', { signal });
    if (emf) clearInterval(emf);
    server.close();
    await relay.stop();
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
  log.info('relay starting', { opendHost: env['OPEND_HOST'] ?? '127.0.0.1', subscriptions: subscriptions.length, encrypted: !!env['OPEND_RSA_KEY_FILE'], checkpointFile: checkpointFile ?? 'off' });
  await relay.start();
}

if (process.argv[1] && fileURLToPath(import.meta.url) === resolve(process.argv[1])) {
  main().catch((err: Error) => fail(`relay failed: ${err.message}`));
}
