// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The report's model: everything the renderers show, read from the
 * session once. */
#include <arpa/inet.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include "report.h"
#include "util.h"

/* The newest exchange lost at seg in the report's window. */
static const struct fv_exchange *lost_example(struct fv_session *s,
					      const struct fv_report *r,
					      enum fv_segment seg)
{
	int32_t i;

	for (i = (int32_t)s->xt.count - 1; i >= 0; i--) {
		const struct fv_exchange *x = fv_xtable_at(&s->xt, i);

		if (x->first_ns < r->since_ns || x->first_ns > r->until_ns ||
		    x->first_ns > r->now_ns ||
		    r->now_ns - x->first_ns < r->timeout_ns ||
		    fv_exchange_is_nat_own(x) || fv_exchange_answered(x))
			continue;
		if (fv_exchange_stopped_at(x) == seg)
			return x;
	}
	return NULL;
}

/* One sentence naming the addresses and ports of what was lost, from the
 * newest lost exchange: the evidence under the verdict. */
static void describe_evidence(struct fv_session *s, struct fv_report *r)
{
	enum fv_segment seg = r->verdict.segment;
	const struct fv_exchange *x = lost_example(s, r, seg);
	unsigned long long n = r->tally.lost[seg];
	char c[64], o[64], sv[64];
	double age;

	if (!x)
		return;
	r->example = *x;
	r->have_example = true;
	fv_format_endpoint(x->inside_addr, x->inside_port, c, sizeof(c));
	fv_format_endpoint(x->outside_addr, x->outside_port, o, sizeof(o));
	fv_format_endpoint(x->server_addr, x->server_port, sv, sizeof(sv));
	age = fv_seconds(r->now_ns - x->first_ns);
	switch (seg) {
	case FV_SEG_CLIENT_TO_NAT:
		snprintf(r->evidence, sizeof(r->evidence),
			 "%llu requests left the "
			 "client %s and never reached the NAT (last %.1f s ago)",
			 n, c, age);
		break;
	case FV_SEG_INSIDE_NAT_REQUEST:
		snprintf(r->evidence, sizeof(r->evidence),
			 "%llu requests from %s "
			 "arrived at the NAT and none left it (last %.1f s ago)",
			 n, c, age);
		break;
	case FV_SEG_NAT_NOT_TRANSLATING:
		snprintf(r->evidence, sizeof(r->evidence),
			 "%llu requests from %s "
			 "left the NAT for %s with the client's own source address "
			 "(last %.1f s ago)",
			 n, c, sv, age);
		break;
	case FV_SEG_BEYOND_NAT:
		snprintf(r->evidence, sizeof(r->evidence),
			 "%llu requests from %s "
			 "left the NAT as %s -> %s and no reply came back to %s "
			 "(last %.1f s ago)%s",
			 n, c, o, sv, o, age,
			 ntohs(x->outside_port) < 1024
				 ? "; the NAT kept a port below "
				   "1024, which the usual inbound rule for UDP 1024-65535 does "
				   "not admit"
				 : "");
		/* Replies that came back but match no request: not lost on
		 * the way, but unjoinable (interleaved mode, or stale). */
		if (s->unmatched_replies && r->tally.leg_packets[3])
			snprintf(r->evidence + strlen(r->evidence),
				 sizeof(r->evidence) - strlen(r->evidence),
				 "; but %llu replies did arrive whose origin timestamp "
				 "matches no request: a client in interleaved mode "
				 "(chrony xleave) or stale or spoofed replies",
				 (unsigned long long)s->unmatched_replies);
		break;
	case FV_SEG_INSIDE_NAT_REPLY:
		snprintf(r->evidence, sizeof(r->evidence),
			 "%llu replies from %s "
			 "arrived at the NAT's %s and none left for %s (last %.1f s ago)",
			 n, sv, o, c, age);
		break;
	case FV_SEG_NAT_TO_CLIENT:
		snprintf(r->evidence, sizeof(r->evidence),
			 "%llu replies left the "
			 "NAT for %s and never reached the client (last %.1f s ago)",
			 n, c, age);
		break;
	default: break;
	}
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Nearest-rank percentile of sorted values. */
static double percentile(const double *v, uint64_t n, double p)
{
	uint64_t rank = (uint64_t)ceil(p * n);

	return v[rank ? rank - 1 : 0];
}

static bool in_window(const struct fv_report *r, const struct fv_exchange *x)
{
	return x->first_ns >= r->since_ns && x->first_ns <= r->until_ns &&
	       !x->ambiguous;
}

static void build_latency(struct fv_session *s, struct fv_report *r)
{
	double *v = malloc(sizeof(*v) * (s->xt.count ? s->xt.count : 1));
	uint32_t i;
	int k;

	if (!v)
		return;
	for (k = 0; k < fv_nspans; k++) {
		const struct fv_span *sp = &fv_spans[k];
		uint32_t want = FV_SEEN(sp->from) | FV_SEEN(sp->to);
		uint64_t n = 0;

		for (i = 0; i < s->xt.count; i++) {
			const struct fv_exchange *x = fv_xtable_at(&s->xt, i);

			if (!in_window(r, x) || (x->seen & want) != want ||
			    x->seen_ns[sp->to] < x->seen_ns[sp->from])
				continue;
			v[n++] = fv_seconds(x->seen_ns[sp->to] -
					    x->seen_ns[sp->from]);
		}
		if (!n)
			continue;
		qsort(v, n, sizeof(*v), cmp_double);
		r->latency[sp->seg] = (struct fv_latency){
			.count = n,
			.p50 = percentile(v, n, 0.50),
			.p99 = percentile(v, n, 0.99),
			.max = v[n - 1],
		};
	}
	free(v);
}

static void add_mapping(struct fv_report *r, const struct fv_exchange *x)
{
	struct fv_mapping *m;
	int i;

	for (i = 0; i < r->n_mappings; i++) {
		m = &r->mappings[i];
		if (m->inside.port == x->inside_port &&
		    m->outside.port == x->outside_port &&
		    !memcmp(m->inside.addr, x->inside_addr, 16) &&
		    !memcmp(m->outside.addr, x->outside_addr, 16)) {
			m->exchanges++;
			return;
		}
	}
	if (r->n_mappings == FV_REPORT_MAPPINGS_MAX)
		return;
	m = &r->mappings[r->n_mappings++];
	memcpy(m->inside.addr, x->inside_addr, 16);
	m->inside.port = x->inside_port;
	memcpy(m->outside.addr, x->outside_addr, 16);
	m->outside.port = x->outside_port;
	m->exchanges = 1;
}

static void add_unwatched(struct fv_report *r, const struct fv_exchange *x)
{
	int i;

	r->unwatched_requests++;
	for (i = 0; i < r->n_unwatched; i++) {
		if (!memcmp(r->unwatched[i].addr, x->inside_addr, 16)) {
			r->unwatched[i].requests++;
			return;
		}
	}
	if (r->n_unwatched == FV_REPORT_NOTES_MAX)
		return;
	memcpy(r->unwatched[r->n_unwatched].addr, x->inside_addr, 16);
	r->unwatched[r->n_unwatched++].requests = 1;
}

/* Distinct inside clients per outside address, for this server. */
static void add_share(struct fv_server_row *sv, const struct fv_exchange *x)
{
	static const uint8_t zero[16];
	int i, n = 0;

	if (!memcmp(x->outside_addr, zero, 16))
		return;
	for (i = 0; i < sv->n_share; i++) {
		if (memcmp(sv->share[i].outside, x->outside_addr, 16))
			continue;
		if (!memcmp(sv->share[i].inside, x->inside_addr, 16))
			return;
		n++;
	}
	if (sv->n_share == FV_REPORT_SHARE_MAX)
		return;
	memcpy(sv->share[sv->n_share].outside, x->outside_addr, 16);
	memcpy(sv->share[sv->n_share++].inside, x->inside_addr, 16);
	if (n + 1 > sv->max_sharing)
		sv->max_sharing = n + 1;
}

static void add_server_reply(struct fv_report *r, const struct fv_exchange *x)
{
	struct fv_server_row *sv = NULL;
	int i;

	for (i = 0; i < r->n_servers; i++) {
		if (r->servers[i].addr.port == x->server_port &&
		    !memcmp(r->servers[i].addr.addr, x->server_addr, 16)) {
			sv = &r->servers[i];
			break;
		}
	}
	if (!sv) {
		if (r->n_servers == FV_REPORT_SERVERS_MAX)
			return;
		sv = &r->servers[r->n_servers++];
		memcpy(sv->addr.addr, x->server_addr, 16);
		sv->addr.port = x->server_port;
	}
	sv->replies++;
	if (x->seen & FV_SEEN(FV_STAGE_N1))
		add_share(sv, x);
	if (x->kod) {
		sv->kod++;
		memcpy(sv->kod_code, x->refid, 4);
		return;
	}
	sv->stratum = x->stratum;
	sv->leap = x->leap;
	memcpy(sv->refid, x->refid, 4);
}

/* Mappings, servers and retransmissions from the exchanges in the window. */
static void build_journeys(struct fv_session *s, struct fv_report *r)
{
	uint32_t replied = FV_SEEN(FV_STAGE_N3) | FV_SEEN(FV_STAGE_N4) |
			   FV_SEEN(FV_STAGE_C4);
	uint32_t i;

	for (i = 0; i < s->xt.count; i++) {
		const struct fv_exchange *x = fv_xtable_at(&s->xt, i);

		if (!in_window(r, x) || fv_exchange_is_nat_own(x))
			continue;
		r->retransmissions += x->dups;
		if ((x->seen & FV_SEEN(FV_STAGE_N1)) && !x->client_watched)
			add_unwatched(r, x);
		if ((x->seen & FV_SEEN(FV_STAGE_N1)) &&
		    (x->seen & FV_SEEN(FV_STAGE_N2)))
			add_mapping(r, x);
		if ((x->seen & replied) &&
		    (x->server_port || x->kod || x->stratum))
			add_server_reply(r, x);
	}
}

/* The leg a dropped packet was on, from where it died: on the NAT a
 * request not yet translated was leg 1 and a reply was leg 3 (it arrived
 * and never left as leg 4); on a client a request is leg 1 and a reply
 * leg 4. */
static int drop_leg(const struct fv_host *h, const struct fv_drop_row *d)
{
	if (d->mode == FV_NTP_MODE_REQUEST) {
		if (h->role == FV_ROLE_NAT && fv_host_is_local(h, d->saddr))
			return 2;
		return 1;
	}
	if (d->mode == FV_NTP_MODE_REPLY)
		return h->role == FV_ROLE_NAT ? 3 : 4;
	return 0;
}

static void build_drops(struct fv_session *s, struct fv_report *r)
{
	int i, p;

	if (!s->drops || fv_drops_read(s->drops, &r->drops, &r->n_drops) ||
	    !r->n_drops)
		return;
	r->drop_point = calloc(r->n_drops, sizeof(int));
	r->drop_leg = calloc(r->n_drops, sizeof(int));
	if (!r->drop_point || !r->drop_leg) {
		r->n_drops = 0;
		return;
	}
	for (i = 0; i < r->n_drops; i++) {
		r->drop_point[i] = -1;
		for (p = 0; p < s->n_points; p++) {
			if (!fv_point_has_netns(&s->points[p],
						r->drops[i].netns_inum))
				continue;
			r->drop_point[i] = p;
			r->drop_leg[i] =
				drop_leg(&s->points[p].host, &r->drops[i]);
			break;
		}
	}
}

/* "leg 3 arrived on eth0 and was dropped inside the NAT host: NETFILTER_DROP
 * in ip_forward (nft_do_chain+0x46f), 12 times", for the drops that explain
 * the segment. */
/* "leg 3 arrived on eth0 and was dropped inside the NAT host: NETFILTER_DROP
 * in ip_forward (nft_do_chain+0x46f), 12 times", for the drops that explain
 * the segment. */
static void describe_drops(struct fv_report *r)
{
	enum fv_segment seg = r->verdict.segment;
	enum fv_role role = FV_ROLE_NAT;
	int want_leg, i, best = -1;
	size_t off = strlen(r->evidence);

	switch (seg) {
	case FV_SEG_INSIDE_NAT_REQUEST: want_leg = 1; break;
	case FV_SEG_INSIDE_NAT_REPLY: want_leg = 3; break;
	case FV_SEG_NAT_TO_CLIENT:
		want_leg = 4;
		role = FV_ROLE_CLIENT;
		break;
	case FV_SEG_CLIENT_TO_NAT:
		want_leg = 1;
		role = FV_ROLE_CLIENT;
		break;
	default: return;
	}
	for (i = 0; i < r->n_drops; i++) {
		int p = r->drop_point[i];

		if (p < 0 || r->points[p].role != role ||
		    r->drop_leg[i] != want_leg)
			continue;
		if (best < 0 || r->drops[i].count > r->drops[best].count)
			best = i;
	}
	if (best < 0 || off >= sizeof(r->evidence) - 1)
		return;
	{
		const struct fv_drop_row *d = &r->drops[best];
		const char *dev =
			d->iif ? fv_report_ifname(r, r->drop_point[best], d->iif)
			       : "?";

		snprintf(r->evidence + off, sizeof(r->evidence) - off,
			 "%sleg %d %s%s and was dropped inside the %s host: %s in %s "
			 "(%s), %llu times",
			 off ? ". " : "", want_leg,
			 d->iif ? "arrived on " : "was sent", d->iif ? dev : "",
			 role == FV_ROLE_NAT ? "NAT" : "client",
			 fv_drop_reason_text(d),
			 *d->route_sym ? d->route_sym
				       : (d->hook ? d->hook : "the kernel"),
			 d->location_sym, (unsigned long long)d->count);
	}
}

/* What the renderers show of the session, copied so they need none of
 * it. */
static void take_session(const struct fv_session *s, struct fv_report *r)
{
	int i, j;

	r->n_points = s->n_points;
	for (i = 0; i < s->n_points; i++) {
		const struct fv_point *p = &s->points[i];
		struct fv_report_point *q = &r->points[i];

		q->role = p->host.role;
		memcpy(q->netns, p->host.netns, sizeof(q->netns));
		q->n_ifaces = p->host.n_ifaces;
		for (j = 0; j < p->host.n_ifaces; j++) {
			struct fv_report_iface *f = &q->ifaces[j];

			memcpy(f->name, p->host.ifname[j], sizeof(f->name));
			f->ifindex = p->host.ifindex[j];
			f->ingress_how = p->att[j].ingress_how;
			f->egress_how = p->att[j].egress_how;
			f->foreign_xdp = p->att[j].foreign_xdp;
			f->gone = p->att[j].gone;
			f->reattached = p->att[j].reattached;
		}
	}
	r->port = s->port;
	r->events = s->events;
	r->unmatched_replies = s->unmatched_replies;
	r->zero_cookies = s->zero_cookies;
	r->cookie_collisions = s->cookie_collisions;
	r->drop_tracer = s->drops	   ? fv_drops_attach_kind(s->drops)
			 : *s->drops_error ? "failed"
			 : s->drops_mode == FV_DROPS_OFF ? "off"
							 : "not needed";
	memcpy(r->drops_error, s->drops_error, sizeof(r->drops_error));
	r->drop_reasons = s->drops && fv_drops_has_reasons(s->drops);
	if (s->drops && !r->drop_reasons)
		r->drop_tracer_note =
			"this kernel names no drop reasons (enum skb_drop_reason "
			"came in 5.17): drops are shown by their place only";
}

void fv_report_sum_rows(struct fv_report *r)
{
	struct fv_tally *t = &r->tally;
	int i, p;

	/* From scratch, so that it can be run again. */
	memset(r->legs, 0, sizeof(r->legs));
	memset(t->leg_packets, 0, sizeof(t->leg_packets));
	t->untranslated_packets = t->client_leg1_packets = 0;
	t->client_leg4_packets = 0;
	t->have_client = false;
	t->client_only = r->n_points > 0;
	r->own_packets = 0;
	for (p = 0; p < r->n_points; p++) {
		if (r->points[p].role == FV_ROLE_CLIENT)
			t->have_client = true;
		else
			t->client_only = false;
	}
	for (i = 0; i < r->n_rows; i++) {
		const struct fv_flow_row *row = &r->rows[i];
		struct fv_report_leg *leg;

		if (row->point < 0 || row->point >= r->n_points ||
		    (unsigned int)row->leg >= FV_LEG_MAX)
			continue;
		if (r->points[row->point].role == FV_ROLE_CLIENT) {
			if (row->leg == FV_LEG_1)
				t->client_leg1_packets += row->val.packets;
			else if (row->leg == FV_LEG_4)
				t->client_leg4_packets += row->val.packets;
		} else if (row->leg >= FV_LEG_1 && row->leg <= FV_LEG_4 &&
			   !row->nat_own) {
			t->leg_packets[row->leg] += row->val.packets;
		} else if (row->leg == FV_LEG_UNTRANSLATED && !row->nat_own) {
			t->untranslated_packets += row->val.packets;
		}
		if (row->nat_own) {
			r->own_packets += row->val.packets;
			continue;
		}
		leg = &r->legs[row->point][row->leg];
		leg->packets += row->val.packets;
		if (row->val.last_ns > leg->last_ns)
			leg->last_ns = row->val.last_ns;
		if (row->expired)
			continue; /* many flows, none to name */
		/* The first of equals, as the text always showed. */
		if (!leg->top || row->val.packets > leg->top->val.packets)
			leg->top = row;
		leg->flows++;
	}
}

void fv_report_note(struct fv_report *r, const char *fmt, ...)
{
	va_list ap;

	if (r->n_notes == FV_REPORT_NOTES_MAX)
		return;
	va_start(ap, fmt);
	vsnprintf(r->notes[r->n_notes++], sizeof(r->notes[0]), fmt, ap);
	va_end(ap);
}

const char *fv_report_coverage(const struct fv_report *r)
{
	bool nat = false, client = false;
	int i;

	for (i = 0; i < r->n_points; i++) {
		if (r->points[i].role == FV_ROLE_NAT)
			nat = true;
		else
			client = true;
	}
	return nat && client ? "nat+clients" : nat ? "nat" : "clients";
}

/* "fv-x:eth0,eth1" or "eth0" for a point. */
static void point_name(const struct fv_report_point *p, char *buf, size_t len)
{
	size_t off = snprintf(buf, len, "%s%s", p->netns, *p->netns ? ":" : "");
	int j;

	for (j = 0; j < p->n_ifaces && off < len; j++)
		off += snprintf(buf + off, len - off, "%s%s", j ? "," : "",
				p->ifaces[j].name);
}

void fv_report_notes(struct fv_report *r)
{
	char name[96], a[64], o[64];
	int i, k;

	/* A client point that sent nothing the NAT saw: the wrong host, or
	 * a quiet one; its silence proves nothing about arrival. */
	for (i = 0; i < r->n_points && r->n_unwatched; i++) {
		if (r->points[i].role != FV_ROLE_CLIENT ||
		    r->legs[i][FV_LEG_1].packets)
			continue;
		point_name(&r->points[i], name, sizeof(name));
		fv_format_addr(r->unwatched[0].addr, a, sizeof(a));
		if (r->n_unwatched > 1)
			snprintf(a + strlen(a), sizeof(a) - strlen(a),
				 " and %d other%s", r->n_unwatched - 1,
				 r->n_unwatched > 2 ? "s" : "");
		fv_report_note(r,
			       "%s sent none of the %llu requests the NAT saw "
			       "from %s: it is not one of those clients, so it "
			       "shows nothing of whether their replies arrive",
			       name, (unsigned long long)r->unwatched_requests,
			       a);
	}
	for (i = 0; i < r->n_servers; i++) {
		const struct fv_server_row *sv = &r->servers[i];

		if (sv->max_sharing < 2)
			continue;
		fv_format_endpoint(sv->addr.addr, sv->addr.port, a, sizeof(a));
		for (k = 0; k < sv->n_share; k++) {
			int n = 0, m;

			for (m = 0; m < sv->n_share; m++)
				n += !memcmp(sv->share[m].outside,
					     sv->share[k].outside, 16);
			if (n == sv->max_sharing)
				break;
		}
		fv_format_addr(sv->share[k].outside, o, sizeof(o));
		if (sv->kod && !memcmp(sv->kod_code, "RATE", 4))
			fv_report_note(r,
				       "warning: server %s sent %llu Kiss-o'-Death "
				       "RATE replies while %d inside clients share "
				       "the outside address %s: servers (pool "
				       "servers among them) limit by address, so "
				       "they share one budget",
				       a, (unsigned long long)sv->kod,
				       sv->max_sharing, o);
	}
	/* The reply comes back to the kept port, outside the usual rule. */
	for (i = 0; i < r->n_mappings; i++) {
		const struct fv_mapping *m = &r->mappings[i];

		if (ntohs(m->outside.port) >= 1024)
			continue;
		fv_format_endpoint(m->inside.addr, m->inside.port, a, sizeof(a));
		fv_format_endpoint(m->outside.addr, m->outside.port, o,
				   sizeof(o));
		fv_report_note(r,
			       "the NAT kept source port %u (%s as %s): replies "
			       "come back to port %u, which the usual inbound "
			       "rule for UDP 1024-65535 does not admit",
			       ntohs(m->outside.port), a, o,
			       ntohs(m->outside.port));
		break;
	}
}

static int build(struct fv_session *s, uint64_t since_ns, uint64_t until_ns,
		 uint64_t timeout_ns, bool interrupted, struct fv_report *r)
{
	struct fv_tally *t = &r->tally;
	int ret, i;

	memset(r, 0, sizeof(*r));
	r->interrupted = interrupted;
	r->since_ns = since_ns;
	r->until_ns = until_ns;
	r->now_ns = fv_now_ns();
	r->flow_now_ns = fv_flow_now_ns();
	r->timeout_ns = timeout_ns;
	ret = fv_session_flows(s, &r->rows, &r->n_rows);
	if (ret)
		return ret;
	take_session(s, r);
	for (i = 0; i < s->n_points; i++)
		fv_session_stats(s, i, r->stats[i]);
	fv_report_sum_rows(r);
	t->interrupted = interrupted;
	fv_xtable_tally(&s->xt, since_ns, until_ns, r->now_ns, timeout_ns, t);
	build_latency(s, r);
	build_journeys(s, r);
	fv_verdict_decide(t, &r->verdict);
	build_drops(s, r);
	if (r->verdict.status == FV_STATUS_FAULT) {
		describe_evidence(s, r);
		describe_drops(r);
	}
	fv_report_notes(r);
	return 0;
}

int fv_report_build(struct fv_session *s, uint64_t since_ns, uint64_t until_ns,
		    uint64_t timeout_ns, struct fv_report *r)
{
	return build(s, since_ns, until_ns, timeout_ns, false, r);
}

int fv_report_build_interrupted(struct fv_session *s, uint64_t since_ns,
				uint64_t until_ns, uint64_t timeout_ns,
				struct fv_report *r)
{
	return build(s, since_ns, until_ns, timeout_ns, true, r);
}

void fv_report_free(struct fv_report *r)
{
	free(r->rows);
	free(r->drops);
	free(r->drop_point);
	free(r->drop_leg);
	r->rows = NULL;
	r->drops = NULL;
	r->drop_point = r->drop_leg = NULL;
}

void fv_report_leg_packets(const struct fv_report *r, uint64_t legs[FV_LEG_SLOTS])
{
	memcpy(legs, r->tally.leg_packets, 5 * sizeof(legs[0]));
	legs[2] += r->tally.untranslated_packets;
}

const char *fv_report_ifname(const struct fv_report *r, int point,
			     uint32_t ifindex)
{
	const struct fv_report_point *p = &r->points[point];
	int i;

	for (i = 0; i < p->n_ifaces; i++) {
		if ((uint32_t)p->ifaces[i].ifindex == ifindex)
			return p->ifaces[i].name;
	}
	return "?";
}

double fv_report_ago(const struct fv_report *r, uint64_t ts)
{
	return ts && ts <= r->now_ns ? fv_seconds(r->now_ns - ts) : 0;
}

double fv_report_flow_ago(const struct fv_report *r, uint64_t ts)
{
	return ts && ts <= r->flow_now_ns ? fv_seconds(r->flow_now_ns - ts) : 0;
}
