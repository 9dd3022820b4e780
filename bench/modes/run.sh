#!/usr/bin/env bash
# Forwarding methods side by side (issue 19), as root (boots the lab's throwaway qemu VM):
#   bash bench/modes/run.sh [--rounds 1] [--seconds 8] [--connections 16] [--modes dr,nat,tun,fullnat] [--no-build]
# One VM boot; in each round, for each method (--modes order in odd rounds, reversed in even ones):
# `lvs-ha lab up --no-sync --mode M` inside it, then bench/modes/measure.sh (the directors'
# processes paused, the real servers' backends swapped for bench/modes/responder.c, wrk from the
# lab's client namespace against the VIP: keep-alive, then a new connection per request, SECONDS
# each; under DR also client to r1 directly), then `lab down`. Reports requests/s and the VM's CPU
# time per request less its background (all of it, and the kernel's part), each as a median and as
# the median of its per-round ratio to DR, and the packets the master director sent out per
# request; then one `BENCH {json}` line. A lab up takes 2 to 3 minutes under emulation: a round of
# four methods is about 14 minutes. See docs/benchmarks.md.
# Needs wrk and gcc (Debian packages `wrk`, `gcc`): apt-get install -y wrk gcc.
# The lab VM lives in LVS_HA_LAB_VM_DIR (default /run/lvs-ha-lab-vm): one lab at a time there.
set -euo pipefail
cd "$(dirname "$0")/../.."
build=1
args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --no-build) build=0 ;;
    --rounds|--seconds|--connections|--modes) args+=("$1" "${2:?$1 needs a value}"); shift ;;
    *) echo "unknown option $1" >&2; exit 64 ;;
  esac
  shift
done
[ "$(id -u)" = 0 ] || { echo "run as root (the lab builds namespaces inside a VM it boots)" >&2; exit 1; }
command -v wrk >/dev/null || { echo "wrk is not installed: apt-get install -y wrk" >&2; exit 1; }
command -v gcc >/dev/null || { echo "gcc is not installed: apt-get install -y gcc" >&2; exit 1; }
if [ "$build" = 1 ]; then
  npm run --silent build >/dev/null 2>&1 || echo "warning: npm run build reported errors; using dist/ as emitted" >&2
fi
js=$(mktemp -d /tmp/lvs-ha-modes.XXXXXX)
pid=
cleanup() {
  if [ -n "$pid" ]; then kill -TERM -- "-$pid" 2>/dev/null || true; fi
  # The driver powers the VM off itself; this is for a driver killed on the way.
  if [ -d "${LVS_HA_LAB_VM_DIR:-/run/lvs-ha-lab-vm}" ]; then ./bin/lvs-ha.js lab down >/dev/null 2>&1 || true; fi
  rm -rf "$js"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
# The responder runs inside the VM, whose /tmp is its own: build it in the checkout (.vm/ is ignored).
mkdir -p .vm/modes
gcc -O2 -Wall -Wextra -D_GNU_SOURCE -o .vm/modes/responder bench/modes/responder.c
npx tsc --outDir "$js" --rootDir . --module nodenext --moduleResolution nodenext \
  --target es2022 --types node --skipLibCheck --strict bench/modes/bench.ts
# The driver (and the qemu it boots) in a process group of its own, killed whole on an interrupt.
setsid node "$js/bench/modes/bench.js" --dist "$PWD/dist" --responder "$PWD/.vm/modes/responder" "${args[@]}" &
pid=$!
rc=0
wait "$pid" || rc=$?
pid=
exit "$rc"
