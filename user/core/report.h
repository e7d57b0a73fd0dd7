/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* What a session saw, judged: the model, built once from the session
 * (report.c), and its renderers as text (report_text.c), JSON
 * (report_json.c) and the watch diagram (report_diagram.c). The renderers
 * read only the model, so a test can drive them from one made by hand. */
#ifndef FV_REPORT_H
#define FV_REPORT_H

#include <jansson.h>
#include <stdio.h>
#include "drop_trace.h"
#include "session.h"
#include "verdict.h"

#define FV_REPORT_MAPPINGS_MAX 256
#define FV_REPORT_SERVERS_MAX  64
#define FV_REPORT_NOTES_MAX    8
#define FV_REPORT_SHARE_MAX    16 /* (outside, inside) pairs per server */

struct fv_latency {
	uint64_t count;
	double p50, p99, max; /* seconds */
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
	uint8_t kod_code[4]; /* the last Kiss-o'-Death code */
	/* Which inside clients reached it through which outside address:
	 * servers rate-limit by address, so clients behind one address
	 * share one budget. */
	struct {
		uint8_t outside[16], inside[16];
	} share[FV_REPORT_SHARE_MAX];
	int n_share;
	int max_sharing; /* most inside clients behind one outside address */
};

/* An interface of a point and how it is watched. */
struct fv_report_iface {
	char name[IF_NAMESIZE];
	int ifindex;
	const char *ingress_how; /* static strings, NULL if none */
	const char *egress_how;
	bool foreign_xdp;
	bool gone; /* deleted under us: not watched */
	uint32_t reattached;
};

struct fv_report_point {
	enum fv_role role;
	char netns[FV_NETNS_MAX]; /* "" = the namespace we run in */
	int n_ifaces;
	struct fv_report_iface ifaces[FV_MAX_IFACES];
};

/* One leg of one point, summed from the rows once for every renderer;
 * the NAT's own flows are not in it. */
struct fv_report_leg {
	uint64_t packets;
	uint64_t last_ns;	       /* the newest last packet, 0 if none */
	const struct fv_flow_row *top; /* the busiest flow (in rows) */
	int flows;
};

struct fv_report {
	uint64_t since_ns, until_ns, now_ns, timeout_ns;
	uint64_t flow_now_ns; /* now on the flows' clock (fv_flow_now_ns) */
	struct fv_tally tally;
	struct fv_verdict verdict;
	char evidence[640]; /* one sentence with addresses, for a fault */
	bool have_example;  /* example: the newest exchange lost at the */
	struct fv_exchange example; /* fault's segment (ACL explanations) */
	struct fv_report_point points[FV_MAX_POINTS]; /* the session's */
	int n_points;
	uint16_t port; /* host order */
	struct fv_flow_row *rows;
	int n_rows;
	struct fv_report_leg legs[FV_MAX_POINTS][FV_LEG_MAX];
	uint64_t own_packets; /* the NAT's own NTP, not judged */
	uint64_t stats[FV_MAX_POINTS][FV_STAT_MAX];
	struct fv_latency latency[FV_SEG_MAX]; /* of answered exchanges */
	struct fv_mapping mappings[FV_REPORT_MAPPINGS_MAX];
	int n_mappings;
	struct fv_server_row servers[FV_REPORT_SERVERS_MAX];
	int n_servers;
	uint64_t retransmissions; /* the same request seen again */
	/* Requests the NAT saw from clients no client point watched, by
	 * address (the first FV_REPORT_NOTES_MAX), and in all. */
	struct {
		uint8_t addr[16];
		uint64_t requests;
	} unwatched[FV_REPORT_NOTES_MAX];
	int n_unwatched;
	uint64_t unwatched_requests;
	/* The session's event counters when the model was built. */
	uint64_t events, unmatched_replies, zero_cookies, cookie_collisions;
	struct fv_drop_row *drops; /* packets of ours the kernel freed */
	int n_drops;
	int *drop_point; /* per drop: the point (host), or -1 */
	int *drop_leg;	 /* per drop: the leg it was on */
	/* "tp_btf", "raw_tp", "failed", "off" or "not needed". */
	const char *drop_tracer;
	char drops_error[160]; /* why it could not be attached */
	bool drop_reasons;     /* attached, and the kernel names reasons */
	const char *drop_tracer_note; /* what it cannot tell, or NULL */
	/* Ended by a signal before its window: what was in flight then is
	 * not judged (tally.interrupted). */
	bool interrupted;
	/* What the verdict cannot see or should be read with: a client
	 * point that saw none of the NAT's requests, an unwatched NAT
	 * interface, clients sharing an address, a kept port 123. */
	char notes[FV_REPORT_NOTES_MAX][320];
	int n_notes;
};

/* ---- the model (report.c) ---- */

/* Judge exchanges first seen in [since, until]; timeout_ns is how long a
 * request may wait for its reply before it counts as lost. */
int fv_report_build(struct fv_session *s, uint64_t since_ns, uint64_t until_ns,
		    uint64_t timeout_ns, struct fv_report *r);
/* The same for a window a signal cut short: exchanges still within their
 * reply timeout are not lost, and counters alone never judge. */
int fv_report_build_interrupted(struct fv_session *s, uint64_t since_ns,
				uint64_t until_ns, uint64_t timeout_ns,
				struct fv_report *r);
/* Add one note (printf); dropped when full. */
void fv_report_note(struct fv_report *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* "nat", "nat+clients" or "clients": which points the verdict rests on. */
const char *fv_report_coverage(const struct fv_report *r);
/* Notes from the model alone: client points that saw none of the NAT's
 * requests, clients sharing an outside address, a kept port below 1024.
 * Part of fv_report_build; a model made by hand needs it once filled. */
void fv_report_notes(struct fv_report *r);
/* Sum rows into the tally's leg counters, legs and own_packets, by the
 * points' roles. Part of fv_report_build; a model made by hand (a test)
 * needs it once points and rows are filled. */
void fv_report_sum_rows(struct fv_report *r);
void fv_report_free(struct fv_report *r);
/* Packets per leg on the NAT point, [1..4]. */
void fv_report_leg_packets(const struct fv_report *r,
			   uint64_t legs[FV_LEG_SLOTS]);
/* The name of a point's interface, or "?". */
const char *fv_report_ifname(const struct fv_report *r, int point,
			     uint32_t ifindex);
/* Seconds from ts to the model's now, 0 for none. */
double fv_report_ago(const struct fv_report *r, uint64_t ts);
/* The same for a flow's last_ns, which has tick resolution. */
double fv_report_flow_ago(const struct fv_report *r, uint64_t ts);

/* ---- text (report_text.c) ---- */

void fv_report_text(FILE *out, const struct fv_report *r);
/* Latencies, NAT mappings and servers, a line each. */
void fv_report_journeys_text(FILE *out, const struct fv_report *r);
/* One line describing an exchange (trace and watch). */
void fv_exchange_line(const struct fv_exchange *x, uint64_t now_ns,
		      uint64_t timeout_ns, char *buf, size_t len);
/* "answered", "kod", "lost" (then *seg says where), "in_flight",
 * "ambiguous", "nat_own" or "nat_own_lost". */
const char *fv_exchange_outcome(const struct fv_exchange *x, uint64_t now_ns,
				uint64_t timeout_ns, enum fv_segment *seg);
/* "HH:MM:SS.mmm" local time of a CLOCK_MONOTONIC instant. */
void fv_wall_clock(uint64_t mono_ns, uint64_t now_mono_ns, char *buf, size_t len);
/* "RATE" for a printable refid, else a dotted quad (IPv4 refid). */
void fv_format_refid(const uint8_t refid[4], uint8_t stratum, char *buf,
		     size_t len);

/* ---- JSON (report_json.c) ---- */

json_t *fv_report_json(const struct fv_report *r);
json_t *fv_exchange_json(const struct fv_exchange *x, uint64_t now_ns,
			 uint64_t timeout_ns);
/* Every JSON flowverify prints goes through these (docs/json.md): reals
 * as plain decimals, at most 9 places (nanoseconds), never 4.03e-05.
 * fv_json_text: malloc'd, NULL when out of memory. fv_json_write: the
 * text and a newline; 0 or -errno (a full disk, a closed stdout). */
char *fv_json_text(const json_t *j, size_t flags);
int fv_json_write(FILE *out, const json_t *j, size_t flags);
/* RFC 3339 with the local zone and milliseconds, of a CLOCK_MONOTONIC
 * instant: "2026-11-30T12:02:13.173+01:00". */
void fv_rfc3339(uint64_t mono_ns, uint64_t now_mono_ns, char *buf, size_t len);

/* ---- the watch diagram (report_diagram.c) ---- */

/* The four legs drawn as a diagram, with counts and ports; prev_legs
 * (fv_report_leg_packets of the previous frame, or NULL) gives the
 * increments. */
void fv_report_diagram(FILE *out, const struct fv_report *r,
		       const uint64_t *prev_legs);

#endif
