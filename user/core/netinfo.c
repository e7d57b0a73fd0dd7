// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <stdio.h>
#include <string.h>
#include "netinfo.h"
#include "point.h"

static uint8_t prefix_of(const struct sockaddr_in *mask)
{
	return mask ? __builtin_popcount(mask->sin_addr.s_addr) : 32;
}

int fv_netinfo_read(const char *netns, struct fv_netif *out, int max)
{
	struct ifaddrs *ifa, *i;
	int saved, ret, n = 0;

	ret = fv_netns_enter(netns, &saved);
	if (ret)
		return ret;
	ret = getifaddrs(&ifa) ? -errno : 0;
	fv_netns_leave(saved);
	if (ret)
		return ret;
	for (i = ifa; i && n < max; i = i->ifa_next) {
		struct fv_netif *f = &out[n];

		if (!i->ifa_addr || i->ifa_addr->sa_family != AF_INET)
			continue;
		memset(f, 0, sizeof(*f));
		snprintf(f->name, sizeof(f->name), "%s", i->ifa_name);
		f->up = i->ifa_flags & IFF_UP;
		f->loopback = i->ifa_flags & IFF_LOOPBACK;
		memcpy(f->addr,
		       &((const struct sockaddr_in *)i->ifa_addr)->sin_addr, 4);
		f->prefix = prefix_of((const struct sockaddr_in *)i->ifa_netmask);
		n++;
	}
	freeifaddrs(ifa);
	return n;
}

bool fv_netif_holds(const struct fv_netif *i, const uint8_t addr[4])
{
	uint32_t a, b, mask;

	memcpy(&a, i->addr, 4);
	memcpy(&b, addr, 4);
	mask = i->prefix ? htonl(~0u << (32 - i->prefix)) : 0;
	return (a & mask) == (b & mask);
}
