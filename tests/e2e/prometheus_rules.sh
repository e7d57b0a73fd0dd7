#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# The Prometheus side in contrib/prometheus: the alert rules are valid and
# pass their unit tests (promtool test rules), the scrape example is a
# valid config, the Grafana dashboard is JSON with the four legs.
# promtool's exit status is checked exactly (0 passed, 1 failed) and what
# it said is shown when a check fails.
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

capture "$TMP/check" promtool check rules $P/flowverify.rules.yml
check_run "alert rules are valid (promtool check rules: exit 0)" 0 "$TMP/check" ||
	diag_file "$TMP/check" "stdout: "
capture "$TMP/test" promtool test rules $P/flowverify.rules.test.yml
check_run "alert rules pass their unit tests (promtool test rules: exit 0)" 0 "$TMP/test" ||
	diag_file "$TMP/test" "stdout: "

# The unit tests can fail: a rule that never fires must break them. The
# rules are copied beside a copy of the tests (which name them relative
# to themselves), once as they are and once with the loss alerts'
# threshold raised out of reach; only the threshold may differ, and only
# the four loss alerts may fail, so a missing file or a parse error is
# not taken for a caught threshold.
mkdir "$TMP/good" "$TMP/broken"
cp $P/flowverify.rules.yml $P/flowverify.rules.test.yml "$TMP/good/"
cp $P/flowverify.rules.test.yml "$TMP/broken/"
sed 's/>= 0.5/>= 2/' $P/flowverify.rules.yml >"$TMP/broken/flowverify.rules.yml"
changed=$(diff $P/flowverify.rules.yml "$TMP/broken/flowverify.rules.yml" | grep -c '^>')
check "the broken copy raises the threshold of the four loss alerts ($changed lines changed)" \
	test "$changed" -eq 4
capture "$TMP/good.out" promtool test rules "$TMP/good/flowverify.rules.test.yml"
check_run "the copied rules and tests pass as they are (exit 0)" 0 "$TMP/good.out" ||
	diag_file "$TMP/good.out" "stdout: "
capture "$TMP/broken.out" promtool test rules "$TMP/broken/flowverify.rules.test.yml"
failed_alerts() {
	[ "$(cat "$TMP/broken.out" "$TMP/broken.out.err" | grep -o 'alertname: [A-Za-z]*' | sort -u | paste -sd' ')" = \
	  "alertname: NtpRepliesVanishBeforeClient alertname: NtpRepliesVanishBeyondNat alertname: NtpRepliesVanishInsideNat alertname: NtpRequestsNeverReachNat" ] &&
		! grep -qi 'warning\|error' "$TMP/broken.out" "$TMP/broken.out.err"
}
check_run "the unit tests catch a broken threshold (exit 1, the four loss alerts and no other fail)" 1 \
	"$TMP/broken.out" failed_alerts || diag_file "$TMP/broken.out" "stdout: "

cp $P/prometheus.yml "$TMP/prometheus.yml"
sed -i "s|/etc/prometheus/flowverify.rules.yml|$PWD/$P/flowverify.rules.yml|" "$TMP/prometheus.yml"
check "the scrape config example names the rules (/etc/prometheus/flowverify.rules.yml)" \
	grep -qF "$PWD/$P/flowverify.rules.yml" "$TMP/prometheus.yml"
capture "$TMP/config" promtool check config "$TMP/prometheus.yml"
check_run "the scrape config example is valid (promtool check config: exit 0)" 0 "$TMP/config" ||
	diag_file "$TMP/config" "stdout: "
check "the Grafana dashboard has a panel per leg, by instance" \
	jq_ok contrib/grafana/flowverify.json \
	'[.panels[].targets[]?.expr] | map(select(test("flowverify_leg_packets_total"))) | length >= 1 and (. | join(" ") | test("by \\(instance, leg\\)|by \\(leg, instance\\)"))'
done_testing
