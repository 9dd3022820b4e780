#!/bin/busybox sh
# Stage 1 of the lvs-ha test VM (the initramfs /init). Loads the virtio and 9p
# modules (order matters), mounts the host's root read-only over 9p and hands
# over to stage 2, a script on the host filesystem. @STAGE2@ is filled in by
# the harness when it builds the initramfs.
bb=/bin/busybox
fail() { echo "lvk-stage1: $*"; $bb poweroff -f; }
$bb mount -t proc proc /proc
$bb mount -t sysfs sys /sys
$bb mount -t devtmpfs dev /dev
for m in @MODULES@; do
  $bb insmod "/modules/$m.ko" || fail "insmod $m failed"
done
$bb mount -t 9p -o trans=virtio,version=9p2000.L,ro,msize=262144,cache=loose hostroot /mnt/root \
  || fail "cannot mount the host root over 9p"
$bb umount /proc /sys /dev
echo "lvk-stage1: switching to @STAGE2@"
exec $bb switch_root /mnt/root /bin/sh @STAGE2@
