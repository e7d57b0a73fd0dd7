#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# The lab with real chronyd, nftables ACLs and the real kernel: for each
# NAT shape, the healthy lab and every fault, `verify --json` must name
# the segment we expect (written here, not taken from the code under test).
set -u
cd "$(dirname "$0")/../.."
. tests/e2e/lib.sh

DUR=${FV_E2E_DURATION:-3}
declare -A EXPECT=(
	[no-public-in-ephemeral]=beyond_nat
	[no-public-in-ntp]=client_to_nat
	[no-public-out-ntp]=beyond_nat
	[no-public-out-client]=nat_to_client
	[no-private-in-client]=nat_to_client
	[no-private-out-ntp]=client_to_nat
	[client-port-123]=beyond_nat
	[client-port-ephemeral]=nat_to_client
	[no-ip-forward]=inside_nat_request
	[no-masquerade]=nat_not_translating
	[nat-firewall-drops-replies]=inside_nat_reply
	[nat-port-exhausted]=inside_nat_request
	[server-down]=beyond_nat
)
FAULTS=(no-public-in-ephemeral no-public-in-ntp no-public-out-ntp
	no-public-out-client no-private-in-client no-private-out-ntp
	client-port-123 client-port-ephemeral no-ip-forward no-masquerade
	nat-firewall-drops-replies nat-port-exhausted server-down)

we_made_lab=0
cleanup() {
	[ $we_made_lab -eq 1 ] && lab down >/dev/null 2>&1
	rm -rf "$TMP"
}
trap cleanup EXIT

# verify_lab OUT NAT [extra args]: runs verify, keeps JSON, stderr and
# exit status.
verify_lab() {
	local out=$1 nat=$2; shift 2
	$FV verify --nat "$nat" --duration "$DUR" --json "$@" >"$out" 2>"$out.err"
	echo $? >"$out.rc"
}

# rc_is OUT N: verify's exit status was N.
rc_is() { [ "$(cat "$1.rc")" = "$2" ]; }

expect_segment() {
	local out=$1 seg=$2
	jq_ok "$out" ".status == \"fault\" and .segment == \"$seg\"" && rc_is "$out" 1
}

# What verify said and printed, as TAP diagnostics after a failed check.
report() {
	diag "got: $(jq -c '{status, segment, exchanges, legs: [.legs[].packets]}' "$1" 2>/dev/null) rc=$(cat "$1.rc")"
	sed 's/^/# stderr: /' "$1.err"
}

# set_fault NAME: switches the lab; a failure is a failed check, and the
# checks that needed that fault then fail on their own.
set_fault() {
	lab fault "$1" >"$TMP/fault.log" 2>&1 && return 0
	not_ok "lab fault $1"
	sed 's/^/# /' "$TMP/fault.log"
	return 1
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
	ok "lab up --shape $shape (healthy lab self-check passed)"

	out=$TMP/healthy.$shape.json
	verify_lab "$out" "$nat" --client $NS_CLIENT:eth0
	if jq_ok "$out" '.status == "ok" and .segment == null' && rc_is "$out" 0; then
		ok "shape $shape healthy: status ok, exit 0"
	else
		not_ok "shape $shape healthy: status ok, exit 0"
		report "$out"
	fi
	check "shape $shape healthy: all four legs have packets" \
		jq_ok "$out" '[.legs[] | .packets > 0] == [true, true, true, true]'
	check "shape $shape healthy: legs in order 1..4" \
		jq_ok "$out" '[.legs[].leg] == [1, 2, 3, 4]'
	check "shape $shape healthy: leg 1 from the client's pinned port 1123" \
		jq_ok "$out" '.legs[0].flows | any(.src == "10.0.1.10:1123" and .dst == "198.51.100.123:123")'
	check "shape $shape healthy: leg 2 leaves from the NAT's address" \
		jq_ok "$out" '.legs[1].flows | any(.src | startswith("10.0.0.5:"))'
	check "shape $shape healthy: leg 4 goes to the client's port" \
		jq_ok "$out" '.legs[3].flows | any(.dst == "10.0.1.10:1123")'
	check "shape $shape healthy: exchanges answered, none unanswered" \
		jq_ok "$out" '.exchanges.answered > 0 and .exchanges.unanswered == 0'
	if [ $shape = one ]; then
		check "shape one: all four legs cross the one interface eth0" \
			jq_ok "$out" '[.legs[].flows[].interface] | unique == ["eth0"]'
	else
		check "shape two: requests arrive on eth1 and leave on eth0" \
			jq_ok "$out" '(.legs[0].flows | all(.interface == "eth1")) and (.legs[1].flows | all(.interface == "eth0"))'
	fi

	for fault in "${FAULTS[@]}"; do
		out=$TMP/$fault.$shape.json
		: >"$out" >"$out.err"
		echo "(lab fault failed)" >"$out.rc"
		set_fault "$fault" && verify_lab "$out" "$nat" --client $NS_CLIENT:eth0
		if expect_segment "$out" "${EXPECT[$fault]}"; then
			ok "shape $shape $fault -> ${EXPECT[$fault]}, exit 1"
		else
			not_ok "shape $shape $fault -> ${EXPECT[$fault]}, exit 1"
			report "$out"
		fi
	done

	# The seed's fault seen from the NAT alone, as an SRE would first run it.
	out=$TMP/seed-nat-only.$shape.json
	set_fault no-public-in-ephemeral && verify_lab "$out" "$nat"
	check "shape $shape seed fault, NAT point only -> beyond_nat, exit 1" \
		expect_segment "$out" beyond_nat
	check "shape $shape seed fault: leg 3 empty, leg 2 shows the NAT's outside port" \
		jq_ok "$out" '.legs[2].packets == 0 and (.legs[1].flows | length > 0)'

	check "shape $shape: lab fault none" lab fault none
	check "shape $shape: nothing left attached after verify" lab_clean
	check "lab down --shape $shape" lab down
	we_made_lab=0
	check "shape $shape: no namespace of this lab left" lab_gone
done
done_testing
