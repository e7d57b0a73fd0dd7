#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# A real Prometheus (Debian's package) on loopback scrapes an agent over
# the lab with the alert rules of contrib/prometheus; the lab breaks (the
# seed's fault); through Prometheus's HTTP API: the leg series changed
# (requests still leave, replies stopped) and the beyond-NAT alert's
# expression fires.
set -u
cd "$(dirname "$0")/../.."
. tests/e2e/lib.sh

NAT=$NS_NAT:eth0 CLIENT=$NS_CLIENT:eth0
BASE=$((20000 + ($$ + 7) % 20000))
PA=$BASE PP=$((BASE + 1))
INST=e2e-prom-$$
we_made_lab=0 agent= prom=

cleanup() {
	[ -n "$prom" ] && kill "$prom" 2>/dev/null && wait "$prom" 2>/dev/null
	[ -n "$agent" ] && kill "$agent" 2>/dev/null && wait "$agent" 2>/dev/null
	$FV cleanup --instance $INST >/dev/null 2>&1
	[ $we_made_lab -eq 1 ] && lab down >/dev/null 2>&1
	rm -rf "$TMP"
}
trap cleanup EXIT

if ! command -v prometheus >/dev/null; then
	skip "prometheus missing (make deps installs it)"
	done_testing
	exit 0
fi
lab_up

$FV agent --nat $NAT --client $CLIENT --listen 127.0.0.1:$PA --instance $INST \
	--window 5 --ready-file "$TMP/ready" >"$TMP/agent.out" 2>&1 &
agent=$!
cat >"$TMP/prometheus.yml" <<EOF2
global:
  scrape_interval: 1s
  evaluation_interval: 1s
rule_files:
  - $PWD/contrib/prometheus/flowverify.rules.yml
scrape_configs:
  - job_name: flowverify
    static_configs:
      - targets: ['127.0.0.1:$PA']
EOF2
prometheus --config.file="$TMP/prometheus.yml" --storage.tsdb.path="$TMP/data" \
	--web.listen-address=127.0.0.1:$PP --log.level=warn >"$TMP/prom.out" 2>&1 &
prom=$!

# q PROMQL: the first sample's value of an instant query, or empty.
q() {
	curl -s -m 5 --get --data-urlencode "query=$1" http://127.0.0.1:$PP/api/v1/query |
		jq -r '.data.result[0].value[1] // empty'
}
# until_true SECONDS PROMQL-CONDITION: waits until the query has a result.
until_true() {
	local i
	for i in $(seq $(($1 * 2))); do
		[ -n "$(q "$2")" ] && return 0
		sleep 0.5
	done
	return 1
}

ready=0
for _ in $(seq 100); do
	[ -s "$TMP/ready" ] && curl -s -m 1 http://127.0.0.1:$PP/-/ready >/dev/null && { ready=1; break; }
	sleep 0.2
done
if [ $ready -eq 0 ]; then
	not_ok "agent and prometheus start"
	sed 's/^/# /' "$TMP/agent.out" "$TMP/prom.out" | head -20
	done_testing
	exit 1
fi
ok "agent on 127.0.0.1:$PA and prometheus on 127.0.0.1:$PP started"

check "prometheus scrapes the agent: up == 1, replies counted on leg 3" \
	until_true 20 'up{job="flowverify"} == 1 and on(instance) flowverify_leg_packets_total{role="nat",leg="3"} > 0'
check "healthy: no alert expression fires" \
	test -z "$(q 'ALERTS{alertname=~"NtpReplies.*"}')"
leg3_before=$(q 'flowverify_leg_packets_total{role="nat",leg="3"}')
leg2_before=$(q 'flowverify_leg_packets_total{role="nat",leg="2"}')
diag "before the fault: leg 2 = $leg2_before, leg 3 = $leg3_before"

lab fault no-public-in-ephemeral >/dev/null 2>&1
sleep 3
check "broken: requests still leave the NAT (leg 2 grows)" \
	until_true 20 "flowverify_leg_packets_total{role=\"nat\",leg=\"2\"} > $leg2_before + 4"
check "broken: replies stopped (leg 3 flat over the last 3 s)" \
	until_true 10 'increase(flowverify_leg_packets_total{role="nat",leg="3"}[3s]) == 0'
check "broken: exchanges lost beyond the NAT are counted" \
	until_true 10 'flowverify_exchanges_lost_total{segment="beyond_nat"} > 0'
check "broken: the agent's verdict gauge says beyond_nat" \
	until_true 15 'flowverify_verdict_segment{segment="beyond_nat"} == 1'
if until_true 40 'ALERTS{alertname="NtpRepliesVanishBeyondNat"}'; then
	ok "the alert NtpRepliesVanishBeyondNat fires (its expression holds; state $(q 'ALERTS{alertname="NtpRepliesVanishBeyondNat"}' >/dev/null; curl -s http://127.0.0.1:$PP/api/v1/alerts | jq -r '[.data.alerts[] | select(.labels.alertname == "NtpRepliesVanishBeyondNat") | .state][0]'))"
else
	not_ok "the alert NtpRepliesVanishBeyondNat fires"
	curl -s http://127.0.0.1:$PP/api/v1/alerts | sed 's/^/# /'
fi
check "and only that one of the loss alerts" \
	test -z "$(q 'ALERTS{alertname=~"NtpRepliesVanishInsideNat|NtpRepliesVanishBeforeClient|NtpRequestsNeverReachNat"}')"

kill "$prom" && wait "$prom" 2>/dev/null
prom=
kill -TERM "$agent" && wait "$agent"
check "the agent exits 0 on SIGTERM" test $? -eq 0
agent=
check "cleanup removes its pins" bash -c "$FV cleanup --instance $INST >/dev/null && [ ! -e /sys/fs/bpf/flowverify/$INST ]"
check "nothing left attached" lab_clean
check "lab down" quiet lab down
we_made_lab=0
done_testing
