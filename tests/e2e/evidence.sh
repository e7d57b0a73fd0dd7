#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Evidence to hand over (docs/evidence.md): --pcap on verify, watch and
# trace, read back by tcpdump: requests and replies on all four legs, both
# sides of the NAT's translation; the closing line's count of packets
# counted but not captured, exact against what was sent in a flood; the
# --snaplen bounds. Then --report: the page rendered by headless Chromium,
# which must find the SVG and the segment word, log no console error and
# ask for nothing outside the page.
set -u
cd "$(dirname "$0")/../.."
. tests/e2e/lib.sh

NAT=$NS_NAT:eth0 CLIENT=$NS_CLIENT:eth0
we_made_lab=0 made=() agent_pid= AGENT=ev$$
cleanup() {
	local ns
	[ -n "$agent_pid" ] && kill "$agent_pid" 2>/dev/null && wait "$agent_pid" 2>/dev/null
	$FV cleanup --instance $AGENT >/dev/null 2>&1
	[ $we_made_lab -eq 1 ] && lab down >/dev/null 2>&1
	for ns in "${made[@]}"; do ip netns del "$ns" 2>/dev/null; done
	rm -rf "$TMP"
}
trap cleanup EXIT
snapshot FV FV_ATTACHED || { done_testing; exit 1; }

# one_line FILE: exactly one line, starting "flowverify: ".
one_line() { [ "$(wc -l <"$1")" -eq 1 ] && grep -q '^flowverify: ' "$1"; }

# ---- bad input: exit 2, one line, nothing attached, no file ----
bad() {
	local name=$1 says=$2 out=$TMP/bad.$TAP_N
	shift 2
	capture "$out" $FV "$@"
	check_run "bad input: $name: exit 2, one line naming it" 2 "$out" \
		eval 'one_line "$out.err" && grep -q -- "$says" "$out.err"'
}
bad "--snaplen 63" "64..256" verify --nat lo --pcap "$TMP/x.pcap" --snaplen 63
bad "--snaplen 257" "64..256" verify --nat lo --pcap "$TMP/x.pcap" --snaplen 257
bad "--snaplen 1e2" "64..256" trace --nat lo --pcap "$TMP/x.pcap" --snaplen 1e2
bad "--snaplen without --pcap" "only with --pcap" watch --nat lo --snaplen 100
bad "--pcap - (stdout)" "needs a file" trace --nat lo --pcap -
bad "--pcap in a missing directory" "cannot write --pcap" \
	verify --nat lo --duration 1 --pcap "$TMP/none/x.pcap"
check "bad input: no pcap file was left" eval '! ls "$TMP"/*.pcap "$TMP"/none 2>/dev/null'

# ---- the healthy lab: four legs, both sides of the translation ----
lab_up

# legs FILE: tcpdump's reading of a pcap, one "DIR IFINDEX SRC DST MODE"
# line per NTP packet (DIR In or Out, MODE Client or Server).
legs() {
	tcpdump -nn -e -r "$1" 2>/dev/null | sed -nE \
		's/^[^ ]+ +[^ ]+ +(In|Out) +ifindex ([0-9]+) .*: ([0-9.]+\.[0-9]+) > ([0-9.]+\.[0-9]+): NTPv4, (Client|Server).*/\1 \2 \3 \4 \5/p'
}
# closing FILE.err PCAP: the closing line's "N packets" and "M counted".
written() { sed -nE "s|^flowverify: pcap $2: ([0-9]+) packets.*|\1|p" "$1"; }
uncaptured() { sed -nE "s|^flowverify: pcap $2: .*; ([0-9]+) counted but not captured .*|\1|p" "$1"; }

pc=$TMP/healthy.pcap out=$TMP/healthy
capture "$out" $FV verify --nat $NAT --client $CLIENT --duration 3 --pcap "$pc"
check_run "healthy: verify --pcap: exit 0, the closing line on stderr" 0 "$out" \
	eval 'grep -qE "^flowverify: pcap $pc: [0-9]+ packets \(SLL2 interface 1[0-9]{3} $NS_NAT:eth0, 2[0-9]{3} $NS_CLIENT:eth0\); [0-9]+ counted but not captured \([0-9]+ over the event rate, [0-9]+ ring full\)$" "$out.err"'
legs "$pc" >"$TMP/legs"
diag "tcpdump -r: $(wc -l <"$TMP/legs") NTP packets; first: $(head -1 "$TMP/legs")"
check "healthy: tcpdump -r reads every packet the closing line counts" \
	eval '[ "$(wc -l <"$TMP/legs")" -eq "$(written "$out.err" "$pc")" ] && [ "$(written "$out.err" "$pc")" -gt 0 ]'
check "healthy: records in time order across the points (each point has its own ring)" \
	eval 'tcpdump -nn -tt -r "$pc" 2>/dev/null | awk "{print \$1}" | sort -c'
check "healthy: nothing counted but not captured" \
	eval '[ "$(uncaptured "$out.err" "$pc")" = 0 ]'
# On the NAT (interface 1xxx): leg 1 comes in from the client, leg 2 goes
# out from the NAT's outside address, leg 3 comes back to it, leg 4 goes
# out to the client.
nat_legs=$(grep -E '^(In|Out) 1[0-9]{3} ' "$TMP/legs")
c_in=$(awk '$1 == "In" && $5 == "Client" {print $3; exit}' <<<"$nat_legs")
n_out=$(awk '$1 == "Out" && $5 == "Client" {print $3; exit}' <<<"$nat_legs")
srv=$(awk '$1 == "Out" && $5 == "Client" {print $4; exit}' <<<"$nat_legs")
diag "leg 1 from $c_in, leg 2 from $n_out to $srv"
check "healthy: leg 1 (client->NAT, before translation) and leg 2 (NAT->server, after) differ in source" \
	eval '[ -n "$c_in" ] && [ -n "$n_out" ] && [ "$c_in" != "$n_out" ]'
check "healthy: leg 3 (server->NAT) comes back to leg 2's outside address and port" \
	eval 'grep -qx "In [0-9]* $srv $n_out Server" <<<"$nat_legs"'
check "healthy: leg 4 (NAT->client) goes to leg 1's client address and port" \
	eval 'grep -qx "Out [0-9]* $srv $c_in Server" <<<"$nat_legs"'
check "healthy: the client point's packets too (interface 2xxx: sent and received)" \
	eval 'grep -qE "^Out 2[0-9]{3} $c_in $srv Client" "$TMP/legs" && grep -qE "^In 2[0-9]{3} $srv $c_in Server" "$TMP/legs"'
check "healthy: nothing attached after verify" eval 'clean_in $NS_NAT && clean_in $NS_CLIENT'

# --snaplen: the file's snapshot length and the records' caplen follow it
# (SLL2's 20 bytes stand for Ethernet's 14).
pc=$TMP/snap64.pcap out=$TMP/snap64
capture "$out" $FV verify --nat $NAT --duration 1 --pcap "$pc" --snaplen 64
check_run "--snaplen 64: exit 0, the file says snapshot length 70" 0 "$out" \
	eval 'tcpdump -r "$pc" -c 1 2>&1 | grep -q "snapshot length 70"'
check "--snaplen 64: packets cut at 70 bytes, their length still the frame's" \
	eval 'tcpdump -nn -r "$pc" -c 1 -e 2>/dev/null | grep -q "length 96: " && python3 - "$pc" <<"PY"
import struct, sys
d = open(sys.argv[1], "rb").read()
off, n = 24, 0
while off < len(d):
    _, _, cap, orig = struct.unpack("<IIII", d[off:off + 16])
    assert cap == 70 and orig == 96, (cap, orig)
    off += 16 + cap
    n += 1
assert n > 0
PY'

# trace and watch write the same.
for cmd in trace watch; do
	pc=$TMP/$cmd.pcap out=$TMP/$cmd
	capture "$out" $FV $cmd --nat $NAT --duration 2 --pcap "$pc"
	check_run "$cmd --pcap: exit 0, requests and replies on the NAT's four legs" 0 "$out" \
		eval 'legs "$pc" >"$out.legs" && [ "$(awk "{print \$1, \$5}" "$out.legs" | sort -u | wc -l)" -eq 4 ]'
done
check "nothing attached after trace and watch" clean_in $NS_NAT

# ---- counted but not captured: the ring full ----
# verify is stopped (SIGSTOP) while 40000 requests come in bursts (as
# faults.sh's ring_full): the 4 MiB ring holds about 11000 events with
# their frames, and each burst's pause refills the event budget. Every
# packet is counted; each is either in the file or in the closing line's
# count.
A=fv-e$$-a B=fv-e$$-b
if veth_pair $A $B a0 b0 10.79.0; then
	pc=$TMP/flood.pcap out=$TMP/flood
	bg_start "$out" $FV verify --nat $A:a0 --duration 4 --pcap "$pc" --ready-file "$out.ready"
	if bg_ready "$out" "$out.ready" "flood"; then
		kill -STOP "$BG_PID"
		ip netns exec $B python3 - <<'PY' || diag "the flood failed"
import os, socket, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("10.79.0.2", 1123))
for burst in range(8):
    for i in range(5000):
        s.sendto(bytes([0x23]) + bytes(39) + os.urandom(8), ("10.79.0.1", 123))
    time.sleep(0.3)
PY
		kill -CONT "$BG_PID"
		bg_finish "$out" 120
		w=$(written "$out.err" "$pc") u=$(uncaptured "$out.err" "$pc")
		diag "flood: ${w:-?} written, ${u:-?} counted but not captured"
		check_run "flood: some packets counted but not captured, said on the closing line" 1 "$out" \
			eval '[ "${u:-0}" -gt 0 ]'
		check "flood: written + not captured = 40000 sent; tcpdump reads all written" \
			eval '[ $((w + u)) -eq 40000 ] && [ "$(legs "$pc" | wc -l)" -eq "$w" ]'
	fi
else
	not_ok "flood: a veth pair of our own ($A, $B)"
fi
check "nothing attached after the flood" clean_in $A

# ---- --report: the seed fault's page, in a real browser ----
# render PAGE OUT: headless Chromium loads PAGE (a file) in a namespace of
# its own with only loopback, so nothing could leave this machine anyway;
# OUT.dom is the DOM after load, OUT.err its log (console messages are
# "CONSOLE" lines), OUT.net its net log. Chromium's own background
# requests name no initiator; the page's name it ("null": a file).
BROWSER_NS=fv-e$$-browser
render() {
	timeout 120 ip netns exec $BROWSER_NS chromium --headless --no-sandbox \
		--disable-gpu --no-first-run --disable-background-networking \
		--disable-component-update --disable-sync --enable-logging=stderr \
		--v=0 --log-net-log="$2.net" --dump-dom "file://$1" >"$2.dom" 2>"$2.err"
}
# page_requests OUT: the URLs the page itself asked for, but file: ones.
page_requests() {
	python3 - "$1.net" <<'PY'
import json, sys
seen = set()
for e in json.load(open(sys.argv[1])).get("events", []):
    p = e.get("params") or {}
    if "url" in p and p.get("initiator") not in (None, "not an origin") \
            and not p["url"].startswith("file:"):
        seen.add(p["url"])
print("\n".join(sorted(seen)))
PY
}
if ! command -v chromium >/dev/null; then
	skip "--report in a browser: no chromium (scripts/deps.sh installs it)"
elif ! { ip netns add $BROWSER_NS && made+=($BROWSER_NS) && ip -n $BROWSER_NS link set lo up; }; then
	not_ok "--report: a namespace for the browser ($BROWSER_NS)"
elif lab_fault_set no-public-in-ephemeral; then
	# The control: a page that does ask outside is caught.
	printf '<html><body><img src="http://192.0.2.1/x.png"></body></html>' >"$TMP/control.html"
	render "$TMP/control.html" "$TMP/control"
	check "--report: the outside-request check catches a page that asks (control)" \
		eval 'page_requests "$TMP/control" | grep -q "^http://192.0.2.1/x.png$"'
	page=$TMP/seed.html out=$TMP/seed
	capture "$out" $FV verify --nat $NAT --client $CLIENT --duration 3 --report "$page" \
		--acls tests/fixtures/acl/aws-seed-fault.json --public acl-0a11ce0000000pub \
		--private subnet-0prv000000000001
	check_run "--report on the seed fault: verify exits 1, the page written" 1 "$out" test -s "$page"
	check "--report: the page names no outside URL (no src, href or http)" \
		eval '! grep -Eiq "https?:|src=|href=|@import|//[a-z0-9]" "$page"'
	render "$page" "$out"
	check "--report: Chromium renders it: the legs and the ladder as SVG" \
		eval 'grep -q "<svg id=\"legs\"" "$out.dom" && grep -q "<svg id=\"ladder\"" "$out.dom"'
	check "--report: the segment word (beyond_nat) in the title, the X's label and the ladder" \
		eval 'grep -q "<span id=\"segment\">beyond_nat</span>" "$out.dom" &&
			grep -q "class=\"stopword\">beyond_nat<" "$out.dom" && grep -q "lost at beyond_nat" "$out.dom"'
	check "--report: the NAT's outside address and port, the blocking entry, the command" \
		eval 'grep -q "outside 10.0.0.5:1123" "$out.dom" && grep -q "id=\"blocking\">leg 3: " "$out.dom" &&
			grep -q "flowverify verify --nat $NAT" "$out.dom"'
	check "--report: no console message" eval '! grep -q CONSOLE "$out.err"' ||
		diag_file "$out.err" "chromium: "
	check "--report: no request from the page" eval '[ -z "$(page_requests "$out")" ]' ||
		diag "requests: $(page_requests "$out" | paste -sd' ')"
	# The agent's /report: the same page over HTTP.
	port=$(free_base 1 27300)
	bg_start "$TMP/agent" $FV agent --nat $NAT --instance $AGENT --listen 127.0.0.1:$port \
		--ready-file "$TMP/agent.ready"
	agent_pid=$BG_PID
	if bg_ready "$TMP/agent" "$TMP/agent.ready" "agent /report"; then
		sleep 3
		capture "$TMP/areport" curl -sS -o "$TMP/agent.html" -w '%{http_code} %{content_type}' \
			"http://127.0.0.1:$port/report?window=3"
		check_run "agent /report: 200, text/html" 0 "$TMP/areport" \
			grep -q '^200 text/html' "$TMP/areport"
		render "$TMP/agent.html" "$TMP/arender"
		check "agent /report: Chromium renders it, the fault at beyond_nat, no console message, no request" \
			eval 'grep -q "<span id=\"segment\">beyond_nat</span>" "$TMP/arender.dom" &&
				grep -q "<svg id=\"legs\"" "$TMP/arender.dom" && ! grep -q CONSOLE "$TMP/arender.err" &&
				[ -z "$(page_requests "$TMP/arender")" ]'
		kill -TERM "$agent_pid"
		bg_finish "$TMP/agent" 30
		agent_pid=
		$FV cleanup --instance $AGENT >/dev/null 2>&1
	fi
fi

done_testing
