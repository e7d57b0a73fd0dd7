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
	[server-down]=beyond_nat
)
FAULTS=(no-public-in-ephemeral no-public-in-ntp no-public-out-ntp
	no-public-out-client no-private-in-client no-private-out-ntp
	client-port-123 client-port-ephemeral no-ip-forward no-masquerade
	nat-firewall-drops-replies server-down)

we_made_lab=0
cleanup() {
	[ $we_made_lab -eq 1 ] && $FV lab down >/dev/null 2>&1
	rm -rf "$TMP"
}
trap cleanup EXIT

if $FV lab status 2>/dev/null | grep -q '^up'; then
	skip "a lab is already up that this test did not make; left alone"
	done_testing
	exit 0
fi

# verify_lab OUT NAT [extra args]: runs verify, keeps JSON and exit status.
verify_lab() {
	local out=$1 nat=$2; shift 2
	$FV verify --nat "$nat" --duration "$DUR" --json "$@" >"$out" 2>"$out.err"
	echo $? >"$out.rc"
}

expect_segment() {
	local out=$1 seg=$2
	jq_ok "$out" ".status == \"fault\" and .segment == \"$seg\"" &&
		[ "$(cat "$out.rc")" = 1 ]
}

for shape in one two; do
	if [ $shape = one ]; then nat=fv-nat:eth0; else nat=fv-nat:eth0,eth1; fi
	if ! $FV lab up --shape $shape >"$TMP/up.$shape" 2>&1; then
		not_ok "lab up --shape $shape"
		sed 's/^/# /' "$TMP/up.$shape"
		$FV lab down >/dev/null 2>&1
		continue
	fi
	we_made_lab=1
	ok "lab up --shape $shape (healthy lab self-check passed)"

	out=$TMP/healthy.$shape.json
	verify_lab "$out" "$nat" --client fv-client:eth0
	check "shape $shape healthy: status ok, exit 0" \
		jq_ok "$out" '.status == "ok" and .segment == null'
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
	[ "$(cat "$out.rc")" = 0 ] || diag "healthy exit status $(cat "$out.rc")"

	for fault in "${FAULTS[@]}"; do
		if ! $FV lab fault "$fault" >"$TMP/fault.log" 2>&1; then
			not_ok "shape $shape $fault: lab fault failed"
			sed 's/^/# /' "$TMP/fault.log"
			continue
		fi
		out=$TMP/$fault.$shape.json
		verify_lab "$out" "$nat" --client fv-client:eth0
		if expect_segment "$out" "${EXPECT[$fault]}"; then
			ok "shape $shape $fault -> ${EXPECT[$fault]}"
		else
			not_ok "shape $shape $fault -> ${EXPECT[$fault]}"
			diag "got: $(jq -c '{status, segment, exchanges, legs: [.legs[].packets]}' "$out" 2>/dev/null) rc=$(cat "$out.rc")"
			sed 's/^/# stderr: /' "$out.err"
		fi
	done

	# The seed's fault seen from the NAT alone, as an SRE would first run it.
	$FV lab fault no-public-in-ephemeral >/dev/null 2>&1
	out=$TMP/seed-nat-only.$shape.json
	verify_lab "$out" "$nat"
	check "shape $shape seed fault, NAT point only -> beyond_nat" \
		expect_segment "$out" beyond_nat
	check "shape $shape seed fault: leg 3 empty, leg 2 shows the NAT's outside port" \
		jq_ok "$out" '.legs[2].packets == 0 and (.legs[1].flows | length > 0)'

	$FV lab fault none >/dev/null 2>&1
	check "shape $shape: nothing left attached after verify" nothing_left
	check "lab down --shape $shape" $FV lab down
	we_made_lab=0
	check "shape $shape: no fv- lab namespaces left" \
		bash -c '! ip netns list | grep -qE "^fv-(client|router|nat|server)( |$)"'
done
done_testing
