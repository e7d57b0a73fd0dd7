#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# make bench's own tools work: fvbench prog loads and runs every case
# (flowverify's programs, the empty floors, the parts of the NTP path),
# the rings are drained so every event arrives, and bench/table.sh prints
# the parts and the targets' explanations. No timing is judged here.
set -u
cd "$(dirname "$0")/../.."
. tests/e2e/lib.sh
trap 'rm -rf "$TMP"' EXIT

B=.output/bench/fvbench
if [ "$(id -u)" != 0 ]; then
	echo "1..0 # SKIP not root: BPF_PROG_TEST_RUN needs CAP_BPF and CAP_NET_ADMIN"
	exit 0
fi

out=$TMP/prog.json
# -n 1000: 100 warm-up runs then 1000 per round, 2 rounds.
if $B prog -r 2 -n 1000 -c 0 >"$out" 2>"$TMP/prog.err"; then
	ok "fvbench prog: exit 0"
else
	not_ok "fvbench prog: exit 0"
	diag_file "$TMP/prog.err" "stderr: "
fi
check "fvbench prog: its output is one JSON object" jq_ok "$out" 'type == "object"'

parts='["part_clock","part_coarse_clock","part_flow_key16","part_flow_key20","part_flow_key44","part_ring"]'
check "fvbench prog: each part of the NTP path ran on XDP, with a time" \
	jq_ok "$out" "[.results[] | select(.variant == \"part\" and .hook == \"xdp\" and .ns_median > 0) | .frame] == $parts"
check "fvbench prog: every part's record reached user space (100 + 2 x 1000)" \
	jq_ok "$out" '.part_ring_received == 2100'
# 4 NTP frames x 2 hooks with events, each 100 + 2 x 1000 runs.
check "fvbench prog: every NTP run with events gave one, none lost (8 x 2100)" \
	jq_ok "$out" '.events_received == 16800 and .with_event_lost == 0' ||
	diag "got: $(jq -c '{events_received, with_event_lost, part_ring_received}' "$out")"
check "fvbench prog: without events, every NTP packet counted and rate-limited" \
	jq_ok "$out" '.no_event_ntp_packets == 16800 and .no_event_limited == 16800'

# The table: a full run's results (tests/fixtures/bench, 2026-11-30) with
# this run's per-packet part.
jq -s '.[0] + {per_packet: .[1]}' tests/fixtures/bench/results.json "$out" >"$TMP/results.json"
bench/table.sh "$TMP/results.json" >"$TMP/table" 2>"$TMP/table.err"
check "bench/table.sh: prints one line per part of the NTP path" \
	eval '[ "$(sed -n "/^Parts of an NTP packet/,/^$/p" "$TMP/table" | grep -c "^  .* [+-][0-9]")" = 6 ]' ||
	diag_file "$TMP/table.err" "stderr: "
# The explanations are printed when their target is missed; with targets
# met they are not, so say which case this run was.
if grep -q "NTP packet <= floor + 50 ns (with event).*MISSED" "$TMP/table"; then
	check "bench/table.sh: a missed event target is followed by its measured parts" \
		grep -Eq "the precise clock and the ring's reserve and submit, alone: [+-][0-9]" "$TMP/table"
else
	check "bench/table.sh: the event target met, no explanation printed" \
		eval '! grep -q "the precise clock and the ring" "$TMP/table"'
fi
# The fixture's run missed the forwarding and softirq targets: each is
# followed by what the programs' own run time was in that run.
check "bench/table.sh: the missed softirq target is followed by the programs' run time (fixture: +0.7%)" \
	grep -q "run time measured apart: +0.7%; this row's rounds ran -5.6% to +61.5%" "$TMP/table"
check "bench/table.sh: the missed forwarding target is followed by empty tc programs and the run time" \
	grep -q "empty tc programs on the same two hooks, same run: 87%; flowverify's programs over empty ones: +19.1 ns a packet" "$TMP/table"

# fvbench runtime: the runs of a program by id, counted while it runs
# (here 1000 test runs of a part, pinned in a folder of our own).
pins=/sys/fs/bpf/fv-bench-tools-$$
trap 'rm -rf "$TMP" "$pins"' EXIT
if bpftool prog loadall .output/tests/bench_parts.bpf.o "$pins" type xdp 2>"$TMP/load.err"; then
	id=$(bpftool -j prog show pinned "$pins/part_clock" | jq .id)
	head -c 64 /dev/zero >"$TMP/frame"
	$B runtime -i "$id" >"$TMP/rt.json" 2>"$TMP/rt.err" &
	rt=$!
	wait_until 10 grep -q "runtime ready" "$TMP/rt.err"
	bpftool prog run pinned "$pins/part_clock" data_in "$TMP/frame" repeat 1000 >/dev/null 2>&1
	kill -INT $rt
	wait $rt
	check "fvbench runtime: exit 0 on SIGINT" test $? = 0
	check "fvbench runtime: counted the 1000 runs of program $id, with their time" \
		jq_ok "$TMP/rt.json" ".programs == [.programs[0]] and .programs[0].id == $id and .programs[0].runs == 1000 and .programs[0].run_time_ns > 0" ||
		diag "got: $(cat "$TMP/rt.json") $(cat "$TMP/rt.err")"
	rm -rf "$pins"
else
	not_ok "fvbench runtime: the parts loaded with bpftool"
	diag_file "$TMP/load.err" "bpftool: "
fi
$B runtime >/dev/null 2>"$TMP/noarg.err"
rc=$?
check "fvbench runtime without -i: exit 2, one line on stderr" \
	eval '[ $rc = 2 ] && [ "$(wc -l <"$TMP/noarg.err")" = 1 ]'
done_testing
