// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The agent's /metrics: Prometheus text exposition format 0.0.4. Label
 * values come from fixed vocabularies (roles, legs, segments, outcomes,
 * parser reasons, kernel drop reasons), so every label set is bounded. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "agent.h"
#include "util.h"
#include "point.h"
#include "session.h"

const double fv_agent_lat_bounds[FV_AGENT_LAT_BUCKETS] = {
	0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01,
	0.025,	0.05,	 0.1,	 0.25,	0.5,	1,     2.5,
};

struct buf {
	char *p;
	size_t len, cap;
	bool oom;
};

static void put(struct buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void put(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	size_t cap;
	char *p;
	int n;

	if (b->oom)
		return;
	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
		va_end(ap);
		if (n < 0) {
			b->oom = true;
			return;
		}
		if ((size_t)n < b->cap - b->len) {
			b->len += n;
			return;
		}
		/* On failure b->p stays allocated: the caller frees it. */
		cap = b->cap * 2 + n;
		p = fv_realloc(b->p, cap);
		if (!p) {
			b->oom = true;
			return;
		}
		b->p = p;
		b->cap = cap;
	}
}

static void head(struct buf *b, const char *name, const char *type,
		 const char *help)
{
	put(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* Label values from our vocabularies need no escaping; kernel reason
 * names are [A-Z0-9_:x] but escape anyway. */
static void put_escaped(struct buf *b, const char *s)
{
	for (; *s; s++) {
		if (*s == '\\' || *s == '"')
			put(b, "\\%c", *s);
		else if (*s == '\n')
			put(b, "\\n");
		else
			put(b, "%c", *s);
	}
}

static const char *const role_word[FV_ROLE_MAX] = {
	[FV_ROLE_NAT] = "nat",
	[FV_ROLE_CLIENT] = "client",
};

/* A client sees legs 1 and 4 only. */
static bool leg_shown(const struct fv_agent_view *v, int r, int leg)
{
	return v->have_role[r] &&
	       (r != FV_ROLE_CLIENT || leg == FV_LEG_1 || leg == FV_LEG_4);
}

static const enum fv_stat unparsed[] = {
	FV_STAT_ETH_TRUNCATED,	FV_STAT_VLAN_TOO_DEEP,
	FV_STAT_IPV4_TRUNCATED, FV_STAT_IPV4_FRAGMENT,
	FV_STAT_IPV6_TRUNCATED, FV_STAT_IPV6_EXT_TOO_DEEP,
	FV_STAT_IPV6_FRAGMENT,	FV_STAT_UDP_TRUNCATED,
	FV_STAT_NTP_SHORT,	FV_STAT_NTP_OTHER_MODE,
	FV_STAT_TC_NONLINEAR,
};

static void per_role(struct buf *b, const struct fv_agent_view *v,
		     const char *name, const char *help, enum fv_stat stat)
{
	int r;

	head(b, name, "counter", help);
	for (r = 0; r < FV_ROLE_MAX; r++) {
		if (v->have_role[r])
			put(b, "%s{role=\"%s\"} %llu\n", name, role_word[r],
			    (unsigned long long)v->stats[r][stat]);
	}
}

/* A counter per role and leg, for the legs that role's host sees. */
static void per_leg(struct buf *b, const struct fv_agent_view *v,
		    const char *name, const char *help,
		    const uint64_t val[FV_ROLE_MAX][FV_LEG_SLOTS])
{
	int r, leg;

	head(b, name, "counter", help);
	for (r = 0; r < FV_ROLE_MAX; r++) {
		for (leg = FV_LEG_1; leg <= FV_LEG_4; leg++) {
			if (leg_shown(v, r, leg))
				put(b, "%s{role=\"%s\",leg=\"%d\"} %llu\n",
				    name, role_word[r], leg,
				    (unsigned long long)val[r][leg]);
		}
	}
}

char *fv_agent_metrics(const struct fv_agent_view *v)
{
	static const char *const outcome[FV_OUT_MAX] = {
		[FV_OUT_ANSWERED] = "answered",
		[FV_OUT_KOD] = "kod",
		[FV_OUT_LOST] = "lost",
		[FV_OUT_AMBIGUOUS] = "ambiguous",
	};
	static const char *const status[] = {
		[FV_STATUS_OK] = "ok",
		[FV_STATUS_FAULT] = "fault",
		[FV_STATUS_NO_TRAFFIC] = "no_traffic",
		[FV_STATUS_PENDING] = "pending",
	};
	const struct fv_agent_state *st = v->st;
	struct buf b = { .cap = 16384 };
	unsigned long long cum = 0;
	size_t i;
	int r, k;

	b.p = malloc(b.cap);
	if (!b.p)
		return NULL;
	b.p[0] = '\0';

	head(&b, "flowverify_build_info", "gauge",
	     "flowverify version; always 1.");
	put(&b, "flowverify_build_info{version=\"");
	put_escaped(&b, v->version);
	put(&b, "\"} 1\n");
	head(&b, "flowverify_agent_start_time_seconds", "gauge",
	     "When this agent process started, in Unix time.");
	put(&b, "flowverify_agent_start_time_seconds %.3f\n", v->start_time);
	head(&b, "flowverify_agent_starts_total", "counter",
	     "Agent starts on these pinned counters (1 + restarts).");
	put(&b, "flowverify_agent_starts_total %llu\n",
	    (unsigned long long)st->starts);

	per_leg(&b, v, "flowverify_leg_packets_total",
		"NTP packets seen on each leg (1 request client->NAT, 2 request "
		"NAT->server, 3 reply server->NAT, 4 reply NAT->client), by the "
		"host that saw them.",
		v->leg_packets);
	per_leg(&b, v, "flowverify_leg_bytes_total",
		"Bytes (from the IP header) of the NTP packets on each leg.",
		v->leg_bytes);
	if (v->have_role[FV_ROLE_NAT]) {
		head(&b, "flowverify_untranslated_packets_total", "counter",
		     "Requests that left the NAT with the client's own source address.");
		put(&b, "flowverify_untranslated_packets_total %llu\n",
		    (unsigned long long)v->untranslated_packets);
	}

	head(&b, "flowverify_unparsed_packets_total", "counter",
	     "Packets the BPF parser stopped on, by reason.");
	for (r = 0; r < FV_ROLE_MAX; r++) {
		if (!v->have_role[r])
			continue;
		for (i = 0; i < ARRAY_SIZE(unparsed); i++)
			put(&b,
			    "flowverify_unparsed_packets_total{role=\"%s\",reason=\"%s\"} %llu\n",
			    role_word[r], fv_stat_name(unparsed[i]),
			    (unsigned long long)v->stats[r][unparsed[i]]);
	}
	per_role(&b, v, "flowverify_events_lost_total",
		 "NTP events the ring buffer had no room for (counters stay exact).",
		 FV_STAT_EVENTS_LOST);
	per_role(&b, v, "flowverify_events_rate_limited_total",
		 "NTP events over the per-CPU rate limit (counted, not sent).",
		 FV_STAT_EVENTS_LIMITED);
	per_role(&b, v, "flowverify_flow_table_full_total",
		 "NTP packets of new flows not counted: the flow table was full.",
		 FV_STAT_FLOW_TABLE_FULL);
	head(&b, "flowverify_events_received_total", "counter",
	     "NTP events read from the ring buffers.");
	put(&b, "flowverify_events_received_total %llu\n",
	    (unsigned long long)st->events);
	head(&b, "flowverify_unmatched_replies_total", "counter",
	     "Replies whose origin timestamp matches no request seen.");
	put(&b, "flowverify_unmatched_replies_total %llu\n",
	    (unsigned long long)st->unmatched_replies);

	head(&b, "flowverify_exchanges_total", "counter",
	     "NTP exchanges (joined by cookie) by outcome, counted once settled.");
	for (k = 0; k < FV_OUT_MAX; k++)
		put(&b, "flowverify_exchanges_total{outcome=\"%s\"} %llu\n",
		    outcome[k], (unsigned long long)st->exchanges[k]);
	head(&b, "flowverify_exchanges_lost_total", "counter",
	     "Exchanges that got no reply, by the segment where they stopped.");
	for (k = FV_SEG_NONE + 1; k < FV_SEG_MAX; k++)
		put(&b, "flowverify_exchanges_lost_total{segment=\"%s\"} %llu\n",
		    fv_segment_word(k), (unsigned long long)st->lost[k]);
	head(&b, "flowverify_exchanges_in_flight", "gauge",
	     "Exchanges waiting for their reply, younger than the reply timeout.");
	put(&b, "flowverify_exchanges_in_flight %llu\n",
	    (unsigned long long)v->in_flight);

	head(&b, "flowverify_reply_latency_seconds", "histogram",
	     "From a request's first sighting to its reply reaching the client "
	     "(or leaving the NAT when no client is watched).");
	for (k = 0; k < FV_AGENT_LAT_BUCKETS; k++) {
		cum += st->lat_buckets[k];
		put(&b,
		    "flowverify_reply_latency_seconds_bucket{le=\"%g\"} %llu\n",
		    fv_agent_lat_bounds[k], cum);
	}
	cum += st->lat_buckets[FV_AGENT_LAT_BUCKETS];
	put(&b, "flowverify_reply_latency_seconds_bucket{le=\"+Inf\"} %llu\n",
	    cum);
	put(&b, "flowverify_reply_latency_seconds_sum %.9f\n",
	    fv_seconds(st->lat_sum_ns));
	put(&b, "flowverify_reply_latency_seconds_count %llu\n", cum);

	head(&b, "flowverify_drop_tracer_attached", "gauge",
	     "1 when kernel drop reasons (kfree_skb) are being recorded.");
	put(&b, "flowverify_drop_tracer_attached %d\n", v->drop_tracer);
	head(&b, "flowverify_kernel_drops_total", "counter",
	     "Our NTP packets the kernel dropped inside a watched host, by its "
	     "drop reason (empty before 5.17: the kernel names none) and the "
	     "leg they were on.");
	for (k = 0; k < (int)st->n_drops && k < FV_AGENT_DROPS_MAX; k++) {
		const struct fv_agent_drop *d = &st->drops[k];

		/* The rows are pinned state: a label from our vocabulary even
		 * if an unknown role were read back. */
		put(&b,
		    "flowverify_kernel_drops_total{role=\"%s\",leg=\"%u\",reason=\"",
		    role_word[d->role < FV_ROLE_MAX ? d->role : FV_ROLE_NAT],
		    d->leg);
		put_escaped(&b, d->reason);
		put(&b, "\"} %llu\n", (unsigned long long)d->count);
	}
	head(&b, "flowverify_kernel_drops_unkept_total", "counter",
	     "Kernel drops of ours past the kept (reason, role, leg) rows.");
	put(&b, "flowverify_kernel_drops_unkept_total %llu\n",
	    (unsigned long long)st->drops_unkept);

	head(&b, "flowverify_verdict_window_seconds", "gauge",
	     "The window the verdict gauges judge.");
	put(&b, "flowverify_verdict_window_seconds %g\n", v->window_seconds);
	head(&b, "flowverify_verdict_status", "gauge",
	     "1 for the verdict's status over the window, else 0.");
	for (k = 0; k < (int)ARRAY_SIZE(status); k++)
		put(&b, "flowverify_verdict_status{status=\"%s\"} %d\n",
		    status[k],
		    v->verdict && v->verdict->status == (enum fv_status)k);
	head(&b, "flowverify_verdict_segment", "gauge",
	     "1 for the segment where the verdict says replies stop, else 0.");
	for (k = FV_SEG_NONE + 1; k < FV_SEG_MAX; k++)
		put(&b, "flowverify_verdict_segment{segment=\"%s\"} %d\n",
		    fv_segment_word(k),
		    v->verdict && v->verdict->status == FV_STATUS_FAULT &&
			    v->verdict->segment == (enum fv_segment)k);
	head(&b, "flowverify_verdict_kod", "gauge",
	     "1 when the verdict is that the server answers with Kiss-o'-Death.");
	put(&b, "flowverify_verdict_kod %d\n", v->verdict && v->verdict->kod);

	if (b.oom) {
		free(b.p);
		return NULL;
	}
	return b.p;
}
