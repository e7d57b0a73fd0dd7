// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* What a user types: point specs ([NETNS:]IFACE[,IFACE]) and numbers
 * (ports, seconds), parsed strictly; and endpoints as we print them.
 * Syntax only: no namespace is entered, no interface looked up. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <arpa/inet.h>
#include <getopt.h>
#include <cmocka.h>

#include "point.h"
#include "util.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* ---- fv_host_parse ---- */

struct parse_case {
	const char *name;
	const char *spec;
	bool ok;
	const char *netns; /* when ok */
	int n_ifaces;
	const char *ifnames[FV_MAX_IFACES];
};

#define IF15 "abcdefghijklmno" /* IF_NAMESIZE - 1: the longest */
#define IF16 "abcdefghijklmnop"
#define NS63 "n23456789012345678901234567890123456789012345678901234567890123"
#define NS64 NS63 "4"

/* Rejected: the rest of the case is unused. */
#define BAD(n, s)                     \
	{                             \
		n, s, false, NULL, 0, \
		{                     \
			NULL          \
		}                     \
	}

static const struct parse_case parse_cases[] = {
	{ "parse eth0", "eth0", true, "", 1, { "eth0" } },
	{ "parse fv-nat:eth0", "fv-nat:eth0", true, "fv-nat", 1, { "eth0" } },
	{ "parse ns:eth0,eth1", "ns:eth0,eth1", true, "ns", 2, { "eth0", "eth1" } },
	{ "parse eth0,eth1 without namespace",
	  "eth0,eth1",
	  true,
	  "",
	  2,
	  { "eth0", "eth1" } },
	{ "parse 15-char interface", "ns:" IF15, true, "ns", 1, { IF15 } },
	{ "parse 63-char namespace", NS63 ":eth0", true, NS63, 1, { "eth0" } },
	{ "parse 8 interfaces",
	  "ns:a,b,c,d,e,f,g,h",
	  true,
	  "ns",
	  8,
	  { "a", "b", "c", "d", "e", "f", "g", "h" } },
	{ "parse eth0 and eth0.100 are different",
	  "eth0,eth0.100",
	  true,
	  "",
	  2,
	  { "eth0", "eth0.100" } },
	BAD("parse rejects empty", ""),
	BAD("parse rejects :eth0 (empty namespace)", ":eth0"),
	BAD("parse rejects ns: (no interface)", "ns:"),
	BAD("parse rejects ns:eth0,,eth1", "ns:eth0,,eth1"),
	BAD("parse rejects trailing comma", "ns:eth0,"),
	BAD("parse rejects leading comma", ",eth0"),
	BAD("parse rejects a/b:eth0", "a/b:eth0"),
	BAD("parse rejects ..:eth0", "..:eth0"),
	BAD("parse rejects .:eth0", ".:eth0"),
	BAD("parse rejects 16-char interface", IF16),
	BAD("parse rejects 16-char interface in a list", "ns:eth0," IF16),
	BAD("parse rejects 64-char namespace", NS64 ":eth0"),
	BAD("parse rejects duplicate interface", "ns:eth0,eth0"),
	BAD("parse rejects duplicate interface not adjacent", "eth1,eth0,eth1"),
	BAD("parse rejects 9 interfaces", "ns:a,b,c,d,e,f,g,h,i"),
	BAD("parse rejects slash in interface", "ns:a/b"),
	BAD("parse rejects second colon", "ns:eth0:1"),
	BAD("parse rejects space in interface", "ns:eth 0"),
};

static void test_parse_case(void **state)
{
	const struct parse_case *c = *state;
	struct fv_host h;
	char err[256] = "";
	int ret, i;

	/* Stale content must not survive a parse. */
	memset(&h, 0xa5, sizeof(h));
	ret = fv_host_parse(c->spec, FV_ROLE_CLIENT, &h, err, sizeof(err));
	if (!c->ok) {
		if (ret != -EINVAL)
			print_error("%s: '%s' accepted\n", c->name, c->spec);
		assert_int_equal(ret, -EINVAL);
		/* One line saying what is wrong. */
		assert_true(strlen(err) > 0);
		assert_null(strchr(err, '\n'));
		return;
	}
	if (ret)
		print_error("%s: '%s' rejected: %s\n", c->name, c->spec, err);
	assert_int_equal(ret, 0);
	assert_int_equal(h.role, FV_ROLE_CLIENT);
	assert_string_equal(h.netns, c->netns);
	assert_int_equal(h.n_ifaces, c->n_ifaces);
	for (i = 0; i < c->n_ifaces; i++) {
		assert_string_equal(h.ifname[i], c->ifnames[i]);
		assert_int_equal(h.ifindex[i], 0);
	}
	assert_int_equal(h.n_addrs, 0);
}

static void test_parse_null_and_role(void **state)
{
	struct fv_host h;
	char err[128] = "";

	(void)state;
	assert_int_equal(fv_host_parse(NULL, FV_ROLE_NAT, &h, err, sizeof(err)),
			 -EINVAL);
	assert_true(strlen(err) > 0);
	assert_int_equal(fv_host_parse("eth0", FV_ROLE_NAT, &h, err, sizeof(err)),
			 0);
	assert_int_equal(h.role, FV_ROLE_NAT);
	assert_string_equal(fv_role_name(FV_ROLE_NAT), "nat");
	assert_string_equal(fv_role_name(FV_ROLE_CLIENT), "client");
}

/* A message longer than the caller's buffer is cut, not overrun. */
static void test_parse_small_err(void **state)
{
	struct fv_host h;
	char err[8];

	(void)state;
	memset(err, 'x', sizeof(err));
	assert_int_equal(fv_host_parse("a/b:eth0", FV_ROLE_NAT, &h, err, 4),
			 -EINVAL);
	assert_int_equal(strlen(err), 3);
	assert_int_equal(err[4], 'x');
}

static void test_is_local(void **state)
{
	static const uint8_t a[16] = { [10] = 0xff, [11] = 0xff, 10, 0, 0, 5 };
	static const uint8_t b[16] = { [10] = 0xff, [11] = 0xff, 10, 0, 0, 6 };
	struct fv_host h = { 0 };

	(void)state;
	assert_false(fv_host_is_local(&h, a));
	memcpy(h.addrs[h.n_addrs++], a, 16);
	assert_true(fv_host_is_local(&h, a));
	assert_false(fv_host_is_local(&h, b));
}

/* ---- endpoints ---- */

static void v4(uint8_t a[16], const char *s)
{
	memset(a, 0, 16);
	a[10] = a[11] = 0xff;
	assert_int_equal(inet_pton(AF_INET, s, a + 12), 1);
}

static void v6(uint8_t a[16], const char *s)
{
	assert_int_equal(inet_pton(AF_INET6, s, a), 1);
}

static void test_endpoint_v4(void **state)
{
	uint8_t a[16];
	char buf[64];

	(void)state;
	v4(a, "10.0.1.10");
	fv_format_endpoint(a, htons(1123), buf, sizeof(buf));
	assert_string_equal(buf, "10.0.1.10:1123");
	fv_format_addr(a, buf, sizeof(buf));
	assert_string_equal(buf, "10.0.1.10");
	v4(a, "255.255.255.255");
	fv_format_endpoint(a, htons(65535), buf, sizeof(buf));
	assert_string_equal(buf, "255.255.255.255:65535");
	v4(a, "0.0.0.0");
	fv_format_endpoint(a, 0, buf, sizeof(buf));
	assert_string_equal(buf, "0.0.0.0:0");
}

static void test_endpoint_v6(void **state)
{
	uint8_t a[16];
	char buf[64];

	(void)state;
	v6(a, "2001:db8::7b");
	fv_format_endpoint(a, htons(123), buf, sizeof(buf));
	assert_string_equal(buf, "[2001:db8::7b]:123");
	fv_format_addr(a, buf, sizeof(buf));
	assert_string_equal(buf, "2001:db8::7b");
	v6(a, "::1");
	fv_format_endpoint(a, htons(40123), buf, sizeof(buf));
	assert_string_equal(buf, "[::1]:40123");
	v6(a, "::");
	fv_format_endpoint(a, htons(123), buf, sizeof(buf));
	assert_string_equal(buf, "[::]:123");
	/* Not v4-mapped: ::fffe:... and ffff:: stay v6. */
	v6(a, "::fffe:a00:105");
	fv_format_endpoint(a, htons(123), buf, sizeof(buf));
	assert_string_equal(buf, "[::fffe:a00:105]:123");
	v6(a, "ffff::");
	fv_format_endpoint(a, htons(123), buf, sizeof(buf));
	assert_string_equal(buf, "[ffff::]:123");
	v6(a, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
	fv_format_endpoint(a, htons(65535), buf, sizeof(buf));
	assert_string_equal(buf,
			    "[ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff]:65535");
}

static void test_endpoint_truncates(void **state)
{
	uint8_t a[16];
	char buf[16];

	(void)state;
	memset(buf, 'x', sizeof(buf));
	v6(a, "2001:db8::7b");
	fv_format_endpoint(a, htons(123), buf, 8);
	assert_string_equal(buf, "[2001:d");
	assert_int_equal(buf[8], 'x');
}

/* ---- numbers ---- */

struct u64_case {
	const char *name;
	const char *s;
	uint64_t min, max;
	int ret;
	uint64_t want;
};

static const struct u64_case u64_cases[] = {
	{ "u64 empty", "", 0, UINT64_MAX, -EINVAL, 0 },
	{ "u64 -1", "-1", 0, UINT64_MAX, -EINVAL, 0 },
	{ "u64 +1", "+1", 0, UINT64_MAX, -EINVAL, 0 },
	{ "u64 1x", "1x", 0, UINT64_MAX, -EINVAL, 0 },
	{ "u64 leading space", " 1", 0, UINT64_MAX, -EINVAL, 0 },
	{ "u64 leading tab", "\t1", 0, UINT64_MAX, -EINVAL, 0 },
	{ "u64 leading newline then -1", "\n-1", 0, UINT64_MAX, -EINVAL, 0 },
	{ "u64 trailing space", "1 ", 0, UINT64_MAX, -EINVAL, 0 },
	{ "u64 trailing newline", "1\n", 0, UINT64_MAX, -EINVAL, 0 },
	{ "u64 hex", "0x10", 0, UINT64_MAX, -EINVAL, 0 },
	{ "u64 1e309", "1e309", 0, UINT64_MAX, -EINVAL, 0 },
	{ "u64 nan", "nan", 0, UINT64_MAX, -EINVAL, 0 },
	{ "u64 0.5", "0.5", 0, UINT64_MAX, -EINVAL, 0 },
	{ "u64 0 with min 0", "0", 0, 10, 0, 0 },
	{ "u64 0 below port min 1", "0", 1, 65535, -ERANGE, 0 },
	{ "u64 port 1", "1", 1, 65535, 0, 1 },
	{ "u64 port 65535", "65535", 1, 65535, 0, 65535 },
	{ "u64 port 65536 out of range", "65536", 1, 65535, -ERANGE, 0 },
	{ "u64 leading zeros are decimal", "0123", 1, 65535, 0, 123 },
	{ "u64 max", "18446744073709551615", 0, UINT64_MAX, 0, UINT64_MAX },
	{ "u64 max + 1 overflows", "18446744073709551616", 0, UINT64_MAX,
	  -ERANGE, 0 },
	{ "u64 far overflow", "99999999999999999999999", 0, UINT64_MAX, -ERANGE,
	  0 },
};

static void test_u64_case(void **state)
{
	const struct u64_case *c = *state;
	uint64_t out = 0xdeadbeef;
	int ret = fv_parse_u64(c->s, c->min, c->max, &out);

	if (ret != c->ret)
		print_error("%s: got %d (out %llu), want %d\n", c->name, ret,
			    (unsigned long long)out, c->ret);
	assert_int_equal(ret, c->ret);
	/* Untouched on failure, so a default survives a bad value. */
	assert_int_equal(out, c->ret ? 0xdeadbeef : c->want);
}

struct sec_case {
	const char *name;
	const char *s;
	double max;
	int ret; /* 1: any error */
	double want;
};

static const struct sec_case sec_cases[] = {
	{ "seconds empty", "", 60, -EINVAL, 0 },
	{ "seconds -1", "-1", 60, -EINVAL, 0 },
	{ "seconds +1", "+1", 60, -EINVAL, 0 },
	{ "seconds 1x", "1x", 60, -EINVAL, 0 },
	{ "seconds leading space", " 1", 60, -EINVAL, 0 },
	{ "seconds leading tab", "\t1", 60, -EINVAL, 0 },
	{ "seconds trailing space", "1 ", 60, -EINVAL, 0 },
	{ "seconds 0", "0", 60, -ERANGE, 0 },
	{ "seconds 0.0", "0.0", 60, -ERANGE, 0 },
	{ "seconds 1e309", "1e309", 60, 1, 0 },
	{ "seconds nan", "nan", 60, 1, 0 },
	{ "seconds inf", "inf", 60, 1, 0 },
	{ "seconds hex is not decimal", "0x10", 60, 1, 0 },
	{ "seconds 0.5", "0.5", 60, 0, 0.5 },
	{ "seconds 3", "3", 60, 0, 3 },
	{ "seconds at max", "60", 60, 0, 60 },
	{ "seconds over max", "60.001", 60, -ERANGE, 0 },
	{ "seconds 65536 over max", "65536", 65535, -ERANGE, 0 },
	{ "seconds smallest fraction", "0.001", 60, 0, 0.001 },
};

static void test_sec_case(void **state)
{
	const struct sec_case *c = *state;
	double out = -7;
	int ret = fv_parse_seconds(c->s, c->max, &out);

	if (c->ret == 1 ? ret >= 0 : ret != c->ret)
		print_error("%s: got %d (out %g), want %d\n", c->name, ret, out,
			    c->ret);
	if (c->ret == 1)
		assert_true(ret < 0);
	else
		assert_int_equal(ret, c->ret);
	if (ret)
		assert_true(out == -7);
	else
		assert_true(out == c->want);
}

static void test_parse_null_numbers(void **state)
{
	uint64_t u = 5;
	double d = 5;

	(void)state;
	assert_int_equal(fv_parse_u64(NULL, 0, 10, &u), -EINVAL);
	assert_int_equal(fv_parse_seconds(NULL, 10, &d), -EINVAL);
	assert_int_equal(u, 5);
	assert_true(d == 5);
}

/* The points of one command line: --nat once, clients up to the limit,
 * no interface in two points. */
static void test_points_add(void **state)
{
	struct fv_points p = { 0 };
	char err[128];
	int i;

	(void)state;
	assert_int_equal(fv_points_add(&p, FV_ROLE_NAT, "ns1:eth0,eth1", err,
				       sizeof(err)),
			 0);
	assert_int_equal(fv_points_add(&p, FV_ROLE_NAT, "ns2:eth0", err,
				       sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, "--nat given twice"));
	for (i = 1; i < FV_MAX_POINTS; i++)
		assert_int_equal(fv_points_add(&p, FV_ROLE_CLIENT, "c:eth0",
					       err, sizeof(err)),
				 0);
	assert_int_equal(fv_points_add(&p, FV_ROLE_CLIENT, "d:eth0", err,
				       sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, "too many points"));
	assert_int_equal(p.n, FV_MAX_POINTS);
	assert_true(p.have_nat);
	assert_int_equal(fv_points_add(&p, FV_ROLE_CLIENT, "bad:", err,
				       sizeof(err)),
			 -EINVAL);
}

static void test_points_finish(void **state)
{
	struct fv_points p = { 0 };
	char err[128];

	(void)state;
	assert_int_equal(fv_points_add(&p, FV_ROLE_NAT, "ns1:eth0,eth1", err,
				       sizeof(err)),
			 0);
	assert_int_equal(fv_points_add(&p, FV_ROLE_CLIENT, "ns2:eth1", err,
				       sizeof(err)),
			 0);
	assert_int_equal(fv_points_finish(&p, FV_INGRESS_XDP, true, err,
					  sizeof(err)),
			 0);
	assert_true(p.hosts[0].ingress == FV_INGRESS_XDP &&
		    p.hosts[1].ingress == FV_INGRESS_XDP);
	assert_true(p.hosts[0].xdp_reset_ok && p.hosts[1].xdp_reset_ok);
	/* Same name, same namespace: refused, naming both options. */
	assert_int_equal(fv_points_add(&p, FV_ROLE_CLIENT, "ns1:eth1", err,
				       sizeof(err)),
			 0);
	assert_int_equal(fv_points_finish(&p, FV_INGRESS_TC, false, err,
					  sizeof(err)),
			 -EINVAL);
	assert_string_equal(
		err, "interface ns1:eth1 given twice (in --nat and --client)");
}

static void test_opt_once(void **state)
{
	static const struct option opts[] = {
		{ "port", required_argument, NULL, 1 },
		{ "json", no_argument, NULL, 2 },
		{ "window", required_argument, NULL, 3 },
		{},
	};
	uint64_t seen = 0;

	(void)state;
	assert_int_equal(fv_opt_once(opts, 1, &seen), 0);
	assert_int_equal(fv_opt_once(opts, 3, &seen), 0);
	/* A flag may repeat; an unknown option is getopt's to report. */
	assert_int_equal(fv_opt_once(opts, 2, &seen), 0);
	assert_int_equal(fv_opt_once(opts, 2, &seen), 0);
	assert_int_equal(fv_opt_once(opts, '?', &seen), 0);
	assert_int_equal(fv_opt_once(opts, 1, &seen), -EINVAL);
	assert_int_equal(fv_opt_once(opts, 3, &seen), -EINVAL);
}

int main(void)
{
	static const struct CMUnitTest fixed[] = {
		cmocka_unit_test(test_parse_null_and_role),
		cmocka_unit_test(test_parse_small_err),
		cmocka_unit_test(test_is_local),
		cmocka_unit_test(test_endpoint_v4),
		cmocka_unit_test(test_endpoint_v6),
		cmocka_unit_test(test_endpoint_truncates),
		cmocka_unit_test(test_parse_null_numbers),
		cmocka_unit_test(test_points_add),
		cmocka_unit_test(test_points_finish),
		cmocka_unit_test(test_opt_once),
	};
	size_t n = ARRAY_SIZE(fixed) + ARRAY_SIZE(parse_cases) +
		   ARRAY_SIZE(u64_cases) + ARRAY_SIZE(sec_cases);
	struct CMUnitTest *tests = calloc(n, sizeof(*tests));
	size_t i, k = 0;
	int ret;

	if (!tests)
		return 1;
	for (i = 0; i < ARRAY_SIZE(parse_cases); i++) {
		tests[k].name = parse_cases[i].name;
		tests[k].test_func = test_parse_case;
		tests[k++].initial_state = (void *)&parse_cases[i];
	}
	for (i = 0; i < ARRAY_SIZE(fixed); i++)
		tests[k++] = fixed[i];
	for (i = 0; i < ARRAY_SIZE(u64_cases); i++) {
		tests[k].name = u64_cases[i].name;
		tests[k].test_func = test_u64_case;
		tests[k++].initial_state = (void *)&u64_cases[i];
	}
	for (i = 0; i < ARRAY_SIZE(sec_cases); i++) {
		tests[k].name = sec_cases[i].name;
		tests[k].test_func = test_sec_case;
		tests[k++].initial_state = (void *)&sec_cases[i];
	}
	ret = _cmocka_run_group_tests("point", tests, k, NULL, NULL);
	free(tests);
	return ret;
}
