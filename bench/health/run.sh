#!/usr/bin/env bash
# Health-check benchmark: 10,000 TCP and 1,000 HTTP targets on loopback, 1 s
# interval, 60 s (override with LVH_BENCH_SECONDS, LVH_BENCH_TCP, LVH_BENCH_HTTP).
# Runs inside a throwaway network namespace so the connection churn (TIME_WAIT
# sockets) never touches the host's own stack. Root only.
set -euo pipefail
cd "$(dirname "$0")/../.."
ns=lvh-bench
ip netns del "$ns" 2>/dev/null || true
ip netns add "$ns"
trap 'ip netns del "$ns" 2>/dev/null || true' EXIT
ip -n "$ns" link set lo up
ip netns exec "$ns" sh -c 'ulimit -n "$(ulimit -Hn)" && npx vitest run --config bench/health/vitest.config.ts'
