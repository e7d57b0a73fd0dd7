/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* From exchanges and leg counters to the verdict: the first segment where
 * packets stop, in the project's fixed vocabulary. */
#ifndef FV_VERDICT_H
#define FV_VERDICT_H

#include <stdbool.h>
#include <stdint.h>
#include "legs.h"

enum fv_segment {
	FV_SEG_NONE = 0,
	FV_SEG_CLIENT_TO_NAT,
	FV_SEG_INSIDE_NAT_REQUEST,
	FV_SEG_NAT_NOT_TRANSLATING,
	FV_SEG_BEYOND_NAT,
	FV_SEG_INSIDE_NAT_REPLY,
	FV_SEG_NAT_TO_CLIENT,
	FV_SEG_MAX,
};

enum fv_status {
	FV_STATUS_OK,
	FV_STATUS_FAULT,
	FV_STATUS_NO_TRAFFIC,
	FV_STATUS_PENDING, /* only exchanges in flight so far */
};

struct fv_tally {
	uint64_t answered;
	uint64_t in_flight;
	uint64_t lost[FV_SEG_MAX]; /* by the segment where they stopped */
	uint64_t leg_packets[FV_LEG_SLOTS]; /* NAT host, forwarded traffic */
	uint64_t untranslated_packets;
	uint64_t client_leg1_packets;
	uint64_t client_leg4_packets;
	uint64_t kod;	    /* answered with a Kiss-o'-Death */
	uint64_t ambiguous; /* cookie seen from two clients */
	bool have_client;   /* a client point is watched */
};

struct fv_verdict {
	enum fv_status status;
	enum fv_segment segment;
	uint64_t lost;
	bool from_counters; /* no exchange could be joined: counters only */
	bool kod;	    /* the fault: the server says go away */
	char explanation[384];
};

void fv_verdict_decide(const struct fv_tally *t, struct fv_verdict *v);
uint64_t fv_tally_lost(const struct fv_tally *t);

const char *fv_segment_word(enum fv_segment seg); /* NULL for NONE */
const char *fv_segment_causes(enum fv_segment seg);
const char *fv_status_word(enum fv_status status);

#endif
