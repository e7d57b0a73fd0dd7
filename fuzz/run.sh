#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Runs every libFuzzer target in .output/fuzz (built by `make fuzz-build`):
# first each saved crash in fuzz/regressions/TARGET and each seed in
# fuzz/corpus/TARGET once, then fuzzing for --time seconds. TAP output, one
# line per target and phase. A crash is saved under .output/fuzz/artifacts;
# copy it to fuzz/regressions/TARGET once fixed. New inputs found go to
# .output/fuzz/corpus/TARGET (merge them into fuzz/corpus with -merge=1 if
# they are worth keeping). Usage: fuzz/run.sh [--time S] [TARGET...]
set -u
cd "$(dirname "$0")/.."

time=60
if [ "${1:-}" = "--time" ]; then
	time=$2
	shift 2
fi
out=.output/fuzz
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
	for b in "$out"/fuzz_*; do
		[ -x "$b" ] && targets+=("$(basename "$b")")
	done
fi
n=0
ok() { n=$((n + 1)); echo "ok $n - $*"; }
not_ok() { n=$((n + 1)); echo "not ok $n - $*"; }
if [ ${#targets[@]} -eq 0 ]; then
	echo "not ok 1 - no fuzz targets in $out: run make fuzz-build"
	echo "1..1"
	exit 1
fi
mkdir -p "$out/artifacts"
for t in "${targets[@]}"; do
	bin=$out/$t
	log=$out/$t.log
	mkdir -p "$out/corpus/$t"
	# Saved crashes and the seed corpus, each run once.
	inputs=()
	for d in fuzz/regressions/$t fuzz/corpus/$t; do
		[ -d "$d" ] && inputs+=("$d"/*)
	done
	if [ ${#inputs[@]} -eq 0 ] ||
	   timeout 300 "$bin" -runs=1 "${inputs[@]}" >"$log" 2>&1; then
		ok "$t: ${#inputs[@]} seeds and saved crashes"
	else
		not_ok "$t: a seed or saved crash fails"
		grep -m5 -E 'ERROR|property|runtime error|Running:' "$log" | sed 's/^/# /'
	fi
	# -timeout: a hang is a finding too; rss bound keeps the host safe.
	if timeout $((time + 120)) "$bin" -max_total_time="$time" -timeout=10 \
		-rss_limit_mb=1024 -print_final_stats=1 \
		-artifact_prefix="$out/artifacts/$t-" "$out/corpus/$t" \
		fuzz/corpus/$t >"$log" 2>&1; then
		runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
		ok "$t: fuzzed ${time} s, ${runs:-?} inputs, no crash"
	else
		not_ok "$t: fuzzing found a crash (see $log)"
		grep -m5 -E 'ERROR|property|runtime error|Test unit written' "$log" | sed 's/^/# /'
	fi
done
echo "1..$n"
