// The runtime split (functions/lib/runtime.ts for the OpenD functions, store-runtime.ts for orderEvents): one
// runtime installed with setRuntime serves both kinds of handler in a process, as the tests' harness and the
// local stack rely on; and the stores-only runtime never builds an OpenD connection. No AWS call is made here
// (the clients are only constructed), so no endpoint is needed.
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../proto/log.js';
import { createRuntime, loadRuntimeConfig, runtime, setRuntime } from '../../functions/lib/runtime.js';
import { createStoreRuntime, storeRuntime } from '../../functions/lib/store-runtime.js';

const env = { TABLE_PREFIX: 'split-test', OPEND_HOST: '127.0.0.1', OPEND_PORT: '11111' };

afterEach(() => setRuntime(undefined));

describe('runtime split', () => {
  it('serves the runtime installed with setRuntime to the stores-only handlers too, and drops it for both', () => {
    const rt = createRuntime(loadRuntimeConfig(env), silentLogger);
    setRuntime(rt);
    expect(runtime()).toBe(rt);
    expect(storeRuntime()).toBe(rt);
    setRuntime(undefined);
    const fresh = storeRuntime();
    expect(fresh).not.toBe(rt);
    expect('openD' in fresh).toBe(false);
  });

  it('installs the runtime it creates on first use for the stores-only handlers as well', () => {
    setRuntime(undefined);
    const rt = runtime();
    expect(storeRuntime()).toBe(rt);
  });

  it('builds only the DynamoDB stores for orderEvents, with the table names of the shared configuration', () => {
    const config = loadRuntimeConfig(env);
    const s = createStoreRuntime(config, silentLogger);
    expect(Object.keys(s).sort()).toEqual(['config', 'fills', 'gatewayState', 'log', 'orders']);
    expect(config.tables.orders).toBe('split-test-orders');
  });
});
