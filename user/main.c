// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdio.h>
#include <string.h>
#include "acl.h"
#include "agent.h"
#include "cli.h"
#include "lab.h"
#include "util.h"

static const char usage[] =
"Usage: flowverify COMMAND [OPTIONS]\n"
"\n"
"Watches NTP through a NAT with eBPF and says where the replies vanish.\n"
"\n"
"Commands:\n"
"  verify   observe for a while, print the verdict, exit (0 ok, 1 fault)\n"
"  watch    live view of the four legs until Ctrl-C\n"
"  trace    one line per NTP exchange: its path, NAT mapping and timing\n"
"  lab      build a NAT lab in network namespaces with real chronyd\n"
"  rules    the network ACL entries NTP through a NAT needs\n"
"  acl-check  check an 'aws ec2 describe-network-acls' export leg by leg\n"
"  agent    serve Prometheus metrics and the verify JSON over HTTP until SIGTERM\n"
"  cleanup  remove the counters an agent pinned under /sys/fs/bpf\n"
"\n"
"Options: --help, --version. 'flowverify COMMAND --help' for each command.\n"
"\n"
"Examples:\n"
"  flowverify verify --nat eth0 --duration 10\n"
"  flowverify lab up --fault no-public-in-ephemeral\n"
"  flowverify verify --nat fv-nat:eth0 --client fv-client:eth0 --duration 3 --json\n";

int main(int argc, char **argv)
{
	const char *cmd = argc > 1 ? argv[1] : NULL;

	if (!cmd) {
		fv_err("no command given; try 'flowverify --help'");
		return FV_EXIT_USAGE;
	}
	if (!strcmp(cmd, "verify"))
		return cmd_verify(argc - 1, argv + 1);
	if (!strcmp(cmd, "watch"))
		return cmd_watch(argc - 1, argv + 1);
	if (!strcmp(cmd, "trace"))
		return cmd_trace(argc - 1, argv + 1);
	if (!strcmp(cmd, "lab"))
		return lab_main(argc - 1, argv + 1);
	if (!strcmp(cmd, "rules"))
		return cmd_rules(argc - 1, argv + 1);
	if (!strcmp(cmd, "acl-check"))
		return cmd_acl_check(argc - 1, argv + 1);
	if (!strcmp(cmd, "agent"))
		return cmd_agent(argc - 1, argv + 1);
	if (!strcmp(cmd, "cleanup"))
		return cmd_cleanup(argc - 1, argv + 1);
	if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h") || !strcmp(cmd, "help")) {
		fputs(usage, stdout);
		return FV_EXIT_OK;
	}
	if (!strcmp(cmd, "--version") || !strcmp(cmd, "version")) {
		printf("flowverify %s\n", FV_VERSION);
		return FV_EXIT_OK;
	}
	fv_err("unknown command '%s'; try 'flowverify --help'", cmd);
	return FV_EXIT_USAGE;
}
