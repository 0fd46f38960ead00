import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';
import { LongRunningFirstSequencer } from './test/support/sequencer.js';

export default defineConfig({
  test: {
    include: ['test/{unit,integration,infra,e2e}/**/*.test.ts'],
    // One DynamoDB Local for the run (test/support/shared-dynamodb.ts).
    globalSetup: ['./test/support/shared-dynamodb.ts'],
    pool: 'forks',
    // One more worker than cores (vitest's default is one fewer): the files wait on sockets, child processes and
    // the JVM about half the time. On the 2-core CI machine one worker ran the suite in 483 s at 1.0 core of CPU
    // on average, three in 314 s at 1.75.
    maxWorkers: availableParallelism() + 1,
    sequence: { sequencer: LongRunningFirstSequencer },
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Development and CI run on Node 20 by design; Lambda runs Node 22 (docs/architecture.md).
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
    reporters: ['default', './test/support/summary-reporter.ts'],
  },
});
