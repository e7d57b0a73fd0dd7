/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* What a session saw, judged, as JSON, text, or the watch screen. */
#ifndef FV_REPORT_H
#define FV_REPORT_H

#include <jansson.h>
#include <stdio.h>
#include "session.h"
#include "verdict.h"

struct fv_report {
	uint64_t since_ns, until_ns, now_ns, timeout_ns;
	struct fv_tally tally;
	struct fv_verdict verdict;
	char evidence[640];	/* one sentence with addresses, for a fault */
	struct fv_flow_row *rows;
	int n_rows;
	uint64_t stats[FV_MAX_POINTS][FV_STAT_MAX];
};

/* Judge exchanges first seen in [since, until]; timeout_ns is how long a
 * request may wait for its reply before it counts as lost. */
int fv_report_build(struct fv_session *s, uint64_t since_ns, uint64_t until_ns,
		    uint64_t timeout_ns, struct fv_report *r);
void fv_report_free(struct fv_report *r);

json_t *fv_report_json(const struct fv_session *s, const struct fv_report *r);
void fv_report_text(FILE *out, const struct fv_session *s,
		    const struct fv_report *r);
/* The four legs drawn as a diagram, with counts and ports. */
void fv_report_diagram(FILE *out, const struct fv_session *s,
		       const struct fv_report *r, const uint64_t *prev_legs);
/* Packets per leg on the NAT point, [1..4]. */
void fv_report_leg_packets(const struct fv_report *r, uint64_t legs[5]);

#endif
