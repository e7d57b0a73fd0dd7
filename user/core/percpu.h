/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef FV_PERCPU_H
#define FV_PERCPU_H

#include <stdint.h>

/* The u64 at key of a per-CPU array map, summed over every possible CPU.
 * 0, or -errno (the lookup's, or -ENOMEM). */
int fv_percpu_sum(int map_fd, uint32_t key, uint64_t *sum);

#endif
