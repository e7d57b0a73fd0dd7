#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Lab instances: two labs side by side each give their own verdict, one
# torn down leaves the other healthy, and the default lab (a user's, if
# one is up) is exactly as it was before.
set -u
cd "$(dirname "$0")/../.."
. tests/e2e/lib.sh

A=${LAB_INST}a B=${LAB_INST}b
made=()
cleanup() {
	local i
	for i in "${made[@]}"; do $FV lab --instance "$i" down >/dev/null 2>&1; done
	rm -rf "$TMP"
}
trap cleanup EXIT

echo 1..17
# The default lab as a user left it (down, or up with its chronyd pids).
default_state() {
	$FV lab status --json | jq -c '{up, state, fault, namespaces, chronyd}'
}
before=$(default_state)

up() {	# INSTANCE: brought up and recorded for the trap
	made+=("$1")
	$FV lab --instance "$1" up >"$TMP/up.$1" 2>&1 && return 0
	sed 's/^/# /' "$TMP/up.$1"
	return 1
}
# verdict INSTANCE OUT: verify on that instance's NAT and client.
verdict() {
	$FV verify --nat "fv-$1-nat:eth0" --client "fv-$1-client:eth0" --duration 2 \
		--json >"$2" 2>"$2.err"
	echo $? >"$2.rc"
}
is() {	# OUT RC SEGMENT-JQ: exit status and verdict
	exited "$(cat "$1.rc")" "$2" jq_ok "$1" "$3" && return 0
	sed 's/^/# stderr: /' "$1.err"
	return 1
}
running() {	# INSTANCE: up, with both chronyd running
	$FV lab --instance "$1" status --json | jq -e --arg i "$1" \
		'.instance == $i and .up and .chronyd.server.running and .chronyd.client.running' >/dev/null
}

check "lab --instance $A up" up "$A"
check "lab up --instance $B (the option after the command)" \
	quiet $FV lab up --instance "$B"
made+=("$B")
check "status --json names instance $A and its own namespaces" \
	bash -c "$FV lab --instance $A status --json | jq -e '.namespaces == [\"fv-$A-client\",\"fv-$A-router\",\"fv-$A-nat\",\"fv-$A-server\"] and .nat == \"fv-$A-nat:eth0\"' >/dev/null"

# Refused because it is up: exit 2, and (under make check-asan) no leak of
# the ACL text read before the refusal.
$FV lab --instance "$A" up --acls tests/fixtures/acl/lab.acl >/dev/null 2>"$TMP/again.err"
rc=$?
check "lab up --acls on a lab already up: exit 2, says so" \
	exited $rc 2 grep -q 'already up' "$TMP/again.err"
verdict "$A" "$TMP/a1.json"
check "$A healthy: ok, exit 0" is "$TMP/a1.json" 0 '.status == "ok"'
check "$A: lab fault no-public-in-ephemeral" quiet $FV lab --instance "$A" fault no-public-in-ephemeral
verdict "$A" "$TMP/a2.json"
check "$A with the seed fault: beyond_nat, exit 1" is "$TMP/a2.json" 1 '.segment == "beyond_nat"'
verdict "$B" "$TMP/b1.json"
check "$B beside it stays healthy: ok, exit 0" is "$TMP/b1.json" 0 '.status == "ok"'

check "lab --instance $A down" quiet $FV lab --instance "$A" down
check "$A's namespaces are gone" \
	bash -c "! ip netns list | grep -qE '^fv-$A-'"
check "$B still up, both chronyd running" running "$B"
verdict "$B" "$TMP/b2.json"
check "$B still answers: ok, exit 0" is "$TMP/b2.json" 0 '.exchanges.answered > 0'
check "lab --instance $B down" quiet $FV lab --instance "$B" down
made=()

$FV lab --instance 'bad/name' up >"$TMP/bad.out" 2>"$TMP/bad.err"
rc=$?
check "bad --instance: exit 2, one line naming it" \
	exited $rc 2 bash -c "[ \$(wc -l <'$TMP/bad.err') = 1 ] && grep -q \"bad --instance 'bad/name'\" '$TMP/bad.err'"
$FV lab --instance x1 --instance x2 status >/dev/null 2>"$TMP/twice.err"
rc=$?
check "--instance twice: exit 2" exited $rc 2 grep -q 'given twice' "$TMP/twice.err"
after=$(default_state)
if [ "$before" = "$after" ]; then
	ok "the default lab is as it was: $(jq -r .state <<<"$after")"
else
	not_ok "the default lab changed"
	diag "before: $before"
	diag "after:  $after"
fi
check "no namespace of either lab left" \
	bash -c "[ -z \"\$(ip netns list | grep -E '^fv-($A|$B)-')\" ]"
