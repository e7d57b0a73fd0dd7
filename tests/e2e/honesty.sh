#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Verdicts say only what was seen (issue 14): an interrupted window is
# never a fault; without a client point nothing claims the replies reach
# the clients; a client point that saw nothing is named; no lab value
# (port 1123, 10.0.0.0/16, the lab's addresses) in a verdict that did not
# observe it; an unwatched inside interface is named; a client point alone
# never faults client_to_nat; clients behind one address and a kept port
# 123 are said. Its own lab instance, with real chronyd.
set -u
cd "$(dirname "$0")/../.."
. tests/e2e/lib.sh

NAT=$NS_NAT:eth0 CLIENT=$NS_CLIENT:eth0
AGENT_INST=hon$$
we_made_lab=0 agent_pid= made=() sender=
cleanup() {
	local ns
	[ -n "$sender" ] && kill $sender 2>/dev/null && wait $sender 2>/dev/null
	if [ -n "$agent_pid" ]; then
		kill "$agent_pid" 2>/dev/null
		wait "$agent_pid" 2>/dev/null
	fi
	$FV cleanup --instance "$AGENT_INST" >/dev/null 2>&1
	[ $we_made_lab -eq 1 ] && lab down >/dev/null 2>&1
	for ns in "${made[@]}"; do ip netns del "$ns" 2>/dev/null; done
	rm -rf "$TMP"
}
trap cleanup EXIT
snapshot FV FV_ATTACHED || { done_testing; exit 1; }

# interrupt OUT AFTER SIG ARGS...: verify started, signalled AFTER seconds
# later (from its start), its output in OUT and exit status in OUT.rc.
interrupt() {
	local out=$1 after=$2 sig=$3
	shift 3
	bg_start "$out" $FV verify "$@"
	# AFTER seconds from when verify catches SIG: a background job starts
	# with SIGINT ignored, so one sent while the loader still runs is
	# lost, not early (its handler is its first act; SigCgt shows it).
	wait_until 10 catches "$BG_PID" "$sig"
	sleep "$after"
	kill -"$sig" "$BG_PID"
	bg_finish "$out" 30 >/dev/null
}

# Interrupted and healthy: inconclusive (exit 3) or what completed judged
# ok (exit 0), interrupted either way; never a fault.
honest_interrupt() {
	jq_ok "$1" '.interrupted == true and .status != "fault" and
		((.status == "inconclusive" and .segment == null) or .status == "ok")' &&
		case "$(cat "$1.rc")" in
		3) jq_ok "$1" '.status == "inconclusive"' ;;
		0) jq_ok "$1" '.status == "ok"' ;;
		*) false ;;
		esac
}
said() { diag "rc=$(cat "$1.rc") $(jq -c '{status, segment, interrupted, coverage, explanation, notes, exchanges: (.exchanges | {answered, unanswered, in_flight})}' "$1" 2>/dev/null | head -c 900)"; diag_file "$1.err" "stderr: "; }

# jq_arg FILE JQ-ARGS...: jq -e with arguments over FILE, quietly.
jq_arg() { local f=$1; shift; jq -e "$@" "$f" >/dev/null 2>&1; }

# no_arrival_claim FILE: nothing in it says the replies reach a client.
no_arrival_claim() { ! grep -qiE 'reach(es)? the (watched )?client' "$1"; }

lab_up

# 1. Ctrl-C (and SIGTERM) early on a healthy lab: never a false fault.
for t in 0.1 0.3 0.6; do
	out=$TMP/int.$t.json
	interrupt "$out" $t INT --nat $NAT --client $CLIENT --duration 4 --json
	check "SIGINT at $t s: inconclusive (exit 3) or judged-partial ok (exit 0), interrupted, no fault" \
		honest_interrupt "$out" || said "$out"
done
out=$TMP/int.term.json
interrupt "$out" 0.3 TERM --nat $NAT --client $CLIENT --duration 4 --json
check "SIGTERM at 0.3 s: the same" honest_interrupt "$out" || said "$out"
out=$TMP/int.txt
interrupt "$out" 0.1 INT --nat $NAT --client $CLIENT --duration 4
check "SIGINT at 0.1 s, text: says the window was cut short, no FAULT" \
	eval 'grep -q "^interrupted: the window was cut short after" "$out" && ! grep -q "^FAULT" "$out" &&
		{ [ "$(cat "$out.rc")" = 3 ] && grep -q "^INCONCLUSIVE: " "$out" || { [ "$(cat "$out.rc")" = 0 ] && grep -q "^OK: " "$out"; }; }' ||
	diag_file "$out"
out=$TMP/int.late.json
interrupt "$out" 2.5 INT --nat $NAT --client $CLIENT --duration 4 --json
check "SIGINT at 2.5 s: what completed is judged ok, exit 0, interrupted" \
	exited "$(cat "$out.rc")" 0 jq_ok "$out" '.status == "ok" and .interrupted == true and .exchanges.answered > 0 and .exchanges.unanswered == 0' ||
	said "$out"
out=$TMP/full.json
capture "$out" $FV verify --nat $NAT --client $CLIENT --duration 2 --json
check_run "a full window: interrupted false, coverage nat+clients, replies reach the watched clients" 0 "$out" \
	jq_ok "$out" '.interrupted == false and .coverage == "nat+clients" and (.explanation | startswith("replies reach the watched clients: "))'

# 2. The NAT alone: replies left the NAT; arrival is not claimed.
out=$TMP/natonly.json
capture "$out" $FV verify --nat $NAT --duration 2 --json
check_run "NAT only, healthy: coverage nat, exit 0, says they left the NAT and to add --client" 0 "$out" \
	jq_ok "$out" '.coverage == "nat" and .status == "ok" and (.explanation | test("^replies left the NAT toward the clients: .*add --client on a client to see whether they arrive$"))'
check "NAT only, healthy: no claim of arrival" no_arrival_claim "$out"

if lab_fault_set no-private-in-client; then
	out=$TMP/npic.nat.json
	capture "$out" $FV verify --nat $NAT --duration 3 --json
	check_run "no-private-in-client, NAT only: coverage nat, exit 0 allowed, says only that replies left the NAT" 0 "$out" \
		jq_ok "$out" '.coverage == "nat" and .status == "ok" and (.explanation | startswith("replies left the NAT toward the clients"))'
	check "no-private-in-client, NAT only: no claim of arrival (JSON)" no_arrival_claim "$out"
	out=$TMP/npic.nat.txt
	capture "$out" $FV verify --nat $NAT --duration 2
	check_run "no-private-in-client, NAT only, text: coverage: nat, no claim of arrival" 0 "$out" \
		eval 'grep -q "^coverage: nat$" "$out" && no_arrival_claim "$out"'
	# A client point on the wrong host (the server, which never sends a
	# request through the NAT): named, and no arrival claimed on it.
	out=$TMP/npic.wrong.json
	capture "$out" $FV verify --nat $NAT --client $NS_SERVER:eth0 --duration 3 --json
	check_run "client point on the wrong host: named, it sent none of the NAT's requests; no arrival claim" 0 "$out" \
		jq_arg "$out" --arg p "$NS_SERVER:eth0" '.coverage == "nat+clients" and (.notes | any(test("^" + $p + " sent none of the [0-9]+ requests the NAT saw from 10.0.1.10")))'
	check "client point on the wrong host: no claim of arrival" no_arrival_claim "$out" ||
		said "$out"
	out=$TMP/npic.both.json
	capture "$out" $FV verify --nat $NAT --client $CLIENT --duration 3 --json
	check_run "no-private-in-client with the client watched: nat_to_client, exit 1" 1 "$out" \
		jq_ok "$out" '.status == "fault" and .segment == "nat_to_client"'
else
	for i in 1 2 3 4 5 6 7 8 9; do not_ok "no-private-in-client checks (lab fault failed)"; done
fi

# 3. An ephemeral client port: nothing in the verdict says 1123.
if lab_fault_set client-port-ephemeral; then
	out=$TMP/eph.json
	capture "$out" $FV verify --nat $NAT --client $CLIENT --duration 3 --json
	check_run "ephemeral client port: nat_to_client, exit 1" 1 "$out" \
		jq_ok "$out" '.status == "fault" and .segment == "nat_to_client"'
	check "ephemeral client port: no 1123 in the JSON verdict" eval '! grep -q 1123 "$out"' ||
		grep -o '.\{60\}1123.\{20\}' "$out" | head -3 | sed 's/^/# /'
	check "ephemeral client port: the ACL rows name the observed port" \
		jq_ok "$out" '[.legs[3].flows[].dst | split(":")[1]] as $seen | (.acl_rows | length > 0) and (.acl_rows | all(.ports as $p | $seen | index($p)))' ||
		diag "rows: $(jq -c '[.acl_rows[].ports]' "$out"), leg 4 ports: $(jq -c '[.legs[3].flows[].dst]' "$out" | head -c 300)"
	out=$TMP/eph.txt
	capture "$out" $FV verify --nat $NAT --client $CLIENT --duration 3
	check_run "ephemeral client port, text: no 1123, no 10.0.0.0/16" 1 "$out" \
		eval '! grep -qE "1123|10\.0\.0\.0/16" "$out"' || grep -E "1123|10\.0\.0\.0/16" "$out" | head -3 | sed 's/^/# /'
	out=$TMP/eph.vpc.json
	capture "$out" $FV verify --nat $NAT --client $CLIENT --duration 3 --json --vpc 10.0.0.0/16 --client-port ephemeral
	check_run "--vpc and --client-port: the rows use them" 1 "$out" \
		jq_ok "$out" '.acl_rows_vpc == {"cidr": "10.0.0.0/16", "from": "--vpc"} and (.acl_rows | any(.ports == "1024-65535" and .leg == 4))'
else
	for i in 1 2 3 4 5; do not_ok "client-port-ephemeral checks (lab fault failed)"; done
fi

# 4. The NAT keeps port 123: said, even when nothing is lost yet.
if lab_fault_set client-port-123; then
	out=$TMP/p123.json
	capture "$out" $FV verify --nat $NAT --client $CLIENT --duration 3 --json
	check_run "client port 123: a note that the NAT kept port 123 and the usual rule will not admit it" 1 "$out" \
		jq_ok "$out" '.notes | any(test("^the NAT kept source port 123 .*does not admit$"))'
else
	not_ok "client-port-123 checks (lab fault failed)"
fi

# 5. Kiss-o'-Death: per server, the clients behind one outside address.
if lab_fault_set server-kod; then
	out=$TMP/kod.json
	capture "$out" $FV verify --nat $NAT --client $CLIENT --duration 3 --json
	check_run "server-kod: one inside client behind one outside address, so no sharing warning" 1 "$out" \
		jq_ok "$out" '.servers[0].clients_per_outside_address == 1 and .servers[0].outside_addresses == [{"address": "10.0.0.5", "inside_clients": 1}] and (.notes | all(test("RATE") | not))'
else
	not_ok "server-kod checks (lab fault failed)"
fi

# 6. A client point alone (an agent on the client): never client_to_nat.
if lab_fault_set no-private-in-client; then
	port=$(free_base 1 26600)
	$FV agent --client $CLIENT --listen 127.0.0.1:$port --instance "$AGENT_INST" \
		--window 5 --ready-file "$TMP/agent.ready" >"$TMP/agent.out" 2>&1 &
	agent_pid=$!
	status_lost() {
		curl -sf "127.0.0.1:$port/api/v1/status" >"$TMP/agent.json" &&
			jq_ok "$TMP/agent.json" '.exchanges.unanswered > 0'
	}
	if wait_until 60 status_lost; then
		check "client-only agent: beyond_client, never client_to_nat" \
			jq_ok "$TMP/agent.json" '.segment == "beyond_client" and .exchanges.lost_by_segment.client_to_nat == 0' ||
			diag "$(jq -c '{status, segment, explanation}' "$TMP/agent.json")"
	else
		not_ok "client-only agent: beyond_client, never client_to_nat (no lost exchange in 60 s)"
		diag_file "$TMP/agent.out"
	fi
	kill "$agent_pid" 2>/dev/null
	wait "$agent_pid" 2>/dev/null
	agent_pid=
	check "client-only agent: its pins removed" quiet $FV cleanup --instance "$AGENT_INST"
else
	not_ok "client-only agent checks (lab fault failed)"
	skip "client-only agent: pins"
fi
check "lab fault none" quiet lab fault none
check "nothing left attached in the lab" lab_clean

# 7. One interface of a two-interface NAT: the inside one is named.
lab down >/dev/null 2>&1
we_made_lab=0
lab_up --shape two
out=$TMP/two.json
capture "$out" $FV verify --nat $NAT --duration 3 --json
check_run "shape two, eth0 only: names eth1 as not watched and to add it to --nat" 1 "$out" \
	jq_arg "$out" --arg n "$NS_NAT" '.notes | any(test("^not watched on the NAT: eth1 \\(10\\.0\\.2\\.5/24\\); legs 1 and 4 may cross eth1: add it to --nat \\(--nat " + $n + ":eth0,eth1\\)$"))'
out=$TMP/two.txt
capture "$out" $FV verify --nat $NAT --duration 2
check_run "shape two, eth0 only, text: the note" 1 "$out" \
	grep -q "^Note: not watched on the NAT: eth1 (10.0.2.5/24); legs 1 and 4 may cross eth1: add it to --nat" "$out"
out=$TMP/two.both.json
capture "$out" $FV verify --nat $NAT,eth1 --duration 2 --json
check_run "shape two, both interfaces: no such note" 0 "$out" \
	jq_ok "$out" '.notes | all(test("not watched") | not)'
check "nothing left attached in the lab (shape two)" lab_clean
check "lab down" quiet lab down
we_made_lab=0
check "no namespace of this lab left" lab_gone

# 8. Not the lab: a NAT of our own in three namespaces with none of the
# lab's values: a client on port 40123, a server that answers, and the
# replies dropped after they leave the NAT toward the client (by a bridge
# between them, the "private subnet"): nat_to_client, the
# fault whose causes and rows used to name 1123 and 10.0.0.0/16. Nothing
# of the lab may appear in the verdict.
C=fv-$LAB_INST-hc M=fv-$LAB_INST-hm N=fv-$LAB_INST-hn S=fv-$LAB_INST-hs
if ip netns add "$C" && made+=("$C") && ip netns add "$M" && made+=("$M") &&
	ip netns add "$N" && made+=("$N") && ip netns add "$S" && made+=("$S") &&
	ip link add hc0 netns "$C" type veth peer name m1 netns "$M" &&
	ip link add in0 netns "$N" type veth peer name m0 netns "$M" &&
	ip link add out0 netns "$N" type veth peer name hs0 netns "$S" &&
	ip -n "$M" link add br0 type bridge && ip -n "$M" link set m0 master br0 &&
	ip -n "$M" link set m1 master br0 &&
	ip -n "$C" addr add 192.168.77.1/24 dev hc0 && ip -n "$N" addr add 192.168.77.2/24 dev in0 &&
	ip -n "$N" addr add 172.31.9.1/24 dev out0 && ip -n "$S" addr add 172.31.9.2/24 dev hs0 &&
	for l in "$C hc0" "$M m0" "$M m1" "$M br0" "$N in0" "$N out0" "$S hs0" "$C lo" "$N lo" "$S lo"; do
		set -- $l; ip -n "$1" link set "$2" up || break
	done &&
	ip -n "$C" route add default via 192.168.77.2 &&
	ip netns exec "$N" sysctl -qw net.ipv4.ip_forward=1 &&
	ip netns exec "$M" nft -f - <<'EOF' &&
table bridge fvhon {
	chain f {
		type filter hook forward priority 0; policy accept;
		udp sport 123 drop
	}
}
EOF
	ip netns exec "$N" nft -f - <<'EOF'
table ip fvhon {
	chain post {
		type nat hook postrouting priority srcnat; policy accept;
		oifname "out0" masquerade
	}
}
EOF
then
	ok "a NAT of our own: 192.168.77.0/24 inside, 172.31.9.0/24 outside, replies dropped on the way to the client"
	ip netns exec "$S" python3 -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("172.31.9.2", 123))
while True:
    d, a = s.recvfrom(512)
    if len(d) >= 48:
        s.sendto(bytes([0x24, 2, 6, 0xec]) + bytes(8) + b"LOCL" + bytes(8) + d[40:48] + bytes(8) + d[40:48], a)
' &
	sender=$!
	ip netns exec "$C" python3 -c '
import os, socket, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("192.168.77.1", 40123))
while True:
    s.sendto(bytes([0x23]) + bytes(39) + os.urandom(8), ("172.31.9.2", 123))
    time.sleep(0.25)
' &
	sender="$sender $!"
	for mode in text json; do
		out=$TMP/own.$mode
		if [ $mode = json ]; then
			capture "$out" $FV verify --nat "$N:in0,out0" --client "$C:hc0" --duration 3 --json
		else
			capture "$out" $FV verify --nat "$N:in0,out0" --client "$C:hc0" --duration 3
		fi
		check_run "own NAT, $mode: nat_to_client, exit 1" 1 "$out" \
			grep -q "nat_to_client" "$out" || diag_file "$out"
		check "own NAT, $mode: no lab value (1123, 10.0.0.0/16, 10.0.0.5, 10.0.1.10, 198.51.100.123)" \
			eval '! grep -nE "1123|10\.0\.0\.0/16|10\.0\.0\.5|10\.0\.1\.10|198\.51\.100\.123" "$out"' ||
			grep -nE "1123|10\.0\.0\.0/16|10\.0\.0\.5|10\.0\.1\.10|198\.51\.100\.123" "$out" | head -5 | sed 's/^/# /'
		if [ $mode = json ]; then
			check "own NAT, json: the rows name its connected subnet and the observed port 40123" \
				jq_ok "$out" '.acl_rows_vpc == {"cidr": "192.168.77.0/24", "from": "the NAT'"'"'s connected subnet"} and (.acl_rows | length > 0 and all(.ports == "40123"))'
		else
			check "own NAT, text: the rows name its connected subnet and the observed port 40123" \
				eval 'grep -q "^  (VPC 192.168.77.0/24: the NAT'"'"'s connected subnet; pass --vpc CIDR for yours)$" "$out" &&
					grep -q "^  leg 4: public outbound rule 110 allow UDP 40123 to 192.168.77.0/24$" "$out"'
		fi
	done
	kill $sender 2>/dev/null
	wait $sender 2>/dev/null
	sender=
else
	not_ok "a NAT of our own: setup"
fi
for ns in "${made[@]}"; do ip netns del "$ns"; done
made=()
check "own NAT: namespaces removed" eval '! ip netns list | grep -qE "^fv-$LAB_INST-h[cmns]( |$)"'
done_testing
