// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The floors of the benchmark (bench/fvbench.c): programs that do nothing,
 * so that what the hook and the test-run or stats machinery cost is
 * measured apart from what flowverify's programs add. */
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>

SEC("xdp")
int empty_xdp(struct xdp_md *ctx)
{
	return XDP_PASS;
}

SEC("tc")
int empty_tc(struct __sk_buff *skb)
{
	return TC_ACT_OK;
}

SEC("tp_btf/kfree_skb")
int empty_kfree_skb(void *ctx)
{
	return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
