// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The report as text (verify, watch) and one line per exchange (trace,
 * watch); from the model only. */
#include <ctype.h>
#include <string.h>
#include <time.h>
#include "report.h"
#include "util.h"

static void leg_line(FILE *out, const struct fv_report *r, int point,
		     enum fv_leg leg, const char *label)
{
	const struct fv_report_leg *l = &r->legs[point][leg];
	const struct fv_flow_row *row = l->top;
	char src[64], dst[64];

	fprintf(out, "  %-26s %8llu pkts", label, (unsigned long long)l->packets);
	if (row) {
		fv_format_endpoint(row->key.saddr, row->key.sport, src,
				   sizeof(src));
		fv_format_endpoint(row->key.daddr, row->key.dport, dst,
				   sizeof(dst));
		fprintf(out, "   %s -> %s on %s, last %.1f s ago", src, dst,
			fv_report_ifname(r, point, row->key.ifindex),
			fv_report_flow_ago(r, row->val.last_ns));
		if (l->flows > 1)
			fprintf(out, " (+%d flows)", l->flows - 1);
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
		fprintf(out, "%s %s %.3f/%.3f/%.3f",
			any ? "," : "latency ms (p50/p99/max):",
			fv_segment_word(fv_spans[k].seg), l->p50 * 1e3,
			l->p99 * 1e3, l->max * 1e3);
		any = true;
	}
	if (any)
		fputc('\n', out);
	for (i = 0; i < r->n_mappings; i++) {
		const struct fv_mapping *m = &r->mappings[i];

		fv_format_endpoint(m->inside.addr, m->inside.port, a, sizeof(a));
		fv_format_endpoint(m->outside.addr, m->outside.port, b,
				   sizeof(b));
		fprintf(out, "NAT mapping: %s <-> %s (%llu exchange%s)\n", a, b,
			(unsigned long long)m->exchanges,
			fv_plural(m->exchanges));
	}
	for (i = 0; i < r->n_servers; i++) {
		const struct fv_server_row *sv = &r->servers[i];

		fv_format_endpoint(sv->addr.addr, sv->addr.port, a, sizeof(a));
		fv_format_refid(sv->refid, sv->stratum, refid, sizeof(refid));
		fprintf(out, "server %s: %llu replies", a,
			(unsigned long long)sv->replies);
		if (sv->replies > sv->kod)
			fprintf(out, ", stratum %u, refid %s, leap %u",
				sv->stratum, refid, sv->leap);
		if (sv->kod) {
			fv_format_refid(sv->kod_code, 0, refid, sizeof(refid));
			fprintf(out, ", %llu Kiss-o'-Death (%s)",
				(unsigned long long)sv->kod, refid);
		}
		if (sv->max_sharing)
			fprintf(out,
				", %d inside client%s behind one outside address",
				sv->max_sharing, sv->max_sharing == 1 ? "" : "s");
		fputc('\n', out);
	}
}

void fv_report_text(FILE *out, const struct fv_report *r)
{
	const struct fv_verdict *v = &r->verdict;
	const struct fv_tally *t = &r->tally;
	int i;

	for (i = 0; i < r->n_points; i++) {
		const struct fv_report_point *p = &r->points[i];

		fprintf(out, "%s %s%s", fv_role_name(p->role),
			*p->netns ? p->netns : "(this namespace)", ":");
		for (int j = 0; j < p->n_ifaces; j++) {
			const struct fv_report_iface *a = &p->ifaces[j];

			if (a->gone)
				fprintf(out, " %s [gone: not watched]", a->name);
			else
				fprintf(out, " %s [%s, %s]", a->name,
					a->ingress_how ? a->ingress_how : "-",
					a->egress_how ? a->egress_how : "-");
			if (a->reattached)
				fprintf(out,
					" (re-created, watched again %u time%s)",
					a->reattached,
					a->reattached == 1 ? "" : "s");
		}
		fputc('\n', out);
		if (p->role == FV_ROLE_NAT) {
			leg_line(out, r, i, FV_LEG_1,
				 "leg 1 request client->NAT");
			leg_line(out, r, i, FV_LEG_2,
				 "leg 2 request NAT->server");
			leg_line(out, r, i, FV_LEG_UNTRANSLATED,
				 "      left untranslated");
			leg_line(out, r, i, FV_LEG_3, "leg 3 reply server->NAT");
			leg_line(out, r, i, FV_LEG_4, "leg 4 reply NAT->client");
		} else {
			leg_line(out, r, i, FV_LEG_1, "leg 1 request sent");
			leg_line(out, r, i, FV_LEG_4, "leg 4 reply received");
		}
	}
	if (r->own_packets)
		fprintf(out, "NAT's own NTP traffic (not judged): %llu packets\n",
			(unsigned long long)r->own_packets);
	fprintf(out, "exchanges: %llu answered, %llu unanswered, %llu in flight",
		(unsigned long long)t->answered,
		(unsigned long long)fv_tally_lost(t),
		(unsigned long long)t->in_flight);
	if (r->retransmissions)
		fprintf(out, ", %llu retransmitted",
			(unsigned long long)r->retransmissions);
	if (t->ambiguous)
		fprintf(out, ", %llu with an ambiguous cookie (not judged)",
			(unsigned long long)t->ambiguous);
	fputc('\n', out);
	fv_report_journeys_text(out, r);
	fprintf(out, "coverage: %s\n", fv_report_coverage(r));
	if (r->interrupted)
		fprintf(out,
			"interrupted: the window was cut short after %.1f s; "
			"%llu exchange%s still within their reply timeout "
			"%s not judged\n",
			fv_seconds(r->until_ns - r->since_ns),
			(unsigned long long)t->in_flight, fv_plural(t->in_flight),
			t->in_flight == 1 ? "was" : "were");
	/* Green, red, yellow: only the verdict word, only when fv_color. */
	fprintf(out, "\n%s%s%s%s%s\n",
		!fv_color		       ? ""
		: v->status == FV_STATUS_OK    ? "\033[1;32m"
		: v->status == FV_STATUS_FAULT ? "\033[1;31m"
					       : "\033[1;33m",
		v->status == FV_STATUS_OK	      ? "OK:"
		: v->status == FV_STATUS_FAULT	      ? "FAULT"
		: v->status == FV_STATUS_INCONCLUSIVE ? "INCONCLUSIVE:"
						      : "NO TRAFFIC:",
		fv_color ? "\033[0m " : " ", v->explanation,
		v->from_counters ? " (from counters: no exchange "
				   "could be joined by its cookie)"
				 : "");
	if (*r->evidence)
		fprintf(out, "Evidence: %s\n", r->evidence);
	for (i = 0; i < r->n_notes; i++)
		fprintf(out, "Note: %s\n", r->notes[i]);
	for (i = 0; i < r->n_drops; i++) {
		const struct fv_drop_row *d = &r->drops[i];
		int p = r->drop_point[i];

		if (!i && r->drop_tracer_note)
			fprintf(out, "Kernel drops of NTP packets (%s):\n",
				r->drop_tracer_note);
		else if (!i)
			fprintf(out, "Kernel drops of NTP packets:\n");
		fprintf(out, "  %s host, leg %d: %s in %s (%s), %llu times\n",
			p >= 0 ? fv_role_name(r->points[p].role) : "?",
			r->drop_leg[i], fv_drop_reason_text(d),
			*d->route_sym ? d->route_sym : (d->hook ? d->hook : "?"),
			d->location_sym, (unsigned long long)d->count);
	}
}

void fv_format_refid(const uint8_t refid[4], uint8_t stratum, char *buf,
		     size_t len)
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

const char *fv_exchange_outcome(const struct fv_exchange *x, uint64_t now_ns,
				uint64_t timeout_ns, enum fv_segment *seg)
{
	*seg = FV_SEG_NONE;
	if (x->ambiguous)
		return "ambiguous";
	if (fv_exchange_is_nat_own(x))
		return fv_exchange_answered(x) || (x->seen & FV_SEEN(FV_STAGE_N3))
			       ? "nat_own"
			       : (now_ns - x->first_ns < timeout_ns
					  ? "in_flight"
					  : "nat_own_lost");
	if (fv_exchange_answered(x))
		return x->kod ? "kod" : "answered";
	if (x->first_ns > now_ns || now_ns - x->first_ns < timeout_ns)
		return "in_flight";
	*seg = fv_exchange_stopped_at(x);
	return "lost";
}

void fv_wall_clock(uint64_t mono_ns, uint64_t now_mono_ns, char *buf, size_t len)
{
	struct timespec ts;
	struct tm tm;
	double t;
	time_t sec;

	clock_gettime(CLOCK_REALTIME, &ts);
	t = ts.tv_sec + fv_seconds(ts.tv_nsec) -
	    ((double)now_mono_ns - (double)mono_ns) / NS_PER_SEC;
	sec = (time_t)t;
	localtime_r(&sec, &tm);
	snprintf(buf, len, "%02d:%02d:%02d.%03d", tm.tm_hour, tm.tm_min,
		 tm.tm_sec, (int)((t - sec) * 1000));
}

void fv_exchange_line(const struct fv_exchange *x, uint64_t now_ns,
		      uint64_t timeout_ns, char *buf, size_t len)
{
	char when[32], c[64] = "?", o[64] = "?", sv[64] = "?", refid[32];
	enum fv_segment seg;
	const char *outcome = fv_exchange_outcome(x, now_ns, timeout_ns, &seg);
	size_t off;
	int k;

	fv_wall_clock(x->first_ns, now_ns, when, sizeof(when));
	if (x->inside_port)
		fv_format_endpoint(x->inside_addr, x->inside_port, c, sizeof(c));
	if (x->outside_port)
		fv_format_endpoint(x->outside_addr, x->outside_port, o,
				   sizeof(o));
	if (x->server_port)
		fv_format_endpoint(x->server_addr, x->server_port, sv,
				   sizeof(sv));
	off = snprintf(buf, len, "%s %s%-9s %s -> %s -> %s", when,
		       seg ? "lost at " : "",
		       seg ? fv_segment_word(seg) : outcome, c, o, sv);
	for (k = 0; k < fv_nspans && off < len; k++) {
		const struct fv_span *sp = &fv_spans[k];

		if (!(x->seen & FV_SEEN(sp->from)) ||
		    !(x->seen & FV_SEEN(sp->to)))
			continue;
		off += snprintf(buf + off, len - off, "  %s %.3f ms",
				fv_segment_word(sp->seg),
				(double)(x->seen_ns[sp->to] -
					 x->seen_ns[sp->from]) /
					NS_PER_MS);
	}
	if (off < len &&
	    (x->seen & (FV_SEEN(FV_STAGE_N3) | FV_SEEN(FV_STAGE_C4)))) {
		fv_format_refid(x->refid, x->stratum, refid, sizeof(refid));
		if (x->kod)
			off += snprintf(buf + off, len - off,
					"  Kiss-o'-Death %s", refid);
		else
			off += snprintf(buf + off, len - off,
					"  stratum %u refid %s", x->stratum,
					refid);
	}
	if (off < len && !strcmp(outcome, "lost"))
		snprintf(buf + off, len - off, "  (no reply after %.1f s)",
			 fv_seconds(timeout_ns));
}
