// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* What the host checks read from outside (user/core/hostcheck.h): the
 * --clients CIDRs, /proc/net/stat/nf_conntrack and the nftables ruleset
 * as libnftables' JSON. The first byte picks the parser; the rest is the
 * input. Properties: a CIDR that parses prints back and parses the same;
 * every check ends with a status and a detail, and a fail with a cause. */
#include <errno.h>
#include <stdbool.h>
#include "fuzz.h"
#include "hostcheck.h"

static void cidr(const char *s)
{
	struct fv_cidr c, c2;
	char buf[64];

	if (fv_cidr_parse(s, &c))
		return;
	FZ_CHECK(c.prefix >= (c.v4 ? 96 : 0) && c.prefix <= 128);
	fv_cidr_format(&c, buf, sizeof(buf));
	FZ_CHECK(!fv_cidr_parse(buf, &c2));
	FZ_CHECK(!memcmp(&c, &c2, sizeof(c)) && fv_cidr_covers(&c, &c2));
}

static void check_done(const struct fv_check *c)
{
	FZ_CHECK(c->status >= FV_CHECK_OK && c->status <= FV_CHECK_UNKNOWN);
	FZ_CHECK(c->detail[0] && memchr(c->detail, '\0', sizeof(c->detail)));
	FZ_CHECK(c->status != FV_CHECK_FAIL || c->cause[0]);
}

static void ct(const char *s)
{
	struct fv_ct_stats a, b = { 0 };
	struct fv_check c;

	if (fv_ct_stats_parse(s, &a))
		return;
	fv_conntrack_check(1, 10, &b, &a, 1.0, &c);
	check_done(&c);
}

static void masq(const char *s, bool v6)
{
	struct fv_cidr cl;
	struct fv_check c;

	FZ_CHECK(!fv_cidr_parse(v6 ? "fd00::/64" : "10.0.1.0/24", &cl));
	fv_masquerade_check_json(s, "eth0", &cl, 1, &c);
	check_done(&c);
	fv_masquerade_check_json(s, "", NULL, 0, &c);
	check_done(&c);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s;

	if (!size)
		return 0;
	s = fz_cstr(data + 1, size - 1);
	if (!s)
		return 0;
	switch (data[0] % 3) {
	case 0: cidr(s); break;
	case 1: ct(s); break;
	case 2: masq(s, data[0] & 8); break;
	}
	free(s);
	return 0;
}
