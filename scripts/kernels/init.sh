#!/bin/busybox sh
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# /init of the matrix's initramfs (scripts/kernels/boot.sh builds it):
# loads the modules the root needs (in /mods, in order), mounts this
# machine's root read-only over virtiofs (tag "root") under a writable
# tmpfs overlay, then switch_root into it and runs the guest script named
# on the command line (fvk.script=PATH, a path of this machine's root).
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
say() { echo "fvk-init: $*" >/dev/console; }
fail() {
	say "$*"
	echo "FVK-END init-failed" >/dev/console
	poweroff -f
}
for m in $(cat /mods/order 2>/dev/null); do
	insmod "/mods/$m" || fail "insmod $m failed"
done
script=
for a in $(cat /proc/cmdline); do
	case $a in fvk.script=*) script=${a#fvk.script=} ;; esac
done
mkdir -p /lower /rw /newroot
mount -t virtiofs -o ro root /lower || fail "mounting virtiofs root failed"
mount -t tmpfs -o size=1500m tmpfs /rw || fail "tmpfs failed"
mkdir -p /rw/upper /rw/work
mount -t overlay -o lowerdir=/lower,upperdir=/rw/upper,workdir=/rw/work overlay /newroot ||
	fail "overlay failed"
[ -n "$script" ] && [ -f "/newroot$script" ] || fail "no guest script ($script)"
umount /proc /sys 2>/dev/null
mount --move /dev /newroot/dev || fail "moving /dev failed"
exec switch_root /newroot /bin/bash "$script"
