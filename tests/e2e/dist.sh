#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# The portable file of `make dist` (docs/portable.md): it needs nothing but
# glibc 2.34 or newer, so it runs in a chroot that holds only the dynamic
# loader, glibc's libraries it names (objdump -p: NEEDED) and itself.
# There: --version, rules, verify on a veth pair between two namespaces of
# our own (the packets counted), verify --agent's one line when the host
# has no libcurl (it is loaded at run time), and an agent serving HTTPS
# through the static GnuTLS; outside it, verify --agent over HTTPS through
# the host's libcurl.
#
# Each chrooted run is in a mount namespace of its own (unshare) where
# /proc, /sys, /sys/fs/bpf, /run/netns (with its namespaces) and /dev/null
# are bound: those mounts end with it, and are never in ours. The trap
# removes the namespaces, the agent's pins and the chroot.
#
# FV_DIST=FILE runs these on an already built file instead of `make dist`.
set -u
cd "$(dirname "$0")/../.."
. tests/e2e/lib.sh

echo "1..19"

A=fv-dist$$-a B=fv-dist$$-b INST=e2e-dist-$$
ROOT=$TMP/root
PINS=/sys/fs/bpf/flowverify
made=() pids=()

# mounted_under DIR: a mount of this namespace is at or below DIR.
mounted_under() { awk -v d="$1" '$5 == d || index($5, d "/") == 1 {f = 1} END {exit !f}' /proc/self/mountinfo; }

cleanup() {
	local p ns
	for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null; done
	[ -n "${DIST:-}" ] && [ -x "${DIST:-}" ] && "$DIST" cleanup --instance $INST >/dev/null 2>&1
	for ns in "${made[@]}"; do ip netns del "$ns" 2>/dev/null; done
	# Nothing is mounted there (see above); if ever it were, unmount it
	# first and remove nothing rather than follow a bind into /sys.
	if mounted_under "$ROOT"; then
		umount -R -l "$ROOT" 2>/dev/null
		mounted_under "$ROOT" && { echo "# mounts left under $ROOT" >&2; return; }
	fi
	rm -rf --one-file-system "$TMP"
}
trap cleanup EXIT

# fatal WHAT FILE: the setup WHAT failed: one not_ok, FILE's lines, exit 1
# (the runner counts the checks that never ran against the plan).
fatal() {
	not_ok "$1"
	diag_file "$2"
	exit 1
}

# 1. The file, built or given.
if [ -n "${FV_DIST:-}" ]; then
	DIST=$FV_DIST
	if [ -x "$DIST" ]; then ok "the portable file, given: $DIST"; else fatal "FV_DIST=$DIST: not an executable file" /dev/null; fi
else
	# The name first, and its VERSION given to make dist: a commit
	# meanwhile (git describe) must not change it between the two.
	start=$SECONDS
	DIST=$(make -s --no-print-directory dist-path)
	ver=${DIST##*/flowverify-} ver=${ver%-*}
	if make --no-print-directory dist VERSION="$ver" >"$TMP/make" 2>&1 && [ -x "$DIST" ]; then
		ok "make dist builds ${DIST##*/} ($((SECONDS - start)) s)"
		grep -h 'glibc GLIBC_' "$TMP/make" | sed 's/^/# /'
	else
		fatal "make dist builds the portable file" "$TMP/make"
	fi
fi
# Copied: someone else's `make dist` may replace it meanwhile.
NAME=${DIST##*/}
mkdir -p "$ROOT"/{proc,sys,run/netns,dev,tmp,lib64,lib/x86_64-linux-gnu}
cp "$DIST" "$ROOT/flowverify" || fatal "setup: a copy of $DIST" /dev/null
DIST=$ROOT/flowverify
diag "$(stat -c %s "$DIST") bytes"

# 2-3. What it needs from the system: glibc 2.34 at most, nothing else.
glibc_floor() { dist/check-binary.sh "$DIST" 2.34 >"$TMP/glibc" 2>&1; }
check "objdump -T: no symbol of a GLIBC_ version above 2.34" glibc_floor || diag_file "$TMP/glibc"
diag "$(objdump -T "$DIST" | grep -o 'GLIBC_[0-9.]*' | sort -uV | tail -n 1) is the newest it needs"
needed=$(objdump -p "$DIST" | awk '$1 == "NEEDED" {print $2}')
check "objdump -p: NEEDED is glibc's libc alone ($(echo $needed))" \
	eval '[ "$(echo $needed)" = libc.so.6 ]'

# The chroot: the loader, those libraries, the file; mount points.
cp -L /lib64/ld-linux-x86-64.so.2 "$ROOT/lib64/" || fatal "setup: the loader in the chroot" /dev/null
for lib in $needed; do
	cp -L "/lib/x86_64-linux-gnu/$lib" "$ROOT/lib/x86_64-linux-gnu/" || fatal "setup: $lib in the chroot" /dev/null
done
: >"$ROOT/dev/null"
# The agent serves as an unprivileged user (nobody when there is no
# flowverify user): every host has one; glibc's own files lookup reads it.
mkdir -p "$ROOT/etc"
echo 'nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin' >"$ROOT/etc/passwd"
echo 'nogroup:x:65534:' >"$ROOT/etc/group"
IN_ROOT=(unshare --mount --propagation private -- bash -c '
	r=$1
	shift
	mount --bind /proc "$r/proc" && mount --bind /sys "$r/sys" &&
		mount --bind /sys/fs/bpf "$r/sys/fs/bpf" &&
		mount --rbind /run/netns "$r/run/netns" &&
		mount --bind /dev/null "$r/dev/null" || exit 125
	exec chroot "$r" /flowverify "$@"' in-root "$ROOT")
diag "chroot $ROOT: $(cd "$ROOT" && find . -type f | sort | paste -sd' ')"

# 4-5. Commands that attach nothing.
# flowverify-VERSION-ARCH: --version says VERSION.
want=
[[ $NAME == flowverify-*-* ]] && want=${NAME#flowverify-} want=${want%-*}
capture "$TMP/version" "${IN_ROOT[@]}" --version
check_run "chroot: --version prints flowverify ${want:-and a version}" 0 "$TMP/version" \
	grep -qx "flowverify ${want:-.*}" "$TMP/version" || diag_file "$TMP/version" "stdout: "
capture "$TMP/rules" "${IN_ROOT[@]}" rules --json
check_run "chroot: rules --json, the public subnet's inbound entries" 0 "$TMP/rules" \
	jq_ok "$TMP/rules" '.public.inbound | length > 0'

# 6-7. verify on a veth pair: B sends through A toward a documentation
# address, as a client through its NAT: on A, leg-1 requests.
if ! {
	veth_pair $A $B veth veth 10.77.0 &&
	ip -n $B route add 192.0.2.0/24 via 10.77.0.1
} >"$TMP/setup" 2>&1; then
	fatal "setup: namespaces $A and $B joined by a veth pair" "$TMP/setup"
fi
# send_ntp COUNT READY: COUNT requests from B (port 1123) to 192.0.2.1:123
# as soon as the file READY exists (at most 60 s on): started before the
# run under test, so that its start-up (python, ip netns exec) on a loaded
# machine is not taken from the run's window.
send_ntp() {
	ip netns exec $B python3 - "$1" "$2" <<'PY' && return 0
import os, socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("10.77.0.2", 1123))
end = time.monotonic() + 60
while not os.path.exists(sys.argv[2]):
    if time.monotonic() > end:
        sys.exit("no " + sys.argv[2] + " within 60 s")
    time.sleep(0.01)
for i in range(int(sys.argv[1])):
    # LI 0, version 4, mode 3; a random transmit timestamp (the cookie).
    s.sendto(bytes([0x23]) + bytes(39) + os.urandom(8), ("192.0.2.1", 123))
PY
	diag "sending $1 requests from $B failed"
	return 1
}
out=$TMP/verify.json
rm -f "$ROOT/tmp/verify.ready"
send_ntp 50 "$ROOT/tmp/verify.ready" &
sender=$!
pids+=("$sender")
bg_start "$out" "${IN_ROOT[@]}" verify --nat $A:veth --duration 3 --json --ready-file /tmp/verify.ready
pids+=("$BG_PID")
if bg_ready "$out" "$ROOT/tmp/verify.ready" "chroot: verify --nat $A:veth"; then
	held=$(progs_held "$BG_PID")
	wait "$sender"
	bg_sent "$out"
	bg_finish "$out"
	check_run "chroot: verify --nat $A:veth --duration 3 --json counted the 50 requests sent (exit 1: unanswered)" 1 "$out" \
		in_window "$out" 3 jq_ok "$out" '.legs[0].packets == 50' ||
		diag "legs: $(jq -c '[.legs[].packets]' "$out" 2>/dev/null)"
	check "chroot: verify detached everything: none of the programs it held is left" progs_gone $held
else
	not_ok "chroot: verify detached everything (it never ran)"
	touch "$ROOT/tmp/verify.ready" # lets the sender go
	wait "$sender"
fi

# 8. verify --agent, with no libcurl in the chroot: one line, exit 2.
one_line_libcurl() { [ "$(wc -l <"$1.err")" -eq 1 ] && grep -q 'needs libcurl on this host' "$1.err"; }
capture "$TMP/nocurl" "${IN_ROOT[@]}" verify --agent http://127.0.0.1:9 --duration 1
check_run "chroot: verify --agent without a libcurl on the host: one line, exit 2" 2 "$TMP/nocurl" \
	one_line_libcurl "$TMP/nocurl"

# 8b. --pcap: libpcap is loaded at run time (dist/pcap_runtime.c). In the
# chroot there is none: one line, exit 2, before anything is attached;
# outside it the host's writes the file (no traffic: exit 1, no packet).
capture "$TMP/nopcap" "${IN_ROOT[@]}" verify --nat $A:veth --duration 1 --pcap /tmp/x.pcap
check_run "chroot: verify --pcap without a libpcap on the host: one line, exit 2" 2 "$TMP/nopcap" \
	eval '[ "$(wc -l <"$TMP/nopcap.err")" -eq 1 ] && grep -q "needs libpcap on this host" "$TMP/nopcap.err"'
# 8c. A libpcap that lacks a function the build calls (here a library of
# that name with none): one line naming the function, exit 2.
echo 'int fv_not_libpcap;' >"$TMP/fake.c"
if cc -shared -o "$ROOT/lib/x86_64-linux-gnu/libpcap.so.0.8" "$TMP/fake.c" 2>"$TMP/fake.err"; then
	capture "$TMP/badpcap" "${IN_ROOT[@]}" verify --nat $A:veth --duration 1 --pcap /tmp/x.pcap
	check_run "chroot: verify --pcap with a libpcap that lacks its functions: one line naming the first, exit 2" 2 "$TMP/badpcap" \
		eval '[ "$(wc -l <"$TMP/badpcap.err")" -eq 1 ] && grep -q "libpcap.so.0.8 lacks pcap_open_dead_with_tstamp_precision" "$TMP/badpcap.err"'
	rm -f "$ROOT/lib/x86_64-linux-gnu/libpcap.so.0.8"
else
	not_ok "chroot: a stand-in libpcap.so.0.8 built (cc)"
	diag_file "$TMP/fake.err"
fi
capture "$TMP/pcap" "$DIST" verify --nat $A:veth --duration 1 --pcap "$TMP/d.pcap"
check_run "verify --pcap through the host's libpcap: a file tcpdump reads, the closing line" 1 "$TMP/pcap" \
	eval 'tcpdump -r "$TMP/d.pcap" 2>&1 | grep -q "LINUX_SLL2" && grep -q "^flowverify: pcap $TMP/d.pcap: 0 packets; 0 counted but not captured" "$TMP/pcap.err"'

# 9-10. doctor: libnftables is loaded at run time (dist/nft_runtime.c).
# In the chroot there is none: masquerade says unknown, naming it; outside
# it the host's lists the ruleset ($A has no nat chain: fail). ip_forward is
# 0 in a new namespace: exit 1 both times.
capture "$TMP/doc" "${IN_ROOT[@]}" doctor --nat $A:veth --json
check_run "chroot: doctor without a libnftables on the host: masquerade unknown, naming libnftables.so.1" 1 "$TMP/doc" \
	jq_ok "$TMP/doc" '.host_checks[] | select(.check == "masquerade") | .status == "unknown" and (.detail | contains("libnftables.so.1"))' ||
	diag_file "$TMP/doc" "stdout: "
capture "$TMP/doc2" "$DIST" doctor --nat $A:veth --json
check_run "doctor through the host's libnftables: the ruleset read (no nat chain in $A: fail)" 1 "$TMP/doc2" \
	jq_ok "$TMP/doc2" '.host_checks[] | select(.check == "masquerade") | .status == "fail" and (.detail | contains("no nat chain"))' ||
	diag_file "$TMP/doc2" "stdout: "

# 11-16. An agent in the chroot serving HTTPS (the static GnuTLS); verify
# --agent outside it asks it over HTTPS through the host's libcurl.
P=$(free_base 1 $((20000 + $$ % 20000)))
if ! openssl req -x509 -newkey rsa:2048 -nodes -keyout "$ROOT/tmp/key.pem" -out "$ROOT/tmp/cert.pem" \
	-days 1 -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 >"$TMP/openssl" 2>&1; then
	fatal "setup: a certificate for the agent (openssl)" "$TMP/openssl"
fi
chmod 600 "$ROOT/tmp/key.pem"
out=$TMP/agent
bg_start "$out" "${IN_ROOT[@]}" agent --nat $A:veth --listen 127.0.0.1:$P --instance $INST \
	--tls-cert /tmp/cert.pem --tls-key /tmp/key.pem --ready-file /tmp/agent.ready
pids+=("$BG_PID")
https() { curl -s -m 5 -o /dev/null -w '%{http_code}' --cacert "$ROOT/tmp/cert.pem" "https://127.0.0.1:$P$1"; }
if bg_ready "$out" "$ROOT/tmp/agent.ready" "chroot: agent with --tls-cert"; then
	check "chroot: the agent serves HTTPS (static GnuTLS): /healthz 200" \
		wait_until 20 eval '[ "$(https /healthz)" = 200 ]' || diag "/healthz: $(https /healthz)"
	check "chroot: the agent's /metrics over HTTPS: 200" eval '[ "$(https /metrics)" = 200 ]'
	capture "$TMP/remote" "$DIST" verify --agent "https://127.0.0.1:$P" --cacert "$ROOT/tmp/cert.pem" --duration 1
	check_run "verify --agent https://127.0.0.1:$P through the host's libcurl: its answer (no traffic: exit 1)" 1 \
		"$TMP/remote" grep -q "^agent https://127.0.0.1:$P (nat): " "$TMP/remote" ||
		diag_file "$TMP/remote" "stdout: "
	kill -TERM "$BG_PID"
	bg_finish "$out" 20
	check_run "chroot: the agent ends on SIGTERM, exit 0" 0 "$out"
else
	not_ok "chroot: the agent's /metrics over HTTPS (it never ran)"
	not_ok "verify --agent over HTTPS (no agent to ask)"
	not_ok "chroot: the agent ends on SIGTERM (it never ran)"
fi
capture "$TMP/clean" "${IN_ROOT[@]}" cleanup --instance $INST
check_run "chroot: cleanup --instance removes the agent's pins" 0 "$TMP/clean" test ! -e $PINS/$INST

check "no mount of ours left under the chroot" eval '! mounted_under "$ROOT"'
