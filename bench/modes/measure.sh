#!/usr/bin/env bash
# One method's measurement, run by bench/modes/bench.ts INSIDE the lab's VM while a lab is up:
#   bash bench/modes/measure.sh MODE SECONDS CONNECTIONS RESPONDER
# 1. Pauses (SIGSTOP) every process in the two directors' namespaces: the daemons' own work (VRRP
#    adverts, health checks) is most of an emulated VM's CPU and is not on the packet path; the
#    kernel keeps forwarding with the VIP and the IPVS table as they are. SIGCONT at the end.
# 2. Swaps each real server's lab backend (node) for RESPONDER (bench/modes/responder.c) on the
#    same port, so the backend does not cap the rate at a few dozen requests a second.
# 3. Reads the VM's CPU counters for 3 s with no traffic (the background), then, from the lab's
#    client namespace, wrk (one thread, CONNECTIONS connections) asks GET / of the VIP for SECONDS
#    with keep-alive ("keepalive") and with a new TCP connection per request ("close"), after a
#    2 s warm-up that is not counted; under DR also of real server r1 directly ("direct-*"), the
#    path without a director. Around each run: /proc/uptime, /proc/stat (the whole VM: every host
#    of the lab shares this one kernel) and the IPVS counters of the master (lvl-d1).
# One `SAMPLE {json}` line per run (and an "idle" one for step 3).
set -euo pipefail
mode="${1:?mode}"; seconds="${2:?seconds}"; connections="${3:?connections}"; responder="${4:?responder}"
case "$mode" in dr|tun) port=80 ;; nat|fullnat) port=8080 ;; *) echo "unknown mode $mode" >&2; exit 64 ;; esac
[[ "$seconds" =~ ^[0-9]+$ && "$seconds" -ge 2 && "$seconds" -le 120 ]] || { echo "seconds: 2..120" >&2; exit 64; }
[[ "$connections" =~ ^[0-9]+$ && "$connections" -ge 1 && "$connections" -le 256 ]] || { echo "connections: 1..256" >&2; exit 64; }
[ -x "$responder" ] || { echo "no responder at $responder" >&2; exit 64; }
client=lvl-c
director=lvl-d1
reals=(lvl-r1 lvl-r2 lvl-r3)

paused=()
started=()
restore() {
  for p in "${started[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${paused[@]}"; do kill -CONT "$p" 2>/dev/null || true; done
}
trap restore EXIT
for ns in lvl-d1 lvl-d2; do
  for p in $(ip netns pids "$ns"); do kill -STOP "$p" && paused+=("$p"); done
done
for ns in "${reals[@]}"; do
  for p in $(ip netns pids "$ns"); do kill "$p" 2>/dev/null || true; done
  for _ in $(seq 50); do [ -z "$(ip netns pids "$ns")" ] && break; sleep 0.2; done
  [ -z "$(ip netns pids "$ns")" ] || { echo "the backend in $ns did not stop" >&2; exit 1; }
  ip netns exec "$ns" "$responder" "$port" &
  started+=("$!")
done
# A new connection per request for SECONDS is ~10^4 client ports in TIME_WAIT: give the client the
# whole port range and let it reuse them (the client's namespace only; it dies with the lab).
ip netns exec "$client" sysctl -qw net.ipv4.ip_local_port_range="1024 65535" net.ipv4.tcp_tw_reuse=1

counters() { # uptime (centiseconds), then user nice system idle iowait irq softirq steal (ticks, the whole VM)
  local up _r u n s i w q sq st
  read -r up _r </proc/uptime
  read -r _r u n s i w q sq st _r </proc/stat
  echo "${up/./} $u $n $s $i $w $q $sq $st"
}
ipvs() { # connections, packets in, packets out through the master director (hex in the file)
  local c i o _r
  read -r c i o _r <<<"$(ip netns exec "$director" sed -n 3p /proc/net/ip_vs_stats)"
  echo "$(( 16#$c )) $(( 16#$i )) $(( 16#$o ))"
}
emit() { # label requests rps errors non2xx counters0(9) counters1(9) ipvs0(3) ipvs1(3)
  local label="$1" requests="$2" rps="$3" errors="$4" non2xx="$5"
  shift 5
  printf 'SAMPLE {"mode":"%s","workload":"%s","seconds":%s,"connections":%s,"requests":%s,"rps":%s,"errors":%s,"non2xx":%s,"window_cs":%d,' \
    "$mode" "$label" "$seconds" "$connections" "$requests" "$rps" "$errors" "$non2xx" $(( ${10} - ${1} ))
  printf '"ticks":{"user":%d,"nice":%d,"system":%d,"idle":%d,"iowait":%d,"irq":%d,"softirq":%d,"steal":%d},' \
    $(( ${11} - ${2} )) $(( ${12} - ${3} )) $(( ${13} - ${4} )) $(( ${14} - ${5} )) $(( ${15} - ${6} )) $(( ${16} - ${7} )) $(( ${17} - ${8} )) $(( ${18} - ${9} ))
  printf '"hz":%d,"ipvs":{"conns":%d,"in_packets":%d,"out_packets":%d}}\n' \
    "$(getconf CLK_TCK)" $(( ${22} - ${19} )) $(( ${23} - ${20} )) $(( ${24} - ${21} ))
}

run() { # label url, extra wrk args...
  local label="$1" url="$2"; shift 2
  local c0 v0 c1 v1 out requests rps errors non2xx
  v0=$(ipvs); c0=$(counters)
  out=$(ip netns exec "$client" wrk -t1 -c"$connections" -d"${seconds}s" --timeout 5s "$@" "$url" 2>&1) || { echo "wrk failed: $out" >&2; exit 1; }
  c1=$(counters); v1=$(ipvs)
  requests=$(sed -n 's/^ *\([0-9]\+\) requests in .*/\1/p' <<<"$out")
  rps=$(sed -n 's/^Requests\/sec: *\([0-9.]\+\).*/\1/p' <<<"$out")
  errors=$(sed -n 's/^ *Socket errors: connect \([0-9]\+\), read \([0-9]\+\), write \([0-9]\+\), timeout \([0-9]\+\).*/\1+\2+\3+\4/p' <<<"$out")
  non2xx=$(sed -n 's/^ *Non-2xx or 3xx responses: *\([0-9]\+\).*/\1/p' <<<"$out")
  [ -n "$requests" ] && [ -n "$rps" ] || { echo "could not read wrk's output: $out" >&2; exit 1; }
  # shellcheck disable=SC2086
  emit "$label" "$requests" "$rps" "$(( ${errors:-0} ))" "${non2xx:-0}" $c0 $c1 $v0 $v1
}

vip=http://10.77.0.100/
v0=$(ipvs); c0=$(counters)
sleep 3
c1=$(counters); v1=$(ipvs)
# shellcheck disable=SC2086
emit idle 0 0 0 0 $c0 $c1 $v0 $v1
ip netns exec "$client" wrk -t1 -c"$connections" -d2s --timeout 5s "$vip" >/dev/null 2>&1 || true
run keepalive "$vip"
run close "$vip" -H 'Connection: close'
if [ "$mode" = dr ]; then
  run direct-keepalive http://10.77.0.21/
  run direct-close http://10.77.0.21/ -H 'Connection: close'
fi
