#!/usr/bin/env bash
# Every benchmark in one go, as root, and the report (issue 7):
#   sudo bash bench/run.sh [--quick] [--only vrrp,health,ipvs,failover,falsefail] [--out RESULTS.json]
#                          [--docs DIR] [--no-build] [--vrrp-args "..."] [--health-args "..."]
#                          [--ipvs-args "..."] [--failover-args "..."] [--falsefail-args "..."]
# Builds dist/ once, then runs bench/vrrp, bench/health, bench/ipvs, bench/failover and
# falsefail (bench/vrrp/false-failover.sh: false failovers under load, lvs-ha and Keepalived side
# by side; 10 minutes per advert interval at full size) one after the other (each in the
# namespaces or the throwaway VM it creates), collects their
# `BENCH {json}` lines into a results file (default /tmp/lvs-ha-bench-<UTC time>.json; the
# sub-benchmarks' output is kept beside it in <results>.logs/), and writes docs/benchmarks.md
# and docs/benchmarks-failover.svg (bench/report/). A failing sub-benchmark is reported as
# failed with its reason and the others still run; the exit code is then 1.
# --quick: a short smoke run (1 repeat, 2,000 + 200 health targets for 15 s, 20 x 100 IPVS,
# 12 s of failover load, 60 s per interval of false-failover load with 2,000 + 200 checks).
# --<name>-args: extra options for that benchmark's script, after the defaults (so they win).
# Each sub-benchmark runs in a process group of its own: on Ctrl-C or SIGTERM the running one is
# killed whole (its VM included) and its namespaces are removed.
set -uo pipefail
cd "$(dirname "$0")/.."
usage() { sed -n '2,5p' "$0" | sed 's/^# \{0,1\}//' >&2; exit "${1:-64}"; }
[ "$(id -u)" = 0 ] || { echo "run as root: the benchmarks create network namespaces and a VM" >&2; exit 1; }
command_line="bash bench/run.sh${*:+ $*}"
quick=0
build=1
only=vrrp,health,ipvs,failover,falsefail
out=""
docs=docs
declare -A extra=([vrrp]="" [health]="" [ipvs]="" [failover]="" [falsefail]="")
# The script of each benchmark (bench/<name>/run.sh, except falsefail).
declare -A script=([vrrp]=bench/vrrp/run.sh [health]=bench/health/run.sh [ipvs]=bench/ipvs/run.sh
                   [failover]=bench/failover/run.sh [falsefail]=bench/vrrp/false-failover.sh)
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) quick=1 ;;
    --no-build) build=0 ;;
    --only) only="${2:?}"; shift ;;
    --out) out="${2:?}"; shift ;;
    --docs) docs="${2:?}"; shift ;;
    --vrrp-args|--health-args|--ipvs-args|--failover-args|--falsefail-args) n="${1#--}"; extra[${n%-args}]="${2?}"; shift ;;
    -h|--help) usage 0 ;;
    *) echo "unknown option $1" >&2; usage ;;
  esac
  shift
done
for n in ${only//,/ }; do
  case "$n" in vrrp|health|ipvs|failover|falsefail) ;; *) echo "unknown benchmark '$n' in --only" >&2; exit 64 ;; esac
done
[ -n "$out" ] || out="/tmp/lvs-ha-bench-$(date -u +%Y%m%dT%H%M%SZ).json"
logs="${out%.json}.logs"
rm -rf "$logs" && mkdir -p "$logs" "$docs"

# Sizes: the issues' by default, small ones with --quick. bench/ipvs gets a results folder
# (.vm/runs/NAME) of its own, apart from a bench/ipvs/run.sh started by hand at the same time.
ipvs_run=lvb-all
declare -A sizes
if [ "$quick" = 1 ]; then
  sizes=([vrrp]="--repeat 1" [health]="--tcp 2000 --http 200 --seconds 15 --warmup 3 --bare-seconds 3"
         [ipvs]="--services 20 --dests 100 --run-name $ipvs_run" [failover]="--seconds 12"
         [falsefail]="--seconds 60 --tcp 2000 --http 200")
else
  sizes=([vrrp]="--repeat 3" [health]="" [ipvs]="--services 100 --dests 100 --run-name $ipvs_run" [failover]=""
         [falsefail]="")
fi
# The namespaces each sub-benchmark creates on the host (the VM ones die with qemu).
declare -A netns_prefix=([vrrp]="lvqb-" [health]="lvp-bench" [ipvs]="" [failover]="" [falsefail]="lvff-")

work=$(mktemp -d /tmp/lvs-ha-bench.XXXXXX)
running=""
pgid=""
remove_netns() { # prefix
  [ -n "$1" ] || return 0
  for ns in $(ip netns list | awk '{print $1}' | grep "^$1" || true); do
    for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -9 "$pid" 2>/dev/null || true; done
    ip netns del "$ns" 2>/dev/null || true
  done
}
stop_running() {
  if [ -n "$pgid" ]; then
    kill -TERM -- "-$pgid" 2>/dev/null || true
    for _ in 1 2 3 4 5 6 7 8 9 10; do kill -0 -- "-$pgid" 2>/dev/null || break; sleep 0.3; done
    kill -KILL -- "-$pgid" 2>/dev/null || true
    pgid=""
  fi
  if [ -n "$running" ]; then remove_netns "${netns_prefix[$running]}"; running=""; fi
}
cleanup() { stop_running; rm -rf "$work"; }
trap cleanup EXIT
trap 'echo "interrupted: stopping ${running:-nothing}" >&2; exit 130' INT
trap 'exit 143' TERM

if [ "$build" = 1 ]; then
  echo "building dist/ (npm run build)" >&2
  npm run --silent build >"$logs/build.log" 2>&1 || echo "warning: npm run build reported errors (see $logs/build.log); using dist/ as emitted" >&2
fi
# The report generator, compiled the way the sub-benchmarks compile themselves.
npx tsc --outDir "$work/js" --rootDir . --module nodenext --moduleResolution nodenext \
  --target es2022 --types node --skipLibCheck --strict bench/report/main.ts || { echo "bench/report does not compile" >&2; exit 1; }
echo '{"type":"module"}' >"$work/js/package.json"

started_all=$(date +%s)
for name in vrrp health ipvs failover falsefail; do
  case ",$only," in *",$name,"*) ;; *) continue ;; esac
  # shellcheck disable=SC2206 # word splitting of the option strings is intended
  args=(--no-build ${sizes[$name]} ${extra[$name]})
  printf '%s\n' "${args[@]}" >"$logs/$name.args"
  echo "== $name: bash ${script[$name]} ${args[*]}" >&2
  t0=$(date +%s.%N)
  iso=$(date -u +%Y-%m-%dT%H:%M:%SZ)
  running=$name
  # setsid: a process group of its own (the script is not a group leader, so no fork and $! is it).
  setsid bash "${script[$name]}" "${args[@]}" >"$logs/$name.out" 2>"$logs/$name.err" </dev/null &
  pgid=$!
  rc=0
  wait "$pgid" || rc=$?
  # Anything the sub-benchmark left in its group (it should have stopped everything itself).
  kill -KILL -- "-$pgid" 2>/dev/null || true
  pgid=""
  running=""
  secs=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
  echo "$rc $secs $iso" >"$logs/$name.meta"
  if [ "$rc" = 0 ]; then echo "   $name: exit 0 ($(printf '%.0f' "$secs") s)" >&2
  else echo "   $name: FAILED, exit $rc ($(printf '%.0f' "$secs") s); last lines:" >&2; tail -n 5 "$logs/$name.err" "$logs/$name.out" >&2; fi
done
echo "== all benchmarks: $(( $(date +%s) - started_all )) s" >&2

report_args=(--logs "$logs" --out "$out" --docs "$docs" --command "$command_line" --ipvs-run "$ipvs_run")
[ "$quick" = 1 ] && report_args+=(--quick)
node "$work/js/bench/report/main.js" "${report_args[@]}"
