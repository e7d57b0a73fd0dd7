#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# How ingress is hooked (issue 13): tc by default, in every command (tcx
# links where the kernel has tcx, clsact filters where it has not or with
# FV_TC=clsact: tc_mode, lib.sh, read into $TC); XDP
# only when asked: --ingress xdp is native XDP only and is refused, exit 2
# with one line and nothing left attached, where the driver has none (a
# bridge here: this kernel has no dummy driver); --ingress xdp-generic by
# name; --xdp-reset-ok only with --ingress xdp. The ena refusal needs the
# hardware: its decision is a pure function, tests/test_ingress.c.
#
# Two namespaces of our own joined by a veth pair (native XDP works on a
# veth), a bridge in the first. Every run's exit status is checked exactly
# (verify exits 1 here: no traffic), and nothing of ours may stay attached
# (ours_in/clean_in, lib.sh: XDP, tcx and clsact).
set -u
cd "$(dirname "$0")/../.."
. tests/e2e/lib.sh

A=fv-ig-a$$ B=fv-ig-b$$ INST=fv-ig$$
made=()
cleanup() {
	local ns
	[ -n "${BG_PID:-}" ] && kill -9 "$BG_PID" 2>/dev/null
	$FV cleanup --instance $INST >/dev/null 2>&1
	for ns in "${made[@]}"; do ip netns del "$ns" 2>/dev/null; done
	rm -rf "$TMP"
}
trap cleanup EXIT
echo "1..29"
snapshot FV FV_ATTACHED || exit 1
TC=$(tc_mode)
diag "tc hooks here: $TC${FV_TC:+ (FV_TC=$FV_TC)}"

if ! {
	veth_pair $A $B a0 b0 10.9.0 &&
	ip -n $A link add br0 type bridge && ip -n $A link set br0 up
} >"$TMP/setup" 2>&1; then
	not_ok "setup: namespaces $A and $B, a veth pair between them, a bridge br0 in $A"
	diag_file "$TMP/setup" "setup: "
	exit 1
fi

# skip_n N WHAT: N skips, for the checks of a section whose run was not
# ready (bg_ready said so in a not_ok): the plan's count holds.
skip_n() { local i; for i in $(seq "$1"); do skip "$2"; done; }
# hooks OUT: "IFACE INGRESS EGRESS" per interface of every point, from
# verify's JSON.
hooks() { jq -r '.points[].interfaces[] | "\(.name) \(.ingress) \(.egress)"' "$1" 2>/dev/null | sort | paste -sd';'; }
# all_ingress OUT HOOK: every interface of every point (at least one) had
# ingress through HOOK.
all_ingress() {
	jq_ok "$1" "[.points[].interfaces[].ingress] | length > 0 and all(. == \"$2\")" ||
		{ diag "interfaces: $(hooks "$1")"; return 1; }
}
# attached_as NS HOOK...: ours in NS (ours_in: XDP, tcx, clsact) are
# exactly these "IFACE HOOK" pairs (an id and a program name after each).
attached_as() {
	local ns=$1 got want
	shift
	got=$(ours_in "$ns" 2>&1 | awk '{print $1, $2}' | sort | paste -sd';')
	want=$(printf '%s\n' "$@" | sort | paste -sd';')
	[ "$got" = "$want" ] && return 0
	diag "$ns: attached '$got', want '$want'"
	return 1
}
# one_line_exit2 OUT WORD...: the run captured in OUT exited exactly 2, with
# exactly one line on stderr, starting 'flowverify: ', holding every WORD.
one_line_exit2() {
	local out=$1 w rc
	shift
	rc=$(cat "$out.rc")
	[ "$rc" = 2 ] && [ "$(wc -l <"$out.err")" -eq 1 ] && grep -q '^flowverify: ' "$out.err" || {
		diag "exit $rc (want 2), $(wc -l <"$out.err") stderr lines (want 1):"
		diag_file "$out.err" "stderr: "
		return 1
	}
	for w in "$@"; do
		grep -qF -- "$w" "$out.err" || { diag "stderr lacks '$w': $(cat "$out.err")"; return 1; }
	done
}

# 1. No --ingress: tc ($TC) on every interface, both points (3 interfaces).
out=$TMP/v1.json
bg_start "$out" $FV verify --nat $A:a0,br0 --client $B:b0 --duration 2 --json \
	--ready-file "$TMP/ready1"
if bg_ready "$out" "$TMP/ready1" "default ingress"; then
	attached_as $A "a0 $TC-ingress" "a0 $TC-egress" "br0 $TC-ingress" "br0 $TC-egress" >"$TMP/at1a"
	a1=$?
	attached_as $B "b0 $TC-ingress" "b0 $TC-egress" >"$TMP/at1b"
	b1=$?
	bg_finish "$out"
	check_run "default: verify's JSON says $TC-ingress on all 3 interfaces (exit 1, no traffic)" 1 "$out" \
		eval 'all_ingress "$out" $TC-ingress && [ "$(jq "[.points[].interfaces[]] | length" "$out")" -eq 3 ]'
	check "default: while it ran, $TC ingress and egress on a0 and br0 in $A, no XDP" test $a1 = 0 ||
		cat "$TMP/at1a"
	check "default: while it ran, $TC ingress and egress on b0 in $B, no XDP" test $b1 = 0 ||
		cat "$TMP/at1b"
	check "default: nothing of ours left in $A or $B" eval 'clean_in $A && clean_in $B'
else
	skip_n 3 "default ingress: (not ready)"
fi

# 2. FV_TC=clsact (kernels without tcx): the default is clsact then
# (whatever the kernel has: FV_TC=clsact takes that path on any).
out=$TMP/v2.json
capture "$out" env FV_TC=clsact $FV verify --nat $A:a0,br0 --client $B:b0 --duration 1 --json
check_run "FV_TC=clsact, no --ingress: clsact-ingress on all 3 interfaces (exit 1)" 1 "$out" \
	eval 'all_ingress "$out" clsact-ingress && jq_ok "$out" "[.points[].interfaces[].egress] | all(. == \"clsact-egress\")"'
check "FV_TC=clsact: our filters removed on exit, in $A and $B" eval 'clean_in $A && clean_in $B'

# 3. watch and trace take tc by default too (fv_attached while they run).
for cmd in watch trace; do
	out=$TMP/$cmd.out
	bg_start "$out" $FV $cmd --nat $A:a0 --duration 30 --ready-file "$TMP/ready-$cmd"
	if bg_ready "$out" "$TMP/ready-$cmd" "$cmd, default ingress"; then
		attached_as $A "a0 $TC-ingress" "a0 $TC-egress" >"$TMP/at-$cmd"
		r=$?
		kill -INT $BG_PID
		bg_finish "$out" 30
		check_run "$cmd: ingress by $TC by default, no XDP (exit 0 on Ctrl-C)" 0 "$out" test $r = 0 ||
			cat "$TMP/at-$cmd"
		check "$cmd: nothing of ours left in $A" clean_in $A
	else
		skip_n 1 "$cmd: (not ready)"
	fi
done

# 4. The agent: tc ($TC) by default, in its status JSON and on the
# interface; with clsact its filters must go on exit too.
P=$(free_base 1 $((20000 + $$ % 19000)))
out=$TMP/agent.out
bg_start "$out" $FV agent --nat $A:a0 --instance $INST --listen 127.0.0.1:$P --drops off \
	--ready-file "$TMP/ready-agent"
if bg_ready "$out" "$TMP/ready-agent" "agent, default ingress"; then
	attached_as $A "a0 $TC-ingress" "a0 $TC-egress" >"$TMP/at-agent"
	r=$?
	curl -s -m 10 "http://127.0.0.1:$P/api/v1/status" >"$TMP/agent.json"
	kill -TERM $BG_PID
	bg_finish "$out" 30
	check_run "agent: status JSON says $TC-ingress, $TC on a0, no XDP (exit 0 on SIGTERM)" 0 "$out" \
		eval 'all_ingress "$TMP/agent.json" $TC-ingress && test $r = 0' || cat "$TMP/at-agent"
	check "agent: nothing of ours left in $A" clean_in $A
	$FV cleanup --instance $INST >/dev/null 2>&1
else
	skip_n 1 "agent: (not ready)"
fi

# 5. --ingress xdp where the driver has no native XDP (the bridge): exit 2,
# one line naming it and --ingress tc; nothing attached.
out=$TMP/v5
capture "$out" timeout 60 $FV verify --nat $A:br0 --ingress xdp --duration 1 --json
check "--ingress xdp on a bridge: exit 2, one line naming $A:br0 (bridge), the reason and --ingress tc" \
	one_line_exit2 "$out" "$A:br0 (bridge)" "native XDP" "--ingress tc"
check "--ingress xdp on a bridge: nothing on stdout" test ! -s "$out" || diag_file "$out" "stdout: "
check "--ingress xdp on a bridge: nothing of ours attached in $A" clean_in $A
# The same, after other points and interfaces were attached in the run:
# the client b0 and the NAT's a0 come first and are detached again.
out=$TMP/v5b
capture "$out" timeout 60 $FV verify --client $B:b0 --nat $A:a0,br0 --ingress xdp --duration 1 --json
check "--ingress xdp, the bridge third of three: exit 2, one line naming $A:br0 and --ingress tc" \
	one_line_exit2 "$out" "$A:br0 (bridge)" "--ingress tc"
check "--ingress xdp, the bridge third of three: the two attached before it detached, nothing left in $A or $B" \
	eval 'clean_in $A && clean_in $B'
check "--ingress xdp refused: no XDP left on a0, b0 or br0" \
	eval '! ip -n $A -d link show | grep -q "prog/xdp" && ! ip -n $B -d link show | grep -q "prog/xdp"' ||
	{ ip -n $A -d link show; ip -n $B -d link show; } | grep xdp | sed 's/^/# /'

# 6. --ingress xdp on a veth: native XDP, said in the JSON.
out=$TMP/v6.json
bg_start "$out" $FV verify --nat $A:a0 --client $B:b0 --ingress xdp --duration 2 --json \
	--ready-file "$TMP/ready6"
if bg_ready "$out" "$TMP/ready6" "--ingress xdp on veth"; then
	attached_as $A "a0 xdp-native" "a0 $TC-egress" >"$TMP/at6"
	r=$?
	bg_finish "$out"
	check_run "--ingress xdp on veth: JSON says xdp-native on a0 and b0 (exit 1)" 1 "$out" \
		all_ingress "$out" xdp-native
	check "--ingress xdp on veth: native XDP and $TC egress on a0 while it ran" test $r = 0 ||
		cat "$TMP/at6"
	check "--ingress xdp on veth: nothing of ours left in $A or $B" eval 'clean_in $A && clean_in $B'
else
	skip_n 2 "--ingress xdp on veth: (not ready)"
fi
# With --xdp-reset-ok (a veth is no ena: nothing changes).
out=$TMP/v6b.json
capture "$out" $FV verify --nat $A:a0 --ingress xdp --xdp-reset-ok --duration 1 --json
check_run "--ingress xdp --xdp-reset-ok on veth: xdp-native (exit 1)" 1 "$out" \
	all_ingress "$out" xdp-native

# 7. --ingress xdp-generic: generic XDP, on the veth and on the bridge.
out=$TMP/v7.json
bg_start "$out" $FV verify --nat $A:a0,br0 --ingress xdp-generic --duration 2 --json \
	--ready-file "$TMP/ready7"
if bg_ready "$out" "$TMP/ready7" "--ingress xdp-generic"; then
	attached_as $A "a0 xdp-generic" "a0 $TC-egress" "br0 xdp-generic" "br0 $TC-egress" >"$TMP/at7"
	r=$?
	bg_finish "$out"
	check_run "--ingress xdp-generic: JSON says xdp-generic on a0 and br0 (exit 1)" 1 "$out" \
		all_ingress "$out" xdp-generic
	check "--ingress xdp-generic: generic XDP and $TC egress while it ran" test $r = 0 ||
		cat "$TMP/at7"
	check "--ingress xdp-generic: nothing of ours left in $A" clean_in $A
else
	skip_n 2 "--ingress xdp-generic: (not ready)"
fi

# 8. --xdp-reset-ok means nothing without --ingress xdp: refused.
for extra in "" "--ingress tc" "--ingress xdp-generic"; do
	out=$TMP/v8
	capture "$out" timeout 60 $FV verify --nat $A:a0 $extra --xdp-reset-ok --duration 1
	check "--xdp-reset-ok with ${extra:-no --ingress}: exit 2, one line naming --ingress xdp" \
		one_line_exit2 "$out" "--xdp-reset-ok" "--ingress xdp"
done
check "--xdp-reset-ok refused: nothing of ours attached in $A" clean_in $A
exit 0
