// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* `flowverify rules`: the network ACL entries NTP through a NAT needs.
 * `flowverify acl-check`: a real ACL export checked leg by leg. */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include "acl.h"
#include "cmd.h"
#include "options.h"
#include "report.h"
#include "util.h"

static const char rules_usage[] =
	"Usage: flowverify rules [--vpc CIDR] [--private-subnet CIDR] [--servers CIDR]\n"
	"                        [--client-port N|N-M|ephemeral] [--nat-ports FROM-TO|masquerade]\n"
	"                        [--port N] [--json | --aws | --text] [--public ID --private ID]\n"
	"\n"
	"Print the network ACL entries NTP through a NAT needs, per subnet and\n"
	"direction (stateless: every direction of every hop). For the defaults these\n"
	"are six rows.\n"
	"\n"
	"  --vpc CIDR            the VPC (default 10.0.0.0/16)\n"
	"  --private-subnet CIDR where the clients are (default: the whole VPC)\n"
	"  --servers CIDR        the NTP servers (default 0.0.0.0/0)\n"
	"  --client-port P       the client's source port (default 1123, chrony's\n"
	"                        acquisitionport); 'ephemeral' means 1024-65535\n"
	"  --nat-ports R         the NAT's outside ports (default 1024-65535, as a NAT\n"
	"                        gateway); 'masquerade' for a Linux NAT, which keeps a\n"
	"                        free client port, else picks in its class (1-511,\n"
	"                        600-1023 or 1024-65535)\n"
	"  --port N              the NTP server port (default 123)\n"
	"  --json                JSON: {\"public\": {\"inbound\": [...], \"outbound\": [...]}, \"private\": ...}\n"
	"  --aws                 the 'aws ec2 create-network-acl-entry' commands\n"
	"  --text                the text form (docs/acl.md), usable as --acls FILE\n"
	"  --public ID, --private ID   ACL ids for --aws and --text\n"
	"\n"
	"Examples:\n"
	"  flowverify rules\n"
	"  flowverify rules --vpc 10.0.0.0/16 --client-port 1123 --json\n"
	"  flowverify rules --client-port 123 --nat-ports masquerade --aws --public acl-0a1 --private acl-0b2\n";

static const char check_usage[] =
	"Usage: flowverify acl-check --acls FILE [--public ID] [--private ID]\n"
	"                            [--vpc CIDR] [--private-subnet CIDR] [--servers CIDR]\n"
	"                            [--client-port N|N-M|ephemeral] [--nat-ports FROM-TO|masquerade]\n"
	"                            [--port N] [--json]\n"
	"\n"
	"Check the subnets' network ACLs against the four legs of NTP through a NAT,\n"
	"statically, with AWS semantics: per leg, every subnet boundary it crosses,\n"
	"allowed or denied and by which entry (rule number, or * for the default\n"
	"deny), and the entry that almost matched. A leg passes only when every\n"
	"client, server and port the parameters describe passes.\n"
	"\n"
	"  --acls FILE     'aws ec2 describe-network-acls' JSON, or the text form\n"
	"  --public ID     the public subnet's ACL: NetworkAclId or a SubnetId it is\n"
	"                  associated with (default: the ACL the text form tags public)\n"
	"  --private ID    the private subnet's ACL, likewise\n"
	"  --json          one JSON object: per leg, allowed and the deciding entry\n"
	"  --vpc, --private-subnet, --servers, --client-port, --nat-ports, --port\n"
	"                  the topology, as for 'flowverify rules'\n"
	"\n"
	"Exit status: 0 every leg allowed, 1 a leg denied, 2 bad input.\n"
	"\n"
	"Examples:\n"
	"  aws ec2 describe-network-acls > acls.json\n"
	"  flowverify acl-check --acls acls.json --public acl-0a1 --private acl-0b2\n"
	"  flowverify acl-check --acls acls.json --public subnet-0pub --private subnet-0priv \\\n"
	"      --client-port 123 --nat-ports masquerade --json\n";

enum {
	OPT_VPC = 256,
	OPT_PRIV_SUBNET,
	OPT_SERVERS,
	OPT_CLIENT_PORT,
	OPT_NAT_PORTS,
	OPT_PORT,
	OPT_JSON,
	OPT_AWS,
	OPT_TEXT,
	OPT_PUBLIC,
	OPT_PRIVATE,
	OPT_ACLS,
};

/* The topology both commands describe. */
#define TOPOLOGY_OPTS                                                           \
	{ "vpc", required_argument, NULL, OPT_VPC },                            \
		{ "private-subnet", required_argument, NULL, OPT_PRIV_SUBNET }, \
		{ "servers", required_argument, NULL, OPT_SERVERS },            \
		{ "client-port", required_argument, NULL, OPT_CLIENT_PORT },    \
		{ "nat-ports", required_argument, NULL, OPT_NAT_PORTS },        \
		{ "port", required_argument, NULL, OPT_PORT },                  \
		{ "json", no_argument, NULL, OPT_JSON },                        \
		{ "public", required_argument, NULL, OPT_PUBLIC },              \
		{ "private", required_argument, NULL, OPT_PRIVATE },            \
	{                                                                       \
		"help", no_argument, NULL, 'h'                                  \
	}

const struct option fv_rules_options[] = {
	TOPOLOGY_OPTS,
	{ "aws", no_argument, NULL, OPT_AWS },
	{ "text", no_argument, NULL, OPT_TEXT },
	{},
};

const struct option fv_acl_check_options[] = {
	TOPOLOGY_OPTS,
	{ "acls", required_argument, NULL, OPT_ACLS },
	{},
};

struct acl_opts {
	struct acl_params p;
	bool clients_set, masquerade;
	bool json, aws, text;
	const char *pub_id, *priv_id, *acls;
};

static int parse_cidr_opt(const char *name, const char *val, struct acl_cidr *c)
{
	if (acl_cidr_parse(val, false, c)) {
		fv_err("bad --%s '%s': expected a CIDR block such as 10.0.0.0/16 (no host bits)",
		       name, val);
		return -EINVAL;
	}
	return 0;
}

/* Returns 0, 1 for --help, or -EINVAL. */
static int parse_opts(int argc, char **argv, struct acl_opts *o,
		      const char *usage, bool check)
{
	const struct option *opts =
		check ? fv_acl_check_options : fv_rules_options;
	uint64_t seen = 0;
	int opt, ret;

	memset(o, 0, sizeof(*o));
	acl_params_default(&o->p);
	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		if (fv_opt_once(opts, opt, &seen))
			return -EINVAL;
		switch (opt) {
		case OPT_VPC:
			if (parse_cidr_opt("vpc", optarg, &o->p.vpc))
				return -EINVAL;
			break;
		case OPT_PRIV_SUBNET:
			if (parse_cidr_opt("private-subnet", optarg,
					   &o->p.clients))
				return -EINVAL;
			o->clients_set = true;
			break;
		case OPT_SERVERS:
			if (parse_cidr_opt("servers", optarg, &o->p.servers))
				return -EINVAL;
			break;
		case OPT_CLIENT_PORT:
			if (!strcmp(optarg, "ephemeral")) {
				o->p.client_from = 1024;
				o->p.client_to = 65535;
			} else if (acl_ports_parse(optarg, &o->p.client_from,
						   &o->p.client_to) ||
				   !o->p.client_from) {
				fv_err("bad --client-port '%s': expected 1-65535, a range N-M, or ephemeral",
				       optarg);
				return -EINVAL;
			}
			break;
		case OPT_NAT_PORTS:
			if (!strcmp(optarg, "masquerade")) {
				o->masquerade = true;
			} else if (acl_ports_parse(optarg, &o->p.nat_from,
						   &o->p.nat_to) ||
				   !o->p.nat_from) {
				fv_err("bad --nat-ports '%s': expected FROM-TO within 1-65535, or masquerade",
				       optarg);
				return -EINVAL;
			} else {
				o->masquerade = false;
			}
			break;
		case OPT_PORT:
			if (fv_parse_port_option("port", optarg,
						 &o->p.server_port))
				return -EINVAL;
			break;
		case OPT_JSON: o->json = true; break;
		case OPT_AWS:
		case OPT_TEXT:
			if (opt == OPT_AWS)
				o->aws = true;
			else
				o->text = true;
			break;
		case OPT_PUBLIC: o->pub_id = optarg; break;
		case OPT_PRIVATE: o->priv_id = optarg; break;
		case OPT_ACLS: o->acls = optarg; break;
		default:
			if (!check && opt == '?' && optind > 0 && optind <= argc &&
			    !strncmp(argv[optind - 1], "--acls", 6)) {
				fv_err("unknown option '--acls' for rules; did you mean 'flowverify acl-check'?");
				return -EINVAL;
			}
			ret = fv_opt_common(opt, argc, argv, argv[0], usage);
			if (ret)
				return ret;
		}
	}
	if (fv_extra_argument(argc, argv, argv[0]))
		return -EINVAL;
	if (o->json + o->aws + o->text > 1) {
		fv_err("--json, --aws and --text exclude each other");
		return -EINVAL;
	}
	if (!o->clients_set)
		o->p.clients = o->p.vpc;
	else if (!acl_cidr_contains(&o->p.vpc, &o->p.clients)) {
		fv_err("--private-subnet is not inside --vpc");
		return -EINVAL;
	}
	if (o->masquerade)
		acl_params_masquerade(&o->p);
	if (check && !o->acls) {
		fv_err("acl-check: --acls FILE is needed; see 'acl-check --help'");
		return -EINVAL;
	}
	return 0;
}

/* Why the required entry is there. */
static const char *why(enum acl_subnet s, const struct acl_entry *e)
{
	if (s == ACL_PUBLIC && e->dir == ACL_INBOUND)
		return e->rule == 100
			       ? "requests from the private subnet reach the NAT"
			       : "replies from the internet reach the NAT's port";
	if (s == ACL_PUBLIC)
		return e->rule == 100
			       ? "the NAT's requests leave for the NTP servers"
			       : "replies go from the NAT back to the client";
	return e->dir == ACL_INBOUND
		       ? "replies (via the NAT) reach the client"
		       : "the client's requests leave toward the NAT";
}

static json_t *entries_json(const struct acl *a, enum acl_subnet s, enum acl_dir d)
{
	json_t *arr = json_array();
	char proto[16], ports[16], cidr[64];
	size_t i;

	for (i = 0; i < a->n; i++) {
		const struct acl_entry *e = &a->entries[i];

		if (e->dir != d)
			continue;
		acl_proto_name(e->proto, proto, sizeof(proto));
		acl_ports_format(e->port_from, e->port_to, ports, sizeof(ports));
		acl_cidr_format(&e->cidr, cidr, sizeof(cidr));
		json_array_append_new(arr,
				      json_pack("{s:i, s:s, s:s, s:s, s:s, s:s}",
						"rule", e->rule, "protocol",
						proto, "ports", ports, "cidr",
						cidr, "action",
						e->allow ? "allow" : "deny",
						"why", why(s, e)));
	}
	return arr;
}

static void rules_aws(const struct acl *a, enum acl_subnet s, const char *id)
{
	char proto[16], cidr[64];
	size_t i;

	for (i = 0; i < a->n; i++) {
		const struct acl_entry *e = &a->entries[i];

		acl_proto_name(e->proto, proto, sizeof(proto));
		acl_cidr_format(&e->cidr, cidr, sizeof(cidr));
		printf("# %s %s: %s\n", acl_subnet_name(s),
		       acl_dir_name(e->dir), why(s, e));
		printf("aws ec2 create-network-acl-entry --network-acl-id %s --%s "
		       "--rule-number %u --protocol %s --port-range From=%u,To=%u "
		       "--%s %s --rule-action %s\n",
		       id, e->dir == ACL_INBOUND ? "ingress" : "egress",
		       e->rule, proto, e->port_from, e->port_to,
		       e->cidr.family == AF_INET ? "cidr-block"
						 : "ipv6-cidr-block",
		       cidr, e->allow ? "allow" : "deny");
	}
}

static void rules_table(const struct acl *a, enum acl_subnet s)
{
	char proto[16], ports[16], cidr[64];
	size_t i;

	for (i = 0; i < a->n; i++) {
		const struct acl_entry *e = &a->entries[i];

		acl_proto_name(e->proto, proto, sizeof(proto));
		acl_ports_format(e->port_from, e->port_to, ports, sizeof(ports));
		acl_cidr_format(&e->cidr, cidr, sizeof(cidr));
		printf("%-8s %-9s %5u  %-5s %-11s %-18s %-6s %s\n",
		       acl_subnet_name(s), acl_dir_name(e->dir), e->rule, proto,
		       ports, cidr, e->allow ? "allow" : "deny", why(s, e));
	}
}

int cmd_rules(int argc, char **argv)
{
	struct acl pub = { .role = ACL_PUBLIC }, priv = { .role = ACL_PRIVATE };
	struct acl_opts o;
	int ret;

	ret = parse_opts(argc, argv, &o, rules_usage, false);
	if (ret)
		return ret > 0 ? FV_EXIT_OK : FV_EXIT_USAGE;
	snprintf(pub.id, sizeof(pub.id), "%s",
		 o.pub_id ? o.pub_id : "acl-PUBLIC");
	snprintf(priv.id, sizeof(priv.id), "%s",
		 o.priv_id ? o.priv_id : "acl-PRIVATE");
	if (acl_required(&o.p, &pub, &priv)) {
		fv_err("rules: out of memory");
		return FV_EXIT_USAGE;
	}
	if (o.json) {
		json_t *j = json_pack(
			"{s:{s:o, s:o}, s:{s:o, s:o}}", "public", "inbound",
			entries_json(&pub, ACL_PUBLIC, ACL_INBOUND), "outbound",
			entries_json(&pub, ACL_PUBLIC, ACL_OUTBOUND), "private",
			"inbound", entries_json(&priv, ACL_PRIVATE, ACL_INBOUND),
			"outbound",
			entries_json(&priv, ACL_PRIVATE, ACL_OUTBOUND));

		fv_json_write(stdout, j, JSON_INDENT(2));
		json_decref(j);
	} else if (o.aws) {
		rules_aws(&pub, ACL_PUBLIC, pub.id);
		rules_aws(&priv, ACL_PRIVATE, priv.id);
	} else if (o.text) {
		acl_write_text(stdout, &pub, ACL_PUBLIC);
		putchar('\n');
		acl_write_text(stdout, &priv, ACL_PRIVATE);
	} else {
		printf("%-8s %-9s %5s  %-5s %-11s %-18s %-6s %s\n", "SUBNET",
		       "DIRECTION", "RULE", "PROTO", "PORT(S)", "PEER",
		       "ACTION", "WHY");
		rules_table(&pub, ACL_PUBLIC);
		rules_table(&priv, ACL_PRIVATE);
	}
	acl_free(&pub);
	acl_free(&priv);
	return FV_EXIT_OK;
}

static const char *const leg_names[] = {
	"",
	"request client->NAT",
	"request NAT->server",
	"reply server->NAT",
	"reply NAT->client",
};

static json_t *params_json(const struct acl_params *p)
{
	char vpc[64], cl[64], sv[64], cp[16], np[16];

	acl_cidr_format(&p->vpc, vpc, sizeof(vpc));
	acl_cidr_format(&p->clients, cl, sizeof(cl));
	acl_cidr_format(&p->servers, sv, sizeof(sv));
	acl_ports_format(p->client_from, p->client_to, cp, sizeof(cp));
	acl_ports_format(p->nat_from, p->nat_to, np, sizeof(np));
	return json_pack("{s:s, s:s, s:s, s:i, s:s, s:s}", "vpc", vpc,
			 "clients", cl, "servers", sv, "server_port",
			 p->server_port, "client_ports", cp, "nat_ports", np);
}

int cmd_acl_check(int argc, char **argv)
{
	struct acl_leg legs[4];
	struct acl_live live;
	struct acl_opts o;
	int ret, i, k, denied = 0;

	ret = parse_opts(argc, argv, &o, check_usage, true);
	if (ret)
		return ret > 0 ? FV_EXIT_OK : FV_EXIT_USAGE;
	if (acl_live_load(&live, o.acls, o.pub_id, o.priv_id))
		return FV_EXIT_USAGE;
	acl_check_legs(live.pub, live.priv, &o.p, legs);
	for (i = 0; i < 4; i++)
		denied += legs[i].blocking >= 0;

	if (o.json) {
		json_t *arr = json_array(), *j;

		for (i = 0; i < 4; i++) {
			json_t *xs = json_array(), *leg;

			for (k = 0; k < legs[i].n; k++)
				json_array_append_new(xs, acl_crossing_json(
								  &legs[i].x[k]));
			leg = json_pack("{s:i, s:s, s:b}", "leg", legs[i].leg,
					"name", leg_names[legs[i].leg],
					"allowed", legs[i].blocking < 0);
			json_object_set_new(
				leg, "blocking",
				legs[i].blocking < 0
					? json_null()
					: acl_crossing_json(
						  &legs[i].x[legs[i].blocking]));
			json_object_set_new(leg, "crossings", xs);
			json_array_append_new(arr, leg);
		}
		j = json_pack("{s:b, s:{s:s, s:s}, s:o, s:o}", "allowed",
			      !denied, "acls", "public", live.pub->id,
			      "private", live.priv->id, "params",
			      params_json(&o.p), "legs", arr);
		fv_json_write(stdout, j, JSON_INDENT(2));
		json_decref(j);
	} else {
		char cl[64], sv[64], cp[16], np[16], s[768];

		acl_cidr_format(&o.p.clients, cl, sizeof(cl));
		acl_cidr_format(&o.p.servers, sv, sizeof(sv));
		acl_ports_format(o.p.client_from, o.p.client_to, cp, sizeof(cp));
		acl_ports_format(o.p.nat_from, o.p.nat_to, np, sizeof(np));
		printf("public ACL %s, private ACL %s\n", live.pub->id,
		       live.priv->id);
		printf("clients %s port %s, servers %s port %u, NAT outside ports %s\n\n",
		       cl, cp, sv, o.p.server_port, np);
		for (i = 0; i < 4; i++) {
			printf("leg %d %-20s %s\n", legs[i].leg,
			       leg_names[legs[i].leg],
			       legs[i].blocking < 0 ? "allowed" : "DENIED");
			for (k = 0; k < legs[i].n; k++) {
				acl_crossing_sentence(&legs[i].x[k], s,
						      sizeof(s));
				printf("    %s %s\n",
				       legs[i].x[k].res.allowed ? "ok  " : "DENY",
				       s);
			}
		}
		if (denied)
			printf("\nDENIED: %d of 4 legs; NTP through the NAT cannot work with these ACLs\n",
			       denied);
		else
			printf("\nOK: all four legs are allowed\n");
	}
	acl_set_free(&live.set);
	return denied ? FV_EXIT_FAULT : FV_EXIT_OK;
}
