#!/usr/bin/env bash
# IPVS benchmark (issue 5). One command, as root (boots a throwaway qemu VM):
#   bash bench/ipvs/run.sh [--services 100] [--dests 100] [--baseline DIR] [--no-build] [--run-name NAME]
# In one VM boot: `ipvsadm -R` restores S x D rules, `ipvsadm -Ln` lists them, `ipvsadm -R`
# applies 10% weight edits; lvs-ha's reconciler (dist/, built first unless --no-build) applies
# the same table from empty, reconciles twice with nothing to do and changes 10% of the
# weights, with a breakdown of the no-op reconcile; then ipvsadm again. --baseline DIR adds an
# lvs-ha run of another compiled tree (e.g. a build of an older commit; not under /tmp, which
# the VM does not see) for before/after figures. Prints a table with the ratios lvs-ha / ipvsadm
# and one line `BENCH {json}` for bench/run.sh. --run-name (default lvb-bench) names the results
# folder .vm/runs/NAME, so that two benchmarks started at once do not share it.
set -euo pipefail
cd "$(dirname "$0")/../.."
build=1
services=100
dests=100
dists=""
run_name=lvb-bench
while [ $# -gt 0 ]; do
  case "$1" in
    --no-build) build=0 ;;
    --services) services="$2"; shift ;;
    --dests) dests="$2"; shift ;;
    --baseline) dists="baseline=$(realpath "$2"),"; shift ;;
    --run-name) run_name="$2"; shift ;;
    *) echo "unknown option $1" >&2; exit 64 ;;
  esac
  shift
done
if [ "$build" = 1 ]; then
  npm run --silent build >/dev/null 2>&1 || echo "warning: npm run build reported errors; using dist/ as emitted" >&2
fi
case "$run_name" in *[!A-Za-z0-9_-]*|'') echo "bad --run-name" >&2; exit 64 ;; esac
js=".vm/$run_name-js"
rm -rf "$js"
npx tsc --outDir "$js" --rootDir . --module nodenext --moduleResolution nodenext \
  --target es2022 --types node --skipLibCheck --strict bench/ipvs/driver.ts bench/ipvs/report.ts
export LVB_DRIVER="$js/bench/ipvs/driver.js"
export LVB_RUN_NAME="$run_name"
export LVB_SERVICES="$services" LVB_DESTS="$dests" LVB_DISTS="${dists}current=$PWD/dist"
log=$(mktemp /tmp/lvb-bench.XXXXXX)
trap 'rm -f "$log"' EXIT
npx vitest run --config bench/ipvs/vitest.config.ts --reporter=dot >"$log" 2>&1 || {
  cat "$log" >&2
  exit 1
}
node "$js/bench/ipvs/report.js" ".vm/runs/$run_name"
