import { defineConfig } from 'vitest/config';

// Three projects: fast pure unit tests; integration tests against the real local control plane and git server
// (started once by the global setup, stopped at the end even on failure); end-to-end tests in Chromium against
// `fluxdeck serve`.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.{ts,tsx}'],
          environment: 'node',
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          globalSetup: ['test/support/global-setup.ts'],
          testTimeout: 120_000,
          hookTimeout: 300_000,
          fileParallelism: false,
          pool: 'forks',
        },
      },
      {
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          globalSetup: ['test/support/global-setup.ts'],
          setupFiles: ['test/e2e/support/failure-screenshots.ts'],
          // expect.poll gives up after 1 s by default; a poll that reads the page through the browser took longer than
          // that when the end-to-end shards shared the cores with the unit tests (CI, stop 37: graph-scale).
          expect: { poll: { timeout: 15_000 } },
          testTimeout: 180_000,
          hookTimeout: 300_000,
          fileParallelism: false,
          pool: 'forks',
        },
      },
    ],
  },
});
