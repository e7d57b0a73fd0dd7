#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# The agent with --acls, on the lo of a namespace of our own (fv-aa<pid>-a):
# it serves /api/v1/status (with the ACL verdict) and /metrics, and on
# SIGTERM exits 0. Under make check-asan a leak at exit is status 86
# (LeakSanitizer), so "exits 0" is also the check that the ACL set it
# loaded is freed: no other suite runs the agent with --acls.
set -u
cd "$(dirname "$0")/../.."
. tests/e2e/lib.sh

NS=fv-aa$$-a
INST=fvaa$$
ACLS=tests/fixtures/acl/lab.acl
agent_pid=

cleanup() {
	[ -n "$agent_pid" ] && kill -9 "$agent_pid" 2>/dev/null
	wait 2>/dev/null
	$FV cleanup --instance $INST >/dev/null 2>&1
	ip netns del $NS 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT

echo "1..5"
if ! snapshot FV; then
	for _ in 2 3 4 5; do skip "no copy of flowverify to run"; done
	exit 1
fi

# A port nothing listens on now (the agent listens in the host's namespace).
PORT=$(free_base 1 $((20000 + $$ % 20000)))

if ! { ip netns add $NS && ip -n $NS link set lo up; } >"$TMP/setup" 2>&1; then
	not_ok "setup: namespace $NS with lo up"
	diag_file "$TMP/setup" "setup: "
	for _ in 2 3 4 5; do skip "no namespace to watch"; done
	exit 1
fi

bg_start "$TMP/agent" $FV agent --nat $NS:lo --acls $ACLS \
	--listen 127.0.0.1:$PORT --instance $INST --ready-file "$TMP/ready"
agent_pid=$BG_PID
if ! bg_ready "$TMP/agent" "$TMP/ready" "agent --acls"; then
	agent_pid=
	for _ in 2 3 4; do skip "the agent did not start"; done
	check "cleanup --instance $INST" quiet $FV cleanup --instance $INST
	exit 1
fi
ok "agent --acls $ACLS starts and writes its ready file"

get() { curl -s -m 5 -o "$2" -w '%{http_code}' "http://127.0.0.1:$PORT$1"; }

# With ACLs the status carries "blocking" and no "acl_rows" (the rows
# are shown only when no ACL was given).
status_ok() {
	[ "$(get /api/v1/status "$TMP/status")" = 200 ] &&
	jq_ok "$TMP/status" 'type == "object" and has("status") and
		has("blocking") and (has("acl_rows") | not)'
}
check "/api/v1/status: 200, JSON judged with the ACLs" status_ok ||
	diag_file "$TMP/status" "status: "

metrics_ok() {
	[ "$(get /metrics "$TMP/metrics")" = 200 ] &&
	grep -q '^flowverify_build_info{' "$TMP/metrics"
}
check "/metrics: 200, the exposition" metrics_ok

kill -TERM "$agent_pid"
bg_finish "$TMP/agent" 30
agent_pid=
check_run "SIGTERM: exit status 0 (under ASan: no leak)" 0 "$TMP/agent"

pins_removed() {
	quiet $FV cleanup --instance $INST &&
	[ ! -e /sys/fs/bpf/flowverify/$INST ]
}
check "cleanup --instance $INST: exit 0, the pins gone" pins_removed
