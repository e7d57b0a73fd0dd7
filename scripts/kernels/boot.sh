#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Boots one Debian kernel .deb under QEMU with this machine's root as the
# guest's (read-only virtiofs + tmpfs overlay) and runs a guest script in
# it; the guest's console goes to LOG. docs/kernels.md.
#   boot.sh DEB SCRIPT LOG [TIMEOUT_S] [ENV=VALUE...]
# ENV=VALUE pairs reach the guest script on the kernel command line as
# fvk.env.ENV=VALUE. Exit status: QEMU's, 124 on timeout.
set -euo pipefail

deb=$1 script=$2 log=$3 limit=${4:-900}
shift 3; [ $# -gt 0 ] && shift
here=$(cd "$(dirname "$0")" && pwd)
KDIR=${KDIR:-$(cd "$here/../.." && pwd)/.output/kernels}
pkg=$(basename "$deb"); pkg=${pkg%%_*}
x=$KDIR/x/$pkg

# The kernel and its modules, once per .deb; depmod for modprobe inside.
if [ ! -f "$x/.done" ]; then
	rm -rf "$x"; mkdir -p "$x"
	dpkg-deb -x "$deb" "$x"
	depmod -b "$x" "$(ls "$x/lib/modules")"
	touch "$x/.done"
fi
ver=$(ls "$x/lib/modules")
vmlinuz=$x/boot/vmlinuz-$ver

# The initramfs: busybox, /init, and the modules the root needs, plain .ko
# (busybox's insmod reads no .xz), in modprobe's order.
initrd=$KDIR/initrd-$ver.cpio.gz
if [ ! -f "$initrd" ] || [ "$here/init.sh" -nt "$initrd" ]; then
	d=$(mktemp -d "$KDIR/initrd.XXXXXX")
	mkdir -p "$d/bin" "$d/mods" "$d/dev" "$d/proc" "$d/sys"
	cp /bin/busybox "$d/bin/busybox"
	install -m 0755 "$here/init.sh" "$d/init"
	: >"$d/mods/order"
	for m in virtio_pci virtiofs overlay; do
		modprobe -d "$x" -S "$ver" --show-depends "$m" |
			awk '$1 == "insmod" {print $2}'
	done | awk '!seen[$0]++' | while read -r ko; do
		b=$(basename "$ko"); b=${b%.xz}; b=${b%.zst}
		case $ko in
		*.xz) xz -dc "$ko" >"$d/mods/$b" ;;
		*.zst) zstd -qdc "$ko" >"$d/mods/$b" ;;
		*) cp "$ko" "$d/mods/$b" ;;
		esac
		echo "$b" >>"$d/mods/order"
	done
	(cd "$d" && find . | busybox cpio -o -H newc 2>/dev/null | gzip -1) >"$initrd.tmp"
	mv "$initrd.tmp" "$initrd"
	rm -rf "$d"
fi

# KVM only where it is real (kvm_intel/kvm_amd), not PVM's kvm_pvm, whose
# /dev/kvm runs only PVM-built guests. qemu 7.2's TCG double-faults 6.12
# at boot on cmpxchg16b: no cx16.
accel=(-accel tcg -cpu max,-cx16)
if [ -c /dev/kvm ] && grep -qE '^kvm_(intel|amd) ' /proc/modules &&
	! grep -q '^kvm_pvm ' /proc/modules; then
	accel=(-accel kvm -cpu host)
fi

run=$(mktemp -d /tmp/fvk-run.XXXXXX)
vpid=
cleanup() {
	if [ -n "$vpid" ]; then kill "$vpid" 2>/dev/null || true; fi
	rm -rf "$run"
}
trap cleanup EXIT
/usr/lib/qemu/virtiofsd --socket-path="$run/vfs.sock" -o source=/ \
	-o sandbox=chroot -o cache=auto -o no_posix_lock >"$run/virtiofsd.log" 2>&1 &
vpid=$!
for _ in $(seq 50); do [ -S "$run/vfs.sock" ] && break; sleep 0.1; done

cmdline="console=ttyS0 quiet loglevel=3 panic=-1 mitigations=off fvk.script=$script"
cmdline+=" fvk.env.FVK_MODS=$x/lib/modules/$ver"
for e in "$@"; do cmdline+=" fvk.env.$e"; done

rc=0
timeout -k 10 "$limit" qemu-system-x86_64 "${accel[@]}" -machine q35 -smp "${FVK_SMP:-2}" -m 2G \
	-object memory-backend-memfd,id=mem,size=2G,share=on -numa node,memdev=mem \
	-chardev socket,id=vfs,path="$run/vfs.sock" \
	-device vhost-user-fs-pci,chardev=vfs,tag=root \
	-kernel "$vmlinuz" -initrd "$initrd" -append "$cmdline" \
	-display none -monitor none -serial file:"$log" -no-reboot -nic none || rc=$?
trap - EXIT
cleanup
exit $rc
