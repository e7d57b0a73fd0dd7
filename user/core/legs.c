// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include "flowverify.h"
#include <string.h>
#include "legs.h"

bool fv_addr_link_service(const uint8_t addr[16])
{
	static const uint8_t v4mapped[12] = { [10] = 0xff, [11] = 0xff };
	static const uint8_t amazon6[16] = { 0xfd, 0x00,	0x0e,
					     0xc2, [14] = 0x01, [15] = 0x23 };

	if (!memcmp(addr, v4mapped, sizeof(v4mapped)))
		return addr[12] == 169 && addr[13] == 254;
	return (addr[0] == 0xfe && (addr[1] & 0xc0) == 0x80) ||
	       !memcmp(addr, amazon6, sizeof(amazon6));
}

static enum fv_leg classify_nat(bool egress, bool request, bool src_local,
				bool dst_local)
{
	if (request) {
		if (!egress) {
			/* A request to one of our addresses is for an NTP
			 * server on this host, not for the internet. */
			if (dst_local)
				return FV_LEG_LOCAL_SERVICE;
			return src_local ? FV_LEG_OTHER : FV_LEG_1;
		}
		if (dst_local)
			return FV_LEG_OTHER;
		return src_local ? FV_LEG_2 : FV_LEG_UNTRANSLATED;
	}
	if (!egress)
		return dst_local ? FV_LEG_3 : FV_LEG_OTHER;
	/* A reply leaving from our own address answers a client of an NTP
	 * server on this host; a forwarded reply keeps the server's source. */
	if (dst_local)
		return FV_LEG_OTHER;
	return src_local ? FV_LEG_LOCAL_SERVICE : FV_LEG_4;
}

enum fv_leg fv_leg_classify(enum fv_role role, bool egress, uint8_t mode,
			    bool src_local, bool dst_local)
{
	bool request = mode == FV_NTP_MODE_REQUEST;

	if (mode != FV_NTP_MODE_REQUEST && mode != FV_NTP_MODE_REPLY)
		return FV_LEG_OTHER;
	if (role == FV_ROLE_NAT)
		return classify_nat(egress, request, src_local, dst_local);
	if (request)
		return egress ? FV_LEG_1 : FV_LEG_LOCAL_SERVICE;
	return egress ? FV_LEG_LOCAL_SERVICE : FV_LEG_4;
}

const char *fv_leg_name(enum fv_leg leg)
{
	switch (leg) {
	case FV_LEG_1: return "request client->NAT";
	case FV_LEG_2: return "request NAT->server";
	case FV_LEG_3: return "reply server->NAT";
	case FV_LEG_4: return "reply NAT->client";
	case FV_LEG_UNTRANSLATED: return "request leaving untranslated";
	case FV_LEG_LOCAL_SERVICE: return "served by this host";
	case FV_LEG_LINK_SERVICE: return "link-local time service";
	case FV_LEG_OTHER: return "other";
	default: return "none";
	}
}
