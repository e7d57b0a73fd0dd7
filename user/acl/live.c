// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Live verdicts to the rule: the leg an exchange was lost on, evaluated
 * with the addresses and ports actually observed against the subnets'
 * ACLs, or against the required table when no ACLs were given. */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>
#include "acl.h"
#include "netinfo.h"
#include "report.h"
#include "util.h"

int acl_live_load(struct acl_live *l, const char *path, const char *pub_id,
		  const char *priv_id)
{
	char err[640], ids[256] = "";
	size_t i, len = 0;
	int ret;

	memset(l, 0, sizeof(*l));
	ret = acl_load_file(path, &l->set, err, sizeof(err));
	if (ret) {
		fv_err("%s", err);
		return -EINVAL;
	}
	for (i = 0; i < l->set.n && len < sizeof(ids); i++)
		len += snprintf(ids + len, sizeof(ids) - len, "%s%s",
				i ? ", " : "", l->set.acls[i].id);
	l->pub = pub_id ? acl_set_find(&l->set, pub_id)
			: acl_set_role(&l->set, ACL_PUBLIC);
	l->priv = priv_id ? acl_set_find(&l->set, priv_id)
			  : acl_set_role(&l->set, ACL_PRIVATE);
	if (!l->pub || !l->priv) {
		const char *which = !l->pub ? "public" : "private";
		const char *id = !l->pub ? pub_id : priv_id;

		if (id)
			fv_err("--%s: no network ACL or subnet '%s' in %s (it has %s)",
			       which, id, path, ids);
		else
			fv_err("--%s: needed: %s tags no single ACL %s (it has %s)",
			       which, path, which, ids);
		acl_set_free(&l->set);
		return -EINVAL;
	}
	return 0;
}

/* The endpoints of the lost exchange, from the example the report kept or,
 * when the verdict came from counters, from the busiest flows. */
struct observed {
	struct acl_cidr client, server;
	uint16_t client_port, server_port, nat_port;
	bool have, have_nat;
};

static bool observe(const struct fv_report *r, struct observed *o)
{
	static const uint8_t zero[16];
	const struct fv_flow_row *l1 = NULL, *l2 = NULL;
	int i;

	memset(o, 0, sizeof(*o));
	for (i = 0; i < r->n_rows; i++) {
		const struct fv_flow_row *row = &r->rows[i];

		if (row->nat_own || row->expired)
			continue;
		if (row->leg == FV_LEG_1 &&
		    (!l1 || row->val.packets > l1->val.packets))
			l1 = row;
		if (row->leg == FV_LEG_2 &&
		    (!l2 || row->val.packets > l2->val.packets))
			l2 = row;
	}
	/* An exchange seen only at the client may not know its server: the
	 * client's leg-1 flow does. */
	if (r->have_example && (memcmp(r->example.server_addr, zero, 16) || !l1)) {
		const struct fv_exchange *x = &r->example;

		acl_cidr_from_addr(x->inside_addr, &o->client);
		acl_cidr_from_addr(x->server_addr, &o->server);
		o->client_port = ntohs(x->inside_port);
		o->server_port = ntohs(x->server_port);
		o->nat_port = ntohs(x->outside_port);
		o->have_nat =
			memcmp(x->outside_addr, zero, 16) || x->outside_port;
		o->have = true;
		return true;
	}
	if (!l1)
		return false;
	acl_cidr_from_addr(l1->key.saddr, &o->client);
	acl_cidr_from_addr(l1->key.daddr, &o->server);
	o->client_port = ntohs(l1->key.sport);
	o->server_port = ntohs(l1->key.dport);
	if (r->have_example) {
		acl_cidr_from_addr(r->example.inside_addr, &o->client);
		o->client_port = ntohs(r->example.inside_port);
	}
	if (l2) {
		o->nat_port = ntohs(l2->key.sport);
		o->have_nat = true;
	}
	o->have = true;
	return true;
}

/* The legs whose ACL crossings could lose an exchange at seg; 0 ends. */
static void segment_legs(enum fv_segment seg, int legs[3])
{
	legs[0] = legs[1] = legs[2] = 0;
	switch (seg) {
	case FV_SEG_CLIENT_TO_NAT: legs[0] = 1; break;
	case FV_SEG_BEYOND_NAT:
		legs[0] = 2;
		legs[1] = 3;
		break;
	case FV_SEG_NAT_TO_CLIENT: legs[0] = 4; break;
	default: break;
	}
}

/* Why the observed port is what it is, before the rule is named. */
static void context(const struct observed *o, int leg, char *buf, size_t len)
{
	char c[64], s[64];

	acl_cidr_format(&o->client, c, sizeof(c));
	acl_cidr_format(&o->server, s, sizeof(s));
	switch (leg) {
	case 1:
		snprintf(buf, len, "the request goes from %s:%u to %s:%u; ", c,
			 o->client_port, s, o->server_port);
		break;
	case 2:
		snprintf(buf, len, "the NAT's request goes to %s:%u; ", s,
			 o->server_port);
		break;
	case 3:
		if (o->nat_port == o->client_port)
			snprintf(buf, len,
				 "the NAT kept the client's source port %u "
				 "(Linux masquerade keeps a free port), so the reply "
				 "comes back to port %u; ",
				 o->nat_port, o->nat_port);
		else
			snprintf(buf, len,
				 "the NAT sent from port %u, so the reply "
				 "comes back to port %u; ",
				 o->nat_port, o->nat_port);
		break;
	default:
		snprintf(buf, len,
			 "the reply goes back to the client %s on port %u%s; ",
			 c, o->client_port,
			 o->client_port >= 32768
				 ? " (an ephemeral port, by its range: the "
				   "client does not pin it)"
				 : "");
		break;
	}
}

/* The rule of the required table a leg needs in one subnet and direction:
 * public inbound 110 is the NAT's port (leg 3), 100 the requests (leg 1). */
static uint16_t required_rule(int leg, enum acl_subnet s)
{
	return (leg == 3 || (leg == 4 && s == ACL_PUBLIC)) ? 110 : 100;
}

/* The VPC the rows name: --vpc, else the NAT's connected subnet that
 * holds the observed client, else that client alone (said). */
static void pick_vpc(const struct observed *o, const struct acl_hint *h,
		     struct acl_blocking *b)
{
	int i;

	if (h && h->vpc_given) {
		b->vpc = h->vpc;
		b->vpc_from = "--vpc";
		return;
	}
	for (i = 0; h && i < h->n_nat_ifs; i++) {
		const struct fv_netif *f = &h->nat_ifs[i];

		if (f->loopback || o->client.family != AF_INET ||
		    !fv_netif_holds(f, o->client.addr))
			continue;
		memset(&b->vpc, 0, sizeof(b->vpc));
		b->vpc.family = AF_INET;
		memcpy(b->vpc.addr, f->addr, 4);
		b->vpc.len = f->prefix;
		/* The network, not the host's own address. */
		for (int bit = f->prefix; bit < 32; bit++)
			b->vpc.addr[bit / 8] &= ~(0x80 >> (bit % 8));
		b->vpc_from = "the NAT's connected subnet";
		return;
	}
	b->vpc = o->client;
	b->vpc_from = "the observed client";
}

static void explain_without(const struct observed *o, const int legs[3],
			    const struct acl_hint *h, struct acl_blocking *b)
{
	struct acl pub = { .id = "required public" },
		   priv = { .id = "required private" };
	struct acl_params p;
	struct acl_leg l;
	int i, k;

	/* Nothing of the defaults (a lab's VPC and port) reaches the rows:
	 * the VPC and client port are given or observed. */
	acl_params_default(&p);
	pick_vpc(o, h, b);
	p.vpc = p.clients = b->vpc;
	if (h && h->port_given) {
		p.client_from = h->client_from;
		p.client_to = h->client_to;
	} else {
		p.client_from = p.client_to = o->client_port;
	}
	if (o->server_port)
		p.server_port = o->server_port;
	if (acl_required(&p, &pub, &priv))
		goto out;
	for (i = 0; i < 3 && legs[i]; i++) {
		if (legs[i] == 3 && !o->have_nat)
			continue;
		acl_leg_eval(&pub, &priv, legs[i], &o->client, o->client_port,
			     &o->server, o->server_port, o->nat_port, &l);
		for (k = 0; k < l.n && b->n_suspects < 3; k++) {
			const struct acl *a = l.x[k].acl;
			struct acl_suspect *sp = &b->suspects[b->n_suspects];
			size_t j;

			for (j = 0; j < a->n; j++) {
				if (a->entries[j].dir == l.x[k].dir &&
				    a->entries[j].rule ==
					    required_rule(legs[i], l.x[k].subnet))
					break;
			}
			if (j == a->n)
				continue;
			sp->leg = legs[i];
			sp->subnet = l.x[k].subnet;
			sp->entry = a->entries[j];
			sp->admits = l.x[k].res.allowed;
			sp->port = l.x[k].res.port;
			b->n_suspects++;
		}
	}
out:
	acl_free(&pub);
	acl_free(&priv);
}

void acl_explain(const struct fv_report *r, const struct acl_live *live,
		 struct acl_blocking *b)
{
	acl_explain_with(r, live, NULL, b);
}

void acl_explain_with(const struct fv_report *r, const struct acl_live *live,
		      const struct acl_hint *hint, struct acl_blocking *b)
{
	struct observed o;
	struct acl_leg l;
	int legs[3], i, k;
	char ctx[256], sent[640];

	memset(b, 0, sizeof(*b));
	b->with_acls = live != NULL;
	if (r->verdict.status != FV_STATUS_FAULT)
		return;
	segment_legs(r->verdict.segment, legs);
	if (!legs[0] || !observe(r, &o))
		return;
	if (!live) {
		explain_without(&o, legs, hint, b);
		return;
	}
	for (i = 0; i < 3 && legs[i]; i++) {
		/* The reply's leg needs the NAT's port; without it, skip. */
		if (legs[i] == 3 && !o.have_nat)
			continue;
		acl_leg_eval(live->pub, live->priv, legs[i], &o.client,
			     o.client_port, &o.server, o.server_port,
			     o.nat_port, &l);
		for (k = 0; k < l.n && b->n_checked < 3; k++) {
			b->checked[b->n_checked] = l.x[k];
			b->checked_leg[b->n_checked++] = legs[i];
		}
		if (l.blocking < 0 || b->have)
			continue;
		b->have = true;
		b->leg = legs[i];
		b->x = l.x[l.blocking];
		context(&o, legs[i], ctx, sizeof(ctx));
		acl_crossing_sentence(&b->x, sent, sizeof(sent));
		snprintf(b->sentence, sizeof(b->sentence), "leg %d: %s%s",
			 legs[i], ctx, sent);
	}
}

void acl_blocking_json_add(json_t *root, const struct acl_blocking *b)
{
	json_t *o, *arr;
	int i;

	if (b->have) {
		o = acl_crossing_json(&b->x);
		json_object_set_new(o, "leg", json_integer(b->leg));
		json_object_set_new(o, "sentence", json_string(b->sentence));
		json_object_set_new(root, "blocking", o);
	} else {
		json_object_set_new(root, "blocking", json_null());
	}
	if (b->with_acls) {
		arr = json_array();
		for (i = 0; i < b->n_checked; i++) {
			o = acl_crossing_json(&b->checked[i]);
			json_object_set_new(o, "leg",
					    json_integer(b->checked_leg[i]));
			json_array_append_new(arr, o);
		}
		json_object_set_new(root, "acl_crossings", arr);
		return;
	}
	arr = json_array();
	for (i = 0; i < b->n_suspects; i++) {
		const struct acl_suspect *s = &b->suspects[i];
		char proto[16], ports[16], cidr[64];

		acl_proto_name(s->entry.proto, proto, sizeof(proto));
		acl_ports_format(s->entry.port_from, s->entry.port_to, ports,
				 sizeof(ports));
		acl_cidr_format(&s->entry.cidr, cidr, sizeof(cidr));
		json_array_append_new(
			arr,
			json_pack("{s:i, s:s, s:s, s:i, s:s, s:s, s:s, s:s, s:b, s:i}",
				  "leg", s->leg, "subnet",
				  acl_subnet_name(s->subnet), "direction",
				  acl_dir_name(s->entry.dir), "rule",
				  s->entry.rule, "protocol", proto, "ports",
				  ports, "cidr", cidr, "action",
				  s->entry.allow ? "allow" : "deny",
				  "admits_observed", s->admits, "observed_port",
				  s->port));
	}
	json_object_set_new(root, "acl_rows", arr);
	if (b->vpc_from) {
		char cidr[64];

		acl_cidr_format(&b->vpc, cidr, sizeof(cidr));
		json_object_set_new(root, "acl_rows_vpc",
				    json_pack("{s:s, s:s}", "cidr", cidr,
					      "from", b->vpc_from));
	}
}

void acl_blocking_text(FILE *out, const struct acl_blocking *b)
{
	char e[128];
	int i;

	if (b->have) {
		fprintf(out, "Blocked by: %s\n", b->sentence);
		return;
	}
	if (b->with_acls && b->n_checked) {
		fprintf(out,
			"ACLs: the given ACLs allow this with the observed ports:");
		for (i = 0; i < b->n_checked; i++)
			fprintf(out, "%s leg %d %s %s rule %u", i ? ";" : "",
				b->checked_leg[i],
				acl_subnet_name(b->checked[i].subnet),
				acl_dir_name(b->checked[i].dir),
				b->checked[i].res.entry
					? b->checked[i].res.entry->rule
					: 0);
		fprintf(out,
			"; look past the ACLs (security groups, routes, the server)\n");
		return;
	}
	if (!b->n_suspects)
		return;
	fprintf(out,
		"ACL rows that could cause it (see 'flowverify rules'; pass --acls to check yours):\n");
	if (b->vpc_from) {
		char cidr[64];

		acl_cidr_format(&b->vpc, cidr, sizeof(cidr));
		fprintf(out, "  (VPC %s: %s%s)\n", cidr, b->vpc_from,
			strcmp(b->vpc_from, "--vpc") ? "; pass --vpc CIDR for yours"
						     : "");
	}
	for (i = 0; i < b->n_suspects; i++) {
		const struct acl_suspect *s = &b->suspects[i];

		acl_entry_describe(&s->entry, e, sizeof(e));
		fprintf(out, "  leg %d: %s %s rule %u allow %s", s->leg,
			acl_subnet_name(s->subnet), acl_dir_name(s->entry.dir),
			s->entry.rule, e);
		if (!s->admits)
			fprintf(out, " -- does not admit the observed port %u",
				s->port);
		fputc('\n', out);
	}
}
