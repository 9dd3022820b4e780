#!/usr/bin/env bash
# False failovers under load (issue 13): an lvs-ha pair and a Keepalived 2.2.7 pair side by side
# in one throwaway namespace lab per advert interval (prefix lvff-), both masters loaded at once
# (lvs-ha: 10k TCP + 1k HTTP checks, a reload every 15 s, status every 1 s, /metrics every 5 s;
# Keepalived: the same real servers in its config, --vrrp only as this kernel has no IPVS, a
# reload every 15 s); prints the false failovers per pair and interval, and one `BENCH {json}` line.
# One command, as root:
#   bash bench/vrrp/false-failover.sh [--intervals 10,50,100] [--seconds 600] [--tcp 10000]
#        [--http 1000] [--reload-every 15] [--status-every 1] [--metrics-every 5]
#        [--impl lvs-ha,keepalived] [--no-build]
# The full size is 10 minutes per interval (about 35 minutes in all). Runs lvs-ha from dist/
# (built here with `npm run build` unless --no-build). The benchmark and the test helpers it uses
# are compiled into a temporary folder; namespaces are removed per interval and again on exit.
set -euo pipefail
cd "$(dirname "$0")/../.."
[ "$(id -u)" = 0 ] || { echo "run as root (network namespaces, raw sockets)" >&2; exit 1; }
build=1
impl=lvs-ha,keepalived
args=()
prev=""
for a in "$@"; do
  case "$a" in
    --no-build) build=0 ;;
    --impl=*) impl="${a#--impl=}"; args+=("$a") ;;
    *) [ "$prev" = --impl ] && impl="$a"; args+=("$a") ;;
  esac
  prev="$a"
done
case ",$impl," in
  *,keepalived,*) command -v keepalived >/dev/null || { echo "keepalived is not installed (apt-get install keepalived)" >&2; exit 1; } ;;
esac
command -v curl >/dev/null || { echo "curl is not installed (the /metrics scrapes use it)" >&2; exit 1; }
if [ "$build" = 1 ]; then
  npm run --silent build >/dev/null 2>&1 || echo "warning: npm run build reported errors; using dist/ as emitted" >&2
fi
out=$(mktemp -d /tmp/lvff-bench.XXXXXX)
cleanup() {
  for ns in $(ip netns list | awk '{print $1}' | grep '^lvff-' || true); do
    for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -9 "$pid" 2>/dev/null || true; done
    ip netns del "$ns" 2>/dev/null || true
  done
  rm -rf "$out"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
npx tsc --outDir "$out" --rootDir . --module nodenext --moduleResolution nodenext \
  --target es2022 --types node --skipLibCheck --strict bench/vrrp/false-failover.ts
echo '{"type":"module"}' >"$out/package.json"
# The compiled lab helper starts `$out/bin/lvs-ha.js`: point it at the real launcher (and dist/).
ln -s "$PWD/bin" "$out/bin"
ln -s "$PWD/node_modules" "$out/node_modules"
# Lab folders (configs, sockets, logs) go under $out too, so even a killed run leaves nothing.
mkdir -p "$out/tmp"
TMPDIR="$out/tmp" node "$out/bench/vrrp/false-failover.js" "${args[@]}"
