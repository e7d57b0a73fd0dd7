#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# `make test-kernels`: boots each Debian kernel of the matrix under QEMU,
# one VM at a time, and runs the tests inside (docs/kernels.md). Prints a
# summary table and exits 1 if any kernel failed.
#   KERNELS="6.1 6.12 5.10"  which (scripts/kernels/fetch.sh names them)
#   FVK_SET=core|full        core: unit + scripts/kernels/core.sh;
#                            full: also the e2e suites in FVK_E2E
#   FVK_E2E=attach,lab_faults,bad_input
#   FV_FUZZ_FRAMES=20000     the BPF fuzz test's frames inside
#   FVK_TIMEOUT=900          each VM's limit, seconds
#   FVK_DIST=FILE            the portable file (make dist), checked inside
# Logs: .output/kernels/log-<kernel>.txt; table: .output/kernels/results.md.
set -uo pipefail
cd "$(dirname "$0")/../.."
top=$(pwd)
KDIR=$top/.output/kernels
export KDIR
mkdir -p "$KDIR"
read -ra kernels <<<"${KERNELS:-6.1 6.12 5.10}"
set_=${FVK_SET:-core}

# A copy of the tree as it is now: the guest sees it through virtiofs
# while others here rebuild the real one.
tree=$KDIR/tree
rm -rf "$tree" && mkdir -p "$tree"
tar -C "$top" -cf - --exclude=./.git --exclude=./.output/kernels \
	--exclude=./.output/asan --exclude=./.output/fuzz . | tar -C "$tree" -xf - ||
	{ echo "test-kernels: copying the tree failed" >&2; exit 2; }
rev=$(git describe --tags --always --dirty 2>/dev/null || echo unknown)

mapfile -t debs < <(scripts/kernels/fetch.sh "${kernels[@]}")
[ ${#debs[@]} -eq ${#kernels[@]} ] || { echo "test-kernels: fetching kernels failed" >&2; exit 2; }

rows=() failed=0 total_start=$SECONDS
n_pass=0 n_fail=0 n_skip=0 # every step's results, for the last line
for line in "${debs[@]}"; do
	k=${line%% *} deb=${line#* }
	log=$KDIR/log-$k.txt
	echo "test-kernels: $k: booting $(basename "$deb") ($set_ set)"
	start=$SECONDS
	scripts/kernels/boot.sh "$deb" "$tree/scripts/kernels/guest.sh" "$log" \
		"${FVK_TIMEOUT:-900}" FVK_TREE="$tree" FVK_SET="$set_" \
		FV_FUZZ_FRAMES="${FV_FUZZ_FRAMES:-20000}" \
		${FVK_E2E:+FVK_E2E=$FVK_E2E} ${FVK_UNIT:+FVK_UNIT=$FVK_UNIT} \
		${FVK_DIST:+FVK_DIST=${FVK_DIST#$top/}} \
		${FVK_TRACE:+FVK_TRACE=$FVK_TRACE}
	qrc=$?
	took=$((SECONDS - start))
	tr -d '\r' <"$log" >"$log.tmp" && mv "$log.tmp" "$log"
	kver=$(awk '/^FVK-KERNEL /{print $2; exit}' "$log")
	# Per step: its runner's last "N passed, N failed, N skipped" line.
	ran= ok=1
	while read -r _ name rcw secw; do
		counts=$(awk -v n="$name" '$0 == "FVK-BEGIN " n {on=1; next}
			on && /^[0-9]+ passed, [0-9]+ failed, [0-9]+ skipped$/ {c=$1 "/" $3 "/" $5}
			on && /^FVK-STEP / {print c; exit}' "$log")
		ran+="${ran:+, }$name ${counts:-?} (${secw#seconds=} s)"
		[ "$rcw" = rc=0 ] || ok=0
		if [ -n "$counts" ]; then
			IFS=/ read -r p f s <<<"$counts"
			n_pass=$((n_pass + p)) n_fail=$((n_fail + f)) n_skip=$((n_skip + s))
		fi
	done < <(grep '^FVK-STEP ' "$log")
	grep -qx 'FVK-END done' "$log" || ok=0
	# A step begun and never ended: the VM died or was killed in it.
	last=$(awk '/^FVK-BEGIN /{b=$2} /^FVK-STEP /{b=""} END{print b}' "$log")
	[ -n "$last" ] && ran+="${ran:+, }$last unfinished"
	[ $qrc -eq 124 ] && ran+="${ran:+, }killed at its ${FVK_TIMEOUT:-900} s limit"
	[ -n "$ran" ] || ran="nothing ($(grep '^FVK-END' "$log" | head -1))"
	if [ $ok = 1 ]; then res=pass; else res=FAIL failed=1; fi
	# A kernel that failed without a failed result (a step that crashed,
	# the VM died or was killed) is one failure more.
	[ $ok = 1 ] || [ "$(grep -c -E '^(FAIL|not ok) ' "$log")" -gt 0 ] || n_fail=$((n_fail + 1))
	grep -E '^(FAIL|not ok) ' "$log" | head -20 | sed "s/^/test-kernels: $k: /"
	echo "test-kernels: $k: $res in $took s: $ran"
	rows+=("| ${kver:-$k} | $set_: $ran | $res | ${took} s |")
done

{
	echo "Tree $rev, $(date -u +%Y-%m-%d), set $set_, total $((SECONDS - total_start)) s."
	echo
	echo "| kernel | what ran (step passed/failed/skipped) | result | time |"
	echo "|--------|------------------------------------------|--------|------|"
	printf '%s\n' "${rows[@]}"
} >"$KDIR/results.md"
echo
cat "$KDIR/results.md"
echo "$n_pass passed, $n_fail failed, $n_skip skipped" >"$KDIR/tally"
echo "test-kernels: $n_pass passed, $n_fail failed, $n_skip skipped"
exit $failed
