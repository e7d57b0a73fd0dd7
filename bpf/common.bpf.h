/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Helpers both BPF objects share (flowverify.bpf.c, drops.bpf.c). Header
 * only and all static __always_inline: each object keeps its own maps and
 * globals, and inlined code is what the verifier sees, as before. Only what
 * behaves the same in both belongs here: the IPv4/UDP bounds checks differ
 * (direct packet access in one, probe reads against skb->tail in the
 * other) and stay where they are. */
#ifndef FV_COMMON_BPF_H
#define FV_COMMON_BPF_H

#include <stdbool.h>
#include <linux/bpf.h>
#include <linux/in.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#define ETH_P_IP_BE	bpf_htons(0x0800)
#define ETH_P_IPV6_BE	bpf_htons(0x86DD)
#define IP_MF_OFFSET_BE bpf_htons(0x3FFF) /* MF flag and fragment offset */
#define FV_IPV6_EXT_MAX 6

/* The start of every IPv6 extension header we walk. */
struct ipv6_ext {
	__u8 nexthdr;
	__u8 hdrlen;
};

/* Adds one to counter idx of a per-CPU array of __u64. The map is a
 * parameter because each object has its own (stats, drop_stats). */
static __always_inline void stat_inc(void *map, __u32 idx)
{
	__u64 *cnt = bpf_map_lookup_elem(map, &idx);

	if (cnt)
		*cnt += 1;
}

/* IPv4 addresses are keyed as IPv4-mapped IPv6 (::ffff:a.b.c.d), so one
 * key type holds both families. */
static __always_inline void v4_mapped(__u8 *dst, __be32 addr)
{
	__builtin_memset(dst, 0, 10);
	dst[10] = 0xff;
	dst[11] = 0xff;
	__builtin_memcpy(dst + 12, &addr, 4);
}

/* An extension header the IPv6 walks know: followed, or for a fragment
 * header, stopped at. Anything else ends the walk (ESP cannot be read).
 * A switch, not a chain of ||: with ||, clang 14 compiles both walks
 * differently from the open-coded test they replace; this is identical. */
static __always_inline bool ipv6_is_ext(__u8 nexthdr)
{
	switch (nexthdr) {
	case IPPROTO_HOPOPTS:
	case IPPROTO_ROUTING:
	case IPPROTO_DSTOPTS:
	case IPPROTO_AH:
	case IPPROTO_FRAGMENT: return true;
	}
	return false;
}

/* Its length in bytes: AH counts 4-byte words minus 2 (RFC 4302), the
 * others 8-byte words minus 1 (RFC 8200). */
static __always_inline __u32 ipv6_ext_len(__u8 nexthdr, __u8 hdrlen)
{
	if (nexthdr == IPPROTO_AH)
		return ((__u32)hdrlen + 2) * 4;
	return ((__u32)hdrlen + 1) * 8;
}

#endif /* FV_COMMON_BPF_H */
