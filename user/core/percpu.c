// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdlib.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "percpu.h"

int fv_percpu_sum(int map_fd, uint32_t key, uint64_t *sum)
{
	int ncpu = libbpf_num_possible_cpus(), cpu, ret = 0;
	uint64_t *vals;

	if (ncpu < 1)
		return ncpu < 0 ? ncpu : -EINVAL;
	vals = calloc(ncpu, sizeof(*vals));
	if (!vals)
		return -ENOMEM;
	*sum = 0;
	if (bpf_map_lookup_elem(map_fd, &key, vals))
		ret = -errno;
	for (cpu = 0; !ret && cpu < ncpu; cpu++)
		*sum += vals[cpu];
	free(vals);
	return ret;
}
