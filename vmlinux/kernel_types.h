/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The few kernel types the drop tracer reads, with only the fields it uses.
 * preserve_access_index makes every access a CO-RE relocation: libbpf
 * matches the fields by name in the running kernel's BTF (looking through
 * anonymous structs and unions), so the real layout never matters here and
 * one build runs on every kernel with BTF. Not a copy of any kernel's
 * layout: do not add fields the code does not read. */
#ifndef FV_KERNEL_TYPES_H
#define FV_KERNEL_TYPES_H

#include <linux/types.h>

#pragma clang attribute push(__attribute__((preserve_access_index)), apply_to = record)

struct ns_common {
	unsigned int inum;		/* the netns inode, as in /proc/PID/ns/net */
};

struct net {
	struct ns_common ns;
};

typedef struct {
	struct net *net;
} possible_net_t;

struct net_device {
	possible_net_t nd_net;
	int ifindex;
};

struct sock_common {
	possible_net_t skc_net;
};

struct sock {
	struct sock_common __sk_common;
};

struct sk_buff;

struct dst_entry {
	int (*input)(struct sk_buff *);	/* ip_forward, ip_local_deliver, ip_error... */
};

struct sk_buff {
	struct net_device *dev;
	struct sock *sk;
	unsigned long _skb_refdst;	/* struct dst_entry *, bit 0 = noref */
	int skb_iif;			/* 0 for locally generated packets */
	__be16 protocol;
	__u16 transport_header;
	__u16 network_header;		/* offset from head; 0xffff when unset */
	unsigned int tail;		/* offset from head (64-bit kernels) */
	unsigned char *head;
};

#pragma clang attribute pop

#endif /* FV_KERNEL_TYPES_H */
