// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * fv_tcx_other NETNS IFACE ingress|egress OBJECT PROGRAM: someone else's
 * tcx program for the e2e tests. Loads PROGRAM from OBJECT, appends it to
 * the interface's tcx chain in NETNS, prints "ready" and holds the link
 * until it is killed (the link goes with the process).
 * Exit 2 with one line on stderr when it cannot.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

/* Not in Debian 12's uapi headers (6.1); the kernel has had them since 6.6. */
#define TCX_INGRESS 46
#define TCX_EGRESS  47

static int fail(const char *what, const char *arg)
{
	fprintf(stderr, "fv_tcx_other: %s '%s'\n", what, arg);
	return 2;
}

int main(int argc, char **argv)
{
	struct bpf_program *prog;
	struct bpf_object *obj;
	char path[256];
	int nsfd, ifindex, link;
	bool egress;

	if (argc != 6)
		return fail("usage: NETNS IFACE ingress|egress OBJECT PROGRAM; got",
			    argc > 1 ? argv[1] : "");
	egress = !strcmp(argv[3], "egress");
	if (!egress && strcmp(argv[3], "ingress"))
		return fail("expected ingress or egress, not", argv[3]);
	obj = bpf_object__open_file(argv[4], NULL);
	if (!obj || bpf_object__load(obj))
		return fail("cannot load", argv[4]);
	prog = bpf_object__find_program_by_name(obj, argv[5]);
	if (!prog)
		return fail("no program", argv[5]);
	snprintf(path, sizeof(path), "/run/netns/%s", argv[1]);
	nsfd = open(path, O_RDONLY | O_CLOEXEC);
	if (nsfd < 0 || setns(nsfd, CLONE_NEWNET))
		return fail("cannot enter namespace", argv[1]);
	ifindex = if_nametoindex(argv[2]);
	if (!ifindex)
		return fail("no interface", argv[2]);
	link = bpf_link_create(bpf_program__fd(prog), ifindex,
			       egress ? TCX_EGRESS : TCX_INGRESS, NULL);
	if (link < 0)
		return fail("cannot attach tcx on", argv[2]);
	printf("ready\n");
	fflush(stdout);
	pause();
	return 0;
}
