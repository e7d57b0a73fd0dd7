#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# A client that also asks a time service on its own link (Amazon's
# 169.254.169.123, issue 14's time_service check): those requests never
# cross the NAT, so they are neither an exchange of the pattern nor a loss,
# and the time_service host check names them. The link-local server is a
# real chronyd on the lab client's own link, as the hypervisor's service
# is on an instance's.
set -u
cd "$(dirname "$0")/../.."
. tests/e2e/lib.sh

NAT=$NS_NAT:eth0 CLIENT=$NS_CLIENT:eth0
we_made_lab=0 asker=
cleanup() {
	[ -n "$asker" ] && kill "$asker" 2>/dev/null && wait "$asker" 2>/dev/null
	[ -s "$TMP/ts.pid" ] && kill "$(cat "$TMP/ts.pid")" 2>/dev/null
	[ $we_made_lab -eq 1 ] && lab down >/dev/null 2>&1
	rm -rf "$TMP"
}
trap cleanup EXIT
snapshot FV FV_ATTACHED || { done_testing; exit 1; }

lab_up
# The service answers on the client's own link, as Nitro does on EC2: the
# lab's router, the client's next hop, holds 169.254.169.123 on the
# client's side and runs its chronyd, so a request leaves the client's eth0
# (watched) and never reaches the NAT.
check "a link-local time service: 169.254.169.123 on the router's client side, on-link from the client" eval '
	ip -n $NS_ROUTER addr add 169.254.169.123/32 dev rp0 &&
	ip -n $NS_CLIENT route add 169.254.169.123/32 dev eth0'
chmod 700 "$TMP"
cat >"$TMP/ts.conf" <<EOF
allow all
local stratum 3
port 123
cmdport 0
pidfile $TMP/ts.pid
EOF
check "its chronyd serves (chronyd -x, never sets the clock)" \
	ip netns exec $NS_ROUTER chronyd -x -u root -f "$TMP/ts.conf" -l "$TMP/ts.log"
# asks: one-shot queries from the client to 169.254.169.123, in a loop.
asks() {
	while :; do
		ip netns exec $NS_CLIENT chronyd -x -Q -t 2 -u root \
			"server 169.254.169.123 iburst maxsamples 1" "pidfile $TMP/q.pid" \
			>>"$TMP/asks.log" 2>&1
		sleep 0.2
	done
}
check "the client gets an answer from 169.254.169.123" wait_until 20 eval \
	'ip netns exec $NS_CLIENT chronyd -x -Q -t 2 -u root "server 169.254.169.123 iburst maxsamples 1" "pidfile $TMP/q.pid" >/dev/null 2>&1'
asks &
asker=$!

out=$TMP/v.json
capture "$out" $FV verify --nat $NAT --client $CLIENT --duration 4 --json
check_run "verify: ok, exit 0 (the link-local exchanges are not losses)" 0 "$out" \
	jq_ok "$out" '.status == "ok"' || diag_file "$out"
check "time_service: ok, names 169.254.169.123 and says its requests never cross the NAT" \
	jq_ok "$out" '.host_checks | any(.check == "time_service" and .status == "ok" and
		(.detail | test("asks 169.254.169.123") and test("[1-9][0-9]* requests that never cross the NAT")))' ||
	diag "$(jq -c '.host_checks' "$out" 2>/dev/null)"
check "no exchange lost or in flight: the link-local ones are not exchanges" \
	jq_ok "$out" '.exchanges.unanswered == 0 and .exchanges.in_flight == 0 and .exchanges.answered > 0' ||
	diag "$(jq -c '.exchanges' "$out" 2>/dev/null)"
capture "$TMP/nat.json" $FV verify --nat $NAT --duration 2 --json
check "NAT only: no time_service check (no client point to see it)" \
	jq_ok "$TMP/nat.json" '.host_checks | all(.check != "time_service")'
kill "$asker" 2>/dev/null
wait "$asker" 2>/dev/null
asker=

check "nothing of ours left attached in the lab" lab_clean
check "lab down" quiet lab down
we_made_lab=0
check "no namespace of this suite's lab left" lab_gone
done_testing
