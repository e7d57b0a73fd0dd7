/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef FV_LAB_H
#define FV_LAB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* `flowverify lab ...`; argv[0] is "lab". Returns an exit status. */
int lab_main(int argc, char **argv);

/* Namespaces the lab makes; nothing else is ever touched. */
#define LAB_NS_CLIENT	"fv-client"
#define LAB_NS_ROUTER	"fv-router"
#define LAB_NS_NAT	"fv-nat"
#define LAB_NS_SERVER	"fv-server"

/* Where the lab keeps its configs, pidfiles, sockets and state. */
#define LAB_RUN_DIR	"/run/flowverify"
#define LAB_DIR		LAB_RUN_DIR "/lab"

enum lab_shape {
	LAB_SHAPE_ONE = 1,	/* NAT instance with one interface (AWS) */
	LAB_SHAPE_TWO = 2,	/* Linux router NAT: outside eth0, inside eth1 */
};

enum lab_subnet {
	LAB_PUBLIC,
	LAB_PRIVATE,
};

enum lab_dir {
	LAB_INBOUND,		/* into the subnet: matched on source cidr */
	LAB_OUTBOUND,		/* out of the subnet: matched on destination cidr */
};

/* One network ACL entry, as AWS has it. */
struct lab_acl_entry {
	enum lab_subnet subnet;
	enum lab_dir dir;
	uint16_t rule;		/* evaluated lowest first, first match wins */
	int proto;		/* IP protocol number, -1 for all */
	uint16_t port_from;	/* destination port range (TCP/UDP only) */
	uint16_t port_to;
	const char *cidr;	/* the peer: "a.b.c.d/len" */
	bool allow;		/* else deny */
};

/* The six rows NTP through a NAT needs (DESIGN.md). */
extern const struct lab_acl_entry lab_acl_ntp[];
extern const size_t lab_acl_ntp_len;

/* Write an nft script that atomically replaces `table inet fv_acl` in the
 * router namespace with the given entries (any order). Entries of a subnet
 * are enforced on the router ports facing it for the given shape. Returns 0
 * or -EINVAL (bad cidr, port range, duplicate rule number). */
int lab_acl_nft(FILE *out, const struct lab_acl_entry *acl, size_t n,
		enum lab_shape shape);

/* A fault the lab can switch on, and where the verdict should place it. */
struct lab_fault {
	const char *name;
	const char *segment;	/* verdict segment word; "ok" when healthy */
	const char *desc;

	/* How the lab makes it. */
	bool acl_skip;		/* leave one ACL row out: */
	enum lab_subnet skip_subnet;
	enum lab_dir skip_dir;
	uint16_t skip_port;	/* the row whose port range starts here */
	int client_port;	/* client acquisitionport; 0 = random per request */
	bool no_forward;	/* net.ipv4.ip_forward=0 on the NAT */
	bool no_masquerade;
	bool nat_drops_replies;	/* NAT host firewall drops forwarded replies */
	bool server_down;
};

/* NULL when there is no fault by that name. */
const struct lab_fault *lab_fault_find(const char *name);
/* The i-th fault ("none" first), NULL past the end:
 *	for (i = 0; (f = lab_fault_at(i)); i++) */
const struct lab_fault *lab_fault_at(size_t i);
size_t lab_fault_count(void);

/* Copy acl into out (room for n entries) leaving out the row the fault
 * removes. Returns the number of entries written. */
size_t lab_acl_apply_fault(const struct lab_fault *f,
			   const struct lab_acl_entry *acl, size_t n,
			   struct lab_acl_entry *out);

#endif
