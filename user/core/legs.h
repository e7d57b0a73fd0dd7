/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Which of the four legs a packet is, relative to the host that saw it. */
#ifndef FV_LEGS_H
#define FV_LEGS_H

#include <stdbool.h>
#include <stdint.h>
#include "point.h"

enum fv_leg {
	FV_LEG_NONE = 0,
	FV_LEG_1 = 1,	     /* request, client -> NAT */
	FV_LEG_2 = 2,	     /* request, NAT -> server (translated) */
	FV_LEG_3 = 3,	     /* reply, server -> NAT */
	FV_LEG_4 = 4,	     /* reply, NAT -> client */
	FV_LEG_UNTRANSLATED, /* request leaving the NAT with a foreign source */
	FV_LEG_LOCAL_SERVICE, /* NTP served by this host itself */
	/* A time service on the host's own link (Amazon's 169.254.169.123,
	 * fd00:ec2::123): answered without crossing any router or NAT. */
	FV_LEG_LINK_SERVICE,
	FV_LEG_OTHER, /* other modes, or no place in the pattern */
	FV_LEG_MAX,
};

/* Arrays by the pattern's four legs, indexed FV_LEG_1..FV_LEG_4 as the
 * docs and metrics number them (slot 0 unused). */
#define FV_LEG_SLOTS (FV_LEG_4 + 1)

/* role: the host's role; egress: seen leaving; mode: NTP mode;
 * src_local/dst_local: the address is one of the host's own. */
enum fv_leg fv_leg_classify(enum fv_role role, bool egress, uint8_t mode,
			    bool src_local, bool dst_local);
const char *fv_leg_name(enum fv_leg leg);

/* addr (16 bytes, IPv4 v4-mapped) is a time service on the host's own
 * link: IPv4 link-local 169.254.0.0/16 (Amazon Time Sync Service
 * 169.254.169.123, the metadata servers of other clouds), IPv6 fe80::/10
 * or Amazon's fd00:ec2::123. No router forwards to it. */
bool fv_addr_link_service(const uint8_t addr[16]);

#endif
