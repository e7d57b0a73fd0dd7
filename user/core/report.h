/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* What a session saw, judged, as JSON, text, or the watch screen. */
#ifndef FV_REPORT_H
#define FV_REPORT_H

#include <jansson.h>
#include <stdio.h>
#include "drops.h"
#include "session.h"
#include "verdict.h"

#define FV_REPORT_MAPPINGS_MAX	256
#define FV_REPORT_SERVERS_MAX	64

struct fv_latency {
	uint64_t count;
	double p50, p99, max;	/* seconds */
};

/* The NAT mapping an exchange actually took, learned from its cookie. */
struct fv_mapping {
	struct fv_endpoint inside, outside;
	uint64_t exchanges;
};

struct fv_server_row {
	struct fv_endpoint addr;
	uint64_t replies, kod;
	uint8_t stratum, leap;
	uint8_t refid[4];
	uint8_t kod_code[4];	/* the last Kiss-o'-Death code */
};

struct fv_report {
	uint64_t since_ns, until_ns, now_ns, timeout_ns;
	struct fv_tally tally;
	struct fv_verdict verdict;
	char evidence[640];	/* one sentence with addresses, for a fault */
	bool have_example;	/* example: the newest exchange lost at the */
	struct fv_exchange example;	/* fault's segment (ACL explanations) */
	struct fv_flow_row *rows;
	int n_rows;
	uint64_t stats[FV_MAX_POINTS][FV_STAT_MAX];
	struct fv_latency latency[FV_SEG_MAX];	/* of answered exchanges */
	struct fv_mapping mappings[FV_REPORT_MAPPINGS_MAX];
	int n_mappings;
	struct fv_server_row servers[FV_REPORT_SERVERS_MAX];
	int n_servers;
	uint64_t retransmissions;	/* the same request seen again */
	struct fv_drop_row *drops;	/* packets of ours the kernel freed */
	int n_drops;
	int *drop_point;		/* per drop: the point (host), or -1 */
	int *drop_leg;			/* per drop: the leg it was on */
};

/* "RATE" for a printable refid, else a dotted quad (IPv4 refid). */
void fv_format_refid(const uint8_t refid[4], uint8_t stratum, char *buf, size_t len);
/* One line describing an exchange (trace and watch). */
void fv_exchange_line(const struct fv_exchange *x, uint64_t now_ns,
		      uint64_t timeout_ns, char *buf, size_t len);
json_t *fv_exchange_json(const struct fv_exchange *x, uint64_t now_ns,
			 uint64_t timeout_ns);

/* Judge exchanges first seen in [since, until]; timeout_ns is how long a
 * request may wait for its reply before it counts as lost. */
int fv_report_build(struct fv_session *s, uint64_t since_ns, uint64_t until_ns,
		    uint64_t timeout_ns, struct fv_report *r);
void fv_report_free(struct fv_report *r);

json_t *fv_report_json(const struct fv_session *s, const struct fv_report *r);
void fv_report_text(FILE *out, const struct fv_session *s,
		    const struct fv_report *r);
/* Latencies, NAT mappings and servers, a line each. */
void fv_report_journeys_text(FILE *out, const struct fv_report *r);
/* The four legs drawn as a diagram, with counts and ports. */
void fv_report_diagram(FILE *out, const struct fv_session *s,
		       const struct fv_report *r, const uint64_t *prev_legs);
/* Packets per leg on the NAT point, [1..4]. */
void fv_report_leg_packets(const struct fv_report *r, uint64_t legs[5]);

#endif
