// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Drop attribution: on every skb:kfree_skb (a packet freed as dropped, with
 * the kernel's reason and the caller's address), keep the drops of NTP
 * packets (the configured port as source or destination) in the watched
 * network namespaces, counted per (reason, location, route, netns,
 * interfaces, addresses, ports, mode). Reads only; never changes an skb.
 *
 * tp_btf/kfree_skb reads skb fields directly (BTF-typed pointer, faults
 * handled by the kernel); raw_tp/kfree_skb, the fallback for kernels that
 * refuse tp_btf, reads them through bpf_probe_read_kernel. User space loads
 * exactly one of the two. */
#include <stdbool.h>
#include <linux/bpf.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/udp.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>
#include "kernel_types.h"
#include "flowverify.h"
#include "drops.h"
#include "common.bpf.h"

#define FV_NH_UNSET	0xffff
#define SKB_DST_PTRMASK ~1UL

/* Set by user space between open and load (fv_drops_start's port), in
 * network byte order; the default is the main program's. */
const volatile __be16 ntp_port_be = bpf_htons(FV_NTP_PORT_DEFAULT);
/* Parse the packet before looking up its netns: cheaper for unrelated
 * frees, whose headers are hot while skb->dev->nd_net->ns is not (measured
 * in docs/drops.md). Off only to measure the other order. */
const volatile bool proto_first = true;

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, FV_DROP_MAX_ENTRIES);
	__type(key, struct fv_drop_key);
	__type(value, struct fv_drop_val);
} drops SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, FV_DROP_NETNS_MAX);
	__type(key, __u32);
	__type(value, __u8);
} drop_netns SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, FV_DROP_STAT_MAX);
	__type(key, __u32);
	__type(value, __u64);
} drop_stats SEC(".maps");

/* A field through the BTF pointer (tp_btf) or a probe read (raw_tp).
 * btf is a constant in each caller: the other branch is compiled out. */
#define RD(btf, p, f) ((btf) ? (p)->f : BPF_CORE_READ(p, f))

/* The skb's netns: its device's, or its socket's when it has no device
 * (locally generated, before the output device is set). 0 if neither. */
static __always_inline __u32 skb_netns(struct sk_buff *skb, bool btf)
{
	struct net_device *dev = RD(btf, skb, dev);
	struct net *net;

	if (dev) {
		net = RD(btf, dev, nd_net.net);
	} else {
		struct sock *sk = RD(btf, skb, sk);

		if (!sk)
			return 0;
		net = RD(btf, sk, __sk_common.skc_net.net);
	}
	if (!net)
		return 0;
	return RD(btf, net, ns.inum);
}

static __always_inline bool netns_watched(__u32 inum)
{
	return inum && bpf_map_lookup_elem(&drop_netns, &inum);
}

/* Both common cases in one read: IPv4 without options or IPv6 without
 * extension headers, each followed by UDP. Reading past tail stays inside
 * the skb's buffer (skb_shared_info follows it); what lies past tail is
 * never used. */
union l3l4 {
	struct {
		struct iphdr ip;
		struct udphdr udp;
	} v4;
	struct {
		struct ipv6hdr ip;
		struct udphdr udp;
	} v6;
	__u8 first;
};

/* Fills addresses, ports and mode of an NTP packet into key. Returns 1 for
 * an NTP packet, 0 for anything else, negative for a stat to count when the
 * packet is in a watched netns. */
static __always_inline int parse(struct sk_buff *skb, bool btf,
				 struct fv_drop_key *key)
{
	__be16 proto = RD(btf, skb, protocol);
	unsigned char *head;
	__u32 nh, tail, l4;
	struct udphdr udp;
	union l3l4 h;
	__u8 b;

	/* Locally generated skbs may not have protocol set yet. */
	if (proto != ETH_P_IP_BE && proto != ETH_P_IPV6_BE && proto != 0)
		return 0;
	nh = RD(btf, skb, network_header);
	if (nh == FV_NH_UNSET)
		return 0;
	head = RD(btf, skb, head);
	if (bpf_probe_read_kernel(&h, sizeof(h), head + nh))
		return -FV_DROP_STAT_TRUNCATED;
	tail = RD(btf, skb, tail);

	if ((h.first >> 4) == 4) {
		if (h.v4.ip.protocol != IPPROTO_UDP)
			return 0;
		if (nh + sizeof(h.v4.ip) > tail ||
		    h.v4.ip.ihl * 4 < sizeof(h.v4.ip))
			return -FV_DROP_STAT_TRUNCATED;
		if (h.v4.ip.frag_off & IP_MF_OFFSET_BE)
			return -FV_DROP_STAT_FRAGMENT;
		l4 = nh + h.v4.ip.ihl * 4;
		if (l4 + sizeof(udp) > tail)
			return -FV_DROP_STAT_TRUNCATED;
		if (l4 == nh + sizeof(h.v4.ip))
			udp = h.v4.udp;
		else if (bpf_probe_read_kernel(&udp, sizeof(udp), head + l4))
			return -FV_DROP_STAT_TRUNCATED;
		if (udp.source != ntp_port_be && udp.dest != ntp_port_be)
			return 0;
		key->family = 4;
		v4_mapped(key->saddr, h.v4.ip.saddr);
		v4_mapped(key->daddr, h.v4.ip.daddr);
	} else if ((h.first >> 4) == 6) {
		__u8 nexthdr = h.v6.ip.nexthdr;
		struct ipv6_ext ext;
		int i;

		if (nh + sizeof(h.v6.ip) > tail)
			return -FV_DROP_STAT_TRUNCATED;
		l4 = nh + sizeof(h.v6.ip);
		/* Extension headers are not on the way of a plain UDP packet;
		 * a bounded walk so that they do not hide one either. */
		for (i = 0; i < FV_IPV6_EXT_MAX; i++) {
			if (!ipv6_is_ext(nexthdr))
				break;
			if (nexthdr == IPPROTO_FRAGMENT)
				return -FV_DROP_STAT_FRAGMENT;
			if (l4 + sizeof(ext) > tail ||
			    bpf_probe_read_kernel(&ext, sizeof(ext), head + l4))
				return -FV_DROP_STAT_TRUNCATED;
			l4 += ipv6_ext_len(nexthdr, ext.hdrlen);
			nexthdr = ext.nexthdr;
		}
		if (nexthdr != IPPROTO_UDP)
			return 0;
		if (l4 + sizeof(udp) > tail)
			return -FV_DROP_STAT_TRUNCATED;
		if (l4 == nh + sizeof(h.v6.ip))
			udp = h.v6.udp;
		else if (bpf_probe_read_kernel(&udp, sizeof(udp), head + l4))
			return -FV_DROP_STAT_TRUNCATED;
		if (udp.source != ntp_port_be && udp.dest != ntp_port_be)
			return 0;
		key->family = 6;
		__builtin_memcpy(key->saddr, &h.v6.ip.saddr, sizeof(key->saddr));
		__builtin_memcpy(key->daddr, &h.v6.ip.daddr, sizeof(key->daddr));
	} else {
		return 0;
	}

	key->sport = udp.source;
	key->dport = udp.dest;
	key->mode = FV_DROP_MODE_NONE;
	if (l4 + sizeof(udp) < tail &&
	    !bpf_probe_read_kernel(&b, sizeof(b), head + l4 + sizeof(udp)))
		key->mode = b & FV_NTP_MODE_MASK;
	return 1;
}

static __always_inline void count(struct fv_drop_key *key)
{
	struct fv_drop_val *val, init = { .count = 1 };
	__u64 now = bpf_ktime_get_ns();

	stat_inc(&drop_stats, FV_DROP_STAT_MATCHED);
	val = bpf_map_lookup_elem(&drops, key);
	if (!val) {
		init.last_ns = now;
		if (!bpf_map_update_elem(&drops, key, &init, BPF_NOEXIST))
			return;
		/* Another CPU inserted it meanwhile, or the table is full. */
		val = bpf_map_lookup_elem(&drops, key);
		if (!val) {
			stat_inc(&drop_stats, FV_DROP_STAT_TABLE_FULL);
			return;
		}
	}
	__sync_fetch_and_add(&val->count, 1);
	val->last_ns = now;
}

static __always_inline int on_drop(struct sk_buff *skb, __u64 location,
				   __u32 reason, bool btf)
{
	struct fv_drop_key key = {};
	struct dst_entry *dst;
	struct net_device *dev;
	__u32 inum = 0;
	int ret;

	if (!skb)
		return 0;
	if (!proto_first) {
		inum = skb_netns(skb, btf);
		if (!netns_watched(inum))
			return 0;
	}
	ret = parse(skb, btf, &key);
	if (ret == 0)
		return 0;
	if (proto_first) {
		inum = skb_netns(skb, btf);
		if (!netns_watched(inum))
			return 0;
	}
	if (ret < 0) {
		stat_inc(&drop_stats, -ret);
		return 0;
	}

	key.location = location;
	key.reason = reason;
	key.netns = inum;
	dev = RD(btf, skb, dev);
	if (dev)
		key.ifindex = RD(btf, dev, ifindex);
	key.iif = RD(btf, skb, skb_iif);
	/* The route tells FORWARD (ip_forward) from INPUT (ip_local_deliver)
	 * and shows a routing refusal (ip_error): a NETFILTER_DROP is freed
	 * at the same place (nft_do_chain, nf_hook_slow) whatever the hook. */
	dst = (struct dst_entry *)(RD(btf, skb, _skb_refdst) & SKB_DST_PTRMASK);
	if (dst)
		key.dst_input = (__u64)BPF_CORE_READ(dst, input);
	count(&key);
	return 0;
}

SEC("tp_btf/kfree_skb")
int BPF_PROG(fv_drop_btf, struct sk_buff *skb, void *location, __u32 reason)
{
	return on_drop(skb, (__u64)location, reason, true);
}

SEC("raw_tp/kfree_skb")
int BPF_PROG(fv_drop_raw, struct sk_buff *skb, void *location, __u32 reason)
{
	return on_drop(skb, (__u64)location, reason, false);
}

/* Before 5.17 kfree_skb has no reason argument, and reading a third one
 * is refused: these take two, and the reason stays 0 (none named). */
SEC("tp_btf/kfree_skb")
int BPF_PROG(fv_drop_btf_noreason, struct sk_buff *skb, void *location)
{
	return on_drop(skb, (__u64)location, 0, true);
}

SEC("raw_tp/kfree_skb")
int BPF_PROG(fv_drop_raw_noreason, struct sk_buff *skb, void *location)
{
	return on_drop(skb, (__u64)location, 0, false);
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
