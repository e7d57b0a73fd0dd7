# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Shared by the end-to-end suites: TAP output and checks that nothing of
# ours is left attached. Sourced, not run.
FV=${FV:-./flowverify}
TAP_N=0
TMP=$(mktemp -d /tmp/fv-e2e.XXXXXX)

# Every lab a suite makes is an instance of its own (fv-t<pid>-*), so the
# suites run beside a user's lab, or each other's, and never touch them.
LAB_INST=t$$
NS_CLIENT=fv-$LAB_INST-client NS_ROUTER=fv-$LAB_INST-router
NS_NAT=fv-$LAB_INST-nat NS_SERVER=fv-$LAB_INST-server
lab() { $FV lab --instance "$LAB_INST" "$@"; }
# No namespace of this suite's lab exists.
lab_gone() { ! ip netns list | grep -qE "^fv-$LAB_INST-(client|router|nat|server)( |$)"; }

ok() { TAP_N=$((TAP_N + 1)); echo "ok $TAP_N - $*"; }
not_ok() { TAP_N=$((TAP_N + 1)); echo "not ok $TAP_N - $*"; }
skip() { TAP_N=$((TAP_N + 1)); echo "ok $TAP_N # SKIP $*"; }
diag() { echo "# $*"; }
# check NAME COMMAND...: one TAP line from a command's success.
check() {
	local name=$1; shift
	if "$@"; then ok "$name"; else not_ok "$name"; return 1; fi
}
done_testing() { echo "1..$TAP_N"; }
# exited RC WANT COMMAND...: an exit status RC of WANT, and the command
# (the rest of the check) succeeds.
exited() {
	local rc=$1 want=$2; shift 2
	[ "$rc" = "$want" ] || { diag "exit status $rc, want $want"; return 1; }
	"$@"
}
# quiet COMMAND...: the command with its stdout dropped (stderr kept).
quiet() { "$@" >/dev/null; }

# Links (XDP, tcx) and tc filters holding one of our programs, anywhere.
# Programs merely loaded (a BPF unit test running) do not count.
our_progs() {
	local ids n=0 ns
	ids=$(bpftool -j prog show 2>/dev/null | jq -r '.[] |
		select(.name == "fv_xdp_ingress" or .name == "fv_tc_egress" or
		       .name == "fv_tc_ingress") | .id')
	[ -n "$ids" ] || { echo 0; return; }
	for id in $ids; do
		bpftool -j link show 2>/dev/null | jq -e ".[] | select(.prog_id == $id)" >/dev/null && n=$((n + 1))
		for ns in $(ip netns list | awk '{print $1}'); do
			ip netns exec "$ns" bpftool -j net show 2>/dev/null |
				grep -q "\"id\":$id[,}]" && n=$((n + 1))
		done
	done
	echo $n
}

# fv_attached (tests/tools/fv_attached.c) lists the XDP and tcx programs on
# every interface of one namespace. Beside the unit tests when
# FV_TEST_BINDIR names a build (check-asan), else the normal build's.
FV_ATTACHED=${FV_TEST_BINDIR:-.output/tests}/fv_attached
[ -x "$FV_ATTACHED" ] || FV_ATTACHED=.output/tests/fv_attached

# ours_in NS: one line per flowverify program in namespace NS, wherever it
# is attached: XDP and tcx (fv_attached), clsact filters (tc). A failure
# to look is a line too, so it never passes for "nothing attached".
ours_in() {
	local dev
	if [ -x "$FV_ATTACHED" ]; then
		"$FV_ATTACHED" --ours "$1" 2>&1 || echo "fv_attached failed on $1"
	else
		echo "$FV_ATTACHED not built (make test builds it)"
	fi
	for dev in $(ip -n "$1" -o link show 2>/dev/null | awk -F': ' '{print $2}' | cut -d@ -f1); do
		# "... id N name fv_tc_egress tag ...": as fv_attached's lines,
		# "IFACE clsact-egress ID NAME".
		tc -n "$1" filter show dev "$dev" ingress 2>/dev/null | grep -o ' id [0-9]* name fv_[a-z_]*' |
			sed "s/^ id \([0-9]*\) name /$dev clsact-ingress \1 /"
		tc -n "$1" filter show dev "$dev" egress 2>/dev/null | grep -o ' id [0-9]* name fv_[a-z_]*' |
			sed "s/^ id \([0-9]*\) name /$dev clsact-egress \1 /"
	done
}

# --- What this kernel has (issue 13: read from the kernel, never from its
# version; docs/kernels.md). ---

# btf_has NAME: the kernel's BTF names the enum value NAME (dumped once
# per suite: slow under emulation).
btf_has() {
	local f=$TMP/vmlinux.btf
	[ -s "$f" ] || bpftool btf dump file /sys/kernel/btf/vmlinux format raw >"$f" 2>/dev/null
	grep -q "'$1' val=" "$f"
}

# tc_mode: how flowverify attaches its tc programs here: "tcx" (6.6 on),
# or "clsact" (netlink filters) where the kernel has no tcx or FV_TC=clsact
# takes that path on one that has (user/core/session.c, force_clsact).
tc_mode() {
	if [ "${FV_TC:-}" != clsact ] && btf_has BPF_TCX_INGRESS; then
		echo tcx
	else
		echo clsact
	fi
}

# has_drop_reasons: the kernel gives drop reasons flowverify names
# (SKB_DROP_REASON_NETFILTER_DROP, 5.17 on).
has_drop_reasons() { btf_has SKB_DROP_REASON_NETFILTER_DROP; }

# has_timens: the kernel has time namespaces (CONFIG_TIME_NS, 5.6 on).
# Whether one can then be made, with an offset, is for the suite to try.
has_timens() { [ -e /proc/self/ns/time ]; }

# clean_in NS: fails if a program of ours is still attached in NS.
clean_in() {
	local i
	# Links go when the last fd closes; give the kernel a moment.
	for i in $(seq 20); do
		[ -z "$(ours_in "$1")" ] && return 0
		sleep 0.1
	done
	diag "flowverify programs still attached in $1: $(ours_in "$1" | paste -sd';')"
	return 1
}

# Fails if any flowverify program is still attached somewhere.
nothing_left() {
	local n
	n=$(our_progs)
	[ "${n:-0}" -eq 0 ] || { diag "$n flowverify programs still attached"; return 1; }
}

# Waits up to 10 s for a file to appear.
wait_file() {
	local i
	for i in $(seq 100); do
		[ -e "$1" ] && return 0
		sleep 0.1
	done
	return 1
}

# jq -e over a JSON file, quietly.
jq_ok() { jq -e "$2" "$1" >/dev/null 2>&1; }

# lab_up [ARGS]: brings this suite's lab up (we_made_lab=1, for its trap
# to take it down). A failed `lab up` fails the suite: one not_ok with
# what it said, and exit 1, since every later check needs the lab.
lab_up() {
	if ! lab up "$@" >"$TMP/up" 2>&1; then
		not_ok "lab up $*"
		sed 's/^/# /' "$TMP/up"
		lab down >/dev/null 2>&1
		done_testing
		exit 1
	fi
	we_made_lab=1
}

# Nothing of ours left in the lab we made: no XDP, tcx or clsact program
# of ours on the NAT's or the client's interfaces. Scoped to this suite's
# lab, unlike nothing_left, which sees every suite and user.
lab_clean() {
	local ns

	for ns in "$NS_NAT" "$NS_CLIENT"; do
		# Gone with its lab: nothing can be attached there.
		[ -e "/run/netns/$ns" ] || continue
		clean_in "$ns" || return 1
	done
}

# --- Polling, exit statuses and lab faults that are checked (issue 11:
# journeys, prometheus, prometheus_rules, agent). ---

# wait_until DEADLINE_S COMMAND...: runs COMMAND every 0.2 s until it
# succeeds; fails if it has not within DEADLINE_S seconds (one last try at
# the deadline). For waits on a loaded machine: poll a condition, never
# sleep a fixed time and hope.
wait_until() {
	local end=$((${EPOCHREALTIME/./} + $1 * 1000000))
	shift
	while :; do
		"$@" && return 0
		[ "${EPOCHREALTIME/./}" -lt "$end" ] || return 1
		sleep 0.2
	done
}

# diag_file FILE [PREFIX]: FILE's lines (at most 40) as TAP diagnostics.
diag_file() {
	[ -s "$1" ] || return 0
	head -40 "$1" | sed "s/^/# ${2:-}/"
}

# capture OUT COMMAND...: runs COMMAND with its stdout in OUT, its stderr in
# OUT.err and its exit status in OUT.rc; returns that status.
capture() {
	local out=$1 rc
	shift
	"$@" >"$out" 2>"$out.err"
	rc=$?
	echo "$rc" >"$out.rc"
	return "$rc"
}

# check_run NAME WANT OUT [COMMAND...]: one TAP line: the run captured in
# OUT (capture) exited exactly WANT, and COMMAND (if any) succeeds. On
# failure: the exit status and the run's stderr as diagnostics.
check_run() {
	local name=$1 want=$2 out=$3 rc
	shift 3
	rc=$(cat "$out.rc" 2>/dev/null) || rc="none (it never ran)"
	if [ "$rc" = "$want" ] && { [ $# -eq 0 ] || "$@"; }; then
		ok "$name"
		return 0
	fi
	not_ok "$name"
	if [ "$rc" = "$want" ]; then
		diag "exit status $rc as wanted; the check of its output failed"
	else
		diag "exit status $rc, want $want"
	fi
	diag_file "$out.err" "stderr: "
	return 1
}

# lab_fault_set NAME: switches this suite's lab to fault NAME, as a check
# of its own ("lab fault NAME"); on failure what lab said, as diagnostics.
# The caller must not run the checks that need the fault when it fails.
lab_fault_set() {
	if lab fault "$1" >"$TMP/lab-fault.out" 2>&1; then
		ok "lab fault $1"
		return 0
	fi
	not_ok "lab fault $1"
	diag_file "$TMP/lab-fault.out"
	return 1
}

# free_base N START: the first port from START on (in 20000-39999, by
# steps of N, wrapping) such that nothing listens on it or on the N-1
# after it on this machine: several suites pick ports at once.
free_base() {
	local n=$1 b=$2 i k used
	used=" $(ss -Hltn 2>/dev/null | awk '{print $4}' | sed 's/.*://' | sort -un | paste -sd' ') "
	[ $((b + n)) -le 40000 ] || b=20000
	for i in $(seq 200); do
		for k in $(seq 0 $((n - 1))); do
			[[ $used == *" $((b + k)) "* ]] && break
		done
		[ "$k" -eq $((n - 1)) ] && [[ $used != *" $((b + k)) "* ]] && { echo "$b"; return 0; }
		b=$((b + n))
		[ $((b + n)) -le 40000 ] || b=20000
	done
	echo "$2"
}

# --- Background runs, ready files, observation windows and the programs a
# process held (issue 11: faults, attach, bad_input). ---

# now_ms: milliseconds since boot (/proc/uptime: never stepped).
now_ms() {
	local up _
	read -r up _ </proc/uptime
	echo $((10#${up/./} * 10))
}

# ended PID: the background job PID is over (bash reaps its children as
# they end, so kill -0 fails from then on).
ended() { ! kill -0 "$1" 2>/dev/null; }

# bg_start OUT COMMAND...: COMMAND in the background, its stdout in OUT and
# its stderr in OUT.err (as capture); its pid in $BG_PID and OUT.pid, when
# it started (now_ms) in OUT.t0.
bg_start() {
	local out=$1
	shift
	rm -f "$out.rc" "$out.sent" "$out.readyat"
	now_ms >"$out.t0"
	"$@" >"$out" 2>"$out.err" &
	BG_PID=$!
	echo "$BG_PID" >"$out.pid"
}

# bg_ready OUT READY_FILE WHAT [DEADLINE_S]: the run started by bg_start OUT
# wrote READY_FILE within DEADLINE_S (30) seconds. Otherwise one not_ok,
# "WHAT: precondition: ...", saying how it ended, with its stderr; the run
# is stopped, and the caller skips the checks that needed it.
bg_ready() {
	local out=$1 f=$2 what=$3 s=${4:-30} pid rc why
	pid=$(cat "$out.pid")
	wait_until "$s" eval '[ -e "$f" ] || ended "$pid"'
	if [ -e "$f" ]; then
		# When it was written: the run removes it when it exits.
		stat -c %.6Y "$f" >"$out.readyat" 2>/dev/null
		return 0
	fi
	if ended "$pid"; then
		wait "$pid"
		rc=$?
		why="it exited with status $rc first"
	else
		kill -9 "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
		rc=137
		why="not within $s s; killed"
	fi
	echo "$rc" >"$out.rc"
	not_ok "$what: precondition: ready (${f##*/} written once attached): $why"
	diag_file "$out.err" "stderr: "
	return 1
}

# bg_finish OUT [DEADLINE_S]: waits for the run started by bg_start OUT to
# end, at most DEADLINE_S (60) seconds, then kills it (-9, said in a
# diagnostic); its exit status in OUT.rc (for check_run), and returned.
bg_finish() {
	local out=$1 s=${2:-60} pid rc
	pid=$(cat "$out.pid")
	if ! wait_until "$s" ended "$pid"; then
		diag "${out##*/}: still running $s s later; killed"
		kill -9 "$pid" 2>/dev/null
	fi
	wait "$pid" 2>/dev/null	# its stderr is in OUT.err; this is bash's "Killed"
	rc=$?
	echo "$rc" >"$out.rc"
	return "$rc"
}

# bg_sent OUT: what the test sends to the run started by bg_start OUT has
# all gone: OUT.sent holds when (wall clock, s.us), for in_window.
bg_sent() { echo "$EPOCHREALTIME" >"$1.sent"; }

# in_window OUT S [COMMAND...]: everything sent (bg_sent OUT) went less than
# S seconds after the run was ready (its ready file's mtime, read by
# bg_ready while it is there: the window of
# verify --duration S opens after it is written), so inside its window;
# then COMMAND succeeds. Otherwise a diagnostic naming that precondition,
# so that a count after it fails for what it is: a machine too slow for
# the window, not a miscount.
in_window() {
	local out=$1 s=$2 sent ready ms
	shift 2
	if ! sent=$(cat "$out.sent" 2>/dev/null) ||
	   ! ready=$(cat "$out.readyat" 2>/dev/null) || [ -z "$ready" ]; then
		diag "precondition: ${out##*/} was ready and requests were sent to it"
		return 1
	fi
	ms=$(((${sent/./} - ${ready/./}) / 1000))
	if [ "$ms" -ge $((s * 1000)) ]; then
		diag "precondition: the sending ended $ms ms after ${out##*/} was ready, past its $s s window"
		return 1
	fi
	"$@"
}

# progs_held PID: the ids of the BPF programs PID holds (its program and
# link descriptors, /proc/PID/fdinfo), one a line.
progs_held() {
	grep -h '^prog_id:' /proc/"$1"/fdinfo/* 2>/dev/null | awk '{print $2}' | sort -un
}

# progs_gone ID...: none of these programs exists any more (within 10 s:
# the kernel frees a program once nothing holds it), so none is attached
# or pinned anywhere, in any namespace. Scoped to the ids a run of ours
# held, unlike nothing_left, which sees every suite's and user's runs.
# Fails on an empty list, or when bpftool cannot tell.
progs_gone() {
	local id
	if [ $# -eq 0 ]; then
		diag "no program ids to look for (none recorded while it ran)"
		return 1
	fi
	wait_until 10 _progs_none "$@" && return 0
	for id in "$@"; do
		diag "program $id: $(bpftool prog show id "$id" 2>&1 | head -1)"
	done
	return 1
}
_progs_none() {
	local id out
	for id in "$@"; do
		out=$(bpftool prog show id "$id" 2>&1) && return 1
		case "$out" in *"No such file or directory"*) ;; *) return 1 ;; esac
	done
}

# snapshot VAR...: each variable VAR names a file the suite runs or loads
# ($FV, $FV_ATTACHED, a test BPF object); it is copied to $TMP/bin and VAR
# then names the copy, so that someone else's `make` relinking it mid-suite
# cannot pull it from under a later step (a file being rebuilt gets 60 s).
# A copy of $FV must run (--version). On failure one not_ok naming the
# file, and a non-zero status: the caller stops.
snapshot() {
	local v f c
	mkdir -p "$TMP/bin"
	for v in "$@"; do
		f=${!v}
		c=$TMP/bin/${f##*/}
		if ! wait_until 60 eval 'test -s "$f" && cp "$f" "$c" && cmp -s "$f" "$c" &&
			{ [ "$v" != FV ] || "$c" --version >/dev/null 2>&1; }'; then
			not_ok "setup: a copy of $f (\$$v) to run"
			return 1
		fi
		printf -v "$v" '%s' "$c"
	done
}

# veth_pair A B DEV_A DEV_B NET: namespaces A and B, each added to the
# caller's made array as soon as it exists (for its trap), joined by a veth
# pair with NET.1/24 on A's end and NET.2/24 on B's, all up with lo.
veth_pair() {
	local a=$1 b=$2 da=$3 db=$4 net=$5

	ip netns add "$a" && made+=("$a") && ip netns add "$b" && made+=("$b") &&
		ip link add "$da" netns "$a" type veth peer name "$db" netns "$b" &&
		ip -n "$a" addr add "$net.1/24" dev "$da" &&
		ip -n "$b" addr add "$net.2/24" dev "$db" &&
		ip -n "$a" link set "$da" up && ip -n "$a" link set lo up &&
		ip -n "$b" link set "$db" up && ip -n "$b" link set lo up
}

# catches PID SIG: PID runs flowverify (not the shell that forked it and
# has yet to exec, whose handlers are the shell's) and has a handler for
# SIG (TERM, INT...) in its SigCgt. Read without a fork, for tight polls.
catches() {
	local k v name= bit=$(($(kill -l "$2") - 1))
	while read -r k v; do
		case $k in
		Name:) name=$v ;;
		SigCgt:)
			[ "$name" = flowverify ] || return 1
			return $(((0x$v >> bit & 1) ^ 1)) ;;
		esac
	done <"/proc/$1/status" 2>/dev/null
	return 1
}
