#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# The ACL model from outside: `rules` and `acl-check` against the contract
# and the checked-in fixtures, then the lab in both NAT shapes: each row of
# the required table removed in turn, the client on port 123 through
# masquerade and an ephemeral client port, `verify --acls` must name the
# entry that denies the lost leg; and `lab up --acls FILE` must enforce FILE.
# Expected values are written here, not taken from the code under test.
set -u
cd "$(dirname "$0")/../.."
. tests/e2e/lib.sh

FX=tests/fixtures/acl
PUB=acl-0a11ce0000000pub
PRIV=acl-0b0b000000000prv
DUR=${FV_E2E_DURATION:-3}

we_made_lab=0
cleanup() {
	[ $we_made_lab -eq 1 ] && lab down >/dev/null 2>&1
	rm -rf "$TMP"
}
trap cleanup EXIT

# ---- rules ----

$FV rules --vpc 10.0.0.0/16 --client-port 1123 --json >"$TMP/rules.json"
rc=$?
check "rules --json: exit 0, the four lists" \
	exited $rc 0 jq_ok "$TMP/rules.json" 'keys == ["private", "public"] and (.public | keys) == ["inbound", "outbound"] and (.private | keys) == ["inbound", "outbound"]'
check "rules --json: exactly the six required rows" \
	jq_ok "$TMP/rules.json" '[.public.inbound, .public.outbound, .private.inbound, .private.outbound | map({protocol, ports, cidr, action})] == [
		[{"protocol":"udp","ports":"123","cidr":"10.0.0.0/16","action":"allow"},
		 {"protocol":"udp","ports":"1024-65535","cidr":"0.0.0.0/0","action":"allow"}],
		[{"protocol":"udp","ports":"123","cidr":"0.0.0.0/0","action":"allow"},
		 {"protocol":"udp","ports":"1123","cidr":"10.0.0.0/16","action":"allow"}],
		[{"protocol":"udp","ports":"1123","cidr":"0.0.0.0/0","action":"allow"}],
		[{"protocol":"udp","ports":"123","cidr":"0.0.0.0/0","action":"allow"}]]'
$FV rules --client-port ephemeral --json >"$TMP/rules-eph.json"
check "rules --client-port ephemeral: client rows are 1024-65535" \
	jq_ok "$TMP/rules-eph.json" '.public.outbound[1].ports == "1024-65535" and .private.inbound[0].ports == "1024-65535"'
$FV rules --client-port 123 --nat-ports masquerade --json >"$TMP/rules-m.json"
check "rules --nat-ports masquerade, client 123: the NAT's reply ports are 1-511" \
	jq_ok "$TMP/rules-m.json" '.public.inbound[1].ports == "1-511"'
$FV rules --aws --public acl-A --private acl-B >"$TMP/rules.aws"
check "rules --aws: six create-network-acl-entry commands" \
	test "$(grep -c '^aws ec2 create-network-acl-entry --network-acl-id acl-[AB] ' "$TMP/rules.aws")" = 6
check "rules --aws: the seed's missing row" \
	grep -q -- '--network-acl-id acl-A --ingress --rule-number 110 --protocol udp --port-range From=1024,To=65535 --cidr-block 0.0.0.0/0 --rule-action allow' "$TMP/rules.aws"
$FV rules --text >"$TMP/rules.acl"
$FV acl-check --acls "$TMP/rules.acl" >/dev/null 2>&1
check "rules --text reads back, and acl-check passes it (exit 0)" test $? = 0
$FV rules --vpc 10.0.0.0/33 >/dev/null 2>"$TMP/err"
check "rules --vpc 10.0.0.0/33: exit 2, one line" \
	bash -c "[ $? = 2 ] && [ \$(wc -l <'$TMP/err') = 1 ]"

# ---- acl-check ----

# acl_check NAME EXIT JQ ARGS...: exit status and a jq assertion.
acl_check() {
	local name=$1 want=$2 expr=$3 rc; shift 3
	$FV acl-check "$@" --json >"$TMP/check.json" 2>"$TMP/check.err"
	rc=$?
	if [ $rc = "$want" ] && jq_ok "$TMP/check.json" "$expr"; then
		ok "$name"
	else
		not_ok "$name"
		diag "exit $rc (want $want): $(jq -c '[.legs[] | {leg, allowed, blocking: (.blocking | if . then {subnet, direction, rule} else null end)}]' "$TMP/check.json" 2>/dev/null) $(cat "$TMP/check.err")"
	fi
}

acl_check "acl-check AWS export: every leg allowed, exit 0" 0 \
	'[.legs[] | {leg, allowed, blocking}] == [range(1;5) | {leg: ., allowed: true, blocking: null}]' \
	--acls $FX/aws-ntp.json --public $PUB --private $PRIV --vpc 10.0.0.0/16 --client-port 1123
acl_check "acl-check by subnet ids" 0 '.acls == {"public": "'$PUB'", "private": "'$PRIV'"}' \
	--acls $FX/aws-ntp.json --public subnet-0pub000000000001 --private subnet-0prv000000000002
acl_check "acl-check seed export: leg 3 denied by public inbound '*', exit 1" 1 \
	'[.legs[].allowed] == [true, true, false, true] and (.legs[2].blocking | {subnet, direction, acl, rule}) == {"subnet": "public", "direction": "inbound", "acl": "'$PUB'", "rule": "*"}' \
	--acls $FX/aws-seed-fault.json --public $PUB --private $PRIV --vpc 10.0.0.0/16 --client-port 1123 --nat-ports 1024-65535
acl_check "acl-check client 123 behind masquerade: legs 3 and 4 denied" 1 \
	'[.legs[].allowed] == [true, true, false, false] and .legs[2].blocking.rule == "*" and (.legs[2].blocking.nearest | test("rule 110 allows UDP 1024-65535"))' \
	--acls $FX/aws-ntp.json --public $PUB --private $PRIV --client-port 123 --nat-ports masquerade
acl_check "acl-check ephemeral client: leg 4 denied at public outbound" 1 \
	'[.legs[].allowed] == [true, true, true, false] and .legs[3].blocking.subnet == "public" and .legs[3].blocking.direction == "outbound"' \
	--acls $FX/lab.acl --client-port ephemeral
acl_check "acl-check deny before allow: rule 90 named" 1 \
	'.legs[2].blocking.rule == 90 and .legs[2].blocking.acl == "acl-deny-public"' \
	--acls $FX/lab-deny-server.acl --servers 198.51.100.0/24

for f in $FX/bad-*; do
	$FV acl-check --acls "$f" --public $PUB --private $PRIV >"$TMP/out" 2>"$TMP/err"
	rc=$?
	if [ $rc = 2 ] && [ "$(wc -l <"$TMP/err")" = 1 ] && grep -qF "$f" "$TMP/err" && [ ! -s "$TMP/out" ]; then
		ok "malformed $(basename "$f"): exit 2, one line naming the file"
	else
		not_ok "malformed $(basename "$f"): exit $rc"
		sed 's/^/# /' "$TMP/err"
	fi
done
$FV acl-check --acls $FX/aws-ntp.json --public acl-nope --private $PRIV >/dev/null 2>"$TMP/err"
check "acl-check --public unknown id: exit 2, names it" \
	bash -c "[ $? = 2 ] && grep -q acl-nope '$TMP/err'"

# ---- the lab ----

if [ "$(id -u)" != 0 ]; then
	skip "lab: needs root"
	done_testing
	exit 0
fi

# The lab's ACL less the row a fault removes: what the router enforces.
without_row() {
	awk -v sec="$1" -v row="$2" '/^acl /{s = $3} !(s == sec && index($0, row) == 1)' $FX/lab.acl
}

# fault -> "segment leg subnet direction section row-prefix"
declare -A ROW=(
	[no-public-in-ephemeral]="beyond_nat 3 public inbound public inbound__110"
	[no-public-in-ntp]="client_to_nat 1 public inbound public inbound__100"
	[no-public-out-ntp]="beyond_nat 2 public outbound public outbound_100"
	[no-public-out-client]="nat_to_client 4 public outbound public outbound_110"
	[no-private-in-client]="nat_to_client 4 private inbound private inbound__100"
	[no-private-out-ntp]="client_to_nat 1 private outbound private outbound_100"
)
ROWS=(no-public-in-ephemeral no-public-in-ntp no-public-out-ntp
	no-public-out-client no-private-in-client no-private-out-ntp)

verify_lab() {
	local out=$1 nat=$2; shift 2
	$FV verify --nat "$nat" --client $NS_CLIENT:eth0 --duration "$DUR" --json "$@" \
		>"$out" 2>"$out.err"
	echo $? >"$out.rc"
}

# blocked OUT SEG LEG SUBNET DIR ACL RULE: the verdict (exit 1) and the entry.
blocked() {
	[ "$(cat "$1.rc")" = 1 ] && jq_ok "$1" ".status == \"fault\" and .segment == \"$2\" and .blocking.leg == $3 and
		.blocking.subnet == \"$4\" and .blocking.direction == \"$5\" and
		.blocking.acl == \"$6\" and .blocking.rule == $7"
}

report() {
	diag "got: $(jq -c '{status, segment, blocking: (.blocking | if . then {leg, subnet, direction, acl, rule} else null end)}' "$1" 2>/dev/null) rc=$(cat "$1.rc")"
	sed 's/^/# stderr: /' "$1.err"
}

for shape in one two; do
	if [ $shape = one ]; then nat=$NS_NAT:eth0; else nat=$NS_NAT:eth0,eth1; fi
	if ! lab up --shape $shape >"$TMP/up.$shape" 2>&1; then
		not_ok "lab up --shape $shape"
		sed 's/^/# /' "$TMP/up.$shape"
		lab down >/dev/null 2>&1
		continue
	fi
	we_made_lab=1
	ok "lab up --shape $shape"

	out=$TMP/healthy.$shape.json
	verify_lab "$out" "$nat" --acls $FX/lab.acl
	check "shape $shape healthy with --acls: ok, exit 0, blocking null" \
		exited "$(cat "$out.rc")" 0 jq_ok "$out" '.status == "ok" and .blocking == null'

	for fault in "${ROWS[@]}"; do
		read -r seg leg subnet dir sec row <<<"${ROW[$fault]}"
		row=${row//_/ }
		without_row "$sec" "$row" >"$TMP/$fault.acl"
		if [ "$(wc -l <"$TMP/$fault.acl")" != "$(($(wc -l <$FX/lab.acl) - 1))" ]; then
			not_ok "shape $shape $fault: fixture row '$row' not found"
			continue
		fi
		quiet lab fault "$fault" || { not_ok "lab fault $fault"; continue; }
		out=$TMP/$fault.$shape.json
		verify_lab "$out" "$nat" --acls "$TMP/$fault.acl"
		if blocked "$out" "$seg" "$leg" "$subnet" "$dir" "acl-lab-$subnet" '"*"'; then
			ok "shape $shape $fault: leg $leg, $subnet $dir default deny (*)"
		else
			not_ok "shape $shape $fault: leg $leg, $subnet $dir default deny (*)"
			report "$out"
		fi
	done

	# Without --acls: the required rows that could cause it.
	check "shape $shape: lab fault no-public-in-ephemeral" quiet lab fault no-public-in-ephemeral
	out=$TMP/rows.$shape.json
	verify_lab "$out" "$nat"
	check "shape $shape seed fault without --acls: exit 1, names public inbound rule 110" \
		exited "$(cat "$out.rc")" 1 jq_ok "$out" '.blocking == null and any(.acl_rows[]; .leg == 3 and .subnet == "public" and .direction == "inbound" and .rule == 110 and .ports == "1024-65535")'

	check "shape $shape: lab fault client-port-123" quiet lab fault client-port-123
	out=$TMP/port123.$shape.json
	verify_lab "$out" "$nat" --acls $FX/aws-ntp.json --public $PUB --private $PRIV
	if blocked "$out" beyond_nat 3 public inbound $PUB '"*"' &&
	   jq_ok "$out" '.blocking.port == 123 and (.blocking.sentence | test("kept the client.s source port 123"))'; then
		ok "shape $shape client port 123 through masquerade: public inbound has no rule for UDP 123, default deny"
	else
		not_ok "shape $shape client port 123 through masquerade"
		report "$out"
	fi

	check "shape $shape: lab fault client-port-ephemeral" quiet lab fault client-port-ephemeral
	out=$TMP/eph.$shape.json
	verify_lab "$out" "$nat" --acls $FX/lab.acl
	if blocked "$out" nat_to_client 4 public outbound acl-lab-public '"*"' &&
	   jq_ok "$out" '.blocking.port >= 1024 and .blocking.port != 1123 and (.blocking.nearest | test("rule 110"))'; then
		ok "shape $shape ephemeral client port: public outbound has no rule for it, default deny"
	else
		not_ok "shape $shape ephemeral client port"
		report "$out"
	fi

	check "shape $shape: nothing of ours attached after verify" lab_clean
	check "lab down --shape $shape" lab down
	we_made_lab=0

	# lab up --acls: the router enforces the file, through the same model.
	if [ $shape = one ]; then
		args=(--acls $FX/aws-seed-fault.json --public $PUB --private subnet-0prv000000000001)
		want=(beyond_nat 3 public inbound $PUB '"*"')
	else
		args=(--acls $FX/lab-deny-server.acl --public subnet-0pub000000000001)
		want=(beyond_nat 3 public inbound acl-deny-public 90)
	fi
	if ! lab up --shape $shape "${args[@]}" >"$TMP/upa.$shape" 2>&1; then
		not_ok "lab up --shape $shape ${args[*]}"
		sed 's/^/# /' "$TMP/upa.$shape"
		lab down >/dev/null 2>&1
		continue
	fi
	we_made_lab=1
	ok "lab up --shape $shape ${args[*]}"
	out=$TMP/upacls.$shape.json
	verify_lab "$out" "$nat" "${args[@]}"
	if blocked "$out" "${want[@]}"; then
		ok "shape $shape lab up --acls: verify names ${want[4]} rule ${want[5]}"
	else
		not_ok "shape $shape lab up --acls: verify names ${want[4]} rule ${want[5]}"
		report "$out"
	fi
	check "shape $shape --acls: nothing of ours attached after verify" lab_clean
	check "lab down after --acls" lab down
	we_made_lab=0
done

lab up --acls $FX/bad-cidr-33.json --public $PUB --private $PRIV >/dev/null 2>"$TMP/err"
rc=$?
check "lab up --acls with a malformed file: exit 2, nothing made" \
	bash -c "[ $rc = 2 ] && ! ip netns list | grep -qE '^fv-$LAB_INST-(client|router|nat|server)( |\$)'"
done_testing
