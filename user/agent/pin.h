/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The agent's pins under /sys/fs/bpf/flowverify/<instance>/: the counter
 * maps of every point (p<N>_flows, p<N>_stats) and the state map "agent"
 * that marks the directory as a flowverify agent's. The ad-hoc commands
 * pin nothing. */
#ifndef FV_PIN_H
#define FV_PIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include "agent.h"

#define FV_BPFFS	    "/sys/fs/bpf"
#define FV_PIN_ROOT	    FV_BPFFS "/flowverify"
#define FV_PIN_STATE	    "agent"
#define FV_MAP_AGENT	    "fv_agent" /* the state map's kernel name */
#define FV_INSTANCE_DEFAULT "default"
#define FV_INSTANCE_MAX	    32

struct flowverify; /* the skeleton */

/* Mount bpffs on /sys/fs/bpf when nothing is mounted there; *mounted says
 * whether we did. 0 or -errno with a message in err. */
int fv_pin_bpffs_ensure(bool *mounted, char *err, size_t errlen);

/* FV_PIN_ROOT/<instance>, after checking the name ([A-Za-z0-9_-], at most
 * FV_INSTANCE_MAX). 0 or -EINVAL. */
int fv_pin_dir(const char *instance, char *buf, size_t len);

/* Take the pins in dir for an agent observing spec: create them when the
 * directory is new or empty, re-adopt them when they are an agent's with
 * the same spec and no agent is running on them; refuse anything else
 * (someone else's pins, another spec, a running agent). On success *fd is
 * the state map, *st its contents (counters of earlier runs, pid set to
 * ours and written back) and *adopted whether it existed.
 * 0 or -errno with a one-line message in err. */
int fv_pin_adopt(const char *dir, const char *spec, int n_points, int *fd,
		 struct fv_agent_state *st, bool *adopted, char *err,
		 size_t errlen);

/* Before load: pin the point's counter maps under dir (reused when they
 * exist, after checking they are flowverify's and fit). */
int fv_pin_point_maps(struct flowverify *skel, const char *dir, int point,
		      char *err, size_t errlen);

int fv_pin_state_write(int fd, const struct fv_agent_state *st);

/* Read the state map of dir without taking it. 0, -ENOENT when there is
 * none, -EPERM when it is not an agent's. */
int fv_pin_state_read(const char *dir, struct fv_agent_state *st);

/* Whether another process holds the agent's lock on dir (an flock that
 * fv_pin_adopt takes and keeps until the process ends). */
bool fv_pin_agent_running(const char *dir);

/* Remove every pin of an agent in dir, then dir. Refuses (-EPERM) pins
 * that are not a flowverify agent's, and (-EBUSY) a running agent's.
 * Each removed pin is named on out. */
int fv_pin_remove(const char *dir, FILE *out, char *err, size_t errlen);

#endif
