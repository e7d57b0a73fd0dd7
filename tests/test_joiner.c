// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The joiner: events from several points, fed as the ring buffers deliver
 * them (in order per point, in any order across points), joined into
 * exchanges by their NTP cookie. No kernel needed. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <cmocka.h>

#include "session.h"

#define MS	1000000ull
#define NAT_OUT "10.0.0.5"
#define CLIENT	"10.0.1.10"
#define CLIENT2 "10.0.1.11"
#define SERVER	"198.51.100.123"

enum { P_NAT = 0, P_CLIENT = 1 };

static void mapped(uint8_t dst[16], const char *ip)
{
	memset(dst, 0, 10);
	dst[10] = dst[11] = 0xff;
	assert_int_equal(inet_pton(AF_INET, ip, dst + 12), 1);
}

/* A NAT point and, with_client, a point on the clients 10.0.1.10/11. */
static struct fv_session *session_new_points(bool with_client)
{
	struct fv_session *s = calloc(1, sizeof(*s));

	assert_non_null(s);
	s->n_points = with_client ? 2 : 1;
	s->points[P_NAT].host.role = FV_ROLE_NAT;
	s->points[P_NAT].host.n_addrs = 1;
	mapped(s->points[P_NAT].host.addrs[0], NAT_OUT);
	s->points[P_CLIENT].host.role = FV_ROLE_CLIENT;
	s->points[P_CLIENT].host.n_addrs = 2;
	mapped(s->points[P_CLIENT].host.addrs[0], CLIENT);
	mapped(s->points[P_CLIENT].host.addrs[1], CLIENT2);
	s->points[P_NAT].sess = s->points[P_CLIENT].sess = s;
	assert_int_equal(fv_xtable_init(&s->xt, 1024), 0);
	return s;
}

static struct fv_session *session_new(void)
{
	return session_new_points(true);
}

static void session_free(struct fv_session *s)
{
	fv_xtable_free(&s->xt);
	free(s);
}

/* One NTP packet as the BPF program reports it. */
static void feed(struct fv_session *s, int point, uint64_t ts, bool egress,
		 const char *src, uint16_t sport, const char *dst,
		 uint16_t dport, uint8_t mode, uint64_t cookie, uint8_t stratum)
{
	struct fv_event e = { .ts_ns = ts };

	mapped(e.key.saddr, src);
	mapped(e.key.daddr, dst);
	e.key.sport = htons(sport);
	e.key.dport = htons(dport);
	e.key.hook = egress ? FV_HOOK_TC_EGRESS : FV_HOOK_XDP;
	e.key.mode = mode;
	e.ntp[0] = (4 << 3) | mode;
	e.ntp[1] = stratum;
	if (stratum == 0)
		memcpy(e.ntp + FV_NTP_OFF_REFID, "RATE", 4);
	memcpy(e.ntp + (mode == 3 ? FV_NTP_OFF_TRANSMIT : FV_NTP_OFF_ORIGIN),
	       &cookie, sizeof(cookie));
	fv_session_ingest(s, point, &e);
}

/* The six sightings of one exchange, client port 1123, NAT port 40000. */
static void c1(struct fv_session *s, uint64_t t, uint64_t k)
{
	feed(s, P_CLIENT, t, true, CLIENT, 1123, SERVER, 123, 3, k, 0);
}
static void n1(struct fv_session *s, uint64_t t, uint64_t k)
{
	feed(s, P_NAT, t, false, CLIENT, 1123, SERVER, 123, 3, k, 0);
}
static void n2(struct fv_session *s, uint64_t t, uint64_t k)
{
	feed(s, P_NAT, t, true, NAT_OUT, 40000, SERVER, 123, 3, k, 0);
}
static void n3(struct fv_session *s, uint64_t t, uint64_t k)
{
	feed(s, P_NAT, t, false, SERVER, 123, NAT_OUT, 40000, 4, k, 2);
}
static void n4(struct fv_session *s, uint64_t t, uint64_t k)
{
	feed(s, P_NAT, t, true, SERVER, 123, CLIENT, 1123, 4, k, 2);
}
static void c4(struct fv_session *s, uint64_t t, uint64_t k)
{
	feed(s, P_CLIENT, t, false, SERVER, 123, CLIENT, 1123, 4, k, 2);
}

static struct fv_tally tally(struct fv_session *s, uint64_t now)
{
	struct fv_tally t = { 0 };

	fv_xtable_tally(&s->xt, 0, UINT64_MAX, now, 1000 * MS, &t);
	return t;
}

static void test_in_order(void **state)
{
	struct fv_session *s = session_new();
	struct fv_exchange *x;
	struct fv_tally t;

	c1(s, 1 * MS, 0x11);
	n1(s, 2 * MS, 0x11);
	n2(s, 3 * MS, 0x11);
	n3(s, 5 * MS, 0x11);
	n4(s, 6 * MS, 0x11);
	c4(s, 7 * MS, 0x11);
	t = tally(s, 8 * MS);
	assert_int_equal(t.answered, 1);
	assert_int_equal(fv_tally_lost(&t), 0);
	x = fv_xtable_find(&s->xt, 0x11);
	assert_non_null(x);
	/* The mapping, learned from the cookie alone. */
	assert_int_equal(ntohs(x->inside_port), 1123);
	assert_int_equal(ntohs(x->outside_port), 40000);
	assert_int_equal(x->seen_ns[FV_STAGE_N3] - x->seen_ns[FV_STAGE_N2],
			 2 * MS);
	assert_int_equal(x->stratum, 2);
	assert_false(x->kod);
	session_free(s);
}

/* The client's ring drained before the NAT's, and the other way round. */
static void test_client_ring_first(void **state)
{
	struct fv_session *s = session_new();
	struct fv_tally t;

	c1(s, 1 * MS, 0x22);
	c4(s, 7 * MS, 0x22);
	n1(s, 2 * MS, 0x22);
	n2(s, 3 * MS, 0x22);
	n3(s, 5 * MS, 0x22);
	n4(s, 6 * MS, 0x22);
	t = tally(s, 8 * MS);
	assert_int_equal(t.answered, 1);
	assert_int_equal(fv_xtable_find(&s->xt, 0x22)->first_ns, 1 * MS);
	session_free(s);
}

static void test_nat_ring_first(void **state)
{
	struct fv_session *s = session_new();
	struct fv_tally t;

	n1(s, 2 * MS, 0x33);
	n2(s, 3 * MS, 0x33);
	n3(s, 5 * MS, 0x33);
	n4(s, 6 * MS, 0x33);
	/* Until the client's view arrives the reply has only left the NAT:
	 * the client is watched, so that is not yet an answer. */
	t = tally(s, 8 * MS);
	assert_int_equal(t.answered, 0);
	assert_int_equal(t.in_flight, 1);
	c1(s, 1 * MS, 0x33);
	c4(s, 7 * MS, 0x33);
	t = tally(s, 8 * MS);
	assert_int_equal(t.answered, 1);
	session_free(s);
}

/* Loss at each place, judged only after the reply timeout. */
static void test_loss_beyond_nat(void **state)
{
	struct fv_session *s = session_new();
	struct fv_tally t;

	c1(s, 1 * MS, 0x44);
	n1(s, 2 * MS, 0x44);
	n2(s, 3 * MS, 0x44);
	t = tally(s, 500 * MS);
	assert_int_equal(t.in_flight, 1);
	t = tally(s, 1500 * MS);
	assert_int_equal(t.lost[FV_SEG_BEYOND_NAT], 1);
	session_free(s);
}

static void test_loss_nat_to_client(void **state)
{
	struct fv_session *s = session_new();
	struct fv_tally t;

	c1(s, 1 * MS, 0x55);
	n1(s, 2 * MS, 0x55);
	n2(s, 3 * MS, 0x55);
	n3(s, 5 * MS, 0x55);
	n4(s, 6 * MS, 0x55);
	t = tally(s, 1500 * MS);
	assert_int_equal(t.lost[FV_SEG_NAT_TO_CLIENT], 1);
	session_free(s);
}

/* The same request seen twice at the same point: one exchange, one
 * retransmission, not two exchanges. */
static void test_duplicate(void **state)
{
	struct fv_session *s = session_new_points(false);
	struct fv_tally t;

	n1(s, 2 * MS, 0x66);
	n1(s, 2 * MS + 100, 0x66);
	n2(s, 3 * MS, 0x66);
	n3(s, 5 * MS, 0x66);
	n4(s, 6 * MS, 0x66);
	t = tally(s, 8 * MS);
	assert_int_equal(s->xt.count, 1);
	assert_int_equal(t.answered, 1);
	assert_int_equal(fv_xtable_find(&s->xt, 0x66)->dups, 1);
	session_free(s);
}

/* Clients that send their clock as the transmit timestamp (older ntpd):
 * distinct readings join as usual; one reading from two clients is never
 * merged into one exchange. */
static void test_clock_cookies(void **state)
{
	struct fv_session *s = session_new_points(false);
	uint64_t clock = htobe64(0xe9000000ull << 32);
	struct fv_tally t;

	n1(s, 2 * MS, clock);
	n2(s, 3 * MS, clock);
	n3(s, 5 * MS, clock);
	n4(s, 6 * MS, clock);
	n1(s, 10 * MS, clock + 1);
	n2(s, 11 * MS, clock + 1);
	n3(s, 12 * MS, clock + 1);
	n4(s, 13 * MS, clock + 1);
	/* A second client with the very same reading. */
	feed(s, P_NAT, 20 * MS, false, CLIENT2, 1123, SERVER, 123, 3, clock + 1,
	     0);
	t = tally(s, 30 * MS);
	assert_int_equal(t.answered, 1);
	assert_int_equal(t.ambiguous, 1);
	assert_int_equal(s->cookie_collisions, 1);
	session_free(s);
}

static void test_unmatched_reply(void **state)
{
	struct fv_session *s = session_new();

	n3(s, 5 * MS, 0x77);
	assert_int_equal(s->unmatched_replies, 1);
	assert_int_equal(s->xt.count, 0);
	session_free(s);
}

static void test_zero_cookie(void **state)
{
	struct fv_session *s = session_new();

	n1(s, 2 * MS, 0);
	n3(s, 5 * MS, 0);
	assert_int_equal(s->zero_cookies, 2);
	assert_int_equal(s->xt.count, 0);
	session_free(s);
}

/* The NAT's own chronyd: leg 2 with no leg 1 behind it, and its reply. */
static void test_nat_own(void **state)
{
	struct fv_session *s = session_new();
	struct fv_tally t;

	feed(s, P_NAT, 1 * MS, true, NAT_OUT, 123, SERVER, 123, 3, 0x88, 0);
	feed(s, P_NAT, 2 * MS, false, SERVER, 123, NAT_OUT, 123, 4, 0x88, 2);
	t = tally(s, 5000 * MS);
	assert_int_equal(t.answered + t.in_flight + fv_tally_lost(&t), 0);
	assert_true(fv_exchange_is_nat_own(fv_xtable_find(&s->xt, 0x88)));
	assert_int_equal(s->nat_own.n, 1);
	assert_int_equal(s->forwarded.n, 0);
	session_free(s);
}

static void test_kod(void **state)
{
	struct fv_session *s = session_new();
	struct fv_exchange *x;

	n1(s, 2 * MS, 0x99);
	n2(s, 3 * MS, 0x99);
	feed(s, P_NAT, 5 * MS, false, SERVER, 123, NAT_OUT, 40000, 4, 0x99, 0);
	x = fv_xtable_find(&s->xt, 0x99);
	assert_true(x->kod);
	assert_memory_equal(x->refid, "RATE", 4);
	session_free(s);
}

/* After the window, replies still finish old exchanges; nothing new starts. */
static void test_accept_until(void **state)
{
	struct fv_session *s = session_new();

	n1(s, 2 * MS, 0xaa);
	s->accept_until_ns = 3 * MS;
	n1(s, 4 * MS, 0xbb);
	n2(s, 5 * MS, 0xaa);
	assert_null(fv_xtable_find(&s->xt, 0xbb));
	assert_true(fv_xtable_find(&s->xt, 0xaa)->seen & FV_SEEN(FV_STAGE_N2));
	session_free(s);
}

/* A client asking Amazon's 169.254.169.123: answered on its own link, so
 * no exchange of the pattern; not in flight, never lost; the same client's
 * request to a server beyond the NAT still is one. */
static void test_link_service(void **state)
{
	struct fv_session *s = session_new();
	struct fv_tally t;

	feed(s, P_CLIENT, 1 * MS, true, CLIENT, 1123, "169.254.169.123", 123, 3,
	     0x51, 0);
	feed(s, P_CLIENT, 2 * MS, false, "169.254.169.123", 123, CLIENT, 1123,
	     4, 0x51, 3);
	assert_null(fv_xtable_find(&s->xt, 0x51));
	assert_int_equal(s->unmatched_replies, 0);
	c1(s, 3 * MS, 0x52);
	t = tally(s, 1500 * MS);
	assert_int_equal(t.lost[FV_SEG_CLIENT_TO_NAT], 1);
	assert_int_equal(t.in_flight, 0);
	session_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_in_order),
		cmocka_unit_test(test_client_ring_first),
		cmocka_unit_test(test_nat_ring_first),
		cmocka_unit_test(test_loss_beyond_nat),
		cmocka_unit_test(test_loss_nat_to_client),
		cmocka_unit_test(test_duplicate),
		cmocka_unit_test(test_clock_cookies),
		cmocka_unit_test(test_unmatched_reply),
		cmocka_unit_test(test_zero_cookie),
		cmocka_unit_test(test_nat_own),
		cmocka_unit_test(test_kod),
		cmocka_unit_test(test_accept_until),
		cmocka_unit_test(test_link_service),
	};

	return cmocka_run_group_tests_name("joiner", tests, NULL, NULL);
}
