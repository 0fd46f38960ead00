// `npm start`: the whole opend-cloud stack on this machine, on the OpenD simulator.
// Arguments and ports are listed in USAGE below (`npm start -- --help` prints it).
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createLogger } from '../proto/log.js';
import { LocalStackError, startLocalStack, type LocalStack } from './local/stack.js';

const root = resolve(fileURLToPath(import.meta.url), '../..');
const say = (line = '') => process.stdout.write(line + '\n');

const USAGE = `Usage: npm start [-- [--fresh] [--data-dir <dir>]]

Runs the whole opend-cloud stack on this machine: the OpenD simulator, DynamoDB Local (needs Java 17), a local
EventBridge, the relay, the Lambda handlers behind a local HTTP API, and the local scheduler.

  --fresh            start from empty data (delete the data folder first)
  --data-dir <dir>   where DynamoDB's data and the generated RSA key live (default: .local-data)
  -h, --help         print this and exit

Ports (environment variables):
  LOCAL_API_PORT (3000)  LOCAL_OPEND_PORT (11111)  LOCAL_DYNAMODB_PORT (8000)
  LOCAL_EVENTBRIDGE_PORT (4010)  LOCAL_RELAY_HEALTH_PORT (8080)
LOG_LEVEL=info shows every request (default: warn).`;

/** The command line, or a sentence saying what is wrong with it. */
function parseArgs(argv: readonly string[]): { help: boolean; fresh: boolean; dataDir?: string } | { error: string } {
  const out: { help: boolean; fresh: boolean; dataDir?: string } = { help: false, fresh: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '-h' || a === '--help') out.help = true;
    else if (a === '--fresh') out.fresh = true;
    else if (a === '--data-dir' || a.startsWith('--data-dir=')) {
      const value = a === '--data-dir' ? argv[++i] : a.slice('--data-dir='.length);
      if (!value || value.startsWith('-')) return { error: '--data-dir needs a folder, as in --data-dir .local-data' };
      out.dataDir = value;
    } else return { error: `unknown argument "${a}"; the arguments are --fresh, --data-dir <dir> and --help` };
  }
  return out;
}

const parsed = parseArgs(process.argv.slice(2));
if ('error' in parsed) {
  process.stderr.write(`\nopend-cloud: ${parsed.error}\n\n${USAGE}\n`);
  process.exit(1);
}
if (parsed.help) {
  say(USAGE);
  process.exit(0);
}
const fresh = parsed.fresh;
const dataDir = resolve(parsed.dataDir ?? resolve(root, '.local-data'));
// Quiet by default: the banner and the live line are the interface; LOG_LEVEL=info shows every request.
process.env['LOG_LEVEL'] ??= 'warn';
// Development runs on Node 20 by design (docs/architecture.md); Lambda runs Node 22.
process.env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] ??= 'true';

function fail(message: string): never {
  process.stderr.write(`\nopend-cloud: ${message}\n\n`);
  process.exit(1);
}

function port(name: string, dflt: number): number {
  const v = process.env[name];
  if (v === undefined) return dflt;
  if (!/^\d+$/.test(v) || Number(v) < 1 || Number(v) > 65535) fail(`${name} must be a port number (1-65535), got "${v}"`);
  return Number(v);
}

async function main(): Promise<void> {
  const java = spawnSync('java', ['-version'], { encoding: 'utf8' });
  if (java.error || java.status !== 0) {
    fail('Java was not found, and DynamoDB Local needs it. Install Java 17 (Debian/Ubuntu: sudo apt-get install -y openjdk-17-jre-headless) and run npm start again.');
  }
  const ports = {
    api: port('LOCAL_API_PORT', 3000),
    openD: port('LOCAL_OPEND_PORT', 11111),
    dynamodb: port('LOCAL_DYNAMODB_PORT', 8000),
    eventBridge: port('LOCAL_EVENTBRIDGE_PORT', 4010),
    relayHealth: port('LOCAL_RELAY_HEALTH_PORT', 8080),
  };
  const log = createLogger('local', { level: (process.env['LOG_LEVEL'] as 'warn' | undefined) ?? 'warn' });
  say(`opend-cloud: starting the local stack (data in ${dataDir}${fresh ? ', fresh' : ''}) …`);
  let stack: LocalStack;
  try {
    // One line per part as it starts, with the time since the start: the first run (DynamoDB Local's JVM, the
    // handlers' imports) takes a while on a small machine, and a user should see where it is.
    const t0 = Date.now();
    const progress = (part: string) => say(`  [${((Date.now() - t0) / 1000).toFixed(1).padStart(5)} s] ${part}`);
    stack = await startLocalStack({ root, dataDir, fresh, ports, log, progress });
    progress('all parts started');
  } catch (err) {
    if (err instanceof LocalStackError || (err as Error).name === 'DynamoDbLocalStartError') fail((err as Error).message);
    fail(`could not start: ${(err as Error).message}`);
  }
  const accounts = stack.sim.trading.accounts();
  const simHk = accounts.find((a) => a.trdEnv === 0 && a.trdMarketAuthList?.includes(1));
  const api = stack.apiUrl;
  say('');
  say('opend-cloud local stack is ready');
  say(`  HTTP API            ${api}   (the Lambda handlers behind API Gateway v2 events)`);
  say(`  WebSocket stream    ${stack.streamUrl}   (quotes and order events; send {"action":"subscribe","quotes":["HK.00700"]}, see docs/streaming.md)`);
  say(`  OpenD simulator     tcp://127.0.0.1:${ports.openD}   (RSA + AES-CBC; key ${dataDir}/opend-rsa.pem)`);
  say(`  DynamoDB Local      http://127.0.0.1:${ports.dynamodb}   EventBridge (local) http://127.0.0.1:${ports.eventBridge}`);
  say(`  relay health        http://127.0.0.1:${ports.relayHealth}/readyz   bus events ${api}/_local/events`);
  say('  accounts:');
  for (const a of accounts) say(`    ${a.accID}  ${a.trdEnv === 0 ? 'SIMULATE' : 'REAL    '}  ${a.trdMarketAuthList?.map((m) => ({ 1: 'HK', 2: 'US', 3: 'CN', 4: 'HKCC', 5: 'FUTURES', 10: 'FUTURES_SIMULATE_HK', 11: 'FUTURES_SIMULATE_US' })[m as 1] ?? m).join(',')}${a.trdEnv === 1 ? '  (trade password 123456)' : ''}`);
  say('  try:');
  say(`    curl '${api}/v1/quotes?codes=HK.00700,US.AAPL'`);
  say(`    curl -X POST ${api}/v1/accounts/${simHk?.accID}/orders -H 'content-type: application/json' -H 'Idempotency-Key: demo-1' \\`);
  say(`         -d '{"code":"HK.00700","side":"BUY","type":"MARKET","qty":100}'`);
  say(`    curl '${api}/v1/accounts/${simHk?.accID}/orders?clientOrderId=demo-1'`);
  say(`    curl ${api}/v1/gateway`);
  say('  Ctrl-C stops everything.');
  say('');

  let lastEvents = stack.bus.events.length;
  let lastTotal = 0;
  const live = setInterval(() => {
    const total = stack.relay.publisher.metrics.eventsOut;
    const perSec = Math.round((total - lastTotal) / 5);
    lastTotal = total;
    lastEvents = stack.bus.events.length;
    const orders = stack.deliveries.filter((d) => d.rule === 'orderEvents').length;
    const h = stack.relay.health();
    // Events/s by DetailType over the last 10 s: what EventBridge bills, type by type (README "Cost control").
    const byType = Object.entries(stack.relay.publisher.acceptedRate.perSecond()).map(([t, n]) => `${t} ${n}`).join(', ');
    process.stdout.write(`[live] ${h.ready ? 'ready' : `not ready (${h.reason})`} · ${perSec} events/s${byType ? ` (${byType})` : ''} · ${total} events · ${orders} order events stored · ${stack.notifications.length} alerts\n`);
  }, 5_000);
  live.unref();
  void lastEvents;

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    clearInterval(live);
    say(`\nopend-cloud: ${signal}: stopping …`);
    await stack.stop();
    say('opend-cloud: stopped');
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}

main().catch((err: Error) => fail(err.message));
