// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The lab's data: the NTP network ACL, its nft rendering, and the faults. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "lab.h"
#include "util.h"

/* The required table (`flowverify rules`), in the text form (docs/acl.md). */
const char lab_acl_text[] =
	"# NTP through a NAT (flowverify rules): what the lab's VPC router enforces.\n"
	"acl acl-lab-public public\n"
	"# requests from the private subnet reach the NAT\n"
	"inbound  100 allow udp 123        10.0.0.0/16\n"
	"# replies from the internet reach the NAT's ephemeral port\n"
	"inbound  110 allow udp 1024-65535 0.0.0.0/0\n"
	"# the NAT's requests leave for the NTP servers\n"
	"outbound 100 allow udp 123        0.0.0.0/0\n"
	"# replies go from the NAT back to the client's pinned port\n"
	"outbound 110 allow udp 1123       10.0.0.0/16\n"
	"\n"
	"acl acl-lab-private private\n"
	"# replies (via the NAT) reach the client\n"
	"inbound  100 allow udp 1123       0.0.0.0/0\n"
	"# the client's requests leave toward the NAT\n"
	"outbound 100 allow udp 123        0.0.0.0/0\n";

#define ACL_FAULT(n, seg, s, d, p, text)                                   \
	{                                                                  \
		.name = n, .segment = seg, .desc = text, .acl_skip = true, \
		.skip_subnet = s, .skip_dir = d, .skip_port = p,           \
		.client_port = 1123                                        \
	}

static const struct lab_fault faults[] = {
	{ .name = "none",
	  .segment = "ok",
	  .client_port = 1123,
	  .desc = "healthy: all six ACL rows, NAT forwarding and masquerading" },
	ACL_FAULT("no-public-in-ephemeral", "beyond_nat", ACL_PUBLIC,
		  ACL_INBOUND, 1024,
		  "public inbound UDP 1024-65535 from 0.0.0.0/0 missing: replies dropped before the NAT (the seed fault)"),
	ACL_FAULT("no-public-in-ntp", "client_to_nat", ACL_PUBLIC, ACL_INBOUND,
		  123,
		  "public inbound UDP 123 from 10.0.0.0/16 missing: requests dropped before the NAT"),
	ACL_FAULT("no-public-out-ntp", "beyond_nat", ACL_PUBLIC, ACL_OUTBOUND, 123,
		  "public outbound UDP 123 to 0.0.0.0/0 missing: the NAT's requests dropped leaving the public subnet"),
	ACL_FAULT("no-public-out-client", "nat_to_client", ACL_PUBLIC,
		  ACL_OUTBOUND, 1123,
		  "public outbound UDP 1123 to 10.0.0.0/16 missing: replies dropped leaving the public subnet"),
	ACL_FAULT("no-private-in-client", "nat_to_client", ACL_PRIVATE,
		  ACL_INBOUND, 1123,
		  "private inbound UDP 1123 from 0.0.0.0/0 missing: replies dropped entering the private subnet"),
	ACL_FAULT("no-private-out-ntp", "client_to_nat", ACL_PRIVATE,
		  ACL_OUTBOUND, 123,
		  "private outbound UDP 123 to 0.0.0.0/0 missing: requests dropped leaving the private subnet"),
	{ .name = "client-port-123",
	  .segment = "beyond_nat",
	  .client_port = 123,
	  .desc = "client chronyd on port 123: masquerade keeps it, the reply to the NAT's port 123 is not in the ephemeral rule" },
	{ .name = "client-port-ephemeral",
	  .segment = "nat_to_client",
	  .client_port = 0,
	  .desc = "client chronyd without acquisitionport: the reply to its random port is dropped leaving the public subnet" },
	{ .name = "no-ip-forward",
	  .segment = "inside_nat_request",
	  .client_port = 1123,
	  .no_forward = true,
	  .desc = "net.ipv4.ip_forward=0 on the NAT: requests die inside the NAT" },
	{ .name = "no-masquerade",
	  .segment = "nat_not_translating",
	  .client_port = 1123,
	  .no_masquerade = true,
	  .desc = "NAT forwards without SNAT: the internet gateway drops the private source" },
	{ .name = "nat-firewall-drops-replies",
	  .segment = "inside_nat_reply",
	  .client_port = 1123,
	  .nat_drops_replies = true,
	  .desc = "an nft rule on the NAT host drops forwarded NTP replies after de-NAT" },
	/* Every request from a new client port is mapped to the same NAT
	 * port and server: conntrack refuses the clashing reply tuple and
	 * counts it (drop, insert_failed in /proc/net/stat/nf_conntrack). */
	{ .name = "nat-port-exhausted",
	  .segment = "inside_nat_request",
	  .client_port = 0,
	  .nat_one_port = true,
	  .desc = "masquerade to one NAT port, client on random ports: conntrack drops each new flow that clashes (insert_failed)" },
	{ .name = "server-down",
	  .segment = "beyond_nat",
	  .client_port = 1123,
	  .server_down = true,
	  .desc = "the NTP server's chronyd is not running: requests go out, nothing comes back" },
	/* Not a segment: the path works, the answer says go away. */
	{ .name = "server-kod",
	  .segment = "kod",
	  .client_port = 1123,
	  .server_down = true,
	  .server_kod = true,
	  .desc = "the server answers every request with a Kiss-o'-Death RATE" },
};

const struct lab_fault *lab_fault_at(size_t i)
{
	return i < lab_fault_count() ? &faults[i] : NULL;
}

size_t lab_fault_count(void)
{
	return ARRAY_SIZE(faults);
}

const struct lab_fault *lab_fault_find(const char *name)
{
	size_t i;

	for (i = 0; name && i < lab_fault_count(); i++)
		if (!strcmp(faults[i].name, name))
			return &faults[i];
	return NULL;
}

bool lab_fault_removes(const struct lab_fault *f, enum acl_subnet subnet,
		       const struct acl_entry *e)
{
	return f && f->acl_skip && subnet == f->skip_subnet &&
	       e->dir == f->skip_dir && e->port_from == f->skip_port;
}

int lab_acl_load(struct acl_set *set, const struct acl **pub,
		 const struct acl **priv)
{
	char err[512];
	int ret;

	if (!access(lab_names.acl_file, F_OK))
		ret = acl_load_file(lab_names.acl_file, set, err, sizeof(err));
	else
		ret = acl_load_text("(built-in lab ACL)", lab_acl_text, set,
				    err, sizeof(err));
	if (ret) {
		fv_err("lab: %s", err);
		return ret;
	}
	*pub = acl_set_role(set, ACL_PUBLIC);
	*priv = acl_set_role(set, ACL_PRIVATE);
	if (!*pub || !*priv) {
		fv_err("lab: %s: needs one ACL tagged public and one private",
		       lab_names.acl_file);
		acl_set_free(set);
		return -EINVAL;
	}
	return 0;
}

int lab_acl_select(const char *path, const char *pub_id, const char *priv_id,
		   char **text)
{
	struct acl_live live;
	size_t len = 0;
	FILE *out;

	if (acl_live_load(&live, path, pub_id, priv_id))
		return -EINVAL;
	out = open_memstream(text, &len);
	if (!out) {
		acl_set_free(&live.set);
		fv_err("out of memory");
		return -ENOMEM;
	}
	fprintf(out, "# from %s\n", path);
	acl_write_text(out, live.pub, ACL_PUBLIC);
	fputc('\n', out);
	acl_write_text(out, live.priv, ACL_PRIVATE);
	acl_set_free(&live.set);
	if (fclose(out)) {
		free(*text);
		*text = NULL;
		return -ENOMEM;
	}
	return 0;
}

static const char *chain_name(enum acl_subnet s, enum acl_dir d)
{
	if (s == ACL_PUBLIC)
		return d == ACL_INBOUND ? "public_inbound" : "public_outbound";
	return d == ACL_INBOUND ? "private_inbound" : "private_outbound";
}

static void write_chain(FILE *out, const struct acl *a, enum acl_subnet subnet,
			enum acl_dir dir, const struct lab_fault *f)
{
	char cidr[64];
	size_t i;

	fprintf(out, "\tchain %s {\n", chain_name(subnet, dir));
	fprintf(out, "\t\t# %s\n", a->id);
	/* Entries are kept in rule order: nft evaluates them as listed. */
	for (i = 0; i < a->n; i++) {
		const struct acl_entry *e = &a->entries[i];
		bool v4 = e->cidr.family == AF_INET;

		if (e->dir != dir)
			continue;
		if (lab_fault_removes(f, subnet, e)) {
			fprintf(out, "\t\t# rule %u removed by fault %s\n",
				e->rule, f->name);
			continue;
		}
		acl_cidr_format(&e->cidr, cidr, sizeof(cidr));
		fprintf(out, "\t\tmeta nfproto %s", v4 ? "ipv4" : "ipv6");
		if (e->cidr.len)
			fprintf(out, " %s %s %s", v4 ? "ip" : "ip6",
				dir == ACL_INBOUND ? "saddr" : "daddr", cidr);
		if (e->proto >= 0)
			fprintf(out, " meta l4proto %d", e->proto);
		/* AWS only applies the port range to TCP and UDP. */
		if ((e->proto == ACL_PROTO_TCP || e->proto == ACL_PROTO_UDP) &&
		    !(e->port_from == 0 && e->port_to == 65535)) {
			if (e->port_from == e->port_to)
				fprintf(out, " th dport %u", e->port_from);
			else
				fprintf(out, " th dport %u-%u", e->port_from,
					e->port_to);
		}
		/* Allow is `return`, not `accept`: an accept would end the
		 * hook and skip the other subnet's ACL on the same packet. */
		fprintf(out, " counter %s comment \"rule %u %s\"\n",
			e->allow ? "return" : "drop", e->rule,
			e->allow ? "allow" : "deny");
	}
	fputs("\t\tcounter drop comment \"rule * deny\"\n\t}\n", out);
}

int lab_acl_nft(FILE *out, const struct acl *pub, const struct acl *priv,
		enum lab_shape shape, const struct lab_fault *f)
{
	/* Router ports facing each subnet. */
	static const char *const pub1[] = { "rn0", NULL };
	static const char *const pub2[] = { "rn0", "rt0", NULL };
	static const char *const privp[] = { "rp0", NULL };
	const char *const *pubp = shape == LAB_SHAPE_TWO ? pub2 : pub1;
	const char *const *p;

	if (!pub || !priv)
		return -EINVAL;
	/* Declaring first makes the delete safe when the table is absent;
	 * nft applies the file as one transaction, so no packet ever sees
	 * a half-built ACL. */
	fputs("table inet fv_acl {\n}\ndelete table inet fv_acl\n", out);
	fputs("# AWS network ACLs, stateless: every forwarded packet is checked\n"
	      "# against the ACL of the subnet it leaves (outbound, on the port it\n"
	      "# came in) and of the subnet it enters (inbound, on the port it\n"
	      "# goes out), entries in rule order, first match wins.\n"
	      "table inet fv_acl {\n"
	      "\tchain forward {\n"
	      "\t\ttype filter hook forward priority filter; policy accept;\n",
	      out);
	for (p = pubp; *p; p++)
		fprintf(out, "\t\tiifname \"%s\" jump public_outbound\n", *p);
	for (p = privp; *p; p++)
		fprintf(out, "\t\tiifname \"%s\" jump private_outbound\n", *p);
	for (p = pubp; *p; p++)
		fprintf(out, "\t\toifname \"%s\" jump public_inbound\n", *p);
	for (p = privp; *p; p++)
		fprintf(out, "\t\toifname \"%s\" jump private_inbound\n", *p);
	fputs("\t}\n", out);
	write_chain(out, pub, ACL_PUBLIC, ACL_INBOUND, f);
	write_chain(out, pub, ACL_PUBLIC, ACL_OUTBOUND, f);
	write_chain(out, priv, ACL_PRIVATE, ACL_INBOUND, f);
	write_chain(out, priv, ACL_PRIVATE, ACL_OUTBOUND, f);
	fputs("}\n", out);
	return ferror(out) ? -EIO : 0;
}
