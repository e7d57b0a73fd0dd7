// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Command-line values: [NETNS:]IFACE[,IFACE] points, numbers, seconds,
 * ports and port ranges, CIDRs, protocols and the agent's HOST:PORT. The
 * first byte picks the parser; the rest is the argument. Properties:
 * what parses is within its bounds and prints back the same. */
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <sys/socket.h>
#include <net/if.h>
#include "fuzz.h"
#include "acl.h"
#include "agent.h"
#include "point.h"
#include "util.h"

static void host(const char *s, enum fv_role role)
{
	struct fv_host h;
	char err[256];
	int i, k;

	if (fv_host_parse(s, role, &h, err, sizeof(err))) {
		fz_message(err, sizeof(err));
		return;
	}
	FZ_CHECK(h.n_ifaces >= 1 && h.n_ifaces <= FV_MAX_IFACES);
	FZ_CHECK(memchr(h.netns, '\0', sizeof(h.netns)));
	FZ_CHECK(!strchr(h.netns, '/') && strcmp(h.netns, ".") &&
		 strcmp(h.netns, ".."));
	for (i = 0; i < h.n_ifaces; i++) {
		size_t n = strnlen(h.ifname[i], IF_NAMESIZE);

		FZ_CHECK(n > 0 && n < IF_NAMESIZE);
		FZ_CHECK(!strpbrk(h.ifname[i], ",:/ "));
		for (k = 0; k < i; k++)
			FZ_CHECK(strcmp(h.ifname[i], h.ifname[k]));
	}
}

static void number(const char *s)
{
	uint64_t v = 0;
	double d = 0;
	char buf[32];

	if (!fv_parse_u64(s, 1, 65535, &v)) {
		FZ_CHECK(v >= 1 && v <= 65535);
		/* Digits only: no sign, space or other base slipped through. */
		FZ_CHECK(s[strspn(s, "0123456789")] == '\0');
		snprintf(buf, sizeof(buf), "%llu", (unsigned long long)v);
		FZ_CHECK(strlen(s) >= strlen(buf));
	}
	if (!fv_parse_seconds(s, 86400, &d))
		FZ_CHECK(isfinite(d) && d > 0 && d <= 86400);
}

static void ports(const char *s)
{
	uint16_t from, to, f2, t2;
	char buf[32];

	if (acl_ports_parse(s, &from, &to))
		return;
	FZ_CHECK(from <= to);
	acl_ports_format(from, to, buf, sizeof(buf));
	FZ_CHECK(!acl_ports_parse(buf, &f2, &t2) && f2 == from && t2 == to);
}

static void cidr(const char *s, bool allow_host)
{
	struct acl_cidr c, c2;
	char buf[64];

	if (acl_cidr_parse(s, allow_host, &c))
		return;
	FZ_CHECK(c.family == AF_INET ? c.len <= 32 : c.len <= 128);
	acl_cidr_format(&c, buf, sizeof(buf));
	FZ_CHECK(!acl_cidr_parse(buf, true, &c2));
	FZ_CHECK(c2.family == c.family && c2.len == c.len &&
		 !memcmp(c2.addr, c.addr, 16));
}

static void listen_addr(const char *s)
{
	struct sockaddr_storage ss;
	unsigned int len = 0;
	bool lo;

	if (!fv_agent_parse_listen(s, &ss, &len, &lo))
		FZ_CHECK(len > 0 && len <= sizeof(ss));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s;
	int proto;

	if (!size)
		return 0;
	s = fz_cstr(data + 1, size - 1);
	if (!s)
		return 0;
	switch (data[0] % 7) {
	case 0: host(s, FV_ROLE_NAT); break;
	case 1: host(s, FV_ROLE_CLIENT); break;
	case 2: number(s); break;
	case 3: ports(s); break;
	case 4: cidr(s, data[0] & 8); break;
	case 5:
		if (!acl_proto_parse(s, &proto))
			FZ_CHECK(proto >= -1 && proto <= 255);
		break;
	case 6: listen_addr(s); break;
	}
	free(s);
	return 0;
}
