import { defineConfig } from 'vitest/config';

// The IPVS benchmark: `bash bench/ipvs/run.sh` (root; runs in a throwaway VM with real IPVS).
export default defineConfig({
  test: {
    include: ['bench/ipvs/**/*.bench.test.ts'],
    testTimeout: 900_000,
    hookTimeout: 900_000,
  },
});
