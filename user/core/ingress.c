// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <linux/ethtool.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>
#include "ingress.h"

int fv_ingress_parse(const char *arg, enum fv_ingress *out)
{
	if (!strcmp(arg, "tc"))
		*out = FV_INGRESS_TC;
	else if (!strcmp(arg, "xdp"))
		*out = FV_INGRESS_XDP;
	else if (!strcmp(arg, "xdp-generic"))
		*out = FV_INGRESS_XDP_GENERIC;
	else
		return -EINVAL;
	return 0;
}

/* "eth0 (ena)", or "eth0" when the driver is unknown. */
static void iface_with_driver(const char *where, const char *driver, char *buf,
			      size_t len)
{
	if (driver && *driver)
		snprintf(buf, len, "%s (%s)", where, driver);
	else
		snprintf(buf, len, "%s", where);
}

int fv_xdp_native_allowed(const char *where, const char *driver, int mtu,
			  bool reset_ok, char *msg, size_t len)
{
	char who[IF_NAMESIZE + 128], need[64] = "";

	/* ena attaches and detaches XDP through ena_down()/ena_up(): the
	 * interface restarts, twice per run. On a NAT instance that is its
	 * only interface, and every translation through it. */
	if (!driver || strcmp(driver, "ena") || reset_ok)
		return 0;
	iface_with_driver(where, driver, who, sizeof(who));
	if (mtu <= 0)
		snprintf(need, sizeof(need), " and needs MTU <= %d",
			 FV_ENA_XDP_MAX_MTU);
	else if (mtu > FV_ENA_XDP_MAX_MTU)
		snprintf(need, sizeof(need), " and needs MTU <= %d (it is %d)",
			 FV_ENA_XDP_MAX_MTU, mtu);
	snprintf(msg, len,
		 "%s: native XDP restarts the interface%s; use --ingress tc, or --xdp-reset-ok to accept the restart",
		 who, need);
	return -EPERM;
}

void fv_xdp_native_refused(const char *where, const char *driver, int mtu,
			   int err, const char *kernel_text, char *msg,
			   size_t len)
{
	char who[IF_NAMESIZE + 128], hint[96] = "";
	const char *why =
		kernel_text && *kernel_text ? kernel_text : strerror(-err);

	iface_with_driver(where, driver, who, sizeof(who));
	if (driver && !strcmp(driver, "ena") && mtu > FV_ENA_XDP_MAX_MTU)
		snprintf(hint, sizeof(hint),
			 " (ena allows XDP only with MTU <= %d; it is %d)",
			 FV_ENA_XDP_MAX_MTU, mtu);
	else if (err == -EOPNOTSUPP)
		snprintf(hint, sizeof(hint), " (the driver has no native XDP)");
	else if ((err == -EINVAL || err == -ERANGE) && mtu > 0)
		snprintf(hint, sizeof(hint),
			 " (is the MTU, %d, above what the driver allows with XDP?)",
			 mtu);
	snprintf(msg, len,
		 "%s: the kernel refused native XDP: %s%s; use --ingress tc",
		 who, why, hint);
}

void fv_iface_driver_mtu(const char *ifname, char *driver, size_t len, int *mtu)
{
	struct ethtool_drvinfo info = { .cmd = ETHTOOL_GDRVINFO };
	struct ifreq ifr;
	int fd;

	if (len)
		*driver = '\0';
	*mtu = 0;
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	ifr.ifr_data = (void *)&info;
	if (!ioctl(fd, SIOCETHTOOL, &ifr) && len)
		snprintf(driver, len, "%.*s", (int)sizeof(info.driver),
			 info.driver);
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	if (!ioctl(fd, SIOCGIFMTU, &ifr))
		*mtu = ifr.ifr_mtu;
	close(fd);
}
