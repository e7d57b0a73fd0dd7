/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef FV_LAB_H
#define FV_LAB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "acl.h"
#include "cmd.h"

/* Every lab has an instance name: the default lab ("") makes fv-client,
 * fv-router, fv-nat and fv-server and keeps its files in LAB_RUN_DIR/lab;
 * instance NAME makes fv-NAME-client, ... and keeps LAB_RUN_DIR/lab-NAME,
 * so labs (a user's and the tests') live side by side. Nothing outside
 * an instance's own names is ever touched. */
#define LAB_RUN_DIR	 "/run/flowverify"
#define LAB_INSTANCE_MAX 12

enum lab_ns {
	LAB_NS_CLIENT,
	LAB_NS_ROUTER,
	LAB_NS_NAT,
	LAB_NS_SERVER,
	LAB_NS_COUNT, /* in creation order; teardown goes back */
};

/* The current instance's names and files, set by lab_set_instance(). */
struct lab_names {
	char instance[LAB_INSTANCE_MAX + 1];
	char ns[LAB_NS_COUNT][32];
	char dir[64];	   /* configs, pidfiles, state (0700) */
	char sock_dir[80]; /* chronyd command sockets (0700) */
	char state[80], state_tmp[80];
	char cmd_out[80];
	char acl_file[80]; /* `lab up --acls`: the chosen pair, text form */
	char acl_nft[80], igw_nft[80], nat_nft[80]; /* fed to nft */
};
extern struct lab_names lab_names;

/* `lab COMMAND`'s commands, each with its options (user/lab/lab.c). */
extern const struct fv_command *const fv_lab_commands;
extern const int fv_lab_commands_n;

/* Select instance name ("" or NULL: the default lab). Letters and digits,
 * at most LAB_INSTANCE_MAX; returns 0 or -EINVAL. */
int lab_set_instance(const char *name);
/* The namespace of role ns in the current instance. */
static inline const char *lab_ns(enum lab_ns ns)
{
	return lab_names.ns[ns];
}

enum lab_shape {
	LAB_SHAPE_ONE = 1, /* NAT instance with one interface (AWS) */
	LAB_SHAPE_TWO = 2, /* Linux router NAT: outside eth0, inside eth1 */
};

/* The lab's network ACLs are the ACL model of user/acl/acl.h. Built in:
 * the required table (`flowverify rules`) in the text form (docs/acl.md). */
extern const char lab_acl_text[];

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
/* The lab's ACLs: lab_names.acl_file when present, else the built-in ones. */
int lab_acl_load(struct acl_set *set, const struct acl **pub,
		 const struct acl **priv);

/* A fault the lab can switch on, and where the verdict should place it. */
struct lab_fault {
	const char *name;
	const char *segment; /* verdict segment word; "ok" when healthy */
	const char *desc;

	/* How the lab makes it. */
	bool acl_skip; /* leave one ACL row out: */
	enum acl_subnet skip_subnet;
	enum acl_dir skip_dir;
	uint16_t skip_port; /* the row whose port range starts here */
	int client_port;    /* client acquisitionport; 0 = random per request */
	bool no_forward;    /* net.ipv4.ip_forward=0 on the NAT */
	bool no_masquerade;
	bool nat_drops_replies; /* NAT host firewall drops forwarded replies */
	bool nat_one_port;	/* masquerade to one port: conntrack drops */
	bool server_down;
	bool server_kod; /* a Kiss-o'-Death server answers instead */
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
