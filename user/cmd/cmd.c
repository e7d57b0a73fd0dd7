// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <string.h>
#include "cmd.h"
#include "util.h"

const struct fv_command fv_commands[] = {
	{ "verify", cmd_verify,
	  "observe for a while, print the verdict, exit (0 ok, 1 fault, 3 cut short)",
	  fv_verify_options },
	{ "watch", cmd_watch, "live view of the four legs until Ctrl-C",
	  fv_watch_options },
	{ "trace", cmd_trace,
	  "one line per NTP exchange: its path, NAT mapping and timing",
	  fv_trace_options },
	{ "doctor", cmd_doctor,
	  "check the NAT host's forwarding, rp_filter, masquerade, conntrack and NIC",
	  fv_doctor_options },
	{ "lab", cmd_lab,
	  "build a NAT lab in network namespaces with real chronyd",
	  fv_lab_options },
	{ "rules", cmd_rules, "the network ACL entries NTP through a NAT needs",
	  fv_rules_options },
	{ "acl-check", cmd_acl_check,
	  "check an 'aws ec2 describe-network-acls' export leg by leg",
	  fv_acl_check_options },
	{ "agent", cmd_agent,
	  "serve Prometheus metrics and the verify JSON over HTTP until SIGTERM",
	  fv_agent_options },
	{ "cleanup", cmd_cleanup,
	  "remove the counters an agent pinned under /sys/fs/bpf; --filters: the tc filters a killed run left",
	  fv_cleanup_options },
};
const int fv_commands_n = (int)ARRAY_SIZE(fv_commands);

const struct fv_command *fv_command_find(const struct fv_command *table, int n,
					 const char *name)
{
	int i;

	for (i = 0; i < n; i++)
		if (!strcmp(table[i].name, name))
			return &table[i];
	return NULL;
}
