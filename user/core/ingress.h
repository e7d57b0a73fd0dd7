/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* How ingress is watched, and whether native XDP may be attached to an
 * interface. tc (tcx, else clsact) is the default: it needs nothing of
 * the driver and never resets the device. Native XDP is attached only
 * when asked (--ingress xdp), and not on a driver that restarts the
 * interface to attach it (ena) unless --xdp-reset-ok says so. */
#ifndef FV_INGRESS_H
#define FV_INGRESS_H

#include <stdbool.h>
#include <stddef.h>

enum fv_ingress {
	FV_INGRESS_TC,		/* tcx, else clsact: the default */
	FV_INGRESS_XDP,		/* native XDP only, refused where unsupported */
	FV_INGRESS_XDP_GENERIC, /* generic (skb) XDP, asked for by name */
};

/* The largest MTU ena accepts with an XDP program attached, with 4 KiB
 * pages: a page less the Ethernet, FCS and VLAN headers, XDP headroom and
 * struct skb_shared_info (the driver's ENA_XDP_MAX_MTU). */
#define FV_ENA_XDP_MAX_MTU 3498

/* "tc", "xdp" or "xdp-generic" into *out: 0, or -EINVAL (not said). */
int fv_ingress_parse(const char *arg, enum fv_ingress *out);

/* May native XDP be attached to interface WHERE ([NETNS:]IFACE), of
 * driver DRIVER ("" when unknown) and MTU (<= 0 when unknown)? Pure: no
 * system access. 0 yes; -EPERM no, with one line in msg (no "flowverify:"
 * prefix) naming the interface, the reason and --ingress tc. */
int fv_xdp_native_allowed(const char *where, const char *driver, int mtu,
			  bool reset_ok, char *msg, size_t len);

/* The line for a native XDP attach the kernel refused with err (-errno);
 * kernel_text is the kernel's or libbpf's own words when there were any
 * (NULL or "" otherwise). Pure. */
void fv_xdp_native_refused(const char *where, const char *driver, int mtu,
			   int err, const char *kernel_text, char *msg,
			   size_t len);

/* The driver (ETHTOOL_GDRVINFO) and MTU of IFNAME in the caller's current
 * namespace: driver "" and *mtu 0 where they cannot be read. */
void fv_iface_driver_mtu(const char *ifname, char *driver, size_t len, int *mtu);

#endif
