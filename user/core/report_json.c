// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The report as JSON (verify --json, the agent's /api/v1/status) and one
 * exchange as JSON (trace --json); from the model only. */
#include <arpa/inet.h>
#include <endian.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "report.h"
#include "util.h"

/* A flow's hook in its interface's words ("xdp-native", "tcx-ingress",
 * "clsact-egress", ...: docs/json.md), so that a flow and the interface it
 * was seen on say the same; the kernel's own name when the interface is
 * gone. */
static const char *flow_hook(const struct fv_report *r,
			     const struct fv_flow_row *row)
{
	const struct fv_report_point *p = &r->points[row->point];
	int i;

	for (i = 0; i < p->n_ifaces; i++) {
		const struct fv_report_iface *f = &p->ifaces[i];
		const char *how;

		if ((uint32_t)f->ifindex != row->key.ifindex || f->gone)
			continue;
		how = row->key.hook == FV_HOOK_TC_EGRESS ? f->egress_how
							 : f->ingress_how;
		/* XDP seen where tc now watches (or the reverse): stale. */
		if (how &&
		    (row->key.hook == FV_HOOK_XDP) == !strncmp(how, "xdp", 3))
			return how;
	}
	return fv_hook_name(row->key.hook);
}

static json_t *flow_json(const struct fv_report *r, const struct fv_flow_row *row)
{
	char src[64], dst[64];
	json_t *o;

	fv_format_endpoint(row->key.saddr, row->key.sport, src, sizeof(src));
	fv_format_endpoint(row->key.daddr, row->key.dport, dst, sizeof(dst));
	o = json_pack("{s:s, s:s, s:I, s:I, s:s, s:s, s:f}", "src", src, "dst",
		      dst, "packets", (json_int_t)row->val.packets, "bytes",
		      (json_int_t)row->val.bytes, "interface",
		      fv_report_ifname(r, row->point, row->key.ifindex), "hook",
		      flow_hook(r, row), "last_seen_seconds_ago",
		      fv_report_flow_ago(r, row->val.last_ns));
	if (row->leg == FV_LEG_UNTRANSLATED)
		json_object_set_new(o, "translated", json_false());
	return o;
}

/* Legs 1..4 of one point; on the NAT, leg 2 also lists untranslated
 * requests, which are what nat_not_translating is about. */
static json_t *legs_json(const struct fv_report *r, int point, bool client)
{
	const struct fv_report_leg *sum = r->legs[point];
	json_t *legs = json_array();
	int leg, i;

	for (leg = FV_LEG_1; leg <= FV_LEG_4; leg++) {
		uint64_t packets = sum[leg].packets, last = sum[leg].last_ns;
		json_t *flows;

		if (client && leg != FV_LEG_1 && leg != FV_LEG_4)
			continue;
		if (leg == FV_LEG_2) {
			packets += sum[FV_LEG_UNTRANSLATED].packets;
			if (sum[FV_LEG_UNTRANSLATED].last_ns > last)
				last = sum[FV_LEG_UNTRANSLATED].last_ns;
		}
		flows = json_array();
		for (i = 0; i < r->n_rows; i++) {
			const struct fv_flow_row *row = &r->rows[i];
			bool match = row->leg == (enum fv_leg)leg ||
				     (leg == FV_LEG_2 &&
				      row->leg == FV_LEG_UNTRANSLATED);

			if (row->point == point && !row->nat_own && match)
				json_array_append_new(flows, flow_json(r, row));
		}
		json_array_append_new(
			legs,
			json_pack("{s:i, s:s, s:I, s:o, s:o}", "leg", leg,
				  "name", fv_leg_name(leg), "packets",
				  (json_int_t)packets, "last_seen_seconds_ago",
				  last ? json_real(fv_report_flow_ago(r, last))
				       : json_null(),
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

static json_t *point_json(const struct fv_report *r, int point)
{
	const struct fv_report_point *p = &r->points[point];
	json_t *ifaces = json_array();
	int i;

	for (i = 0; i < p->n_ifaces; i++) {
		const struct fv_report_iface *f = &p->ifaces[i];

		json_array_append_new(
			ifaces,
			json_pack("{s:s, s:i, s:s?, s:s?, s:b, s:s, s:i}",
				  "name", f->name, "ifindex", f->ifindex,
				  "ingress", f->gone ? NULL : f->ingress_how,
				  "egress", f->gone ? NULL : f->egress_how,
				  "foreign_xdp", f->foreign_xdp,
				  /* "gone": deleted under us, not watched until it is back */
				  "state", f->gone ? "gone" : "watched",
				  "reattached", (int)f->reattached));
	}
	return json_pack("{s:s, s:s, s:o, s:o}", "role", fv_role_name(p->role),
			 "netns", p->netns, "interfaces", ifaces, "parser",
			 stats_json(r->stats[point]));
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

static json_t *drops_json(const struct fv_report *r)
{
	json_t *a = json_array();
	char src[64], dst[64];
	int i;

	for (i = 0; i < r->n_drops; i++) {
		const struct fv_drop_row *d = &r->drops[i];
		int p = r->drop_point[i];

		fv_format_endpoint(d->saddr, htons(d->sport), src, sizeof(src));
		fv_format_endpoint(d->daddr, htons(d->dport), dst, sizeof(dst));
		json_array_append_new(
			a,
			json_pack("{s:s?, s:s, s:i, s:I, s:s?, s:s?, s:s?, s:s?, s:s, s:s, s:f}",
				  "reason",
				  *d->reason_name ? d->reason_name : NULL,
				  "location", d->location_sym, "leg",
				  r->drop_leg[i], "count", (json_int_t)d->count,
				  "hook", d->hook, "route",
				  *d->route_sym ? d->route_sym : NULL, "host",
				  p >= 0 ? fv_role_name(r->points[p].role) : NULL,
				  "interface",
				  p >= 0 && d->iif ? fv_report_ifname(r, p, d->iif)
						   : NULL,
				  "src", src, "dst", dst, "last_seen_seconds_ago",
				  fv_report_ago(r, d->last_ns)));
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

		fv_format_endpoint(m->inside.addr, m->inside.port, in,
				   sizeof(in));
		fv_format_endpoint(m->outside.addr, m->outside.port, out,
				   sizeof(out));
		json_array_append_new(a, json_pack("{s:s, s:s, s:I}", "inside",
						   in, "outside", out, "exchanges",
						   (json_int_t)m->exchanges));
	}
	return a;
}

/* [{"address", "inside_clients"}]: who shares which outside address. */
static json_t *sharing_json(const struct fv_server_row *sv)
{
	json_t *a = json_array();
	char addr[64];
	int i, k, n;

	for (i = 0; i < sv->n_share; i++) {
		for (k = 0; k < i; k++) {
			if (!memcmp(sv->share[k].outside, sv->share[i].outside,
				    16))
				break;
		}
		if (k < i)
			continue;
		for (n = 0, k = i; k < sv->n_share; k++)
			n += !memcmp(sv->share[k].outside, sv->share[i].outside,
				     16);
		fv_format_addr(sv->share[i].outside, addr, sizeof(addr));
		json_array_append_new(a, json_pack("{s:s, s:i}", "address",
						   addr, "inside_clients", n));
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

		fv_format_endpoint(sv->addr.addr, sv->addr.port, addr,
				   sizeof(addr));
		fv_format_refid(sv->refid, sv->stratum, refid, sizeof(refid));
		fv_format_refid(sv->kod_code, 0, code, sizeof(code));
		json_array_append_new(
			a,
			json_pack("{s:s, s:I, s:I, s:i, s:s, s:i, s:s?, s:i, s:o}",
				  "server", addr, "replies",
				  (json_int_t)sv->replies, "kod_replies",
				  (json_int_t)sv->kod, "stratum", sv->stratum,
				  "refid", refid, "leap", sv->leap, "kod_code",
				  sv->kod ? code : NULL,
				  "clients_per_outside_address", sv->max_sharing,
				  "outside_addresses", sharing_json(sv)));
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
		json_object_set_new(codes, code,
				    json_integer(sv->kod +
						 (prev ? json_integer_value(prev)
						       : 0)));
	}
	return json_pack("{s:I, s:o}", "replies", (json_int_t)total, "codes",
			 codes);
}

json_t *fv_report_json(const struct fv_report *r)
{
	const struct fv_verdict *v = &r->verdict;
	const struct fv_tally *t = &r->tally;
	json_t *root, *lost, *points, *clients, *own;
	uint64_t events_lost = 0, events_limited = 0;
	int seg, i, nat = 0;

	lost = json_object();
	for (seg = FV_SEG_NONE + 1; seg < FV_SEG_MAX; seg++)
		json_object_set_new(lost, fv_segment_word(seg),
				    json_integer(t->lost[seg]));
	points = json_array();
	clients = json_array();
	for (i = 0; i < r->n_points; i++) {
		json_array_append_new(points, point_json(r, i));
		events_lost += r->stats[i][FV_STAT_EVENTS_LOST];
		events_limited += r->stats[i][FV_STAT_EVENTS_LIMITED];
		if (r->points[i].role == FV_ROLE_NAT)
			nat = i;
		else
			json_array_append_new(clients,
					      json_pack("{s:s, s:o}", "netns",
							r->points[i].netns, "legs",
							legs_json(r, i, true)));
	}
	own = json_array();
	for (i = 0; i < r->n_rows; i++) {
		if (r->rows[i].nat_own)
			json_array_append_new(own, flow_json(r, &r->rows[i]));
	}
	root = json_pack("{s:s, s:s?, s:s, s:s?, s:s?, s:s}", "status",
			 fv_status_word(v->status), "segment",
			 fv_segment_word(v->segment), "explanation",
			 v->explanation, "evidence",
			 *r->evidence ? r->evidence : NULL, "causes",
			 fv_segment_causes(v->segment), "basis",
			 v->from_counters ? "counters" : "exchanges");
	json_object_set_new(root, "coverage", json_string(fv_report_coverage(r)));
	json_object_set_new(root, "interrupted", json_boolean(r->interrupted));
	{
		json_t *notes = json_array();

		for (i = 0; i < r->n_notes; i++)
			json_array_append_new(notes, json_string(r->notes[i]));
		json_object_set_new(root, "notes", notes);
	}
	json_object_set_new(root, "duration_seconds",
			    json_real(fv_seconds(r->until_ns - r->since_ns)));
	json_object_set_new(root, "port", json_integer(r->port));
	json_object_set_new(root, "reply_timeout_seconds",
			    json_real(fv_seconds(r->timeout_ns)));
	json_object_set_new(root, "exchanges",
			    json_pack("{s:I, s:I, s:I, s:o, s:o, s:I, s:I}",
				      "answered", (json_int_t)t->answered,
				      "unanswered", (json_int_t)fv_tally_lost(t),
				      "in_flight", (json_int_t)t->in_flight,
				      "lost_by_segment", lost, "latency_seconds",
				      latency_json(r), "retransmissions",
				      (json_int_t)r->retransmissions,
				      "ambiguous_cookies",
				      (json_int_t)t->ambiguous));
	json_object_set_new(root, "nat_mappings", mappings_json(r));
	json_object_set_new(root, "drops", drops_json(r));
	json_object_set_new(root, "drop_tracer",
			    json_pack("{s:s?, s:s?, s:b, s:s?}", "state",
				      r->drop_tracer, "error",
				      *r->drops_error ? r->drops_error : NULL,
				      "reasons", r->drop_reasons, "note",
				      r->drop_tracer_note));
	json_object_set_new(root, "servers", servers_json(r));
	json_object_set_new(root, "kod", kod_json(r));
	json_object_set_new(root, "legs", legs_json(r, nat, false));
	json_object_set_new(root, "clients", clients);
	json_object_set_new(root, "nat_own_flows", own);
	json_object_set_new(
		root, "events",
		json_pack("{s:I, s:I, s:I, s:I, s:I, s:I}", "received",
			  (json_int_t)r->events, "lost", (json_int_t)events_lost,
			  "rate_limited", (json_int_t)events_limited,
			  "unmatched_replies", (json_int_t)r->unmatched_replies,
			  "zero_cookies", (json_int_t)r->zero_cookies,
			  "cookie_collisions", (json_int_t)r->cookie_collisions));
	json_object_set_new(root, "points", points);
	return root;
}

json_t *fv_exchange_json(const struct fv_exchange *x, uint64_t now_ns,
			 uint64_t timeout_ns)
{
	char when[48], c[64], o[64], sv[64], refid[32], cookie[20];
	json_t *lat = json_object(), *j;
	enum fv_segment seg;
	const char *outcome = fv_exchange_outcome(x, now_ns, timeout_ns, &seg);
	int k;

	fv_rfc3339(x->first_ns, now_ns, when, sizeof(when));
	fv_format_endpoint(x->inside_addr, x->inside_port, c, sizeof(c));
	fv_format_endpoint(x->outside_addr, x->outside_port, o, sizeof(o));
	fv_format_endpoint(x->server_addr, x->server_port, sv, sizeof(sv));
	snprintf(cookie, sizeof(cookie), "%016llx",
		 (unsigned long long)be64toh(x->cookie));
	for (k = 0; k < fv_nspans; k++) {
		const struct fv_span *sp = &fv_spans[k];

		if ((x->seen & FV_SEEN(sp->from)) && (x->seen & FV_SEEN(sp->to)))
			json_object_set_new(lat, fv_segment_word(sp->seg),
					    json_real(fv_seconds(
						    x->seen_ns[sp->to] -
						    x->seen_ns[sp->from])));
	}
	j = json_pack("{s:s, s:s, s:s, s:s?, s:s?, s:s?, s:s?, s:o, s:I}", "time",
		      when, "cookie", cookie, "outcome", outcome, "segment",
		      fv_segment_word(seg), "inside", x->inside_port ? c : NULL,
		      "outside", x->outside_port ? o : NULL, "server",
		      x->server_port ? sv : NULL, "latency_seconds", lat,
		      "retransmissions", (json_int_t)x->dups);
	if (x->seen & (FV_SEEN(FV_STAGE_N3) | FV_SEEN(FV_STAGE_C4))) {
		fv_format_refid(x->refid, x->stratum, refid, sizeof(refid));
		json_object_set_new(j, "stratum", json_integer(x->stratum));
		json_object_set_new(j, x->kod ? "kod" : "refid",
				    json_string(refid));
	}
	return j;
}

/* One number token of jansson's text, rewritten when it is a real: "%.9f"
 * with the trailing zeros cut, one decimal kept ("3.0", "0.00004031"). */
static size_t plain_number(const char *in, char *out, size_t room)
{
	size_t n = strspn(in, "-+0123456789.eE");
	char tok[64], *end;
	double v;
	int len;

	if (n < sizeof(tok)) {
		memcpy(tok, in, n);
		tok[n] = 0;
	}
	if (n >= sizeof(tok) || !strpbrk(tok, ".eE") ||
	    (v = strtod(tok, &end), *end)) {
		len = snprintf(out, room, "%.*s", (int)n, in);
		return (size_t)len < room ? (size_t)len : 0;
	}
	len = snprintf(out, room, "%.9f", v);
	if (len <= 0 || (size_t)len >= room)
		return 0;
	while (len > 2 && out[len - 1] == '0' && out[len - 2] != '.')
		len--;
	out[len] = 0;
	/* Rounded to nothing: no "-0.0". */
	if (!strcmp(out, "-0.0"))
		memmove(out, out + 1, len--);
	return len;
}

char *fv_json_text(const json_t *j, size_t flags)
{
	char *raw = json_dumps(j, flags), *out, *w;
	bool in_str = false;
	const char *p;
	size_t cap;

	if (!raw)
		return NULL;
	/* A real grows to at most "-" + 7 digits + "." + 9 places from its
	 * 17 significant digits: twice the length and a little is room. */
	cap = strlen(raw) * 2 + 64;
	out = malloc(cap);
	if (!out) {
		free(raw);
		return NULL;
	}
	for (p = raw, w = out; *p;) {
		size_t n;

		if (in_str) {
			if (*p == '\\' && p[1])
				*w++ = *p++;
			else if (*p == '"')
				in_str = false;
			*w++ = *p++;
			continue;
		}
		if (*p == '"') {
			in_str = true;
			*w++ = *p++;
			continue;
		}
		if (*p == '-' || (*p >= '0' && *p <= '9')) {
			n = plain_number(p, w, cap - (w - out));
			if (!n)
				break;
			w += n;
			p += strspn(p, "-+0123456789.eE");
			continue;
		}
		*w++ = *p++;
	}
	*w = 0;
	if (*p) {
		free(out);
		out = NULL;
	}
	free(raw);
	return out;
}

int fv_json_write(FILE *out, const json_t *j, size_t flags)
{
	char *text = fv_json_text(j, flags);
	int ret = 0;

	if (!text)
		return -ENOMEM;
	errno = 0;
	if (fputs(text, out) < 0 || fputc('\n', out) == EOF)
		ret = errno ? -errno : -EIO;
	if (out == stdout) {
		if (ret && !fv_stdout_errno)
			fv_stdout_errno = -ret;
		ret = fv_flush_stdout();
	} else if (!ret && fflush(out)) {
		ret = errno ? -errno : -EIO;
	}
	free(text);
	return ret;
}

void fv_rfc3339(uint64_t mono_ns, uint64_t now_mono_ns, char *buf, size_t len)
{
	struct timespec ts;
	long long ms;
	char zone[8];
	struct tm tm;
	time_t sec;

	clock_gettime(CLOCK_REALTIME, &ts);
	ms = (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000 -
	     ((long long)now_mono_ns - (long long)mono_ns) / 1000000;
	sec = ms / 1000;
	localtime_r(&sec, &tm);
	/* strftime's %z is +0100; RFC 3339 wants +01:00 (or Z). */
	strftime(zone, sizeof(zone), "%z", &tm);
	snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d.%03lld%.3s:%.2s",
		 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		 tm.tm_min, tm.tm_sec, ms % 1000, zone, zone + 3);
}
