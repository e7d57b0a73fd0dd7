#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# tests/run.sh against its canaries (tests/canaries): each way a suite
# can fail without a "not ok" of its own (a bad exit, killed by its
# timeout, results short of its plan or past it, no plan, not
# executable, a skip without a reason) must fail the run, with a FAIL
# line naming the suite and why; the honest canary passes, its skip
# listed by reason. No root, no lab.
#
# Each canary runs alone, then all of them together, each time in a tree
# of its own: the runner copied to BOX/tests/run.sh (it works from the
# top of its tree), the canaries in BOX/tests/e2e. So even a runner that
# ignores FV_TEST_E2E_DIR runs only the canaries, never the real suites.
# FV_RUNNER=FILE checks another runner (an older tests/run.sh).
set -u
RUNNER=$(realpath "${FV_RUNNER:-$(dirname "$0")/../run.sh}")
cd "$(dirname "$0")/../.."
. tests/e2e/lib.sh
trap 'rm -rf "$TMP"' EXIT

LIMIT=2 # FV_TEST_TIMEOUT: hangs_past_timeout sleeps 30 s

# The failure canaries: name, its passes, its fewest failures (the suite
# itself, and each result missing from its plan), what its FAIL line says.
FAILING=(
	"exits_nonzero_after_oks 2 1 exited 1"
	"hangs_past_timeout 1 1 killed by its $LIMIT s timeout"
	"fewer_results_than_plan 1 3 1 of 3 results"
	"dies_on_unbound_variable 1 1 exited 1 after 1 result and no plan"
	"not_executable 0 1 not executable"
	"skip_without_reason 1 1 skip without a reason"
	"more_results_than_plan 3 1 more than its plan 1..2"
)
echo "1..$((${#FAILING[@]} * 3 + 13))"

# box NAME CANARY...: a tree of its own with the runner and these
# canaries, in the modes they stand for (whatever the checkout made).
box() {
	local b=$TMP/$1 c m
	shift
	mkdir -p "$b/tests/e2e" "$b/bin"
	cp "$RUNNER" "$b/tests/run.sh"
	chmod 755 "$b/tests/run.sh"
	for c; do
		cp "tests/canaries/$c.sh" "$b/tests/e2e/"
		if [ "$c" = not_executable ]; then m=644; else m=755; fi
		chmod $m "$b/tests/e2e/$c.sh"
	done
	echo "$b"
}

# run_box BOX [VAR=VALUE...]: runs its runner on its canaries alone, no
# unit binaries (an empty FV_TEST_BINDIR). Sets OUT, RC and LAST (the
# last line). The outer timeout only guards against a runner that hangs.
run_box() {
	local b=$1
	shift
	OUT=$(env -u FV_TEST_ONLY FV_TEST_BINDIR="$b/bin" \
		FV_TEST_E2E_DIR="$b/tests/e2e" FV_TEST_TIMEOUT=$LIMIT "$@" \
		timeout 120 "$b/tests/run.sh" 2>&1)
	RC=$?
	LAST=$(tail -n 1 <<< "$OUT")
}

# tally_is PASSED FAILED SKIPPED: the last line, each count a number or
# ">=N".
tally_is() {
	local want=("$@") got i
	local re='^([0-9]+) passed, ([0-9]+) failed, ([0-9]+) skipped$'
	[[ $LAST =~ $re ]] || return 1
	got=("${BASH_REMATCH[@]:1}")
	for i in 0 1 2; do
		case ${want[i]} in
		">="*) [ "${got[i]}" -ge "${want[i]#>=}" ] || return 1 ;;
		*) [ "${got[i]}" -eq "${want[i]}" ] || return 1 ;;
		esac
	done
}

# has_fail SUITE WHY: a FAIL line names SUITE and says WHY (a fixed string).
has_fail() { grep "^FAIL $1: " <<< "$OUT" | grep -qF "$2"; }
# has_line LINE, before_last LINE: that very line, anywhere or before the
# last line; no_line REGEX: no line matches.
has_line() { grep -qxF "$1" <<< "$OUT"; }
before_last() { head -n -1 <<< "$OUT" | grep -qxF "$1"; }
no_line() { ! grep -qE "$1" <<< "$OUT"; }

# Shows the runner's output once per case when a check of it failed.
shown=
show() {
	[ "$shown" = "$1" ] && return
	shown=$1
	diag "runner exit $RC; its output:"
	sed 's/^/#   /' <<< "$OUT"
}
# expect CASE NAME COMMAND...: one check of the runner's run on CASE.
expect() {
	local case=$1 name=$2
	shift 2
	if "$@"; then ok "$case: $name"; else not_ok "$case: $name"; show "$case"; fi
}

# Each failure canary alone.
for spec in "${FAILING[@]}"; do
	read -r name passes fails why <<< "$spec"
	run_box "$(box "$name" "$name")"
	expect "$name" "run.sh exits non-zero" test "$RC" -ne 0
	expect "$name" "last line: $passes passed, $fails or more failed" \
		tally_is "$passes" ">=$fails" 0
	expect "$name" "a FAIL line names it: $why" has_fail "$name" "$why"
done

# The honest one alone.
run_box "$(box good_with_skip good_with_skip)"
expect good_with_skip "run.sh exits 0" test "$RC" -eq 0
expect good_with_skip "last line: 2 passed, 0 failed, 1 skipped" \
	test "$LAST" = "2 passed, 0 failed, 1 skipped"
expect good_with_skip "its skip listed by reason before the last line" \
	before_last "skipped: 1 x no time namespaces here"
expect good_with_skip "no FAIL line" no_line '^FAIL'

# All together, beside a copy of lib.sh: sourced, not run, not executable.
names=(good_with_skip) least=0
for spec in "${FAILING[@]}"; do
	read -r name passes fails why <<< "$spec"
	names+=("$name") least=$((least + fails))
done
b=$(box together "${names[@]}")
cp tests/e2e/lib.sh "$b/tests/e2e/lib.sh"
chmod 644 "$b/tests/e2e/lib.sh"
run_box "$b"
all_fail_lines() {
	local spec name passes fails why missing=
	for spec in "${FAILING[@]}"; do
		read -r name passes fails why <<< "$spec"
		has_fail "$name" "$why" || missing+=" $name"
	done
	[ -z "$missing" ] || { diag "no FAIL line for:$missing"; return 1; }
}
expect together "run.sh exits non-zero" test "$RC" -ne 0
expect together "last line: 11 passed, $least or more failed, 1 skipped" \
	tally_is 11 ">=$least" 1
expect together "each failure canary has its FAIL line" all_fail_lines
expect together "lib.sh is left out: not run, not a failure" \
	no_line '^[A-Za-z ]+ lib:'

# Unit binaries (FV_TEST_BINDIR, FV_TEST_ONLY=unit): a test_* that is
# not executable fails by name; *.d and *.o are not tests; no e2e suite.
b=$(box unit exits_nonzero_after_oks)
printf '#!/bin/sh\necho 1..1\necho "ok 1 - fine"\n' > "$b/bin/test_fine"
cp "$b/bin/test_fine" "$b/bin/test_noexec"
chmod 755 "$b/bin/test_fine"
chmod 644 "$b/bin/test_noexec"
touch "$b/bin/test_fine.d" "$b/bin/test_fine.o"
run_box "$b" FV_TEST_ONLY=unit
expect unit "run.sh exits non-zero" test "$RC" -ne 0
expect unit "a FAIL line: test_noexec: not executable" \
	has_fail test_noexec "not executable"
expect unit "test_fine passes" has_line "ok   test_fine: 1 - fine"
expect unit "no *.d, *.o or e2e suite is run" \
	no_line 'test_fine\.[do]|exits_nonzero_after_oks'
expect unit "last line: 1 passed, 1 failed, 0 skipped" tally_is 1 1 0
