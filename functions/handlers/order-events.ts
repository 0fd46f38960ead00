// EventBridge target for Order Update / Order Fill (and Gateway State / Login Challenge): keeps DynamoDB
// in step with OpenD. Idempotent, so EventBridge's retries and duplicates are harmless.
import type { EventBridgeEvent } from 'aws-lambda';
import middy from '@middy/core';
import { applyBusEvent } from '../lib/order-events.js';
import { runtime } from '../lib/runtime.js';

async function consume(event: EventBridgeEvent<string, unknown>): Promise<{ outcome: string }> {
  const rt = runtime();
  const outcome = await applyBusEvent(rt, event);
  rt.log.info('bus event applied', { detailType: event['detail-type'], id: event.id, outcome });
  return { outcome };
}

export const handler = middy(consume);
