// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "flowverify.h"
#include "options.h"
#include "util.h"

void fv_observe_args_init(struct fv_observe_args *a)
{
	memset(a, 0, sizeof(*a));
	a->port = FV_NTP_PORT_DEFAULT;
}

int fv_parse_port_option(const char *name, const char *arg, uint16_t *port)
{
	uint64_t v;

	if (fv_parse_u64(arg, 1, 65535, &v)) {
		fv_err("bad --%s '%s': expected 1-65535", name, arg);
		return -EINVAL;
	}
	*port = v;
	return 0;
}

int fv_observe_option(struct fv_observe_args *a, const struct option *opts,
		      int opt, const char *arg)
{
	char err[256];
	int ret;

	/* --client may repeat (one per client host); --nat says why not. */
	if (opt != FV_OPT_NAT && opt != FV_OPT_CLIENT &&
	    fv_opt_once(opts, opt, &a->seen))
		return -EINVAL;
	switch (opt) {
	case FV_OPT_NAT:
	case FV_OPT_CLIENT:
		ret = fv_points_add(&a->points,
				    opt == FV_OPT_NAT ? FV_ROLE_NAT
						      : FV_ROLE_CLIENT,
				    arg, err, sizeof(err));
		if (ret)
			fv_err("%s", err);
		return ret;
	case FV_OPT_PORT: return fv_parse_port_option("port", arg, &a->port);
	case FV_OPT_INGRESS:
		if (fv_ingress_parse(arg, &a->ingress)) {
			fv_err("bad --ingress '%s': expected tc, xdp (native only) or xdp-generic",
			       arg);
			return -EINVAL;
		}
		return 0;
	case FV_OPT_XDP_RESET_OK: a->xdp_reset_ok = true; return 0;
	case FV_OPT_ACLS: a->acls = arg; return 0;
	case FV_OPT_ACL_PUBLIC: a->acl_public = arg; return 0;
	case FV_OPT_ACL_PRIVATE: a->acl_private = arg; return 0;
	}
	return 1;
}

int fv_observe_finish(struct fv_observe_args *a, bool need_nat)
{
	char err[256];

	if (need_nat && !a->points.have_nat) {
		fv_err("no NAT point given: use --nat [NETNS:]IFACE");
		return -EINVAL;
	}
	if (!a->points.n) {
		fv_err("no point given: use --nat [NETNS:]IFACE (or --client on a client host)");
		return -EINVAL;
	}
	if (a->xdp_reset_ok && a->ingress != FV_INGRESS_XDP) {
		fv_err("--xdp-reset-ok applies to --ingress xdp only: give --ingress xdp too, or leave it out");
		return -EINVAL;
	}
	if (fv_points_finish(&a->points, a->ingress, a->xdp_reset_ok, err,
			     sizeof(err))) {
		fv_err("%s", err);
		return -EINVAL;
	}
	if (!a->acls && (a->acl_public || a->acl_private)) {
		fv_err("--public and --private name ACLs of --acls FILE; give --acls too");
		return -EINVAL;
	}
	return 0;
}

void fv_unknown_option(int argc, char **argv, const char *command)
{
	/* getopt_long leaves optind past the word it stopped on, and optopt
	 * set to the option's value when it was known (0 for an unknown long
	 * option): a known one failed on its value. */
	const char *word = optind > 0 && optind <= argc ? argv[optind - 1] : NULL;

	if (word && !strncmp(word, "--", 2) && optopt) {
		if (strchr(word, '='))
			fv_err("option '%.*s' takes no value; see 'flowverify %s --help'",
			       (int)(strchr(word, '=') - word), word, command);
		else
			fv_err("option '%s' needs a value; see 'flowverify %s --help'",
			       word, command);
	} else if (word && !strncmp(word, "--", 2)) {
		fv_err("unknown option '%s'; see 'flowverify %s --help'", word,
		       command);
	} else if (optopt > 0 && optopt < 0x7f) {
		fv_err("unknown option '-%c'; see 'flowverify %s --help'",
		       optopt, command);
	} else {
		fv_err("unknown option; see 'flowverify %s --help'", command);
	}
}

int fv_opt_common(int opt, int argc, char **argv, const char *command,
		  const char *usage)
{
	switch (opt) {
	case 'v': fv_verbose = true; return 0;
	case 'h': fputs(usage, stdout); return 1;
	default: fv_unknown_option(argc, argv, command); return -EINVAL;
	}
}

int fv_extra_argument(int argc, char **argv, const char *command)
{
	if (optind >= argc)
		return 0;
	fv_err("unexpected argument '%s'; see 'flowverify %s --help'",
	       argv[optind], command);
	return -EINVAL;
}
