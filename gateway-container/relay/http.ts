// The relay's HTTP surface for the container health check and operators: /livez, /readyz, /metrics, and
// /subscriptions (the runtime quote subscriptions, each with its state: applied / pending / pending-minute-rule /
// refused with OpenD's reason).
import { createServer, type Server } from 'node:http';
import type { Relay } from './relay.js';

/** Loopback by default: the image's HEALTHCHECK and the ECS health check both ask 127.0.0.1 inside the task. */
export function startHealthServer(relay: Relay, port: number, host = '127.0.0.1'): Promise<Server> {
  const server = createServer((req, res) => {
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
      res.end(JSON.stringify(body));
    };
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET') return send(405, { error: 'only GET is supported' });
    switch (path) {
      case '/livez':
        return send(200, { live: true });
      case '/readyz': {
        const h = relay.health();
        return send(h.ready ? 200 : 503, h);
      }
      case '/metrics':
        return send(200, metricsOf(relay));
      case '/subscriptions':
        return send(200, subscriptionsOf(relay));
      default:
        return send(404, { error: `unknown path ${path}; try /livez, /readyz, /metrics or /subscriptions` });
    }
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve(server);
    });
  });
}

export function metricsOf(relay: Relay) {
  const p = relay.publisher.metrics;
  return {
    ready: relay.health().ready,
    pushesIn: relay.metrics.pushesIn,
    pushesByProto: relay.metrics.pushesByProto,
    eventsIn: p.eventsIn,
    eventsOut: p.eventsOut,
    batches: p.batches,
    retries: p.retries,
    failedEntries: p.failedEntries,
    rejectedEntries: p.rejectedEntries,
    throttledCalls: p.throttledCalls,
    coalesced: p.coalesced,
    dropped: p.dropped,
    queueDepth: p.queueDepth,
    reconnects: relay.metrics.reconnects,
    setups: relay.metrics.setups,
    setupFailures: relay.metrics.setupFailures,
    reconciledOrders: relay.metrics.reconciledOrders,
    reconciledFills: relay.metrics.reconciledFills,
    duplicatesSkipped: relay.metrics.duplicatesSkipped,
    historyReconciles: relay.metrics.historyReconciles,
    unlockRejections: relay.metrics.unlockRejections,
    unlockGaveUp: relay.metrics.unlockGaveUp,
    subscriptionFailures: relay.metrics.subscriptionFailures,
    subscriptionsFailing: relay.subscriptionStep.state === 'waiting-retry' ? 1 : 0,
    checkpointWrites: relay.metrics.checkpointWrites,
    latencyMs: relay.publisher.latencyPercentiles(),
    // What EventBridge bills: events the bus accepted, per DetailType (rate over the last 10 s, and totals), and
    // what the publish policy merged (conflated) or dropped (suppressed).
    eventsPerSecondByType: relay.publisher.acceptedRate.perSecond(),
    eventsOutByType: { ...relay.publisher.acceptedByType },
    policyConflatedByType: { ...relay.publisher.policyMetrics.conflated },
    policySuppressedByType: { ...relay.publisher.policyMetrics.suppressed },
    runtimeSubscriptions: relay.runtimeSubscriptions ? { ...relay.runtimeSubscriptions.metrics } : undefined,
    // Writes, conflated pushes and failures of the latest-quote store (absent when the store is off).
    latestQuotes: relay.latestQuotes ? { ...relay.latestQuotes.metrics } : undefined,
  };
}

export function subscriptionsOf(relay: Relay) {
  const r = relay.runtimeSubscriptions;
  if (!r) return { enabled: false, subscriptions: [] };
  return { enabled: true, lastError: r.lastError, subscriptions: r.statuses() };
}

/** CloudWatch embedded-metric-format line for the alarms defined in the CDK app. */
export function emfLine(relay: Relay, namespace = 'OpenDCloud'): string {
  const m = metricsOf(relay);
  return JSON.stringify({
    _aws: {
      Timestamp: Date.now(),
      CloudWatchMetrics: [{ Namespace: namespace, Dimensions: [[]], Metrics: [{ Name: 'GatewayReady' }, { Name: 'RelayReconnects' }, { Name: 'PutEventsFailedEntries' }, { Name: 'EventsDropped' }, { Name: 'QueueDepth' }, { Name: 'UnlockFailed' }, { Name: 'QuoteSubscriptionsFailing' }] }],
    },
    GatewayReady: m.ready ? 1 : 0,
    RelayReconnects: m.reconnects,
    PutEventsFailedEntries: m.failedEntries,
    EventsDropped: m.dropped,
    QueueDepth: m.queueDepth,
    // 1 once the relay gave up unlocking (wrong trade password): the UnlockFailed alarm fires on it.
    UnlockFailed: m.unlockGaveUp,
    QuoteSubscriptionsFailing: m.subscriptionsFailing,
  });
}
