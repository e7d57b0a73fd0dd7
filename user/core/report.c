// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <arpa/inet.h>
#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "report.h"
#include "util.h"

#define NS_PER_SEC 1000000000.0

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
	age = (r->now_ns - x->first_ns) / 1e9;
	switch (seg) {
	case FV_SEG_CLIENT_TO_NAT:
		snprintf(r->evidence, sizeof(r->evidence), "%llu requests left the "
			 "client %s and never reached the NAT (last %.1f s ago)", n, c, age);
		break;
	case FV_SEG_INSIDE_NAT_REQUEST:
		snprintf(r->evidence, sizeof(r->evidence), "%llu requests from %s "
			 "arrived at the NAT and none left it (last %.1f s ago)", n, c, age);
		break;
	case FV_SEG_NAT_NOT_TRANSLATING:
		snprintf(r->evidence, sizeof(r->evidence), "%llu requests from %s "
			 "left the NAT for %s with the client's own source address "
			 "(last %.1f s ago)", n, c, sv, age);
		break;
	case FV_SEG_BEYOND_NAT:
		snprintf(r->evidence, sizeof(r->evidence), "%llu requests from %s "
			 "left the NAT as %s -> %s and no reply came back to %s "
			 "(last %.1f s ago)%s", n, c, o, sv, o, age,
			 ntohs(x->outside_port) < 1024 ? "; the NAT kept a port below "
			 "1024, which the usual inbound rule for UDP 1024-65535 does "
			 "not admit" : "");
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
		snprintf(r->evidence, sizeof(r->evidence), "%llu replies from %s "
			 "arrived at the NAT's %s and none left for %s (last %.1f s ago)",
			 n, sv, o, c, age);
		break;
	case FV_SEG_NAT_TO_CLIENT:
		snprintf(r->evidence, sizeof(r->evidence), "%llu replies left the "
			 "NAT for %s and never reached the client (last %.1f s ago)",
			 n, c, age);
		break;
	default:
		break;
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
			v[n++] = (x->seen_ns[sp->to] - x->seen_ns[sp->from]) / NS_PER_SEC;
		}
		if (!n)
			continue;
		qsort(v, n, sizeof(*v), cmp_double);
		r->latency[sp->seg] = (struct fv_latency){
			.count = n, .p50 = percentile(v, n, 0.50),
			.p99 = percentile(v, n, 0.99), .max = v[n - 1],
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
		if (m->inside.port == x->inside_port && m->outside.port == x->outside_port &&
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
		if ((x->seen & FV_SEEN(FV_STAGE_N1)) && (x->seen & FV_SEEN(FV_STAGE_N2)))
			add_mapping(r, x);
		if ((x->seen & replied) && (x->server_port || x->kod || x->stratum))
			add_server_reply(r, x);
	}
}

static const char *ifname_of(const struct fv_host *h, uint32_t ifindex);

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

	if (!s->drops || fv_drops_read(s->drops, &r->drops, &r->n_drops) || !r->n_drops)
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
			if (!fv_point_has_netns(&s->points[p], r->drops[i].netns_inum))
				continue;
			r->drop_point[i] = p;
			r->drop_leg[i] = drop_leg(&s->points[p].host, &r->drops[i]);
			break;
		}
	}
}

/* "leg 3 arrived on eth0 and was dropped inside the NAT host: NETFILTER_DROP
 * in ip_forward (nft_do_chain+0x46f), 12 times", for the drops that explain
 * the segment. */
static void describe_drops(const struct fv_session *s, struct fv_report *r)
{
	enum fv_segment seg = r->verdict.segment;
	enum fv_role role = FV_ROLE_NAT;
	int want_leg, i, best = -1;
	size_t off = strlen(r->evidence);

	switch (seg) {
	case FV_SEG_INSIDE_NAT_REQUEST: want_leg = 1; break;
	case FV_SEG_INSIDE_NAT_REPLY: want_leg = 3; break;
	case FV_SEG_NAT_TO_CLIENT: want_leg = 4; role = FV_ROLE_CLIENT; break;
	case FV_SEG_CLIENT_TO_NAT: want_leg = 1; role = FV_ROLE_CLIENT; break;
	default: return;
	}
	for (i = 0; i < r->n_drops; i++) {
		int p = r->drop_point[i];

		if (p < 0 || s->points[p].host.role != role || r->drop_leg[i] != want_leg)
			continue;
		if (best < 0 || r->drops[i].count > r->drops[best].count)
			best = i;
	}
	if (best < 0 || off >= sizeof(r->evidence) - 1)
		return;
	{
		const struct fv_drop_row *d = &r->drops[best];
		const struct fv_host *h = &s->points[r->drop_point[best]].host;
		const char *dev = d->iif ? ifname_of(h, d->iif) : "?";

		snprintf(r->evidence + off, sizeof(r->evidence) - off,
			 "%sleg %d %s%s and was dropped inside the %s host: %s in %s "
			 "(%s), %llu times", off ? ". " : "", want_leg,
			 d->iif ? "arrived on " : "was sent", d->iif ? dev : "",
			 role == FV_ROLE_NAT ? "NAT" : "client", d->reason_name,
			 *d->route_sym ? d->route_sym : (d->hook ? d->hook : "the kernel"),
			 d->location_sym, (unsigned long long)d->count);
	}
}

int fv_report_build(struct fv_session *s, uint64_t since_ns, uint64_t until_ns,
		    uint64_t timeout_ns, struct fv_report *r)
{
	struct fv_tally *t = &r->tally;
	int ret, i;

	memset(r, 0, sizeof(*r));
	r->since_ns = since_ns;
	r->until_ns = until_ns;
	r->now_ns = fv_now_ns();
	r->timeout_ns = timeout_ns;
	ret = fv_session_flows(s, &r->rows, &r->n_rows);
	if (ret)
		return ret;
	for (i = 0; i < s->n_points; i++) {
		fv_session_stats(s, i, r->stats[i]);
		if (s->points[i].host.role == FV_ROLE_CLIENT)
			t->have_client = true;
	}
	for (i = 0; i < r->n_rows; i++) {
		const struct fv_flow_row *row = &r->rows[i];
		enum fv_role role = s->points[row->point].host.role;

		if (role == FV_ROLE_CLIENT) {
			if (row->leg == FV_LEG_1)
				t->client_leg1_packets += row->val.packets;
			else if (row->leg == FV_LEG_4)
				t->client_leg4_packets += row->val.packets;
			continue;
		}
		if (row->nat_own)
			continue;
		if (row->leg >= FV_LEG_1 && row->leg <= FV_LEG_4)
			t->leg_packets[row->leg] += row->val.packets;
		else if (row->leg == FV_LEG_UNTRANSLATED)
			t->untranslated_packets += row->val.packets;
	}
	fv_xtable_tally(&s->xt, since_ns, until_ns, r->now_ns, timeout_ns, t);
	build_latency(s, r);
	build_journeys(s, r);
	fv_verdict_decide(t, &r->verdict);
	build_drops(s, r);
	if (r->verdict.status == FV_STATUS_FAULT) {
		describe_evidence(s, r);
		describe_drops(s, r);
	}
	return 0;
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

void fv_report_leg_packets(const struct fv_report *r, uint64_t legs[5])
{
	memcpy(legs, r->tally.leg_packets, 5 * sizeof(legs[0]));
	legs[2] += r->tally.untranslated_packets;
}

static const char *ifname_of(const struct fv_host *h, uint32_t ifindex)
{
	int i;

	for (i = 0; i < h->n_ifaces; i++) {
		if ((uint32_t)h->ifindex[i] == ifindex)
			return h->ifname[i];
	}
	return "?";
}

static double ago(const struct fv_report *r, uint64_t ts)
{
	return ts && ts <= r->now_ns ? (r->now_ns - ts) / NS_PER_SEC : 0;
}

static json_t *flow_json(const struct fv_session *s, const struct fv_report *r,
			 const struct fv_flow_row *row)
{
	const struct fv_host *h = &s->points[row->point].host;
	char src[64], dst[64];
	json_t *o;

	fv_format_endpoint(row->key.saddr, row->key.sport, src, sizeof(src));
	fv_format_endpoint(row->key.daddr, row->key.dport, dst, sizeof(dst));
	o = json_pack("{s:s, s:s, s:I, s:I, s:s, s:s, s:f}",
		      "src", src, "dst", dst,
		      "packets", (json_int_t)row->val.packets,
		      "bytes", (json_int_t)row->val.bytes,
		      "interface", ifname_of(h, row->key.ifindex),
		      "hook", fv_hook_name(row->key.hook),
		      "last_seen_seconds_ago", ago(r, row->val.last_ns));
	if (row->leg == FV_LEG_UNTRANSLATED)
		json_object_set_new(o, "translated", json_false());
	return o;
}

/* Legs 1..4 of one point; on the NAT, leg 2 also lists untranslated
 * requests, which are what nat_not_translating is about. */
static json_t *legs_json(const struct fv_session *s, const struct fv_report *r,
			 int point, bool client)
{
	json_t *legs = json_array();
	int leg, i;

	for (leg = FV_LEG_1; leg <= FV_LEG_4; leg++) {
		uint64_t packets = 0, last = 0;
		json_t *flows = json_array();

		if (client && leg != FV_LEG_1 && leg != FV_LEG_4) {
			json_decref(flows);
			continue;
		}
		for (i = 0; i < r->n_rows; i++) {
			const struct fv_flow_row *row = &r->rows[i];
			bool match = row->leg == (enum fv_leg)leg ||
				     (leg == FV_LEG_2 && row->leg == FV_LEG_UNTRANSLATED);

			if (row->point != point || row->nat_own || !match)
				continue;
			packets += row->val.packets;
			if (row->val.last_ns > last)
				last = row->val.last_ns;
			json_array_append_new(flows, flow_json(s, r, row));
		}
		json_array_append_new(legs, json_pack("{s:i, s:s, s:I, s:o, s:o}",
			"leg", leg, "name", fv_leg_name(leg), "packets", (json_int_t)packets,
			"last_seen_seconds_ago", last ? json_real(ago(r, last)) : json_null(),
			"flows", flows));
	}
	return legs;
}

static json_t *stats_json(const uint64_t *stats)
{
	json_t *o = json_object();
	int k;

	for (k = 0; k < FV_STAT_MAX; k++)
		json_object_set_new(o, fv_stat_name(k), json_integer(stats[k]));
	return o;
}

static json_t *point_json(const struct fv_session *s, const struct fv_report *r,
			  int point)
{
	const struct fv_point *p = &s->points[point];
	json_t *ifaces = json_array();
	int i;

	for (i = 0; i < p->host.n_ifaces; i++)
		json_array_append_new(ifaces, json_pack("{s:s, s:i, s:s?, s:s?, s:b, s:s, s:i}",
			"name", p->host.ifname[i], "ifindex", p->host.ifindex[i],
			"ingress", p->att[i].gone ? NULL : p->att[i].ingress_how,
			"egress", p->att[i].gone ? NULL : p->att[i].egress_how,
			"foreign_xdp", p->att[i].foreign_xdp,
			/* "gone": deleted under us, not watched until it is back */
			"state", p->att[i].gone ? "gone" : "watched",
			"reattached", (int)p->att[i].reattached));
	return json_pack("{s:s, s:s, s:o, s:o}", "role", fv_role_name(p->host.role),
			 "netns", p->host.netns, "interfaces", ifaces,
			 "parser", stats_json(r->stats[point]));
}

static json_t *latency_json(const struct fv_report *r)
{
	json_t *o = json_object();
	int k;

	for (k = 0; k < fv_nspans; k++) {
		const struct fv_latency *l = &r->latency[fv_spans[k].seg];

		if (!l->count)
			continue;
		json_object_set_new(o, fv_segment_word(fv_spans[k].seg),
				    json_pack("{s:I, s:f, s:f, s:f}", "count",
					      (json_int_t)l->count, "p50", l->p50,
					      "p99", l->p99, "max", l->max));
	}
	return o;
}

static json_t *drops_json(const struct fv_session *s, const struct fv_report *r)
{
	json_t *a = json_array();
	char src[64], dst[64];
	int i;

	for (i = 0; i < r->n_drops; i++) {
		const struct fv_drop_row *d = &r->drops[i];
		int p = r->drop_point[i];
		const struct fv_host *h = p >= 0 ? &s->points[p].host : NULL;

		fv_format_endpoint(d->saddr, htons(d->sport), src, sizeof(src));
		fv_format_endpoint(d->daddr, htons(d->dport), dst, sizeof(dst));
		json_array_append_new(a, json_pack("{s:s, s:s, s:i, s:I, s:s?, s:s?, s:s?, s:s?, s:s, s:s, s:f}",
			"reason", d->reason_name, "location", d->location_sym,
			"leg", r->drop_leg[i], "count", (json_int_t)d->count,
			"hook", d->hook, "route", *d->route_sym ? d->route_sym : NULL,
			"host", h ? fv_role_name(h->role) : NULL,
			"interface", h && d->iif ? ifname_of(h, d->iif) : NULL,
			"src", src, "dst", dst, "last_seen_seconds_ago", ago(r, d->last_ns)));
	}
	return a;
}

static json_t *mappings_json(const struct fv_report *r)
{
	json_t *a = json_array();
	char in[64], out[64];
	int i;

	for (i = 0; i < r->n_mappings; i++) {
		const struct fv_mapping *m = &r->mappings[i];

		fv_format_endpoint(m->inside.addr, m->inside.port, in, sizeof(in));
		fv_format_endpoint(m->outside.addr, m->outside.port, out, sizeof(out));
		json_array_append_new(a, json_pack("{s:s, s:s, s:I}", "inside", in,
						   "outside", out, "exchanges",
						   (json_int_t)m->exchanges));
	}
	return a;
}

static json_t *servers_json(const struct fv_report *r)
{
	json_t *a = json_array();
	char addr[64], refid[32], code[32];
	int i;

	for (i = 0; i < r->n_servers; i++) {
		const struct fv_server_row *sv = &r->servers[i];

		fv_format_endpoint(sv->addr.addr, sv->addr.port, addr, sizeof(addr));
		fv_format_refid(sv->refid, sv->stratum, refid, sizeof(refid));
		fv_format_refid(sv->kod_code, 0, code, sizeof(code));
		json_array_append_new(a, json_pack("{s:s, s:I, s:I, s:i, s:s, s:i, s:s?}",
			"address", addr, "replies", (json_int_t)sv->replies,
			"kod_replies", (json_int_t)sv->kod, "stratum", sv->stratum,
			"refid", refid, "leap", sv->leap,
			"kod_code", sv->kod ? code : NULL));
	}
	return a;
}

/* Kiss-o'-Death replies by code, over every server. */
static json_t *kod_json(const struct fv_report *r)
{
	json_t *codes = json_object();
	uint64_t total = 0;
	char code[32];
	int i;

	for (i = 0; i < r->n_servers; i++) {
		const struct fv_server_row *sv = &r->servers[i];
		json_t *prev;

		if (!sv->kod)
			continue;
		total += sv->kod;
		fv_format_refid(sv->kod_code, 0, code, sizeof(code));
		prev = json_object_get(codes, code);
		json_object_set_new(codes, code, json_integer(sv->kod +
				    (prev ? json_integer_value(prev) : 0)));
	}
	return json_pack("{s:I, s:o}", "replies", (json_int_t)total, "codes", codes);
}

json_t *fv_report_json(const struct fv_session *s, const struct fv_report *r)
{
	const struct fv_verdict *v = &r->verdict;
	const struct fv_tally *t = &r->tally;
	json_t *root, *lost, *points, *clients, *own;
	uint64_t events_lost = 0, events_limited = 0;
	int seg, i, nat = 0;

	lost = json_object();
	for (seg = FV_SEG_NONE + 1; seg < FV_SEG_MAX; seg++)
		json_object_set_new(lost, fv_segment_word(seg), json_integer(t->lost[seg]));
	points = json_array();
	clients = json_array();
	for (i = 0; i < s->n_points; i++) {
		json_array_append_new(points, point_json(s, r, i));
		events_lost += r->stats[i][FV_STAT_EVENTS_LOST];
		events_limited += r->stats[i][FV_STAT_EVENTS_LIMITED];
		if (s->points[i].host.role == FV_ROLE_NAT)
			nat = i;
		else
			json_array_append_new(clients, json_pack("{s:s, s:o}",
				"netns", s->points[i].host.netns,
				"legs", legs_json(s, r, i, true)));
	}
	own = json_array();
	for (i = 0; i < r->n_rows; i++) {
		if (r->rows[i].nat_own)
			json_array_append_new(own, flow_json(s, r, &r->rows[i]));
	}
	root = json_pack("{s:s, s:s?, s:s, s:s?, s:s?, s:s}",
			 "status", fv_status_word(v->status),
			 "segment", fv_segment_word(v->segment),
			 "explanation", v->explanation,
			 "evidence", *r->evidence ? r->evidence : NULL,
			 "causes", fv_segment_causes(v->segment),
			 "basis", v->from_counters ? "counters" : "exchanges");
	json_object_set_new(root, "duration_seconds",
			    json_real((r->until_ns - r->since_ns) / NS_PER_SEC));
	json_object_set_new(root, "port", json_integer(s->port));
	json_object_set_new(root, "reply_timeout_seconds",
			    json_real(r->timeout_ns / NS_PER_SEC));
	json_object_set_new(root, "exchanges", json_pack("{s:I, s:I, s:I, s:o, s:o, s:I, s:I}",
		"answered", (json_int_t)t->answered,
		"unanswered", (json_int_t)fv_tally_lost(t),
		"in_flight", (json_int_t)t->in_flight,
		"lost_by_segment", lost,
		"latency_seconds", latency_json(r),
		"retransmissions", (json_int_t)r->retransmissions,
		"ambiguous_cookies", (json_int_t)t->ambiguous));
	json_object_set_new(root, "nat_mappings", mappings_json(r));
	json_object_set_new(root, "drops", drops_json(s, r));
	json_object_set_new(root, "drop_tracer", json_pack("{s:s, s:s?}",
		"state", s->drops ? fv_drops_attach_kind(s->drops) :
			 *s->drops_error ? "failed" :
			 s->drops_mode == FV_DROPS_OFF ? "off" : "not needed",
		"error", *s->drops_error ? s->drops_error : NULL));
	json_object_set_new(root, "servers", servers_json(r));
	json_object_set_new(root, "kod", kod_json(r));
	json_object_set_new(root, "legs", legs_json(s, r, nat, false));
	json_object_set_new(root, "clients", clients);
	json_object_set_new(root, "nat_own_flows", own);
	json_object_set_new(root, "events", json_pack("{s:I, s:I, s:I, s:I, s:I, s:I}",
		"received", (json_int_t)s->events, "lost", (json_int_t)events_lost,
		"rate_limited", (json_int_t)events_limited,
		"unmatched_replies", (json_int_t)s->unmatched_replies,
		"zero_cookies", (json_int_t)s->zero_cookies,
		"cookie_collisions", (json_int_t)s->cookie_collisions));
	json_object_set_new(root, "points", points);
	return root;
}

/* The busiest flow of a leg on a point, for one line of evidence. */
static const struct fv_flow_row *top_flow(const struct fv_report *r, int point,
					  enum fv_leg leg, int *nflows)
{
	const struct fv_flow_row *best = NULL;
	int i;

	*nflows = 0;
	for (i = 0; i < r->n_rows; i++) {
		const struct fv_flow_row *row = &r->rows[i];

		if (row->point != point || row->leg != leg || row->nat_own)
			continue;
		(*nflows)++;
		if (!best || row->val.packets > best->val.packets)
			best = row;
	}
	return best;
}

static void leg_line(FILE *out, const struct fv_session *s,
		     const struct fv_report *r, int point, enum fv_leg leg,
		     const char *label)
{
	const struct fv_flow_row *row;
	uint64_t packets = 0;
	char src[64], dst[64];
	int nflows, i;

	for (i = 0; i < r->n_rows; i++) {
		if (r->rows[i].point == point && r->rows[i].leg == leg &&
		    !r->rows[i].nat_own)
			packets += r->rows[i].val.packets;
	}
	row = top_flow(r, point, leg, &nflows);
	fprintf(out, "  %-26s %8llu pkts", label, (unsigned long long)packets);
	if (row) {
		fv_format_endpoint(row->key.saddr, row->key.sport, src, sizeof(src));
		fv_format_endpoint(row->key.daddr, row->key.dport, dst, sizeof(dst));
		fprintf(out, "   %s -> %s on %s, last %.1f s ago", src, dst,
			ifname_of(&s->points[point].host, row->key.ifindex),
			ago(r, row->val.last_ns));
		if (nflows > 1)
			fprintf(out, " (+%d flows)", nflows - 1);
	}
	fputc('\n', out);
}

void fv_report_journeys_text(FILE *out, const struct fv_report *r)
{
	char a[64], b[64], refid[32];
	bool any = false;
	int k, i;

	for (k = 0; k < fv_nspans; k++) {
		const struct fv_latency *l = &r->latency[fv_spans[k].seg];

		if (!l->count)
			continue;
		fprintf(out, "%s %s %.3f/%.3f/%.3f", any ? "," : "latency ms (p50/p99/max):",
			fv_segment_word(fv_spans[k].seg), l->p50 * 1e3, l->p99 * 1e3,
			l->max * 1e3);
		any = true;
	}
	if (any)
		fputc('\n', out);
	for (i = 0; i < r->n_mappings; i++) {
		const struct fv_mapping *m = &r->mappings[i];

		fv_format_endpoint(m->inside.addr, m->inside.port, a, sizeof(a));
		fv_format_endpoint(m->outside.addr, m->outside.port, b, sizeof(b));
		fprintf(out, "NAT mapping: %s <-> %s (%llu exchanges)\n", a, b,
			(unsigned long long)m->exchanges);
	}
	for (i = 0; i < r->n_servers; i++) {
		const struct fv_server_row *sv = &r->servers[i];

		fv_format_endpoint(sv->addr.addr, sv->addr.port, a, sizeof(a));
		fv_format_refid(sv->refid, sv->stratum, refid, sizeof(refid));
		fprintf(out, "server %s: %llu replies", a, (unsigned long long)sv->replies);
		if (sv->replies > sv->kod)
			fprintf(out, ", stratum %u, refid %s, leap %u", sv->stratum, refid,
				sv->leap);
		if (sv->kod) {
			fv_format_refid(sv->kod_code, 0, refid, sizeof(refid));
			fprintf(out, ", %llu Kiss-o'-Death (%s)", (unsigned long long)sv->kod,
				refid);
		}
		fputc('\n', out);
	}
}

void fv_report_text(FILE *out, const struct fv_session *s,
		    const struct fv_report *r)
{
	const struct fv_verdict *v = &r->verdict;
	const struct fv_tally *t = &r->tally;
	uint64_t own = 0;
	int i;

	for (i = 0; i < s->n_points; i++) {
		const struct fv_point *p = &s->points[i];

		fprintf(out, "%s %s%s", fv_role_name(p->host.role),
			*p->host.netns ? p->host.netns : "(this namespace)", ":");
		for (int j = 0; j < p->host.n_ifaces; j++) {
			const struct fv_iface_att *a = &p->att[j];

			if (a->gone)
				fprintf(out, " %s [gone: not watched]", p->host.ifname[j]);
			else
				fprintf(out, " %s [%s, %s]", p->host.ifname[j],
					a->ingress_how ? a->ingress_how : "-",
					a->egress_how ? a->egress_how : "-");
			if (a->reattached)
				fprintf(out, " (re-created, watched again %u time%s)",
					a->reattached, a->reattached == 1 ? "" : "s");
		}
		fputc('\n', out);
		if (p->host.role == FV_ROLE_NAT) {
			leg_line(out, s, r, i, FV_LEG_1, "leg 1 request client->NAT");
			leg_line(out, s, r, i, FV_LEG_2, "leg 2 request NAT->server");
			leg_line(out, s, r, i, FV_LEG_UNTRANSLATED, "      left untranslated");
			leg_line(out, s, r, i, FV_LEG_3, "leg 3 reply server->NAT");
			leg_line(out, s, r, i, FV_LEG_4, "leg 4 reply NAT->client");
		} else {
			leg_line(out, s, r, i, FV_LEG_1, "leg 1 request sent");
			leg_line(out, s, r, i, FV_LEG_4, "leg 4 reply received");
		}
	}
	for (i = 0; i < r->n_rows; i++) {
		if (r->rows[i].nat_own)
			own += r->rows[i].val.packets;
	}
	if (own)
		fprintf(out, "NAT's own NTP traffic (not judged): %llu packets\n",
			(unsigned long long)own);
	fprintf(out, "exchanges: %llu answered, %llu unanswered, %llu in flight",
		(unsigned long long)t->answered, (unsigned long long)fv_tally_lost(t),
		(unsigned long long)t->in_flight);
	if (r->retransmissions)
		fprintf(out, ", %llu retransmitted", (unsigned long long)r->retransmissions);
	if (t->ambiguous)
		fprintf(out, ", %llu with an ambiguous cookie (not judged)",
			(unsigned long long)t->ambiguous);
	fputc('\n', out);
	fv_report_journeys_text(out, r);
	fprintf(out, "\n%s%s%s\n", v->status == FV_STATUS_OK ? "OK: " :
		v->status == FV_STATUS_FAULT ? "FAULT " : "NO TRAFFIC: ",
		v->explanation, v->from_counters ? " (from counters: no exchange "
		"could be joined by its cookie)" : "");
	if (*r->evidence)
		fprintf(out, "Evidence: %s\n", r->evidence);
	for (i = 0; i < r->n_drops; i++) {
		const struct fv_drop_row *d = &r->drops[i];
		int p = r->drop_point[i];

		if (!i)
			fprintf(out, "Kernel drops of NTP packets:\n");
		fprintf(out, "  %s host, leg %d: %s in %s (%s), %llu times\n",
			p >= 0 ? fv_role_name(s->points[p].host.role) : "?",
			r->drop_leg[i], d->reason_name,
			*d->route_sym ? d->route_sym : (d->hook ? d->hook : "?"),
			d->location_sym, (unsigned long long)d->count);
	}
}

static bool broken(const struct fv_report *r, enum fv_segment seg)
{
	return r->verdict.status == FV_STATUS_FAULT && r->verdict.segment == seg;
}

void fv_report_diagram(FILE *out, const struct fv_session *s,
		       const struct fv_report *r, const uint64_t *prev)
{
	const struct fv_flow_row *f1 = NULL, *f2 = NULL;
	char c[64] = "client", o[64] = "-", sv[64] = "server";
	bool nat_req = broken(r, FV_SEG_INSIDE_NAT_REQUEST) ||
		       broken(r, FV_SEG_NAT_NOT_TRANSLATING);
	uint64_t legs[5];
	int i, nflows;

	fv_report_leg_packets(r, legs);
	for (i = 0; i < s->n_points; i++) {
		if (s->points[i].host.role != FV_ROLE_NAT)
			continue;
		f1 = top_flow(r, i, FV_LEG_1, &nflows);
		f2 = top_flow(r, i, FV_LEG_2, &nflows);
		if (!f2)
			f2 = top_flow(r, i, FV_LEG_UNTRANSLATED, &nflows);
	}
	if (f1)
		fv_format_endpoint(f1->key.saddr, f1->key.sport, c, sizeof(c));
	if (f2) {
		fv_format_endpoint(f2->key.saddr, f2->key.sport, o, sizeof(o));
		fv_format_endpoint(f2->key.daddr, f2->key.dport, sv, sizeof(sv));
	}
	/* Packets per leg, total and since the previous frame; an X marks
	 * the segment where the verdict says they stop. */
#define N(l) (unsigned long long)legs[l], \
	     (unsigned long long)(prev && legs[l] >= prev[l] ? legs[l] - prev[l] : 0)
	fprintf(out, "  request %-22s --%s(1) %6llu +%-4llu--> [%s] --%s(2) %6llu +%-4llu--> %s\n",
		c, broken(r, FV_SEG_CLIENT_TO_NAT) ? "X" : "-", N(1),
		nat_req ? "NAT X" : "NAT", broken(r, FV_SEG_BEYOND_NAT) ? "X" : "-", N(2), sv);
	fprintf(out, "  reply   %-22s <-%s(4) %6llu +%-4llu--- [%s] <-%s(3) %6llu +%-4llu--- %s\n",
		c, broken(r, FV_SEG_NAT_TO_CLIENT) ? "X" : "-", N(4),
		broken(r, FV_SEG_INSIDE_NAT_REPLY) ? "NAT X" : "NAT",
		broken(r, FV_SEG_BEYOND_NAT) ? "X" : "-", N(3), sv);
	fprintf(out, "  NAT's outside address and port: %s\n", o);
#undef N
}

void fv_format_refid(const uint8_t refid[4], uint8_t stratum, char *buf, size_t len)
{
	int i;

	/* Stratum 0 and 1 carry ASCII (a kiss code, or a reference clock's
	 * name); higher strata the IPv4 address of their own server. */
	if (stratum <= 1) {
		for (i = 0; i < 4 && refid[i]; i++) {
			if (!isprint(refid[i]))
				break;
		}
		if (i == 4 || (i > 0 && !refid[i])) {
			snprintf(buf, len, "%.*s", i, (const char *)refid);
			return;
		}
	}
	snprintf(buf, len, "%u.%u.%u.%u", refid[0], refid[1], refid[2], refid[3]);
}

static const char *outcome_of(const struct fv_exchange *x, uint64_t now_ns,
			      uint64_t timeout_ns, enum fv_segment *seg)
{
	*seg = FV_SEG_NONE;
	if (x->ambiguous)
		return "ambiguous";
	if (fv_exchange_is_nat_own(x))
		return fv_exchange_answered(x) || (x->seen & FV_SEEN(FV_STAGE_N3)) ?
		       "nat_own" : (now_ns - x->first_ns < timeout_ns ? "in_flight" :
				    "nat_own_lost");
	if (fv_exchange_answered(x))
		return x->kod ? "kod" : "answered";
	if (x->first_ns > now_ns || now_ns - x->first_ns < timeout_ns)
		return "in_flight";
	*seg = fv_exchange_stopped_at(x);
	return "lost";
}

static void wall_clock(uint64_t mono_ns, uint64_t now_mono_ns, char *buf, size_t len)
{
	struct timespec ts;
	struct tm tm;
	double t;
	time_t sec;

	clock_gettime(CLOCK_REALTIME, &ts);
	t = ts.tv_sec + ts.tv_nsec / NS_PER_SEC - (double)(now_mono_ns - mono_ns) / NS_PER_SEC;
	sec = (time_t)t;
	localtime_r(&sec, &tm);
	snprintf(buf, len, "%02d:%02d:%02d.%03d", tm.tm_hour, tm.tm_min, tm.tm_sec,
		 (int)((t - sec) * 1000));
}

void fv_exchange_line(const struct fv_exchange *x, uint64_t now_ns,
		      uint64_t timeout_ns, char *buf, size_t len)
{
	char when[32], c[64] = "?", o[64] = "?", sv[64] = "?", refid[32];
	enum fv_segment seg;
	const char *outcome = outcome_of(x, now_ns, timeout_ns, &seg);
	size_t off;
	int k;

	wall_clock(x->first_ns, now_ns, when, sizeof(when));
	if (x->inside_port)
		fv_format_endpoint(x->inside_addr, x->inside_port, c, sizeof(c));
	if (x->outside_port)
		fv_format_endpoint(x->outside_addr, x->outside_port, o, sizeof(o));
	if (x->server_port)
		fv_format_endpoint(x->server_addr, x->server_port, sv, sizeof(sv));
	off = snprintf(buf, len, "%s %s%-9s %s -> %s -> %s", when,
		       seg ? "lost at " : "", seg ? fv_segment_word(seg) : outcome,
		       c, o, sv);
	for (k = 0; k < fv_nspans && off < len; k++) {
		const struct fv_span *sp = &fv_spans[k];

		if (!(x->seen & FV_SEEN(sp->from)) || !(x->seen & FV_SEEN(sp->to)))
			continue;
		off += snprintf(buf + off, len - off, "  %s %.3f ms",
				fv_segment_word(sp->seg),
				(x->seen_ns[sp->to] - x->seen_ns[sp->from]) / 1e6);
	}
	if (off < len && (x->seen & (FV_SEEN(FV_STAGE_N3) | FV_SEEN(FV_STAGE_C4)))) {
		fv_format_refid(x->refid, x->stratum, refid, sizeof(refid));
		if (x->kod)
			off += snprintf(buf + off, len - off, "  Kiss-o'-Death %s", refid);
		else
			off += snprintf(buf + off, len - off, "  stratum %u refid %s",
					x->stratum, refid);
	}
	if (off < len && !strcmp(outcome, "lost"))
		snprintf(buf + off, len - off, "  (no reply after %.1f s)",
			 timeout_ns / NS_PER_SEC);
}

json_t *fv_exchange_json(const struct fv_exchange *x, uint64_t now_ns,
			 uint64_t timeout_ns)
{
	char when[32], c[64], o[64], sv[64], refid[32], cookie[20];
	json_t *lat = json_object(), *j;
	enum fv_segment seg;
	const char *outcome = outcome_of(x, now_ns, timeout_ns, &seg);
	int k;

	wall_clock(x->first_ns, now_ns, when, sizeof(when));
	fv_format_endpoint(x->inside_addr, x->inside_port, c, sizeof(c));
	fv_format_endpoint(x->outside_addr, x->outside_port, o, sizeof(o));
	fv_format_endpoint(x->server_addr, x->server_port, sv, sizeof(sv));
	snprintf(cookie, sizeof(cookie), "%016llx", (unsigned long long)be64toh(x->cookie));
	for (k = 0; k < fv_nspans; k++) {
		const struct fv_span *sp = &fv_spans[k];

		if ((x->seen & FV_SEEN(sp->from)) && (x->seen & FV_SEEN(sp->to)))
			json_object_set_new(lat, fv_segment_word(sp->seg),
				json_real((x->seen_ns[sp->to] - x->seen_ns[sp->from]) / NS_PER_SEC));
	}
	j = json_pack("{s:s, s:s, s:s, s:s?, s:s?, s:s?, s:s?, s:o, s:I}",
		      "time", when, "cookie", cookie, "outcome", outcome,
		      "segment", fv_segment_word(seg),
		      "inside", x->inside_port ? c : NULL,
		      "outside", x->outside_port ? o : NULL,
		      "server", x->server_port ? sv : NULL,
		      "latency_seconds", lat, "retransmissions", (json_int_t)x->dups);
	if (x->seen & (FV_SEEN(FV_STAGE_N3) | FV_SEEN(FV_STAGE_C4))) {
		fv_format_refid(x->refid, x->stratum, refid, sizeof(refid));
		json_object_set_new(j, "stratum", json_integer(x->stratum));
		json_object_set_new(j, x->kod ? "kod" : "refid", json_string(refid));
	}
	return j;
}
