#!/usr/bin/env bash
# Failover under load (issue 6), as root (boots a throwaway qemu VM):
#   bash bench/failover/run.sh [--seconds 20] [--no-build]
# Two lvs-ha directors with ipvs_sync, three DR real servers, one client that keeps 20
# established connections busy (a request every 100 ms each) and opens a new connection
# every 50 ms. Two scenarios in one boot: crash (kill -9 of the master daemon and its link
# cut) and drill (`drill failover` on the master). Prints, per scenario: established
# connections broken, new connections failed, the longest gap between two successful new
# connections, and the takeover time (from the event to the new master's own transition);
# then one `BENCH {json}` line with the same figures. --seconds: client load per scenario
# (at least 10; the event comes 5 s into it).
# The VM (qemu) runs in this script's own process group: an interrupted run kills it.
set -euo pipefail
cd "$(dirname "$0")/../.."
build=1
seconds=20
while [ $# -gt 0 ]; do
  case "$1" in
    --no-build) build=0 ;;
    --seconds) seconds="$2"; shift ;;
    *) echo "unknown option $1" >&2; exit 64 ;;
  esac
  shift
done
[ "$(id -u)" = 0 ] || { echo "run as root (the VM payload builds namespaces)" >&2; exit 1; }
if [ "$build" = 1 ]; then
  npm run --silent build >/dev/null 2>&1 || echo "warning: npm run build reported errors; using dist/ as emitted" >&2
fi
log=$(mktemp /tmp/lvx-bench.XXXXXX)
pid=
cleanup() {
  if [ -n "$pid" ]; then kill -TERM -- "-$pid" 2>/dev/null || true; sleep 0.5; kill -KILL -- "-$pid" 2>/dev/null || true; fi
  rm -f "$log"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
rm -f .vm/runs/lvx-bench/summary.txt .vm/runs/lvx-bench/summary.json
# vitest (and the qemu it starts) in a process group of its own, killed whole on exit.
LVX_LOAD_SECONDS="$seconds" setsid npx vitest run --config bench/failover/vitest.config.ts --reporter=dot >"$log" 2>&1 &
pid=$!
rc=0
wait "$pid" || rc=$?
pid=
if [ "$rc" != 0 ]; then
  cat "$log" >&2
  exit 1
fi
cat .vm/runs/lvx-bench/summary.txt
echo "BENCH $(cat .vm/runs/lvx-bench/summary.json)"
