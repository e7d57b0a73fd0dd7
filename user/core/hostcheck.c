// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The NAT host's own set-up (hostcheck.h, docs/doctor.md). The pure parts
 * (stats tables, /proc text, the ruleset's JSON) take their input as
 * arguments, for tests/test_hostcheck.c; the rest reads it in the NAT's
 * namespace. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/ethtool.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <nftables/libnftables.h>
#include "hostcheck.h"
#include "legs.h"
#include "report.h"
#include "session.h"
#include "util.h"

const char *fv_check_status_name(enum fv_check_status s)
{
	switch (s) {
	case FV_CHECK_OK: return "ok";
	case FV_CHECK_WARN: return "warn";
	case FV_CHECK_FAIL: return "fail";
	default: return "unknown";
	}
}

static void set(struct fv_check *c, const char *name, enum fv_check_status st,
		const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static void set(struct fv_check *c, const char *name, enum fv_check_status st,
		const char *fmt, ...)
{
	va_list ap;

	c->name = name;
	c->status = st;
	c->cause[0] = '\0';
	va_start(ap, fmt);
	vsnprintf(c->detail, sizeof(c->detail), fmt, ap);
	va_end(ap);
}

static void set_cause(struct fv_check *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void set_cause(struct fv_check *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c->cause, sizeof(c->cause), fmt, ap);
	va_end(ap);
}

/* Append to a fixed buffer, truncating. */
static void cat(char *buf, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void cat(char *buf, size_t len, const char *fmt, ...)
{
	size_t used = strnlen(buf, len);
	va_list ap;

	if (used + 1 >= len)
		return;
	va_start(ap, fmt);
	vsnprintf(buf + used, len - used, fmt, ap);
	va_end(ap);
}

/* ---- addresses ---- */

int fv_cidr_parse(const char *s, struct fv_cidr *c)
{
	char addr[INET6_ADDRSTRLEN + 1];
	const char *slash = strchr(s, '/');
	size_t alen = slash ? (size_t)(slash - s) : strlen(s);
	uint64_t plen;
	int bits;

	memset(c, 0, sizeof(*c));
	if (!alen || alen >= sizeof(addr))
		return -EINVAL;
	memcpy(addr, s, alen);
	addr[alen] = '\0';
	if (inet_pton(AF_INET, addr, c->addr + 12) == 1) {
		c->v4 = true;
		c->addr[10] = c->addr[11] = 0xff;
		bits = 32;
	} else if (inet_pton(AF_INET6, addr, c->addr) == 1) {
		bits = 128;
	} else {
		return -EINVAL;
	}
	plen = bits;
	if (slash && fv_parse_u64(slash + 1, 0, bits, &plen))
		return -EINVAL;
	c->prefix = (int)plen + (c->v4 ? 96 : 0);
	/* Host bits set: a typo more often than not; refuse. */
	for (int i = c->prefix; i < 128; i++)
		if (c->addr[i / 8] & (0x80 >> (i % 8)))
			return -EINVAL;
	return 0;
}

void fv_cidr_format(const struct fv_cidr *c, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN];

	fv_format_addr(c->addr, a, sizeof(a));
	snprintf(buf, len, "%s/%d", a, c->prefix - (c->v4 ? 96 : 0));
}

static bool prefix_eq(const uint8_t *a, const uint8_t *b, int bits)
{
	int full = bits / 8, rest = bits % 8;

	if (memcmp(a, b, full))
		return false;
	return !rest || !((a[full] ^ b[full]) & (0xff << (8 - rest)));
}

bool fv_cidr_covers(const struct fv_cidr *outer, const struct fv_cidr *inner)
{
	return outer->v4 == inner->v4 && outer->prefix <= inner->prefix &&
	       prefix_eq(outer->addr, inner->addr, outer->prefix);
}

static bool cidr_overlap(const struct fv_cidr *a, const struct fv_cidr *b)
{
	return fv_cidr_covers(a, b) || fv_cidr_covers(b, a);
}

/* ---- rp_filter, conntrack and NIC counters (pure) ---- */

int fv_rp_filter_effective(int all, int iface)
{
	return all > iface ? all : iface;
}

const char *const fv_nic_allowance_names[FV_NIC_ALLOWANCE_N] = {
	"bw_in_allowance_exceeded",	"bw_out_allowance_exceeded",
	"pps_allowance_exceeded",	"conntrack_allowance_exceeded",
	"linklocal_allowance_exceeded",
};

void fv_nic_snap_from_table(struct fv_nic_snap *s, const char (*names)[32],
			    const uint64_t *vals, int n)
{
	s->n_stats = n;
	memset(s->has, 0, sizeof(s->has));
	memset(s->val, 0, sizeof(s->val));
	for (int i = 0; i < n; i++) {
		for (int k = 0; k < FV_NIC_ALLOWANCE_N; k++) {
			if (strncmp(names[i], fv_nic_allowance_names[k], 32))
				continue;
			s->has[k] = true;
			s->val[k] = vals[i];
		}
	}
}

static bool nic_has_any(const struct fv_nic_snap *s)
{
	for (int k = 0; k < FV_NIC_ALLOWANCE_N; k++)
		if (s->has[k])
			return true;
	return false;
}

void fv_nic_allowance_check(const struct fv_nic_snap *start,
			    const struct fv_nic_snap *end, int n,
			    double window_s, struct fv_check *out)
{
	char detail[FV_CHECK_DETAIL_MAX] = "", rose[FV_CHECK_CAUSE_MAX] = "";
	enum fv_check_status st = FV_CHECK_UNKNOWN;
	bool any_counters = false;

	for (int i = 0; i < n; i++) {
		const struct fv_nic_snap *a = &start[i], *b = &end[i];
		const char *drv = *b->driver ? b->driver : "no driver name";
		char vals[FV_CHECK_DETAIL_MAX / 2] = "";
		bool nonzero = false, up = false;

		if (*detail)
			cat(detail, sizeof(detail), "; ");
		if (b->err) {
			cat(detail, sizeof(detail),
			    "%s: ethtool statistics unreadable: %s", b->ifname,
			    strerror(-b->err));
			continue;
		}
		if (!nic_has_any(b)) {
			cat(detail, sizeof(detail),
			    "%s (%s): none of its %d ethtool statistics is an allowance counter (ENA's bw_in/bw_out/pps/conntrack/linklocal_allowance_exceeded)",
			    b->ifname, drv, b->n_stats);
			continue;
		}
		any_counters = true;
		for (int k = 0; k < FV_NIC_ALLOWANCE_N; k++) {
			uint64_t d;

			if (!b->has[k])
				continue;
			d = window_s > 0 && a->has[k] && b->val[k] >= a->val[k]
				    ? b->val[k] - a->val[k]
				    : 0;
			nonzero |= b->val[k] > 0;
			if (d) {
				up = true;
				cat(rose, sizeof(rose), "%s%s +%llu",
				    *rose ? ", " : "", fv_nic_allowance_names[k],
				    (unsigned long long)d);
			}
			if (b->val[k] || d)
				cat(vals, sizeof(vals), "%s%s %llu",
				    *vals ? ", " : "", fv_nic_allowance_names[k],
				    (unsigned long long)b->val[k]);
			if (d)
				cat(vals, sizeof(vals), " (+%llu)",
				    (unsigned long long)d);
		}
		cat(detail, sizeof(detail), "%s (%s): %s", b->ifname, drv,
		    *vals ? vals : "every allowance counter is 0");
		if (up)
			st = FV_CHECK_FAIL;
		else if (nonzero && st != FV_CHECK_FAIL)
			st = FV_CHECK_WARN;
		else if (st == FV_CHECK_UNKNOWN)
			st = FV_CHECK_OK;
	}
	if (!n)
		snprintf(detail, sizeof(detail), "no interface to read");
	if (any_counters && window_s > 0)
		cat(detail, sizeof(detail), " (change over %.1f s)", window_s);
	else if (any_counters)
		cat(detail, sizeof(detail),
		    " (totals since the driver loaded; give a window to see them rise)");
	set(out, "nic_allowance", st, "%s", detail);
	if (st == FV_CHECK_FAIL)
		set_cause(out,
			  "the NAT's NIC dropped or queued packets over its allowance during the window (%s)",
			  rose);
}

int fv_ct_stats_parse(const char *text, struct fv_ct_stats *out)
{
	/* Column index of each counter we sum; -1 until the header names it. */
	int col[4] = { -1, -1, -1, -1 };
	static const char *const want[4] = { "drop", "early_drop",
					     "insert_failed", "invalid" };
	uint64_t *dst[4] = { &out->drop, &out->early_drop, &out->insert_failed,
			     &out->invalid };
	const char *line = text, *nl;
	int ncol = 0, rows = 0;

	memset(out, 0, sizeof(*out));
	if (!text)
		return -EINVAL;
	nl = strchr(line, '\n');
	{
		char hdr[1024], *tok, *save = NULL;
		size_t len = nl ? (size_t)(nl - line) : strlen(line);

		if (len >= sizeof(hdr))
			return -EINVAL;
		memcpy(hdr, line, len);
		hdr[len] = '\0';
		for (tok = strtok_r(hdr, " \t", &save); tok;
		     tok = strtok_r(NULL, " \t", &save), ncol++)
			for (int k = 0; k < 4; k++)
				if (!strcmp(tok, want[k]))
					col[k] = ncol;
	}
	if (col[0] < 0 || col[1] < 0 || col[2] < 0)
		return -EINVAL;
	while (nl && nl[1]) {
		const char *p = nl + 1;
		int c = 0;

		nl = strchr(p, '\n');
		while (c < ncol) {
			char *end;
			unsigned long long v;

			while (*p == ' ' || *p == '\t')
				p++;
			if (!*p || *p == '\n')
				break;
			errno = 0;
			v = strtoull(p, &end, 16);
			if (end == p || errno)
				return -EINVAL;
			for (int k = 0; k < 4; k++)
				if (col[k] == c)
					*dst[k] += v;
			p = end;
			c++;
		}
		if (c != ncol)
			return -EINVAL;
		rows++;
	}
	return rows ? 0 : -EINVAL;
}

void fv_conntrack_check(long long count, long long max,
			const struct fv_ct_stats *start,
			const struct fv_ct_stats *end, double window_s,
			struct fv_check *out)
{
	char use[160] = "", hint[160] = "";
	enum fv_check_status st = FV_CHECK_OK;
	double pct = -1;

	if (count < 0 && !end) {
		set(out, "conntrack", FV_CHECK_UNKNOWN,
		    "nf_conntrack is not loaded in this namespace (no /proc/sys/net/netfilter/nf_conntrack_count): nothing is tracked, so nothing is masqueraded");
		return;
	}
	if (count >= 0 && max > 0) {
		pct = 100.0 * (double)count / (double)max;
		snprintf(use, sizeof(use), "%lld of %lld entries (%.0f%%)",
			 count, max, pct);
	} else if (count >= 0) {
		snprintf(use, sizeof(use), "%lld entries (no limit)", count);
	} else {
		snprintf(use, sizeof(use), "entry count unreadable");
	}
	if (!end) {
		set(out, "conntrack", FV_CHECK_UNKNOWN,
		    "%s; /proc/net/stat/nf_conntrack unreadable", use);
		return;
	}
	if (window_s > 0 && start) {
		uint64_t dd = end->drop - start->drop,
			 de = end->early_drop - start->early_drop,
			 di = end->insert_failed - start->insert_failed;

		if (dd || de || di) {
			if (di)
				snprintf(hint, sizeof(hint),
					 "; insert_failed: new flows clash with existing entries, as when SNAT runs out of ports");
			else if (de)
				snprintf(hint, sizeof(hint),
					 "; early_drop: the table is full");
			set(out, "conntrack", FV_CHECK_FAIL,
			    "%s; in %.1f s: drop +%llu, early_drop +%llu, insert_failed +%llu (totals %llu, %llu, %llu)%s",
			    use, window_s, (unsigned long long)dd,
			    (unsigned long long)de, (unsigned long long)di,
			    (unsigned long long)end->drop,
			    (unsigned long long)end->early_drop,
			    (unsigned long long)end->insert_failed, hint);
			set_cause(out,
				  "conntrack on the NAT host is dropping packets: drop +%llu, early_drop +%llu, insert_failed +%llu in %.1f s",
				  (unsigned long long)dd, (unsigned long long)de,
				  (unsigned long long)di, window_s);
			return;
		}
	}
	if (pct >= 100) {
		set(out, "conntrack", FV_CHECK_FAIL,
		    "%s: the table is full, new flows are dropped", use);
		set_cause(out,
			  "the NAT host's conntrack table is full (%lld of %lld entries)",
			  count, max);
		return;
	}
	if (pct > 80)
		st = FV_CHECK_WARN;
	if (end->drop || end->early_drop || end->insert_failed) {
		st = FV_CHECK_WARN;
		set(out, "conntrack", st,
		    "%s; drop %llu, early_drop %llu, insert_failed %llu so far (since the namespace was made), %s",
		    use, (unsigned long long)end->drop,
		    (unsigned long long)end->early_drop,
		    (unsigned long long)end->insert_failed,
		    window_s > 0 ? "none during the window"
				 : "not measured over a window (--window S)");
		return;
	}
	set(out, "conntrack", st, "%s%s; no drop, early_drop or insert_failed",
	    use, pct > 80 ? ", above 80%" : "");
}

/* ---- masquerade: the ruleset's JSON (pure) ---- */

/* M_SOME: the clients only partly inside; M_PARTIAL: not judged. */
enum m { M_NO, M_YES, M_PARTIAL, M_SOME };

/* "eth*" style names as nft matches them. */
static bool ifname_match(const char *pat, const char *name)
{
	size_t n = strlen(pat);

	if (n && pat[n - 1] == '*')
		return !strncmp(pat, name, n - 1);
	return !strcmp(pat, name);
}

/* Does a right-hand side (string or set of strings) name oif? */
static bool rhs_has_iface(json_t *rhs, const char *oif)
{
	size_t i;
	json_t *v;

	if (json_is_string(rhs))
		return ifname_match(json_string_value(rhs), oif);
	if (json_is_object(rhs) && json_is_array(json_object_get(rhs, "set")))
		json_array_foreach(json_object_get(rhs, "set"), i,
				   v) if (json_is_string(v) &&
					  ifname_match(json_string_value(v),
						       oif)) return true;
	return false;
}

/* One address element: "10.0.1.10", {"prefix": ...} or {"range": [a, b]}
 * as a CIDR; ranges count only when they are one. */
static bool elem_cidr(json_t *e, struct fv_cidr *c)
{
	char buf[80];

	if (json_is_string(e))
		return !fv_cidr_parse(json_string_value(e), c);
	if (json_is_object(e) && json_object_get(e, "prefix")) {
		json_t *p = json_object_get(e, "prefix");
		json_t *a = json_object_get(p, "addr");
		json_t *l = json_object_get(p, "len");

		if (!json_is_string(a) || !json_is_integer(l))
			return false;
		snprintf(buf, sizeof(buf), "%s/%lld", json_string_value(a),
			 (long long)json_integer_value(l));
		return !fv_cidr_parse(buf, c);
	}
	return false;
}

/* How the client block relates to a rhs: covered by an element (M_YES),
 * overlapping one (M_PARTIAL) or apart (M_NO). */
static enum m rhs_addr(json_t *rhs, const struct fv_cidr *client)
{
	enum m r = M_NO;
	struct fv_cidr c;
	json_t *set = json_is_object(rhs) ? json_object_get(rhs, "set") : NULL;
	size_t i;
	json_t *v;

	if (!set) {
		if (!elem_cidr(rhs, &c))
			return M_PARTIAL; /* a range or map: not judged */
		return fv_cidr_covers(&c, client) ? M_YES
		       : cidr_overlap(&c, client) ? M_SOME
						  : M_NO;
	}
	json_array_foreach(set, i, v)
	{
		if (!elem_cidr(v, &c))
			r = M_PARTIAL;
		else if (fv_cidr_covers(&c, client))
			return M_YES;
		else if (cidr_overlap(&c, client) && r == M_NO)
			r = M_SOME;
	}
	return r;
}

struct mq_ctx {
	json_t *items; /* the "nftables" array */
	const char *oif;
	const struct fv_cidr *client; /* NULL: any source */
	char found[200];	      /* where the first match was */
	int nat_rules;		      /* nat statements seen, any match */
	bool cond;		      /* a match we could not judge */
	/* Items looked at: jumps can fan out, so the walk has a budget. */
	long steps;
	bool exhausted;
};

/* One match expression against the flow: M_YES, M_NO, or M_PARTIAL when
 * it cannot be judged. */
static enum m match_one(struct mq_ctx *x, json_t *m)
{
	json_t *left = json_object_get(m, "left"),
	       *right = json_object_get(m, "right");
	const char *op = json_string_value(json_object_get(m, "op"));
	bool neg = op && !strcmp(op, "!=");
	json_t *meta = json_object_get(left, "meta"),
	       *pl = json_object_get(left, "payload");
	const char *key =
		meta ? json_string_value(json_object_get(meta, "key")) : NULL;
	enum m r;

	if (op && strcmp(op, "==") && strcmp(op, "!=") && strcmp(op, "in"))
		return M_PARTIAL;
	if (key && (!strcmp(key, "oifname") || !strcmp(key, "oif"))) {
		if (!*x->oif)
			return M_PARTIAL;
		r = rhs_has_iface(right, x->oif) ? M_YES : M_NO;
	} else if (key && (!strcmp(key, "l4proto") || !strcmp(key, "nfproto"))) {
		const char *v = json_string_value(right);
		const char *want = !strcmp(key, "l4proto")	 ? "udp"
				   : x->client && !x->client->v4 ? "ipv6"
								 : "ipv4";

		if (!v)
			return M_PARTIAL;
		r = !strcmp(v, want) ? M_YES : M_NO;
	} else if (pl) {
		const char *proto =
			json_string_value(json_object_get(pl, "protocol"));
		const char *field =
			json_string_value(json_object_get(pl, "field"));
		bool v4 = x->client ? x->client->v4 : true;

		if (!proto || !field)
			return M_PARTIAL;
		if ((!strcmp(proto, "ip") && !v4) ||
		    (!strcmp(proto, "ip6") && v4))
			return M_NO; /* never true for this family */
		if (!strcmp(field, "protocol") || !strcmp(field, "nexthdr")) {
			const char *v = json_string_value(right);

			if (!v)
				return M_PARTIAL;
			r = !strcmp(v, "udp") ? M_YES : M_NO;
		} else if (!strcmp(field, "saddr") &&
			   (!strcmp(proto, "ip") || !strcmp(proto, "ip6"))) {
			if (!x->client)
				return M_YES; /* any source: judged later */
			r = rhs_addr(right, x->client);
			/* Some clients in, some out: not for all of them. */
			if (r == M_PARTIAL || r == M_SOME)
				return r == M_SOME ? M_NO : M_PARTIAL;
		} else {
			return M_PARTIAL;
		}
	} else {
		return M_PARTIAL;
	}
	if (neg)
		r = r == M_YES ? M_NO : M_YES;
	return r;
}

static json_t *item(json_t *it, const char *kind)
{
	return json_object_get(it, kind);
}

static bool same_table(json_t *a, json_t *b)
{
	return json_equal(json_object_get(a, "family"),
			  json_object_get(b, "family")) &&
	       json_equal(json_object_get(a, "table"),
			  json_object_get(b, "table"));
}

/* A NAT statement: masquerade, snat (of the client's family), or
 * iptables-nft's xt MASQUERADE / SNAT target. */
static bool is_nat_stmt(struct mq_ctx *x, json_t *e)
{
	json_t *s;

	if (json_object_get(e, "masquerade"))
		return true;
	if ((s = json_object_get(e, "snat"))) {
		const char *fam = json_string_value(json_object_get(s, "family"));
		bool v4 = x->client ? x->client->v4 : true;

		return !fam || !strcmp(fam, v4 ? "ip" : "ip6");
	}
	if ((s = json_object_get(e, "xt"))) {
		const char *n = json_string_value(json_object_get(s, "name"));

		return n && (!strcmp(n, "MASQUERADE") || !strcmp(n, "SNAT"));
	}
	return false;
}

/* Walk chain (a "chain" object) for the flow: 1 NATed, 0 not, -1 it left
 * the chain with a verdict (accept, drop: NAT ends there). */
static int walk_chain(struct mq_ctx *x, json_t *chain, int depth)
{
	const char *name = json_string_value(json_object_get(chain, "name"));
	size_t i, j;
	json_t *it, *e;

	if (depth > 8 || !name)
		return 0;
	json_array_foreach(x->items, i, it)
	{
		json_t *rule = item(it, "rule"), *expr;
		bool all = true, partial = false;

		if (++x->steps > 1000000) {
			x->exhausted = true;
			return 0;
		}

		if (!rule || !same_table(rule, chain) ||
		    !json_equal(json_object_get(rule, "chain"),
				json_object_get(chain, "name")))
			continue;
		expr = json_object_get(rule, "expr");
		json_array_foreach(expr, j, e)
		{
			json_t *m = json_object_get(e, "match");
			json_t *tgt;

			if (m) {
				enum m r = match_one(x, m);

				if (r == M_NO)
					all = false;
				partial |= r == M_PARTIAL;
				if (!all)
					break;
				continue;
			}
			if (is_nat_stmt(x, e)) {
				x->nat_rules++;
				if (!*x->found)
					snprintf(x->found, sizeof(x->found),
						 "%s in table %s %s chain %s (handle %lld)",
						 json_object_get(e, "masquerade")
							 ? "masquerade"
						 : json_object_get(e, "snat")
							 ? "snat"
							 : "xt target",
						 json_string_value(json_object_get(
							 rule, "family")),
						 json_string_value(json_object_get(
							 rule, "table")),
						 name,
						 (long long)json_integer_value(
							 json_object_get(rule,
									 "handle")));
				x->cond |= partial;
				return 1;
			}
			if ((tgt = json_object_get(e, "jump")) ||
			    (tgt = json_object_get(e, "goto"))) {
				const char *t = json_string_value(
					json_object_get(tgt, "target"));
				size_t k;
				json_t *c;
				int r = 0;

				json_array_foreach(x->items, k, c)
				{
					json_t *ch = item(c, "chain");

					const char *cn = json_string_value(
						json_object_get(ch, "name"));

					if (ch && same_table(ch, chain) && t &&
					    cn && !strcmp(t, cn)) {
						r = walk_chain(x, ch, depth + 1);
						break;
					}
				}
				if (r) {
					x->cond |= partial;
					return r;
				}
				break;
			}
			if (!partial && (json_object_get(e, "accept") ||
					 json_object_get(e, "drop")))
				return -1;
			if (!partial && json_object_get(e, "return"))
				return 0;
		}
	}
	return 0;
}

/* Every nat postrouting base chain of a family that sees the flow. */
static bool walk_base_chains(struct mq_ctx *x, int *n_chains)
{
	bool v4 = x->client ? x->client->v4 : true;
	size_t i;
	json_t *it;

	json_array_foreach(x->items, i, it)
	{
		json_t *ch = item(it, "chain");
		const char *type, *hook, *fam;

		if (!ch)
			continue;
		type = json_string_value(json_object_get(ch, "type"));
		hook = json_string_value(json_object_get(ch, "hook"));
		fam = json_string_value(json_object_get(ch, "family"));
		if (!type || !hook || !fam || strcmp(type, "nat") ||
		    strcmp(hook, "postrouting"))
			continue;
		if (strcmp(fam, "inet") && strcmp(fam, v4 ? "ip" : "ip6"))
			continue;
		(*n_chains)++;
		if (walk_chain(x, ch, 0) == 1)
			return true;
	}
	return false;
}

void fv_masquerade_check_json(const char *ruleset_json, const char *oif,
			      const struct fv_cidr *clients, int n,
			      struct fv_check *out)
{
	char missing[FV_CHECK_DETAIL_MAX / 2] = "",
					   where[FV_CHECK_DETAIL_MAX / 2] = "";
	char cidr[INET6_ADDRSTRLEN + 8], outs[64];
	json_error_t jerr;
	json_t *root, *items;
	int chains = 0, ok = 0;
	bool cond = false;

	root = json_loads(ruleset_json ? ruleset_json : "", 0, &jerr);
	items = json_object_get(root, "nftables");
	if (!json_is_array(items)) {
		set(out, "masquerade", FV_CHECK_UNKNOWN,
		    "the nftables ruleset could not be read as JSON (%s)",
		    root ? "no \"nftables\" array" : jerr.text);
		json_decref(root);
		return;
	}
	if (*oif)
		snprintf(outs, sizeof(outs), "out of %s", oif);
	else
		snprintf(outs, sizeof(outs),
			 "out of any interface (no default route)");
	for (int i = 0; i < (n ? n : 1); i++) {
		struct mq_ctx x = { .items = items,
				    .oif = oif,
				    .client = n ? &clients[i] : NULL };
		int nc = 0;

		if (n)
			fv_cidr_format(&clients[i], cidr, sizeof(cidr));
		else
			snprintf(cidr, sizeof(cidr), "any source");
		if (walk_base_chains(&x, &nc)) {
			ok++;
			cond |= x.cond;
			cat(where, sizeof(where), "%s%s by %s",
			    *where ? "; " : "", cidr, x.found);
		} else {
			cat(missing, sizeof(missing), "%s%s",
			    *missing ? ", " : "", cidr);
			if (x.exhausted) {
				json_decref(root);
				set(out, "masquerade", FV_CHECK_UNKNOWN,
				    "the ruleset's jumps are too many to follow for %s",
				    cidr);
				return;
			}
		}
		chains = nc > chains ? nc : chains;
	}
	json_decref(root);
	if (!chains) {
		set(out, "masquerade", FV_CHECK_FAIL,
		    "no nat chain on the postrouting hook in the nftables ruleset%s",
		    n ? "" : " (iptables-nft rules would be there too)");
		set_cause(out,
			  "no masquerade or snat rule on the NAT host: the nftables ruleset has no postrouting nat chain");
		return;
	}
	if (ok == (n ? n : 1)) {
		set(out, "masquerade", FV_CHECK_OK, "%s: %s%s%s", outs, where,
		    cond ? " (under conditions not judged here, such as destination or mark)"
			 : "",
		    n ? ""
		      : "; the clients' addresses are not known (doctor --clients CIDR checks them)");
		return;
	}
	set(out, "masquerade", FV_CHECK_FAIL,
	    "no masquerade or snat rule in a postrouting nat chain matches %s %s%s%s",
	    missing, outs, *where ? "; matched: " : "", where);
	set_cause(out, "no masquerade or snat rule on the NAT host for %s %s",
		  missing, outs);
}

/* ---- reading, in the NAT's namespace ---- */

static int read_text(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "re");
	size_t n;

	if (!f)
		return -errno;
	n = fread(buf, 1, len - 1, f);
	buf[n] = '\0';
	fclose(f);
	return 0;
}

static int read_ll(const char *path, long long *v)
{
	char buf[64], *end;
	int err = read_text(path, buf, sizeof(buf));

	if (err)
		return err;
	errno = 0;
	*v = strtoll(buf, &end, 10);
	if (end == buf || errno)
		return -EINVAL;
	return 0;
}

static int read_ct_stats(struct fv_ct_stats *s)
{
	char *buf = malloc(1 << 16);
	int err;

	if (!buf)
		return -ENOMEM;
	err = read_text("/proc/net/stat/nf_conntrack", buf, 1 << 16);
	if (!err)
		err = fv_ct_stats_parse(buf, s);
	free(buf);
	return err;
}

static void nic_read(const char *ifname, struct fv_nic_snap *s)
{
	struct ethtool_drvinfo info = { .cmd = ETHTOOL_GDRVINFO };
	struct {
		struct ethtool_sset_info hdr;
		uint32_t buf[1];
	} sset = { .hdr = { .cmd = ETHTOOL_GSSET_INFO,
			    .sset_mask = 1ull << ETH_SS_STATS } };
	struct ethtool_gstrings *strs = NULL;
	struct ethtool_stats *stats = NULL;
	struct ifreq ifr = { 0 };
	uint32_t n;
	int fd;

	memset(s, 0, sizeof(*s));
	snprintf(s->ifname, sizeof(s->ifname), "%s", ifname);
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		s->err = -errno;
		return;
	}
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	ifr.ifr_data = (void *)&info;
	if (ioctl(fd, SIOCETHTOOL, &ifr)) {
		s->err = -errno;
		goto out;
	}
	snprintf(s->driver, sizeof(s->driver), "%.*s", (int)sizeof(info.driver),
		 info.driver);
	ifr.ifr_data = (void *)&sset;
	if (ioctl(fd, SIOCETHTOOL, &ifr)) {
		s->err = -errno;
		goto out;
	}
	n = sset.hdr.sset_mask ? sset.hdr.data[0] : 0;
	if (!n || n > 1 << 16) /* no statistics at all: nothing to read */
		goto out;
	strs = calloc(1, sizeof(*strs) + (size_t)n * ETH_GSTRING_LEN);
	stats = calloc(1, sizeof(*stats) + (size_t)n * sizeof(uint64_t));
	if (!strs || !stats) {
		s->err = -ENOMEM;
		goto out;
	}
	strs->cmd = ETHTOOL_GSTRINGS;
	strs->string_set = ETH_SS_STATS;
	strs->len = n;
	ifr.ifr_data = (void *)strs;
	if (ioctl(fd, SIOCETHTOOL, &ifr)) {
		s->err = -errno;
		goto out;
	}
	stats->cmd = ETHTOOL_GSTATS;
	stats->n_stats = n;
	ifr.ifr_data = (void *)stats;
	if (ioctl(fd, SIOCETHTOOL, &ifr)) {
		s->err = -errno;
		goto out;
	}
	/* The driver fills in as many as it has now; never read past n. */
	if (strs->len < n)
		n = strs->len;
	if (stats->n_stats < n)
		n = stats->n_stats;
	fv_nic_snap_from_table(s, (const char(*)[32])strs->data,
			       (const uint64_t *)stats->data, (int)n);
out:
	free(strs);
	free(stats);
	close(fd);
}

/* The interface of the IPv4 default route with the lowest metric, "" if
 * there is none (/proc/net/route: hex, host order as the kernel's). */
static void default_route_iface(char *oif, size_t len)
{
	char line[512], ifn[IF_NAMESIZE + 8];
	unsigned long dst, flags, mask;
	long metric, best = LONG_MAX;
	FILE *f = fopen("/proc/net/route", "re");

	*oif = '\0';
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%23s %lx %*x %lx %*d %*d %ld %lx", ifn, &dst,
			   &flags, &metric, &mask) != 5)
			continue;
		if (dst || mask || !(flags & 1) || metric >= best)
			continue;
		best = metric;
		snprintf(oif, len, "%s", ifn);
	}
	fclose(f);
}

/* The ruleset as libnftables' JSON, into *out (malloc'd). 0, or -1 with
 * why. */
static int nft_ruleset_json(char **out, char *why, size_t len)
{
	struct nft_ctx *ctx = nft_ctx_new(NFT_CTX_DEFAULT);
	const char *buf, *err;
	int rc;

	*out = NULL;
	if (!ctx) {
		snprintf(why, len,
			 "libnftables is not available (the portable build loads libnftables.so.1 from the host: install nftables)");
		return -1;
	}
	nft_ctx_output_set_flags(ctx, NFT_CTX_OUTPUT_JSON);
	if (nft_ctx_buffer_output(ctx) || nft_ctx_buffer_error(ctx)) {
		snprintf(why, len, "libnftables cannot buffer its output");
		nft_ctx_free(ctx);
		return -1;
	}
	rc = nft_run_cmd_from_buffer(ctx, "list ruleset");
	buf = nft_ctx_get_output_buffer(ctx);
	err = nft_ctx_get_error_buffer(ctx);
	if (rc || !buf) {
		char e[160] = "";

		/* The first line of what it said. */
		snprintf(e, sizeof(e), "%s", err ? err : "");
		e[strcspn(e, "\n")] = '\0';
		snprintf(why, len, "libnftables could not list the ruleset%s%s",
			 *e ? ": " : "", e);
		nft_ctx_free(ctx);
		return -1;
	}
	*out = strdup(buf);
	nft_ctx_free(ctx);
	if (!*out) {
		snprintf(why, len, "out of memory");
		return -1;
	}
	return 0;
}

/* iptables-legacy's nat table in this namespace: its rules are not in
 * the nftables ruleset. */
static bool legacy_nat_table(void)
{
	char buf[512];

	if (read_text("/proc/net/ip_tables_names", buf, sizeof(buf)))
		return false;
	for (char *save = NULL, *t = strtok_r(buf, "\n", &save); t;
	     t = strtok_r(NULL, "\n", &save))
		if (!strcmp(t, "nat"))
			return true;
	return false;
}

static void check_masquerade(struct fv_host_checks *hc, struct fv_check *c)
{
	char oif[IF_NAMESIZE + 8], why[256];
	char *json = NULL;

	default_route_iface(oif, sizeof(oif));
	if (nft_ruleset_json(&json, why, sizeof(why))) {
		set(c, "masquerade", FV_CHECK_UNKNOWN, "%s%s", why,
		    legacy_nat_table()
			    ? "; iptables-legacy has a nat table here (iptables-legacy -t nat -S)"
			    : "");
		return;
	}
	fv_masquerade_check_json(json, oif, hc->clients, hc->n_clients, c);
	free(json);
	if (c->status == FV_CHECK_FAIL && legacy_nat_table()) {
		/* Its rules are invisible to nftables: not a fail. */
		c->status = FV_CHECK_UNKNOWN;
		c->cause[0] = '\0';
		cat(c->detail, sizeof(c->detail),
		    "; but iptables-legacy has a nat table in this namespace (ip_tables), whose rules nftables does not show: iptables-legacy -t nat -S");
	}
}

static void check_ip_forward(struct fv_host_checks *hc, struct fv_check *c)
{
	char path[128], off[256] = "";
	long long v, v6 = -1;
	int err = read_ll("/proc/sys/net/ipv4/ip_forward", &v);

	if (err) {
		set(c, "ip_forward", FV_CHECK_UNKNOWN,
		    "net.ipv4.ip_forward unreadable: %s", strerror(-err));
		return;
	}
	if (!v) {
		set(c, "ip_forward", FV_CHECK_FAIL,
		    "net.ipv4.ip_forward is 0: the NAT host does not forward");
		set_cause(c, "net.ipv4.ip_forward is 0 on the NAT host");
		return;
	}
	/* ip_forward=1 sets every interface's; one can be turned off alone. */
	for (int i = 0; i < hc->nat.n_ifaces; i++) {
		long long f;

		snprintf(path, sizeof(path),
			 "/proc/sys/net/ipv4/conf/%s/forwarding",
			 hc->nat.ifname[i]);
		if (!read_ll(path, &f) && !f)
			cat(off, sizeof(off), "%s%s", *off ? ", " : "",
			    hc->nat.ifname[i]);
	}
	if (*off) {
		set(c, "ip_forward", FV_CHECK_FAIL,
		    "net.ipv4.ip_forward is 1 but forwarding is 0 on %s", off);
		set_cause(c, "net.ipv4.conf.%s.forwarding is 0 on the NAT host",
			  off);
		return;
	}
	if (hc->ipv6) {
		err = read_ll("/proc/sys/net/ipv6/conf/all/forwarding", &v6);
		if (err || !v6) {
			set(c, "ip_forward", FV_CHECK_FAIL,
			    "net.ipv4.ip_forward is 1; net.ipv6.conf.all.forwarding is %s",
			    err ? "unreadable (IPv6 disabled?)" : "0");
			set_cause(c,
				  "net.ipv6.conf.all.forwarding is %s on the NAT host",
				  err ? "unreadable" : "0");
			return;
		}
	}
	set(c, "ip_forward", FV_CHECK_OK, "net.ipv4.ip_forward is 1%s",
	    hc->ipv6 ? "; net.ipv6.conf.all.forwarding is 1" : "");
}

static void check_rp_filter(struct fv_host_checks *hc, struct fv_check *c)
{
	char detail[FV_CHECK_DETAIL_MAX] = "", path[128];
	enum fv_check_status st = FV_CHECK_OK;
	long long all;
	int err = read_ll("/proc/sys/net/ipv4/conf/all/rp_filter", &all);

	if (err) {
		set(c, "rp_filter", FV_CHECK_UNKNOWN,
		    "net.ipv4.conf.all.rp_filter unreadable: %s", strerror(-err));
		return;
	}
	for (int i = 0; i < hc->nat.n_ifaces; i++) {
		const char *ifn = hc->nat.ifname[i];
		long long v;
		int eff;

		snprintf(path, sizeof(path),
			 "/proc/sys/net/ipv4/conf/%s/rp_filter", ifn);
		if (read_ll(path, &v)) {
			cat(detail, sizeof(detail), "%s%s: unreadable",
			    *detail ? "; " : "", ifn);
			if (st == FV_CHECK_OK)
				st = FV_CHECK_UNKNOWN;
			continue;
		}
		eff = fv_rp_filter_effective((int)all, (int)v);
		cat(detail, sizeof(detail), "%s%s: %d (%s; all %lld, %s %lld)",
		    *detail ? "; " : "", ifn, eff,
		    eff == 1 ? "strict: drops forwarded packets whose source is routed out another interface"
		    : eff == 2 ? "loose"
			       : "off",
		    all, ifn, v);
		if (eff == 1)
			st = FV_CHECK_WARN;
	}
	set(c, "rp_filter", st, "%s", detail);
}

static void read_counters(struct fv_host_checks *hc, int *ct_err,
			  struct fv_ct_stats *ct, struct fv_nic_snap *nic)
{
	*ct_err = read_ct_stats(ct);
	for (int i = 0; i < hc->nat.n_ifaces; i++)
		nic_read(hc->nat.ifname[i], &nic[i]);
}

static int enter(const struct fv_host_checks *hc, int *saved, char *err,
		 size_t errlen)
{
	int ret = fv_netns_enter(hc->nat.netns, saved);

	if (ret)
		snprintf(err, errlen, "cannot enter namespace '%s': %s",
			 hc->nat.netns,
			 ret == -ENOENT ? "no such namespace in /run/netns"
					: strerror(-ret));
	return ret;
}

int fv_host_checks_begin(struct fv_host_checks *hc, const struct fv_host *nat,
			 const struct fv_cidr *clients, int n, bool ipv6,
			 char *err, size_t errlen)
{
	int saved, ret;

	memset(hc, 0, sizeof(*hc));
	hc->nat = *nat;
	if (n > FV_HC_MAX_CLIENTS)
		n = FV_HC_MAX_CLIENTS;
	for (int i = 0; i < n; i++) {
		hc->clients[i] = clients[i];
		ipv6 |= !clients[i].v4;
	}
	hc->n_clients = n;
	hc->ipv6 = ipv6;
	ret = enter(hc, &saved, err, errlen);
	if (ret)
		return ret;
	hc->start_ns = fv_now_ns();
	read_counters(hc, &hc->ct_err, &hc->ct_start, hc->nic_start);
	fv_netns_leave(saved);
	return 0;
}

int fv_host_checks_end(struct fv_host_checks *hc, char *err, size_t errlen)
{
	struct fv_nic_snap nic[FV_MAX_IFACES];
	struct fv_ct_stats ct;
	long long count = -1, max = -1;
	double window;
	int saved, ret, ct_err;

	ret = enter(hc, &saved, err, errlen);
	if (ret)
		return ret;
	read_counters(hc, &ct_err, &ct, nic);
	hc->end_ns = fv_now_ns();
	/* Below 0.1 s nothing meaningful can have changed: no window. */
	window = fv_seconds(hc->end_ns - hc->start_ns);
	if (window < 0.1)
		window = 0;
	check_ip_forward(hc, &hc->checks[FV_HC_IP_FORWARD]);
	check_rp_filter(hc, &hc->checks[FV_HC_RP_FILTER]);
	check_masquerade(hc, &hc->checks[FV_HC_MASQUERADE]);
	if (read_ll("/proc/sys/net/netfilter/nf_conntrack_count", &count))
		count = -1;
	if (read_ll("/proc/sys/net/netfilter/nf_conntrack_max", &max))
		max = -1;
	fv_conntrack_check(count, max, hc->ct_err ? NULL : &hc->ct_start,
			   ct_err ? NULL : &ct, window,
			   &hc->checks[FV_HC_CONNTRACK]);
	fv_nic_allowance_check(hc->nic_start, nic, hc->nat.n_ifaces, window,
			       &hc->checks[FV_HC_NIC_ALLOWANCE]);
	fv_netns_leave(saved);
	hc->done = true;
	return 0;
}

json_t *fv_host_checks_json(const struct fv_host_checks *hc)
{
	json_t *a = json_array();

	for (int i = 0; hc->done && i < FV_HC_N; i++) {
		const struct fv_check *c = &hc->checks[i];

		if (!c->name)
			continue;
		json_array_append_new(a,
				      json_pack("{s:s, s:s, s:s}", "check",
						c->name, "status",
						fv_check_status_name(c->status),
						"detail", c->detail));
	}
	return a;
}

void fv_host_checks_text(FILE *out, const struct fv_host_checks *hc)
{
	for (int i = 0; hc->done && i < FV_HC_N; i++) {
		const struct fv_check *c = &hc->checks[i];

		if (!c->name)
			continue;
		fprintf(out, "  %-14s %-8s %s\n", c->name,
			fv_check_status_name(c->status), c->detail);
	}
}

int fv_host_checks_causes(const struct fv_host_checks *hc, const char **causes,
			  int max)
{
	int n = 0;

	for (int i = 0; hc->done && i < FV_HC_N && n < max; i++)
		if (hc->checks[i].status == FV_CHECK_FAIL)
			causes[n++] = hc->checks[i].cause;
	return n;
}

bool fv_host_checks_failed(const struct fv_host_checks *hc)
{
	const char *c[1];

	return fv_host_checks_causes(hc, c, 1) > 0;
}

void fv_host_checks_add_rows(struct fv_host_checks *hc,
			     const struct fv_flow_row *rows, int n, int nat_point)
{
	for (int i = 0; i < n && hc->n_clients < FV_HC_MAX_CLIENTS; i++) {
		const struct fv_flow_row *r = &rows[i];
		struct fv_cidr c = { 0 };
		bool seen = false;

		if (r->point != nat_point || r->leg != FV_LEG_1 || r->nat_own ||
		    r->expired)
			continue;
		memcpy(c.addr, r->key.saddr, 16);
		c.v4 = !memcmp(c.addr, "\0\0\0\0\0\0\0\0\0\0\xff\xff", 12);
		c.prefix = 128;
		for (int k = 0; k < hc->n_clients && !seen; k++)
			seen = !memcmp(hc->clients[k].addr, c.addr, 16);
		if (seen)
			continue;
		hc->clients[hc->n_clients++] = c;
		hc->ipv6 |= !c.v4;
	}
}

void fv_host_checks_prepend(const struct fv_host_checks *hc, char *explanation,
			    size_t len)
{
	static const char likely[] = "Likely: ";
	char *at = strstr(explanation, likely), *rest;
	const char *causes[FV_HC_N];
	int n = fv_host_checks_causes(hc, causes, FV_HC_N);
	char head[FV_HC_N * FV_CHECK_CAUSE_MAX] = "";

	if (!at || !n)
		return;
	at += sizeof(likely) - 1;
	for (int i = 0; i < n; i++)
		cat(head, sizeof(head), "%s (host check); ", causes[i]);
	rest = strdup(at);
	if (!rest)
		return;
	snprintf(at, len - (size_t)(at - explanation), "%s%s", head, rest);
	free(rest);
}

char *fv_host_checks_join_causes(const struct fv_host_checks *hc,
				 const char *generic)
{
	const char *causes[FV_HC_N];
	int n = fv_host_checks_causes(hc, causes, FV_HC_N);
	size_t len = generic ? strlen(generic) + 1 : 1;
	char *out;

	if (!n && !generic)
		return NULL;
	for (int i = 0; i < n; i++)
		len += strlen(causes[i]) + 2;
	out = malloc(len);
	if (!out)
		return NULL;
	*out = '\0';
	for (int i = 0; i < n; i++)
		cat(out, len, "%s%s", i ? "; " : "", causes[i]);
	if (generic)
		cat(out, len, "%s%s", n ? "; " : "", generic);
	return out;
}

int fv_host_checks_begin_nat(struct fv_host_checks *hc, const struct fv_points *p)
{
	char err[256];

	for (int i = 0; i < p->n; i++)
		if (p->hosts[i].role == FV_ROLE_NAT)
			return fv_host_checks_begin(hc, &p->hosts[i], NULL, 0,
						    false, err, sizeof(err));
	return -ENOENT;
}

void fv_time_service_check(const struct fv_report *r, struct fv_check *out)
{
	const struct fv_flow_row *first = NULL;
	uint64_t to_service = 0, beyond = 0;
	bool have_client = false;
	char client[64], service[64];

	memset(out, 0, sizeof(*out));
	for (int i = 0; i < r->n_points; i++)
		have_client |= r->points[i].role == FV_ROLE_CLIENT;
	if (!have_client)
		return;
	for (int i = 0; i < r->n_rows; i++) {
		const struct fv_flow_row *row = &r->rows[i];

		if (row->point < 0 || row->point >= r->n_points ||
		    r->points[row->point].role != FV_ROLE_CLIENT)
			continue;
		if (row->leg == FV_LEG_LINK_SERVICE &&
		    row->key.mode == FV_NTP_MODE_REQUEST) {
			to_service += row->val.packets;
			if (!first)
				first = row;
		} else if (row->leg == FV_LEG_1) {
			beyond += row->val.packets;
		}
	}
	if (!first)
		return; /* nothing to say: left out */
	fv_format_addr(first->key.saddr, client, sizeof(client));
	fv_format_addr(first->key.daddr, service, sizeof(service));
	set(out, "time_service", FV_CHECK_OK,
	    "%s asks %s, a time service on its own link (Amazon Time Sync "
	    "Service at 169.254.169.123): %llu requests that never cross "
	    "the NAT, not judged; %llu requests to servers beyond it%s",
	    client, service, (unsigned long long)to_service,
	    (unsigned long long)beyond,
	    beyond ? "" : " (the NAT's path is not used by the watched clients)");
}

int fv_host_checks_end_report(struct fv_host_checks *hc, struct fv_report *r)
{
	char err[256];
	int ret;

	for (int i = 0; i < r->n_points; i++)
		if (r->points[i].role == FV_ROLE_NAT)
			fv_host_checks_add_rows(hc, r->rows, r->n_rows, i);
	ret = fv_host_checks_end(hc, err, sizeof(err));
	if (ret)
		return ret;
	fv_time_service_check(r, &hc->checks[FV_HC_TIME_SERVICE]);
	if (r->verdict.status == FV_STATUS_FAULT)
		fv_host_checks_prepend(hc, r->verdict.explanation,
				       sizeof(r->verdict.explanation));
	return 0;
}

void fv_host_checks_json_add(const struct fv_host_checks *hc,
			     const struct fv_report *r, json_t *report)
{
	json_object_set_new(report, "host_checks", fv_host_checks_json(hc));
	if (r->verdict.status == FV_STATUS_FAULT && fv_host_checks_failed(hc)) {
		char *c = fv_host_checks_join_causes(
			hc, json_string_value(json_object_get(report, "causes")));

		if (c)
			json_object_set_new(report, "causes", json_string(c));
		free(c);
	}
}
