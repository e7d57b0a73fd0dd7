// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The lab's network: namespaces, veths, routes, emulated ACLs and NAT. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "lab_priv.h"
#include "util.h"

#define ACL_NFT lab_names.acl_nft
#define IGW_NFT lab_names.igw_nft
#define NAT_NFT lab_names.nat_nft

/* `ip` in ns with a space-separated argument string (no quoting needed). */
static int ip(const char *ns, const char *args)
{
	char buf[256], *argv[32], *tok, *save;
	int argc = 0;

	snprintf(buf, sizeof(buf), "%s", args);
	argv[argc++] = "ip";
	for (tok = strtok_r(buf, " ", &save); tok && argc < 31;
	     tok = strtok_r(NULL, " ", &save))
		argv[argc++] = tok;
	argv[argc] = NULL;
	return lab_ns_run(ns, argv) ? -1 : 0;
}

int lab_net_create_ns(const char *ns)
{
	/* IPv6 off keeps DAD and router solicitations out of the captures;
	 * set before any veth exists so every device inherits it. */
	static const char *const base[] = {
		"net/ipv6/conf/all/disable_ipv6=1",
		"net/ipv6/conf/default/disable_ipv6=1",
		/* Asymmetric paths (policy routing, the one-armed NAT) are
		 * the point of the lab; strict reverse-path checks and
		 * redirects would bend them. */
		"net/ipv4/conf/all/rp_filter=0",
		"net/ipv4/conf/default/rp_filter=0",
		"net/ipv4/conf/all/send_redirects=0",
		"net/ipv4/conf/default/send_redirects=0",
		NULL,
	};
	static const char *const fwd[] = { "net/ipv4/ip_forward=1", NULL };
	char *add[] = { "ip", "netns", "add", (char *)ns, NULL };

	if (lab_ns_run(NULL, add))
		return -1;
	if (lab_ns_sysctl(ns, base) || ip(ns, "link set lo up"))
		return -1;
	if (!strcmp(ns, lab_ns(LAB_NS_ROUTER)) && lab_ns_sysctl(ns, fwd))
		return -1;
	return 0;
}

/* A veth with one end in each namespace; created inside them, so no
 * interface ever appears in the root namespace, not even briefly. */
static int veth(const char *ns1, const char *dev1, const char *ns2,
		const char *dev2)
{
	char args[128];

	snprintf(args, sizeof(args),
		 "link add %s type veth peer name %s netns %s", dev1, dev2, ns2);
	return ip(ns1, args);
}

static int write_igw(void)
{
	return lab_write_file(
		IGW_NFT,
		"table inet fv_igw {\n}\ndelete table inet fv_igw\n"
		"# The internet gateway: only public-subnet addresses have a public\n"
		"# mapping, so a packet from a private address (a NAT that does not\n"
		"# translate) never reaches the internet. Runs after the ACLs.\n"
		"table inet fv_igw {\n"
		"\tchain forward {\n"
		"\t\ttype filter hook forward priority filter + 10; policy accept;\n"
		"\t\toifname \"ri0\" ip saddr != 10.0.0.0/24 counter drop comment \"no public mapping for the source\"\n"
		"\t\tiifname \"ri0\" ip daddr != 10.0.0.0/24 counter drop comment \"the internet cannot address a private host\"\n"
		"\t}\n"
		"}\n");
}

int lab_net_wire(enum lab_shape shape)
{
	const char *nat_in = shape == LAB_SHAPE_TWO ? "10.0.2.5 dev rt0"
						    : "10.0.0.5 dev rn0";
	char args[128];

	if (veth(lab_ns(LAB_NS_CLIENT), "eth0", lab_ns(LAB_NS_ROUTER), "rp0") ||
	    veth(lab_ns(LAB_NS_NAT), "eth0", lab_ns(LAB_NS_ROUTER), "rn0") ||
	    veth(lab_ns(LAB_NS_SERVER), "eth0", lab_ns(LAB_NS_ROUTER), "ri0") ||
	    (shape == LAB_SHAPE_TWO &&
	     veth(lab_ns(LAB_NS_NAT), "eth1", lab_ns(LAB_NS_ROUTER), "rt0")))
		return -1;

	if (ip(lab_ns(LAB_NS_CLIENT), "addr add 10.0.1.10/24 dev eth0") ||
	    ip(lab_ns(LAB_NS_CLIENT), "link set eth0 up") ||
	    ip(lab_ns(LAB_NS_CLIENT), "route add default via 10.0.1.1 dev eth0"))
		return -1;

	if (ip(lab_ns(LAB_NS_ROUTER), "addr add 10.0.1.1/24 dev rp0") ||
	    ip(lab_ns(LAB_NS_ROUTER), "addr add 10.0.0.1/24 dev rn0") ||
	    ip(lab_ns(LAB_NS_ROUTER), "addr add 198.51.100.1/24 dev ri0") ||
	    ip(lab_ns(LAB_NS_ROUTER), "link set rp0 up") ||
	    ip(lab_ns(LAB_NS_ROUTER), "link set rn0 up") ||
	    ip(lab_ns(LAB_NS_ROUTER), "link set ri0 up"))
		return -1;
	if (shape == LAB_SHAPE_TWO &&
	    (ip(lab_ns(LAB_NS_ROUTER), "addr add 10.0.2.1/24 dev rt0") ||
	     ip(lab_ns(LAB_NS_ROUTER), "link set rt0 up")))
		return -1;
	/* The private subnet's route table: everything else goes to the NAT. */
	snprintf(args, sizeof(args), "route add default via %s table 100",
		 nat_in);
	if (ip(lab_ns(LAB_NS_ROUTER), args) ||
	    ip(lab_ns(LAB_NS_ROUTER), "rule add iif rp0 lookup 100 pref 100"))
		return -1;

	if (ip(lab_ns(LAB_NS_NAT), "addr add 10.0.0.5/24 dev eth0") ||
	    ip(lab_ns(LAB_NS_NAT), "link set eth0 up") ||
	    ip(lab_ns(LAB_NS_NAT), "route add default via 10.0.0.1 dev eth0"))
		return -1;
	if (shape == LAB_SHAPE_TWO &&
	    (ip(lab_ns(LAB_NS_NAT), "addr add 10.0.2.5/24 dev eth1") ||
	     ip(lab_ns(LAB_NS_NAT), "link set eth1 up") ||
	     ip(lab_ns(LAB_NS_NAT),
		"route add 10.0.1.0/24 via 10.0.2.1 dev eth1")))
		return -1;

	if (ip(lab_ns(LAB_NS_SERVER), "addr add " LAB_SERVER_IP "/24 dev eth0") ||
	    ip(lab_ns(LAB_NS_SERVER), "link set eth0 up") ||
	    ip(lab_ns(LAB_NS_SERVER),
	       "route add default via 198.51.100.1 dev eth0"))
		return -1;

	if (write_igw() || lab_ns_nft(lab_ns(LAB_NS_ROUTER), IGW_NFT))
		return -1;
	return 0;
}

static int write_acl(enum lab_shape shape, const struct lab_fault *f)
{
	const struct acl *pub, *priv;
	struct acl_set set;
	FILE *out;
	int err;

	if (lab_acl_load(&set, &pub, &priv))
		return -1;
	out = fopen(ACL_NFT, "we");
	if (!out) {
		fv_err("lab: cannot write %s: %s", ACL_NFT, strerror(errno));
		acl_set_free(&set);
		return -1;
	}
	err = lab_acl_nft(out, pub, priv, shape, f);
	acl_set_free(&set);
	if (fclose(out) || err) {
		fv_err("lab: cannot render the ACL table into %s", ACL_NFT);
		return -1;
	}
	return 0;
}

static int write_nat(const struct lab_fault *f)
{
	return lab_write_file(
		NAT_NFT,
		"table ip fv_nat {\n}\ndelete table ip fv_nat\n"
		"table ip fv_natfw {\n}\ndelete table ip fv_natfw\n"
		"table ip fv_nat {\n"
		"\tchain postrouting {\n"
		"\t\ttype nat hook postrouting priority srcnat; policy accept;\n"
		"%s"
		"\t}\n"
		"}\n"
		"%s",
		f->no_masquerade
			? "\t\t# fault no-masquerade: forwarding without SNAT\n"
		: f->nat_one_port
			? "\t\t# fault nat-port-exhausted: one outside port for every flow\n"
			  "\t\toifname \"eth0\" ip saddr 10.0.1.0/24 ip protocol udp counter masquerade to :40000\n"
			: "\t\toifname \"eth0\" ip saddr 10.0.1.0/24 counter masquerade\n",
		f->nat_drops_replies
			? "# fault nat-firewall-drops-replies: the host firewall drops\n"
			  "# replies after de-NAT, on their way to the client\n"
			  "table ip fv_natfw {\n"
			  "\tchain forward {\n"
			  "\t\ttype filter hook forward priority filter; policy accept;\n"
			  "\t\tudp sport 123 ip daddr 10.0.1.0/24 counter drop\n"
			  "\t}\n"
			  "}\n"
			: "");
}

int lab_net_apply_fault(enum lab_shape shape, const struct lab_fault *f)
{
	const char *fwd[] = {
		f->no_forward ? "net/ipv4/ip_forward=0" : "net/ipv4/ip_forward=1",
		NULL,
	};

	if (write_acl(shape, f) || lab_ns_nft(lab_ns(LAB_NS_ROUTER), ACL_NFT))
		return -1;
	if (write_nat(f) || lab_ns_nft(lab_ns(LAB_NS_NAT), NAT_NFT))
		return -1;
	if (lab_ns_sysctl(lab_ns(LAB_NS_NAT), fwd))
		return -1;
	return lab_ns_ct_flush(lab_ns(LAB_NS_NAT)) ? -1 : 0;
}

bool lab_net_wait_counter(const char *ns, const char *group, const char *field,
			  uint64_t min, unsigned int ms)
{
	uint64_t start, now;
	unsigned int waited;

	if (lab_ns_snmp(ns, group, field, &start))
		return false;
	for (waited = 0; waited <= ms; waited += 100) {
		if (!lab_ns_snmp(ns, group, field, &now) && now - start >= min)
			return true;
		lab_sleep_ms(100);
	}
	return false;
}
