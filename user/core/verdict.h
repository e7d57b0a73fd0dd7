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
	/* Seen from a client alone: the request left, no reply came back.
	 * Which segment lost it needs a NAT point. */
	FV_SEG_BEYOND_CLIENT,
	FV_SEG_MAX,
};

enum fv_status {
	FV_STATUS_OK,
	FV_STATUS_FAULT,
	FV_STATUS_NO_TRAFFIC,
	FV_STATUS_PENDING, /* only exchanges in flight so far */
	/* Interrupted before any exchange could be judged. */
	FV_STATUS_INCONCLUSIVE,
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
	bool client_only;   /* client points and no NAT point */
	/* Answered exchanges whose reply was seen at a watched client; the
	 * rest only left the NAT toward their client. */
	uint64_t answered_at_client;
	/* Observation ended by a signal: counters include exchanges cut
	 * off mid-flight, so only joined exchanges are judged. */
	bool interrupted;
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
