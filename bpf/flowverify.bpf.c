// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Observe NTP packets on XDP ingress and tc egress (or tc ingress).
 * Records exact per-flow counters and one event per NTP packet. Never
 * drops or modifies a packet: every entry point returns PASS / OK. */
#include <stdbool.h>
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/udp.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "flowverify.h"
#include "common.bpf.h"

#define ETH_P_8021Q_BE	bpf_htons(0x8100)
#define ETH_P_8021AD_BE	bpf_htons(0x88A8)
#define FV_VLAN_MAX	2

/* Set by user space between open and load, in network byte order. */
const volatile __be16 ntp_port_be = bpf_htons(FV_NTP_PORT_DEFAULT);
const volatile __u64 event_rate = FV_EVENT_RATE_DEFAULT;	/* per CPU per s */
const volatile __u64 event_burst = FV_EVENT_BURST_DEFAULT;

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, FV_FLOW_MAX_ENTRIES);
	__type(key, struct fv_flow_key);
	__type(value, struct fv_flow_val);
} flows SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, FV_STAT_MAX);
	__type(key, __u32);
	__type(value, __u64);
} stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct fv_event_budget);
} evbudget SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, FV_EVENT_RING_BYTES);
} events SEC(".maps");

struct vlan_hdr {
	__be16 tci;
	__be16 proto;
};

/* Returned by fv_observe when tc must pull more bytes into the linear area. */
#define FV_NEED_PULL	1

static __always_inline void count_flow(const struct fv_flow_key *key,
				       __u32 l3_len, __u64 now)
{
	struct fv_flow_val *val, init = {
		.packets = 1, .bytes = l3_len, .first_ns = now, .last_ns = now,
	};
	long err;

	val = bpf_map_lookup_elem(&flows, key);
	if (!val) {
		err = bpf_map_update_elem(&flows, key, &init, BPF_NOEXIST);
		if (!err)
			return;
		/* Another CPU created it first: count into our slot. */
		val = bpf_map_lookup_elem(&flows, key);
		if (!val) {
			stat_inc(&stats, FV_STAT_FLOW_TABLE_FULL);
			return;
		}
	}
	if (!val->first_ns)
		val->first_ns = now;
	val->packets += 1;
	val->bytes += l3_len;
	val->last_ns = now;
}

/* Token bucket per CPU: may this packet have an event? */
static __always_inline bool event_allowed(__u64 now)
{
	const __u64 one = 1000000000ull;
	struct fv_event_budget *b;
	__u32 zero = 0;
	__u64 elapsed;

	b = bpf_map_lookup_elem(&evbudget, &zero);
	if (!b)
		return false;
	elapsed = now - b->last_ns;
	if (elapsed > one)
		elapsed = one;	/* a full second refills the bucket anyway */
	b->last_ns = now;
	b->tokens += elapsed * event_rate;
	if (b->tokens > event_burst * one)
		b->tokens = event_burst * one;
	if (b->tokens < one)
		return false;
	b->tokens -= one;
	return true;
}

/* The shared core. data..data_end is the frame from its Ethernet header;
 * ctx is the program's context (struct xdp_md for FV_HOOK_XDP, else struct
 * __sk_buff), read for the interface index only once a packet is NTP: the
 * read is two or three dependent loads that every other packet skips. */
static __always_inline int fv_observe(void *ctx, void *data, void *data_end,
				      __u32 wire_len, __u8 hook, bool can_pull)
{
	struct fv_flow_key key;
	struct fv_event *ev;
	struct ethhdr *eth = data;
	struct udphdr *udp;
	__u8 *ntp, *cur, *l3;
	__be16 proto;
	__u32 l3_len, l3_avail, udp_room;
	__u64 now;
	__u8 mode;
	int i;

	if ((void *)(eth + 1) > data_end) {
		stat_inc(&stats, FV_STAT_ETH_TRUNCATED);
		return 0;
	}
	proto = eth->h_proto;
	cur = (void *)(eth + 1);

#pragma unroll
	for (i = 0; i < FV_VLAN_MAX; i++) {
		struct vlan_hdr *vh = (void *)cur;

		if (proto != ETH_P_8021Q_BE && proto != ETH_P_8021AD_BE)
			break;
		if ((void *)(vh + 1) > data_end) {
			stat_inc(&stats, FV_STAT_ETH_TRUNCATED);
			return 0;
		}
		proto = vh->proto;
		cur = (void *)(vh + 1);
	}
	if (proto == ETH_P_8021Q_BE || proto == ETH_P_8021AD_BE) {
		stat_inc(&stats, FV_STAT_VLAN_TOO_DEEP);
		return 0;
	}
	l3 = cur;

	if (proto == ETH_P_IP_BE) {
		struct iphdr *ip = (void *)cur;
		__u32 ihl_bytes;

		if ((void *)(ip + 1) > data_end) {
			stat_inc(&stats, FV_STAT_IPV4_TRUNCATED);
			return 0;
		}
		/* The fast exit for almost everything a NAT forwards. */
		if (ip->protocol != IPPROTO_UDP)
			return 0;
		if (ip->frag_off & IP_MF_OFFSET_BE) {
			stat_inc(&stats, FV_STAT_IPV4_FRAGMENT);
			return 0;
		}
		ihl_bytes = ip->ihl * 4;
		if (ip->version != 4 || ihl_bytes < sizeof(*ip)) {
			stat_inc(&stats, FV_STAT_IPV4_TRUNCATED);
			return 0;
		}
		udp = (void *)cur + ihl_bytes;
		if ((void *)(udp + 1) > data_end)
			goto truncated;
		if (udp->dest != ntp_port_be && udp->source != ntp_port_be)
			return 0;
		v4_mapped(key.saddr, ip->saddr);
		v4_mapped(key.daddr, ip->daddr);
		l3_len = bpf_ntohs(ip->tot_len);
		udp_room = l3_len - ihl_bytes;	/* wraps when too short */
	} else if (proto == ETH_P_IPV6_BE) {
		struct ipv6hdr *ip6 = (void *)cur;
		__u8 nexthdr;

		if ((void *)(ip6 + 1) > data_end) {
			stat_inc(&stats, FV_STAT_IPV6_TRUNCATED);
			return 0;
		}
		/* Found by tests/test_bpf_fuzz.c: version 0 was read as v6. */
		if (ip6->version != 6) {
			stat_inc(&stats, FV_STAT_IPV6_TRUNCATED);
			return 0;
		}
		nexthdr = ip6->nexthdr;
		cur = (void *)(ip6 + 1);
#pragma unroll
		for (i = 0; i < FV_IPV6_EXT_MAX; i++) {
			struct ipv6_ext *ext = (void *)cur;

			if (!ipv6_is_ext(nexthdr))
				break;
			if (nexthdr == IPPROTO_FRAGMENT) {
				stat_inc(&stats, FV_STAT_IPV6_FRAGMENT);
				return 0;
			}
			if ((void *)(ext + 1) > data_end) {
				stat_inc(&stats, FV_STAT_IPV6_TRUNCATED);
				return 0;
			}
			cur += ipv6_ext_len(nexthdr, ext->hdrlen);
			nexthdr = ext->nexthdr;
		}
		if (nexthdr != IPPROTO_UDP) {
			if (nexthdr == IPPROTO_HOPOPTS ||
			    nexthdr == IPPROTO_ROUTING ||
			    nexthdr == IPPROTO_DSTOPTS ||
			    nexthdr == IPPROTO_AH)
				stat_inc(&stats, FV_STAT_IPV6_EXT_TOO_DEEP);
			else if (nexthdr == IPPROTO_FRAGMENT)
				stat_inc(&stats, FV_STAT_IPV6_FRAGMENT);
			return 0;
		}
		udp = (void *)cur;
		if ((void *)(udp + 1) > data_end)
			goto truncated;
		if (udp->dest != ntp_port_be && udp->source != ntp_port_be)
			return 0;
		__builtin_memcpy(key.saddr, &ip6->saddr, 16);
		__builtin_memcpy(key.daddr, &ip6->daddr, 16);
		l3_len = bpf_ntohs(ip6->payload_len) + sizeof(*ip6);
		udp_room = l3_len - (__u32)((void *)udp - (void *)l3);
	} else {
		return 0;
	}

	ntp = (void *)(udp + 1);
	if (bpf_ntohs(udp->len) < sizeof(*udp) + FV_NTP_HDR_LEN) {
		stat_inc(&stats, FV_STAT_NTP_SHORT);
		return 0;
	}
	if ((void *)(ntp + FV_NTP_HDR_LEN) > data_end)
		goto truncated;
	/* Malformed is never NTP: the IP packet must fit in the frame
	 * (padding may follow it) and the UDP datagram in the IP packet, or
	 * the stack drops it and counting it would claim a leg that was not
	 * delivered. wire_len covers non-linear skb data too. */
	l3_avail = wire_len - (__u32)((void *)l3 - data);
	if (l3_len > l3_avail) {
		stat_inc(&stats, proto == ETH_P_IP_BE ?
			 FV_STAT_IPV4_TRUNCATED : FV_STAT_IPV6_TRUNCATED);
		return 0;
	}
	if (bpf_ntohs(udp->len) > udp_room || udp_room > l3_len) {
		stat_inc(&stats, FV_STAT_UDP_TRUNCATED);
		return 0;
	}

	mode = ntp[0] & 7;
	if (mode != FV_NTP_MODE_REQUEST && mode != FV_NTP_MODE_REPLY)
		stat_inc(&stats, FV_STAT_NTP_OTHER_MODE);

	if (hook == FV_HOOK_XDP)
		key.ifindex = ((struct xdp_md *)ctx)->ingress_ifindex;
	else
		key.ifindex = ((struct __sk_buff *)ctx)->ifindex;
	key.sport = udp->source;
	key.dport = udp->dest;
	key.hook = hook;
	key.mode = mode;
	key.pad[0] = 0;
	key.pad[1] = 0;

	now = bpf_ktime_get_ns();
	stat_inc(&stats, FV_STAT_NTP_PACKETS);
	count_flow(&key, l3_len, now);

	if (!event_allowed(now)) {
		stat_inc(&stats, FV_STAT_EVENTS_LIMITED);
		return 0;
	}
	ev = bpf_ringbuf_reserve(&events, sizeof(*ev), 0);
	if (!ev) {
		stat_inc(&stats, FV_STAT_EVENTS_LOST);
		return 0;
	}
	ev->ts_ns = now;
	ev->key = key;
	ev->len = l3_len;
	ev->pad = 0;
	ev->pad2 = 0;
	__builtin_memcpy(ev->ntp, ntp, FV_NTP_HDR_LEN);
	bpf_ringbuf_submit(ev, 0);
	return 0;

truncated:
	if (can_pull)
		return FV_NEED_PULL;
	stat_inc(&stats, FV_STAT_UDP_TRUNCATED);
	return 0;
}

SEC("xdp")
int fv_xdp_ingress(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;

	fv_observe(ctx, data, data_end, data_end - data, FV_HOOK_XDP, false);
	return XDP_PASS;
}

static __always_inline void fv_observe_skb(struct __sk_buff *skb, __u8 hook)
{
	void *data = (void *)(long)skb->data;
	void *data_end = (void *)(long)skb->data_end;

	if (fv_observe(skb, data, data_end, skb->len, hook, true) != FV_NEED_PULL)
		return;
	/* UDP or NTP header beyond the linear area: make it linear (contents
	 * unchanged) and look once more; a really short packet is counted. */
	if (skb->len > data_end - data) {
		stat_inc(&stats, FV_STAT_TC_NONLINEAR);
		if (bpf_skb_pull_data(skb, skb->len))
			return;
		data = (void *)(long)skb->data;
		data_end = (void *)(long)skb->data_end;
	}
	fv_observe(skb, data, data_end, skb->len, hook, false);
}

/* TC_ACT_UNSPEC (TCX_NEXT): no verdict of ours. The tcx programs and
 * clsact filters after this one still run and decide, and with none the
 * packet passes. TC_ACT_OK would end the chain and skip them: someone
 * else's drop filter would let packets through (tests/e2e/faults.sh). */
SEC("tc")
int fv_tc_egress(struct __sk_buff *skb)
{
	fv_observe_skb(skb, FV_HOOK_TC_EGRESS);
	return TC_ACT_UNSPEC;
}

SEC("tc")
int fv_tc_ingress(struct __sk_buff *skb)
{
	fv_observe_skb(skb, FV_HOOK_TC_INGRESS);
	return TC_ACT_UNSPEC;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
