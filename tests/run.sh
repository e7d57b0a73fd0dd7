#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Runs every suite (TAP output), prints each result, lists the skips by
# reason and ends with the line "N passed, N failed, N skipped". Exit
# status 1 when any failed.
#
# A suite is judged by how it ended as well as by its results. Most e2e
# suites print their plan last (done_testing in tests/e2e/lib.sh), so one
# that dies part way or is killed leaves only its passes behind: a suite
# that exits non-zero, is killed, prints no plan, or prints fewer or more
# results than its plan fails itself, on a FAIL line naming it and why.
#
#   FV_TEST_ONLY=unit        the unit test binaries only
#   FV_TEST_BINDIR=DIR       the unit test binaries, test_* (.output/tests;
#                            make check-asan points it at the ASan build)
#   FV_TEST_E2E_DIR=DIR      the end-to-end suites, *.sh (tests/e2e)
#   FV_TEST_TIMEOUT=SECONDS  each suite's limit (300 unit, 1800 e2e)
# Relative directories are from the top of the tree.
set -u
cd "$(dirname "$0")/.."

bindir=${FV_TEST_BINDIR:-.output/tests}
e2edir=${FV_TEST_E2E_DIR:-tests/e2e}
pass=0 fail=0 skip=0
skip_reasons=() # one entry per skip, grouped at the end

# suite_failed SUITE WHY [N]: the suite itself failed, counting N (1).
suite_failed() {
	fail=$((fail + ${3:-1}))
	echo "FAIL $1: $2"
}

# results N: "1 result", "2 results".
results() {
	if [ "$1" -eq 1 ]; then echo "1 result"; else echo "$1 results"; fi
}

# tally SUITE RC SECONDS LIMIT OUTPUT: counts one suite's TAP lines, then
# judges the suite by its exit status and its plan.
tally() {
	local suite=$1 rc=$2 took=$3 limit=$4 out=$5
	local line text reason ended desc sig
	local plan=0 plans=0 plan_at=0 seen=0 failed=0
	local skip_re='#[[:space:]]*[Ss][Kk][Ii][Pp][^[:space:]]*[[:space:]]*(.*)$'
	local said= # the diagnostic line just before, without its "# "
	while IFS= read -r line; do
		if [[ $line =~ ^1\.\.([0-9]+) ]]; then
			plan=${BASH_REMATCH[1]} plans=$((plans + 1)) plan_at=$seen said=
			continue
		fi
		case "$line" in
		"ok" | "ok "* | "not ok" | "not ok "*)
			seen=$((seen + 1)) text=${line#not } text=${text#ok } ;;
		"#"*)
			echo "     $line"
			said=${line#\#} said=${said# }
			continue ;;
		*) said=; continue ;;
		esac
		# "ok 3 # SKIP reason" (cmocka: "not ok 3 # SKIP test_name").
		if [[ $line =~ $skip_re ]]; then
			reason=${BASH_REMATCH[1]}
			reason=${reason%"${reason##*[![:space:]]}"}
			# cmocka's skip line has room for the test's name only: our
			# unit tests say why on the line before it, "# skip NAME:
			# why" or "# skipped: why". Group by that, not by name.
			if [[ $line == "not ok"* ]] && [ -n "$reason" ]; then
				case "$said" in
				"skip $reason: "?*) reason=${said#"skip $reason: "} ;;
				"skipped: "?*) reason=${said#"skipped: "} ;;
				esac
			fi
			if [ -n "$reason" ]; then
				skip=$((skip + 1))
				skip_reasons+=("$reason")
				echo "SKIP $suite: $text"
			else
				# A skip nobody can act on hides a test that never ran.
				failed=$((failed + 1)) fail=$((fail + 1))
				echo "FAIL $suite: $text: skip without a reason"
			fi
		elif [[ $line == "not ok"* ]]; then
			failed=$((failed + 1)) fail=$((fail + 1))
			echo "FAIL $suite: $text"
		else
			pass=$((pass + 1))
			echo "ok   $suite: $text"
		fi
		said=
	done <<< "$out"

	# How it ended. timeout(1) exits 124, or 137 when SIGTERM was not
	# enough and it sent SIGKILL; bash reports other signals as 128+N.
	ended=
	if [ "$rc" -eq 124 ]; then
		ended="killed by its $limit s timeout"
	elif [ "$rc" -gt 128 ] && sig=$(kill -l $((rc - 128)) 2>/dev/null); then
		ended="killed by SIG$sig"
		[ "$took" -ge "${limit%.*}" ] 2>/dev/null &&
			ended+=" at its $limit s timeout"
	elif [ "$rc" -ne 0 ]; then
		ended="exited $rc"
	fi

	# Its results against its plan, which TAP puts first or last.
	local bad=1 missing=0
	if [ "$plans" -eq 0 ]; then
		desc="$(results "$seen") and no plan"
	elif [ "$plans" -gt 1 ]; then
		desc="$(results "$seen") and $plans plans"
	elif [ "$plan_at" -ne 0 ] && [ "$plan_at" -ne "$seen" ]; then
		desc="$(results "$seen"), plan 1..$plan among them"
	elif [ "$seen" -lt "$plan" ]; then
		desc="$seen of $plan results"
		missing=$((plan - seen))
	elif [ "$seen" -gt "$plan" ]; then
		desc="$(results "$seen"), more than its plan 1..$plan"
	elif [ "$seen" -eq 0 ]; then
		desc="no results"
	else
		desc="$seen of $plan results" bad=0
	fi

	# All its results there and it ended well: nothing more to say. A
	# non-zero exit its own "not ok" lines explain (cmocka exits with its
	# count of failures) is no second failure; a kill always is.
	[ "$bad" -eq 0 ] && [ -z "$ended" ] && return
	[ "$bad" -eq 0 ] && [ "$failed" -gt 0 ] && [ "$rc" -lt 124 ] && return
	suite_failed "$suite" "${ended:-exited 0} after $desc" $((1 + missing))
	# Its last words (bash's "unbound variable", a sanitizer's report).
	grep -vE '^(ok|not ok)( |$)|^1\.\.[0-9]|^#|^[[:space:]]*$' <<< "$out" |
		tail -n 3 | sed 's/^/     | /'
}

# run SUITE LIMIT COMMAND...: runs one suite under its limit, tallies it.
run() {
	local suite=$1 limit=$2 out rc start=$SECONDS
	shift 2
	# cmocka has no timeout of its own: a hang is a failure, not a stall.
	# -k: a suite that ignores SIGTERM still ends.
	out=$(timeout -k 10 "$limit" "$@" 2>&1)
	rc=$?
	tally "$suite" "$rc" $((SECONDS - start)) "$limit" "$out"
}

# A suite that cannot run fails by name: it must never drop out of the
# count unseen. So does a folder of suites that is not there.
if [ -d "$bindir" ]; then
	for bin in "$bindir"/test_*; do
		case "$bin" in *.d | *.o) continue ;; esac
		[ -f "$bin" ] || continue # also the pattern itself: no binaries
		suite=$(basename "$bin")
		if [ ! -x "$bin" ]; then
			suite_failed "$suite" "not executable"
			continue
		fi
		run "$suite" "${FV_TEST_TIMEOUT:-300}" \
			env CMOCKA_MESSAGE_OUTPUT=TAP "$bin"
	done
else
	suite_failed "$bindir" "no such directory (unit test binaries)"
fi

if [ "${FV_TEST_ONLY:-}" != "unit" ]; then
	if [ -d "$e2edir" ]; then
		for script in "$e2edir"/*.sh; do
			[ -f "$script" ] || continue
			suite=$(basename "$script" .sh)
			# Sourced by the suites, not one itself.
			[ "$suite" = lib ] && continue
			if [ ! -x "$script" ]; then
				suite_failed "$suite" "not executable"
				continue
			fi
			run "$suite" "${FV_TEST_TIMEOUT:-1800}" "$script"
		done
	else
		suite_failed "$e2edir" "no such directory (e2e suites)"
	fi
fi

# Skips by reason, the same reason once with its count.
if [ ${#skip_reasons[@]} -gt 0 ]; then
	printf '%s\n' "${skip_reasons[@]}" | sort | uniq -c |
		sed -E 's/^ *([0-9]+) /skipped: \1 x /'
fi
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
