/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* AWS network ACLs as data: one model that prints the rules NTP through a
 * NAT needs, checks an export statically, explains a live verdict to the
 * rule and builds the lab's emulated ACLs. See docs/acl.md. */
#ifndef FV_ACL_H
#define FV_ACL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/socket.h> /* AF_INET, AF_INET6 */
#include <jansson.h>

#define ACL_RULE_MAX	    32766 /* highest rule number a user may set */
#define ACL_RULE_DEFAULT    32767 /* how AWS exports the final `*` deny */
#define ACL_RULE_DEFAULT_V6 32768 /* ... and its IPv6 twin */
#define ACL_PROTO_ALL	    (-1)
#define ACL_PROTO_TCP	    6
#define ACL_PROTO_UDP	    17
#define ACL_ID_LEN	    64
#define ACL_MAX_SUBNETS	    16

enum acl_subnet {
	ACL_PUBLIC,
	ACL_PRIVATE,
};

enum acl_dir {
	ACL_INBOUND,  /* into the subnet: the peer is the source */
	ACL_OUTBOUND, /* out of the subnet: the peer is the destination */
};

/* An address block; an address alone is a block of length 32 (128). */
struct acl_cidr {
	int family;	  /* AF_INET or AF_INET6 */
	uint8_t addr[16]; /* IPv4 in the first four bytes */
	uint8_t len;
};

struct acl_entry {
	enum acl_dir dir;
	uint16_t rule;	    /* 1..32766, evaluated lowest first */
	int proto;	    /* IP protocol number, ACL_PROTO_ALL for all */
	uint16_t port_from; /* destination port; TCP and UDP only */
	uint16_t port_to;
	struct acl_cidr cidr; /* the peer */
	bool allow;	      /* else deny */
};

/* One network ACL: entries sorted by direction, then rule number. */
struct acl {
	char id[ACL_ID_LEN];
	char subnets[ACL_MAX_SUBNETS][ACL_ID_LEN]; /* associations */
	int n_subnets;
	int role; /* text form's public/private tag, -1 none */
	struct acl_entry *entries;
	size_t n;
};

struct acl_set {
	struct acl *acls;
	size_t n;
};

/* ---- values ---- */

/* Strict: "a.b.c.d/len" or IPv6 "x::/len", no host bits set (as AWS
 * insists); with allow_host, a bare address is a /32 or /128. */
int acl_cidr_parse(const char *s, bool allow_host, struct acl_cidr *c);
void acl_cidr_format(const struct acl_cidr *c, char *buf, size_t len);
/* From a 16-byte address as flowverify records it (IPv4 mapped). */
void acl_cidr_from_addr(const uint8_t addr[16], struct acl_cidr *c);
bool acl_cidr_contains(const struct acl_cidr *outer,
		       const struct acl_cidr *inner);
/* "udp", "tcp", "icmp", "icmpv6", "all", or a number 0-255, -1. */
int acl_proto_parse(const char *s, int *proto);
const char *acl_proto_name(int proto, char *buf, size_t len);
/* "N" or "N-M", 0-65535, N <= M. */
int acl_ports_parse(const char *s, uint16_t *from, uint16_t *to);
void acl_ports_format(uint16_t from, uint16_t to, char *buf, size_t len);
const char *acl_subnet_name(enum acl_subnet s);
const char *acl_dir_name(enum acl_dir d);
/* "UDP 1024-65535 from 0.0.0.0/0" (inbound) or "... to ..." (outbound). */
void acl_entry_describe(const struct acl_entry *e, char *buf, size_t len);

/* ---- input ---- */

/* Read an `aws ec2 describe-network-acls` JSON export or the text form
 * (docs/acl.md), told apart by the first character. On error, err holds
 * one line naming the file, the entry and the field; returns -EINVAL
 * (or -errno when the file cannot be read). */
int acl_load_file(const char *path, struct acl_set *set, char *err,
		  size_t errlen);
int acl_load_text(const char *name, const char *text, struct acl_set *set,
		  char *err, size_t errlen);
int acl_load_json(const char *name, const char *text, struct acl_set *set,
		  char *err, size_t errlen);
void acl_set_free(struct acl_set *set);
/* By NetworkAclId, by an associated subnet id, or by the text form's
 * public/private tag. NULL when none (or the tag is ambiguous). */
const struct acl *acl_set_find(const struct acl_set *set, const char *id);
const struct acl *acl_set_role(const struct acl_set *set, enum acl_subnet role);
/* The text form of one ACL, tagged with its role: parseable again. */
void acl_write_text(FILE *out, const struct acl *a, int role);

/* Add an entry, keeping order; -EEXIST for a duplicate rule number. */
int acl_add(struct acl *a, const struct acl_entry *e);
void acl_free(struct acl *a);

/* ---- evaluation ---- */

/* What an ACL does to a class of packets: one protocol, the peer (a block:
 * every address of it), destination ports [port_from, port_to]. The class
 * is allowed only when every packet of it is. */
struct acl_result {
	bool allowed;
	const struct acl_entry *entry; /* the deciding entry; NULL = `*` */
	uint16_t port;		       /* the first port denied (or decided) */
	bool partial;		       /* entry covers part of the peer block */
	const struct acl_entry *nearest; /* an allow that almost matched */
};

void acl_eval(const struct acl *a, enum acl_dir dir, int proto,
	      const struct acl_cidr *peer, uint16_t port_from, uint16_t port_to,
	      struct acl_result *r);

/* ---- NTP through a NAT ---- */

/* What a topology looks like; defaults are the lab's. */
struct acl_params {
	struct acl_cidr vpc;		 /* 10.0.0.0/16 */
	struct acl_cidr clients;	 /* the private subnet; default = vpc */
	struct acl_cidr servers;	 /* the NTP servers; 0.0.0.0/0 */
	uint16_t server_port;		 /* 123 */
	uint16_t client_from, client_to; /* 1123; ephemeral 1024-65535 */
	uint16_t nat_from, nat_to; /* the NAT's outside ports, 1024-65535 */
};

void acl_params_default(struct acl_params *p);
/* Linux masquerade keeps a free source port, else picks one in the class
 * of the original port (nf_nat_l4proto_unique_tuple): 1-511, 600-1023 or
 * 1024-65535. The range a NAT with these clients may use. */
void acl_params_masquerade(struct acl_params *p);

/* The entries a working path needs: public and private ACL. */
int acl_required(const struct acl_params *p, struct acl *pub, struct acl *priv);

/* One subnet boundary a leg crosses, evaluated. */
struct acl_crossing {
	enum acl_subnet subnet;
	enum acl_dir dir;
	const struct acl *acl;
	struct acl_cidr peer;
	uint16_t port_from, port_to;
	struct acl_result res;
};

struct acl_leg {
	int leg; /* 1..4 */
	int n;
	struct acl_crossing x[2];
	int blocking; /* index into x, -1 when allowed */
};

/* Static: every leg for every client and server the params describe. */
void acl_check_legs(const struct acl *pub, const struct acl *priv,
		    const struct acl_params *p, struct acl_leg legs[4]);
/* One crossing of one leg with the observed addresses and ports. */
void acl_leg_eval(const struct acl *pub, const struct acl *priv, int leg,
		  const struct acl_cidr *client, uint16_t client_port,
		  const struct acl_cidr *server, uint16_t server_port,
		  uint16_t nat_port, struct acl_leg *out);
/* A sentence: "public inbound (acl-1) has no rule for UDP 123 from
 * 0.0.0.0/0: default deny (*); nearest: rule 110 allows UDP 1024-65535
 * from 0.0.0.0/0, the reply goes to port 123". */
void acl_crossing_sentence(const struct acl_crossing *c, char *buf, size_t len);
/* {"subnet", "direction", "acl", "rule": N or "*", "entry", "nearest"}. */
json_t *acl_crossing_json(const struct acl_crossing *c);

/* ---- live verdicts ---- */

struct fv_report;

/* What `verify --acls` and `watch --acls` carry. */
struct acl_live {
	struct acl_set set;
	const struct acl *pub, *priv;
};

/* Load path and pick the subnets' ACLs (NetworkAclId, an associated
 * SubnetId, or NULL for the text form's public/private tags). Prints one
 * line and returns -EINVAL on bad input. */
int acl_live_load(struct acl_live *l, const char *path, const char *pub_id,
		  const char *priv_id);

/* One row of the required table (`flowverify rules`) that could cause a segment. */
struct acl_suspect {
	int leg;
	enum acl_subnet subnet;
	struct acl_entry entry;
	bool admits;   /* admits what was observed */
	uint16_t port; /* the observed destination port */
};

/* What verify and watch know of the network beyond what they saw: the
 * options --vpc and --client-port, and the NAT's connected subnets (the
 * default VPC). Without them the rows name only observed values. */
struct fv_netif;
struct acl_hint {
	bool vpc_given;
	struct acl_cidr vpc;
	bool port_given;
	uint16_t client_from, client_to;
	const struct fv_netif *nat_ifs;
	int n_nat_ifs;
};

struct acl_blocking {
	/* The VPC the rows name, and where it came from: "--vpc", "the
	 * NAT's connected subnet", or "the observed client". */
	struct acl_cidr vpc;
	const char *vpc_from;
	bool with_acls; /* the ACLs were given */
	bool have;	/* an entry denies the lost leg */
	int leg;
	struct acl_crossing x;
	char sentence[1024];
	int n_checked; /* crossings evaluated (with ACLs) */
	struct acl_crossing checked[3];
	int checked_leg[3];
	int n_suspects; /* without ACLs */
	struct acl_suspect suspects[3];
};

/* Explain the report's fault segment with the addresses and ports it
 * observed: by the entry that denies it (live != NULL), else by the rows of
 * the required table that could cause it. */
void acl_explain(const struct fv_report *r, const struct acl_live *live,
		 struct acl_blocking *b);
/* The same, the rows built from hint (NULL: observed values only). */
void acl_explain_with(const struct fv_report *r, const struct acl_live *live,
		      const struct acl_hint *hint, struct acl_blocking *b);
/* Adds "blocking" (object or null) and, without ACLs, "acl_rows". */
void acl_blocking_json_add(json_t *root, const struct acl_blocking *b);
void acl_blocking_text(FILE *out, const struct acl_blocking *b);

#endif
