#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# The matrix's core e2e set (docs/kernels.md), TAP, run inside each
# kernel's VM from the top of the tree (scripts/kernels/guest.sh): the lab,
# a healthy verify, the seed fault, a forward drop with its reason, the
# agent's /metrics, and the attach mode. Every expectation that depends on
# the kernel is read from the running kernel, never from its version:
#   tcx            BTF's enum bpf_attach_type has BPF_TCX_INGRESS (6.6)
#   drop reasons   BTF has enum skb_drop_reason's NETFILTER_DROP (5.17)
#   time ns        /proc/self/ns/time (5.6)
set -u
cd "$(dirname "$0")/../.."
. tests/e2e/lib.sh

DUR=${FV_E2E_DURATION:-3}
we_made_lab=0
APID=
cleanup() {
	[ -n "$APID" ] && kill -9 "$APID" 2>/dev/null
	[ $we_made_lab -eq 1 ] && lab down >/dev/null 2>&1
	rm -rf "$TMP"
}
trap cleanup EXIT

# --- What this kernel has (lib.sh: tc_mode, has_drop_reasons, has_timens) ---
has_tcx=0 has_reasons=0 has_timens=0
btf_has BPF_TCX_INGRESS && has_tcx=1
has_drop_reasons && has_reasons=1
has_timens && has_timens=1
check "this kernel's BTF could be read" btf_has BPF_CGROUP_INET_INGRESS
tc=$(tc_mode)
diag "kernel $(uname -r): tcx=$has_tcx drop_reasons=$has_reasons time_ns=$has_timens; flowverify attaches tc through $tc${FV_TC:+ (FV_TC=$FV_TC)}"

# run_verify OUT [ARGS]: verify --json on the lab's NAT and client.
run_verify() {
	local out=$1; shift
	capture "$out" $FV verify --nat "$NS_NAT:eth0" --client "$NS_CLIENT:eth0" \
		--duration "$DUR" --json "$@"
}
got() { diag "got: $(jq -c '{status, segment, legs: [.legs[].packets], drop_tracer, ifs: [.points[].interfaces[] | {ingress, egress}]}' "$1" 2>/dev/null | head -c 800)"; }

lab_up
ok "lab up (the lab's own healthy self-check passed)"

out=$TMP/healthy.json
run_verify "$out"
check_run "healthy lab: status ok, exit 0" 0 "$out" \
	jq_ok "$out" '.status == "ok" and .segment == null' || got "$out"
check_run "healthy lab: all four legs have packets" 0 "$out" \
	jq_ok "$out" '[.legs[] | .packets > 0] == [true, true, true, true]'
# The portable file (make dist) on this kernel: what docs/portable.md
# promises, on the lab's NAT.
if [ -n "${FVK_DIST:-}" ]; then
	out=$TMP/dist.json
	check "dist: $(basename "$FVK_DIST") --version, exit 0" quiet "$FVK_DIST" --version
	check "dist: rules, exit 0" quiet "$FVK_DIST" rules
	capture "$out" "$FVK_DIST" verify --nat "$NS_NAT:eth0" --client "$NS_CLIENT:eth0" \
		--duration "$DUR" --json
	check_run "dist: verify on the healthy lab, status ok, exit 0" 0 "$out" \
		jq_ok "$out" '.status == "ok"' || got "$out"
fi
# The attach mode against the kernel: tcx links from 6.6, clsact below.
check "attach mode: every egress is $tc-egress (tcx=$has_tcx, FV_TC=${FV_TC:-})" \
	jq_ok "$out" "[.points[].interfaces[].egress] | length > 0 and all(. == \"$tc-egress\")" ||
	got "$out"
check "attach mode: every tc ingress is $tc-ingress (XDP, asked for, aside)" \
	jq_ok "$out" "[.points[].interfaces[].ingress] | length > 0 and all(. == \"$tc-ingress\" or startswith(\"xdp-\"))" ||
	got "$out"

# The seed's fault.
out=$TMP/seed.json
if lab_fault_set no-public-in-ephemeral; then
	run_verify "$out"
	check_run "seed fault no-public-in-ephemeral -> beyond_nat, exit 1" 1 "$out" \
		jq_ok "$out" '.status == "fault" and .segment == "beyond_nat"' || got "$out"
fi

# A forward drop inside the NAT: the verdict with the default drop
# tracing on every kernel; the reason where the kernel has reasons.
out=$TMP/fwdrop.json
if lab_fault_set nat-firewall-drops-replies; then
	run_verify "$out"
	check_run "nat-firewall-drops-replies -> inside_nat_reply, exit 1" 1 "$out" \
		jq_ok "$out" '.status == "fault" and .segment == "inside_nat_reply"' || got "$out"
	out=$TMP/fwdrop-on.json
	run_verify "$out" --drops on
	if [ $has_reasons = 1 ]; then
		check_run "--drops on: NETFILTER_DROP on leg 3 in ip_forward (kernel has drop reasons)" 1 "$out" \
			jq_ok "$out" '.segment == "inside_nat_reply" and (.drops | any(.reason == "NETFILTER_DROP" and .leg == 3 and .route == "ip_forward" and .count > 0))' ||
			diag "drop tracer: $(jq -c '.drop_tracer, .drops' "$out" 2>/dev/null | head -c 800)"
	else
		# No reasons to give: the drop by its place (leg 3, ip_forward,
		# netfilter FORWARD), "reason": null, and a note saying why.
		check_run "--drops on, no drop reasons in this kernel: the drop on leg 3 in ip_forward by place, reason null, a note" 1 "$out" \
			jq_ok "$out" '.segment == "inside_nat_reply" and .drop_tracer.reasons == false and (.drop_tracer.note | test("no drop reasons")) and (.drops | length > 0 and all(.reason == null)) and (.drops | any(.leg == 3 and .route == "ip_forward" and .hook == "netfilter FORWARD" and .count > 0))' ||
			got "$out"
	fi
fi
check "lab fault none" quiet lab fault none

# The agent serves /metrics.
port=$((20000 + $$ % 20000))
$FV agent --nat "$NS_NAT:eth0" --listen 127.0.0.1:$port --instance "kmx$$" \
	--ready-file "$TMP/agent.ready" >"$TMP/agent.out" 2>"$TMP/agent.err" &
APID=$!
if wait_until 60 test -e "$TMP/agent.ready"; then
	ip netns exec "$NS_CLIENT" chronyc -n burst 4/4 >/dev/null 2>&1 || true
	curl -sf --max-time 20 "http://127.0.0.1:$port/metrics" >"$TMP/metrics"
	check "agent: /metrics serves flowverify_build_info and leg counters" \
		eval 'grep -q "^flowverify_build_info" "$TMP/metrics" && grep -q "^flowverify_" "$TMP/metrics"' ||
		diag_file "$TMP/agent.err" "agent: "
	kill -TERM "$APID"
	rc=0; wait "$APID" || rc=$?
	APID=
	check "agent: exits 0 on SIGTERM" test "$rc" = 0 || diag "exit status $rc"
	$FV cleanup --instance "kmx$$" >/dev/null 2>&1 || true
else
	not_ok "agent: ready within 60 s"
	diag_file "$TMP/agent.err" "agent: "
fi

check "nothing of ours left attached in the lab" lab_clean
check "lab down" quiet lab down
we_made_lab=0
check "no namespace of this lab left" lab_gone
done_testing
exit 0
