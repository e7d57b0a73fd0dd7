#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Bad input, table-driven, every command: exit status 2, exactly one line
# on stderr naming the problem, and nothing attached, pinned, left running
# or created (no new namespace, no new pin under /sys/fs/bpf/flowverify).
# A failing case shows the command's whole stderr as diagnostics.
set -u
cd "$(dirname "$0")/../.."
. tests/e2e/lib.sh

NS=fv-rel-bad$$
cleanup() {
	[ "${made:-0}" = 1 ] && ip netns del $NS 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT
# What it runs, copied (snapshot, lib.sh): others rebuild meanwhile.
snapshot FV FV_ATTACHED || { done_testing; exit 1; }
# Every case that names $NS needs it: without it they would fail (or pass)
# on "no network namespace" instead of the problem they are about.
if ! { ip netns add $NS && made=1 && ip -n $NS link set lo up; } >"$TMP/setup" 2>&1; then
	not_ok "setup: namespace $NS with lo up"
	diag_file "$TMP/setup" "setup: "
	done_testing
	exit 1
fi

# What a failed command must not leave, compared before and after (others
# may run flowverify on this machine at the same time): our programs
# attached in $NS, pins of the default agent instance,
# new namespaces, and processes of the command (found by a marker in
# their environment, which a daemon keeps).
# (ours_in, lib.sh: XDP and tcx per namespace through fv_attached, and
# clsact filters; verify puts its tc programs, tcx or clsact, on $NS's lo.)
attached() { ours_in $NS | grep -c .; }
# Without the tool, before and after would compare equal and pass.
[ -x "$FV_ATTACHED" ] || not_ok "$FV_ATTACHED is not built (make test builds it)"
# Other suites running meanwhile make and remove namespaces of their own,
# each named with its run's number (fv-t<pid>-nat, fv-rp<pid>-nat,
# fv-rel-a<pid>, fv-at-a<pid>): no command here can make a name with a
# number in it (the lab cases would make the default lab's, fv-nat ...),
# so those are not counted; any other new namespace is.
state() {
	find /sys/fs/bpf/flowverify/default 2>/dev/null
	ip netns list | awk '{print $1}' | grep -v '[0-9]'
}
marked() {
	grep -lz "^FV_BAD_INPUT_CASE=$1\$" /proc/[0-9]*/environ 2>/dev/null |
		cut -d/ -f3 | grep -vx "$$"
}

# bad NAME EXPECTED_STDERR_WORDS -- COMMAND...
bad() {
	local name=$1 want=$2; shift 3
	local before rc lines left att mark="$$-$((TAP_N + 1))"
	before=$(state | sort)
	att=$(attached)
	FV_BAD_INPUT_CASE=$mark timeout 60 "$@" >"$TMP/out" 2>"$TMP/err"
	rc=$?
	lines=$(wc -l <"$TMP/err")
	left=$(marked "$mark")
	# Only what appeared counts: another engineer's lab down is not ours.
	gained=$(comm -13 <(echo "$before") <(state | sort))
	[ "$(attached)" -le "$att" ] || gained="$gained programs attached in $NS"
	if [ $rc -eq 2 ] && [ "$lines" -eq 1 ] && grep -qF -- "$want" "$TMP/err" &&
	   grep -q '^flowverify: ' "$TMP/err" && [ -z "$left" ] && [ -z "$gained" ]; then
		ok "$name"
	else
		not_ok "$name"
		diag "exit $rc (want 2), $lines stderr lines (want 1, starting 'flowverify: ', with '$want'):"
		diag_file "$TMP/err" "stderr: "
		[ -z "$left" ] || diag "left running: $left"
		[ -z "$gained" ] || diag "left behind: $(echo $gained)"
	fi
}

# Files for the cases below.
printf '{"NetworkAcls": [' >"$TMP/truncated.json"
echo 'garbage' >"$TMP/garbage.acl"
mkdir "$TMP/adir"
printf 'fv:secret\n' >"$TMP/auth"
chmod 644 "$TMP/auth"

bad "no command" "no command" -- $FV
bad "unknown command" "unknown command 'frobnicate'" -- $FV frobnicate
bad "verify without --nat" "no NAT point" -- $FV verify --duration 1
bad "watch without --nat" "no NAT point" -- $FV watch
bad "unknown namespace" "no network namespace 'fv-no-such-ns'" -- $FV verify --nat fv-no-such-ns:eth0 --duration 1
bad "unknown interface" "no interface 'nosuch0'" -- $FV verify --nat $NS:nosuch0 --duration 1
bad "unknown interface among two" "no interface 'nosuch1'" -- $FV verify --nat $NS:lo,nosuch1 --duration 1
bad "unknown client interface" "no interface 'nosuch2'" -- $FV verify --nat $NS:lo --client $NS:nosuch2 --duration 1
bad "port 0" "bad --port '0'" -- $FV verify --nat $NS:lo --port 0
bad "port 70000" "bad --port '70000'" -- $FV verify --nat $NS:lo --port 70000
bad "port not a number" "bad --port 'ntp'" -- $FV verify --nat $NS:lo --port ntp
bad "negative duration" "bad --duration '-1'" -- $FV verify --nat $NS:lo --duration -1
bad "zero duration" "bad --duration '0'" -- $FV verify --nat $NS:lo --duration 0
bad "duration with junk" "bad --duration '3s'" -- $FV verify --nat $NS:lo --duration 3s
bad "bad reply timeout" "bad --reply-timeout 'x'" -- $FV verify --nat $NS:lo --reply-timeout x
bad "unknown option" "unknown option '--frob'" -- $FV verify --nat $NS:lo --frob
bad "stray argument" "unexpected argument 'extra'" -- $FV verify --nat $NS:lo extra
bad "--nat twice" "--nat given twice" -- $FV verify --nat $NS:lo --nat $NS:lo
bad "interface twice" "given twice" -- $FV verify --nat $NS:lo,lo
bad "bad namespace name" "bad namespace name" -- $FV verify --nat a/b:eth0
bad "empty interface" "bad interface name" -- $FV verify --nat $NS:
bad "interface name too long" "bad interface name" -- $FV verify --nat $NS:abcdefghijklmnopq
bad "lab: unknown fault" "unknown fault 'no-such-fault'" -- $FV lab up --fault no-such-fault
bad "lab: unknown shape" "shape" -- $FV lab up --shape three
bad "lab: unknown subcommand" "frob" -- $FV lab frob

# Conflicting and repeated options.
bad "same interface as NAT and client" "interface $NS:lo given twice" -- $FV verify --nat $NS:lo --client $NS:lo --duration 1
bad "--port twice" "--port given twice" -- $FV verify --nat $NS:lo --port 123 --port 124
bad "--duration twice" "--duration given twice" -- $FV verify --nat $NS:lo --duration 1 --duration 2
bad "newline in an interface name" "bad interface name 'lo?x'" -- $FV verify --nat "$NS:lo
x"
bad "bad --drops" "bad --drops 'sometimes'" -- $FV verify --nat $NS:lo --drops sometimes
# Terminal manners (issue 16): --color, a value left out, limits named.
bad "bad --color" "bad --color 'sometimes': expected auto, always or never" -- $FV verify --nat $NS:lo --color sometimes
bad "--nat without a value" "option '--nat' needs a value" -- $FV verify --nat
bad "trace: --duration without a value" "option '--duration' needs a value" -- $FV trace --nat $NS:lo --duration
bad "duration over the limit: says the limit" "bad --duration '700000': expected seconds in 0..604800" -- $FV verify --nat $NS:lo --duration 700000
bad "watch: zero window says the limit" "expected seconds in 0..604800" -- $FV watch --nat $NS:lo --window 0
# How ingress is hooked (issue 13; the rest in tests/e2e/ingress.sh).
bad "bad --ingress" "bad --ingress 'bogus': expected tc, xdp (native only) or xdp-generic" -- $FV verify --nat $NS:lo --ingress bogus
bad "--ingress xdp-native (not a name)" "bad --ingress 'xdp-native'" -- $FV watch --nat $NS:lo --ingress xdp-native
bad "--ingress twice" "--ingress given twice" -- $FV verify --nat $NS:lo --ingress tc --ingress xdp
bad "--xdp-reset-ok without --ingress" "--xdp-reset-ok applies to --ingress xdp only" -- $FV verify --nat $NS:lo --xdp-reset-ok
bad "--xdp-reset-ok with --ingress tc" "--xdp-reset-ok applies to --ingress xdp only" -- $FV watch --nat $NS:lo --ingress tc --xdp-reset-ok
bad "--xdp-reset-ok with --ingress xdp-generic" "--xdp-reset-ok applies to --ingress xdp only" -- $FV trace --nat $NS:lo --ingress xdp-generic --xdp-reset-ok
bad "agent: --xdp-reset-ok without --ingress xdp" "--xdp-reset-ok applies to --ingress xdp only" -- $FV agent --nat $NS:lo --xdp-reset-ok
bad "--xdp-reset-ok=yes" "option '--xdp-reset-ok' takes no value" -- $FV verify --nat $NS:lo --ingress xdp --xdp-reset-ok=yes
bad "--ingress xdp on lo (no native XDP)" "$NS:lo: the kernel refused native XDP" -- $FV verify --nat $NS:lo --ingress xdp --duration 1
bad "watch: zero window" "bad --window '0'" -- $FV watch --nat $NS:lo --window 0
bad "watch: window not a number" "bad --window 'abc'" -- $FV watch --nat $NS:lo --window abc
bad "trace: bad duration" "bad --duration 'x'" -- $FV trace --nat $NS:lo --json --duration x
bad "trace without --nat" "no NAT point" -- $FV trace
bad "trace with --acls" "--acls applies to verify and watch" -- $FV trace --nat $NS:lo --acls tests/fixtures/acl/aws-ntp.json

# Files: missing, malformed, a directory, an unknown ACL.
bad "--acls: no such file" "/nonexistent/acls.json: cannot read" -- $FV verify --nat $NS:lo --acls /nonexistent/acls.json
bad "--acls: truncated JSON" "truncated.json:1:17: bad JSON" -- $FV verify --nat $NS:lo --acls "$TMP/truncated.json"
bad "--acls: a directory" "adir: read error" -- $FV acl-check --acls "$TMP/adir"
bad "--public without --acls" "give --acls too" -- $FV verify --nat $NS:lo --public acl-1
bad "--public: unknown ACL" "no network ACL or subnet 'acl-nosuch'" -- $FV verify --nat $NS:lo --acls tests/fixtures/acl/aws-ntp.json --public acl-nosuch
bad "acl-check without --acls" "--acls FILE is needed" -- $FV acl-check
bad "acl-check: text form garbage" "garbage.acl:1: unknown line 'garbage'" -- $FV acl-check --acls "$TMP/garbage.acl"
bad "acl-check: CIDR /33" "'10.0.0.0/33' is not an IPv4 CIDR block" -- $FV acl-check --acls tests/fixtures/acl/bad-cidr-33.json
bad "acl-check: unknown --private" "no network ACL or subnet 'subnet-nosuch'" -- $FV acl-check --acls tests/fixtures/acl/aws-ntp.json --public acl-0a11ce0000000pub --private subnet-nosuch

# rules: addresses, ports and ranges, formats.
bad "rules: CIDR with host bits" "bad --vpc '10.0.0.1/16'" -- $FV rules --vpc 10.0.0.1/16
bad "rules: octet 300" "bad --vpc '300.0.0.0/8'" -- $FV rules --vpc 300.0.0.0/8
bad "rules: client port 0" "bad --client-port '0'" -- $FV rules --client-port 0
bad "rules: reversed range" "bad --client-port '2000-1000'" -- $FV rules --client-port 2000-1000
bad "rules: --json and --aws" "--json, --aws and --text exclude each other" -- $FV rules --json --aws
bad "rules: --vpc without a value" "option '--vpc' needs a value" -- $FV rules --vpc
bad "rules: --json=1 (takes no value)" "option '--json' takes no value" -- $FV rules --json=1
bad "cleanup: --instance twice" "--instance given twice" -- $FV cleanup --instance a --instance b

# Options a command would ignore are refused, each command its own table.
bad "trace --window (trace judges no window; it ran forever)" "unknown option '--window'" -- $FV trace --nat $NS:lo --window 3
bad "watch --json=1 (takes no value)" "option '--json' takes no value" -- $FV watch --nat $NS:lo --json=1
bad "verify --window (verify judges its --duration)" "unknown option '--window'" -- $FV verify --nat $NS:lo --window 3
bad "acl-check --aws (a rules format)" "unknown option '--aws'" -- $FV acl-check --acls tests/fixtures/acl/aws-ntp.json --aws

# lab: missing values, unreadable ACLs (nothing is built).
bad "lab up: --shape without value" "option '--shape' needs a value" -- $FV lab up --shape
bad "lab fault without a name" "name a fault, or none" -- $FV lab fault
bad "lab up: --acls missing" "/nonexistent: cannot read" -- $FV lab up --acls /nonexistent
bad "lab status: stray option" "unknown option '--frob'" -- $FV lab status --frob

# verify --agent: URLs and an agent that is not there (our namespace's
# own loopback: nothing leaves the machine).
bad "--agent with --nat" "'--nat' does not go with --agent" -- $FV verify --nat $NS:lo --agent http://127.0.0.1:1
bad "--agent: not http" "bad --agent 'ftp://x'" -- $FV verify --agent ftp://x
bad "--agent: nobody listening" "agent http://127.0.0.1:1 does not answer" -- ip netns exec $NS $(realpath $FV) verify --agent http://127.0.0.1:1

# agent: every refusal before anything is attached or pinned.
bad "agent without a point" "no point given" -- $FV agent
bad "agent: remote listen without --allow-remote" "add --allow-remote" -- $FV agent --nat $NS:lo --listen 0.0.0.0:9123
bad "agent: listen port 99999" "bad --listen '127.0.0.1:99999'" -- $FV agent --nat $NS:lo --listen 127.0.0.1:99999
bad "agent: auth file readable by others" "readable by group or others" -- $FV agent --nat $NS:lo --basic-auth-file "$TMP/auth"
bad "agent: --tls-cert without --tls-key" "--tls-cert and --tls-key go together" -- $FV agent --nat $NS:lo --tls-cert /nonexistent
bad "agent: zero connections" "bad --max-connections '0'" -- $FV agent --nat $NS:lo --max-connections 0
bad "agent: instance with a slash" "bad --instance '../x'" -- $FV agent --nat $NS:lo --instance ../x
bad "agent: unknown --user" "no user 'no-such-user-fv'" -- $FV agent --nat $NS:lo --user no-such-user-fv
bad "agent: negative window" "bad --window '-5'" -- $FV agent --nat $NS:lo --window -5
bad "agent: --port twice" "--port given twice" -- $FV agent --nat $NS:lo --port 123 --port 124
bad "agent: same interface as NAT and client" "interface $NS:lo given twice" -- $FV agent --nat $NS:lo --client $NS:lo
bad "agent: --nat twice" "--nat given twice" -- $FV agent --nat $NS:lo --nat $NS:lo
bad "agent: --public without --acls" "give --acls too" -- $FV agent --nat $NS:lo --public acl-1
bad "rules: --vpc twice" "--vpc given twice" -- $FV rules --vpc 10.0.0.0/16 --vpc 10.1.0.0/16
bad "cleanup: instance with a slash" "bad --instance '../../etc'" -- $FV cleanup --instance ../../etc
bad "cleanup: --all and --instance" "--all or --instance, not both" -- $FV cleanup --all --instance x
bad "cleanup --filters with a bad instance" "bad --instance '../x'" -- $FV cleanup --filters --instance ../x

# A failure after attaching: everything comes off again.
bad "ready file in a missing folder" "cannot create ready file /nonexistent/dir/ready" -- $FV verify --nat $NS:lo --ready-file /nonexistent/dir/ready --duration 1

if id nobody >/dev/null 2>&1 && command -v setpriv >/dev/null; then
	bad "not root" "needs root" -- setpriv --reuid=nobody --regid=nogroup \
		--clear-groups --inh-caps=-all $(realpath $FV) verify --nat $NS:lo --duration 1
else
	skip "not root: no 'nobody' user or no setpriv to drop privileges with"
fi
# A kernel without BTF, made by hiding /sys/kernel/btf in a private mount
# namespace: the real check, no test hook.
if command -v unshare >/dev/null; then
	bad "no BTF" "no BTF at /sys/kernel/btf/vmlinux" -- unshare -m bash -c \
		"mount -t tmpfs none /sys/kernel/btf && exec $FV verify --nat $NS:lo --duration 1"
else
	skip "no BTF: unshare is missing"
fi
done_testing
exit 0
