/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* A host's interfaces and their IPv4 subnets, read in its namespace: the
 * NAT's connected subnets (the default --vpc) and its interfaces not
 * watched (where legs 1 and 4 may cross instead). */
#ifndef FV_NETINFO_H
#define FV_NETINFO_H

#include <net/if.h>
#include <stdbool.h>
#include <stdint.h>

#define FV_NETINFO_MAX 32

struct fv_netif {
	char name[IF_NAMESIZE];
	bool up;
	bool loopback;
	uint8_t addr[4]; /* IPv4, network order */
	uint8_t prefix;
};

/* One entry per IPv4 address of the namespace netns ("" = ours). The
 * number of entries, or -errno. */
int fv_netinfo_read(const char *netns, struct fv_netif *out, int max);

/* Whether addr (IPv4, 4 bytes) is in the interface's subnet. */
bool fv_netif_holds(const struct fv_netif *i, const uint8_t addr[4]);

#endif
