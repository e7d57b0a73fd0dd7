#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Flow-table churn (issue 17): NTP from 20000 distinct client ports
# through a NAT watched by an agent and by verify at once, then 8 new
# exchanges. Every leg of both counts exactly the packets sent: the flow
# tables never freeze (docs/agent.md "Flow table").
#
# Its own namespaces (fv-ch<pid>-c|n|s): client -- NAT (nft masquerade)
# -- server, a small Python NTP responder that answers every request.
set -u
cd "$(dirname "$0")/../.."
. tests/e2e/lib.sh

C=fv-ch$$-c N=fv-ch$$-n S=fv-ch$$-s
INST=fv-churn-$$
PORT=$(free_base 1 $((20000 + $$ % 20000)))
CHURN=${FV_CHURN_PORTS:-20000}
made=()
pids=()

cleanup() {
	local p ns
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null; done
	$FV cleanup --instance $INST >/dev/null 2>&1
	for ns in "${made[@]}"; do ip netns del "$ns" 2>/dev/null; done
	rm -rf "$TMP"
}
trap cleanup EXIT
snapshot FV || { done_testing; exit 1; }

topology() {
	ip netns add $C && made+=($C) && ip netns add $N && made+=($N) &&
		ip netns add $S && made+=($S) &&
		ip link add n0 netns $N type veth peer name c0 netns $C &&
		ip link add n1 netns $N type veth peer name s0 netns $S &&
		ip -n $N addr add 10.91.1.1/24 dev n0 && ip -n $C addr add 10.91.1.2/24 dev c0 &&
		ip -n $N addr add 10.91.2.1/24 dev n1 && ip -n $S addr add 10.91.2.2/24 dev s0 &&
		for ns in $C $N $S; do ip -n $ns link set lo up || return 1; done &&
		ip -n $N link set n0 up && ip -n $N link set n1 up &&
		ip -n $C link set c0 up && ip -n $S link set s0 up &&
		ip -n $C route add default via 10.91.1.1 &&
		ip netns exec $N sysctl -qw net.ipv4.ip_forward=1 &&
		ip netns exec $N nft -f - <<-'EOF'
			table ip fvchurn {
				chain post {
					type nat hook postrouting priority 100;
					oifname "n1" masquerade random
				}
			}
		EOF
}
if ! topology >"$TMP/topo" 2>&1; then
	not_ok "setup: client, NAT and server namespaces"
	diag_file "$TMP/topo"
	done_testing
	exit 1
fi

# The server: mode 4, origin = the request's transmit; counts its replies.
ip netns exec $S python3 - "$TMP/served" >"$TMP/server.err" 2>&1 <<'PY' &
import signal, socket, struct, sys
n = 0
def stop(*_):
    open(sys.argv[1], "w").write("%d\n" % n)
    sys.exit(0)
signal.signal(signal.SIGTERM, stop)
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 22)
s.bind(("10.91.2.2", 123))
open(sys.argv[1], "w").write("up\n")
while True:
    req, addr = s.recvfrom(512)
    if len(req) < 48:
        continue
    rep = bytes([0x24, 2, 6, 0xec]) + bytes(20) + req[40:48] + req[40:48] + req[40:48]
    s.sendto(rep, addr)
    n += 1
PY
pids+=($!)
server_pid=$!

# send FIRST COUNT RATE: one NTP request from each client port FIRST..,
# at RATE a second, each with its own transmit timestamp (the cookie).
send() {
	ip netns exec $C python3 - "$@" <<'PY'
import os, socket, struct, sys, time
first, count, rate = map(int, sys.argv[1:4])
t0 = time.monotonic()
for i in range(count):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("10.91.1.2", first + i))
    s.sendto(bytes([0x23]) + bytes(39) + os.urandom(8), ("10.91.2.2", 123))
    s.close()
    ahead = (i + 1) / rate - (time.monotonic() - t0)
    if ahead > 0:
        time.sleep(ahead)
PY
}

WATCH=$N:n0,n1
$FV agent --nat $WATCH --listen 127.0.0.1:$PORT --instance $INST \
	--ready-file "$TMP/agent.ready" >"$TMP/agent.out" 2>&1 &
agent_pid=$!
pids+=($agent_pid)
serving() { kill -0 $agent_pid 2>/dev/null && [ -s "$TMP/agent.ready" ] && [ "$(grep -c up "$TMP/served" 2>/dev/null)" = 1 ]; }
if ! wait_until 60 serving; then
	not_ok "agent and server start"
	diag_file "$TMP/agent.out" "agent: "
	diag_file "$TMP/server.err" "server: "
	done_testing
	exit 1
fi
ok "agent serves on 127.0.0.1:$PORT, server answers"
# verify beside it, over the whole run.
DUR=$((CHURN / 2000 + 40))
$FV verify --nat $WATCH --duration $DUR --json >"$TMP/verify.json" 2>"$TMP/verify.err" &
verify_pid=$!
pids+=($verify_pid)
# And one whose flows expire after 2 s idle, folded into their legs.
FV_FLOW_IDLE_SECONDS=2 $FV verify --nat $WATCH --duration $DUR --json >"$TMP/vidle.json" 2>"$TMP/vidle.err" &
vidle_pid=$!
pids+=($vidle_pid)
sleep 3 # verify attaches (no ready file for verify with --json)

metrics() { curl -s -m 10 -o "$1" http://127.0.0.1:$PORT/metrics; }
leg() { awk -v k="flowverify_leg_packets_total{role=\"nat\",leg=\"$1\"}" '$1 == k { print $2 }' "$2"; }
full() { awk '$1 ~ /^flowverify_flow_table_full_total/ { s += $2 } END { print s + 0 }' "$1"; }
# legs_are WANT FILE: all four NAT legs at exactly WANT (polled).
legs_are() {
	local l
	metrics "$2" || return 1
	for l in 1 2 3 4; do [ "$(leg $l "$2")" = "$1" ] || return 1; done
}
t0=$EPOCHREALTIME
send 20000 "$CHURN" 2000
diag "sent $CHURN requests from distinct ports in $(echo "$EPOCHREALTIME - $t0" | bc) s"
if wait_until 30 legs_are "$CHURN" "$TMP/m1"; then
	ok "after $CHURN client ports: every NAT leg at $CHURN in the agent"
else
	not_ok "after $CHURN client ports: every NAT leg at $CHURN in the agent"
	diag "$(grep -E '^flowverify_(leg_packets|flow_table)' "$TMP/m1" | paste -sd' ')"
fi
send 60000 8 100
want=$((CHURN + 8))
if wait_until 30 legs_are $want "$TMP/m2"; then
	ok "8 new exchanges after the churn: every NAT leg at $want in the agent"
else
	not_ok "8 new exchanges after the churn: every NAT leg at $want in the agent"
	diag "$(grep -E '^flowverify_(leg_packets|flow_table)' "$TMP/m2" | paste -sd' ')"
fi
check "flowverify_flow_table_full_total 0 ($(full "$TMP/m2"))" test "$(full "$TMP/m2")" = 0
wait $verify_pid
rc=$?
echo $rc >"$TMP/verify.json.rc"
wait $vidle_pid
kill -TERM $server_pid && wait $server_pid
check "the server answered every request ($(cat "$TMP/served"), want $want)" test "$(cat "$TMP/served")" = $want
vlegs=$(jq -c '[.. | objects | select(has("leg") and has("packets") and has("flows")) | .packets]' "$TMP/verify.json" 2>/dev/null)
check "verify over the same run: every leg at $want ($vlegs)" test "$vlegs" = "[$want,$want,$want,$want]" ||
	diag_file "$TMP/verify.err" "verify: "
vidle=$(jq -c '[.. | objects | select(has("leg") and has("packets") and has("flows")) | .packets]' "$TMP/vidle.json" 2>/dev/null)
check "verify with flows expiring after 2 s idle: every leg at $want ($vidle), the expired ones as one flow per leg" \
	eval "[ '$vidle' = '[$want,$want,$want,$want]' ] &&
		jq -e '[.. | objects | select(.hook? == \"expired\")] | length == 4' '$TMP/vidle.json' >/dev/null" ||
	diag_file "$TMP/vidle.err" "verify: "
check "verify: ok, exit 0 ($(cat "$TMP/verify.json.rc"))" \
	eval "[ $rc = 0 ] && jq -e '.status == \"ok\"' '$TMP/verify.json' >/dev/null" ||
	diag "status: $(jq -r .status "$TMP/verify.json" 2>/dev/null)"
# Restarted, the agent goes on from the same totals.
kill -TERM $agent_pid && wait $agent_pid
rm -f "$TMP/agent.ready"
$FV agent --nat $WATCH --listen 127.0.0.1:$PORT --instance $INST \
	--ready-file "$TMP/agent.ready" >"$TMP/agent2.out" 2>&1 &
agent_pid=$!
pids+=($agent_pid)
ready2() { kill -0 $agent_pid 2>/dev/null && [ -s "$TMP/agent.ready" ]; }
if wait_until 60 ready2 && wait_until 20 legs_are $want "$TMP/m3"; then
	ok "restarted agent: every NAT leg still at $want"
else
	not_ok "restarted agent: every NAT leg still at $want"
	diag "$(grep -E '^flowverify_leg_packets' "$TMP/m3" | paste -sd' ')"
	diag_file "$TMP/agent2.out" "agent: "
fi
kill -TERM $agent_pid && wait $agent_pid
check "agent stops: nothing of ours left in the NAT" clean_in $N
done_testing
