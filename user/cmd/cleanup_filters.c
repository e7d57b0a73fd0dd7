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

#define OUR_TC_PREFIX "fv_tc_"
#define TC_OUTPUT_MAX (4 << 20)

int fv_held_add(struct fv_held *h, uint32_t id)
{
	size_t cap;
	uint32_t *ids;

	if (h->n == h->cap) {
		cap = h->cap ? h->cap * 2 : 64;
		ids = fv_realloc(h->ids, cap * sizeof(*ids));
		if (!ids) {
			h->incomplete = true;
			return -ENOMEM;
		}
		h->ids = ids;
		h->cap = cap;
	}
	h->ids[h->n++] = id;
	return 0;
}

/* A process or an fd that went away while we read is no error. */
static bool gone(int err)
{
	return err == ENOENT || err == ESRCH;
}

/* The ids in one fdinfo file. 0 or -errno. */
static int read_fdinfo(struct fv_held *h, const char *path)
{
	char line[128];
	unsigned int id;
	int ret = 0;
	FILE *f;

	f = fopen(path, "re");
	if (!f)
		return gone(errno) ? 0 : -errno;
	while (!ret && fgets(line, sizeof(line), f)) {
		if (sscanf(line, "prog_id: %u", &id) == 1)
			ret = fv_held_add(h, id);
	}
	if (!ret && ferror(f) && !gone(errno))
		ret = errno ? -errno : -EIO;
	fclose(f);
	return ret;
}

/* The fdinfo of one process. 0 or -errno. */
static int read_process(struct fv_held *h, const char *proc, const char *pid)
{
	char path[600];
	struct dirent *f;
	int ret = 0;
	DIR *fds;

	snprintf(path, sizeof(path), "%s/%s/fdinfo", proc, pid);
	fds = opendir(path);
	if (!fds && (errno == EACCES || errno == EPERM)) {
		if (!h->denied++)
			h->denied_pid = atoi(pid);
		return 0;
	}
	if (!fds)
		return gone(errno) ? 0 : -errno;
	for (;;) {
		errno = 0;
		f = readdir(fds);
		if (!f) {
			if (errno && !gone(errno))
				ret = -errno;
			break;
		}
		if (f->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s/fdinfo/%s", proc, pid,
			 f->d_name);
		ret = read_fdinfo(h, path);
		if (ret)
			break;
	}
	closedir(fds);
	return ret;
}

int fv_held_collect(struct fv_held *h, const char *proc)
{
	struct dirent *p;
	int ret = 0;
	DIR *procs;

	procs = opendir(proc);
	if (!procs) {
		ret = -errno;
		h->incomplete = true;
		return ret;
	}
	for (;;) {
		errno = 0;
		p = readdir(procs);
		if (!p) {
			ret = errno ? -errno : 0;
			break;
		}
		if (p->d_name[0] < '1' || p->d_name[0] > '9')
			continue;
		ret = read_process(h, proc, p->d_name);
		if (ret)
			break;
	}
	closedir(procs);
	if (ret)
		h->incomplete = true;
	return ret;
}

bool fv_filter_orphaned(const struct fv_held *h, uint32_t id)
{
	if (h->incomplete)
		return false;
	for (size_t i = 0; i < h->n; i++) {
		if (h->ids[i] == id)
			return false;
	}
	return true;
}

void fv_held_free(struct fv_held *h)
{
	free(h->ids);
	memset(h, 0, sizeof(*h));
}

/* One interface, one direction, in the namespace we are in. */
static void clean_dir(const char *where, const char *ifname, int ifindex,
		      bool egress, const struct fv_held *h,
		      struct fv_filter_tally *t)
{
	char *argv[] = { "tc",
			 "-j",
			 "filter",
			 "show",
			 "dev",
			 (char *)ifname,
			 egress ? "egress" : "ingress",
			 NULL };
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
	json_array_foreach(list, i, e)
	{
		LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex,
			    .attach_point =
				    egress ? BPF_TC_EGRESS : BPF_TC_INGRESS);
		json_t *prog =
			json_object_get(json_object_get(e, "options"), "prog");
		const char *name =
			json_string_value(json_object_get(prog, "name"));
		const char *handle = json_string_value(
			json_object_get(json_object_get(e, "options"), "handle"));
		json_int_t id = json_integer_value(json_object_get(prog, "id"));
		json_int_t pref = json_integer_value(json_object_get(e, "pref"));
		LIBBPF_OPTS(bpf_tc_opts, del);
		int err;

		if (!name || strncmp(name, OUR_TC_PREFIX, strlen(OUR_TC_PREFIX)) ||
		    !handle || pref <= 0 || pref > 0xffff || id <= 0 ||
		    id > UINT32_MAX)
			continue;
		if (!fv_filter_orphaned(h, id)) {
			printf("kept %s (program %lld) on %s%s %s: a running flowverify holds it\n",
			       name, (long long)id, where, ifname, dir);
			t->kept++;
			continue;
		}
		del.handle = strtoul(handle, NULL, 16);
		del.priority = pref;
		err = bpf_tc_detach(&hook, &del);
		if (err) {
			fv_err("cannot remove %s from %s%s %s: %s", name, where,
			       ifname, dir, strerror(-err));
			t->failed++;
			continue;
		}
		printf("removed %s (program %lld) from %s%s %s (pref %lld handle %s)\n",
		       name, (long long)id, where, ifname, dir, (long long)pref,
		       handle);
		t->removed++;
	}
	json_decref(list);
}

static void clean_netns(const char *name, const struct fv_held *h,
			struct fv_filter_tally *t)
{
	struct if_nameindex *ifs, *i;
	char where[FV_NETNS_MAX + 2] = "";
	int saved;

	if (fv_netns_enter(name, &saved))
		return; /* deleted meanwhile */
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
	struct fv_held h = { 0 };
	struct stat self, other;
	struct dirent *de;
	DIR *d;
	int ret;

	memset(t, 0, sizeof(*t));
	ret = fv_held_collect(&h, "/proc");
	if (ret) {
		/* Fail closed: a filter missing from the list may be live. */
		fv_err("cannot list the BPF programs processes hold (%s); "
		       "removing no filter",
		       strerror(-ret));
		t->failed++;
		fv_held_free(&h);
		return;
	}
	if (h.denied)
		fv_warn("cannot see the descriptors of %u process%s (pid %d%s: "
			"permission denied): a filter held only there counts as "
			"orphaned",
			h.denied, h.denied > 1 ? "es" : "", h.denied_pid,
			h.denied > 1 ? " first" : "");
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
	fv_held_free(&h);
}
