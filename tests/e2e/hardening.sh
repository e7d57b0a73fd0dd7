#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# The agent's and the client's smaller safety properties (issue 17): the
# agent serves as an unprivileged user unless told root (with a warning);
# ready files follow no symlink, are written whole and are gone (or
# empty) after exit; the running-agent check is a lock the agent holds,
# not a process name. On a namespace of its own (fv-hd<pid>, lo): no lab.
set -u
cd "$(dirname "$0")/../.."
. tests/e2e/lib.sh

NS=fv-hd$$
INST=fv-hd-$$
PORT=$(free_base 2 $((20000 + $$ % 20000)))
made=()
pids=()
cleanup() {
	local p
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null; done
	$FV cleanup --instance $INST >/dev/null 2>&1
	for p in "${made[@]}"; do ip netns del "$p" 2>/dev/null; done
	rm -rf "$TMP"
}
trap cleanup EXIT
snapshot FV || { done_testing; exit 1; }
if ! { ip netns add $NS && made+=($NS) && ip -n $NS link set lo up; }; then
	not_ok "setup: namespace $NS"
	done_testing
	exit 1
fi

# start NAME ARGS...: an agent on $NS:lo in the background, up to 60 s
# until its ready file is there and /healthz answers; pid in $agent_pid.
start() {
	local name=$1
	shift
	rm -f "$TMP/$name.ready"
	$FV agent --nat $NS:lo --listen 127.0.0.1:$PORT --instance $INST \
		--ready-file "$TMP/$name.ready" "$@" >"$TMP/$name.out" 2>&1 &
	agent_pid=$!
	pids+=($agent_pid)
	wait_until 60 serves $agent_pid "$TMP/$name.ready"
}
# An HTTP answer: 200, or 401 from an agent that wants a password.
serves() {
	kill -0 "$1" 2>/dev/null && [ -s "$2" ] &&
		[[ "$(curl -s -m 5 -o /dev/null -w '%{http_code}' http://127.0.0.1:$PORT/healthz)" == @(200|401) ]]
}
stop() { kill -TERM "$1" && wait "$1"; }

# 1. Not root after attaching, by default.
if start a1; then
	A=$agent_pid
	who=$(ps -o user= -p $A | tr -d ' ')
	want=$(getent passwd flowverify >/dev/null && echo flowverify || echo nobody)
	check "the agent serves as $want, not root, by default (ps: $who)" test "$who" = "$want"
	check "uid, gid and groups all switched" \
		eval "awk '/^Uid:/ { exit !(\$2 != 0 && \$3 != 0 && \$4 != 0 && \$5 != 0) }' /proc/$A/status &&
			awk '/^Gid:/ { exit !(\$2 != 0) }' /proc/$A/status &&
			[ -z \"\$(awk '/^Groups:/ { \$1 = \"\"; print }' /proc/$A/status | tr -d ' ')\" ]"
	check "its ready file: a regular file holding its pid" \
		eval "[ -f '$TMP/a1.ready' ] && [ ! -L '$TMP/a1.ready' ] && [ \"\$(cat '$TMP/a1.ready')\" = $A ]"
	check "no temporary ready file left beside it" \
		eval "[ -z \"\$(ls '$TMP' | grep '^a1.ready.')\" ]"
	# 2. The running-agent check holds while it runs.
	capture "$TMP/second" timeout 30 $FV agent --nat $NS:lo --listen 127.0.0.1:$((PORT + 1)) --instance $INST
	check_run "a second agent on the same instance is refused (exit 2)" 2 "$TMP/second" \
		grep -q 'is running' "$TMP/second.err"
	capture "$TMP/busy" $FV cleanup --instance $INST
	check_run "cleanup refuses the running agent's pins (exit 2)" 2 "$TMP/busy"
	rc=0
	stop $A || rc=$?
	check "SIGTERM: exit 0 ($rc)" test $rc = 0
	# Unprivileged, it may not remove a file in a directory only root
	# writes: empty then, never "ready".
	check "after exit its ready file is gone or empty" test ! -s "$TMP/a1.ready"
else
	not_ok "the agent starts and serves"
	diag_file "$TMP/a1.out" "agent: "
fi

# 3. --user root: only when named, with a warning.
if start a2 --user root; then
	A=$agent_pid
	check "--user root: stays root ($(ps -o user= -p $A | tr -d ' '))" test "$(ps -o user= -p $A | tr -d ' ')" = root
	check "--user root: warned on stderr" grep -q 'keeps uid 0' "$TMP/a2.out"
	stop $A
	check "after exit (as root) its ready file is gone" test ! -e "$TMP/a2.ready"
else
	not_ok "the agent starts with --user root"
	diag_file "$TMP/a2.out" "agent: "
fi

# 4. A stale pid that is some other process named flowverify does not
# block a restart: the check is the agent's lock, not a name.
cp /bin/sleep "$TMP/flowverify"
"$TMP/flowverify" 300 &
fake=$!
pids+=($fake)
# set_state_pid PID: the stopped agent's state map names PID as running.
set_state_pid() {
	local m=/sys/fs/bpf/flowverify/$INST/agent hex
	hex=$(bpftool -j map lookup pinned $m key 0 0 0 0 | jq -r '.value | map(ltrimstr("0x")) | join(" ")' |
		python3 -c 'import sys; b = sys.stdin.read().split(); p = int(sys.argv[1])
b[20:24] = ["%02x" % (p >> s & 255) for s in (0, 8, 16, 24)]; print(" ".join(b))' "$1") &&
		bpftool map update pinned $m key 0 0 0 0 value hex $hex
}
if set_state_pid $fake 2>"$TMP/setpid"; then
	ok "setup: the stopped agent's state names pid $fake, a process named flowverify"
else
	not_ok "setup: the stopped agent's state names pid $fake, a process named flowverify"
	diag_file "$TMP/setpid"
fi
if start a3; then
	ok "a stale pid of another process named flowverify ($fake) does not block a restart"
	stop $agent_pid
else
	not_ok "a stale pid of another process named flowverify ($fake) does not block a restart"
	diag_file "$TMP/a3.out" "agent: "
fi
kill $fake 2>/dev/null

# 5. Ready files of verify: a symlink at the path is replaced, never
# followed; the file is gone after exit.
echo precious >"$TMP/target"
ln -s "$TMP/target" "$TMP/v.ready"
capture "$TMP/v" $FV verify --nat $NS:lo --duration 1 --ready-file "$TMP/v.ready"
check "verify --ready-file over a symlink: the symlink's target untouched" \
	test "$(cat "$TMP/target")" = precious
check "verify --ready-file: removed at exit" test ! -e "$TMP/v.ready" -a ! -L "$TMP/v.ready"

# 6. --allow-remote: TLS and auth, or --insecure that says what it opens.
# Inside $NS, so 0.0.0.0 is that namespace's only.
capture "$TMP/remote" ip netns exec $NS timeout 30 $FV agent --nat lo --listen 0.0.0.0:$PORT \
	--allow-remote --instance $INST
check_run "--allow-remote without TLS and auth: refused, exit 2, naming --insecure" 2 "$TMP/remote" \
	grep -q -- '--insecure' "$TMP/remote.err"
ip netns exec $NS $FV agent --nat lo --listen 0.0.0.0:$PORT --allow-remote --insecure \
	--instance $INST --ready-file "$TMP/ins.ready" >"$TMP/ins.out" 2>&1 &
A=$!
pids+=($A)
if wait_until 60 test -s "$TMP/ins.ready"; then
	check "--allow-remote --insecure: serves, and says what every host can read" \
		grep -q 'every host that reaches 0.0.0.0:[0-9]* reads NTP client addresses' "$TMP/ins.out"
	stop $A
else
	not_ok "--allow-remote --insecure: serves, and says what every host can read"
	diag_file "$TMP/ins.out" "agent: "
fi

# 7. Failed logins are answered one a second, overall.
printf 'prom:s3cret\n' >"$TMP/auth"
chmod 600 "$TMP/auth"
if start a4 --basic-auth-file "$TMP/auth"; then
	A=$agent_pid
	check "basic auth without TLS: warned" grep -q 'crosses the network in the clear' "$TMP/a4.out"
	t0=$(now_ms)
	cpids=()
	for i in 1 2 3 4; do
		curl -s -m 20 -u prom:wrong -o /dev/null -w '%{http_code}\n' http://127.0.0.1:$PORT/metrics >>"$TMP/fails" &
		cpids+=($!)
	done
	wait "${cpids[@]}"
	t1=$(now_ms)
	code=$(curl -s -m 5 -u prom:s3cret -o /dev/null -w '%{http_code} %{time_total}' http://127.0.0.1:$PORT/metrics)
	check "4 wrong passwords at once: all 401, one a second ($((t1 - t0)) ms for 4); the right one at once ($code)" \
		eval "[ \"\$(grep -c 401 '$TMP/fails')\" = 4 ] && [ $((t1 - t0)) -ge 3000 ] && [ $((t1 - t0)) -lt 8000 ] &&
			awk '{ exit !(\$1 == 200 && \$2 < 0.5) }' <<<'$code'"
	# 8. verify --agent: credentials from a file, a warning for one in
	# the URL.
	capture "$TMP/va" $FV verify --agent http://127.0.0.1:$PORT --auth-file "$TMP/auth" --duration 1
	check_run "verify --agent --auth-file: the agent answers (no traffic: exit 1)" 1 "$TMP/va"
	capture "$TMP/vu" $FV verify --agent http://prom:s3cret@127.0.0.1:$PORT --duration 1
	check_run "verify --agent with a password in the URL: works, warns of /proc/PID/cmdline and plain http" 1 "$TMP/vu" \
		eval "grep -q 'password in the URL can be read by every local user' '$TMP/vu.err' &&
			grep -q 'in the clear; use https' '$TMP/vu.err' && ! grep -q s3cret '$TMP/vu' '$TMP/vu.err'"
	chmod 644 "$TMP/auth"
	capture "$TMP/v644" $FV verify --agent http://127.0.0.1:$PORT --auth-file "$TMP/auth" --duration 1
	check_run "verify --auth-file readable by others: refused, exit 2" 2 "$TMP/v644"
	stop $A
else
	not_ok "agent with --basic-auth-file starts"
	diag_file "$TMP/a4.out" "agent: "
	stop $agent_pid
fi

# 9. verify --agent against a hostile agent: a body past the cap is
# refused early and cheaply; control characters never reach the terminal.
FAKE=$((PORT + 1))
python3 - $FAKE <<'PY' >"$TMP/fake.out" 2>&1 &
import http.server, json, sys
evil = {"agent": {"api": 1, "version": "x\u001b]0;pwned\u0007"}, "points": [{"role": "nat"}],
        "exchanges_detail": [], "status": "no_traffic\u001b[2J", "segment": "\u001b[31mred",
        "legs": [], "clients": [{"netns": "ns\u001b[1m", "legs": []}]}
class H(http.server.BaseHTTPRequestHandler):
    def log_message(self, *a): pass
    def do_GET(self):
        if self.path.startswith("/big/"):
            self.send_response(200)
            self.send_header("Content-Length", str(60 << 20))
            self.end_headers()
            try:
                self.wfile.write(b" " * (60 << 20))
            except OSError:
                pass
            return
        if self.path.startswith("/chunked/"):
            self.send_response(200)
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            try:
                for _ in range(60):
                    self.wfile.write(b"100000\r\n" + b" " * (1 << 20) + b"\r\n")
                self.wfile.write(b"0\r\n\r\n")
            except OSError:
                pass
            return
        body = json.dumps(evil).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
http.server.ThreadingHTTPServer.protocol_version = "HTTP/1.1"
http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
PY
pids+=($!)
fake_up() { curl -s -m 2 -o /dev/null http://127.0.0.1:$FAKE/api/v1/status; }
wait_until 20 fake_up
for kind in big chunked; do
	t0=$(now_ms)
	if [ -x /usr/bin/time ]; then
		capture "$TMP/$kind" /usr/bin/time -f 'maxrss %M' $FV verify --agent http://127.0.0.1:$FAKE/$kind --duration 1
	else
		capture "$TMP/$kind" $FV verify --agent http://127.0.0.1:$FAKE/$kind --duration 1
	fi
	t1=$(now_ms)
	rss=$(awk '/^maxrss/ { print $2 }' "$TMP/$kind.err")
	check_run "a 60 MiB answer ($kind): refused as over 16 MiB, exit 2, in $((t1 - t0)) ms, max RSS ${rss:-?} kB" 2 "$TMP/$kind" \
		eval "grep -q 'larger than 16 MiB' '$TMP/$kind.err' && [ $((t1 - t0)) -lt 10000 ] && [ \${rss:-0} -lt 102400 ]"
done
capture "$TMP/evil" $FV verify --agent http://127.0.0.1:$FAKE --duration 1
check "an agent's strings are printed without control characters" \
	eval "grep -q 'no_traffic' '$TMP/evil' && ! cat '$TMP/evil' '$TMP/evil.err' | tr -d '\n' | LC_ALL=C grep -q '[[:cntrl:]]'" ||
	diag "$(cat -v "$TMP/evil" | head -5)"

# 10. Commands run as root come from a fixed PATH: a lab brought up with
# fake ip, nft, tc and sysctl first in PATH never runs them.
mkdir "$TMP/fakebin"
for t in ip nft tc sysctl chronyd; do
	printf '#!/bin/sh\ntouch "%s/ran-%s"\nexit 1\n' "$TMP/fakebin" $t >"$TMP/fakebin/$t"
	chmod +x "$TMP/fakebin/$t"
done
LI=hd$$
capture "$TMP/labup" env PATH="$TMP/fakebin:$PATH" $FV lab --instance $LI up
check_run "lab up with fake tools first in PATH: up (exit 0), none of them run ($(ls "$TMP/fakebin" | grep -c ran-))" 0 "$TMP/labup" \
	test -z "$(ls "$TMP/fakebin" | grep ran-)"
capture "$TMP/labdown" env PATH="$TMP/fakebin:$PATH" $FV lab --instance $LI down
check_run "lab down with fake tools first in PATH: exit 0, none run" 0 "$TMP/labdown" \
	test -z "$(ls "$TMP/fakebin" | grep ran-)"
$FV lab --instance $LI down >/dev/null 2>&1

# 11. The bench's lab lock is root's own (/run/flowverify, 0700), never a
# file in /tmp that anyone could have made first.
check "bench/run.sh takes its lab lock under /run/flowverify (0700), none in /tmp" \
	eval "grep -q '^LAB_LOCK=/run/flowverify/' bench/run.sh && grep -q 'mkdir -p -m 0700 /run/flowverify' bench/run.sh &&
		! grep -q 'flock[^|]*/tmp/' bench/run.sh"

capture "$TMP/clean" $FV cleanup --instance $INST
check_run "cleanup of the stopped agent's pins, exit 0" 0 "$TMP/clean"
check "nothing of ours left in $NS" clean_in $NS
done_testing
