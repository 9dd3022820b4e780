import { defineConfig } from 'vitest/config';

// Only the VM launcher of the IPVS benchmark: run `bash bench/ipvs/run.sh` (root), which prints the table.
export default defineConfig({
  test: {
    include: ['bench/ipvs/**/*.bench.test.ts'],
    testTimeout: 1_600_000,
    hookTimeout: 1_600_000,
  },
});
