// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The verdict as one HTML page to hand over: the four legs as inline SVG
 * with the X where packets stop, a ladder of the exchanges, latency per
 * segment, host checks, the blocking ACL entry, the evidence and the
 * command. Read from verify's JSON only; everything inline (style and
 * SVG), no script and no outside URL, so it opens anywhere, offline. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include "report.h"
#include "report_html.h"
#include "util.h"

json_t *fv_report_html_exchanges(struct fv_session *s, uint64_t since_ns,
				 uint64_t until_ns, uint64_t now_ns,
				 uint64_t timeout_ns)
{
	json_t *a = json_array();
	uint32_t i, from = 0, n = 0;
	int k;

	if (!a)
		return NULL;
	/* The newest FV_HTML_LADDER_MAX of the window, oldest first. */
	for (i = s->xt.count; i-- > 0;) {
		const struct fv_exchange *x = fv_xtable_at(&s->xt, i);

		if (x->first_ns < since_ns || x->first_ns > until_ns ||
		    !(x->seen & (FV_SEEN(FV_STAGE_C1) | FV_SEEN(FV_STAGE_N1))))
			continue;
		from = i;
		if (++n == FV_HTML_LADDER_MAX)
			break;
	}
	for (i = from; n && i < s->xt.count; i++) {
		const struct fv_exchange *x = fv_xtable_at(&s->xt, i);
		json_t *j, *st;

		if (x->first_ns < since_ns || x->first_ns > until_ns ||
		    !(x->seen & (FV_SEEN(FV_STAGE_C1) | FV_SEEN(FV_STAGE_N1))))
			continue;
		j = fv_exchange_json(x, now_ns, timeout_ns);
		st = json_array();
		for (k = 0; k < FV_STAGE_MAX; k++) {
			if (x->seen & FV_SEEN(k))
				json_array_append_new(
					st, json_string(fv_stage_word(k)));
		}
		json_object_set_new(j, "stages", st);
		json_array_append_new(a, j);
	}
	return a;
}

/* ---- small writers ---- */

static void esc(FILE *o, const char *s)
{
	for (; s && *s; s++) {
		switch (*s) {
		case '&': fputs("&amp;", o); break;
		case '<': fputs("&lt;", o); break;
		case '>': fputs("&gt;", o); break;
		case '"': fputs("&quot;", o); break;
		case '\'': fputs("&#39;", o); break;
		default: fputc(*s, o);
		}
	}
}

static const char *str(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

static long long num(const json_t *o, const char *key)
{
	return json_integer_value(json_object_get(o, key));
}

/* Any JSON value as text: strings bare, the rest as compact JSON. */
static void value(FILE *o, const json_t *v)
{
	char *t;

	if (json_is_string(v)) {
		esc(o, json_string_value(v));
		return;
	}
	if (json_is_null(v) || !v) {
		fputs("&mdash;", o);
		return;
	}
	t = fv_json_text(v, JSON_COMPACT | JSON_ENCODE_ANY);
	esc(o, t ? t : "?");
	free(t);
}

/* An array of objects as a table, one column per key of the first. */
static void table(FILE *o, const json_t *rows, const char *cls)
{
	const json_t *first = json_array_get(rows, 0), *row, *v;
	const char *key;
	size_t i;

	if (!json_is_object(first))
		return;
	fprintf(o, "<table class=\"%s\"><tr>", cls);
	json_object_foreach((json_t *)first, key, v)
	{
		fputs("<th>", o);
		esc(o, key);
		fputs("</th>", o);
	}
	fputs("</tr>\n", o);
	json_array_foreach(rows, i, row)
	{
		fputs("<tr>", o);
		json_object_foreach((json_t *)first, key, v)
		{
			const char *st =
				!strcmp(key, "status") ? str(row, key) : NULL;

			if (st)
				fprintf(o, "<td class=\"st-%s\">",
					!strcmp(st, "ok")	 ? "ok"
					: !strcmp(st, "unknown") ? "unknown"
								 : "bad");
			else
				fputs("<td>", o);
			value(o, json_object_get(row, key));
			fputs("</td>", o);
		}
		fputs("</tr>\n", o);
	}
	fputs("</table>\n", o);
}

/* ---- the four legs ---- */

static long long leg_packets(const json_t *v, int leg)
{
	const json_t *l;
	size_t i;

	json_array_foreach(json_object_get(v, "legs"), i, l)
	{
		if (num(l, "leg") == leg)
			return num(l, "packets");
	}
	return 0;
}

/* The first flow's src or dst of a leg, or NULL. */
static const char *leg_end(const json_t *v, int leg, const char *which)
{
	const json_t *l;
	size_t i;

	json_array_foreach(json_object_get(v, "legs"), i, l)
	{
		if (num(l, "leg") == leg)
			return str(json_array_get(json_object_get(l, "flows"), 0),
				   which);
	}
	return NULL;
}

static void arrow(FILE *o, int x1, int x2, int y, int leg, long long n,
		  const char *what)
{
	int lx = (x1 + x2) / 2, ly = y + (leg == 1 || leg == 2 ? -10 : 22);

	fprintf(o,
		"<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" class=\"%s\" "
		"marker-end=\"url(#head)\"/>\n",
		x1, y, x2, y, n ? "leg" : "leg none");
	fprintf(o,
		"<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">leg %d %s: %lld "
		"pkt%s</text>\n",
		lx, ly, leg, what, n, n == 1 ? "" : "s");
}

static void cross(FILE *o, int x, int y, int r)
{
	fprintf(o, "<path class=\"stop\" d=\"M%d %d L%d %d M%d %d L%d %d\"/>\n",
		x - r, y - r, x + r, y + r, x - r, y + r, x + r, y - r);
}

static void diagram(FILE *o, const json_t *v)
{
	const char *seg = str(v, "segment"), *status = str(v, "status");
	const json_t *map = json_array_get(json_object_get(v, "nat_mappings"), 0);
	const char *inside = str(map, "inside"), *outside = str(map, "outside");
	const char *server = leg_end(v, 2, "dst");
	/* A fault with no segment is the server's Kiss-o'-Death. */
	bool kod = !seg && status && !strcmp(status, "fault") &&
		   num(json_object_get(v, "kod"), "replies") > 0;
	int x = 0, y = 0;

	if (!inside)
		inside = leg_end(v, 1, "src");
	if (!outside)
		outside = leg_end(v, 2, "src");
	fputs("<svg id=\"legs\" width=\"780\" height=\"135\" viewBox=\"0 50 780 "
	      "135\" role=\"img\" aria-label=\"the four legs\">\n"
	      "<defs><marker id=\"head\" markerWidth=\"8\" markerHeight=\"8\" "
	      "refX=\"7\" refY=\"4\" orient=\"auto\"><path d=\"M0 0 L8 4 L0 8 "
	      "z\"/></marker></defs>\n",
	      o);
	fputs("<rect class=\"box\" x=\"20\" y=\"60\" width=\"140\" height=\"100\"/>"
	      "<rect class=\"box\" x=\"310\" y=\"60\" width=\"160\" height=\"100\"/>"
	      "<rect class=\"box\" x=\"620\" y=\"60\" width=\"140\" height=\"100\"/>\n"
	      "<text x=\"90\" y=\"105\" text-anchor=\"middle\" class=\"name\">client</text>"
	      "<text x=\"390\" y=\"105\" text-anchor=\"middle\" class=\"name\">NAT</text>"
	      "<text x=\"690\" y=\"105\" text-anchor=\"middle\" class=\"name\">server</text>\n",
	      o);
	fputs("<text x=\"90\" y=\"125\" text-anchor=\"middle\">", o);
	esc(o, inside ? inside : "");
	fputs("</text><text x=\"390\" y=\"125\" text-anchor=\"middle\">outside ",
	      o);
	esc(o, outside ? outside : "not seen");
	fputs("</text><text x=\"690\" y=\"125\" text-anchor=\"middle\">", o);
	esc(o, server ? server : "");
	fputs("</text>\n", o);
	arrow(o, 160, 308, 80, 1, leg_packets(v, 1), "request");
	arrow(o, 470, 618, 80, 2, leg_packets(v, 2), "request");
	arrow(o, 620, 472, 140, 3, leg_packets(v, 3), "reply");
	arrow(o, 310, 162, 140, 4, leg_packets(v, 4), "reply");
	/* Where the verdict says packets stop. */
	if (kod) {
		x = 690, y = 80;
	} else if (seg && !strcmp(status ? status : "", "fault")) {
		if (!strcmp(seg, "client_to_nat"))
			x = 235, y = 80;
		else if (!strcmp(seg, "inside_nat_request") ||
			 !strcmp(seg, "nat_not_translating"))
			x = 390, y = 80;
		else if (!strcmp(seg, "beyond_nat"))
			x = 545, y = 110;
		else if (!strcmp(seg, "inside_nat_reply"))
			x = 390, y = 140;
		else if (!strcmp(seg, "nat_to_client"))
			x = 235, y = 140;
		else if (!strcmp(seg, "beyond_client"))
			x = 90, y = 80;
	}
	if (x) {
		cross(o, x, y, 12);
		fprintf(o,
			"<text x=\"%d\" y=\"%d\" text-anchor=\"middle\" "
			"class=\"stopword\">",
			x, 180);
		esc(o, kod ? "Kiss-o'-Death" : seg);
		fputs("</text>\n", o);
	}
	fputs("</svg>\n", o);
}

/* ---- the ladder ---- */

/* The path's points left to right, and the segment after each. */
static const struct {
	const char *stage, *label, *seg;
} path[] = {
	{ "client_sent", "client", "client_to_nat" },
	{ "nat_in", "NAT in", "inside_nat_request" },
	{ "nat_out", "NAT out", "beyond_nat" },
	{ "reply_in", "NAT back", "inside_nat_reply" },
	{ "reply_out", "to client", "nat_to_client" },
	{ "client_received", "client", NULL },
};
#define NPATH ((int)(sizeof(path) / sizeof(path[0])))
#define LX0   150
#define LDX   110
#define LROW  16
#define LTOP  40

static bool has_stage(const json_t *x, const char *word)
{
	const json_t *s;
	size_t i;

	json_array_foreach(json_object_get(x, "stages"), i, s)
	{
		if (!strcmp(json_string_value(s) ?: "", word))
			return true;
	}
	return false;
}

static void ladder(FILE *o, const json_t *xs)
{
	size_t n = json_array_size(xs), i;
	const json_t *x;
	int k;

	if (!n) {
		fputs("<p>No exchange in the window.</p>\n", o);
		return;
	}
	fprintf(o,
		"<svg id=\"ladder\" width=\"%d\" height=\"%zu\" role=\"img\" "
		"aria-label=\"exchanges, time down\">\n",
		LX0 + LDX * (NPATH - 1) + 130, LTOP + n * LROW + 10);
	for (k = 0; k < NPATH; k++) {
		int cx = LX0 + k * LDX;

		fprintf(o,
			"<line class=\"col\" x1=\"%d\" y1=\"%d\" x2=\"%d\" "
			"y2=\"%zu\"/><text x=\"%d\" y=\"14\" "
			"text-anchor=\"middle\">%s</text>\n",
			cx, LTOP - 12, cx, LTOP + n * LROW, cx, path[k].label);
		if (path[k].seg)
			fprintf(o,
				"<text x=\"%d\" y=\"30\" text-anchor=\"middle\" "
				"class=\"seg\">%s</text>\n",
				cx + LDX / 2, path[k].seg);
	}
	json_array_foreach(xs, i, x)
	{
		const char *outcome = str(x, "outcome") ?: "";
		const char *seg = str(x, "segment");
		const char *t = str(x, "time") ?: "";
		const char *tt = strchr(t, 'T');
		int y = LTOP + (int)i * LROW + 8;
		bool stopped = false;

		/* Time of day only: the date is in the header. */
		fprintf(o, "<text x=\"4\" y=\"%d\" class=\"t\">%.12s</text>\n",
			y + 4, tt ? tt + 1 : t);
		for (k = 0; k + 1 < NPATH && !stopped; k++) {
			int x1 = LX0 + k * LDX, x2 = x1 + LDX;
			bool a = has_stage(x, path[k].stage);
			bool b = has_stage(x, path[k + 1].stage);

			if (k == 1 && has_stage(x, "nat_out_untranslated"))
				b = true; /* out, but untranslated: its X below */
			if (seg && !strcmp(seg, path[k].seg) &&
			    (!strcmp(outcome, "lost") ||
			     !strcmp(outcome, "nat_own_lost"))) {
				fprintf(o,
					"<line class=\"lost\" x1=\"%d\" y1=\"%d\" "
					"x2=\"%d\" y2=\"%d\"/>\n",
					x1, y, (x1 + x2) / 2, y);
				cross(o, (x1 + x2) / 2, y, 5);
				stopped = true;
			} else if (seg && k == 1 &&
				   !strcmp(seg, "nat_not_translating")) {
				cross(o, (x1 + x2) / 2, y, 5);
				stopped = true;
			} else if (a && b) {
				fprintf(o,
					"<line class=\"ok\" x1=\"%d\" y1=\"%d\" "
					"x2=\"%d\" y2=\"%d\"/>\n",
					x1, y, x2, y);
			} else if (!a || !b) {
				/* Not watched there (no client point), or not
				 * yet: dotted. */
				fprintf(o,
					"<line class=\"unseen\" x1=\"%d\" y1=\"%d\" "
					"x2=\"%d\" y2=\"%d\"/>\n",
					x1, y, x2, y);
			}
		}
		fprintf(o, "<text x=\"%d\" y=\"%d\" class=\"t\">",
			LX0 + LDX * (NPATH - 1) + 10, y + 4);
		esc(o, outcome);
		if (seg) {
			fputs(" at ", o);
			esc(o, seg);
		}
		fputs("</text>\n", o);
	}
	fputs("</svg>\n", o);
}

/* ---- latency ---- */

static void latency(FILE *o, const json_t *v)
{
	const json_t *lat = json_object_get(json_object_get(v, "exchanges"),
					    "latency_seconds");
	const char *key;
	const json_t *l;

	if (!json_object_size(lat)) {
		fputs("<p>No segment timed: no exchange crossed one.</p>\n", o);
		return;
	}
	fputs("<table class=\"lat\"><tr><th>segment</th><th>exchanges</th>"
	      "<th>p50 ms</th><th>p99 ms</th><th>max ms</th></tr>\n",
	      o);
	json_object_foreach((json_t *)lat, key, l)
	{
		fputs("<tr><td>", o);
		esc(o, key);
		fprintf(o,
			"</td><td>%lld</td><td>%.3f</td><td>%.3f</td>"
			"<td>%.3f</td></tr>\n",
			num(l, "count"),
			json_number_value(json_object_get(l, "p50")) * 1e3,
			json_number_value(json_object_get(l, "p99")) * 1e3,
			json_number_value(json_object_get(l, "max")) * 1e3);
	}
	fputs("</table>\n", o);
}

static const char style[] =
	"body{font:14px/1.4 sans-serif;margin:24px;color:#222;max-width:1000px}"
	"h1{font-size:22px}h2{font-size:17px;margin-top:28px}"
	".ok h1{color:#176b2c}.fault h1,.no_traffic h1{color:#a11}"
	"code,pre,.t{font-family:monospace}pre{white-space:pre-wrap;"
	"background:#f4f4f4;padding:8px}"
	".evidence{border-left:4px solid #888;padding:4px 10px;"
	"background:#fafafa}"
	"table{border-collapse:collapse}td,th{border:1px solid #ccc;"
	"padding:3px 8px;text-align:left;vertical-align:top}"
	".st-ok{color:#176b2c}.st-bad{color:#a11;font-weight:bold}"
	".st-unknown{color:#777}"
	"svg text{font:12px sans-serif}svg .name{font-weight:bold}"
	"svg .t{font:11px monospace}svg .seg{fill:#666;font-size:11px}"
	".box{fill:#eef3fb;stroke:#456}.leg{stroke:#176b2c;stroke-width:2}"
	".leg.none{stroke:#aaa;stroke-dasharray:5 4}"
	".stop{stroke:#c00;stroke-width:4}.stopword{fill:#c00;"
	"font-weight:bold}.col{stroke:#ddd}.ok{stroke:#2a8a43;stroke-width:2}"
	".lost{stroke:#c00;stroke-width:2}.unseen{stroke:#bbb;"
	"stroke-dasharray:2 3}";

int fv_report_html(FILE *o, const json_t *v, const json_t *exchanges,
		   const char *command)
{
	const char *status = str(v, "status") ?: "unknown";
	const char *seg = str(v, "segment");
	const json_t *blocking = json_object_get(v, "blocking");
	const json_t *hc = json_object_get(v, "host_checks");
	const json_t *rows = json_object_get(v, "acl_rows");
	char when[64];
	time_t now = time(NULL);

	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S%z", localtime(&now));
	fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
	      "<title>flowverify: ",
	      o);
	esc(o, status);
	if (seg) {
		fputs(" at ", o);
		esc(o, seg);
	}
	fprintf(o, "</title><style>%s</style></head>\n<body class=\"", style);
	esc(o, status);
	fputs("\">\n<h1>NTP through the NAT: ", o);
	esc(o, status);
	if (seg) {
		fputs(" at <span id=\"segment\">", o);
		esc(o, seg);
		fputs("</span>", o);
	}
	fputs("</h1>\n<p>Written ", o);
	esc(o, when);
	fputs(" by flowverify " FV_VERSION "; coverage ", o);
	value(o, json_object_get(v, "coverage"));
	fprintf(o, ", window %.1f s.</p>",
		json_number_value(json_object_get(v, "duration_seconds")));
	fputs("\n<h2>Evidence</h2>\n<p class=\"evidence\">", o);
	value(o, json_object_get(v, "evidence"));
	fputs("</p>\n", o);
	if (str(v, "explanation")) {
		fputs("<p>", o);
		esc(o, str(v, "explanation"));
		fputs("</p>\n", o);
	}
	fputs("<p>The command:</p><pre id=\"command\">", o);
	esc(o, command);
	fputs("</pre>\n<h2>The four legs</h2>\n", o);
	diagram(o, v);
	fputs("<h2>Exchanges, time down</h2>\n", o);
	ladder(o, exchanges);
	fputs("<h2>Latency per segment</h2>\n", o);
	latency(o, v);
	fputs("<h2>Host checks on the NAT</h2>\n", o);
	if (json_array_size(hc))
		table(o, hc, "checks");
	else
		fputs("<p>Not run (no NAT point).</p>\n", o);
	fputs("<h2>Blocking ACL entry</h2>\n", o);
	if (json_is_object(blocking)) {
		const char *key;
		const json_t *b;

		if (str(blocking, "sentence")) {
			fputs("<p class=\"evidence\" id=\"blocking\">", o);
			esc(o, str(blocking, "sentence"));
			fputs("</p>\n", o);
		}
		fputs("<table class=\"blocking\">", o);
		json_object_foreach((json_t *)blocking, key, b)
		{
			fputs("<tr><th>", o);
			esc(o, key);
			fputs("</th><td>", o);
			value(o, b);
			fputs("</td></tr>\n", o);
		}
		fputs("</table>\n", o);
	} else {
		fputs("<p>Not known: no ACLs given (--acls), or none blocks "
		      "the lost leg.</p>\n",
		      o);
	}
	if (json_array_size(rows)) {
		fputs("<p>The ACL rows the lost legs need:</p>\n", o);
		table(o, rows, "acl");
	}
	fputs("</body></html>\n", o);
	return ferror(o) ? -EIO : 0;
}

int fv_report_html_file(const char *path, const json_t *v,
			const json_t *exchanges, const char *command)
{
	FILE *f = fopen(path, "w");
	int ret, saved;

	if (!f) {
		saved = errno;
		fv_err("cannot write --report '%s': %s", path, strerror(saved));
		return -saved;
	}
	ret = fv_report_html(f, v, exchanges, command);
	saved = errno;
	if (fclose(f) && !ret) {
		saved = errno;
		ret = -EIO;
	}
	if (ret)
		fv_err("cannot write --report '%s': %s", path,
		       strerror(saved ? saved : EIO));
	return ret;
}
