#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Runs every suite (TAP output), prints each result, and ends with the
# line "N passed, N failed, N skipped". Exit status 1 when any failed.
# FV_TEST_ONLY=unit skips the end-to-end lab suite.
set -u
cd "$(dirname "$0")/.."

pass=0 fail=0 skip=0

# Count one suite's TAP lines. A suite that dies part way has fewer
# results than its plan: the missing ones count as failed.
tally() {
	local suite=$1 rc=$2 out=$3 planned=0 seen=0 line
	while IFS= read -r line; do
		case "$line" in
		1..*) planned=${line#1..}; planned=${planned%% *} ;;
		"not ok"*"# SKIP"* | "not ok"*"# skip"*) skip=$((skip + 1)); seen=$((seen + 1)); echo "SKIP $suite: ${line#not ok }" ;;
		"not ok"*) fail=$((fail + 1)); seen=$((seen + 1)); echo "FAIL $suite: ${line#not ok }" ;;
		ok*"# SKIP"* | ok*"# skip"*) skip=$((skip + 1)); seen=$((seen + 1)); echo "SKIP $suite: ${line#ok }" ;;
		ok*) pass=$((pass + 1)); seen=$((seen + 1)); echo "ok   $suite: ${line#ok }" ;;
		"#"*) echo "     $line" ;;
		esac
	done <<< "$out"
	if [ "$planned" -gt "$seen" ]; then
		fail=$((fail + planned - seen))
		echo "FAIL $suite: $((planned - seen)) planned results missing (exit $rc)"
	elif [ "$seen" -eq 0 ]; then
		fail=$((fail + 1))
		echo "FAIL $suite: no results (exit $rc)"
	fi
}

# FV_TEST_BINDIR: where the unit test binaries are (make check-asan
# points it at the sanitizer build; FV names the flowverify binary).
for bin in "${FV_TEST_BINDIR:-.output/tests}"/test_*; do
	[ -x "$bin" ] && [ -f "$bin" ] || continue
	case "$bin" in *.d | *.o) continue ;; esac
	suite=$(basename "$bin")
	# cmocka has no timeout of its own: a hang is a failure, not a stall.
	out=$(CMOCKA_MESSAGE_OUTPUT=TAP timeout 300 "$bin" 2>&1)
	tally "$suite" $? "$out"
done

if [ "${FV_TEST_ONLY:-}" != "unit" ]; then
	for script in tests/e2e/*.sh; do
		[ -x "$script" ] || continue
		suite=$(basename "$script" .sh)
		out=$(timeout 1800 "$script" 2>&1)
		tally "$suite" $? "$out"
	done
fi

echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
