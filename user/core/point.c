// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <sched.h>
#include <sys/stat.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "point.h"

#define NETNS_RUN_DIR "/run/netns"

const char *fv_role_name(enum fv_role role)
{
	return role == FV_ROLE_NAT ? "nat" : "client";
}

static bool valid_netns_name(const char *s, size_t len)
{
	if (!len || len >= FV_NETNS_MAX)
		return false;
	if ((len == 1 && s[0] == '.') || (len == 2 && !strncmp(s, "..", 2)))
		return false;
	return memchr(s, '/', len) == NULL;
}

static bool valid_ifname(const char *s, size_t len)
{
	size_t i;

	if (!len || len >= IF_NAMESIZE)
		return false;
	if ((len == 1 && s[0] == '.') || (len == 2 && !strncmp(s, "..", 2)))
		return false;
	/* As the kernel's dev_valid_name(): no '/', ':' or white space;
	 * control characters neither (fuzz/fuzz_args.c). */
	for (i = 0; i < len; i++) {
		if (s[i] == '/' || s[i] == ':' ||
		    isspace((unsigned char)s[i]) || iscntrl((unsigned char)s[i]))
			return false;
	}
	return true;
}

int fv_host_parse(const char *spec, enum fv_role role, struct fv_host *host,
		  char *err, size_t errlen)
{
	const char *colon, *list, *p;

	memset(host, 0, sizeof(*host));
	host->role = role;
	if (!spec || !*spec) {
		snprintf(err, errlen,
			 "empty %s point; expected [NETNS:]IFACE[,IFACE]",
			 fv_role_name(role));
		return -EINVAL;
	}
	colon = strchr(spec, ':');
	list = spec;
	if (colon) {
		if (!valid_netns_name(spec, colon - spec)) {
			snprintf(err, errlen, "bad namespace name in '%s'", spec);
			return -EINVAL;
		}
		memcpy(host->netns, spec, colon - spec);
		list = colon + 1;
	}
	for (p = list;;) {
		const char *end = strchr(p, ',');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		int i;

		if (!valid_ifname(p, len)) {
			snprintf(err, errlen, "bad interface name '%.*s' in '%s'",
				 (int)len, p, spec);
			return -EINVAL;
		}
		if (host->n_ifaces == FV_MAX_IFACES) {
			snprintf(err, errlen,
				 "too many interfaces in '%s' (at most %d)",
				 spec, FV_MAX_IFACES);
			return -EINVAL;
		}
		for (i = 0; i < host->n_ifaces; i++) {
			if (strlen(host->ifname[i]) == len &&
			    !strncmp(host->ifname[i], p, len)) {
				snprintf(err, errlen,
					 "interface '%.*s' given twice in '%s'",
					 (int)len, p, spec);
				return -EINVAL;
			}
		}
		memcpy(host->ifname[host->n_ifaces++], p, len);
		if (!end)
			break;
		p = end + 1;
	}
	return 0;
}

int fv_points_add(struct fv_points *p, enum fv_role role, const char *spec,
		  char *err, size_t errlen)
{
	int ret;

	if (role == FV_ROLE_NAT && p->have_nat) {
		snprintf(err, errlen,
			 "--nat given twice; list a NAT's interfaces "
			 "as NETNS:IFACE,IFACE");
		return -EINVAL;
	}
	if (p->n == FV_MAX_POINTS) {
		snprintf(err, errlen, "too many points (at most %d)",
			 FV_MAX_POINTS);
		return -EINVAL;
	}
	ret = fv_host_parse(spec, role, &p->hosts[p->n], err, errlen);
	if (ret)
		return ret;
	p->n++;
	p->have_nat |= role == FV_ROLE_NAT;
	return 0;
}

/* The same interface in two points would meet our own XDP program there
 * and take it for someone else's. */
static int find_repeated_iface(const struct fv_points *p, char *err, size_t errlen)
{
	for (int i = 0; i < p->n; i++) {
		for (int j = 0; j < i; j++) {
			const struct fv_host *a = &p->hosts[i], *b = &p->hosts[j];

			if (strcmp(a->netns, b->netns))
				continue;
			for (int k = 0; k < a->n_ifaces; k++) {
				for (int m = 0; m < b->n_ifaces; m++) {
					if (strcmp(a->ifname[k], b->ifname[m]))
						continue;
					snprintf(err, errlen,
						 "interface %s%s%s given twice (in --%s and --%s)",
						 a->netns, *a->netns ? ":" : "",
						 a->ifname[k],
						 fv_role_name(b->role),
						 fv_role_name(a->role));
					return -EINVAL;
				}
			}
		}
	}
	return 0;
}

int fv_points_finish(struct fv_points *p, enum fv_ingress ingress,
		     bool xdp_reset_ok, char *err, size_t errlen)
{
	for (int i = 0; i < p->n; i++) {
		p->hosts[i].ingress = ingress;
		p->hosts[i].xdp_reset_ok = xdp_reset_ok;
	}
	return find_repeated_iface(p, err, errlen);
}

int fv_netns_enter(const char *name, int *saved)
{
	char path[sizeof(NETNS_RUN_DIR) + FV_NETNS_MAX + 1];
	int fd, err;

	*saved = -1;
	if (!name || !*name)
		return 0;
	snprintf(path, sizeof(path), NETNS_RUN_DIR "/%s", name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	*saved = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (*saved < 0) {
		err = -errno;
		close(fd);
		return err;
	}
	if (setns(fd, CLONE_NEWNET)) {
		err = -errno;
		close(fd);
		close(*saved);
		*saved = -1;
		return err;
	}
	close(fd);
	return 0;
}

void fv_netns_leave(int saved)
{
	if (saved < 0)
		return;
	/* Going back to where we came from cannot fail short of a broken
	 * kernel; carrying on in the wrong namespace would be worse. */
	if (setns(saved, CLONE_NEWNET)) {
		perror("flowverify: setns back to the original namespace");
		_exit(2);
	}
	close(saved);
}

static void add_addr(struct fv_host *host, const struct sockaddr *sa)
{
	uint8_t *dst;

	if (host->n_addrs == FV_MAX_ADDRS)
		return;
	dst = host->addrs[host->n_addrs];
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *sin = (const void *)sa;

		memset(dst, 0, 10);
		dst[10] = dst[11] = 0xff;
		memcpy(dst + 12, &sin->sin_addr, 4);
	} else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *sin6 = (const void *)sa;

		memcpy(dst, &sin6->sin6_addr, 16);
	} else {
		return;
	}
	host->n_addrs++;
}

int fv_host_resolve(struct fv_host *host, char *err, size_t errlen)
{
	struct ifaddrs *ifa_list, *ifa;
	int saved, ret, i;

	ret = fv_netns_enter(host->netns, &saved);
	if (ret) {
		if (ret == -ENOENT)
			snprintf(err, errlen,
				 "no network namespace '%s' (not in %s)",
				 host->netns, NETNS_RUN_DIR);
		else
			snprintf(err, errlen, "cannot enter namespace '%s': %s",
				 host->netns, strerror(-ret));
		return ret;
	}
	for (i = 0; i < host->n_ifaces; i++) {
		host->ifindex[i] = if_nametoindex(host->ifname[i]);
		if (!host->ifindex[i]) {
			snprintf(err, errlen, "no interface '%s'%s%s",
				 host->ifname[i],
				 *host->netns ? " in namespace " : "",
				 host->netns);
			ret = -ENODEV;
			goto out;
		}
	}
	if (getifaddrs(&ifa_list)) {
		ret = -errno;
		snprintf(err, errlen, "cannot read addresses: %s",
			 strerror(-ret));
		goto out;
	}
	host->n_addrs = 0;
	for (ifa = ifa_list; ifa; ifa = ifa->ifa_next) {
		if (ifa->ifa_addr)
			add_addr(host, ifa->ifa_addr);
	}
	freeifaddrs(ifa_list);
out:
	fv_netns_leave(saved);
	return ret;
}

bool fv_host_is_local(const struct fv_host *host, const uint8_t addr[16])
{
	int i;

	for (i = 0; i < host->n_addrs; i++) {
		if (!memcmp(host->addrs[i], addr, 16))
			return true;
	}
	return false;
}

static bool is_v4_mapped(const uint8_t a[16])
{
	static const uint8_t prefix[12] = { [10] = 0xff, [11] = 0xff };

	return !memcmp(a, prefix, sizeof(prefix));
}

void fv_format_addr(const uint8_t addr[16], char *buf, size_t len)
{
	if (is_v4_mapped(addr))
		inet_ntop(AF_INET, addr + 12, buf, len);
	else
		inet_ntop(AF_INET6, addr, buf, len);
}

void fv_format_endpoint(const uint8_t addr[16], uint16_t port_be, char *buf,
			size_t len)
{
	char a[INET6_ADDRSTRLEN];

	fv_format_addr(addr, a, sizeof(a));
	if (is_v4_mapped(addr))
		snprintf(buf, len, "%s:%u", a, ntohs(port_be));
	else
		snprintf(buf, len, "[%s]:%u", a, ntohs(port_be));
}

int fv_netns_inum(const char *netns_name, uint32_t *inum)
{
	char path[4096];
	struct stat st;

	if (!netns_name || !netns_name[0])
		snprintf(path, sizeof(path), "/proc/self/ns/net");
	else if (strchr(netns_name, '/') || !strcmp(netns_name, ".") ||
		 !strcmp(netns_name, ".."))
		return -EINVAL;
	else
		snprintf(path, sizeof(path), "/run/netns/%s", netns_name);
	if (stat(path, &st))
		return -errno;
	*inum = (uint32_t)st.st_ino;
	return 0;
}
