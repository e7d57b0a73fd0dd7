#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# A real Prometheus (Debian's package) on loopback scrapes an agent over
# the lab with the alert rules of contrib/prometheus; the lab breaks (the
# seed's fault); through Prometheus's HTTP API: the leg series changed
# (requests still leave, replies stopped) and the beyond-NAT alert's
# expression fires.
#
# A check that something is absent (no alert) first makes sure Prometheus
# answered and evaluated every rule group after the moment the state it
# judges was set up (/api/v1/rules, lastEvaluation), and fails naming why
# if it never did. Waits poll with a deadline.
set -u
cd "$(dirname "$0")/../.."
. tests/e2e/lib.sh

NAT=$NS_NAT:eth0 CLIENT=$NS_CLIENT:eth0
BASE=$(free_base 2 $((20000 + ($$ + 7) % 20000)))
PA=$BASE PP=$((BASE + 1))
INST=e2e-prom-$$
API=http://127.0.0.1:$PP/api/v1
we_made_lab=0 agent= prom=

cleanup() {
	[ -n "$prom" ] && kill "$prom" 2>/dev/null && wait "$prom" 2>/dev/null
	[ -n "$agent" ] && kill "$agent" 2>/dev/null && wait "$agent" 2>/dev/null
	$FV cleanup --instance $INST >/dev/null 2>&1
	[ $we_made_lab -eq 1 ] && lab down >/dev/null 2>&1
	rm -rf "$TMP"
}
trap cleanup EXIT
# What it runs, copied (snapshot, lib.sh): others rebuild meanwhile.
snapshot FV FV_ATTACHED || { done_testing; exit 1; }

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

# query PROMQL: Prometheus's answer to an instant query in $TMP/q.json;
# fails unless it answered with status success.
query() {
	curl -s -m 10 --get --data-urlencode "query=$1" "$API/query" >"$TMP/q.json" &&
		jq_ok "$TMP/q.json" '.status == "success"'
}
# q PROMQL: the first sample's value of an instant query, or empty.
q() { query "$1" && jq -r '.data.result[0].value[1] // empty' "$TMP/q.json"; }
# has_result PROMQL: Prometheus answered, with at least one series.
has_result() { query "$1" && jq_ok "$TMP/q.json" '.data.result | length > 0'; }
# no_result PROMQL: Prometheus answered, with no series at all.
no_result() { query "$1" && jq_ok "$TMP/q.json" '.data.result == []'; }
# last_answer: what Prometheus last said, as a diagnostic.
last_answer() {
	if [ -s "$TMP/q.json" ]; then
		diag "Prometheus's last answer: $(head -c 400 "$TMP/q.json")"
	else
		diag "Prometheus did not answer the query"
	fi
}
# until_true SECONDS PROMQL: polls until the query has a result.
until_true() {
	wait_until "$1" has_result "$2" && return 0
	last_answer
	return 1
}

# evaluated_after T: Prometheus answered /api/v1/rules, it has rule groups,
# each was evaluated after T (seconds since the epoch, with a fraction)
# and every rule's last evaluation was healthy. lastEvaluation is RFC 3339
# with nanoseconds (and 0001-01-01 before the first evaluation).
evaluated_after() {
	curl -s -m 10 "$API/rules" >"$TMP/rules.json" &&
	jq -e --argjson t "$1" '
		def epoch: capture("^(?<d>[0-9-]+T[0-9:]{8})(?<f>\\.[0-9]+)?(?<z>Z|[+-][0-9]{2}:[0-9]{2})$") as $c |
			($c.d + "Z" | fromdateiso8601) + ("0" + ($c.f // "") | tonumber) -
			(if $c.z == "Z" then 0 else ($c.z[0:1] + "1" | tonumber) *
				(($c.z[1:3] | tonumber) * 3600 + ($c.z[4:6] | tonumber) * 60) end);
		.status == "success" and (.data.groups | length > 0) and
		all(.data.groups[]; (.lastEvaluation | epoch) > $t and all(.rules[]; .health == "ok"))' \
		"$TMP/rules.json" >/dev/null 2>&1
}
# rules_evaluated_since T WHAT: waits (60 s) for evaluated_after T; on
# failure a not_ok saying Prometheus never evaluated the rules after WHAT.
rules_evaluated_since() {
	wait_until 60 evaluated_after "$1" && return 0
	not_ok "Prometheus evaluated every rule group after $2"
	if [ -s "$TMP/rules.json" ]; then
		diag "none after $1 within 60 s; /api/v1/rules said: $(head -c 600 "$TMP/rules.json")"
	else
		diag "none after $1 within 60 s: Prometheus did not answer /api/v1/rules"
	fi
	return 1
}
# alert_states: "NAME=STATE ..." of the four loss alerts, from the last
# /api/v1/rules answer.
alert_states() {
	jq -r '[.data.groups[].rules[] | select(.type == "alerting" and (.name | test("^NtpRe"))) |
		"\(.name)=\(.state)"] | sort | join(" ")' "$TMP/rules.json" 2>/dev/null
}

up_and_ready() {
	[ -s "$TMP/ready" ] && curl -s -m 2 -o /dev/null -f http://127.0.0.1:$PP/-/ready
}
if ! wait_until 90 up_and_ready; then
	not_ok "agent and prometheus start (90 s)"
	diag_file "$TMP/agent.out" "agent: "
	diag_file "$TMP/prom.out" "prometheus: "
	done_testing
	exit 1
fi
ok "agent on 127.0.0.1:$PA and prometheus on 127.0.0.1:$PP started"

check "prometheus scrapes the agent: up == 1, replies counted on leg 3" \
	until_true 60 'up{job="flowverify"} == 1 and on(instance) flowverify_leg_packets_total{role="nat",leg="3"} > 0'

# Healthy: the rules judged the agent's healthy data (evaluated after it
# was scraped), and no loss alert is pending or firing.
t_healthy=$EPOCHREALTIME
if rules_evaluated_since "$t_healthy" "the healthy lab was scraped"; then
	if no_result 'ALERTS{alertname=~"NtpRe.*"}' &&
	   [ "$(alert_states)" = "NtpRepliesVanishBeforeClient=inactive NtpRepliesVanishBeyondNat=inactive NtpRepliesVanishInsideNat=inactive NtpRequestsNeverReachNat=inactive" ]; then
		ok "healthy: no alert expression fires (the four loss alerts inactive)"
	else
		not_ok "healthy: no alert expression fires (the four loss alerts inactive)"
		diag "rules: $(alert_states)"
		last_answer
	fi
fi

# The counters before the fault, read from Prometheus: numbers, or the
# checks below that compare with them cannot mean anything.
leg3_before=$(q 'flowverify_leg_packets_total{role="nat",leg="3"}')
leg2_before=$(q 'flowverify_leg_packets_total{role="nat",leg="2"}')
diag "before the fault: leg 2 = $leg2_before, leg 3 = $leg3_before"
if ! [[ $leg2_before =~ ^[0-9]+$ && $leg3_before =~ ^[0-9]+$ ]]; then
	not_ok "before the fault: Prometheus has the NAT's leg 2 and leg 3 counters"
	last_answer
elif lab_fault_set no-public-in-ephemeral; then
	check "broken: requests still leave the NAT (leg 2 grows)" \
		until_true 60 "flowverify_leg_packets_total{role=\"nat\",leg=\"2\"} > $leg2_before + 4"
	check "broken: replies stopped (leg 3 flat over the last 3 s)" \
		until_true 60 'increase(flowverify_leg_packets_total{role="nat",leg="3"}[3s]) == 0'
	check "broken: exchanges lost beyond the NAT are counted" \
		until_true 60 'flowverify_exchanges_lost_total{segment="beyond_nat"} > 0'
	check "broken: the agent's verdict gauge says beyond_nat" \
		until_true 60 'flowverify_verdict_segment{segment="beyond_nat"} == 1'
	# Its expression needs half the exchanges of the last 5 minutes lost.
	if until_true 180 'ALERTS{alertname="NtpRepliesVanishBeyondNat"}'; then
		state=$(jq -r '.data.result[0].metric.alertstate' "$TMP/q.json")
		ok "the alert NtpRepliesVanishBeyondNat fires (its expression holds; state $state)"
	else
		not_ok "the alert NtpRepliesVanishBeyondNat fires"
		diag "/api/v1/alerts: $(curl -s -m 10 "$API/alerts" | head -c 600)"
	fi
	# Judged on an evaluation after the one that raised it.
	t_alert=$EPOCHREALTIME
	if rules_evaluated_since "$t_alert" "the alert was seen"; then
		states=$(alert_states)
		if no_result 'ALERTS{alertname=~"NtpRepliesVanishInsideNat|NtpRepliesVanishBeforeClient|NtpRequestsNeverReachNat"}' &&
		   [[ $states =~ ^NtpRepliesVanishBeforeClient=inactive\ NtpRepliesVanishBeyondNat=(pending|firing)\ NtpRepliesVanishInsideNat=inactive\ NtpRequestsNeverReachNat=inactive$ ]]; then
			ok "and only that one of the loss alerts"
		else
			not_ok "and only that one of the loss alerts"
			diag "rules: $states"
			last_answer
		fi
	fi
else
	not_ok "broken: leg series, verdict and alerts (not run: lab fault no-public-in-ephemeral failed)"
fi

kill "$prom" && wait "$prom" 2>/dev/null
prom=
kill -TERM "$agent"
wait "$agent"
rc=$?
agent=
if [ $rc -eq 0 ]; then
	ok "the agent exits 0 on SIGTERM"
else
	not_ok "the agent exits 0 on SIGTERM"
	diag "exit status $rc"
	diag_file "$TMP/agent.out" "agent: "
fi
capture "$TMP/cleanup" $FV cleanup --instance $INST
check_run "cleanup removes its pins (exit 0)" 0 "$TMP/cleanup" test ! -e /sys/fs/bpf/flowverify/$INST
check "nothing left attached" lab_clean
check "lab down" quiet lab down
we_made_lab=0
check "no namespace of this suite's lab left" lab_gone
done_testing
