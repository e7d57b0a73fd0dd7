// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The leg classifier, as a table: every role, direction, mode and locality
 * combination, then whole exchanges as a NAT or a client would see them
 * (one interface or two, client ports 1123, 123 or ephemeral). Each row is
 * its own test so one wrong row is one "not ok". */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <cmocka.h>

#include "flowverify.h"
#include "legs.h"
#include "point.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#define NAT FV_ROLE_NAT
#define CLI FV_ROLE_CLIENT
#define IN  false
#define OUT true
#define REQ FV_NTP_MODE_REQUEST
#define REP FV_NTP_MODE_REPLY

/* ---- the bare classifier table ---- */

struct leg_case {
	const char *name;
	enum fv_role role;
	bool egress;
	uint8_t mode;
	bool src_local;
	bool dst_local;
	enum fv_leg want;
};

static const struct leg_case leg_cases[] = {
	/* NAT, request arriving */
	{ "nat in req foreign->foreign = leg 1 (from a client, to the server)",
	  NAT, IN, REQ, false, false, FV_LEG_1 },
	{ "nat in req foreign->local = local service", NAT, IN, REQ, false,
	  true, FV_LEG_LOCAL_SERVICE },
	{ "nat in req local->foreign = other (our own request looped back)",
	  NAT, IN, REQ, true, false, FV_LEG_OTHER },
	{ "nat in req local->local = local service", NAT, IN, REQ, true, true,
	  FV_LEG_LOCAL_SERVICE },
	/* NAT, request leaving */
	{ "nat out req local->foreign = leg 2 (translated)", NAT, OUT, REQ,
	  true, false, FV_LEG_2 },
	{ "nat out req foreign->foreign = untranslated", NAT, OUT, REQ, false,
	  false, FV_LEG_UNTRANSLATED },
	{ "nat out req local->local = other", NAT, OUT, REQ, true, true,
	  FV_LEG_OTHER },
	{ "nat out req foreign->local = other", NAT, OUT, REQ, false, true,
	  FV_LEG_OTHER },
	/* NAT, reply arriving */
	{ "nat in rep foreign->local = leg 3 (to the NAT's port)", NAT, IN, REP,
	  false, true, FV_LEG_3 },
	{ "nat in rep local->local = leg 3", NAT, IN, REP, true, true, FV_LEG_3 },
	{ "nat in rep foreign->foreign = other", NAT, IN, REP, false, false,
	  FV_LEG_OTHER },
	{ "nat in rep local->foreign = other", NAT, IN, REP, true, false,
	  FV_LEG_OTHER },
	/* NAT, reply leaving */
	{ "nat out rep foreign->foreign = leg 4 (de-NATed, to the client)", NAT,
	  OUT, REP, false, false, FV_LEG_4 },
	{ "nat out rep local->foreign = local service (our server answering)",
	  NAT, OUT, REP, true, false, FV_LEG_LOCAL_SERVICE },
	{ "nat out rep foreign->local = other", NAT, OUT, REP, false, true,
	  FV_LEG_OTHER },
	{ "nat out rep local->local = other", NAT, OUT, REP, true, true,
	  FV_LEG_OTHER },
	/* Client: only direction and mode matter, never locality. */
	{ "client out req local->foreign = leg 1", CLI, OUT, REQ, true, false,
	  FV_LEG_1 },
	{ "client out req foreign->foreign = leg 1", CLI, OUT, REQ, false,
	  false, FV_LEG_1 },
	{ "client out req local->local = leg 1", CLI, OUT, REQ, true, true,
	  FV_LEG_1 },
	{ "client out req foreign->local = leg 1", CLI, OUT, REQ, false, true,
	  FV_LEG_1 },
	{ "client in rep foreign->local = leg 4", CLI, IN, REP, false, true,
	  FV_LEG_4 },
	{ "client in rep foreign->foreign = leg 4", CLI, IN, REP, false, false,
	  FV_LEG_4 },
	{ "client in rep local->local = leg 4", CLI, IN, REP, true, true,
	  FV_LEG_4 },
	{ "client in rep local->foreign = leg 4", CLI, IN, REP, true, false,
	  FV_LEG_4 },
	{ "client in req foreign->local = local service", CLI, IN, REQ, false,
	  true, FV_LEG_LOCAL_SERVICE },
	{ "client in req foreign->foreign = local service", CLI, IN, REQ, false,
	  false, FV_LEG_LOCAL_SERVICE },
	{ "client out rep local->foreign = local service", CLI, OUT, REP, true,
	  false, FV_LEG_LOCAL_SERVICE },
	{ "client out rep foreign->foreign = local service", CLI, OUT, REP,
	  false, false, FV_LEG_LOCAL_SERVICE },
	/* Modes other than 3 and 4 have no place in the pattern. */
	{ "nat in mode 0 = other", NAT, IN, 0, false, false, FV_LEG_OTHER },
	{ "nat in mode 1 (symmetric active) = other", NAT, IN, 1, false, false,
	  FV_LEG_OTHER },
	{ "nat out mode 2 (symmetric passive) = other", NAT, OUT, 2, true,
	  false, FV_LEG_OTHER },
	{ "nat out mode 5 (broadcast) = other", NAT, OUT, 5, false, false,
	  FV_LEG_OTHER },
	{ "nat in mode 6 (control) = other", NAT, IN, 6, false, true,
	  FV_LEG_OTHER },
	{ "nat in mode 7 (private) = other", NAT, IN, 7, false, true,
	  FV_LEG_OTHER },
	{ "nat out mode 255 = other", NAT, OUT, 255, true, false, FV_LEG_OTHER },
	{ "client out mode 0 = other", CLI, OUT, 0, true, false, FV_LEG_OTHER },
	{ "client out mode 1 = other", CLI, OUT, 1, true, false, FV_LEG_OTHER },
	{ "client in mode 5 (broadcast) = other", CLI, IN, 5, false, true,
	  FV_LEG_OTHER },
	{ "client in mode 6 = other", CLI, IN, 6, false, true, FV_LEG_OTHER },
	{ "client in mode 7 = other", CLI, IN, 7, false, true, FV_LEG_OTHER },
};

static void test_leg_case(void **state)
{
	const struct leg_case *c = *state;
	enum fv_leg got = fv_leg_classify(c->role, c->egress, c->mode,
					  c->src_local, c->dst_local);

	if (got != c->want)
		print_error("%s: got %d (%s), want %d (%s)\n", c->name, got,
			    fv_leg_name(got), c->want, fv_leg_name(c->want));
	assert_int_equal(got, c->want);
}

/* ---- whole exchanges seen by one host ---- */

/* Addresses are v4-mapped, as the kernel side reports them. */
#define V4(a, b, c, d)                                                           \
	{                                                                        \
		[10] = 0xff, [11] = 0xff, [12] = a, [13] = b, [14] = c, [15] = d \
	}
#define V6(last)                                    \
	{                                           \
		0x20, 0x01, 0x0d, 0xb8, [15] = last \
	}

static const uint8_t nat_addr[16] = V4(10, 0, 0, 5);  /* the NAT's eth0 */
static const uint8_t nat_inner[16] = V4(10, 0, 1, 1); /* router NAT's eth1 */
static const uint8_t client_addr[16] = V4(10, 0, 1, 10);
static const uint8_t server_addr[16] = V4(198, 51, 100, 123);
static const uint8_t client6_addr[16] = V6(0x10);
static const uint8_t server6_addr[16] = V6(0x7b);

struct pkt_case {
	const char *name;
	enum fv_role role;
	const char *ifname; /* where it was seen: the classifier never asks */
	bool egress;
	uint8_t mode;
	const uint8_t *src;
	uint16_t sport;
	const uint8_t *dst;
	uint16_t dport;
	enum fv_leg want;
};

/* The NAT's own addresses; the client's are its one address. */
static void host_for(enum fv_role role, struct fv_host *h)
{
	memset(h, 0, sizeof(*h));
	h->role = role;
	if (role == FV_ROLE_NAT) {
		memcpy(h->addrs[h->n_addrs++], nat_addr, 16);
		memcpy(h->addrs[h->n_addrs++], nat_inner, 16);
	} else {
		memcpy(h->addrs[h->n_addrs++], client_addr, 16);
		memcpy(h->addrs[h->n_addrs++], client6_addr, 16);
	}
}

#define EPH 40123 /* an ephemeral port picked by masquerade or a client */

static const struct pkt_case pkt_cases[] = {
	/* AWS NAT instance: one interface, all four legs cross eth0. */
	{ "one-if nat: leg 1 arrives on eth0 (client port 1123)", NAT, "eth0",
	  IN, REQ, client_addr, 1123, server_addr, 123, FV_LEG_1 },
	{ "one-if nat: leg 2 leaves eth0 from the NAT's ephemeral port", NAT,
	  "eth0", OUT, REQ, nat_addr, EPH, server_addr, 123, FV_LEG_2 },
	{ "one-if nat: leg 3 arrives on eth0 to the NAT's ephemeral port", NAT,
	  "eth0", IN, REP, server_addr, 123, nat_addr, EPH, FV_LEG_3 },
	{ "one-if nat: leg 4 leaves eth0 to client port 1123", NAT, "eth0", OUT,
	  REP, server_addr, 123, client_addr, 1123, FV_LEG_4 },
	{ "one-if nat: request leaving eth0 unmasqueraded = untranslated", NAT,
	  "eth0", OUT, REQ, client_addr, 1123, server_addr, 123,
	  FV_LEG_UNTRANSLATED },
	/* Linux router NAT: two interfaces; same answers. */
	{ "two-if nat: leg 1 arrives on eth1", NAT, "eth1", IN, REQ,
	  client_addr, 1123, server_addr, 123, FV_LEG_1 },
	{ "two-if nat: leg 2 leaves eth0", NAT, "eth0", OUT, REQ, nat_addr, EPH,
	  server_addr, 123, FV_LEG_2 },
	{ "two-if nat: leg 3 arrives on eth0", NAT, "eth0", IN, REP,
	  server_addr, 123, nat_addr, EPH, FV_LEG_3 },
	{ "two-if nat: leg 4 leaves eth1", NAT, "eth1", OUT, REP, server_addr,
	  123, client_addr, 1123, FV_LEG_4 },
	/* Masquerade keeps a free source port: client on 123 leaves on 123.
	 * The reply to the NAT's port 123 is still leg 3, not a service. */
	{ "nat, client port 123: leg 1", NAT, "eth0", IN, REQ, client_addr, 123,
	  server_addr, 123, FV_LEG_1 },
	{ "nat, client port 123: leg 2 keeps port 123", NAT, "eth0", OUT, REQ,
	  nat_addr, 123, server_addr, 123, FV_LEG_2 },
	{ "nat, client port 123: leg 3 to the NAT's port 123", NAT, "eth0", IN,
	  REP, server_addr, 123, nat_addr, 123, FV_LEG_3 },
	{ "nat, client port 123: leg 4", NAT, "eth0", OUT, REP, server_addr,
	  123, client_addr, 123, FV_LEG_4 },
	{ "nat, ephemeral client port: leg 1", NAT, "eth0", IN, REQ,
	  client_addr, EPH + 1, server_addr, 123, FV_LEG_1 },
	{ "nat, ephemeral client port: leg 4", NAT, "eth0", OUT, REP,
	  server_addr, 123, client_addr, EPH + 1, FV_LEG_4 },
	/* A server on a non-default port: still told apart by mode. */
	{ "nat, server port 1230: leg 2", NAT, "eth0", OUT, REQ, nat_addr, EPH,
	  server_addr, 1230, FV_LEG_2 },
	{ "nat, server port 1230: leg 3", NAT, "eth0", IN, REP, server_addr,
	  1230, nat_addr, EPH, FV_LEG_3 },
	/* NTP served by the NAT itself, to a client behind it. */
	{ "nat serving ntp: request to the NAT's inner address", NAT, "eth1",
	  IN, REQ, client_addr, 1123, nat_inner, 123, FV_LEG_LOCAL_SERVICE },
	{ "nat serving ntp: its reply to the client", NAT, "eth1", OUT, REP,
	  nat_inner, 123, client_addr, 1123, FV_LEG_LOCAL_SERVICE },
	/* Client: request leaving = leg 1, reply arriving = leg 4, any port. */
	{ "client port 1123: request leaving = leg 1", CLI, "eth0", OUT, REQ,
	  client_addr, 1123, server_addr, 123, FV_LEG_1 },
	{ "client port 1123: reply arriving = leg 4", CLI, "eth0", IN, REP,
	  server_addr, 123, client_addr, 1123, FV_LEG_4 },
	{ "client port 123: request leaving = leg 1", CLI, "eth0", OUT, REQ,
	  client_addr, 123, server_addr, 123, FV_LEG_1 },
	{ "client port 123: reply arriving = leg 4", CLI, "eth0", IN, REP,
	  server_addr, 123, client_addr, 123, FV_LEG_4 },
	{ "client ephemeral port: request leaving = leg 1", CLI, "eth0", OUT,
	  REQ, client_addr, EPH, server_addr, 123, FV_LEG_1 },
	{ "client ephemeral port: reply arriving = leg 4", CLI, "eth0", IN, REP,
	  server_addr, 123, client_addr, EPH, FV_LEG_4 },
	{ "client v6: request leaving = leg 1", CLI, "eth0", OUT, REQ,
	  client6_addr, EPH, server6_addr, 123, FV_LEG_1 },
	{ "client v6: reply arriving = leg 4", CLI, "eth0", IN, REP,
	  server6_addr, 123, client6_addr, EPH, FV_LEG_4 },
	{ "client serving ntp: request arriving = local service", CLI, "eth0",
	  IN, REQ, server_addr, 123, client_addr, 123, FV_LEG_LOCAL_SERVICE },
};

static void test_pkt_case(void **state)
{
	const struct pkt_case *c = *state;
	struct fv_host h;
	enum fv_leg got;

	host_for(c->role, &h);
	/* Ports and interface are carried only to document the case. */
	(void)c->sport;
	(void)c->dport;
	(void)c->ifname;
	got = fv_leg_classify(c->role, c->egress, c->mode,
			      fv_host_is_local(&h, c->src),
			      fv_host_is_local(&h, c->dst));
	if (got != c->want)
		print_error("%s: got %s, want %s\n", c->name, fv_leg_name(got),
			    fv_leg_name(c->want));
	assert_int_equal(got, c->want);
}

/* Every leg has its own, distinct name for reports. */
static void test_leg_names(void **state)
{
	int i, j;

	(void)state;
	for (i = FV_LEG_NONE; i < FV_LEG_MAX; i++) {
		assert_non_null(fv_leg_name(i));
		assert_true(strlen(fv_leg_name(i)) > 0);
		for (j = i + 1; j < FV_LEG_MAX; j++)
			assert_string_not_equal(fv_leg_name(i), fv_leg_name(j));
	}
	assert_string_equal(fv_leg_name(FV_LEG_MAX), "none");
}

static void test_link_service_addrs(void **state)
{
	static const struct {
		const char *addr;
		bool link;
	} cases[] = {
		{ "169.254.169.123", true },  { "169.254.0.1", true },
		{ "169.253.169.123", false }, { "10.0.1.10", false },
		{ "fd00:ec2::123", true },    { "fe80::1", true },
		{ "febf::1", true },	      { "fec0::1", false },
		{ "fd00:ec2::124", false },   { "2001:db8::123", false },
	};
	uint8_t a[16];

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		memset(a, 0, sizeof(a));
		if (strchr(cases[i].addr, ':')) {
			assert_int_equal(inet_pton(AF_INET6, cases[i].addr, a),
					 1);
		} else {
			a[10] = a[11] = 0xff;
			assert_int_equal(inet_pton(AF_INET, cases[i].addr, a + 12),
					 1);
		}
		if (fv_addr_link_service(a) != cases[i].link)
			print_error("%s\n", cases[i].addr);
		assert_int_equal(fv_addr_link_service(a), cases[i].link);
	}
}

int main(void)
{
	size_t n = ARRAY_SIZE(leg_cases) + ARRAY_SIZE(pkt_cases) + 2;
	struct CMUnitTest *tests = calloc(n, sizeof(*tests));
	size_t i, k = 0;
	int ret;

	if (!tests)
		return 1;
	for (i = 0; i < ARRAY_SIZE(leg_cases); i++) {
		tests[k].name = leg_cases[i].name;
		tests[k].test_func = test_leg_case;
		tests[k++].initial_state = (void *)&leg_cases[i];
	}
	for (i = 0; i < ARRAY_SIZE(pkt_cases); i++) {
		tests[k].name = pkt_cases[i].name;
		tests[k].test_func = test_pkt_case;
		tests[k++].initial_state = (void *)&pkt_cases[i];
	}
	tests[k].name = "leg names distinct";
	tests[k++].test_func = test_leg_names;
	tests[k].name = "link-local time service addresses";
	tests[k++].test_func = test_link_service_addrs;
	ret = _cmocka_run_group_tests("legs", tests, k, NULL, NULL);
	free(tests);
	return ret;
}
