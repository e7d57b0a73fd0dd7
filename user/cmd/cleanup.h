/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef FV_CLEANUP_H
#define FV_CLEANUP_H

#include <stdbool.h>

struct fv_filter_tally {
	int removed;
	int kept;		/* held by a running flowverify */
	int failed;
	bool no_tc;		/* tc (iproute2) could not be run */
};

/* Removes flowverify's clsact filters that no process holds, in this
 * namespace and every named one; prints a line for each. */
void fv_cleanup_filters(struct fv_filter_tally *t);

#endif
