/**
 * The stream fan-out: one bus event (a quote event, an Order Update or an Order Fill) to every WebSocket
 * connection subscribed to its topic. The connections come from one Query of the topic's partition; each gets
 * the same message, posted concurrently. A connection API Gateway reports gone (410) is deleted with all its
 * subscriptions. Other per-connection failures are logged and counted but do not fail the invocation: a retry
 * would send the event again to every connection that already had it. Only a failure to read the subscribers
 * fails it (nothing was sent yet, so EventBridge's retry duplicates nothing).
 */
import type { Logger } from '../../proto/client.js';
import { eventMessage, topicOfEvent } from './stream-protocol.js';
import { GoneConnectionError, type ConnectionPoster } from './stream-poster.js';
import type { DynamoStreamStore } from './stream-store.js';

/** postToConnection's limit on one message (API Gateway WebSocket message payload size: 128 KB). */
export const MAX_MESSAGE_BYTES = 128 * 1024;

export interface FanOutResult {
  topic?: string;
  sent: number;
  gone: number;
  failed: number;
}

export interface BusEventLike {
  id: string;
  time: string;
  'detail-type': string;
  detail: unknown;
}

/** `poster` is asked for only when someone is subscribed, so an event nobody wants needs no API Gateway client. */
export async function fanOut(deps: { store: DynamoStreamStore; poster: () => ConnectionPoster; log: Logger }, event: BusEventLike): Promise<FanOutResult> {
  const topic = topicOfEvent(event['detail-type'], event.detail);
  if (topic === undefined) {
    deps.log.warn('stream fan-out: event without a security or account, not streamed', { detailType: event['detail-type'], id: event.id });
    return { sent: 0, gone: 0, failed: 0 };
  }
  const ids = await deps.store.connectionsFor(topic);
  if (ids.length === 0) return { topic, sent: 0, gone: 0, failed: 0 };
  const message = eventMessage(event);
  if (Buffer.byteLength(message) > MAX_MESSAGE_BYTES) {
    deps.log.warn('stream fan-out: event over the WebSocket message limit, not streamed', { detailType: event['detail-type'], id: event.id, bytes: Buffer.byteLength(message) });
    return { topic, sent: 0, gone: 0, failed: ids.length };
  }
  const poster = deps.poster();
  const results = await Promise.allSettled(ids.map((id) => poster.post(id, message)));
  const result: FanOutResult = { topic, sent: 0, gone: 0, failed: 0 };
  const cleanups: Promise<unknown>[] = [];
  results.forEach((r, i) => {
    const id = ids[i]!;
    if (r.status === 'fulfilled') result.sent++;
    else if (r.reason instanceof GoneConnectionError) {
      result.gone++;
      cleanups.push(deps.store.remove(id).catch((err: Error) => deps.log.warn('stream fan-out: could not delete a gone connection (TTL will)', { connectionId: id, error: err.message })));
    } else {
      result.failed++;
      deps.log.warn('stream fan-out: post failed', { connectionId: id, id: event.id, error: (r.reason as Error)?.message ?? String(r.reason) });
    }
  });
  await Promise.all(cleanups);
  return result;
}
