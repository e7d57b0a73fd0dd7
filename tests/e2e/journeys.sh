#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Journeys and drop reasons in the lab, with real chronyd and the real
# kernel: every exchange answered with its NAT mapping and latencies, trace
# lines, the kernel's own reason for drops inside the NAT, a stray reply
# with no mapping, and a Kiss-o'-Death server.
set -u
cd "$(dirname "$0")/../.."
. tests/e2e/lib.sh

NAT=$NS_NAT:eth0 CLIENT=$NS_CLIENT:eth0
we_made_lab=0
cleanup() {
	[ $we_made_lab -eq 1 ] && lab down >/dev/null 2>&1
	rm -rf "$TMP"
}
trap cleanup EXIT

lab_up

# 1. Healthy: every exchange answered, with the mapping and latencies.
out=$TMP/healthy.json
$FV verify --nat $NAT --client $CLIENT --duration 3 --json >"$out" 2>/dev/null
check "healthy: exchanges answered, none unanswered" \
	jq_ok "$out" '.exchanges.answered > 0 and .exchanges.unanswered == 0'
check "healthy: the NAT mapping learned from cookies (client 1123 kept as 1123)" \
	jq_ok "$out" '.nat_mappings == [{"inside": "10.0.1.10:1123", "outside": "10.0.0.5:1123", "exchanges": .exchanges.answered}]'
check "healthy: latency for all five segments, p50 <= p99 <= max" \
	jq_ok "$out" '[.exchanges.latency_seconds | to_entries[] | select(.value.count > 0 and .value.p50 <= .value.p99 and .value.p99 <= .value.max) | .key] | sort == ["beyond_nat", "client_to_nat", "inside_nat_reply", "inside_nat_request", "nat_to_client"]'
check "healthy: the server's stratum and refid (chrony 'local stratum 8')" \
	jq_ok "$out" '.servers[0].address == "198.51.100.123:123" and .servers[0].stratum == 8 and .kod.replies == 0'
check "healthy: the drop tracer is not attached when nothing is lost" \
	jq_ok "$out" '.drop_tracer.state == "not needed" and .drops == []'

# 2. trace: one JSON line per exchange.
$FV trace --nat $NAT --client $CLIENT --duration 2 --json >"$TMP/trace" 2>/dev/null
lines=$(wc -l <"$TMP/trace")
check "trace: several exchanges in 2 s ($lines lines)" test "$lines" -ge 4
check "trace: each line a JSON exchange, answered, through 10.0.0.5:1123" \
	bash -c "jq -s -e 'all(.outcome == \"answered\" and .outside == \"10.0.0.5:1123\" and (.cookie | length) == 16)' '$TMP/trace' >/dev/null" ||
	{ jq -c 'select(.outcome != "answered" or .outside != "10.0.0.5:1123" or (.cookie | length) != 16)' "$TMP/trace" || head -c 800 "$TMP/trace"; } 2>&1 | sed 's/^/# /' 
$FV trace --nat $NAT --client $CLIENT --duration 1 >"$TMP/trace.txt" 2>/dev/null
check "trace: text lines name the path and segment times" \
	grep -q "answered  10.0.1.10:1123 -> 10.0.0.5:1123 -> 198.51.100.123:123  client_to_nat" "$TMP/trace.txt"

# 3. A firewall on the NAT dropping forwarded replies: the kernel's reason.
lab fault nat-firewall-drops-replies >/dev/null 2>&1
out=$TMP/fwd.json
$FV verify --nat $NAT --client $CLIENT --duration 3 --json >"$out" 2>/dev/null
check "forward drop: inside_nat_reply, drop tracer attached on its own (auto)" \
	jq_ok "$out" '.segment == "inside_nat_reply" and .drop_tracer.state == "tp_btf"'
check "forward drop: NETFILTER_DROP in ip_forward on leg 3, on the NAT" \
	jq_ok "$out" '.drops | any(.reason == "NETFILTER_DROP" and .leg == 3 and .route == "ip_forward" and .host == "nat" and (.location | startswith("nft_do_chain+0x")) and .count > 0)'
check "forward drop: the evidence sentence names the reason" \
	jq_ok "$out" '.evidence | test("leg 3 arrived on eth0 and was dropped inside the NAT host: NETFILTER_DROP in ip_forward")'

# 4. ip_forward off: the routing drop.
lab fault no-ip-forward >/dev/null 2>&1
out=$TMP/nofwd.json
$FV verify --nat $NAT --client $CLIENT --duration 3 --drops on --json >"$out" 2>/dev/null
check "ip_forward off: inside_nat_request with the kernel's routing drop on leg 1" \
	jq_ok "$out" '.segment == "inside_nat_request" and (.drops | any(.leg == 1 and .hook == "routing" and .reason == "IP_INADDRERRORS"))'

# 5. A stray reply with no mapping: counted apart, and the kernel says why
# it died (no socket for it on the NAT).
lab fault none >/dev/null 2>&1
out=$TMP/stray.json
$FV verify --nat $NAT --duration 2 --drops on --json --ready-file "$TMP/ready" \
	>"$out" 2>/dev/null &
pid=$!
if wait_file "$TMP/ready"; then
	# From the server's address and port 123, as a reply would come; the
	# origin timestamp is a cookie nobody sent.
	ip netns exec $NS_SERVER python3 -c '
import os, socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("198.51.100.123", 123))
for i in range(3):
    s.sendto(bytes([0x24, 2]) + bytes(22) + os.urandom(8) + bytes(16), ("10.0.0.5", 40123))'
fi
wait $pid
check "stray reply: counted as unmatched" jq_ok "$out" '.events.unmatched_replies >= 1'
check "stray reply: dropped on the NAT for want of a socket (NO_SOCKET, leg 3)" \
	jq_ok "$out" '.drops | any(.reason == "NO_SOCKET" and .leg == 3 and .dst == "10.0.0.5:40123")'

# 6. A server that answers with Kiss-o'-Death.
if $FV lab faults 2>/dev/null | grep -q server-kod; then
	lab fault server-kod >/dev/null 2>&1
	out=$TMP/kod.json
	$FV verify --nat $NAT --client $CLIENT --duration 3 --json >"$out" 2>/dev/null
	check "KoD: flagged with its code, a fault of its own kind" \
		jq_ok "$out" '.status == "fault" and .segment == null and .kod.codes.RATE > 0 and (.explanation | test("Kiss-o.-Death"))'
else
	not_ok "KoD: the lab has no server-kod fault"
fi

check "nothing left attached" nothing_left
check "lab down" lab down
we_made_lab=0
done_testing
