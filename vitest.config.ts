import { defineConfig } from 'vitest/config';

// Two projects: `unit` is pure code and runs anywhere in seconds; `integration`
// talks to a real Docker Engine (brought up by `npm run rig`) and runs its files
// one at a time, because several of them change host state (/dev/fuse, engines).
// No retries anywhere: a flaky test is a bug to fix, not to hide.
export default defineConfig({
  test: {
    retry: 0,
    projects: [
      {
        test: {
          name: 'unit',
          include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
          environment: 'node',
        },
      },
      {
        test: {
          name: 'integration',
          include: ['integration/**/*.test.ts'],
          environment: 'node',
          testTimeout: 180_000,
          hookTimeout: 300_000,
          globalSetup: ['integration/global-setup.ts'],
        },
      },
    ],
  },
});
