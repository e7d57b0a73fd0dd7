// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
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
	fv_verdict_decide(t, &r->verdict);
	if (r->verdict.status == FV_STATUS_FAULT)
		describe_evidence(s, r);
	return 0;
}

void fv_report_free(struct fv_report *r)
{
	free(r->rows);
	r->rows = NULL;
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
		json_array_append_new(ifaces, json_pack("{s:s, s:i, s:s?, s:s?, s:b}",
			"name", p->host.ifname[i], "ifindex", p->host.ifindex[i],
			"ingress", p->att[i].ingress_how, "egress", p->att[i].egress_how,
			"foreign_xdp", p->att[i].foreign_xdp));
	return json_pack("{s:s, s:s, s:o, s:o}", "role", fv_role_name(p->host.role),
			 "netns", p->host.netns, "interfaces", ifaces,
			 "parser", stats_json(r->stats[point]));
}

json_t *fv_report_json(const struct fv_session *s, const struct fv_report *r)
{
	const struct fv_verdict *v = &r->verdict;
	const struct fv_tally *t = &r->tally;
	json_t *root, *lost, *points, *clients, *own;
	uint64_t events_lost = 0;
	int seg, i, nat = 0;

	lost = json_object();
	for (seg = FV_SEG_NONE + 1; seg < FV_SEG_MAX; seg++)
		json_object_set_new(lost, fv_segment_word(seg), json_integer(t->lost[seg]));
	points = json_array();
	clients = json_array();
	for (i = 0; i < s->n_points; i++) {
		json_array_append_new(points, point_json(s, r, i));
		events_lost += r->stats[i][FV_STAT_EVENTS_LOST];
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
	json_object_set_new(root, "exchanges", json_pack("{s:I, s:I, s:I, s:o}",
		"answered", (json_int_t)t->answered,
		"unanswered", (json_int_t)fv_tally_lost(t),
		"in_flight", (json_int_t)t->in_flight,
		"lost_by_segment", lost));
	json_object_set_new(root, "legs", legs_json(s, r, nat, false));
	json_object_set_new(root, "clients", clients);
	json_object_set_new(root, "nat_own_flows", own);
	json_object_set_new(root, "events", json_pack("{s:I, s:I, s:I, s:I}",
		"received", (json_int_t)s->events, "lost", (json_int_t)events_lost,
		"unmatched_replies", (json_int_t)s->unmatched_replies,
		"zero_cookies", (json_int_t)s->zero_cookies));
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
		for (int j = 0; j < p->host.n_ifaces; j++)
			fprintf(out, " %s [%s, %s]", p->host.ifname[j],
				p->att[j].ingress_how ? p->att[j].ingress_how : "-",
				p->att[j].egress_how ? p->att[j].egress_how : "-");
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
	fprintf(out, "exchanges: %llu answered, %llu unanswered, %llu in flight\n",
		(unsigned long long)t->answered, (unsigned long long)fv_tally_lost(t),
		(unsigned long long)t->in_flight);
	fprintf(out, "\n%s%s%s\n", v->status == FV_STATUS_OK ? "OK: " :
		v->status == FV_STATUS_FAULT ? "FAULT " : "NO TRAFFIC: ",
		v->explanation, v->from_counters ? " (from counters: no exchange "
		"could be joined by its cookie)" : "");
	if (*r->evidence)
		fprintf(out, "Evidence: %s\n", r->evidence);
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
