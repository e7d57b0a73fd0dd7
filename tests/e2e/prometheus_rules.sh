#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# The Prometheus side in contrib/prometheus: the alert rules are valid and
# pass their unit tests (promtool test rules), the scrape example is a
# valid config, the Grafana dashboard is JSON with the four legs.
set -u
cd "$(dirname "$0")/../.."
. tests/e2e/lib.sh
trap 'rm -rf "$TMP"' EXIT

P=contrib/prometheus
if ! command -v promtool >/dev/null; then
	skip "promtool missing (make deps installs prometheus)"
	done_testing
	exit 0
fi
check "alert rules are valid (promtool check rules)" \
	bash -c "promtool check rules $P/flowverify.rules.yml >'$TMP/check' 2>&1"
if promtool test rules $P/flowverify.rules.test.yml >"$TMP/test" 2>&1; then
	ok "alert rules pass their unit tests (promtool test rules)"
else
	not_ok "alert rules pass their unit tests (promtool test rules)"
	sed 's/^/# /' "$TMP/test" | head -40
fi
# The unit tests can fail: a rule that never fires must break them.
sed 's/>= 0.5/>= 2/' $P/flowverify.rules.yml >"$TMP/flowverify.rules.yml"
sed "s|flowverify.rules.yml|$TMP/flowverify.rules.yml|" $P/flowverify.rules.test.yml \
	>"$TMP/broken.test.yml"
check "the unit tests catch a broken threshold" \
	bash -c "! promtool test rules '$TMP/broken.test.yml' >/dev/null 2>&1"
cp $P/prometheus.yml "$TMP/prometheus.yml"
sed -i "s|/etc/prometheus/flowverify.rules.yml|$PWD/$P/flowverify.rules.yml|" "$TMP/prometheus.yml"
check "the scrape config example is valid (promtool check config)" \
	bash -c "promtool check config '$TMP/prometheus.yml' >/dev/null 2>&1"
check "the Grafana dashboard has a panel per leg, by instance" \
	jq_ok contrib/grafana/flowverify.json \
	'[.panels[].targets[]?.expr] | map(select(test("flowverify_leg_packets_total"))) | length >= 1 and (. | join(" ") | test("by \\(instance, leg\\)|by \\(leg, instance\\)"))'
done_testing
