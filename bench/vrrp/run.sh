#!/usr/bin/env bash
# VRRP failover benchmark (issue 3): a Keepalived 2.2.7 pair and an lvs-ha pair, side by side,
# in throwaway network namespaces (prefix lvqb-). The master's link is cut (and, separately, the
# master is stopped with SIGTERM) while a client probes the VIP every 2 ms (pinger.c, ICMP echo);
# prints the reply gap
# for each advert interval, the ratio lvs-ha / Keepalived, and one `BENCH {json}` line.
# One command, as root:
#   bash bench/vrrp/run.sh [--intervals 1000,100,10] [--repeat 3] [--events cut,sigterm] [--no-build]
# Runs lvs-ha from dist/ (built here with `npm run build` unless --no-build). The benchmark and
# the test helpers it uses are compiled into a temporary folder; namespaces are removed per run
# and again on exit.
set -euo pipefail
cd "$(dirname "$0")/../.."
[ "$(id -u)" = 0 ] || { echo "run as root (network namespaces, raw ICMP socket)" >&2; exit 1; }
command -v keepalived >/dev/null || { echo "keepalived is not installed (apt-get install keepalived)" >&2; exit 1; }
build=1
args=()
for a in "$@"; do
  case "$a" in
    --no-build) build=0 ;;
    *) args+=("$a") ;;
  esac
done
if [ "$build" = 1 ]; then
  npm run --silent build >/dev/null 2>&1 || echo "warning: npm run build reported errors; using dist/ as emitted" >&2
fi
out=$(mktemp -d /tmp/lvqb-bench.XXXXXX)
cleanup() {
  for ns in $(ip netns list | awk '{print $1}' | grep '^lvqb-' || true); do
    for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -9 "$pid" 2>/dev/null || true; done
    ip netns del "$ns" 2>/dev/null || true
  done
  rm -rf "$out"
}
trap cleanup EXIT
npx tsc --outDir "$out" --rootDir . --module nodenext --moduleResolution nodenext \
  --target es2022 --types node --skipLibCheck --strict bench/vrrp/bench.ts
echo '{"type":"module"}' >"$out/package.json"
# The compiled lab helper starts `$out/bin/lvs-ha.js`: point it at the real launcher (and dist/).
ln -s "$PWD/bin" "$out/bin"
ln -s "$PWD/node_modules" "$out/node_modules"
# The client's prober: a steady 2 ms ICMP schedule (see pinger.c for why not iputils ping).
if command -v gcc >/dev/null && gcc -O2 -Wall -pthread -o "$out/pinger" bench/vrrp/pinger.c; then
  args+=(--pinger "$out/pinger")
else
  echo "warning: gcc missing, using iputils ping (gaps round up by up to ~10 ms)" >&2
fi
# Lab folders (configs, sockets, logs) go under $out too, so even a killed run leaves nothing.
mkdir -p "$out/tmp"
TMPDIR="$out/tmp" node "$out/bench/vrrp/bench.js" "${args[@]}"
