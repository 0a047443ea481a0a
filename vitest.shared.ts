import { createRequire } from 'node:module';
import { defineConfig } from 'vitest/config';

const require = createRequire(import.meta.url);

/** Real databases start in seconds, not milliseconds: generous hook and test timeouts, files one at a time. */
export default defineConfig({
  // One graphql-js for everyone: source files would otherwise get its ESM build and dependencies its CommonJS
  // build, and schemas built by one are rejected by the other.
  resolve: { alias: [{ find: /^graphql$/, replacement: require.resolve('graphql') }] },
  test: {
    testTimeout: 60_000,
    hookTimeout: 180_000,
    fileParallelism: false,
    include: ['**/*.test.ts'],
    exclude: ['**/node_modules/**'],
    env: { LOG_LEVEL: 'silent', APOLLO_TELEMETRY_DISABLED: '1' },
  },
});
