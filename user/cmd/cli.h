/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef FV_CLI_H
#define FV_CLI_H

/* argv[0] is the command name. Each returns an exit status. */
int cmd_verify(int argc, char **argv);
int cmd_watch(int argc, char **argv);
int cmd_trace(int argc, char **argv);

#endif
