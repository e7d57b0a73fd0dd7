#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Attach and detach on two namespaces of our own joined by a veth pair:
# exact counters, several namespaces from one process, someone else's XDP
# program left alone, kill -9 and Ctrl-C leave nothing behind, per
# namespace too (XDP and tcx through tests/tools/fv_attached).
set -u
cd "$(dirname "$0")/../.."
. tests/e2e/lib.sh

A=fv-at-a B=fv-at-b
made=()
cleanup() {
	local ns
	for ns in "${made[@]}"; do ip netns del "$ns" 2>/dev/null; done
	rm -rf "$TMP"
}
trap cleanup EXIT

for ns in $A $B; do
	if ip netns list | grep -qE "^$ns( |$)"; then
		skip "namespace $ns exists and is not ours; left alone"
		done_testing
		exit 0
	fi
done
ip netns add $A && made+=($A)
ip netns add $B && made+=($B)
ip link add a0 netns $A type veth peer name b0 netns $B
ip -n $A addr add 10.9.0.1/24 dev a0
ip -n $B addr add 10.9.0.2/24 dev b0
ip -n $A link set a0 up; ip -n $A link set lo up
ip -n $B link set b0 up; ip -n $B link set lo up
# B sends "through" A toward a documentation address, as a client sends
# through its NAT: on A these are leg-1 requests.
ip -n $B route add 192.0.2.0/24 via 10.9.0.1

# send_ntp COUNT: NTP client requests from B (port 1123) to 192.0.2.1:123.
send_ntp() {
	ip netns exec $B python3 - "$1" <<'PY'
import os, socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("10.9.0.2", 1123))
for i in range(int(sys.argv[1])):
    # LI 0, version 4, mode 3; a random transmit timestamp (the cookie).
    s.sendto(bytes([0x23]) + bytes(39) + os.urandom(8), ("192.0.2.1", 123))
    if i % 20 == 19:
        time.sleep(0.01)
PY
}

# 1. Exact counters, and two namespaces from one process.
$FV verify --nat $A:a0 --client $B:b0 --duration 3 --json \
	--ready-file "$TMP/ready1" >"$TMP/v1.json" 2>"$TMP/v1.err" &
pid=$!
if wait_file "$TMP/ready1"; then
	# What is attached, per namespace, while verify runs.
	"$FV_ATTACHED" --ours $A >"$TMP/at1a" 2>&1
	"$FV_ATTACHED" --ours $B >"$TMP/at1b" 2>&1
	send_ntp 300
fi
wait $pid
check "leg 1 counted exactly: 300 requests sent, 300 seen on the NAT" \
	jq_ok "$TMP/v1.json" '.legs[0].packets == 300'
check "the client point in another namespace saw the same 300 leave" \
	jq_ok "$TMP/v1.json" '.clients[0].legs[0].packets == 300'
check "ingress through native XDP, egress through tcx" \
	jq_ok "$TMP/v1.json" '.points[0].interfaces[0].ingress == "xdp-native" and .points[0].interfaces[0].egress == "tcx-egress"'
check "requests nobody forwarded stop inside the NAT" \
	jq_ok "$TMP/v1.json" '.segment == "inside_nat_request"'
check "verify detached everything on exit" nothing_left
# holds_exactly FILE LINE...: FILE has these lines (whole-line regexps)
# and no others.
holds_exactly() {
	local f=$1 l
	shift
	for l in "$@"; do
		grep -qx "$l" "$f" || return 1
	done
	[ "$(wc -l <"$f")" -eq $# ]
}
# fv_attached sees tcx links in their own namespace, and only there.
check "fv_attached: NAT side, XDP and fv_tc_egress on a tcx link in $A" \
	holds_exactly "$TMP/at1a" "a0 xdp-native [0-9]* fv_xdp_ingress" "a0 tcx-egress [0-9]* fv_tc_egress" ||
	diag "$A: $(paste -sd';' "$TMP/at1a")"
check "fv_attached: client side, XDP and fv_tc_egress on a tcx link in $B" \
	holds_exactly "$TMP/at1b" "b0 xdp-native [0-9]* fv_xdp_ingress" "b0 tcx-egress [0-9]* fv_tc_egress" ||
	diag "$B: $(paste -sd';' "$TMP/at1b")"
check "after verify: nothing of ours in $A (XDP, tcx, clsact)" clean_in $A
check "after verify: nothing of ours in $B (XDP, tcx, clsact)" clean_in $B

# 1a. --ingress tc: ingress through a tcx link instead of XDP, same counts.
$FV verify --nat $A:a0 --ingress tc --duration 2 --json \
	--ready-file "$TMP/ready1a" >"$TMP/v1a.json" 2>/dev/null &
pid=$!
wait_file "$TMP/ready1a" && { "$FV_ATTACHED" --ours $A >"$TMP/at1x" 2>&1; send_ntp 50; }
wait $pid
check "--ingress tc: ingress through tcx, no XDP, 50 of 50 requests counted" \
	jq_ok "$TMP/v1a.json" '.points[0].interfaces[0].ingress == "tcx-ingress" and .points[0].interfaces[0].foreign_xdp == false and .legs[0].packets == 50'
check "--ingress tc: fv_attached shows tcx-ingress and tcx-egress in $A, no XDP" \
	holds_exactly "$TMP/at1x" "a0 tcx-ingress [0-9]* fv_tc_ingress" "a0 tcx-egress [0-9]* fv_tc_egress" ||
	diag "$A: $(paste -sd';' "$TMP/at1x")"
check "--ingress tc: nothing of ours left in $A" clean_in $A

# 1b. The NAT's own NTP traffic: requests leaving from its own address
# with no client request behind them are shown apart, never judged.
$FV verify --nat $A:a0 --duration 2 --json --ready-file "$TMP/ready1b" \
	>"$TMP/v1b.json" 2>/dev/null &
pid=$!
if wait_file "$TMP/ready1b"; then
	ip netns exec $A python3 -c '
import os, socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range(7):
    s.sendto(bytes([0x23]) + bytes(39) + os.urandom(8), ("10.9.0.2", 123))'
fi
wait $pid
check "NAT's own requests listed apart (7), not as leg 2" \
	jq_ok "$TMP/v1b.json" '([.nat_own_flows[].packets] | add) == 7 and .legs[1].packets == 0'
check "NAT's own requests alone are no client traffic" \
	jq_ok "$TMP/v1b.json" '.status == "no_traffic"'

# 1c. A flood: events are rate-limited per CPU, counters stay exact. Every
# NTP packet the program saw is either an event, rate-limited, or lost to
# a full ring; none is missing from the counters.
$FV verify --nat $A:a0 --duration 2 --json --ready-file "$TMP/ready1c" \
	>"$TMP/v1c.json" 2>/dev/null &
pid=$!
if wait_file "$TMP/ready1c"; then
	ip netns exec $B python3 -c '
import os, socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("10.9.0.2", 1123))
pkt = bytearray(48); pkt[0] = 0x23
for i in range(30000):
    pkt[40:48] = os.urandom(8)
    try:
        s.sendto(pkt, ("192.0.2.1", 123))
    except OSError:
        pass'
fi
wait $pid
check "flood: some events rate-limited, and counted" \
	jq_ok "$TMP/v1c.json" '.events.rate_limited > 0'
check "flood: counters exact: every NTP packet is an event, rate-limited or lost" \
	jq_ok "$TMP/v1c.json" '.points[0].parser.ntp_packets == .events.received + .events.rate_limited + .events.lost and .legs[0].packets == .points[0].parser.ntp_packets'

# 2. Someone else's XDP program: untouched, tc ingress used instead.
ip -n $A link set dev a0 xdpgeneric obj .output/tests/xdp_pass.bpf.o sec xdp
before=$(ip -n $A -d link show a0 | grep -o 'prog/xdp id [0-9]*')
$FV verify --nat $A:a0 --duration 2 --json --ready-file "$TMP/ready2" \
	>"$TMP/v2.json" 2>"$TMP/v2.err" &
pid=$!
if wait_file "$TMP/ready2"; then
	"$FV_ATTACHED" $A >"$TMP/at2" 2>&1
	"$FV_ATTACHED" --ours $A >"$TMP/at2ours" 2>&1
	send_ntp 10
fi
wait $pid
after=$(ip -n $A -d link show a0 | grep -o 'prog/xdp id [0-9]*')
check "foreign XDP: said so on stderr" grep -q "already carries another XDP program" "$TMP/v2.err"
check "foreign XDP: ingress watched through tc instead" \
	jq_ok "$TMP/v2.json" '.points[0].interfaces[0].ingress == "tcx-ingress" and .points[0].interfaces[0].foreign_xdp == true'
check "foreign XDP: its packets still counted (10 sent)" \
	jq_ok "$TMP/v2.json" '.legs[0].packets == 10'
check "foreign XDP: the other program is still attached, same id" \
	test -n "$before" -a "$before" = "$after"
check "foreign XDP: fv_attached lists it, --ours leaves it out" \
	eval 'grep -qx "a0 xdp-generic [0-9]* other_xdp" "$TMP/at2" &&
	      grep -qx "a0 tcx-ingress [0-9]* fv_tc_ingress" "$TMP/at2ours" &&
	      ! grep -q other_xdp "$TMP/at2ours"' ||
	diag "all: $(paste -sd';' "$TMP/at2"); ours: $(paste -sd';' "$TMP/at2ours")"
ip -n $A link set dev a0 xdpgeneric off
check "foreign XDP: nothing of ours left" nothing_left
check "foreign XDP: nothing of ours left in $A" clean_in $A

# 3. kill -9 leaves nothing attached: links die with the process.
$FV verify --nat $A:a0 --client $B:b0 --duration 60 --ready-file "$TMP/ready3" \
	>/dev/null 2>&1 &
pid=$!
if wait_file "$TMP/ready3"; then
	check "while running, our programs are loaded" test "$(our_progs)" -gt 0
	kill -9 $pid
	wait $pid 2>/dev/null
	for i in $(seq 20); do [ "$(our_progs)" -eq 0 ] && break; sleep 0.1; done
	check "kill -9: nothing left attached" nothing_left
	check "kill -9: no XDP left on the interface" \
		bash -c "! ip -n $A -d link show a0 | grep -q xdp"
	check "kill -9: nothing of ours in $A (XDP, tcx, clsact)" clean_in $A
	check "kill -9: nothing of ours in $B (XDP, tcx, clsact)" clean_in $B
else
	not_ok "verify did not become ready"
fi

# 4. watch: draws frames and detaches on Ctrl-C (SIGINT).
$FV watch --nat $A:a0 --ready-file "$TMP/ready4" >"$TMP/watch.out" 2>"$TMP/watch.err" &
pid=$!
if wait_file "$TMP/ready4"; then
	send_ntp 5
	sleep 2.5
	kill -INT $pid
	wait $pid
	rc=$?
	check "watch exits 0 on Ctrl-C" test $rc -eq 0
	check "watch drew the legs diagram" grep -q "(1)" "$TMP/watch.out"
	check "watch: nothing left after Ctrl-C" nothing_left
	check "watch: nothing of ours in $A after Ctrl-C" clean_in $A
else
	not_ok "watch did not become ready"
	kill $pid 2>/dev/null
fi
done_testing
