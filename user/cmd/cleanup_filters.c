// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* `flowverify cleanup --filters`: on kernels without tcx (before 6.6) tc
 * programs go into clsact qdiscs as netlink filters, which outlive a
 * process killed with -9. This finds ours (programs named fv_tc_*) in this
 * namespace and every named one, and removes those no process holds. The
 * filters are listed with `tc -j` (iproute2): libbpf can only query a
 * filter whose handle and priority are already known. */
#include <dirent.h>
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <bpf/libbpf.h>
#include <jansson.h>
#include "cleanup.h"
#include "point.h"
#include "util.h"

#define OUR_TC_PREFIX	"fv_tc_"
#define TC_OUTPUT_MAX	(4 << 20)

struct held {
	uint32_t *ids;
	size_t n, cap;
};

/* Every BPF program id some process holds an fd of (a program fd or a
 * link's): a filter running one of them belongs to a live run. */
static void collect_held(struct held *h)
{
	struct dirent *p, *f;
	DIR *procs = opendir("/proc");

	while (procs && (p = readdir(procs))) {
		char path[600], line[128];
		DIR *fds;

		if (p->d_name[0] < '1' || p->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/fdinfo", p->d_name);
		fds = opendir(path);
		while (fds && (f = readdir(fds))) {
			unsigned int id;
			FILE *fi;

			if (f->d_name[0] == '.')
				continue;
			snprintf(path, sizeof(path), "/proc/%s/fdinfo/%s", p->d_name,
				 f->d_name);
			fi = fopen(path, "r");
			while (fi && fgets(line, sizeof(line), fi)) {
				uint32_t *ids;

				if (sscanf(line, "prog_id: %u", &id) != 1)
					continue;
				if (h->n == h->cap) {
					h->cap = h->cap ? h->cap * 2 : 64;
					ids = realloc(h->ids, h->cap * sizeof(*ids));
					if (!ids)
						break;
					h->ids = ids;
				}
				h->ids[h->n++] = id;
			}
			if (fi)
				fclose(fi);
		}
		if (fds)
			closedir(fds);
	}
	if (procs)
		closedir(procs);
}

static bool is_held(const struct held *h, uint32_t id)
{
	for (size_t i = 0; i < h->n; i++) {
		if (h->ids[i] == id)
			return true;
	}
	return false;
}

/* One interface, one direction, in the namespace we are in. */
static void clean_dir(const char *where, const char *ifname, int ifindex,
		      bool egress, const struct held *h, struct fv_filter_tally *t)
{
	char *argv[] = { "tc", "-j", "filter", "show", "dev", (char *)ifname,
			 egress ? "egress" : "ingress", NULL };
	const char *dir = egress ? "egress" : "ingress";
	json_t *list, *e;
	char *out;
	size_t i;
	int rc;

	rc = fv_run_capture(argv, &out, TC_OUTPUT_MAX);
	if (rc < 0) {
		if (!t->no_tc)
			fv_err("cannot run 'tc' (iproute2) to list filters");
		t->no_tc = true;
		free(out);
		return;
	}
	/* No clsact qdisc: tc fails or prints nothing; nothing of ours. */
	list = rc == 0 && out && *out ? json_loads(out, 0, NULL) : NULL;
	free(out);
	json_array_foreach(list, i, e) {
		LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex,
			    .attach_point = egress ? BPF_TC_EGRESS : BPF_TC_INGRESS);
		json_t *prog = json_object_get(json_object_get(e, "options"), "prog");
		const char *name = json_string_value(json_object_get(prog, "name"));
		const char *handle = json_string_value(json_object_get(
					json_object_get(e, "options"), "handle"));
		json_int_t id = json_integer_value(json_object_get(prog, "id"));
		json_int_t pref = json_integer_value(json_object_get(e, "pref"));
		LIBBPF_OPTS(bpf_tc_opts, del);
		int err;

		if (!name || strncmp(name, OUR_TC_PREFIX, strlen(OUR_TC_PREFIX)) ||
		    !handle || pref <= 0 || pref > 0xffff)
			continue;
		if (is_held(h, id)) {
			printf("kept %s (program %lld) on %s%s %s: a running flowverify holds it\n",
			       name, (long long)id, where, ifname, dir);
			t->kept++;
			continue;
		}
		del.handle = strtoul(handle, NULL, 16);
		del.priority = pref;
		err = bpf_tc_detach(&hook, &del);
		if (err) {
			fv_err("cannot remove %s from %s%s %s: %s", name, where, ifname,
			       dir, strerror(-err));
			t->failed++;
			continue;
		}
		printf("removed %s (program %lld) from %s%s %s (pref %lld handle %s)\n",
		       name, (long long)id, where, ifname, dir, (long long)pref, handle);
		t->removed++;
	}
	json_decref(list);
}

static void clean_netns(const char *name, const struct held *h,
			struct fv_filter_tally *t)
{
	struct if_nameindex *ifs, *i;
	char where[FV_NETNS_MAX + 2] = "";
	int saved;

	if (fv_netns_enter(name, &saved))
		return;		/* deleted meanwhile */
	if (*name)
		snprintf(where, sizeof(where), "%s:", name);
	ifs = if_nameindex();
	for (i = ifs; i && i->if_index; i++) {
		clean_dir(where, i->if_name, i->if_index, false, h, t);
		clean_dir(where, i->if_name, i->if_index, true, h, t);
	}
	if (ifs)
		if_freenameindex(ifs);
	fv_netns_leave(saved);
}

void fv_cleanup_filters(struct fv_filter_tally *t)
{
	struct held h = { 0 };
	struct stat self, other;
	struct dirent *de;
	DIR *d;

	memset(t, 0, sizeof(*t));
	collect_held(&h);
	clean_netns("", &h, t);
	if (stat("/proc/self/ns/net", &self))
		memset(&self, 0, sizeof(self));
	d = opendir("/run/netns");
	while (d && (de = readdir(d)) && !t->no_tc) {
		char path[300];

		if (de->d_name[0] == '.' || strlen(de->d_name) >= FV_NETNS_MAX)
			continue;
		/* The namespace we run in, under a name: done already. */
		snprintf(path, sizeof(path), "/run/netns/%s", de->d_name);
		if (!stat(path, &other) && other.st_ino == self.st_ino &&
		    other.st_dev == self.st_dev)
			continue;
		clean_netns(de->d_name, &h, t);
	}
	if (d)
		closedir(d);
	free(h.ids);
}
