/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef FV_CLEANUP_H
#define FV_CLEANUP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct fv_filter_tally {
	int removed;
	int kept; /* held by a running flowverify */
	int failed;
	bool no_tc; /* tc (iproute2) could not be run */
};

/* The BPF program ids running processes hold (a program's fd or a
 * link's): a filter running one of them belongs to a live run. */
struct fv_held {
	uint32_t *ids;
	size_t n, cap;
	bool incomplete; /* some could not be read or kept */
	/* Processes that do not let us read their fds (EACCES: more
	 * privileged than us, e.g. an outer container's init): skipped, as
	 * failing on them would refuse every cleanup there. */
	unsigned int denied;
	int denied_pid; /* the first of them */
};

/* Adds id. 0, or -ENOMEM with h marked incomplete. */
int fv_held_add(struct fv_held *h, uint32_t id);
/* Every id the processes under proc ("/proc"; tests give a tree of their
 * own) hold, from PID/fdinfo/FD. 0, or -errno with h marked incomplete. */
int fv_held_collect(struct fv_held *h, const char *proc);
/* May the filter running program id go? Only if no process holds it, as
 * far as a complete list can tell: an incomplete one keeps everything. */
bool fv_filter_orphaned(const struct fv_held *h, uint32_t id);
void fv_held_free(struct fv_held *h);

/* Removes flowverify's clsact filters that no process holds, in this
 * namespace and every named one; prints a line for each. */
void fv_cleanup_filters(struct fv_filter_tally *t);

#endif
