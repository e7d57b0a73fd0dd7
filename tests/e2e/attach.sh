#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Attach and detach on two namespaces of our own joined by a veth pair:
# exact counters, several namespaces from one process, someone else's XDP
# program left alone, kill -9 and Ctrl-C leave nothing behind, per
# namespace too (ours_in, lib.sh: XDP and tcx through
# tests/tools/fv_attached, clsact filters through tc).
#
# The tc hooks are tcx links where the kernel has tcx (6.6 on) and clsact
# filters where it has not, or with FV_TC=clsact (tc_mode, lib.sh): every
# hook name below is $TC's. kill -9 leaves nothing with tcx; with clsact
# our filters stay (documented: `flowverify cleanup --help`) until
# `flowverify cleanup --filters`.
#
# Every run under test keeps its stderr (shown when its check fails) and
# its exact exit status is checked: verify exits 1 here (nothing answers
# the requests, or there are none: a fault, or no traffic), watch 0 on
# Ctrl-C, kill -9 is status 137. Waits poll for a condition with a
# deadline; a section whose setup fails says so (a not_ok naming it) and
# skips the checks that needed it. "Nothing left" is checked on the
# programs our own runs held (progs_gone) and in our namespaces, never
# machine-wide: other engineers' runs share this machine.
set -u
cd "$(dirname "$0")/../.."
. tests/e2e/lib.sh

A=fv-at-a$$ B=fv-at-b$$
made=()
cleanup() {
	local ns
	[ -n "${BG_PID:-}" ] && kill -9 "$BG_PID" 2>/dev/null
	for ns in "${made[@]}"; do ip netns del "$ns" 2>/dev/null; done
	rm -rf "$TMP"
}
trap cleanup EXIT
# What it runs and loads, copied (snapshot, lib.sh): others rebuild meanwhile.
XDP_PASS=.output/tests/xdp_pass.bpf.o
snapshot FV FV_ATTACHED XDP_PASS || { done_testing; exit 1; }
TC=$(tc_mode)
diag "tc hooks here: $TC${FV_TC:+ (FV_TC=$FV_TC)}"

# B sends "through" A toward a documentation address, as a client sends
# through its NAT: on A these are leg-1 requests.
if ! {
	veth_pair $A $B a0 b0 10.9.0 &&
	ip -n $B route add 192.0.2.0/24 via 10.9.0.1
} >"$TMP/setup" 2>&1; then
	not_ok "setup: namespaces $A and $B, a veth pair between them, B routed through A"
	diag_file "$TMP/setup" "setup: "
	done_testing
	exit 1
fi

# send_ntp COUNT: NTP client requests from B (port 1123) to 192.0.2.1:123.
send_ntp() {
	ip netns exec $B python3 - "$1" <<'PY' && return 0
import os, socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("10.9.0.2", 1123))
for i in range(int(sys.argv[1])):
    # LI 0, version 4, mode 3; a random transmit timestamp (the cookie).
    s.sendto(bytes([0x23]) + bytes(39) + os.urandom(8), ("192.0.2.1", 123))
    if i % 20 == 19:
        time.sleep(0.01)
PY
	diag "sending $1 requests from $B failed"
	return 1
}

# send_at READY OUT NS SRC DST COUNT: a sender of COUNT NTP requests from
# SRC (ip:port, port 0 for any) in namespace NS to DST (ip), started now,
# before the run it feeds: it waits (polling, 120 s at most) for READY to
# appear, then sends at once and writes when it was done to OUT.sent (as
# bg_sent, for in_window). Python's start, fv_attached and the rest happen
# outside the window, which a slow machine (emulation) no longer eats
# into. Its pid in $SEND_PID; send_done waits for it.
send_at() {
	rm -f "$1" "$2.sent"
	ip netns exec "$3" python3 - "$1" "$2.sent" "$4" "$5" "$6" >"$2.send" 2>&1 <<'PY' &
import os, socket, sys, time
ready, sent, src, dst, n = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
ip, port = src.rsplit(":", 1)
s.bind((ip, int(port)))
pkts = [bytes([0x23]) + bytes(39) + os.urandom(8) for i in range(n)]
end = time.monotonic() + 120
while not os.path.exists(ready):
    if time.monotonic() > end:
        sys.exit("not ready within 120 s: nothing sent")
    time.sleep(0.01)
for i, p in enumerate(pkts):
    # LI 0, version 4, mode 3; a random transmit timestamp (the cookie).
    s.sendto(p, (dst, 123))
    if i % 20 == 19:
        time.sleep(0.01)
with open(sent, "w") as f:
    f.write("%.6f\n" % time.time())
PY
	SEND_PID=$!
}
# send_done OUT WHAT: the sender started by send_at OUT has sent it all.
send_done() {
	wait "$SEND_PID" && [ -s "$1.sent" ] && return 0
	diag "sending $2 failed"
	diag_file "$1.send" "sender: "
	return 1
}
# send_stop: the sender is not needed (its run was not ready).
send_stop() { kill "$SEND_PID" 2>/dev/null; wait "$SEND_PID" 2>/dev/null; }

# ids_of FILE: the program ids (third field) of ours_in lines in FILE.
ids_of() { awk '{print $3}' "$1" | sort -un; }
# held_all FILE: every program listed in FILE is one the run held ($held).
held_all() {
	local id
	for id in $(ids_of "$1"); do
		grep -qx "$id" <<<"$held" || { diag "program $id in ${1##*/} is not one the run held ($(echo $held))"; return 1; }
	done
}

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

# 1. Exact counters, and two namespaces from one process; through native
# XDP, asked for (tc is the default: tests/e2e/ingress.sh, and 1a here).
out=$TMP/v1.json
send_at "$TMP/ready1" "$out" $B 10.9.0.2:1123 192.0.2.1 300
bg_start "$out" $FV verify --nat $A:a0 --client $B:b0 --ingress xdp --duration 6 --json \
	--ready-file "$TMP/ready1"
if bg_ready "$out" "$TMP/ready1" "exact counters"; then
	# What is attached, per namespace, and what verify holds, while it runs.
	ours_in $A >"$TMP/at1a" 2>&1
	ours_in $B >"$TMP/at1b" 2>&1
	held=$(progs_held "$BG_PID")
	send_done "$out" "300 requests from $B"
	bg_finish "$out"
	check_run "leg 1 counted exactly: 300 requests sent, 300 seen on the NAT" 1 "$out" \
		in_window "$out" 6 jq_ok "$out" '.legs[0].packets == 300'
	check_run "the client point in another namespace saw the same 300 leave" 1 "$out" \
		in_window "$out" 6 jq_ok "$out" '.clients[0].legs[0].packets == 300'
	check_run "--ingress xdp: ingress through native XDP, egress through $TC" 1 "$out" \
		jq_ok "$out" ".points[0].interfaces[0].ingress == \"xdp-native\" and .points[0].interfaces[0].egress == \"$TC-egress\""
	check_run "requests nobody forwarded stop inside the NAT: a fault, exit 1" 1 "$out" \
		jq_ok "$out" '.status == "fault" and .segment == "inside_nat_request"'
	check "verify detached everything on exit: none of the programs it held is left, anywhere" \
		progs_gone $held
	# Seen in their own namespace, and only there: tcx links
	# (fv_attached), clsact filters (tc -n).
	check "attached: NAT side, XDP and fv_tc_egress on $TC egress in $A, verify's" \
		eval 'holds_exactly "$TMP/at1a" "a0 xdp-native [0-9]* fv_xdp_ingress" "a0 $TC-egress [0-9]* fv_tc_egress" && held_all "$TMP/at1a"' ||
		diag "$A: $(paste -sd';' "$TMP/at1a")"
	check "attached: client side, XDP and fv_tc_egress on $TC egress in $B, verify's" \
		eval 'holds_exactly "$TMP/at1b" "b0 xdp-native [0-9]* fv_xdp_ingress" "b0 $TC-egress [0-9]* fv_tc_egress" && held_all "$TMP/at1b"' ||
		diag "$B: $(paste -sd';' "$TMP/at1b")"
	check "after verify: nothing of ours in $A (XDP, tcx, clsact)" clean_in $A
	check "after verify: nothing of ours in $B (XDP, tcx, clsact)" clean_in $B
else
	send_stop
fi

# 1a. --ingress tc (the default, said here): ingress through tc ($TC), no
# XDP, same counts.
out=$TMP/v1a.json
send_at "$TMP/ready1a" "$out" $B 10.9.0.2:1123 192.0.2.1 50
bg_start "$out" $FV verify --nat $A:a0 --ingress tc --duration 6 --json \
	--ready-file "$TMP/ready1a"
if bg_ready "$out" "$TMP/ready1a" "--ingress tc"; then
	ours_in $A >"$TMP/at1x" 2>&1
	held=$(progs_held "$BG_PID")
	send_done "$out" "50 requests from $B"
	bg_finish "$out"
	check_run "--ingress tc: ingress through $TC, no XDP, 50 of 50 requests counted, exit 1" 1 "$out" \
		in_window "$out" 6 jq_ok "$out" ".points[0].interfaces[0].ingress == \"$TC-ingress\" and .points[0].interfaces[0].foreign_xdp == false and .legs[0].packets == 50"
	check "--ingress tc: $TC-ingress and $TC-egress in $A, verify's, no XDP" \
		eval 'holds_exactly "$TMP/at1x" "a0 $TC-ingress [0-9]* fv_tc_ingress" "a0 $TC-egress [0-9]* fv_tc_egress" && held_all "$TMP/at1x"' ||
		diag "$A: $(paste -sd';' "$TMP/at1x")"
	check "--ingress tc: nothing of ours left in $A" clean_in $A
else
	send_stop
fi

# 1b. The NAT's own NTP traffic: requests leaving from its own address
# with no client request behind them are shown apart, never judged.
out=$TMP/v1b.json
send_at "$TMP/ready1b" "$out" $A 0.0.0.0:0 10.9.0.2 7
bg_start "$out" $FV verify --nat $A:a0 --duration 6 --json --ready-file "$TMP/ready1b"
if ! bg_ready "$out" "$TMP/ready1b" "NAT's own requests"; then
	send_stop
else
	send_done "$out" "7 requests from $A"
	bg_finish "$out"
	check_run "NAT's own requests listed apart (7), not as leg 2" 1 "$out" \
		in_window "$out" 6 jq_ok "$out" '([.nat_own_flows[].packets] | add) == 7 and .legs[1].packets == 0'
	check_run "NAT's own requests alone are no client traffic (no_traffic, exit 1)" 1 "$out" \
		jq_ok "$out" '.status == "no_traffic"'
fi

# 1c. A flood: events are rate-limited per CPU, counters stay exact. Every
# NTP packet the program saw is either an event, rate-limited, or lost to
# a full ring; none is missing from the counters. The flood is built first
# and sent 1024 requests to a system call (sendmmsg), back to back: far
# above the 20000 events a second each CPU may queue, even on a loaded
# machine (one request per Python call was not, there, and nothing was
# rate-limited).
# Built before verify starts, sent once it is ready (as send_at).
out=$TMP/v1c.json
rm -f "$TMP/ready1c"
ip netns exec $B python3 - 30000 "$TMP/ready1c" "$out.sent" >"$TMP/flood.sent" 2>"$TMP/flood.err" <<'PY' &
import ctypes, os, socket, sys, time
libc = ctypes.CDLL(None, use_errno=True)
class iovec(ctypes.Structure):
    _fields_ = [("base", ctypes.c_void_p), ("len", ctypes.c_size_t)]
class msghdr(ctypes.Structure):
    _fields_ = [("name", ctypes.c_void_p), ("namelen", ctypes.c_uint32),
                ("iov", ctypes.POINTER(iovec)), ("iovlen", ctypes.c_size_t),
                ("control", ctypes.c_void_p), ("controllen", ctypes.c_size_t),
                ("flags", ctypes.c_int)]
class mmsghdr(ctypes.Structure):
    _fields_ = [("hdr", msghdr), ("len", ctypes.c_uint)]
n = int(sys.argv[1])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("10.9.0.2", 1123))
dst = socket.inet_aton("192.0.2.1")
# struct sockaddr_in: family, port 123, address.
sa = ctypes.create_string_buffer(socket.AF_INET.to_bytes(2, "little") + (123).to_bytes(2, "big") + dst + bytes(8), 16)
cookies = os.urandom(8 * n)
data = ctypes.create_string_buffer(b"".join(b"\x23" + bytes(39) + cookies[8 * i:8 * i + 8] for i in range(n)), 48 * n)
iovs = (iovec * n)()
msgs = (mmsghdr * n)()
for i in range(n):
    iovs[i].base = ctypes.addressof(data) + 48 * i
    iovs[i].len = 48
    msgs[i].hdr.name = ctypes.addressof(sa)
    msgs[i].hdr.namelen = 16
    msgs[i].hdr.iov = ctypes.pointer(iovs[i])
    msgs[i].hdr.iovlen = 1
end = time.monotonic() + 120
while not os.path.exists(sys.argv[2]):
    if time.monotonic() > end:
        sys.exit("not ready within 120 s: nothing sent")
    time.sleep(0.01)
sent = 0
while sent < n:
    r = libc.sendmmsg(s.fileno(), ctypes.byref(msgs, sent * ctypes.sizeof(mmsghdr)), min(1024, n - sent), 0)
    if r < 0:
        e = ctypes.get_errno()
        if e in (4, 11, 105):  # EINTR, EAGAIN, ENOBUFS: again
            continue
        raise OSError(e, os.strerror(e))
    sent += r
with open(sys.argv[3], "w") as f:
    f.write("%.6f\n" % time.time())
print(sent)
PY
SEND_PID=$!
bg_start "$out" $FV verify --nat $A:a0 --duration 6 --json --ready-file "$TMP/ready1c"
if ! bg_ready "$out" "$TMP/ready1c" "flood"; then
	send_stop
else
	wait $SEND_PID ||
		{ diag "the flood from $B failed"; diag_file "$TMP/flood.err" "flood: "; }
	bg_finish "$out"
	sent=$(cat "$TMP/flood.sent")
	check_run "flood: some events rate-limited, and counted" 1 "$out" \
		jq_ok "$out" '.events.rate_limited > 0' ||
		diag "events: $(jq -c .events "$out" 2>/dev/null)"
	check_run "flood: counters exact: all ${sent:-?} requests counted, every one an event, rate-limited or lost" 1 "$out" \
		in_window "$out" 6 jq_ok "$out" ".points[0].parser.ntp_packets == ${sent:-0} and .points[0].parser.ntp_packets == .events.received + .events.rate_limited + .events.lost and .legs[0].packets == .points[0].parser.ntp_packets" ||
		diag "got: $(jq -c '{ntp: .points[0].parser.ntp_packets, leg1: .legs[0].packets, events}' "$out" 2>/dev/null)"
fi

# 2. Someone else's XDP program, --ingress xdp asked: untouched, tc
# ingress used instead.
if ip -n $A link set dev a0 xdpgeneric obj "$XDP_PASS" sec xdp >"$TMP/xdp2" 2>&1 &&
	before=$(ip -n $A -d link show a0 | grep -o 'prog/xdp id [0-9]*') && [ -n "$before" ]; then
	out=$TMP/v2.json
	send_at "$TMP/ready2" "$out" $B 10.9.0.2:1123 192.0.2.1 10
	bg_start "$out" $FV verify --nat $A:a0 --ingress xdp --duration 6 --json --ready-file "$TMP/ready2"
	if ! bg_ready "$out" "$TMP/ready2" "foreign XDP"; then
		send_stop
	else
		"$FV_ATTACHED" $A >"$TMP/at2" 2>&1
		ours_in $A >"$TMP/at2ours" 2>&1
		held=$(progs_held "$BG_PID")
		send_done "$out" "10 requests from $B"
		bg_finish "$out"
		after=$(ip -n $A -d link show a0 | grep -o 'prog/xdp id [0-9]*')
		check_run "foreign XDP: said so on stderr" 1 "$out" \
			grep -q "already carries another XDP program" "$out.err"
		check_run "foreign XDP: ingress watched through tc ($TC) instead" 1 "$out" \
			jq_ok "$out" ".points[0].interfaces[0].ingress == \"$TC-ingress\" and .points[0].interfaces[0].foreign_xdp == true"
		check_run "foreign XDP: its packets still counted (10 sent), exit 1" 1 "$out" \
			in_window "$out" 6 jq_ok "$out" '.legs[0].packets == 10'
		check "foreign XDP: the other program is still attached, same id" \
			test "$before" = "$after" || diag "before: $before; after: $after"
		check "foreign XDP: fv_attached lists it, ours are $TC-ingress and $TC-egress without it" \
			eval 'grep -qx "a0 xdp-generic [0-9]* other_xdp" "$TMP/at2" &&
			      holds_exactly "$TMP/at2ours" "a0 $TC-ingress [0-9]* fv_tc_ingress" "a0 $TC-egress [0-9]* fv_tc_egress" &&
			      held_all "$TMP/at2ours"' ||
			diag "all: $(paste -sd';' "$TMP/at2"); ours: $(paste -sd';' "$TMP/at2ours")"
		check "foreign XDP: none of the programs verify held is left, anywhere" progs_gone $held
		check "foreign XDP: nothing of ours left in $A" clean_in $A
	fi
else
	not_ok "foreign XDP: precondition: someone else's XDP program (xdp_pass, generic) on $A:a0"
	diag_file "$TMP/xdp2" "ip: "
fi
# Section 3 needs a0 without XDP: said, not assumed.
if ! ip -n $A link set dev a0 xdpgeneric off >"$TMP/xdpoff" 2>&1; then
	not_ok "foreign XDP: removing it from $A:a0 again"
	diag_file "$TMP/xdpoff" "ip: "
fi

# 3. kill -9: links die with the process (XDP's too: --ingress xdp), so
# with tcx nothing is left. clsact filters are not links: they stay, ours
# exactly, until `flowverify cleanup --filters` removes them.
# link_of NS DEV: its `ip -d link show`, which must list it (so that "no
# xdp in it" cannot pass on a failed look).
link_of() { ip -n "$1" -d link show "$2" 2>&1 | grep -q "^[0-9]*: $2[@:]" && ip -n "$1" -d link show "$2"; }
if ! link_of $A a0 >"$TMP/link3" || grep -q xdp "$TMP/link3"; then
	not_ok "kill -9: precondition: $A:a0 there, with no XDP program on it"
	diag_file "$TMP/link3" "ip: "
else
	out=$TMP/v3
	bg_start "$out" $FV verify --nat $A:a0 --client $B:b0 --ingress xdp --duration 60 --ready-file "$TMP/ready3"
	if bg_ready "$out" "$TMP/ready3" "kill -9"; then
		pid=$BG_PID
		held=$(progs_held $pid)
		ours_in $A >"$TMP/at3a" 2>&1
		ours_in $B >"$TMP/at3b" 2>&1
		check "while running, our programs are attached: XDP and $TC egress in $A and in $B, verify's" \
			eval 'holds_exactly "$TMP/at3a" "a0 xdp-native [0-9]* fv_xdp_ingress" "a0 $TC-egress [0-9]* fv_tc_egress" &&
			      holds_exactly "$TMP/at3b" "b0 xdp-native [0-9]* fv_xdp_ingress" "b0 $TC-egress [0-9]* fv_tc_egress" &&
			      held_all "$TMP/at3a" && held_all "$TMP/at3b"' ||
			diag "$A: $(paste -sd';' "$TMP/at3a"); $B: $(paste -sd';' "$TMP/at3b")"
		kill -9 $pid
		bg_finish "$out" 30
		check_run "kill -9: verify died of it (status 137)" 137 "$out"
		check "kill -9: no XDP left on the interface" \
			eval 'link_of $A a0 >"$TMP/link3" && ! grep -q xdp "$TMP/link3"' ||
			diag_file "$TMP/link3" "ip: "
		if [ "$TC" = clsact ]; then
			# The same filters as while it ran (same program ids).
			check "kill -9, clsact: exactly our egress filter left in $A, the one it attached" \
				eval 'ours_in $A >"$TMP/left3a" 2>&1; test "$(grep clsact- "$TMP/at3a")" = "$(cat "$TMP/left3a")"' ||
				diag "$A: $(paste -sd';' "$TMP/left3a")"
			check "kill -9, clsact: exactly our egress filter left in $B, the one it attached" \
				eval 'ours_in $B >"$TMP/left3b" 2>&1; test "$(grep clsact- "$TMP/at3b")" = "$(cat "$TMP/left3b")"' ||
				diag "$B: $(paste -sd';' "$TMP/left3b")"
			capture "$TMP/cf3" $FV cleanup --filters
			check_run "cleanup --filters: exit 0, names the one it removed in $A and the one in $B" 0 "$TMP/cf3" \
				eval '[ "$(grep -c "^removed fv_tc_egress .*$A:a0 " "$TMP/cf3")" -eq 1 ] &&
				      [ "$(grep -c "^removed fv_tc_egress .*$B:b0 " "$TMP/cf3")" -eq 1 ] &&
				      [ "$(grep -c "^removed .*\($A\|$B\):" "$TMP/cf3")" -eq 2 ]' ||
				diag_file "$TMP/cf3" "cleanup: "
		fi
		check "kill -9: none of the programs it held is left, anywhere" progs_gone $held
		check "kill -9: nothing of ours in $A (XDP, tcx, clsact)" clean_in $A
		check "kill -9: nothing of ours in $B (XDP, tcx, clsact)" clean_in $B
	fi
fi

# 4. watch: draws frames and detaches on Ctrl-C (SIGINT), once its frame
# shows the 5 requests on leg 1 (polled: it redraws once a second). With
# clsact too: its own filters go, and none was left from 3.
out=$TMP/watch.out
bg_start "$out" $FV watch --nat $A:a0 --ready-file "$TMP/ready4"
if bg_ready "$out" "$TMP/ready4" "watch"; then
	pid=$BG_PID
	held=$(progs_held $pid)
	send_ntp 5
	drawn=0
	wait_until 20 grep -qE -- '---\(1\) +5 ' "$out" && drawn=1
	kill -INT $pid
	bg_finish "$out" 30
	check_run "watch exits 0 on Ctrl-C, says it detached" 0 "$out" \
		grep -qx "flowverify: detached" "$out.err"
	check "watch drew the legs diagram, the 5 requests on leg 1" test $drawn = 1 ||
		diag "last leg-1 line drawn: $(grep -- '(1)' "$out" | tail -1)"
	check "watch: none of the programs it held is left after Ctrl-C, anywhere" progs_gone $held
	check "watch: nothing of ours in $A after Ctrl-C" clean_in $A
fi
done_testing
exit 0
