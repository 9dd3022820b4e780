#!/usr/bin/env bash
# Chaos run of the lab pair (issue 18), as root (boots the lab's throwaway qemu VM where the
# kernel has no IPVS):
#   bash bench/chaos/run.sh [--seed N] [--faults N] [--connections N] [--no-build]
# `lvs-ha lab up` (DR, connection sync on), then `lvs-ha lab chaos`: a seeded schedule of faults
# (link flaps of either director, SIGKILL of either daemon with an immediate restart, SIGHUP with
# and without a change, ip_vs unloaded and loaded, control-socket floods, a real server killed and
# revived), each under client traffic; after each fault heals it checks exactly one MASTER, both
# kernels' IPVS tables against the config, and every held connection that sync should keep.
# Prints the report, then one `BENCH {json}` line; `lvs-ha lab down` always runs at the end.
# Defaults: --faults 30, a random --seed (printed, so a failing run can be repeated).
# The lab VM lives in LVS_HA_LAB_VM_DIR (default /run/lvs-ha-lab-vm): one lab at a time there.
set -euo pipefail
cd "$(dirname "$0")/../.."
build=1
faults=30
seed=$(( (RANDOM << 15) | RANDOM ))
connections=8
while [ $# -gt 0 ]; do
  case "$1" in
    --no-build) build=0 ;;
    --seed) seed="${2:?}"; shift ;;
    --faults) faults="${2:?}"; shift ;;
    --connections) connections="${2:?}"; shift ;;
    *) echo "unknown option $1" >&2; exit 64 ;;
  esac
  shift
done
[ "$(id -u)" = 0 ] || { echo "run as root (the lab builds namespaces and may boot a VM)" >&2; exit 1; }
if [ "$build" = 1 ]; then
  npm run --silent build >/dev/null 2>&1 || echo "warning: npm run build reported errors; using dist/ as emitted" >&2
fi
out=$(mktemp /tmp/lvs-ha-chaos.XXXXXX)
trap './bin/lvs-ha.js lab down >/dev/null 2>&1 || true; rm -f "$out"' EXIT
./bin/lvs-ha.js lab up
echo "chaos: seed $seed, $faults faults, $connections held connections per fault"
rc=0
./bin/lvs-ha.js lab chaos --json --seed "$seed" --faults "$faults" --connections "$connections" >"$out" || rc=$?
node -e '
  const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
  for (const s of r.steps) console.log(`${String(s.n).padStart(3)}. ${s.fault.kind} ${s.fault.target} (${s.detail}): one master after ${s.convergedMs ?? "NEVER"} ms, tables ${s.tablesOk ? "ok" : "WRONG"}, held ${s.kept}/${s.held} kept, ${s.excused} broken by the fault, new ${s.newOk} ok ${s.newFailed} failed${s.problems.length ? "; FAILED: " + s.problems.join("; ") : ""}`);
  console.log(`seed ${r.seed}: ${r.ok ? "every invariant held" : "INVARIANTS BROKEN"}`);
  console.log("BENCH " + JSON.stringify({ bench: "chaos", seed: r.seed, ok: r.ok, ...r.totals }));
' "$out"
exit "$rc"
