#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Journeys and drop reasons in the lab, with real chronyd and the real
# kernel: every exchange answered with its NAT mapping and latencies, trace
# lines, the kernel's own reason for drops inside the NAT, a stray reply
# with no mapping, and a Kiss-o'-Death server.
#
# Every command under test keeps its stderr (shown as diagnostics when its
# check fails) and its exact exit status is checked: verify exits 0 when
# replies get through, 1 on a fault; trace stopped by SIGINT exits 0.
# Every lab fault is a check of its own, and the checks that need it are
# not run (a not_ok naming it) when it failed. Waits poll with a deadline.
set -u
cd "$(dirname "$0")/../.."
. tests/e2e/lib.sh

NAT=$NS_NAT:eth0 CLIENT=$NS_CLIENT:eth0
we_made_lab=0 tracer=
cleanup() {
	[ -n "$tracer" ] && kill "$tracer" 2>/dev/null && wait "$tracer" 2>/dev/null
	[ $we_made_lab -eq 1 ] && lab down >/dev/null 2>&1
	rm -rf "$TMP"
}
trap cleanup EXIT
# What it runs, copied (snapshot, lib.sh): others rebuild meanwhile.
snapshot FV FV_ATTACHED || { done_testing; exit 1; }

# verify_json OUT ARGS...: verify --json on this lab; stdout in OUT, stderr
# in OUT.err, exit status in OUT.rc.
verify_json() {
	local out=$1
	shift
	capture "$out" $FV verify --nat $NAT --json "$@"
}

# not_run NAME WHY: a check that could not run, failed, naming why.
not_run() { not_ok "$1 (not run: $2)"; }

# The kernel's drop reasons (has_drop_reasons, lib.sh: 5.17 on): where it
# has none, the verdicts are checked, the reasons skipped, and --drops on
# (which needs them) is not asked for.
REASONS=0 DROPS_ON=()
has_drop_reasons && REASONS=1 DROPS_ON=(--drops on)
NO_REASONS="this kernel has no drop reasons (SKB_DROP_REASON_NETFILTER_DROP, 5.17)"

lab_up

# 1. Healthy: every exchange answered, with the mapping and latencies.
out=$TMP/healthy.json
verify_json "$out" --client $CLIENT --duration 3
check_run "healthy: status ok, exit 0" 0 "$out" jq_ok "$out" '.status == "ok" and .segment == null'
check "healthy: exchanges answered, none unanswered" \
	jq_ok "$out" '.exchanges.answered > 0 and .exchanges.unanswered == 0'
check "healthy: the NAT mapping learned from cookies (client 1123 kept as 1123)" \
	jq_ok "$out" '.nat_mappings == [{"inside": "10.0.1.10:1123", "outside": "10.0.0.5:1123", "exchanges": .exchanges.answered}]'
check "healthy: latency for all five segments, p50 <= p99 <= max" \
	jq_ok "$out" '[.exchanges.latency_seconds | to_entries[] | select(.value.count > 0 and .value.p50 <= .value.p99 and .value.p99 <= .value.max) | .key] | sort == ["beyond_nat", "client_to_nat", "inside_nat_reply", "inside_nat_request", "nat_to_client"]'
check "healthy: the server's stratum and refid (chrony 'local stratum 8')" \
	jq_ok "$out" '.servers[0].server == "198.51.100.123:123" and .servers[0].stratum == 8 and .kod.replies == 0'
check "healthy: the drop tracer is not attached when nothing is lost" \
	jq_ok "$out" '.drop_tracer.state == "not needed" and .drops == []'

# 2. trace: one line per exchange. It runs until it has printed what the
# check needs (polled, 60 s at most; the lab's client sends 4 a second),
# then SIGINT stops it: exit 0. Lines it printed for exchanges still in
# flight at that moment ("in_flight", only ever the last ones) are not
# answered yet, and are allowed only at the end.
# trace_until OUT DEADLINE_S COMMAND... -- [TRACE ARGS]: trace in the
# background (bg_start: stdout OUT, stderr OUT.err) until COMMAND holds,
# at most DEADLINE_S seconds, then SIGINT; its exit status in OUT.rc, with
# a note when COMMAND never held. A trace that outlives SIGINT by 60 s is
# killed (bg_finish), which fails the check too.
trace_until() {
	local out=$1 deadline=$2 cond=() held=1
	shift 2
	while [ $# -gt 0 ] && [ "$1" != -- ]; do cond+=("$1"); shift; done
	shift
	bg_start "$out" $FV trace --nat $NAT --client $CLIENT --duration 120 "$@"
	tracer=$BG_PID
	wait_until "$deadline" "${cond[@]}" || held=0
	kill -INT "$tracer"
	bg_finish "$out" 60
	tracer=
	[ $held -eq 1 ] ||
		echo "$(cat "$out.rc") (stopped at the deadline: what the check needs never came in $deadline s)" >"$out.rc"
}
answered_lines() { [ "$(grep -c '"outcome":"answered"' "$1")" -ge "$2" ]; }
trace_until "$TMP/trace" 60 answered_lines "$TMP/trace" 4 -- --json
lines=$(wc -l <"$TMP/trace")
check_run "trace --json: at least 4 answered exchanges, exit 0 on SIGINT ($lines lines)" 0 "$TMP/trace" \
	answered_lines "$TMP/trace" 4
trace_json_right() {
	jq -s -e 'length > 0 and
		(map(.outcome) | (index("in_flight") // length) as $f | .[$f:] | all(. == "in_flight")) and
		all(.outcome == "in_flight" or (.outcome == "answered" and .outside == "10.0.0.5:1123")) and
		all((.cookie | length) == 16)' "$1" >/dev/null
}
if trace_json_right "$TMP/trace"; then
	ok "trace: each line a JSON exchange, answered, through 10.0.0.5:1123"
else
	not_ok "trace: each line a JSON exchange, answered, through 10.0.0.5:1123"
	{ jq -c 'select(.outcome != "answered" or .outside != "10.0.0.5:1123" or (.cookie | length) != 16)' "$TMP/trace" ||
		head -c 800 "$TMP/trace"; } 2>&1 | head -20 | sed 's/^/# /'
fi
TEXT_LINE="answered  10.0.1.10:1123 -> 10.0.0.5:1123 -> 198.51.100.123:123  client_to_nat"
trace_until "$TMP/trace.txt" 60 grep -qF "$TEXT_LINE" "$TMP/trace.txt" --
check_run "trace: text lines name the path and segment times, exit 0 on SIGINT" 0 "$TMP/trace.txt" \
	grep -qF "$TEXT_LINE" "$TMP/trace.txt" ||
	diag_file "$TMP/trace.txt" "stdout: "

# 3. A firewall on the NAT dropping forwarded replies: the kernel's reason.
# The drop tracer attaches itself once an exchange is lost (after the 1 s
# reply timeout) and must then see more replies dropped inside the window:
# 8 s, for a busy machine, where loading it takes a while.
if lab_fault_set nat-firewall-drops-replies; then
	out=$TMP/fwd.json
	verify_json "$out" --client $CLIENT --duration 8
	if [ $REASONS = 0 ]; then
		check_run "forward drop: inside_nat_reply, exit 1, no reason claimed, the drop tracer says why" 1 "$out" \
			jq_ok "$out" '.status == "fault" and .segment == "inside_nat_reply" and ((.drops // []) | all(.reason == null)) and .drop_tracer.state != null'
		skip "forward drop: NETFILTER_DROP in ip_forward: $NO_REASONS"
		skip "forward drop: the evidence sentence names the reason: $NO_REASONS"
	else
		check_run "forward drop: inside_nat_reply, exit 1, drop tracer attached on its own (auto)" 1 "$out" \
			jq_ok "$out" '.status == "fault" and .segment == "inside_nat_reply" and .drop_tracer.state == "tp_btf"'
		check "forward drop: NETFILTER_DROP in ip_forward on leg 3, on the NAT" \
			jq_ok "$out" '.drops | any(.reason == "NETFILTER_DROP" and .leg == 3 and .route == "ip_forward" and .host == "nat" and (.location | startswith("nft_do_chain+0x")) and .count > 0)' ||
			diag "drop tracer: $(jq -c '.drop_tracer' "$out" 2>/dev/null), drops: $(jq -c '.drops' "$out" 2>/dev/null | head -c 800)"
		check "forward drop: the evidence sentence names the reason" \
			jq_ok "$out" '.evidence | test("leg 3 arrived on eth0 and was dropped inside the NAT host: NETFILTER_DROP in ip_forward")' ||
			diag "got: $(jq -c '{status, segment, evidence, drop_tracer, drops, exchanges: (.exchanges | del(.latency_seconds))}' "$out" 2>/dev/null | head -c 1200)"
	fi
else
	not_run "forward drop: inside_nat_reply, NETFILTER_DROP, evidence" "lab fault nat-firewall-drops-replies failed"
fi

# 4. ip_forward off: the routing drop.
if lab_fault_set no-ip-forward; then
	out=$TMP/nofwd.json
	verify_json "$out" --client $CLIENT --duration 3 "${DROPS_ON[@]}"
	if [ $REASONS = 1 ]; then
		check_run "ip_forward off: inside_nat_request, exit 1, with the kernel's routing drop on leg 1" 1 "$out" \
			jq_ok "$out" '.status == "fault" and .segment == "inside_nat_request" and (.drops | any(.leg == 1 and .hook == "routing" and .reason == "IP_INADDRERRORS"))'
	else
		check_run "ip_forward off: inside_nat_request, exit 1 (the routing drop's reason: $NO_REASONS)" 1 "$out" \
			jq_ok "$out" '.status == "fault" and .segment == "inside_nat_request"'
	fi
else
	not_run "ip_forward off: inside_nat_request" "lab fault no-ip-forward failed"
fi

# 5. A stray reply with no mapping: counted apart (the verdict stays ok,
# exit 0: the lab is healthy), and the kernel says why it died (no socket
# for it on the NAT). The sender starts (and binds) before verify, and
# sends the moment verify is ready, so that its replies go inside verify's
# window (6 s from its ready file); in_window names that precondition if
# they did not.
# sender GO READY: in the server's namespace, from the server's address
# and port 123, as a reply would come, 3 replies whose origin timestamp is
# a cookie nobody sent; bound, it writes READY, then sends once GO exists
# (it gives up after 120 s).
sender() {
	ip netns exec $NS_SERVER python3 -c '
import os, socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("198.51.100.123", 123))
open(sys.argv[2], "w").close()
end = time.monotonic() + 120
while not os.path.exists(sys.argv[1]):
    if time.monotonic() > end:
        sys.exit("no go in 120 s")
    time.sleep(0.01)
for i in range(3):
    s.sendto(bytes([0x24, 2]) + bytes(22) + os.urandom(8) + bytes(16), ("10.0.0.5", 40123))' "$@"
}
if lab_fault_set none; then
	out=$TMP/stray.json
	sender "$TMP/go" "$TMP/sender.ready" 2>"$TMP/sender.err" &
	spid=$!
	if ! wait_until 60 eval '[ -e "$TMP/sender.ready" ] || ended $spid'; then
		not_ok "stray reply: precondition: the sender bound 198.51.100.123:123 (60 s)"
		kill $spid 2>/dev/null
		wait $spid 2>/dev/null
	elif [ ! -e "$TMP/sender.ready" ]; then
		wait $spid
		not_ok "stray reply: precondition: the sender bound 198.51.100.123:123 (it exited $?)"
		diag_file "$TMP/sender.err"
	else
		bg_start "$out" $FV verify --nat $NAT --json --duration 6 "${DROPS_ON[@]}" --ready-file "$TMP/ready"
		if bg_ready "$out" "$TMP/ready" "stray reply: verify --ready-file" 60; then
			touch "$TMP/go"
			wait_until 60 ended $spid || kill $spid 2>/dev/null
			wait $spid
			rc=$?
			bg_sent "$out"
			check "stray reply: three sent from the server's 198.51.100.123:123 (sender exit $rc)" \
				test $rc -eq 0 || diag_file "$TMP/sender.err"
			bg_finish "$out" 60
			check_run "stray reply: counted as unmatched, the verdict stays ok, exit 0" 0 "$out" \
				in_window "$out" 6 jq_ok "$out" '.status == "ok" and .events.unmatched_replies >= 1'
			if [ $REASONS = 1 ]; then
				check "stray reply: dropped on the NAT for want of a socket (NO_SOCKET, leg 3)" \
					jq_ok "$out" '.drops | any(.reason == "NO_SOCKET" and .leg == 3 and .dst == "10.0.0.5:40123")'
			else
				skip "stray reply: NO_SOCKET on leg 3: $NO_REASONS"
			fi
		else
			kill $spid 2>/dev/null
			wait $spid 2>/dev/null
		fi
	fi
else
	not_run "stray reply: unmatched, NO_SOCKET" "lab fault none failed"
fi

# 6. A server that answers with Kiss-o'-Death.
if ! $FV lab faults >"$TMP/faults" 2>&1 || ! grep -q '^server-kod ' "$TMP/faults"; then
	not_ok "KoD: the lab has a server-kod fault ('flowverify lab faults')"
	diag_file "$TMP/faults"
elif lab_fault_set server-kod; then
	out=$TMP/kod.json
	verify_json "$out" --client $CLIENT --duration 3
	check_run "KoD: flagged with its code, a fault of its own kind, exit 1" 1 "$out" \
		jq_ok "$out" '.status == "fault" and .segment == null and .kod.codes.RATE > 0 and (.explanation | test("Kiss-o.-Death"))'
else
	not_run "KoD: flagged with its code" "lab fault server-kod failed"
fi

# Scoped to this suite's lab: other suites and users may have programs
# attached elsewhere on this machine.
check "nothing left attached in this suite's lab" lab_clean
check "lab down" quiet lab down
we_made_lab=0
check "no namespace of this suite's lab left" lab_gone
done_testing
