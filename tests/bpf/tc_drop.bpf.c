// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Someone else's tc filter that drops everything, for tests/e2e/faults.sh:
 * with flowverify attached too, what it drops must stay dropped. */
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>

SEC("tc")
int other_tc_drop(struct __sk_buff *skb)
{
	return TC_ACT_SHOT;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
