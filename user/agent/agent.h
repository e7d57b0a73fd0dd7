/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* `flowverify agent`: a long-running observer serving Prometheus metrics
 * and the verify JSON over HTTP, with counters that survive restarts.
 * See docs/agent.md. */
#ifndef FV_AGENT_H
#define FV_AGENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/types.h>
#include "flowverify.h"
#include "legs.h"
#include "verdict.h"

#define FV_AGENT_LISTEN_DEFAULT "127.0.0.1:9123"
/* The user the agent serves as (make install creates it), else nobody. */
#define FV_AGENT_USER "flowverify"
#define FV_NOBODY_ID  65534 /* where no user database names nobody */
#define FV_AGENT_API  1	    /* /api/v1: bump when the JSON breaks */

/* Kept in the pinned map "fv_agent" (one array element): the marker that
 * says the pins are a flowverify agent's, which points they observe, and
 * the counters kept in user space, so none goes down across a restart. */
#define FV_AGENT_MAGIC	       "flowverify-agent" /* 16 bytes, no NUL */
#define FV_AGENT_STATE_VERSION 1
#define FV_AGENT_SPEC_LEN      512
#define FV_AGENT_DROPS_MAX     32 /* (reason, role, leg) rows kept */
#define FV_AGENT_REASON_LEN    48

enum fv_agent_outcome {
	FV_OUT_ANSWERED,
	FV_OUT_KOD,	  /* answered with a Kiss-o'-Death */
	FV_OUT_LOST,	  /* by segment in lost[] */
	FV_OUT_AMBIGUOUS, /* one cookie from two clients: not judged */
	FV_OUT_MAX,
};

/* Reply latency histogram, upper bounds in seconds (+Inf implied). */
#define FV_AGENT_LAT_BUCKETS 14
extern const double fv_agent_lat_bounds[FV_AGENT_LAT_BUCKETS];

struct fv_agent_drop {
	char reason[FV_AGENT_REASON_LEN];
	__u32 role; /* enum fv_role */
	__u32 leg;
	__u64 count;
};

struct fv_agent_state {
	char magic[16];
	__u32 version;
	__u32 pid;		      /* the running agent, 0 once stopped */
	char spec[FV_AGENT_SPEC_LEN]; /* "port=123 nat=NS:IF client=NS:IF" */
	__u64 starts;		      /* times an agent started on these pins */
	__u64 exchanges[FV_OUT_MAX];
	__u64 lost[FV_SEG_MAX];
	__u64 lat_buckets[FV_AGENT_LAT_BUCKETS + 1]; /* not cumulative */
	__u64 lat_sum_ns;
	__u64 events;
	__u64 unmatched_replies;
	__u64 zero_cookies;
	__u64 drops_unkept; /* drops of rows beyond FV_AGENT_DROPS_MAX */
	__u32 n_drops;
	__u32 pad;
	struct fv_agent_drop drops[FV_AGENT_DROPS_MAX];
};

struct fv_session;
struct fv_report;

/* Parse "HOST:PORT" ("127.0.0.1:9123", "[::1]:9123", "0.0.0.0:9123") into
 * a socket address. *loopback says whether only this host can connect.
 * Returns 0 or -EINVAL. */
struct sockaddr_storage;
int fv_agent_parse_listen(const char *s, struct sockaddr_storage *ss,
			  unsigned int *sslen, bool *loopback);

/* "user:password" from a file's first line. Returns 0 or -errno/-EINVAL. */
int fv_agent_read_basic_auth(const char *path, char *user, size_t ulen,
			     char *pass, size_t plen);

/* Render the Prometheus text exposition. legs[role][leg] packets and
 * bytes, stats[role][stat] summed over the role's points. */
struct fv_agent_view {
	const struct fv_agent_state *st;
	const char *version;
	double start_time; /* unix seconds */
	double window_seconds;
	bool have_role[FV_ROLE_MAX];
	uint64_t leg_packets[FV_ROLE_MAX][FV_LEG_SLOTS];
	uint64_t leg_bytes[FV_ROLE_MAX][FV_LEG_SLOTS];
	uint64_t untranslated_packets;
	uint64_t stats[FV_ROLE_MAX][FV_STAT_MAX];
	uint64_t in_flight;
	bool drop_tracer;
	const struct fv_verdict *verdict;
};
/* Returns a malloc'd NUL-terminated string, NULL when out of memory. */
char *fv_agent_metrics(const struct fv_agent_view *v);

#endif
