#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Terminal manners (issue 16): watch into a pipe prints plain frames, or
# with --json one object a line; colour follows --color and NO_COLOR, a
# terminal (a pty from script(1)) gets it and a pipe does not; a lost
# output (a full disk, a closed stdout) fails with one line; trace says
# "Ctrl-C" only when it runs until one; watch --duration exits like verify;
# `make demo`'s script writes no escape code into a pipe.
set -u
cd "$(dirname "$0")/../.."
. tests/e2e/lib.sh

NAT=$NS_NAT:eth0 CLIENT=$NS_CLIENT:eth0
DEMO=d$$
we_made_lab=0 demo_ran=0
cleanup() {
	[ $we_made_lab -eq 1 ] && lab down >/dev/null 2>&1
	[ $demo_ran -eq 1 ] && $FV lab --instance $DEMO down >/dev/null 2>&1
	rm -rf "$TMP"
}
trap cleanup EXIT
snapshot FV || { done_testing; exit 1; }
ESC=$'\033'

# no_esc FILE: FILE holds no escape character.
no_esc() { ! grep -q "$ESC" "$1"; }
# one_line FILE WORDS: FILE is exactly one line, "flowverify: ...WORDS...".
one_line() { [ "$(wc -l <"$1")" -eq 1 ] && grep -q "^flowverify: .*$2" "$1"; }
# on_tty OUT COMMAND...: COMMAND on a pseudo-terminal (script -e keeps its
# exit status), what it printed in OUT.
on_tty() {
	local out=$1
	shift
	capture "$out" script -qec "$*" /dev/null
}

lab_up

# 1. watch into a file: plain frames, one a second, no escape codes; its
# --duration ends by the verdict, 0 here (healthy).
out=$TMP/watch.txt
capture "$out" $FV watch --nat $NAT --client $CLIENT --duration 3
check_run "watch into a file: exit 0 by its healthy verdict" 0 "$out"
check "watch into a file: no escape codes" no_esc "$out"
check "watch into a file: a plain frame a second (at least 2)" \
	test "$(grep -c '^flowverify watch ' "$out")" -ge 2
check "watch --duration: no '(Ctrl-C to stop)'" eval "! grep -q Ctrl-C '$out'"

# 2. watch --json: NDJSON, every line a verify object.
out=$TMP/watch.ndjson
capture "$out" $FV watch --nat $NAT --client $CLIENT --duration 3 --json
check_run "watch --json: exit 0" 0 "$out"
check "watch --json: at least 2 lines, each one verify object" eval \
	"[ \$(wc -l <'$out') -ge 2 ] && jq -se 'length >= 2 and all(.[]; type == \"object\" and (.status | type) == \"string\" and has(\"legs\"))' '$out' >/dev/null"
check "watch --json: no escape codes" no_esc "$out"

# 3. On a terminal watch redraws the screen (home, clear).
out=$TMP/watch.tty
on_tty "$out" $FV watch --nat $NAT --duration 2
check_run "watch on a terminal: exit 0" 0 "$out" grep -qF "${ESC}[H${ESC}[2J" "$out"

# 4. Colour: only the verdict word, on a terminal or with --color always.
out=$TMP/color-always
capture "$out" $FV verify --nat $NAT --duration 2 --color always
check_run "verify --color always into a pipe: colour" 0 "$out" grep -qF "${ESC}[1;32mOK:${ESC}[0m" "$out"
out=$TMP/color-pipe
capture "$out" $FV verify --nat $NAT --duration 2
check_run "verify into a pipe: no colour" 0 "$out" no_esc "$out"
out=$TMP/color-tty
on_tty "$out" $FV verify --nat $NAT --duration 2
check_run "verify on a terminal: colour" 0 "$out" grep -qF "${ESC}[1;32mOK:" "$out"
out=$TMP/color-nocolor
NO_COLOR=1 on_tty "$out" $FV verify --nat $NAT --duration 2
check_run "NO_COLOR=1 on a terminal: no colour" 0 "$out" no_esc "$out"
out=$TMP/color-never
on_tty "$out" $FV verify --nat $NAT --duration 2 --color never
check_run "--color never on a terminal: no colour" 0 "$out" no_esc "$out"

# 5. A lost output: exit 2 and one line, never the verdict's 0.
$FV verify --nat $NAT --duration 2 --json >/dev/full 2>"$TMP/full.err"
check "verify --json > /dev/full: exit 2, one line" exited $? 2 one_line "$TMP/full.err" "cannot write the output: No space left on device" ||
	diag_file "$TMP/full.err" "stderr: "
$FV verify --nat $NAT --duration 2 >&- 2>"$TMP/closed.err"
check "verify with stdout closed: exit 2, one line" exited $? 2 one_line "$TMP/closed.err" "standard output is closed"
$FV watch --nat $NAT --duration 30 --json >/dev/full 2>"$TMP/wfull.err"
check "watch --json > /dev/full: stops, exit 2, one line" exited $? 2 one_line "$TMP/wfull.err" "cannot write the output"
$FV trace --nat $NAT --duration 30 --json >/dev/full 2>"$TMP/tfull.err"
check "trace --json > /dev/full: stops, exit 2, one line" exited $? 2 one_line "$TMP/tfull.err" "cannot write the output"

# 6. trace: "(Ctrl-C to stop)" only when it runs until one.
out=$TMP/trace-duration
capture "$out" $FV trace --nat $NAT --duration 2
check_run "trace --duration: exit 0, no 'Ctrl-C'" 0 "$out" eval "! grep -q Ctrl-C '$out.err'"
out=$TMP/trace-open
bg_start "$out" $FV trace --nat $NAT --ready-file "$TMP/trace.ready"
if bg_ready "$out" "$TMP/trace.ready" "trace until Ctrl-C"; then
	kill -INT "$BG_PID"
	wait "$BG_PID"
	check "trace without --duration: '(Ctrl-C to stop)', exit 0" exited $? 0 grep -q "Ctrl-C to stop" "$out.err"
fi

# 7. watch --duration with nothing to see exits 1, as verify (no traffic).
out=$TMP/watch-quiet
capture "$out" $FV watch --nat $NS_NAT:lo --duration 2
check_run "watch --duration with no traffic: exit 1" 1 "$out"

lab down >/dev/null 2>&1
we_made_lab=0

# 8. The demo into a pipe: no escape code anywhere (its own lab instance).
demo_ran=1
FV=$FV FV_DEMO_INSTANCE=$DEMO bash scripts/demo.sh >"$TMP/demo.out" 2>"$TMP/demo.err"
rc=$?
check "make demo into a pipe: exit 0, no escape codes" exited $rc 0 eval \
	"no_esc '$TMP/demo.out' && no_esc '$TMP/demo.err' && grep -q '^== 5' '$TMP/demo.out'"
[ $rc -eq 0 ] || diag_file "$TMP/demo.err" "demo: "
demo_ran=0
done_testing
