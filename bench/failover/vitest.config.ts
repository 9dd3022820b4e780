import { defineConfig } from 'vitest/config';

// Only the VM launcher of the failover benchmark: run `bash bench/failover/run.sh` (root).
export default defineConfig({
  test: {
    include: ['bench/failover/**/*.bench.test.ts'],
    testTimeout: 900_000,
    hookTimeout: 900_000,
  },
});
