/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The commands of the flowverify binary, one table in user/main.c. Each
 * takes argv with argv[0] the command's name and returns an exit status
 * (FV_EXIT_*, util.h). */
#ifndef FV_CMD_H
#define FV_CMD_H

#include <getopt.h>

struct fv_command {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *help;	   /* one line for the command list */
	const struct option *opts; /* every option it takes, for the
					 * test that its --help names each */
};

/* The binary's commands, in the order `flowverify --help` lists them. */
extern const struct fv_command fv_commands[];
extern const int fv_commands_n;

/* Find name in table[0..n); NULL when it is not there. */
const struct fv_command *fv_command_find(const struct fv_command *table, int n,
					 const char *name);

int cmd_verify(int argc, char **argv); /* user/cmd/observe.c */
int cmd_watch(int argc, char **argv);
int cmd_trace(int argc, char **argv);
int cmd_rules(int argc, char **argv); /* user/cmd/rules.c */
int cmd_acl_check(int argc, char **argv);
int cmd_cleanup(int argc, char **argv); /* user/cmd/cleanup.c */
int cmd_doctor(int argc, char **argv);	/* user/cmd/doctor.c */
int cmd_agent(int argc, char **argv);	/* user/agent/agent.c */
int cmd_lab(int argc, char **argv);	/* user/lab/lab.c */

/* Their option tables (getopt_long), beside each command. */
extern const struct option fv_verify_options[], fv_watch_options[],
	fv_trace_options[], fv_rules_options[], fv_acl_check_options[],
	fv_cleanup_options[], fv_agent_options[], fv_lab_options[],
	fv_doctor_options[];
/* verify --agent URL: joins agents instead (user/agent/remote.c). */
extern const struct option fv_remote_options[];

#endif
