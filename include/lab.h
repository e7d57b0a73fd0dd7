/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef FV_LAB_H
#define FV_LAB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "acl.h"

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

/* The lab's network ACLs are the ACL model of include/acl.h. Built in:
 * the table of DESIGN.md in the text form (docs/acl.md). */
extern const char lab_acl_text[];

/* `lab up --acls FILE` keeps the chosen pair here, in the text form. */
#define LAB_ACL_FILE	LAB_DIR "/acls"

/* Read FILE and pick the public and private ACLs (ids, subnet ids, or NULL
 * for the file's public/private tags); on success *text is the pair in the
 * text form (free it). Errors are printed; returns 0 or -EINVAL. */
int lab_acl_select(const char *path, const char *pub_id, const char *priv_id,
		   char **text);

struct lab_fault;

/* Write an nft script that atomically replaces `table inet fv_acl` in the
 * router namespace: each ACL's entries in rule order, then the default
 * deny, on the router ports facing its subnet for the given shape; less
 * the row fault f removes (NULL: none). Returns 0 or -errno. */
int lab_acl_nft(FILE *out, const struct acl *pub, const struct acl *priv,
		enum lab_shape shape, const struct lab_fault *f);
/* The lab's ACLs: LAB_ACL_FILE when present, else the built-in ones. */
int lab_acl_load(struct acl_set *set, const struct acl **pub,
		 const struct acl **priv);

/* A fault the lab can switch on, and where the verdict should place it. */
struct lab_fault {
	const char *name;
	const char *segment;	/* verdict segment word; "ok" when healthy */
	const char *desc;

	/* How the lab makes it. */
	bool acl_skip;		/* leave one ACL row out: */
	enum acl_subnet skip_subnet;
	enum acl_dir skip_dir;
	uint16_t skip_port;	/* the row whose port range starts here */
	int client_port;	/* client acquisitionport; 0 = random per request */
	bool no_forward;	/* net.ipv4.ip_forward=0 on the NAT */
	bool no_masquerade;
	bool nat_drops_replies;	/* NAT host firewall drops forwarded replies */
	bool server_down;
	bool server_kod;	/* a Kiss-o'-Death server answers instead */
};

/* NULL when there is no fault by that name. */
const struct lab_fault *lab_fault_find(const char *name);
/* The i-th fault ("none" first), NULL past the end:
 *	for (i = 0; (f = lab_fault_at(i)); i++) */
const struct lab_fault *lab_fault_at(size_t i);
size_t lab_fault_count(void);

/* Whether fault f removes entry e of the subnet's ACL. */
bool lab_fault_removes(const struct lab_fault *f, enum acl_subnet subnet,
		       const struct acl_entry *e);

#endif
