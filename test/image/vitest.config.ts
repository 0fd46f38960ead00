// The image test's own vitest config (`npm run test:image`): it builds container images, needs root, buildah and
// debootstrap, and takes minutes, so it is not part of `npm test` (whose config includes only test/{unit,
// integration,infra,e2e}). One file, one fork, generous bounds: each build is bounded by image-runner.ts.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    root: new URL('../..', import.meta.url).pathname,
    include: ['test/image/**/*.test.ts'],
    pool: 'forks',
    fileParallelism: false,
    testTimeout: 20 * 60_000,
    hookTimeout: 20 * 60_000,
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
    reporters: ['default', './test/support/summary-reporter.ts'],
  },
});
