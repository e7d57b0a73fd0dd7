#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Issue 11: as root, a BPF unit test that cannot load its program or build
# its namespaces must fail, not skip. Each binary runs as root with the
# BPF and network capabilities dropped; it must exit non-zero and print a
# "not ok" line that is not a SKIP. Skips only when not root or no capsh.
set -u
cd "$(dirname "$0")/../.." || exit 1
. tests/e2e/lib.sh
trap 'rm -rf "$TMP"' EXIT

BINDIR=${FV_TEST_BINDIR:-.output/tests}
BINS=(test_bpf test_bpf_fuzz test_drops)
DROP=cap_bpf,cap_sys_admin,cap_perfmon,cap_net_admin

echo "1..${#BINS[@]}"
why=
if [ "$(id -u)" -ne 0 ]; then
	why="not root: the check drops capabilities from root"
elif ! command -v capsh >/dev/null; then
	why="capsh missing (Debian package libcap2-bin; scripts/deps.sh)"
fi
if [ -n "$why" ]; then
	for b in "${BINS[@]}"; do skip "$b without $DROP: $why"; done
	exit 0
fi

failed=0
for b in "${BINS[@]}"; do
	bin=$BINDIR/$b out=$TMP/$b
	if [ ! -x "$bin" ]; then
		not_ok "$b without $DROP: $bin is not built"
		failed=1
		continue
	fi
	# Few fuzz frames: should the load wrongly succeed, it ends soon.
	# shellcheck disable=SC2016 # $0 is for the bash that capsh runs
	CMOCKA_MESSAGE_OUTPUT=TAP FV_FUZZ_FRAMES=1000 timeout 300 \
		capsh --drop=$DROP -- -c '"$0"' "$bin" >"$out" 2>&1
	rc=$?
	if [ $rc -ne 0 ] && grep '^not ok' "$out" | grep -qv '# SKIP'; then
		ok "$b without $DROP: exit $rc, $(grep -c '^not ok' "$out") not ok"
		diag "$(grep -m1 -E '^#.*(could not|cannot|failed)' "$out" | sed 's/^[# ]*//')"
	else
		not_ok "$b without $DROP: exit $rc, want non-zero and a not ok line"
		tail -n 15 "$out" | sed 's/^/# /'
		failed=1
	fi
done
exit $failed
