#!/usr/bin/env bash
# Health-check benchmark. One command:
#   bash bench/health/run.sh [--tcp 10000] [--http 1000] [--seconds 60] [--bare-seconds 10] [--null-seconds 5] [--warmup 5]
#                            [--interval 1000] [--timeout 900] [--dist DIR] [--no-build] [--no-netns]
# Builds dist/ (npm run build) unless --no-build, compiles the benchmark itself
# (bench/health/*.ts) and connect-floor.c (when gcc exists) under /tmp, raises
# the open-files limit, and as root runs inside a throwaway network namespace
# (lvp-bench-<pid>) so the connection churn (about 11,000 connections per second)
# never touches the host's own TCP state; the targets run in a child process.
# Prints a summary and one `BENCH {json}` line (see docs/health-checks.md).
set -euo pipefail
cd "$(dirname "$0")/../.."
build=1
netns=1
args=()
for a in "$@"; do
  case "$a" in
    --no-build) build=0 ;;
    --no-netns) netns=0 ;;
    *) args+=("$a") ;;
  esac
done
if [ "$build" = 1 ]; then
  npm run --silent build >/dev/null 2>&1 || echo "warning: npm run build reported errors; using dist/ as emitted" >&2
fi
out=$(mktemp -d /tmp/lvp-bench.XXXXXX)
ns=lvp-bench-$$ # one per run: two runs at once never share (or delete) each other's namespace
use_ns=0
cleanup() {
  if [ "$use_ns" = 1 ]; then ip netns del "$ns" 2>/dev/null || true; fi
  rm -rf "$out"
}
trap cleanup EXIT
npx tsc --outDir "$out" --rootDir bench/health --module nodenext --moduleResolution nodenext \
  --target es2022 --types node --skipLibCheck --strict bench/health/bench.ts bench/health/targets.ts
echo '{"type":"module"}' >"$out/package.json"
ulimit -n "$(ulimit -Hn)"
floor="$out/connect-floor"
if command -v gcc >/dev/null && gcc -O2 -o "$floor" bench/health/connect-floor.c; then
  args+=(--floor-bin "$floor")
fi
if [ "$netns" = 1 ] && [ "$(id -u)" = 0 ]; then
  use_ns=1
  ip netns del "$ns" 2>/dev/null || true
  ip netns add "$ns"
  ip -n "$ns" link set lo up
  ip netns exec "$ns" node "$out/bench.js" --dist "$PWD/dist" "${args[@]}"
else
  node "$out/bench.js" --dist "$PWD/dist" "${args[@]}"
fi
