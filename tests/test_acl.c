// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The network ACL model: AWS evaluation (rule order, first match, deny
 * before allow, overlapping ranges, protocol -1, IPv6, the default deny),
 * the parsers over checked-in fixtures, the required rules, the four legs,
 * the lab's nft rendering and live explanations. One test per case. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <errno.h>
#include <cmocka.h>

#include "acl.h"
#include "lab.h"
#include "report.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define FIXTURES      "tests/fixtures/acl/"

static void load_text(const char *text, struct acl_set *set)
{
	char err[512] = "";
	int ret = acl_load_text("test", text, set, err, sizeof(err));

	if (ret)
		print_error("%s\n", err);
	assert_int_equal(ret, 0);
}

/* ---- evaluation, one packet class per case ---- */

struct eval_case {
	const char *name;
	const char *acl; /* text form, one ACL */
	enum acl_dir dir;
	int proto;
	const char *peer; /* address or block */
	uint16_t from, to;
	bool allowed;
	int rule; /* 0: the default deny */
	bool partial;
};

static const struct eval_case eval_cases[] = {
	{ "rule order, not file order",
	  "acl a\ninbound 200 allow udp 123 0.0.0.0/0\ninbound 100 deny udp 123 0.0.0.0/0\n",
	  ACL_INBOUND, 17, "198.51.100.123", 123, 123, false, 100, false },
	{ "deny before allow: the denied block",
	  "acl a\ninbound 90 deny udp 1024-65535 198.51.100.0/24\ninbound 110 allow udp 1024-65535 0.0.0.0/0\n",
	  ACL_INBOUND, 17, "198.51.100.123", 40000, 40000, false, 90, false },
	{ "deny before allow: another address passes",
	  "acl a\ninbound 90 deny udp 1024-65535 198.51.100.0/24\ninbound 110 allow udp 1024-65535 0.0.0.0/0\n",
	  ACL_INBOUND, 17, "203.0.113.9", 40000, 40000, true, 110, false },
	{ "overlapping ranges: the lower rule wins in the overlap",
	  "acl a\ninbound 100 allow udp 1000-2000 0.0.0.0/0\ninbound 110 deny udp 1500-3000 0.0.0.0/0\n",
	  ACL_INBOUND, 17, "192.0.2.1", 1700, 1700, true, 100, false },
	{ "overlapping ranges: past the first, the second decides",
	  "acl a\ninbound 100 allow udp 1000-2000 0.0.0.0/0\ninbound 110 deny udp 1500-3000 0.0.0.0/0\n",
	  ACL_INBOUND, 17, "192.0.2.1", 2500, 2500, false, 110, false },
	{ "overlapping ranges: past both, the default deny",
	  "acl a\ninbound 100 allow udp 1000-2000 0.0.0.0/0\ninbound 110 deny udp 1500-3000 0.0.0.0/0\n",
	  ACL_INBOUND, 17, "192.0.2.1", 3500, 3500, false, 0, false },
	{ "protocol -1 matches UDP on any port",
	  "acl a\noutbound 100 allow -1 10.0.0.0/16\n", ACL_OUTBOUND, 17,
	  "10.0.1.10", 5, 5, true, 100, false },
	{ "protocol all matches TCP",
	  "acl a\noutbound 100 allow all 10.0.0.0/16\n", ACL_OUTBOUND, 6,
	  "10.0.1.10", 22, 22, true, 100, false },
	{ "a TCP entry does not admit UDP",
	  "acl a\ninbound 100 allow tcp 123 0.0.0.0/0\n", ACL_INBOUND, 17,
	  "192.0.2.1", 123, 123, false, 0, false },
	{ "an IPv6 entry never matches IPv4",
	  "acl a\ninbound 100 allow udp 123 ::/0\n", ACL_INBOUND, 17,
	  "192.0.2.1", 123, 123, false, 0, false },
	{ "an IPv6 entry matches IPv6", "acl a\ninbound 100 allow udp 123 ::/0\n",
	  ACL_INBOUND, 17, "2001:db8::1", 123, 123, true, 100, false },
	{ "IPv6 deny of a /32 before allow ::/0",
	  "acl a\ninbound 100 deny udp 123 2001:db8::/32\ninbound 110 allow udp 123 ::/0\n",
	  ACL_INBOUND, 17, "2001:db8:5::7", 123, 123, false, 100, false },
	{ "IPv6 outside the denied /32 passes",
	  "acl a\ninbound 100 deny udp 123 2001:db8::/32\ninbound 110 allow udp 123 ::/0\n",
	  ACL_INBOUND, 17, "2001:db9::7", 123, 123, true, 110, false },
	{ "empty direction: default deny",
	  "acl a\noutbound 100 allow all 0.0.0.0/0\n", ACL_INBOUND, 17,
	  "192.0.2.1", 123, 123, false, 0, false },
	{ "a range passes only if every port does",
	  "acl a\ninbound 50 deny udp 5000 0.0.0.0/0\ninbound 110 allow udp 1024-65535 0.0.0.0/0\n",
	  ACL_INBOUND, 17, "0.0.0.0/0", 1024, 65535, false, 50, false },
	{ "a range fully allowed",
	  "acl a\ninbound 110 allow udp 1024-65535 0.0.0.0/0\n", ACL_INBOUND,
	  17, "0.0.0.0/0", 1024, 65535, true, 110, false },
	{ "a range half allowed: the first denied port decides",
	  "acl a\ninbound 110 allow udp 1024-30000 0.0.0.0/0\n", ACL_INBOUND,
	  17, "0.0.0.0/0", 1024, 65535, false, 0, false },
	{ "a deny of part of the peer block denies the class",
	  "acl a\ninbound 90 deny udp 123 198.51.100.0/24\ninbound 100 allow udp 123 0.0.0.0/0\n",
	  ACL_INBOUND, 17, "0.0.0.0/0", 123, 123, false, 90, true },
	{ "an allow of part of the block does not admit the rest",
	  "acl a\ninbound 100 allow udp 123 10.0.1.0/24\ninbound 110 deny udp 123 0.0.0.0/0\n",
	  ACL_INBOUND, 17, "10.0.0.0/16", 123, 123, false, 110, false },
	{ "a partial deny inside an earlier partial allow is shadowed",
	  "acl a\ninbound 100 allow udp 123 10.0.0.0/8\ninbound 110 deny udp 123 10.1.0.0/16\ninbound 120 allow udp 123 0.0.0.0/0\n",
	  ACL_INBOUND, 17, "0.0.0.0/0", 123, 123, true, 120, false },
	{ "ports do not apply to ICMP entries",
	  "acl a\ninbound 100 allow icmp 0.0.0.0/0\n", ACL_INBOUND, 1,
	  "192.0.2.1", 0, 0, true, 100, false },
};

static void test_eval_case(void **state)
{
	const struct eval_case *c = *state;
	struct acl_result r;
	struct acl_set set;
	struct acl_cidr peer;

	load_text(c->acl, &set);
	assert_int_equal(acl_cidr_parse(c->peer, true, &peer), 0);
	acl_eval(&set.acls[0], c->dir, c->proto, &peer, c->from, c->to, &r);
	assert_int_equal(r.allowed, c->allowed);
	if (c->rule) {
		assert_non_null(r.entry);
		assert_int_equal(r.entry->rule, c->rule);
	} else {
		assert_null(r.entry);
	}
	assert_int_equal(r.partial, c->partial);
	acl_set_free(&set);
}

/* The seed: the NAT kept port 123; the nearest allow is the ephemeral
 * range, and the sentence says why it did not match. */
static void test_nearest_names_the_port(void **state)
{
	struct acl_crossing c = { .subnet = ACL_PUBLIC, .dir = ACL_INBOUND };
	struct acl_set set;
	char s[768];

	load_text(lab_acl_text, &set);
	c.acl = acl_set_role(&set, ACL_PUBLIC);
	assert_int_equal(acl_cidr_parse("198.51.100.123", true, &c.peer), 0);
	c.port_from = c.port_to = 123;
	acl_eval(c.acl, ACL_INBOUND, 17, &c.peer, 123, 123, &c.res);
	assert_false(c.res.allowed);
	assert_null(c.res.entry);
	assert_non_null(c.res.nearest);
	assert_int_equal(c.res.nearest->rule, 110);
	acl_crossing_sentence(&c, s, sizeof(s));
	assert_non_null(strstr(
		s,
		"public inbound (acl-lab-public) has no rule for UDP 123 from 198.51.100.123: default deny (*)"));
	assert_non_null(strstr(
		s,
		"rule 110 allows UDP 1024-65535 from 0.0.0.0/0, but the packet goes to port 123"));
	acl_set_free(&set);
}

/* ---- values ---- */

struct cidr_case {
	const char *s;
	bool ok;
};

static const struct cidr_case cidr_cases[] = {
	{ "10.0.0.0/16", true },
	{ "0.0.0.0/0", true },
	{ "10.0.1.10/32", true },
	{ "2001:db8::/32", true },
	{ "::/0", true },
	{ "10.0.0.0/33", false },
	{ "10.0.0.1/16", false },
	{ "10.0.0.0/", false },
	{ "10.0.0.0/+8", false },
	{ "10.0.0.0/-1", false },
	{ "10.0.0/16", false },
	{ "10.0.0.0", false },
	{ "2001:db8::/129", false },
	{ "2001:db8::1/32", false },
	{ "", false },
	{ "/8", false },
};

static void test_cidr_parse(void **state)
{
	struct acl_cidr c;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(cidr_cases); i++) {
		int ret = acl_cidr_parse(cidr_cases[i].s, false, &c);

		if ((ret == 0) != cidr_cases[i].ok)
			fail_msg("'%s': expected %s", cidr_cases[i].s,
				 cidr_cases[i].ok ? "ok" : "refused");
	}
}

static void test_ports_proto_parse(void **state)
{
	uint16_t f, t;
	int p;

	assert_int_equal(acl_ports_parse("123", &f, &t), 0);
	assert_int_equal(f, 123);
	assert_int_equal(t, 123);
	assert_int_equal(acl_ports_parse("1024-65535", &f, &t), 0);
	assert_int_equal(f, 1024);
	assert_int_equal(t, 65535);
	assert_int_not_equal(acl_ports_parse("70000", &f, &t), 0);
	assert_int_not_equal(acl_ports_parse("2000-1000", &f, &t), 0);
	assert_int_not_equal(acl_ports_parse("1-", &f, &t), 0);
	assert_int_not_equal(acl_ports_parse("-5", &f, &t), 0);
	assert_int_equal(acl_proto_parse("udp", &p), 0);
	assert_int_equal(p, 17);
	assert_int_equal(acl_proto_parse("-1", &p), 0);
	assert_int_equal(p, -1);
	assert_int_equal(acl_proto_parse("58", &p), 0);
	assert_int_equal(p, 58);
	assert_int_not_equal(acl_proto_parse("256", &p), 0);
	assert_int_not_equal(acl_proto_parse("ntp", &p), 0);
}

/* ---- parsers ---- */

static void test_json_good(void **state)
{
	const struct acl *pub, *priv;
	char err[512] = "";
	struct acl_set set;

	assert_int_equal(acl_load_file(FIXTURES "aws-ntp.json", &set, err,
				       sizeof(err)),
			 0);
	assert_int_equal(set.n, 3);
	pub = acl_set_find(&set, "acl-0a11ce0000000pub");
	assert_non_null(pub);
	/* Four IPv4 rows and one IPv6; the 32767/32768 defaults are the
	 * implicit deny, not entries. */
	assert_int_equal(pub->n, 5);
	assert_int_equal(pub->entries[0].dir, ACL_INBOUND);
	assert_int_equal(pub->entries[0].rule, 100);
	assert_int_equal(pub->entries[2].rule, 120);
	assert_int_equal(pub->entries[2].cidr.family, AF_INET6);
	assert_int_equal(pub->entries[2].proto, 6);
	assert_int_equal(pub->entries[1].port_from, 1024);
	assert_int_equal(pub->entries[1].port_to, 65535);
	/* By an associated subnet. */
	priv = acl_set_find(&set, "subnet-0prv000000000002");
	assert_non_null(priv);
	assert_string_equal(priv->id, "acl-0b0b000000000prv");
	assert_null(acl_set_find(&set, "acl-nope"));
	acl_set_free(&set);
}

static void test_text_matches_required(void **state)
{
	struct acl pub = { .role = ACL_PUBLIC }, priv = { .role = ACL_PRIVATE };
	const struct acl *tp, *tv;
	struct acl_params p;
	struct acl_set set;
	char err[512];
	size_t i;

	/* The built-in lab ACL, the fixture and `rules` for the seed's
	 * parameters are the same six rows. */
	assert_int_equal(acl_load_file(FIXTURES "lab.acl", &set, err, sizeof(err)),
			 0);
	tp = acl_set_role(&set, ACL_PUBLIC);
	tv = acl_set_role(&set, ACL_PRIVATE);
	assert_non_null(tp);
	assert_non_null(tv);
	acl_params_default(&p);
	assert_int_equal(acl_required(&p, &pub, &priv), 0);
	assert_int_equal(pub.n, 4);
	assert_int_equal(priv.n, 2);
	assert_int_equal(tp->n, pub.n);
	assert_int_equal(tv->n, priv.n);
	for (i = 0; i < pub.n; i++)
		assert_memory_equal(&tp->entries[i], &pub.entries[i],
				    sizeof(pub.entries[i]));
	for (i = 0; i < priv.n; i++)
		assert_memory_equal(&tv->entries[i], &priv.entries[i],
				    sizeof(priv.entries[i]));
	acl_set_free(&set);
	load_text(lab_acl_text, &set);
	for (i = 0; i < pub.n; i++)
		assert_memory_equal(&acl_set_role(&set, ACL_PUBLIC)->entries[i],
				    &pub.entries[i], sizeof(pub.entries[i]));
	acl_set_free(&set);
	acl_free(&pub);
	acl_free(&priv);
}

struct bad_case {
	const char *file;
	const char *want[3]; /* the entry and the field, named */
};

static const struct bad_case bad_cases[] = {
	{ "bad-truncated.json", { "bad JSON", "bad-truncated.json:" } },
	{ "bad-port-70000.json",
	  { "Entries[5] (rule 110, ingress)", "PortRange.To", "70000" } },
	{ "bad-cidr-33.json",
	  { "Entries[4] (rule 100, ingress)", "CidrBlock", "10.0.0.0/33" } },
	{ "bad-host-bits.json", { "Entries[4]", "CidrBlock", "10.0.0.1/16" } },
	{ "bad-duplicate-rule.json",
	  { "acl-0b0b000000000prv", "RuleNumber", "100 used twice" } },
	{ "bad-protocol.json",
	  { "Entries[1] (rule 110, egress)", "Protocol", "udpx" } },
	{ "bad-missing-action.json", { "Entries[3]", "RuleAction: missing" } },
	{ "bad-missing-portrange.json",
	  { "Entries[0] (rule 100, egress)", "PortRange: missing" } },
	{ "bad-missing-id.json", { "NetworkAcls[1]", "NetworkAclId: missing" } },
	{ "bad-action.json", { "Entries[5]", "RuleAction" } },
	{ "bad-text-port.acl", { "bad-text-port.acl:2", "ports", "1024-70000" } },
	{ "bad-text-cidr.acl", { "bad-text-cidr.acl:2", "cidr", "10.0.0.0/33" } },
	{ "bad-text-duplicate.acl",
	  { "bad-text-duplicate.acl:3", "rule", "used twice" } },
	{ "bad-text-protocol.acl",
	  { "bad-text-protocol.acl:2", "protocol", "ntp" } },
	{ "bad-text-no-acl.acl",
	  { "bad-text-no-acl.acl:1", "before any 'acl ID'" } },
	{ "bad-text-no-ports.acl",
	  { "bad-text-no-ports.acl:2", "ports", "missing" } },
};

static void test_bad_file(void **state)
{
	const struct bad_case *c = *state;
	char path[256], err[512] = "";
	struct acl_set set;
	int i;

	snprintf(path, sizeof(path), FIXTURES "%s", c->file);
	assert_int_equal(acl_load_file(path, &set, err, sizeof(err)), -EINVAL);
	assert_null(set.acls);
	assert_non_null(strstr(err, path));
	assert_null(strchr(err, '\n'));
	for (i = 0; i < 3 && c->want[i]; i++)
		if (!strstr(err, c->want[i]))
			fail_msg("'%s' not in: %s", c->want[i], err);
}

static void test_text_roundtrip(void **state)
{
	struct acl_set set, again;
	char *buf = NULL, err[512];
	size_t len = 0;
	FILE *out;

	load_text("acl x public\nsubnet subnet-1\ninbound 90 deny udp 1024-65535 198.51.100.0/24\n"
		  "inbound 110 allow all 2001:db8::/32\noutbound 5 allow icmp 10.0.1.10/32\n",
		  &set);
	out = open_memstream(&buf, &len);
	acl_write_text(out, &set.acls[0], ACL_PUBLIC);
	fclose(out);
	assert_int_equal(acl_load_text("again", buf, &again, err, sizeof(err)),
			 0);
	assert_int_equal(again.acls[0].n, 3);
	assert_int_equal(again.acls[0].role, ACL_PUBLIC);
	assert_string_equal(again.acls[0].subnets[0], "subnet-1");
	assert_memory_equal(again.acls[0].entries, set.acls[0].entries,
			    3 * sizeof(struct acl_entry));
	free(buf);
	acl_set_free(&set);
	acl_set_free(&again);
}

/* ---- the four legs ---- */

/* Each row of the required table removed in turn: the leg it serves is denied by
 * the default deny, in that subnet and direction, and no other leg. */
struct row_case {
	const char *name;
	enum acl_subnet subnet;
	enum acl_dir dir;
	uint16_t rule;
	int leg;
};

static const struct row_case row_cases[] = {
	{ "public inbound 123 from the VPC", ACL_PUBLIC, ACL_INBOUND, 100, 1 },
	{ "public inbound 1024-65535 (the seed)", ACL_PUBLIC, ACL_INBOUND, 110,
	  3 },
	{ "public outbound 123", ACL_PUBLIC, ACL_OUTBOUND, 100, 2 },
	{ "public outbound 1123 to the VPC", ACL_PUBLIC, ACL_OUTBOUND, 110, 4 },
	{ "private inbound 1123", ACL_PRIVATE, ACL_INBOUND, 100, 4 },
	{ "private outbound 123", ACL_PRIVATE, ACL_OUTBOUND, 100, 1 },
};

static void drop_rule(struct acl *a, enum acl_dir dir, uint16_t rule)
{
	size_t i;

	for (i = 0; i < a->n; i++) {
		if (a->entries[i].dir == dir && a->entries[i].rule == rule) {
			memmove(&a->entries[i], &a->entries[i + 1],
				(a->n - i - 1) * sizeof(a->entries[0]));
			a->n--;
			return;
		}
	}
	fail_msg("no rule %u", rule);
}

static void test_row_removed(void **state)
{
	const struct row_case *c = *state;
	struct acl pub = { .id = "p" }, priv = { .id = "q" };
	struct acl_params p;
	struct acl_leg legs[4];
	int i;

	acl_params_default(&p);
	assert_int_equal(acl_required(&p, &pub, &priv), 0);
	acl_check_legs(&pub, &priv, &p, legs);
	for (i = 0; i < 4; i++)
		assert_int_equal(legs[i].blocking, -1);
	drop_rule(c->subnet == ACL_PUBLIC ? &pub : &priv, c->dir, c->rule);
	acl_check_legs(&pub, &priv, &p, legs);
	for (i = 0; i < 4; i++) {
		const struct acl_crossing *x;

		if (i + 1 != c->leg) {
			assert_int_equal(legs[i].blocking, -1);
			continue;
		}
		assert_true(legs[i].blocking >= 0);
		x = &legs[i].x[legs[i].blocking];
		assert_int_equal(x->subnet, c->subnet);
		assert_int_equal(x->dir, c->dir);
		assert_null(x->res.entry);
	}
	acl_free(&pub);
	acl_free(&priv);
}

static void test_ephemeral_and_masquerade(void **state)
{
	struct acl pub = { .id = "p" }, priv = { .id = "q" };
	struct acl_params p, q;
	struct acl_leg legs[4];

	/* The seed's rows, checked for a client without a pinned port:
	 * leg 4 fails, at the public outbound first. */
	acl_params_default(&p);
	assert_int_equal(acl_required(&p, &pub, &priv), 0);
	q = p;
	q.client_from = 1024;
	q.client_to = 65535;
	acl_check_legs(&pub, &priv, &q, legs);
	assert_int_equal(legs[2].blocking, -1);
	assert_int_equal(legs[3].blocking, 0);
	assert_int_equal(legs[3].x[0].subnet, ACL_PUBLIC);
	assert_int_equal(legs[3].x[0].res.port, 1024);
	/* A client on 123 behind Linux masquerade: the NAT may use 1-511. */
	q = p;
	q.client_from = q.client_to = 123;
	acl_params_masquerade(&q);
	assert_int_equal(q.nat_from, 1);
	assert_int_equal(q.nat_to, 511);
	acl_check_legs(&pub, &priv, &q, legs);
	assert_int_equal(legs[2].blocking, 0);
	assert_null(legs[2].x[0].res.entry);
	q.client_from = q.client_to = 700;
	acl_params_masquerade(&q);
	assert_int_equal(q.nat_from, 600);
	assert_int_equal(q.nat_to, 1023);
	acl_free(&pub);
	acl_free(&priv);
}

static void test_check_json_contract(void **state)
{
	struct acl pub = { .id = "acl-p" }, priv = { .id = "acl-q" };
	struct acl_params p;
	struct acl_leg legs[4];
	json_t *b;

	acl_params_default(&p);
	assert_int_equal(acl_required(&p, &pub, &priv), 0);
	drop_rule(&pub, ACL_INBOUND, 110);
	acl_check_legs(&pub, &priv, &p, legs);
	b = acl_crossing_json(&legs[2].x[legs[2].blocking]);
	assert_string_equal(json_string_value(json_object_get(b, "subnet")),
			    "public");
	assert_string_equal(json_string_value(json_object_get(b, "direction")),
			    "inbound");
	assert_string_equal(json_string_value(json_object_get(b, "acl")),
			    "acl-p");
	assert_string_equal(json_string_value(json_object_get(b, "rule")), "*");
	json_decref(b);
	b = acl_crossing_json(&legs[1].x[0]);
	assert_int_equal(json_integer_value(json_object_get(b, "rule")), 100);
	json_decref(b);
	acl_free(&pub);
	acl_free(&priv);
}

/* ---- the lab's nft ---- */

static char *render(const char *text, enum lab_shape shape, const char *fault)
{
	struct acl_set set;
	char *buf = NULL;
	size_t len = 0;
	FILE *out;

	load_text(text, &set);
	out = open_memstream(&buf, &len);
	assert_int_equal(lab_acl_nft(out, acl_set_role(&set, ACL_PUBLIC),
				     acl_set_role(&set, ACL_PRIVATE), shape,
				     fault ? lab_fault_find(fault) : NULL),
			 0);
	fclose(out);
	acl_set_free(&set);
	return buf;
}

static void test_nft_builtin(void **state)
{
	char *s = render(lab_acl_text, LAB_SHAPE_ONE, NULL);
	char *in = strstr(s, "chain public_inbound {");

	assert_non_null(in);
	assert_non_null(strstr(
		in,
		"meta nfproto ipv4 ip saddr 10.0.0.0/16 meta l4proto 17 th dport 123 counter return comment \"rule 100 allow\""));
	assert_non_null(strstr(
		in,
		"meta nfproto ipv4 meta l4proto 17 th dport 1024-65535 counter return comment \"rule 110 allow\""));
	/* Rule order, then the default deny. */
	assert_true(strstr(in, "rule 100 allow") < strstr(in, "rule 110 allow"));
	assert_true(strstr(in, "rule 110 allow") < strstr(in, "rule * deny"));
	assert_null(strstr(s, "rt0"));
	free(s);
	s = render(lab_acl_text, LAB_SHAPE_TWO, NULL);
	assert_non_null(strstr(s, "oifname \"rt0\" jump public_inbound"));
	free(s);
}

static void test_nft_fault_removes_row(void **state)
{
	char *s = render(lab_acl_text, LAB_SHAPE_ONE, "no-public-in-ephemeral");

	assert_null(strstr(s, "th dport 1024-65535"));
	assert_non_null(
		strstr(s, "# rule 110 removed by fault no-public-in-ephemeral"));
	assert_non_null(strstr(s, "rule 100 allow"));
	free(s);
}

static void test_nft_deny_and_v6(void **state)
{
	char *s = render(
		"acl a public\ninbound 90 deny udp 1024-65535 198.51.100.0/24\n"
		"inbound 110 allow udp 1024-65535 0.0.0.0/0\ninbound 120 allow all 2001:db8::/32\n"
		"acl b private\noutbound 100 allow all 0.0.0.0/0\n",
		LAB_SHAPE_ONE, NULL);

	assert_non_null(strstr(
		s,
		"ip saddr 198.51.100.0/24 meta l4proto 17 th dport 1024-65535 counter drop comment \"rule 90 deny\""));
	assert_non_null(strstr(
		s,
		"meta nfproto ipv6 ip6 saddr 2001:db8::/32 counter return comment \"rule 120 allow\""));
	assert_true(strstr(s, "rule 90 deny") < strstr(s, "rule 110 allow"));
	free(s);
}

/* ---- live explanations ---- */

static void v4(uint8_t a[16], const char *s)
{
	memset(a, 0, 16);
	a[10] = a[11] = 0xff;
	assert_int_equal(inet_pton(AF_INET, s, a + 12), 1);
}

static void lost(struct fv_report *r, enum fv_segment seg, uint16_t cport,
		 uint16_t nport)
{
	memset(r, 0, sizeof(*r));
	r->verdict.status = FV_STATUS_FAULT;
	r->verdict.segment = seg;
	r->have_example = true;
	v4(r->example.inside_addr, "10.0.1.10");
	r->example.inside_port = htons(cport);
	if (nport) {
		v4(r->example.outside_addr, "10.0.0.5");
		r->example.outside_port = htons(nport);
	}
	v4(r->example.server_addr, "198.51.100.123");
	r->example.server_port = htons(123);
}

static void builtin_live(struct acl_live *l)
{
	load_text(lab_acl_text, &l->set);
	l->pub = acl_set_role(&l->set, ACL_PUBLIC);
	l->priv = acl_set_role(&l->set, ACL_PRIVATE);
}

static void test_live_port_123(void **state)
{
	struct acl_blocking b;
	struct fv_report *r = calloc(1, sizeof(*r));
	struct acl_live l;
	json_t *j = json_object(), *o;

	builtin_live(&l);
	lost(r, FV_SEG_BEYOND_NAT, 123, 123);
	acl_explain(r, &l, &b);
	assert_true(b.have);
	assert_int_equal(b.leg, 3);
	assert_int_equal(b.x.subnet, ACL_PUBLIC);
	assert_int_equal(b.x.dir, ACL_INBOUND);
	assert_null(b.x.res.entry);
	assert_non_null(strstr(b.sentence,
			       "the NAT kept the client's source port 123"));
	assert_non_null(strstr(
		b.sentence,
		"has no rule for UDP 123 from 198.51.100.123: default deny (*)"));
	acl_blocking_json_add(j, &b);
	o = json_object_get(j, "blocking");
	assert_string_equal(json_string_value(json_object_get(o, "rule")), "*");
	assert_string_equal(json_string_value(json_object_get(o, "acl")),
			    "acl-lab-public");
	assert_int_equal(json_integer_value(json_object_get(o, "leg")), 3);
	json_decref(j);
	acl_set_free(&l.set);
	free(r);
}

static void test_live_ephemeral_client(void **state)
{
	struct acl_blocking b;
	struct fv_report *r = calloc(1, sizeof(*r));
	struct acl_live l;

	builtin_live(&l);
	lost(r, FV_SEG_NAT_TO_CLIENT, 45678, 45678);
	acl_explain(r, &l, &b);
	assert_true(b.have);
	assert_int_equal(b.leg, 4);
	assert_int_equal(b.x.subnet, ACL_PUBLIC);
	assert_int_equal(b.x.dir, ACL_OUTBOUND);
	assert_int_equal(b.x.res.port, 45678);
	assert_non_null(strstr(b.sentence, "UDP 45678 to 10.0.1.10"));
	acl_set_free(&l.set);
	free(r);
}

static void test_live_allowed_is_not_blamed(void **state)
{
	struct acl_blocking b;
	struct fv_report *r = calloc(1, sizeof(*r));
	struct acl_live l;

	/* server-down: the ACLs admit legs 2 and 3, nothing is blamed. */
	builtin_live(&l);
	lost(r, FV_SEG_BEYOND_NAT, 1123, 1123);
	acl_explain(r, &l, &b);
	assert_false(b.have);
	assert_int_equal(b.n_checked, 2);
	assert_true(b.checked[0].res.allowed && b.checked[1].res.allowed);
	acl_set_free(&l.set);
	free(r);
}

static void test_live_without_acls(void **state)
{
	struct acl_blocking b;
	struct fv_report *r = calloc(1, sizeof(*r));

	lost(r, FV_SEG_BEYOND_NAT, 123, 123);
	acl_explain(r, NULL, &b);
	assert_false(b.have);
	assert_int_equal(b.n_suspects, 2);
	assert_int_equal(b.suspects[0].leg, 2);
	assert_int_equal(b.suspects[0].entry.rule, 100);
	assert_true(b.suspects[0].admits);
	assert_int_equal(b.suspects[1].leg, 3);
	assert_int_equal(b.suspects[1].entry.rule, 110);
	assert_false(b.suspects[1].admits);
	assert_int_equal(b.suspects[1].port, 123);
	lost(r, FV_SEG_CLIENT_TO_NAT, 1123, 0);
	acl_explain(r, NULL, &b);
	assert_int_equal(b.n_suspects, 2);
	assert_int_equal(b.suspects[0].subnet, ACL_PRIVATE);
	assert_int_equal(b.suspects[1].subnet, ACL_PUBLIC);
	lost(r, FV_SEG_INSIDE_NAT_REQUEST, 1123, 0);
	acl_explain(r, NULL, &b);
	assert_int_equal(b.n_suspects, 0);
	free(r);
}

#define CASE(fn, arr, i) cmocka_unit_test_prestate(fn, (void *)&arr[i])

int main(void)
{
	struct CMUnitTest tests[ARRAY_SIZE(eval_cases) + ARRAY_SIZE(bad_cases) +
				ARRAY_SIZE(row_cases) + 32];
	size_t n = 0, i;

	for (i = 0; i < ARRAY_SIZE(eval_cases); i++) {
		tests[n] = (struct CMUnitTest)CASE(test_eval_case, eval_cases, i);
		tests[n++].name = eval_cases[i].name;
	}
	for (i = 0; i < ARRAY_SIZE(bad_cases); i++) {
		tests[n] = (struct CMUnitTest)CASE(test_bad_file, bad_cases, i);
		tests[n++].name = bad_cases[i].file;
	}
	for (i = 0; i < ARRAY_SIZE(row_cases); i++) {
		tests[n] =
			(struct CMUnitTest)CASE(test_row_removed, row_cases, i);
		tests[n++].name = row_cases[i].name;
	}
	tests[n++] =
		(struct CMUnitTest)cmocka_unit_test(test_nearest_names_the_port);
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_cidr_parse);
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_ports_proto_parse);
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_json_good);
	tests[n++] =
		(struct CMUnitTest)cmocka_unit_test(test_text_matches_required);
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_text_roundtrip);
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(
		test_ephemeral_and_masquerade);
	tests[n++] =
		(struct CMUnitTest)cmocka_unit_test(test_check_json_contract);
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_nft_builtin);
	tests[n++] =
		(struct CMUnitTest)cmocka_unit_test(test_nft_fault_removes_row);
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_nft_deny_and_v6);
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_live_port_123);
	tests[n++] =
		(struct CMUnitTest)cmocka_unit_test(test_live_ephemeral_client);
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(
		test_live_allowed_is_not_blamed);
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_live_without_acls);
	return _cmocka_run_group_tests("acl", tests, n, NULL, NULL);
}
