#!/usr/bin/env bash
# Installs the Debian packages the three test tiers need (idempotent, quick when
# everything is present). Run as root: it is the `pretest` step of `npm test`.
#   netns tier:  iproute2 nftables tcpdump tshark keepalived dnsmasq-base (dns check),
#                frr bird2 (the ECMP routing-daemon contract)
#   kernel tier: qemu-system-x86 linux-image-amd64 busybox-static kmod ipvsadm
#   systemd unit check: systemd (systemd-analyze)
#   package tests (test/netns/package, test/unit/contrib): dpkg-dev binutils pandoc (build the .deb
#     and its man pages), mmdebstrap (the clean Debian 12 root), lintian, man-db, prometheus (promtool;
#     on a host booted with systemd it also starts a Prometheus server on :9090)
#   zsh completion test (test/unit/cli): zsh
set -euo pipefail
packages=(iproute2 nftables tcpdump tshark keepalived qemu-system-x86 linux-image-amd64
          busybox-static kmod ipvsadm systemd iputils-ping procps psmisc dnsmasq-base
          dpkg-dev binutils pandoc mmdebstrap lintian man-db prometheus zsh frr bird2)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "test/setup-host.sh: missing Debian packages: ${missing[*]}" >&2
  echo "Install them as root: apt-get install -y --no-install-recommends ${missing[*]}" >&2
  exit 1
fi
echo "test/setup-host.sh: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
# tshark asks whether non-root users may capture; answer before it asks.
echo 'wireshark-common wireshark-common/install-setuid boolean false' | debconf-set-selections
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
