#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Bad input: exit status 2, exactly one line on stderr naming the problem,
# nothing attached.
set -u
cd "$(dirname "$0")/../.."
. tests/e2e/lib.sh

NS=fv-bad-input
cleanup() {
	[ "${made:-0}" = 1 ] && ip netns del $NS 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT
if ! ip netns list | grep -qE "^$NS( |$)"; then
	ip netns add $NS && made=1
	ip -n $NS link set lo up
fi

# case NAME EXPECTED_STDERR_WORDS -- COMMAND...
bad() {
	local name=$1 want=$2; shift 3
	"$@" >"$TMP/out" 2>"$TMP/err"
	local rc=$? lines
	lines=$(wc -l <"$TMP/err")
	if [ $rc -eq 2 ] && [ "$lines" -eq 1 ] && grep -q -- "$want" "$TMP/err" &&
	   grep -q '^flowverify: ' "$TMP/err" && nothing_left; then
		ok "$name"
	else
		not_ok "$name"
		diag "exit $rc, $lines stderr lines: $(head -c 300 "$TMP/err")"
	fi
}

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
