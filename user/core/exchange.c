// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "exchange.h"

/* Per-segment latencies; beyond_nat is the NAT <-> server round trip. */
const struct fv_span fv_spans[] = {
	{ FV_SEG_CLIENT_TO_NAT, FV_STAGE_C1, FV_STAGE_N1 },
	{ FV_SEG_INSIDE_NAT_REQUEST, FV_STAGE_N1, FV_STAGE_N2 },
	{ FV_SEG_BEYOND_NAT, FV_STAGE_N2, FV_STAGE_N3 },
	{ FV_SEG_INSIDE_NAT_REPLY, FV_STAGE_N3, FV_STAGE_N4 },
	{ FV_SEG_NAT_TO_CLIENT, FV_STAGE_N4, FV_STAGE_C4 },
};
const int fv_nspans = sizeof(fv_spans) / sizeof(fv_spans[0]);

int fv_xtable_init(struct fv_xtable *xt, uint32_t capacity)
{
	uint32_t i;

	memset(xt, 0, sizeof(*xt));
	if (!capacity || capacity > (1u << 30))
		return -EINVAL;
	xt->capacity = capacity;
	for (xt->nbuckets = 1; xt->nbuckets < capacity; xt->nbuckets <<= 1)
		;
	xt->slots = calloc(capacity, sizeof(*xt->slots));
	xt->buckets = malloc(xt->nbuckets * sizeof(*xt->buckets));
	if (!xt->slots || !xt->buckets) {
		fv_xtable_free(xt);
		return -ENOMEM;
	}
	for (i = 0; i < xt->nbuckets; i++)
		xt->buckets[i] = -1;
	return 0;
}

void fv_xtable_free(struct fv_xtable *xt)
{
	free(xt->slots);
	free(xt->buckets);
	xt->slots = NULL;
	xt->buckets = NULL;
}

static uint32_t bucket_of(const struct fv_xtable *xt, uint64_t cookie)
{
	/* Cookies are random or clock readings: mix before masking. */
	cookie ^= cookie >> 33;
	cookie *= 0xff51afd7ed558ccdull;
	cookie ^= cookie >> 33;
	return cookie & (xt->nbuckets - 1);
}

struct fv_exchange *fv_xtable_find(struct fv_xtable *xt, uint64_t cookie)
{
	int32_t i;

	for (i = xt->buckets[bucket_of(xt, cookie)]; i >= 0;
	     i = xt->slots[i].next) {
		if (xt->slots[i].cookie == cookie)
			return &xt->slots[i];
	}
	return NULL;
}

static void unlink_slot(struct fv_xtable *xt, int32_t slot)
{
	int32_t *link = &xt->buckets[bucket_of(xt, xt->slots[slot].cookie)];

	while (*link >= 0) {
		if (*link == slot) {
			*link = xt->slots[slot].next;
			return;
		}
		link = &xt->slots[*link].next;
	}
}

struct fv_exchange *fv_xtable_get(struct fv_xtable *xt, uint64_t cookie,
				  uint64_t now_ns)
{
	struct fv_exchange *x = fv_xtable_find(xt, cookie);
	uint32_t slot, b;

	if (x)
		return x;
	if (xt->count == xt->capacity) {
		slot = xt->head;
		unlink_slot(xt, slot);
		xt->head = (xt->head + 1) % xt->capacity;
		xt->count--;
		xt->evicted++;
	} else {
		slot = (xt->head + xt->count) % xt->capacity;
	}
	xt->count++;
	x = &xt->slots[slot];
	memset(x, 0, sizeof(*x));
	x->cookie = cookie;
	x->first_ns = now_ns;
	b = bucket_of(xt, cookie);
	x->next = xt->buckets[b];
	xt->buckets[b] = slot;
	return x;
}

struct fv_exchange *fv_xtable_at(struct fv_xtable *xt, uint32_t i)
{
	return &xt->slots[(xt->head + i) % xt->capacity];
}

bool fv_exchange_mark(struct fv_exchange *x, enum fv_stage stage, uint64_t ts)
{
	if (x->seen & FV_SEEN(stage)) {
		x->dups++;
		return false;
	}
	x->seen |= FV_SEEN(stage);
	x->seen_ns[stage] = ts;
	if (ts && ts < x->first_ns)
		x->first_ns = ts;
	return true;
}

bool fv_exchange_is_nat_own(const struct fv_exchange *x)
{
	uint32_t from_client = FV_SEEN(FV_STAGE_C1) | FV_SEEN(FV_STAGE_N1);

	return (x->seen & FV_SEEN(FV_STAGE_N2)) && !(x->seen & from_client);
}

bool fv_exchange_answered(const struct fv_exchange *x)
{
	if (x->seen & FV_SEEN(FV_STAGE_C4))
		return true;
	/* Without the client's view, a reply leaving the NAT is the end. */
	return !x->client_watched && (x->seen & FV_SEEN(FV_STAGE_N4));
}

enum fv_segment fv_exchange_stopped_at(const struct fv_exchange *x)
{
	uint32_t s = x->seen;

	if (fv_exchange_answered(x))
		return FV_SEG_NONE;
	if (!(s & FV_SEEN(FV_STAGE_N1)))
		return (s & FV_SEEN(FV_STAGE_C1)) ? FV_SEG_CLIENT_TO_NAT
						  : FV_SEG_NONE;
	if (!(s & (FV_SEEN(FV_STAGE_N2) | FV_SEEN(FV_STAGE_N2U))))
		return FV_SEG_INSIDE_NAT_REQUEST;
	if (!(s & FV_SEEN(FV_STAGE_N2)) && !(s & FV_SEEN(FV_STAGE_N3)))
		return FV_SEG_NAT_NOT_TRANSLATING;
	if (!(s & FV_SEEN(FV_STAGE_N3)))
		return FV_SEG_BEYOND_NAT;
	if (!(s & FV_SEEN(FV_STAGE_N4)))
		return FV_SEG_INSIDE_NAT_REPLY;
	return FV_SEG_NAT_TO_CLIENT;
}

void fv_xtable_tally(struct fv_xtable *xt, uint64_t since_ns, uint64_t until_ns,
		     uint64_t now_ns, uint64_t timeout_ns, struct fv_tally *t)
{
	uint32_t i;

	for (i = 0; i < xt->count; i++) {
		const struct fv_exchange *x = fv_xtable_at(xt, i);
		enum fv_segment seg;

		if (x->first_ns < since_ns || x->first_ns > until_ns)
			continue;
		if (fv_exchange_is_nat_own(x))
			continue;
		if (x->ambiguous) {
			t->ambiguous++;
			continue;
		}
		/* Replies with no request behind them are not exchanges. */
		if (!(x->seen & (FV_SEEN(FV_STAGE_C1) | FV_SEEN(FV_STAGE_N1))))
			continue;
		if (fv_exchange_answered(x)) {
			t->answered++;
			t->answered_at_client +=
				!!(x->seen & FV_SEEN(FV_STAGE_C4));
			t->kod += x->kod;
			continue;
		}
		if (x->first_ns > now_ns || now_ns - x->first_ns < timeout_ns) {
			t->in_flight++;
			continue;
		}
		seg = fv_exchange_stopped_at(x);
		/* A client point alone sees no segment past itself. */
		if (t->client_only && seg == FV_SEG_CLIENT_TO_NAT)
			seg = FV_SEG_BEYOND_CLIENT;
		if (seg != FV_SEG_NONE)
			t->lost[seg]++;
	}
}

const char *fv_stage_word(int stage)
{
	static const char *const words[FV_STAGE_MAX] = {
		[FV_STAGE_C1] = "client_sent",
		[FV_STAGE_N1] = "nat_in",
		[FV_STAGE_N2] = "nat_out",
		[FV_STAGE_N2U] = "nat_out_untranslated",
		[FV_STAGE_N3] = "reply_in",
		[FV_STAGE_N4] = "reply_out",
		[FV_STAGE_C4] = "client_received",
	};

	return stage >= 0 && stage < FV_STAGE_MAX ? words[stage] : NULL;
}

int fv_stage_parse(const char *word)
{
	int k;

	for (k = 0; k < FV_STAGE_MAX; k++) {
		if (!strcmp(word, fv_stage_word(k)))
			return k;
	}
	return -1;
}
