#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# The demo behind `make demo`: a healthy lab, a verdict of ok, the seed's
# fault (the missing public inbound rule for the NAT's ephemeral ports), a
# verdict of beyond_nat with its explanation, and the lab torn down.
set -u
cd "$(dirname "$0")/.."
FV=${FV:-./flowverify}
# FV_DEMO_INSTANCE: a lab instance of its own (tests/e2e/terminal.sh runs
# the demo into a pipe beside other labs); the default lab without it.
if [ -n "${FV_DEMO_INSTANCE:-}" ]; then
	LAB="$FV lab --instance $FV_DEMO_INSTANCE"
	NAT=fv-$FV_DEMO_INSTANCE-nat:eth0
	CLIENT=fv-$FV_DEMO_INSTANCE-client:eth0
else
	LAB="$FV lab"
	NAT=fv-nat:eth0
	CLIENT=fv-client:eth0
fi

# Bold headings on a terminal only, and never under NO_COLOR: a pipe or a
# file gets plain text (flowverify's own --color auto does the same).
if [ -t 1 ] && [ -z "${NO_COLOR:-}" ]; then
	say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
else
	say() { printf '\n== %s\n' "$*"; }
fi
run() { printf '$ %s\n' "$*"; "$@"; }

if [ "$(id -u)" -ne 0 ]; then
	echo "demo: run as root (it builds network namespaces and attaches BPF programs)" >&2
	exit 2
fi
if $LAB status 2>/dev/null | grep -q '^up'; then
	echo "demo: a lab is already up; run '$LAB down' first" >&2
	exit 2
fi
made=0
trap '[ $made -eq 1 ] && { say "Tearing the lab down"; run $LAB down; }' EXIT

say "1. Build the lab: client 10.0.1.10 (private subnet) -> VPC router with stateless ACLs -> NAT instance 10.0.0.5 (one interface, like AWS) -> NTP server 198.51.100.123, real chronyd on both ends"
run $LAB up || exit 1
made=1

say "2. Watch the NAT (all four legs cross its eth0) and the client for 3 seconds"
run $FV verify --nat $NAT --client $CLIENT --duration 3
rc=$?
echo "(exit status $rc: 0 means the replies reach the watched client)"

say "3. Break it the way the team in our story did: drop the public subnet's inbound rule for UDP 1024-65535 (replies to the NAT's port)"
run $LAB fault no-public-in-ephemeral || exit 1

say "4. Same command. The replies now vanish; flowverify says where and why"
run $FV verify --nat $NAT --client $CLIENT --duration 3
rc=$?
echo "(exit status $rc: 1 means a fault was found)"

say "5. The same verdict as JSON, for scripts (status and segment only)"
$FV verify --nat $NAT --duration 3 --json | jq -c '{status, segment, legs: [.legs[] | {leg, packets}]}'
