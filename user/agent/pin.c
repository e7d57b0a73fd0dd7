// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The agent's pins: counters that outlive the process, marked as ours so
 * that we re-adopt only our own and never take or remove someone else's. */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "flowverify.skel.h"
#include "pin.h"

#ifndef BPF_FS_MAGIC
#define BPF_FS_MAGIC 0xcafe4a11
#endif

int fv_pin_bpffs_ensure(bool *mounted, char *err, size_t errlen)
{
	struct statfs sfs;
	int e;

	*mounted = false;
	if (!statfs(FV_BPFFS, &sfs) && sfs.f_type == BPF_FS_MAGIC)
		return 0;
	/* A fresh machine may not mount it; pins need it. */
	if (mount("bpf", FV_BPFFS, "bpf", 0, "mode=0700")) {
		e = errno; /* snprintf and strerror may change it */
		snprintf(err, errlen,
			 "no bpffs on " FV_BPFFS " and cannot mount it: %s",
			 strerror(e));
		return -e;
	}
	*mounted = true;
	return 0;
}

int fv_pin_dir(const char *instance, char *buf, size_t len)
{
	size_t i, n = strlen(instance);

	if (!n || n > FV_INSTANCE_MAX)
		return -EINVAL;
	for (i = 0; i < n; i++) {
		if (!isalnum((unsigned char)instance[i]) &&
		    instance[i] != '-' && instance[i] != '_')
			return -EINVAL;
	}
	snprintf(buf, len, FV_PIN_ROOT "/%s", instance);
	return 0;
}

struct map_shape {
	const char *name;
	__u32 type, key_size, value_size, max_entries;
};

/* Is the pinned object at path a map of this shape? 0, -ENOENT, or
 * -EPERM when it is something else. On success *fd is open. */
static int open_pinned(const char *path, const struct map_shape *want, int *fd)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);
	int f;

	*fd = -1;
	f = bpf_obj_get(path);
	if (f < 0)
		return errno == ENOENT ? -ENOENT : -EPERM;
	if (bpf_obj_get_info_by_fd(f, &info, &len) || info.type != want->type ||
	    info.key_size != want->key_size ||
	    info.value_size != want->value_size ||
	    info.max_entries != want->max_entries ||
	    strcmp(info.name, want->name)) {
		close(f);
		return -EPERM;
	}
	*fd = f;
	return 0;
}

static const struct map_shape state_shape = {
	FV_MAP_AGENT, BPF_MAP_TYPE_ARRAY, 4, sizeof(struct fv_agent_state), 1,
};

static int state_get(int fd, struct fv_agent_state *st)
{
	__u32 key = 0;

	if (bpf_map_lookup_elem(fd, &key, st))
		return -errno;
	if (memcmp(st->magic, FV_AGENT_MAGIC, sizeof(st->magic)) ||
	    st->version != FV_AGENT_STATE_VERSION)
		return -EPERM;
	st->spec[sizeof(st->spec) - 1] = '\0';
	return 0;
}

/* The state of an agent from before the segment beyond_client: one lost[]
 * counter fewer, the rest shifted by it. Rewritten in today's layout and
 * pinned in its place, so an upgrade continues the counters. 0 and the
 * new map in *fd, or -EPERM when it is not that layout either. */
static int migrate_state(const char *path, int *fd)
{
	const size_t old_size = sizeof(struct fv_agent_state) - sizeof(__u64);
	const size_t lost_end = offsetof(struct fv_agent_state, lost) +
				(FV_SEG_MAX - 1) * sizeof(__u64);
	struct bpf_map_info info = {};
	struct fv_agent_state st = {};
	__u32 len = sizeof(info), key = 0;
	char *old = NULL;
	int f, nf = -1, ret = -EPERM;

	*fd = -1;
	f = bpf_obj_get(path);
	if (f < 0)
		return -EPERM;
	if (bpf_obj_get_info_by_fd(f, &info, &len) ||
	    info.type != BPF_MAP_TYPE_ARRAY || info.key_size != 4 ||
	    info.value_size != old_size || info.max_entries != 1 ||
	    strcmp(info.name, FV_MAP_AGENT))
		goto out;
	old = calloc(1, old_size);
	if (!old || bpf_map_lookup_elem(f, &key, old))
		goto out;
	memcpy(&st, old, lost_end);
	memcpy((char *)&st + lost_end + sizeof(__u64), old + lost_end,
	       old_size - lost_end);
	if (memcmp(st.magic, FV_AGENT_MAGIC, sizeof(st.magic)) ||
	    st.version != FV_AGENT_STATE_VERSION)
		goto out;
	nf = bpf_map_create(BPF_MAP_TYPE_ARRAY, FV_MAP_AGENT, 4, sizeof(st), 1,
			    NULL);
	if (nf < 0 || bpf_map_update_elem(nf, &key, &st, BPF_ANY))
		goto out;
	/* The old pin goes only once the new map holds everything. */
	if (unlink(path) || bpf_obj_pin(nf, path))
		goto out;
	*fd = nf;
	nf = -1;
	ret = 0;
out:
	if (nf >= 0)
		close(nf);
	free(old);
	close(f);
	return ret;
}

int fv_pin_state_write(int fd, const struct fv_agent_state *st)
{
	__u32 key = 0;

	return bpf_map_update_elem(fd, &key, st, BPF_ANY) ? -errno : 0;
}

int fv_pin_state_read(const char *dir, struct fv_agent_state *st)
{
	char path[256];
	int fd, ret;

	snprintf(path, sizeof(path), "%s/" FV_PIN_STATE, dir);
	ret = open_pinned(path, &state_shape, &fd);
	if (ret == -EPERM)
		ret = migrate_state(path, &fd);
	if (ret)
		return ret;
	ret = state_get(fd, st);
	close(fd);
	return ret;
}

/* The running agent holds an exclusive flock on its pin directory for
 * as long as it lives (the kernel drops it however the process ends), so
 * a recycled pid or a process name proves nothing either way. */
static int lock_fd = -1;
static char lock_dir[256];

static int dir_lock(const char *dir, bool keep)
{
	int fd, ret = 0;

	if (lock_fd >= 0 && !strcmp(dir, lock_dir))
		return 0; /* ours */
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (flock(fd, LOCK_EX | LOCK_NB))
		ret = errno == EWOULDBLOCK ? -EBUSY : -errno;
	if (ret || !keep) {
		close(fd);
		return ret;
	}
	lock_fd = fd;
	snprintf(lock_dir, sizeof(lock_dir), "%s", dir);
	return 0;
}

bool fv_pin_agent_running(const char *dir)
{
	return dir_lock(dir, false) == -EBUSY;
}

/* What each point pins, after "pN_". */
static const char *const point_pins[] = {
	"flows",      "flows_b",   "flows_cur",	  "flows4", "flows4_b",
	"flows4_cur", "flow_sums", "flow_folded", "stats",
};

/* Names an agent with n points may pin; n < 0: any number. */
static bool our_name(const char *name, int n)
{
	size_t k;
	int p, end = 0;

	if (!strcmp(name, FV_PIN_STATE))
		return true;
	if (sscanf(name, "p%d_%n", &p, &end) != 1 || !end)
		return false;
	for (k = 0; k < sizeof(point_pins) / sizeof(point_pins[0]); k++) {
		if (!strcmp(name + end, point_pins[k]))
			return p >= 0 && p < (n < 0 ? 64 : n) &&
			       name[1] != '-' && name[1] != '+';
	}
	return false;
}

/* Entries of dir other than . and ..; the first foreign one in *foreign. */
static int dir_entries(const char *dir, int n_points, char *foreign, size_t flen)
{
	struct dirent *de;
	int count = 0;
	DIR *d = opendir(dir);

	if (!d)
		return -errno;
	*foreign = '\0';
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		count++;
		if (!*foreign && !our_name(de->d_name, n_points))
			snprintf(foreign, flen, "%s", de->d_name);
	}
	closedir(d);
	return count;
}

int fv_pin_adopt(const char *dir, const char *spec, int n_points, int *fd,
		 struct fv_agent_state *st, bool *adopted, char *err,
		 size_t errlen)
{
	char path[256], foreign[256];
	int ret, n;

	*fd = -1;
	*adopted = false;
	/* errno saved first: snprintf and strerror may change it. */
	if (mkdir(FV_PIN_ROOT, 0700) && errno != EEXIST) {
		ret = -errno;
		snprintf(err, errlen, "cannot create " FV_PIN_ROOT ": %s",
			 strerror(-ret));
		return ret;
	}
	if (mkdir(dir, 0700) && errno != EEXIST) {
		ret = -errno;
		snprintf(err, errlen, "cannot create %s: %s", dir,
			 strerror(-ret));
		return ret;
	}
	ret = dir_lock(dir, true);
	if (ret) {
		struct fv_agent_state other = { 0 };

		if (ret != -EBUSY) {
			snprintf(err, errlen, "cannot lock %s: %s", dir,
				 strerror(-ret));
			return ret;
		}
		fv_pin_state_read(dir, &other);
		snprintf(err, errlen,
			 "an agent (pid %u) is running on %s; stop it first "
			 "or choose another --instance",
			 other.pid, dir);
		return ret;
	}
	snprintf(path, sizeof(path), "%s/" FV_PIN_STATE, dir);
	ret = open_pinned(path, &state_shape, fd);
	if (ret == -EPERM)
		ret = migrate_state(path, fd);
	if (ret == -ENOENT) {
		n = dir_entries(dir, -1, foreign, sizeof(foreign));
		if (n != 0) {
			snprintf(err, errlen,
				 "%s holds pins that are no flowverify agent's "
				 "(%s); not touching them: choose another --instance",
				 dir, n < 0 ? strerror(-n) : foreign);
			return -EPERM;
		}
		/* New: the marker first, so a crash leaves our own pins. */
		memset(st, 0, sizeof(*st));
		memcpy(st->magic, FV_AGENT_MAGIC, sizeof(st->magic));
		st->version = FV_AGENT_STATE_VERSION;
		snprintf(st->spec, sizeof(st->spec), "%s", spec);
		*fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, FV_MAP_AGENT, 4,
				     sizeof(*st), 1, NULL);
		if (*fd < 0) {
			ret = -errno;
			snprintf(err, errlen,
				 "cannot create the agent's state map: %s",
				 strerror(-ret));
			return ret;
		}
		ret = fv_pin_state_write(*fd, st);
		if (!ret && bpf_obj_pin(*fd, path))
			ret = -errno;
		if (ret) {
			snprintf(err, errlen, "cannot pin %s: %s", path,
				 strerror(-ret));
			close(*fd);
			*fd = -1;
			return ret;
		}
	} else if (ret) {
		snprintf(err, errlen,
			 "%s is not a flowverify agent's state map; not "
			 "touching it: choose another --instance",
			 path);
		return ret;
	} else {
		ret = state_get(*fd, st);
		if (ret) {
			snprintf(err, errlen,
				 "%s is not a flowverify agent's state map "
				 "(or from an incompatible version); not touching it",
				 path);
			goto fail;
		}
		if (strcmp(st->spec, spec)) {
			snprintf(err, errlen,
				 "the pins in %s count '%s', not '%s': run "
				 "'flowverify cleanup --instance %s' or choose another "
				 "--instance",
				 dir, st->spec, spec, strrchr(dir, '/') + 1);
			ret = -EEXIST;
			goto fail;
		}
		n = dir_entries(dir, n_points, foreign, sizeof(foreign));
		if (n < 0 || *foreign) {
			snprintf(err, errlen,
				 "%s holds a pin that is not this agent's "
				 "(%s); not touching it",
				 dir, n < 0 ? strerror(-n) : foreign);
			ret = -EPERM;
			goto fail;
		}
		*adopted = true;
	}
	st->pid = getpid();
	st->starts++;
	ret = fv_pin_state_write(*fd, st);
	if (ret) {
		snprintf(err, errlen, "cannot write the agent's state: %s",
			 strerror(-ret));
		goto fail;
	}
	return 0;
fail:
	close(*fd);
	*fd = -1;
	return ret;
}

static int pin_one(struct bpf_map *map, const char *dir, int point,
		   const char *what, const struct map_shape *shape, char *err,
		   size_t errlen)
{
	char path[256];
	int fd, ret;

	snprintf(path, sizeof(path), "%s/p%d_%s", dir, point, what);
	ret = open_pinned(path, shape, &fd);
	if (ret == -EPERM) {
		snprintf(err, errlen,
			 "%s is not a flowverify map of this version "
			 "(%s); run 'flowverify cleanup' for it",
			 path, what);
		return ret;
	}
	if (!ret)
		close(fd);
	/* libbpf reuses the pinned map on load, or creates and pins it. */
	ret = bpf_map__set_pin_path(map, path);
	if (ret)
		snprintf(err, errlen, "cannot set pin path %s: %s", path,
			 strerror(-ret));
	return ret;
}

int fv_pin_point_maps(struct flowverify *skel, const char *dir, int point,
		      char *err, size_t errlen)
{
	const struct map_shape flows = {
		FV_MAP_FLOWS,
		BPF_MAP_TYPE_PERCPU_HASH,
		sizeof(struct fv_flow_key),
		sizeof(struct fv_flow_val),
		FV_FLOW_MAX_ENTRIES,
	};
	struct map_shape flows_b = flows;
	const struct map_shape flows_cur = {
		FV_MAP_FLOWS_CUR, BPF_MAP_TYPE_ARRAY_OF_MAPS, 4, 4, 1,
	};
	/* IPv4's (issue 15): an agent of before them pinned none. */
	const struct map_shape flows4 = {
		FV_MAP_FLOWS4,
		BPF_MAP_TYPE_PERCPU_HASH,
		sizeof(struct fv_flow_key4),
		sizeof(struct fv_flow_val),
		FV_FLOW_MAX_ENTRIES,
	};
	struct map_shape flows4_b = flows4;
	const struct map_shape flows4_cur = {
		FV_MAP_FLOWS4_CUR, BPF_MAP_TYPE_ARRAY_OF_MAPS, 4, 4, 1,
	};
	const struct map_shape sums = {
		FV_MAP_FLOW_SUMS,	    BPF_MAP_TYPE_HASH,
		sizeof(struct fv_flow_key), sizeof(struct fv_flow_val),
		FV_FLOW_SUMS_MAX,
	};
	const struct map_shape folded = {
		FV_MAP_FLOW_FOLDED,	    BPF_MAP_TYPE_ARRAY, 4,
		sizeof(struct fv_flow_val), FV_FLOW_FOLD_SLOTS,
	};
	const struct map_shape stats = {
		FV_MAP_STATS, BPF_MAP_TYPE_PERCPU_ARRAY, 4, sizeof(__u64),
		FV_STAT_MAX,
	};
	int ret;

	flows_b.name = FV_MAP_FLOWS_B;
	flows4_b.name = FV_MAP_FLOWS4_B;
	/* All or none: the totals live in the eight flow maps together. */
	ret = pin_one(skel->maps.flows, dir, point, "flows", &flows, err, errlen);
	if (!ret)
		ret = pin_one(skel->maps.flows_b, dir, point, "flows_b",
			      &flows_b, err, errlen);
	if (!ret)
		ret = pin_one(skel->maps.flows_cur, dir, point, "flows_cur",
			      &flows_cur, err, errlen);
	if (!ret)
		ret = pin_one(skel->maps.flows4, dir, point, "flows4", &flows4,
			      err, errlen);
	if (!ret)
		ret = pin_one(skel->maps.flows4_b, dir, point, "flows4_b",
			      &flows4_b, err, errlen);
	if (!ret)
		ret = pin_one(skel->maps.flows4_cur, dir, point, "flows4_cur",
			      &flows4_cur, err, errlen);
	if (!ret)
		ret = pin_one(skel->maps.flow_sums, dir, point, "flow_sums",
			      &sums, err, errlen);
	if (!ret)
		ret = pin_one(skel->maps.flow_folded, dir, point, "flow_folded",
			      &folded, err, errlen);
	if (!ret)
		ret = pin_one(skel->maps.stats, dir, point, "stats", &stats,
			      err, errlen);
	return ret;
}

int fv_pin_remove(const char *dir, FILE *out, char *err, size_t errlen)
{
	struct fv_agent_state st;
	char foreign[256], path[512];
	struct dirent *de;
	DIR *d;
	int ret, n;

	ret = fv_pin_state_read(dir, &st);
	if (ret == -ENOENT) {
		n = dir_entries(dir, -1, foreign, sizeof(foreign));
		if (n < 0)
			return n == -ENOENT ? -ENOENT : n;
		if (n > 0) {
			snprintf(err, errlen,
				 "%s holds pins that are no flowverify "
				 "agent's (%s); not touching them",
				 dir, foreign);
			return -EPERM;
		}
	} else if (ret) {
		snprintf(err, errlen,
			 "%s/" FV_PIN_STATE " is not a flowverify agent's "
			 "state map; not touching %s",
			 dir, dir);
		return -EPERM;
	} else if (fv_pin_agent_running(dir)) {
		snprintf(err, errlen,
			 "an agent (pid %u) is running on %s; stop it first",
			 st.pid, dir);
		return -EBUSY;
	} else {
		n = dir_entries(dir, -1, foreign, sizeof(foreign));
		if (n > 0 && *foreign) {
			snprintf(err, errlen,
				 "%s holds a pin that is no agent's (%s); "
				 "not touching it",
				 dir, foreign);
			return -EPERM;
		}
	}
	d = opendir(dir);
	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		if (!our_name(de->d_name, -1))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (unlink(path)) {
			ret = -errno;
			snprintf(err, errlen, "cannot remove %s: %s", path,
				 strerror(-ret));
			closedir(d);
			return ret;
		}
		if (out)
			fprintf(out, "removed %s\n", path);
	}
	closedir(d);
	if (rmdir(dir)) {
		ret = -errno;
		snprintf(err, errlen, "cannot remove %s: %s", dir,
			 strerror(-ret));
		return ret;
	}
	if (out)
		fprintf(out, "removed %s/\n", dir);
	return 0;
}
