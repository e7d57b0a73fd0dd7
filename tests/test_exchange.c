// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Exchanges joined by cookie: the bounded table (find/get, FIFO eviction,
 * hash chains), stage marks, the outcome of one exchange and the tally of
 * a window. Pure functions: no root, no BPF. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <cmocka.h>

#include "exchange.h"
#include "verdict.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#define C1  FV_SEEN(FV_STAGE_C1)
#define N1  FV_SEEN(FV_STAGE_N1)
#define N2  FV_SEEN(FV_STAGE_N2)
#define N2U FV_SEEN(FV_STAGE_N2U)
#define N3  FV_SEEN(FV_STAGE_N3)
#define N4  FV_SEEN(FV_STAGE_N4)
#define C4  FV_SEEN(FV_STAGE_C4)

/* Cookies look like NTP timestamps: seconds in the high word. */
static uint64_t cookie_n(uint64_t i)
{
	return (0xe9a1b2c3ull + i) << 32 | (i * 0x9e3779b9u);
}

/* Mark every stage in the set, one nanosecond apart after t0. */
static void mark_all(struct fv_exchange *x, uint32_t seen, uint64_t t0)
{
	int s;

	for (s = 0; s < FV_STAGE_MAX; s++) {
		if (seen & FV_SEEN(s))
			assert_true(fv_exchange_mark(x, s, t0 + s));
	}
}

/* ---- the table ---- */

static void test_init_rejects_zero(void **state)
{
	struct fv_xtable xt;

	(void)state;
	assert_int_equal(fv_xtable_init(&xt, 0), -EINVAL);
	assert_null(xt.slots);
	fv_xtable_free(&xt); /* harmless after a failed init */
}

static void test_init_empty(void **state)
{
	struct fv_xtable xt;

	(void)state;
	assert_int_equal(fv_xtable_init(&xt, 4), 0);
	assert_int_equal(xt.capacity, 4);
	assert_true(xt.nbuckets >= 4);
	assert_int_equal(xt.nbuckets & (xt.nbuckets - 1), 0);
	assert_int_equal(xt.count, 0);
	assert_int_equal(xt.evicted, 0);
	/* Zeroed slots must not pass for cookie 0. */
	assert_null(fv_xtable_find(&xt, 0));
	assert_null(fv_xtable_find(&xt, cookie_n(1)));
	fv_xtable_free(&xt);
	assert_null(xt.slots);
	assert_null(xt.buckets);
}

static void test_get_then_find(void **state)
{
	struct fv_xtable xt;
	struct fv_exchange *a, *b;

	(void)state;
	assert_int_equal(fv_xtable_init(&xt, 4), 0);
	a = fv_xtable_get(&xt, cookie_n(1), 1000);
	assert_non_null(a);
	assert_int_equal(a->cookie, cookie_n(1));
	assert_int_equal(a->first_ns, 1000);
	assert_int_equal(a->seen, 0);
	assert_int_equal(xt.count, 1);
	assert_ptr_equal(fv_xtable_find(&xt, cookie_n(1)), a);
	/* Getting it again finds it: no second entry, first_ns kept. */
	b = fv_xtable_get(&xt, cookie_n(1), 2000);
	assert_ptr_equal(b, a);
	assert_int_equal(b->first_ns, 1000);
	assert_int_equal(xt.count, 1);
	/* Cookie 0 is a cookie like any other. */
	b = fv_xtable_get(&xt, 0, 3000);
	assert_ptr_not_equal(b, a);
	assert_ptr_equal(fv_xtable_find(&xt, 0), b);
	assert_int_equal(xt.count, 2);
	assert_ptr_equal(fv_xtable_at(&xt, 0), a);
	assert_ptr_equal(fv_xtable_at(&xt, 1), b);
	fv_xtable_free(&xt);
}

static void test_evicts_oldest(void **state)
{
	struct fv_xtable xt;
	struct fv_exchange *x;
	uint64_t i;

	(void)state;
	assert_int_equal(fv_xtable_init(&xt, 4), 0);
	for (i = 1; i <= 4; i++) {
		x = fv_xtable_get(&xt, cookie_n(i), i * 100);
		mark_all(x, N1 | N2, i * 100);
	}
	assert_int_equal(xt.count, 4);
	assert_int_equal(xt.evicted, 0);
	/* Full: two more push out cookies 1 and 2, in that order. */
	x = fv_xtable_get(&xt, cookie_n(5), 500);
	assert_int_equal(xt.evicted, 1);
	assert_null(fv_xtable_find(&xt, cookie_n(1)));
	/* The reused slot starts clean. */
	assert_int_equal(x->seen, 0);
	assert_int_equal(x->dups, 0);
	assert_int_equal(x->first_ns, 500);
	fv_xtable_get(&xt, cookie_n(6), 600);
	assert_int_equal(xt.count, 4);
	assert_int_equal(xt.evicted, 2);
	assert_null(fv_xtable_find(&xt, cookie_n(1)));
	assert_null(fv_xtable_find(&xt, cookie_n(2)));
	for (i = 3; i <= 6; i++) {
		x = fv_xtable_find(&xt, cookie_n(i));
		assert_non_null(x);
		assert_int_equal(x->first_ns, i * 100);
		/* Age order: 0 is the oldest still held. */
		assert_ptr_equal(fv_xtable_at(&xt, i - 3), x);
	}
	/* Finding an old one does not refresh it: FIFO, not LRU. */
	fv_xtable_get(&xt, cookie_n(3), 700);
	fv_xtable_get(&xt, cookie_n(7), 700);
	assert_null(fv_xtable_find(&xt, cookie_n(3)));
	assert_non_null(fv_xtable_find(&xt, cookie_n(4)));
	fv_xtable_free(&xt);
}

/* Capacity 1: every get of a new cookie evicts the one before. */
static void test_capacity_one(void **state)
{
	struct fv_xtable xt;
	uint64_t i;

	(void)state;
	assert_int_equal(fv_xtable_init(&xt, 1), 0);
	for (i = 0; i < 10; i++) {
		fv_xtable_get(&xt, cookie_n(i), i);
		assert_int_equal(xt.count, 1);
		assert_non_null(fv_xtable_find(&xt, cookie_n(i)));
		if (i)
			assert_null(fv_xtable_find(&xt, cookie_n(i - 1)));
	}
	assert_int_equal(xt.evicted, 9);
	fv_xtable_free(&xt);
}

/* Many cookies in a small table: chains form in every bucket, and
 * eviction unlinks from their heads, middles and tails. After each get,
 * exactly the newest `cap` cookies are found. */
static void check_window(uint32_t cap, uint32_t total, uint64_t (*gen)(uint64_t))
{
	struct fv_xtable xt;
	uint64_t i, j, lo;

	assert_int_equal(fv_xtable_init(&xt, cap), 0);
	for (i = 0; i < total; i++) {
		struct fv_exchange *x = fv_xtable_get(&xt, gen(i), i);

		assert_int_equal(x->cookie, gen(i));
		lo = i + 1 > cap ? i + 1 - cap : 0;
		assert_int_equal(xt.count, i + 1 - lo);
		if (lo)
			assert_null(fv_xtable_find(&xt, gen(lo - 1)));
		/* A full sweep now and then; the cheap checks every time. */
		if (i % 97 == 0 || i + 1 == total) {
			for (j = lo; j <= i; j++) {
				x = fv_xtable_find(&xt, gen(j));
				assert_non_null(x);
				assert_int_equal(x->first_ns, j);
				assert_ptr_equal(fv_xtable_at(&xt, j - lo), x);
			}
			for (j = 0; j < lo; j++)
				assert_null(fv_xtable_find(&xt, gen(j)));
		} else {
			assert_non_null(fv_xtable_find(&xt, gen(lo)));
		}
	}
	assert_int_equal(xt.evicted, total > cap ? total - cap : 0);
	fv_xtable_free(&xt);
}

static uint64_t gen_ntp(uint64_t i)
{
	return cookie_n(i);
}
static uint64_t gen_seq(uint64_t i)
{
	return i;
}
/* Same low bits, differing only high: collides without the mixing. */
static uint64_t gen_high(uint64_t i)
{
	return i << 40 | 0x5a5a;
}
/* Only the high word differs: a clock-reading cookie of many seconds. */
static uint64_t gen_sec(uint64_t i)
{
	return (0xe9000000ull + i) << 32;
}

static void test_collisions_ntp(void **state)
{
	(void)state;
	check_window(4, 2000, gen_ntp);
	check_window(5, 2000, gen_ntp); /* 8 buckets, 5 slots */
	check_window(64, 5000, gen_ntp);
}

static void test_collisions_seq(void **state)
{
	(void)state;
	check_window(4, 2000, gen_seq);
	check_window(1000, 3000, gen_seq);
}

static void test_collisions_high(void **state)
{
	(void)state;
	check_window(4, 2000, gen_high);
	check_window(100, 3000, gen_high);
}

static void test_collisions_sec(void **state)
{
	(void)state;
	check_window(7, 2000, gen_sec);
	check_window(256, 3000, gen_sec);
}

/* ---- marks ---- */

static void test_mark_dedup(void **state)
{
	struct fv_exchange x = { .first_ns = 1000 };

	(void)state;
	assert_true(fv_exchange_mark(&x, FV_STAGE_N1, 1100));
	assert_int_equal(x.seen, N1);
	assert_int_equal(x.seen_ns[FV_STAGE_N1], 1100);
	assert_int_equal(x.dups, 0);
	/* The same stage again (both hooks, a retransmit): counted once. */
	assert_false(fv_exchange_mark(&x, FV_STAGE_N1, 1200));
	assert_false(fv_exchange_mark(&x, FV_STAGE_N1, 1300));
	assert_int_equal(x.dups, 2);
	assert_int_equal(x.seen, N1);
	assert_int_equal(x.seen_ns[FV_STAGE_N1], 1100);
	assert_true(fv_exchange_mark(&x, FV_STAGE_N2, 1150));
	assert_int_equal(x.seen, N1 | N2);
	assert_int_equal(x.dups, 2);
	assert_int_equal(x.first_ns, 1000);
}

static void test_mark_earlier_moves_first(void **state)
{
	struct fv_exchange x = { .first_ns = 1000 };

	(void)state;
	/* Another host's event may be older than the one that created it. */
	assert_true(fv_exchange_mark(&x, FV_STAGE_C1, 900));
	assert_int_equal(x.first_ns, 900);
	/* A zero timestamp means unknown, not "at boot". */
	assert_true(fv_exchange_mark(&x, FV_STAGE_N1, 0));
	assert_int_equal(x.first_ns, 900);
	assert_true(fv_exchange_mark(&x, FV_STAGE_N2, 2000));
	assert_int_equal(x.first_ns, 900);
}

/* ---- outcome of one exchange ---- */

static void test_nat_own(void **state)
{
	struct fv_exchange x = { 0 };

	(void)state;
	assert_false(fv_exchange_is_nat_own(&x));
	x.seen = N2;
	assert_true(fv_exchange_is_nat_own(&x));
	x.seen = N2 | N3;
	assert_true(fv_exchange_is_nat_own(&x));
	x.seen = N1 | N2;
	assert_false(fv_exchange_is_nat_own(&x));
	x.seen = C1 | N2;
	assert_false(fv_exchange_is_nat_own(&x));
	x.seen = N1 | N2 | N3 | N4;
	assert_false(fv_exchange_is_nat_own(&x));
	x.seen = N3;
	assert_false(fv_exchange_is_nat_own(&x));
}

static void test_answered(void **state)
{
	struct fv_exchange x = { 0 };

	(void)state;
	assert_false(fv_exchange_answered(&x));
	x.seen = N1 | N2 | N3;
	assert_false(fv_exchange_answered(&x));
	/* No client view: a reply leaving the NAT is the end. */
	x.seen = N1 | N2 | N3 | N4;
	assert_true(fv_exchange_answered(&x));
	/* With the client watched, only its receipt counts. */
	x.client_watched = true;
	assert_false(fv_exchange_answered(&x));
	x.seen |= C1 | C4;
	assert_true(fv_exchange_answered(&x));
	x.seen = C1 | C4;
	assert_true(fv_exchange_answered(&x));
	x.client_watched = false;
	assert_true(fv_exchange_answered(&x));
}

struct stop_case {
	const char *name;
	uint32_t seen;
	bool client_watched;
	enum fv_segment want;
};

static const struct stop_case stop_cases[] = {
	{ "stopped_at C1 only = client_to_nat", C1, true, FV_SEG_CLIENT_TO_NAT },
	{ "stopped_at N1 only = inside_nat_request", N1, false,
	  FV_SEG_INSIDE_NAT_REQUEST },
	{ "stopped_at C1+N1 = inside_nat_request", C1 | N1, true,
	  FV_SEG_INSIDE_NAT_REQUEST },
	{ "stopped_at N1+N2U = nat_not_translating", N1 | N2U, false,
	  FV_SEG_NAT_NOT_TRANSLATING },
	{ "stopped_at C1+N1+N2U = nat_not_translating", C1 | N1 | N2U, true,
	  FV_SEG_NAT_NOT_TRANSLATING },
	{ "stopped_at N1+N2 = beyond_nat", N1 | N2, false, FV_SEG_BEYOND_NAT },
	{ "stopped_at N1+N2+N2U = beyond_nat (it was translated too)",
	  N1 | N2 | N2U, false, FV_SEG_BEYOND_NAT },
	{ "stopped_at C1+N1+N2 = beyond_nat", C1 | N1 | N2, true,
	  FV_SEG_BEYOND_NAT },
	{ "stopped_at N1+N2+N3 = inside_nat_reply", N1 | N2 | N3, false,
	  FV_SEG_INSIDE_NAT_REPLY },
	{ "stopped_at C1+N1+N2+N3 = inside_nat_reply", C1 | N1 | N2 | N3, true,
	  FV_SEG_INSIDE_NAT_REPLY },
	{ "stopped_at N1..N4 client watched, no C4 = nat_to_client",
	  N1 | N2 | N3 | N4, true, FV_SEG_NAT_TO_CLIENT },
	{ "stopped_at C1+N1..N4 client watched, no C4 = nat_to_client",
	  C1 | N1 | N2 | N3 | N4, true, FV_SEG_NAT_TO_CLIENT },
	{ "stopped_at N1..N4 client not watched = none (answered)",
	  N1 | N2 | N3 | N4, false, FV_SEG_NONE },
	{ "stopped_at C1..C4 = none (answered)", C1 | N1 | N2 | N3 | N4 | C4,
	  true, FV_SEG_NONE },
	{ "stopped_at C1+C4 only (NAT not watched) = none", C1 | C4, true,
	  FV_SEG_NONE },
	{ "stopped_at nothing seen = none", 0, false, FV_SEG_NONE },
	{ "stopped_at N3 only (reply without request) = none", N3, false,
	  FV_SEG_NONE },
};

static void test_stop_case(void **state)
{
	const struct stop_case *c = *state;
	struct fv_exchange x = { .seen = c->seen,
				 .client_watched = c->client_watched };
	enum fv_segment got = fv_exchange_stopped_at(&x);

	if (got != c->want)
		print_error("%s: got %s, want %s\n", c->name,
			    fv_segment_word(got) ?: "none",
			    fv_segment_word(c->want) ?: "none");
	assert_int_equal(got, c->want);
}

/* ---- tally ---- */

static struct fv_exchange *add(struct fv_xtable *xt, uint64_t cookie,
			       uint64_t first_ns, uint32_t seen, bool watched)
{
	struct fv_exchange *x = fv_xtable_get(xt, cookie, first_ns);

	x->client_watched = watched;
	mark_all(x, seen, first_ns);
	assert_int_equal(x->first_ns, first_ns);
	return x;
}

static void assert_lost_only(const struct fv_tally *t, enum fv_segment seg,
			     uint64_t n)
{
	int s;

	for (s = 0; s < FV_SEG_MAX; s++)
		assert_int_equal(t->lost[s], s == (int)seg ? n : 0);
}

#define MS 1000000ull

static void test_tally_timeout(void **state)
{
	struct fv_xtable xt;
	struct fv_tally t = { 0 };

	(void)state;
	assert_int_equal(fv_xtable_init(&xt, 16), 0);
	/* now = 1000 ms, timeout = 500 ms: first seen at or before 500 ms
	 * has had its time; after it is still in flight. */
	add(&xt, 1, 100 * MS, N1 | N2, false);		 /* lost */
	add(&xt, 2, 500 * MS, N1 | N2, false);		 /* lost, just */
	add(&xt, 3, 500 * MS + 1, N1 | N2, false);	 /* in flight, just */
	add(&xt, 4, 900 * MS, N1, false);		 /* in flight */
	add(&xt, 5, 100 * MS, N1 | N2 | N3 | N4, false); /* answered */
	add(&xt, 6, 999 * MS, N1 | N2 | N3 | N4, false); /* answered, young */
	fv_xtable_tally(&xt, 0, UINT64_MAX, 1000 * MS, 500 * MS, &t);
	assert_int_equal(t.answered, 2);
	assert_int_equal(t.in_flight, 2);
	assert_lost_only(&t, FV_SEG_BEYOND_NAT, 2);
	assert_int_equal(fv_tally_lost(&t), 2);
	fv_xtable_free(&xt);
}

static void test_tally_segments(void **state)
{
	struct fv_xtable xt;
	struct fv_tally t = { 0 };
	uint64_t c = 0;
	int s;

	(void)state;
	assert_int_equal(fv_xtable_init(&xt, 64), 0);
	add(&xt, ++c, 10, C1, true);
	add(&xt, ++c, 10, C1 | N1, true);
	add(&xt, ++c, 10, C1 | N1, true);
	add(&xt, ++c, 10, N1 | N2U, false);
	add(&xt, ++c, 10, N1 | N2U, false);
	add(&xt, ++c, 10, N1 | N2U, false);
	add(&xt, ++c, 10, N1 | N2, false);
	add(&xt, ++c, 10, N1 | N2 | N3, false);
	add(&xt, ++c, 10, N1 | N2 | N3 | N4, true);
	add(&xt, ++c, 10, C1 | N1 | N2 | N3 | N4, true);
	add(&xt, ++c, 10, C1 | N1 | N2 | N3 | N4 | C4, true);
	fv_xtable_tally(&xt, 0, UINT64_MAX, 10 * MS, MS, &t);
	assert_int_equal(t.answered, 1);
	assert_int_equal(t.in_flight, 0);
	assert_int_equal(t.lost[FV_SEG_NONE], 0);
	assert_int_equal(t.lost[FV_SEG_CLIENT_TO_NAT], 1);
	assert_int_equal(t.lost[FV_SEG_INSIDE_NAT_REQUEST], 2);
	assert_int_equal(t.lost[FV_SEG_NAT_NOT_TRANSLATING], 3);
	assert_int_equal(t.lost[FV_SEG_BEYOND_NAT], 1);
	assert_int_equal(t.lost[FV_SEG_INSIDE_NAT_REPLY], 1);
	assert_int_equal(t.lost[FV_SEG_NAT_TO_CLIENT], 2);
	for (s = 0, c = 0; s < FV_SEG_MAX; s++)
		c += t.lost[s];
	assert_int_equal(fv_tally_lost(&t), c);
	fv_xtable_free(&xt);
}

static void test_tally_window(void **state)
{
	struct fv_xtable xt;
	struct fv_tally t = { 0 };

	(void)state;
	assert_int_equal(fv_xtable_init(&xt, 16), 0);
	add(&xt, 1, 99, N1 | N2, false);	    /* before since */
	add(&xt, 2, 100, N1 | N2, false);	    /* at since: in */
	add(&xt, 3, 150, N1 | N2 | N3 | N4, false); /* in */
	add(&xt, 4, 200, N1, false);		    /* at until: in */
	add(&xt, 5, 201, N1 | N2 | N3 | N4, false); /* after until */
	add(&xt, 6, 50, N1 | N2 | N3 | N4, false);  /* before since */
	fv_xtable_tally(&xt, 100, 200, 10 * MS, MS, &t);
	assert_int_equal(t.answered, 1);
	assert_int_equal(t.in_flight, 0);
	assert_int_equal(t.lost[FV_SEG_BEYOND_NAT], 1);
	assert_int_equal(t.lost[FV_SEG_INSIDE_NAT_REQUEST], 1);
	assert_int_equal(fv_tally_lost(&t), 2);
	fv_xtable_free(&xt);
}

static void test_tally_excludes(void **state)
{
	struct fv_xtable xt;
	struct fv_tally t = { 0 };

	(void)state;
	assert_int_equal(fv_xtable_init(&xt, 16), 0);
	/* The NAT's own chrony: answered or not, not a client's exchange. */
	add(&xt, 1, 10, N2, false);
	add(&xt, 2, 10, N2 | N3, false);
	add(&xt, 3, 10, N2, true);
	/* Replies with no request seen: a request before we started. */
	add(&xt, 4, 10, N3, false);
	add(&xt, 5, 10, N3 | N4, false);
	add(&xt, 6, 10, N4, false);
	add(&xt, 7, 10, C4, true);
	/* Created but never marked. */
	add(&xt, 8, 10, 0, false);
	/* One real exchange, to show the rest were looked at. */
	add(&xt, 9, 10, N1 | N2 | N3 | N4, false);
	fv_xtable_tally(&xt, 0, UINT64_MAX, 10 * MS, MS, &t);
	assert_int_equal(t.answered, 1);
	assert_int_equal(t.in_flight, 0);
	assert_int_equal(fv_tally_lost(&t), 0);
	/* Young ones are excluded as well, not counted in flight. */
	memset(&t, 0, sizeof(t));
	fv_xtable_tally(&xt, 0, UINT64_MAX, 11, MS, &t);
	assert_int_equal(t.answered, 1);
	assert_int_equal(t.in_flight, 0);
	assert_int_equal(fv_tally_lost(&t), 0);
	fv_xtable_free(&xt);
}

/* KoD replies are answered and counted as KoD; an ambiguous cookie (two
 * clients) is counted apart and never judged, even when it looks lost. */
static void test_tally_kod_and_ambiguous(void **state)
{
	struct fv_xtable xt;
	struct fv_tally t = { 0 };
	struct fv_exchange *x;

	(void)state;
	assert_int_equal(fv_xtable_init(&xt, 16), 0);
	x = add(&xt, 1, 10, N1 | N2 | N3 | N4, false);
	x->kod = true;
	add(&xt, 2, 10, N1 | N2 | N3 | N4, false);
	x = add(&xt, 3, 10, N1 | N2, false);
	x->ambiguous = true;
	fv_xtable_tally(&xt, 0, UINT64_MAX, 10 * MS, MS, &t);
	assert_int_equal(t.answered, 2);
	assert_int_equal(t.kod, 1);
	assert_int_equal(t.ambiguous, 1);
	assert_int_equal(fv_tally_lost(&t), 0);
	fv_xtable_free(&xt);
}

/* Every latency span runs forward through the stages, one per segment. */
static void test_spans(void **state)
{
	int k;

	(void)state;
	assert_int_equal(fv_nspans, 5);
	for (k = 0; k < fv_nspans; k++) {
		assert_true(fv_spans[k].from < fv_spans[k].to);
		assert_int_not_equal(fv_spans[k].seg, FV_SEG_NONE);
		assert_int_not_equal(fv_spans[k].seg, FV_SEG_NAT_NOT_TRANSLATING);
	}
}

/* The tally adds to what the caller has, leaving counters alone. */
static void test_tally_accumulates(void **state)
{
	struct fv_xtable xt;
	struct fv_tally t = { .answered = 5,
			      .in_flight = 1,
			      .leg_packets = { 0, 7, 7, 7, 7 } };

	(void)state;
	t.lost[FV_SEG_BEYOND_NAT] = 2;
	assert_int_equal(fv_xtable_init(&xt, 4), 0);
	add(&xt, 1, 10, N1 | N2 | N3 | N4, false);
	add(&xt, 2, 10, N1 | N2, false);
	fv_xtable_tally(&xt, 0, UINT64_MAX, 10 * MS, MS, &t);
	assert_int_equal(t.answered, 6);
	assert_int_equal(t.in_flight, 1);
	assert_int_equal(t.lost[FV_SEG_BEYOND_NAT], 3);
	assert_int_equal(t.leg_packets[1], 7);
	assert_int_equal(t.leg_packets[4], 7);
	fv_xtable_free(&xt);
}

/* After eviction only what the table still holds is counted. */
static void test_tally_after_eviction(void **state)
{
	struct fv_xtable xt;
	struct fv_tally t = { 0 };
	uint64_t i;

	(void)state;
	assert_int_equal(fv_xtable_init(&xt, 4), 0);
	for (i = 1; i <= 6; i++) /* 1, 2 evicted: lost */
		add(&xt, i, i, i <= 2 ? N1 : N1 | N2 | N3 | N4, false);
	add(&xt, 7, 7, N1 | N2, false); /* evicts 3 */
	fv_xtable_tally(&xt, 0, UINT64_MAX, 10 * MS, MS, &t);
	assert_int_equal(t.answered, 3);
	assert_lost_only(&t, FV_SEG_BEYOND_NAT, 1);
	fv_xtable_free(&xt);
}

int main(void)
{
	static const struct CMUnitTest fixed[] = {
		cmocka_unit_test(test_init_rejects_zero),
		cmocka_unit_test(test_init_empty),
		cmocka_unit_test(test_get_then_find),
		cmocka_unit_test(test_evicts_oldest),
		cmocka_unit_test(test_capacity_one),
		cmocka_unit_test(test_collisions_ntp),
		cmocka_unit_test(test_collisions_seq),
		cmocka_unit_test(test_collisions_high),
		cmocka_unit_test(test_collisions_sec),
		cmocka_unit_test(test_mark_dedup),
		cmocka_unit_test(test_mark_earlier_moves_first),
		cmocka_unit_test(test_nat_own),
		cmocka_unit_test(test_answered),
		cmocka_unit_test(test_tally_timeout),
		cmocka_unit_test(test_tally_segments),
		cmocka_unit_test(test_tally_window),
		cmocka_unit_test(test_tally_excludes),
		cmocka_unit_test(test_tally_accumulates),
		cmocka_unit_test(test_tally_after_eviction),
		cmocka_unit_test(test_tally_kod_and_ambiguous),
		cmocka_unit_test(test_spans),
	};
	size_t n = ARRAY_SIZE(fixed) + ARRAY_SIZE(stop_cases);
	struct CMUnitTest *tests = calloc(n, sizeof(*tests));
	size_t i, k = 0;
	int ret;

	if (!tests)
		return 1;
	for (i = 0; i < ARRAY_SIZE(fixed); i++)
		tests[k++] = fixed[i];
	for (i = 0; i < ARRAY_SIZE(stop_cases); i++) {
		tests[k].name = stop_cases[i].name;
		tests[k].test_func = test_stop_case;
		tests[k++].initial_state = (void *)&stop_cases[i];
	}
	ret = _cmocka_run_group_tests("exchange", tests, k, NULL, NULL);
	free(tests);
	return ret;
}
