#!/usr/bin/env bash
# Silent director loss (issue 14), as root (boots the lab's throwaway qemu VM where the kernel
# has IPVS):
#   bash bench/ecmp/run.sh [--rounds 1] [--connections 30] [--window-ms 15000] [--cases ecmp,ecmp-bfd,vrrp] [--no-build]
# One VM boot; in each round, for each case (--cases order in odd rounds, reversed in even ones):
# `lvs-ha lab up --local` as the case says (ecmp: 3 directors behind an FRR router, BFD off;
# ecmp-bfd: the same with the shipped configs' BFD lines on; vrrp: the DR pair with connection
# sync), then bench/ecmp/measure.ts inside the VM: the client holds CONNECTIONS keep-alive
# connections and opens a new one every 50 ms, one director's port in the switch namespace goes
# down (ECMP: d1; the pair: its master), and it reports the time until the router's FIB dropped
# that next hop (the pair: until the VIP was on the backup), held connections kept and broken, and
# new connections ok and failed over WINDOW from the cut; then `lab down`. Prints a line per case
# and round, a table of medians, and one `BENCH {json}` line. An ECMP lab up takes about 2 minutes
# under emulation, the pair's about 1: a round of the three cases is about 7 minutes.
# See docs/benchmarks.md ("Director loss: ECMP with and without BFD, and the VRRP pair").
# The lab VM lives in LVS_HA_LAB_VM_DIR (default /run/lvs-ha-lab-vm): one lab at a time there.
set -euo pipefail
cd "$(dirname "$0")/../.."
build=1
args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --no-build) build=0 ;;
    --rounds|--connections|--window-ms|--cases) args+=("$1" "${2:?$1 needs a value}"); shift ;;
    *) echo "unknown option $1" >&2; exit 64 ;;
  esac
  shift
done
[ "$(id -u)" = 0 ] || { echo "run as root (the lab builds namespaces inside a VM it boots)" >&2; exit 1; }
if [ "$build" = 1 ]; then
  npm run --silent build >/dev/null 2>&1 || echo "warning: npm run build reported errors; using dist/ as emitted" >&2
fi
# measure.js runs inside the VM, whose /tmp is its own: compile into the checkout (.vm/ is ignored).
js="$PWD/.vm/ecmp"
rm -rf "$js"
pid=
cleanup() {
  if [ -n "$pid" ]; then kill -TERM -- "-$pid" 2>/dev/null || true; fi
  # The driver powers the VM off itself; this is for a driver killed on the way.
  if [ -d "${LVS_HA_LAB_VM_DIR:-/run/lvs-ha-lab-vm}" ]; then ./bin/lvs-ha.js lab down >/dev/null 2>&1 || true; fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
npx tsc --outDir "$js" --rootDir . --module nodenext --moduleResolution nodenext \
  --target es2022 --types node --skipLibCheck --strict bench/ecmp/bench.ts bench/ecmp/measure.ts
# The driver (and the qemu it boots) in a process group of its own, killed whole on an interrupt.
setsid node "$js/bench/ecmp/bench.js" --dist "$PWD/dist" --measure "$js/bench/ecmp/measure.js" "${args[@]}" &
pid=$!
rc=0
wait "$pid" || rc=$?
pid=
exit "$rc"
