import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    // Generous: the suite must pass on two busy cores. A timeout only bounds a failing test; timing
    // targets are asserted as ratios and orderings, or measured in bench/.
    testTimeout: 180_000,
    hookTimeout: 180_000,
    // Integration tests start real servers and worker threads; two cores are the norm in CI.
    maxWorkers: 2,
    pool: 'forks',
  },
});
