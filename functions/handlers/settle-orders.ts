// Scheduled after the markets close (EventBridge Scheduler → this function): settles the orders DynamoDB still
// holds as non-terminal after their trading day, from OpenD's history order list (see lib/settlement.ts).
// Input: {} for every market, or {"trdMarket":"HK"}.
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { lambdaFunction } from '../lib/lambda-logger.js';
import { runtime } from '../lib/runtime.js';
import { DynamoOpenOrders, parseSettlementInput, settleOrders, type SettlementResult } from '../lib/settlement.js';

/** EMF lines go to stdout, where Lambda's log pipeline extracts them; LOG_LEVEL=silent (tests) keeps it quiet. */
let writeMetric = (line: string): void => {
  if (process.env['LOG_LEVEL'] !== 'silent') process.stdout.write(line + '\n');
};

/** For tests: capture the metric lines. */
export function setMetricSink(sink: (line: string) => void): void {
  writeMetric = sink;
}

let openOrders: { table: string; source: DynamoOpenOrders } | undefined;

async function run(event: unknown): Promise<SettlementResult> {
  const input = parseSettlementInput(event);
  const rt = runtime();
  const table = rt.config.tables.orders;
  if (openOrders?.table !== table) {
    const doc = DynamoDBDocumentClient.from(new DynamoDBClient({}), { marshallOptions: { removeUndefinedValues: true } });
    openOrders = { table, source: new DynamoOpenOrders(doc, table) };
  }
  const source = openOrders.source;
  const result = await settleOrders(input, {
    openOrders: () => source.list(),
    orders: rt.orders,
    session: () => rt.openD.get(),
    limiter: rt.limiter,
    log: rt.log,
    metric: (line) => writeMetric(line),
  });
  const count = (o: string) => result.orders.filter((x) => x.outcome === o).length;
  rt.log.info('settlement run', {
    trdMarket: input.trdMarket ?? 'all',
    candidates: result.candidates,
    notDue: result.notDue,
    settled: count('settled'),
    unchanged: count('unchanged'),
    notFound: count('not-found'),
    deferred: count('deferred'),
  });
  return result;
}

export const handler = lambdaFunction(run);
