/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The commands of the flowverify binary, one table in user/main.c. Each
 * takes argv with argv[0] the command's name and returns an exit status
 * (FV_EXIT_*, util.h). */
#ifndef FV_CMD_H
#define FV_CMD_H

struct fv_command {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *help;	/* one line for the command list */
};

/* Find name in table[0..n); NULL when it is not there. */
const struct fv_command *fv_command_find(const struct fv_command *table,
					 int n, const char *name);

int cmd_verify(int argc, char **argv);	/* user/cmd/observe.c */
int cmd_watch(int argc, char **argv);
int cmd_trace(int argc, char **argv);
int cmd_rules(int argc, char **argv);	/* user/cmd/rules.c */
int cmd_acl_check(int argc, char **argv);
int cmd_cleanup(int argc, char **argv);	/* user/cmd/cleanup.c */
int cmd_agent(int argc, char **argv);	/* user/agent/agent.c */
int cmd_lab(int argc, char **argv);	/* user/lab/lab.c */

#endif
