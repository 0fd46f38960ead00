// One DynamoDB Local for a whole `vitest run`, instead of a JVM started (about 2 s and 3 s of CPU) and warmed
// up again by every test file that needs one. vitest.config.ts names this file as a global setup: it starts
// DynamoDB Local once in vitest's main process and puts its endpoint and pid in the environment the test
// workers inherit. Files keep their isolation by table names: each creates its tables under its own random
// prefix (bin/local/create-tables.ts) and never lists or reads another's. A file that needs a DynamoDB Local of
// its own calls startDynamoDbLocal itself: the launcher's tests (they stop, kill and restart it) and the index
// creation test (an index added by UpdateTable stayed CREATING there for over a minute while another file's
// handlers were busy). So do the benches, which run outside vitest and measure a fresh JVM.
import { startDynamoDbLocal, type DynamoDbLocal } from '../../bin/local/dynamodb-local.js';

/** Set by the global setup in vitest's main process; the test workers inherit it. */
const SHARED_VARIABLE = 'OPEND_TEST_DYNAMODB_LOCAL';

/** vitest global setup: starts the run's DynamoDB Local and returns the teardown that stops it. */
export default async function setup(): Promise<() => Promise<void>> {
  // As the workers have it (vitest.config.ts): the readiness probe's SDK client would warn about Node 20.
  process.env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] = 'true';
  const ddb = await startDynamoDbLocal();
  process.env[SHARED_VARIABLE] = JSON.stringify({ endpoint: ddb.endpoint, port: ddb.port, pid: ddb.pid });
  return async () => {
    delete process.env[SHARED_VARIABLE];
    await ddb.stop();
  };
}

/**
 * The DynamoDB Local a test uses: the run's shared one under vitest (stopping it is left to the global
 * teardown, so `stop` does nothing), else one of its own, started now.
 */
export async function testDynamoDbLocal(): Promise<DynamoDbLocal> {
  const shared = process.env[SHARED_VARIABLE];
  if (shared === undefined) return startDynamoDbLocal();
  const { endpoint, port, pid } = JSON.parse(shared) as { endpoint: unknown; port: unknown; pid: unknown };
  if (typeof port !== 'number' || typeof pid !== 'number' || endpoint !== `http://127.0.0.1:${port}`) {
    throw new Error(`${SHARED_VARIABLE} must be {"endpoint":"http://127.0.0.1:<port>","port":<port>,"pid":<pid>}, not ${shared}`);
  }
  return { endpoint, port, pid, stop: async () => undefined };
}
