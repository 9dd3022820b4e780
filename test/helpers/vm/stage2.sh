#!/bin/sh
# Stage 2 of the lvs-ha test VM: runs on the host's root filesystem (read-only
# over 9p). Prepares a small writable world, loads IPVS, mounts the run folder
# (a writable 9p share holding env.sh and payload.sh) and runs the payload.
# Results: stdout, stderr and exit-code in the run folder. Always powers off.
PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export PATH
off() { sync; /bin/busybox poweroff -f; }
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
mount -t tmpfs -o mode=755 run /run
mkdir -p /dev/pts /dev/shm /run/lvk /run/hosttmp
mount -t devpts devpts /dev/pts
mount -t tmpfs shm /dev/shm
ip link set lo up
if ! mount -t 9p -o trans=virtio,version=9p2000.L,rw,msize=262144 lvkrun /run/lvk; then
  echo "lvk-stage2: cannot mount the run folder"; off
fi
echo "lvk-stage2: up $(cut -d' ' -f1 /proc/uptime)s"
. /run/lvk/env.sh
# /tmp becomes a fresh tmpfs. A checkout that lives under the host's /tmp (a CI
# clone, say) would vanish with it, so keep the host's /tmp reachable and bind
# the working directory back to its own path on top of the new tmpfs.
mount --bind /tmp /run/hosttmp
mount -t tmpfs -o mode=1777 tmp /tmp
case "$LVK_CWD" in
  /tmp/*)
    mkdir -p "$LVK_CWD"
    mount --bind "/run/hosttmp/${LVK_CWD#/tmp/}" "$LVK_CWD" || { echo "lvk-stage2: cannot bind $LVK_CWD"; off; }
    ;;
esac
for m in $LVK_MODULES; do
  modprobe "$m" || echo "lvk-stage2: modprobe $m failed"
done
echo "lvk-stage2: modules loaded $(cut -d' ' -f1 /proc/uptime)s"
cd "$LVK_CWD" || off
HOME=/tmp LVK_RESULTS=/run/lvk
export HOME LVK_RESULTS
timeout -s KILL "$LVK_PAYLOAD_TIMEOUT_S" sh /run/lvk/payload.sh >/run/lvk/stdout 2>/run/lvk/stderr
echo $? >/run/lvk/exit-code
echo "lvk-stage2: payload exit $(cat /run/lvk/exit-code) at $(cut -d' ' -f1 /proc/uptime)s"
tail -n 20 /run/lvk/stderr
off
