// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The report's renderers (text, JSON, the watch diagram, exchange lines)
 * driven from models made here by hand: a NAT and a client point, flows
 * on the legs up to where packets stop, the verdict decided from the
 * tally. No session, no kernel. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <endian.h>
#include <cmocka.h>

#include "report.h"

#define SEC	1000000000ull
#define NOW	(1000 * SEC)
#define NAT_OUT "10.0.0.5"
#define CLIENT	"10.0.1.10"
#define CLIENT2 "10.0.1.11"
#define SERVER	"198.51.100.123"

enum { P_NAT = 0, P_CLIENT = 1 };
enum { IF_OUT = 2, IF_IN = 3, IF_CLIENT = 7 };

static void v4(uint8_t a[16], const char *ip)
{
	memset(a, 0, 16);
	a[10] = a[11] = 0xff;
	assert_int_equal(inet_pton(AF_INET, ip, a + 12), 1);
}

static void iface(struct fv_report_point *p, const char *name, int ifindex,
		  const char *ingress)
{
	struct fv_report_iface *f = &p->ifaces[p->n_ifaces++];

	snprintf(f->name, sizeof(f->name), "%s", name);
	f->ifindex = ifindex;
	f->ingress_how = ingress;
	f->egress_how = "tcx-egress";
}

/* A NAT (eth0 outside, eth1 inside) and a client, nothing seen yet: the
 * window is the last 30 s, a reply may take 2 s. */
static struct fv_report *model_new(void)
{
	struct fv_report *r = calloc(1, sizeof(*r));

	assert_non_null(r);
	r->now_ns = NOW;
	r->flow_now_ns = NOW;
	r->since_ns = NOW - 30 * SEC;
	r->until_ns = NOW - 2 * SEC;
	r->timeout_ns = 2 * SEC;
	r->port = 123;
	r->n_points = 2;
	r->points[P_NAT].role = FV_ROLE_NAT;
	strcpy(r->points[P_NAT].netns, "fv-nat");
	iface(&r->points[P_NAT], "eth0", IF_OUT, "xdp-native");
	iface(&r->points[P_NAT], "eth1", IF_IN, "xdp-native");
	r->points[P_CLIENT].role = FV_ROLE_CLIENT;
	strcpy(r->points[P_CLIENT].netns, "fv-client");
	iface(&r->points[P_CLIENT], "eth0", IF_CLIENT, "tcx-ingress");
	r->drop_tracer = "not needed";
	return r;
}

static void model_free(struct fv_report *r)
{
	fv_report_free(r);
	free(r);
}

/* One flow counted at a point; last_ms: its last packet, ms before now. */
static void flow(struct fv_report *r, int point, enum fv_leg leg, bool own,
		 const char *src, uint16_t sport, const char *dst,
		 uint16_t dport, int ifindex, uint64_t packets, uint64_t last_ms)
{
	struct fv_flow_row *row;

	r->rows = realloc(r->rows, (r->n_rows + 1) * sizeof(*r->rows));
	assert_non_null(r->rows);
	row = &r->rows[r->n_rows++];
	memset(row, 0, sizeof(*row));
	row->point = point;
	row->leg = leg;
	row->nat_own = own;
	v4(row->key.saddr, src);
	v4(row->key.daddr, dst);
	row->key.sport = htons(sport);
	row->key.dport = htons(dport);
	row->key.ifindex = ifindex;
	row->val.packets = packets;
	row->val.bytes = packets * 90;
	row->val.last_ns = NOW - last_ms * 1000000ull;
}

/* The rows summed and the verdict decided, as fv_report_build does. */
static void finish(struct fv_report *r)
{
	fv_report_sum_rows(r);
	fv_verdict_decide(&r->tally, &r->verdict);
}

/* The legs one request and its reply take through the NAT, n packets
 * each, up to leg `upto` on the NAT (1..4) and, at the client, the
 * request and, with reply, the reply. */
static void legs_upto(struct fv_report *r, int upto, bool client_reply, uint64_t n)
{
	flow(r, P_CLIENT, FV_LEG_1, false, CLIENT, 40000, SERVER, 123,
	     IF_CLIENT, n, 1000);
	if (upto >= 1)
		flow(r, P_NAT, FV_LEG_1, false, CLIENT, 40000, SERVER, 123,
		     IF_IN, n, 1000);
	if (upto >= 2)
		flow(r, P_NAT, FV_LEG_2, false, NAT_OUT, 40000, SERVER, 123,
		     IF_OUT, n, 1000);
	if (upto >= 3)
		flow(r, P_NAT, FV_LEG_3, false, SERVER, 123, NAT_OUT, 40000,
		     IF_OUT, n, 500);
	if (upto >= 4)
		flow(r, P_NAT, FV_LEG_4, false, SERVER, 123, CLIENT, 40000,
		     IF_IN, n, 500);
	if (client_reply)
		flow(r, P_CLIENT, FV_LEG_4, false, SERVER, 123, CLIENT, 40000,
		     IF_CLIENT, n, 500);
}

/* Healthy: two clients through the NAT, 10 and 5 packets a leg (the
 * first watched), the NAT's own NTP beside them, 15 answered, one in
 * flight, retransmissions, a latency, a mapping and two servers. */
static struct fv_report *healthy(void)
{
	struct fv_report *r = model_new();

	legs_upto(r, 4, true, 10);
	flow(r, P_NAT, FV_LEG_1, false, CLIENT2, 40001, SERVER, 123, IF_IN, 5,
	     3000);
	flow(r, P_NAT, FV_LEG_2, false, NAT_OUT, 1027, SERVER, 123, IF_OUT, 5,
	     3000);
	flow(r, P_NAT, FV_LEG_3, false, SERVER, 123, NAT_OUT, 1027, IF_OUT, 5,
	     3000);
	flow(r, P_NAT, FV_LEG_4, false, SERVER, 123, CLIENT2, 40001, IF_IN, 5,
	     3000);
	flow(r, P_NAT, FV_LEG_2, true, NAT_OUT, 123, "203.0.113.1", 123, IF_OUT,
	     4, 5000);
	flow(r, P_NAT, FV_LEG_3, true, "203.0.113.1", 123, NAT_OUT, 123, IF_OUT,
	     4, 5000);
	r->tally.answered = 15;
	r->tally.in_flight = 1;
	r->retransmissions = 3;
	r->latency[FV_SEG_BEYOND_NAT] =
		(struct fv_latency){ 15, 0.012, 0.0205, 0.031 };
	r->n_mappings = 1;
	v4(r->mappings[0].inside.addr, CLIENT);
	r->mappings[0].inside.port = htons(40000);
	v4(r->mappings[0].outside.addr, NAT_OUT);
	r->mappings[0].outside.port = htons(40000);
	r->mappings[0].exchanges = 10;
	r->n_servers = 2;
	v4(r->servers[0].addr.addr, SERVER);
	r->servers[0].addr.port = htons(123);
	r->servers[0].replies = 14;
	r->servers[0].stratum = 2;
	memcpy(r->servers[0].refid, "\xc0\x00\x02\x01", 4);
	v4(r->servers[1].addr.addr, "198.51.100.124");
	r->servers[1].addr.port = htons(123);
	r->servers[1].replies = 3;
	r->servers[1].kod = 2;
	r->servers[1].stratum = 1;
	memcpy(r->servers[1].refid, "GPS\0", 4);
	memcpy(r->servers[1].kod_code, "RATE", 4);
	r->events = 120;
	r->stats[P_NAT][FV_STAT_EVENTS_LOST] = 2;
	r->stats[P_CLIENT][FV_STAT_EVENTS_LOST] = 1;
	finish(r);
	assert_int_equal(r->verdict.status, FV_STATUS_OK);
	return r;
}

/* Five exchanges lost at seg; the flows go as far as the segment lets. */
static struct fv_report *fault(enum fv_segment seg)
{
	struct fv_report *r = model_new();

	switch (seg) {
	case FV_SEG_CLIENT_TO_NAT: legs_upto(r, 0, false, 5); break;
	case FV_SEG_INSIDE_NAT_REQUEST: legs_upto(r, 1, false, 5); break;
	case FV_SEG_NAT_NOT_TRANSLATING:
		legs_upto(r, 1, false, 5);
		flow(r, P_NAT, FV_LEG_UNTRANSLATED, false, CLIENT, 40000,
		     SERVER, 123, IF_OUT, 5, 1000);
		break;
	case FV_SEG_BEYOND_NAT: legs_upto(r, 2, false, 5); break;
	case FV_SEG_INSIDE_NAT_REPLY: legs_upto(r, 3, false, 5); break;
	case FV_SEG_NAT_TO_CLIENT: legs_upto(r, 4, false, 5); break;
	default: fail();
	}
	r->tally.lost[seg] = 5;
	finish(r);
	assert_int_equal(r->verdict.status, FV_STATUS_FAULT);
	assert_int_equal(r->verdict.segment, seg);
	return r;
}

static char *text_of(const struct fv_report *r)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	fv_report_text(f, r);
	fclose(f);
	return buf;
}

static char *diagram_of(const struct fv_report *r, const uint64_t *prev)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	fv_report_diagram(f, r, prev);
	fclose(f);
	return buf;
}

/* The JSON as a client sees it: printed, then parsed back. */
static json_t *json_of(const struct fv_report *r)
{
	json_t *j = fv_report_json(r), *back;
	json_error_t err;
	char *s;

	assert_non_null(j);
	s = json_dumps(j, JSON_INDENT(2));
	assert_non_null(s);
	back = json_loads(s, 0, &err);
	assert_non_null(back);
	free(s);
	json_decref(j);
	return back;
}

/* The value at a path of object keys and array indexes ("legs.1.packets"). */
static json_t *at(json_t *j, const char *path)
{
	char buf[128], *tok, *save = NULL;

	snprintf(buf, sizeof(buf), "%s", path);
	for (tok = strtok_r(buf, ".", &save); tok && j;
	     tok = strtok_r(NULL, ".", &save)) {
		if (json_is_array(j))
			j = json_array_get(j, strtoul(tok, NULL, 10));
		else
			j = json_object_get(j, tok);
	}
	assert_non_null(j);
	return j;
}

static long long int_at(json_t *j, const char *path)
{
	json_t *v = at(j, path);

	assert_true(json_is_integer(v));
	return json_integer_value(v);
}

static const char *str_at(json_t *j, const char *path)
{
	json_t *v = at(j, path);

	assert_true(json_is_string(v));
	return json_string_value(v);
}

static void assert_has(const char *hay, const char *needle)
{
	if (!strstr(hay, needle))
		fail_msg("missing \"%s\" in:\n%s", needle, hay);
}

static void assert_lacks(const char *hay, const char *needle)
{
	if (strstr(hay, needle))
		fail_msg("unexpected \"%s\" in:\n%s", needle, hay);
}

/* The diagram's line that starts with prefix ("  request", "  reply"). */
static void line_of(const char *text, const char *prefix, char *out, size_t len)
{
	const char *p = strstr(text, prefix), *end;

	assert_non_null(p);
	end = strchr(p, '\n');
	assert_non_null(end);
	snprintf(out, len, "%.*s", (int)(end - p), p);
}

/* ---- the model's sums ---- */

static void test_sum_rows(void **state)
{
	struct fv_report *r = healthy();
	uint64_t legs[5];

	/* Legs per point, the NAT's own apart; the tally from the same rows. */
	assert_int_equal(r->legs[P_NAT][FV_LEG_1].packets, 15);
	assert_int_equal(r->legs[P_NAT][FV_LEG_1].flows, 2);
	assert_int_equal(r->legs[P_NAT][FV_LEG_2].packets, 15);
	assert_int_equal(r->legs[P_NAT][FV_LEG_3].flows, 2);
	assert_int_equal(r->legs[P_CLIENT][FV_LEG_4].packets, 10);
	assert_int_equal(r->own_packets, 8);
	assert_ptr_equal(r->legs[P_NAT][FV_LEG_1].top, &r->rows[1]);
	assert_int_equal(r->legs[P_NAT][FV_LEG_1].last_ns, NOW - SEC);
	assert_null(r->legs[P_NAT][FV_LEG_UNTRANSLATED].top);
	assert_int_equal(r->tally.leg_packets[2], 15);
	assert_int_equal(r->tally.client_leg1_packets, 10);
	assert_true(r->tally.have_client);
	/* Again: the same, not doubled. */
	fv_report_sum_rows(r);
	assert_int_equal(r->tally.leg_packets[1], 15);
	assert_int_equal(r->legs[P_NAT][FV_LEG_1].packets, 15);
	assert_int_equal(r->own_packets, 8);
	fv_report_leg_packets(r, legs);
	assert_int_equal(legs[1], 15);
	assert_int_equal(legs[4], 15);
	model_free(r);
}

/* Of flows with equal packets the first is the one shown. */
static void test_top_flow_first_of_equals(void **state)
{
	struct fv_report *r = model_new();

	flow(r, P_NAT, FV_LEG_1, false, CLIENT, 40000, SERVER, 123, IF_IN, 7, 0);
	flow(r, P_NAT, FV_LEG_1, false, CLIENT2, 40001, SERVER, 123, IF_IN, 7, 0);
	flow(r, P_NAT, FV_LEG_1, false, "10.0.1.12", 40002, SERVER, 123, IF_IN,
	     3, 0);
	finish(r);
	assert_ptr_equal(r->legs[P_NAT][FV_LEG_1].top, &r->rows[0]);
	assert_int_equal(r->legs[P_NAT][FV_LEG_1].flows, 3);
	assert_int_equal(r->legs[P_NAT][FV_LEG_1].packets, 17);
	model_free(r);
}

/* ---- text ---- */

static void test_text_healthy(void **state)
{
	struct fv_report *r = healthy();
	char *t = text_of(r);

	assert_has(t,
		   "nat fv-nat: eth0 [xdp-native, tcx-egress] eth1 [xdp-native, tcx-egress]\n");
	assert_has(t,
		   "  leg 1 request client->NAT        15 pkts   "
		   "10.0.1.10:40000 -> 198.51.100.123:123 on eth1, last 1.0 s ago (+1 flows)\n");
	assert_has(t,
		   "  leg 2 request NAT->server        15 pkts   "
		   "10.0.0.5:40000 -> 198.51.100.123:123 on eth0, last 1.0 s ago (+1 flows)\n");
	assert_has(t, "        left untranslated           0 pkts\n");
	assert_has(t,
		   "  leg 4 reply NAT->client          15 pkts   "
		   "198.51.100.123:123 -> 10.0.1.10:40000 on eth1, last 0.5 s ago (+1 flows)\n");
	assert_has(t, "client fv-client: eth0 [tcx-ingress, tcx-egress]\n");
	assert_has(t, "  leg 4 reply received             10 pkts");
	assert_has(t, "NAT's own NTP traffic (not judged): 8 packets\n");
	assert_has(t,
		   "exchanges: 15 answered, 0 unanswered, 1 in flight, 3 retransmitted\n");
	assert_has(t, "\nOK: ");
	assert_lacks(t, "FAULT");
	assert_lacks(t, "Evidence:");
	free(t);
	model_free(r);
}

static void test_text_journeys(void **state)
{
	struct fv_report *r = healthy();
	char *t = text_of(r);

	assert_has(t,
		   "latency ms (p50/p99/max): beyond_nat 12.000/20.500/31.000\n");
	assert_has(t,
		   "NAT mapping: 10.0.1.10:40000 <-> 10.0.0.5:40000 (10 exchanges)\n");
	assert_has(t,
		   "server 198.51.100.123:123: 14 replies, stratum 2, refid 192.0.2.1, leap 0\n");
	assert_has(t, "server 198.51.100.124:123: 3 replies, stratum 1, refid GPS, "
		      "leap 0, 2 Kiss-o'-Death (RATE)\n");
	free(t);
	model_free(r);
}

/* Each fault: its word after "FAULT ", legs past it at 0, the evidence. */
static void test_text_faults(void **state)
{
	static const struct {
		enum fv_segment seg;
		const char *zero; /* a leg line that must read 0 */
	} c[] = {
		{ FV_SEG_CLIENT_TO_NAT,
		  "leg 1 request client->NAT         0 pkts\n" },
		{ FV_SEG_INSIDE_NAT_REQUEST,
		  "leg 2 request NAT->server         0 pkts\n" },
		{ FV_SEG_NAT_NOT_TRANSLATING,
		  "leg 2 request NAT->server         0 pkts\n" },
		{ FV_SEG_BEYOND_NAT,
		  "leg 3 reply server->NAT           0 pkts\n" },
		{ FV_SEG_INSIDE_NAT_REPLY,
		  "leg 4 reply NAT->client           0 pkts\n" },
		{ FV_SEG_NAT_TO_CLIENT,
		  "leg 4 reply received              0 pkts\n" },
	};
	char want[64];
	size_t i;

	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		struct fv_report *r = fault(c[i].seg);
		char *t;

		snprintf(r->evidence, sizeof(r->evidence), "evidence %zu", i);
		t = text_of(r);
		snprintf(want, sizeof(want),
			 "\nFAULT %s: ", fv_segment_word(c[i].seg));
		assert_has(t, want);
		assert_has(t, c[i].zero);
		assert_has(t,
			   "exchanges: 0 answered, 5 unanswered, 0 in flight\n");
		snprintf(want, sizeof(want), "\nEvidence: evidence %zu\n", i);
		assert_has(t, want);
		assert_lacks(t, "OK:");
		free(t);
		model_free(r);
	}
}

static void test_text_untranslated(void **state)
{
	struct fv_report *r = fault(FV_SEG_NAT_NOT_TRANSLATING);
	char *t = text_of(r);

	assert_has(t,
		   "        left untranslated           5 pkts   "
		   "10.0.1.10:40000 -> 198.51.100.123:123 on eth0, last 1.0 s ago\n");
	free(t);
	model_free(r);
}

static void test_text_no_traffic(void **state)
{
	struct fv_report *r = model_new();
	char *t;

	r->points[P_NAT].ifaces[0].gone = true;
	r->points[P_NAT].ifaces[0].reattached = 1;
	r->points[P_CLIENT].netns[0] = '\0';
	finish(r);
	assert_int_equal(r->verdict.status, FV_STATUS_NO_TRAFFIC);
	t = text_of(r);
	assert_has(t, "nat fv-nat: eth0 [gone: not watched] (re-created, watched "
		      "again 1 time) eth1 [xdp-native, tcx-egress]\n");
	assert_has(t, "client (this namespace): eth0");
	assert_has(t, "  leg 1 request client->NAT         0 pkts\n");
	assert_has(t, "exchanges: 0 answered, 0 unanswered, 0 in flight\n");
	assert_has(t, "\nNO TRAFFIC: ");
	assert_lacks(t, "NAT's own");
	assert_lacks(t, "Kernel drops");
	free(t);
	model_free(r);
}

/* Kernel drops: the host by its point, the interface by its index. */
static struct fv_report *with_drops(struct fv_report *r)
{
	struct fv_drop_row *d;

	r->n_drops = 2;
	r->drops = calloc(2, sizeof(*r->drops));
	r->drop_point = calloc(2, sizeof(int));
	r->drop_leg = calloc(2, sizeof(int));
	assert_non_null(r->drops);
	assert_non_null(r->drop_point);
	assert_non_null(r->drop_leg);
	d = &r->drops[0];
	strcpy(d->reason_name, "NETFILTER_DROP");
	strcpy(d->location_sym, "nft_do_chain+0x46f");
	strcpy(d->route_sym, "ip_forward");
	d->iif = IF_OUT;
	v4(d->saddr, SERVER);
	v4(d->daddr, NAT_OUT);
	d->sport = 123;
	d->dport = 40000;
	d->count = 12;
	d->last_ns = NOW - 2 * SEC;
	r->drop_point[0] = P_NAT;
	r->drop_leg[0] = 3;
	d = &r->drops[1];
	strcpy(d->reason_name, "NO_SOCKET");
	strcpy(d->location_sym, "unknown");
	d->count = 1;
	r->drop_point[1] = -1;
	r->drop_leg[1] = 0;
	r->drop_tracer = "tp_btf";
	return r;
}

static void test_text_drops(void **state)
{
	struct fv_report *r = with_drops(fault(FV_SEG_INSIDE_NAT_REPLY));
	char *t = text_of(r);

	assert_has(t, "Kernel drops of NTP packets:\n"
		      "  nat host, leg 3: NETFILTER_DROP in ip_forward "
		      "(nft_do_chain+0x46f), 12 times\n"
		      "  ? host, leg 0: NO_SOCKET in ? (unknown), 1 times\n");
	free(t);
	model_free(r);
}

static void test_text_from_counters(void **state)
{
	struct fv_report *r = model_new();
	char *t;

	legs_upto(r, 3, false, 10);
	finish(r);
	assert_true(r->verdict.from_counters);
	assert_int_equal(r->verdict.segment, FV_SEG_INSIDE_NAT_REPLY);
	t = text_of(r);
	assert_has(t, "\nFAULT inside_nat_reply: ");
	assert_has(t,
		   " (from counters: no exchange could be joined by its cookie)\n");
	free(t);
	model_free(r);
}

/* ---- JSON ---- */

static void test_json_healthy(void **state)
{
	struct fv_report *r = healthy();
	json_t *j = json_of(r);
	int leg;

	assert_string_equal(str_at(j, "status"), "ok");
	assert_true(json_is_null(at(j, "segment")));
	assert_true(json_is_null(at(j, "evidence")));
	assert_string_equal(str_at(j, "basis"), "exchanges");
	assert_int_equal(int_at(j, "port"), 123);
	assert_true(json_real_value(at(j, "duration_seconds")) == 28.0);
	assert_true(json_real_value(at(j, "reply_timeout_seconds")) == 2.0);
	assert_int_equal(json_array_size(at(j, "legs")), 4);
	for (leg = 0; leg < 4; leg++) {
		char path[32];

		snprintf(path, sizeof(path), "legs.%d.packets", leg);
		assert_int_equal(int_at(j, path), 15);
		snprintf(path, sizeof(path), "legs.%d.leg", leg);
		assert_int_equal(int_at(j, path), leg + 1);
		snprintf(path, sizeof(path), "legs.%d.flows", leg);
		assert_int_equal(json_array_size(at(j, path)), 2);
	}
	assert_string_equal(str_at(j, "legs.0.name"), "request client->NAT");
	assert_true(json_real_value(at(j, "legs.0.last_seen_seconds_ago")) == 1.0);
	assert_string_equal(str_at(j, "legs.0.flows.0.src"), "10.0.1.10:40000");
	assert_string_equal(str_at(j, "legs.0.flows.0.interface"), "eth1");
	assert_int_equal(int_at(j, "legs.0.flows.0.bytes"), 900);
	assert_int_equal(int_at(j, "exchanges.answered"), 15);
	assert_int_equal(int_at(j, "exchanges.unanswered"), 0);
	assert_int_equal(int_at(j, "exchanges.in_flight"), 1);
	assert_int_equal(int_at(j, "exchanges.retransmissions"), 3);
	assert_int_equal(int_at(j, "exchanges.lost_by_segment.beyond_nat"), 0);
	assert_int_equal(int_at(j, "exchanges.latency_seconds.beyond_nat.count"),
			 15);
	assert_int_equal(json_array_size(at(j, "clients")), 1);
	assert_string_equal(str_at(j, "clients.0.netns"), "fv-client");
	assert_int_equal(json_array_size(at(j, "clients.0.legs")), 2);
	assert_int_equal(int_at(j, "clients.0.legs.1.leg"), 4);
	assert_int_equal(int_at(j, "clients.0.legs.1.packets"), 10);
	assert_int_equal(json_array_size(at(j, "nat_own_flows")), 2);
	assert_string_equal(str_at(j, "nat_own_flows.0.dst"), "203.0.113.1:123");
	assert_int_equal(int_at(j, "events.received"), 120);
	assert_int_equal(int_at(j, "events.lost"), 3);
	assert_string_equal(str_at(j, "drop_tracer.state"), "not needed");
	assert_true(json_is_null(at(j, "drop_tracer.error")));
	json_decref(j);
	model_free(r);
}

static void test_json_points(void **state)
{
	struct fv_report *r = healthy();
	json_t *j;

	r->points[P_NAT].ifaces[1].gone = true;
	r->points[P_NAT].ifaces[1].reattached = 2;
	r->points[P_NAT].ifaces[0].foreign_xdp = true;
	r->stats[P_NAT][FV_STAT_NTP_PACKETS] = 77;
	j = json_of(r);
	assert_int_equal(json_array_size(at(j, "points")), 2);
	assert_string_equal(str_at(j, "points.0.role"), "nat");
	assert_string_equal(str_at(j, "points.0.netns"), "fv-nat");
	assert_string_equal(str_at(j, "points.0.interfaces.0.state"), "watched");
	assert_string_equal(str_at(j, "points.0.interfaces.0.ingress"),
			    "xdp-native");
	assert_true(json_is_true(at(j, "points.0.interfaces.0.foreign_xdp")));
	assert_int_equal(int_at(j, "points.0.interfaces.0.ifindex"), IF_OUT);
	assert_string_equal(str_at(j, "points.0.interfaces.1.state"), "gone");
	assert_true(json_is_null(at(j, "points.0.interfaces.1.ingress")));
	assert_int_equal(int_at(j, "points.0.interfaces.1.reattached"), 2);
	assert_int_equal(int_at(j, "points.0.parser.ntp_packets"), 77);
	assert_string_equal(str_at(j, "points.1.role"), "client");
	json_decref(j);
	model_free(r);
}

static void test_json_journeys(void **state)
{
	struct fv_report *r = healthy();
	json_t *j = json_of(r);

	assert_int_equal(json_array_size(at(j, "nat_mappings")), 1);
	assert_string_equal(str_at(j, "nat_mappings.0.inside"),
			    "10.0.1.10:40000");
	assert_string_equal(str_at(j, "nat_mappings.0.outside"),
			    "10.0.0.5:40000");
	assert_int_equal(int_at(j, "nat_mappings.0.exchanges"), 10);
	assert_int_equal(json_array_size(at(j, "servers")), 2);
	assert_string_equal(str_at(j, "servers.0.refid"), "192.0.2.1");
	assert_true(json_is_null(at(j, "servers.0.kod_code")));
	assert_string_equal(str_at(j, "servers.1.kod_code"), "RATE");
	assert_int_equal(int_at(j, "servers.1.kod_replies"), 2);
	assert_int_equal(int_at(j, "kod.replies"), 2);
	assert_int_equal(int_at(j, "kod.codes.RATE"), 2);
	json_decref(j);
	model_free(r);
}

/* Each fault: the word, the count lost there, and the legs' packets. */
static void test_json_faults(void **state)
{
	static const struct {
		enum fv_segment seg;
		long long legs[4]; /* packets on the NAT's legs 1..4 */
	} c[] = {
		{ FV_SEG_CLIENT_TO_NAT, { 0, 0, 0, 0 } },
		{ FV_SEG_INSIDE_NAT_REQUEST, { 5, 0, 0, 0 } },
		{ FV_SEG_NAT_NOT_TRANSLATING, { 5, 5, 0, 0 } },
		{ FV_SEG_BEYOND_NAT, { 5, 5, 0, 0 } },
		{ FV_SEG_INSIDE_NAT_REPLY, { 5, 5, 5, 0 } },
		{ FV_SEG_NAT_TO_CLIENT, { 5, 5, 5, 5 } },
	};
	char path[64];
	size_t i;
	int leg;

	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		struct fv_report *r = fault(c[i].seg);
		const char *word = fv_segment_word(c[i].seg);
		json_t *j;

		snprintf(r->evidence, sizeof(r->evidence), "5 lost at %s", word);
		j = json_of(r);
		assert_string_equal(str_at(j, "status"), "fault");
		assert_string_equal(str_at(j, "segment"), word);
		assert_string_equal(str_at(j, "causes"),
				    fv_segment_causes(c[i].seg));
		assert_string_equal(str_at(j, "evidence"), r->evidence);
		assert_int_equal(int_at(j, "exchanges.answered"), 0);
		assert_int_equal(int_at(j, "exchanges.unanswered"), 5);
		snprintf(path, sizeof(path), "exchanges.lost_by_segment.%s",
			 word);
		assert_int_equal(int_at(j, path), 5);
		for (leg = 0; leg < 4; leg++) {
			snprintf(path, sizeof(path), "legs.%d.packets", leg);
			assert_int_equal(int_at(j, path), c[i].legs[leg]);
			snprintf(path, sizeof(path),
				 "legs.%d.last_seen_seconds_ago", leg);
			assert_int_equal(json_is_null(at(j, path)),
					 !c[i].legs[leg]);
		}
		assert_int_equal(int_at(j, "clients.0.legs.0.packets"), 5);
		assert_int_equal(int_at(j, "clients.0.legs.1.packets"), 0);
		json_decref(j);
		model_free(r);
	}
}

/* Leg 2 lists the requests that left untranslated, marked so. */
static void test_json_untranslated(void **state)
{
	struct fv_report *r = fault(FV_SEG_NAT_NOT_TRANSLATING);
	json_t *j = json_of(r);

	assert_int_equal(json_array_size(at(j, "legs.1.flows")), 1);
	assert_true(json_is_false(at(j, "legs.1.flows.0.translated")));
	assert_string_equal(str_at(j, "legs.1.flows.0.src"), "10.0.1.10:40000");
	assert_null(json_object_get(at(j, "legs.0.flows.0"), "translated"));
	json_decref(j);
	model_free(r);
}

static void test_json_no_traffic(void **state)
{
	struct fv_report *r = model_new();
	json_t *j;

	r->drop_tracer = "off";
	finish(r);
	j = json_of(r);
	assert_string_equal(str_at(j, "status"), "no_traffic");
	assert_true(json_is_null(at(j, "segment")));
	assert_int_equal(int_at(j, "legs.0.packets"), 0);
	assert_true(json_is_null(at(j, "legs.0.last_seen_seconds_ago")));
	assert_int_equal(json_array_size(at(j, "legs.0.flows")), 0);
	assert_int_equal(int_at(j, "exchanges.answered"), 0);
	assert_int_equal(json_array_size(at(j, "drops")), 0);
	assert_int_equal(json_array_size(at(j, "nat_own_flows")), 0);
	assert_string_equal(str_at(j, "drop_tracer.state"), "off");
	json_decref(j);
	model_free(r);
}

static void test_json_drops(void **state)
{
	struct fv_report *r = with_drops(fault(FV_SEG_INSIDE_NAT_REPLY));
	json_t *j;

	strcpy(r->drops_error, "cannot attach");
	j = json_of(r);
	assert_int_equal(json_array_size(at(j, "drops")), 2);
	assert_string_equal(str_at(j, "drops.0.reason"), "NETFILTER_DROP");
	assert_string_equal(str_at(j, "drops.0.host"), "nat");
	assert_string_equal(str_at(j, "drops.0.interface"), "eth0");
	assert_string_equal(str_at(j, "drops.0.route"), "ip_forward");
	assert_string_equal(str_at(j, "drops.0.src"), "198.51.100.123:123");
	assert_int_equal(int_at(j, "drops.0.leg"), 3);
	assert_int_equal(int_at(j, "drops.0.count"), 12);
	assert_true(json_real_value(at(j, "drops.0.last_seen_seconds_ago")) ==
		    2.0);
	assert_true(json_is_null(at(j, "drops.1.host")));
	assert_true(json_is_null(at(j, "drops.1.interface")));
	assert_true(json_is_null(at(j, "drops.1.route")));
	assert_string_equal(str_at(j, "drop_tracer.state"), "tp_btf");
	assert_string_equal(str_at(j, "drop_tracer.error"), "cannot attach");
	json_decref(j);
	model_free(r);
}

/* ---- the watch diagram ---- */

static void test_diagram_healthy(void **state)
{
	struct fv_report *r = healthy();
	uint64_t prev[5] = { 0, 10, 12, 15, 20 };
	char *d = diagram_of(r, NULL), line[256];

	line_of(d, "  request", line, sizeof(line));
	assert_string_equal(line,
			    "  request 10.0.1.10:40000        ---(1)     15 +0   "
			    "--> [NAT] ---(2)     15 +0   --> 198.51.100.123:123");
	line_of(d, "  reply", line, sizeof(line));
	assert_string_equal(line,
			    "  reply   10.0.1.10:40000        <--(4)     15 +0   "
			    "--- [NAT] <--(3)     15 +0   --- 198.51.100.123:123");
	assert_has(d, "  NAT's outside address and port: 10.0.0.5:40000\n");
	assert_lacks(d, "X");
	free(d);
	/* Since the previous frame; never negative. */
	d = diagram_of(r, prev);
	assert_has(d, "---(1)     15 +5   -->");
	assert_has(d, "---(2)     15 +3   -->");
	assert_has(d, "<--(3)     15 +0   ---");
	assert_has(d, "<--(4)     15 +0   ---");
	free(d);
	model_free(r);
}

/* A line's only X is the one in mark; no X at all for no mark. */
static void assert_one_mark(const char *line, const char *mark)
{
	const char *x = strchr(line, 'X'), *m;

	if (!mark) {
		assert_null(x);
		return;
	}
	m = strstr(line, mark);
	if (!m)
		fail_msg("missing \"%s\" in \"%s\"", mark, line);
	assert_ptr_equal(x, m + (strchr(mark, 'X') - mark));
	assert_null(strchr(x + 1, 'X'));
}

/* The X sits where the verdict says packets stop, and only there. */
static void test_diagram_faults(void **state)
{
	static const struct {
		enum fv_segment seg;
		const char *request, *reply; /* the marks on each line */
	} c[] = {
		{ FV_SEG_CLIENT_TO_NAT, "--X(1)", NULL },
		{ FV_SEG_INSIDE_NAT_REQUEST, "[NAT X]", NULL },
		{ FV_SEG_NAT_NOT_TRANSLATING, "[NAT X]", NULL },
		{ FV_SEG_BEYOND_NAT, "--X(2)", "<-X(3)" },
		{ FV_SEG_INSIDE_NAT_REPLY, NULL, "[NAT X]" },
		{ FV_SEG_NAT_TO_CLIENT, NULL, "<-X(4)" },
	};
	char req[256], rep[256];
	size_t i;

	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		struct fv_report *r = fault(c[i].seg);
		char *d = diagram_of(r, NULL);

		line_of(d, "  request", req, sizeof(req));
		line_of(d, "  reply", rep, sizeof(rep));
		assert_one_mark(req, c[i].request);
		assert_one_mark(rep, c[i].reply);
		free(d);
		model_free(r);
	}
}

static void test_diagram_counts_at_fault(void **state)
{
	struct fv_report *r = fault(FV_SEG_BEYOND_NAT);
	char *d = diagram_of(r, NULL);

	assert_has(d, "--X(2)      5 +0   --> 198.51.100.123:123");
	assert_has(d, "<-X(3)      0 +0   --- 198.51.100.123:123");
	assert_has(d, "<--(4)      0 +0   --- [NAT]");
	assert_has(d, "NAT's outside address and port: 10.0.0.5:40000\n");
	free(d);
	model_free(r);
}

/* Untranslated: leg 2 counts them, the "outside" port is the client's. */
static void test_diagram_untranslated(void **state)
{
	struct fv_report *r = fault(FV_SEG_NAT_NOT_TRANSLATING);
	char *d = diagram_of(r, NULL);

	assert_has(d, "--> [NAT X] ---(2)      5 +0   --> 198.51.100.123:123\n");
	assert_has(d, "NAT's outside address and port: 10.0.1.10:40000\n");
	free(d);
	model_free(r);
}

static void test_diagram_no_traffic(void **state)
{
	struct fv_report *r = model_new();
	char *d;

	finish(r);
	d = diagram_of(r, NULL);
	assert_has(d, "  request client                 ---(1)      0 +0   "
		      "--> [NAT] ---(2)      0 +0   --> server\n");
	assert_has(d, "  NAT's outside address and port: -\n");
	assert_lacks(d, "X");
	free(d);
	model_free(r);
}

/* ---- one exchange ---- */

static struct fv_exchange exchange(uint32_t seen)
{
	struct fv_exchange x;
	int k;

	memset(&x, 0, sizeof(x));
	x.cookie = htobe64(0x0102030405060708ull);
	x.first_ns = NOW - 10 * SEC;
	for (k = 0; k < FV_STAGE_MAX; k++)
		x.seen_ns[k] = x.first_ns + k * 1000000ull;
	x.seen = seen;
	x.client_watched = true;
	v4(x.inside_addr, CLIENT);
	x.inside_port = htons(40000);
	v4(x.outside_addr, NAT_OUT);
	x.outside_port = htons(40000);
	v4(x.server_addr, SERVER);
	x.server_port = htons(123);
	x.stratum = 2;
	memcpy(x.refid, "\xc0\x00\x02\x01", 4);
	return x;
}

#define ALL_STAGES                                                            \
	(FV_SEEN(FV_STAGE_C1) | FV_SEEN(FV_STAGE_N1) | FV_SEEN(FV_STAGE_N2) | \
	 FV_SEEN(FV_STAGE_N3) | FV_SEEN(FV_STAGE_N4) | FV_SEEN(FV_STAGE_C4))
#define REQUEST_OUT \
	(FV_SEEN(FV_STAGE_C1) | FV_SEEN(FV_STAGE_N1) | FV_SEEN(FV_STAGE_N2))

static void test_exchange_line(void **state)
{
	struct fv_exchange x = exchange(ALL_STAGES);
	char line[512];

	fv_exchange_line(&x, NOW, 2 * SEC, line, sizeof(line));
	/* After the wall clock "HH:MM:SS.mmm ". */
	assert_true(strlen(line) > 13);
	assert_int_equal(line[2], ':');
	assert_string_equal(line + 13,
			    "answered  10.0.1.10:40000 -> 10.0.0.5:40000 "
			    "-> 198.51.100.123:123  client_to_nat 1.000 ms  "
			    "inside_nat_request 1.000 ms  beyond_nat 2.000 ms  "
			    "inside_nat_reply 1.000 ms  nat_to_client 1.000 ms  "
			    "stratum 2 refid 192.0.2.1");
	x = exchange(REQUEST_OUT);
	fv_exchange_line(&x, NOW, 2 * SEC, line, sizeof(line));
	assert_string_equal(
		line + 13,
		"lost at beyond_nat 10.0.1.10:40000 -> "
		"10.0.0.5:40000 -> 198.51.100.123:123  client_to_nat "
		"1.000 ms  inside_nat_request 1.000 ms  (no reply after 2.0 s)");
	x = exchange(FV_SEEN(FV_STAGE_C1));
	x.outside_port = x.server_port = 0;
	x.first_ns = NOW - SEC;
	fv_exchange_line(&x, NOW, 2 * SEC, line, sizeof(line));
	assert_string_equal(line + 13, "in_flight 10.0.1.10:40000 -> ? -> ?");
}

static void test_exchange_outcome(void **state)
{
	struct fv_exchange x = exchange(ALL_STAGES);
	enum fv_segment seg;

	assert_string_equal(fv_exchange_outcome(&x, NOW, 2 * SEC, &seg),
			    "answered");
	assert_int_equal(seg, FV_SEG_NONE);
	x.kod = true;
	assert_string_equal(fv_exchange_outcome(&x, NOW, 2 * SEC, &seg), "kod");
	x = exchange(FV_SEEN(FV_STAGE_C1) | FV_SEEN(FV_STAGE_N1));
	assert_string_equal(fv_exchange_outcome(&x, NOW, 2 * SEC, &seg), "lost");
	assert_int_equal(seg, FV_SEG_INSIDE_NAT_REQUEST);
	assert_string_equal(fv_exchange_outcome(&x, NOW, 20 * SEC, &seg),
			    "in_flight");
	assert_int_equal(seg, FV_SEG_NONE);
	x.ambiguous = true;
	assert_string_equal(fv_exchange_outcome(&x, NOW, 2 * SEC, &seg),
			    "ambiguous");
	x = exchange(FV_SEEN(FV_STAGE_N2) | FV_SEEN(FV_STAGE_N3));
	assert_string_equal(fv_exchange_outcome(&x, NOW, 2 * SEC, &seg),
			    "nat_own");
	x.seen = FV_SEEN(FV_STAGE_N2);
	assert_string_equal(fv_exchange_outcome(&x, NOW, 2 * SEC, &seg),
			    "nat_own_lost");
}

static void test_exchange_json(void **state)
{
	struct fv_exchange x = exchange(ALL_STAGES);
	json_t *j;

	x.kod = true;
	x.stratum = 0;
	x.dups = 2;
	memcpy(x.refid, "RATE", 4);
	j = fv_exchange_json(&x, NOW, 2 * SEC);
	assert_string_equal(str_at(j, "outcome"), "kod");
	assert_string_equal(str_at(j, "cookie"), "0102030405060708");
	assert_string_equal(str_at(j, "kod"), "RATE");
	assert_null(json_object_get(j, "refid"));
	assert_int_equal(int_at(j, "stratum"), 0);
	assert_int_equal(int_at(j, "retransmissions"), 2);
	assert_true(json_real_value(at(j, "latency_seconds.beyond_nat")) == 0.002);
	assert_string_equal(str_at(j, "outside"), "10.0.0.5:40000");
	json_decref(j);
	x = exchange(REQUEST_OUT);
	x.server_port = 0;
	j = fv_exchange_json(&x, NOW, 2 * SEC);
	assert_string_equal(str_at(j, "outcome"), "lost");
	assert_string_equal(str_at(j, "segment"), "beyond_nat");
	assert_true(json_is_null(at(j, "server")));
	assert_null(json_object_get(j, "stratum"));
	assert_int_equal(json_object_size(at(j, "latency_seconds")), 2);
	json_decref(j);
}

/* ---- coverage, interruption and notes (issue 14) ---- */

static void test_coverage_and_interrupted(void **state)
{
	struct fv_report *r = healthy();
	char *t = text_of(r);
	json_t *j = json_of(r);

	assert_has(t, "coverage: nat+clients\n");
	assert_lacks(t, "interrupted");
	assert_string_equal(str_at(j, "coverage"), "nat+clients");
	assert_true(json_is_false(at(j, "interrupted")));
	assert_int_equal(json_array_size(at(j, "notes")), 0);
	free(t);
	json_decref(j);
	model_free(r);

	/* The NAT alone, cut short with two exchanges in flight. */
	r = model_new();
	r->n_points = 1;
	legs_upto(r, 2, false, 2);
	r->tally.in_flight = 2;
	r->tally.interrupted = r->interrupted = true;
	finish(r);
	t = text_of(r);
	j = json_of(r);
	assert_has(t, "coverage: nat\n");
	assert_has(t, "interrupted: the window was cut short after 28.0 s; 2 "
		      "exchanges still within their reply timeout were not "
		      "judged\n");
	assert_has(t, "\nINCONCLUSIVE: interrupted before any exchange could be "
		      "judged: 2 in flight");
	assert_lacks(t, "FAULT");
	assert_string_equal(str_at(j, "status"), "inconclusive");
	assert_string_equal(str_at(j, "coverage"), "nat");
	assert_true(json_is_true(at(j, "interrupted")));
	assert_true(json_is_null(at(j, "segment")));
	free(t);
	json_decref(j);
	model_free(r);
}

/* NAT only and healthy: the replies left the NAT; nothing says they
 * reach a client. */
static void test_text_ok_nat_only(void **state)
{
	struct fv_report *r = model_new();
	char *t;

	r->n_points = 1;
	legs_upto(r, 4, false, 12);
	r->tally.answered = 12;
	finish(r);
	t = text_of(r);
	assert_has(t, "\nOK: replies left the NAT toward the clients: 12 "
		      "exchanges answered at the NAT, none lost; add --client "
		      "on a client to see whether they arrive\n");
	assert_lacks(t, "reach");
	free(t);
	model_free(r);
}

static void test_notes(void **state)
{
	struct fv_report *r = model_new();
	char *t;
	json_t *j;
	int i;

	(void)state;
	/* The client point sent nothing; the NAT saw 12 requests from
	 * 10.0.1.10 and 3 from 10.0.1.11. */
	legs_upto(r, 4, false, 12);
	r->rows[0].val.packets = 0;
	r->n_unwatched = 2;
	v4(r->unwatched[0].addr, CLIENT);
	r->unwatched[0].requests = 12;
	v4(r->unwatched[1].addr, CLIENT2);
	r->unwatched[1].requests = 3;
	r->unwatched_requests = 15;
	r->tally.answered = 15;
	/* Three inside clients behind one address, and RATE from the server. */
	r->n_servers = 1;
	v4(r->servers[0].addr.addr, SERVER);
	r->servers[0].addr.port = htons(123);
	r->servers[0].replies = 15;
	r->servers[0].kod = 4;
	memcpy(r->servers[0].kod_code, "RATE", 4);
	for (i = 0; i < 3; i++) {
		char ip[32];

		snprintf(ip, sizeof(ip), "10.0.1.%d", 10 + i);
		v4(r->servers[0].share[i].outside, NAT_OUT);
		v4(r->servers[0].share[i].inside, ip);
	}
	r->servers[0].n_share = 3;
	r->servers[0].max_sharing = 3;
	/* The NAT kept port 123. */
	r->n_mappings = 1;
	v4(r->mappings[0].inside.addr, CLIENT);
	r->mappings[0].inside.port = htons(123);
	v4(r->mappings[0].outside.addr, NAT_OUT);
	r->mappings[0].outside.port = htons(123);
	r->mappings[0].exchanges = 12;
	finish(r);
	fv_report_notes(r);
	assert_int_equal(r->n_notes, 3);
	assert_string_equal(r->notes[0],
			    "fv-client:eth0 sent none of the 15 requests the "
			    "NAT saw from 10.0.1.10 and 1 other: it is not one "
			    "of those clients, so it shows nothing of whether "
			    "their replies arrive");
	assert_string_equal(r->notes[1],
			    "warning: server 198.51.100.123:123 sent 4 "
			    "Kiss-o'-Death RATE replies while 3 inside clients "
			    "share the outside address 10.0.0.5: servers (pool "
			    "servers among them) limit by address, so they share "
			    "one budget");
	assert_string_equal(r->notes[2],
			    "the NAT kept source port 123 (10.0.1.10:123 as "
			    "10.0.0.5:123): replies come back to port 123, which "
			    "the usual inbound rule for UDP 1024-65535 does not "
			    "admit");
	t = text_of(r);
	assert_has(t, "server 198.51.100.123:123: 15 replies, stratum 0, refid "
		      "0.0.0.0, leap 0, 4 Kiss-o'-Death (RATE), 3 inside clients "
		      "behind one outside address\n");
	assert_has(t, "Note: fv-client:eth0 sent none of the 15 requests");
	assert_has(t, "Note: warning: server 198.51.100.123:123 sent 4");
	j = json_of(r);
	assert_int_equal(json_array_size(at(j, "notes")), 3);
	assert_int_equal(int_at(j, "servers.0.clients_per_outside_address"), 3);
	assert_string_equal(str_at(j, "servers.0.outside_addresses.0.address"),
			    "10.0.0.5");
	assert_int_equal(int_at(j, "servers.0.outside_addresses.0.inside_clients"),
			 3);
	/* Nothing of the sort: no notes. */
	free(t);
	json_decref(j);
	model_free(r);
	r = healthy();
	r->n_notes = 0;
	fv_report_notes(r);
	assert_int_equal(r->n_notes, 0);
	model_free(r);
}

static void test_format_refid(void **state)
{
	char buf[32];

	fv_format_refid((const uint8_t *)"GPS\0", 1, buf, sizeof(buf));
	assert_string_equal(buf, "GPS");
	fv_format_refid((const uint8_t *)"RATE", 0, buf, sizeof(buf));
	assert_string_equal(buf, "RATE");
	/* Above stratum 1 the refid is an address, printable or not. */
	fv_format_refid((const uint8_t *)"GPS\0", 2, buf, sizeof(buf));
	assert_string_equal(buf, "71.80.83.0");
	fv_format_refid((const uint8_t *)"\x01\x02\x03\x04", 1, buf, sizeof(buf));
	assert_string_equal(buf, "1.2.3.4");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sum_rows),
		cmocka_unit_test(test_top_flow_first_of_equals),
		cmocka_unit_test(test_text_healthy),
		cmocka_unit_test(test_text_journeys),
		cmocka_unit_test(test_text_faults),
		cmocka_unit_test(test_text_untranslated),
		cmocka_unit_test(test_text_no_traffic),
		cmocka_unit_test(test_text_drops),
		cmocka_unit_test(test_text_from_counters),
		cmocka_unit_test(test_json_healthy),
		cmocka_unit_test(test_json_points),
		cmocka_unit_test(test_json_journeys),
		cmocka_unit_test(test_json_faults),
		cmocka_unit_test(test_json_untranslated),
		cmocka_unit_test(test_json_no_traffic),
		cmocka_unit_test(test_json_drops),
		cmocka_unit_test(test_diagram_healthy),
		cmocka_unit_test(test_diagram_faults),
		cmocka_unit_test(test_diagram_counts_at_fault),
		cmocka_unit_test(test_diagram_untranslated),
		cmocka_unit_test(test_diagram_no_traffic),
		cmocka_unit_test(test_exchange_line),
		cmocka_unit_test(test_exchange_outcome),
		cmocka_unit_test(test_exchange_json),
		cmocka_unit_test(test_format_refid),
		cmocka_unit_test(test_coverage_and_interrupted),
		cmocka_unit_test(test_text_ok_nat_only),
		cmocka_unit_test(test_notes),
	};

	return cmocka_run_group_tests_name("report", tests, NULL, NULL);
}
