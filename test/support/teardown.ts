// Per-test teardown for test files that start servers, relays and buses inside their tests: each start pushes
// its stop, and after every test the stops run in reverse order of the starts (a relay stops before the bus it
// publishes to), each one's failure ignored so the rest still run. startBus is the local EventBridge most such
// files start, registered for the same teardown.
import { afterEach } from 'vitest';
import { startLocalEventBridge, type LocalEventBridge } from '../../bin/local/eventbridge-local.js';

export interface Teardown {
  push(stop: () => Promise<unknown>): void;
}

/** Call once at a test file's top level: the stops pushed during a test run after it. */
export function teardownAfterEach(): Teardown {
  let stops: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    const run = stops.reverse();
    stops = [];
    for (const stop of run) await stop().catch(() => undefined);
  });
  return { push: (stop) => void stops.push(stop) };
}

/** A local EventBridge for one test, closed by `teardown` after it. */
export async function startBus(teardown: Teardown): Promise<LocalEventBridge> {
  const bus = await startLocalEventBridge();
  teardown.push(() => bus.close());
  return bus;
}
