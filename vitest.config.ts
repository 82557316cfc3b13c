import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          testTimeout: 60_000,
          hookTimeout: 60_000,
          // Integration suites start real servers (Prometheus, Alertmanager, dynalite) on
          // ephemeral ports; running files in parallel on 2 cores only adds contention.
          fileParallelism: false,
        },
      },
    ],
  },
});
