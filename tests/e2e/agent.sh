#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# flowverify agent over the lab, with the real kernel: /metrics accepted by
# promtool, /api/v1/status = the verify JSON, capabilities dropped, bad and
# oversize requests and many connections survived, counters kept across a
# restart, someone else's pins refused, cleanup; then two agents (NAT and
# client) joined by 'verify --agent' into the lab's verdict.
set -u
cd "$(dirname "$0")/../.."
. tests/e2e/lib.sh

NAT=$NS_NAT:eth0 CLIENT=$NS_CLIENT:eth0
BASE=$((20000 + $$ % 20000))
P1=$BASE P2=$((BASE + 1)) P3=$((BASE + 2)) PBAD=$((BASE + 3))
I1=e2e-agent-$$ I2=e2e-nat-$$ I3=e2e-client-$$ IF=e2e-foreign-$$
PINS=/sys/fs/bpf/flowverify
TNS=fv-e2e-tls-$$
we_made_lab=0
pids=()

cleanup() {
	local p
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null; done
	for i in $I1 $I2 $I3 e2e-tls-$$; do $FV cleanup --instance $i >/dev/null 2>&1; done
	ip netns del $TNS 2>/dev/null
	rm -f $PINS/$IF/notours 2>/dev/null
	rmdir $PINS/$IF $PINS 2>/dev/null
	[ $we_made_lab -eq 1 ] && lab down >/dev/null 2>&1
	rm -rf "$TMP"
}
trap cleanup EXIT

# start_agent NAME ARGS...: runs an agent in the background, waits until it
# serves; its pid in $agent_pid.
start_agent() {
	local name=$1; shift
	rm -f "$TMP/$name.ready"
	$FV agent "$@" --ready-file "$TMP/$name.ready" >"$TMP/$name.out" 2>&1 &
	agent_pid=$!
	pids+=("$agent_pid")
	for _ in $(seq 150); do
		[ -s "$TMP/$name.ready" ] && return 0
		kill -0 $agent_pid 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}
stop_agent() {
	kill -TERM "$1" && wait "$1"
}
get() { curl -s -m 5 "$@"; }
metric() { awk -v k="$1" '$1 == k { print $2 }' "$2"; }
one_line_exit2() {
	local out=$1; shift
	"$@" >"$out" 2>&1
	[ $? -eq 2 ] && [ "$(wc -l <"$out")" -eq 1 ]
}

# 1. Bad input, before anything is attached.
check "--listen on a non-loopback address without --allow-remote: exit 2, one line" \
	one_line_exit2 "$TMP/bad1" $FV agent --nat $NAT --listen 0.0.0.0:$P1
check "bad --instance: exit 2, one line" \
	one_line_exit2 "$TMP/bad2" $FV agent --nat $NAT --instance ../x
check "--tls-cert without --tls-key: exit 2, one line" \
	one_line_exit2 "$TMP/bad3" $FV agent --nat $NAT --tls-cert /etc/hostname

# 2. TLS and basic auth, on a namespace of our own (no lab needed).
if ip netns add $TNS && ip -n $TNS link set lo up &&
   openssl req -x509 -newkey rsa:2048 -nodes -keyout "$TMP/key.pem" -out "$TMP/cert.pem" \
	-days 1 -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 >/dev/null 2>&1; then
	chmod 600 "$TMP/key.pem"
	printf 'prom:s3cret\n' >"$TMP/auth"
	chmod 644 "$TMP/auth"
	check "a basic auth file readable by others is refused: exit 2, one line" \
		one_line_exit2 "$TMP/auth644" $FV agent --nat $TNS:lo --instance e2e-tls-$$ \
		--basic-auth-file "$TMP/auth"
	chmod 600 "$TMP/auth"
	if start_agent tls --nat $TNS:lo --listen 127.0.0.1:$PBAD --instance e2e-tls-$$ \
		--tls-cert "$TMP/cert.pem" --tls-key "$TMP/key.pem" --basic-auth-file "$TMP/auth"; then
		AT=$agent_pid
		tls() { curl -s -m 5 -o /dev/null -w '%{http_code}' --cacert "$TMP/cert.pem" "$@"; }
		check "TLS + basic auth: no credentials 401, wrong 401, right 200, plain HTTP refused" \
			bash -c "[ \"$(tls https://127.0.0.1:$PBAD/metrics)\" = 401 ] &&
				 [ \"$(tls -u prom:bad https://127.0.0.1:$PBAD/metrics)\" = 401 ] &&
				 [ \"$(tls -u prom:s3cret https://127.0.0.1:$PBAD/metrics)\" = 200 ] &&
				 [ \"$(curl -s -m 5 -o /dev/null -w '%{http_code}' http://127.0.0.1:$PBAD/metrics)\" != 200 ]"
		$FV verify --agent https://prom:s3cret@127.0.0.1:$PBAD --cacert "$TMP/cert.pem" \
			--duration 1 >"$TMP/tlsv" 2>&1
		check "verify --agent over TLS with auth: an answer (no traffic here), no password shown" \
			bash -c "grep -q '^agent https://127.0.0.1:$PBAD (nat): no_traffic' '$TMP/tlsv' && ! grep -q s3cret '$TMP/tlsv'"
		stop_agent $AT
	else
		not_ok "agent with TLS and basic auth starts"
		sed 's/^/# /' "$TMP/tls.out"
	fi
	$FV cleanup --instance e2e-tls-$$ >/dev/null 2>&1
	ip netns del $TNS
else
	skip "cannot make a namespace or a certificate for the TLS test"
	ip netns del $TNS 2>/dev/null
fi

lab_up

# 3. Someone else's pins: refused, and left alone by the agent and cleanup.
mkdir -p $PINS/$IF
bpftool map create $PINS/$IF/notours type array key 4 value 4 entries 1 name notours 2>/dev/null
check "someone else's pins: the agent refuses them (exit 2) and starts nothing" \
	one_line_exit2 "$TMP/foreign" $FV agent --nat $NAT --instance $IF --listen 127.0.0.1:$P1
check "someone else's pins: cleanup refuses them (exit 2), the pin stays" \
	bash -c "! $FV cleanup --instance $IF >/dev/null 2>&1 && [ -e $PINS/$IF/notours ]"
rm -f $PINS/$IF/notours
rmdir $PINS/$IF

# 4. The agent on the NAT and the client.
if ! start_agent a1 --nat $NAT --client $CLIENT --listen 127.0.0.1:$P1 --instance $I1 --window 5; then
	not_ok "agent starts and serves"
	sed 's/^/# /' "$TMP/a1.out"
	done_testing
	exit 1
fi
ok "agent starts and serves on 127.0.0.1:$P1"
A1=$agent_pid
sleep 3
get -o "$TMP/m1" -w '%{http_code} %{content_type}\n' http://127.0.0.1:$P1/metrics >"$TMP/m1.code"
check "/metrics: 200, text exposition 0.0.4" grep -q '^200 text/plain; version=0.0.4' "$TMP/m1.code"
promtool check metrics <"$TMP/m1" >"$TMP/promtool" 2>&1
rc=$?
check "/metrics: promtool check metrics accepts it without a warning" \
	test $rc -eq 0 -a ! -s "$TMP/promtool"
[ -s "$TMP/promtool" ] && sed 's/^/# /' "$TMP/promtool" | head
check "/metrics: flowverify_leg_packets_total by role and leg, growing on all four NAT legs" \
	bash -c "for l in 1 2 3 4; do v=\$(awk '\$1 == \"flowverify_leg_packets_total{role=\\\"nat\\\",leg=\\\"'\$l'\\\"}\" {print \$2}' '$TMP/m1'); [ \"\${v:-0}\" -gt 0 ] || exit 1; done; grep -q '^flowverify_leg_packets_total{role=\"client\",leg=\"4\"} [1-9]' '$TMP/m1'"
check "/metrics: answered exchanges, a latency histogram, verdict ok" \
	bash -c "grep -q '^flowverify_exchanges_total{outcome=\"answered\"} [1-9]' '$TMP/m1' &&
		 grep -q '^flowverify_reply_latency_seconds_count [1-9]' '$TMP/m1' &&
		 grep -q '^flowverify_verdict_status{status=\"ok\"} 1' '$TMP/m1'"

get -o "$TMP/status.json" http://127.0.0.1:$P1/api/v1/status
$FV verify --nat $NAT --client $CLIENT --duration 1 --json >"$TMP/verify.json" 2>/dev/null
check "/api/v1/status: the verify --json object (every key of it), status ok" \
	bash -c "jq -e --slurpfile v '$TMP/verify.json' '.status == \"ok\" and ((\$v[0] | keys) - keys == []) and .agent.api == 1' '$TMP/status.json' >/dev/null"
get -o "$TMP/status2.json" "http://127.0.0.1:$P1/api/v1/status?window=2&exchanges=5"
check "/api/v1/status?window=2&exchanges=5: the last 2 s, 5 exchanges by cookie" \
	jq_ok "$TMP/status2.json" '(.duration_seconds | . > 1.9 and . < 2.1) and (.exchanges_detail | length == 5) and (.exchanges_detail[0].cookie | length == 16)'
check "/api/v1/status?window=bad: 400" \
	test "$(get -o /dev/null -w '%{http_code}' "http://127.0.0.1:$P1/api/v1/status?window=-1")" = 400
check "/healthz: 200" test "$(get -o /dev/null -w '%{http_code}' http://127.0.0.1:$P1/healthz)" = 200

# 4. Least privilege: no capability left in any thread, no way back.
caps_ok=1
for t in /proc/$A1/task/*; do
	for f in CapEff CapPrm CapInh CapBnd CapAmb; do
		v=$(awk -v f="$f:" '$1 == f { print $2 }' "$t/status")
		[ "$v" = 0000000000000000 ] || { caps_ok=0; diag "$t $f $v"; }
	done
done
check "capabilities dropped in every thread (CapEff, CapPrm, CapBnd... all 0)" test $caps_ok -eq 1
check "no_new_privs set" grep -q '^NoNewPrivs:[[:space:]]*1' /proc/$A1/status

# 5. Bad, oversize and many requests leave it serving.
check "POST: 405" test "$(get -o /dev/null -w '%{http_code}' -X POST -d x=1 http://127.0.0.1:$P1/metrics)" = 405
check "unknown path: 404" test "$(get -o /dev/null -w '%{http_code}' http://127.0.0.1:$P1/nope)" = 404
printf 'GARBAGE\r\n\r\n' | timeout 5 bash -c "cat >/dev/tcp/127.0.0.1/$P1" 2>/dev/null
code=$(get -o /dev/null -w '%{http_code}' -H "X-Big: $(head -c 100000 /dev/zero | tr '\0' a)" http://127.0.0.1:$P1/metrics)
check "a 100 kB header is refused ($code), not served" test "$code" != 200
code=$(get -o /dev/null -w '%{http_code}' "http://127.0.0.1:$P1/metrics?$(head -c 60000 /dev/zero | tr '\0' a)")
check "a 60 kB URL is refused ($code)" test "$code" != 200
python3 - $P1 <<'PY' 2>/dev/null
import socket, sys, time
held = []
for i in range(300):
    try:
        s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=2)
        if i % 2:
            s.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\n")   # never finished
        held.append(s)
    except OSError:
        pass
time.sleep(1)
for s in held:
    s.close()
PY
seq 200 | xargs -P 50 -I{} curl -s -m 10 -o /dev/null -w '%{http_code}\n' http://127.0.0.1:$P1/metrics >"$TMP/many"
check "200 concurrent scrapes: most served ($(grep -c '^200' "$TMP/many")/200)" \
	test "$(grep -c '^200' "$TMP/many")" -ge 150
check "after all that the agent still serves /healthz and /metrics" \
	bash -c "kill -0 $A1 && [ \"\$(curl -s -m 5 -o /dev/null -w '%{http_code}' http://127.0.0.1:$P1/healthz)\" = 200 ] &&
		 curl -s -m 5 http://127.0.0.1:$P1/metrics | grep -q '^flowverify_build_info'"

# 5b. The agent's real routes fuzzed live: seeded mutations of good
# requests (methods, paths, query values: huge, negative, NaN, repeated,
# percent-encoded, control bytes). Every reply is well-formed HTTP, 200
# only for GET or HEAD of a known route, a 200 status body is JSON, and
# the agent keeps serving. FV_HTTP_SEED replays a run.
http_seed=${FV_HTTP_SEED:-$((RANDOM * 32768 + RANDOM))}
diag "FV_HTTP_SEED=$http_seed"
python3 - $P1 $http_seed 1500 >"$TMP/httpfuzz" 2>&1 <<'PY'
import json, random, socket, sys, urllib.parse
port, seed, n = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
rng = random.Random(seed)
paths = ["/metrics", "/api/v1/status", "/healthz", "/", "/api/v1/", "/api/v1/status/x",
         "//metrics", "/metrics/", "/METRICS", "/api/v1/../metrics", "/%6detrics"]
known = {"/metrics", "/api/v1/status", "/healthz", "/"}    # "/" lists the routes
values = ["1", "2", "0", "-1", "0.5", "1e309", "nan", "inf", "-inf", "", "60", "604801",
          "99999999999999999999", "%00", "%ff", "1%20", "abc", "65536", "65535", "3x",
          "0x10", " 5", "5 ", "1,2", "\u0001", "+3"]
keys = ["window", "exchanges", "window", "exchanges", "x", "", "window[]"]
methods = ["GET"] * 6 + ["HEAD", "POST", "PUT", "DELETE", "OPTIONS", "GARBAGE", "get"]
bad = []
for i in range(n):
    m = rng.choice(methods)
    p = rng.choice(paths)
    q = "&".join("%s=%s" % (rng.choice(keys), rng.choice(values))
                 for _ in range(rng.randint(0, 4)))
    target = p + ("?" + q if q else "")
    if rng.random() < 0.1:
        b = bytearray(target.encode())
        for _ in range(rng.randint(1, 3)):
            b[rng.randrange(len(b))] = rng.randrange(33, 127)
        target = b.decode("latin-1")
    ver = rng.choice(["HTTP/1.1"] * 8 + ["HTTP/1.0", "HTTP/2.0", "HTTP/9", ""])
    req = "%s %s %s\r\nHost: x\r\nConnection: close\r\n\r\n" % (m, target, ver)
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    try:
        s.sendall(req.encode("latin-1"))
        data = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    except socket.timeout:
        bad.append("no answer in 5 s: %r" % req)
        continue
    except ConnectionResetError:
        continue
    finally:
        s.close()
    if not data:
        continue        # the server may hang up on what it cannot parse
    head, _, body = data.partition(b"\r\n\r\n")
    line = head.split(b"\r\n")[0].split()
    if len(line) < 2 or not line[0].startswith(b"HTTP/1.") or not line[1].isdigit():
        bad.append("malformed reply %r to %r" % (head[:80], req))
        continue
    code = int(line[1])
    # Percent-encoding of unreserved characters means the same path.
    path = urllib.parse.unquote(target.split("?")[0])
    if code == 200 and (m not in ("GET", "HEAD") or path not in known or ver not in ("HTTP/1.1", "HTTP/1.0")):
        bad.append("200 for %r" % req)
    if code == 200 and m == "GET" and path == "/api/v1/status":
        try:
            json.loads(body)
        except ValueError:
            bad.append("status 200 but not JSON for %r" % req)
    # 505 is the right answer to HTTP/2.0 or HTTP/9 in plain text.
    if code >= 500 and not (code == 505 and ver not in ("HTTP/1.1", "HTTP/1.0")):
        bad.append("%d for %r" % (code, req))
print("%d requests, %d bad" % (n, len(bad)))
for b in bad[:10]:
    print(b)
PY
check "live HTTP fuzz of the agent's routes (1500 requests): every reply well-formed and right" \
	grep -q '^1500 requests, 0 bad$' "$TMP/httpfuzz"
[ -s "$TMP/httpfuzz" ] && diag "$(head -5 "$TMP/httpfuzz")"
check "after the fuzz the agent still serves /metrics" \
	bash -c "kill -0 $A1 && curl -s -m 5 http://127.0.0.1:$P1/metrics | grep -q '^flowverify_build_info'"

# 6. A second agent on the same pins is refused while the first runs.
check "a second agent on the same instance is refused (exit 2)" \
	one_line_exit2 "$TMP/second" $FV agent --nat $NAT --client $CLIENT --listen 127.0.0.1:$P2 --instance $I1

# 7. Restart: no counter goes down.
get -o "$TMP/before" http://127.0.0.1:$P1/metrics
check "SIGTERM: the agent exits 0" stop_agent $A1
stopped_pins_stay() {
	! kill -0 $A1 2>/dev/null && lab_clean && [ -e $PINS/$I1/agent ] && [ -e $PINS/$I1/p0_flows ]
}
check "stopped: nothing attached, the pins stay" stopped_pins_stay
sleep 1
start_agent a1b --nat $NAT --client $CLIENT --listen 127.0.0.1:$P1 --instance $I1 --window 5
A1=$agent_pid
get -o "$TMP/after" http://127.0.0.1:$P1/metrics
down=0 n=0
while read -r k v; do
	n=$((n + 1))
	a=$(metric "$k" "$TMP/after")
	[ "${a:-0}" -ge "$v" ] || { down=1; diag "$k went from $v to ${a:-none}"; }
done < <(grep -E '^flowverify_(leg_packets_total|exchanges_total|exchanges_lost_total|events_received_total)' "$TMP/before")
check "restarted with the same arguments: none of $n counters went down" test $down -eq 0 -a $n -ge 10
check "restarted: flowverify_agent_starts_total is 2" grep -q '^flowverify_agent_starts_total 2$' "$TMP/after"
stop_agent $A1
check "another set of points on the same pins is refused (exit 2)" \
	one_line_exit2 "$TMP/spec" $FV agent --nat $NAT --listen 127.0.0.1:$P1 --instance $I1
$FV cleanup --instance $I1 >"$TMP/cleanup" 2>&1
check "cleanup removes the agent's pins" bash -c "[ ! -e $PINS/$I1 ] && grep -q 'removed $PINS/$I1/p1_flows' '$TMP/cleanup'"

# 8. Across hosts: one agent on the NAT, one on the client.
start_agent nat --nat $NAT --listen 127.0.0.1:$P2 --instance $I2 --window 5 || not_ok "NAT agent starts"
AN=$agent_pid
start_agent client --client $CLIENT --listen 127.0.0.1:$P3 --instance $I3 --window 5 || not_ok "client agent starts"
AC=$agent_pid
sleep 3
$FV verify --agent http://127.0.0.1:$P2 --agent http://127.0.0.1:$P3 --duration 2 --json >"$TMP/x.json" 2>"$TMP/x.err"
rc=$?
check "two agents, healthy lab: joined verdict ok, exchanges joined by cookie (exit $rc)" \
	bash -c "[ $rc -eq 0 ] && jq -e '.status == \"ok\" and .basis == \"exchanges\" and .exchanges.answered > 0 and .exchanges.unanswered == 0 and (.agents | length == 2)' '$TMP/x.json' >/dev/null"
lab fault no-private-in-client >/dev/null 2>&1
sleep 4
$FV verify --agent http://127.0.0.1:$P2 --agent http://127.0.0.1:$P3 --duration 2 --json >"$TMP/y.json" 2>/dev/null
rc=$?
check "two agents, replies lost before the client: the lab's verdict nat_to_client (exit $rc)" \
	bash -c "[ $rc -eq 1 ] && jq -e '.status == \"fault\" and .segment == \"nat_to_client\" and .exchanges.lost_by_segment.nat_to_client > 0' '$TMP/y.json' >/dev/null"
$FV verify --agent http://127.0.0.1:$P2 --duration 2 --json >"$TMP/z.json" 2>/dev/null
check "the NAT's agent alone cannot see it (its view: ok)" jq_ok "$TMP/z.json" '.status == "ok"'
$FV verify --agent http://127.0.0.1:$P2 --agent http://127.0.0.1:$P3 --duration 2 >"$TMP/y.txt" 2>/dev/null
check "text: names both agents and the segment" \
	bash -c "grep -q '^agent http://127.0.0.1:$P3 (client)' '$TMP/y.txt' && grep -q '^FAULT nat_to_client' '$TMP/y.txt'"
lab fault none >/dev/null 2>&1

# 9. Agents that cannot be asked: one line each, exit 2.
check "an agent that does not answer: exit 2, one line" \
	one_line_exit2 "$TMP/e1" $FV verify --agent http://127.0.0.1:$PBAD --agent http://127.0.0.1:$P3
cat >"$TMP/fake.py" <<'PY'
import http.server, sys
body = sys.argv[2].encode()
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *a): pass
http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
PY
# serve BODY: a fake agent on $PBAD answering BODY, until unserve.
serve() {
	python3 "$TMP/fake.py" "$PBAD" "$1" &
	fake=$!
	pids+=("$fake")
	for _ in $(seq 50); do
		curl -s -m 1 -o /dev/null http://127.0.0.1:$PBAD/ && return
		sleep 0.1
	done
}
unserve() { kill $fake; wait $fake 2>/dev/null; }
serve 'this is not json'
check "an agent that answers garbage: exit 2, one line" \
	one_line_exit2 "$TMP/e2" $FV verify --agent http://127.0.0.1:$PBAD --agent http://127.0.0.1:$P3
unserve
check "  ... saying so" grep -q 'not a status object' "$TMP/e2"
serve '{"agent": {"api": 99, "version": "9.9"}, "points": [], "exchanges_detail": []}'
check "an agent of another API version: exit 2, one line naming both" \
	one_line_exit2 "$TMP/e3" $FV verify --agent http://127.0.0.1:$PBAD --agent http://127.0.0.1:$P3
unserve
check "  ... saying so" grep -q 'API 99' "$TMP/e3"

stop_agent $AN
stop_agent $AC
pids=()
$FV cleanup --instance $I2 >/dev/null 2>&1
$FV cleanup --instance $I3 >/dev/null 2>&1
all_gone() {
	! kill -0 $AN 2>/dev/null && ! kill -0 $AC 2>/dev/null && lab_clean &&
		[ ! -e $PINS/$I2 ] && [ ! -e $PINS/$I3 ]
}
check "nothing left attached, no pins of ours left" all_gone
diag "flowverify programs attached anywhere on this machine: $(our_progs)"
check "lab down" quiet lab down
we_made_lab=0
done_testing
