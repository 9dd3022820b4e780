#!/usr/bin/env bash
# IPVS benchmark (issue 5): in a throwaway VM with Debian's kernel, lvs-ha's
# reconciler applies 100 services x 100 destinations from empty, then a no-op
# reconcile, then a 10% weight change; side by side, `ipvsadm -R` restores the
# same rules. Prints each time and the ratio lvs-ha / ipvsadm. Root only (qemu).
# Override the size with LVI_BENCH_SERVICES / LVI_BENCH_DESTS.
set -euo pipefail
cd "$(dirname "$0")/../.."
npm run build --silent
npx vitest run --config bench/ipvs/vitest.config.ts
