/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* `verify --agent URL ...`: one verdict from the agents of several hosts,
 * their exchanges joined by cookie. See docs/agent.md. */
#ifndef FV_REMOTE_H
#define FV_REMOTE_H

#include <stddef.h>
#include <jansson.h>

/* `verify --agent URL --agent URL ...`: argv as for cmd_verify. */
int fv_remote_verify(int argc, char **argv);
/* One verdict from the status objects (with "exchanges_detail") of
 * several agents, exchanges joined by cookie; those older than
 * window_s are left out. Returns the verify-like JSON object, or NULL
 * with a one-line message in err naming names[i]. */
json_t *fv_remote_join(json_t *const *status, const char *const *names, int n,
		       double window_s, double timeout_s, char *err,
		       size_t errlen);

#endif
