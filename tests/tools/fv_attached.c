// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * fv_attached [--ours] [NETNS]: the BPF programs attached to every
 * interface of one network namespace, one line each:
 *
 *	IFACE HOOK PROG_ID PROG_NAME
 *
 * HOOK is xdp-generic, xdp-native, xdp-offload, tcx-ingress or tcx-egress.
 * The e2e tests need it because bpftool 7.1 lists tcx links without their
 * interface or namespace, so "nothing of ours left in namespace X" could
 * not be checked for tcx. clsact filters are not listed: `tc filter show`
 * already sees them per namespace.
 *
 * --ours keeps only flowverify's programs (names starting "fv_").
 * Exit 0, or 2 with one line on stderr.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <net/if.h>
#include <sched.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

/* Not in Debian 12's uapi headers (6.1); the kernel has had them since 6.6. */
#define FVA_BPF_TCX_INGRESS 46
#define FVA_BPF_TCX_EGRESS  47

static bool ours_only;

static void __attribute__((format(printf, 1, 2))) die(const char *fmt, ...)
{
	va_list ap;

	fputs("fv_attached: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(2);
}

static void usage(FILE *f)
{
	fputs("usage: fv_attached [--ours] [NETNS]\n", f);
}

static void enter_netns(const char *name)
{
	char path[PATH_MAX];
	int fd;

	/* A name, not a path: /run/netns/../x must not reach elsewhere. */
	if (!*name || strchr(name, '/') || !strcmp(name, ".") ||
	    !strcmp(name, ".."))
		die("bad namespace name '%s'", name);
	snprintf(path, sizeof(path), "/run/netns/%s", name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT)
			die("no network namespace '%s'", name);
		die("%s: %s", path, strerror(errno));
	}
	if (setns(fd, CLONE_NEWNET))
		die("setns into '%s': %s", name, strerror(errno));
	close(fd);
}

static void print_prog(const char *ifname, const char *hook, __u32 id)
{
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);
	int fd, err;

	fd = bpf_prog_get_fd_by_id(id);
	if (fd < 0) {
		/* Detached and freed since the query: no longer attached. */
		if (errno == ENOENT)
			return;
		die("program %u: %s", id, strerror(errno));
	}
	err = bpf_obj_get_info_by_fd(fd, &info, &len);
	err = err ? errno : 0;
	close(fd);
	if (err)
		die("program %u: %s", id, strerror(err));
	if (ours_only && strncmp(info.name, "fv_", 3))
		return;
	printf("%s %s %u %s\n", ifname, hook, id, info.name[0] ? info.name : "-");
}

static void list_xdp(const struct if_nameindex *ifn)
{
	LIBBPF_OPTS(bpf_xdp_query_opts, q);
	int err;

	err = bpf_xdp_query(ifn->if_index, 0, &q);
	if (err == -ENODEV)
		return; /* the interface went away meanwhile */
	if (err)
		die("%s: XDP query: %s", ifn->if_name, strerror(-err));
	/* Several modes can be attached at once; each is its own hook. */
	if (q.skb_prog_id)
		print_prog(ifn->if_name, "xdp-generic", q.skb_prog_id);
	if (q.drv_prog_id)
		print_prog(ifn->if_name, "xdp-native", q.drv_prog_id);
	if (q.hw_prog_id)
		print_prog(ifn->if_name, "xdp-offload", q.hw_prog_id);
}

static void list_tcx(const struct if_nameindex *ifn, int type, const char *hook)
{
	__u32 *ids = NULL, cnt, cap = 16, flags = 0, i;
	int err;

	for (;;) {
		free(ids);
		ids = calloc(cap, sizeof(*ids));
		if (!ids)
			die("out of memory");
		cnt = cap;
		/* For tcx the kernel reads target_fd as an ifindex, looked up
		 * in the caller's network namespace. */
		err = bpf_prog_query(ifn->if_index, type, 0, &flags, ids, &cnt);
		if (err != -ENOSPC)
			break;
		cap *= 4;
	}
	if (err == -ENODEV || err == -EINVAL) {
		/* Gone meanwhile, or a kernel without tcx: nothing there. */
		cnt = 0;
	} else if (err) {
		free(ids);
		die("%s: %s query: %s", ifn->if_name, hook, strerror(-err));
	}
	for (i = 0; i < cnt; i++)
		print_prog(ifn->if_name, hook, ids[i]);
	free(ids);
}

int main(int argc, char **argv)
{
	struct if_nameindex *ifs, *ifn;
	const char *ns = NULL;
	int i;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--ours")) {
			ours_only = true;
		} else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			usage(stdout);
			return 0;
		} else if (argv[i][0] == '-') {
			die("unknown option '%s'", argv[i]);
		} else if (ns) {
			die("unexpected argument '%s'", argv[i]);
		} else {
			ns = argv[i];
		}
	}
	/* Errors are ours to report, on one line. */
	libbpf_set_print(NULL);
	if (ns)
		enter_netns(ns);

	ifs = if_nameindex();
	if (!ifs)
		die("listing interfaces: %s", strerror(errno));
	for (ifn = ifs; ifn->if_index; ifn++) {
		list_xdp(ifn);
		list_tcx(ifn, FVA_BPF_TCX_INGRESS, "tcx-ingress");
		list_tcx(ifn, FVA_BPF_TCX_EGRESS, "tcx-egress");
	}
	if_freenameindex(ifs);
	if (fflush(stdout) || ferror(stdout))
		die("writing output: %s", strerror(errno));
	return 0;
}
