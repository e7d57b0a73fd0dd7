/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Drop attribution: which NTP packets the kernel freed as dropped inside the
 * watched network namespaces, with the kernel's reason and place.
 *
 * Types and constants shared with bpf/drops.bpf.c, no pointers; the user
 * space API is user/core/drop_trace.h. See docs/drops.md. */
#ifndef FV_DROPS_H
#define FV_DROPS_H

#include <linux/types.h>

/* Distinct (reason, location, route, netns, interfaces, addresses, ports,
 * mode) tuples kept. Preallocated: about 150 bytes each, 600 KiB in all.
 * When full, drops of new tuples count in FV_DROP_STAT_TABLE_FULL. */
#define FV_DROP_MAX_ENTRIES 4096
/* Watched network namespaces. */
#define FV_DROP_NETNS_MAX 64

#define FV_MAP_DROPS	  "drops"
#define FV_MAP_DROP_NETNS "drop_netns"
#define FV_MAP_DROP_STATS "drop_stats"

/* mode when the first UDP payload byte is not in the linear area. */
#define FV_DROP_MODE_NONE 0xff

enum fv_drop_stat {
	FV_DROP_STAT_MATCHED = 0, /* NTP drops in a watched netns */
	FV_DROP_STAT_TABLE_FULL,  /* of those, not kept: "drops" full */
	FV_DROP_STAT_TRUNCATED,	  /* watched netns, IP/UDP header unreadable */
	FV_DROP_STAT_FRAGMENT, /* watched netns, IP fragment: no UDP header */
	FV_DROP_STAT_MAX,
};

struct fv_drop_key {
	__u64 location;	 /* kernel address that freed the skb */
	__u64 dst_input; /* the skb's route input function, 0 if none */
	__u8 saddr[16];	 /* IPv4 as v4-mapped IPv6 (::ffff:a.b.c.d) */
	__u8 daddr[16];
	__u32 reason;  /* enum skb_drop_reason */
	__u32 netns;   /* netns inode number */
	__u32 ifindex; /* skb->dev, 0 if none */
	__u32 iif;     /* skb->skb_iif: 0 for locally generated */
	__be16 sport;
	__be16 dport;
	__u8 mode;   /* NTP mode 0..7 or FV_DROP_MODE_NONE */
	__u8 family; /* 4 or 6 */
	__u8 pad[2];
};

struct fv_drop_val {
	__u64 count;   /* exact; atomic adds, wraps only after 2^64 */
	__u64 last_ns; /* CLOCK_MONOTONIC (bpf_ktime_get_ns) */
};

#endif /* FV_DROPS_H */
