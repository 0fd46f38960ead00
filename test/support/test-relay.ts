// The relay options the relay tests share: a fast reconnect, a short publisher linger and retry, a quick setup
// retry, and the local EventBridge endpoint. Each test overrides what it is about.
import { type RelayOptions } from '../../gateway-container/relay/relay.js';
import { silentLogger } from '../../proto/log.js';
import { localEventBridgeClient } from './local-aws.js';

export function testRelayOptions(openD: RelayOptions['openD'], busEndpoint: string, overrides: Partial<RelayOptions> = {}): RelayOptions {
  return {
    openD,
    reconnect: { initialDelayMs: 20, maxDelayMs: 100 },
    subscriptions: [],
    eventBridge: localEventBridgeClient(busEndpoint),
    eventBusName: 'opend-test',
    logger: silentLogger,
    publisher: { lingerMs: 5, retryBaseMs: 10, retryMaxMs: 100 },
    setupRetryMs: 50,
    ...overrides,
  };
}
