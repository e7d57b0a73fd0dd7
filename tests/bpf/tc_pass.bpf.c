// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Someone else's tc filter, for tests/e2e/faults.sh: passes everything. */
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>

SEC("tc")
int other_tc_pass(struct __sk_buff *skb)
{
	return TC_ACT_OK;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
