#!/usr/bin/env bash
# Failover under load (issue 6), as root (boots a throwaway qemu VM):
#   bash bench/failover/run.sh [--no-build]
# Two lvs-ha directors with ipvs_sync, three DR real servers, one client that keeps 20
# established connections busy (a request every 100 ms each) and opens a new connection
# every 50 ms. Two scenarios in one boot: crash (kill -9 of the master daemon and its link
# cut) and drill (`drill failover` on the master). Prints, per scenario: established
# connections broken, new connections failed, the longest gap between two successful new
# connections, and the takeover time (from the event to the new master's own transition).
set -euo pipefail
cd "$(dirname "$0")/../.."
if [ "${1:-}" != "--no-build" ]; then
  npm run --silent build >/dev/null 2>&1 || echo "warning: npm run build reported errors; using dist/ as emitted" >&2
fi
log=$(mktemp /tmp/lvx-bench.XXXXXX)
trap 'rm -f "$log"' EXIT
npx vitest run --config bench/failover/vitest.config.ts --reporter=dot >"$log" 2>&1 || {
  cat "$log" >&2
  exit 1
}
cat .vm/runs/lvx-bench/summary.txt
