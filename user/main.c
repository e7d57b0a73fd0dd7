// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The flowverify binary: one table of commands, the list printed from it. */
#include <stdio.h>
#include <string.h>
#include "cmd.h"
#include "util.h"

static const struct fv_command commands[] = {
	{ "verify", cmd_verify, "observe for a while, print the verdict, exit (0 ok, 1 fault)" },
	{ "watch", cmd_watch, "live view of the four legs until Ctrl-C" },
	{ "trace", cmd_trace, "one line per NTP exchange: its path, NAT mapping and timing" },
	{ "lab", cmd_lab, "build a NAT lab in network namespaces with real chronyd" },
	{ "rules", cmd_rules, "the network ACL entries NTP through a NAT needs" },
	{ "acl-check", cmd_acl_check, "check an 'aws ec2 describe-network-acls' export leg by leg" },
	{ "agent", cmd_agent, "serve Prometheus metrics and the verify JSON over HTTP until SIGTERM" },
	{ "cleanup", cmd_cleanup, "remove the counters an agent pinned under /sys/fs/bpf" },
};

static void usage(void)
{
	size_t i;

	printf("Usage: flowverify COMMAND [OPTIONS]\n"
	       "\n"
	       "Watches NTP through a NAT with eBPF and says where the replies vanish.\n"
	       "\n"
	       "Commands:\n");
	for (i = 0; i < ARRAY_SIZE(commands); i++)
		printf("  %-10s %s\n", commands[i].name, commands[i].help);
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
	cmd = fv_command_find(commands, ARRAY_SIZE(commands), name);
	if (cmd)
		return cmd->run(argc - 1, argv + 1);
	if (!strcmp(name, "--help") || !strcmp(name, "-h") || !strcmp(name, "help")) {
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
