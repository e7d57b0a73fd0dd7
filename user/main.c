// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The flowverify binary: its commands come from one table (user/cmd/cmd.c),
 * and so does the list --help prints. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
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

/* Whatever was printed reached stdout, or the run fails with one line:
 * a verdict lost to a full disk must not exit 0. */
static int output_status(int status, bool closed)
{
	int err = fv_flush_stdout();

	if (!err)
		return status;
	err = -err;
	if (closed)
		fv_err("cannot write the output: standard output is closed");
	else
		fv_err("cannot write the output: %s", strerror(err));
	return FV_EXIT_USAGE;
}

int main(int argc, char **argv)
{
	const char *name = argc > 1 ? argv[1] : NULL;
	const struct fv_command *cmd;
	bool closed = false;

	/* A closed stdout: the next open() would take fd 1 and our output
	 * would go into it (a BPF map, a netlink socket). /dev/full holds
	 * the place and makes every write fail, which output_status says. */
	if (fcntl(STDOUT_FILENO, F_GETFD) < 0 && errno == EBADF) {
		int fd = open("/dev/full", O_WRONLY | O_CLOEXEC);

		closed = true;
		if (fd >= 0 && fd != STDOUT_FILENO) {
			dup2(fd, STDOUT_FILENO);
			close(fd);
		}
	}

	if (!name) {
		fv_err("no command given; try 'flowverify --help'");
		return FV_EXIT_USAGE;
	}
	cmd = fv_command_find(fv_commands, fv_commands_n, name);
	if (cmd)
		return output_status(cmd->run(argc - 1, argv + 1), closed);
	if (!strcmp(name, "--help") || !strcmp(name, "-h") ||
	    !strcmp(name, "help")) {
		usage();
		return output_status(FV_EXIT_OK, closed);
	}
	if (!strcmp(name, "--version") || !strcmp(name, "version")) {
		printf("flowverify %s\n", FV_VERSION);
		return output_status(FV_EXIT_OK, closed);
	}
	fv_err("unknown command '%s'; try 'flowverify --help'", name);
	return FV_EXIT_USAGE;
}
