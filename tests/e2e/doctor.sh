#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# flowverify doctor on a lab of its own: the healthy lab passes ip_forward
# and masquerade (exit 0); the lab faults no-ip-forward, no-masquerade and
# nat-port-exhausted fail ip_forward, masquerade and conntrack (exit 1,
# the cause first); nic_allowance reads veth's real ethtool statistics and
# says unknown, naming the driver; strict rp_filter warns (still exit 0);
# bad input exits 2 with one line. Expectations are written here, not
# taken from the code under test.
set -u
cd "$(dirname "$0")/../.."
. tests/e2e/lib.sh

we_made_lab=0
cleanup() {
	[ $we_made_lab -eq 1 ] && lab down >/dev/null 2>&1
	rm -rf "$TMP"
}
trap cleanup EXIT
snapshot FV || { done_testing; exit 1; }

NAT=$NS_NAT:eth0
CLIENTS=10.0.1.0/24

# doctor OUT ARGS...: doctor's JSON in OUT (capture: OUT.err, OUT.rc).
doctor() {
	local out=$1
	shift
	capture "$out" $FV doctor "$@"
}
# status_is OUT CHECK STATUS: that check has that status.
status_is() {
	jq_ok "$1" ".host_checks[] | select(.check == \"$2\") | .status == \"$3\""
}
# got OUT: what doctor said, after a failed check.
got() { diag "got: $(jq -c '[.host_checks[] | {check, status}]' "$1" 2>/dev/null)"; }

lab_up
ok "lab up (healthy)"

# ---- healthy ----
out=$TMP/healthy
doctor "$out" --nat "$NAT" --clients $CLIENTS --json
check_run "healthy: exit 0" 0 "$out" || got "$out"
check "healthy: --json is one valid object with five checks" \
	jq_ok "$out" '(.host_checks | map(.check)) == ["ip_forward", "rp_filter", "masquerade", "conntrack", "nic_allowance"]'
check "healthy: every check has a status word and a detail" \
	jq_ok "$out" '.host_checks | all((.status | IN("ok", "warn", "fail", "unknown")) and (.detail | length > 0))'
check "healthy: ip_forward ok" status_is "$out" ip_forward ok || got "$out"
check "healthy: masquerade ok, naming the lab's rule (table ip fv_nat)" \
	jq_ok "$out" '.host_checks[] | select(.check == "masquerade") | .status == "ok" and (.detail | contains("fv_nat"))' || got "$out"
check "healthy: rp_filter ok (the lab sets 0)" status_is "$out" rp_filter ok
check "healthy: status ok, no causes" jq_ok "$out" '.status == "ok" and .causes == []'

# nic_allowance through SIOCETHTOOL on veth: the driver is named, its real
# statistics are counted, and none is an allowance counter.
check "nic_allowance on veth: unknown, naming the driver and its statistics" \
	jq_ok "$out" '.host_checks[] | select(.check == "nic_allowance") | .status == "unknown" and (.detail | test("eth0 \\(veth\\): none of its [1-9][0-9]* ethtool statistics"))' ||
	got "$out"

out=$TMP/text
doctor "$out" --nat "$NAT"
check_run "healthy, text: exit 0, one line per check, OK last" 0 "$out" \
	eval '[ "$(grep -cE "^  (ip_forward|rp_filter|masquerade|conntrack|nic_allowance) +(ok|warn|fail|unknown) " "$out")" = 5 ] && tail -n 1 "$out" | grep -q "^OK: no check failed"'

# Clients the masquerade rule does not cover (10.0.0.0/16 is wider).
out=$TMP/wide
doctor "$out" --nat "$NAT" --clients 10.0.0.0/16 --json
check_run "clients wider than the rule's 10.0.1.0/24: masquerade fail, exit 1" 1 "$out" \
	status_is "$out" masquerade fail

# Strict rp_filter warns, and a warning alone still exits 0.
if ip netns exec "$NS_NAT" sysctl -qw net.ipv4.conf.eth0.rp_filter=1; then
	out=$TMP/rp
	doctor "$out" --nat "$NAT" --clients $CLIENTS --json
	check_run "rp_filter strict on eth0: warn, exit 0" 0 "$out" \
		jq_ok "$out" '.host_checks[] | select(.check == "rp_filter") | .status == "warn" and (.detail | startswith("eth0: 1 (strict"))'
	ip netns exec "$NS_NAT" sysctl -qw net.ipv4.conf.eth0.rp_filter=0
else
	not_ok "setup: rp_filter=1 on $NS_NAT eth0"
fi

# ---- faults ----
if lab_fault_set no-ip-forward; then
	out=$TMP/nofwd
	doctor "$out" --nat "$NAT" --clients $CLIENTS --json
	check_run "no-ip-forward: ip_forward fail, exit 1" 1 "$out" \
		status_is "$out" ip_forward fail || got "$out"
	check "no-ip-forward: the cause names net.ipv4.ip_forward" \
		jq_ok "$out" '.status == "fail" and .causes == ["net.ipv4.ip_forward is 0 on the NAT host"]'
	out=$TMP/nofwd.txt
	doctor "$out" --nat "$NAT"
	check_run "no-ip-forward, text: FAIL line with the cause" 1 "$out" \
		grep -qx "FAIL: net.ipv4.ip_forward is 0 on the NAT host" "$out"
	# watch reads them over 10 s windows: the frames from then on carry
	# them, and the cause heads the verdict's.
	out=$TMP/nofwd.watch
	capture "$out" $FV watch --nat "$NAT" --json --duration 12
	check_run "no-ip-forward, watch --json: after 10 s each frame has ip_forward fail, its cause first (exit 1)" 1 "$out" \
		jq -se 'map(select(.host_checks)) | length >= 1 and
			all(.[]; (.host_checks | any(.check == "ip_forward" and .status == "fail")) and
			     (.causes | startswith("net.ipv4.ip_forward is 0 on the NAT host")))' "$out" ||
		diag "$(jq -c '[.status, .host_checks, .causes]' "$out" 2>/dev/null | tail -3)"
fi

if lab_fault_set no-masquerade; then
	out=$TMP/nomasq
	doctor "$out" --nat "$NAT" --clients $CLIENTS --json
	check_run "no-masquerade: masquerade fail, exit 1" 1 "$out" \
		status_is "$out" masquerade fail || got "$out"
	check "no-masquerade: ip_forward still ok" status_is "$out" ip_forward ok
	check "no-masquerade: the cause names the clients and eth0" \
		jq_ok "$out" '.causes | any(contains("10.0.1.0/24") and contains("eth0"))'
fi

# Masquerade to one port: conntrack drops every new client flow (about two
# requests a second), counted in drop and insert_failed.
if lab_fault_set nat-port-exhausted; then
	out=$TMP/ctdrop
	doctor "$out" --nat "$NAT" --clients $CLIENTS --window 3 --json
	check_run "nat-port-exhausted: conntrack fail, exit 1" 1 "$out" \
		status_is "$out" conntrack fail || got "$out"
	check "nat-port-exhausted: drop and insert_failed rose in the window" \
		jq_ok "$out" '.host_checks[] | select(.check == "conntrack") | .detail | test("in [0-9.]+ s: drop \\+[1-9][0-9]*, early_drop \\+[0-9]+, insert_failed \\+[1-9]")' ||
		diag "$(jq -r '.host_checks[] | select(.check == "conntrack") | .detail' "$out")"
	check "nat-port-exhausted: masquerade still ok, window 3 s in the JSON" \
		jq_ok "$out" '.window_seconds == 3 and (.host_checks[] | select(.check == "masquerade") | .status == "ok")'
fi
check "lab fault none" quiet lab fault none

# ---- bad input: exit 2, one line on stderr starting flowverify:, nothing on stdout ----
bad() {
	local name=$1 out=$TMP/bad.$TAP_N
	shift
	capture "$out" $FV doctor "$@"
	check_run "bad input: $name: exit 2, one line" 2 "$out" \
		eval '[ ! -s "$out" ] && [ "$(wc -l <"$out.err")" = 1 ] && grep -q "^flowverify: " "$out.err"'
}
bad "no --nat" --json
bad "no such interface" --nat "$NS_NAT:nope0"
bad "no such namespace" --nat "fv-none$$:eth0"
bad "host bits in --clients" --nat "$NAT" --clients 10.0.1.1/24
bad "not a CIDR in --clients" --nat "$NAT" --clients eth0
bad "--window given twice" --nat "$NAT" --window 1 --window 2
bad "bad --window" --nat "$NAT" --window -1
bad "unknown option" --nat "$NAT" --port 123
bad "extra argument" --nat "$NAT" extra

out=$TMP/help
capture "$out" $FV doctor --help
check_run "--help: exit 0, names --clients and the exit statuses" 0 "$out" \
	eval 'grep -q -- "--clients CIDR" "$out" && grep -q "Exit status" "$out"'

check "lab down" quiet lab down
we_made_lab=0
check "no namespace of this lab left" lab_gone
done_testing
