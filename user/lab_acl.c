// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The lab's data: the NTP network ACL, its nft rendering, and the faults. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "lab.h"

#define UDP 17

const struct lab_acl_entry lab_acl_ntp[] = {
	/* requests from the private subnet reach the NAT */
	{ LAB_PUBLIC, LAB_INBOUND, 100, UDP, 123, 123, "10.0.0.0/16", true },
	/* replies from the internet reach the NAT's ephemeral port */
	{ LAB_PUBLIC, LAB_INBOUND, 110, UDP, 1024, 65535, "0.0.0.0/0", true },
	/* the NAT's requests leave for the NTP servers */
	{ LAB_PUBLIC, LAB_OUTBOUND, 100, UDP, 123, 123, "0.0.0.0/0", true },
	/* replies go from the NAT back to the client's pinned port */
	{ LAB_PUBLIC, LAB_OUTBOUND, 110, UDP, 1123, 1123, "10.0.0.0/16", true },
	/* replies (via the NAT) reach the client */
	{ LAB_PRIVATE, LAB_INBOUND, 100, UDP, 1123, 1123, "0.0.0.0/0", true },
	/* the client's requests leave toward the NAT */
	{ LAB_PRIVATE, LAB_OUTBOUND, 100, UDP, 123, 123, "0.0.0.0/0", true },
};
const size_t lab_acl_ntp_len = sizeof(lab_acl_ntp) / sizeof(lab_acl_ntp[0]);

#define ACL_FAULT(n, seg, s, d, p, text) \
	{ .name = n, .segment = seg, .desc = text, .acl_skip = true, \
	  .skip_subnet = s, .skip_dir = d, .skip_port = p, .client_port = 1123 }

static const struct lab_fault faults[] = {
	{ .name = "none", .segment = "ok", .client_port = 1123,
	  .desc = "healthy: all six ACL rows, NAT forwarding and masquerading" },
	ACL_FAULT("no-public-in-ephemeral", "beyond_nat",
		  LAB_PUBLIC, LAB_INBOUND, 1024,
		  "public inbound UDP 1024-65535 from 0.0.0.0/0 missing: replies dropped before the NAT (the seed fault)"),
	ACL_FAULT("no-public-in-ntp", "client_to_nat",
		  LAB_PUBLIC, LAB_INBOUND, 123,
		  "public inbound UDP 123 from 10.0.0.0/16 missing: requests dropped before the NAT"),
	ACL_FAULT("no-public-out-ntp", "beyond_nat",
		  LAB_PUBLIC, LAB_OUTBOUND, 123,
		  "public outbound UDP 123 to 0.0.0.0/0 missing: the NAT's requests dropped leaving the public subnet"),
	ACL_FAULT("no-public-out-client", "nat_to_client",
		  LAB_PUBLIC, LAB_OUTBOUND, 1123,
		  "public outbound UDP 1123 to 10.0.0.0/16 missing: replies dropped leaving the public subnet"),
	ACL_FAULT("no-private-in-client", "nat_to_client",
		  LAB_PRIVATE, LAB_INBOUND, 1123,
		  "private inbound UDP 1123 from 0.0.0.0/0 missing: replies dropped entering the private subnet"),
	ACL_FAULT("no-private-out-ntp", "client_to_nat",
		  LAB_PRIVATE, LAB_OUTBOUND, 123,
		  "private outbound UDP 123 to 0.0.0.0/0 missing: requests dropped leaving the private subnet"),
	{ .name = "client-port-123", .segment = "beyond_nat", .client_port = 123,
	  .desc = "client chronyd on port 123: masquerade keeps it, the reply to the NAT's port 123 is not in the ephemeral rule" },
	{ .name = "client-port-ephemeral", .segment = "nat_to_client", .client_port = 0,
	  .desc = "client chronyd without acquisitionport: the reply to its random port is dropped leaving the public subnet" },
	{ .name = "no-ip-forward", .segment = "inside_nat_request", .client_port = 1123,
	  .no_forward = true,
	  .desc = "net.ipv4.ip_forward=0 on the NAT: requests die inside the NAT" },
	{ .name = "no-masquerade", .segment = "nat_not_translating", .client_port = 1123,
	  .no_masquerade = true,
	  .desc = "NAT forwards without SNAT: the internet gateway drops the private source" },
	{ .name = "nat-firewall-drops-replies", .segment = "inside_nat_reply", .client_port = 1123,
	  .nat_drops_replies = true,
	  .desc = "an nft rule on the NAT host drops forwarded NTP replies after de-NAT" },
	{ .name = "server-down", .segment = "beyond_nat", .client_port = 1123,
	  .server_down = true,
	  .desc = "the NTP server's chronyd is not running: requests go out, nothing comes back" },
};

const struct lab_fault *lab_fault_at(size_t i)
{
	return i < lab_fault_count() ? &faults[i] : NULL;
}

size_t lab_fault_count(void)
{
	return sizeof(faults) / sizeof(faults[0]);
}

const struct lab_fault *lab_fault_find(const char *name)
{
	size_t i;

	for (i = 0; name && i < lab_fault_count(); i++)
		if (!strcmp(faults[i].name, name))
			return &faults[i];
	return NULL;
}

size_t lab_acl_apply_fault(const struct lab_fault *f,
			   const struct lab_acl_entry *acl, size_t n,
			   struct lab_acl_entry *out)
{
	size_t i, m = 0;

	for (i = 0; i < n; i++) {
		if (f && f->acl_skip && acl[i].subnet == f->skip_subnet &&
		    acl[i].dir == f->skip_dir && acl[i].port_from == f->skip_port)
			continue;
		out[m++] = acl[i];
	}
	return m;
}

/* "a.b.c.d/len" with no host bits set, as AWS insists. */
static int parse_cidr(const char *s, unsigned int *len)
{
	char addr[INET_ADDRSTRLEN], *end;
	const char *slash;
	struct in_addr a;
	unsigned long l;
	uint32_t mask;

	if (!s || !(slash = strchr(s, '/')) || slash == s ||
	    (size_t)(slash - s) >= sizeof(addr))
		return -EINVAL;
	memcpy(addr, s, slash - s);
	addr[slash - s] = '\0';
	if (inet_pton(AF_INET, addr, &a) != 1)
		return -EINVAL;
	errno = 0;
	l = strtoul(slash + 1, &end, 10);
	if (!slash[1] || *end || errno || l > 32 || slash[1] == '+' || slash[1] == '-')
		return -EINVAL;
	mask = l ? ~0u << (32 - l) : 0;
	if (ntohl(a.s_addr) & ~mask)
		return -EINVAL;
	*len = l;
	return 0;
}

static int cmp_rule(const void *a, const void *b)
{
	const struct lab_acl_entry *x = *(const struct lab_acl_entry * const *)a;
	const struct lab_acl_entry *y = *(const struct lab_acl_entry * const *)b;

	return (int)x->rule - (int)y->rule;
}

static const char *chain_name(enum lab_subnet s, enum lab_dir d)
{
	if (s == LAB_PUBLIC)
		return d == LAB_INBOUND ? "public_inbound" : "public_outbound";
	return d == LAB_INBOUND ? "private_inbound" : "private_outbound";
}

static int write_chain(FILE *out, const struct lab_acl_entry *acl, size_t n,
		       enum lab_subnet subnet, enum lab_dir dir)
{
	const struct lab_acl_entry **rows;
	size_t i, m = 0;
	unsigned int len;

	rows = calloc(n ? n : 1, sizeof(*rows));
	if (!rows)
		return -ENOMEM;
	for (i = 0; i < n; i++)
		if (acl[i].subnet == subnet && acl[i].dir == dir)
			rows[m++] = &acl[i];
	qsort(rows, m, sizeof(*rows), cmp_rule);

	fprintf(out, "\tchain %s {\n", chain_name(subnet, dir));
	for (i = 0; i < m; i++) {
		const struct lab_acl_entry *e = rows[i];

		if ((i && rows[i - 1]->rule == e->rule) || !e->rule ||
		    parse_cidr(e->cidr, &len) || e->proto < -1 || e->proto > 255 ||
		    e->port_from > e->port_to) {
			free(rows);
			return -EINVAL;
		}
		fputs("\t\tmeta nfproto ipv4", out);
		if (len)
			fprintf(out, " ip %s %s", dir == LAB_INBOUND ? "saddr" : "daddr",
				e->cidr);
		if (e->proto >= 0)
			fprintf(out, " meta l4proto %d", e->proto);
		/* AWS only applies the port range to TCP and UDP. */
		if ((e->proto == 6 || e->proto == 17) &&
		    !(e->port_from == 0 && e->port_to == 65535)) {
			if (e->port_from == e->port_to)
				fprintf(out, " th dport %u", e->port_from);
			else
				fprintf(out, " th dport %u-%u", e->port_from, e->port_to);
		}
		/* Allow is `return`, not `accept`: an accept would end the
		 * hook and skip the other subnet's ACL on the same packet. */
		fprintf(out, " counter %s comment \"rule %u %s\"\n",
			e->allow ? "return" : "drop", e->rule,
			e->allow ? "allow" : "deny");
	}
	fputs("\t\tcounter drop comment \"rule * deny\"\n\t}\n", out);
	free(rows);
	return 0;
}

int lab_acl_nft(FILE *out, const struct lab_acl_entry *acl, size_t n,
		enum lab_shape shape)
{
	/* Router ports facing each subnet. */
	static const char *const pub1[] = { "rn0", NULL };
	static const char *const pub2[] = { "rn0", "rt0", NULL };
	static const char *const priv[] = { "rp0", NULL };
	const char *const *pub = shape == LAB_SHAPE_TWO ? pub2 : pub1;
	const char *const *p;
	int err;

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
	      "\t\ttype filter hook forward priority filter; policy accept;\n", out);
	for (p = pub; *p; p++)
		fprintf(out, "\t\tiifname \"%s\" jump public_outbound\n", *p);
	for (p = priv; *p; p++)
		fprintf(out, "\t\tiifname \"%s\" jump private_outbound\n", *p);
	for (p = pub; *p; p++)
		fprintf(out, "\t\toifname \"%s\" jump public_inbound\n", *p);
	for (p = priv; *p; p++)
		fprintf(out, "\t\toifname \"%s\" jump private_inbound\n", *p);
	fputs("\t}\n", out);

	if ((err = write_chain(out, acl, n, LAB_PUBLIC, LAB_INBOUND)) ||
	    (err = write_chain(out, acl, n, LAB_PUBLIC, LAB_OUTBOUND)) ||
	    (err = write_chain(out, acl, n, LAB_PRIVATE, LAB_INBOUND)) ||
	    (err = write_chain(out, acl, n, LAB_PRIVATE, LAB_OUTBOUND)))
		return err;
	fputs("}\n", out);
	return ferror(out) ? -EIO : 0;
}
