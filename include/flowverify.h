/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Types and constants shared by the BPF programs and user space. No pointers. */
#ifndef FLOWVERIFY_H
#define FLOWVERIFY_H

#include <linux/types.h>

#define FV_NTP_PORT_DEFAULT 123
#define FV_NTP_HDR_LEN	    48
#define FV_NTP_MODE_REQUEST 3
#define FV_NTP_MODE_REPLY   4
#define FV_NTP_MODE_MASK    0x07 /* the mode: low 3 bits of byte 0 */

/* Flow tables: one entry per distinct (interface, hook, addresses, ports,
 * mode); an exchange from a fresh client port makes about 4. A table only
 * holds the flows new within one swap (a second, docs/agent.md "Flow
 * table"); beyond that they count in FV_STAT_FLOW_TABLE_FULL. Per-CPU
 * values: 32 bytes * CPUs per entry, four tables (two per family). */
#define FV_FLOW_MAX_ENTRIES 16384
/* flow_sums: flows kept by key until idle for FV_FLOW_IDLE_SECONDS, then
 * folded into flow_folded by leg; a full flow_sums folds at once. */
#define FV_FLOW_SUMS_MAX     65536
#define FV_FLOW_IDLE_SECONDS 300
#define FV_FLOW_FOLD_SLOTS   32 /* leg * 2 + the NAT's own */
#define FV_EVENT_RING_BYTES  (1 << 20)

/* Events are rate-limited per CPU (a token bucket) so an NTP flood costs
 * bounded user-space work; counters stay exact. */
#define FV_EVENT_RATE_DEFAULT  20000 /* events per second per CPU */
#define FV_EVENT_BURST_DEFAULT 2000

/* --pcap: the frame's first bytes follow the event (struct fv_event_snap)
 * when the snaplen knob is set before load; 0 (the default) copies none. */
#define FV_SNAP_MAX	   256
#define FV_SNAP_DEFAULT	   128	     /* Ethernet, 2 VLAN tags, IPv6, UDP, NTP */
#define FV_SNAP_RING_BYTES (1 << 22) /* events 3x larger: a larger ring */

/* Map names user space looks up; at most 15 characters. */
#define FV_MAP_FLOWS	   "flows"
#define FV_MAP_FLOWS_B	   "flows_b"
#define FV_MAP_FLOWS_CUR   "flows_cur"
#define FV_MAP_FLOWS4	   "flows4"
#define FV_MAP_FLOWS4_B	   "flows4_b"
#define FV_MAP_FLOWS4_CUR  "flows4_cur"
#define FV_MAP_FLOW_SUMS   "flow_sums"
#define FV_MAP_FLOW_FOLDED "flow_folded"
#define FV_MAP_STATS	   "stats"
#define FV_MAP_EVENTS	   "events"

struct fv_event_budget {
	__u64 last_ns;
	__u64 tokens; /* in units of 1/1e9 event */
};

/* Where a packet was seen. Ingress is XDP, or tc ingress when the
 * interface already carries someone else's XDP program. */
enum fv_hook {
	FV_HOOK_XDP = 0,
	FV_HOOK_TC_INGRESS = 1,
	FV_HOOK_TC_EGRESS = 2,
	FV_HOOK_MAX,
};

static inline int fv_hook_is_egress(__u8 hook)
{
	return hook == FV_HOOK_TC_EGRESS;
}

/* Counters for packets the parser stopped on, plus event and table
 * overflow. Indexes into the per-CPU "stats" array. */
enum fv_stat {
	FV_STAT_ETH_TRUNCATED = 0,
	FV_STAT_VLAN_TOO_DEEP,
	FV_STAT_IPV4_TRUNCATED, /* short or bad header, total length beyond the frame */
	FV_STAT_IPV4_FRAGMENT, /* any fragment: never read as UDP */
	FV_STAT_IPV6_TRUNCATED, /* short header, version not 6, payload beyond the frame */
	FV_STAT_IPV6_EXT_TOO_DEEP,
	FV_STAT_IPV6_FRAGMENT,
	FV_STAT_UDP_TRUNCATED, /* UDP header or NTP cut, or UDP longer than its IP packet */
	FV_STAT_NTP_SHORT,	/* NTP port but under 48 bytes of payload */
	FV_STAT_NTP_OTHER_MODE, /* NTP modes other than 3 and 4 */
	FV_STAT_NTP_PACKETS,	/* every NTP packet counted in "flows" */
	FV_STAT_FLOW_TABLE_FULL,
	FV_STAT_EVENTS_LOST,	/* ring buffer full */
	FV_STAT_TC_NONLINEAR,	/* tc: headers beyond the linear area */
	FV_STAT_EVENTS_LIMITED, /* over the per-CPU event rate: counted only */
	FV_STAT_MAX,
};

/* The key of flows/flows_b (IPv6 only), flow_sums and events (both
 * families). */
struct fv_flow_key {
	__u8 saddr[16]; /* IPv4 as v4-mapped IPv6 (::ffff:a.b.c.d) */
	__u8 daddr[16];
	__u32 ifindex;
	__be16 sport;
	__be16 dport;
	__u8 hook; /* enum fv_hook */
	__u8 mode; /* NTP mode 0..7 */
	__u8 pad[2];
};

/* ABI (issue 15): IPv4 flows are counted in flows4/flows4_b (flows4_cur
 * names the live one) under this 20-byte key; the per-CPU hash costs by
 * the bytes it hashes, and fv_flow_key is 44. flows/flows_b hold IPv6
 * only. User space widens it to fv_flow_key (v4-mapped) as it drains, so
 * flow_sums, flow_folded, events, JSON and metrics are as before. */
struct fv_flow_key4 {
	__be32 saddr;
	__be32 daddr;
	__u32 ifindex;
	__be16 sport;
	__be16 dport;
	__u8 hook; /* enum fv_hook */
	__u8 mode;
	__u8 pad[2];
};
_Static_assert(sizeof(struct fv_flow_key4) == 20, "the IPv4 key is 20 bytes");

struct fv_flow_val {
	__u64 packets;
	__u64 bytes;
	/* CLOCK_MONOTONIC_COARSE (bpf_ktime_get_coarse_ns, 5.11+): tick
	 * resolution, a few ms; on 5.10 bpf_ktime_get_ns. Compare with
	 * fv_flow_now_ns(), never with an event's ts_ns. */
	__u64 first_ns;
	__u64 last_ns;
};

/* One per NTP packet (modes 3 and 4 and others) through the ring buffer. */
struct fv_event {
	__u64 ts_ns; /* CLOCK_MONOTONIC, precise (bpf_ktime_get_ns) */
	struct fv_flow_key key;
	__u32 len;    /* bytes on the wire from the L3 header */
	__u16 caplen; /* bytes in fv_event_snap.frame: 0 unless the knob is on */
	__u16 pad;
	__u8 ntp[FV_NTP_HDR_LEN]; /* the NTP header, as on the wire */
	__u32 frame_len; /* the whole frame's length, set with caplen */
};

/* What the ring carries with the snaplen knob on. */
struct fv_event_snap {
	struct fv_event ev;
	__u8 frame[FV_SNAP_MAX]; /* from the Ethernet header, caplen bytes */
};

/* Offsets into the NTP header. The cookie of an exchange is the client's
 * transmit timestamp, copied by the server into the reply's origin field. */
#define FV_NTP_OFF_REFID    12
#define FV_NTP_OFF_ORIGIN   24
#define FV_NTP_OFF_TRANSMIT 40

#endif /* FLOWVERIFY_H */
