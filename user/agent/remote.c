// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* verify --agent: the NAT and its clients watched by agents on different
 * machines, joined into one verdict. Each agent's /api/v1/status lists
 * its recent exchanges by cookie and the stages it saw; the NTP cookie is
 * the same on every host, so the union of stages is the exchange's path.
 * Only stage sets and ages travel: monotonic clocks of different hosts
 * are never compared. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <curl/curl.h>
#include "agent.h"
#include "remote.h"
#include "exchange.h"
#include "report.h"
#include "util.h"

#define MAX_AGENTS 8
/* The largest real answer: a page of FV_EXCHANGES_PAGE exchanges (about
 * 0.2 MB) and the report, whose per-flow rows stay under 14 MB even with
 * every kept flow listed (65536 per host). */
#define BODY_MAX       (16u << 20)
#define CLIENT_IPS_MAX 1024

const struct option fv_remote_options[] = {
	{ "agent", required_argument, NULL, 'a' },
	{ "duration", required_argument, NULL, 'd' },
	{ "reply-timeout", required_argument, NULL, 't' },
	{ "json", no_argument, NULL, 'j' },
	{ "cacert", required_argument, NULL, 'c' },
	{ "auth-file", required_argument, NULL, 'u' },
	{ "verbose", no_argument, NULL, 'v' },
	{ "help", no_argument, NULL, 'h' },
	{},
};

static const char usage[] =
	"Usage: flowverify verify --agent URL [--agent URL]... [--duration S]\n"
	"                         [--reply-timeout S] [--json] [--cacert FILE]\n"
	"                         [--auth-file FILE]\n"
	"\n"
	"Join the views of running agents (flowverify agent) into one verdict: the\n"
	"NAT's agent and its clients' agents, on different machines. Exchanges are\n"
	"joined by their NTP cookie over the last S seconds (default 10). URL is the\n"
	"agent's base, e.g. https://nat:9123 or http://10.0.0.5:9123.\n"
	"\n"
	"  --agent URL         an agent to ask (repeatable, up to 8)\n"
	"  --duration S        the window the exchanges are joined over (default 10)\n"
	"  --reply-timeout S   a request unanswered this long is lost (default 1)\n"
	"  --json              one JSON object on stdout, as 'verify --json'\n"
	"  --cacert FILE       trust this CA for https agents\n"
	"  --auth-file FILE    basic auth for the agents: one line 'user:password',\n"
	"                      not readable by group or others (else ~/.netrc);\n"
	"                      a password in a URL is seen by every local user\n"
	"  -v, --verbose       diagnostics on stderr\n"
	"\n"
	"Exit status: 0 replies get through, 1 a fault or no traffic, 2 bad input or\n"
	"an agent that cannot be asked (down, not an agent, another API version).\n";

struct body {
	char *p;
	size_t len, cap;
	bool too_big;
};

static size_t on_data(char *data, size_t size, size_t n, void *ctx)
{
	struct body *b = ctx;
	size_t add = size * n, cap;
	char *grown;

	if (b->len + add > BODY_MAX) {
		b->too_big = true;
		return 0;
	}
	/* Doubled, not grown by each piece: curl hands over a few kB at a
	 * time, and an allocator whose realloc copies would copy the body
	 * once per piece. */
	if (b->len + add + 1 > b->cap) {
		for (cap = b->cap ? b->cap : 16384; cap < b->len + add + 1;)
			cap *= 2;
		if (cap > BODY_MAX + 1)
			cap = BODY_MAX + 1;
		grown = realloc(b->p, cap);
		if (!grown)
			return 0;
		b->p = grown;
		b->cap = cap;
	}
	memcpy(b->p + b->len, data, add);
	b->len += add;
	b->p[b->len] = '\0';
	return add;
}

/* Credentials for every agent (--auth-file), else from ~/.netrc. */
static char auth_user[128], auth_pass[256];

static bool has_ctl(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return true;
	}
	return false;
}

/* Control characters out of every string an agent sent (keys with one
 * dropped), before any of it reaches a terminal. */
static void sanitize(json_t *j)
{
	const char *key;
	json_t *v;
	void *tmp;
	size_t i;

	if (json_is_string(j)) {
		size_t n = json_string_length(j);
		char *c;

		if (!has_ctl(json_string_value(j), n))
			return;
		c = malloc(n + 1);
		if (!c)
			return;
		memcpy(c, json_string_value(j), n);
		for (i = 0; i < n; i++) {
			if ((unsigned char)c[i] < 0x20 || c[i] == 0x7f)
				c[i] = '?';
		}
		c[n] = '\0';
		json_string_setn(j, c, n);
		free(c);
	} else if (json_is_array(j)) {
		json_array_foreach(j, i, v) sanitize(v);
	} else if (json_is_object(j)) {
		json_object_foreach_safe(j, tmp, key, v)
		{
			if (has_ctl(key, strlen(key)))
				json_object_del(j, key);
			else
				sanitize(v);
		}
	}
}

/* GET base/api/v1/status?window=W&exchanges=N[&before=B], parsed. */
static json_t *fetch_page(const char *base, double window, size_t want,
			  const char *before, const char *cacert, char *err,
			  size_t errlen)
{
	char url[2048];
	struct body b = { 0 };
	json_error_t jerr;
	long code = 0;
	size_t blen = strlen(base);
	CURLcode rc;
	CURL *c;
	json_t *j;

	while (blen && base[blen - 1] == '/')
		blen--;
	if (blen > 1500) {
		snprintf(err, errlen, "URL too long");
		return NULL;
	}
	snprintf(url, sizeof(url),
		 "%.*s/api/v1/status?window=%.3f&exchanges=%zu%s%s", (int)blen,
		 base, window, want, before ? "&before=" : "",
		 before ? before : "");
	c = curl_easy_init();
	if (!c) {
		snprintf(err, errlen, "cannot initialise libcurl");
		return NULL;
	}
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 3L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 15L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "flowverify/" FV_VERSION);
	/* A declared length over the cap is refused before any byte. */
	curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)BODY_MAX);
	if (*auth_user) {
		curl_easy_setopt(c, CURLOPT_USERNAME, auth_user);
		curl_easy_setopt(c, CURLOPT_PASSWORD, auth_pass);
	} else {
		curl_easy_setopt(c, CURLOPT_NETRC, (long)CURL_NETRC_OPTIONAL);
	}
	if (cacert)
		curl_easy_setopt(c, CURLOPT_CAINFO, cacert);
	rc = curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
	curl_easy_cleanup(c);
	if (rc != CURLE_OK) {
		snprintf(err, errlen, "does not answer: %s",
			 b.too_big || rc == CURLE_FILESIZE_EXCEEDED
				 ? "answer larger than 16 MiB"
				 : curl_easy_strerror(rc));
		free(b.p);
		return NULL;
	}
	if (code != 200) {
		snprintf(err, errlen, "answered HTTP %ld%s", code,
			 code == 401 ? " (it wants basic auth: --auth-file FILE or ~/.netrc)"
			 : code == 404
				 ? " (not a flowverify agent, or an older one)"
				 : "");
		free(b.p);
		return NULL;
	}
	j = json_loadb(b.p ? b.p : "", b.len, JSON_REJECT_DUPLICATES, &jerr);
	free(b.p);
	if (!j || !json_is_object(j)) {
		snprintf(err, errlen,
			 "answered something that is not a status object "
			 "(%s)",
			 j ? "not an object" : jerr.text);
		json_decref(j);
		return NULL;
	}
	sanitize(j);
	return j;
}

/* Every exchange of the window, page by page (FV_EXCHANGES_PAGE each),
 * gathered in the first page's object. */
static json_t *fetch(const char *base, double window, const char *cacert,
		     char *err, size_t errlen)
{
	json_t *j = fetch_page(base, window, FV_XTABLE_CAPACITY, NULL, cacert,
			       err, errlen);
	json_t *all = json_object_get(j, "exchanges_detail");
	char before[32];

	while (j && json_is_array(all) &&
	       json_array_size(all) < FV_XTABLE_CAPACITY) {
		const char *next =
			json_string_value(json_object_get(j, "exchanges_next"));
		json_t *page, *more;

		/* Digits only: it goes into our next URL. */
		if (!next || !*next ||
		    strspn(next, "0123456789") != strlen(next) ||
		    strlen(next) >= sizeof(before))
			break;
		snprintf(before, sizeof(before), "%s", next);
		page = fetch_page(base, window,
				  FV_XTABLE_CAPACITY - json_array_size(all),
				  before, cacert, err, errlen);
		if (!page) {
			json_decref(j);
			return NULL;
		}
		more = json_object_get(page, "exchanges_detail");
		json_object_set(j, "exchanges_next",
				json_object_get(page, "exchanges_next")
					?: json_null());
		if (!json_array_size(more) || json_array_extend(all, more)) {
			json_decref(page);
			break;
		}
		json_decref(page);
	}
	return j;
}

struct joined {
	uint64_t cookie;
	uint32_t seen;
	double age; /* the oldest sighting, seconds */
	bool kod, ambiguous, used;
	char inside_ip[64];
};

struct jtable {
	struct joined *slots;
	size_t cap;
};

static struct joined *jt_get(struct jtable *t, uint64_t cookie)
{
	size_t i = (cookie * 0x9E3779B97F4A7C15ull) & (t->cap - 1);

	while (t->slots[i].used && t->slots[i].cookie != cookie)
		i = (i + 1) & (t->cap - 1);
	if (!t->slots[i].used) {
		t->slots[i].used = true;
		t->slots[i].cookie = cookie;
	}
	return &t->slots[i];
}

static bool has_role(json_t *st, const char *role)
{
	size_t i;
	json_t *p;

	json_array_foreach(json_object_get(st, "points"), i, p)
	{
		const char *r = json_string_value(json_object_get(p, "role"));

		if (r && !strcmp(r, role))
			return true;
	}
	return false;
}

static uint64_t jint(json_t *o, const char *key)
{
	json_int_t v = json_integer_value(json_object_get(o, key));

	return v > 0 ? (uint64_t)v : 0;
}

/* Checks one agent's object; sets *nat. */
static int check_status(json_t *st, const char *name, bool *nat, char *err,
			size_t errlen)
{
	json_t *agent = json_object_get(st, "agent");
	json_t *api = json_object_get(agent, "api");

	if (!json_is_object(agent) || !json_is_integer(api) ||
	    !json_is_array(json_object_get(st, "points"))) {
		snprintf(err, errlen,
			 "agent %s: not a flowverify agent's status "
			 "(no \"agent\" and \"points\")",
			 name);
		return -EINVAL;
	}
	if (json_integer_value(api) != FV_AGENT_API) {
		snprintf(err, errlen,
			 "agent %s runs flowverify %s with API %lld; this "
			 "flowverify %s speaks API %d: run the same version on both",
			 name,
			 json_string_value(json_object_get(agent, "version"))
				 ?: "?",
			 (long long)json_integer_value(api), FV_VERSION,
			 FV_AGENT_API);
		return -EPROTO;
	}
	if (!json_is_array(json_object_get(st, "exchanges_detail"))) {
		snprintf(err, errlen,
			 "agent %s: the status has no \"exchanges_detail\"",
			 name);
		return -EINVAL;
	}
	*nat = has_role(st, "nat");
	return 0;
}

static void ip_of(const char *endpoint, char *buf, size_t len)
{
	const char *colon = endpoint ? strrchr(endpoint, ':') : NULL;

	snprintf(buf, len, "%.*s", colon ? (int)(colon - endpoint) : 0,
		 endpoint ? endpoint : "");
}

json_t *fv_remote_join(json_t *const *status, const char *const *names, int n,
		       double window_s, double timeout_s, char *err,
		       size_t errlen)
{
	const uint32_t from_client = FV_SEEN(FV_STAGE_C1) | FV_SEEN(FV_STAGE_N1);
	struct jtable t = { 0 };
	struct fv_tally tally = { 0 };
	bool any_nat = false;
	struct fv_verdict v;
	json_t *legs = NULL, *clients = json_array(), *agents = json_array();
	/* What a local verify also has (docs/json.md): each agent's points,
	 * NAT mappings and event counts, summed. */
	json_t *points = json_array(), *mappings = json_array(),
	       *events = json_object();
	json_t *root, *lost, *x, *item;
	const char *key;
	static char cips[CLIENT_IPS_MAX][64];
	size_t total = 0, i, k, n_cips = 0;
	int a, n_nat = 0, seg;

	for (a = 0; a < n; a++) {
		bool nat;

		if (check_status(status[a], names[a], &nat, err, errlen))
			goto fail;
		if (nat && n_nat++) {
			snprintf(err, errlen,
				 "agents %s and another both watch a NAT; "
				 "join one NAT with its clients",
				 names[a]);
			goto fail;
		}
		total += json_array_size(
			json_object_get(status[a], "exchanges_detail"));
	}
	for (t.cap = 64; t.cap < 2 * total + 2; t.cap *= 2)
		;
	t.slots = calloc(t.cap, sizeof(*t.slots));
	if (!t.slots) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	for (a = 0; a < n; a++) {
		json_t *st = status[a];

		json_array_foreach(json_object_get(st, "exchanges_detail"), i, x)
		{
			const char *cookie =
				json_string_value(json_object_get(x, "cookie"));
			double age = json_number_value(
				json_object_get(x, "age_seconds"));
			struct joined *j;
			char *end;
			uint64_t c;

			if (!cookie ||
			    (errno = 0, c = strtoull(cookie, &end, 16), *end) ||
			    errno || !c)
				continue;
			j = jt_get(&t, c);
			if (age > j->age)
				j->age = age;
			json_array_foreach(json_object_get(x, "stages"), k, item)
			{
				int stage = fv_stage_parse(
					json_string_value(item) ?: "");

				if (stage >= 0)
					j->seen |= FV_SEEN(stage);
			}
			j->kod |= json_object_get(x, "kod") != NULL;
			j->ambiguous |=
				json_is_true(json_object_get(x, "ambiguous"));
			if (!j->inside_ip[0])
				ip_of(json_string_value(
					      json_object_get(x, "inside")),
				      j->inside_ip, sizeof(j->inside_ip));
		}
		if (has_role(st, "nat")) {
			legs = json_object_get(st, "legs");
		}
		json_array_foreach(json_object_get(st, "clients"), i, item)
			json_array_append(clients, item);
		json_array_foreach(json_object_get(st, "points"), i, item)
			json_array_append(points, item);
		json_array_foreach(json_object_get(st, "nat_mappings"), i, item)
			json_array_append(mappings, item);
		json_object_foreach(json_object_get(st, "events"), key, item)
			json_object_set_new(
				events, key,
				json_integer(jint(json_object_get(st, "events"),
						  key) +
					     jint(events, key)));
		json_array_append_new(
			agents,
			json_pack("{s:s, s:O?, s:O?, s:O?, s:O?, s:b, s:b}",
				  "url", names[a], "version",
				  json_object_get(json_object_get(st, "agent"),
						  "version"),
				  "instance",
				  json_object_get(json_object_get(st, "agent"),
						  "instance"),
				  "status", json_object_get(st, "status"),
				  "segment", json_object_get(st, "segment"),
				  "nat", has_role(st, "nat"), "client",
				  has_role(st, "client")));
		tally.have_client |= has_role(st, "client");
		any_nat |= has_role(st, "nat");
	}
	tally.client_only = tally.have_client && !any_nat;
	/* Counters, for when no exchange joins: the NAT's legs and what the
	 * clients sent and got. */
	json_array_foreach(legs, i, item)
	{
		json_int_t leg = json_integer_value(json_object_get(item, "leg"));

		if (leg < FV_LEG_1 || leg > FV_LEG_4)
			continue;
		tally.leg_packets[leg] += jint(item, "packets");
		if (leg == FV_LEG_2) {
			json_array_foreach(json_object_get(item, "flows"), k, x)
			{
				if (json_is_false(
					    json_object_get(x, "translated"))) {
					tally.untranslated_packets +=
						jint(x, "packets");
					tally.leg_packets[FV_LEG_2] -=
						jint(x, "packets");
				}
			}
		}
	}
	json_array_foreach(clients, i, item)
	{
		json_array_foreach(json_object_get(item, "legs"), k, x)
		{
			json_int_t leg =
				json_integer_value(json_object_get(x, "leg"));

			if (leg == FV_LEG_1)
				tally.client_leg1_packets += jint(x, "packets");
			else if (leg == FV_LEG_4)
				tally.client_leg4_packets += jint(x, "packets");
		}
	}
	/* Addresses the client agents' clients send from. */
	for (i = 0; i < t.cap; i++) {
		const struct joined *j = &t.slots[i];

		if (!j->used || !(j->seen & FV_SEEN(FV_STAGE_C1)) ||
		    !j->inside_ip[0])
			continue;
		for (k = 0; k < n_cips && strcmp(cips[k], j->inside_ip); k++)
			;
		if (k == n_cips && n_cips < CLIENT_IPS_MAX)
			snprintf(cips[n_cips++], sizeof(cips[0]), "%s",
				 j->inside_ip);
	}
	for (i = 0; i < t.cap; i++) {
		struct joined *j = &t.slots[i];
		struct fv_exchange fx = { 0 };

		if (!j->used || j->age > window_s || !(j->seen & from_client))
			continue;
		fx.seen = j->seen;
		fx.kod = j->kod;
		/* A client we watch: it saw the request leave, or the NAT saw
		 * one from an address a client agent sent from. */
		fx.client_watched = j->seen & FV_SEEN(FV_STAGE_C1);
		for (k = 0; !fx.client_watched && k < n_cips; k++)
			fx.client_watched = !strcmp(cips[k], j->inside_ip);
		if (j->ambiguous) {
			tally.ambiguous++;
		} else if (fv_exchange_answered(&fx)) {
			tally.answered++;
			tally.answered_at_client +=
				!!(fx.seen & FV_SEEN(FV_STAGE_C4));
			tally.kod += fx.kod;
		} else if (j->age < timeout_s) {
			tally.in_flight++;
		} else {
			seg = fv_exchange_stopped_at(&fx);
			/* Client agents alone see nothing past the client. */
			if (tally.client_only && seg == FV_SEG_CLIENT_TO_NAT)
				seg = FV_SEG_BEYOND_CLIENT;
			if (seg != FV_SEG_NONE)
				tally.lost[seg]++;
		}
	}
	free(t.slots);
	fv_verdict_decide(&tally, &v);
	lost = json_object();
	for (seg = FV_SEG_NONE + 1; seg < FV_SEG_MAX; seg++)
		json_object_set_new(lost, fv_segment_word(seg),
				    json_integer(tally.lost[seg]));
	root = json_pack("{s:s, s:s?, s:s, s:s?, s:s, s:f, s:f}", "status",
			 fv_status_word(v.status), "segment",
			 fv_segment_word(v.segment), "explanation",
			 v.explanation, "causes", fv_segment_causes(v.segment),
			 "basis", v.from_counters ? "counters" : "exchanges",
			 "duration_seconds", window_s, "reply_timeout_seconds",
			 timeout_s);
	json_object_set_new(root, "exchanges",
			    json_pack("{s:I, s:I, s:I, s:o, s:I, s:I}", "answered",
				      (json_int_t)tally.answered, "unanswered",
				      (json_int_t)fv_tally_lost(&tally),
				      "in_flight", (json_int_t)tally.in_flight,
				      "lost_by_segment", lost, "kod",
				      (json_int_t)tally.kod, "ambiguous_cookies",
				      (json_int_t)tally.ambiguous));
	json_object_set_new(root, "coverage",
			    json_string(any_nat && tally.have_client ? "nat+clients"
					: any_nat		     ? "nat"
						  : "clients"));
	json_object_set_new(root, "legs",
			    legs ? json_incref(legs) : json_array());
	json_object_set_new(root, "clients", clients);
	json_object_set_new(root, "agents", agents);
	/* The sentence of the agent that judged the same segment: the join
	 * makes no sentence of its own. */
	json_object_set_new(root, "evidence", json_null());
	for (a = 0; v.status == FV_STATUS_FAULT && a < n; a++) {
		const char *s =
			json_string_value(json_object_get(status[a], "segment"));

		if (s && fv_segment_word(v.segment) &&
		    !strcmp(s, fv_segment_word(v.segment)) &&
		    json_is_string(json_object_get(status[a], "evidence"))) {
			json_object_set(root, "evidence",
					json_object_get(status[a], "evidence"));
			break;
		}
	}
	json_object_set_new(root, "nat_mappings", mappings);
	json_object_set_new(root, "events", events);
	json_object_set_new(root, "points", points);
	return root;
fail:
	json_decref(clients);
	json_decref(agents);
	json_decref(points);
	json_decref(mappings);
	json_decref(events);
	return NULL;
}

static void print_text(json_t *r)
{
	json_t *a, *l, *c;
	size_t i, k;

	json_array_foreach(json_object_get(r, "agents"), i, a)
	{
		const char *seg =
			json_string_value(json_object_get(a, "segment"));

		printf("agent %s (%s%s%s): %s%s%s\n",
		       json_string_value(json_object_get(a, "url")),
		       json_is_true(json_object_get(a, "nat")) ? "nat" : "",
		       json_is_true(json_object_get(a, "nat")) &&
				       json_is_true(json_object_get(a, "client"))
			       ? ", "
			       : "",
		       json_is_true(json_object_get(a, "client")) ? "client" : "",
		       json_string_value(json_object_get(a, "status")) ?: "?",
		       seg ? " " : "", seg ? seg : "");
	}
	printf("nat legs:");
	json_array_foreach(json_object_get(r, "legs"), i, l)
		printf("  %lld: %lld",
		       json_integer_value(json_object_get(l, "leg")),
		       json_integer_value(json_object_get(l, "packets")));
	printf("\n");
	json_array_foreach(json_object_get(r, "clients"), i, c)
	{
		printf("client %s legs:",
		       json_string_value(json_object_get(c, "netns")) ?: "");
		json_array_foreach(json_object_get(c, "legs"), k, l)
			printf("  %lld: %lld",
			       json_integer_value(json_object_get(l, "leg")),
			       json_integer_value(json_object_get(l, "packets")));
		printf("\n");
	}
	a = json_object_get(r, "exchanges");
	printf("exchanges joined by cookie: %lld answered, %lld unanswered, %lld in flight\n",
	       json_integer_value(json_object_get(a, "answered")),
	       json_integer_value(json_object_get(a, "unanswered")),
	       json_integer_value(json_object_get(a, "in_flight")));
	printf("\n%s%s\n",
	       !strcmp(json_string_value(json_object_get(r, "status")), "ok")
		       ? "OK: "
	       : !strcmp(json_string_value(json_object_get(r, "status")), "fault")
		       ? "FAULT "
		       : "NO TRAFFIC: ",
	       json_string_value(json_object_get(r, "explanation")));
}

/* The URL as shown: without "user:password@". */
static char *redact(const char *url)
{
	const char *host = strstr(url, "://"), *at, *slash;
	char *out;

	host = host ? host + 3 : url;
	slash = strchr(host, '/');
	at = memchr(host, '@', slash ? (size_t)(slash - host) : strlen(host));
	if (!at)
		return strdup(url);
	out = malloc(strlen(url) + 1);
	if (out)
		sprintf(out, "%.*s%s", (int)(host - url), url, at + 1);
	return out;
}

/* "scheme://user:password@host...": a password in the URL. */
static bool has_password(const char *url)
{
	const char *host = strstr(url, "://"), *at, *slash;

	host = host ? host + 3 : url;
	slash = strchr(host, '/');
	at = memchr(host, '@', slash ? (size_t)(slash - host) : strlen(host));
	return at && memchr(host, ':', at - host);
}

int fv_remote_verify(int argc, char **argv)
{
	const char *urls[MAX_AGENTS], *cacert = NULL;
	char *shown[MAX_AGENTS] = { 0 };
	json_t *status[MAX_AGENTS] = { 0 }, *r;
	double duration = 10, timeout = 1;
	char err[512];
	bool json = false;
	int opt, n = 0, i, ret = FV_EXIT_USAGE;

	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "+vh", fv_remote_options, NULL)) !=
	       -1) {
		switch (opt) {
		case 'a':
			if (n == MAX_AGENTS) {
				fv_err("too many agents (at most %d)",
				       MAX_AGENTS);
				return FV_EXIT_USAGE;
			}
			if (strncmp(optarg, "http://", 7) &&
			    strncmp(optarg, "https://", 8)) {
				fv_err("bad --agent '%s': expected http://HOST:PORT or "
				       "https://HOST:PORT",
				       optarg);
				return FV_EXIT_USAGE;
			}
			urls[n++] = optarg;
			break;
		case 'd':
		case 't':
			if (fv_parse_seconds(optarg, FV_MAX_SECONDS,
					     opt == 'd' ? &duration : &timeout)) {
				fv_err("bad --%s '%s': expected seconds in 0..%.0f "
				       "(more than 0), e.g. 3 or 0.5",
				       opt == 'd' ? "duration" : "reply-timeout",
				       optarg, FV_MAX_SECONDS);
				return FV_EXIT_USAGE;
			}
			break;
		case 'j': json = true; break;
		case 'c': cacert = optarg; break;
		case 'u':
			ret = fv_agent_read_basic_auth(optarg, auth_user,
						       sizeof(auth_user),
						       auth_pass,
						       sizeof(auth_pass));
			if (ret) {
				fv_err("cannot use --auth-file %s: %s", optarg,
				       ret == -EINVAL
					       ? "expected one line 'user:password'"
				       : ret == -EACCES
					       ? "readable by group or others; chmod 600 it"
					       : strerror(-ret));
				return FV_EXIT_USAGE;
			}
			ret = FV_EXIT_USAGE;
			break;
		case 'v': fv_verbose = true; break;
		case 'h': fputs(usage, stdout); return FV_EXIT_OK;
		default:
			fv_err("'%s' does not go with --agent (the agents observe); see "
			       "'flowverify verify --help'",
			       argv[optind - 1]);
			return FV_EXIT_USAGE;
		}
	}
	if (optind < argc) {
		fv_err("unexpected argument '%s'", argv[optind]);
		return FV_EXIT_USAGE;
	}
	curl_global_init(CURL_GLOBAL_DEFAULT);
	for (i = 0; i < n; i++) {
		shown[i] = redact(urls[i]);
		/* Too late to hide: it is in our argv already. */
		if (has_password(urls[i]))
			fv_warn("agent %s: a password in the URL can be read by "
				"every local user (/proc/PID/cmdline); use "
				"--auth-file FILE or ~/.netrc",
				shown[i] ? shown[i] : "?");
		if ((has_password(urls[i]) || *auth_user) &&
		    !strncmp(urls[i], "http://", 7))
			fv_warn("agent %s: basic auth over plain http sends the "
				"password in the clear; use https",
				shown[i] ? shown[i] : "?");
	}
	for (i = 0; i < n; i++) {
		/* Asked for more than the window: the agents are not asked at
		 * the same instant, and an exchange must be whole in each view. */
		status[i] = fetch(urls[i], duration + timeout + 2, cacert, err,
				  sizeof(err));
		if (!status[i]) {
			fv_err("agent %s %s", shown[i] ? shown[i] : "?", err);
			goto out;
		}
	}
	r = fv_remote_join(status, (const char *const *)shown, n, duration,
			   timeout, err, sizeof(err));
	if (!r) {
		fv_err("%s", err);
		goto out;
	}
	if (json) {
		fv_json_write(stdout, r, JSON_INDENT(2));
	} else {
		print_text(r);
	}
	ret = strcmp(json_string_value(json_object_get(r, "status")), "ok")
		      ? FV_EXIT_FAULT
		      : FV_EXIT_OK;
	json_decref(r);
out:
	for (i = 0; i < n; i++) {
		json_decref(status[i]);
		free(shown[i]);
	}
	curl_global_cleanup();
	return ret;
}
