// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The network ACL model: values, AWS evaluation (rule order, first match,
 * implicit deny, stateless), the rules NTP through a NAT needs and the four
 * legs checked against a pair of ACLs. See docs/acl.md. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "acl.h"
#include "util.h"

/* ---- values ---- */

int acl_cidr_parse(const char *s, bool allow_host, struct acl_cidr *c)
{
	char addr[INET6_ADDRSTRLEN];
	const char *slash;
	uint64_t len;
	size_t alen, i;
	int max;

	memset(c, 0, sizeof(*c));
	if (!s || !*s)
		return -EINVAL;
	slash = strchr(s, '/');
	alen = slash ? (size_t)(slash - s) : strlen(s);
	if (!alen || alen >= sizeof(addr) || (!slash && !allow_host))
		return -EINVAL;
	memcpy(addr, s, alen);
	addr[alen] = '\0';
	if (inet_pton(AF_INET, addr, c->addr) == 1) {
		c->family = AF_INET;
		max = 32;
	} else if (inet_pton(AF_INET6, addr, c->addr) == 1) {
		c->family = AF_INET6;
		max = 128;
	} else {
		return -EINVAL;
	}
	if (!slash)
		len = max;
	else if (fv_parse_u64(slash + 1, 0, max, &len))
		return -EINVAL;
	c->len = len;
	/* Host bits set: AWS refuses the block, and so do we. */
	for (i = 0; i < 16; i++) {
		int bits = (int)len - (int)i * 8;
		uint8_t mask = bits >= 8   ? 0xff
			       : bits <= 0 ? 0
					   : (uint8_t)(0xff << (8 - bits));

		if (c->addr[i] & ~mask)
			return -EINVAL;
	}
	return 0;
}

void acl_cidr_format(const struct acl_cidr *c, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN] = "?";
	int max = c->family == AF_INET ? 32 : 128;

	inet_ntop(c->family, c->addr, a, sizeof(a));
	if (c->len == max)
		snprintf(buf, len, "%s", a);
	else
		snprintf(buf, len, "%s/%u", a, c->len);
}

void acl_cidr_from_addr(const uint8_t addr[16], struct acl_cidr *c)
{
	static const uint8_t v4mapped[12] = { [10] = 0xff, [11] = 0xff };

	memset(c, 0, sizeof(*c));
	if (!memcmp(addr, v4mapped, sizeof(v4mapped))) {
		c->family = AF_INET;
		memcpy(c->addr, addr + 12, 4);
		c->len = 32;
	} else {
		c->family = AF_INET6;
		memcpy(c->addr, addr, 16);
		c->len = 128;
	}
}

bool acl_cidr_contains(const struct acl_cidr *outer, const struct acl_cidr *inner)
{
	int i, bits;

	if (outer->family != inner->family || outer->len > inner->len)
		return false;
	for (i = 0, bits = outer->len; bits > 0; i++, bits -= 8) {
		uint8_t mask = bits >= 8 ? 0xff : (uint8_t)(0xff << (8 - bits));

		if ((outer->addr[i] ^ inner->addr[i]) & mask)
			return false;
	}
	return true;
}

static const struct {
	const char *name;
	int proto;
} proto_names[] = {
	{ "all", ACL_PROTO_ALL }, { "icmp", 1 },    { "tcp", ACL_PROTO_TCP },
	{ "udp", ACL_PROTO_UDP }, { "icmpv6", 58 },
};

int acl_proto_parse(const char *s, int *proto)
{
	uint64_t v;
	size_t i;

	if (!s)
		return -EINVAL;
	for (i = 0; i < ARRAY_SIZE(proto_names); i++) {
		if (!strcasecmp(s, proto_names[i].name)) {
			*proto = proto_names[i].proto;
			return 0;
		}
	}
	if (!strcmp(s, "-1")) {
		*proto = ACL_PROTO_ALL;
		return 0;
	}
	if (fv_parse_u64(s, 0, 255, &v))
		return -EINVAL;
	*proto = v;
	return 0;
}

const char *acl_proto_name(int proto, char *buf, size_t len)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(proto_names); i++) {
		if (proto_names[i].proto == proto) {
			snprintf(buf, len, "%s", proto_names[i].name);
			return buf;
		}
	}
	snprintf(buf, len, "%d", proto);
	return buf;
}

int acl_ports_parse(const char *s, uint16_t *from, uint16_t *to)
{
	char first[8];
	const char *dash;
	uint64_t a, b;
	size_t n;

	if (!s)
		return -EINVAL;
	dash = strchr(s, '-');
	if (!dash) {
		if (fv_parse_u64(s, 0, 65535, &a))
			return -EINVAL;
		*from = *to = a;
		return 0;
	}
	n = dash - s;
	if (!n || n >= sizeof(first))
		return -EINVAL;
	memcpy(first, s, n);
	first[n] = '\0';
	if (fv_parse_u64(first, 0, 65535, &a) ||
	    fv_parse_u64(dash + 1, 0, 65535, &b) || a > b)
		return -EINVAL;
	*from = a;
	*to = b;
	return 0;
}

void acl_ports_format(uint16_t from, uint16_t to, char *buf, size_t len)
{
	if (from == to)
		snprintf(buf, len, "%u", from);
	else
		snprintf(buf, len, "%u-%u", from, to);
}

const char *acl_subnet_name(enum acl_subnet s)
{
	return s == ACL_PUBLIC ? "public" : "private";
}

const char *acl_dir_name(enum acl_dir d)
{
	return d == ACL_INBOUND ? "inbound" : "outbound";
}

static bool has_ports(int proto)
{
	return proto == ACL_PROTO_TCP || proto == ACL_PROTO_UDP;
}

/* "UDP 123", "all traffic", "ICMP": what an entry or packet is. */
static void what(int proto, uint16_t from, uint16_t to, char *buf, size_t len)
{
	char p[16], ports[16];
	size_t i;

	if (proto == ACL_PROTO_ALL) {
		snprintf(buf, len, "all traffic");
		return;
	}
	acl_proto_name(proto, p, sizeof(p));
	for (i = 0; p[i]; i++)
		p[i] = p[i] >= 'a' && p[i] <= 'z' ? p[i] - 'a' + 'A' : p[i];
	if (!has_ports(proto) || (from == 0 && to == 65535)) {
		snprintf(buf, len, "%s%s", p,
			 has_ports(proto) ? " (all ports)" : "");
		return;
	}
	acl_ports_format(from, to, ports, sizeof(ports));
	snprintf(buf, len, "%s %s", p, ports);
}

void acl_entry_describe(const struct acl_entry *e, char *buf, size_t len)
{
	char w[48], c[64];

	what(e->proto, e->port_from, e->port_to, w, sizeof(w));
	acl_cidr_format(&e->cidr, c, sizeof(c));
	snprintf(buf, len, "%s %s %s", w, e->dir == ACL_INBOUND ? "from" : "to",
		 c);
}

/* ---- the model ---- */

static int entry_cmp(const struct acl_entry *a, const struct acl_entry *b)
{
	if (a->dir != b->dir)
		return a->dir < b->dir ? -1 : 1;
	return (int)a->rule - (int)b->rule;
}

int acl_add(struct acl *a, const struct acl_entry *e)
{
	struct acl_entry *n;
	size_t i;

	for (i = 0; i < a->n; i++)
		if (!entry_cmp(&a->entries[i], e))
			return -EEXIST;
	n = realloc(a->entries, (a->n + 1) * sizeof(*n));
	if (!n)
		return -ENOMEM;
	a->entries = n;
	for (i = a->n; i > 0 && entry_cmp(&n[i - 1], e) > 0; i--)
		n[i] = n[i - 1];
	n[i] = *e;
	a->n++;
	return 0;
}

void acl_free(struct acl *a)
{
	free(a->entries);
	a->entries = NULL;
	a->n = 0;
}

/* ---- evaluation ---- */

static bool proto_matches(const struct acl_entry *e, int proto)
{
	return e->proto == ACL_PROTO_ALL || e->proto == proto;
}

static bool port_matches(const struct acl_entry *e, uint16_t port)
{
	/* AWS applies the port range to TCP and UDP only. */
	return !has_ports(e->proto) ||
	       (port >= e->port_from && port <= e->port_to);
}

#define SHADOW_MAX 64

/* One destination port: entries in rule order, first match wins. The
 * peer is a block; an entry covering only part of it decides only for
 * that part, so a partial allow lets the rest go on, and a partial deny
 * denies the class unless an earlier partial allow already took it. */
static void eval_port(const struct acl *a, enum acl_dir dir, int proto,
		      const struct acl_cidr *peer, uint16_t port,
		      struct acl_result *r)
{
	const struct acl_cidr *shadow[SHADOW_MAX];
	int n_shadow = 0, i;
	size_t k;

	memset(r, 0, sizeof(*r));
	r->port = port;
	for (k = 0; a && k < a->n; k++) {
		const struct acl_entry *e = &a->entries[k];

		if (e->dir != dir || !proto_matches(e, proto) ||
		    !port_matches(e, port))
			continue;
		if (acl_cidr_contains(&e->cidr, peer)) {
			r->allowed = e->allow;
			r->entry = e;
			return;
		}
		if (!acl_cidr_contains(peer, &e->cidr))
			continue; /* disjoint */
		if (e->allow) {
			if (n_shadow < SHADOW_MAX)
				shadow[n_shadow++] = &e->cidr;
			continue;
		}
		for (i = 0; i < n_shadow; i++)
			if (acl_cidr_contains(shadow[i], &e->cidr))
				break;
		if (i < n_shadow)
			continue;
		r->allowed = false;
		r->entry = e;
		r->partial = true;
		return;
	}
	r->allowed = false; /* the implicit `*` deny */
	r->entry = NULL;
}

/* The allow entry that came closest: fewest of protocol, port and peer
 * wrong; one that matches fully but sits after the deciding entry counts
 * as closest of all. */
static const struct acl_entry *nearest(const struct acl *a, enum acl_dir dir,
				       int proto, const struct acl_cidr *peer,
				       uint16_t port)
{
	const struct acl_entry *best = NULL;
	uint32_t best_dist = 0;
	int best_score = 6;
	size_t k;

	for (k = 0; a && k < a->n; k++) {
		const struct acl_entry *e = &a->entries[k];
		uint32_t dist = 0;
		int score;

		if (e->dir != dir || !e->allow)
			continue;
		/* The wrong port weighs least: same peer and protocol but
		 * another port is the usual mistake (the NAT's port). */
		score = 2 * !proto_matches(e, proto) + !port_matches(e, port) +
			2 * !acl_cidr_contains(&e->cidr, peer);
		/* Ties go to the range nearest the port. */
		if (has_ports(e->proto) && port < e->port_from)
			dist = e->port_from - port;
		else if (has_ports(e->proto) && port > e->port_to)
			dist = port - e->port_to;
		if (score < best_score ||
		    (score == best_score && dist < best_dist)) {
			best = e;
			best_score = score;
			best_dist = dist;
		}
	}
	return best_score < 5 ? best : NULL;
}

void acl_eval(const struct acl *a, enum acl_dir dir, int proto,
	      const struct acl_cidr *peer, uint16_t port_from, uint16_t port_to,
	      struct acl_result *r)
{
	struct acl_result one;
	uint32_t port;

	memset(r, 0, sizeof(*r));
	/* Every port of the class must pass; ranges are at most 64 Ki
	 * ports and ACLs a few dozen entries, so walking them is cheap. */
	for (port = port_from; port <= port_to; port++) {
		eval_port(a, dir, proto, peer, port, &one);
		if (port == port_from || !one.allowed)
			*r = one;
		if (!one.allowed)
			break;
	}
	if (!r->allowed)
		r->nearest = nearest(a, dir, proto, peer, r->port);
}

/* ---- NTP through a NAT ---- */

void acl_params_default(struct acl_params *p)
{
	memset(p, 0, sizeof(*p));
	acl_cidr_parse("10.0.0.0/16", false, &p->vpc);
	p->clients = p->vpc;
	acl_cidr_parse("0.0.0.0/0", false, &p->servers);
	p->server_port = 123;
	p->client_from = p->client_to = 1123;
	p->nat_from = 1024;
	p->nat_to = 65535;
}

static void masquerade_class(uint16_t port, uint16_t *from, uint16_t *to)
{
	if (port < 512) {
		*from = 1;
		*to = 511;
	} else if (port < 1024) {
		*from = 600;
		*to = 1023;
	} else {
		*from = 1024;
		*to = 65535;
	}
}

void acl_params_masquerade(struct acl_params *p)
{
	uint16_t f1, t1, f2, t2;

	masquerade_class(p->client_from, &f1, &t1);
	masquerade_class(p->client_to, &f2, &t2);
	p->nat_from = f1 < f2 ? f1 : f2;
	p->nat_to = t1 > t2 ? t1 : t2;
}

static int add_row(struct acl *a, enum acl_dir dir, uint16_t rule,
		   uint16_t from, uint16_t to, const struct acl_cidr *peer)
{
	struct acl_entry e;

	/* Zeroed whole, padding too: entries compare as bytes in tests. */
	memset(&e, 0, sizeof(e));
	e.dir = dir;
	e.rule = rule;
	e.proto = ACL_PROTO_UDP;
	e.port_from = from;
	e.port_to = to;
	e.cidr = *peer;
	e.allow = true;
	return acl_add(a, &e);
}

int acl_required(const struct acl_params *p, struct acl *pub, struct acl *priv)
{
	int err;

	/* The six required rows, with this topology's values. */
	if ((err = add_row(pub, ACL_INBOUND, 100, p->server_port,
			   p->server_port, &p->clients)) ||
	    (err = add_row(pub, ACL_INBOUND, 110, p->nat_from, p->nat_to,
			   &p->servers)) ||
	    (err = add_row(pub, ACL_OUTBOUND, 100, p->server_port,
			   p->server_port, &p->servers)) ||
	    (err = add_row(pub, ACL_OUTBOUND, 110, p->client_from, p->client_to,
			   &p->clients)) ||
	    (err = add_row(priv, ACL_INBOUND, 100, p->client_from, p->client_to,
			   &p->servers)) ||
	    (err = add_row(priv, ACL_OUTBOUND, 100, p->server_port,
			   p->server_port, &p->servers)))
		return err;
	return 0;
}

static void crossing(struct acl_leg *l, enum acl_subnet s, enum acl_dir d,
		     const struct acl *pub, const struct acl *priv,
		     const struct acl_cidr *peer, uint16_t from, uint16_t to)
{
	struct acl_crossing *c = &l->x[l->n++];

	c->subnet = s;
	c->dir = d;
	c->acl = s == ACL_PUBLIC ? pub : priv;
	c->peer = *peer;
	c->port_from = from;
	c->port_to = to;
	acl_eval(c->acl, d, ACL_PROTO_UDP, peer, from, to, &c->res);
	if (!c->res.allowed && l->blocking < 0)
		l->blocking = l->n - 1;
}

/* The boundaries each leg crosses, in the order the packet meets them. */
static void build_leg(const struct acl *pub, const struct acl *priv, int leg,
		      const struct acl_cidr *clients, uint16_t cf, uint16_t ct,
		      const struct acl_cidr *servers, uint16_t sp, uint16_t nf,
		      uint16_t nt, struct acl_leg *l)
{
	memset(l, 0, sizeof(*l));
	l->leg = leg;
	l->blocking = -1;
	switch (leg) {
	case 1: /* client -> NAT: leaves the private subnet, enters the public */
		crossing(l, ACL_PRIVATE, ACL_OUTBOUND, pub, priv, servers, sp,
			 sp);
		crossing(l, ACL_PUBLIC, ACL_INBOUND, pub, priv, clients, sp, sp);
		break;
	case 2: /* NAT -> server: leaves the public subnet */
		crossing(l, ACL_PUBLIC, ACL_OUTBOUND, pub, priv, servers, sp, sp);
		break;
	case 3: /* server -> the NAT's port: enters the public subnet */
		crossing(l, ACL_PUBLIC, ACL_INBOUND, pub, priv, servers, nf, nt);
		break;
	default: /* NAT -> client: leaves the public, enters the private */
		crossing(l, ACL_PUBLIC, ACL_OUTBOUND, pub, priv, clients, cf, ct);
		crossing(l, ACL_PRIVATE, ACL_INBOUND, pub, priv, servers, cf, ct);
		break;
	}
}

void acl_check_legs(const struct acl *pub, const struct acl *priv,
		    const struct acl_params *p, struct acl_leg legs[4])
{
	int i;

	for (i = 0; i < 4; i++)
		build_leg(pub, priv, i + 1, &p->clients, p->client_from,
			  p->client_to, &p->servers, p->server_port,
			  p->nat_from, p->nat_to, &legs[i]);
}

void acl_leg_eval(const struct acl *pub, const struct acl *priv, int leg,
		  const struct acl_cidr *client, uint16_t client_port,
		  const struct acl_cidr *server, uint16_t server_port,
		  uint16_t nat_port, struct acl_leg *out)
{
	build_leg(pub, priv, leg, client, client_port, client_port, server,
		  server_port, nat_port, nat_port, out);
}

static void nearest_why(const struct acl_crossing *c, char *buf, size_t len)
{
	const struct acl_entry *n = c->res.nearest;
	char e[128], peer[64], why[192] = "";
	size_t l = 0;

	acl_entry_describe(n, e, sizeof(e));
	acl_cidr_format(&c->peer, peer, sizeof(peer));
	/* Every way it missed, most telling first. */
	if (!proto_matches(n, ACL_PROTO_UDP))
		l += snprintf(why + l, sizeof(why) - l, "%sNTP is UDP",
			      l ? " and " : "");
	if (l < sizeof(why) && !port_matches(n, c->res.port))
		l += snprintf(why + l, sizeof(why) - l,
			      "%sthe packet goes to port %u", l ? " and " : "",
			      c->res.port);
	if (l < sizeof(why) && !acl_cidr_contains(&n->cidr, &c->peer))
		l += snprintf(why + l, sizeof(why) - l, "%s%s %s%s",
			      l ? " and " : "the packet ",
			      c->dir == ACL_INBOUND ? "comes from" : "goes to",
			      peer, c->peer.len ? "" : " (any address)");
	if (l)
		snprintf(buf, len, "rule %u allows %s, but %s", n->rule, e, why);
	else if (c->res.entry)
		snprintf(buf, len, "rule %u allows %s, but rule %u comes first",
			 n->rule, e, c->res.entry->rule);
	else
		snprintf(buf, len, "rule %u allows %s", n->rule, e);
}

void acl_crossing_sentence(const struct acl_crossing *c, char *buf, size_t len)
{
	const struct acl_result *r = &c->res;
	char pkt[48], peer[64], e[128], near[256] = "";
	const char *fromto = c->dir == ACL_INBOUND ? "from" : "to";
	const char *id = c->acl ? c->acl->id : "no ACL";
	size_t l;

	what(ACL_PROTO_UDP, r->port, r->port, pkt, sizeof(pkt));
	acl_cidr_format(&c->peer, peer, sizeof(peer));
	if (r->allowed) {
		char ports[16];

		acl_entry_describe(r->entry, e, sizeof(e));
		acl_ports_format(c->port_from, c->port_to, ports, sizeof(ports));
		snprintf(buf, len,
			 "%s %s (%s): UDP %s %s %s allowed by rule %u (%s)",
			 acl_subnet_name(c->subnet), acl_dir_name(c->dir), id,
			 ports, fromto, peer, r->entry->rule, e);
		return;
	}
	if (r->entry) {
		acl_entry_describe(r->entry, e, sizeof(e));
		snprintf(buf, len, "%s %s (%s) rule %u denies %s: %s %s %s%s",
			 acl_subnet_name(c->subnet), acl_dir_name(c->dir), id,
			 r->entry->rule, e, pkt, fromto, peer,
			 r->partial ? " (part of that block)" : "");
	} else {
		snprintf(buf, len,
			 "%s %s (%s) has no rule for %s %s %s: default deny (*)",
			 acl_subnet_name(c->subnet), acl_dir_name(c->dir), id,
			 pkt, fromto, peer);
	}
	l = strlen(buf);
	if (c->port_from != c->port_to && l < len) {
		char ports[16];

		acl_ports_format(c->port_from, c->port_to, ports, sizeof(ports));
		snprintf(buf + l, len - l, " (first denied of ports %s)", ports);
	}
	if (r->nearest) {
		nearest_why(c, near, sizeof(near));
		l = strlen(buf);
		if (l < len)
			snprintf(buf + l, len - l, "; nearest: %s", near);
	}
}

json_t *acl_crossing_json(const struct acl_crossing *c)
{
	char sentence[640], e[128], near[256], peer[64], ports[16];
	json_t *o;

	acl_crossing_sentence(c, sentence, sizeof(sentence));
	acl_cidr_format(&c->peer, peer, sizeof(peer));
	acl_ports_format(c->port_from, c->port_to, ports, sizeof(ports));
	o = json_pack("{s:s, s:s, s:s?, s:b, s:s, s:s}", "subnet",
		      acl_subnet_name(c->subnet), "direction",
		      acl_dir_name(c->dir), "acl", c->acl ? c->acl->id : NULL,
		      "allowed", c->res.allowed, "cidr", peer, "ports", ports);
	json_object_set_new(o, "rule",
			    c->res.entry ? json_integer(c->res.entry->rule)
					 : json_string("*"));
	if (c->res.entry)
		acl_entry_describe(c->res.entry, e, sizeof(e));
	json_object_set_new(o, "entry",
			    c->res.entry ? json_string(e) : json_null());
	json_object_set_new(o, "port", json_integer(c->res.port));
	if (!c->res.allowed && c->res.nearest) {
		nearest_why(c, near, sizeof(near));
		json_object_set_new(o, "nearest", json_string(near));
	} else {
		json_object_set_new(o, "nearest", json_null());
	}
	json_object_set_new(o, "sentence", json_string(sentence));
	return o;
}
