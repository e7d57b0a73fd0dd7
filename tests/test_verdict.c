// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The verdict from a tally: status, the segment where packets stop, and
 * the explanation, from joined exchanges or, failing those, from leg
 * counters. The segment words are the project's interface: checked
 * letter by letter. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "verdict.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static const char *const words[FV_SEG_MAX] = {
	[FV_SEG_NONE] = NULL,
	[FV_SEG_CLIENT_TO_NAT] = "client_to_nat",
	[FV_SEG_INSIDE_NAT_REQUEST] = "inside_nat_request",
	[FV_SEG_NAT_NOT_TRANSLATING] = "nat_not_translating",
	[FV_SEG_BEYOND_NAT] = "beyond_nat",
	[FV_SEG_INSIDE_NAT_REPLY] = "inside_nat_reply",
	[FV_SEG_NAT_TO_CLIENT] = "nat_to_client",
	[FV_SEG_BEYOND_CLIENT] = "beyond_client",
};

static const char *word_or_none(enum fv_segment s)
{
	return s > FV_SEG_NONE && s < FV_SEG_MAX ? words[s] : "none";
}

/* A fault's explanation opens with its word and a colon, and carries the
 * likely causes whole (not cut off by the buffer). */
static void assert_fault_explained(const struct fv_verdict *v)
{
	const char *w = words[v->segment];
	size_t n;

	assert_int_equal(v->status, FV_STATUS_FAULT);
	assert_non_null(w);
	n = strlen(v->explanation);
	assert_true(n > strlen(w));
	assert_true(n < sizeof(v->explanation) - 1);
	assert_memory_equal(v->explanation, w, strlen(w));
	assert_int_equal(v->explanation[strlen(w)], ':');
	assert_non_null(strstr(v->explanation, fv_segment_causes(v->segment)));
}

static void assert_explained(const struct fv_verdict *v)
{
	size_t n = strlen(v->explanation);

	assert_true(n > 0);
	assert_true(n < sizeof(v->explanation) - 1);
}

/* ---- words ---- */

static void test_segment_words(void **state)
{
	int s;

	(void)state;
	assert_null(fv_segment_word(FV_SEG_NONE));
	assert_null(fv_segment_word(FV_SEG_MAX));
	assert_null(fv_segment_word((enum fv_segment) - 1));
	assert_null(fv_segment_causes(FV_SEG_NONE));
	assert_null(fv_segment_causes(FV_SEG_MAX));
	for (s = FV_SEG_NONE + 1; s < FV_SEG_MAX; s++) {
		assert_non_null(fv_segment_word(s));
		assert_string_equal(fv_segment_word(s), words[s]);
		assert_non_null(fv_segment_causes(s));
		assert_true(strlen(fv_segment_causes(s)) > 0);
	}
}

static void test_status_words(void **state)
{
	(void)state;
	assert_string_equal(fv_status_word(FV_STATUS_OK), "ok");
	assert_string_equal(fv_status_word(FV_STATUS_FAULT), "fault");
	assert_string_equal(fv_status_word(FV_STATUS_NO_TRAFFIC), "no_traffic");
	assert_string_equal(fv_status_word(FV_STATUS_PENDING), "pending");
	assert_string_equal(fv_status_word(FV_STATUS_INCONCLUSIVE),
			    "inconclusive");
}

static void test_tally_lost_sum(void **state)
{
	struct fv_tally t = { .answered = 9, .in_flight = 4 };
	int s;

	(void)state;
	assert_int_equal(fv_tally_lost(&t), 0);
	for (s = FV_SEG_NONE + 1; s < FV_SEG_MAX; s++)
		t.lost[s] = s;
	assert_int_equal(fv_tally_lost(&t), 1 + 2 + 3 + 4 + 5 + 6 + 7);
}

/* ---- from exchanges ---- */

static void test_ok(void **state)
{
	struct fv_tally t = { .answered = 10, .in_flight = 2 };
	struct fv_verdict v;

	(void)state;
	/* Broken-looking counters do not override answered exchanges. */
	t.leg_packets[1] = 10;
	fv_verdict_decide(&t, &v);
	assert_int_equal(v.status, FV_STATUS_OK);
	assert_int_equal(v.segment, FV_SEG_NONE);
	assert_int_equal(v.lost, 0);
	assert_false(v.from_counters);
	assert_explained(&v);
}

static void test_ok_few_lost(void **state)
{
	struct fv_tally t = { .answered = 100 };
	struct fv_verdict v;

	(void)state;
	t.lost[FV_SEG_BEYOND_NAT] = 1;
	t.lost[FV_SEG_NAT_TO_CLIENT] = 2;
	fv_verdict_decide(&t, &v);
	assert_int_equal(v.status, FV_STATUS_OK);
	assert_int_equal(v.segment, FV_SEG_NONE);
	assert_int_equal(v.lost, 3);
	assert_false(v.from_counters);
	assert_explained(&v);
	/* The loss is reported, with where most of it was. */
	assert_non_null(strstr(v.explanation, "3 lost"));
	assert_non_null(strstr(v.explanation, "nat_to_client"));
}

static void test_fault_majority(void **state)
{
	struct fv_tally t = { .answered = 3, .in_flight = 5 };
	struct fv_verdict v;

	(void)state;
	t.lost[FV_SEG_INSIDE_NAT_REQUEST] = 2;
	t.lost[FV_SEG_BEYOND_NAT] = 7;
	t.lost[FV_SEG_NAT_TO_CLIENT] = 1;
	fv_verdict_decide(&t, &v);
	assert_int_equal(v.segment, FV_SEG_BEYOND_NAT);
	assert_int_equal(v.lost, 10);
	assert_false(v.from_counters);
	assert_fault_explained(&v);
}

struct tie_case {
	const char *name;
	enum fv_segment a, b; /* a < b, same loss */
};

static const struct tie_case tie_cases[] = {
	{ "tie client_to_nat vs nat_to_client -> client_to_nat",
	  FV_SEG_CLIENT_TO_NAT, FV_SEG_NAT_TO_CLIENT },
	{ "tie beyond_nat vs inside_nat_reply -> beyond_nat", FV_SEG_BEYOND_NAT,
	  FV_SEG_INSIDE_NAT_REPLY },
	{ "tie inside_nat_request vs nat_not_translating -> inside_nat_request",
	  FV_SEG_INSIDE_NAT_REQUEST, FV_SEG_NAT_NOT_TRANSLATING },
	{ "tie nat_not_translating vs beyond_nat -> nat_not_translating",
	  FV_SEG_NAT_NOT_TRANSLATING, FV_SEG_BEYOND_NAT },
};

static void test_tie_case(void **state)
{
	const struct tie_case *c = *state;
	struct fv_tally t = { 0 };
	struct fv_verdict v;

	t.lost[c->a] = 4;
	t.lost[c->b] = 4;
	t.lost[FV_SEG_INSIDE_NAT_REPLY == c->b ? FV_SEG_CLIENT_TO_NAT
					       : FV_SEG_INSIDE_NAT_REPLY] = 1;
	fv_verdict_decide(&t, &v);
	if (v.segment != c->a)
		print_error("%s: got %s\n", c->name, word_or_none(v.segment));
	assert_int_equal(v.segment, c->a);
	assert_int_equal(v.lost, 9);
	assert_fault_explained(&v);
}

/* Every segment can be the verdict, from exchanges alone. */
static void test_fault_each_segment(void **state)
{
	int s;

	(void)state;
	for (s = FV_SEG_NONE + 1; s < FV_SEG_MAX; s++) {
		struct fv_tally t = { .answered = 1 };
		struct fv_verdict v;

		t.lost[s] = 2;
		fv_verdict_decide(&t, &v);
		assert_int_equal(v.segment, s);
		assert_int_equal(v.lost, 2);
		assert_false(v.from_counters);
		assert_fault_explained(&v);
	}
}

static void test_no_traffic(void **state)
{
	struct fv_tally t = { 0 };
	struct fv_verdict v;

	(void)state;
	fv_verdict_decide(&t, &v);
	assert_int_equal(v.status, FV_STATUS_NO_TRAFFIC);
	assert_int_equal(v.segment, FV_SEG_NONE);
	assert_int_equal(v.lost, 0);
	assert_false(v.from_counters);
	assert_explained(&v);
	/* A watched client that sent nothing is still no traffic. */
	t.have_client = true;
	fv_verdict_decide(&t, &v);
	assert_int_equal(v.status, FV_STATUS_NO_TRAFFIC);
	assert_int_equal(v.segment, FV_SEG_NONE);
}

static void test_pending(void **state)
{
	struct fv_tally t = { .in_flight = 3 };
	struct fv_verdict v;

	(void)state;
	/* Counters that would say "fault" must wait for the exchanges. */
	t.leg_packets[1] = 3;
	fv_verdict_decide(&t, &v);
	assert_int_equal(v.status, FV_STATUS_PENDING);
	assert_int_equal(v.segment, FV_SEG_NONE);
	assert_int_equal(v.lost, 0);
	assert_false(v.from_counters);
	assert_explained(&v);
	assert_non_null(strstr(v.explanation, "3"));
}

/* ---- saying only what was seen (issue 14) ---- */

/* No lab value in any cause: the client's port is whatever was observed. */
static void test_causes_name_no_lab_port(void **state)
{
	int s;

	(void)state;
	for (s = FV_SEG_NONE + 1; s < FV_SEG_MAX; s++)
		assert_null(strstr(fv_segment_causes(s), "1123"));
}

/* NAT only: replies left the NAT; arrival is not claimed. */
static void test_ok_nat_only_claims_no_arrival(void **state)
{
	struct fv_tally t = { .answered = 12 };
	struct fv_verdict v;

	(void)state;
	fv_verdict_decide(&t, &v);
	assert_int_equal(v.status, FV_STATUS_OK);
	assert_string_equal(v.explanation,
			    "replies left the NAT toward the clients: 12 "
			    "exchanges answered at the NAT, none lost; add "
			    "--client on a client to see whether they arrive");
	assert_null(strstr(v.explanation, "reach"));
}

/* One exchange is "1 exchange", not "1 exchanges" (issue 16). */
static void test_one_exchange_singular(void **state)
{
	struct fv_tally t = { .answered = 1 };
	struct fv_verdict v;

	(void)state;
	fv_verdict_decide(&t, &v);
	assert_non_null(strstr(v.explanation, ": 1 exchange answered at"));
	t = (struct fv_tally){ .in_flight = 1 };
	fv_verdict_decide(&t, &v);
	assert_int_equal(v.status, FV_STATUS_PENDING);
	assert_non_null(strstr(v.explanation, "1 exchange in flight"));
}

/* A client point that sent none of them proves nothing of arrival. */
static void test_ok_client_point_saw_none(void **state)
{
	struct fv_tally t = { .answered = 12, .have_client = true };
	struct fv_verdict v;

	(void)state;
	fv_verdict_decide(&t, &v);
	assert_int_equal(v.status, FV_STATUS_OK);
	assert_string_equal(v.explanation,
			    "replies left the NAT toward the clients: 12 "
			    "exchanges answered at the NAT, none lost; no "
			    "watched client sent them, so whether they arrive "
			    "is not seen");
}

static void test_ok_at_clients(void **state)
{
	struct fv_tally t = { .answered = 12,
			      .answered_at_client = 12,
			      .have_client = true };
	struct fv_verdict v;

	(void)state;
	fv_verdict_decide(&t, &v);
	assert_string_equal(v.explanation,
			    "replies reach the watched clients: 12 exchanges "
			    "answered, none lost");
	t.answered_at_client = 8;
	fv_verdict_decide(&t, &v);
	assert_string_equal(v.explanation,
			    "replies reach the watched clients (8 exchanges) "
			    "and left the NAT toward clients not watched (4 "
			    "more), none lost");
}

/* By the counters alone, without a client: leg 4 left the NAT. */
static void test_ok_counters_nat_only(void **state)
{
	struct fv_tally t = { 0 };
	struct fv_verdict v;

	(void)state;
	t.leg_packets[1] = t.leg_packets[2] = t.leg_packets[3] = 5;
	t.leg_packets[4] = 5;
	fv_verdict_decide(&t, &v);
	assert_int_equal(v.status, FV_STATUS_OK);
	assert_true(v.from_counters);
	assert_null(strstr(v.explanation, "reach"));
	assert_non_null(strstr(v.explanation, "left the NAT toward the clients"));
}

/* Interrupted with nothing settled: inconclusive, whatever the counters
 * (they count requests cut off mid-flight) or the silence suggest. */
static void test_interrupted_nothing_judged(void **state)
{
	struct fv_tally t = { .in_flight = 2,
			      .interrupted = true,
			      .have_client = true };
	struct fv_verdict v;

	(void)state;
	t.leg_packets[1] = 3;
	t.client_leg1_packets = 3;
	fv_verdict_decide(&t, &v);
	assert_int_equal(v.status, FV_STATUS_INCONCLUSIVE);
	assert_int_equal(v.segment, FV_SEG_NONE);
	assert_false(v.from_counters);
	assert_string_equal(v.explanation,
			    "interrupted before any exchange could be judged: 2 "
			    "in flight (not counted as lost); let it run past "
			    "the reply timeout");
	/* Nothing seen at all before the signal is not "no traffic". */
	memset(&t, 0, sizeof(t));
	t.interrupted = true;
	fv_verdict_decide(&t, &v);
	assert_int_equal(v.status, FV_STATUS_INCONCLUSIVE);
}

/* Interrupted after some exchanges settled: those are judged, the ones in
 * flight are not lost, and the counters never decide. */
static void test_interrupted_judges_what_completed(void **state)
{
	struct fv_tally t = { .answered = 2,
			      .answered_at_client = 2,
			      .in_flight = 3,
			      .interrupted = true,
			      .have_client = true };
	struct fv_verdict v;

	(void)state;
	t.leg_packets[1] = 5;
	t.leg_packets[2] = 5;
	t.leg_packets[3] = 2;
	t.leg_packets[4] = 2;
	t.client_leg1_packets = 5;
	t.client_leg4_packets = 2;
	fv_verdict_decide(&t, &v);
	assert_int_equal(v.status, FV_STATUS_OK);
	assert_int_equal(v.lost, 0);
	/* A real loss among what completed is still judged. */
	t.answered = 1;
	t.lost[FV_SEG_BEYOND_NAT] = 2;
	fv_verdict_decide(&t, &v);
	assert_int_equal(v.segment, FV_SEG_BEYOND_NAT);
	assert_fault_explained(&v);
}

/* A client point alone never names a segment it cannot see. */
static void test_client_only_beyond_client(void **state)
{
	struct fv_tally t = { .have_client = true,
			      .client_only = true,
			      .client_leg1_packets = 6 };
	struct fv_verdict v;

	(void)state;
	fv_verdict_decide(&t, &v);
	assert_int_equal(v.segment, FV_SEG_BEYOND_CLIENT);
	assert_true(v.from_counters);
	assert_fault_explained(&v);
	assert_null(strstr(v.explanation, "client_to_nat"));
	t.client_leg4_packets = 6;
	fv_verdict_decide(&t, &v);
	assert_int_equal(v.status, FV_STATUS_OK);
	assert_non_null(strstr(v.explanation, "reach the watched clients"));
}

/* ---- from counters, when nothing could be joined ---- */

struct counter_case {
	const char *name;
	bool have_client;
	uint64_t client1, client4;
	uint64_t legs[5];
	uint64_t untranslated;
	enum fv_segment want; /* FV_SEG_NONE: ok by the counters */
};

static const struct counter_case counter_cases[] = {
	{ "counters: client sends, NAT sees nothing = client_to_nat",
	  true,
	  5,
	  0,
	  { 0 },
	  0,
	  FV_SEG_CLIENT_TO_NAT },
	{ "counters: leg 1 only = inside_nat_request",
	  false,
	  0,
	  0,
	  { 0, 5 },
	  0,
	  FV_SEG_INSIDE_NAT_REQUEST },
	{ "counters: client + leg 1 only = inside_nat_request",
	  true,
	  5,
	  0,
	  { 0, 5 },
	  0,
	  FV_SEG_INSIDE_NAT_REQUEST },
	{ "counters: leg 1 + untranslated = nat_not_translating",
	  false,
	  0,
	  0,
	  { 0, 5 },
	  5,
	  FV_SEG_NAT_NOT_TRANSLATING },
	{ "counters: untranslated only = nat_not_translating",
	  false,
	  0,
	  0,
	  { 0 },
	  5,
	  FV_SEG_NAT_NOT_TRANSLATING },
	{ "counters: client + leg 1 + untranslated = nat_not_translating",
	  true,
	  5,
	  0,
	  { 0, 5 },
	  5,
	  FV_SEG_NAT_NOT_TRANSLATING },
	{ "counters: legs 1,2 = beyond_nat", false, 0, 0, { 0, 5, 5 }, 0, FV_SEG_BEYOND_NAT },
	{ "counters: legs 1,2 + some untranslated = beyond_nat",
	  false,
	  0,
	  0,
	  { 0, 5, 3 },
	  2,
	  FV_SEG_BEYOND_NAT },
	{ "counters: client + legs 1,2 = beyond_nat",
	  true,
	  5,
	  0,
	  { 0, 5, 5 },
	  0,
	  FV_SEG_BEYOND_NAT },
	{ "counters: legs 1,2,3 = inside_nat_reply",
	  false,
	  0,
	  0,
	  { 0, 5, 5, 5 },
	  0,
	  FV_SEG_INSIDE_NAT_REPLY },
	{ "counters: client + legs 1,2,3 = inside_nat_reply",
	  true,
	  5,
	  0,
	  { 0, 5, 5, 5 },
	  0,
	  FV_SEG_INSIDE_NAT_REPLY },
	{ "counters: client + legs 1..4, client gets nothing = nat_to_client",
	  true,
	  5,
	  0,
	  { 0, 5, 5, 5, 5 },
	  0,
	  FV_SEG_NAT_TO_CLIENT },
	{ "counters: client + legs 1..4 + client receives = ok by the counters",
	  true,
	  5,
	  5,
	  { 0, 5, 5, 5, 5 },
	  0,
	  FV_SEG_NONE },
	{ "counters: legs 1..4, no client watched = ok by the counters",
	  false,
	  0,
	  0,
	  { 0, 5, 5, 5, 5 },
	  0,
	  FV_SEG_NONE },
	{ "counters: client leg 4 without a client point is ignored",
	  false,
	  0,
	  5,
	  { 0, 5, 5, 5, 5 },
	  0,
	  FV_SEG_NONE },
};

static void test_counter_case(void **state)
{
	const struct counter_case *c = *state;
	struct fv_tally t = { .have_client = c->have_client,
			      .client_leg1_packets = c->client1,
			      .client_leg4_packets = c->client4,
			      .untranslated_packets = c->untranslated };
	struct fv_verdict v;

	memcpy(t.leg_packets, c->legs, sizeof(t.leg_packets));
	fv_verdict_decide(&t, &v);
	if (v.segment != c->want)
		print_error("%s: got %s %s\n", c->name,
			    fv_status_word(v.status), word_or_none(v.segment));
	assert_int_equal(v.segment, c->want);
	assert_int_equal(v.lost, 0);
	if (c->want == FV_SEG_NONE) {
		/* Replies flow on every watched leg: ok, and said to rest on
		 * the counters alone. */
		assert_int_equal(v.status, FV_STATUS_OK);
		assert_true(v.from_counters);
		assert_non_null(strstr(v.explanation, "counters"));
		return;
	}
	assert_true(v.from_counters);
	assert_fault_explained(&v);
}

/* ---- Kiss-o'-Death: answered, yet a fault of its own kind ---- */

static void test_kod_majority_is_fault(void **state)
{
	struct fv_tally t = { .answered = 10, .kod = 6 };
	struct fv_verdict v;

	fv_verdict_decide(&t, &v);
	assert_int_equal(v.status, FV_STATUS_FAULT);
	assert_true(v.kod);
	assert_int_equal(v.segment, FV_SEG_NONE);
	assert_non_null(strstr(v.explanation, "Kiss-o'-Death"));
}

static void test_kod_few_is_ok(void **state)
{
	struct fv_tally t = { .answered = 10, .kod = 2 };
	struct fv_verdict v;

	fv_verdict_decide(&t, &v);
	assert_int_equal(v.status, FV_STATUS_OK);
	assert_false(v.kod);
}

/* A lost-path fault outranks KoD: the path is what is broken. */
static void test_loss_beats_kod(void **state)
{
	struct fv_tally t = { .answered = 2, .kod = 2 };
	struct fv_verdict v;

	t.lost[FV_SEG_BEYOND_NAT] = 5;
	fv_verdict_decide(&t, &v);
	assert_int_equal(v.status, FV_STATUS_FAULT);
	assert_int_equal(v.segment, FV_SEG_BEYOND_NAT);
	assert_false(v.kod);
}

int main(void)
{
	static const struct CMUnitTest fixed[] = {
		cmocka_unit_test(test_segment_words),
		cmocka_unit_test(test_status_words),
		cmocka_unit_test(test_tally_lost_sum),
		cmocka_unit_test(test_ok),
		cmocka_unit_test(test_ok_few_lost),
		cmocka_unit_test(test_fault_majority),
		cmocka_unit_test(test_fault_each_segment),
		cmocka_unit_test(test_no_traffic),
		cmocka_unit_test(test_pending),
		cmocka_unit_test(test_kod_majority_is_fault),
		cmocka_unit_test(test_kod_few_is_ok),
		cmocka_unit_test(test_loss_beats_kod),
		cmocka_unit_test(test_causes_name_no_lab_port),
		cmocka_unit_test(test_ok_nat_only_claims_no_arrival),
		cmocka_unit_test(test_ok_client_point_saw_none),
		cmocka_unit_test(test_ok_at_clients),
		cmocka_unit_test(test_ok_counters_nat_only),
		cmocka_unit_test(test_interrupted_nothing_judged),
		cmocka_unit_test(test_interrupted_judges_what_completed),
		cmocka_unit_test(test_client_only_beyond_client),
		cmocka_unit_test(test_one_exchange_singular),
	};
	size_t n = ARRAY_SIZE(fixed) + ARRAY_SIZE(tie_cases) +
		   ARRAY_SIZE(counter_cases);
	struct CMUnitTest *tests = calloc(n, sizeof(*tests));
	size_t i, k = 0;
	int ret;

	if (!tests)
		return 1;
	for (i = 0; i < ARRAY_SIZE(fixed); i++)
		tests[k++] = fixed[i];
	for (i = 0; i < ARRAY_SIZE(tie_cases); i++) {
		tests[k].name = tie_cases[i].name;
		tests[k].test_func = test_tie_case;
		tests[k++].initial_state = (void *)&tie_cases[i];
	}
	for (i = 0; i < ARRAY_SIZE(counter_cases); i++) {
		tests[k].name = counter_cases[i].name;
		tests[k].test_func = test_counter_case;
		tests[k++].initial_state = (void *)&counter_cases[i];
	}
	ret = _cmocka_run_group_tests("verdict", tests, k, NULL, NULL);
	free(tests);
	return ret;
}
