// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Stands for "someone else's XDP program" in the end-to-end tests. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("xdp")
int other_xdp(struct xdp_md *ctx)
{
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
