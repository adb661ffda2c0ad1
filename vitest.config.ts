import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // A temp XDG_DATA_HOME per test file: local KMS root keys stay out of the real home.
    setupFiles: ['./test/support/env.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Two cores: run files in parallel across forks, but no more than the machine has.
    pool: 'forks',
    maxWorkers: 2,
    reporters: ['default', './test/support/summary-reporter.ts'],
  },
});
