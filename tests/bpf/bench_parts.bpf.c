// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The parts of an NTP packet's cost, one per program, for the benchmark
 * (bench/fvbench.c, `prog`): each does one thing flowverify's programs do
 * for an NTP packet, so that the run can say where the time over the
 * empty program goes (the clocks, hashing a 16-, 20- or 44-byte flow
 * key, the ring buffer's reserve and submit). They ignore the frame. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#include "flowverify.h"

/* Where a result goes, so that nothing is optimized away. */
__u64 sink;

/* The IPv4 key with a one-byte interface slot instead of the ifindex:
 * what the slot would save in the hash, measured before building it. */
struct flow_key16 {
	__be32 saddr;
	__be32 daddr;
	__be16 sport;
	__be16 dport;
	__u8 slot;
	__u8 hook;
	__u8 mode;
	__u8 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, 1024);
	__type(key, struct flow_key16);
	__type(value, struct fv_flow_val);
} flows16 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, 1024);
	__type(key, struct fv_flow_key4);
	__type(value, struct fv_flow_val);
} flows20 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, 1024);
	__type(key, struct fv_flow_key);
	__type(value, struct fv_flow_val);
} flows44 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 20);
} ring SEC(".maps");

SEC("xdp")
int part_clock(struct xdp_md *ctx)
{
	sink = bpf_ktime_get_ns();
	return XDP_PASS;
}

SEC("xdp")
int part_coarse_clock(struct xdp_md *ctx)
{
	sink = bpf_ktime_get_coarse_ns();
	return XDP_PASS;
}

/* As count_flow does: look up, create when missing, count. */
static __always_inline void count(void *table, const void *key)
{
	struct fv_flow_val *val, init = { .packets = 1 };

	val = bpf_map_lookup_elem(table, key);
	if (!val) {
		bpf_map_update_elem(table, key, &init, BPF_NOEXIST);
		return;
	}
	val->packets += 1;
	val->bytes += 76;
	val->last_ns = sink;
}

SEC("xdp")
int part_flow_key16(struct xdp_md *ctx)
{
	struct flow_key16 k = { .saddr = 0x0a00010a,
				.daddr = 0x010200c0,
				.sport = 1123,
				.dport = 123,
				.slot = 1,
				.hook = 1,
				.mode = 3 };

	count(&flows16, &k);
	return XDP_PASS;
}

SEC("xdp")
int part_flow_key20(struct xdp_md *ctx)
{
	struct fv_flow_key4 k = { .saddr = 0x0a00010a,
				  .daddr = 0x010200c0,
				  .ifindex = 2,
				  .sport = 1123,
				  .dport = 123,
				  .hook = 1,
				  .mode = 3 };

	count(&flows20, &k);
	return XDP_PASS;
}

SEC("xdp")
int part_flow_key44(struct xdp_md *ctx)
{
	struct fv_flow_key k = { .saddr = { 0xfd, [15] = 0x10 },
				 .daddr = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 },
				 .ifindex = 2,
				 .sport = 1123,
				 .dport = 123,
				 .hook = 1,
				 .mode = 3 };

	count(&flows44, &k);
	return XDP_PASS;
}

/* An event's record reserved and submitted, its fields left as reserved. */
SEC("xdp")
int part_ring(struct xdp_md *ctx)
{
	struct fv_event *ev = bpf_ringbuf_reserve(&ring, sizeof(*ev), 0);

	if (!ev)
		return XDP_PASS;
	ev->ts_ns = sink;
	bpf_ringbuf_submit(ev, 0);
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
