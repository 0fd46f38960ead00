// EventBridge target for Order Update / Order Fill (and Gateway State / Login Challenge): keeps DynamoDB
// in step with OpenD. Idempotent, so EventBridge's retries and duplicates are harmless.
import type { EventBridgeEvent } from 'aws-lambda';
import { rejectedEventMetric } from '../lib/event-validation.js';
import { applyBusEvent } from '../lib/order-events.js';
import { lambdaFunction } from '../lib/lambda-logger.js';
import { storeRuntime } from '../lib/store-runtime.js';

/** EMF lines go to stdout, where Lambda's log pipeline extracts them; LOG_LEVEL=silent (tests) keeps it quiet. */
let writeMetric = (line: string): void => {
  if (process.env['LOG_LEVEL'] !== 'silent') process.stdout.write(line + '\n');
};

/** For tests: capture the metric lines. */
export function setMetricSink(sink: (line: string) => void): void {
  writeMetric = sink;
}

async function consume(event: EventBridgeEvent<string, unknown>): Promise<{ outcome: string }> {
  const rt = storeRuntime(); // stores only: this function never talks to OpenD (store-runtime.ts)
  const outcome = await applyBusEvent(rt, event, {
    onRejected: (reason) => {
      rt.log.warn('bus event rejected: it does not fit the event contract', { detailType: event['detail-type'], id: event.id, source: event.source, reason });
      writeMetric(rejectedEventMetric(event['detail-type'], reason, event.id));
    },
  });
  const d = (typeof event.detail === 'object' && event.detail !== null ? event.detail : {}) as Record<string, unknown>;
  const ids = Object.fromEntries(['accId', 'orderId', 'clientOrderId', 'fillId'].filter((k) => typeof d[k] === 'string').map((k) => [k, d[k]]));
  rt.log.info('bus event applied', { detailType: event['detail-type'], id: event.id, outcome, ...ids });
  return { outcome };
}

export const handler = lambdaFunction(consume);
