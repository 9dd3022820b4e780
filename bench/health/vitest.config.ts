import { defineConfig } from 'vitest/config';

// The health benchmark: `bash bench/health/run.sh` (root; runs inside its own netns).
export default defineConfig({
  test: {
    include: ['bench/health/**/*.bench.test.ts'],
    testTimeout: 600_000,
    hookTimeout: 120_000,
  },
});
