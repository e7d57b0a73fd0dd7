// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The host checks' pure parts (user/core/hostcheck.h): an ENA-shaped
 * ethtool statistics table (this machine has no ENA), rp_filter's
 * effective value, /proc/net/stat/nf_conntrack from a fixture, the
 * conntrack verdict, and the masquerade check over rulesets in
 * libnftables' JSON. Run from the top of the tree (the fixtures). */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "hostcheck.h"
#include "legs.h"
#include "report.h"
#include "session.h"

#define FIXTURES "tests/fixtures/hostcheck/"

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf;
	long n;

	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = malloc(n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, n, f), (size_t)n);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

/* What `ethtool -S eth0` shows on an ENA interface (ena 2.x), trimmed. */
static const char ena_names[][32] = {
	"tx_timeout",
	"suspend",
	"resume",
	"wd_expired",
	"interface_up",
	"interface_down",
	"admin_q_pause",
	"bw_in_allowance_exceeded",
	"bw_out_allowance_exceeded",
	"pps_allowance_exceeded",
	"conntrack_allowance_exceeded",
	"linklocal_allowance_exceeded",
	"conntrack_allowance_available",
	"queue_0_tx_cnt",
	"queue_0_rx_cnt",
};
#define ENA_N ((int)(sizeof(ena_names) / sizeof(ena_names[0])))

static void ena_snap(struct fv_nic_snap *s, uint64_t pps, uint64_t linklocal)
{
	uint64_t vals[ENA_N] = { 0 };

	vals[9] = pps;
	vals[11] = linklocal;
	vals[12] = 123456; /* available, not exceeded: never judged */
	memset(s, 0, sizeof(*s));
	snprintf(s->ifname, sizeof(s->ifname), "eth0");
	snprintf(s->driver, sizeof(s->driver), "ena");
	fv_nic_snap_from_table(s, ena_names, vals, ENA_N);
}

static void test_nic_ena_table(void **state)
{
	struct fv_nic_snap s;

	(void)state;
	ena_snap(&s, 7, 0);
	assert_int_equal(s.n_stats, ENA_N);
	for (int k = 0; k < FV_NIC_ALLOWANCE_N; k++)
		assert_true(s.has[k]);
	assert_int_equal(s.val[2], 7); /* pps_allowance_exceeded */
	assert_int_equal(s.val[4], 0);
}

static void test_nic_ena_rise_fails(void **state)
{
	struct fv_nic_snap a, b;
	struct fv_check c;

	(void)state;
	ena_snap(&a, 10, 0);
	ena_snap(&b, 25, 3);
	fv_nic_allowance_check(&a, &b, 1, 5.0, &c);
	assert_string_equal(c.name, "nic_allowance");
	assert_int_equal(c.status, FV_CHECK_FAIL);
	assert_non_null(strstr(c.detail, "pps_allowance_exceeded 25 (+15)"));
	assert_non_null(strstr(c.detail, "linklocal_allowance_exceeded 3 (+3)"));
	assert_non_null(strstr(c.cause, "pps_allowance_exceeded +15"));
}

static void test_nic_ena_totals_warn_zero_ok(void **state)
{
	struct fv_nic_snap a, b;
	struct fv_check c;

	(void)state;
	/* Counted before the window, not during it. */
	ena_snap(&a, 10, 0);
	ena_snap(&b, 10, 0);
	fv_nic_allowance_check(&a, &b, 1, 5.0, &c);
	assert_int_equal(c.status, FV_CHECK_WARN);
	assert_string_equal(c.cause, "");
	/* No window: totals only, never a rise. */
	ena_snap(&b, 99, 0);
	fv_nic_allowance_check(&a, &b, 1, 0, &c);
	assert_int_equal(c.status, FV_CHECK_WARN);
	ena_snap(&a, 0, 0);
	ena_snap(&b, 0, 0);
	fv_nic_allowance_check(&a, &b, 1, 5.0, &c);
	assert_int_equal(c.status, FV_CHECK_OK);
	assert_non_null(strstr(c.detail, "every allowance counter is 0"));
}

static void test_nic_veth_unknown(void **state)
{
	static const char names[][32] = { "peer_ifindex",
					  "rx_queue_0_xdp_packets",
					  "rx_queue_0_xdp_drops" };
	uint64_t vals[3] = { 5, 0, 0 };
	struct fv_nic_snap s = { .ifname = "eth0", .driver = "veth" };
	struct fv_check c;

	(void)state;
	fv_nic_snap_from_table(&s, names, vals, 3);
	fv_nic_allowance_check(&s, &s, 1, 1.0, &c);
	assert_int_equal(c.status, FV_CHECK_UNKNOWN);
	assert_non_null(strstr(c.detail, "eth0 (veth)"));
	/* An ENA interface beside it decides. */
	{
		struct fv_nic_snap two[2];

		two[0] = s;
		ena_snap(&two[1], 0, 0);
		fv_nic_allowance_check(two, two, 2, 1.0, &c);
		assert_int_equal(c.status, FV_CHECK_OK);
	}
}

static void test_rp_filter_effective(void **state)
{
	(void)state;
	assert_int_equal(fv_rp_filter_effective(0, 0), 0);
	assert_int_equal(fv_rp_filter_effective(0, 1), 1);
	assert_int_equal(fv_rp_filter_effective(1, 0), 1);
	assert_int_equal(fv_rp_filter_effective(2, 1), 2);
	assert_int_equal(fv_rp_filter_effective(1, 2), 2);
}

static void test_ct_stats_parse(void **state)
{
	char *text = slurp(FIXTURES "nf_conntrack.txt");
	struct fv_ct_stats s;

	(void)state;
	assert_int_equal(fv_ct_stats_parse(text, &s), 0);
	/* Two CPUs, hex; "entries" (global) is not summed. */
	assert_int_equal(s.insert_failed, 0x11 + 0x34);
	assert_int_equal(s.drop, 0x11 + 0x34);
	assert_int_equal(s.early_drop, 0x2);
	assert_int_equal(s.invalid, 0x3 + 0x1);
	free(text);
	assert_int_equal(fv_ct_stats_parse("", &s), -EINVAL);
	assert_int_equal(fv_ct_stats_parse("entries drop\n1 2\n", &s), -EINVAL);
	assert_int_equal(fv_ct_stats_parse("drop early_drop insert_failed\n", &s),
			 -EINVAL);
	assert_int_equal(fv_ct_stats_parse("drop early_drop insert_failed\n1 2\n",
					   &s),
			 -EINVAL);
	assert_int_equal(fv_ct_stats_parse("drop early_drop insert_failed\n1 x 3\n",
					   &s),
			 -EINVAL);
	/* Columns in another order, found by name. */
	assert_int_equal(fv_ct_stats_parse("insert_failed early_drop drop\n"
					   "a 0 1\nb 0 2\n",
					   &s),
			 0);
	assert_int_equal(s.insert_failed, 21);
	assert_int_equal(s.drop, 3);
}

static void test_conntrack_check(void **state)
{
	struct fv_ct_stats a = { 0 }, b = { .drop = 4, .insert_failed = 4 };
	struct fv_check c;

	(void)state;
	fv_conntrack_check(10, 1000, &a, &b, 2.0, &c);
	assert_int_equal(c.status, FV_CHECK_FAIL);
	assert_non_null(strstr(c.detail, "insert_failed +4"));
	assert_non_null(strstr(c.cause, "dropping packets"));
	/* The same totals with no window: a warning. */
	fv_conntrack_check(10, 1000, &b, &b, 0, &c);
	assert_int_equal(c.status, FV_CHECK_WARN);
	fv_conntrack_check(10, 1000, &a, &a, 2.0, &c);
	assert_int_equal(c.status, FV_CHECK_OK);
	fv_conntrack_check(801, 1000, &a, &a, 0, &c);
	assert_int_equal(c.status, FV_CHECK_WARN);
	fv_conntrack_check(800, 1000, &a, &a, 0, &c);
	assert_int_equal(c.status, FV_CHECK_OK);
	fv_conntrack_check(1000, 1000, &a, &a, 0, &c);
	assert_int_equal(c.status, FV_CHECK_FAIL);
	assert_non_null(strstr(c.cause, "full"));
	fv_conntrack_check(-1, -1, NULL, NULL, 0, &c);
	assert_int_equal(c.status, FV_CHECK_UNKNOWN);
}

static void cidr(const char *s, struct fv_cidr *c)
{
	assert_int_equal(fv_cidr_parse(s, c), 0);
}

static void test_cidr(void **state)
{
	struct fv_cidr a, b;
	char buf[64];

	(void)state;
	cidr("10.0.0.0/16", &a);
	cidr("10.0.1.0/24", &b);
	assert_true(fv_cidr_covers(&a, &b));
	assert_false(fv_cidr_covers(&b, &a));
	fv_cidr_format(&b, buf, sizeof(buf));
	assert_string_equal(buf, "10.0.1.0/24");
	cidr("10.0.1.10", &b);
	fv_cidr_format(&b, buf, sizeof(buf));
	assert_string_equal(buf, "10.0.1.10/32");
	cidr("fd00::/64", &b);
	assert_false(b.v4);
	assert_false(fv_cidr_covers(&a, &b));
	assert_int_equal(fv_cidr_parse("10.0.1.1/24", &a), -EINVAL);
	assert_int_equal(fv_cidr_parse("10.0.1.0/33", &a), -EINVAL);
	assert_int_equal(fv_cidr_parse("eth0", &a), -EINVAL);
	assert_int_equal(fv_cidr_parse("", &a), -EINVAL);
}

/* The check's detail, kept until the next call. */
static const char *masq(const char *file, const char *oif, const char *client,
			enum fv_check_status want)
{
	static struct fv_check chk;
	char *json = slurp(file);
	struct fv_cidr c;

	if (client)
		cidr(client, &c);
	fv_masquerade_check_json(json, oif, client ? &c : NULL, client ? 1 : 0,
				 &chk);
	if (chk.status != want)
		fail_msg("%s %s %s: %s, want %s: %s", file, oif,
			 client ? client : "-", fv_check_status_name(chk.status),
			 fv_check_status_name(want), chk.detail);
	if (want == FV_CHECK_FAIL)
		assert_true(chk.cause[0]);
	free(json);
	return chk.detail;
}

static void test_masquerade_lab(void **state)
{
	(void)state;
	/* oifname "eth0" ip saddr 10.0.1.0/24 masquerade */
	masq(FIXTURES "nft_lab.json", "eth0", "10.0.1.0/24", FV_CHECK_OK);
	masq(FIXTURES "nft_lab.json", "eth0", "10.0.1.10", FV_CHECK_OK);
	masq(FIXTURES "nft_lab.json", "eth0", NULL, FV_CHECK_OK);
	masq(FIXTURES "nft_lab.json", "eth1", "10.0.1.0/24", FV_CHECK_FAIL);
	masq(FIXTURES "nft_lab.json", "eth0", "10.0.2.0/24", FV_CHECK_FAIL);
	/* Wider than the rule: some clients go out untranslated. */
	masq(FIXTURES "nft_lab.json", "eth0", "10.0.0.0/16", FV_CHECK_FAIL);
	masq(FIXTURES "nft_lab.json", "eth0", "fd00::/64", FV_CHECK_FAIL);
}

static void test_masquerade_mixed(void **state)
{
	(void)state;
	/* snat on a set of names and a set of prefixes */
	masq(FIXTURES "nft_mixed.json", "eth9", "10.9.1.0/24", FV_CHECK_OK);
	/* jump sub, whose rule is ip saddr != 10.0.3.0/24 masquerade */
	masq(FIXTURES "nft_mixed.json", "eth0", "10.0.7.0/24", FV_CHECK_OK);
	/* oifname "et*" meta l4proto udp masquerade: any source */
	masq(FIXTURES "nft_mixed.json", "eth5", "192.168.0.0/24", FV_CHECK_OK);
	/* ip6 saddr fd00::/64 masquerade, in an inet table */
	masq(FIXTURES "nft_mixed.json", "wan0", "fd00::/64", FV_CHECK_OK);
	masq(FIXTURES "nft_mixed.json", "wan0", "fd01::/64", FV_CHECK_FAIL);
	/* oifname != "eth1" ip saddr 10.0.1.10 masquerade */
	/* ... not out of eth1, but "et*" (handle 7) takes it there */
	assert_non_null(strstr(masq(FIXTURES "nft_mixed.json", "eth1",
				    "10.0.1.10", FV_CHECK_OK),
			       "handle 7"));
	assert_non_null(strstr(masq(FIXTURES "nft_mixed.json", "wan0",
				    "10.0.1.10", FV_CHECK_OK),
			       "handle 9"));
}

static void test_masquerade_no_chain_bad_json(void **state)
{
	struct fv_check c;
	struct fv_cidr cl;

	(void)state;
	cidr("10.0.1.0/24", &cl);
	fv_masquerade_check_json("{\"nftables\": [{\"metainfo\": {}}]}", "eth0",
				 &cl, 1, &c);
	assert_int_equal(c.status, FV_CHECK_FAIL);
	assert_non_null(strstr(c.detail, "no nat chain"));
	fv_masquerade_check_json("not json", "eth0", &cl, 1, &c);
	assert_int_equal(c.status, FV_CHECK_UNKNOWN);
	fv_masquerade_check_json(NULL, "eth0", &cl, 1, &c);
	assert_int_equal(c.status, FV_CHECK_UNKNOWN);
}

/* A host checks result made by hand: ip_forward fails. */
static void failing(struct fv_host_checks *hc)
{
	memset(hc, 0, sizeof(*hc));
	hc->done = true;
	for (int i = 0; i < FV_HC_N; i++) {
		hc->checks[i].name = "x";
		hc->checks[i].status = FV_CHECK_OK;
	}
	hc->checks[FV_HC_IP_FORWARD].status = FV_CHECK_FAIL;
	snprintf(hc->checks[FV_HC_IP_FORWARD].cause, FV_CHECK_CAUSE_MAX,
		 "net.ipv4.ip_forward is 0 on the NAT host");
	hc->checks[FV_HC_CONNTRACK].status = FV_CHECK_UNKNOWN;
}

static void test_causes_prepend_join(void **state)
{
	struct fv_host_checks hc;
	const char *causes[FV_HC_N];
	char expl[160] =
		"inside_nat_request: no request left. Likely: ip_forward off";
	char *j;

	(void)state;
	failing(&hc);
	assert_true(fv_host_checks_failed(&hc));
	assert_int_equal(fv_host_checks_causes(&hc, causes, FV_HC_N), 1);
	fv_host_checks_prepend(&hc, expl, sizeof(expl));
	assert_string_equal(
		expl,
		"inside_nat_request: no request left. Likely: net.ipv4.ip_forward is 0 on the NAT host (host check); ip_forward off");
	/* Too small a buffer truncates, never overruns. */
	snprintf(expl, 50, "seg: x. Likely: a, b");
	fv_host_checks_prepend(&hc, expl, 50);
	assert_int_equal(strlen(expl), 49);
	j = fv_host_checks_join_causes(&hc, "a, b");
	assert_string_equal(j, "net.ipv4.ip_forward is 0 on the NAT host; a, b");
	free(j);
	j = fv_host_checks_join_causes(&hc, NULL);
	assert_string_equal(j, "net.ipv4.ip_forward is 0 on the NAT host");
	free(j);
	/* Unknown never counts as failing. */
	hc.checks[FV_HC_IP_FORWARD].status = FV_CHECK_UNKNOWN;
	assert_false(fv_host_checks_failed(&hc));
	snprintf(expl, sizeof(expl), "seg: x. Likely: a");
	fv_host_checks_prepend(&hc, expl, sizeof(expl));
	assert_string_equal(expl, "seg: x. Likely: a");
	assert_null(fv_host_checks_join_causes(&hc, NULL));
}

static void row_of(struct fv_flow_row *row, int point, enum fv_leg leg,
		   uint8_t mode, uint8_t src_last, const uint8_t dst[4],
		   uint64_t packets)
{
	memset(row, 0, sizeof(*row));
	row->point = point;
	row->leg = leg;
	row->key.mode = mode;
	row->key.saddr[10] = row->key.saddr[11] = 0xff;
	row->key.saddr[12] = 10;
	row->key.saddr[14] = 1;
	row->key.saddr[15] = src_last;
	row->key.daddr[10] = row->key.daddr[11] = 0xff;
	memcpy(row->key.daddr + 12, dst, 4);
	row->val.packets = packets;
}

/* time_service: absent unless a client point saw a request to a time
 * service on its link; then ok and saying so, with or without servers
 * beyond the NAT. */
static void test_time_service(void **state)
{
	static const uint8_t amazon[4] = { 169, 254, 169, 123 };
	static const uint8_t pool[4] = { 198, 51, 100, 123 };
	static struct fv_report r;
	struct fv_flow_row rows[2];
	struct fv_check c;

	(void)state;
	memset(&r, 0, sizeof(r));
	r.n_points = 1;
	r.points[0].role = FV_ROLE_NAT;
	r.rows = rows;
	row_of(&rows[0], 0, FV_LEG_1, FV_NTP_MODE_REQUEST, 10, pool, 4);
	r.n_rows = 1;
	fv_time_service_check(&r, &c);
	assert_null(c.name);

	r.n_points = 2;
	r.points[1].role = FV_ROLE_CLIENT;
	fv_time_service_check(&r, &c);
	assert_null(c.name); /* a client point, no such request */

	row_of(&rows[1], 1, FV_LEG_LINK_SERVICE, FV_NTP_MODE_REQUEST, 11,
	       amazon, 7);
	r.n_rows = 2;
	fv_time_service_check(&r, &c);
	assert_int_equal(c.status, FV_CHECK_OK);
	assert_non_null(strstr(c.detail, "10.0.1.11 asks 169.254.169.123"));
	assert_non_null(strstr(c.detail, "7 requests that never cross the NAT"));
	assert_non_null(strstr(
		c.detail,
		"0 requests to servers beyond it (the NAT's path is not used"));

	row_of(&rows[0], 1, FV_LEG_1, FV_NTP_MODE_REQUEST, 11, pool, 5);
	fv_time_service_check(&r, &c);
	assert_non_null(strstr(c.detail, "5 requests to servers beyond it"));
	assert_null(strstr(c.detail, "not used"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_nic_ena_table),
		cmocka_unit_test(test_nic_ena_rise_fails),
		cmocka_unit_test(test_nic_ena_totals_warn_zero_ok),
		cmocka_unit_test(test_nic_veth_unknown),
		cmocka_unit_test(test_rp_filter_effective),
		cmocka_unit_test(test_ct_stats_parse),
		cmocka_unit_test(test_conntrack_check),
		cmocka_unit_test(test_cidr),
		cmocka_unit_test(test_time_service),
		cmocka_unit_test(test_masquerade_lab),
		cmocka_unit_test(test_masquerade_mixed),
		cmocka_unit_test(test_masquerade_no_chain_bad_json),
		cmocka_unit_test(test_causes_prepend_join),
	};

	return cmocka_run_group_tests_name("hostcheck", tests, NULL, NULL);
}
