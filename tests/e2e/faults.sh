#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Faults survived, on two namespaces of our own (fv-rel-*) joined by a
# veth pair: kill -9 of verify, watch and the agent at random moments; an
# interface deleted and re-created while watched; a watched namespace
# deleted; other tc filters left untouched; the ring buffer full; no
# bpffs; the clocks shifted (time namespace) and the wall clock stepped
# (preloaded shim); two instances on one interface. Random moments come
# from FV_FAULT_SEED (printed), so a failure can be replayed.
set -u
cd "$(dirname "$0")/../.."
. tests/e2e/lib.sh

A=fv-rel-a$$ B=fv-rel-b$$ C=fv-rel-c$$
INST=fv-rel-$$
made=()
pids=()
cleanup() {
	local ns p
	for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null; done
	wait 2>/dev/null
	$FV cleanup --instance $INST >/dev/null 2>&1
	$FV cleanup --instance $INST-if >/dev/null 2>&1
	for ns in "${made[@]}"; do ip netns del "$ns" 2>/dev/null; done
	rm -rf "$TMP"
}
trap cleanup EXIT

seed=${FV_FAULT_SEED:-$((RANDOM * 32768 + RANDOM))}
RANDOM=$seed
diag "FV_FAULT_SEED=$seed"

ip netns add $A && made+=($A)
ip netns add $B && made+=($B)
veth() {
	ip link add a0 netns $A type veth peer name b0 netns $B
	ip -n $A addr add 10.77.0.1/24 dev a0
	ip -n $B addr add 10.77.0.2/24 dev b0
	ip -n $A link set a0 up
	ip -n $B link set b0 up
	ip -n $B route add 192.0.2.0/24 via 10.77.0.1
}
ip -n $A link set lo up
ip -n $B link set lo up
veth

# send_ntp COUNT [GAP_S]: client requests from B (port 1123) through A.
send_ntp() {
	ip netns exec $B python3 - "$1" "${2:-0}" <<'PY'
import os, socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("10.77.0.2", 1123))
pkt = bytearray(48); pkt[0] = 0x23
for i in range(int(sys.argv[1])):
    pkt[40:48] = os.urandom(8)
    while True:
        try:
            s.sendto(pkt, ("192.0.2.1", 123))
            break
        except BlockingIOError:
            time.sleep(0.001)
    if float(sys.argv[2]):
        time.sleep(float(sys.argv[2]))
PY
}

# wait_back ERRFILE: until flowverify says (on stderr, in ERRFILE) that a
# re-created interface is watched again; at most 4 s.
wait_back() {
	for _ in $(seq 40); do
		grep -q 'is back' "$1" && return 0
		sleep 0.1
	done
	return 1
}

# agent_counts NAME INSTANCE WANT WHAT: the agent started (again) on A
# with INSTANCE's pins; after 5 more requests its status must count WANT
# packets on leg 1. Stopped with SIGTERM after.
agent_counts() {
	local ap
	$FV agent --nat $A:a0 --instance "$2" --listen 127.0.0.1:$port \
		--ready-file "$TMP/$1" >/dev/null 2>"$TMP/$1.err" &
	ap=$!
	pids+=($ap)
	if wait_file "$TMP/$1"; then
		send_ntp 5
		sleep 0.5
		curl -s "http://127.0.0.1:$port/api/v1/status" >"$TMP/$1.json"
		check "$4" jq_ok "$TMP/$1.json" ".legs[0].packets == $3"
	else
		not_ok "$4"
		diag "$(head -c 300 "$TMP/$1.err")"
	fi
	kill -TERM $ap
	wait $ap 2>/dev/null
}

# ---- kill -9 at random moments ----
for i in 1 2 3 4; do
	delay=$(printf '0.%03d' $((RANDOM % 1000)))
	$FV verify --nat $A:a0 --client $B:b0 --duration 5 >/dev/null 2>&1 &
	p=$!
	sleep "$delay"
	kill -9 $p 2>/dev/null
	wait $p 2>/dev/null
	check "kill -9 of verify after ${delay} s: nothing left attached" \
		clean_in $A
	check "kill -9 of verify after ${delay} s: nothing left on the client side" \
		clean_in $B
done
for i in 1 2; do
	delay=$(printf '%d.%03d' $((RANDOM % 2)) $((RANDOM % 1000)))
	$FV watch --nat $A:a0 >/dev/null 2>&1 &
	p=$!
	sleep "$delay"
	kill -9 $p 2>/dev/null
	wait $p 2>/dev/null
	check "kill -9 of watch after ${delay} s: nothing left attached" clean_in $A
done

# The agent keeps its counters pinned on purpose: after kill -9 nothing
# stays attached, a restart re-adopts the pins and keeps counting, and
# `cleanup` removes them.
port=$((20000 + RANDOM % 10000))
$FV agent --nat $A:a0 --instance $INST --listen 127.0.0.1:$port \
	--ready-file "$TMP/agent1" >/dev/null 2>"$TMP/agent1.err" &
p=$!
pids+=($p)
if wait_file "$TMP/agent1"; then
	send_ntp 20
	sleep "0.$((RANDOM % 10))"
	kill -9 $p
	wait $p 2>/dev/null
	check "kill -9 of the agent: nothing left attached" clean_in $A
	check "kill -9 of the agent: its pins stay for a restart" \
		test -d /sys/fs/bpf/flowverify/$INST
	agent_counts agent2 $INST 25 "agent restarted on the same pins continues the counters (20 + 5)"
	check "agent stopped: nothing left attached" clean_in $A
	$FV cleanup --instance $INST >/dev/null 2>&1
	check "cleanup removes the agent's pins" test ! -e /sys/fs/bpf/flowverify/$INST
else
	kill -9 $p 2>/dev/null
	not_ok "agent did not start"
	diag "$(head -c 300 "$TMP/agent1.err")"
fi

# ---- the interface deleted and re-created while watched ----
# verify notices within a second (its links went with the interface) and
# attaches to the new one of the same name: both halves are counted.
$FV verify --nat $A:a0 --duration 6 --json --ready-file "$TMP/r1" \
	>"$TMP/v1.json" 2>"$TMP/v1.err" &
p=$!
if wait_file "$TMP/r1"; then
	send_ntp 10
	ip -n $A link del a0
	veth
	wait_back "$TMP/v1.err"
	send_ntp 10
fi
wait $p
rc=$?
check "interface re-created under verify: it ends normally (exit $rc), no crash" \
	test $rc -le 2
check "interface re-created: verify said it went away and is watched again" \
	eval 'grep -q "$A:a0 went away" "$TMP/v1.err" && grep -q "$A:a0 is back" "$TMP/v1.err"'
check "interface re-created: watched again, both halves counted (10 + 10)" \
	jq_ok "$TMP/v1.json" '.legs[0].packets == 20 and .points[0].interfaces[0].state == "watched" and .points[0].interfaces[0].reattached == 1'
check "interface re-created: nothing of ours left after verify" clean_in $A

# The agent has no privilege left to attach: it exits 3, so its service
# manager restarts it; the restart watches the new interface and the
# pinned counters carry on.
port=$((30000 + RANDOM % 10000))
$FV agent --nat $A:a0 --instance $INST-if --listen 127.0.0.1:$port \
	--ready-file "$TMP/agent3" >/dev/null 2>"$TMP/agent3.err" &
p=$!
pids+=($p)
if wait_file "$TMP/agent3"; then
	send_ntp 5
	sleep 0.3
	ip -n $A link del a0
	veth
	for _ in $(seq 50); do
		kill -0 $p 2>/dev/null || break
		sleep 0.1
	done
	kill -9 $p 2>/dev/null && diag "the agent was still running 5 s later"
	wait $p
	rc=$?
	check "interface gone under the agent: it exits 3 and says why in one line" \
		eval '[ $rc -eq 3 ] && [ "$(grep -c "a watched interface went away" "$TMP/agent3.err")" -eq 1 ]'
	check "interface gone under the agent: nothing of ours left" clean_in $A
	agent_counts agent4 $INST-if 10 "restarted, the agent watches the new interface, counters continue (5 + 5)"
else
	kill -9 $p 2>/dev/null
	not_ok "agent did not start"
	diag "$(head -c 300 "$TMP/agent3.err")"
fi
$FV cleanup --instance $INST-if >/dev/null 2>&1

# ---- a watched namespace deleted ----
ip netns add $C && made+=($C)
ip -n $C link set lo up
$FV verify --nat $C:lo --duration 2 --json --ready-file "$TMP/r2" \
	>"$TMP/v2.json" 2>"$TMP/v2.err" &
p=$!
wait_file "$TMP/r2" && ip netns del $C
wait $p
rc=$?
check "namespace deleted under verify: it ends normally (exit $rc), no crash" \
	test $rc -le 2
check "namespace deleted under verify: nothing of ours left in other namespaces" \
	clean_in $A

# The watched namespace deleted and made again under its name (a lab torn
# down and rebuilt, a container restarted): verify watches the new one,
# and the drop tracer follows it to its new inode.
$FV verify --nat $A:a0 --drops on --duration 6 --json --ready-file "$TMP/r2b" \
	>"$TMP/v2b.json" 2>"$TMP/v2b.err" &
p=$!
if wait_file "$TMP/r2b"; then
	send_ntp 10
	ip netns del $A
	ip netns add $A
	ip -n $A link set lo up
	veth
	wait_back "$TMP/v2b.err"
	send_ntp 7
fi
wait $p
check "namespace re-created under verify: watched again, 10 + 7 counted" \
	jq_ok "$TMP/v2b.json" '.legs[0].packets == 17 and .points[0].interfaces[0].reattached == 1'
check "namespace re-created: drops in the old and the new one are the NAT's (10 + 7 by routing)" \
	jq_ok "$TMP/v2b.json" '([.drops[] | select(.hook == "routing" and .host == "nat") | .count] | add) == 17'
check "namespace re-created: nothing of ours left" clean_in $A

# ---- other tc filters on the interface: untouched before, during, after ----
tc -n $A qdisc add dev a0 clsact
# A bpf classifier: the only one every kernel has built in.
tc -n $A filter add dev a0 ingress prio 7 bpf obj .output/tests/tc_pass.bpf.o sec tc da
tc -n $A filter add dev a0 egress prio 7 bpf obj .output/tests/tc_pass.bpf.o sec tc da
filters() { tc -n $A filter show dev a0 ingress; tc -n $A filter show dev a0 egress; }
before=$(filters)
$FV verify --nat $A:a0 --duration 2 --json --ready-file "$TMP/r3" \
	>"$TMP/v3.json" 2>/dev/null &
p=$!
wait_file "$TMP/r3" && { send_ntp 10; during=$(filters); }
wait $p
after=$(filters)
check "other tc filters: present while flowverify runs" \
	test -n "$before" -a "$before" = "${during:-}"
check "other tc filters: unchanged after, clsact qdisc kept" \
	eval 'test "$before" = "$after" && tc -n $A qdisc show dev a0 | grep -q clsact'
check "other tc filters: flowverify still counted every packet (10)" \
	jq_ok "$TMP/v3.json" '.legs[0].packets == 10'

# Someone else's filter that drops everything leaving B: with our tcx
# egress program before it, it must still drop (a program that returns
# TC_ACT_OK ends the tc chain and would let the packets out).
tc -n $B qdisc add dev b0 clsact
tc -n $B filter add dev b0 egress prio 7 bpf obj .output/tests/tc_drop.bpf.o sec tc da
$FV verify --nat $A:a0 --client $B:b0 --duration 2 --json --ready-file "$TMP/rd" \
	>"$TMP/vd.json" 2>/dev/null &
p=$!
wait_file "$TMP/rd" && send_ntp 10
wait $p
check "someone else's drop filter after ours still drops: 10 left B's socket, none reached A" \
	jq_ok "$TMP/vd.json" '.clients[0].legs[0].packets == 10 and .legs[0].packets == 0'
tc -n $B qdisc del dev b0 clsact

# Someone else's tcx programs, appended before ours came: one that ends
# the chain (TCX_PASS, what most return) on A's ingress, one that drops
# everything on B's egress. Ours go first, so they see every packet, and
# pass on: the others still run and decide.
TCX_OTHER=${FV_TEST_BINDIR:-.output/tests}/fv_tcx_other
[ -x "$TCX_OTHER" ] || TCX_OTHER=.output/tests/fv_tcx_other
other_tcx() {	# NETNS IFACE DIR PROGRAM: started, its pid in $other_pid
	"$TCX_OTHER" "$1" "$2" "$3" ".output/tests/$4.bpf.o" "other_$4" >"$TMP/other.$1" 2>&1 &
	other_pid=$!
	pids+=($other_pid)
	for _ in $(seq 50); do
		grep -q ready "$TMP/other.$1" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}
if other_tcx $A a0 ingress tc_pass; then
	o1=$other_pid
	$FV verify --nat $A:a0 --ingress tc --duration 2 --json --ready-file "$TMP/rx1" \
		>"$TMP/vx1.json" 2>/dev/null &
	p=$!
	wait_file "$TMP/rx1" && { send_ntp 10; during=$("$FV_ATTACHED" $A | grep tcx-ingress); }
	wait $p
	check "a tcx program that ends the chain, attached before us: ours goes first, 10 of 10 counted" \
		eval 'jq -e ".legs[0].packets == 10" "$TMP/vx1.json" >/dev/null && [ "$(echo "${during:-}" | head -1 | awk "{print \$4}")" = fv_tc_ingress ]'
	check "the other tcx program is still attached, ours is gone" \
		eval '[ "$("$FV_ATTACHED" $A | grep -c other_tc_pass)" -eq 1 ] && [ -z "$("$FV_ATTACHED" --ours $A)" ]'
	kill $o1
	wait $o1 2>/dev/null
else
	not_ok "fv_tcx_other did not attach: $(cat "$TMP/other.$A")"
fi
if other_tcx $B b0 egress tc_drop; then
	o2=$other_pid
	$FV verify --nat $A:a0 --client $B:b0 --duration 2 --json --ready-file "$TMP/rx2" \
		>"$TMP/vx2.json" 2>/dev/null &
	p=$!
	wait_file "$TMP/rx2" && send_ntp 10
	wait $p
	check "a tcx program that drops, attached before us: ours sees 10 leave, the drop still holds (A saw 0)" \
		jq_ok "$TMP/vx2.json" '.clients[0].legs[0].packets == 10 and .legs[0].packets == 0'
	kill $o2
	wait $o2 2>/dev/null
else
	not_ok "fv_tcx_other did not attach: $(cat "$TMP/other.$B")"
fi

# ---- kernels without tcx: the clsact path (FV_TC=clsact takes it here) ----
# Next to someone else's filters (still there from above): our filters go
# on exit; after kill -9 they stay, and `cleanup --filters` removes them
# but not those of a run still going, nor anyone else's.
FV_TC=clsact $FV verify --nat $A:a0 --ingress tc --duration 2 --json \
	--ready-file "$TMP/rc1" >"$TMP/vc1.json" 2>/dev/null &
p=$!
wait_file "$TMP/rc1" && { send_ntp 10; during=$(ours_in $A); }
wait $p
check "clsact: both hooks are clsact filters, 10 of 10 counted" \
	jq_ok "$TMP/vc1.json" '.points[0].interfaces[0].ingress == "clsact-ingress" and .points[0].interfaces[0].egress == "clsact-egress" and .legs[0].packets == 10'
check "clsact: our two filters were there during the run" \
	test "$(echo "${during:-}" | grep -c 'clsact-')" -eq 2
check "clsact: removed on exit, by their exact handles" clean_in $A
check "clsact: other filters unchanged" eval 'test "$before" = "$(filters)"'

FV_TC=clsact $FV verify --nat $A:a0 --ingress tc --duration 30 --json \
	--ready-file "$TMP/rc2" >/dev/null 2>&1 &
p2=$!
pids+=($p2)
FV_TC=clsact $FV verify --nat $B:b0 --ingress tc --duration 30 --json \
	--ready-file "$TMP/rc3" >/dev/null 2>&1 &
p3=$!
pids+=($p3)
if wait_file "$TMP/rc2" && wait_file "$TMP/rc3"; then
	kill -9 $p2
	wait $p2 2>/dev/null
	check "clsact: kill -9 leaves our two filters behind (documented)" \
		test "$(ours_in $A | grep -c 'clsact-')" -eq 2
	$FV cleanup --filters >"$TMP/cf.out" 2>"$TMP/cf.err"
	rc=$?
	check "cleanup --filters: exit 0, names the two it removed in $A" \
		eval '[ $rc -eq 0 ] && [ "$(grep -c "^removed fv_tc_.* from $A:a0 " "$TMP/cf.out")" -eq 2 ]'
	check "cleanup --filters: nothing of ours left in $A" clean_in $A
	check "cleanup --filters: someone else's filters untouched" \
		eval 'test "$before" = "$(filters)"'
	check "cleanup --filters: the filters of the run still going are kept" \
		eval 'grep -q "^kept fv_tc_egress .* on $B:b0 egress" "$TMP/cf.out" && [ "$(ours_in $B | grep -c clsact-)" -eq 2 ]'
	kill $p3
	wait $p3
	check "clsact: the run still going ends normally and removes its own" clean_in $B
else
	not_ok "clsact: verify did not become ready"
fi
tc -n $A qdisc del dev a0 clsact
tc -n $B qdisc del dev b0 clsact 2>/dev/null

# ---- the ring buffer full ----
# verify is stopped (SIGSTOP) while requests flood in: the 1 MiB ring
# fills, the kernel counts what it could not queue, and the counters stay
# exact: every packet is an event, rate-limited or lost.
$FV verify --nat $A:a0 --duration 8 --json --ready-file "$TMP/r4" \
	>"$TMP/v4.json" 2>/dev/null &
p=$!
if wait_file "$TMP/r4"; then
	kill -STOP $p
	# In bursts: each pause refills the per-CPU event budget (2000), so
	# more than the ring's 8738 events get through however fast we send.
	for i in $(seq 8); do
		send_ntp 5000
		sleep 0.3
	done
	kill -CONT $p
fi
wait $p
check "ring full: events lost, and counted" jq_ok "$TMP/v4.json" '.events.lost > 0'
diag "ring full: events $(jq -c .events "$TMP/v4.json")"
check "ring full: counters exact (40000 sent, 40000 counted)" \
	jq_ok "$TMP/v4.json" '.legs[0].packets == 40000 and .points[0].parser.ntp_packets == 40000'
check "ring full: every packet an event, rate-limited or lost" \
	jq_ok "$TMP/v4.json" '.points[0].parser.ntp_packets == .events.received + .events.rate_limited + .events.lost'

# ---- /sys/fs/bpf not mounted (a private mount namespace; the host's
# mount is never touched) ----
host_bpffs=$(findmnt -n -o FSTYPE /sys/fs/bpf)
unshare -m --propagation private bash -c "
	umount /sys/fs/bpf 2>/dev/null
	findmnt /sys/fs/bpf >/dev/null && exit 99
	exec $FV verify --nat $A:a0 --duration 2 --json --ready-file $TMP/r5" \
	>"$TMP/v5.json" 2>"$TMP/v5.err" &
p=$!
wait_file "$TMP/r5" && send_ntp 10
wait $p
rc=$?
check "no bpffs: verify needs none, counts 10 of 10 (exit $rc)" \
	eval 'test $rc -ne 99 && jq -e ".legs[0].packets == 10" "$TMP/v5.json" >/dev/null'
unshare -m --propagation private bash -c "
	umount /sys/fs/bpf 2>/dev/null
	exec $FV agent --nat $A:a0 --instance $INST --listen 127.0.0.1:$port \
		--ready-file $TMP/r6" >/dev/null 2>"$TMP/a6.err" &
p=$!
pids+=($p)
if wait_file "$TMP/r6"; then
	kill -TERM $p
	wait $p
	rc=$?
	check "no bpffs: the agent mounts its own, says so, and stops cleanly (exit $rc)" \
		eval 'test $rc -eq 0 && grep -q "mounted bpffs" "$TMP/a6.err"'
else
	kill -9 $p 2>/dev/null
	not_ok "no bpffs: the agent mounts its own"
	diag "$(head -c 300 "$TMP/a6.err")"
fi
check "no bpffs: the host's /sys/fs/bpf is as it was" \
	test "$(findmnt -n -o FSTYPE /sys/fs/bpf)" = "$host_bpffs"
check "no bpffs: no pins of ours appeared on the host" \
	test ! -e /sys/fs/bpf/flowverify/$INST
check "no bpffs: nothing left attached" clean_in $A

# ---- clocks ----
# The real clock is never changed. A time namespace shifts CLOCK_MONOTONIC
# for flowverify only, by a day forward and by 50 minutes back, while the
# kernel stamps events with the real one: requests must still be judged
# lost (not "a day old" nor "from the future"), and last seen a moment
# ago. Before the fix every exchange vanished (0 unanswered).
for off in 86400 -3000; do
	if ! unshare -T -f --monotonic "$off" true 2>/dev/null; then
		skip "clock offset $off: no time namespaces here (CONFIG_TIME_NS)"
		continue
	fi
	unshare -T -f --monotonic "$off" --boottime "${off#-}" \
		$FV verify --nat $A:a0 --duration 3 --json --ready-file "$TMP/rt$off" \
		>"$TMP/vt.json" 2>/dev/null &
	p=$!
	wait_file "$TMP/rt$off" && send_ntp 20 0.05
	wait $p
	check "monotonic clock shifted by $off s: 20 requests judged unanswered, seen moments ago" \
		jq_ok "$TMP/vt.json" '.legs[0].packets == 20 and .exchanges.unanswered == 20 and .legs[0].last_seen_seconds_ago < 5'
done

# The wall clock stepped an hour forward mid-run, for flowverify only (an
# LD_PRELOAD shim over clock_gettime/time/gettimeofday): judging uses the
# monotonic clock, so counts and verdict are the same.
if command -v cc >/dev/null; then
	cat >"$TMP/step.c" <<'EOF'
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stddef.h>
#include <sys/time.h>
#include <time.h>
static long step(void)
{
	static struct timespec t0;
	struct timespec now;
	static int (*real)(clockid_t, struct timespec *);

	if (!real)
		real = (int (*)(clockid_t, struct timespec *))dlsym(RTLD_NEXT, "clock_gettime");
	real(CLOCK_MONOTONIC, &now);
	if (!t0.tv_sec)
		t0 = now;
	return now.tv_sec - t0.tv_sec >= 1 ? 3600 : 0;
}
int clock_gettime(clockid_t c, struct timespec *ts)
{
	int (*real)(clockid_t, struct timespec *) =
		(int (*)(clockid_t, struct timespec *))dlsym(RTLD_NEXT, "clock_gettime");
	int r = real(c, ts);

	if (!r && (c == CLOCK_REALTIME || c == CLOCK_REALTIME_COARSE))
		ts->tv_sec += step();
	return r;
}
time_t time(time_t *t)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	if (t)
		*t = ts.tv_sec;
	return ts.tv_sec;
}
int gettimeofday(struct timeval *tv, void *tz)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	tv->tv_sec = ts.tv_sec;
	tv->tv_usec = ts.tv_nsec / 1000;
	return 0;
}
EOF
	cc -shared -fPIC -o "$TMP/step.so" "$TMP/step.c" -ldl
	LD_PRELOAD=$TMP/step.so python3 -c 'import time; a = time.time(); time.sleep(1.2); b = time.time(); exit(0 if b - a > 3000 else 1)'
	shim_ok=$?
	LD_PRELOAD=$TMP/step.so $FV verify --nat $A:a0 --duration 3 --json \
		--ready-file "$TMP/rs" >"$TMP/vs.json" 2>/dev/null &
	p=$!
	wait_file "$TMP/rs" && send_ntp 20 0.05
	wait $p
	check "wall clock stepped +1 h mid-run: same counts and verdict (20 unanswered)" \
		eval 'test $shim_ok -eq 0 && jq -e ".legs[0].packets == 20 and .exchanges.unanswered == 20 and .legs[0].last_seen_seconds_ago < 5" "$TMP/vs.json" >/dev/null'
else
	skip "wall clock step: no C compiler for the shim"
fi

# ---- valgrind over a full verify run: ACLs loaded, a client point, the
# drop tracer, events joined, the JSON report. No leak, no invalid access.
# (Its "syscall param bpf(attr->...)" notes are libbpf's partly filled
# bpf_attr, which the kernel reads only as far as the command needs, and
# the NULL key that asks for a map's first key: not counted.)
if nm "$FV" 2>/dev/null | grep -q __asan_init; then
	skip "valgrind: $FV is built with ASan, which does its own leak check"
elif command -v valgrind >/dev/null; then
	valgrind --leak-check=full --show-leak-kinds=definite,indirect,possible \
		$FV verify --nat $A:a0 --client $B:b0 --duration 4 --json --drops on \
		--acls tests/fixtures/acl/aws-ntp.json --public acl-0a11ce0000000pub \
		--private acl-0b0b000000000prv --ready-file "$TMP/rv" \
		>"$TMP/vv.json" 2>"$TMP/vv.err" &
	p=$!
	pids+=($p)
	wait_file "$TMP/rv" && send_ntp 20 0.02
	wait $p
	check "valgrind: a full verify run frees everything" \
		grep -q "All heap blocks were freed -- no leaks are possible" "$TMP/vv.err"
	check "valgrind: no invalid read, write or free" \
		eval '! grep -qE "Invalid (read|write|free)|(Use of|depends on) uninitialised value|Mismatched free" "$TMP/vv.err"'
	check "valgrind: the run itself worked (20 requests counted)" \
		jq_ok "$TMP/vv.json" '.legs[0].packets == 20'
	check "valgrind: the drop tracer ran too (20 dropped by routing on A)" \
		jq_ok "$TMP/vv.json" '([.drops[] | select(.hook == "routing") | .count] | add) == 20'
else
	skip "valgrind: not installed (make deps installs it)"
fi

# ---- two instances on one interface ----
$FV verify --nat $A:a0 --duration 3 --json --ready-file "$TMP/t1" \
	>"$TMP/t1.json" 2>"$TMP/t1.err" &
p1=$!
wait_file "$TMP/t1"
$FV verify --nat $A:a0 --duration 2 --json --ready-file "$TMP/t2" \
	>"$TMP/t2.json" 2>"$TMP/t2.err" &
p2=$!
wait_file "$TMP/t2" && send_ntp 100
wait $p1 $p2
check "two instances: the second says the first's XDP is there, uses tc" \
	eval 'grep -q "already carries another XDP program" "$TMP/t2.err" && jq -e ".points[0].interfaces[0].ingress == \"tcx-ingress\"" "$TMP/t2.json" >/dev/null'
check "two instances: each counted all 100" \
	eval 'jq -e ".legs[0].packets == 100" "$TMP/t1.json" >/dev/null && jq -e ".legs[0].packets == 100" "$TMP/t2.json" >/dev/null'
check "two instances: nothing left after both" clean_in $A

done_testing
