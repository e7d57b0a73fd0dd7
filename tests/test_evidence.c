// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The evidence writers without the kernel (docs/evidence.md): an SLL2
 * record from a frame (direction, interface, EtherType, source address,
 * the bytes after Ethernet), and the --report page from verify's JSON
 * made by hand: the X where each segment word puts it, text escaped, and
 * nothing that would make a browser ask outside. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "pcap.h"
#include "report_html.h"

static const uint8_t frame[] = {
	0x02, 0,    0,	  0,	0, 0x02, /* destination */
	0x02, 0,    0,	  0,	0, 0x01, /* source */
	0x08, 0x00,			 /* IPv4 */
	0x45, 0x00, 0x00, 0x4c,		 /* the rest: any bytes */
};

static void test_sll2_egress(void **state)
{
	uint8_t out[64];
	uint32_t n;

	(void)state;
	n = fv_pcap_sll2(out, sizeof(out), fv_pcap_ifindex(1, 2),
			 FV_HOOK_TC_EGRESS, frame, sizeof(frame));
	assert_int_equal(n, 20 + sizeof(frame) - 14);
	assert_int_equal(out[0] << 8 | out[1], 0x0800); /* protocol */
	assert_int_equal(out[2] | out[3], 0);		/* reserved */
	/* Interface 2002: the second host's ifindex 2. */
	assert_int_equal((uint32_t)out[4] << 24 | out[5] << 16 | out[6] << 8 |
				 out[7],
			 2002);
	assert_int_equal(out[8] << 8 | out[9], 1); /* ARPHRD_ETHER */
	assert_int_equal(out[10], 4);		   /* PACKET_OUTGOING */
	assert_int_equal(out[11], 6);
	assert_memory_equal(out + 12, frame + 6, 6); /* the source */
	assert_memory_equal(out + 20, frame + 14, sizeof(frame) - 14);
}

static void test_sll2_ingress_and_short(void **state)
{
	uint8_t out[64], bcast[sizeof(frame)];

	(void)state;
	assert_int_not_equal(fv_pcap_sll2(out, sizeof(out), 1001,
					  FV_HOOK_TC_INGRESS, frame,
					  sizeof(frame)),
			     0);
	assert_int_equal(out[10], 0); /* PACKET_HOST */
	memcpy(bcast, frame, sizeof(frame));
	memset(bcast, 0xff, 6);
	fv_pcap_sll2(out, sizeof(out), 1001, FV_HOOK_XDP, bcast, sizeof(bcast));
	assert_int_equal(out[10], 1); /* PACKET_BROADCAST */
	/* No Ethernet header, or no room: nothing. */
	assert_int_equal(fv_pcap_sll2(out, sizeof(out), 1001, FV_HOOK_XDP,
				      frame, 13),
			 0);
	assert_int_equal(fv_pcap_sll2(out, 20, 1001, FV_HOOK_XDP, frame,
				      sizeof(frame)),
			 0);
}

/* The page for a verdict made by hand; *buf is freed by the caller. */
static char *page(const char *status, const char *segment, const char *evidence)
{
	json_t *v = json_pack(
		"{s:s, s:s?, s:s, s:f, s:s,"
		" s:[{s:i, s:i, s:[{s:s, s:s}]}, {s:i, s:i, s:[{s:s, s:s}]},"
		"    {s:i, s:i, s:[]}, {s:i, s:i, s:[]}],"
		" s:[{s:s, s:s, s:i}],"
		" s:{s:{s:{s:i, s:f, s:f, s:f}}},"
		" s:[{s:s, s:s, s:s}], s:n, s:{s:i}}",
		"status", status, "segment", segment, "evidence", evidence,
		"duration_seconds", 3.0, "coverage", "nat", "legs", "leg", 1,
		"packets", 9, "flows", "src", "10.0.1.10:1123", "dst",
		"198.51.100.123:123", "leg", 2, "packets", 9, "flows", "src",
		"10.0.0.5:1123", "dst", "198.51.100.123:123", "leg", 3, "packets",
		0, "flows", "leg", 4, "packets", 0, "flows", "nat_mappings",
		"inside", "10.0.1.10:1123", "outside", "10.0.0.5:1123",
		"exchanges", 9, "exchanges", "latency_seconds", "client_to_nat",
		"count", 9, "p50", 0.0001, "p99", 0.0002, "max", 0.0003,
		"host_checks", "check", "ip_forward", "status", "ok", "detail",
		"net.ipv4.ip_forward is 1", "blocking", "kod", "replies", 0);
	json_t *xs = json_pack("[{s:s, s:s, s:s, s:[s, s, s]}]", "time",
			       "2026-11-30T12:00:00.000+00:00", "outcome",
			       "lost", "segment", "beyond_nat", "stages",
			       "client_sent", "nat_in", "nat_out");
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(v);
	assert_non_null(xs);
	assert_non_null(f);
	assert_int_equal(fv_report_html(f, v, xs, "flowverify verify --nat <x>"),
			 0);
	fclose(f);
	json_decref(xs);
	json_decref(v);
	return buf;
}

static void test_html_fault(void **state)
{
	char *p = page("fault", "beyond_nat",
		       "9 requests <script>alert(1)</script> & more");

	(void)state;
	assert_non_null(strstr(p, "<span id=\"segment\">beyond_nat</span>"));
	assert_non_null(strstr(p, "<svg id=\"legs\""));
	assert_non_null(strstr(p, "<svg id=\"ladder\""));
	/* The X between the NAT and the server, its word beneath. */
	assert_non_null(strstr(p, "class=\"stop\" d=\"M533 98"));
	assert_non_null(strstr(p, "class=\"stopword\">beyond_nat<"));
	assert_non_null(strstr(p, "outside 10.0.0.5:1123"));
	assert_non_null(strstr(p, "leg 1 request: 9 pkts"));
	assert_non_null(strstr(p, "lost at beyond_nat"));
	/* What came from outside is text, never markup. */
	assert_null(strstr(p, "<script"));
	assert_non_null(strstr(p, "&lt;script&gt;alert(1)&lt;/script&gt; &amp;"));
	assert_non_null(strstr(p, "flowverify verify --nat &lt;x&gt;"));
	/* Nothing a browser would fetch. */
	assert_null(strstr(p, "http"));
	assert_null(strstr(p, "src="));
	assert_null(strstr(p, "href="));
	free(p);
}

static void test_html_ok_has_no_x(void **state)
{
	char *p = page("ok", NULL, "replies reach the clients");

	(void)state;
	assert_null(strstr(p, "class=\"stopword\""));
	assert_null(strstr(p, "id=\"segment\""));
	assert_non_null(strstr(p, "<svg id=\"legs\""));
	free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sll2_egress),
		cmocka_unit_test(test_sll2_ingress_and_short),
		cmocka_unit_test(test_html_fault),
		cmocka_unit_test(test_html_ok_has_no_x),
	};

	return cmocka_run_group_tests_name("evidence", tests, NULL, NULL);
}
