import { defineConfig } from 'vitest/config';

/** Real databases start in seconds, not milliseconds: generous hook and test timeouts, files one at a time. */
export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 180_000,
    fileParallelism: false,
    include: ['**/*.test.ts'],
    exclude: ['**/node_modules/**'],
    env: { LOG_LEVEL: 'silent', APOLLO_TELEMETRY_DISABLED: '1' },
  },
});
