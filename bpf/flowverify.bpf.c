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
#define ETH_P_8021AD_BE bpf_htons(0x88A8)
#define FV_VLAN_MAX	2

/* Set by user space between open and load, in network byte order. */
const volatile __be16 ntp_port_be = bpf_htons(FV_NTP_PORT_DEFAULT);
const volatile __u64 event_rate = FV_EVENT_RATE_DEFAULT; /* per CPU per s */
const volatile __u64 event_burst = FV_EVENT_BURST_DEFAULT;
/* --pcap: frame bytes per event, up to FV_SNAP_MAX; 0 copies none, and
 * the verifier drops the copy as dead code. */
const volatile __u32 snaplen = 0;
/* Set by user space when the kernel has bpf_ktime_get_coarse_ns (5.11):
 * a constant to the verifier, so 5.10 never sees the call. Off, the
 * precise clock stands in. */
const volatile bool coarse_clock = false;

/* Two flow tables (IPv6; IPv4's below); flows_cur names the one
 * counted into. User space swaps them once a second (the map-in-map
 * update waits for running programs), then drains the idle one into
 * flow_sums: no packet is counted while it is read, so none is lost, and
 * a full table clears within a second. */
struct fv_flows_table {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, FV_FLOW_MAX_ENTRIES);
	__type(key, struct fv_flow_key);
	__type(value, struct fv_flow_val);
};
struct fv_flows_table flows SEC(".maps"), flows_b SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, 1);
	__type(key, __u32);
	__array(values, struct fv_flows_table);
} flows_cur SEC(".maps") = {
	.values = { [0] = &flows },
};

/* IPv4's tables, the same way: a 20-byte key to hash, not 44. */
struct fv_flows4_table {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, FV_FLOW_MAX_ENTRIES);
	__type(key, struct fv_flow_key4);
	__type(value, struct fv_flow_val);
};
struct fv_flows4_table flows4 SEC(".maps"), flows4_b SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, 1);
	__type(key, __u32);
	__array(values, struct fv_flows4_table);
} flows4_cur SEC(".maps") = {
	.values = { [0] = &flows4 },
};

/* Written by user space only: per-flow totals drained from the tables,
 * and totals of flows expired from there (idle, or no room). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, FV_FLOW_SUMS_MAX);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct fv_flow_key);
	__type(value, struct fv_flow_val);
} flow_sums SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, FV_FLOW_FOLD_SLOTS);
	__type(key, __u32);
	__type(value, struct fv_flow_val);
} flow_folded SEC(".maps");

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

/* The xdp-tools pattern: one parser per header, each reading its header at
 * the cursor, moving the cursor past it and returning the next protocol,
 * or FV_STOP(why) where parsing ends. why is the fv_stat counter naming the
 * reason, or one of these: */
struct hdr_cursor {
	void *pos;
};

enum {
	FV_WHY_NOT_NTP = FV_STAT_MAX, /* other traffic: not counted */
	FV_WHY_CUT, /* UDP/NTP header past data_end: pull, or count */
};

/* Negative: 0 is both an ethertype and FV_STAT_ETH_TRUNCATED. */
#define FV_STOP(why) (-1 - (int)(why))

/* What the core tells the entry points. */
enum fv_verdict {
	FV_DONE = 0,
	FV_NEED_PULL, /* tc: pull into the linear area, look again */
};

static __always_inline bool eth_is_vlan(__be16 proto)
{
	return proto == ETH_P_8021Q_BE || proto == ETH_P_8021AD_BE;
}

/* The Ethernet header: its ethertype in *protop, 0; or the stop. */
static __always_inline int parse_eth(struct hdr_cursor *nh, void *data_end,
				     __be16 *protop)
{
	struct ethhdr *eth = nh->pos;

	if ((void *)(eth + 1) > data_end)
		return FV_STOP(FV_STAT_ETH_TRUNCATED);
	/* One 16-bit load: struct ethhdr is packed, so h_proto is read a
	 * byte at a time. */
	*protop = *(__be16 *)((void *)eth + offsetof(struct ethhdr, h_proto));
	nh->pos = eth + 1;
	return 0;
}

/* Up to FV_VLAN_MAX tags after Ethernet (*protop its ethertype): the
 * ethertype after them in *protop, 0; or the stop. */
static __always_inline int parse_vlan(struct hdr_cursor *nh, void *data_end,
				      __be16 *protop)
{
	__be16 proto = *protop;
	int i;

#pragma unroll
	for (i = 0; i < FV_VLAN_MAX; i++) {
		struct vlan_hdr *vh = nh->pos;

		if (!eth_is_vlan(proto))
			break;
		if ((void *)(vh + 1) > data_end)
			return FV_STOP(FV_STAT_ETH_TRUNCATED);
		proto = vh->proto;
		nh->pos = vh + 1;
	}
	if (eth_is_vlan(proto))
		return FV_STOP(FV_STAT_VLAN_TOO_DEEP);
	*protop = proto;
	return 0;
}

/* IPPROTO_UDP for an IPv4 UDP packet that is not a fragment. */
static __always_inline int parse_ipv4(struct hdr_cursor *nh, void *data_end,
				      struct iphdr **iph)
{
	struct iphdr *ip = nh->pos;
	__u32 ihl_bytes;
	__u8 vihl;

	if ((void *)(ip + 1) > data_end)
		return FV_STOP(FV_STAT_IPV4_TRUNCATED);
	/* The fast exit for almost everything a NAT forwards. */
	if (ip->protocol != IPPROTO_UDP)
		return FV_STOP(FV_WHY_NOT_NTP);
	if (ip->frag_off & IP_MF_OFFSET_BE)
		return FV_STOP(FV_STAT_IPV4_FRAGMENT);
	/* Version 4 and ihl >= 5: 0x45..0x4f, one range test. */
	vihl = *(__u8 *)ip;
	if (vihl < 0x45 || vihl > 0x4f)
		return FV_STOP(FV_STAT_IPV4_TRUNCATED);
	ihl_bytes = (vihl & 0x0f) * 4;
	nh->pos = (void *)ip + ihl_bytes;
	*iph = ip;
	return IPPROTO_UDP;
}

/* The fixed IPv6 header: its next header. */
static __always_inline int parse_ipv6(struct hdr_cursor *nh, void *data_end,
				      struct ipv6hdr **ip6h)
{
	struct ipv6hdr *ip6 = nh->pos;

	if ((void *)(ip6 + 1) > data_end)
		return FV_STOP(FV_STAT_IPV6_TRUNCATED);
	/* Found by tests/test_bpf_fuzz.c: version 0 was read as v6. */
	if (ip6->version != 6)
		return FV_STOP(FV_STAT_IPV6_TRUNCATED);
	nh->pos = ip6 + 1;
	*ip6h = ip6;
	return ip6->nexthdr;
}

/* Up to FV_IPV6_EXT_MAX extension headers: IPPROTO_UDP if UDP follows. */
static __always_inline int parse_ipv6_ext(struct hdr_cursor *nh, void *data_end,
					  __u8 nexthdr)
{
	int i;

#pragma unroll
	for (i = 0; i < FV_IPV6_EXT_MAX; i++) {
		struct ipv6_ext *ext = nh->pos;

		if (!ipv6_is_ext(nexthdr))
			break;
		if (nexthdr == IPPROTO_FRAGMENT)
			return FV_STOP(FV_STAT_IPV6_FRAGMENT);
		if ((void *)(ext + 1) > data_end)
			return FV_STOP(FV_STAT_IPV6_TRUNCATED);
		nh->pos += ipv6_ext_len(nexthdr, ext->hdrlen);
		nexthdr = ext->nexthdr;
	}
	if (nexthdr != IPPROTO_UDP) {
		if (nexthdr == IPPROTO_HOPOPTS || nexthdr == IPPROTO_ROUTING ||
		    nexthdr == IPPROTO_DSTOPTS || nexthdr == IPPROTO_AH)
			return FV_STOP(FV_STAT_IPV6_EXT_TOO_DEEP);
		if (nexthdr == IPPROTO_FRAGMENT)
			return FV_STOP(FV_STAT_IPV6_FRAGMENT);
		return FV_STOP(FV_WHY_NOT_NTP);
	}
	return IPPROTO_UDP;
}

/* UDP to or from the NTP port: the datagram's length from its header. The
 * port test is the exit of all other UDP, so it comes first. */
static __always_inline int parse_udp(struct hdr_cursor *nh, void *data_end,
				     struct udphdr **udph)
{
	struct udphdr *udp = nh->pos;
	__be16 port = ntp_port_be; /* volatile: read once, not per test */

	if ((void *)(udp + 1) > data_end)
		return FV_STOP(FV_WHY_CUT);
	if (udp->dest != port && udp->source != port)
		return FV_STOP(FV_WHY_NOT_NTP);
	nh->pos = udp + 1;
	*udph = udp;
	return bpf_ntohs(udp->len);
}

/* The NTP header, the payload of udp: its mode, if the datagram is long
 * enough and the header is in the frame. From udp, not the cursor: a
 * cursor carried past the families' join costs tc a spill before the port
 * test. */
static __always_inline int parse_ntp(struct udphdr *udp, void *data_end,
				     __u32 udp_len)
{
	__u8 *ntp = (void *)(udp + 1);

	if (udp_len < sizeof(*udp) + FV_NTP_HDR_LEN)
		return FV_STOP(FV_STAT_NTP_SHORT);
	if ((void *)(ntp + FV_NTP_HDR_LEN) > data_end)
		return FV_STOP(FV_WHY_CUT);
	return ntp[0] & FV_NTP_MODE_MASK;
}

/* Malformed is never NTP: the IP packet must fit in the frame (padding may
 * follow it) and the UDP datagram in the IP packet, or the stack drops it
 * and counting it would claim a leg that was not delivered. wire_len
 * covers non-linear skb data too. 0, or the stop. */
static __always_inline int check_lengths(void *data, void *l3, void *udp,
					 __u32 udp_len, __u32 l3_len,
					 __u32 wire_len, int proto)
{
	/* udp_room wraps when l3_len is too short. */
	__u32 udp_room = l3_len - (__u32)(udp - l3);
	__u32 l3_avail = wire_len - (__u32)(l3 - data);

	if (l3_len > l3_avail)
		return FV_STOP(proto == ETH_P_IP_BE ? FV_STAT_IPV4_TRUNCATED
						    : FV_STAT_IPV6_TRUNCATED);
	if (udp_len > udp_room || udp_room > l3_len)
		return FV_STOP(FV_STAT_UDP_TRUNCATED);
	return 0;
}

/* Counts why parsing stopped; a cut header on tc asks for a pull first.
 * A case per counter: one stat_inc with a variable index would have every
 * exit set that index, lengthening the path of all other traffic. */
#define FV_COUNT(stat) \
	case stat: stat_inc(&stats, stat); break

static __always_inline enum fv_verdict fv_stop(int ret, bool can_pull)
{
	switch (-1 - ret) {
	case FV_WHY_CUT:
		if (can_pull)
			return FV_NEED_PULL;
		stat_inc(&stats, FV_STAT_UDP_TRUNCATED);
		break;
		FV_COUNT(FV_STAT_ETH_TRUNCATED);
		FV_COUNT(FV_STAT_VLAN_TOO_DEEP);
		FV_COUNT(FV_STAT_IPV4_TRUNCATED);
		FV_COUNT(FV_STAT_IPV4_FRAGMENT);
		FV_COUNT(FV_STAT_IPV6_TRUNCATED);
		FV_COUNT(FV_STAT_IPV6_EXT_TOO_DEEP);
		FV_COUNT(FV_STAT_IPV6_FRAGMENT);
		FV_COUNT(FV_STAT_UDP_TRUNCATED);
		FV_COUNT(FV_STAT_NTP_SHORT);
	}
	return FV_DONE;
}
#undef FV_COUNT

/* key into the table outer names (flows_cur or flows4_cur). */
static __always_inline void count_flow(void *outer, const void *key,
				       __u32 l3_len, __u64 now)
{
	struct fv_flow_val *val, init = {
		.packets = 1,
		.bytes = l3_len,
		.first_ns = now,
		.last_ns = now,
	};
	__u32 zero = 0;
	void *table;
	long err;

	table = bpf_map_lookup_elem(outer, &zero);
	if (!table) {
		stat_inc(&stats, FV_STAT_FLOW_TABLE_FULL);
		return;
	}
	val = bpf_map_lookup_elem(table, key);
	if (!val) {
		err = bpf_map_update_elem(table, key, &init, BPF_NOEXIST);
		if (!err)
			return;
		/* Another CPU created it first: count into our slot. */
		val = bpf_map_lookup_elem(table, key);
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

/* Flow counters and the event budget: tick resolution is enough, and on
 * kvm-clock the precise clock costs about 23 ns a read. */
static __always_inline __u64 fv_coarse_ns(void)
{
	if (coarse_clock)
		return bpf_ktime_get_coarse_ns();
	return bpf_ktime_get_ns();
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
		elapsed = one; /* a full second refills the bucket anyway */
	b->last_ns = now;
	b->tokens += elapsed * event_rate;
	if (b->tokens > event_burst * one)
		b->tokens = event_burst * one;
	if (b->tokens < one)
		return false;
	b->tokens -= one;
	return true;
}

/* The frame's first bytes into dst: bpf_skb_load_bytes on tc (it reads
 * non-linear data too), byte by byte on XDP, whose load helper needs 5.18.
 * Returns how many were copied. */
static __always_inline __u32 fv_snap(void *ctx, __u8 hook, __u8 *data,
				     void *data_end, __u32 wire_len, __u8 *dst)
{
	__u32 n = wire_len < snaplen ? wire_len : snaplen, i;

	if (hook != FV_HOOK_XDP) {
		if (!n)
			return 0;
		/* 1..FV_SNAP_MAX in the register the helper gets: a compare
		 * on a copy of it would not bound it for the verifier. */
		n = ((n - 1) & (FV_SNAP_MAX - 1)) + 1;
		return bpf_skb_load_bytes(ctx, 0, dst, n) ? 0 : n;
	}
	/* A bounded loop (5.3): the verifier walks it with i known. */
	for (i = 0; i < FV_SNAP_MAX; i++) {
		if (i >= n || (void *)(data + i + 1) > data_end)
			break;
		dst[i] = data[i];
	}
	return i;
}

/* The event with the frame's first bytes: --pcap's, the knob on. */
static __always_inline void fv_emit_snap(void *ctx, __u8 hook,
					 const struct fv_flow_key *key,
					 struct udphdr *udp, __u32 l3_len,
					 void *data, void *data_end,
					 __u32 wire_len)
{
	struct fv_event_snap *snap;

	snap = bpf_ringbuf_reserve(&events, sizeof(*snap), 0);
	if (!snap) {
		stat_inc(&stats, FV_STAT_EVENTS_LOST);
		return;
	}
	snap->ev.ts_ns = bpf_ktime_get_ns();
	snap->ev.key = *key;
	snap->ev.len = l3_len;
	snap->ev.pad = 0;
	__builtin_memcpy(snap->ev.ntp, (void *)(udp + 1), FV_NTP_HDR_LEN);
	snap->ev.caplen =
		fv_snap(ctx, hook, data, data_end, wire_len, snap->frame);
	snap->ev.frame_len = wire_len;
	bpf_ringbuf_submit(snap, 0);
}

/* An NTP packet that passed every check: its flow counted, an event if
 * the budget allows. key has its addresses; ctx is read for the interface
 * index only here: two or three dependent loads every other packet skips. */
static __always_inline void fv_record(void *ctx, __u8 hook,
				      struct fv_flow_key *key, bool v4,
				      struct udphdr *udp, __u32 l3_len, __u8 mode,
				      void *data, void *data_end, __u32 wire_len)
{
	struct fv_event *ev;
	__u64 now;

	if (mode != FV_NTP_MODE_REQUEST && mode != FV_NTP_MODE_REPLY)
		stat_inc(&stats, FV_STAT_NTP_OTHER_MODE);

	if (hook == FV_HOOK_XDP)
		key->ifindex = ((struct xdp_md *)ctx)->ingress_ifindex;
	else
		key->ifindex = ((struct __sk_buff *)ctx)->ifindex;
	key->sport = udp->source;
	key->dport = udp->dest;
	key->hook = hook;
	key->mode = mode;
	__builtin_memset(key->pad, 0, sizeof(key->pad));

	now = fv_coarse_ns();
	stat_inc(&stats, FV_STAT_NTP_PACKETS);
	if (v4) {
		struct fv_flow_key4 k4 = {
			.ifindex = key->ifindex,
			.sport = key->sport,
			.dport = key->dport,
			.hook = hook,
			.mode = mode,
		};

		__builtin_memcpy(&k4.saddr, key->saddr + 12, 4);
		__builtin_memcpy(&k4.daddr, key->daddr + 12, 4);
		count_flow(&flows4_cur, &k4, l3_len, now);
	} else {
		count_flow(&flows_cur, key, l3_len, now);
	}

	if (!event_allowed(now)) {
		stat_inc(&stats, FV_STAT_EVENTS_LIMITED);
		return;
	}
	if (snaplen) {
		fv_emit_snap(ctx, hook, key, udp, l3_len, data, data_end,
			     wire_len);
		return;
	}
	ev = bpf_ringbuf_reserve(&events, sizeof(*ev), 0);
	if (!ev) {
		stat_inc(&stats, FV_STAT_EVENTS_LOST);
		return;
	}
	/* Per-segment latencies need the precise clock: events only. */
	ev->ts_ns = bpf_ktime_get_ns();
	ev->key = *key;
	ev->len = l3_len;
	ev->caplen = 0;
	ev->pad = 0;
	ev->frame_len = 0;
	__builtin_memcpy(ev->ntp, (void *)(udp + 1), FV_NTP_HDR_LEN);
	bpf_ringbuf_submit(ev, 0);
}

/* IPv6 up to the port test: the UDP datagram's length, with *udp, the
 * key's addresses and *l3_len set; or the stop. */
static __always_inline int fv_ipv6(struct hdr_cursor *nh, void *data_end,
				   struct fv_flow_key *key, struct udphdr **udp,
				   __u32 *l3_len)
{
	struct ipv6hdr *ip6;
	int ret;

	ret = parse_ipv6(nh, data_end, &ip6);
	if (ret >= 0)
		ret = parse_ipv6_ext(nh, data_end, ret);
	if (ret < 0)
		return ret;
	ret = parse_udp(nh, data_end, udp);
	if (ret < 0)
		return ret;
	__builtin_memcpy(key->saddr, &ip6->saddr, sizeof(key->saddr));
	__builtin_memcpy(key->daddr, &ip6->daddr, sizeof(key->daddr));
	*l3_len = bpf_ntohs(ip6->payload_len) + sizeof(*ip6);
	return ret;
}

/* The same for IPv4. */
static __always_inline int fv_ipv4(struct hdr_cursor *nh, void *data_end,
				   struct fv_flow_key *key, struct udphdr **udp,
				   __u32 *l3_len)
{
	struct iphdr *ip;
	int ret;

	ret = parse_ipv4(nh, data_end, &ip);
	if (ret < 0)
		return ret;
	ret = parse_udp(nh, data_end, udp);
	if (ret < 0)
		return ret;
	v4_mapped(key->saddr, ip->saddr);
	v4_mapped(key->daddr, ip->daddr);
	*l3_len = bpf_ntohs(ip->tot_len);
	return ret;
}

/* The shared core. data..data_end is the frame from its Ethernet header;
 * ctx is the program's context (struct xdp_md for FV_HOOK_XDP, else struct
 * __sk_buff). Each family parses up to the port test before the paths
 * join: joined earlier, every packet would carry its family along. */
static __always_inline enum fv_verdict
fv_observe(void *ctx, void *data, void *data_end, __u8 hook, bool can_pull)
{
	struct hdr_cursor nh = { .pos = data };
	struct fv_flow_key key;
	int ret, udp_len, mode;
	__be16 proto;
	struct udphdr *udp;
	__u32 l3_len, wire_len;
	bool v4 = false;
	void *l3;

	ret = parse_eth(&nh, data_end, &proto);
	if (ret < 0)
		return fv_stop(ret, can_pull);
	/* Untagged IPv4 and IPv6 go straight to their parser. gotos: with
	 * the tagged joining them first, clang tested the ethertype twice
	 * on every packet. */
	if (proto == ETH_P_IP_BE)
		goto ipv4;
	if (proto != ETH_P_IPV6_BE) {
		ret = parse_vlan(&nh, data_end, &proto);
		if (ret < 0)
			return fv_stop(ret, can_pull);
		if (proto == ETH_P_IP_BE)
			goto ipv4;
		if (proto != ETH_P_IPV6_BE)
			return fv_stop(FV_STOP(FV_WHY_NOT_NTP), can_pull);
	}
	l3 = nh.pos;
	udp_len = fv_ipv6(&nh, data_end, &key, &udp, &l3_len);
	if (udp_len < 0)
		return fv_stop(udp_len, can_pull);
	goto ntp;
ipv4:
	l3 = nh.pos;
	udp_len = fv_ipv4(&nh, data_end, &key, &udp, &l3_len);
	if (udp_len < 0)
		return fv_stop(udp_len, can_pull);
	v4 = true;
ntp:
	mode = parse_ntp(udp, data_end, udp_len);
	if (mode < 0)
		return fv_stop(mode, can_pull);
	/* Read here, not by the entry point: clang loaded skb->len before
	 * the port test, on every packet. */
	if (hook == FV_HOOK_XDP)
		wire_len = data_end - data;
	else
		wire_len = ((struct __sk_buff *)ctx)->len;
	ret = check_lengths(data, l3, udp, udp_len, l3_len, wire_len, proto);
	if (ret < 0)
		return fv_stop(ret, can_pull);

	fv_record(ctx, hook, &key, v4, udp, l3_len, mode, data, data_end,
		  wire_len);
	return FV_DONE;
}

SEC("xdp")
int fv_xdp_ingress(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;

	fv_observe(ctx, data, data_end, FV_HOOK_XDP, false);
	return XDP_PASS;
}

static __always_inline void fv_observe_skb(struct __sk_buff *skb, __u8 hook)
{
	void *data = (void *)(long)skb->data;
	void *data_end = (void *)(long)skb->data_end;

	if (fv_observe(skb, data, data_end, hook, true) != FV_NEED_PULL)
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
	fv_observe(skb, data, data_end, hook, false);
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
