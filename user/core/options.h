/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The options every observing command shares (verify, watch, trace and
 * the agent): where to watch, which port, how to hook ingress, and the
 * ACLs to explain a verdict with. One parser, so the commands cannot
 * drift apart in what they accept or how they refuse it. */
#ifndef FV_OPTIONS_H
#define FV_OPTIONS_H

#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>
#include "point.h"

enum {
	FV_OPT_NAT = 256,
	FV_OPT_CLIENT,
	FV_OPT_PORT,
	FV_OPT_INGRESS,
	FV_OPT_ACLS,
	FV_OPT_ACL_PUBLIC,
	FV_OPT_ACL_PRIVATE,
	FV_OPT_XDP_RESET_OK,
	FV_OPT_OWN, /* a command's own options start here */
};

/* Where and how to watch. */
#define FV_OBSERVE_POINT_OPTS                                           \
	{ "nat", required_argument, NULL, FV_OPT_NAT },                 \
		{ "client", required_argument, NULL, FV_OPT_CLIENT },   \
		{ "port", required_argument, NULL, FV_OPT_PORT },       \
		{ "ingress", required_argument, NULL, FV_OPT_INGRESS }, \
	{                                                               \
		"xdp-reset-ok", no_argument, NULL, FV_OPT_XDP_RESET_OK  \
	}
/* The ACLs that explain a verdict (not trace's: it gives none). */
#define FV_OBSERVE_ACL_OPTS                                               \
	{ "acls", required_argument, NULL, FV_OPT_ACLS },                 \
		{ "public", required_argument, NULL, FV_OPT_ACL_PUBLIC }, \
	{                                                                 \
		"private", required_argument, NULL, FV_OPT_ACL_PRIVATE    \
	}
#define FV_OBSERVE_LONG_OPTS FV_OBSERVE_POINT_OPTS, FV_OBSERVE_ACL_OPTS

struct fv_observe_args {
	struct fv_points points;
	uint16_t port;		 /* host order */
	enum fv_ingress ingress; /* --ingress: tc unless asked */
	bool xdp_reset_ok;	 /* --xdp-reset-ok, with --ingress xdp only */
	const char *acls, *acl_public, *acl_private; /* --acls FILE ... */
	uint64_t seen; /* value options given, for fv_opt_once() */
};

void fv_observe_args_init(struct fv_observe_args *a);

/* Take one option getopt_long() returned: 0 taken, 1 not a shared option
 * (the command's own, or unknown), -EINVAL refused with one line on
 * stderr. Any value option given twice is refused here too. */
int fv_observe_option(struct fv_observe_args *a, const struct option *opts,
		      int opt, const char *arg);

/* After the last option. need_nat: the NAT point is required (verify,
 * watch, trace) rather than any point (the agent). 0 or -EINVAL, said. */
int fv_observe_finish(struct fv_observe_args *a, bool need_nat);

/* --port N: 0, or -EINVAL having said "bad --NAME". */
int fv_parse_port_option(const char *name, const char *arg, uint16_t *port);

/* The default case of every command's option loop. */
void fv_unknown_option(int argc, char **argv, const char *command);

/* What ends every command's option switch: -v/--verbose, -h/--help and
 * anything else. 0 after -v, 1 when usage was printed, -EINVAL refused
 * (said, through fv_unknown_option). */
int fv_opt_common(int opt, int argc, char **argv, const char *command,
		  const char *usage);

/* After the loop: an operand left over is refused (-EINVAL, said). */
int fv_extra_argument(int argc, char **argv, const char *command);

#endif
