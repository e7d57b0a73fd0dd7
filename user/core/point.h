/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Observation points: a host (a network namespace) and the interfaces
 * watched on it, given as [NETNS:]IFACE[,IFACE...]. */
#ifndef FV_POINT_H
#define FV_POINT_H

#include <stdbool.h>
#include <stdint.h>
#include <net/if.h>
#include "ingress.h"

#define FV_MAX_IFACES 8
#define FV_MAX_ADDRS  64
#define FV_NETNS_MAX  64
#define FV_MAX_POINTS 8

enum fv_role {
	FV_ROLE_NAT,
	FV_ROLE_CLIENT,
	FV_ROLE_MAX, /* arrays by role */
};

struct fv_host {
	enum fv_role role;
	char netns[FV_NETNS_MAX]; /* "" = the namespace we run in */
	int n_ifaces;
	char ifname[FV_MAX_IFACES][IF_NAMESIZE];
	int ifindex[FV_MAX_IFACES];
	int n_addrs;
	uint8_t addrs[FV_MAX_ADDRS][16]; /* v4-mapped or v6 */
	/* How ingress is watched: tc by default. Native XDP switches a
	 * veth (and some NICs) to another receive path, and restarts an ena
	 * interface unless xdp_reset_ok; generic XDP copies non-linear
	 * packets (ingress.h). */
	enum fv_ingress ingress;
	bool xdp_reset_ok; /* --xdp-reset-ok: an ena restart is accepted */
};

const char *fv_role_name(enum fv_role role);

/* Syntax only; no system access. Returns 0 or -EINVAL with a message in
 * err (one line). */
int fv_host_parse(const char *spec, enum fv_role role, struct fv_host *host,
		  char *err, size_t errlen);

/* The points named on a command line (--nat once, --client any number of
 * times), shared by verify, watch, trace and the agent. */
struct fv_points {
	struct fv_host hosts[FV_MAX_POINTS];
	int n;
	bool have_nat;
};

/* One --nat or --client value. 0, or -EINVAL with a message in err. */
int fv_points_add(struct fv_points *p, enum fv_role role, const char *spec,
		  char *err, size_t errlen);

/* After the last option: an interface may be in one point only; every
 * point watches ingress the same way. 0, or -EINVAL with a message. */
int fv_points_finish(struct fv_points *p, enum fv_ingress ingress,
		     bool xdp_reset_ok, char *err, size_t errlen);

/* Resolve interface indexes and the host's own addresses inside its
 * namespace. Returns 0 or -errno with a message in err. */
int fv_host_resolve(struct fv_host *host, char *err, size_t errlen);

bool fv_host_is_local(const struct fv_host *host, const uint8_t addr[16]);

/* Switch this thread into a named namespace ("" = stay). *saved gets the
 * original namespace to give back to fv_netns_leave(). */
int fv_netns_enter(const char *name, int *saved);
void fv_netns_leave(int saved);

/* "ip:port" for a v4-mapped/v6 address and a port in network order. */
void fv_format_endpoint(const uint8_t addr[16], uint16_t port_be, char *buf,
			size_t len);
void fv_format_addr(const uint8_t addr[16], char *buf, size_t len);

/* Inode number of network namespace NAME (/run/netns/NAME), or of the
 * caller's own for "" or NULL. 0 or -errno. */
int fv_netns_inum(const char *netns_name, uint32_t *inum);

#endif
