#!/usr/bin/env bash
# Captures real VRRPv3 adverts from Keepalived 2.2.7 (IPv4 multicast, IPv4 unicast, IPv6) in a
# throwaway network namespace and prints them as pcap files into the folder given as $1.
# Root only. Namespace/interface prefix: lvv. Everything is torn down on exit (also on failure).
# Usage: test/netns/vrrp-fixtures/capture-keepalived.sh OUTDIR
set -euo pipefail
out=${1:?usage: capture-keepalived.sh OUTDIR}
mkdir -p "$out"
ns=lvvcap$$
work=$(mktemp -d /tmp/lvvcap.XXXXXX)
cleanup() {
  for f in "$work"/*.pid; do [ -f "$f" ] && kill "$(cat "$f")" 2>/dev/null || true; done
  sleep 0.3
  ip netns del "$ns" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
ip netns add "$ns"
ip -n "$ns" link set lo up
ip -n "$ns" link add lvvk0 type veth peer name lvvk1
ip -n "$ns" addr add 192.0.2.10/24 dev lvvk0
ip -n "$ns" addr add 2001:db8::10/64 dev lvvk0 nodad
ip -n "$ns" link set lvvk0 address 02:00:00:00:00:0a
ip -n "$ns" link set lvvk0 up
ip -n "$ns" link set lvvk1 up
# The unicast peer does not exist: a static neighbour lets the unicast adverts leave the host.
ip -n "$ns" neigh add 192.0.2.20 lladdr 02:00:00:00:00:14 dev lvvk0 nud permanent
sleep 1 # link-local address to settle
cat >"$work/keepalived.conf" <<CONF
global_defs {
  vrrp_version 3
  script_user root
  enable_script_security
}
vrrp_instance v4m {
  state BACKUP
  interface lvvk0
  virtual_router_id 51
  priority 150
  advert_int 1
  virtual_ipaddress {
    192.0.2.100/24
    192.0.2.101/24
  }
}
vrrp_instance v4u {
  state BACKUP
  interface lvvk0
  virtual_router_id 52
  priority 100
  advert_int 0.5
  unicast_src_ip 192.0.2.10
  unicast_peer {
    192.0.2.20
  }
  virtual_ipaddress {
    192.0.2.102/24
  }
}
vrrp_instance v6m {
  state BACKUP
  interface lvvk0
  virtual_router_id 61
  priority 200
  advert_int 1
  virtual_ipaddress {
    fe80::61/64
    2001:db8::100/64
  }
}
CONF
ip netns exec "$ns" tcpdump -i lvvk0 -w "$work/all.pcap" -U 'ip proto 112 or ip6 proto 112' \
  >/dev/null 2>&1 & echo $! >"$work/tcpdump.pid"
sleep 0.5
ip netns exec "$ns" keepalived -f "$work/keepalived.conf" --vrrp -n -l \
  -p "$work/ka.pidfile" -r "$work/vrrp.pidfile" >"$work/keepalived.log" 2>&1 &
echo $! >"$work/keepalived.pid"
# Backups become master after ~3.6 s at advert_int 1; collect a few adverts each.
sleep 7
kill "$(cat "$work/keepalived.pid")"; rm "$work/keepalived.pid"
sleep 1
kill "$(cat "$work/tcpdump.pid")"; rm "$work/tcpdump.pid"
sleep 0.3
cp "$work/all.pcap" "$out/keepalived-2.2.7.pcap"
cp "$work/keepalived.conf" "$out/keepalived-2.2.7.conf"
cp "$work/keepalived.log" "$out/keepalived-2.2.7.log"
echo "captured $(tcpdump -r "$out/keepalived-2.2.7.pcap" 2>/dev/null | wc -l) packets into $out"
