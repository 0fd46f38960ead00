// EventBridge target for quote events and Order Update / Order Fill: pushes each to the WebSocket connections
// subscribed to it (functions/lib/stream-fanout.ts).
import type { EventBridgeEvent } from 'aws-lambda';
import { lambdaFunction } from '../lib/lambda-logger.js';
import { fanOut } from '../lib/stream-fanout.js';
import { connectionPoster } from '../lib/stream-poster.js';
import { streamRuntime } from '../lib/stream-runtime.js';

async function consume(event: EventBridgeEvent<string, unknown>): Promise<{ outcome: string }> {
  const rt = streamRuntime();
  const r = await fanOut({ store: rt.store, poster: () => connectionPoster(), log: rt.log }, event);
  if (r.sent + r.gone + r.failed > 0) rt.log.info('stream fan-out', { detailType: event['detail-type'], id: event.id, ...r });
  return { outcome: `sent ${r.sent}, gone ${r.gone}, failed ${r.failed}` };
}

export const handler = lambdaFunction(consume);
