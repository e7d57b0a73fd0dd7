#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# The agent under clients that would starve it (issue 17), in the lab:
# 40000 exchanges in its table, then 64 clients that ask for
# /api/v1/status?exchanges=65536 and never read. /healthz and /metrics
# from another address still answer within 100 ms, the agent's RSS stays
# under 64 MB, one address holds at most 56 of the 64 connections, and the
# exchanges come in pages that add up.
set -u
cd "$(dirname "$0")/../.."
. tests/e2e/lib.sh

PORT=$(free_base 1 $((20000 + $$ % 20000)))
INST=fv-load-$$
we_made_lab=0
pids=()
cleanup() {
	local p
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null; done
	$FV cleanup --instance $INST >/dev/null 2>&1
	[ $we_made_lab -eq 1 ] && lab down >/dev/null 2>&1
	rm -rf "$TMP"
}
trap cleanup EXIT
snapshot FV || { done_testing; exit 1; }
# Under an ASan build (make check-asan), memory the agent frees waits in
# ASan's quarantine (256 MB by default) and counts in its RSS: here it has
# none, so the RSS checked is what the agent holds.
if nm "$FV" 2>/dev/null | grep -q __asan_init; then
	export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=0
fi
lab_up

$FV agent --nat $NS_NAT:eth0 --client $NS_CLIENT:eth0 --listen 127.0.0.1:$PORT \
	--instance $INST --ready-file "$TMP/ready" >"$TMP/agent.out" 2>&1 &
A=$!
pids+=($A)
serves() { kill -0 $A 2>/dev/null && [ -s "$TMP/ready" ] &&
	[ "$(curl -s -m 5 -o /dev/null -w '%{http_code}' http://127.0.0.1:$PORT/healthz)" = 200 ]; }
if ! wait_until 60 serves; then
	not_ok "agent starts and serves"
	diag_file "$TMP/agent.out" "agent: "
	done_testing
	exit 1
fi
ok "agent starts and serves on 127.0.0.1:$PORT"

# 40000 requests from the lab's client to its server, 4000 a second, each
# its own exchange (cookie).
ip netns exec $NS_CLIENT python3 - <<'PY'
import os, socket, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
t0 = time.monotonic()
for i in range(40000):
    s.sendto(bytes([0x23]) + bytes(39) + os.urandom(8), ("198.51.100.123", 123))
    ahead = (i + 1) / 4000 - (time.monotonic() - t0)
    if ahead > 0:
        time.sleep(ahead)
PY
many() {
	curl -s -m 10 -o "$TMP/page1" "http://127.0.0.1:$PORT/api/v1/status?exchanges=65536" &&
		jq_ok "$TMP/page1" '.exchanges_detail | length == 500'
}
check "40000 exchanges in: ?exchanges=65536 answers one page of 500 and where the next starts" \
	eval 'wait_until 30 many && jq_ok "$TMP/page1" ".exchanges_next | test(\"^[0-9]+$\")"' ||
	diag "$(head -c 300 "$TMP/page1")"
# Pages add up: the next page starts past the first, no cookie twice.
diag "one page of 500 of 40000 exchanges: $(curl -s -m 10 -o /dev/null -w "%{time_total}" "http://127.0.0.1:$PORT/api/v1/status?exchanges=500&window=3600") s"
next=$(jq -r .exchanges_next "$TMP/page1")
curl -s -m 10 -o "$TMP/page2" "http://127.0.0.1:$PORT/api/v1/status?exchanges=65536&before=$next"
check "the next page: 500 more, none of the first page's" \
	eval "jq -e -n --slurpfile a '$TMP/page1' --slurpfile b '$TMP/page2' \
		'(\$b[0].exchanges_detail | length) == 500 and
		 ((\$a[0].exchanges_detail | map(.cookie)) - (\$b[0].exchanges_detail | map(.cookie)) | length) == 500' >/dev/null"
# verify --agent follows the pages: every one of the 40000 is joined.
capture "$TMP/join" $FV verify --agent http://127.0.0.1:$PORT --duration 300
joined=$(sed -n 's/^exchanges joined by cookie: \([0-9]*\) answered, \([0-9]*\) unanswered, \([0-9]*\) in flight$/\1 \2 \3/p' "$TMP/join" |
	awk '{ print $1 + $2 + $3 }')
check "verify --agent joins every page: at least 40000 exchanges (${joined:-none})" test "${joined:-0}" -ge 40000 ||
	diag_file "$TMP/join.err" "verify: "
check "?before=bad: 400" \
	test "$(curl -s -m 10 -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/api/v1/status?exchanges=5&before=x")" = 400

# 64 clients from 127.0.0.1 ask for everything (half of them for the HTML
# /report) and never read; meanwhile
# /healthz and /metrics from 127.0.0.2, 40 times each, timed.
python3 - $PORT "$TMP/slow" <<'PY' &
import socket, sys, time
held = []
for i in range(64):
    try:
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        s.settimeout(2)
        s.connect(("127.0.0.1", int(sys.argv[1])))
        path = b"/api/v1/status?exchanges=65536" if i % 2 else b"/report"
        s.sendall(b"GET " + path + b" HTTP/1.1\r\nHost: x\r\n\r\n")
        held.append(s)
    except OSError:
        pass
open(sys.argv[2], "w").write("%d\n" % len(held))
time.sleep(30)
PY
slow=$!
pids+=($slow)
wait_until 10 test -s "$TMP/slow"
sleep 1
: >"$TMP/times"
for i in $(seq 40); do
	for path in healthz metrics; do
		curl -s -m 5 --interface 127.0.0.2 -o /dev/null -w "$path %{http_code} %{time_total}\n" \
			http://127.0.0.1:$PORT/$path >>"$TMP/times"
	done
	sleep 0.1
done
rss=$(awk '/^VmRSS:/ { print $2 }' /proc/$A/status)
hwm=$(awk '/^VmHWM:/ { print $2 }' /proc/$A/status)
worst=$(awk '{ if ($3 > w) w = $3 } END { printf "%.3f", w }' "$TMP/times")
codes=$(awk '{ print $2 }' "$TMP/times" | sort | uniq -c | paste -sd' ')
diag "slow clients connected: $(cat "$TMP/slow"); RSS ${rss} kB (peak ${hwm} kB)"
check "under 64 slow clients: 80 answers of /healthz and /metrics all 200 ($codes)" \
	test "$(grep -c ' 200 ' "$TMP/times")" = 80
check "under 64 slow clients: each within 100 ms (slowest ${worst} s)" \
	awk '$3 >= 0.1 { bad = 1 } END { exit bad }' "$TMP/times"
check "under 64 slow clients: RSS under 64 MB (${rss} kB, peak ${hwm} kB)" test "$hwm" -lt 65536
kill $slow 2>/dev/null
wait $slow 2>/dev/null
# 64 connections from 127.0.0.1 that say nothing: the agent keeps at most
# 56 of them, and another address is still served.
python3 - $PORT "$TMP/idle" <<'PY' &
import socket, sys, time
held = []
for i in range(64):
    try:
        held.append(socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=2))
    except OSError:
        pass
open(sys.argv[2], "w").write("%d\n" % len(held))
time.sleep(8)
PY
idle=$!
pids+=($idle)
wait_until 10 test -s "$TMP/idle"
sleep 1
conns=$(ss -Htn state established "( sport = :$PORT )" | awk '$4 ~ /^127\.0\.0\.1:/' | wc -l)
code=$(curl -s -m 5 --interface 127.0.0.2 -o /dev/null -w '%{http_code}' http://127.0.0.1:$PORT/healthz)
check "64 idle connections from one address: the agent holds 56 ($conns), another address is served ($code)" \
	test "$conns" = 56 -a "$code" = 200
kill $idle 2>/dev/null
wait $idle 2>/dev/null
metrics_ok() { [ "$(curl -s -m 10 -o /dev/null -w '%{http_code}' http://127.0.0.1:$PORT/metrics)" = 200 ]; }
check "once those clients are gone (10 s): /metrics serves from their address again" wait_until 10 metrics_ok
kill -TERM $A && wait $A
check "agent stops: exit 0" test $? = 0
check "nothing of ours left in the lab" lab_clean
done_testing
