// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The flowverify binary: its commands come from one table (user/cmd/cmd.c),
 * and so does the list --help prints. */
#include <stdio.h>
#include <string.h>
#include "cmd.h"
#include "util.h"

static void usage(void)
{
	int i;

	printf("Usage: flowverify COMMAND [OPTIONS]\n"
	       "\n"
	       "Watches NTP through a NAT with eBPF and says where the replies vanish.\n"
	       "\n"
	       "Commands:\n");
	for (i = 0; i < fv_commands_n; i++)
		printf("  %-10s %s\n", fv_commands[i].name, fv_commands[i].help);
	printf("\n"
	       "Options: --help, --version. 'flowverify COMMAND --help' for each command.\n"
	       "\n"
	       "Examples:\n"
	       "  flowverify verify --nat eth0 --duration 10\n"
	       "  flowverify lab up --fault no-public-in-ephemeral\n"
	       "  flowverify verify --nat fv-nat:eth0 --client fv-client:eth0 --duration 3 --json\n");
}

int main(int argc, char **argv)
{
	const char *name = argc > 1 ? argv[1] : NULL;
	const struct fv_command *cmd;

	if (!name) {
		fv_err("no command given; try 'flowverify --help'");
		return FV_EXIT_USAGE;
	}
	cmd = fv_command_find(fv_commands, fv_commands_n, name);
	if (cmd)
		return cmd->run(argc - 1, argv + 1);
	if (!strcmp(name, "--help") || !strcmp(name, "-h") ||
	    !strcmp(name, "help")) {
		usage();
		return FV_EXIT_OK;
	}
	if (!strcmp(name, "--version") || !strcmp(name, "version")) {
		printf("flowverify %s\n", FV_VERSION);
		return FV_EXIT_OK;
	}
	fv_err("unknown command '%s'; try 'flowverify --help'", name);
	return FV_EXIT_USAGE;
}
