// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* flowverify cleanup: remove what agents pinned (their programs are held
 * by links the process owns, so nothing else outlives an agent), and with
 * --filters the tc filters a killed run left on a kernel without tcx. */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "cleanup.h"
#include "cmd.h"
#include "options.h"
#include "pin.h"
#include "util.h"

static const char usage[] =
	"Usage: flowverify cleanup [--instance NAME | --all] [--filters]\n"
	"\n"
	"Remove the pinned counters of a stopped agent (" FV_PIN_ROOT "/NAME,\n"
	"default '" FV_INSTANCE_DEFAULT
	"'), or of every agent with --all. Refuses pins that\n"
	"are not a flowverify agent's and those of an agent still running.\n"
	"\n"
	"--filters removes instead flowverify's tc filters (fv_tc_*) that a run\n"
	"killed with -9 left in clsact qdiscs, in this namespace and every named one\n"
	"(/run/netns): only kernels without tcx (before 6.6) use such filters.\n"
	"Filters of a run still going, and everyone else's, are left alone; the\n"
	"qdiscs are never removed. Needs tc (iproute2). With --instance or --all,\n"
	"pins are removed too.\n"
	"\n"
	"Exit status: 0 removed or nothing to remove, 2 refused or bad input.\n";

const struct option fv_cleanup_options[] = {
	{ "instance", required_argument, NULL, 'i' },
	{ "all", no_argument, NULL, 'a' },
	{ "filters", no_argument, NULL, 'f' },
	{ "help", no_argument, NULL, 'h' },
	{},
};

static int remove_one(const char *dir, int *removed)
{
	char err[512];
	int ret = fv_pin_remove(dir, stdout, err, sizeof(err));

	if (ret == -ENOENT)
		return 0;
	if (ret) {
		fv_err("%s", err);
		return ret;
	}
	(*removed)++;
	return 0;
}

int cmd_cleanup(int argc, char **argv)
{
	const char *instance = FV_INSTANCE_DEFAULT;
	char dir[256];
	bool all = false, named = false, filters = false;
	int opt, ret, removed = 0, failed = 0;
	uint64_t seen = 0;

	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "+h", fv_cleanup_options, NULL)) !=
	       -1) {
		if (fv_opt_once(fv_cleanup_options, opt, &seen))
			return FV_EXIT_USAGE;
		switch (opt) {
		case 'i':
			instance = optarg;
			named = true;
			break;
		case 'a': all = true; break;
		case 'f': filters = true; break;
		default:
			ret = fv_opt_common(opt, argc, argv, "cleanup", usage);
			if (ret)
				return ret > 0 ? FV_EXIT_OK : FV_EXIT_USAGE;
		}
	}
	if (fv_extra_argument(argc, argv, "cleanup"))
		return FV_EXIT_USAGE;
	if (all && named) {
		fv_err("--all or --instance, not both; see 'flowverify cleanup --help'");
		return FV_EXIT_USAGE;
	}
	/* Checked before anything is removed: bad input costs nothing. */
	if (!all && fv_pin_dir(instance, dir, sizeof(dir))) {
		fv_err("bad --instance '%s': letters, digits, '-' and '_', at most %d",
		       instance, FV_INSTANCE_MAX);
		return FV_EXIT_USAGE;
	}
	if (filters) {
		struct fv_filter_tally t;

		fv_cleanup_filters(&t);
		removed += t.removed;
		failed += t.failed + t.no_tc;
		if (!named && !all) {
			if (!removed && !failed)
				printf("nothing to remove\n");
			return failed ? FV_EXIT_USAGE : FV_EXIT_OK;
		}
	}
	if (all) {
		struct dirent *de;
		DIR *d = opendir(FV_PIN_ROOT);

		while (d && (de = readdir(d))) {
			if (de->d_name[0] == '.')
				continue;
			if (fv_pin_dir(de->d_name, dir, sizeof(dir))) {
				fv_err("%s/%s is not an agent's instance; not touching it",
				       FV_PIN_ROOT, de->d_name);
				failed++;
				continue;
			}
			failed += remove_one(dir, &removed) != 0;
		}
		if (d)
			closedir(d);
	} else {
		failed += remove_one(dir, &removed) != 0;
	}
	/* The parent goes when it is empty (rmdir refuses otherwise). */
	if (!rmdir(FV_PIN_ROOT))
		printf("removed " FV_PIN_ROOT "/\n");
	if (!removed && !failed)
		printf("nothing to remove\n");
	return failed ? FV_EXIT_USAGE : FV_EXIT_OK;
}
