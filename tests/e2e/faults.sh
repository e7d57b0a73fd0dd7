#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Faults survived, on two namespaces of our own (fv-rel-*) joined by a
# veth pair: kill -9 of verify, watch and the agent at random moments once
# they are attached; an interface deleted and re-created while watched; a
# watched namespace deleted; other tc filters left untouched; the ring
# buffer full; no bpffs; the clocks shifted (time namespace) and the wall
# clock stepped (preloaded shim); two instances on one interface. Random
# moments come from FV_FAULT_SEED (printed), so a failure can be replayed.
#
# Every run under test keeps its stderr (shown when its check fails) and
# its exact exit status is checked: verify exits 1 here (nothing answers
# the requests: a fault, or no traffic), the agent 0 on SIGTERM and 3 when
# a watched interface goes away, kill -9 is status 137. Waits poll for a
# condition with a deadline. Each section is a function that sets up what
# it needs, or checks it and fails naming the missing precondition; the
# windows of verify runs are long enough for a loaded machine, and a count
# whose requests went out after the window fails saying so (in_window).
#
# What the kernel has is read from it (lib.sh): the tc hooks ($TC, tcx or
# clsact: kill -9 leaves clsact filters, until `cleanup --filters`), drop
# reasons, time namespaces.
set -u
cd "$(dirname "$0")/../.."
. tests/e2e/lib.sh

A=fv-rel-a$$ B=fv-rel-b$$ C=fv-rel-c$$
INST=fv-rel-$$
made=()
pids=()
cleanup() {
	local ns p i
	for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null; done
	wait 2>/dev/null
	for i in $INST $INST-if $INST-nobpf; do $FV cleanup --instance $i >/dev/null 2>&1; done
	for ns in "${made[@]}"; do ip netns del "$ns" 2>/dev/null; done
	rm -rf "$TMP"
}
trap cleanup EXIT
# What it runs and loads, copied (snapshot, lib.sh): others rebuild meanwhile.
TC_PASS=.output/tests/tc_pass.bpf.o TC_DROP=.output/tests/tc_drop.bpf.o
TCX_OTHER=${FV_TEST_BINDIR:-.output/tests}/fv_tcx_other
[ -x "$TCX_OTHER" ] || TCX_OTHER=.output/tests/fv_tcx_other
snapshot FV FV_ATTACHED TCX_OTHER TC_PASS TC_DROP || { done_testing; exit 1; }
TC=$(tc_mode)
REASONS=0
has_drop_reasons && REASONS=1
diag "tc hooks here: $TC${FV_TC:+ (FV_TC=$FV_TC)}; drop reasons: $REASONS"

seed=${FV_FAULT_SEED:-$((RANDOM * 32768 + RANDOM))}
RANDOM=$seed
diag "FV_FAULT_SEED=$seed"

# veth: the pair A:a0 - B:b0, B routing 192.0.2.0/24 through A.
veth() {
	ip link add a0 netns $A type veth peer name b0 netns $B &&
	ip -n $A addr add 10.77.0.1/24 dev a0 &&
	ip -n $B addr add 10.77.0.2/24 dev b0 &&
	ip -n $A link set a0 up &&
	ip -n $B link set b0 up &&
	ip -n $B route add 192.0.2.0/24 via 10.77.0.1
}
if ! {
	ip netns add $A && made+=($A) && ip netns add $B && made+=($B) &&
	ip -n $A link set lo up && ip -n $B link set lo up && veth
} >"$TMP/setup" 2>&1; then
	not_ok "setup: namespaces $A and $B, a veth pair between them, B routed through A"
	diag_file "$TMP/setup" "setup: "
	done_testing
	exit 1
fi

# need SECTION WHAT COMMAND...: a step the section's checks depend on;
# silent when it works, else one not_ok naming it, with what it said.
need() {
	local section=$1 what=$2
	shift 2
	"$@" >"$TMP/need" 2>&1 && return 0
	not_ok "$section: precondition: $what"
	diag_file "$TMP/need" "setup: "
	return 1
}

# need_pair SECTION: A:a0 and B:b0 up, B routing through A: sections that
# re-create the interface or the namespace put them back; said, not assumed.
pair_ok() {
	ip -n $A -o link show a0 | grep -q 'state UP' &&
	ip -n $B -o link show b0 | grep -q 'state UP' &&
	ip -n $B route show 192.0.2.0/24 | grep -q 'via 10.77.0.1'
}
need_pair() { need "$1" "$A:a0 and $B:b0 up, $B routing 192.0.2.0/24 through $A" pair_ok; }

# send_ntp COUNT [GAP_S]: client requests from B (port 1123) through A.
send_ntp() {
	ip netns exec $B python3 - "$1" "${2:-0}" <<'PY' && return 0
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
	diag "sending $1 requests from $B failed"
	return 1
}

# start OUT COMMAND...: bg_start, and the pid kept for the trap.
start() {
	bg_start "$@"
	pids+=("$BG_PID")
}

# free_port: a TCP port nobody listens on, in $port.
free_port() {
	while :; do
		port=$((20000 + RANDOM % 20000))
		[ -z "$(ss -Htln "sport = :$port")" ] && return
	done
}

# agent_has PORT WANT: the agent on PORT counts WANT packets on leg 1 (its
# status in $TMP/status.json).
agent_has() {
	curl -s -m 5 "http://127.0.0.1:$1/api/v1/status" >"$TMP/status.json" &&
		jq_ok "$TMP/status.json" ".legs[0].packets == $2"
}
# agent_counts PORT WANT: polls (20 s) until it does; then exactly WANT. If
# it never does, says what it counts.
agent_counts() {
	wait_until 20 agent_has "$1" "$2" && return 0
	diag "the agent counts $(jq -c '.legs[0].packets' "$TMP/status.json" 2>/dev/null || echo '(no status)') packets on leg 1, want $2"
	return 1
}

# restart_counts TAG INSTANCE FROM WANT WHAT: the agent started again on A
# with INSTANCE's pins starts from the FROM packets pinned before, counts
# WANT - FROM more requests on top, and stops with SIGTERM: exit 0,
# nothing left attached.
restart_counts() {
	local tag=$1 inst=$2 from=$3 want=$4 what=$5 out=$TMP/$1
	free_port
	start "$out" $FV agent --nat $A:a0 --instance "$inst" --listen 127.0.0.1:$port \
		--ready-file "$out.ready"
	bg_ready "$out" "$out.ready" "$what" || return
	check_live "$out" "$what: it starts from the $from pinned" agent_counts $port "$from"
	send_ntp $((want - from))
	check_live "$out" "$what ($from + $((want - from)) = $want)" agent_counts $port "$want"
	kill -TERM $BG_PID
	bg_finish "$out" 30
	check_run "$what: stopped by SIGTERM, exit 0, nothing left attached" 0 "$out" clean_in $A
}

# check_live OUT NAME COMMAND...: a check on the run started as OUT while
# it runs (no exit status yet); its stderr shown when it fails.
check_live() {
	local out=$1
	shift
	check "$@" && return 0
	diag_file "$out.err" "stderr: "
	return 1
}

# ---- kill -9 at random moments, always after attach (the ready file) ----
# left_after_kill WHAT NS...: after kill -9 of a run whose programs in each
# NS were listed at ready in $TMP/at.NS (ours_in). tcx links and XDP go
# with the process: nothing of ours left. clsact filters stay (documented,
# `flowverify cleanup --help`): exactly those, until `cleanup --filters`
# removes them (a second check), and then nothing.
left_after_kill() {
	local what=$1 ns
	shift
	if [ "$TC" = tcx ]; then
		for ns in "$@"; do
			check "$what: nothing of ours left in $ns" clean_in $ns
		done
		return
	fi
	check "$what: clsact: exactly its filters left in $*, as at ready" same_as_at_ready "$@"
	capture "$TMP/cf.kill" $FV cleanup --filters
	check_run "$what: cleanup --filters (exit 0) removes them: nothing of ours left in $*" 0 "$TMP/cf.kill" \
		clean_in_all "$@" || diag_file "$TMP/cf.kill" "cleanup: "
}
# same_as_at_ready NS...: ours_in each NS lists clsact filters, the same
# (ids too) as $TMP/at.NS.
same_as_at_ready() {
	local ns
	for ns in "$@"; do
		ours_in $ns >"$TMP/left.$ns" 2>&1
		grep -q "clsact-" "$TMP/at.$ns" && cmp -s "$TMP/at.$ns" "$TMP/left.$ns" && continue
		diag "$ns: at ready: $(paste -sd';' "$TMP/at.$ns"); now: $(paste -sd';' "$TMP/left.$ns")"
		return 1
	done
}
clean_in_all() {
	local ns
	for ns in "$@"; do clean_in $ns || return 1; done
}

kill_verify() {
	local i delay out
	for i in 1 2 3 4; do
		need_pair "kill -9 of verify" || return
		out=$TMP/k$i
		start "$out" $FV verify --nat $A:a0 --client $B:b0 --duration 60 --ready-file "$out.ready"
		bg_ready "$out" "$out.ready" "kill -9 of verify ($i)" || continue
		delay=$(printf '0.%03d' $((RANDOM % 1000)))
		ours_in $A >"$TMP/at.$A" 2>&1
		ours_in $B >"$TMP/at.$B" 2>&1
		check "kill -9 of verify ($i): attached at ready, $TC ingress and egress in $A and $B" \
			eval '[ "$(grep -c " $TC-" "$TMP/at.$A")" -eq 2 ] && [ "$(grep -c . "$TMP/at.$A")" -eq 2 ] &&
			      [ "$(grep -c " $TC-" "$TMP/at.$B")" -eq 2 ] && [ "$(grep -c . "$TMP/at.$B")" -eq 2 ]' ||
			diag "$A: $(paste -sd';' "$TMP/at.$A"); $B: $(paste -sd';' "$TMP/at.$B")"
		sleep "$delay"
		kill -9 $BG_PID
		bg_finish "$out" 30
		check_run "kill -9 of verify ${delay} s after ready: it died of it (status 137)" 137 "$out"
		left_after_kill "kill -9 of verify ${delay} s after ready" $A $B
	done
}

kill_watch() {
	local i delay out
	for i in 1 2; do
		need_pair "kill -9 of watch" || return
		out=$TMP/w$i
		start "$out" $FV watch --nat $A:a0 --ready-file "$out.ready"
		bg_ready "$out" "$out.ready" "kill -9 of watch ($i)" || continue
		delay=$(printf '%d.%03d' $((RANDOM % 2)) $((RANDOM % 1000)))
		ours_in $A >"$TMP/at.$A" 2>&1
		check "kill -9 of watch ($i): attached at ready, $TC ingress and egress in $A" \
			eval '[ "$(grep -c " $TC-" "$TMP/at.$A")" -eq 2 ] && [ "$(grep -c . "$TMP/at.$A")" -eq 2 ]' ||
			diag "$A: $(paste -sd';' "$TMP/at.$A")"
		sleep "$delay"
		kill -9 $BG_PID
		bg_finish "$out" 30
		check_run "kill -9 of watch ${delay} s after ready: it died of it (status 137)" 137 "$out"
		left_after_kill "kill -9 of watch ${delay} s after ready" $A
	done
}

# The agent keeps its counters pinned on purpose: after kill -9 nothing
# stays attached (clsact filters too: its detacher child, which kept the
# privilege for it, removes them when the agent dies), a restart re-adopts
# the pins and keeps counting, and `cleanup` removes them. It is killed once it has counted the 20 (polled),
# at a random moment after that.
kill_agent() {
	local out=$TMP/agent1 what="kill -9 of the agent"
	need_pair "$what" || return
	need "$what" "no pins of $INST yet" test ! -e /sys/fs/bpf/flowverify/$INST || return
	free_port
	start "$out" $FV agent --nat $A:a0 --instance $INST --listen 127.0.0.1:$port \
		--ready-file "$out.ready"
	bg_ready "$out" "$out.ready" "$what" || return
	send_ntp 20
	check_live "$out" "$what: first it counted the 20 requests" agent_counts $port 20
	sleep "0.$((RANDOM % 10))"
	kill -9 $BG_PID
	bg_finish "$out" 30
	check_run "$what: it died of it (status 137)" 137 "$out"
	check "$what: nothing left attached ($TC)" clean_in $A
	check "$what: its pins stay for a restart" test -d /sys/fs/bpf/flowverify/$INST
	restart_counts agent2 $INST 20 25 "agent restarted on the same pins continues the counters"
	capture "$TMP/cleanup1" $FV cleanup --instance $INST
	check_run "cleanup removes the agent's pins (exit 0)" 0 "$TMP/cleanup1" \
		test ! -e /sys/fs/bpf/flowverify/$INST
}

# ---- the interface deleted and re-created while watched ----
# verify notices within a second (its links went with the interface) and
# attaches to the new one of the same name: both halves are counted.
iface_verify() {
	local out=$TMP/v1 what="interface re-created under verify"
	need_pair "$what" || return
	start "$out" $FV verify --nat $A:a0 --duration 15 --json --ready-file "$out.ready"
	bg_ready "$out" "$out.ready" "$what" || return
	send_ntp 10
	if need "$what" "a0 deleted, the pair made again" eval 'ip -n $A link del a0 && veth'; then
		wait_until 15 grep -q "$A:a0 is back" "$out.err" ||
			not_ok "$what: precondition: verify says $A:a0 is back, within 15 s"
		send_ntp 10
	fi
	bg_sent "$out"
	bg_finish "$out"
	check_run "$what: it ends normally (exit 1: unanswered), no crash" 1 "$out"
	check_run "interface re-created: verify said it went away and is watched again" 1 "$out" \
		eval 'grep -q "$A:a0 went away" "$out.err" && grep -q "$A:a0 is back" "$out.err"'
	check_run "interface re-created: watched again, both halves counted (10 + 10)" 1 "$out" \
		in_window "$out" 15 jq_ok "$out" '.legs[0].packets == 20 and .points[0].interfaces[0].state == "watched" and .points[0].interfaces[0].reattached == 1'
	check "interface re-created: nothing of ours left after verify" clean_in $A
}

# The agent has no privilege left to attach: it exits 3, so its service
# manager restarts it; the restart watches the new interface and the
# pinned counters carry on.
iface_agent() {
	local out=$TMP/agent3 what="interface gone under the agent"
	need_pair "$what" || return
	need "$what" "no pins of $INST-if yet" test ! -e /sys/fs/bpf/flowverify/$INST-if || return
	free_port
	start "$out" $FV agent --nat $A:a0 --instance $INST-if --listen 127.0.0.1:$port \
		--ready-file "$out.ready"
	bg_ready "$out" "$out.ready" "$what" || return
	send_ntp 5
	check_live "$out" "$what: first it counted the 5 requests" agent_counts $port 5
	need "$what" "a0 deleted, the pair made again" eval 'ip -n $A link del a0 && veth'
	# It must end by itself: polled, killed after 30 s.
	bg_finish "$out" 30
	check_run "$what: it exits 3 and says why in one line" 3 "$out" \
		eval '[ "$(grep -c "a watched interface went away" "$out.err")" -eq 1 ]'
	check "$what: nothing of ours left" clean_in $A
	restart_counts agent4 $INST-if 5 10 "restarted, the agent watches the new interface, counters continue"
	capture "$TMP/cleanup2" $FV cleanup --instance $INST-if
	check_run "$what: cleanup removes the pins (exit 0)" 0 "$TMP/cleanup2" \
		test ! -e /sys/fs/bpf/flowverify/$INST-if
}

# ---- a watched namespace deleted ----
ns_deleted() {
	local out=$TMP/v2 what="namespace deleted under verify"
	need "$what" "namespace $C with lo up" eval 'ip netns add $C && made+=($C) && ip -n $C link set lo up' || return
	start "$out" $FV verify --nat $C:lo --duration 5 --json --ready-file "$out.ready"
	bg_ready "$out" "$out.ready" "$what" || return
	need "$what" "$C deleted while verify runs" eval 'ip netns del $C && ! ended $BG_PID'
	bg_finish "$out"
	check_run "$what: it ends normally (exit 1: no traffic), no crash" 1 "$out" \
		jq_ok "$out" '.status == "no_traffic"'
	check_run "$what: it said $C:lo went away, its report has it gone" 1 "$out" \
		eval 'grep -q "$C:lo went away" "$out.err" && jq_ok "$out" ".points[0].interfaces[0].state == \"gone\""'
	check "$what: nothing of ours left in other namespaces" clean_in $A
}

# The watched namespace deleted and made again under its name (a lab torn
# down and rebuilt, a container restarted): verify watches the new one,
# and the drop tracer follows it to its new inode (where the kernel has
# drop reasons: --drops on needs them).
ns_recreated() {
	local out=$TMP/v2b what="namespace re-created under verify" drops=(--drops on)
	need_pair "$what" || return
	[ $REASONS = 1 ] || drops=()
	start "$out" $FV verify --nat $A:a0 "${drops[@]}" --duration 15 --json --ready-file "$out.ready"
	bg_ready "$out" "$out.ready" "$what" || return
	send_ntp 10
	if need "$what" "$A deleted and made again, with the pair" \
		eval 'ip netns del $A && ip netns add $A && ip -n $A link set lo up && veth'; then
		wait_until 15 grep -q "$A:a0 is back" "$out.err" ||
			not_ok "$what: precondition: verify says $A:a0 is back, within 15 s"
		send_ntp 7
	fi
	bg_sent "$out"
	bg_finish "$out"
	check_run "$what: watched again, 10 + 7 counted (exit 1)" 1 "$out" \
		in_window "$out" 15 jq_ok "$out" '.legs[0].packets == 17 and .points[0].interfaces[0].reattached == 1'
	if [ $REASONS = 1 ]; then
		check_run "namespace re-created: drops in the old and the new one are the NAT's (10 + 7 by routing)" 1 "$out" \
			in_window "$out" 15 jq_ok "$out" '([.drops[] | select(.hook == "routing" and .host == "nat") | .count] | add) == 17'
	else
		skip "namespace re-created: drops by routing: this kernel has no drop reasons (SKB_DROP_REASON_NETFILTER_DROP, 5.17), so no --drops on"
	fi
	check "namespace re-created: nothing of ours left" clean_in $A
}

# ---- other tc filters on the interface: untouched before, during, after ----
filters() { tc -n $A filter show dev a0 ingress; tc -n $A filter show dev a0 egress; }
# others: filters, but ours (clsact: every line of a pref that holds one of
# ours; flowverify takes a pref of its own).
others() {
	local dir f p
	for dir in ingress egress; do
		f=$(tc -n $A filter show dev a0 $dir)
		for p in $(grep ' name fv_' <<<"$f" | sed -n 's/.* pref \([0-9]*\) .*/\1/p' | sort -u); do
			f=$(grep -v " pref $p " <<<"$f")
		done
		[ -z "$f" ] || echo "$f"
	done
}
# foreign_filters: someone else's clsact qdisc on A:a0 with a bpf classifier
# (the only one every kernel has built in) each way, prio 7; made unless
# there. Each section that wants them calls it and takes its own "before".
foreign_filters() {
	{ tc -n $A qdisc show dev a0 | grep -q clsact || tc -n $A qdisc add dev a0 clsact; } &&
	{ tc -n $A filter show dev a0 ingress | grep -q 'pref 7 bpf.*handle' ||
	  tc -n $A filter add dev a0 ingress prio 7 bpf obj "$TC_PASS" sec tc da; } &&
	{ tc -n $A filter show dev a0 egress | grep -q 'pref 7 bpf.*handle' ||
	  tc -n $A filter add dev a0 egress prio 7 bpf obj "$TC_PASS" sec tc da; } &&
	[ "$(filters | grep -c 'pref 7 bpf.*handle')" -eq 2 ]
}
other_filters() {
	local out=$TMP/v3 what="other tc filters" before during after
	need_pair "$what" || return
	need "$what" "someone else's clsact qdisc and filters on $A:a0" foreign_filters || return
	before=$(filters)
	start "$out" $FV verify --nat $A:a0 --duration 6 --json --ready-file "$out.ready"
	bg_ready "$out" "$out.ready" "$what" || return
	send_ntp 10
	bg_sent "$out"
	during=$(others)
	bg_finish "$out"
	after=$(filters)
	check "other tc filters: present while flowverify runs" test "$before" = "$during"
	check "other tc filters: unchanged after, clsact qdisc kept" \
		eval 'test "$before" = "$after" && tc -n $A qdisc show dev a0 | grep -q clsact'
	check_run "other tc filters: flowverify still counted every packet (10, exit 1)" 1 "$out" \
		in_window "$out" 6 jq_ok "$out" '.legs[0].packets == 10'
	need "$what" "removing them again" tc -n $A qdisc del dev a0 clsact
}

# Someone else's filter that drops everything leaving B: with our tcx
# egress program before it, it must still drop (a program that returns
# TC_ACT_OK ends the tc chain and would let the packets out).
drop_filter() {
	local out=$TMP/vd what="someone else's drop filter"
	need_pair "$what" || return
	need "$what" "a clsact drop filter (tc_drop) on $B:b0 egress" eval \
		'tc -n $B qdisc add dev b0 clsact && tc -n $B filter add dev b0 egress prio 7 bpf obj "$TC_DROP" sec tc da' ||
		{ tc -n $B qdisc del dev b0 clsact 2>/dev/null; return; }
	start "$out" $FV verify --nat $A:a0 --client $B:b0 --duration 6 --json --ready-file "$out.ready"
	if bg_ready "$out" "$out.ready" "$what"; then
		send_ntp 10
		bg_sent "$out"
		bg_finish "$out"
		check_run "someone else's drop filter after ours still drops: 10 left B's socket, none reached A (exit 1)" 1 "$out" \
			in_window "$out" 6 jq_ok "$out" '.clients[0].legs[0].packets == 10 and .legs[0].packets == 0'
	fi
	need "$what" "removing it again" tc -n $B qdisc del dev b0 clsact
}

# Someone else's tcx programs, appended before ours came: one that ends
# the chain (TCX_PASS, what most return) on A's ingress, one that drops
# everything on B's egress. Ours go first, so they see every packet, and
# pass on: the others still run and decide.
# other_tcx NETNS IFACE DIR PROGRAM: started, ready (polled, 15 s); its
# pid in $other_pid. Fails naming it (a not_ok) when it does not attach.
other_tcx() {
	local obj=$TC_PASS
	[ "$4" = tc_drop ] && obj=$TC_DROP
	"$TCX_OTHER" "$1" "$2" "$3" "$obj" "other_$4" >"$TMP/other.$1" 2>&1 &
	other_pid=$!
	pids+=($other_pid)
	wait_until 15 grep -q ready "$TMP/other.$1" && return 0
	not_ok "someone else's tcx program: precondition: fv_tcx_other attached $4 to $1:$2 $3"
	diag_file "$TMP/other.$1" "fv_tcx_other: "
	kill $other_pid 2>/dev/null
	return 1
}
tcx_pass() {
	local out=$TMP/vx1 what="a tcx program that ends the chain" during
	# With clsact ours would run after every tcx program (the kernel runs
	# tcx first), so there is nothing of this to test: a kernel without
	# tcx has no one else's tcx programs.
	[ "$TC" = tcx ] || { skip "$what: flowverify uses clsact here (no tcx, or FV_TC=clsact): no tcx chain to share"; return; }
	need_pair "$what" || return
	other_tcx $A a0 ingress tc_pass || return
	start "$out" $FV verify --nat $A:a0 --ingress tc --duration 6 --json --ready-file "$out.ready"
	if bg_ready "$out" "$out.ready" "$what"; then
		send_ntp 10
		bg_sent "$out"
		during=$("$FV_ATTACHED" $A | grep tcx-ingress)
		bg_finish "$out"
		check_run "a tcx program that ends the chain, attached before us: ours goes first, 10 of 10 counted (exit 1)" 1 "$out" \
			in_window "$out" 6 eval 'jq_ok "$out" ".legs[0].packets == 10" && [ "$(echo "$during" | head -1 | awk "{print \$4}")" = fv_tc_ingress ]' ||
			diag "tcx ingress while it ran: $(echo "$during" | paste -sd';')"
		check "the other tcx program is still attached, ours is gone" \
			eval '[ "$("$FV_ATTACHED" $A | grep -c other_tc_pass)" -eq 1 ] && clean_in $A'
	fi
	kill $other_pid
	wait $other_pid 2>/dev/null
}
tcx_drop() {
	local out=$TMP/vx2 what="a tcx program that drops"
	[ "$TC" = tcx ] || { skip "$what: flowverify uses clsact here (no tcx, or FV_TC=clsact): no tcx chain to share"; return; }
	need_pair "$what" || return
	other_tcx $B b0 egress tc_drop || return
	start "$out" $FV verify --nat $A:a0 --client $B:b0 --duration 6 --json --ready-file "$out.ready"
	if bg_ready "$out" "$out.ready" "$what"; then
		send_ntp 10
		bg_sent "$out"
		bg_finish "$out"
		check_run "a tcx program that drops, attached before us: ours sees 10 leave, the drop still holds (A saw 0; exit 1)" 1 "$out" \
			in_window "$out" 6 jq_ok "$out" '.clients[0].legs[0].packets == 10 and .legs[0].packets == 0'
	fi
	kill $other_pid
	wait $other_pid 2>/dev/null
}

# ---- kernels without tcx: the clsact path (FV_TC=clsact takes it here) ----
# Next to someone else's filters (made here): our filters go on exit; after
# kill -9 they stay, and `cleanup --filters` removes them but not those of
# a run still going, nor anyone else's.
clsact_path() {
	local out=$TMP/vc1 what="clsact" before during
	need_pair "$what" || return
	need "$what" "someone else's clsact qdisc and filters on $A:a0" foreign_filters || return
	before=$(filters)
	start "$out" env FV_TC=clsact $FV verify --nat $A:a0 --ingress tc --duration 6 --json \
		--ready-file "$out.ready"
	if bg_ready "$out" "$out.ready" "$what"; then
		send_ntp 10
		bg_sent "$out"
		during=$(ours_in $A)
		bg_finish "$out"
		check_run "clsact: both hooks are clsact filters, 10 of 10 counted (exit 1)" 1 "$out" \
			in_window "$out" 6 jq_ok "$out" '.points[0].interfaces[0].ingress == "clsact-ingress" and .points[0].interfaces[0].egress == "clsact-egress" and .legs[0].packets == 10'
		check "clsact: our two filters were there during the run" \
			test "$(echo "$during" | grep -c 'clsact-')" -eq 2 || diag "ours: $(echo "$during" | paste -sd';')"
		check "clsact: removed on exit, by their exact handles" clean_in $A
		check "clsact: other filters unchanged" eval 'test "$before" = "$(filters)"'
	fi
	clsact_kill "$before"
	need "$what" "removing the qdiscs again" eval \
		'tc -n $A qdisc del dev a0 clsact && { ! tc -n $B qdisc show dev b0 | grep -q clsact || tc -n $B qdisc del dev b0 clsact; }'
}
# clsact_kill BEFORE: A's filters as they were before (someone else's).
clsact_kill() {
	local before=$1 o2=$TMP/vc2 o3=$TMP/vc3 p2 p3 what="clsact, kill -9"
	start "$o2" env FV_TC=clsact $FV verify --nat $A:a0 --ingress tc --duration 60 --json \
		--ready-file "$o2.ready"
	p2=$BG_PID
	start "$o3" env FV_TC=clsact $FV verify --nat $B:b0 --ingress tc --duration 60 --json \
		--ready-file "$o3.ready"
	p3=$BG_PID
	if ! bg_ready "$o2" "$o2.ready" "$what ($A)"; then
		kill $p3
		bg_finish "$o3" 30
		return
	fi
	bg_ready "$o3" "$o3.ready" "$what ($B)" || { kill $p2; bg_finish "$o2" 30; return; }
	kill -9 $p2
	bg_finish "$o2" 30
	check_run "clsact: kill -9 (status 137) leaves our two filters behind (documented)" 137 "$o2" \
		test "$(ours_in $A | grep -c 'clsact-')" -eq 2
	capture "$TMP/cf" $FV cleanup --filters
	check_run "cleanup --filters: exit 0, names the two it removed in $A" 0 "$TMP/cf" \
		eval '[ "$(grep -c "^removed fv_tc_.* from $A:a0 " "$TMP/cf")" -eq 2 ]' ||
		diag_file "$TMP/cf" "cleanup: "
	check "cleanup --filters: nothing of ours left in $A" clean_in $A
	check "cleanup --filters: someone else's filters untouched" \
		eval 'test "$before" = "$(filters)"'
	check "cleanup --filters: the filters of the run still going are kept" \
		eval 'grep -q "^kept fv_tc_egress .* on $B:b0 egress" "$TMP/cf" && [ "$(ours_in $B | grep -c clsact-)" -eq 2 ]'
	kill $p3
	bg_finish "$o3" 30
	# Nothing came to B: stopped before anything could be judged is
	# "inconclusive", exit 3 (README, exit statuses).
	check_run "clsact: the run still going, stopped by SIGTERM with nothing judged, ends normally (inconclusive, exit 3) and removes its own" 3 "$o3" \
		clean_in $B
}

# ---- the ring buffer full ----
# verify is stopped (SIGSTOP) while requests flood in: the 1 MiB ring
# fills, the kernel counts what it could not queue, and the counters stay
# exact: every packet is an event, rate-limited or lost. Its window ends
# while it is stopped, on purpose: it must still drain the ring.
ring_full() {
	local out=$TMP/v4 what="ring full" i
	need_pair "$what" || return
	start "$out" $FV verify --nat $A:a0 --duration 8 --json --ready-file "$out.ready"
	bg_ready "$out" "$out.ready" "$what" || return
	need "$what" "verify stopped (SIGSTOP)" kill -STOP $BG_PID || return
	# In bursts: each pause (at least 0.3 s: load only makes it longer)
	# refills the per-CPU event budget (2000), so more than the ring's 8738
	# events get through however fast we send.
	for i in $(seq 8); do
		send_ntp 5000
		sleep 0.3
	done
	kill -CONT $BG_PID
	bg_finish "$out" 120
	check_run "ring full: events lost, and counted (exit 1)" 1 "$out" jq_ok "$out" '.events.lost > 0'
	diag "ring full: events $(jq -c .events "$out")"
	check_run "ring full: counters exact (40000 sent, 40000 counted)" 1 "$out" \
		jq_ok "$out" '.legs[0].packets == 40000 and .points[0].parser.ntp_packets == 40000'
	check_run "ring full: every packet an event, rate-limited or lost" 1 "$out" \
		jq_ok "$out" '.points[0].parser.ntp_packets == .events.received + .events.rate_limited + .events.lost'
}

# ---- /sys/fs/bpf not mounted (a private mount namespace; the host's
# mount is never touched). Status 99: still mounted in there. ----
no_bpffs() {
	local out=$TMP/v5 a6=$TMP/a6 what="no bpffs" host_bpffs
	local unmount='while umount /sys/fs/bpf 2>/dev/null; do :; done; findmnt /sys/fs/bpf >/dev/null && exit 99'
	need_pair "$what" || return
	host_bpffs=$(findmnt -n -o FSTYPE /sys/fs/bpf)
	start "$out" unshare -m --propagation private bash -c "$unmount
		exec $FV verify --nat $A:a0 --duration 6 --json --ready-file $out.ready"
	if bg_ready "$out" "$out.ready" "$what: verify"; then
		send_ntp 10
		bg_sent "$out"
		bg_finish "$out"
		check_run "no bpffs: verify needs none, counts 10 of 10 (exit 1)" 1 "$out" \
			in_window "$out" 6 jq_ok "$out" '.legs[0].packets == 10'
	fi
	need "$what" "no pins of $INST-nobpf on the host yet" test ! -e /sys/fs/bpf/flowverify/$INST-nobpf || return
	free_port
	start "$a6" unshare -m --propagation private bash -c "$unmount
		exec $FV agent --nat $A:a0 --instance $INST-nobpf --listen 127.0.0.1:$port --ready-file $a6.ready"
	if bg_ready "$a6" "$a6.ready" "$what: the agent"; then
		kill -TERM $BG_PID
		bg_finish "$a6" 30
		check_run "no bpffs: the agent mounts its own, says so, and stops cleanly (exit 0)" 0 "$a6" \
			grep -q "mounted bpffs" "$a6.err"
	fi
	check "no bpffs: the host's /sys/fs/bpf is as it was" \
		test "$(findmnt -n -o FSTYPE /sys/fs/bpf)" = "$host_bpffs"
	check "no bpffs: no pins of ours appeared on the host" \
		test ! -e /sys/fs/bpf/flowverify/$INST-nobpf
	check "no bpffs: nothing left attached" clean_in $A
}

# ---- clocks ----
# The real clock is never changed. A time namespace shifts CLOCK_MONOTONIC
# for flowverify only, by a day forward and by 50 minutes back, while the
# kernel stamps events with the real one: requests must still be judged
# lost (not "a day old" nor "from the future"), and last seen a moment
# ago: within the seconds the run took (ran_s), not hours off. Before the
# fix every exchange vanished (0 unanswered). The kernel refuses a
# monotonic clock shifted below zero, so the shift back is 50 minutes, or
# less on a machine up for less than that (any shift beyond the window and
# reply timeout shows the bug). That limit is CLOCK_MONOTONIC's, read as
# such: /proc/uptime is the boot time, ahead of it by any time suspended.
# Time namespaces are read from the kernel (has_timens, lib.sh); where it
# has them, a refused offset is a failure with the kernel's word, never
# "no time namespaces".
# ran_s OUT: whole seconds, rounded up, since the run started.
ran_s() { echo $((($(now_ms) - $(cat "$1.t0")) / 1000 + 1)); }
clocks() {
	local off out up back ran
	up=$(python3 -c 'import time; print(int(time.monotonic()))') || up=0
	back=$((up - 60 < 3000 ? up - 60 : 3000))
	for off in 86400 -$back; do
		if ! has_timens; then
			skip "clock offset $off: this kernel has no time namespaces (no /proc/self/ns/time: CONFIG_TIME_NS, 5.6)"
			continue
		fi
		need_pair "clock offset $off" || return
		if [ "$back" -lt 60 ] && [ "$off" != 86400 ]; then
			skip "clock offset back: the monotonic clock reads only $up s, too little to shift it back by a minute"
			continue
		fi
		# The offsets the run takes, tried first.
		if ! unshare -T -f --monotonic "$off" --boottime "${off#-}" true 2>"$TMP/timens.err"; then
			not_ok "clock offset $off: precondition: a time namespace with CLOCK_MONOTONIC shifted by $off s (monotonic now $up s)"
			diag_file "$TMP/timens.err" "unshare: "
			continue
		fi
		out=$TMP/vt$off
		start "$out" unshare -T -f --monotonic "$off" --boottime "${off#-}" \
			$FV verify --nat $A:a0 --duration 8 --json --ready-file "$out.ready"
		bg_ready "$out" "$out.ready" "clock offset $off" || continue
		send_ntp 20 0.05
		bg_sent "$out"
		bg_finish "$out"
		ran=$(ran_s "$out")
		check_run "monotonic clock shifted by $off s: 20 requests judged unanswered (exit 1), seen moments ago (in the $ran s it ran)" 1 "$out" \
			in_window "$out" 8 jq_ok "$out" ".legs[0].packets == 20 and .exchanges.unanswered == 20 and .legs[0].last_seen_seconds_ago >= 0 and .legs[0].last_seen_seconds_ago < $ran" ||
			diag "got: $(jq -c '{packets: .legs[0].packets, unanswered: .exchanges.unanswered, last_seen: .legs[0].last_seen_seconds_ago}' "$out" 2>/dev/null)"
	done
}

# The wall clock stepped an hour forward mid-run, for flowverify only (an
# LD_PRELOAD shim over clock_gettime/time/gettimeofday): judging uses the
# monotonic clock, so counts and verdict are the same. The shim writes the
# pid of each process it is loaded into (FV_SHIM_LOADED), so the check
# fails if it never reached verify.
wall_clock() {
	local out=$TMP/vs what="wall clock stepped" ran
	if ! command -v cc >/dev/null; then
		skip "wall clock step: no C compiler for the shim"
		return
	fi
	need_pair "$what" || return
	cat >"$TMP/step.c" <<'EOF'
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>
__attribute__((constructor)) static void loaded(void)
{
	const char *f = getenv("FV_SHIM_LOADED");
	FILE *o = f ? fopen(f, "a") : NULL;

	if (o) {
		fprintf(o, "%d\n", (int)getpid());
		fclose(o);
	}
}
/* Stepped once the test creates FV_SHIM_STEP_FILE: the test, not a
 * timer in the shim, says when (a timer raced process start-up). */
static long step(void)
{
	const char *f = getenv("FV_SHIM_STEP_FILE");

	return f && access(f, F_OK) == 0 ? 3600 : 0;
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
	need "$what" "the shim built (cc)" cc -shared -fPIC -o "$TMP/step.so" "$TMP/step.c" -ldl || return
	need "$what" "the shim steps the wall clock of a process (python)" env LD_PRELOAD=$TMP/step.so \
		FV_SHIM_STEP_FILE=$TMP/step.py python3 -c 'import sys, time; a = time.time(); open(sys.argv[1], "w").close(); b = time.time(); print(f"a={a} b={b}"); exit(0 if b - a > 3000 else 1)' \
		"$TMP/step.py" || return
	start "$out" env LD_PRELOAD=$TMP/step.so FV_SHIM_LOADED=$TMP/shim.pids FV_SHIM_STEP_FILE=$TMP/step.now \
		$FV verify --nat $A:a0 --duration 8 --json --ready-file "$out.ready"
	bg_ready "$out" "$out.ready" "$what" || return
	# Half the requests before the step, half after.
	send_ntp 10 0.05
	: >"$TMP/step.now"
	send_ntp 10 0.05
	bg_sent "$out"
	bg_finish "$out"
	ran=$(ran_s "$out")
	check_run "wall clock stepped +1 h mid-run: same counts and verdict (20 unanswered, exit 1, seen in the $ran s it ran)" 1 "$out" \
		in_window "$out" 8 eval 'grep -qx "$(cat "$out.pid")" "$TMP/shim.pids" && jq_ok "$out" ".legs[0].packets == 20 and .exchanges.unanswered == 20 and .legs[0].last_seen_seconds_ago >= 0 and .legs[0].last_seen_seconds_ago < $ran"' ||
		diag "the shim was loaded in: $(paste -sd' ' "$TMP/shim.pids" 2>/dev/null); verify was $(cat "$out.pid"); got: $(jq -c '{packets: .legs[0].packets, unanswered: .exchanges.unanswered, last_seen: .legs[0].last_seen_seconds_ago}' "$out" 2>/dev/null)"
}

# ---- valgrind over a full verify run: ACLs loaded, a client point, the
# drop tracer, events joined, the JSON report. No leak, no invalid access.
# (Its "syscall param bpf(attr->...)" notes are libbpf's partly filled
# bpf_attr, which the kernel reads only as far as the command needs, and
# the NULL key that asks for a map's first key: not counted.) Under
# valgrind the drop tracer takes long to load: ready may take a while.
under_valgrind() {
	local out=$TMP/vv what="valgrind" rc drops=(--drops on)
	if nm "$FV" 2>/dev/null | grep -q __asan_init; then
		skip "valgrind: $FV is built with ASan, which does its own leak check"
		return
	elif ! command -v valgrind >/dev/null; then
		skip "valgrind: not installed (make deps installs it)"
		return
	fi
	need_pair "$what" || return
	[ $REASONS = 1 ] || drops=()
	start "$out" valgrind --leak-check=full --show-leak-kinds=definite,indirect,possible \
		--suppressions=tests/valgrind/libbpf.supp \
		$FV verify --nat $A:a0 --client $B:b0 --duration 8 --json "${drops[@]}" \
		--acls tests/fixtures/acl/aws-ntp.json --public acl-0a11ce0000000pub \
		--private acl-0b0b000000000prv --ready-file "$out.ready"
	bg_ready "$out" "$out.ready" "$what" 180 || return
	send_ntp 20 0.02
	bg_sent "$out"
	bg_finish "$out" 300
	# Its stderr is mostly valgrind's notes: on failure, the lines that say.
	rc=$(cat "$out.rc")
	check "valgrind: a full verify run frees everything" \
		grep -q "All heap blocks were freed -- no leaks are possible" "$out.err" || vg_diag "$out.err"
	check "valgrind: no invalid read, write or free" \
		eval '! grep -qE "Invalid (read|write|free)|(Use of|depends on) uninitialised value|Mismatched free" "$out.err"' ||
		vg_diag "$out.err"
	check "valgrind: the run itself worked (20 requests counted, exit 1)" \
		exited "$rc" 1 in_window "$out" 8 jq_ok "$out" '.legs[0].packets == 20' ||
		{ vg_diag "$out.err"; diag "got: $(jq -c '{packets: .legs[0].packets}' "$out" 2>/dev/null)"; }
	if [ $REASONS = 1 ]; then
		check "valgrind: the drop tracer ran too (20 dropped by routing on A)" \
			exited "$rc" 1 in_window "$out" 8 jq_ok "$out" '([.drops[] | select(.hook == "routing") | .count] | add) == 20' ||
			{ vg_diag "$out.err"; diag "got: $(jq -c '{drops, drop_tracer}' "$out" 2>/dev/null)"; }
	else
		skip "valgrind: the drop tracer: this kernel has no drop reasons (SKB_DROP_REASON_NETFILTER_DROP, 5.17), so no --drops on"
	fi
}
# vg_diag ERRFILE: valgrind's summary and error lines, and flowverify's own.
vg_diag() {
	grep -E "LEAK SUMMARY|lost in|ERROR SUMMARY|Invalid|uninitialised value|Mismatched|^flowverify:" "$1" |
		head -30 | sed 's/^/# stderr: /'
}

# ---- two instances on one interface (both asking for XDP: the second finds the first's) ----
two_instances() {
	local o1=$TMP/t1 o2=$TMP/t2 what="two instances" p1
	need_pair "$what" || return
	start "$o1" $FV verify --nat $A:a0 --ingress xdp --duration 12 --json --ready-file "$o1.ready"
	p1=$BG_PID
	bg_ready "$o1" "$o1.ready" "$what (the first)" || return
	start "$o2" $FV verify --nat $A:a0 --ingress xdp --duration 8 --json --ready-file "$o2.ready"
	if ! bg_ready "$o2" "$o2.ready" "$what (the second)"; then
		kill $p1
		bg_finish "$o1" 30
		return
	fi
	send_ntp 100
	bg_sent "$o1"
	bg_sent "$o2"
	bg_finish "$o1"
	bg_finish "$o2"
	check_run "two instances: the second says the first's XDP is there, uses tc" 1 "$o2" \
		eval 'grep -q "already carries another XDP program" "$o2.err" && jq_ok "$o2" ".points[0].interfaces[0].ingress == \"$TC-ingress\""'
	check_run "two instances: each counted all 100 (the first: exit 1)" 1 "$o1" \
		in_window "$o1" 12 jq_ok "$o1" '.legs[0].packets == 100'
	check_run "two instances: each counted all 100 (the second: exit 1)" 1 "$o2" \
		in_window "$o2" 8 jq_ok "$o2" '.legs[0].packets == 100'
	check "two instances: nothing left after both" clean_in $A
}

kill_verify
kill_watch
kill_agent
iface_verify
iface_agent
ns_deleted
ns_recreated
other_filters
drop_filter
tcx_pass
tcx_drop
clsact_path
ring_full
no_bpffs
clocks
wall_clock
under_valgrind
two_instances
done_testing
exit 0
