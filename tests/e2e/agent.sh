#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# flowverify agent over the lab, with the real kernel: /metrics accepted by
# promtool, /api/v1/status = the verify JSON, capabilities dropped, bad and
# oversize requests and many connections survived, counters kept across a
# restart, someone else's pins refused, cleanup; then two agents (NAT and
# client) joined by 'verify --agent' into the lab's verdict.
#
# Every exit status a check names is checked exactly, and what the command
# said is shown when it fails. Waits poll a condition with a deadline; a
# section whose precondition (an agent up and serving, a lab fault, a free
# port) is missing says so in a not_ok instead of testing the wrong state.
set -u
cd "$(dirname "$0")/../.."
. tests/e2e/lib.sh

NAT=$NS_NAT:eth0 CLIENT=$NS_CLIENT:eth0
BASE=$(free_base 4 $((20000 + $$ % 20000)))
P1=$BASE P2=$((BASE + 1)) P3=$((BASE + 2)) PBAD=$((BASE + 3))
I1=e2e-agent-$$ I2=e2e-nat-$$ I3=e2e-client-$$ I4=e2e-clsact-$$ IF=e2e-foreign-$$
PINS=/sys/fs/bpf/flowverify
TNS=fv-e2e-tls-$$
we_made_lab=0
pids=()

cleanup() {
	local p
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null; done
	for i in $I1 $I2 $I3 $I4 e2e-tls-$$; do $FV cleanup --instance $i >/dev/null 2>&1; done
	ip netns del $TNS 2>/dev/null
	rm -f $PINS/$IF/notours 2>/dev/null
	rmdir $PINS/$IF $PINS 2>/dev/null
	[ $we_made_lab -eq 1 ] && lab down >/dev/null 2>&1
	rm -rf "$TMP"
}
trap cleanup EXIT
# What it runs, copied (snapshot, lib.sh): others rebuild meanwhile.
snapshot FV FV_ATTACHED || { done_testing; exit 1; }

# start_agent NAME ARGS...: runs an agent in the background (output in
# $TMP/NAME.out), waits (60 s) until it is ready and, over plain HTTP (not
# with --tls-cert), answers /healthz with 200 on the --listen port in
# ARGS; its pid in $agent_pid.
start_agent() {
	local name=$1 a port=
	shift
	for a in "$@"; do
		[ "$port" = next ] && port=${a##*:}
		[ "$a" = --listen ] && port=next
	done
	[[ " $* " == *" --tls-cert "* ]] && port=
	rm -f "$TMP/$name.ready"
	$FV agent "$@" --ready-file "$TMP/$name.ready" >"$TMP/$name.out" 2>&1 &
	agent_pid=$!
	pids+=("$agent_pid")
	wait_until 60 agent_serves "$agent_pid" "$TMP/$name.ready" "$port"
}
# agent_serves PID READY PORT: PID runs, wrote READY and answers /healthz.
agent_serves() {
	kill -0 "$1" 2>/dev/null || return 1
	[ -s "$2" ] || return 1
	[ -z "$3" ] || [ "$(get -o /dev/null -w '%{http_code}' "http://127.0.0.1:$3/healthz")" = 200 ]
}
# agent_failed NAME WHAT: the not_ok for an agent that did not come up.
agent_failed() {
	not_ok "$2"
	diag_file "$TMP/$1.out" "$1: "
}
# stop_agent PID: SIGTERM, and its exit status.
stop_agent() {
	kill -TERM "$1" || return
	wait "$1"
}
# check_stop NAME PID OUTNAME: stops the agent, a check that it exited 0.
check_stop() {
	local rc
	stop_agent "$2"
	rc=$?
	if [ $rc -eq 0 ]; then
		ok "$1"
	else
		not_ok "$1"
		diag "exit status $rc, want 0"
		diag_file "$TMP/$3.out" "$3: "
	fi
}
get() { curl -s -m 10 "$@"; }
code_of() { get -o /dev/null -w '%{http_code}' "$@"; }
metric() { awk -v k="$1" '$1 == k { print $2 }' "$2"; }
# one_line_exit2 OUT COMMAND...: COMMAND (stdout and stderr in OUT) exits
# 2 with one line (at most 60 s: a command that wrongly starts serving is
# stopped, and fails). said OUT shows what it did.
one_line_exit2() {
	local out=$1
	shift
	timeout 60 "$@" >"$out" 2>&1
	echo $? >"$out.rc"
	[ "$(cat "$out.rc")" = 2 ] && [ "$(wc -l <"$out")" -eq 1 ]
}
said() {
	diag "exit status $(cat "$1.rc" 2>/dev/null), want 2; $(wc -l <"$1") lines, want 1:"
	diag_file "$1"
}
# not_listening PORT: nothing listens on 127.0.0.1:PORT.
not_listening() { [ -z "$(ss -Hltn "sport = :$1")" ]; }

# 1. Bad input, before anything is attached.
check "--listen on a non-loopback address without --allow-remote: exit 2, one line" \
	one_line_exit2 "$TMP/bad1" $FV agent --nat $NAT --listen 0.0.0.0:$P1 || said "$TMP/bad1"
check "bad --instance: exit 2, one line" \
	one_line_exit2 "$TMP/bad2" $FV agent --nat $NAT --instance ../x || said "$TMP/bad2"
check "--tls-cert without --tls-key: exit 2, one line" \
	one_line_exit2 "$TMP/bad3" $FV agent --nat $NAT --tls-cert /etc/hostname || said "$TMP/bad3"

# 2. TLS and basic auth, on a namespace of our own (no lab needed).
if ip netns add $TNS && ip -n $TNS link set lo up &&
   openssl req -x509 -newkey rsa:2048 -nodes -keyout "$TMP/key.pem" -out "$TMP/cert.pem" \
	-days 1 -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 >"$TMP/openssl" 2>&1; then
	chmod 600 "$TMP/key.pem"
	printf 'prom:s3cret\n' >"$TMP/auth"
	chmod 644 "$TMP/auth"
	check "a basic auth file readable by others is refused: exit 2, one line" \
		one_line_exit2 "$TMP/auth644" $FV agent --nat $TNS:lo --instance e2e-tls-$$ \
		--basic-auth-file "$TMP/auth" || said "$TMP/auth644"
	chmod 600 "$TMP/auth"
	# TLS: readiness is the ready file and a TLS answer (401 without
	# credentials), not /healthz over plain HTTP.
	tls() { curl -s -m 10 -o /dev/null -w '%{http_code}' --cacert "$TMP/cert.pem" "$@"; }
	tls_serves() { kill -0 "$1" 2>/dev/null && [ -s "$TMP/tls.ready" ] && [ "$(tls https://127.0.0.1:$PBAD/healthz)" != 000 ]; }
	if ! not_listening $PBAD; then
		not_ok "TLS agent: precondition: port $PBAD free ($(ss -Hltnp "sport = :$PBAD" | head -1))"
	elif start_agent tls --nat $TNS:lo --listen 127.0.0.1:$PBAD --instance e2e-tls-$$ \
		--tls-cert "$TMP/cert.pem" --tls-key "$TMP/key.pem" --basic-auth-file "$TMP/auth" &&
		wait_until 60 tls_serves "$agent_pid"; then
		AT=$agent_pid
		c="$(tls https://127.0.0.1:$PBAD/metrics) $(tls -u prom:bad https://127.0.0.1:$PBAD/metrics)"
		c+=" $(tls -u prom:s3cret https://127.0.0.1:$PBAD/metrics)"
		c+=" $(code_of http://127.0.0.1:$PBAD/metrics)"
		# Plain HTTP to the TLS port gets no HTTP answer at all (000).
		check "TLS + basic auth: no credentials 401, wrong 401, right 200, plain HTTP no answer ($c)" \
			test "$c" = "401 401 200 000"
		capture "$TMP/tlsv" $FV verify --agent https://prom:s3cret@127.0.0.1:$PBAD --cacert "$TMP/cert.pem" \
			--duration 1
		check_run "verify --agent over TLS with auth: an answer (no traffic here: exit 1), no password shown" 1 \
			"$TMP/tlsv" eval "grep -q '^agent https://127.0.0.1:$PBAD (nat): no_traffic' '$TMP/tlsv' && ! grep -q s3cret '$TMP/tlsv' '$TMP/tlsv.err'" ||
			diag_file "$TMP/tlsv" "stdout: "
		check_stop "TLS agent: SIGTERM, exit 0" $AT tls
	else
		agent_failed tls "agent with TLS and basic auth starts and serves"
	fi
	capture "$TMP/tlsclean" $FV cleanup --instance e2e-tls-$$
	check_run "TLS agent: cleanup of its pins, exit 0" 0 "$TMP/tlsclean" test ! -e $PINS/e2e-tls-$$
	ip netns del $TNS
else
	skip "cannot make a namespace or a certificate for the TLS test: $(head -1 "$TMP/openssl" 2>/dev/null)"
	ip netns del $TNS 2>/dev/null
fi

lab_up

# 3. Someone else's pins: refused, and left alone by the agent and cleanup.
mkdir -p $PINS/$IF
if bpftool map create $PINS/$IF/notours type array key 4 value 4 entries 1 name notours 2>"$TMP/bpftool"; then
	foreign_refused() {
		one_line_exit2 "$TMP/foreign" $FV agent --nat $NAT --instance $IF --listen 127.0.0.1:$P1 || return 1
		lab_clean && not_listening $P1 && [ -e $PINS/$IF/notours ]
	}
	check "someone else's pins: the agent refuses them (exit 2, one line) and starts nothing" \
		foreign_refused || said "$TMP/foreign"
	capture "$TMP/fclean" $FV cleanup --instance $IF
	check_run "someone else's pins: cleanup refuses them (exit 2), the pin stays" 2 "$TMP/fclean" \
		test -e $PINS/$IF/notours
	rm -f $PINS/$IF/notours
else
	not_ok "someone else's pins: precondition: a pin of someone else's (bpftool map create)"
	diag_file "$TMP/bpftool"
fi
rmdir $PINS/$IF

# 4. The agent on the NAT and the client.
if ! start_agent a1 --nat $NAT --client $CLIENT --listen 127.0.0.1:$P1 --instance $I1 --window 5; then
	agent_failed a1 "agent starts and serves"
	done_testing
	exit 1
fi
ok "agent starts and serves on 127.0.0.1:$P1"
A1=$agent_pid
# The lab's client sends 4 requests a second: poll /metrics (60 s) until
# the agent has seen them on every leg and answered, then check that.
nat_leg() { metric "flowverify_leg_packets_total{role=\"nat\",leg=\"$1\"}" "$2"; }
legs_seen() {
	local l v
	for l in 1 2 3 4; do
		v=$(nat_leg $l "$1")
		[ "${v:-0}" -gt 0 ] || return 1
	done
	grep -q '^flowverify_leg_packets_total{role="client",leg="4"} [1-9]' "$1"
}
answered_ok() {
	grep -q '^flowverify_exchanges_total{outcome="answered"} [1-9]' "$1" &&
		grep -q '^flowverify_reply_latency_seconds_count [1-9]' "$1" &&
		grep -q '^flowverify_verdict_status{status="ok"} 1' "$1"
}
scrape() { get -o "$1" -w '%{http_code} %{content_type}\n' http://127.0.0.1:$P1/metrics >"$1.code"; }
m1_ready() { scrape "$TMP/m1" && legs_seen "$TMP/m1" && answered_ok "$TMP/m1"; }
wait_until 60 m1_ready
check "/metrics: 200, text exposition 0.0.4" grep -q '^200 text/plain; version=0.0.4' "$TMP/m1.code" ||
	diag "got: $(cat "$TMP/m1.code")"
promtool check metrics <"$TMP/m1" >"$TMP/promtool" 2>&1
rc=$?
check "/metrics: promtool check metrics accepts it without a warning (exit 0)" \
	test $rc -eq 0 -a ! -s "$TMP/promtool"
diag_file "$TMP/promtool" "promtool: "
# Growing: a later scrape has more on each of the four NAT legs.
legs_grew() {
	local l
	scrape "$TMP/m1b" || return 1
	for l in 1 2 3 4; do
		[ "$(nat_leg $l "$TMP/m1b")" -gt "$(nat_leg $l "$TMP/m1")" ] 2>/dev/null || return 1
	done
}
if legs_seen "$TMP/m1" && wait_until 60 legs_grew; then
	ok "/metrics: flowverify_leg_packets_total by role and leg, growing on all four NAT legs"
else
	not_ok "/metrics: flowverify_leg_packets_total by role and leg, growing on all four NAT legs"
	diag "first: $(grep '^flowverify_leg_packets_total' "$TMP/m1" | paste -sd' ')"
	diag "last: $(grep '^flowverify_leg_packets_total' "$TMP/m1b" 2>/dev/null | paste -sd' ')"
fi
check "/metrics: answered exchanges, a latency histogram, verdict ok" answered_ok "$TMP/m1" ||
	diag "$(grep -E '^flowverify_(exchanges_total|reply_latency_seconds_count|verdict_status)' "$TMP/m1" | paste -sd' ')"

get -o "$TMP/status.json" http://127.0.0.1:$P1/api/v1/status
capture "$TMP/verify.json" $FV verify --nat $NAT --client $CLIENT --duration 1 --json
check_run "/api/v1/status: the verify --json object (every key of it, verify exit 0), status ok" 0 "$TMP/verify.json" \
	eval "jq -e --slurpfile v '$TMP/verify.json' '.status == \"ok\" and ((\$v[0] | keys) - keys == []) and .agent.api == 1' '$TMP/status.json' >/dev/null"
# ?window=2&exchanges=5: polled (60 s) until the last 2 s hold 5 exchanges
# (8 at the lab's pace); with the agent up longer than 2 s the window is
# exactly 2 s, and the 5 are the newest, distinct cookies, inside it.
status2() {
	get -o "$TMP/status2.json" "http://127.0.0.1:$P1/api/v1/status?window=2&exchanges=5" &&
		jq_ok "$TMP/status2.json" '.exchanges_detail | length == 5'
}
wait_until 60 status2
check "/api/v1/status?window=2&exchanges=5: the last 2 s, 5 exchanges by cookie" \
	jq_ok "$TMP/status2.json" '.agent.uptime_seconds > 2 and .duration_seconds == 2 and
		(.exchanges_detail | length == 5 and all(.age_seconds <= 2 and (.cookie | test("^[0-9a-f]{16}$"))) and
		 (map(.cookie) | unique | length == 5))' ||
	diag "got: $(head -c 600 "$TMP/status2.json")"
check "/api/v1/status?window=bad: 400" \
	test "$(code_of "http://127.0.0.1:$P1/api/v1/status?window=-1")" = 400
check "/healthz: 200" test "$(code_of http://127.0.0.1:$P1/healthz)" = 200

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
check "POST: 405" test "$(code_of -X POST -d x=1 http://127.0.0.1:$P1/metrics)" = 405
check "unknown path: 404" test "$(code_of http://127.0.0.1:$P1/nope)" = 404
printf 'GARBAGE\r\n\r\n' | timeout 10 bash -c "cat >/dev/tcp/127.0.0.1/$P1" 2>/dev/null
# Refused with the status docs/agent.md names, which also shows it answered.
code=$(code_of -H "X-Big: $(head -c 100000 /dev/zero | tr '\0' a)" http://127.0.0.1:$P1/metrics)
check "a 100 kB header is refused: 431 ($code)" test "$code" = 431
code=$(code_of "http://127.0.0.1:$P1/metrics?$(head -c 60000 /dev/zero | tr '\0' a)")
check "a 60 kB URL is refused: 414 ($code)" test "$code" = 414
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
# 50 at a time, under the agent's 64 connections: every one is served.
# Each has 60 s (the machine may be busy); none may fail.
seq 200 | xargs -P 50 -I{} curl -s -m 60 -o /dev/null -w '%{http_code}\n' http://127.0.0.1:$P1/metrics >"$TMP/many"
served=$(grep -c '^200$' "$TMP/many")
check "200 concurrent scrapes (50 at a time): all served ($served/200)" test "$served" -eq 200 ||
	diag "answers: $(sort "$TMP/many" | uniq -c | paste -sd' ')"
check "after all that the agent still serves /healthz and /metrics" \
	eval "kill -0 $A1 && [ \"\$(code_of http://127.0.0.1:$P1/healthz)\" = 200 ] &&
		 get http://127.0.0.1:$P1/metrics | grep -q '^flowverify_build_info'"

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
    # 30 s: a hang, not a busy machine, is what this catches.
    s = socket.create_connection(("127.0.0.1", port), timeout=30)
    try:
        s.sendall(req.encode("latin-1"))
        data = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    except socket.timeout:
        bad.append("no answer in 30 s: %r" % req)
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
	eval "kill -0 $A1 && get http://127.0.0.1:$P1/metrics | grep -q '^flowverify_build_info'"

# 6. A second agent on the same pins is refused while the first runs.
check "a second agent on the same instance is refused (exit 2, one line)" \
	one_line_exit2 "$TMP/second" $FV agent --nat $NAT --client $CLIENT --listen 127.0.0.1:$P2 --instance $I1 ||
	said "$TMP/second"

# 7. Restart: no counter goes down. Needs the counters before (a scrape
# of the running agent) and the restarted agent up and serving.
before_ok() {
	[ "$(get -o "$TMP/before" -w '%{http_code}' http://127.0.0.1:$P1/metrics)" = 200 ] &&
		grep -q '^flowverify_leg_packets_total' "$TMP/before"
}
before_ok
before_rc=$?
check_stop "SIGTERM: the agent exits 0" $A1 a1
stopped_pins_stay() {
	! kill -0 $A1 2>/dev/null && lab_clean && [ -e $PINS/$I1/agent ] && [ -e $PINS/$I1/p0_flows ]
}
check "stopped: nothing attached, the pins stay" stopped_pins_stay
if [ $before_rc -ne 0 ]; then
	not_ok "restart: precondition: the counters before it (a /metrics scrape of the first agent)"
elif ! start_agent a1b --nat $NAT --client $CLIENT --listen 127.0.0.1:$P1 --instance $I1 --window 5; then
	agent_failed a1b "restarted with the same arguments: the agent starts and serves"
else
	ok "restarted with the same arguments: the agent starts and serves"
	A1=$agent_pid
	code=$(get -o "$TMP/after" -w '%{http_code}' http://127.0.0.1:$P1/metrics)
	down=0 n=0
	while read -r k v; do
		n=$((n + 1))
		a=$(metric "$k" "$TMP/after")
		[ "${a:-0}" -ge "$v" ] || { down=1; diag "$k went from $v to ${a:-none}"; }
	done < <(grep -E '^flowverify_(leg_packets_total|exchanges_total|exchanges_lost_total|events_received_total)' "$TMP/before")
	check "restarted: none of $n counters went down (/metrics $code)" test "$code" = 200 -a $down -eq 0 -a $n -ge 10
	check "restarted: flowverify_agent_starts_total is 2" grep -q '^flowverify_agent_starts_total 2$' "$TMP/after"
	check_stop "restarted: SIGTERM, exit 0" $A1 a1b
fi
check "another set of points on the same pins is refused (exit 2, one line)" \
	one_line_exit2 "$TMP/spec" $FV agent --nat $NAT --listen 127.0.0.1:$P1 --instance $I1 || said "$TMP/spec"
capture "$TMP/cleanup" $FV cleanup --instance $I1
check_run "cleanup removes the agent's pins (exit 0)" 0 "$TMP/cleanup" \
	eval "[ ! -e $PINS/$I1 ] && grep -q 'removed $PINS/$I1/p1_flows' '$TMP/cleanup'"

# 7b. Kernels without tcx (before 6.6) attach through clsact filters,
# which outlive their process. The agent has dropped every privilege by
# the time it stops, so a child that keeps only CAP_NET_ADMIN and
# CAP_SYS_ADMIN removes them: at SIGTERM, and when the agent is killed.
clsact_held() {
	ours_in "$1" >"$TMP/cl.ours"
	grep -qx "eth0 clsact-ingress [0-9]* fv_tc_ingress" "$TMP/cl.ours" &&
		grep -qx "eth0 clsact-egress [0-9]* fv_tc_egress" "$TMP/cl.ours"
}
# detacher_caps PID: its child's effective and bounding sets hold exactly
# CAP_NET_ADMIN (12) and CAP_SYS_ADMIN (21): 0x201000.
detacher_caps() {
	local c
	c=$(pgrep -P "$1" -x fv-detacher) || return 1
	grep -q '^CapEff:[[:space:]]*0000000000201000$' /proc/$c/status &&
		grep -q '^CapBnd:[[:space:]]*0000000000201000$' /proc/$c/status
}
for how in TERM KILL; do
	if ! FV_TC=clsact start_agent cl$how --nat $NAT --client $CLIENT --listen 127.0.0.1:$P1 --instance $I4; then
		agent_failed cl$how "FV_TC=clsact: the agent starts and serves ($how)"
		continue
	fi
	A4=$agent_pid
	check "FV_TC=clsact: our clsact filters on the NAT's and the client's eth0 ($how)" \
		eval 'clsact_held "$NS_NAT" && clsact_held "$NS_CLIENT"' || diag_file "$TMP/cl.ours"
	check "FV_TC=clsact: its detacher keeps only CAP_NET_ADMIN and CAP_SYS_ADMIN ($how)" detacher_caps $A4
	if [ $how = TERM ]; then
		check_stop "FV_TC=clsact: SIGTERM, exit 0" $A4 cl$how
	else
		kill -KILL $A4
		wait $A4 2>/dev/null
	fi
	check "FV_TC=clsact: after SIG$how no filter of ours is left on the lab" lab_clean
done
capture "$TMP/clean4" $FV cleanup --instance $I4
check_run "cleanup of the FV_TC=clsact agent's pins, exit 0" 0 "$TMP/clean4"

# 7c. SIGTERM while the agent is still setting up (systemd stopping a unit
# that is starting): it catches SIGTERM from the start, well before it is
# ready, and stops through its own path: exit 0, no ready file that says
# so, no filter left (clsact, whose filters outlive a killed process).
# Before, it caught SIGTERM only once serving, and such a signal killed it
# (status 143).
rm -f "$TMP/early.ready"
FV_TC=clsact $FV agent --nat $NAT --client $CLIENT --listen 127.0.0.1:$P1 --instance $I4 \
	--ready-file "$TMP/early.ready" >"$TMP/early.out" 2>&1 &
AE=$!
pids+=("$AE")
# Read as fast as bash can, for up to 30 s: the agent may be slow to start
# on a busy machine, and its set-up after the handler is a fraction of it.
end=$((${EPOCHREALTIME/./} + 30000000))
while [ "${EPOCHREALTIME/./}" -lt $end ]; do
	catches $AE TERM && break
	kill -0 $AE 2>/dev/null || break
done
if catches $AE TERM && [ ! -e "$TMP/early.ready" ]; then
	kill -TERM $AE
	wait $AE
	rc=$?
	# The ready file it may have written by then is gone, or empty where
	# the user it dropped to cannot remove it.
	check "SIGTERM while it sets up (caught before ready): exit 0, no ready file saying so, nothing left" \
		eval '[ $rc = 0 ] && [ ! -s "$TMP/early.ready" ] && lab_clean' ||
		{ diag "exit status $rc, want 0"; diag_file "$TMP/early.out" "early: "; }
else
	not_ok "SIGTERM while it sets up: the agent catches SIGTERM before it is ready"
	diag "SigCgt: $(grep SigCgt /proc/$AE/status 2>/dev/null); ready file: $(ls "$TMP/early.ready" 2>&1)"
	kill -TERM $AE 2>/dev/null
	wait $AE 2>/dev/null
fi
capture "$TMP/clean4e" $FV cleanup --instance $I4
check_run "cleanup after the agent stopped while setting up, exit 0" 0 "$TMP/clean4e"

# 8. Across hosts: one agent on the NAT, one on the client.
verify_agents() {
	local out=$1
	shift
	capture "$out" $FV verify --agent http://127.0.0.1:$P2 --agent http://127.0.0.1:$P3 --duration 2 "$@"
}
# Both agents have run longer than the 5 s verify asks them for (its 2 s,
# the 1 s reply timeout and 2 s more), so an exchange in the window was
# seen whole by each; both have answered exchanges in their last 2 s.
# view AGENT-PORT OUT: the agent's last 2 s, with its exchanges.
view() { get -o "$2" "http://127.0.0.1:$1/api/v1/status?window=2&exchanges=65536"; }
both_ready() {
	view $P2 "$TMP/v2.json" && view $P3 "$TMP/v3.json" &&
		jq_ok "$TMP/v2.json" '.agent.uptime_seconds >= 5 and .exchanges.answered > 0' &&
		jq_ok "$TMP/v3.json" '.agent.uptime_seconds >= 5 and .exchanges.answered > 0'
}
AN= AC=
if ! start_agent nat --nat $NAT --listen 127.0.0.1:$P2 --instance $I2 --window 5; then
	agent_failed nat "NAT agent starts and serves"
elif AN=$agent_pid && ! start_agent client --client $CLIENT --listen 127.0.0.1:$P3 --instance $I3 --window 5; then
	agent_failed client "client agent starts and serves"
elif AC=$agent_pid && ! wait_until 60 both_ready; then
	not_ok "two agents: precondition: both up 5 s with answered exchanges in their last 2 s (60 s)"
	diag "NAT: $(jq -c '{uptime: .agent.uptime_seconds, exchanges}' "$TMP/v2.json" 2>/dev/null)"
	diag "client: $(jq -c '{uptime: .agent.uptime_seconds, exchanges}' "$TMP/v3.json" 2>/dev/null)"
else
	verify_agents "$TMP/x.json" --json
	check_run "two agents, healthy lab: joined verdict ok, exchanges joined by cookie (exit 0)" 0 "$TMP/x.json" \
		jq_ok "$TMP/x.json" '.status == "ok" and .basis == "exchanges" and .exchanges.answered > 0 and .exchanges.unanswered == 0 and (.agents | length == 2)' ||
		diag "got: $(jq -c '{status, segment, exchanges}' "$TMP/x.json" 2>/dev/null)"
	if lab_fault_set no-private-in-client; then
		# The agents' last 2 s come to hold only exchanges sent under the
		# fault: polled (60 s) on the joined verdict, then its exit status
		# and the rest are checked.
		joined_fault() {
			verify_agents "$TMP/y.json" --json
			jq_ok "$TMP/y.json" '.segment == "nat_to_client"'
		}
		wait_until 60 joined_fault
		check_run "two agents, replies lost before the client: the lab's verdict nat_to_client (exit 1)" 1 "$TMP/y.json" \
			jq_ok "$TMP/y.json" '.status == "fault" and .segment == "nat_to_client" and .exchanges.lost_by_segment.nat_to_client > 0' ||
			diag "got: $(jq -c '{status, segment, exchanges}' "$TMP/y.json" 2>/dev/null)"
		capture "$TMP/z.json" $FV verify --agent http://127.0.0.1:$P2 --duration 2 --json
		check_run "the NAT's agent alone cannot see it (its view: ok, exit 0)" 0 "$TMP/z.json" \
			jq_ok "$TMP/z.json" '.status == "ok"' ||
			diag "got: $(jq -c '{status, segment, exchanges}' "$TMP/z.json" 2>/dev/null)"
		verify_agents "$TMP/y.txt"
		check_run "text: names both agents and the segment (exit 1)" 1 "$TMP/y.txt" \
			eval "grep -q '^agent http://127.0.0.1:$P3 (client)' '$TMP/y.txt' && grep -q '^FAULT nat_to_client' '$TMP/y.txt'" ||
			diag_file "$TMP/y.txt" "stdout: "
		lab_fault_set none
	else
		not_ok "two agents, replies lost before the client (not run: lab fault no-private-in-client failed)"
	fi
fi

# 9. Agents that cannot be asked: one line each, exit 2. Needs the client
# agent ($P3) serving and nothing on $PBAD.
if [ -z "$AC" ] || ! agent_serves "$AC" "$TMP/client.ready" $P3; then
	not_ok "agents that cannot be asked (not run: precondition: the client agent serving on $P3)"
elif ! not_listening $PBAD; then
	not_ok "agents that cannot be asked (not run: precondition: port $PBAD free: $(ss -Hltnp "sport = :$PBAD" | head -1))"
else
	check "an agent that does not answer: exit 2, one line" \
		one_line_exit2 "$TMP/e1" $FV verify --agent http://127.0.0.1:$PBAD --agent http://127.0.0.1:$P3 ||
		said "$TMP/e1"
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
	# serve BODY: a fake agent on $PBAD answering BODY, until unserve;
	# fails (a not_ok) unless it answers within 30 s.
	fake_answers() { kill -0 "$fake" 2>/dev/null && get -o /dev/null http://127.0.0.1:$PBAD/; }
	serve() {
		python3 "$TMP/fake.py" "$PBAD" "$1" 2>"$TMP/fake.err" &
		fake=$!
		pids+=("$fake")
		wait_until 30 fake_answers && return 0
		not_ok "precondition: a fake agent answering on $PBAD (30 s)"
		diag_file "$TMP/fake.err"
		return 1
	}
	unserve() { kill $fake; wait $fake 2>/dev/null; }
	if serve 'this is not json'; then
		check "an agent that answers garbage: exit 2, one line" \
			one_line_exit2 "$TMP/e2" $FV verify --agent http://127.0.0.1:$PBAD --agent http://127.0.0.1:$P3 ||
			said "$TMP/e2"
		check "  ... saying so" grep -q 'not a status object' "$TMP/e2"
	fi
	unserve
	if serve '{"agent": {"api": 99, "version": "9.9"}, "points": [], "exchanges_detail": []}'; then
		check "an agent of another API version: exit 2, one line naming both" \
			one_line_exit2 "$TMP/e3" $FV verify --agent http://127.0.0.1:$PBAD --agent http://127.0.0.1:$P3 ||
			said "$TMP/e3"
		check "  ... saying so" grep -q 'API 99' "$TMP/e3"
	fi
	unserve
fi

[ -n "$AN" ] && check_stop "NAT agent: SIGTERM, exit 0" $AN nat
[ -n "$AC" ] && check_stop "client agent: SIGTERM, exit 0" $AC client
pids=()
capture "$TMP/clean2" $FV cleanup --instance $I2
check_run "cleanup of the NAT agent's pins, exit 0" 0 "$TMP/clean2"
capture "$TMP/clean3" $FV cleanup --instance $I3
check_run "cleanup of the client agent's pins, exit 0" 0 "$TMP/clean3"
all_gone() {
	{ [ -z "$AN" ] || ! kill -0 $AN 2>/dev/null; } && { [ -z "$AC" ] || ! kill -0 $AC 2>/dev/null; } &&
		lab_clean && [ ! -e $PINS/$I2 ] && [ ! -e $PINS/$I3 ]
}
check "nothing left attached, no pins of ours left" all_gone
diag "flowverify programs attached anywhere on this machine: $(our_progs)"
check "lab down" quiet lab down
we_made_lab=0
check "no namespace of this suite's lab left" lab_gone
done_testing
