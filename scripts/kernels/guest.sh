#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# PID 1 of a matrix VM, after the initramfs switched into this machine's
# root (read-only virtiofs under a tmpfs overlay): sets up what systemd
# would, runs the chosen set on the tree copy and powers off. Every line
# goes to the console; scripts/kernels/matrix.sh reads the FVK-* lines.
# Settings arrive on the kernel command line as fvk.env.NAME=VALUE:
#   FVK_TREE   the tree copy to test      FVK_MODS  this kernel's modules
#   FVK_SET    core or full               FV_FUZZ_FRAMES, FVK_E2E (suites)
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/root TERM=dumb LANG=C.UTF-8
exec >/dev/console 2>&1 </dev/null

mount -t proc proc /proc
mount -t sysfs sys /sys
mkdir -p /dev/pts /dev/shm
mount -t devpts devpts /dev/pts
mount -t tmpfs tmpfs /dev/shm
for a in $(cat /proc/cmdline); do
	case $a in fvk.env.*=*) a=${a#fvk.env.}; export "${a%%=*}=${a#*=}" ;; esac
done
# The host's /run, /tmp and /var/tmp show through the lower layer: hide
# them, but keep the tree and the modules where they are when they live
# there (a clone in /tmp): held aside, then bound back to the same path.
keep=()
for p in "${FVK_TREE:-}" "${FVK_MODS:-}"; do
	case $p in /run/* | /tmp/* | /var/tmp/*)
		mkdir -p "/fvk-keep/${#keep[@]}" &&
			mount --bind "$p" "/fvk-keep/${#keep[@]}" && keep+=("$p") ;;
	esac
done
for d in /run /tmp /var/tmp; do mount -t tmpfs -o mode=1777 tmpfs "$d"; done
for i in "${!keep[@]}"; do
	mkdir -p "${keep[$i]}" && mount --bind "/fvk-keep/$i" "${keep[$i]}"
done
mount -t bpf bpf /sys/fs/bpf
mount -t tracefs tracefs /sys/kernel/tracing 2>/dev/null
mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
mount -t cgroup2 cgroup2 /sys/fs/cgroup 2>/dev/null
end() {
	echo "FVK-END $1"
	sync
	/bin/busybox poweroff -f
	echo o >/proc/sysrq-trigger
}
ver=$(uname -r)
# modprobe (and the kernel's own requests) find this kernel's modules.
mkdir -p "/usr/lib/modules/$ver"
mount --bind "${FVK_MODS:?}" "/usr/lib/modules/$ver" || end "no module tree"
modprobe -a veth sch_ingress cls_bpf nf_tables nft_ct nft_nat nft_chain_nat \
	nft_masq nft_reject_inet nf_conntrack 2>/dev/null
ip link set lo up
hostname "fvk-$ver"
cd "${FVK_TREE:?}" || end "no tree $FVK_TREE"
echo "FVK-KERNEL $ver"

# step NAME COMMAND...: one timed step, its output, its status.
step() {
	local name=$1 start=$SECONDS rc
	shift
	echo "FVK-BEGIN $name"
	"$@"
	rc=$?
	echo "FVK-STEP $name rc=$rc seconds=$((SECONDS - start))"
}

# The unit tests and the BPF crafted-packet and fuzz tests.
[ "${FVK_UNIT:-1}" = 1 ] && step unit env FV_TEST_ONLY=unit FV_FUZZ_FRAMES="${FV_FUZZ_FRAMES:-20000}" tests/run.sh
# The core e2e set (scripts/kernels/core.sh), through the runner.
# Its TAP streams to the console as it runs (tests/run.sh would hold it
# back until the end), then is counted as tests/run.sh counts it.
# tap_count FILE RC: "N passed, N failed, N skipped"; fails on a failure,
# a missing or short plan, or a non-zero exit.
tap_count() {
	local p f s n plan
	p=$(grep -cE '^ok [0-9]+( -|$)' "$1") s=$(grep -cE '^ok [0-9]+ # SKIP' "$1")
	f=$(grep -cE '^not ok' "$1") plan=$(sed -n 's/^1\.\.\([0-9]*\)$/\1/p' "$1" | tail -1)
	n=$((p + s + f))
	[ "${plan:-none}" = "$n" ] || { echo "FAIL core: $n results, plan ${plan:-none}"; f=$((f + 1)); }
	[ "$2" = 0 ] || { echo "FAIL core: exited $2"; f=$((f + 1)); }
	echo "$p passed, $f failed, $s skipped"
	[ "$f" = 0 ]
}
core() {
	local rc
	local x=
	[ "${FVK_TRACE:-0}" = 1 ] && x=-x
	timeout -k 10 "${FVK_CORE_TIMEOUT:-600}" bash $x scripts/kernels/core.sh 2>&1 | tee /tmp/core.tap
	rc=${PIPESTATUS[0]}
	tap_count /tmp/core.tap "$rc"
}
step core core
mkdir -p tests/kmatrix-e2e /tmp/no-unit
# The full set: whole e2e suites that fit emulation.
if [ "${FVK_SET:-core}" = full ]; then
	e2e=${FVK_E2E:-attach,lab_faults,bad_input}
	for s in ${e2e//,/ }; do cp "tests/e2e/$s.sh" tests/kmatrix-e2e/; done
	step e2e env FV_TEST_BINDIR=/tmp/no-unit FV_TEST_E2E_DIR=tests/kmatrix-e2e tests/run.sh
fi
end done
